"""The further math, statistics and window functions without PyTorch (the comparison with it is
reference/test_torch_math_additions.py): first and second derivatives against central finite
differences in float64 (gradcheck, gradgradcheck), values against NumPy and SciPy (incomplete gamma,
cov, trapezoid, histograms, windows), the gradient PyTorch does not give (igamma's in a), and the
one-sentence refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal, special

import deltaprop as dp
from deltaprop.errors import ConfigError, DataError, GradError, ShapeError
from test_more_math import anywhere, case, gradchecked, positive, uniform


def _rows_apart(rng, shape):
    return rng.standard_normal(shape) * np.array([0.2, 1.0, 3.0]).reshape((-1,) + (1,) * (len(shape) - 1))


def _f(values, requires_grad=False):
    return dp.tensor(values, dtype=np.float64, requires_grad=requires_grad)


A_CONSTANT = np.array([0.4, 1.0, 2.5, 7.0])

CASES = [
    case("rad2deg", dp.rad2deg, [(3, 4)]),
    case("deg2rad", dp.deg2rad, [(3, 4)]),
    case("float_power", dp.float_power, [(3, 4), (4,)], positive, anywhere),
    case("ldexp", dp.ldexp, [(3, 4), (3, 1)]),
    case("frexp", lambda x: dp.frexp(x).mantissa, [(3, 4)], uniform(0.3, 0.45)),
    case("nextafter", dp.nextafter, [(3, 4), (4,)]),
    case("fmax", dp.fmax, [(3, 4), (4,)]),
    case("fmin", dp.fmin, [(3, 4), (3, 4)]),
    case("rsub", lambda x, y: dp.rsub(x, y, alpha=1.5), [(3, 4), (4,)]),
    case("mvlgamma", lambda x: dp.mvlgamma(x, 3), [(3, 4)], uniform(1.5, 5.0)),
    case("igamma x", lambda x: dp.igamma(_f(A_CONSTANT), x), [(3, 4)], uniform(0.2, 8.0)),
    case("igammac x", lambda x: dp.igammac(_f(A_CONSTANT), x), [(3, 4)], uniform(0.2, 8.0)),
    case("igamma a and x", dp.igamma, [(3, 4), (3, 4)], uniform(0.3, 6.0), uniform(0.2, 8.0)),
    case("igammac a and x broadcast", dp.igammac, [(4,), (3, 4)], uniform(0.3, 6.0), uniform(0.2, 8.0)),
    case("addr", lambda m, u, v: dp.addr(m, u, v, beta=0.5, alpha=-2.0), [(3, 4), (3,), (4,)]),
    case("dist", dp.dist, [(3, 4), (4,)]),
    case("dist p=1", lambda x, y: dp.dist(x, y, 1), [(3, 4), (3, 4)]),
    case("dist p=3", lambda x, y: dp.dist(x, y, 3), [(3, 4), (3, 4)]),
    case("dist inf", lambda x, y: dp.dist(x, y, math.inf), [(3, 4), (3, 4)]),
    case("renorm", lambda x: dp.renorm(x, 2, 0, 1.0), [(3, 4)], _rows_apart),
    case("renorm p=3 dim 1", lambda x: dp.renorm(x, 3, 1, 1.0), [(4, 3)], lambda r, s: _rows_apart(r, s[::-1]).T),
    case("trapezoid", lambda y: dp.trapezoid(y, dx=0.5), [(3, 5)]),
    case("trapezoid x", dp.trapezoid, [(3, 5), (5,)]),
    case("trapezoid x broadcast dim 0", lambda y, x: dp.trapezoid(y, x, dim=0), [(5, 3), (5, 1)]),
    case("cumulative_trapezoid x", dp.cumulative_trapezoid, [(3, 5), (5,)]),
    case("cov", dp.cov, [(3, 6)]),
    case("cov aweights", lambda x, a: dp.cov(x, aweights=a, fweights=dp.tensor([1, 2, 1, 3, 1, 2])), [(3, 6), (6,)],
         anywhere, positive),
    case("corrcoef", dp.corrcoef, [(3, 6)]),
]


@pytest.mark.parametrize("fn, shapes, recipes", CASES)
def test_gradients_match_finite_differences(fn, shapes, recipes):
    gradchecked(fn, shapes, recipes)


SECOND = [
    ("rad2deg", lambda x: dp.rad2deg(x) * x, [(3, 4)], anywhere),
    ("float_power", lambda x, y: dp.float_power(x, y), [(3, 4), (4,)], positive),
    ("ldexp", lambda x, y: dp.ldexp(x, y), [(3, 4), (4,)], anywhere),
    ("frexp", lambda x: dp.frexp(x).mantissa * x, [(3, 4)], uniform(0.3, 0.45)),
    ("nextafter", lambda x, y: dp.nextafter(x, y) * x, [(3, 4), (3, 4)], anywhere),
    ("fmax", lambda x, y: dp.fmax(x, y) * y, [(3, 4), (4,)], anywhere),
    ("mvlgamma", lambda x: dp.mvlgamma(x, 2), [(3, 4)], uniform(1.5, 5.0)),
    ("igamma", lambda x: dp.igamma(_f(A_CONSTANT), x), [(3, 4)], uniform(0.2, 8.0)),
    ("igammac", lambda x: dp.igammac(_f(A_CONSTANT[:1]), x), [(3, 4)], uniform(0.2, 8.0)),
    ("renorm", lambda x: dp.renorm(x, 2, 0, 1.0), [(3, 4)], _rows_apart),
    ("dist", lambda x, y: dp.dist(x, y, 3), [(3, 4), (4,)], anywhere),
    ("trapezoid", lambda y, x: dp.trapezoid(y, x), [(3, 5), (5,)], anywhere),
    ("cov", lambda x: dp.cov(x), [(3, 6)], anywhere),
    ("corrcoef", lambda x: dp.corrcoef(x), [(3, 6)], anywhere),
    ("addr", lambda m, u, v: dp.addr(m, u, v, beta=2.0), [(3, 4), (3,), (4,)], anywhere),
]


@pytest.mark.parametrize("name, fn, shapes, recipe", SECOND, ids=[s[0] for s in SECOND])
def test_second_derivatives_match_finite_differences(name, fn, shapes, recipe):
    rng = np.random.default_rng(1)
    inputs = [_f(recipe(rng, shape), True) for shape in shapes]
    assert dp.gradgradcheck(fn, inputs, atol=1e-5, rtol=1e-4)


# -- the incomplete gamma functions ----------------------------------------------------------------


def test_igamma_and_igammac_match_scipy():
    """Within 5e-13 (relative) for a up to 200 (PyTorch's are within about 2e-9), and both tails
    without cancellation: Q from its continued fraction far right, P from its series far left."""
    rng = np.random.default_rng(11)
    a = np.exp(rng.uniform(math.log(1e-3), math.log(200.0), 3000))
    x = a * np.exp(rng.uniform(-4, 2, 3000)) + rng.uniform(0, 3, 3000)
    np.testing.assert_allclose(dp.igamma(_f(a), _f(x)).data, special.gammainc(a, x), rtol=5e-13, atol=1e-300)
    np.testing.assert_allclose(dp.igammac(_f(a), _f(x)).data, special.gammaincc(a, x), rtol=5e-13, atol=1e-300)
    a, x = [2.0, 2.0, 1e-300, 50.0, 1e-300, 1e-8, 0.3], [60.0, 1e-8, 1.0, 5.0, 0.5, 1.2, 1e-5]
    np.testing.assert_allclose(dp.igammac(_f(a), _f(x)).data, special.gammaincc(a, x), rtol=1e-13)
    np.testing.assert_allclose(dp.special.gammainc(_f(a), _f(x)).data, special.gammainc(a, x), rtol=1e-13)


def test_igammac_of_a_small_shape_keeps_its_digits():
    """For a → 0, P(a, x) → 1 and Q(a, x) ≈ a·E₁(x): computed directly, not as 1 − P."""
    rng = np.random.default_rng(12)
    a, x = np.exp(rng.uniform(math.log(1e-300), math.log(0.5), 2000)), rng.uniform(1e-3, 1.5, 2000)
    np.testing.assert_allclose(dp.igammac(_f(a), _f(x)).data, special.gammaincc(a, x), rtol=2e-13)


def test_igamma_by_hand():
    """P(1, x) = 1 − e⁻ˣ; P(½, x) = erf(√x); P + Q = 1."""
    x = np.array([0.01, 0.7, 3.0, 40.0])
    np.testing.assert_allclose(dp.igamma(1.0, _f(x)).data, -np.expm1(-x), rtol=1e-14)
    np.testing.assert_allclose(dp.igamma(0.5, _f(x)).data, [math.erf(math.sqrt(v)) for v in x], rtol=1e-14)
    a = _f([0.3, 2.0, 9.0, 30.0])
    np.testing.assert_allclose((dp.igamma(a, _f(x)) + dp.igammac(a, _f(x))).data, 1.0, rtol=1e-15)


def test_igamma_gradient_in_a_is_minus_the_density_times_the_draws_slope():
    """The slope in a, which PyTorch does not give, against central differences of P itself."""
    a, x = np.array([0.3, 1.5, 4.0, 30.0]), np.array([0.2, 3.0, 2.5, 35.0])
    for name in ("igamma", "igammac"):
        shape = _f(a, True)
        getattr(dp, name)(shape, _f(x)).sum().backward()
        eps = 1e-6
        numeric = (getattr(special, "gammainc" if name == "igamma" else "gammaincc")(a + eps, x)
                   - getattr(special, "gammainc" if name == "igamma" else "gammaincc")(a - eps, x)) / (2 * eps)
        np.testing.assert_allclose(shape.grad, numeric, rtol=1e-6)


def test_igamma_gradients_at_the_edges_are_the_limits():
    """To x, the density: +inf at 0 for a < 1, 1 for a = 1, 0 beyond, 0 at +inf; to a, 0 at both."""
    a, x = _f([0.5, 1.0, 2.0, 0.5, 1.0, 2.0], True), _f([0.0, 0.0, 0.0, math.inf, math.inf, math.inf], True)
    p = dp.igamma(a, x)
    np.testing.assert_array_equal(p.data, [0, 0, 0, 1, 1, 1])
    p.sum().backward()
    np.testing.assert_array_equal(a.grad, np.zeros(6))
    np.testing.assert_array_equal(x.grad, [math.inf, 1.0, 0.0, 0.0, 0.0, 0.0])


def test_igamma_second_derivative_in_a_is_refused_by_name():
    a, x = _f([1.5, 2.0], True), _f([1.0, 2.0], True)
    with pytest.raises(GradError, match="'igamma' with respect to a, its first argument"):
        dp.autograd.grad(dp.igamma(a, x).sum(), [a, x], create_graph=True)
    (slope,) = dp.autograd.grad(dp.igamma(a.detach(), x).sum(), x, create_graph=True)  # in x: it passes
    assert slope.requires_grad


# -- statistics, integrals and histograms against NumPy ----------------------------------------------


def test_cov_and_corrcoef_match_numpy():
    rng = np.random.default_rng(12)
    x, f, w = rng.standard_normal((4, 9)), rng.integers(0, 4, 9), rng.uniform(0.1, 2, 9)
    np.testing.assert_allclose(dp.cov(_f(x)).data, np.cov(x), rtol=1e-13)
    np.testing.assert_allclose(dp.cov(_f(x), correction=0).data, np.cov(x, bias=True), rtol=1e-13)
    np.testing.assert_allclose(dp.cov(_f(x), fweights=dp.tensor(f), aweights=_f(w)).data,
                               np.cov(x, fweights=f, aweights=w), rtol=1e-13)
    np.testing.assert_allclose(dp.cov(_f(x[0])).data, np.cov(x[0]), rtol=1e-13)
    np.testing.assert_allclose(dp.corrcoef(_f(x)).data, np.corrcoef(x), rtol=1e-13)
    assert np.all(np.abs(dp.corrcoef(_f(np.vstack([x[0], 2 * x[0] + 1]))).data) <= 1)  # clipped


def test_trapezoid_matches_numpy():
    rng = np.random.default_rng(13)
    y, x = rng.standard_normal((3, 7)), np.sort(rng.uniform(0, 5, 7))
    np.testing.assert_allclose(dp.trapezoid(_f(y), _f(x)).data, np.trapezoid(y, x), rtol=1e-13)
    np.testing.assert_allclose(dp.trapz(_f(y), dx=0.3, dim=0).data, np.trapezoid(y, dx=0.3, axis=0), rtol=1e-13)
    from scipy.integrate import cumulative_trapezoid
    np.testing.assert_allclose(dp.cumulative_trapezoid(_f(y), _f(x)).data, cumulative_trapezoid(y, x), rtol=1e-13)


def test_histograms_match_numpy():
    rng = np.random.default_rng(14)
    x, w = rng.standard_normal(500), rng.uniform(0, 1, 500)
    hist, edges = dp.histogram(_f(x), 12, weight=_f(w), density=True)
    expected, expected_edges = np.histogram(x, 12, weights=w, density=True)
    np.testing.assert_allclose(hist.data, expected, rtol=1e-12)
    np.testing.assert_allclose(edges.data, expected_edges, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(dp.histc(_f(x), 8, -1, 1).data, np.histogram(x, 8, range=(-1, 1))[0])
    points = rng.standard_normal((200, 3))
    hist, edges = dp.histogramdd(_f(points), [3, 4, 2], density=True)
    expected, expected_edges = np.histogramdd(points, [3, 4, 2], density=True)
    np.testing.assert_allclose(hist.data, expected, rtol=1e-12)
    for mine, reference in zip(edges, expected_edges):
        np.testing.assert_allclose(mine.data, reference, rtol=1e-14, atol=1e-15)
    assert not dp.histc(_f(x, True)).requires_grad


def test_a_value_on_the_last_edge_counts_in_the_last_bin():
    hist, _ = dp.histogram(_f([0.0, 0.5, 1.0, 1.0, 1.5]), _f([0.0, 0.5, 1.0]))
    np.testing.assert_array_equal(hist.data, [1, 3])


@pytest.mark.parametrize("name, scipy_name", [("hann_window", "hann"), ("hamming_window", "hamming"),
                                              ("blackman_window", "blackman"), ("bartlett_window", "bartlett"),
                                              ("kaiser_window", ("kaiser", 12.0))])
def test_windows_match_scipy(name, scipy_name):
    for n in (1, 2, 5, 16, 33):
        for periodic in (True, False):
            ours = getattr(dp, name)(n, periodic, dtype=dp.float64).data
            np.testing.assert_allclose(ours, signal.get_window(scipy_name, n, fftbins=periodic), rtol=1e-12,
                                       atol=1e-15)
    assert getattr(dp, name)(3).dtype == np.float32 and getattr(dp, name)(0).shape == (0,)


# -- refusals, in one sentence ---------------------------------------------------------------------


@pytest.mark.parametrize("call, error, message", [
    (lambda: dp.frexp(dp.tensor([1, 2])), TypeError, "frexp: not implemented for int64 tensors"),
    (lambda: dp.gcd(dp.ones(2), dp.ones(2)), TypeError, "gcd: expects integer tensors, got float32"),
    (lambda: dp.nextafter(dp.tensor([1]), dp.tensor([2])), TypeError, "nextafter: expects floating-point tensors"),
    (lambda: dp.fmax(dp.ones(2), dp.ones(3)), ShapeError, r"fmax: shapes \(2,\) and \(3,\) cannot be broadcast"),
    (lambda: dp.mvlgamma(dp.ones(2), 0), ConfigError, "mvlgamma: p must be an integer of at least 1, got 0"),
    (lambda: dp.igamma(dp.tensor([1]), dp.tensor([1])), TypeError, "igamma: not implemented for int64 tensors"),
    (lambda: dp.renorm(dp.ones((2, 2)), 0, 0, 1.0), ConfigError, "renorm: p must be positive, got 0.0"),
    (lambda: dp.renorm(dp.ones((2, 2)), 2, 0, -1), ConfigError, "renorm: maxnorm must be at least 0, got -1.0"),
    (lambda: dp.renorm(dp.ones(2), 2, 0, 1.0), ShapeError, "renorm: input needs at least 2 dimensions"),
    (lambda: dp.dist(dp.ones(2), dp.ones(2), "fro"), TypeError, "dist: p must be a number, got 'fro'"),
    (lambda: dp.trapezoid(dp.ones((2, 3)), dp.ones(2)), ShapeError, "trapezoid: x has 2 sample points, y 3 samples"),
    (lambda: dp.trapezoid(dp.ones(3), dp.ones(3), dx=1.0), TypeError, "trapezoid: give the sample points x or the"),
    (lambda: dp.cumulative_trapezoid(dp.ones((2, 3)), dp.ones((1, 1, 3))), ShapeError,
     "cumulative_trapezoid: x of shape \\(1, 1, 3\\) has more dimensions than y"),
    (lambda: dp.cov(dp.ones((2, 2, 2))), ShapeError, "cov: expects a vector or a matrix"),
    (lambda: dp.cov(dp.ones((2, 3)), fweights=dp.ones(3)), TypeError, "cov: fweights must be integers"),
    (lambda: dp.cov(dp.ones((2, 3)), aweights=dp.tensor([1, 2, 3])), TypeError, "cov: aweights must be floating"),
    (lambda: dp.cov(dp.ones((2, 3)), aweights=dp.tensor([1.0, -2.0, 3.0])), DataError,
     "cov: aweights cannot be negative, got -2.0"),
    (lambda: dp.cov(dp.ones((2, 3)), fweights=dp.tensor([1, 2])), ShapeError, "cov: fweights has 2 weights, for 3"),
    (lambda: dp.histc(dp.ones(3), bins=0), ConfigError, "histc: bins must be a positive integer, got 0"),
    (lambda: dp.histc(dp.tensor([1.0, math.nan])), ValueError, r"histc: the range \[nan, nan\] is not finite"),
    (lambda: dp.histogram(dp.ones(3), dp.tensor([0.0, 2.0, 1.0])), ValueError, "histogram: bin edges must not"),
    (lambda: dp.histogram(dp.ones(3), dp.tensor([0.0, 2.0]), range=(0, 1)), TypeError,
     "histogram: range goes with a number of bins"),
    (lambda: dp.histogramdd(dp.ones((4, 2)), [2]), ShapeError, "histogramdd: bins has 1 entries for points of 2"),
    (lambda: dp.hann_window(3.5), ConfigError, "hann_window: window_length must be a non-negative integer"),
    (lambda: dp.kaiser_window(3, beta="wide"), TypeError, "kaiser_window: beta must be a number"),
    (lambda: dp.positive(dp.tensor([True])), TypeError, "positive: not implemented for bool tensors"),
    (lambda: dp.tensor([1.0]).float_power_(2), TypeError, "float_power_: the tensor must be float64"),
])
def test_refusals_name_the_function_and_the_value(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_in_place_forms():
    x = _f([0.5, 1.0, 2.0])
    assert x.rad2deg_() is x
    np.testing.assert_allclose(x.data, np.rad2deg([0.5, 1.0, 2.0]))
    x.deg2rad_().float_power_(2)
    np.testing.assert_allclose(x.data, [0.25, 1.0, 4.0])
    n = dp.tensor([12, 18, 7])
    n.gcd_(dp.tensor([8, 12, 21]))
    np.testing.assert_array_equal(n.data, [4, 6, 7])
    m = _f([[3.0, 4.0], [0.3, 0.4]])
    m.renorm_(2, 0, 1.0)
    np.testing.assert_allclose(np.linalg.norm(m.data, axis=1), [1.0, 0.5], rtol=1e-6)
    with pytest.raises(GradError):
        _f([1.0], True).rad2deg_()
