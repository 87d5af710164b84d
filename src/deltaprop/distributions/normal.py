"""The normal distribution N(loc, scale²), reparametrised as loc + scale·ε with ε ~ N(0, 1).

Its distribution function is Φ((x − loc)/scale), Φ the standard normal one (``ndtr``, computed by
erfc so that the left tail keeps its digits), and the inverse is loc + scale·Φ⁻¹(p) (``ndtri``,
√2·erfinv(2p − 1)); both are deltaprop primitives, so the gradients reach loc, scale and the value.
"""

from __future__ import annotations

import math

from .distribution import draw
from .exp_family import ExponentialFamily
from .location_scale import LocationScale
from ..ops.special_functions import ndtr, ndtri
from ..tensor import tensor

_LOG_ROOT_TWO_PI = 0.5 * math.log(2 * math.pi)


class Normal(LocationScale, ExponentialFamily):
    """Density e^(−(x − loc)²/(2·scale²)) / (scale·√(2π)), one per element of the broadcast parameters."""

    @property
    def variance(self):
        return self.scale * self.scale

    @property
    def stddev(self):
        return self.scale

    def rsample(self, sample_shape=()):
        epsilon = tensor(draw("standard_normal", self._extended_shape(sample_shape)), dtype=self.dtype)
        return self.loc + epsilon * self.scale

    def log_prob(self, value):
        x = self._checked(value)
        z = (x - self.loc) / self.scale
        return -0.5 * (z * z) - self.scale.log() - _LOG_ROOT_TWO_PI

    def entropy(self):
        return 0.5 + _LOG_ROOT_TWO_PI + self.scale.log()

    def cdf(self, value):
        x = self._checked(value)
        return ndtr((x - self.loc) / self.scale)

    def icdf(self, value):
        return self.loc + self.scale * ndtri(self._checked_probability(value))
