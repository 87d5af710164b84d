"""lgamma and digamma: values against math.lgamma and PyTorch to ~1e-13 in float64 (loosened only
where the function crosses 0 and every method's relative error grows), the poles and infinities as
PyTorch has them, gradients against PyTorch in float64 and float32 and against finite differences,
and the names deltaprop exports them under."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import special
from deltaprop.ops.gamma_functions import digamma_values, lgamma_values, polygamma_values, trigamma_values

torch = pytest.importorskip("torch", reason="PyTorch is the reference for digamma and the gradients")

_rng = np.random.default_rng(7)
# small, moderate, across the switch to Stirling's series at 10, large, and negative non-integers
POINTS = np.concatenate([_rng.uniform(1e-6, 0.5, 300), _rng.uniform(0.5, 3.0, 600), [9.999999, 10.0, 10.000001],
                         _rng.uniform(3.0, 30.0, 300), np.exp(_rng.uniform(3.5, 600, 200)), _rng.uniform(-30, 0, 300)])
POINTS = POINTS[np.abs(POINTS - np.round(POINTS)) > 1e-6]  # away from the poles
LGAMMA_ROOTS = [1.0, 2.0, -2.4570247382, -2.7476826467]  # within (−3, 3), where ln |Γ| crosses 0 at all
DIGAMMA_ROOT = 1.4616321449683623


def _near(x, roots, width):
    return np.any([np.abs(x - r) < width for r in roots], axis=0)


def test_lgamma_matches_math_lgamma():
    x = POINTS[~_near(POINTS, LGAMMA_ROOTS, 0.02)]
    expected = np.array([math.lgamma(v) for v in x])
    np.testing.assert_allclose(lgamma_values(x), expected, rtol=1e-13)


def test_lgamma_near_its_zeros_at_one_and_two():
    # ln Γ(1 + ε) = −γε + ζ(2)ε²/2 − …, ln Γ(2 + ε) = (1 − γ)ε + (ζ(2) − 1)ε²/2 − …: the first two
    # terms leave ε³/3·ζ(3) < 1e-25 for ε = 1e-9, so these are exact to float64
    gamma = 0.5772156649015329
    for epsilon in (1e-9, -1e-9):
        one = -gamma * epsilon + math.pi ** 2 / 12 * epsilon ** 2
        two = (1 - gamma) * epsilon + (math.pi ** 2 / 6 - 1) / 2 * epsilon ** 2
        assert lgamma_values(np.array([1 + epsilon]))[0] == pytest.approx(one, rel=1e-6)  # 1 + ε rounds ε at 1e-7
        assert lgamma_values(np.array([2 + epsilon]))[0] == pytest.approx(two, rel=1e-6)
    assert lgamma_values(np.array([1.0, 2.0])).tolist() == [0.0, 0.0]
    x = _rng.uniform(0.9, 2.1, 400)
    np.testing.assert_allclose(lgamma_values(x), torch.lgamma(torch.tensor(x)).numpy(), rtol=1e-13)


def test_digamma_matches_pytorch():
    x = POINTS[~_near(POINTS, [DIGAMMA_ROOT], 0.02)]
    expected = torch.special.digamma(torch.tensor(x)).numpy()
    np.testing.assert_allclose(digamma_values(x[x > 0]), expected[x > 0], rtol=1e-13)
    # PyTorch's reflection strays to 2.3e-13 at x = −27.99988 (mpmath agrees with ours to the last bit)
    np.testing.assert_allclose(digamma_values(x[x < 0]), expected[x < 0], rtol=1e-12)
    # by its root ψ ≈ 0.97·(x − x₀): every method has an error of a few 1e-16 there, none relative
    near = DIGAMMA_ROOT + np.linspace(-0.02, 0.02, 41)
    np.testing.assert_allclose(digamma_values(near), torch.special.digamma(torch.tensor(near)).numpy(), rtol=0,
                               atol=2e-15)


def test_digamma_known_values():
    gamma = 0.5772156649015329
    np.testing.assert_allclose(digamma_values(np.array([1.0, 0.5, 2.0, -0.5])),
                               [-gamma, -gamma - 2 * math.log(2), 1 - gamma, 2 - gamma - 2 * math.log(2)], rtol=1e-15)


def test_trigamma_matches_pytorch_polygamma():
    # PyTorch's own polygamma(1, ·) strays up to ~5e-10 (checked against mpmath while writing this), so
    # the comparison is to 1e-9; its known values are exact to float64
    x = POINTS[POINTS < 1e6]
    np.testing.assert_allclose(trigamma_values(x), torch.polygamma(1, torch.tensor(x)).numpy(), rtol=1e-9)
    np.testing.assert_allclose(trigamma_values(np.array([1.0, 0.5, 2.0])),
                               [math.pi ** 2 / 6, math.pi ** 2 / 2, math.pi ** 2 / 6 - 1], rtol=1e-15)


def test_edges_match_pytorch():
    x = np.array([0.0, -0.0, -1.0, -2.0, -2.5, 1e-300, 1e300, np.inf, -np.inf, np.nan, -1e17 - 0.5, 1e-8])
    for ours, theirs in [(dp.lgamma, torch.lgamma), (dp.digamma, torch.special.digamma)]:
        np.testing.assert_allclose(ours(dp.tensor(x, dtype=np.float64)).data, theirs(torch.tensor(x)).numpy(),
                                   rtol=1e-13, equal_nan=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_values_and_gradients_match_pytorch(name, dtype):
    tolerance = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=2e-5, atol=2e-6)
    # digamma's gradient is PyTorch's polygamma(1, ·), itself ~5e-10 off (test_trigamma_matches_pytorch_polygamma)
    slope_tolerance = dict(rtol=1e-9, atol=1e-14) if (name, dtype) == ("digamma", "float64") else tolerance
    _compare(lambda t: getattr(t, name)(), getattr(torch, name), dtype, low=0.05, away=(0.02, 0.05),
             tolerance=tolerance, slope_tolerance=slope_tolerance)


def _compare(ours_of, theirs_of, dtype, low, away, tolerance, slope_tolerance):
    """Values and gradients of ``ours_of`` (deltaprop) and ``theirs_of`` (PyTorch) on 40 points in
    [low, 12] and 10 in [−4.9, −0.1], none within ``away[0]`` of an integer (moved by ``away[1]``)."""
    x = np.concatenate([_rng.uniform(low, 12, 40), _rng.uniform(-4.9, -0.1, 10)]).reshape(5, 10).astype(dtype)
    x[np.abs(x - np.round(x)) < away[0]] += away[1]
    ours_in, theirs_in = dp.tensor(x, dtype=getattr(np, dtype), requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = ours_of(ours_in), theirs_of(theirs_in)
    assert ours.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **tolerance)
    g = _rng.standard_normal(x.shape).astype(dtype)
    ours.backward(g)
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(ours_in.grad, theirs_in.grad.numpy(), **slope_tolerance)


@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_gradients_match_finite_differences(name):
    x = dp.tensor(np.concatenate([_rng.uniform(0.2, 15, 8), [-0.5, -1.7]]), dtype=np.float64, requires_grad=True)
    assert dp.gradcheck(getattr(dp, name), [x])


def test_integers_compute_in_the_default_dtype():
    assert dp.lgamma(dp.tensor([1, 2, 5])).dtype == np.float32
    np.testing.assert_allclose(dp.lgamma(dp.tensor([1, 2, 5])).data, [0, 0, math.log(24)], rtol=1e-6, atol=1e-7)


def test_the_names():
    assert special.gammaln is dp.lgamma and special.digamma is dp.digamma and special.psi is dp.digamma
    x = dp.tensor([0.5, 3.0], dtype=np.float64)
    np.testing.assert_allclose(x.lgamma().data, [0.5 * math.log(math.pi), math.log(2)], rtol=1e-15)
    np.testing.assert_allclose(x.digamma().data, dp.digamma(x).data, rtol=0)


def test_polygamma_matches_scipy_over_the_real_line():
    """ψ⁽ⁿ⁾ for n = 2 … 40: to a few units in the last place of SciPy's (itself checked against mpmath
    while writing this: both within 5e-15 for x > 0, ours within 2.5e-15 for −64 < x < 0), where the
    values stay in float64's range. Below −64 the reflection's two terms cancel to ~1e-13 at worst."""
    scipy_special = pytest.importorskip("scipy.special")
    far = _rng.uniform(-200, -64, 100)
    for n in (2, 3, 4, 5, 7, 12, 20, 40):
        x = POINTS[(np.abs(POINTS) < 1e6) | (n < 5)]
        for points, rtol in ((x, 2e-13 if n >= 12 else 2e-14), (far, 3e-13)):
            expected = scipy_special.polygamma(n, points)
            keep = np.isfinite(expected) & (np.abs(expected) > 1e-290)
            np.testing.assert_allclose(polygamma_values(n, points[keep]), expected[keep], rtol=rtol, err_msg=f"n = {n}")


def test_polygamma_of_orders_zero_and_one_is_digamma_and_trigamma():
    x = POINTS[:50]
    np.testing.assert_array_equal(polygamma_values(0, x), digamma_values(x))
    np.testing.assert_array_equal(polygamma_values(1, x), trigamma_values(x))


def test_polygamma_edges_match_pytorch():
    # the poles: +inf for odd n, −inf for even (PyTorch's); 0 at +inf, NaN at NaN
    x = np.array([0.0, -1.0, -3.0, np.inf, np.nan, -2.5, 1e-8])
    for n in (2, 3):
        ours = dp.polygamma(n, dp.tensor(x, dtype=np.float64)).data
        expected = torch.polygamma(n, torch.tensor(x)).numpy()
        expected[3] = 0.0  # (PyTorch's NaN at +inf for n ≥ 2, where the function tends to 0)
        np.testing.assert_allclose(ours, expected, rtol=1e-13, equal_nan=True)
    with pytest.raises(ValueError, match="non-negative integer"):
        dp.polygamma(-1, dp.tensor([1.0]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", [2, 3])
def test_polygamma_values_and_gradients_match_pytorch(n, dtype):
    tolerance = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=2e-5, atol=2e-6)
    _compare(lambda t: special.polygamma(n, t), lambda t: torch.special.polygamma(n, t), dtype, low=0.2,
             away=(0.05, 0.1), tolerance=tolerance, slope_tolerance=tolerance)


def test_polygamma_gradient_matches_finite_differences_and_its_names():
    x = dp.tensor(np.concatenate([_rng.uniform(0.2, 15, 8), [-0.5, -1.7]]), dtype=np.float64, requires_grad=True)
    assert dp.gradcheck(lambda t: dp.polygamma(3, t), [x])
    assert special.polygamma is dp.polygamma
    np.testing.assert_array_equal(x.polygamma(2).data, dp.polygamma(2, x).data)
