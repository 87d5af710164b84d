"""The Pareto distribution of ``scale`` xₘ and tail index α (``alpha``): x = xₘ·e^E for E ~ Exp(α), as
PyTorch's, a TransformedDistribution of that exponential.

P(X > x) = P(E > ln(x/xₘ)) = (xₘ/x)^α for x ≥ xₘ, whose slope is the density α xₘ^α / x^(α+1). The
mean is αxₘ/(α − 1) for α > 1 (+inf otherwise), the variance xₘ²α/((α − 1)²(α − 2)) for α > 2 (+inf
otherwise, as PyTorch's), the mode xₘ and the entropy ln(xₘ/α) + 1/α + 1.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all
from .exponential import Exponential
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from ..ops import where


class Pareto(TransformedDistribution):
    """Density α·scale^α / x^(α+1) on x ≥ scale, one per element of the broadcast parameters."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args=None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base = Exponential(self.alpha, validate_args=False)
        super().__init__(base, [ExpTransform(), AffineTransform(0.0, self.scale)], validate_args)

    @property
    def support(self):
        return constraints.greater_than_eq(self.scale.data, "at least scale")

    @property
    def mean(self):
        # α replaced where the mean is infinite, so that its gradient meets no pole
        above = self.alpha.data > 1
        a = where(above, self.alpha, 2.0)
        return where(above, a * self.scale / (a - 1), np.inf)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        above = self.alpha.data > 2
        a = where(above, self.alpha, 3.0)
        return where(above, self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2)), np.inf)

    def entropy(self):
        return (self.scale / self.alpha).log() + self.alpha.reciprocal() + 1
