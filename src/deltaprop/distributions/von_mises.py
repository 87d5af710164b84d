"""The von Mises distribution, the circle's normal: angles near ``loc`` μ with ``concentration`` κ.

The density on a turn is e^(κ·cos(x − μ)) / (2π·I₀(κ)), I₀ the modified Bessel function of order 0,
so ln p = κ·cos(x − μ) − ln 2π − ln I₀(κ). The circular mean and mode are μ; the circular variance
1 − E[cos(x − μ)] = 1 − I₁(κ)/I₀(κ). ln Iᵥ(κ) is ln of deltaprop's ``i0``/``i1`` up to κ = 500 (in
float64, whatever the dtype: float32's I₀ overflows from κ ≈ 89) and, beyond, the asymptotic series
ln(e^κ/√(2πκ)) + ln(1 − (4ν² − 1)/(8κ) + (4ν² − 1)(4ν² − 9)/(2!(8κ)²) − …), whose fifth term is below
1e-16 there; the variance takes ln(I₁/I₀) as one ratio (of the functions, or of the two series), not
as a difference of two logarithms near κ each, which would leave κ·1e-16 of error in a number near 1/(2κ). Both are compositions of deltaprop operations, so gradients of every order flow.

Draws (``sample``; there is no ``rsample``, as in PyTorch) are NumPy's von Mises sampler (rejection,
Best and Fisher 1979) on the library's generator, as angles in [μ − π, μ + π) wrapped to [−π, π).
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .distribution import Distribution, broadcast_all, draw
from .location_scale import CentredOnLoc
from ..ops import where
from ..special import i0, i1
from ..tensor import tensor

_LOG_TWO_PI = math.log(2 * math.pi)
_SERIES_FROM = 500.0


def _series(order: int, far):
    """Σ (−1)ᵏ aₖ(ν)/κᵏ of the asymptotic expansion Iᵥ(κ) ≈ e^κ/√(2πκ)·Σ, five terms (κ ≥ 500)."""
    mu, term, series = 4 * order * order, 1.0, 1.0
    for k in range(1, 6):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * far)
        series = series + term
    return series


def _near_and_far(kappa):
    """κ in float64, below and above the switch to the asymptotic series (each clamped to its side)."""
    wide = kappa.to(np.float64)
    return wide, wide.clamp_max(_SERIES_FROM), wide.clamp_min(_SERIES_FROM)


def log_i0(kappa):
    """ln I₀(κ) for κ ≥ 0, to float64's precision, with gradients."""
    wide, near, far = _near_and_far(kappa)
    asymptotic = far - 0.5 * (2 * math.pi * far).log() + _series(0, far).log()
    return where(wide.data <= _SERIES_FROM, i0(near).log(), asymptotic).to(kappa.dtype)


def log_i1_over_i0(kappa):
    """ln(I₁(κ)/I₀(κ)) for κ > 0: the ratio of the two functions (each exact to float64's precision),
    or of the two series, whose common factor e^κ/√(2πκ) cancels."""
    wide, near, far = _near_and_far(kappa)
    asymptotic = _series(1, far).log() - _series(0, far).log()
    return where(wide.data <= _SERIES_FROM, (i1(near) / i0(near)).log(), asymptotic).to(kappa.dtype)


class VonMises(CentredOnLoc, Distribution):
    """Density e^(κ·cos(x − μ)) / (2π·I₀(κ)) on the circle, one per element of the broadcast ``loc`` and
    ``concentration``."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def log_prob(self, value):
        x = self._checked(value)
        return self.concentration * (x - self.loc).cos() - _LOG_TWO_PI - log_i0(self.concentration)

    @property
    def variance(self):
        # 1 − I₁/I₀ by expm1 of the ratio's logarithm: the ratio nears 1 as κ grows
        return -log_i1_over_i0(self.concentration).expm1()

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        kappa = np.broadcast_to(np.asarray(self.concentration.data, np.float64), shape)
        loc = np.asarray(self.loc.data, np.float64)
        angles = draw("vonmises", shape, 0.0, kappa) + loc  # (NumPy's within [−π, π] around 0)
        return tensor(np.mod(angles + np.pi, 2 * np.pi) - np.pi, dtype=self.dtype)
