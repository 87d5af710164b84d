"""The KL rules for the families added after the first ones, and between families, each one that
PyTorch registers in closed form: every formula is E_p[ln p(x) − ln q(x)] worked out below, and
written with deltaprop's operations so that both distributions' parameters get gradients.

kl_between.py takes ``kl_divergence`` and ``register_kl`` from here, and the package from it, so that
importing the package files these rules.
"""

from __future__ import annotations

import math

import numpy as np

from .binomial import Binomial
from .cauchy import Cauchy
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .half_normal import HalfNormal
from .kl import _bernoulli_bernoulli, _infinite_where, _normal_normal, _zero_where, kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .normal import Normal
from .poisson import Poisson
from .uniform import Uniform
from ..ops import erf, lgamma, xlogy

__all__ = ["kl_divergence", "register_kl"]

_EULER_GAMMA = 0.5772156649015329


@register_kl(Poisson, Poisson)
def _poisson_poisson(p, q):
    # E_p[k ln(λp/λq) − λp + λq] = λp ln(λp/λq) − (λp − λq); xlogy keeps λp = 0 at λq
    return xlogy(p.rate, p.rate) - xlogy(p.rate, q.rate) - (p.rate - q.rate)


@register_kl(Geometric, Geometric)
def _geometric_geometric(p, q):
    # E_p[ln(p/q) + k (ln(1 − p) − ln(1 − q))] with E_p[k] = (1 − p)/p: (p ln(p/q) + (1 − p) ln((1 − p)/(1 − q)))/p,
    # the divergence of one Bernoulli trial divided by p (+inf where q = 1 > p: p draws counts above 0)
    return _bernoulli_bernoulli(p, q) / p.probs


@register_kl(Binomial, Binomial)
def _binomial_binomial(p, q):
    # with equal n: E_p[k ln(p/q) + (n − k) ln((1 − p)/(1 − q))] = n·(the divergence of one Bernoulli trial),
    # +inf where q's probability is 0 or 1 and p's is not (as a Bernoulli's); 0 where n = 0 (both draw only
    # 0); +inf where p.total_count > q.total_count (p draws counts q cannot). As PyTorch, a smaller
    # p.total_count (a finite sum with no closed form) is refused.
    n_p, n_q = np.asarray(p.total_count.data), np.asarray(q.total_count.data)
    if (n_p < n_q).any():
        raise NotImplementedError("kl_divergence: KL(Binomial ‖ Binomial) is computed only where p.total_count is "
                                  "at least q.total_count, as in PyTorch")
    result = p.total_count * _zero_where(n_p == 0, _bernoulli_bernoulli(p, q))  # (not 0·inf)
    return _infinite_where(n_p > n_q, result)


@register_kl(HalfNormal, HalfNormal)
def _half_normal_half_normal(p, q):
    # the fold x = |y| is the same one-to-one map on both sides, so it is KL(N(0, σp²) ‖ N(0, σq²))
    ratio = p.scale / q.scale
    variance_ratio = ratio * ratio
    return 0.5 * (variance_ratio - 1 - variance_ratio.log())


@register_kl(LogNormal, LogNormal)
def _log_normal_log_normal(p, q):
    # KL is unchanged by the common map x = e^y: the divergence of the two normals of ln x
    return _normal_normal(p, q)


@register_kl(Cauchy, Cauchy)
def _cauchy_cauchy(p, q):
    # ln(((σp + σq)² + (μp − μq)²) / (4 σp σq)) (Chyzak and Nielsen, 2019)
    width = p.scale + q.scale
    shift = p.loc - q.loc
    return (width * width + shift * shift).log() - (4 * p.scale * q.scale).log()


@register_kl(Exponential, Gamma)
def _exponential_gamma(p, q):
    # ln p(x) = ln λ − λx; ln q(x) = α ln β − ln Γ(α) + (α − 1) ln x − βx; E_p[x] = 1/λ and
    # E_p[ln x] = −γ − ln λ (γ Euler's constant), so with r = β/λ:
    # KL = −α ln r + r + ln Γ(α) + αγ − (1 + γ)
    alpha = q.concentration
    ratio = q.rate / p.rate
    return -alpha * ratio.log() + ratio + lgamma(alpha) + alpha * _EULER_GAMMA - (1 + _EULER_GAMMA)


@register_kl(Uniform, Normal)
def _uniform_normal(p, q):
    # −ln(b − a) + ln(σ√(2π)) + E_p[(x − μ)²]/(2σ²), with E_p[(x − μ)²] = (b − a)²/12 + ((a + b)/2 − μ)²
    width = p.high - p.low
    offset = (p.high + p.low) / 2 - q.loc
    return ((math.sqrt(2 * math.pi) * q.scale / width).log()
            + (width * width / 12 + offset * offset) / (2 * q.scale * q.scale))


@register_kl(Normal, Laplace)
def _normal_laplace(p, q):
    # −ln σp − ½ ln(2πe) + ln(2b) + E_p|x − μq| / b, where for x ~ N(μp, σp²) and d = μp − μq,
    # E|x − μq| = σp √(2/π) e^(−d²/(2σp²)) + d·erf(d/(σp√2)) (the mean of a folded normal)
    d = p.loc - q.loc
    z = d / p.scale
    folded_mean = math.sqrt(2 / math.pi) * p.scale * (-0.5 * z * z).exp() + d * erf(z / math.sqrt(2))
    return (q.scale / p.scale).log() + folded_mean / q.scale - 0.5 * (1 + math.log(math.pi / 2))
