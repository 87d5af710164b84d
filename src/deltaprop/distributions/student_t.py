"""Student's t distribution with ``df`` ν degrees of freedom, location ``loc`` and ``scale`` σ.

With z = (x − loc)/σ the density is Γ((ν+1)/2) / (Γ(ν/2)·√(νπ)·σ) · (1 + z²/ν)^(−(ν+1)/2), so
ln p = −((ν+1)/2)·ln(1 + z²/ν) − ln σ − ½ ln ν − ½ ln π − ln Γ(ν/2) + ln Γ((ν+1)/2). The mean is loc
for ν > 1 (undefined, NaN, otherwise); the variance σ²·ν/(ν − 2) for ν > 2, +inf for 1 < ν ≤ 2 and
NaN for ν ≤ 1, as PyTorch's. With B the beta function, the entropy is
ln σ + ½ ln ν + ln B(ν/2, ½) + ((ν+1)/2)·(ψ((ν+1)/2) − ψ(ν/2)).

Draws are loc + σ·t with t = ε / √(χ²_ν/ν), ε ~ N(0, 1) and χ²_ν = Gamma(ν/2, ½) = 2·Gamma(ν/2, 1), as
PyTorch's ``rsample`` draws them: the gradient reaches loc and σ directly, and ν through the gamma
draw's implicit reparametrisation (implicit_gamma.py) and the division by ν.
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .beta import log_beta
from .distribution import Distribution, broadcast_all, draw
from .implicit_gamma import standard_gamma
from ..ops import digamma, lgamma, where
from ..tensor import tensor

_HALF_LOG_PI = 0.5 * math.log(math.pi)


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, shifted by ``loc`` (default 0) and stretched by
    ``scale`` (default 1), one per element of the broadcast parameters."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        super().__init__(self.df.shape, (), validate_args)

    def _where(self, mask, value, t):
        return where(np.broadcast_to(mask, t.shape), value, t)

    @property
    def mean(self):
        return self._where(self.df.data <= 1, np.nan, self.loc.expand(*self._batch_shape))

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df.data
        # ν replaced by 3 where the formula does not hold, so that its gradient meets no pole at ν = 2
        nu = self._where(df <= 2, 3.0, self.df)
        finite = self.scale * self.scale * nu / (nu - 2)
        return self._where(df <= 1, np.nan, self._where((df > 1) & (df <= 2), np.inf, finite))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        epsilon = tensor(draw("standard_normal", shape), dtype=self.dtype)
        chi2 = 2 * standard_gamma(0.5 * self.df, shape)
        return self.loc + self.scale * epsilon * (chi2 / self.df).rsqrt()

    def log_prob(self, value):
        z = (self._checked(value) - self.loc) / self.scale
        nu = self.df
        half = 0.5 * (nu + 1)
        return (-half * (z * z / nu).log1p() - self.scale.log() - 0.5 * nu.log() - _HALF_LOG_PI
                - lgamma(0.5 * nu) + lgamma(half))

    def entropy(self):
        nu = self.df
        half = 0.5 * (nu + 1)
        return (self.scale.log() + 0.5 * nu.log() + log_beta(0.5 * nu, 0.5)
                + half * (digamma(half) - digamma(0.5 * nu)))
