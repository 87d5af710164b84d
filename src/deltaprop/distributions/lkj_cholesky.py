"""The LKJ distribution of Lewandowski, Kurowicka and Joe over d × d correlation matrices R, with
density proportional to det(R)^(η − 1), given here (as PyTorch's ``LKJCholesky``) over the
lower-triangular Cholesky factors L of R = L·Lᵀ, whose rows have unit length.

Draws follow the onion method: row 0 is (1, 0, …); row i ≥ 1 is (√y·u, √(1 − y), 0, …) with
y ~ Beta(i/2, βᵢ), βᵢ = η + (d − 1 − i)/2, and u uniform on the unit sphere of ℝⁱ (a normal draw
scaled to length 1). The i off-diagonal entries w = √y·u of row i then have density
(1 − |w|²)^(βᵢ − 1) · Γ(η + (d − 1)/2) / (Γ(βᵢ) π^(i/2)) within the unit ball, and since L_ii² = 1 − |w|²,
ln p(L) = Σ_{i≥1} [(2η + d − i − 3) ln L_ii + ln Γ(η + (d − 1)/2) − ln Γ(βᵢ) − (i/2) ln π],
a density over the entries below the diagonal. Every off-diagonal correlation R_ij then has
(R_ij + 1)/2 ~ Beta(η − 1 + d/2, η − 1 + d/2): mean 0, variance 1/(2η + d − 1).
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .distribution import Distribution, broadcast_all, draw
from ..errors import ConfigError
from ..ops import lgamma
from ..tensor import tensor


class LKJCholesky(Distribution):
    """Cholesky factors of d × d correlation matrices, density ∝ det(L·Lᵀ)^(η − 1) (η the
    ``concentration``: 1 uniform over correlation matrices, above 1 favouring the identity, below 1
    favouring strong correlations); one per element of the concentration."""

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 2:
            raise ConfigError(f"LKJCholesky: dim must be an integer of at least 2, got {dim!r}")
        self.dim = int(dim)
        (self.concentration,) = broadcast_all(concentration)
        super().__init__(self.concentration.shape, (self.dim, self.dim), validate_args)

    def _row_betas(self) -> tuple:
        """The Beta parameters (i/2, βᵢ) of rows i = 1 … d − 1, as arrays of shape batch + (d − 1,)."""
        rows = np.arange(1, self.dim)
        eta = np.asarray(self.concentration.data, np.float64)[..., None]
        return np.broadcast_to(rows / 2, eta.shape[:-1] + rows.shape), eta + (self.dim - 1 - rows) / 2

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        a, b = self._row_betas()
        y = draw("beta", shape[:-2] + (self.dim - 1,), a, b)
        directions = np.tril(draw("standard_normal", shape), -1)[..., 1:, :]
        directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
        L = np.zeros(shape)
        L[..., 1:, :] = np.sqrt(y)[..., None] * directions
        diagonal = np.concatenate([np.ones(y.shape[:-1] + (1,)), np.sqrt(1 - y)], -1)
        L[..., np.arange(self.dim), np.arange(self.dim)] = diagonal
        return tensor(L, dtype=self.dtype)

    def log_prob(self, value):
        x = self._checked(value)
        d, eta = self.dim, self.concentration
        rows = np.arange(1, d)
        log_diagonal = x.diagonal(dim1=-2, dim2=-1)[..., 1:].log()
        powers = 2 * eta.unsqueeze(-1) + tensor(d - rows - 3.0, dtype=self.dtype)
        betas = eta.unsqueeze(-1) + tensor((d - 1 - rows) / 2, dtype=self.dtype)
        normalizer = (d - 1) * lgamma(eta + (d - 1) / 2) - lgamma(betas).sum(-1) - rows.sum() / 2 * math.log(math.pi)
        return (powers * log_diagonal).sum(-1) + normalizer

    def __repr__(self) -> str:
        return f"LKJCholesky(dim: {self.dim}, concentration: {tuple(self.concentration.shape)})"
