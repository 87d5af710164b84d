"""The Laplace distribution, reparametrised by its inverse distribution function:
loc − scale·sign(u)·ln(1 − |u|) with u uniform on (−1, 1).

With d = x − loc, the density's integral is ½e^(d/scale) below loc and 1 − ½e^(−d/scale) above, so
F(x) = ½ − ½·sign(d)·(e^(−|d|/scale) − 1) in one expression (expm1 keeps the digits near loc).
Solving p = F(x) on each side: x = loc − scale·sign(p − ½)·ln(1 − 2|p − ½|).
"""

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

    def cdf(self, value):
        d = self._checked(value) - self.loc
        return 0.5 - 0.5 * d.sign() * (-d.abs() / self.scale).expm1()

    def icdf(self, value):
        t = self._checked_probability(value) - 0.5
        return self.loc - self.scale * t.sign() * (-2 * t.abs()).log1p()
