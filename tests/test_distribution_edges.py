"""deltaprop.distributions at the edges of their parameters, on their own: certain outcomes
(probabilities of 0 and 1), the divergences there against the Bernoulli rule they reduce to, and
values and slopes by hand.

The comparisons with torch.distributions are in reference/test_torch_distribution_edges.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd


def _f(v):
    return dp.tensor(v, dtype=np.float64)


def test_geometric_log_prob_at_a_certain_success_by_hand():
    """Geometric(p) at k = 0 scores ln p, of slope 1/p in p: 1 at p = 1, where k·ln(1 − p) (0 at k = 0)
    must add no 0/0 to it; at k = 2 the slope is 2·(−1/(1 − p)) + 1/p, −inf at p = 1."""
    p = dp.tensor([1.0, 0.25, 1.0, 0.25], dtype=np.float64, requires_grad=True)
    k = dp.tensor([0.0, 0.0, 2.0, 2.0], dtype=np.float64, requires_grad=True)
    score = dd.Geometric(p).log_prob(k)
    np.testing.assert_allclose(score.data, [0.0, np.log(0.25), -np.inf, 2 * np.log(0.75) + np.log(0.25)], rtol=1e-15)
    score.sum().backward()
    np.testing.assert_allclose(p.grad, [1.0, 4.0, -np.inf, -2 / 0.75 + 4.0], rtol=1e-14)
    # the slope in k is ln(1 − p): 0 at k = 0 and p = 1 (the term is 0 for every k there), −inf at k = 2
    np.testing.assert_allclose(k.grad, [0.0, np.log(0.75), -np.inf, np.log(0.75)], rtol=1e-14)


# probabilities with both ends: every pair of them (p, q)
_ENDS = np.array([0.0, 1e-3, 0.3, 0.7, 1.0])
_P, _Q = (a.ravel() for a in np.meshgrid(_ENDS, _ENDS, indexing="ij"))


def test_kl_of_binomials_is_n_bernoulli_divergences_at_every_edge():
    """n independent trials: n times the Bernoulli divergence, +inf where q's probability is 0 or 1 and
    p's differs (p draws what q cannot), 0 where the two are equal; and 0 for n = 0 (both draw only 0)."""
    bernoulli = dd.kl_divergence(dd.Bernoulli(_f(_P)), dd.Bernoulli(_f(_Q))).data
    assert np.isposinf(bernoulli[(_Q == 0) & (_P > 0)]).all() and np.isposinf(bernoulli[(_Q == 1) & (_P < 1)]).all()
    for n in (1.0, 4.0):
        result = dd.kl_divergence(dd.Binomial(n, _f(_P)), dd.Binomial(n, _f(_Q))).data
        np.testing.assert_allclose(result, n * bernoulli, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(dd.kl_divergence(dd.Binomial(0.0, _f(_P)), dd.Binomial(0.0, _f(_Q))).data, 0.0)


def test_kl_of_geometrics_is_a_bernoulli_divergence_over_p_at_every_edge():
    """E_p[k] = (1 − p)/p failures, each a trial: KL = (the Bernoulli divergence)/p, +inf where q = 1 > p."""
    keep = _P > 0  # (a Geometric's p is in (0, 1])
    p, q = _P[keep], _Q[keep]
    q = np.where(q == 0, 0.5, q)
    result = dd.kl_divergence(dd.Geometric(_f(p)), dd.Geometric(_f(q))).data
    bernoulli = dd.kl_divergence(dd.Bernoulli(_f(p)), dd.Bernoulli(_f(q))).data
    np.testing.assert_allclose(result, bernoulli / p, rtol=1e-12, atol=1e-14)
    assert np.isposinf(result[(q == 1) & (p < 1)]).all()
    # by hand: Geometric(½) from Geometric(¼): ln 2 + (1/½ − 1)·ln((½)/(¾))
    expected = np.log(2) + np.log(2 / 3)
    assert dd.kl_divergence(dd.Geometric(_f(0.5)), dd.Geometric(_f(0.25))).item() == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("p", [1e-12, 1e-20, 1e-30])
def test_geometric_draws_of_tiny_probabilities_have_the_mean(p):
    """(1 − p)/p failures on average, with a standard deviation of √(1 − p)/p per draw: the mean of
    20 000 draws within 5 standard errors (NumPy's sampler stops at the int64 limit, 9.2e18, below p ≈ 1e-18)."""
    dp.manual_seed(3)
    n = 20_000
    draws = dd.Geometric(_f([p])).sample((n,)).data
    assert draws.dtype == np.float64 and (draws >= 0).all() and (draws % 1 == 0).all()
    assert abs(draws.mean() - (1 - p) / p) <= 5 * np.sqrt(1 - p) / p / np.sqrt(n)


def test_geometric_draws_at_probabilities_0_and_1():
    """p = 1 succeeds at once (0 failures); p = 0 (a logit of −800, whose probability is 0) never does: +inf."""
    draws = dd.Geometric(logits=_f([800.0, -800.0])).sample((5,)).data
    np.testing.assert_array_equal(draws, [[0.0, np.inf]] * 5)


def test_poisson_draws_of_huge_rates_have_the_mean_and_variance():
    """From a rate of 1e12 on, the counts come from N(λ, λ), rounded (NumPy's sampler, whose standard
    deviation is 19% too large at 1e16, stops at about 9.2e18): of 100 000 draws, the mean within 5
    standard errors (√(λ/n)) and the standard deviation within 5 of its standard errors (√λ/√(2n)); a rate
    of +inf draws +inf, and small rates beside them NumPy's whole counts."""
    dp.manual_seed(4)
    n = 100_000
    rate = np.array([3.0, 1e11, 1e12, 1e16, 1e19, 1e25])
    draws = dd.Poisson(_f(np.append(rate, np.inf))).sample((n,)).data
    assert np.isposinf(draws[:, -1]).all()
    deviations = draws[:, :-1] - rate
    np.testing.assert_array_less(np.abs(deviations.mean(0)), 5 * np.sqrt(rate / n))
    np.testing.assert_array_less(np.abs(deviations.std(0) / np.sqrt(rate) - 1), 5 / np.sqrt(2 * n))
    assert (draws[:, :2] % 1 == 0).all() and (draws[:, 0] >= 0).all()
