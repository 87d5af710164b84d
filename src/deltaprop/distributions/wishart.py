"""The Wishart distribution W(ν, Σ) over p × p symmetric positive-definite matrices: the law of
Σᵢ xᵢxᵢᵀ for ν draws xᵢ ~ N(0, Σ) (ν any real number above p − 1), given by ``df`` ν and one of the
covariance matrix Σ, the precision matrix Σ⁻¹ or the Cholesky factor L of Σ = L·Lᵀ.

Draws follow Bartlett's decomposition: X = (L·A)(L·A)ᵀ with A lower-triangular, A_ii = √c_i for
c_i ~ χ²(ν − i) (i = 0 … p − 1, each twice a Gamma((ν − i)/2, 1) draw, whose gradient reaches ν by
implicit reparametrisation, implicit_gamma.py) and A_ij ~ N(0, 1) below the diagonal.

With C the Cholesky factor of X and Γ_p, ψ_p the multivariate gamma and digamma functions,
ln p(X) = −(νp/2) ln 2 − ν Σ ln L_ii − ln Γ_p(ν/2) + (ν − p − 1) Σ ln C_ii − ½ |L⁻¹C|²,
and the entropy is (p + 1) Σ ln L_ii + p(p + 1)/2 ln 2 + ln Γ_p(ν/2) − (ν − p − 1)/2 ψ_p(ν/2) + νp/2.
As an exponential family its natural parameters are −½Σ⁻¹ (paired with X) and (ν − p − 1)/2 (with ln det X).
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .distribution import draw
from .exp_family import ExponentialFamily
from .implicit_gamma import standard_gamma
from .multivariate_normal import GivenByOneMatrix, _floating, half_log_det, the_given_matrix
from ..errors import ShapeError
from ..linalg import cholesky, solve
from ..ops import digamma, lgamma, where
from ..tensor import tensor

_LOG_2 = math.log(2)


def multivariate_lgamma(a, p: int):
    """ln Γ_p(a) = p(p − 1)/4 · ln π + Σ_{j<p} ln Γ(a − j/2), one per element of ``a``."""
    halves = tensor(np.arange(p) / 2, dtype=a.dtype)
    return p * (p - 1) / 4 * math.log(math.pi) + lgamma(a.unsqueeze(-1) - halves).sum(-1)


def multivariate_digamma(a, p: int):
    """ψ_p(a) = Σ_{j<p} ψ(a − j/2), the derivative of ln Γ_p(a)."""
    halves = tensor(np.arange(p) / 2, dtype=a.dtype)
    return digamma(a.unsqueeze(-1) - halves).sum(-1)


class Wishart(GivenByOneMatrix, ExponentialFamily):
    """Density |X|^((ν − p − 1)/2) e^(−tr(Σ⁻¹X)/2) / (2^(νp/2) |Σ|^(ν/2) Γ_p(ν/2)); give ``df`` and
    exactly one of ``covariance_matrix``, ``precision_matrix`` and ``scale_tril``. The batch is the
    broadcast of df's shape with the matrix's leading dimensions."""

    support = constraints.positive_definite
    has_rsample = True

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        self._given, matrix = the_given_matrix("Wishart", covariance_matrix, precision_matrix, scale_tril)
        matrix, df = _floating([matrix, df])
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ShapeError(f"Wishart: {self._given} must be a square matrix or a batch of them, got shape "
                             f"{tuple(matrix.shape)}")
        p = matrix.shape[-1]
        try:
            batch = np.broadcast_shapes(tuple(df.shape), tuple(matrix.shape[:-2]))
        except ValueError:
            raise ShapeError(f"Wishart: the shape of df {tuple(df.shape)} and the batch dimensions of {self._given} "
                             f"{tuple(matrix.shape)} cannot be broadcast together") from None
        self.df = df.expand(*batch)
        self.__dict__[self._given] = matrix.expand(*batch, p, p)
        super().__init__(batch, (p, p), validate_args)

    @property
    def arg_constraints(self):
        p = self._event_shape[-1] if hasattr(self, "_event_shape") else self.__dict__[self._given].shape[-1]
        return {"df": constraints.greater_than(p - 1), "covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}

    @property
    def _p(self) -> int:
        return self._event_shape[-1]

    @property
    def mean(self):
        return self.df[..., None, None] * self.covariance_matrix

    @property
    def mode(self):
        """(ν − p − 1)Σ, the peak of the density where ν ≥ p + 1; NaN below that (the density is
        unbounded towards the singular matrices), as PyTorch's."""
        factor = self.df - (self._p + 1)
        factor = where(factor.data < 0, float("nan"), factor)
        return factor[..., None, None] * self.covariance_matrix

    @property
    def variance(self):
        """Var X_ij = ν(Σ_ij² + Σ_ii Σ_jj)."""
        sigma = self.covariance_matrix
        diagonal = sigma.diagonal(dim1=-2, dim2=-1)
        return self.df[..., None, None] * (sigma * sigma + diagonal.unsqueeze(-1) * diagonal.unsqueeze(-2))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = self._p
        concentration = (self.df.unsqueeze(-1) - tensor(np.arange(p), dtype=self.dtype)) / 2
        chi2 = 2 * standard_gamma(concentration, shape[:-1])
        below = np.tril(draw("standard_normal", shape), -1)
        bartlett = chi2.sqrt().diag_embed() + tensor(below, dtype=self.dtype)
        factor = self.scale_tril @ bartlett
        return factor @ factor.mT

    def log_prob(self, value):
        x = self._checked(value)
        nu, p, L = self.df, self._p, self.scale_tril
        C = cholesky(x)
        z = solve(L.tril(), C)
        return (-nu * (p / 2 * _LOG_2 + half_log_det(L)) - multivariate_lgamma(nu / 2, p)
                + (nu - p - 1) * half_log_det(C) - 0.5 * (z * z).sum((-2, -1)))

    def entropy(self):
        nu, p = self.df, self._p
        return ((p + 1) * half_log_det(self.scale_tril) + p * (p + 1) / 2 * _LOG_2 + multivariate_lgamma(nu / 2, p)
                - (nu - p - 1) / 2 * multivariate_digamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self):
        return -0.5 * self.precision_matrix, 0.5 * (self.df - self._p - 1)

    def _log_normalizer(self, x, y):
        # ν = 2y + p + 1 and Σ = (−2x)⁻¹, so F = (ν/2)(p ln 2 − ln det(−2x)) + ln Γ_p(ν/2)
        p = self._p
        half_nu = y + (p + 1) / 2
        return half_nu * (p * _LOG_2 - 2 * half_log_det(cholesky(-2 * x))) + multivariate_lgamma(half_nu, p)

    @property
    def _mean_carrier_measure(self):
        return 0

    def __repr__(self) -> str:
        return f"Wishart(df: {tuple(self.df.shape)}, {self._given}: {tuple(self.__dict__[self._given].shape)})"
