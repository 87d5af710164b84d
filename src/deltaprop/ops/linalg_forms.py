"""PyTorch's top-level linear-algebra names, the older API it keeps beside ``torch.linalg``: det,
slogdet, logdet, inverse, pinverse, matrix_power, matrix_exp, cholesky, cholesky_solve,
cholesky_inverse, qr (``some``), svd (``some``, ``compute_uv``; V, not Vᵀ), triangular_solve
(B first, with a copy of A), lu (``get_infos``), lu_solve (B first), lu_unpack and chain_matmul.

Each is the ``deltaprop.linalg`` function it stands for, with the old arguments translated, or a
composition of them (logdet, cholesky_solve, cholesky_inverse, chain_matmul): the rules of those
give the gradients and second derivatives.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._core import operand
from ._matrices import floating_matrices
from .decompositions import cholesky as _cholesky, pinv, qr as _qr, svd as _svd, svdvals
from .elementwise import clone, where
from .layout import swapaxes
from .shape import expand
from .lu_factorization import lu_factor_ex, lu_solve as _lu_solve, lu_unpack
from .householder import householder_product as orgqr  # PyTorch's top-level name for it
from .matrix_exponential import matrix_exp
from .matrix_functions import det, inv, matrix_power, slogdet
from .arithmetic import matmul
from .triangular_solve import solve_triangular

__all__ = [
    "chain_matmul", "cholesky", "cholesky_inverse", "cholesky_solve", "det", "inverse", "logdet", "lu", "lu_solve",
    "lu_unpack", "matrix_exp", "matrix_power", "pinverse", "qr", "slogdet", "svd", "triangular_solve",
]


class SvdResult(NamedTuple):
    U: object
    S: object
    V: object


class TriangularSolveResult(NamedTuple):
    solution: object
    cloned_coefficient: object


def _mT(x):
    return swapaxes(x, -1, -2)


def logdet(input):
    """ln det A for each square matrix: NaN where the determinant is negative, −inf where it is 0,
    as PyTorch's; the gradient is slogdet's, A⁻ᵀ (0 where the determinant is negative)."""
    sign, logabsdet = slogdet(input)
    negative = np.asarray(sign.data) < 0
    return where(negative, np.nan, logabsdet) if negative.any() else logabsdet


def inverse(input):
    """The inverse of each square matrix (``linalg.inv``)."""
    return inv(input)


def pinverse(input, rcond=1e-15):
    """The pseudoinverse (``linalg.pinv``), singular values below ``rcond`` times the largest taken as 0."""
    return pinv(input, rtol=rcond)


def cholesky(input, upper=False):
    """The Cholesky factor L (L·Lᵀ = A) of each symmetric positive-definite matrix, or U = Lᵀ with
    ``upper`` (``linalg.cholesky``)."""
    return _cholesky(input, upper=bool(upper))


def _factor_of(op: str, L, upper) -> Tensor:
    """The lower-triangular factor L of A = L·Lᵀ, given as L or (``upper``) as U = Lᵀ."""
    factor = floating_matrices(op, L, square=True, name="the factor")
    return _mT(factor) if upper else factor


def cholesky_solve(input, input2, upper=False):
    """X with A·X = B (B = ``input``), A = L·Lᵀ given by its Cholesky factor L = ``input2`` (U = Lᵀ
    with ``upper``): two triangular solves, L·Y = B and Lᵀ·X = Y; the batch dimensions broadcast.
    Only L's triangle is read, and only it gets a gradient (PyTorch's formula gives the other
    triangle one too)."""
    lower = _factor_of("cholesky_solve", input2, upper)
    b = floating_matrices("cholesky_solve", input, name="B")
    return solve_triangular(_mT(lower), solve_triangular(lower, b, upper=False), upper=True)


def cholesky_inverse(input, upper=False):
    """A⁻¹ for A = L·Lᵀ given by its Cholesky factor L = ``input`` (U = Lᵀ with ``upper``): L⁻ᵀ·L⁻¹,
    from one triangular solve with the identity. Only L's triangle is read, and gets a gradient."""
    lower = _factor_of("cholesky_inverse", input, upper)
    n = lower.data.shape[-1]
    inverse_factor = solve_triangular(lower, np.eye(n, dtype=lower.data.dtype), upper=False)  # L⁻¹
    return matmul(_mT(inverse_factor), inverse_factor)


def qr(input, some=True):
    """(Q, R) of each matrix: reduced (``some``) or complete, as ``linalg.qr``'s modes."""
    return _qr(input, "reduced" if some else "complete")


def svd(input, some=True, compute_uv=True):
    """(U, S, V) with A = U·diag(S)·Vᵀ: V itself, not Vᵀ as ``linalg.svd`` gives; reduced with
    ``some`` (U m×k, V n×k), full without. With ``compute_uv=False`` only S is computed (its gradient
    still flows, where PyTorch's refuses it) and U and V are zeros (m×m and n×n), as PyTorch's."""
    a = floating_matrices("svd", input)
    if not compute_uv:
        X = a.data
        m, n = X.shape[-2:]
        zeros = (Tensor._wrap(np.zeros(X.shape[:-2] + (size, size), X.dtype)) for size in (m, n))
        U, V = zeros
        return SvdResult(U, svdvals(a), V)
    U, S, Vh = _svd(a, full_matrices=not some)
    return SvdResult(U, S, _mT(Vh))


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    """(solution, cloned_coefficient): X with A·X = B (B = ``input``; Aᵀ·X = B with ``transpose``),
    A upper triangular by default (lower with ``upper=False``; ones on its diagonal with
    ``unitriangular``), and a copy of A (broadcast to the solution's batch), as PyTorch's older form of
    ``linalg.solve_triangular`` (whose arguments are the other way round)."""
    a = floating_matrices("triangular_solve", A, square=True)
    coefficient = _mT(a) if transpose else a
    solution = solve_triangular(coefficient, input, upper=bool(upper) != bool(transpose), unitriangular=unitriangular)
    batch = np.shape(solution.data)[:-2]  # (the copy has the solution's batch dimensions, as PyTorch's)
    return TriangularSolveResult(solution, clone(expand(a, batch + np.shape(a.data)[-2:])))


def lu(A, pivot=True, get_infos=False):
    """(LU, pivots) of each matrix, ``linalg.lu_factor``'s compact factorization; with
    ``get_infos`` also ``info`` (0 where no pivot is zero), and a zero pivot refused without it."""
    LU, pivots, info = lu_factor_ex(A, pivot=pivot, check_errors=not get_infos)
    return (LU, pivots, info) if get_infos else (LU, pivots)


def lu_solve(input, LU_data, LU_pivots):
    """X with A·X = B (B = ``input``) from the factorization (LU_data, LU_pivots) of A
    (``linalg.lu_solve``, whose arguments are the other way round)."""
    return _lu_solve(LU_data, LU_pivots, input)


def chain_matmul(*matrices):
    """The product of the matrices, left to right (``linalg.multi_dot`` of 2-d tensors); one
    matrix is returned as a copy."""
    if not matrices:
        raise ShapeError("chain_matmul: expects at least one matrix")
    tensors = [operand(m) for m in matrices]
    for i, t in enumerate(tensors):
        if np.ndim(t.data) != 2:
            raise ShapeError(f"chain_matmul: matrix {i} must be 2-d, got shape {np.shape(t.data)}")
    out = clone(tensors[0])
    for i, t in enumerate(tensors[1:], 1):
        if np.shape(out.data)[1] != np.shape(t.data)[0]:
            raise ShapeError(f"chain_matmul: matrices {i - 1} and {i} of shapes {np.shape(tensors[i - 1].data)} and "
                             f"{np.shape(t.data)} do not align")
        out = matmul(out, t)
    return out

