"""KL(p ‖ q) = E_p[ln p(x) − ln q(x)], in closed form for the pairs registered with :func:`register_kl`.

Each rule is the textbook formula written with deltaprop's operations, so its gradient with respect
to both distributions' parameters comes from the graph. Where q gives probability 0 to something p
can draw, the divergence is +inf, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..linalg import solve
from ..ops import digamma, lgamma, softplus, where
from .bernoulli import Bernoulli
from .beta import Beta, log_beta
from .categorical import Categorical, OneHotCategorical
from .dirichlet import Dirichlet
from .exponential import Exponential
from .gamma import Gamma
from .independent import Independent, sum_rightmost
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal, half_log_det, solve_lower
from .normal import Normal
from .uniform import Uniform

_RULES: dict = {}


def register_kl(type_p, type_q):
    """A decorator that files ``rule(p, q)`` as the KL divergence of a ``type_p`` from a ``type_q``
    (subclasses included, the most specific rule winning), as PyTorch's ``register_kl``."""
    for name, kind in (("type_p", type_p), ("type_q", type_q)):
        if not isinstance(kind, type):
            raise TypeError(f"register_kl: {name} must be a distribution class, got {kind!r}")

    def decorator(rule):
        _RULES[type_p, type_q] = rule
        return rule

    return decorator


def kl_divergence(p, q):
    """KL(p ‖ q), one value per element of the batch; NotImplementedError for an unregistered pair."""
    kind_p, kind_q = type(p), type(q)
    pairs = [(kind_p.__mro__.index(a), kind_q.__mro__.index(b), (a, b)) for a, b in _RULES
             if issubclass(kind_p, a) and issubclass(kind_q, b)]
    if not pairs:
        raise NotImplementedError(f"kl_divergence: no rule is registered for KL({kind_p.__name__} ‖ {kind_q.__name__}); "
                                  "file one with register_kl")
    return _RULES[min(pairs)[2]](p, q)


def _infinite_where(mask: np.ndarray, t):
    return where(np.broadcast_to(mask, t.shape), np.inf, t)


def _zero_where(mask: np.ndarray, t):
    return where(np.broadcast_to(mask, t.shape), 0.0, t)


@register_kl(Normal, Normal)
def _normal_normal(p, q):
    # ½ (σp²/σq² + (μp − μq)²/σq² − 1 − ln(σp²/σq²))
    ratio = p.scale / q.scale
    variance_ratio = ratio * ratio
    z = (p.loc - q.loc) / q.scale
    return 0.5 * (variance_ratio + z * z - 1 - variance_ratio.log())


@register_kl(Bernoulli, Bernoulli)
def _bernoulli_bernoulli(p, q):
    # p ln(p/q) + (1 − p) ln((1 − p)/(1 − q)), by softplus of the logits (ln p = −softplus(−logit))
    ones = _infinite_where(q.probs.data == 0, p.probs * (softplus(-q.logits) - softplus(-p.logits)))
    ones = _zero_where(p.probs.data == 0, ones)
    zeros = _infinite_where(q.probs.data == 1, (1 - p.probs) * (softplus(q.logits) - softplus(p.logits)))
    zeros = _zero_where(p.probs.data == 1, zeros)
    return ones + zeros


@register_kl(Categorical, Categorical)
def _categorical_categorical(p, q):
    # Σ_k p_k (ln p_k − ln q_k): +inf where q_k = 0 < p_k, and a class with p_k = 0 adds nothing
    t = p.probs * (p.logits - q.logits)
    t = _zero_where(p.probs.data == 0, _infinite_where(q.probs.data == 0, t))
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _one_hot_one_hot(p, q):
    return _categorical_categorical(p._categorical, q._categorical)


@register_kl(Uniform, Uniform)
def _uniform_uniform(p, q):
    # ln((bq − aq)/(bp − ap)) when [ap, bp] lies within [aq, bq], else +inf
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return _infinite_where((q.low.data > p.low.data) | (q.high.data < p.high.data), result)


@register_kl(Exponential, Exponential)
def _exponential_exponential(p, q):
    # λq/λp − 1 − ln(λq/λp)
    ratio = q.rate / p.rate
    return ratio - 1 - ratio.log()


@register_kl(Laplace, Laplace)
def _laplace_laplace(p, q):
    # −ln(bp/bq) + |μp − μq|/bq + (bp/bq)·e^(−|μp − μq|/bp) − 1
    ratio = p.scale / q.scale
    distance = (p.loc - q.loc).abs()
    return -ratio.log() + distance / q.scale + ratio * (-distance / p.scale).exp() - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _multivariate_normal_multivariate_normal(p, q):
    # ½ (tr(Σq⁻¹Σp) + (μq − μp)ᵀΣq⁻¹(μq − μp) − n + ln(det Σq / det Σp)), with Σ = L·Lᵀ:
    # tr(Σq⁻¹Σp) = |Lq⁻¹Lp|² (the Frobenius norm) and the quadratic form is |Lq⁻¹(μq − μp)|²
    if p.event_shape != q.event_shape:
        raise ShapeError(f"kl_divergence: the two MultivariateNormals have different event shapes, "
                         f"{p.event_shape} and {q.event_shape}")
    ratio = solve(q.scale_tril.tril(), p.scale_tril)  # Lq's lower triangle only, as solve_lower
    z = solve_lower(q.scale_tril, q.loc - p.loc)
    trace = (ratio * ratio).sum((-2, -1))
    return half_log_det(q.scale_tril) - half_log_det(p.scale_tril) + 0.5 * (trace + (z * z).sum(-1) - p.event_shape[0])


@register_kl(Independent, Independent)
def _independent_independent(p, q):
    # independent parts add their divergences
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError(f"kl_divergence: the two Independents reinterpret different numbers of batch "
                                  f"dimensions, {p.reinterpreted_batch_ndims} and {q.reinterpreted_batch_ndims}")
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


@register_kl(Gamma, Gamma)
def _gamma_gamma(p, q):
    # (αp − αq) ψ(αp) − ln Γ(αp) + ln Γ(αq) + αq ln(βp/βq) + αp (βq − βp)/βp
    return ((p.concentration - q.concentration) * digamma(p.concentration) - lgamma(p.concentration)
            + lgamma(q.concentration) + q.concentration * (p.rate / q.rate).log()
            + p.concentration * (q.rate - p.rate) / p.rate)


@register_kl(Beta, Beta)
def _beta_beta(p, q):
    # ln B(αq, βq) − ln B(αp, βp) + (αp − αq) ψ(αp) + (βp − βq) ψ(βp) + (αq − αp + βq − βp) ψ(αp + βp)
    a, b, c, d = p.concentration1, p.concentration0, q.concentration1, q.concentration0
    return (log_beta(c, d) - log_beta(a, b) + (a - c) * digamma(a) + (b - d) * digamma(b)
            + (c - a + d - b) * digamma(a + b))


@register_kl(Dirichlet, Dirichlet)
def _dirichlet_dirichlet(p, q):
    # ln Γ(αp₀) − ln Γ(αq₀) − Σ (ln Γ(αp) − ln Γ(αq)) + Σ (αp − αq)(ψ(αp) − ψ(αp₀)), α₀ the sum over classes
    a, b = p.concentration, q.concentration
    total = a.sum(-1)
    return (lgamma(total) - lgamma(b.sum(-1)) - (lgamma(a) - lgamma(b)).sum(-1)
            + ((a - b) * (digamma(a) - digamma(total).unsqueeze(-1))).sum(-1))
