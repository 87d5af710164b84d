"""The Gumbel distribution (of the largest of many draws) with location ``loc`` and ``scale`` β:
x = loc − β·ln(−ln u) for u uniform on (0, 1), which PyTorch builds, and this too, as a
TransformedDistribution of that uniform (u kept within [tiny, 1 − ε], so that the draw is finite).

With z = (x − loc)/β the distribution function is F(x) = e^(−e^(−z)) (so ln(−ln u) = −z inverts it),
and its slope gives ln p = −z − e^(−z) − ln β. The mean is loc + βγ (γ Euler's constant), the
variance π²β²/6, the mode loc and the entropy ln β + 1 + γ.
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .distribution import broadcast_all
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform
from .uniform import Uniform
from ..tensor import tensor

EULER_GAMMA = 0.5772156649015329


class Gumbel(TransformedDistribution):
    """Density e^(−z − e^(−z)) / scale with z = (x − loc)/scale, one per element of the broadcast parameters."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        info = np.finfo(self.loc.dtype)
        low = tensor(np.full(self.loc.shape, info.tiny), dtype=self.loc.dtype)
        high = tensor(np.full(self.loc.shape, 1 - info.eps), dtype=self.loc.dtype)
        # u → −ln u → ln(−ln u) → loc − β·ln(−ln u)
        transforms = [ExpTransform().inv, AffineTransform(0.0, -1.0), ExpTransform().inv,
                      AffineTransform(self.loc, -self.scale)]
        super().__init__(Uniform(low, high, validate_args=False), transforms, validate_args)

    def log_prob(self, value):
        z = (self.loc - self._checked(value)) / self.scale  # (−z of the docstring)
        return z - z.exp() - self.scale.log()

    @property
    def mean(self):
        return self.loc + self.scale * EULER_GAMMA

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale * (math.pi / math.sqrt(6))

    @property
    def variance(self):
        return self.stddev.pow(2)

    def entropy(self):
        return self.scale.log() + (1 + EULER_GAMMA)
