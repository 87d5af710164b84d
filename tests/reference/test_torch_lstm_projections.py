"""LSTM with projections (``proj_size``) against PyTorch: PyTorch's weights loaded into deltaprop's
layer through its state dict give PyTorch's outputs, h_n, c_n and gradients (input, h_0, c_0, every
weight weight_hr among them), for every option of the layer (layers, directions, batch_first,
unbatched input, given and default states, no bias, dropout between layers, packed sequences), in
float64 and float32; the same parameters, state-dict keys, shapes, reprs and initial range; the same
refusals; a model file that rebuilds the layer; second derivatives; and gradients against finite
differences (float64)."""

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd, nn  # noqa: E402
from deltaprop.errors import ConfigError, ShapeError  # noqa: E402
from deltaprop.nn import recurrent  # noqa: E402
from deltaprop.serialization import _size_bound  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, twins  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")

# twins(..., **PYTORCH_WEIGHTS): ours with PyTorch's initial weights loaded through its state dict, after
# checking that the parameters (names, shapes, order), the state-dict keys and the reprs are the same.
PYTORCH_WEIGHTS = dict(weights="pytorch", check_state_dict=True, check_repr=True)

LAYERS = [
    dict(input_size=3, hidden_size=5, proj_size=2),
    dict(input_size=3, hidden_size=5, proj_size=3, num_layers=2),
    dict(input_size=3, hidden_size=4, proj_size=2, num_layers=3, bidirectional=True, batch_first=True),
    dict(input_size=2, hidden_size=4, proj_size=1, bidirectional=True, bias=False),
    dict(input_size=4, hidden_size=6, proj_size=1, num_layers=2, batch_first=True, bias=False),
]
IDS = [f"layers{k.get('num_layers', 1)}-D{2 if k.get('bidirectional') else 1}-P{k['proj_size']}"
       + ("-bf" if k.get("batch_first") else "") + ("-nobias" if k.get("bias") is False else "") for k in LAYERS]


def state_shapes(kwargs, batch: tuple) -> tuple:
    """(h_0's shape, c_0's shape): h proj_size wide, c hidden_size wide."""
    count = (2 if kwargs.get("bidirectional") else 1) * kwargs.get("num_layers", 1)
    return (count, *batch, kwargs["proj_size"]), (count, *batch, kwargs["hidden_size"])


def leaves(arrays, dtype):
    """Each array as a deltaprop leaf and as a PyTorch leaf, both requiring a gradient."""
    ours = [dp.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=TORCH_DTYPES[dtype], requires_grad=True) for a in arrays]
    return ours, theirs


def backward_through(got, expected, dtype, seed=10):
    """Compare the tensors ``got`` with ``expected``, then send the same random weights back through both."""
    tol = TOLERANCES[dtype]
    total_ours, total_theirs = 0, 0
    for i, (a, b) in enumerate(zip(got, expected)):
        assert a.shape == tuple(b.shape) and a.dtype == dtype, (i, a.shape, tuple(b.shape), a.dtype)
        np.testing.assert_allclose(a.data, b.detach().numpy(), err_msg=f"output {i}", **tol)
        weights = np.random.default_rng(seed + i).standard_normal(a.shape).astype(dtype)
        total_ours = total_ours + (a * dp.tensor(weights, dtype=dtype)).sum()
        total_theirs = total_theirs + (b * torch.from_numpy(weights)).sum()
    total_ours.backward()
    total_theirs.backward()


def same_gradients(ours_leaves, theirs_leaves, ours, theirs, dtype):
    tol = TOLERANCES[dtype]
    for i, (a, b) in enumerate(zip(ours_leaves, theirs_leaves)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=f"input {i}", **tol)
    reference = dict(theirs.named_parameters())
    assert [key for key, _ in ours.named_parameters()] == list(reference)
    for key, p in ours.named_parameters():
        assert p.grad is not None, key
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)


def run_both(ours, theirs, x, states, dtype):
    """Run both layers on ``x`` from ``states`` ([h_0, c_0] or []), compare outputs and gradients."""
    (xd, *sd), (xt, *st) = leaves([x, *states], dtype)
    out_d, (h_d, c_d) = ours(xd, tuple(sd)) if sd else ours(xd)
    out_t, (h_t, c_t) = theirs(xt, tuple(st)) if st else theirs(xt)
    backward_through([out_d, h_d, c_d], [out_t, h_t, c_t], dtype)
    same_gradients([xd, *sd], [xt, *st], ours, theirs, dtype)
    return out_d, h_d, c_d


@pytest.mark.parametrize("fused_steps", [True, False], ids=["fused", "composed"])
@pytest.mark.parametrize("batched, with_state", [(True, True), (True, False), (False, True), (False, False)],
                         ids=["batched-h0", "batched", "unbatched-h0", "unbatched"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs", LAYERS, ids=IDS)
def test_layer_matches_pytorch(kwargs, dtype, batched, with_state, fused_steps, monkeypatch):
    monkeypatch.setattr(recurrent, "FUSED", fused_steps)
    torch.manual_seed(0)
    ours, theirs = twins("LSTM", kwargs, dtype, **PYTORCH_WEIGHTS)
    rng = np.random.default_rng(0)
    length, batch = 6, 3
    shape = ((batch, length) if kwargs.get("batch_first") else (length, batch)) if batched else (length,)
    x = rng.standard_normal(shape + (kwargs["input_size"],))
    states = [rng.standard_normal(s) for s in state_shapes(kwargs, (batch,) if batched else ())] if with_state else []
    out, h_n, c_n = run_both(ours, theirs, x, states, dtype)
    D = 2 if kwargs.get("bidirectional") else 1
    assert out.shape[-1] == D * kwargs["proj_size"]
    assert (h_n.shape, c_n.shape) == state_shapes(kwargs, (batch,) if batched else ())


REALISTIC = [
    dict(input_size=16, hidden_size=32, proj_size=12, num_layers=2, bidirectional=True),
    dict(input_size=64, hidden_size=128, proj_size=48, batch_first=True),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs", REALISTIC, ids=["2-layers-bidirectional", "hidden-128"])
def test_realistic_sizes_match_pytorch(kwargs, dtype):
    """Sizes like a real model's: the projected states are strided views of the primitive's output,
    and its large arrays come from the memory pool."""
    torch.manual_seed(3)
    ours, theirs = twins("LSTM", kwargs, dtype, **PYTORCH_WEIGHTS)
    rng = np.random.default_rng(4)
    length, batch = 20, 16
    x = rng.standard_normal(((batch, length) if kwargs.get("batch_first") else (length, batch)) + (kwargs["input_size"],))
    states = [rng.standard_normal(s) * 0.5 for s in state_shapes(kwargs, (batch,))]
    run_both(ours, theirs, x, states, dtype)


@pytest.mark.parametrize("with_state", [True, False], ids=["h0", "no-h0"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs", [LAYERS[0], LAYERS[2], LAYERS[3]], ids=[IDS[0], IDS[2], IDS[3]])
def test_packed_sequences_match_pytorch(kwargs, dtype, with_state):
    """Sequences of different lengths (unsorted): each stops at its own end, h_n and c_n at its own last
    step, in the batch's own order; the packed output and every gradient as PyTorch's."""
    torch.manual_seed(1)
    ours, theirs = twins("LSTM", kwargs, dtype, **PYTORCH_WEIGHTS)
    rng = np.random.default_rng(5)
    lengths = [4, 6, 1, 3]
    batch_first = kwargs.get("batch_first", False)
    shape = (len(lengths), max(lengths)) if batch_first else (max(lengths), len(lengths))
    x = rng.standard_normal(shape + (kwargs["input_size"],))
    states = [rng.standard_normal(s) for s in state_shapes(kwargs, (len(lengths),))] if with_state else []
    (xd, *sd), (xt, *st) = leaves([x, *states], dtype)
    packed_d = nn.utils.rnn.pack_padded_sequence(xd, lengths, batch_first=batch_first, enforce_sorted=False)
    packed_t = torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, batch_first=batch_first, enforce_sorted=False)
    out_d, (h_d, c_d) = ours(packed_d, tuple(sd)) if sd else ours(packed_d)
    out_t, (h_t, c_t) = theirs(packed_t, tuple(st)) if st else theirs(packed_t)
    np.testing.assert_array_equal(np.asarray(out_d.batch_sizes.data if hasattr(out_d.batch_sizes, "data")
                                             else out_d.batch_sizes), out_t.batch_sizes.numpy())
    padded_d, sizes_d = nn.utils.rnn.pad_packed_sequence(out_d, batch_first=batch_first)
    padded_t, sizes_t = torch.nn.utils.rnn.pad_packed_sequence(out_t, batch_first=batch_first)
    np.testing.assert_array_equal(np.asarray(sizes_d.data if hasattr(sizes_d, "data") else sizes_d), sizes_t.numpy())
    backward_through([out_d.data, padded_d, h_d, c_d], [out_t.data, padded_t, h_t, c_t], dtype)
    same_gradients([xd, *sd], [xt, *st], ours, theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_dropout_between_layers_as_in_pytorch(dtype):
    """Eval mode: no dropout, PyTorch's numbers and gradients. Training mode with p=1: the layers after
    the first see zeros (PyTorch's numbers too); with p=0.5 it draws masks, so calls differ."""
    kwargs = dict(input_size=3, hidden_size=5, proj_size=2, num_layers=3, dropout=0.5, bidirectional=True)
    torch.manual_seed(2)
    ours, theirs = twins("LSTM", kwargs, dtype, **PYTORCH_WEIGHTS)
    x = np.random.default_rng(6).standard_normal((5, 2, 3))
    ours.eval(), theirs.eval()
    run_both(ours, theirs, x, [], dtype)

    eval_out = ours(dp.tensor(x, dtype=dtype))[0].data  # (still in eval mode)
    ours.train()
    dp.manual_seed(0)
    first, second = ours(dp.tensor(x, dtype=dtype))[0].data, ours(dp.tensor(x, dtype=dtype))[0].data
    assert not np.allclose(first, eval_out) and not np.allclose(first, second)

    kwargs["dropout"] = 1.0
    torch.manual_seed(2)
    ours, theirs = twins("LSTM", kwargs, dtype, **PYTORCH_WEIGHTS)
    assert ours.training and theirs.training
    run_both(ours, theirs, x, [], dtype)
    # the last layers saw only zeros: the output no longer depends on x
    xd = dp.tensor(x, dtype=dtype, requires_grad=True)
    out, _ = ours(xd)
    out.sum().backward()
    np.testing.assert_array_equal(xd.grad, np.zeros_like(x))


@pytest.mark.parametrize("kwargs", LAYERS, ids=IDS)
def test_parameters_state_dict_and_repr_are_pytorchs(kwargs):
    ours, theirs = nn.LSTM(**kwargs), torch.nn.LSTM(**kwargs)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [[tuple(p.shape) for p in cell] for cell in ours.all_weights] == \
           [[tuple(p.shape) for p in cell] for cell in theirs.all_weights]
    assert ours.proj_size == theirs.proj_size == kwargs["proj_size"]
    ours.flatten_parameters()  # runs, as PyTorch's
    # a state dict converted from PyTorch loads, and becomes the weights
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(np.asarray(value.data if hasattr(value, "data") else value), state[key])


def test_repr_puts_proj_size_where_pytorch_does():
    assert repr(nn.LSTM(3, 4, proj_size=2)) == repr(torch.nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"
    kwargs = dict(num_layers=2, bias=False, batch_first=True, dropout=0.25, bidirectional=True, proj_size=3)
    assert repr(nn.LSTM(3, 4, **kwargs)) == repr(torch.nn.LSTM(3, 4, **kwargs))
    assert repr(nn.LSTM(3, 4, proj_size=0)) == repr(torch.nn.LSTM(3, 4, proj_size=0)) == "LSTM(3, 4)"


def test_initialisation_has_pytorchs_range_weight_hr_included():
    """Every weight, W_hr too, from U(−1/√hidden, 1/√hidden): 1/4 for hidden 16."""
    ours, theirs = nn.LSTM(5, 16, num_layers=2, proj_size=6), torch.nn.LSTM(5, 16, num_layers=2, proj_size=6)
    names = [key for key, _ in ours.named_parameters()]
    assert "weight_hr_l0" in names and "weight_hr_l1" in names
    for (key, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert np.abs(p.data).max() <= 0.25 and q.abs().max().item() <= 0.25, key
        assert np.abs(p.data).max() > 0.2 and q.abs().max().item() > 0.2, key


@pytest.mark.parametrize("proj_size, pytorchs", [(-1, "proj_size should be a positive integer or zero"),
                                                 (4, "proj_size has to be smaller than hidden_size"),
                                                 (7, "proj_size has to be smaller than hidden_size")])
def test_refusals_are_pytorchs_in_one_sentence(proj_size, pytorchs):
    with pytest.raises(ValueError, match=pytorchs):
        torch.nn.LSTM(3, 4, proj_size=proj_size)
    with pytest.raises(ConfigError, match=r"^LSTM: proj_size must be ") as caught:
        nn.LSTM(3, 4, proj_size=proj_size)
    assert str(caught.value).count(". ") == 0 and str(proj_size) in str(caught.value)


@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_rnn_and_gru_still_refuse_proj_size(name):
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        getattr(torch.nn, name)(3, 4, proj_size=2)
    with pytest.raises(ConfigError, match=f"^{name}: proj_size is an option of LSTM only"):
        getattr(nn, name)(3, 4, proj_size=2)


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("which", ["h_0", "c_0"])
def test_a_wrong_initial_state_shape_is_refused_naming_the_expected_one(which, batched):
    kwargs = dict(input_size=3, hidden_size=5, proj_size=2, num_layers=2)
    ours, theirs = nn.LSTM(**kwargs), torch.nn.LSTM(**kwargs)
    batch = (4,) if batched else ()
    x = np.zeros((6, *batch, 3), dtype=np.float32)
    h_shape, c_shape = state_shapes(kwargs, batch)
    # the commonest mistake: both states hidden_size wide (h_0 must be proj_size wide), or both proj_size wide
    wrong = (c_shape, c_shape) if which == "h_0" else (h_shape, h_shape)
    states = [np.zeros(s, dtype=np.float32) for s in wrong]
    with pytest.raises(RuntimeError, match="Expected hidden"):
        theirs(torch.from_numpy(x), tuple(torch.from_numpy(s) for s in states))
    expected = h_shape if which == "h_0" else c_shape
    got = wrong[0] if which == "h_0" else wrong[1]
    with pytest.raises(ShapeError, match=rf"^LSTM\(3 -> 5, 2 layers, projected to 2\): {which} must have shape "
                                         rf"{re.escape(str(expected))} for input of shape .*, got shape "
                                         rf"{re.escape(str(got))}$"):
        ours(x, tuple(states))


def test_a_wrong_packed_initial_state_shape_is_refused_naming_the_expected_one():
    ours = nn.LSTM(3, 5, proj_size=2, bidirectional=True)
    packed = nn.utils.rnn.pack_sequence([dp.zeros(4, 3), dp.zeros(2, 3)])
    with pytest.raises(ShapeError, match=re.escape("h_0 must have shape (2, 2, 2) for a packed batch of 2 sequences, "
                                                   "got shape (2, 2, 5)")):
        ours(packed, (dp.zeros(2, 2, 5), dp.zeros(2, 2, 5)))
    with pytest.raises(ShapeError, match=re.escape("a pair (h_0, c_0) of shapes (2, 2, 2) and (2, 2, 5), got Tensor")):
        ours(packed, dp.zeros(2, 2, 2))


def test_a_model_file_rebuilds_the_layer(tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2, batch_first=True))
    model.eval()
    assert model[0].config()["proj_size"] == 2
    dp.save(model, tmp_path / "lstm.safetensors")
    loaded = dp.load(tmp_path / "lstm.safetensors")
    assert repr(loaded) == repr(model) and loaded[0].config() == model[0].config()
    x = dp.randn(2, 4, 3)
    for a, b in zip((model(x)[0], *model(x)[1]), (loaded(x)[0], *loaded(x)[1])):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_large_projected_lstm_loads_from_its_file(tmp_path):
    """proj_size is no factor of the size bound (input·hidden·proj would exceed this file's weights
    sixteen times over and refuse it); the bound still counts W_hr."""
    layer = nn.LSTM(300, 200, proj_size=150)
    assert layer.num_parameters() <= _size_bound("LSTM", layer.config()) <= 4 * layer.num_parameters()
    dp.save(layer, tmp_path / "big.safetensors")
    assert repr(dp.load(tmp_path / "big.safetensors")) == "LSTM(300, 200, proj_size=150)"


@pytest.mark.parametrize("kwargs", LAYERS + [dict(input_size=20, hidden_size=10, proj_size=9)],
                         ids=IDS + ["proj-near-hidden"])
def test_the_size_bound_counts_weight_hr(kwargs):
    """(With proj_size near hidden_size, W_hr is more than the bound's other terms overcount.)"""
    layer = nn.LSTM(**kwargs)
    assert _size_bound("LSTM", layer.config()) >= layer.num_parameters()


def test_an_old_model_file_without_proj_size_builds_an_lstm_without_projections():
    config = nn.LSTM(3, 4).config()
    del config["proj_size"]
    assert nn.LSTM(**config).proj_size == 0


def test_second_derivatives_match_pytorch():
    """A penalty on the norm of the weights' gradient (as WGAN-GP's on the input's), differentiated
    again: through the projection's rule restated in differentiable operations."""
    kwargs = dict(input_size=3, hidden_size=4, proj_size=2, num_layers=2, bidirectional=True)
    torch.manual_seed(4)
    ours, theirs = twins("LSTM", kwargs, np.float64, **PYTORCH_WEIGHTS)
    x = np.random.default_rng(7).standard_normal((5, 2, 3))
    results = []
    for L, layer, T in ((dp, ours, lambda a: dp.tensor(a, dtype=np.float64, requires_grad=True)),
                        (torch, theirs, lambda a: torch.tensor(a, requires_grad=True))):
        xs = T(x)
        out, (h, c) = layer(xs)
        loss = (out ** 2).sum() + (h * c[..., :2]).sum()
        params = list(layer.parameters())
        grads = (autograd if L is dp else torch.autograd).grad(loss, params + [xs], create_graph=True)
        penalty = sum((g ** 2).sum() for g in grads)
        second = (autograd if L is dp else torch.autograd).grad(penalty, params + [xs])
        results.append([np.asarray(g.data if L is dp else g.detach().numpy()) for g in second])
    for i, (a, b) in enumerate(zip(*results)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=f"input {i}")


def _with_weights(layer, weights):
    """``layer`` with the tensors ``weights`` in place of its parameters (in its order)."""
    for (name, _), weight in zip(layer.named_parameters(), weights):
        object.__setattr__(layer, name, weight)
    return layer


@pytest.mark.parametrize("kwargs, packed, second", [
    (dict(input_size=2, hidden_size=3, proj_size=2), False, True),
    (dict(input_size=2, hidden_size=3, proj_size=1, num_layers=2, bidirectional=True), False, False),
    (dict(input_size=2, hidden_size=3, proj_size=2, bias=False), True, True),
], ids=["one-layer", "two-layers-bidirectional", "packed-no-bias"])
def test_gradients_against_finite_differences(kwargs, packed, second):
    """gradcheck (float64) with respect to the input, h_0, c_0 and every weight, and gradgradcheck
    (not on two layers, where it takes seconds: tests/higher_order_cases_recurrent.py has such a
    case against finite differences and PyTorch)."""
    dp.manual_seed(1)
    layer = nn.LSTM(**kwargs, dtype=np.float64)
    rng = np.random.default_rng(8)
    lengths = [3, 1, 2]
    inputs = [rng.standard_normal((3, 3, kwargs["input_size"])), *(rng.standard_normal(s) for s in state_shapes(kwargs, (3,)))]
    inputs += [p.data.copy() for p in layer.parameters()]
    tensors = [dp.tensor(a, dtype=np.float64, requires_grad=True) for a in inputs]

    def function(x, h0, c0, *weights):
        given = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False) if packed else x
        out, (h, c) = _with_weights(layer, weights)(given, (h0, c0))
        return (out.data if packed else out), h, c

    assert autograd.gradcheck(function, tensors, eps=1e-6, atol=1e-7, rtol=1e-6)
    if second:
        assert autograd.gradgradcheck(function, tensors, eps=1e-6, atol=1e-6, rtol=1e-5)


def test_gradcheck_can_fail_on_a_wrong_projection_rule(monkeypatch):
    """The check above is not vacuous: W_hr's gradient scaled by 1.01 is caught."""
    from deltaprop.ops import recurrent as primitives

    rule = primitives._projection_grad
    monkeypatch.setattr(primitives, "_projection_grad", lambda *args: rule(*args) * 1.01)
    layer = nn.LSTM(2, 3, proj_size=2, dtype=np.float64)
    w = dp.tensor(layer.weight_hr_l0.data.copy(), dtype=np.float64, requires_grad=True)
    x = dp.tensor(np.random.default_rng(9).standard_normal((3, 2, 2)), dtype=np.float64)

    def function(weight_hr):
        object.__setattr__(layer, "weight_hr_l0", weight_hr)
        return layer(x)[0]

    assert not autograd.gradcheck(function, [w], eps=1e-6, atol=1e-7, rtol=1e-6, raise_exception=False)
