"""0-d (scalar) parameters, such as a learnable temperature, without a reference framework: their
``.grad`` and every gradient the sweeps pass on is an ndarray of shape () in the parameter's dtype,
however many paths it arrives by (NumPy arithmetic on 0-d arrays gives NumPy scalars, which an
in-place update cannot change); the values by hand and by central differences; every optimizer
steps such a parameter in place and keeps its state as arrays. The trajectories against PyTorch's
are in reference/test_torch_scalar_parameters.py.
"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.autograd import Function


def _scalar(value: float = 2.0, dtype=np.float64) -> nn.Parameter:
    return nn.Parameter(dp.tensor(np.array(value), dtype=dtype))


def _assert_scalar_array(g, dtype, expected: float) -> None:
    assert type(g) is np.ndarray, f"a gradient of type {type(g).__name__}, not an ndarray"
    assert g.shape == ()
    assert g.dtype == dtype
    assert float(g) == pytest.approx(expected, rel=1e-6)


# Graphs in which the gradient of p arrives by one, two and three paths, with dL/dp at p = 2.
PATHS = {
    "one-path": (lambda p: p * 3.0, lambda p: 3.0),
    "two-paths": (lambda p: (p - 3.0) * p, lambda p: 2 * p - 3.0),
    "three-paths": (lambda p: (p * p) * (p + 1.0), lambda p: 3 * p**2 + 2 * p),
    "interior-twice": (lambda p: (p * 2.0 - 1.0) * (p * 2.0), lambda p: 8 * p - 2.0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("graph", sorted(PATHS))
def test_grad_is_a_0d_array_of_the_parameters_dtype(graph, dtype):
    forward, derivative = PATHS[graph]
    p = _scalar(2.0, dtype)
    forward(p).backward()
    _assert_scalar_array(p.grad, dtype, derivative(2.0))


@pytest.mark.parametrize("graph", sorted(PATHS))
def test_grad_matches_central_differences(graph):
    forward, _ = PATHS[graph]
    p = _scalar(0.7)
    forward(p).backward()
    eps = 1e-6
    def f(value: float) -> float:
        return forward(dp.tensor(np.array(value), dtype=np.float64)).item()

    numeric = (f(0.7 + eps) - f(0.7 - eps)) / (2 * eps)
    _assert_scalar_array(p.grad, np.float64, numeric)


def test_grad_accumulates_over_two_backward_calls_as_an_array():
    p = _scalar(2.0)
    (p * 3.0).backward()  # one path: 3
    ((p - 3.0) * p).backward()  # two paths: 2p − 3 = 1
    _assert_scalar_array(p.grad, np.float64, 4.0)
    ((p - 3.0) * p).backward()
    _assert_scalar_array(p.grad, np.float64, 5.0)


@pytest.mark.parametrize("owner", ["optimizer", "module"])
def test_zero_grad_keeping_arrays_then_backward(owner):
    layer = nn.Module()
    layer.temperature = _scalar(2.0)
    p = layer.temperature
    zero_grad = optim.SGD([p], lr=0.1).zero_grad if owner == "optimizer" else layer.zero_grad
    ((p - 3.0) * p).backward()
    zero_grad(set_to_none=False)
    _assert_scalar_array(p.grad, np.float64, 0.0)
    (p * p).backward()  # two paths: 2p = 4, added to the zeros
    _assert_scalar_array(p.grad, np.float64, 4.0)
    zero_grad(set_to_none=False)
    _assert_scalar_array(p.grad, np.float64, 0.0)


def test_a_retained_interior_gradient_is_an_array():
    p = _scalar(2.0)
    h = p * 2.0
    h.retain_grad()
    loss = (h - 1.0) * h  # h = 4 reached twice: dL/dh = 2h − 1 = 7
    loss.backward()
    _assert_scalar_array(h.grad, np.float64, 7.0)
    loss.backward()  # retained gradients accumulate too
    _assert_scalar_array(h.grad, np.float64, 14.0)
    _assert_scalar_array(p.grad, np.float64, 28.0)


class _Probe(Function):
    """The identity, noting the type of the gradient array its backward is handed."""

    seen: list = []

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        _Probe.seen.append(type(grad.data))
        return grad


@pytest.mark.parametrize("sweep", ["backward", "backward-with-hooks", "autograd.grad"])
def test_rules_get_arrays_when_a_0d_gradient_arrives_by_two_paths(sweep):
    _Probe.seen = []
    p = _scalar(2.0)
    z = _Probe.apply(p * 2.0)  # z = 4
    loss = (z - 1.0) * z  # z's pending gradient is a sum: 2z − 1 = 7
    if sweep == "autograd.grad":
        (g,) = dp.autograd.grad(loss, [p])
        _assert_scalar_array(g.data, np.float64, 14.0)
    else:
        hooked = []
        if sweep == "backward-with-hooks":
            z.register_hook(lambda grad: hooked.append(grad.data))
        loss.backward()
        _assert_scalar_array(p.grad, np.float64, 14.0)
        if hooked:
            _assert_scalar_array(hooked[0], np.float64, 7.0)
    assert _Probe.seen == [np.ndarray]


def test_a_hooked_leaf_reached_by_two_paths_gets_an_array():
    p = _scalar(2.0)
    hooked = []
    p.register_hook(lambda grad: hooked.append(grad.data))
    ((p - 3.0) * p).backward()
    _assert_scalar_array(hooked[0], np.float64, 1.0)
    _assert_scalar_array(p.grad, np.float64, 1.0)


OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.05, momentum=0.5, nesterov=True, weight_decay=0.01),
    "Adam": lambda params: optim.Adam(params, lr=0.1, amsgrad=True, weight_decay=0.01),
    "AdamW": lambda params: optim.AdamW(params, lr=0.1),
    "NAdam": lambda params: optim.NAdam(params, lr=0.1, weight_decay=0.01),
    "RAdam": lambda params: optim.RAdam(params, lr=0.1, weight_decay=0.01),
    "Adamax": lambda params: optim.Adamax(params, lr=0.1, weight_decay=0.01),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True, weight_decay=0.01),
    "Adagrad": lambda params: optim.Adagrad(params, lr=0.1, weight_decay=0.01),
    "Adadelta": lambda params: optim.Adadelta(params, lr=1.0, weight_decay=0.01),
    "Rprop": lambda params: optim.Rprop(params, lr=0.01),
    "ASGD": lambda params: optim.ASGD(params, lr=0.05, t0=1, weight_decay=0.01),
    "Adafactor": lambda params: optim.Adafactor(params, lr=0.05, weight_decay=0.01),
}


def test_every_optimizer_is_covered():
    names = {name for name in optim.__all__ if name not in ("Optimizer", "lr_scheduler", "LBFGS", "Muon", "SparseAdam")}
    assert names == set(OPTIMIZERS)  # (LBFGS, which takes a closure, has its own test)
    # (Muon takes matrices only, SparseAdam a table's rows: tests/reference/test_torch_optim_muon_sparse.py)


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_0d_parameter_steps_in_place_towards_the_minimum(name, maximize):
    """(p − 3)·p is least at p = 1.5 (most, with maximize, of −(p − 3)·p); from p = 0.5 every step
    moves p up and the loss down, in p's own array, and the state stays arrays of shape ()."""
    p = _scalar(0.5)
    array = p.data
    optimizer = OPTIMIZERS[name]([p])
    for group in optimizer.param_groups:
        group["maximize"] = maximize
    sign = -1.0 if maximize else 1.0
    values = [0.5]
    for _ in range(5):
        optimizer.zero_grad()
        (((p - 3.0) * p) * sign).backward()
        optimizer.step()
        values.append(p.item())
    assert p.data is array and array.shape == ()
    assert all(later > earlier for earlier, later in zip(values, values[1:])), values
    assert values[-1] < 1.6
    for field, value in optimizer.state[p].items():
        if type(value) not in (int, float):  # (a step count, ASGD's η and μ, NAdam's product of momenta)
            assert type(value) is np.ndarray and value.shape == (), f"{name}: state {field!r} is {value!r}"


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_hand_set_numpy_scalar_grad_steps_as_a_0d_array_does(name):
    """``p.grad = np.float64(...)``, a user's own assignment, is read, never written: the step and
    the state are those of the same gradient as a 0-d array."""
    scalar_grad, array_grad = _scalar(0.5), _scalar(0.5)
    first, second = OPTIMIZERS[name]([scalar_grad]), OPTIMIZERS[name]([array_grad])
    for g in (-2.0, -1.5, 0.5):
        scalar_grad.grad, array_grad.grad = np.float64(g), np.array(g)
        first.step()
        second.step()
        assert scalar_grad.item() == pytest.approx(array_grad.item(), rel=1e-15, abs=1e-15)
    assert scalar_grad.item() != 0.5
    for field, value in first.state[scalar_grad].items():
        if type(value) not in (int, float):
            assert type(value) is np.ndarray and value.shape == (), f"{name}: state {field!r} is {value!r}"
            assert float(value) == pytest.approx(float(second.state[array_grad][field]), rel=1e-15, abs=1e-15)


def test_sgd_momentum_by_hand_on_a_0d_parameter():
    """b₁ = g₁, b₂ = μb₁ + g₂: the buffer must stay the same array (a NumPy scalar there made
    ``b *= μ`` rebind a local, and every step after the first ignored the momentum)."""
    p = _scalar(1.0)
    optimizer = optim.SGD([p], lr=0.1, momentum=0.9)
    ((p - 3.0) * p).backward()  # g₁ = 2p − 3 = −1
    optimizer.step()  # b = −1, p = 1.1
    buffer = optimizer.state[p]["momentum_buffer"]
    optimizer.zero_grad()
    ((p - 3.0) * p).backward()  # g₂ = −0.8
    optimizer.step()  # b = −0.9 − 0.8 = −1.7, p = 1.1 + 0.17 = 1.27
    assert optimizer.state[p]["momentum_buffer"] is buffer
    assert float(buffer) == pytest.approx(-1.7, rel=1e-12)
    assert p.item() == pytest.approx(1.27, rel=1e-12)


def test_lbfgs_finds_the_minimum_of_a_0d_parameter():
    p = _scalar(0.5)
    optimizer = optim.LBFGS([p], lr=1.0, max_iter=20, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = (p - 3.0) * p
        loss.backward()
        return loss

    optimizer.step(closure)
    assert p.data.shape == () and type(p.grad) is np.ndarray
    assert p.item() == pytest.approx(1.5, abs=1e-6)


@pytest.mark.parametrize("clip", ["norm", "value"])
def test_clipping_replaces_a_hand_set_numpy_scalar_grad_with_a_clipped_array(clip):
    p = _scalar(2.0)
    p.grad = np.float64(4.0)  # what .grad used to be after two paths, or a user's own assignment
    if clip == "norm":
        total = nn.utils.clip_grad_norm_([p], 1.0)
        assert total.item() == pytest.approx(4.0)
        expected = 4.0 / (4.0 + 1e-6)
    else:
        nn.utils.clip_grad_value_([p], 1.0)
        expected = 1.0
    _assert_scalar_array(p.grad, np.float64, expected)
