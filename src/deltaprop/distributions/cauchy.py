"""The Cauchy distribution of median ``loc`` and half-width ``scale``, reparametrised by its inverse
distribution function: loc + scale·tan(π(u − ½)) with u ~ U[0, 1).

The density is 1 / (π·scale·(1 + z²)) with z = (x − loc)/scale, so ln p = −ln π − ln scale − ln(1 + z²)
(log1p). Its integral is F(x) = ½ + arctan(z)/π, whose inverse is loc + scale·tan(π(p − ½)). The
entropy is ln(4π·scale). The mean does not exist and the variance is infinite: as PyTorch, ``mean``
is NaN and ``variance`` +inf.
"""

from __future__ import annotations

import math

import numpy as np

from .distribution import draw
from .location_scale import LocationScale
from ..tensor import tensor

_LOG_PI = math.log(math.pi)


class Cauchy(LocationScale):
    """Density 1 / (π·scale·(1 + ((x − loc)/scale)²)), one per element of the broadcast parameters."""

    @property
    def mean(self):
        return tensor(np.full(self._batch_shape, np.nan), dtype=self.dtype)

    @property
    def variance(self):
        return tensor(np.full(self._batch_shape, np.inf), dtype=self.dtype)

    def rsample(self, sample_shape=()):
        u = draw("random", self._extended_shape(sample_shape))
        return self.loc + self.scale * tensor(np.tan(np.pi * (u - 0.5)), dtype=self.dtype)

    def log_prob(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        return -_LOG_PI - self.scale.log() - (z * z).log1p()

    def entropy(self):
        return (4 * math.pi * self.scale).log()

    def cdf(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        return 0.5 + z.atan() / math.pi

    def icdf(self, value):
        return self.loc + self.scale * (math.pi * (self._checked_probability(value) - 0.5)).tan()
