"""The Laplace distribution, reparametrised by its inverse distribution function:
loc − scale·sign(u)·ln(1 − |u|) with u uniform on (−1, 1)."""

from __future__ import annotations

import numpy as np

from .distribution import draw
from .location_scale import LocationScale
from ..tensor import tensor


class Laplace(LocationScale):
    """Density e^(−|x − loc|/scale) / (2·scale), one per element of the broadcast parameters."""

    @property
    def variance(self):
        return 2 * self.scale * self.scale

    @property
    def stddev(self):
        return 2 ** 0.5 * self.scale

    def rsample(self, sample_shape=()):
        # u from (−1 + ε, 1), as PyTorch's: |u| = 1 would put the draw at infinity
        u = draw("uniform", self._extended_shape(sample_shape), np.finfo(self.dtype).eps - 1, 1)
        noise = tensor(-np.sign(u) * np.log1p(-np.abs(u)), dtype=self.dtype)
        return self.loc + self.scale * noise

    def log_prob(self, value):
        x = self._checked(value)
        return -(2 * self.scale).log() - (x - self.loc).abs() / self.scale

    def entropy(self):
        return 1 + (2 * self.scale).log()
