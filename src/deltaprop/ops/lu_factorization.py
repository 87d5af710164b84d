"""The LU factorization with partial pivoting, as PyTorch's ``linalg.lu_factor`` (``lu_factor_ex``,
``torch.lu``), ``linalg.lu``, ``lu_unpack`` and ``linalg.lu_solve`` (``torch.lu_solve``), batched
over the leading dimensions.

A = P·L·U for an m×n A, k = min(m, n): P a permutation, L m×k unit lower triangular (ones on its
diagonal, not stored), U k×n upper triangular. The factors are stored together, LAPACK's way: LU
holds U on and above its diagonal and L below, and ``pivots`` (int32, 1-based) says which row was
swapped into place i at step i. Column by column, the row with the largest magnitude in the column
(the first of equal ones) becomes the pivot; a column of zeros leaves a zero pivot, which ``info``
reports (its 1-based place, the first one; 0 for none), as LAPACK's getrf does.

Rule (m = n), writing ḡL = tril(ḡ, −1) and ḡU = triu(ḡ) for the parts of the gradient of LU:
Pᵀ·dA = dL·U + L·dU, so L⁻¹·Pᵀ·dA·U⁻¹ = L⁻¹dL + dU·U⁻¹, strictly lower plus upper; with
X = L⁻¹·Pᵀ·dA·U⁻¹, dL = L·tril(X, −1) and dU = triu(X)·U, and collecting ⟨ḡL, dL⟩ + ⟨ḡU, dU⟩:
gA = P·L⁻ᵀ·(tril(Lᵀ·ḡL, −1) + triu(ḡU·Uᵀ))·U⁻ᵀ. For m > n the rows below the first n, A₂ = L₂·U,
add gA₂ = ḡL₂·U⁻ᵀ and take ḡU·Uᵀ − L₂ᵀ·ḡL₂ in place of ḡU·Uᵀ; for m < n the columns right of the
first m, A₂ = L·U₂, add gA₂ = L⁻ᵀ·ḡU₂ and take Lᵀ·ḡL − ḡU₂·U₂ᵀ in place of Lᵀ·ḡL. A zero pivot
makes the gradient infinite or NaN (U⁻¹), as PyTorch's. The rule is written once, in recorded
operations (:func:`lu_gradient`), which the primitive runs on constants and its differentiable rule
on the node's factors: second and higher derivatives pass through it.

``lu_unpack`` and ``lu_solve`` are composed of tril, triu, slicing, matmul by the (constant)
permutation and triangular solves, whose rules give their gradients, to LU as to B.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ConfigError, LinAlgError, ShapeError
from ..tensor import Tensor
from ._core import operand, record
from ._matrices import floating_matrices
from .arithmetic import add, matmul, sub
from .indexing import tril, triu
from .layout import swapaxes
from .shape import concatenate, getitem
from .triangular_solve import solve_triangular


class LUFactorResult(NamedTuple):
    LU: object
    pivots: object


class LUFactorExResult(NamedTuple):
    LU: object
    pivots: object
    info: object


class LUResult(NamedTuple):
    P: object
    L: object
    U: object


def _factorize(M: np.ndarray) -> tuple:
    """(LU, pivots, info, P) of the batch ``M``: see the module's docstring; P the permutation matrices."""
    m, n = M.shape[-2:]
    k = min(m, n)
    batch = M.shape[:-2]
    LU = np.array(M, copy=True).reshape((-1, m, n))
    count = len(LU)
    rows = np.arange(count)
    order = np.broadcast_to(np.arange(m), (count, m)).copy()  # Pᵀ·A = A[order]
    pivots = np.zeros((count, k), np.int32)
    info = np.zeros(count, np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(LU[:, j:, j]), axis=1)
            pivots[:, j] = p + 1
            LU[rows, j], LU[rows, p] = LU[rows, p].copy(), LU[rows, j].copy()
            order[rows, j], order[rows, p] = order[rows, p], order[rows, j].copy()
            pivot = LU[:, j, j]
            zero = pivot == 0
            info = np.where(zero & (info == 0), j + 1, info).astype(np.int32)
            multipliers = np.where(zero[:, None], LU[:, j + 1:, j], LU[:, j + 1:, j] / pivot[:, None])
            LU[:, j + 1:, j] = multipliers
            LU[:, j + 1:, j + 1:] -= multipliers[:, :, None] * LU[:, j, None, j + 1:]
    P = np.zeros((count, m, m), M.dtype)
    P[rows[:, None], order, np.arange(m)] = 1  # A = P·(L·U): row order[i] of A is row i of L·U
    return (LU.reshape(M.shape), pivots.reshape(batch + (k,)), info.reshape(batch),
            P.reshape(batch + (m, m)))


def lu_gradient(L, U, P: np.ndarray, g):
    """gA of the packed factorization from the gradient ``g`` of LU, its factors ``L`` and ``U``
    and the permutations ``P`` (see the module's docstring), in recorded operations: the primitive's
    rule runs it on constants, and its differentiable rule (autograd/differentiable_linalg.py) on L
    and U taken from the node, so that it is differentiated in turn."""
    m, n = np.shape(L.data)[-2], np.shape(U.data)[-1]
    k = min(m, n)
    gL, gU = tril(_columns(g, 0, k), -1), triu(_rows(g, 0, k))
    L1, U1 = _rows(L, 0, k), _columns(U, 0, k)
    inner_L = matmul(_mT(L1), _rows(gL, 0, k))
    inner_U = matmul(_columns(gU, 0, k), _mT(U1))
    if m > n:
        inner_U = sub(inner_U, matmul(_mT(_rows(L, k, m)), _rows(gL, k, m)))
    if m < n:
        inner_L = sub(inner_L, matmul(_columns(gU, k, n), _mT(_columns(U, k, n))))
    M = add(tril(inner_L, -1), triu(inner_U))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # (a zero pivot: inf or NaN)
        gA = solve_triangular(_mT(U1), solve_triangular(_mT(L1), M, upper=True, unitriangular=True), upper=False,
                              left=False)  # L₁⁻ᵀ·M·U₁⁻ᵀ
        if m > n:  # and ḡL₂·U⁻ᵀ below
            gA = concatenate([gA, solve_triangular(_mT(U1), _rows(gL, k, m), upper=False, left=False)], axis=-2)
        if m < n:  # and L⁻ᵀ·ḡU₂ to the right
            gA = concatenate([gA, solve_triangular(_mT(L1), _columns(gU, k, n), upper=True, unitriangular=True)],
                             axis=-1)
    return matmul(P, gA)


def _rows(x, start: int, stop: int):
    return getitem(x, (Ellipsis, slice(start, stop), slice(None)))


def _columns(x, start: int, stop: int):
    return getitem(x, (Ellipsis, slice(None), slice(start, stop)))


def _mT(x):
    return swapaxes(x, -1, -2)


def factors(LU) -> tuple:
    """L (m×k, unit lower triangular) and U (k×n) of the packed tensor ``LU``, in recorded operations."""
    m, n = np.shape(LU.data)[-2:]
    k = min(m, n)
    return add(tril(_columns(LU, 0, k), -1), np.eye(m, k, dtype=LU.data.dtype)), triu(_rows(LU, 0, k))


def _refuse_no_pivoting(op: str, pivot) -> None:
    if not pivot:
        raise ConfigError(f"{op}: pivot=False (LU without row exchanges) is not available, as in PyTorch on the CPU; "
                          "use pivot=True")


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info) of each matrix of A (any m×n, float32 or float64): see the module's
    docstring. A zero pivot is reported in ``info``, or refused with ``check_errors`` (LinAlgError).
    The gradient reaches A through LU (pivots and info are integers)."""
    _refuse_no_pivoting("linalg.lu_factor_ex", pivot)
    a = floating_matrices("linalg.lu_factor_ex", A)
    LU, pivots, info, P = _factorize(a.data)
    if check_errors and info.any():
        raise _zero_pivot("linalg.lu_factor_ex", a.data.shape, info)

    def backward(g):
        L, U = factors(Tensor._wrap(LU))
        return (lu_gradient(L, U, P, Tensor._wrap(g)).data,)

    return LUFactorExResult(record(LU, (a,), backward, "linalg.lu_factor"), Tensor._wrap(pivots),
                            Tensor._wrap(info))


def _zero_pivot(op: str, shape: tuple, info: np.ndarray) -> LinAlgError:
    first = int(info[info > 0].reshape(-1)[0]) - 1
    which = "a matrix of the batch" if len(shape) > 2 else "the matrix"
    return LinAlgError(f"{op}: U[{first}, {first}] of {which} of shape {shape} is zero, so a solve with this "
                       "factorization would divide by zero; use linalg.lu_factor_ex (which reports it in info) or "
                       "linalg.lu to factorize it anyway")


def lu_factor(A, *, pivot=True):
    """(LU, pivots) of each matrix of A, the compact form of A = P·L·U (see the module's docstring);
    a zero pivot (a singular square matrix) is refused (LinAlgError), as PyTorch's."""
    _refuse_no_pivoting("linalg.lu_factor", pivot)
    a = floating_matrices("linalg.lu_factor", A)
    LU, pivots, info = lu_factor_ex(a)
    if info.data.any():
        raise _zero_pivot("linalg.lu_factor", a.data.shape, info.data)
    return LUFactorResult(LU, pivots)


def lu(A, *, pivot=True):
    """(P, L, U) with A = P·L·U, as PyTorch's ``linalg.lu`` (singular matrices too); the gradient
    reaches A through L and U."""
    _refuse_no_pivoting("linalg.lu", pivot)
    LU, pivots, _ = lu_factor_ex(floating_matrices("linalg.lu", A))
    return lu_unpack(LU, pivots)


def _permutations(pivots: np.ndarray, m: int, dtype) -> np.ndarray:
    """The permutation matrices P (m×m) of LAPACK's 1-based row exchanges ``pivots``."""
    k = pivots.shape[-1]
    flat = pivots.reshape(-1, k).astype(np.intp) - 1
    if flat.size and (flat.min() < 0 or flat.max() >= m):
        raise ValueError(f"lu_unpack: pivots must lie in 1 … {m} (LAPACK's 1-based rows), got values from "
                         f"{flat.min() + 1} to {flat.max() + 1}")
    order = np.broadcast_to(np.arange(m), (len(flat), m)).copy()
    rows = np.arange(len(flat))
    for j in range(k):
        p = flat[:, j]
        order[rows, j], order[rows, p] = order[rows, p], order[rows, j].copy()
    P = np.zeros((len(flat), m, m), dtype)
    P[rows[:, None], order, np.arange(m)] = 1
    return P.reshape(pivots.shape[:-1] + (m, m))


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from the compact ``LU_data`` and ``LU_pivots`` of :func:`lu_factor`; L and U
    (empty without ``unpack_data``) carry LU_data's gradient, P (empty without ``unpack_pivots``) none."""
    lu_ = floating_matrices("lu_unpack", LU_data, name="LU_data")
    X = lu_.data
    m, n = X.shape[-2:]
    k = min(m, n)
    pivots = np.asarray(operand(LU_pivots).data)
    if pivots.dtype.kind not in "iu" or pivots.shape != X.shape[:-2] + (k,):
        raise ShapeError(f"lu_unpack: LU_pivots must be integers of shape {X.shape[:-2] + (k,)} (one per pivot of "
                         f"LU_data {X.shape}), got {pivots.dtype} of shape {pivots.shape}")
    empty = Tensor._wrap(np.zeros((0,), X.dtype))
    P = Tensor._wrap(_permutations(pivots, m, X.dtype)) if unpack_pivots else empty
    return LUResult(P, *(factors(lu_) if unpack_data else (empty, empty)))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A·X = B (``left=False``: X·A = B; ``adjoint``: Aᵀ in place of A) from the factorization
    (LU, pivots) of a square A; the batch dimensions broadcast. Composed of triangular solves, so
    the gradient reaches LU and B."""
    if not left:  # X·A = B is Aᵀ·Xᵀ = Bᵀ
        b = floating_matrices("linalg.lu_solve", B, name="B")
        return swapaxes(lu_solve(LU, pivots, swapaxes(b, -1, -2), adjoint=not adjoint), -1, -2)
    lu_ = floating_matrices("linalg.lu_solve", LU, square=True, name="LU")
    b = floating_matrices("linalg.lu_solve", B, name="B")
    if b.data.shape[-2] != lu_.data.shape[-1]:
        raise ShapeError(f"linalg.lu_solve: LU of shape {lu_.data.shape} and B of shape {b.data.shape} do not fit "
                         f"A·X = B: B's rows ({b.data.shape[-2]}) must number {lu_.data.shape[-1]}")
    P, L, U = lu_unpack(lu_, pivots)
    if not adjoint:  # X = U⁻¹·L⁻¹·Pᵀ·B
        Y = solve_triangular(L, matmul(swapaxes(P, -1, -2), b), upper=False, unitriangular=True)
        return solve_triangular(U, Y, upper=True)
    Y = solve_triangular(swapaxes(L, -1, -2), solve_triangular(swapaxes(U, -1, -2), b, upper=False), upper=True,
                         unitriangular=True)  # X = P·L⁻ᵀ·U⁻ᵀ·B
    return matmul(P, Y)
