"""Gamma.cdf, P(α, βx) (the regularised lower incomplete gamma function), on its own: values against
SciPy's gammainc over a wide range of shapes and arguments, familiar cases by hand, gradients to α, β
and x against finite differences (float64), and the edges 0 and +inf.

The comparison with torch.distributions is in reference/test_torch_distribution_gamma_cdf.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

import deltaprop as dp
import deltaprop.distributions as dd


def _f(v, requires_grad=False):
    return dp.tensor(v, dtype=np.float64, requires_grad=requires_grad)


def test_cdf_matches_scipy_over_shapes_from_1e_3_to_1e4():
    """Both expansions (the series below α + 1, the continued fraction above), from far in the left tail to
    far in the right: within 1e-12 absolutely and 1e-9 relatively (the front factor z^α e^(−z) / Γ(α) is
    computed from logarithms of size α ln z, whose rounding grows with α)."""
    rng = np.random.default_rng(11)
    alpha = np.exp(rng.uniform(math.log(1e-3), math.log(1e4), 4000))
    z = alpha * np.exp(rng.uniform(-4, 2, 4000)) + rng.uniform(0, 3, 4000)
    result = dd.Gamma(_f(alpha), 1.0).cdf(_f(z)).data
    expected = special.gammainc(alpha, z)
    np.testing.assert_allclose(result, expected, rtol=1e-9, atol=1e-12)


def test_cdf_by_hand():
    """Gamma(1, λ) is Exponential(λ); for a whole α = k, P(k, z) = 1 − e^(−z) Σ_{j<k} zʲ/j! (the chance of
    fewer than k Poisson events in time z)."""
    x = _f([0.01, 0.7, 3.0, 40.0])
    np.testing.assert_allclose(dd.Gamma(_f(1.0), 2.5).cdf(x).data, dd.Exponential(_f(2.5)).cdf(x).data, rtol=1e-14)
    z = x.data
    fewer = np.exp(-z) * sum(z ** j / math.factorial(j) for j in range(4))
    np.testing.assert_allclose(dd.Gamma(_f(4.0), 1.0).cdf(x).data, 1 - fewer, rtol=1e-13, atol=1e-15)
    # and a chi-square with 3 degrees of freedom is Gamma(3/2, 1/2)
    np.testing.assert_allclose(dd.Gamma(_f(1.5), 0.5).cdf(x).data, stats.chi2(3).cdf(z), rtol=1e-13)


@pytest.mark.parametrize("alpha", [0.3, 1.0, 2.5, 40.0])
def test_cdf_gradients_match_finite_differences(alpha):
    """To the shape α (through ∂P/∂α = −p(z; α)·dz/dα, the implicit slope of a draw), the rate and the
    value, on both sides of α + 1."""
    x = alpha * np.array([[0.05, 0.6, 1.0], [1.4, 2.5, 4.0]])
    leaves = [_f([alpha, 1.2 * alpha, 0.9 * alpha], True), _f([[0.8], [1.3]], True), _f(x, True)]

    def fn(concentration, rate, value):
        return dd.Gamma(concentration, rate).cdf(value)

    assert dp.gradcheck(fn, leaves)


def test_cdf_at_zero_and_infinity():
    """0 at x = 0 and 1 at +inf, with no slope in α there; the slope in x is the density: +inf at 0 for
    α < 1, the rate β for α = 1, 0 for α > 1, and 0 at +inf."""
    concentration = _f([0.5, 1.0, 2.0, 0.5, 1.0, 2.0], True)
    x = _f([0.0, 0.0, 0.0, np.inf, np.inf, np.inf], True)
    p = dd.Gamma(concentration, 3.0).cdf(x)
    np.testing.assert_array_equal(p.data, [0, 0, 0, 1, 1, 1])
    p.sum().backward()
    np.testing.assert_array_equal(concentration.grad, np.zeros(6))
    np.testing.assert_array_equal(x.grad, [np.inf, 3.0, 0.0, 0.0, 0.0, 0.0])


def test_cdf_is_the_fraction_of_draws_below():
    """Of 100 000 draws, the fraction at or below x is within 5 standard errors of P(α, βx)."""
    dp.manual_seed(12)
    d = dd.Gamma(_f([0.4, 3.0, 30.0]), _f([2.0, 1.0, 0.5]))
    draws = d.sample((100_000,)).data
    x = d.mean.data * np.array([[0.3], [1.0], [2.0]])
    p = d.cdf(_f(x)).data
    below = (draws[:, None, :] <= x).mean(0)
    np.testing.assert_array_less(np.abs(below - p), 5 * np.sqrt(p * (1 - p) / len(draws)) + 1e-12)


def test_second_derivatives_through_cdf_pass_in_x_and_are_refused_by_name_in_alpha():
    """cdf is igamma, whose slope in x is the density, in recorded operations: d²P/dx² = p(x)·((α − 1)/x − 1)
    (times β² here). Its slope in α works on arrays (docs/porting.md names it among the exceptions)."""
    x = _f([1.0, 2.0, 3.5], True)
    alpha, rate = 2.5, 1.5
    (slope,) = dp.autograd.grad(dd.Gamma(_f(alpha), rate).cdf(x).sum(), x, create_graph=True)
    (curvature,) = dp.autograd.grad(slope.sum(), x)
    z = rate * x.data
    density = rate * z ** (alpha - 1) * np.exp(-z) / math.gamma(alpha)
    np.testing.assert_allclose(slope.data, density, rtol=1e-13)
    np.testing.assert_allclose(curvature.data, density * rate * ((alpha - 1) / z - 1), rtol=1e-12, atol=1e-15)
    concentration = _f(2.0, True)
    with pytest.raises(dp.errors.GradError, match="'igamma' with respect to a"):
        dp.autograd.grad(dd.Gamma(concentration, 1.0).cdf(_f([1.0, 2.0])).sum(), concentration, create_graph=True)
