"""Student's t distribution with ``df`` ν degrees of freedom, location ``loc`` and ``scale`` σ.

With z = (x − loc)/σ the density is Γ((ν+1)/2) / (Γ(ν/2)·√(νπ)·σ) · (1 + z²/ν)^(−(ν+1)/2), so
ln p = −((ν+1)/2)·ln(1 + z²/ν) − ln σ − ½ ln ν − ½ ln π − ln Γ(ν/2) + ln Γ((ν+1)/2). The mean is loc
for ν > 1 (undefined, NaN, otherwise); the variance σ²·ν/(ν − 2) for ν > 2, +inf for 1 < ν ≤ 2 and
NaN for ν ≤ 1, as PyTorch's. With B the beta function, the entropy is
ln σ + ½ ln ν + ln B(ν/2, ½) + ((ν+1)/2)·(ψ((ν+1)/2) − ψ(ν/2)).

Draws are loc + σ·t with t from NumPy's standard_t on the library's generator. PyTorch's ``rsample``
draws t = ε / √(χ²_ν/ν), reparametrising the χ² (a gamma) implicitly; deltaprop has no implicit
reparametrisation yet, so ``rsample`` is refused (``has_rsample`` is False) and ``sample`` carries no gradient.
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .beta import log_beta
from .distribution import Distribution, broadcast_all, draw
from .gamma import refuse_rsample
from ..ops import digamma, lgamma, where
from ..tensor import tensor

_HALF_LOG_PI = 0.5 * math.log(math.pi)


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, shifted by ``loc`` (default 0) and stretched by
    ``scale`` (default 1), one per element of the broadcast parameters."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

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

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        t = draw("standard_t", shape, np.broadcast_to(np.asarray(self.df.data, np.float64), shape))
        x = np.asarray(self.loc.data, np.float64) + np.asarray(self.scale.data, np.float64) * t
        return tensor(x.astype(self.dtype), dtype=self.dtype)

    def rsample(self, sample_shape=()):
        refuse_rsample("StudentT")

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
