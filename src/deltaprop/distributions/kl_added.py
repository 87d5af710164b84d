"""The KL rules PyTorch registers for the families added with the transforms (Gumbel, Pareto,
ContinuousBernoulli, LowRankMultivariateNormal, TransformedDistribution), each E_p[ln p(x) − ln q(x)]
= −H(p) − E_p[ln q(x)] worked out below and written with deltaprop's operations, so that both
distributions' parameters get gradients; the pairs where p draws what q cannot are +inf.

The expectations used: for a Gumbel q of location μ and scale β, ln q(x) = −ln β − z − e^(−z) with
z = (x − μ)/β, so E_p[ln q] needs E_p[x] and E_p[e^(−x/β)], the moment generating function of p at
−1/β: Γ(1 + β_p/β)·e^(−μ_p/β) for a Gumbel p, λ/(λ + 1/β) for an exponential, (1 + 1/(rβ))^(−k) for a
gamma, e^(−m/β + s²/(2β²)) for a normal N(m, s²), β(e^(−a/β) − e^(−b/β))/(b − a) for a uniform U(a, b).
For a Pareto q of scale s and index α, ln q(x) = ln α + α ln s − (α + 1) ln x; a Pareto p has
E[ln x] = ln s_p + 1/α_p, and its mean and variance (finite for α_p > 1 and > 2) where q needs them.
For a continuous Bernoulli q, ln q(x) = x ln λ + (1 − x) ln(1 − λ) + ln C(λ), so E_p[ln q] needs E_p[x] alone.

The package takes ``kl_divergence`` and ``register_kl`` from here, so that importing it files these rules.
"""

from __future__ import annotations

from .beta import Beta
from .continuous_bernoulli import ContinuousBernoulli
from .exp_family import ExponentialFamily, inner
from .exponential import Exponential
from .gamma import Gamma
from .gumbel import EULER_GAMMA, Gumbel
from .kl import _infinite_where, _multivariate_normal_multivariate_normal
from .kl_between import (_against_exponential, _against_gamma, _against_normal, _infinite, _uniform_mean_log,
                         kl_divergence, register_kl)
from .laplace import Laplace
from .low_rank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .pareto import Pareto
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform
from ..errors import ShapeError
from ..ops import lgamma, where

__all__ = ["kl_divergence", "register_kl"]


def _against_gumbel(negative_entropy, mean, mgf_at_minus_one_over_scale, q):
    # −H(p) + ln β + (E[x] − μ)/β + e^(μ/β)·E[e^(−x/β)]
    return (negative_entropy + q.scale.log() + (mean - q.loc) / q.scale
            + (q.loc / q.scale).exp() * mgf_at_minus_one_over_scale)


@register_kl(Gumbel, Gumbel)
def _gumbel_gumbel(p, q):
    # E_p[e^(−x/β)] = e^(−μp/β)·Γ(1 + βp/β), so e^(μ/β)·that = e^((μ − μp)/β)·Γ(1 + βp/β)
    ratio = p.scale / q.scale
    return (-(p.scale.log() + 1 + EULER_GAMMA) + q.scale.log() + (p.mean - q.loc) / q.scale
            + ((q.loc - p.loc) / q.scale + lgamma(1 + ratio)).exp())


@register_kl(Gumbel, Normal)
def _gumbel_normal(p, q):
    return _against_normal(-p.entropy(), p.mean, p.variance, q)


@register_kl(Exponential, Gumbel)
def _exponential_gumbel(p, q):
    # E[e^(−x/β)] = λ/(λ + 1/β) = λβ/(λβ + 1)
    rate_scale = p.rate * q.scale
    return _against_gumbel(p.rate.log() - 1, 1 / p.rate, rate_scale / (rate_scale + 1), q)


@register_kl(Gamma, Gumbel)
def _gamma_gumbel(p, q):
    return _against_gumbel(-p.entropy(), p.mean, (1 + 1 / (p.rate * q.scale)).pow(-p.concentration), q)


@register_kl(Normal, Gumbel)
def _normal_gumbel(p, q):
    # e^(μ/β)·E[e^(−x/β)] = e^((μ − m)/β + s²/(2β²)), one exponential (no overflow of e^(μ/β) alone)
    z = p.scale / q.scale
    return (-p.entropy() + q.scale.log() + (p.loc - q.loc) / q.scale
            + ((q.loc - p.loc) / q.scale + 0.5 * z * z).exp())


@register_kl(Uniform, Gumbel)
def _uniform_gumbel(p, q):
    # e^(μ/β)·β(e^(−a/β) − e^(−b/β))/(b − a), the exponentials taken together with e^(μ/β)
    width = p.high - p.low
    tail = q.scale * (((q.loc - p.low) / q.scale).exp() - ((q.loc - p.high) / q.scale).exp()) / width
    return -width.log() + q.scale.log() + (p.mean - q.loc) / q.scale + tail


def _log_pareto_moments(p):
    """E_p[ln x] = ln s + 1/α of a Pareto p."""
    return p.scale.log() + 1 / p.alpha


def _finite_where(p, bound: float, formula):
    """formula(α) where α > bound (α replaced by bound + 1 elsewhere, so that no pole meets the gradient),
    +inf elsewhere: the moments q needs are infinite there."""
    above = p.alpha.data > bound
    return _infinite_where(~above, formula(where(above, p.alpha, bound + 1.0)))


@register_kl(Pareto, Pareto)
def _pareto_pareto(p, q):
    # ln(αp/αq) + αq ln(sp/sq) + αq/αp − 1 where sp ≥ sq, +inf where p draws below q's scale
    ratio = q.alpha / p.alpha
    result = -ratio.log() + q.alpha * (p.scale / q.scale).log() + ratio - 1
    return _infinite_where(p.scale.data < q.scale.data, result)


@register_kl(Pareto, Exponential)
def _pareto_exponential(p, q):
    return _finite_where(p, 1.0, lambda a: _against_exponential(-p.entropy(), a * p.scale / (a - 1), q))


@register_kl(Pareto, Gamma)
def _pareto_gamma(p, q):
    return _finite_where(p, 1.0, lambda a: _against_gamma(-p.entropy(), a * p.scale / (a - 1),
                                                          _log_pareto_moments(p), q))


@register_kl(Pareto, Normal)
def _pareto_normal(p, q):
    def formula(a):
        mean = a * p.scale / (a - 1)
        return _against_normal(-p.entropy(), mean, mean * mean / (a * (a - 2)), q)  # (s²α/((α − 1)²(α − 2)))
    return _finite_where(p, 2.0, formula)


@register_kl(Uniform, Pareto)
def _uniform_pareto(p, q):
    # −ln(b − a) − ln α − α ln s + (α + 1)·E[ln x], +inf where a < s (p draws below q's scale)
    outside = p.low.data < q.scale.data
    low, high = where(outside, q.scale + 1, p.low), where(outside, q.scale + 2, p.high)  # (no NaN where +inf)
    result = (-(high - low).log() - q.alpha.log() - q.alpha * q.scale.log()
              + (q.alpha + 1) * _uniform_mean_log(low, high))
    return _infinite_where(outside, result)


def _against_continuous_bernoulli(negative_entropy, mean, q):
    # −H(p) − E_p[x ln λ + (1 − x) ln(1 − λ) + ln C(λ)]
    return negative_entropy - (mean * q.logits + (-q.probs).log1p() + q._log_normaliser().to(q.dtype))


@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _continuous_bernoulli_continuous_bernoulli(p, q):
    return _against_continuous_bernoulli(-p.entropy(), p.mean, q)


@register_kl(ContinuousBernoulli, Exponential)
def _continuous_bernoulli_exponential(p, q):
    return _against_exponential(-p.entropy(), p.mean, q)


@register_kl(ContinuousBernoulli, Normal)
def _continuous_bernoulli_normal(p, q):
    return _against_normal(-p.entropy(), p.mean, p.variance, q)


@register_kl(ContinuousBernoulli, Uniform)
def _continuous_bernoulli_uniform(p, q):
    # −H(p) + ln(b − a), +inf unless [0, 1] lies within [a, b]
    result = -p.entropy() + (q.high - q.low).log()
    return _infinite_where((q.low.data > 0) | (q.high.data < 1), result)


@register_kl(Beta, ContinuousBernoulli)
def _beta_continuous_bernoulli(p, q):
    return _against_continuous_bernoulli(-p.entropy(), p.mean, q)


@register_kl(Uniform, ContinuousBernoulli)
def _uniform_continuous_bernoulli(p, q):
    # +inf unless [a, b] lies within [0, 1]
    return _infinite_where((p.low.data < 0) | (p.high.data > 1), _against_continuous_bernoulli(-p.entropy(), p.mean, q))


for _p, _q in [(Beta, Pareto), (ContinuousBernoulli, Pareto), (Exponential, ContinuousBernoulli),
               (Exponential, Pareto), (Gamma, ContinuousBernoulli), (Gamma, Pareto), (Gumbel, Beta),
               (Gumbel, ContinuousBernoulli), (Gumbel, Exponential), (Gumbel, Gamma), (Gumbel, Pareto),
               (Gumbel, Uniform), (Laplace, ContinuousBernoulli), (Laplace, Pareto), (Normal, ContinuousBernoulli),
               (Normal, Pareto), (Pareto, Beta), (Pareto, ContinuousBernoulli), (Pareto, Uniform)]:
    register_kl(_p, _q)(_infinite)


def _full(d):
    """A low-rank normal as the MultivariateNormal of its whole covariance (n × n: the divergence
    needs Σq⁻¹Σp, which the low rank does not make cheaper here)."""
    if isinstance(d, LowRankMultivariateNormal):
        return MultivariateNormal(d.loc, covariance_matrix=d.covariance_matrix, validate_args=False)
    return d


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
@register_kl(LowRankMultivariateNormal, MultivariateNormal)
@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _low_rank_multivariate_normal(p, q):
    return _multivariate_normal_multivariate_normal(_full(p), _full(q))


@register_kl(TransformedDistribution, TransformedDistribution)
def _transformed_transformed(p, q):
    # one map applied to both: KL is unchanged by a one-to-one change of variables
    if p.transforms != q.transforms:
        raise NotImplementedError("kl_divergence: KL of two TransformedDistributions is computed only when their "
                                  "transforms are equal, as in PyTorch")
    if p.event_shape != q.event_shape:
        raise ShapeError(f"kl_divergence: the two TransformedDistributions have different event shapes, "
                         f"{p.event_shape} and {q.event_shape}")
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(ExponentialFamily, ExponentialFamily)
def _exponential_family(p, q):
    # the Bregman divergence of the log normaliser F: F(θq) − F(θp) − ⟨θq − θp, ∇F(θp)⟩
    if type(p) is not type(q):
        raise NotImplementedError(f"kl_divergence: no rule is registered for KL({type(p).__name__} ‖ "
                                  f"{type(q).__name__}); the exponential-family rule needs two of one family")
    theta_p, normalizer_p, gradients = p._normalizer_and_gradient()
    result = q._log_normalizer(*q._natural_params) - normalizer_p
    for tp, tq, g in zip(theta_p, q._natural_params, gradients):
        result = result - inner(tq - tp, g, len(p.batch_shape))
    return result
