"""The Kumaraswamy distribution on [0, 1] with shapes a (``concentration1``) and b (``concentration0``),
a cheaper Beta look-alike: x = (1 − u^(1/b))^(1/a) for u uniform on [0, 1], as PyTorch's a
TransformedDistribution of that uniform (powers and 1 − ·).

P(X ≤ x) = 1 − (1 − xᵃ)ᵇ, whose slope is the density ab·x^(a−1)(1 − xᵃ)^(b−1). Its moments are
E[xⁿ] = b·B(1 + n/a, b) (B the beta function), giving the mean and the variance E[x²] − E[x]². With
Hₙ = ψ(n + 1) + γ the harmonic number, the entropy is (1 − 1/b) + (1 − 1/a)·H_b − ln(ab). The density
peaks at ((a − 1)/(ab − 1))^(1/a) where a ≥ 1 and b ≥ 1 (not both 1); elsewhere it grows without
bound towards an end (or is flat) and the mode is NaN.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all, validating
from .gumbel import EULER_GAMMA
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from ..ops import digamma, lgamma, where
from ..tensor import tensor


class Kumaraswamy(TransformedDistribution):
    """Density ab·x^(a−1)(1 − xᵃ)^(b−1) on [0, 1], one per element of the broadcast parameters."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        if validating(validate_args):  # (before the reciprocals below)
            self._refuse_bad_parameters()
        shape, dtype = self.concentration1.shape, self.concentration1.dtype
        base = Uniform(tensor(np.zeros(shape), dtype=dtype), tensor(np.ones(shape), dtype=dtype), validate_args=False)
        # u → u^(1/b) → 1 − u^(1/b) → (1 − u^(1/b))^(1/a)
        transforms = [PowerTransform(self.concentration0.reciprocal()), AffineTransform(1.0, -1.0),
                      PowerTransform(self.concentration1.reciprocal())]
        super().__init__(base, transforms, validate_args)

    def _moment(self, n: int):
        # b·B(1 + n/a, b)
        a, b = self.concentration1, self.concentration0
        first = 1 + n / a
        return b * (lgamma(first) + lgamma(b) - lgamma(first + b)).exp()

    @property
    def mean(self):
        return self._moment(1)

    @property
    def variance(self):
        return self._moment(2) - self._moment(1).pow(2)

    @property
    def mode(self):
        """((a − 1)/(ab − 1))^(1/a) where a ≥ 1 and b ≥ 1, NaN elsewhere (PyTorch's is NaN everywhere)."""
        a, b = self.concentration1, self.concentration0
        peaked = (a.data >= 1) & (b.data >= 1)
        a, b = where(peaked, a, 2.0), where(peaked, b, 2.0)  # (no NaN in the gradient of the elements left out)
        return where(peaked, ((a - 1) / (a * b - 1)).pow(1 / a), np.nan)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        harmonic = digamma(b + 1) + EULER_GAMMA
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - (a * b).log()
