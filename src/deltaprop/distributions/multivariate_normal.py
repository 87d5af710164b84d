"""The multivariate normal distribution N(loc, Σ) over vectors of n elements, given by one of its
covariance matrix Σ, its precision matrix Σ⁻¹ or the lower-triangular Cholesky factor L of Σ = L·Lᵀ.

Everything is computed from L, through ``deltaprop.linalg`` (cholesky, solve, inv), whose rules give
the gradients: draws are loc + L·ε with ε ~ N(0, I), and with z = L⁻¹(x − loc),
ln p(x) = −½ (n ln 2π + |z|²) − Σ ln L_ii.
"""

from __future__ import annotations

import math
import numpy as np

from . import constraints
from .distribution import Distribution, draw, lazy_property
from .location_scale import CentredOnLoc
from ..errors import ConfigError, ShapeError
from ..linalg import cholesky, inv, solve
from ..tensor import Tensor, get_default_dtype, tensor

_LOG_TWO_PI = math.log(2 * math.pi)
_MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril")


def _floating(values) -> list:
    """Each value as a floating-point tensor, numbers taking the dtype of the first floating tensor."""
    floating = [v for v in values if isinstance(v, Tensor) and v.is_floating_point()]
    dtype = floating[0].dtype if floating else get_default_dtype()
    return [v if isinstance(v, Tensor) and v.is_floating_point()
            else tensor(np.asarray(getattr(v, "data", v), dtype=dtype), dtype=dtype) for v in values]


def half_log_det(L):
    """½ ln det(L·Lᵀ) = Σ ln L_ii, one per matrix of the batch."""
    return L.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def solve_lower(L, x):
    """L⁻¹·x for a batch of vectors x (their batch dimensions broadcast with L's); only L's lower
    triangle is read, as by PyTorch's triangular solve, so that nothing above the diagonal of a
    given ``scale_tril`` gets a gradient."""
    return solve(L.tril(), x.unsqueeze(-1)).squeeze(-1)


def the_given_matrix(owner: str, covariance_matrix, precision_matrix, scale_tril) -> tuple:
    """(name, matrix) of the one of the three given; refused unless exactly one was."""
    given = [(name, m) for name, m in zip(_MATRICES, (covariance_matrix, precision_matrix, scale_tril))
             if m is not None]
    if len(given) != 1:
        raise ConfigError(f"{owner}: give exactly one of covariance_matrix, precision_matrix and scale_tril, got "
                          f"{' and '.join(name for name, _ in given) or 'none'}")
    return given[0]


class GivenByOneMatrix:
    """``scale_tril``, ``covariance_matrix`` and ``precision_matrix`` (n × n, n the event's first
    dimension) each derived from whichever was given (named by ``_given``) when first asked for."""

    @lazy_property
    def scale_tril(self):
        if self._given == "covariance_matrix":
            return cholesky(self.covariance_matrix)
        # Σ = P⁻¹ without forming it: reversing P's rows and columns (J·P·J) and factoring that gives
        # P = R·Rᵀ with R = J·chol(J·P·J)·J upper-triangular, so Σ = R⁻ᵀ·R⁻¹ and L = R⁻ᵀ (as PyTorch)
        R = cholesky(self.precision_matrix.flip(-2, -1)).flip(-2, -1)
        identity = tensor(np.eye(self._event_shape[0]), dtype=self.dtype)
        return solve(R.mT, identity.expand(*R.shape))

    @lazy_property
    def covariance_matrix(self):
        return self.scale_tril @ self.scale_tril.mT

    @lazy_property
    def precision_matrix(self):
        return inv(self.covariance_matrix)


class MultivariateNormal(CentredOnLoc, GivenByOneMatrix, Distribution):
    """Density e^(−½ (x − loc)ᵀ Σ⁻¹ (x − loc)) / √((2π)ⁿ det Σ); give exactly one of
    ``covariance_matrix``, ``precision_matrix`` and ``scale_tril``. The batch is the broadcast of
    loc's leading dimensions with the matrix's."""

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        self._given, matrix = the_given_matrix("MultivariateNormal", covariance_matrix, precision_matrix, scale_tril)
        loc, matrix = _floating([loc, matrix])
        if loc.ndim < 1:
            raise ShapeError(f"MultivariateNormal: loc must have at least one dimension (the event), got shape "
                             f"{tuple(loc.shape)}")
        if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
            raise ShapeError(f"MultivariateNormal: {self._given} must be a square matrix or a batch of them, got "
                             f"shape {tuple(matrix.shape)}")
        n = loc.shape[-1]
        if matrix.shape[-1] != n:
            raise ShapeError(f"MultivariateNormal: loc has {n} elements but {self._given} is "
                             f"{matrix.shape[-1]} × {matrix.shape[-1]}")
        try:
            batch = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(matrix.shape[:-2]))
        except ValueError:
            raise ShapeError(f"MultivariateNormal: the batch dimensions of loc {tuple(loc.shape)} and {self._given} "
                             f"{tuple(matrix.shape)} cannot be broadcast together") from None
        self.loc = loc.expand(*batch, n)
        self.__dict__[self._given] = matrix.expand(*batch, n, n)
        super().__init__(batch, (n,), validate_args)

    @property
    def variance(self):
        return (self.scale_tril * self.scale_tril).sum(-1)

    def rsample(self, sample_shape=()):
        epsilon = tensor(draw("standard_normal", self._extended_shape(sample_shape)), dtype=self.dtype)
        return self.loc + (self.scale_tril @ epsilon.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        x = self._checked(value)
        z = solve_lower(self.scale_tril, x - self.loc)
        return -0.5 * (self._event_shape[0] * _LOG_TWO_PI + (z * z).sum(-1)) - half_log_det(self.scale_tril)

    def entropy(self):
        return 0.5 * self._event_shape[0] * (1 + _LOG_TWO_PI) + half_log_det(self.scale_tril)

    def __repr__(self) -> str:
        return (f"MultivariateNormal(loc: {tuple(self.loc.shape)}, "
                f"{self._given}: {tuple(self.__dict__[self._given].shape)})")
