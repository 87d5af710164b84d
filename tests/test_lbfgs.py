"""LBFGS without a reference framework: it solves Rosenbrock's valley, a run resumed from its state
dict goes on bitwise, bad options and damaged states are refused in one sentence, and step() needs
a closure. (tests/reference/test_torch_lbfgs.py compares its iterates with PyTorch's.)"""

import json

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.errors import ConfigError, ModelFileError, ShapeError


def _rosenbrock(point):
    x, y = point[0], point[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _closure(optimizer, loss_fn):
    def closure():
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rosenbrock_is_solved_with_the_strong_wolfe_search(dtype):
    point = nn.Parameter(np.array([-1.5, 2.0], dtype=dtype))
    tight = dict(tolerance_grad=1e-12, tolerance_change=1e-15) if dtype == np.float64 else {}
    optimizer = optim.LBFGS([point], max_iter=50, line_search_fn="strong_wolfe", **tight)
    closure = _closure(optimizer, lambda: _rosenbrock(point))
    for _ in range(5):
        optimizer.step(closure)
    tolerance = 1e-8 if dtype == np.float64 else 1e-3
    np.testing.assert_allclose(point.data, [1.0, 1.0], atol=tolerance)
    assert point.data.dtype == dtype
    assert optimizer.state[point]["func_evals"] < 250


def test_rosenbrock_is_solved_with_a_fixed_step():
    point = nn.Parameter(np.array([-1.2, 1.0]))
    optimizer = optim.LBFGS([point], lr=0.1, max_iter=100, history_size=10)
    closure = _closure(optimizer, lambda: _rosenbrock(point))
    first = optimizer.step(closure).item()
    for _ in range(30):
        optimizer.step(closure)
    assert _rosenbrock(point).item() < 1e-6 * first
    np.testing.assert_allclose(point.data, [1.0, 1.0], atol=1e-3)


def _problem(seed=0):
    dp.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 6, dtype=np.float64), nn.Tanh(), nn.Linear(6, 2, dtype=np.float64))
    rng = np.random.default_rng(2)
    x, y = dp.tensor(rng.normal(size=(10, 3)), dtype=np.float64), dp.tensor(rng.normal(size=(10, 2)), dtype=np.float64)
    return model, lambda: nn.MSELoss()(model(x), y)


def _through_storage(state):
    arrays = []

    def strip(value):
        if isinstance(value, np.ndarray):
            arrays.append(value.copy())
            return {"__array__": len(arrays) - 1}
        if isinstance(value, dict):
            return {key: strip(item) for key, item in value.items()}
        return [strip(item) for item in value] if isinstance(value, list) else value

    def restore(value):
        if isinstance(value, dict):
            return arrays[value["__array__"]] if set(value) == {"__array__"} else {k: restore(v) for k, v in value.items()}
        return [restore(item) for item in value] if isinstance(value, list) else value

    return restore(json.loads(json.dumps(strip(state))))


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_a_resumed_run_goes_on_bitwise(line_search_fn):
    options = dict(lr=0.5 if line_search_fn is None else 1, max_iter=4, history_size=3, line_search_fn=line_search_fn)
    straight, loss = _problem()
    optimizer = optim.LBFGS(straight.parameters(), **options)
    for _ in range(6):
        optimizer.step(_closure(optimizer, loss))

    first, loss = _problem()
    optimizer = optim.LBFGS(first.parameters(), **options)
    for _ in range(3):
        optimizer.step(_closure(optimizer, loss))
    saved_model, saved = first.state_dict(), _through_storage(optimizer.state_dict())
    assert len(saved["state"]["0"]["old_dirs"]) == 3  # the history is full, and it travels
    assert set(saved["state"]) == {"0"}  # PyTorch's layout: the state lives with the first parameter

    resumed, loss = _problem(seed=7)
    resumed.load_state_dict(saved_model)
    optimizer = optim.LBFGS(resumed.parameters(), lr=0.01)
    optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["line_search_fn"] == line_search_fn
    for _ in range(3):
        optimizer.step(_closure(optimizer, loss))
    for (name, expected), actual in zip(straight.named_parameters(), resumed.parameters(), strict=True):
        assert np.array_equal(actual.data, expected.data), name


def test_the_history_keeps_history_size_pairs():
    model, loss = _problem()
    optimizer = optim.LBFGS(model.parameters(), lr=0.5, max_iter=10, history_size=4)
    optimizer.step(_closure(optimizer, loss))
    state = optimizer.state[next(model.parameters())]
    assert len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) == 4
    size = sum(p.data.size for p in model.parameters())
    assert state["d"].shape == state["prev_flat_grad"].shape == (size,)
    assert state["n_iter"] == 10 and state["func_evals"] == 10  # the last iteration leaves its evaluation


def test_a_stationary_start_takes_no_step():
    p = nn.Parameter(np.array([1.0, 1.0]))
    optimizer = optim.LBFGS([p])
    optimizer.step(_closure(optimizer, lambda: _rosenbrock(p)))
    assert np.array_equal(p.data, [1.0, 1.0])
    assert optimizer.state[p] == {"func_evals": 1, "n_iter": 0}
    fresh = optim.LBFGS([nn.Parameter(np.zeros(2))])
    fresh.load_state_dict(_through_storage(optimizer.state_dict()))  # a state before any iteration loads


def _params():
    return [nn.Parameter(np.zeros(3))]


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: optim.LBFGS(_params(), lr=-1), r"LBFGS: lr must be non-negative, got -1"),
        (lambda: optim.LBFGS(_params(), max_iter=0), r"LBFGS: max_iter must be a positive integer, got 0"),
        (lambda: optim.LBFGS(_params(), max_iter=2.5), r"LBFGS: max_iter must be a positive integer, got 2.5"),
        (lambda: optim.LBFGS(_params(), max_eval=0), r"LBFGS: max_eval must be a positive integer, got 0"),
        (lambda: optim.LBFGS(_params(), history_size=0), r"LBFGS: history_size must be a positive integer, got 0"),
        (lambda: optim.LBFGS(_params(), tolerance_grad=-1e-7), r"LBFGS: tolerance_grad must be non-negative, got -1e-07"),
        (lambda: optim.LBFGS(_params(), tolerance_change=float("nan")), r"LBFGS: tolerance_change must be non-negative"),
        (
            lambda: optim.LBFGS(_params(), line_search_fn="armijo"),
            r"LBFGS: line_search_fn must be one of None, 'strong_wolfe', got 'armijo'",
        ),
        (
            lambda: optim.LBFGS([{"params": _params()}, {"params": _params()}]),
            r"LBFGS: takes a single parameter group \(it has no per-parameter options\)",
        ),
        (
            lambda: optim.LBFGS([nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2, dtype=np.float32))]),
            r"LBFGS: all parameters must share one floating-point dtype .*, got float32 and float64",
        ),
    ],
)
def test_impossible_options_are_refused_in_one_sentence(build, match):
    with pytest.raises(ConfigError, match=match) as raised:
        build()
    assert isinstance(raised.value, ValueError)


def test_step_needs_a_closure():
    optimizer = optim.LBFGS(_params())
    with pytest.raises(TypeError, match=r"LBFGS: step\(\) needs a closure that recomputes the loss"):
        optimizer.step()


def _saved_after_two_steps():
    model, loss = _problem()
    optimizer = optim.LBFGS(model.parameters(), max_iter=3)
    for _ in range(2):
        optimizer.step(_closure(optimizer, loss))
    return model, optimizer.state_dict()


@pytest.mark.parametrize(
    "damage, error, match",
    [
        (lambda s: s.update(d=np.zeros(5)), ShapeError, r"state 'd' of parameter 0 has shape \(5,\), expected \(38,\)"),
        (lambda s: s["old_stps"].pop(), ModelFileError, r"has 3 'old_dirs', 2 'old_stps' and 3 'ro'"),
        (lambda s: s.pop("prev_flat_grad"), ModelFileError, r"lacks 'prev_flat_grad'"),
        (lambda s: s.update(n_iter=-1), ModelFileError, r"no valid count 'n_iter'"),
        (lambda s: s.update(H_diag="1"), ModelFileError, r"needs numbers 't', 'H_diag'"),
        (lambda s: s.update(old_dirs=np.zeros(38)), ModelFileError, r"'old_dirs' of parameter 0 is not a list of vectors"),
    ],
)
def test_a_damaged_state_is_refused_at_load_and_changes_nothing(damage, error, match):
    model, saved = _saved_after_two_steps()
    damage(saved["state"][0])
    optimizer = optim.LBFGS(model.parameters())
    with pytest.raises(error, match=match):
        optimizer.load_state_dict(saved)
    assert optimizer.state == {}


def test_fit_refuses_lbfgs_in_one_sentence():
    from deltaprop import fit

    model, _ = _problem()
    x, y = np.zeros((4, 3)), np.zeros((4, 2))
    with pytest.raises(TypeError, match=r"LBFGS: step\(\) needs a closure .* \(fit\(\) cannot drive LBFGS"):
        fit(model, x, y, loss="mse", optimizer=optim.LBFGS(model.parameters()), epochs=1, verbose=0)
