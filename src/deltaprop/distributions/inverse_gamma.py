"""The inverse gamma distribution: 1/Y for Y ~ Gamma(α, β) (``concentration``, ``rate``), as PyTorch's
a TransformedDistribution of that gamma through PowerTransform(−1).

Changing variables x = 1/y multiplies the gamma density by |dy/dx| = 1/x²: p(x) = β^α x^(−α−1) e^(−β/x) / Γ(α).
Its moments E[x^(−n)] are the gamma's: E[x] = β/(α − 1) for α > 1 and the variance β²/((α − 1)²(α − 2))
for α > 2 (+inf otherwise, as PyTorch's); the mode β/(α + 1); the entropy α + ln β + ln Γ(α) − (1 + α)ψ(α).
The distribution function is 1 − P(α, β/x) (the map falls), through the gamma's ``cdf``.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform
from ..ops import digamma, lgamma, where


class InverseGamma(TransformedDistribution):
    """Density β^α x^(−α−1) e^(−β/x) / Γ(α) on x > 0, one per element of the broadcast ``concentration``
    α and ``rate`` β."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        base = Gamma(self.concentration, self.rate, validate_args=False)
        super().__init__(base, PowerTransform(-1.0), validate_args)

    @property
    def mean(self):
        # α replaced where the moment is infinite, so that its gradient meets no pole
        above = self.concentration.data > 1
        a = where(above, self.concentration, 2.0)
        return where(above, self.rate / (a - 1), np.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        above = self.concentration.data > 2
        a = where(above, self.concentration, 3.0)
        return where(above, self.rate.pow(2) / ((a - 1).pow(2) * (a - 2)), np.inf)

    def entropy(self):
        a = self.concentration
        return a + self.rate.log() + lgamma(a) - (1 + a) * digamma(a)
