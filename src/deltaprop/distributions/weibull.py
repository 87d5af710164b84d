"""The Weibull distribution of ``scale`` λ and shape k (``concentration``): x = λ·E^(1/k) for E ~ Exp(1),
as PyTorch's, a TransformedDistribution of that exponential (power 1/k, then scale λ).

P(X > x) = P(E > (x/λ)ᵏ) = e^(−(x/λ)ᵏ), whose slope is the density (k/λ)(x/λ)^(k−1) e^(−(x/λ)ᵏ). The
moments E[xⁿ] = λⁿ Γ(1 + n/k) give the mean λΓ(1 + 1/k) and the variance λ²(Γ(1 + 2/k) − Γ(1 + 1/k)²).
The entropy is γ(1 − 1/k) + ln(λ/k) + 1 (γ Euler's constant). The density peaks where the slope of
its logarithm, (k − 1)/x − k xᵏ⁻¹/λᵏ, is 0: at λ((k − 1)/k)^(1/k) for k > 1, and at 0 for k ≤ 1.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all, validating
from .exponential import Exponential
from .gumbel import EULER_GAMMA
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from ..ops import lgamma, where
from ..tensor import tensor


class Weibull(TransformedDistribution):
    """Density (k/λ)(x/λ)^(k−1) e^(−(x/λ)ᵏ) on x > 0, one per element of the broadcast ``scale`` λ and
    ``concentration`` k."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args=None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        if validating(validate_args):  # (before the reciprocals below)
            self._refuse_bad_parameters()
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(tensor(np.ones(self.scale.shape), dtype=self.scale.dtype), validate_args=False)
        transforms = [PowerTransform(self.concentration_reciprocal), AffineTransform(0.0, self.scale)]
        super().__init__(base, transforms, validate_args)

    @property
    def mean(self):
        return self.scale * lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self):
        """λ((k − 1)/k)^(1/k) for k > 1, 0 for k ≤ 1 (where PyTorch's formula gives other values)."""
        k = self.concentration
        above = k.data > 1
        safe = where(above, k, 2.0)  # (no power of a negative number in the elements set to 0)
        return where(above, self.scale * ((safe - 1) / safe).pow(1 / safe), 0.0)

    @property
    def variance(self):
        first = lgamma(1 + self.concentration_reciprocal).exp()
        return self.scale.pow(2) * (lgamma(1 + 2 * self.concentration_reciprocal).exp() - first * first)

    def entropy(self):
        return (EULER_GAMMA * (1 - self.concentration_reciprocal) + (self.scale * self.concentration_reciprocal).log()
                + 1)
