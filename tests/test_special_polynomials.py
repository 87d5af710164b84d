"""The orthogonal polynomials of deltaprop.special (ops/orthogonal_polynomials.py) against SciPy and
their defining identities over grids of x and degrees to 50, their conventions (degree truncated,
negative, NaN; infinite x; dtypes), and their derivatives against central finite differences."""

import numpy as np
import pytest

import deltaprop as dp

sc = pytest.importorskip("scipy.special")

X = np.linspace(-3, 3, 601)
DEGREES = range(51)


def values(name, x, n):
    return np.asarray(getattr(dp.special, name)(dp.tensor(x, dtype=dp.float64), n).data)


def _v(n, x):  # V_n(x) = U_n(x) − U_(n−1)(x), W_n(x) = U_n(x) + U_(n−1)(x)
    return sc.eval_chebyu(n, x) - (sc.eval_chebyu(n - 1, x) if n else 0)


def _w(n, x):
    return sc.eval_chebyu(n, x) + (sc.eval_chebyu(n - 1, x) if n else 0)


CASES = [
    ("chebyshev_polynomial_t", sc.eval_chebyt),
    ("chebyshev_polynomial_u", sc.eval_chebyu),
    ("chebyshev_polynomial_v", _v),
    ("chebyshev_polynomial_w", _w),
    ("shifted_chebyshev_polynomial_t", lambda n, x: sc.eval_chebyt(n, 2 * x - 1)),
    ("shifted_chebyshev_polynomial_u", lambda n, x: sc.eval_chebyu(n, 2 * x - 1)),
    ("shifted_chebyshev_polynomial_v", lambda n, x: _v(n, 2 * x - 1)),
    ("shifted_chebyshev_polynomial_w", lambda n, x: _w(n, 2 * x - 1)),
    ("hermite_polynomial_h", sc.eval_hermite),
    ("hermite_polynomial_he", sc.eval_hermitenorm),
    ("laguerre_polynomial_l", sc.eval_laguerre),
    ("legendre_polynomial_p", sc.eval_legendre),
]
NAMES = [name for name, _ in CASES]


@pytest.mark.parametrize("name, reference", CASES)
def test_values_match_scipy_to_degree_50(name, reference):
    # relative to the neighbouring degrees' size, which stays large near a root (the roots interlace)
    for n in DEGREES:
        expected = reference(n, X)
        scale = np.maximum.reduce([np.ones_like(X)] + [np.abs(reference(m, X)) for m in (max(n - 1, 0), n + 1)]
                                  + [np.abs(expected)])
        error = np.abs(values(name, X, n) - expected) / scale
        assert error.max() < 1e-13, (name, n, error.max())


def test_chebyshev_t_is_cos_of_n_arccos_inside_and_cosh_outside():
    inside, outside = np.linspace(-1, 1, 401), np.linspace(1, 1.05, 51)
    for n in (7, 30, 50):
        np.testing.assert_allclose(values("chebyshev_polynomial_t", inside, n), np.cos(n * np.arccos(inside)),
                                   rtol=0, atol=1e-13)
        np.testing.assert_allclose(values("chebyshev_polynomial_t", outside, n), np.cosh(n * np.arccosh(outside)),
                                   rtol=1e-13)


def test_a_tensor_of_degrees_broadcasts_against_x():
    x, n = np.array([0.3, -0.7, 1.5]), np.arange(6).reshape(6, 1)
    out = dp.special.legendre_polynomial_p(dp.tensor(x, dtype=dp.float64), dp.tensor(n))
    assert out.shape == (6, 3)
    np.testing.assert_allclose(out.data, sc.eval_legendre(n, x), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_the_degree_is_truncated_and_a_negative_one_gives_zero(name):
    x = np.array([-0.4, 0.2, 0.9])
    np.testing.assert_array_equal(values(name, x, 2.9), values(name, x, 2))
    np.testing.assert_array_equal(values(name, x, -0.5), values(name, x, 0))
    np.testing.assert_array_equal(values(name, x, -1), 0.0)
    np.testing.assert_array_equal(values(name, x, -float("inf")), 0.0)
    assert np.isnan(values(name, x, float("nan"))).all() and np.isnan(values(name, x, float("inf"))).all()


@pytest.mark.parametrize("name", NAMES)
def test_nan_and_infinite_x(name):
    x = np.array([np.nan, np.inf, -np.inf, 1e300, -1e300])
    assert values(name, x, 0).tolist() == [1.0] * 5
    out = values(name, x, 5)
    assert np.isnan(out[0]) and np.isinf(out[1:]).all()
    # the sign of the leading term: positive leads but Laguerre's (−1)ⁿ/n!, odd degree
    sign = -1.0 if name == "laguerre_polynomial_l" else 1.0
    np.testing.assert_array_equal(out[1:], sign * np.array([np.inf, -np.inf, np.inf, -np.inf]))
    assert (values(name, x[1:], 4) == np.inf).all()  # even degree: +inf at both ends


def test_dtypes_follow_x_and_integers_take_the_default_float():
    assert dp.special.chebyshev_polynomial_t(dp.tensor([0.5], dtype=dp.float32), 3).dtype == dp.float32
    assert dp.special.chebyshev_polynomial_t(dp.tensor([0.5], dtype=dp.float64), 3).dtype == dp.float64
    integer = dp.special.hermite_polynomial_h(dp.tensor([1, 2]), dp.tensor(3))
    assert integer.dtype == dp.get_default_dtype()
    np.testing.assert_array_equal(integer.data, [-4.0, 40.0])
    assert dp.special.laguerre_polynomial_l(2.0, 1).item() == -1.0


def test_shapes_that_do_not_broadcast_are_refused_by_name():
    with pytest.raises(Exception, match="chebyshev_polynomial_u"):
        dp.special.chebyshev_polynomial_u(dp.tensor([0.1, 0.2]), dp.tensor([1, 2, 3]))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 12])
def test_gradient_against_finite_differences(name, n):
    x = np.linspace(-1.4, 1.4, 29)
    xt = dp.tensor(x, dtype=dp.float64, requires_grad=True)
    getattr(dp.special, name)(xt, n).sum().backward()
    h = 1e-6
    numeric = (values(name, x + h, n) - values(name, x - h, n)) / (2 * h)
    np.testing.assert_allclose(xt.grad.data if hasattr(xt.grad, "data") else xt.grad, numeric,
                               rtol=1e-7, atol=1e-7 * max(1.0, np.abs(numeric).max()))


def test_the_classical_derivative_identities():
    x = np.linspace(-2, 2, 41)
    for n in (1, 4, 9):
        grad = dp.autograd.grad
        for name, identity in [("chebyshev_polynomial_t", n * sc.eval_chebyu(n - 1, x)),
                               ("hermite_polynomial_he", n * sc.eval_hermitenorm(n - 1, x)),
                               ("hermite_polynomial_h", 2 * n * sc.eval_hermite(n - 1, x)),
                               ("laguerre_polynomial_l", -sc.eval_genlaguerre(n - 1, 1, x))]:
            xt = dp.tensor(x, dtype=dp.float64, requires_grad=True)
            (slope,) = grad(getattr(dp.special, name)(xt, n).sum(), xt)
            np.testing.assert_allclose(np.asarray(slope.data), identity, rtol=1e-13, atol=1e-12)


def test_second_derivative_and_no_gradient_for_the_degree():
    x = dp.tensor([0.3, -0.6], dtype=dp.float64, requires_grad=True)
    n = dp.tensor([4.0, 4.0], dtype=dp.float64, requires_grad=True)
    (first,) = dp.autograd.grad(dp.special.legendre_polynomial_p(x, n).sum(), x, create_graph=True)
    (second,) = dp.autograd.grad(first.sum(), x)
    xs = np.array([0.3, -0.6])
    np.testing.assert_allclose(np.asarray(second.data), (105 * xs ** 2 - 15) / 2, rtol=1e-13)  # P₄″
    dp.special.legendre_polynomial_p(x, n).sum().backward()
    assert n.grad is None
