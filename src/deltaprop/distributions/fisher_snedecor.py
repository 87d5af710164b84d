"""The F distribution (Fisher-Snedecor) with d₁ and d₂ (``df1``, ``df2``) degrees of freedom: the ratio
(χ²_{d₁}/d₁)/(χ²_{d₂}/d₂) of two independent chi-squared draws, each a gamma draw (implicit
reparametrisation reaches d₁ and d₂ through ``rsample``, as PyTorch's).

With a = d₁/2, b = d₂/2 and r = d₁/d₂ the density is r^a x^(a−1) (1 + r·x)^(−(a+b)) / B(a, b), so
ln p = ln Γ(a + b) − ln Γ(a) − ln Γ(b) + a ln r + (a − 1) ln x − (a + b) ln(1 + r·x). The mean d₂/(d₂ − 2)
exists for d₂ > 2, the variance 2d₂²(d₁ + d₂ − 2)/(d₁(d₂ − 2)²(d₂ − 4)) for d₂ > 4, the mode
((d₁ − 2)/d₁)·(d₂/(d₂ + 2)) for d₁ > 2; each is NaN elsewhere, as PyTorch's.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import Distribution, broadcast_all
from .gamma import kept_within
from .implicit_gamma import standard_gamma
from ..ops import lgamma, where, xlogy


class FisherSnedecor(Distribution):
    """The F distribution, one per element of the broadcast ``df1`` and ``df2``."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        super().__init__(self.df1.shape, (), validate_args)

    def _where_above(self, df, bound: float, safe: float, formula):
        """formula(df with ``safe`` where df ≤ bound) where df > bound, NaN elsewhere (no pole in the gradient)."""
        above = df.data > bound
        return where(above, formula(where(above, df, safe)), np.nan)

    @property
    def mean(self):
        return self._where_above(self.df2, 2, 3.0, lambda d2: d2 / (d2 - 2))

    @property
    def mode(self):
        return self._where_above(self.df1, 2, 3.0, lambda d1: (d1 - 2) / d1 * self.df2 / (self.df2 + 2))

    @property
    def variance(self):
        d1 = self.df1
        return self._where_above(self.df2, 4, 5.0,
                                 lambda d2: 2 * d2.pow(2) * (d1 + d2 - 2) / (d1 * (d2 - 2).pow(2) * (d2 - 4)))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        tiny = float(np.finfo(self.dtype).tiny)
        # the chi-squared draws' common factor 2 cancels in the ratio
        numerator = standard_gamma(0.5 * self.df1, shape) / self.df1
        denominator = kept_within(standard_gamma(0.5 * self.df2, shape) / self.df2, tiny)
        return kept_within(numerator / denominator, tiny)

    def log_prob(self, value):
        x = self._checked(value)
        a, b = 0.5 * self.df1, 0.5 * self.df2
        ratio = self.df1 / self.df2
        return (lgamma(a + b) - lgamma(a) - lgamma(b) + a * ratio.log() + xlogy(a - 1, x)
                - (a + b) * (ratio * x).log1p())
