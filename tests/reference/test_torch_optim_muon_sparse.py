"""Muon, SparseAdam and sparse embedding gradients against PyTorch 2.13.

Muon: the parameters after every one of several steps equal PyTorch's, for several matrix shapes
(wide, tall, square), every option and two groups set differently. PyTorch runs the Newton–Schulz
iteration in bfloat16 and deltaprop in the parameter's dtype, so the tight comparison runs
PyTorch's own step with the bfloat16 cast made a copy in the parameter's dtype (its code otherwise
unchanged); the unchanged PyTorch step must agree to bfloat16's precision.

SparseAdam: a training loop of several batches through ``nn.Embedding(..., sparse=True)`` with
repeated rows, missing rows, the padding row and a touched row whose gradient sums to zero, the
table equal to PyTorch's after every step; SGD and Adagrad on the same sparse gradients as
PyTorch's; the refusals; the state dicts, and ``named_parameters()`` for every optimizer.
"""

import contextlib

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn, optim  # noqa: E402
from deltaprop.errors import ConfigError, GradError, ShapeError  # noqa: E402
from deltaprop.row_gradient import RowGradient  # noqa: E402
from test_torch_optim_porting import _numpy  # noqa: E402  (a PyTorch state dict with its tensors made arrays)

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


@pytest.fixture
def muon_in_full_precision(monkeypatch):
    """PyTorch's Muon with its Newton–Schulz iteration in the parameter's dtype instead of bfloat16."""
    import torch.optim._muon as muon_module

    class KeepDtype(torch.Tensor):
        def bfloat16(self):  # the iteration's cast, made a plain copy
            return self.clone()

    iterate = muon_module._zeropower_via_newtonschulz
    monkeypatch.setattr(muon_module, "_zeropower_via_newtonschulz",
                        lambda g, *args: iterate(g.as_subclass(KeepDtype), *args).as_subclass(torch.Tensor))


MUON_SHAPES = [(4, 6), (7, 3), (5, 5)]
MUON_OPTIONS = [
    {},
    dict(lr=0.02, momentum=0.9, nesterov=False),
    dict(lr=0.01, weight_decay=0.0, adjust_lr_fn="match_rms_adamw"),
    dict(lr=0.05, adjust_lr_fn="original", ns_steps=3, ns_coefficients=(2.0, -1.5, 0.5), eps=1e-3),
]


def _muon_run(dtype, options, groups=None, steps=6, seed=0):
    rng = np.random.default_rng(seed)
    starts = [rng.normal(size=shape).astype(dtype) for shape in MUON_SHAPES]
    ours = [dp.tensor(w.copy(), dtype=dtype, requires_grad=True) for w in starts]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in starts]
    if groups is None:
        opt_ours, opt_theirs = optim.Muon(ours, **options), torch.optim.Muon(theirs, **options)
    else:
        opt_ours = optim.Muon([{"params": ours[:2], **groups[0]}, {"params": ours[2:], **groups[1]}], **options)
        opt_theirs = torch.optim.Muon([{"params": theirs[:2], **groups[0]}, {"params": theirs[2:], **groups[1]}],
                                      **options)
    history = []
    for _ in range(steps):
        for a, b in zip(ours, theirs, strict=True):
            g = rng.normal(size=a.shape).astype(dtype)
            a.grad, b.grad = g.copy(), torch.from_numpy(g.copy())
        opt_ours.step()
        opt_theirs.step()
        history.append([(a.data.copy(), b.detach().numpy().copy()) for a, b in zip(ours, theirs, strict=True)])
    return history, starts, opt_ours, opt_theirs


@pytest.mark.parametrize("options", MUON_OPTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_muon_steps_equal_pytorchs_iteration_in_full_precision(muon_in_full_precision, options, dtype):
    history, _, _, _ = _muon_run(dtype, options)
    tolerance = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for step in history:
        for ours, theirs in step:
            assert ours.dtype == dtype
            np.testing.assert_allclose(ours, theirs, **tolerance)


def test_muon_groups_set_differently_equal_pytorchs(muon_in_full_precision):
    groups = [dict(lr=0.03, adjust_lr_fn="match_rms_adamw"), dict(momentum=0.5, weight_decay=0.2)]
    history, _, _, _ = _muon_run(np.float64, dict(lr=0.01), groups)
    for ours, theirs in history[-1]:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("options", MUON_OPTIONS[:3])
def test_muon_agrees_with_pytorchs_bfloat16_iteration_to_its_precision(options):
    """Unpatched, PyTorch rounds the iteration to bfloat16 (8 significant bits): each update agrees
    to a few per cent of its size, and stays far from the update's own size."""
    history, starts, _, _ = _muon_run(np.float32, options, steps=4)
    for (ours, theirs), start in zip(history[-1], starts, strict=True):
        moved = np.abs(theirs - start).max()
        assert moved > 0
        assert np.abs(ours - theirs).max() <= 0.05 * moved


def test_muon_state_dict_resumes_as_pytorchs_run(muon_in_full_precision):
    rng = np.random.default_rng(3)
    w = rng.normal(size=(5, 3))
    grads = [rng.normal(size=(5, 3)) for _ in range(6)]
    a = dp.tensor(w.copy(), dtype=np.float64, requires_grad=True)
    b = torch.tensor(w.copy(), requires_grad=True)
    opt_a, opt_b = optim.Muon([a], lr=0.02), torch.optim.Muon([b], lr=0.02)
    for g in grads[:3]:
        a.grad, b.grad = g.copy(), torch.from_numpy(g.copy())
        opt_a.step()
        opt_b.step()
    ours_saved, theirs_saved = opt_a.state_dict(), opt_b.state_dict()
    assert ours_saved["param_groups"][0].keys() == theirs_saved["param_groups"][0].keys()
    assert ours_saved["state"][0].keys() == theirs_saved["state"][0].keys() == {"momentum_buffer"}
    np.testing.assert_allclose(ours_saved["state"][0]["momentum_buffer"], _numpy(theirs_saved)["state"][0]["momentum_buffer"],
                               rtol=1e-12)
    # PyTorch's state dict, its tensors made arrays, resumes a fresh deltaprop optimizer
    resumed = dp.tensor(a.data.copy(), dtype=np.float64, requires_grad=True)
    opt_resumed = optim.Muon([resumed], lr=0.5)
    opt_resumed.load_state_dict(_numpy(theirs_saved))
    assert opt_resumed.param_groups[0]["lr"] == 0.02
    assert opt_resumed.param_groups[0]["ns_coefficients"] == (3.4445, -4.775, 2.0315)
    for g in grads[3:]:
        resumed.grad, b.grad = g.copy(), torch.from_numpy(g.copy())
        opt_resumed.step()
        opt_b.step()
    np.testing.assert_allclose(resumed.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_muon_refusals_match_pytorchs():
    matrix, vector = dp.zeros(3, 4, requires_grad=True), dp.zeros(4, requires_grad=True)
    with pytest.raises(ValueError):
        torch.optim.Muon([torch.zeros(3, 4, requires_grad=True), torch.zeros(4, requires_grad=True)])
    with pytest.raises(ShapeError, match=r"Muon: the parameter at position 1 of parameter group 0 has shape \(4,\), "
                                         r"and Muon updates matrices \(2-d\) only"):
        optim.Muon([matrix, vector])
    layer = nn.Linear(4, 3)
    with pytest.raises(ShapeError, match="the parameter 'bias' of parameter group 0 has shape"):
        optim.Muon(layer.named_parameters())
    bad = [(dict(lr=-0.1), "lr must be non-negative, got -0.1"),
           (dict(momentum=-1), "momentum must be non-negative"),
           (dict(weight_decay=-0.5), "weight_decay must be non-negative"),
           (dict(adjust_lr_fn="rms"), "adjust_lr_fn must be one of None, 'original', 'match_rms_adamw', got 'rms'"),
           (dict(ns_steps=100), "ns_steps must be below 100, got 100"),
           (dict(ns_coefficients=(1.0, 2.0)), "ns_coefficients must be three numbers")]
    for options, message in bad:
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            optim.Muon([matrix], **options)
    for options, _ in bad[:4]:  # PyTorch refuses these at construction too (the others at its first step)
        with pytest.raises(ValueError):
            torch.optim.Muon([torch.zeros(3, 4, requires_grad=True)], **options)


# -- sparse embedding gradients ------------------------------------------------------------------

BATCHES = [[1, 1, 2, 0], [3, 0, 0], [1, 5, 5], [7], [2, 2, 2, 9], [4, 4], [0]]


def _embeddings(dtype, sparse=True, padding_idx=0, seed=0):
    w = np.random.default_rng(seed).normal(size=(10, 4)).astype(dtype)
    ours = nn.Embedding(10, 4, padding_idx=padding_idx, sparse=sparse, dtype=dtype)
    ours.weight.data[...] = w
    theirs = torch.nn.Embedding(10, 4, padding_idx=padding_idx, sparse=sparse).to(TORCH_DTYPES[dtype])
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(w))
    return ours, theirs


def _targets(dtype, seed=1):
    rng = np.random.default_rng(seed)
    targets = [rng.normal(size=(len(batch), 4)).astype(dtype) for batch in BATCHES]
    # batch 4 picks row 2 three times: its output gradients cancel, and the row is still updated
    targets[4][1] = 0.0
    targets[4][2] = -targets[4][0]
    return targets


def _train(ours, theirs, opt_ours, opt_theirs, dtype, check, backwards=1):
    for batch, target in zip(BATCHES, _targets(dtype), strict=True):
        opt_ours.zero_grad()
        opt_theirs.zero_grad()
        for _ in range(backwards):  # twice: the rows of both gradients add up
            (ours(dp.tensor(batch)) * dp.tensor(target, dtype=dtype)).sum().backward()
            (theirs(torch.tensor(batch)) * torch.from_numpy(target)).sum().backward()
        opt_ours.step()
        opt_theirs.step()
        check(ours.weight.data, theirs.weight.detach().numpy())


def _equal(dtype):
    tolerance = dict(rtol=1e-13, atol=1e-15) if dtype == np.float64 else dict(rtol=1e-6, atol=1e-7)
    return lambda a, b: np.testing.assert_allclose(a, b, **tolerance)


@pytest.mark.parametrize("options", [{}, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, maximize=True)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_adam_trains_an_embedding_as_pytorchs(options, dtype):
    ours, theirs = _embeddings(dtype)
    opt_ours, opt_theirs = optim.SparseAdam(ours.parameters(), **options), torch.optim.SparseAdam(theirs.parameters(),
                                                                                                  **options)
    _train(ours, theirs, opt_ours, opt_theirs, dtype, _equal(dtype))
    # rows never looked up (6, 8) and the padding row kept their values and zero moments
    state = opt_ours.state[ours.weight]
    assert state["step"] == len(BATCHES)
    assert not state["exp_avg"][[0, 6, 8]].any() and not state["exp_avg_sq"][[0, 6, 8]].any()
    theirs_state = _numpy(opt_theirs.state_dict())["state"][0]
    np.testing.assert_allclose(state["exp_avg_sq"], theirs_state["exp_avg_sq"], rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("sweep", ["a hook elsewhere", "anomaly mode"])
def test_sparse_adam_follows_pytorch_in_the_sweep_that_runs_hooks(sweep):
    # While any tensor has a hook, or anomaly mode is on, backward() takes the sweep that runs
    # hooks; its leaves' gradients must keep their rows there too (they once arrived dense, and
    # SparseAdam refused them).
    ours, theirs = _embeddings(np.float64)
    opt_ours, opt_theirs = optim.SparseAdam(ours.parameters(), lr=0.1), torch.optim.SparseAdam(theirs.parameters(),
                                                                                                lr=0.1)
    hooked = dp.ones(2, requires_grad=True)
    handle = hooked.register_hook(lambda g: g)
    try:
        with dp.autograd.detect_anomaly() if sweep == "anomaly mode" else contextlib.nullcontext():
            _train(ours, theirs, opt_ours, opt_theirs, np.float64, _equal(np.float64), backwards=2)
    finally:
        handle.remove()


def test_sparse_adam_with_two_backwards_and_zeroed_gradients_follows_pytorch():
    ours, theirs = _embeddings(np.float64, padding_idx=None)
    opt_ours, opt_theirs = optim.SparseAdam(ours.parameters(), lr=0.1), torch.optim.SparseAdam(theirs.parameters(),
                                                                                                lr=0.1)
    opt_ours.zero_grad = lambda: optim.SparseAdam.zero_grad(opt_ours, set_to_none=False)
    opt_theirs.zero_grad = lambda: torch.optim.SparseAdam.zero_grad(opt_theirs, set_to_none=False)
    _train(ours, theirs, opt_ours, opt_theirs, np.float64, _equal(np.float64), backwards=2)


def test_sparse_adam_state_dict_loads_pytorchs_and_resumes():
    ours, theirs = _embeddings(np.float64)
    opt_theirs = torch.optim.SparseAdam(theirs.parameters(), lr=0.05)
    targets = _targets(np.float64)
    for batch, target in zip(BATCHES[:3], targets[:3]):
        opt_theirs.zero_grad()
        (theirs(torch.tensor(batch)) * torch.from_numpy(target)).sum().backward()
        opt_theirs.step()
    ours.weight.data[...] = theirs.weight.detach().numpy()
    opt_ours = optim.SparseAdam(ours.parameters())
    opt_ours.load_state_dict(_numpy(opt_theirs.state_dict()))
    saved_ours, saved_theirs = opt_ours.state_dict(), opt_theirs.state_dict()
    assert saved_ours["param_groups"] == [{key: list(v) if isinstance(v, tuple) else v
                                           for key, v in saved_theirs["param_groups"][0].items()}]
    assert saved_ours["state"][0]["step"] == saved_theirs["state"][0]["step"] == 3
    for batch, target in zip(BATCHES[3:], targets[3:]):
        opt_ours.zero_grad()
        opt_theirs.zero_grad()
        (ours(dp.tensor(batch)) * dp.tensor(target, dtype=np.float64)).sum().backward()
        (theirs(torch.tensor(batch)) * torch.from_numpy(target)).sum().backward()
        opt_ours.step()
        opt_theirs.step()
    _equal(np.float64)(ours.weight.data, theirs.weight.detach().numpy())


def test_sparse_adam_refuses_a_dense_gradient_naming_the_parameter():
    model = nn.Sequential(nn.Embedding(5, 3, sparse=True), nn.Linear(3, 2))
    opt = optim.SparseAdam(model.named_parameters())
    model(dp.tensor([1, 2])).sum().backward()
    before = model[0].weight.data.copy()
    with pytest.raises(GradError, match=r"SparseAdam: the parameter '1.weight' \(shape \(2, 3\)\) has a dense "
                                        r"gradient.*optimize it with Adam"):
        opt.step()
    np.testing.assert_array_equal(model[0].weight.data, before)  # nothing moved
    reference = torch.nn.Sequential(torch.nn.Embedding(5, 3, sparse=True), torch.nn.Linear(3, 2))
    opt_theirs = torch.optim.SparseAdam(reference.parameters())
    reference(torch.tensor([1, 2])).sum().backward()
    with pytest.raises(RuntimeError):  # GradError is a RuntimeError, as PyTorch's
        opt_theirs.step()
    unnamed = optim.SparseAdam([dp.tensor(np.ones(3), requires_grad=True)])
    unnamed.param_groups[0]["params"][0].grad = np.ones(3)
    with pytest.raises(GradError, match="the parameter at position 0 of parameter group 0"):
        unnamed.step()
    with pytest.raises(ConfigError, match=r"SparseAdam: betas\[1\] must be in \[0, 1\), got 1.0"):
        optim.SparseAdam(model.parameters(), betas=(0.9, 1.0))
    with pytest.raises(ValueError):
        torch.optim.SparseAdam(reference.parameters(), betas=(0.9, 1.0))


@pytest.mark.parametrize("name, options", [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9)),
                                           ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
                                           ("Adagrad", dict(lr=0.1)), ("Adagrad", dict(lr=0.1, lr_decay=0.01))])
def test_sgd_and_adagrad_on_sparse_gradients_equal_pytorchs(name, options):
    ours, theirs = _embeddings(np.float64)
    _train(ours, theirs, getattr(optim, name)(ours.parameters(), **options),
           getattr(torch.optim, name)(theirs.parameters(), **options), np.float64, _equal(np.float64))


def test_adam_reads_a_sparse_gradient_as_the_dense_one_pytorch_would_refuse():
    """PyTorch's Adam refuses sparse gradients; deltaprop's takes the same dense array a
    sparse=False embedding gives, so it equals PyTorch's Adam on a dense embedding."""
    ours, _ = _embeddings(np.float64, sparse=True)
    _, theirs = _embeddings(np.float64, sparse=False)
    _train(ours, theirs, optim.Adam(ours.parameters(), lr=0.1), torch.optim.Adam(theirs.parameters(), lr=0.1),
           np.float64, _equal(np.float64))
    _, refused = _embeddings(np.float64, sparse=True)
    refused(torch.tensor([1])).sum().backward()
    with pytest.raises(RuntimeError, match="sparse"):
        torch.optim.Adam(refused.parameters()).step()


def test_sparse_embedding_gradient_lists_its_rows_and_is_the_dense_gradient():
    table = nn.Embedding(6, 2, padding_idx=1, sparse=True)
    dense = nn.Embedding(6, 2, padding_idx=1, _weight=table.weight.data.copy())
    assert repr(table) == repr(torch.nn.Embedding(6, 2, padding_idx=1, sparse=True)) == \
        "Embedding(6, 2, padding_idx=1, sparse=True)"
    for layer in (table, dense):
        layer(dp.tensor([[4, 1, 4], [0, 1, 1]])).sum().backward()
    g = table.weight.grad
    assert type(g) is RowGradient and g.rows.tolist() == [0, 4]  # padding left out, each row once
    np.testing.assert_array_equal(g, dense.weight.grad)
    theirs = torch.nn.Embedding(6, 2, padding_idx=1, sparse=True)
    theirs(torch.tensor([[4, 1, 4], [0, 1, 1]])).sum().backward()
    assert theirs.weight.grad.coalesce().indices()[0].tolist() == g.rows.tolist()
    g *= 0.5  # scaled in place (gradient clipping): still the rows' gradient
    assert table.weight.grad is g and g.rows.tolist() == [0, 4]
    assert type(g * 2) is np.ndarray and type(g[:2]) is not RowGradient or g[:2].rows is None
    # a second backward adds its rows; a table shared with a dense use gets a dense gradient, as in PyTorch
    table(dp.tensor([5])).sum().backward()
    assert table.weight.grad.rows.tolist() == [0, 4, 5]
    (table(dp.tensor([2])).sum() + (table.weight * 1.0).sum()).backward()
    assert type(table.weight.grad) is np.ndarray
    functional = dp.tensor(np.ones((3, 2)), requires_grad=True)
    dp.nn.functional.embedding(dp.tensor([2, 2]), functional, sparse=True).sum().backward()
    assert functional.grad.rows.tolist() == [2] and functional.grad[2].tolist() == [2.0, 2.0]
    with pytest.raises(ConfigError, match="sparse must be True or False"):
        nn.Embedding(3, 2, sparse="yes")
    with pytest.raises(ConfigError, match="EmbeddingBag: sparse must be True or False"):
        nn.EmbeddingBag(3, 2, sparse="yes")


# -- (name, parameter) pairs -----------------------------------------------------------------------

NAMED_CASES = [("SGD", {}), ("Adam", {}), ("AdamW", {}), ("NAdam", {}), ("RAdam", {}), ("Adamax", {}),
               ("RMSprop", {}), ("Adagrad", {}), ("Adadelta", {}), ("Rprop", {}), ("ASGD", {}), ("Adafactor", {}),
               ("LBFGS", {}), ("Muon", {}), ("SparseAdam", {})]


@pytest.mark.parametrize("name, options", NAMED_CASES)
def test_named_parameters_give_pytorchs_state_dict_for_every_optimizer(name, options):
    if name in ("Muon", "SparseAdam"):
        make_ours = lambda: nn.Sequential(nn.Linear(3, 4, bias=False), nn.Linear(4, 2, bias=False))  # noqa: E731
        make_theirs = lambda: torch.nn.Sequential(torch.nn.Linear(3, 4, bias=False),  # noqa: E731
                                                  torch.nn.Linear(4, 2, bias=False))
    else:
        make_ours = lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))  # noqa: E731
        make_theirs = lambda: torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),  # noqa: E731
                                                  torch.nn.Linear(4, 2))
    ours = getattr(optim, name)(make_ours().named_parameters(), **options)
    theirs = getattr(torch.optim, name)(make_theirs().named_parameters(), **options)
    saved_ours, saved_theirs = ours.state_dict(), theirs.state_dict()
    assert len(saved_ours["param_groups"]) == len(saved_theirs["param_groups"]) == 1
    group_ours, group_theirs = saved_ours["param_groups"][0], saved_theirs["param_groups"][0]
    assert group_ours["param_names"] == group_theirs["param_names"]
    assert group_ours["params"] == group_theirs["params"]
    assert set(group_ours) == set(group_theirs)
