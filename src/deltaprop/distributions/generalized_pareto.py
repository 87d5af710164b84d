"""The generalized Pareto distribution of location μ (``loc``), ``scale`` σ and shape ξ
(``concentration``), the law of the excesses over a high threshold (Pickands, 1975).

With z = (x − μ)/σ ≥ 0 (and z ≤ −1/ξ when ξ < 0) the survival function is (1 + ξz)^(−1/ξ), e^(−z) at
ξ = 0, so F(x) = −expm1(−log1p(ξz)/ξ) and ln p = −ln σ − (1 + 1/ξ)·log1p(ξz) (−ln σ − z at ξ = 0).
The quantile function is μ + σ·expm1(ξL)/ξ with L = −ln(1 − p) (μ + σL at ξ = 0), and ``rsample``
is it at a uniform draw. The mean μ + σ/(1 − ξ) exists for ξ < 1 and the variance σ²/((1 − ξ)²(1 − 2ξ))
for ξ < ½ (NaN otherwise, as PyTorch's); the mode is μ and the entropy ln σ + ξ + 1.
The exponential (μ = 0, ξ = 0), the Pareto (ξ > 0, μ = σ/ξ) and the uniform (ξ = −1) are special cases.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import Distribution, broadcast_all, draw
from ..ops import where
from ..tensor import tensor


class GeneralizedPareto(Distribution):
    """Density (1 + ξz)^(−1/ξ − 1) / σ for z = (x − μ)/σ in its support, one per element of the
    broadcast parameters."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def _shape(self):
        """ξ, ξ with 1 where it is 0 (to divide by), and where it is 0."""
        zero = self.concentration.data == 0
        return self.concentration, where(zero, 1.0, self.concentration), zero

    @property
    def support(self):
        xi, loc, scale = self.concentration.data, self.loc.data, self.scale.data
        with np.errstate(divide="ignore"):
            high = np.where(xi < 0, loc - scale / np.where(xi < 0, xi, -1.0), np.inf)
        support = constraints.interval(loc, high)
        support.words = "in [loc, loc − scale/concentration] (without an end where concentration ≥ 0)"
        return support

    def _standardised(self, value):
        z = (value - self.loc) / self.scale
        inside = (z.data >= 0) & ((self.concentration.data >= 0) | (self.concentration.data * z.data >= -1))
        return z, np.broadcast_to(inside, z.shape)

    def log_prob(self, value):
        z, inside = self._standardised(self._checked(value))
        xi, divisor, zero = self._shape()
        z_safe = where(inside, z, 0.0)  # (outside the support, no logarithm of a negative number)
        tail = where(zero, z_safe, (1 + 1 / divisor) * (xi * z_safe).log1p())
        return where(inside, -self.scale.log() - tail, -np.inf)

    def cdf(self, value):
        z, inside = self._standardised(self._checked(value))
        xi, divisor, zero = self._shape()
        z_safe = where(inside, z, 0.0)
        survival_log = where(zero, -z_safe, -(xi * z_safe).log1p() / divisor)
        # below the support 0, above it (ξ < 0) 1
        return where(inside, -survival_log.expm1(), tensor((z.data > 0).astype(self.dtype), dtype=self.dtype))

    def _quantile(self, p):
        log_survival = -(-p).log1p()  # L = −ln(1 − p)
        xi, divisor, zero = self._shape()
        return self.loc + self.scale * where(zero, log_survival, (divisor * log_survival).expm1() / divisor)

    def icdf(self, value):
        return self._quantile(self._checked_probability(value))

    def rsample(self, sample_shape=()):
        return self._quantile(tensor(draw("random", self._extended_shape(sample_shape)), dtype=self.dtype))

    @property
    def mean(self):
        below = self.concentration.data < 1
        xi = where(below, self.concentration, 0.0)
        return where(below, self.loc + self.scale / (1 - xi), np.nan)

    @property
    def variance(self):
        below = self.concentration.data < 0.5
        xi = where(below, self.concentration, 0.0)
        return where(below, self.scale.pow(2) / ((1 - xi).pow(2) * (1 - 2 * xi)), np.nan)

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        return self.scale.log() + self.concentration + 1
