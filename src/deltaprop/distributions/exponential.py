"""The exponential distribution of rate λ, reparametrised as E / λ with E ~ Exp(1).

Its distribution function is ∫₀ˣ λe^(−λt) dt = 1 − e^(−λx), written −expm1(−λx) so that small λx
keep their digits; solving p = 1 − e^(−λx) gives the inverse x = −ln(1 − p)/λ, by log1p.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all, draw
from .exp_family import ExponentialFamily
from ..tensor import tensor


class Exponential(ExponentialFamily):
    """Density λ·e^(−λx) on x ≥ 0, one per element of ``rate``."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self):
        return 1 / self.rate

    @property
    def mode(self):
        # the density falls from its peak at 0 (a constant: no gradient, as PyTorch's zeros_like)
        return tensor(np.zeros(self._batch_shape), dtype=self.dtype)

    @property
    def variance(self):
        return 1 / (self.rate * self.rate)

    @property
    def stddev(self):
        return 1 / self.rate

    def rsample(self, sample_shape=()):
        e = tensor(draw("standard_exponential", self._extended_shape(sample_shape)), dtype=self.dtype)
        return e / self.rate

    def log_prob(self, value):
        x = self._checked(value)
        return self.rate.log() - self.rate * x

    def entropy(self):
        return 1 - self.rate.log()

    def cdf(self, value):
        x = self._checked(value)
        return -(-self.rate * x).expm1()

    def icdf(self, value):
        return -(-self._checked_probability(value)).log1p() / self.rate
