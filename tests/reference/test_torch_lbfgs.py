"""LBFGS against PyTorch 2.13's: the same iterates on a quadratic and on a small network.

Both frameworks start from the same parameters (a 2×3 matrix and a 3-vector, flattened together
by the optimizer; or the weights of Linear(4, 8) - Tanh - Linear(8, 3)) and take the same
``step(closure)`` calls, with and without the strong Wolfe line search. After every step the
parameters, the loss, the counters and the length of the history must agree: to 1e-10 in float64
for the quadratic (convex: rounding differences do not grow), to 1e-8 for the network over a few
iterations per step (its rounding differences grow with every iteration), and a float32 run on the
quadratic must stay close.
"""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn, optim  # noqa: E402



def _quadratic(dtype):
    """f(x) = ½‖A·x − b‖² + ½·0.1‖x‖² over x = [vec W; v], in both frameworks, same start."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(12, 9)), rng.normal(size=12)
    start_w, start_v = rng.normal(size=(2, 3)), rng.normal(size=3)
    ours = [nn.Parameter(start_w.astype(dtype)), nn.Parameter(start_v.astype(dtype))]
    theirs = [torch.tensor(start_w.astype(dtype), requires_grad=True), torch.tensor(start_v.astype(dtype), requires_grad=True)]
    a_ours, b_ours = dp.tensor(a, dtype=dtype), dp.tensor(b, dtype=dtype)
    a_theirs, b_theirs = torch.from_numpy(a.astype(dtype)), torch.from_numpy(b.astype(dtype))

    def loss_ours():
        x = dp.cat([ours[0].reshape(-1), ours[1]])
        r = a_ours @ x - b_ours
        return 0.5 * (r * r).sum() + 0.05 * (x * x).sum()

    def loss_theirs():
        x = torch.cat([theirs[0].reshape(-1), theirs[1]])
        r = a_theirs @ x - b_theirs
        return 0.5 * (r * r).sum() + 0.05 * (x * x).sum()

    return ours, theirs, loss_ours, loss_theirs


def _network():
    dp.manual_seed(0)
    ours = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.Tanh(), nn.Linear(8, 3, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for p_theirs, p_ours in zip(theirs.parameters(), ours.parameters(), strict=True):
            p_theirs.copy_(torch.from_numpy(p_ours.data.copy()))
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 4)), rng.normal(size=(16, 3))
    x_ours, y_ours = dp.tensor(x, dtype=np.float64), dp.tensor(y, dtype=np.float64)
    x_theirs, y_theirs = torch.from_numpy(x), torch.from_numpy(y)
    return (
        list(ours.parameters()), list(theirs.parameters()),
        lambda: nn.MSELoss()(ours(x_ours), y_ours), lambda: torch.nn.MSELoss()(theirs(x_theirs), y_theirs),
    )


def _through_storage(state: dict):
    """A checkpoint's round trip: arrays into a flat dict, everything else through JSON."""
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


def _closure(optimizer, loss_fn):
    def closure():
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    return closure


def _compare(problem, options, steps, tolerance):
    ours, theirs, loss_ours, loss_theirs = problem
    opt_ours, opt_theirs = optim.LBFGS(ours, **options), torch.optim.LBFGS(theirs, **options)
    closure_ours, closure_theirs = _closure(opt_ours, loss_ours), _closure(opt_theirs, loss_theirs)
    start = [p.data.copy() for p in ours]
    losses = []
    for step in range(steps):
        value_ours = opt_ours.step(closure_ours)
        value_theirs = opt_theirs.step(closure_theirs)
        assert value_ours.item() == pytest.approx(value_theirs.item(), rel=tolerance, abs=tolerance)
        for i, (p_ours, p_theirs) in enumerate(zip(ours, theirs, strict=True)):
            np.testing.assert_allclose(p_ours.data, p_theirs.detach().numpy(), rtol=tolerance, atol=tolerance,
                                       err_msg=f"parameter {i} after step {step + 1}")
        state_ours, state_theirs = opt_ours.state[ours[0]], opt_theirs.state[theirs[0]]
        assert state_ours["func_evals"] == int(state_theirs["func_evals"])
        assert state_ours["n_iter"] == int(state_theirs["n_iter"])
        assert len(state_ours["old_dirs"]) == len(state_theirs["old_dirs"])
        assert state_ours["t"] == pytest.approx(float(state_theirs["t"]), rel=tolerance * 100, abs=tolerance)
        losses.append(value_ours.item())
    moved = max(float(np.abs(p.data - s).max()) for p, s in zip(ours, start))
    assert moved > 1e-2, "the parameters barely moved, so the comparison proved little"
    return losses


QUADRATIC_CASES = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"lr": 0.3, "max_iter": 3, "history_size": 2},
    {"lr": 0.8, "max_iter": 4, "history_size": 3, "line_search_fn": "strong_wolfe"},
    {"max_iter": 7, "max_eval": 9, "line_search_fn": "strong_wolfe", "tolerance_change": 1e-12},
]


@pytest.mark.parametrize("options", QUADRATIC_CASES, ids=[str(case) for case in QUADRATIC_CASES])
def test_the_iterates_on_a_quadratic_are_pytorchs(options, torch_float64):
    _compare(_quadratic(np.float64), options, steps=4, tolerance=1e-10)


NETWORK_CASES = [
    {"lr": 0.5, "max_iter": 5, "history_size": 4},
    {"max_iter": 5, "line_search_fn": "strong_wolfe"},
    {"lr": 0.7, "max_iter": 4, "history_size": 2, "line_search_fn": "strong_wolfe"},
]


@pytest.mark.parametrize("options", NETWORK_CASES, ids=[str(case) for case in NETWORK_CASES])
def test_the_iterates_on_a_small_network_are_pytorchs(options, torch_float64):
    losses = _compare(_network(), options, steps=4, tolerance=1e-8)
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_a_float32_run_on_a_quadratic_stays_close(line_search_fn):
    ours, theirs, loss_ours, loss_theirs = _quadratic(np.float32)
    opt_ours = optim.LBFGS(ours, lr=0.5 if line_search_fn is None else 1, max_iter=5, line_search_fn=line_search_fn)
    opt_theirs = torch.optim.LBFGS(theirs, lr=0.5 if line_search_fn is None else 1, max_iter=5,
                                   line_search_fn=line_search_fn)
    for _ in range(3):
        opt_ours.step(_closure(opt_ours, loss_ours))
        opt_theirs.step(_closure(opt_theirs, loss_theirs))
    for p_ours, p_theirs in zip(ours, theirs, strict=True):
        assert p_ours.data.dtype == np.float32
        np.testing.assert_allclose(p_ours.data, p_theirs.detach().numpy(), rtol=1e-4, atol=1e-4)
    state = opt_ours.state[ours[0]]
    assert state["d"].dtype == np.float32 and all(s.dtype == np.float32 for s in state["old_stps"])


def test_a_run_resumed_from_its_state_dict_goes_on_as_pytorchs(torch_float64):
    ours, theirs, loss_ours, loss_theirs = _quadratic(np.float64)
    options = {"max_iter": 3, "history_size": 4, "line_search_fn": "strong_wolfe"}
    opt_ours, opt_theirs = optim.LBFGS(ours, **options), torch.optim.LBFGS(theirs, **options)
    for _ in range(2):
        opt_ours.step(_closure(opt_ours, loss_ours))
        opt_theirs.step(_closure(opt_theirs, loss_theirs))
    saved = _through_storage(opt_ours.state_dict())
    resumed_ours, _, resumed_loss, _ = _quadratic(np.float64)
    for p, q in zip(resumed_ours, ours):
        p.data[...] = q.data
    opt_resumed = optim.LBFGS(resumed_ours, lr=0.1)  # the options come from the state
    opt_resumed.load_state_dict(saved)
    for step in range(3):
        opt_resumed.step(_closure(opt_resumed, resumed_loss))
        opt_theirs.step(_closure(opt_theirs, loss_theirs))
        for p_ours, p_theirs in zip(resumed_ours, theirs, strict=True):
            np.testing.assert_allclose(p_ours.data, p_theirs.detach().numpy(), rtol=1e-10, atol=1e-10,
                                       err_msg=f"after resumed step {step + 1}")


# -- the line search on its own, and on a narrow valley ----------------------------------------------


def _rosenbrock_numpy(x):
    f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    g = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])
    return float(f), g


def _ripple(k, a):
    """A quartic with a ripple a·sin(k·x₀): minima along a line are hard to bracket from a poor guess."""

    def function(x):
        f = np.sum(x**4) - 3 * np.sum(x**2) + a * np.sin(k * x[0]) + 0.5 * x[1]
        g = 4 * x**3 - 6 * x + np.array([a * k * np.cos(k * x[0]), 0.5])
        return float(f), g

    return function


_wiggly_numpy = _ripple(5, 1.0)

# (function, start, initial step): found by searching for searches that reach the rare branches,
# a trial nudged inside the interval after two near its ends, and a loss that stops falling
# while the bracketing phase extrapolates
RARE_BRANCH_CASES = [
    (_ripple(5, 2.0), (0.3, 0.1), 0.01),
    (_ripple(15, 1.0), (-1.6, 0.0), 1.0),
    (_ripple(5, 1.0), (1.7, -0.7), 0.01),
]
GRID_CASES = [
    (function, start, initial_t)
    for function in (_rosenbrock_numpy, _wiggly_numpy)
    for start in [(-1.2, 1.0), (0.3, -0.8), (2.0, 2.0)]
    for initial_t in [1e-4, 1e-2, 0.3, 1.0, 30.0]
]


@pytest.mark.parametrize("function, start, initial_t", GRID_CASES + RARE_BRANCH_CASES)
def test_the_line_search_takes_pytorchs_trials(function, start, initial_t, torch_float64):
    _compare_searches(function, start, initial_t, max_trials=25)


@pytest.mark.parametrize("max_trials", [1, 2, 3])
def test_a_search_out_of_trials_ends_as_pytorchs(max_trials, torch_float64):
    # still extrapolating when the trials run out: the better of the start and the last trial
    _compare_searches(_wiggly_numpy, (0.3, -0.8), 1e-4, max_trials)


def _compare_searches(function, start, initial_t, max_trials):
    # From a tiny first guess the search extrapolates (cubic steps, at most ten times the last);
    # from a long one it zooms (with the nudge away from an end of the interval): every trial
    # must be PyTorch's, so the step, the loss there and the count of evaluations are its too.
    from torch.optim.lbfgs import _strong_wolfe

    from deltaprop.optim.line_search import strong_wolfe

    x0 = np.array(start)
    f0, g0 = function(x0)
    d = -g0
    trials_ours, trials_theirs = [], []

    def evaluate(t):
        trials_ours.append(t)
        return function(x0 + t * d)

    def obj_func(x, t, direction):
        trials_theirs.append(float(t))
        f, g = function(x.numpy() + float(t) * direction.numpy())
        return f, torch.from_numpy(g)

    f_ours, g_ours, t_ours, n_ours = strong_wolfe(evaluate, d, initial_t, f0, g0, float(g0 @ d), max_trials=max_trials)
    f_theirs, g_theirs, t_theirs, n_theirs = _strong_wolfe(
        obj_func, torch.from_numpy(x0), initial_t, torch.from_numpy(d), f0, torch.from_numpy(g0),
        torch.tensor(float(g0 @ d)), max_ls=max_trials,
    )
    np.testing.assert_allclose(trials_ours, trials_theirs, rtol=1e-10)
    assert n_ours == n_theirs == len(trials_ours)
    assert t_ours == pytest.approx(float(t_theirs), rel=1e-10)
    assert f_ours == pytest.approx(float(f_theirs), rel=1e-10, abs=1e-14)
    np.testing.assert_allclose(g_ours, g_theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_the_line_search_cases_cover_both_phases():
    # (the cases above must exercise extrapolation and the zoom, or they prove little)
    from deltaprop.optim.line_search import strong_wolfe

    def search(function, start, initial_t):
        x0 = np.array(start)
        f0, g0 = function(x0)
        return strong_wolfe(lambda t: function(x0 - t * g0), -g0, initial_t, f0, g0, float(-g0 @ g0))

    _, _, t, evaluations = search(_wiggly_numpy, (0.3, -0.8), 1e-4)
    assert t > 1000 * 1e-4 and evaluations >= 4  # several steps outward
    _, _, t, evaluations = search(_rosenbrock_numpy, (-1.2, 1.0), 30.0)
    assert t < 30.0 / 1000 and evaluations >= 8  # a long zoom


def test_rosenbrock_iterates_are_pytorchs(torch_float64):
    start = np.array([-1.5, 2.0])
    ours, theirs = nn.Parameter(start.copy()), torch.tensor(start.copy(), requires_grad=True)
    problem = (
        [ours], [theirs],
        lambda: (1 - ours[0]) ** 2 + 100 * (ours[1] - ours[0] * ours[0]) ** 2,
        lambda: (1 - theirs[0]) ** 2 + 100 * (theirs[1] - theirs[0] * theirs[0]) ** 2,
    )
    _compare(problem, {"max_iter": 10, "line_search_fn": "strong_wolfe"}, steps=5, tolerance=1e-9)
