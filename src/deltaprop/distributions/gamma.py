"""The gamma distribution of shape α (``concentration``) and rate β, drawn as z/β with z a draw of
Gamma(α, 1) (NumPy's gamma sampler, on the library's generator).

``rsample`` carries gradients to both: to β through the division, to α by implicit reparametrisation
(the slope dz/dα = −(∂F(z; α)/∂α)/p(z; α) of the draw along the distribution function F, see
implicit_gamma.py), as PyTorch's does.

``cdf`` is F(βx; α) = P(α, βx), the regularised lower incomplete gamma function (``igamma``,
PyTorch's ``gammainc``), from the same expansions; its gradient reaches x and β through the density
p(βx; α) and α through ∂P/∂α = −p(z; α)·dz/dα, where PyTorch's refuses α (its igamma has no such
derivative).
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all
from .exp_family import ExponentialFamily
from .implicit_gamma import standard_gamma
from ..ops import digamma, lgamma, xlogy
from ..ops.incomplete_gamma import igamma


def kept_within(x, low: float, high: float = np.inf):
    """``x`` with its values (not its gradient) kept within [low, high], as PyTorch clamps its draws
    in place: a draw of exactly 0 (or 1) would score ±inf."""
    x.data = np.clip(x.data, low, high).astype(x.dtype, copy=False)
    return x


class Gamma(ExponentialFamily):
    """Density β^α x^(α−1) e^(−βx) / Γ(α) on x ≥ 0, one per element of the broadcast parameters."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        # the slope of ln p, (α − 1)/x − β, is 0 at (α − 1)/β; for α ≤ 1 the density peaks at 0
        return ((self.concentration - 1) / self.rate).clamp_min(0)

    @property
    def variance(self):
        return self.concentration / (self.rate * self.rate)

    def rsample(self, sample_shape=()):
        z = standard_gamma(self.concentration, self._extended_shape(sample_shape))
        # kept at or above the dtype's smallest normal number, as PyTorch keeps them
        return kept_within(z / self.rate, np.finfo(self.dtype).tiny)

    def log_prob(self, value):
        x = self._checked(value)
        # (α − 1)·ln x by xlogy, so that α = 1 scores x = 0 as the density β, not NaN
        alpha = self.concentration
        return alpha * self.rate.log() + xlogy(alpha - 1, x) - self.rate * x - lgamma(alpha)

    def entropy(self):
        alpha = self.concentration
        return alpha - self.rate.log() + lgamma(alpha) + (1 - alpha) * digamma(alpha)

    def cdf(self, value):
        return igamma(self.concentration, self.rate * self._checked(value))
