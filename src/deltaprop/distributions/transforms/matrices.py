"""Transforms onto matrices: Cholesky factors, positive-definite matrices and the Cholesky factors
of correlation matrices.

``LowerCholeskyTransform`` keeps a square matrix's strictly lower triangle and exponentiates its
diagonal (so the diagonal is positive); what lies above the diagonal is dropped, so it is not
one-to-one. ``PositiveDefiniteTransform`` follows it with L ↦ L·Lᵀ.

``CorrCholeskyTransform`` maps D(D − 1)/2 real numbers one-to-one onto the lower-triangular D × D
matrices with a positive diagonal and rows of unit length (so L·Lᵀ has a unit diagonal: a
correlation matrix). The numbers become rᵢⱼ = tanh xᵢⱼ in (−1, 1), laid out row by row below the
diagonal; then each row breaks a stick of squared length 1: yᵢⱼ = rᵢⱼ·√(1 − Σₖ<ⱼ yᵢₖ²) for j < i and
yᵢᵢ = √(1 − Σₖ<ᵢ yᵢₖ²), where 1 − Σₖ<ⱼ yᵢₖ² = Πₖ<ⱼ (1 − rᵢₖ²). Each yᵢⱼ depends on rᵢ₀ … rᵢⱼ only, so
the Jacobian is triangular and ln |det| = Σ ½ ln(1 − Σₖ<ⱼ yᵢₖ²) + Σ ln(1 − rᵢⱼ²), the latter the tanh
slopes 2(ln 2 − x − softplus(−2x)). The inverse reads rᵢⱼ = yᵢⱼ / √(1 − Σₖ<ⱼ yᵢₖ²) and x = atanh r.
"""

from __future__ import annotations

import math

import numpy as np

from .. import constraints
from .transform import ParameterFree
from ...errors import ShapeError
from ...linalg import cholesky
from ...ops import pad, softplus
from ...tensor import tensor


def _diagonal_matrix(d):
    """A batch of diagonal matrices with the vectors ``d`` (last dimension) on their diagonals."""
    return d.unsqueeze(-1) * tensor(np.eye(d.shape[-1]), dtype=d.dtype)


def _square(owner: str, shape) -> tuple:
    shape = tuple(shape)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(f"{owner}: the input must be a square matrix or a batch of them, got shape {shape}")
    return shape


class LowerCholeskyTransform(ParameterFree):
    """A square matrix to the lower-triangular one with its strictly lower part and its diagonal
    exponentiated (the part above the diagonal is dropped)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x):
        _square("LowerCholeskyTransform", x.shape)
        return x.tril(-1) + _diagonal_matrix(x.diagonal(dim1=-2, dim2=-1).exp())

    def _inverse(self, y):
        _square("LowerCholeskyTransform", y.shape)
        return y.tril(-1) + _diagonal_matrix(y.diagonal(dim1=-2, dim2=-1).log())


class PositiveDefiniteTransform(ParameterFree):
    """A square matrix to the positive-definite L·Lᵀ, L its :class:`LowerCholeskyTransform`."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        L = LowerCholeskyTransform()(x)
        return L @ L.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(cholesky(y))


def _size_of(m: int) -> int:
    """D with D(D − 1)/2 = m, or a ShapeError."""
    d = (1 + math.isqrt(1 + 8 * m)) // 2
    if d * (d - 1) // 2 != m:
        raise ShapeError(f"CorrCholeskyTransform: the input's last dimension must be D(D − 1)/2 for some D "
                         f"(0, 1, 3, 6, 10, ...), got {m}")
    return d


def _below(d: int, offset: int) -> np.ndarray:
    """The flat indices (into D·D) of the elements below diagonal ``offset``, row by row."""
    rows, columns = np.tril_indices(d, offset)
    return rows * d + columns


class CorrCholeskyTransform(ParameterFree):
    """D(D − 1)/2 real numbers onto the Cholesky factors of D × D correlation matrices, one-to-one
    (module docstring)."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        m = x.shape[-1]
        d = _size_of(m)
        info = np.finfo(x.dtype)
        r = x.tanh().clip(-1 + float(info.eps), 1 - float(info.eps))
        # r laid out below the diagonal (by a constant placement matrix)
        placement = np.zeros((m, d * d))
        placement[np.arange(m), _below(d, -1)] = 1
        r = (r @ tensor(placement, dtype=x.dtype)).reshape(*x.shape[:-1], d, d)
        # √(1 − Σₖ<ⱼ yᵢₖ²) = Πₖ<ⱼ √(1 − rᵢₖ²), from the strictly lower r alone (1 − 0 = 1 elsewhere: no
        # square root of 0, whose infinite slope would meet the zeros above the diagonal as NaN)
        kept = pad((1 - r * r).sqrt().cumprod(-1)[..., :-1], (1, 0), value=1.0)
        return (r + tensor(np.eye(d), dtype=x.dtype)) * kept

    def _left(self, y):
        # 1 − Σₖ<ⱼ yᵢₖ² at each (i, j)
        return pad(1 - (y * y).cumsum(-1)[..., :-1], (1, 0), value=1.0)

    def _inverse(self, y):
        d = _square("CorrCholeskyTransform", y.shape)[-1]
        flat = y.reshape(*y.shape[:-2], d * d)
        index = tensor(_below(d, -1), dtype=np.int64)
        r = flat[..., index] / self._left(y).reshape(*y.shape[:-2], d * d)[..., index].sqrt()
        return 0.5 * (r.log1p() - (-r).log1p())

    def log_abs_det_jacobian(self, x, y):
        d = _square("CorrCholeskyTransform", y.shape)[-1]
        index = tensor(_below(d, -1), dtype=np.int64)
        left = self._left(y).reshape(*y.shape[:-2], d * d)[..., index]
        tanh_slopes = 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))
        return 0.5 * left.log().sum(-1) + tanh_slopes.sum(-1)

    def forward_shape(self, shape):
        shape = tuple(shape)
        if not shape:
            raise ShapeError("CorrCholeskyTransform: the input needs at least one dimension (the vector), got shape ()")
        d = _size_of(shape[-1])
        return shape[:-1] + (d, d)

    def inverse_shape(self, shape):
        shape = _square("CorrCholeskyTransform", shape)
        d = shape[-1]
        return shape[:-2] + (d * (d - 1) // 2,)
