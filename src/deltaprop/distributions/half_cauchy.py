"""The half-Cauchy distribution: |Y| for Y ~ Cauchy(0, ``scale``), as PyTorch's a TransformedDistribution
of that Cauchy through AbsTransform.

Folding onto x ≥ 0 doubles the density: ln p = ln 2 + ln p_Cauchy(x) (−inf below 0, reached only
without validation); the distribution function is 2F_Cauchy(x) − 1 = (2/π)·arctan(x/scale), and its
inverse F_Cauchy⁻¹((p + 1)/2). The entropy is the Cauchy's less ln 2, ln(2π·scale). The mean and the
variance are +inf; the mode is 0.
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .cauchy import Cauchy
from .distribution import broadcast_all
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform
from ..ops import where
from ..tensor import tensor

_LOG_TWO = math.log(2)


class HalfCauchy(TransformedDistribution):
    """Density 2 / (π·scale·(1 + (x/scale)²)) on x ≥ 0, one per element of ``scale``."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(scale)
        zero = tensor(np.zeros(self.scale.shape), dtype=self.scale.dtype)
        super().__init__(Cauchy(zero, self.scale, validate_args=False), AbsTransform(), validate_args)

    @property
    def _cauchy(self):
        return self.base_dist

    def log_prob(self, value):
        x = self._checked(value)
        result = self._cauchy.log_prob(x) + _LOG_TWO
        return where(np.broadcast_to(x.data < 0, result.shape), -np.inf, result)

    def cdf(self, value):
        return 2 * self._cauchy.cdf(self._checked(value)) - 1

    def icdf(self, value):
        return self._cauchy.icdf((self._checked_probability(value) + 1) / 2)

    def entropy(self):
        return self._cauchy.entropy() - _LOG_TWO

    @property
    def mean(self):
        return tensor(np.full(self._batch_shape, np.inf), dtype=self.dtype)

    @property
    def mode(self):
        return tensor(np.zeros(self._batch_shape), dtype=self.dtype)

    @property
    def variance(self):
        return tensor(np.full(self._batch_shape, np.inf), dtype=self.dtype)
