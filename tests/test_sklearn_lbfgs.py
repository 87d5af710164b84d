"""The estimators' 'lbfgs' solver (deltaprop.sklearn._lbfgs) against SciPy's L-BFGS-B, which
scikit-learn's MLP uses: the same iterations, evaluations, stopping reasons and points, on smooth
problems, at every stopping rule, and where the line search fails; and its Moré-Thuente line search
(deltaprop.sklearn._more_thuente) on the test functions of Moré and Thuente's paper."""

import math

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the estimators need scikit-learn (pip install deltaprop[sklearn])")
scipy_optimize = pytest.importorskip("scipy.optimize")

from sklearn import datasets, neural_network  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from deltaprop.sklearn import MLPClassifier, MLPRegressor  # noqa: E402
from deltaprop.sklearn._lbfgs import minimize  # noqa: E402
from deltaprop.sklearn._more_thuente import LineSearch  # noqa: E402


def _rosenbrock(x):
    return float(scipy_optimize.rosen(x)), scipy_optimize.rosen_der(x)


_rng = np.random.default_rng(0)
_A = _rng.standard_normal((30, 30))
_A = _A @ _A.T + 0.05 * np.eye(30)  # ill-conditioned: many iterations, every pair kept
_b = _rng.standard_normal(30)
_X = _rng.standard_normal((200, 15))
_y = (_rng.random(200) < 0.5).astype(float)


def _quadratic(x):
    return float(0.5 * x @ _A @ x - _b @ x), _A @ x - _b


def _logistic(x):
    z = _X @ x
    return float(np.sum(np.logaddexp(0, z) - _y * z) + 0.01 * x @ x), _X.T @ (1 / (1 + np.exp(-z)) - _y) + 0.02 * x


def _quartic(x):
    r = _X[:30, :12] @ x - _y[:30]
    return float(0.5 * r @ r + 0.25 * np.sum(r**4)), _X[:30, :12].T @ (r + r**3)


PROBLEMS = {
    "rosenbrock 2": (_rosenbrock, np.array([-1.2, 1.0])),
    "rosenbrock 10": (_rosenbrock, np.full(10, -1.2)),
    "quadratic": (_quadratic, np.zeros(30)),
    "logistic": (_logistic, np.zeros(15)),
    "quartic": (_quartic, np.zeros(12)),
}


def _scipy(fun, x0, max_iter=15000, max_fun=15000, gtol=1e-8):
    return scipy_optimize.minimize(fun, x0, jac=True, method="L-BFGS-B",
                                   options={"maxiter": max_iter, "maxfun": max_fun, "gtol": gtol})


def _assert_same_run(ours, theirs, rtol, loss_atol=1e-12):
    assert (ours.nit, ours.nfev, ours.status, ours.message) == (theirs.nit, theirs.nfev, theirs.status, theirs.message)
    scale = max(1.0, float(np.abs(theirs.x).max()))
    assert np.abs(ours.x - theirs.x).max() <= rtol * scale
    assert ours.fun == pytest.approx(theirs.fun, rel=rtol, abs=loss_atol)  # (near a minimum f is tiny)


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("max_iter", [1, 2, 5, 20])
def test_follows_scipys_iterates_step_for_step(name, max_iter):
    """A few iterations: the same points to rounding (the inverse-Hessian products are formed in
    another order than L-BFGS-B's compact form, nothing else differs)."""
    fun, x0 = PROBLEMS[name]
    _assert_same_run(minimize(fun, x0, max_iter=max_iter, max_fun=15000, gtol=1e-8), _scipy(fun, x0, max_iter), 1e-11)


@pytest.mark.parametrize("name", PROBLEMS)
def test_converges_where_scipy_does_for_the_same_reason(name):
    fun, x0 = PROBLEMS[name]
    theirs = _scipy(fun, x0)
    assert theirs.status == 0 and theirs.nit > 5  # a real descent that converged
    _assert_same_run(minimize(fun, x0, max_iter=15000, max_fun=15000, gtol=1e-8), theirs, 1e-7)


@pytest.mark.parametrize("gtol", [1e-1, 1e-2, 1e-3])
def test_stops_on_the_gradient_tolerance_as_scipy(gtol):
    fun, x0 = PROBLEMS["rosenbrock 10"]
    theirs = _scipy(fun, x0, gtol=gtol)
    assert "PROJECTED GRADIENT" in theirs.message
    _assert_same_run(minimize(fun, x0, max_iter=15000, max_fun=15000, gtol=gtol), theirs, 1e-7, loss_atol=1e-10)


@pytest.mark.parametrize("max_fun", [1, 3, 10, 25])
def test_stops_on_the_evaluation_limit_after_the_iteration_as_scipy(max_fun):
    fun, x0 = PROBLEMS["rosenbrock 10"]
    theirs = _scipy(fun, x0, max_fun=max_fun)
    assert theirs.status == 1 and "EVALUATIONS" in theirs.message
    _assert_same_run(minimize(fun, x0, max_iter=15000, max_fun=max_fun, gtol=1e-8), theirs, 1e-9)


def test_a_point_already_optimal_takes_no_iteration():
    ours = minimize(_rosenbrock, np.ones(4), max_iter=200, max_fun=15000, gtol=1e-5)
    theirs = _scipy(_rosenbrock, np.ones(4), gtol=1e-5)
    _assert_same_run(ours, theirs, 0.0)
    assert ours.nit == 0 and ours.nfev == 1


def _with_a_fault(fault, at, base=_quartic):
    """``base`` with its ``at``-th evaluation gone wrong: 'ascent' flips the gradient's sign (the
    next direction may climb, and the pair from it is garbage), 'nan' and 'inf' replace the loss."""
    calls = [0]

    def fun(x):
        calls[0] += 1
        value, gradient = base(x)
        if calls[0] == at:
            if fault == "ascent":
                gradient = -gradient
            else:
                value = float(fault)
        return value, gradient

    return fun


@pytest.mark.parametrize("fault", ["ascent", "nan", "inf"])
@pytest.mark.parametrize("at", [2, 3, 5, 10])
def test_a_wrong_evaluation_takes_scipys_path(fault, at):
    """One evaluation gone wrong: a direction that climbs ends the line search before it starts
    and restarts from steepest descent (ending the run with status 2 when that fails too, after
    20 trials); a NaN or infinite loss goes through the line search's IEEE arithmetic (C's fmax
    and fmin, divisions by zero). SciPy takes the same path: the same counts, point and reason."""
    x0 = np.zeros(12)
    theirs = _scipy(_with_a_fault(fault, at), x0)
    ours = minimize(_with_a_fault(fault, at), x0, max_iter=15000, max_fun=15000, gtol=1e-8)
    assert (ours.nit, ours.nfev, ours.status) == (theirs.nit, theirs.nfev, theirs.status)
    assert ours.message.split(":")[0] == theirs.message.split(":")[0]  # SciPy's ABNORMAL says no more
    np.testing.assert_allclose(ours.x, theirs.x, rtol=1e-9, atol=1e-12)
    if fault == "ascent" and at > 2:
        assert ours.status == 2  # (the case that fails for good, twice over)


def test_a_gradient_whose_square_overflows_fails_as_in_scipy():
    """|g|² beyond float64's range makes the first step 1/|d| zero: no step is taken, and the run
    ends as SciPy's does, with status 2 (ABNORMAL) after no iteration, not as converged."""

    def fun(x):
        return float(1e200 * np.dot(x, x)), 2e200 * x

    with np.errstate(over="ignore"):
        ours = minimize(fun, np.ones(3), max_iter=50, max_fun=15000, gtol=1e-5)
        theirs = _scipy(fun, np.ones(3), gtol=1e-5)
    assert (ours.nit, ours.status) == (theirs.nit, theirs.status) == (0, 2)
    assert ours.message.split(":")[0] == theirs.message.split(":")[0] == "ABNORMAL"
    np.testing.assert_array_equal(ours.x, np.ones(3))


def test_a_fit_on_absurdly_scaled_data_warns_instead_of_claiming_convergence():
    X = np.random.default_rng(0).standard_normal((50, 5))
    y = X @ np.arange(1.0, 6.0)
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(ConvergenceWarning, match="status=2"):
        model = MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0).fit(X * 1e80, y)
    assert model.n_iter_ == 0


def test_a_nan_loss_from_the_first_evaluation_on_does_not_stop_the_run():
    """Every loss after the first NaN: no step ever satisfies the decrease condition, and the
    searches go on by the slopes alone, as in L-BFGS-B, until the gradient is small. (The paths
    then part from SciPy's within a few iterations: searches that compare NaNs drive the steps to
    the rounding level, where the two libraries' last bits decide.)"""
    calls = [0]

    def fun(x):
        calls[0] += 1
        value, gradient = _quartic(x)
        return (value if calls[0] == 1 else float("nan")), gradient

    ours = minimize(fun, np.zeros(12), max_iter=15000, max_fun=15000, gtol=1e-6)
    theirs = _scipy(fun, np.zeros(12), gtol=1e-6)
    assert ours.status == theirs.status == 0 and "PROJECTED GRADIENT" in ours.message
    assert np.abs(_quartic(ours.x)[1]).max() <= 1e-6


# -- the line search on the paper's test functions -------------------------------------------------


def _phi1(a, beta=2.0):
    return -a / (a * a + beta), (a * a - beta) / (a * a + beta) ** 2


def _phi2(a, beta=0.004):
    return (a + beta) ** 5 - 2 * (a + beta) ** 4, 5 * (a + beta) ** 4 - 8 * (a + beta) ** 3


def _phi3(a, beta=0.01, l=39):
    if a <= 1 - beta:
        value, slope = 1 - a, -1.0
    elif a >= 1 + beta:
        value, slope = a - 1, 1.0
    else:
        value, slope = (a - 1) ** 2 / (2 * beta) + beta / 2, (a - 1) / beta
    wave = 2 * (1 - beta) / (l * math.pi)
    return value + wave * math.sin(l * math.pi * a / 2), slope + (1 - beta) * math.cos(l * math.pi * a / 2)


def _yanai(beta1, beta2):
    def gamma(b):
        return math.sqrt(1 + b * b) - b

    def phi(a):
        u, v = math.sqrt((1 - a) ** 2 + beta2**2), math.sqrt(a * a + beta1**2)
        return gamma(beta1) * u + gamma(beta2) * v, -gamma(beta1) * (1 - a) / u + gamma(beta2) * a / v

    return phi


FUNCTIONS = {  # (φ, ftol, gtol) as in the paper's tables
    "1": (_phi1, 0.001, 0.1),
    "2": (_phi2, 0.1, 0.1),
    "3": (_phi3, 0.1, 0.1),
    "4": (_yanai(0.001, 0.001), 0.001, 0.001),
    "5": (_yanai(0.01, 0.001), 0.001, 0.001),
    "6": (_yanai(0.001, 0.01), 0.001, 0.001),
}
STEPS = [1e-3, 1e-1, 1e1, 1e3]  # the paper's starting steps


def _search(phi, ftol, gtol, step, xtol=0.1, step_max=1e10):
    f0, slope0 = phi(0.0)
    search = LineSearch(f0, slope0, step, ftol=ftol, gtol=gtol, xtol=xtol, step_max=step_max)
    for evaluations in range(1, 101):
        f, slope = phi(search.step)
        outcome = search.update(f, slope)
        if outcome is not None:
            return search.step, outcome, evaluations
    raise AssertionError("no end in 100 evaluations")


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("step", STEPS)
def test_line_search_finds_a_strong_wolfe_step(name, step):
    """With the paper's tolerances (and xtol small enough not to stop it first) every search ends
    on a step that satisfies both conditions, within the paper's budget."""
    phi, ftol, gtol = FUNCTIONS[name]
    found, outcome, evaluations = _search(phi, ftol, gtol, step, xtol=1e-12)
    f0, slope0 = phi(0.0)
    f, slope = phi(found)
    assert outcome == "convergence"
    assert f <= f0 + ftol * found * slope0
    assert abs(slope) <= gtol * abs(slope0)
    assert evaluations <= 20


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("ftol, gtol, xtol", [(1e-3, 0.9, 0.1), (1e-3, 0.1, 0.1), (1e-4, 0.5, 1e-12)])
def test_line_search_takes_minpacks_steps(name, step, ftol, gtol, xtol):
    """SciPy's scalar_search_wolfe1 runs MINPACK's dcsrch, the routine inside L-BFGS-B: the same
    trials, the same step (it reports a warning's end as no step). L-BFGS-B's own tolerances
    first. (SciPy's function is private, hence the guard.)"""
    try:
        from scipy.optimize._linesearch import scalar_search_wolfe1
    except ImportError:
        pytest.skip("this SciPy has no scipy.optimize._linesearch.scalar_search_wolfe1 to compare with")
    phi = FUNCTIONS[name][0]
    count = [0]

    def value(u):
        count[0] += 1
        return phi(step * u)[0]

    f0, slope0 = phi(0.0)
    # scalar_search_wolfe1 starts from 1 unless given a previous loss; to start from ``step``,
    # search φ(step·u) over u.
    theirs, _, _ = scalar_search_wolfe1(value, lambda u: step * phi(step * u)[1], f0, None, step * slope0,
                                        c1=ftol, c2=gtol, amax=1e10 / step, amin=0.0, xtol=xtol)
    ours, outcome, evaluations = _search(phi, ftol, gtol, step, xtol=xtol)
    if theirs is None:
        assert outcome.startswith("warning")
    else:
        assert outcome == "convergence"
        assert ours == pytest.approx(step * theirs, rel=1e-12)
        assert evaluations == count[0]


def test_line_search_stops_at_the_largest_step_with_a_warning():
    """φ(t) = −t keeps falling: the search runs to step_max and says so."""
    found, outcome, _ = _search(lambda a: (-a, -1.0), 1e-3, 0.9, 1.0, step_max=100.0)
    assert (found, outcome) == (100.0, "warning: step = step_max")


# -- the estimators ----------------------------------------------------------------------------


@pytest.mark.parametrize("load, ours_class, theirs_class", [
    (datasets.load_iris, MLPClassifier, neural_network.MLPClassifier),
    (datasets.load_wine, MLPClassifier, neural_network.MLPClassifier),
])
def test_default_fits_match_scikit_learns(load, ours_class, theirs_class):
    """Whole default fits on scikit-learn's bundled data sets (standardised), to convergence: the
    same iterations and the same network (10-12 and 50 iterations here)."""
    X, y = load(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    ours = ours_class(solver="lbfgs", random_state=0).fit(X, y)
    theirs = theirs_class(solver="lbfgs", random_state=0).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 200
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-7)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, reference, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("weighted", [False, True])
def test_several_outputs_follow_scikit_learns_fit(weighted):
    """Squared error over two outputs: scikit-learn reports (and hands L-BFGS) the mean over the
    outputs beside the gradient of their sum; the same numbers here give the same iterations."""
    X, y = datasets.make_regression(n_samples=100, n_features=5, n_targets=2, noise=1.0, random_state=2)
    y = y / y.std(axis=0)
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(X)) if weighted else None
    settings = {"hidden_layer_sizes": (5,), "solver": "lbfgs", "random_state": 2, "max_iter": 2000}
    ours = MLPRegressor(**settings).fit(X, y, sample_weight=weight)
    theirs = neural_network.MLPRegressor(**settings).fit(X, y, sample_weight=weight)
    assert ours.n_iter_ == theirs.n_iter_ < 2000
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-7)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6, atol=1e-6)


def test_a_failed_fit_warns_with_the_solvers_reason():
    X = np.random.default_rng(0).standard_normal((40, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    with pytest.warns(ConvergenceWarning, match=r"status=1\): STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"):
        MLPRegressor(solver="lbfgs", max_fun=3, random_state=0).fit(X, y)
