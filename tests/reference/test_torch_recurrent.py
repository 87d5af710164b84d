"""RNN, LSTM, GRU and their cells against PyTorch: a PyTorch state dict loaded into deltaprop's
layer gives PyTorch's outputs and gradients (input, initial states, every weight), with the same
parameter names, shapes, order and reprs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.nn import recurrent  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, twins  # noqa: E402

# twins(..., **PYTORCH_WEIGHTS): deltaprop's layer with PyTorch's layer's state dict loaded into it (its own
# initial weights, from torch.manual_seed), after checking parameters, state-dict keys and reprs are the same.
PYTORCH_WEIGHTS = dict(weights="pytorch", check_state_dict=True, check_repr=True)


def parts(result):
    """The tensors a layer or cell returned, flattened out of their tuples, in order."""
    if isinstance(result, tuple):
        return [t for part in result for t in parts(part)]
    return [result]


def compare(ours, theirs, x, states, dtype):
    tol = TOLERANCES[dtype]
    xd, xt = dp.tensor(x, dtype=dtype, requires_grad=True), torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    sd = [dp.tensor(s, dtype=dtype, requires_grad=True) for s in states]
    st = [torch.tensor(s, dtype=TORCH_DTYPES[dtype], requires_grad=True) for s in states]
    pack = (lambda s: ()) if not states else (lambda s: (tuple(s),)) if len(states) == 2 else (lambda s: (s[0],))
    got, expected = parts(ours(xd, *pack(sd))), parts(theirs(xt, *pack(st)))
    assert len(got) == len(expected)
    total_ours, total_theirs = 0, 0
    for i, (a, b) in enumerate(zip(got, expected)):
        assert a.shape == tuple(b.shape) and a.dtype == dtype
        np.testing.assert_allclose(a.data, b.detach().numpy(), err_msg=f"output {i}", **tol)
        weights = np.random.default_rng(10 + i).standard_normal(a.shape).astype(dtype)
        total_ours = total_ours + (a * dp.tensor(weights, dtype=dtype)).sum()
        total_theirs = total_theirs + (b * torch.from_numpy(weights)).sum()
    total_ours.backward()
    total_theirs.backward()
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), err_msg="input", **tol)
    for i, (a, b) in enumerate(zip(sd, st)):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=f"state {i}", **tol)
    reference = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)


LAYERS = [
    ("RNN", dict(input_size=3, hidden_size=4)),
    ("RNN", dict(input_size=3, hidden_size=4, nonlinearity="relu", num_layers=2, bidirectional=True)),
    ("RNN", dict(input_size=3, hidden_size=5, bias=False, batch_first=True)),
    ("LSTM", dict(input_size=3, hidden_size=4)),
    ("LSTM", dict(input_size=3, hidden_size=4, num_layers=2)),
    ("LSTM", dict(input_size=3, hidden_size=4, bidirectional=True, batch_first=True)),
    ("LSTM", dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True, bias=False)),
    ("GRU", dict(input_size=3, hidden_size=4)),
    ("GRU", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)),
    ("GRU", dict(input_size=3, hidden_size=2, bias=False, batch_first=True, num_layers=2)),
]


@pytest.mark.parametrize("fused_steps", [True, False], ids=["fused", "composed"])
@pytest.mark.parametrize("batched, with_state", [(True, True), (True, False), (False, True), (False, False)],
                         ids=["batched-h0", "batched", "unbatched-h0", "unbatched"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs", LAYERS, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAYERS)])
def test_layer_matches_pytorch(name, kwargs, dtype, batched, with_state, fused_steps, monkeypatch):
    monkeypatch.setattr(recurrent, "FUSED", fused_steps)
    torch.manual_seed(0)
    ours, theirs = twins(name, kwargs, dtype, **PYTORCH_WEIGHTS)
    rng = np.random.default_rng(0)
    length, batch = 6, 3
    shape = ((batch, length) if kwargs.get("batch_first") else (length, batch)) if batched else (length,)
    x = rng.standard_normal(shape + (kwargs["input_size"],))
    D = 2 if kwargs.get("bidirectional") else 1
    state_shape = (D * kwargs.get("num_layers", 1),) + ((batch,) if batched else ()) + (kwargs["hidden_size"],)
    states = [rng.standard_normal(state_shape) for _ in range(2 if name == "LSTM" else 1)] if with_state else []
    compare(ours, theirs, x, states, dtype)


CELLS = [
    ("RNNCell", dict(input_size=3, hidden_size=4)),
    ("RNNCell", dict(input_size=3, hidden_size=4, nonlinearity="relu", bias=False)),
    ("LSTMCell", dict(input_size=3, hidden_size=4)),
    ("LSTMCell", dict(input_size=3, hidden_size=4, bias=False)),
    ("GRUCell", dict(input_size=3, hidden_size=4)),
    ("GRUCell", dict(input_size=3, hidden_size=4, bias=False)),
]


@pytest.mark.parametrize("batched, with_state", [(True, True), (True, False), (False, True)],
                         ids=["batched-hx", "batched", "unbatched-hx"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs", CELLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CELLS)])
def test_cell_matches_pytorch(name, kwargs, dtype, batched, with_state):
    torch.manual_seed(0)
    ours, theirs = twins(name, kwargs, dtype, **PYTORCH_WEIGHTS)
    rng = np.random.default_rng(1)
    batch = (5,) if batched else ()
    x = rng.standard_normal(batch + (kwargs["input_size"],))
    states = [rng.standard_normal(batch + (kwargs["hidden_size"],)) for _ in range(2 if name == "LSTMCell" else 1)]
    compare(ours, theirs, x, states if with_state else [], dtype)


def test_a_long_sequence_with_large_inputs_matches_pytorch():
    """Saturated gates over 200 steps (float64): nothing drifts, nothing overflows."""
    torch.manual_seed(1)
    ours, theirs = twins("LSTM", dict(input_size=2, hidden_size=3, num_layers=2), np.float64, **PYTORCH_WEIGHTS)
    x = np.random.default_rng(2).standard_normal((200, 2, 2)) * 30
    compare(ours, theirs, x, [], np.float64)


def test_dropout_matches_pytorch_in_form():
    """Between layers only, in training only: with p=1 the second layer sees zeros (as in PyTorch)."""
    torch.manual_seed(0)
    ours, theirs = twins("GRU", dict(input_size=3, hidden_size=4, num_layers=2, dropout=1.0), np.float64,
                         **PYTORCH_WEIGHTS)
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    np.testing.assert_allclose(ours(x)[0].data, theirs(torch.tensor(x))[0].detach().numpy(), rtol=1e-10, atol=1e-12)
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(ours(x)[1].data, theirs(torch.tensor(x))[1].detach().numpy(), rtol=1e-10, atol=1e-12)


def test_initialisation_has_pytorchs_range():
    ours, theirs = nn.GRU(5, 16, num_layers=2), torch.nn.GRU(5, 16, num_layers=2)
    for (key, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert np.abs(p.data).max() <= 0.25 and q.abs().max().item() <= 0.25, key
        assert np.abs(p.data).max() > 0.2 and q.abs().max().item() > 0.2, key


# Sizes like a real model's (the small cases above use hidden sizes 2 to 5): the gate-by-gate
# buffers and the in-place passes of the primitives, checked where rows are wide and many.
REALISTIC = [
    ("LSTM", dict(input_size=16, hidden_size=24)),
    ("LSTM", dict(input_size=10, hidden_size=16, num_layers=2, bidirectional=True, batch_first=True)),
    ("GRU", dict(input_size=16, hidden_size=24)),
    ("GRU", dict(input_size=10, hidden_size=16, num_layers=2, bidirectional=True, batch_first=True, dropout=0.0)),
    ("RNN", dict(input_size=16, hidden_size=24, num_layers=2, bidirectional=True)),
    ("RNN", dict(input_size=10, hidden_size=16, nonlinearity="relu", batch_first=True)),
]


@pytest.mark.parametrize("with_state", [True, False], ids=["h0", "no-h0"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs", REALISTIC, ids=[f"{c[0]}-{i}" for i, c in enumerate(REALISTIC)])
def test_realistic_sizes_match_pytorch(name, kwargs, dtype, with_state):
    torch.manual_seed(3)
    ours, theirs = twins(name, kwargs, dtype, **PYTORCH_WEIGHTS)
    rng = np.random.default_rng(4)
    length, batch = 12, 7
    x = rng.standard_normal(((batch, length) if kwargs.get("batch_first") else (length, batch)) + (kwargs["input_size"],))
    D = 2 if kwargs.get("bidirectional") else 1
    state_shape = (D * kwargs.get("num_layers", 1), batch, kwargs["hidden_size"])
    states = [rng.standard_normal(state_shape) for _ in range(2 if name == "LSTM" else 1)] if with_state else []
    compare(ours, theirs, x, states, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["RNN", "GRU"])
@pytest.mark.parametrize("proj_size", [2, 0])
def test_proj_size_is_refused_outside_lstm_as_in_pytorch(name, proj_size, dtype):
    # PyTorch's RNN and GRU refuse the option itself (even 0) with a ValueError; so do ours, in one
    # sentence naming the layer and the option, instead of Python's TypeError about a keyword.
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        getattr(torch.nn, name)(3, 4, proj_size=proj_size, dtype=TORCH_DTYPES[dtype])
    with pytest.raises(dp.errors.ConfigError, match=f"^{name}: proj_size is an option of LSTM only"):
        getattr(nn, name)(3, 4, proj_size=proj_size, dtype=dtype)
