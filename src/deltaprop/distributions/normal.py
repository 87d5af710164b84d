"""The normal distribution N(loc, scale²), reparametrised as loc + scale·ε with ε ~ N(0, 1)."""

from __future__ import annotations

import math

from . import constraints
from .distribution import Distribution, broadcast_all, draw
from ..tensor import tensor

_LOG_ROOT_TWO_PI = 0.5 * math.log(2 * math.pi)


class Normal(Distribution):
    """Density e^(−(x − loc)²/(2·scale²)) / (scale·√(2π)), one per element of the broadcast parameters."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self):
        return self.loc

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
