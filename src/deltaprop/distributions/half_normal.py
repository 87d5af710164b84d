"""The half-normal distribution: |Y| for Y ~ N(0, ``scale``²), reparametrised as |scale·ε|: as
PyTorch's, a TransformedDistribution of that normal through AbsTransform (``base_dist``,
``transforms``), with the closed forms below in place of the general ones.

Folding the normal density onto x ≥ 0 doubles it: p(x) = 2·e^(−x²/(2·scale²)) / (scale·√(2π)), so
ln p = ½ ln(2/π) − ln scale − x²/(2·scale²) (−inf below 0, reached only without validation, as
PyTorch's). The moments: E[x] = 2∫₀^∞ x φ dx = scale·√(2/π), E[x²] = scale², so the variance is
scale²(1 − 2/π). The entropy is the normal's less ln 2: ½ ln(π·scale²/2) + ½. The distribution
function is P(|Y| ≤ x) = 2Φ(x/scale) − 1 = erf(x/(scale·√2)), and its inverse scale·√2·erfinv(p).
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .distribution import broadcast_all
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AbsTransform
from ..ops import erf, erfinv, where
from ..tensor import tensor

_HALF_LOG_TWO_OVER_PI = 0.5 * math.log(2 / math.pi)
_ROOT_TWO = math.sqrt(2)


class HalfNormal(TransformedDistribution):
    """Density √(2/π)·e^(−x²/(2·scale²)) / scale on x ≥ 0, one per element of ``scale``."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(scale)
        zero = tensor(np.zeros(self.scale.shape), dtype=self.scale.dtype)
        super().__init__(Normal(zero, self.scale, validate_args=False), AbsTransform(), validate_args)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self):
        # the density falls from its peak at 0 (a constant: no gradient, as PyTorch's zeros_like)
        return tensor(np.zeros(self._batch_shape), dtype=self.dtype)

    @property
    def variance(self):
        return self.scale * self.scale * (1 - 2 / math.pi)

    def log_prob(self, value):
        x = self._checked(value)
        z = x / self.scale
        result = _HALF_LOG_TWO_OVER_PI - self.scale.log() - 0.5 * (z * z)
        return where(np.broadcast_to(x.data < 0, result.shape), -np.inf, result)

    def entropy(self):
        return 0.5 * (math.pi / 2 * self.scale * self.scale).log() + 0.5

    def cdf(self, value):
        return erf(self._checked(value) / (self.scale * _ROOT_TWO))

    def icdf(self, value):
        return self.scale * _ROOT_TWO * erfinv(self._checked_probability(value))
