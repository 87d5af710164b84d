"""Wishart, LKJCholesky and the ExponentialFamily base: finite-difference gradients (first and second
order), statistics of seeded draws against the analytic moments, shapes, expand, argument checks,
the exponential-family entropy and KL of a user's own family, and PyTorch's module paths.

Values and gradients against PyTorch are in reference/test_torch_distribution_wishart_lkj.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd
from deltaprop.errors import ConfigError, DataError, ShapeError
from distribution_checks import assert_draws_repeat_under_manual_seed, unvalidated_gradcheck

SIGMA = np.array([[2.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 0.5]])
X = np.array([[3.0, 0.5, 0.1], [0.5, 2.0, -0.3], [0.1, -0.3, 1.0]])


def _t(a, grad=True):
    return dp.tensor(np.asarray(a, np.float64), dtype=np.float64, requires_grad=grad)


@pytest.mark.parametrize("check", [dp.gradcheck, dp.autograd.gradgradcheck])
def test_wishart_log_prob_and_entropy_gradients_match_finite_differences(check):
    L = np.linalg.cholesky(SIGMA)
    for quantity in ("log_prob", "entropy"):
        def fn(df, tril, x):
            w = dd.Wishart(df, scale_tril=tril.tril())
            # (X symmetric: built from its lower triangle, as the Cholesky factor of X reads that alone)
            return w.log_prob(x.tril() + x.tril(-1).mT) if quantity == "log_prob" else w.entropy()
        assert unvalidated_gradcheck(fn, (_t([4.5, 6.0]), _t(L), _t(X)), check)


def test_wishart_rsample_gradients_reach_df_and_the_scale():
    df, tril = _t(5.0), _t(np.linalg.cholesky(SIGMA))
    dp.manual_seed(3)
    x = dd.Wishart(df, scale_tril=tril).rsample((4000,))
    x.mean(0).sum().backward()
    # E[X] = νΣ: d/dν Σ_ij νΣ_ij = Σ_ij Σ_ij, and the sample mean's gradient is unbiased for it
    assert abs(df.grad - SIGMA.sum()) < 0.1 * abs(SIGMA.sum())
    expected = 5.0 * (np.ones((3, 3)) + np.ones((3, 3))) @ np.linalg.cholesky(SIGMA)  # d/dL of Σ_ij ν(LLᵀ)_ij
    np.testing.assert_allclose(np.tril(tril.grad), np.tril(expected), rtol=0.1, atol=0.3)


def test_wishart_draws_have_the_analytic_mean_and_variance():
    dp.manual_seed(0)
    w = dd.Wishart(dp.tensor([3.5, 8.0]), covariance_matrix=dp.tensor(SIGMA))
    x = w.sample((40000,)).data
    assert x.shape == (40000, 2, 3, 3)
    # sample means and variances of 40,000 draws: relative errors of a few per cent at most
    np.testing.assert_allclose(x.mean(0), w.mean.data, atol=0.04 * np.abs(w.mean.data).max())
    np.testing.assert_allclose(x.var(0), w.variance.data, rtol=0.08, atol=0.02 * w.variance.data.max())
    assert np.allclose(x, np.swapaxes(x, -1, -2)) and (np.linalg.eigvalsh(x) > 0).all()


def test_wishart_moments_and_mode():
    w = dd.Wishart(dp.tensor([2.5, 6.0]), covariance_matrix=dp.tensor(SIGMA))
    np.testing.assert_allclose(w.mean.data[1], 6 * SIGMA)
    np.testing.assert_allclose(w.mode.data[1], 2 * SIGMA)
    assert np.isnan(w.mode.data[0]).all()  # ν < p + 1: no peak
    d = np.diag(SIGMA)
    np.testing.assert_allclose(w.variance.data[1], 6 * (SIGMA ** 2 + np.outer(d, d)))


def test_wishart_log_prob_integrates_against_a_known_case():
    # p = 1: W(ν, σ²) is σ²·χ²(ν), Gamma(ν/2, rate 1/(2σ²))
    w = dd.Wishart(_t(3.3), covariance_matrix=_t([[1.7]]))
    g = dd.Gamma(_t(1.65), _t(1 / 3.4))
    np.testing.assert_allclose(w.log_prob(_t([[2.2]])).item(), g.log_prob(_t(2.2)).item(), rtol=1e-12)
    np.testing.assert_allclose(w.entropy().item(), g.entropy().item(), rtol=1e-12)


def test_wishart_shapes_expand_and_given_matrices():
    P = np.linalg.inv(SIGMA)
    a = dd.Wishart(_t([4.0, 5.0]), precision_matrix=_t(P))
    assert a.batch_shape == (2,) and a.event_shape == (3, 3) and a.has_rsample
    np.testing.assert_allclose(a.covariance_matrix.data[0], SIGMA, rtol=1e-12)
    e = a.expand((4, 2))
    assert e.batch_shape == (4, 2) and e.sample((5,)).shape == (5, 4, 2, 3, 3)
    np.testing.assert_allclose(e.log_prob(_t(X)).data[3], a.log_prob(_t(X)).data)
    assert_draws_repeat_under_manual_seed(dd.Wishart(dp.tensor(4.0, dtype=np.float32),
                                                     covariance_matrix=dp.tensor(SIGMA, dtype=np.float32)))


def test_wishart_refuses_bad_arguments():
    with pytest.raises(ConfigError, match="df must be greater than 2"):
        dd.Wishart(dp.tensor(1.5), covariance_matrix=dp.tensor(SIGMA))
    with pytest.raises(ConfigError, match="exactly one of"):
        dd.Wishart(dp.tensor(4.0))
    with pytest.raises(ConfigError, match="covariance_matrix must be"):
        dd.Wishart(dp.tensor(4.0), covariance_matrix=dp.tensor(-SIGMA))
    with pytest.raises(ShapeError, match="square matrix"):
        dd.Wishart(dp.tensor(4.0), covariance_matrix=dp.tensor(np.ones((2, 3))))
    with pytest.raises(ShapeError, match="cannot be broadcast"):
        dd.Wishart(dp.tensor([4.0, 5.0, 6.0]), covariance_matrix=dp.tensor(np.stack([SIGMA, SIGMA])))
    with pytest.raises(DataError, match="support"):
        dd.Wishart(dp.tensor(4.0), covariance_matrix=dp.tensor(SIGMA)).log_prob(dp.tensor(-X))


def test_lkj_draws_have_the_marginal_law_of_the_correlations():
    dp.manual_seed(1)
    eta = np.array([0.5, 1.0, 3.0])
    d = dd.LKJCholesky(4, dp.tensor(eta))
    L = d.sample((30000,)).data
    assert L.shape == (30000, 3, 4, 4) and d.support.check(L).all()
    R = L @ np.swapaxes(L, -1, -2)
    # every off-diagonal correlation: mean 0, variance 1/(2η + d − 1); 30,000 draws give ±2% on it
    for i, j in [(1, 0), (2, 1), (3, 0), (3, 2)]:
        np.testing.assert_allclose(R[:, :, i, j].mean(0), 0, atol=0.015)
        np.testing.assert_allclose(R[:, :, i, j].var(0), 1 / (2 * eta + 3), rtol=0.04)


def test_lkj_log_prob_is_a_normalised_density():
    # d = 2: L = [[1, 0], [r, √(1 − r²)]], the density of r is ∝ (1 − r²)^(η − 1) on (−1, 1)
    eta = 2.5
    r = np.linspace(-0.999, 0.999, 4001)
    L = np.zeros((r.size, 2, 2))
    L[:, 0, 0], L[:, 1, 0], L[:, 1, 1] = 1, r, np.sqrt(1 - r * r)
    p = np.exp(dd.LKJCholesky(2, eta).log_prob(dp.tensor(L)).data)
    assert abs(np.trapezoid(p, r) - 1) < 1e-4
    # d = 3, η = 1 (uniform over correlation matrices): the density over the 3 entries below the diagonal
    # integrates to 1; checked by importance sampling from its own draws: E[1/p] = volume of the support
    dp.manual_seed(2)
    d = dd.LKJCholesky(3, 1.0)
    lp = d.log_prob(d.sample((20000,))).data
    # the support of (w₁₀, w₂₀, w₂₁) is an interval times a unit disc: volume 2π
    np.testing.assert_allclose(np.mean(np.exp(-lp)), 2 * math.pi, rtol=0.02)


def test_lkj_log_prob_gradient_and_checks():
    dp.manual_seed(4)
    L = dd.LKJCholesky(3, 2.0).sample((2,))
    assert unvalidated_gradcheck(lambda eta: dd.LKJCholesky(3, eta).log_prob(L), (_t([0.7, 2.0]),))
    assert unvalidated_gradcheck(lambda eta: dd.LKJCholesky(3, eta).log_prob(L), (_t([0.7, 2.0]),),
                                 dp.autograd.gradgradcheck)
    d = dd.LKJCholesky(3, dp.tensor([1.0, 2.0]))
    assert d.batch_shape == (2,) and d.event_shape == (3, 3) and not d.has_rsample
    assert d.expand((4, 2)).sample((5,)).shape == (5, 4, 2, 3, 3)
    with pytest.raises(NotImplementedError):
        d.rsample()
    with pytest.raises(ConfigError, match="dim must be an integer of at least 2"):
        dd.LKJCholesky(1)
    with pytest.raises(ConfigError, match="concentration must be"):
        dd.LKJCholesky(3, -1.0)
    with pytest.raises(DataError, match="support"):
        d.log_prob(dp.tensor(np.eye(3) * 2))


class _Poissonish(dd.ExponentialFamily):
    """A user's own family: Poisson(λ) with θ = ln λ, F(θ) = e^θ and k(x) = −ln x!."""

    arg_constraints = {"rate": dd.constraints.positive}

    def __init__(self, rate):
        self.rate = rate
        super().__init__(rate.shape)

    @property
    def _natural_params(self):
        return (self.rate.log(),)

    def _log_normalizer(self, theta):
        return theta.exp()

    @property
    def _mean_carrier_measure(self):
        # E[−ln X!], by summing the mass function far into the tail
        k = np.arange(200)
        lam = self.rate.data[..., None]
        log_pmf = k * np.log(lam) - lam - np.array([math.lgamma(i + 1) for i in k])
        return _t(-(np.exp(log_pmf) * np.array([math.lgamma(i + 1) for i in k])).sum(-1), grad=False)


def test_the_exponential_family_base_gives_a_users_family_its_entropy_and_kl():
    rate = _t([0.7, 3.0, 12.0])
    ours = _Poissonish(rate)
    k = np.arange(200)
    log_pmf = k * np.log(rate.data[:, None]) - rate.data[:, None] - np.array([math.lgamma(i + 1) for i in k])
    np.testing.assert_allclose(ours.entropy().data, -(np.exp(log_pmf) * log_pmf).sum(-1), rtol=1e-10)
    other = _Poissonish(_t([2.0, 2.0, 2.0], grad=False))
    np.testing.assert_allclose(dd.kl_divergence(ours, other).data,
                               dd.kl_divergence(dd.Poisson(rate), dd.Poisson(other.rate)).data, rtol=1e-10)
    # both differentiable with respect to the parameters
    dd.kl_divergence(ours, other).sum().backward()
    expected = np.log(rate.data / 2)  # d/dλ [λ ln(λ/μ) − λ + μ]
    np.testing.assert_allclose(rate.grad, expected, rtol=1e-10)
    with pytest.raises(NotImplementedError, match="Poisson"):
        dd.kl_divergence(dd.Poisson(rate), dd.Normal(0.0, 1.0))


def test_pytorchs_exponential_families_are_exponential_families():
    families = [dd.Bernoulli(0.3), dd.Beta(2.0, 3.0), dd.Chi2(3.0), dd.ContinuousBernoulli(0.3),
                dd.Dirichlet(dp.tensor([1.0, 2.0])), dd.Exponential(1.0), dd.Gamma(2.0, 1.0), dd.Normal(0.0, 1.0),
                dd.Poisson(2.0), dd.Wishart(_t(3.0), covariance_matrix=_t(SIGMA))]
    assert all(isinstance(d, dd.ExponentialFamily) for d in families)
    assert not any(isinstance(d, dd.ExponentialFamily) for d in [dd.Laplace(0.0, 1.0), dd.LKJCholesky(3)])
    w = families[-1]
    np.testing.assert_allclose(dd.ExponentialFamily.entropy(w).item(), w.entropy().item(), rtol=1e-12)


def test_pytorchs_module_paths():
    from deltaprop.distributions.exp_family import ExponentialFamily
    from deltaprop.distributions.fishersnedecor import FisherSnedecor
    from deltaprop.distributions.lkj_cholesky import LKJCholesky
    from deltaprop.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
    from deltaprop.distributions.one_hot_categorical import OneHotCategorical
    from deltaprop.distributions.studentT import StudentT
    from deltaprop.distributions.utils import broadcast_all, lazy_property  # noqa: F401
    from deltaprop.distributions.wishart import Wishart

    assert (ExponentialFamily, FisherSnedecor, LKJCholesky, LowRankMultivariateNormal, OneHotCategorical, StudentT,
            Wishart) == (dd.ExponentialFamily, dd.FisherSnedecor, dd.LKJCholesky, dd.LowRankMultivariateNormal,
                         dd.OneHotCategorical, dd.StudentT, dd.Wishart)
    assert dd.utils.euler_constant == pytest.approx(0.5772156649015329)
    with pytest.raises(AttributeError, match="no attribute"):
        dd.not_a_module  # noqa: B018


def test_the_utils_helpers():
    u = dd.utils
    m = _t(np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(u.tril_matrix_to_vec(m).data, [0, 3, 4, 6, 7, 8])
    np.testing.assert_array_equal(u.tril_matrix_to_vec(m, diag=-1).data, [3, 6, 7])
    back = u.vec_to_tril_matrix(u.tril_matrix_to_vec(m))
    np.testing.assert_array_equal(back.data, np.tril(m.data))
    np.testing.assert_array_equal(u.vec_to_tril_matrix(dp.tensor([1.0, 2.0, 3.0]), diag=-1).data,
                                  [[0, 0, 0], [1, 0, 0], [2, 3, 0]])
    back.sum().backward()
    np.testing.assert_array_equal(m.grad, np.tril(np.ones((3, 3))))
    with pytest.raises(ShapeError, match="vec_to_tril_matrix"):
        u.vec_to_tril_matrix(dp.tensor([1.0, 2.0]))
    p = dp.tensor([0.0, 0.2, 1.0])
    np.testing.assert_allclose(u.logits_to_probs(u.probs_to_logits(p, is_binary=True), is_binary=True).data,
                               [np.finfo(np.float32).eps, 0.2, 1 - np.finfo(np.float32).eps], rtol=1e-6)
    np.testing.assert_allclose(u.logits_to_probs(dp.tensor([0.0, math.log(3)])).data, [0.25, 0.75], rtol=1e-6)
    np.testing.assert_allclose(u.probs_to_logits(dp.tensor([0.25, 0.75])).data, np.log([0.25, 0.75]), rtol=1e-6)
