"""The multivariate normal N(loc, Σ) over vectors of n elements with a covariance of low rank plus a
diagonal, Σ = W·Wᵀ + D (``cov_factor`` W of shape n × r, ``cov_diag`` the diagonal of D), whose
cost grows with n·r² instead of n³ (PyTorch's ``LowRankMultivariateNormal``).

Draws are loc + W·ε + √D·η with ε ~ N(0, I_r) and η ~ N(0, I_n) (independent, so the covariance is
W·Wᵀ + D). The density needs Σ⁻¹ and det Σ, both through the r × r capacitance C = I + Wᵀ D⁻¹ W:
Woodbury's identity Σ⁻¹ = D⁻¹ − D⁻¹W C⁻¹ WᵀD⁻¹ gives the Mahalanobis term
(x − loc)ᵀΣ⁻¹(x − loc) = |D^(−½)(x − loc)|² − |K⁻¹WᵀD⁻¹(x − loc)|² with C = K·Kᵀ, and the matrix
determinant lemma det Σ = det C · det D gives ln det Σ = 2 Σ ln K_ii + Σ ln D_ii. The entropy is
½(n(1 + ln 2π) + ln det Σ). Everything goes through ``deltaprop.linalg``, whose rules give the gradients.
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .distribution import Distribution, broadcast_all, draw, lazy_property
from .location_scale import CentredOnLoc
from .multivariate_normal import solve_lower
from ..errors import ShapeError
from ..linalg import cholesky, solve
from ..tensor import tensor

_LOG_TWO_PI = math.log(2 * math.pi)


class LowRankMultivariateNormal(CentredOnLoc, Distribution):
    """Density of N(loc, W·Wᵀ + D), one per element of the broadcast batch of ``loc`` (…, n),
    ``cov_factor`` W (…, n, r) and ``cov_diag`` (…, n)."""

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args=None):
        loc, cov_factor, cov_diag = (broadcast_all(v)[0] for v in (loc, cov_factor, cov_diag))
        if loc.ndim < 1:
            raise ShapeError(f"LowRankMultivariateNormal: loc must have at least one dimension (the event), got shape "
                             f"{tuple(loc.shape)}")
        n = loc.shape[-1]
        if cov_factor.ndim < 2 or cov_factor.shape[-2] != n:
            raise ShapeError(f"LowRankMultivariateNormal: cov_factor must be n × r with n = {n} (loc's length), got "
                             f"shape {tuple(cov_factor.shape)}")
        if cov_diag.ndim < 1 or cov_diag.shape[-1] != n:
            raise ShapeError(f"LowRankMultivariateNormal: cov_diag must have n = {n} elements (loc's length), got "
                             f"shape {tuple(cov_diag.shape)}")
        try:
            batch = np.broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]), tuple(cov_diag.shape[:-1]))
        except ValueError:
            raise ShapeError(f"LowRankMultivariateNormal: the batch dimensions of loc {tuple(loc.shape)}, cov_factor "
                             f"{tuple(cov_factor.shape)} and cov_diag {tuple(cov_diag.shape)} cannot be broadcast "
                             "together") from None
        r = cov_factor.shape[-1]
        self.loc = loc.expand(*batch, n)
        self.cov_factor = cov_factor.expand(*batch, n, r)
        self.cov_diag = cov_diag.expand(*batch, n)
        super().__init__(batch, (n,), validate_args)

    @lazy_property
    def _capacitance_tril(self):
        # K with K·Kᵀ = I + Wᵀ D⁻¹ W
        W = self.cov_factor
        r = W.shape[-1]
        inner = W.mT @ (W / self.cov_diag.unsqueeze(-1))
        return cholesky(inner + tensor(np.eye(r), dtype=self.dtype))

    @lazy_property
    def variance(self):
        return (self.cov_factor * self.cov_factor).sum(-1) + self.cov_diag

    @lazy_property
    def covariance_matrix(self):
        n = self._event_shape[0]
        return self.cov_factor @ self.cov_factor.mT + self.cov_diag.unsqueeze(-1) * tensor(np.eye(n), dtype=self.dtype)

    @lazy_property
    def scale_tril(self):
        return cholesky(self.covariance_matrix)

    @lazy_property
    def precision_matrix(self):
        # D⁻¹ − D⁻¹W C⁻¹ WᵀD⁻¹ = D⁻¹ − AᵀA with A = K⁻¹WᵀD⁻¹
        n = self._event_shape[0]
        A = solve(self._capacitance_tril.tril(), (self.cov_factor / self.cov_diag.unsqueeze(-1)).mT)
        return (1 / self.cov_diag).unsqueeze(-1) * tensor(np.eye(n), dtype=self.dtype) - A.mT @ A

    def _log_det(self):
        """ln det Σ = 2 Σ ln K_ii + Σ ln D_ii."""
        return 2 * self._capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + self.cov_diag.log().sum(-1)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        r = self.cov_factor.shape[-1]
        epsilon = tensor(draw("standard_normal", shape[:-1] + (r,)), dtype=self.dtype)
        eta = tensor(draw("standard_normal", shape), dtype=self.dtype)
        return self.loc + (self.cov_factor @ epsilon.unsqueeze(-1)).squeeze(-1) + self.cov_diag.sqrt() * eta

    def log_prob(self, value):
        diff = self._checked(value) - self.loc
        projected = (self.cov_factor.mT @ (diff / self.cov_diag).unsqueeze(-1)).squeeze(-1)  # WᵀD⁻¹(x − loc)
        whitened = solve_lower(self._capacitance_tril, projected)
        mahalanobis = (diff * diff / self.cov_diag).sum(-1) - (whitened * whitened).sum(-1)
        return -0.5 * (self._event_shape[0] * _LOG_TWO_PI + self._log_det() + mahalanobis)

    def entropy(self):
        return 0.5 * (self._event_shape[0] * (1 + _LOG_TWO_PI) + self._log_det())
