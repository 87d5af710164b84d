"""The uniform distribution on [low, high), reparametrised as low + (high − low)·u with u ~ U[0, 1).

Its distribution function rises linearly, (x − low)/(high − low), clipped to [0, 1] (outside the
support only without validation); the inverse is low + p·(high − low).
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .distribution import Distribution, broadcast_all, draw
from ..errors import ConfigError
from ..tensor import tensor


class Uniform(Distribution):
    """Density 1 / (high − low) on [low, high), one per element of the broadcast parameters."""

    arg_constraints = {"low": constraints.real, "high": constraints.real}
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)
        if self._validate_args:
            with np.errstate(invalid="ignore"):
                wrong = ~(self.low.data < self.high.data)
            if wrong.any():
                i = tuple(int(k) for k in np.argwhere(wrong)[0])
                raise ConfigError(f"Uniform: low must be less than high, got low={self.low.data[i].item()!r} and "
                                  f"high={self.high.data[i].item()!r}" + (f" at index {i}" if i else ""))

    @property
    def support(self):
        return constraints.interval(self.low.data, self.high.data)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        # every point of [low, high) is equally likely: NaN, as PyTorch's nan·high (whose gradient to high is NaN)
        return math.nan * self.high

    @property
    def variance(self):
        width = self.high - self.low
        return width * width / 12

    @property
    def stddev(self):
        return (self.high - self.low) / math.sqrt(12)

    def rsample(self, sample_shape=()):
        u = tensor(draw("random", self._extended_shape(sample_shape)), dtype=self.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        x = self._checked(value)
        # −ln(high − low) inside [low, high), −inf outside; as in PyTorch, the gradient reaches low
        # and high everywhere (the indicator is a constant) and never the value.
        with np.errstate(divide="ignore"):
            inside = np.log(((self.low.data <= x.data) & (x.data < self.high.data)).astype(self.dtype))
        return tensor(inside, dtype=self.dtype) - (self.high - self.low).log()

    def entropy(self):
        return (self.high - self.low).log()

    def cdf(self, value):
        x = self._checked(value)
        return ((x - self.low) / (self.high - self.low)).clip(0, 1)

    def icdf(self, value):
        return self.low + self._checked_probability(value) * (self.high - self.low)
