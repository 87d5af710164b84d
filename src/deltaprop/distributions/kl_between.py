"""The KL rules between two different families that PyTorch registers: each closed form is
E_p[ln p(x)] − E_p[ln q(x)] = −H(p) − E_p[ln q(x)], worked out below from the moments of p that
ln q needs; the pairs where p can draw what q cannot (a normal against anything bounded or positive)
are +inf, a constant without gradient.

The moments used: a Beta(α, β) has E[x] = α/(α + β), Var x = E[x](1 − E[x])/(α + β + 1) and
E[ln x] = ψ(α) − ψ(α + β); a Gamma(k, r) has E[x] = k/r, E[x²] = (k² + k)/r²; a Uniform(a, b) has
E[x] = (a + b)/2 and E[ln x] = (b ln b − a ln a)/(b − a) − 1 (the integral of ln, x ln x − x).
Against a normal, E_p[(x − μ)²] = Var_p x + (E_p[x] − μ)².

The package takes ``kl_divergence`` and ``register_kl`` from here, so that importing it files these rules.
"""

from __future__ import annotations

import math

import numpy as np

from .bernoulli import Bernoulli
from .beta import Beta, log_beta
from .binomial import Binomial
from .exponential import Exponential
from .gamma import Gamma
from .kl import _infinite_where
from .kl_more import kl_divergence, register_kl
from .laplace import Laplace
from .normal import Normal
from .poisson import Poisson
from .uniform import Uniform
from ..ops import digamma, lgamma, softplus, where, xlogy
from ..tensor import tensor

__all__ = ["kl_divergence", "register_kl"]

_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)


def _against_normal(negative_entropy, mean, variance, q):
    # −H(p) + ½ ln(2πσ²) + E_p[(x − μ)²]/(2σ²)
    offset = mean - q.loc
    return negative_entropy + _HALF_LOG_TWO_PI + q.scale.log() + (variance + offset * offset) / (2 * q.scale * q.scale)


def _against_gamma(negative_entropy, mean, mean_log, q):
    # −H(p) − E_p[k ln r − ln Γ(k) + (k − 1) ln x − r x]
    k, r = q.concentration, q.rate
    return negative_entropy - k * r.log() + lgamma(k) - (k - 1) * mean_log + r * mean


def _against_exponential(negative_entropy, mean, q):
    # −H(p) − E_p[ln λ − λx]
    return negative_entropy - q.rate.log() + q.rate * mean


def _infinite(p, q):
    """+inf for every element of the two batches, broadcast: p draws values that q cannot."""
    return tensor(np.full(np.broadcast_shapes(p.batch_shape, q.batch_shape), np.inf), dtype=p.dtype)


def _beta_moments(p):
    a, b = p.concentration1, p.concentration0
    mean = a / (a + b)
    return mean, mean * (1 - mean) / (a + b + 1), digamma(a) - digamma(a + b)


def _uniform_mean_log(low, high):
    # E[ln x] for x ~ U(a, b), a ≥ 0: (b ln b − a ln a)/(b − a) − 1, x ln x by xlogy (0 at 0)
    return (xlogy(high, high) - xlogy(low, low)) / (high - low) - 1


@register_kl(Bernoulli, Poisson)
def _bernoulli_poisson(p, q):
    # −H(p) − E_p[k ln λ − λ − ln k!] with k ∈ {0, 1}: −H(p) − π ln λ + λ (xlogy: π = 0 takes no ln λ)
    return -p.entropy() - xlogy(p.probs, q.rate) + q.rate


@register_kl(Beta, Exponential)
def _beta_exponential(p, q):
    mean, _, _ = _beta_moments(p)
    return _against_exponential(-p.entropy(), mean, q)


@register_kl(Beta, Gamma)
def _beta_gamma(p, q):
    mean, _, mean_log = _beta_moments(p)
    return _against_gamma(-p.entropy(), mean, mean_log, q)


@register_kl(Beta, Normal)
def _beta_normal(p, q):
    mean, variance, _ = _beta_moments(p)
    return _against_normal(-p.entropy(), mean, variance, q)


@register_kl(Beta, Uniform)
def _beta_uniform(p, q):
    # −H(p) + ln(b − a), +inf unless [0, 1] lies within [a, b]
    result = -p.entropy() + (q.high - q.low).log()
    return _infinite_where((q.low.data > 0) | (q.high.data < 1), result)


@register_kl(Exponential, Normal)
def _exponential_normal(p, q):
    # E_p[ln p] = ln λ − 1; E[x] = 1/λ, Var x = 1/λ²
    mean = 1 / p.rate
    return _against_normal(p.rate.log() - 1, mean, mean * mean, q)


@register_kl(Gamma, Exponential)
def _gamma_exponential(p, q):
    return _against_exponential(-p.entropy(), p.concentration / p.rate, q)


@register_kl(Gamma, Normal)
def _gamma_normal(p, q):
    return _against_normal(-p.entropy(), p.mean, p.variance, q)


@register_kl(Laplace, Normal)
def _laplace_normal(p, q):
    # E_p[ln p] = −1 − ln(2b); E[x] = μ, Var x = 2b²
    return _against_normal(-p.entropy(), p.loc, p.variance, q)


@register_kl(Uniform, Beta)
def _uniform_beta(p, q):
    # −ln(b − a) − (α − 1) E[ln x] − (β − 1) E[ln(1 − x)] + ln B(α, β), where 1 − x ~ U(1 − b, 1 − a);
    # +inf unless [a, b] lies within [0, 1]
    outside = (p.low.data < 0) | (p.high.data > 1)
    low, high = where(outside, 0.25, p.low), where(outside, 0.75, p.high)  # (no NaN in the elements set to +inf)
    result = (-(high - low).log() - (q.concentration1 - 1) * _uniform_mean_log(low, high)
              - (q.concentration0 - 1) * _uniform_mean_log(1 - high, 1 - low)
              + log_beta(q.concentration1, q.concentration0))
    return _infinite_where(outside, result)


@register_kl(Uniform, Exponential)
def _uniform_exponential(p, q):
    # +inf where a < 0 (p draws negative numbers)
    return _infinite_where(p.low.data < 0, _against_exponential(-p.entropy(), p.mean, q))


@register_kl(Uniform, Gamma)
def _uniform_gamma(p, q):
    # +inf where a < 0
    outside = p.low.data < 0
    low, high = where(outside, 0.5, p.low), where(outside, 0.75, p.high)
    return _infinite_where(outside, _against_gamma(-(high - low).log(), p.mean, _uniform_mean_log(low, high), q))


for _p, _q in [(Exponential, Beta), (Exponential, Uniform), (Gamma, Beta), (Gamma, Uniform),
               (Laplace, Beta), (Laplace, Exponential), (Laplace, Gamma), (Laplace, Uniform),
               (Normal, Beta), (Normal, Exponential), (Normal, Gamma), (Normal, Uniform)]:
    register_kl(_p, _q)(_infinite)


@register_kl(Poisson, Bernoulli)
@register_kl(Poisson, Binomial)
def _poisson_bounded(p, q):
    # +inf where λ > 0 (p draws counts past q's n); a Poisson of rate 0 is the point 0, whose divergence
    # is −ln q(0) = −n ln(1 − π) = n·softplus(logit) (PyTorch gives +inf there too)
    if (p.rate.data > 0).all():
        return _infinite(p, q)
    n = q.total_count if isinstance(q, Binomial) else 1
    shape = np.broadcast_shapes(p.batch_shape, q.batch_shape)
    return _infinite_where(p.rate.data > 0, (n * softplus(q.logits)).expand(*shape))
