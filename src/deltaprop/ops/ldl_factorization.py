"""The LDLᵀ factorization of symmetric matrices with Bunch-Kaufman pivoting, in LAPACK's form.

``ldl_factor`` writes P·A·Pᵀ = L·D·Lᵀ (L unit lower triangular, D block diagonal with 1×1 and 2×2
blocks) into one matrix LD: D's blocks on and just below the diagonal, L's multipliers below them
(LAPACK's compact form, the lower triangle; the upper one holds zeros). ``pivots`` (int32, 1-based)
says for each step k which row r was swapped with k: ``pivots[k] = r`` for a 1×1 block, and
``pivots[k] = pivots[k+1] = −r`` for a 2×2 block whose second row was swapped with r.

The pivoting is Bunch and Kaufman's partial pivoting (Golub & Van Loan, §4.4): with
α = (1 + √17)/8, column k is a 1×1 pivot where its diagonal is large against its column
(|a_kk| ≥ α·σ₁, σ₁ the column's largest entry below the diagonal, in row r), or large enough against
row r's largest off-diagonal entry σ_r (|a_kk|·σ_r ≥ α·σ₁²); otherwise r becomes a 1×1 pivot where
|a_rr| ≥ α·σ_r, and rows k and r a 2×2 pivot block otherwise. The unblocked sweep below makes the
same choices as LAPACK's ``sytrf`` for the matrices it factors without blocking (n up to 64).

PyTorch gives neither function a gradient; here ``ldl_factor``'s outputs join no graph, and
``ldl_solve`` has a gradient with respect to B (it is B times a constant matrix, A⁻¹).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ConfigError, LinAlgError, ShapeError
from ..tensor import Tensor
from ._core import operand
from ._matrices import floating_matrices
from .arithmetic import matmul

ALPHA = (1.0 + np.sqrt(17.0)) / 8.0


class LDLFactorResult(NamedTuple):
    LD: object
    pivots: object


class LDLFactorExResult(NamedTuple):
    LD: object
    pivots: object
    info: object


def _bunch_kaufman(a: np.ndarray):
    """(LD, pivots, info) of one symmetric matrix, read from its lower triangle."""
    n = a.shape[0]
    A = np.tril(a).astype(a.dtype, copy=True)
    pivots = np.zeros(n, dtype=np.int32)
    info = 0
    k = 0
    while k < n:
        step = 1
        diagonal = abs(A[k, k])
        if k < n - 1:
            r = k + 1 + int(np.argmax(np.abs(A[k + 1:, k])))
            column = abs(A[r, k])
        else:
            r, column = k, 0.0
        if max(diagonal, column) == 0.0 or np.isnan(diagonal):
            info = info or k + 1
            swap = k
        elif diagonal >= ALPHA * column:
            swap = k
        else:
            row = np.max(np.abs(A[r, k:r]))
            if r < n - 1:
                row = max(row, np.max(np.abs(A[r + 1:, r])))
            if diagonal * row >= ALPHA * column * column:
                swap = k
            elif abs(A[r, r]) >= ALPHA * row:
                swap = r
            else:
                swap, step = r, 2
        kk = k + step - 1
        if swap != kk:
            _swap_symmetric(A, kk, swap)
            if step == 2:
                A[k + 1, k], A[swap, k] = A[swap, k], A[k + 1, k]
        if step == 1:
            if A[k, k] != 0.0:
                multipliers = A[k + 1:, k] / A[k, k]
                A[k + 1:, k + 1:] -= np.tril(np.outer(multipliers, A[k + 1:, k]))
                A[k + 1:, k] = multipliers
            pivots[k] = swap + 1
        else:
            if k < n - 2:
                block = np.array([[A[k, k], A[k + 1, k]], [A[k + 1, k], A[k + 1, k + 1]]])
                below = A[k + 2:, k:k + 2]
                W = np.linalg.solve(block, below.T).T  # the rows' multipliers: below · block⁻¹
                A[k + 2:, k + 2:] -= np.tril(W @ below.T)
                A[k + 2:, k:k + 2] = W
            pivots[k] = pivots[k + 1] = -(swap + 1)
        k += step
    return A, pivots, info


def _swap_symmetric(A: np.ndarray, i: int, j: int) -> None:
    """Rows and columns i < j of the trailing symmetric matrix exchanged, in its lower triangle."""
    A[j + 1:, [i, j]] = A[j + 1:, [j, i]]
    between = np.arange(i + 1, j)
    A[between, i], A[j, between] = A[j, between].copy(), A[between, i].copy()
    A[i, i], A[j, j] = A[j, j], A[i, i]


def _factor_all(op: str, A, hermitian: bool):
    if not isinstance(hermitian, (bool, np.bool_)):
        raise ConfigError(f"{op}: hermitian must be True or False, got {hermitian!r}")
    a = floating_matrices(op, A)
    X = a.data
    if X.shape[-1] != X.shape[-2]:
        raise ShapeError(f"{op}: A must be square matrices (or a batch of them), got shape {X.shape}")
    batch = X.shape[:-2]
    n = X.shape[-1]
    LD = np.zeros(X.shape, dtype=X.dtype)
    pivots = np.zeros(batch + (n,), dtype=np.int32)
    info = np.zeros(batch, dtype=np.int32)
    for index in np.ndindex(*batch):
        LD[index], pivots[index], info[index] = _bunch_kaufman(X[index])
    return LD, pivots, info


def _zero_block(op: str, shape: tuple, info: np.ndarray) -> LinAlgError:
    first = int(info[info > 0].reshape(-1)[0]) - 1
    which = "a matrix of the batch" if len(shape) > 2 else "the matrix"
    return LinAlgError(f"{op}: D[{first}, {first}] of {which} of shape {shape} is zero (the matrix is singular), "
                       "so a solve with this factorization would divide by zero; use linalg.ldl_factor_ex to get "
                       "it anyway, reported in info")


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    """(LD, pivots, info) of each symmetric matrix of A (its lower triangle is read): see the module's
    docstring. ``info`` is 0, or k + 1 where D's k-th diagonal block is exactly singular (refused
    with ``check_errors``, LinAlgError). Real matrices only, so ``hermitian`` changes nothing. No
    gradient, as in PyTorch."""
    op = "linalg.ldl_factor_ex"
    LD, pivots, info = _factor_all(op, A, hermitian)
    if check_errors and info.any():
        raise _zero_block(op, LD.shape, info)
    return LDLFactorExResult(Tensor._wrap(LD), Tensor._wrap(pivots), Tensor._wrap(info))


def ldl_factor(A, *, hermitian=False):
    """(LD, pivots) of each symmetric matrix of A, LAPACK's compact Bunch-Kaufman form (see the
    module's docstring); a singular matrix is refused (LinAlgError). No gradient, as in PyTorch."""
    op = "linalg.ldl_factor"
    LD, pivots, info = _factor_all(op, A, hermitian)
    if info.any():
        raise _zero_block(op, LD.shape, info)
    return LDLFactorResult(Tensor._wrap(LD), Tensor._wrap(pivots))


def _solve_one(LD: np.ndarray, pivots: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A⁻¹·B for the A that (LD, pivots) factor: P, L, D and Lᵀ undone in turn."""
    n = LD.shape[0]
    X = np.array(B, dtype=np.result_type(LD, B))
    k = 0
    while k < n:  # L·D·Y = P·B, forwards
        if pivots[k] > 0:
            r = pivots[k] - 1
            X[[k, r]] = X[[r, k]]
            X[k + 1:] -= np.outer(LD[k + 1:, k], X[k])
            X[k] /= LD[k, k]
            k += 1
        else:
            r = -pivots[k] - 1
            X[[k + 1, r]] = X[[r, k + 1]]
            X[k + 2:] -= LD[k + 2:, k:k + 2] @ X[k:k + 2]
            block = np.array([[LD[k, k], LD[k + 1, k]], [LD[k + 1, k], LD[k + 1, k + 1]]])
            X[k:k + 2] = np.linalg.solve(block, X[k:k + 2])
            k += 2
    k = n - 1
    while k >= 0:  # Lᵀ·Pᵀ·X = Y, backwards
        if pivots[k] > 0:
            X[k] -= LD[k + 1:, k] @ X[k + 1:]
            r = pivots[k] - 1
            X[[k, r]] = X[[r, k]]
            k -= 1
        else:
            X[k - 1:k + 1] -= LD[k + 1:, k - 1:k + 1].T @ X[k + 1:]
            r = -pivots[k] - 1
            X[[k, r]] = X[[r, k]]
            k -= 2
    return X


def ldl_solve(LD, pivots, B, *, hermitian=False):
    """X with A·X = B, for the A that ``ldl_factor``'s (LD, pivots) describe, batched (LD's and B's
    batch axes broadcast). The gradient reaches B (X is A⁻¹·B with A⁻¹ a constant); none reaches
    LD, as in PyTorch, which gives ldl_solve no gradient at all."""
    op = "linalg.ldl_solve"
    if not isinstance(hermitian, (bool, np.bool_)):
        raise ConfigError(f"{op}: hermitian must be True or False, got {hermitian!r}")
    ld = floating_matrices(op, LD, name="LD").data
    b = floating_matrices(op, B, name="B")
    piv = np.asarray(operand(pivots).data)
    n = ld.shape[-1]
    if ld.shape[-2] != n:
        raise ShapeError(f"{op}: LD must be square matrices (or a batch of them), got shape {ld.shape}")
    if piv.dtype.kind not in "iu" or piv.shape != ld.shape[:-1]:
        raise ShapeError(f"{op}: pivots must be integers of shape {ld.shape[:-1]} (LD's without its last axis), "
                         f"got {piv.dtype} of shape {piv.shape}")
    if b.data.shape[-2] != n:
        raise ShapeError(f"{op}: B must have {n} rows to match LD of shape {ld.shape}, got shape {b.data.shape}")
    if np.any(piv == 0) or np.any(np.abs(piv) > n):
        raise ValueError(f"{op}: pivots must lie in 1..{n} or -{n}..-1 (LAPACK's form), got {piv.tolist()}")
    batch = np.broadcast_shapes(ld.shape[:-2], b.data.shape[:-2])
    ld = np.broadcast_to(ld, batch + (n, n))
    piv = np.broadcast_to(piv, batch + (n,))
    inverse = np.empty(batch + (n, n), dtype=np.result_type(ld, b.data))
    identity = np.eye(n, dtype=inverse.dtype)
    for index in np.ndindex(*batch):
        inverse[index] = _solve_one(ld[index], piv[index], identity)
    return matmul(Tensor._wrap(inverse), b)
