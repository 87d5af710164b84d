"""``linalg.solve_triangular``: X with A·X = B (or X·A = B) for a triangular A, by substitution,
batched with the batch dimensions of A and B broadcast, as PyTorch's.

Substitution, row by row, needs no pivoting, and on the ill-conditioned triangular matrices that
factorizations produce it is usually far more accurate than their condition number suggests (its
backward error is small componentwise), where a general LU solve would pivot and mix the rows. Only A's triangle is read (its diagonal taken as
ones with ``unitriangular``); a zero on the diagonal gives inf or NaN, as PyTorch's, not an error.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ._core import record, unbroadcast
from ._matrices import T, batch_of, floating_matrices


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A·X = B (``left``, the default) or X·A = B, A upper or lower triangular (``upper`` is
    required, as in PyTorch) and, with ``unitriangular``, taken to have ones on its diagonal.

    Rule (left, A lower): A·dX = dB − dA·X, so gB = A⁻ᵀ·ḡX (a solve with the transposed, upper
    triangular matrix) and gA = −gB·Xᵀ, kept to A's triangle (strictly below the diagonal with
    ``unitriangular``): the only entries that X depends on. X·A = B is Aᵀ·Xᵀ = Bᵀ.
    """
    op = "linalg.solve_triangular"
    if not isinstance(upper, (bool, np.bool_)):
        raise TypeError(f"{op}: upper must be True or False (it has no default, as in PyTorch), got {upper!r}")
    a = floating_matrices(op, A, square=True)
    b = floating_matrices(op, B, name="B")
    M, Y = a.data, b.data
    if M.dtype != Y.dtype:
        raise TypeError(f"{op}: A and B must have one dtype, as in PyTorch, got {M.dtype} and {Y.dtype}")
    n = M.shape[-1]
    if (Y.shape[-2] if left else Y.shape[-1]) != n:
        side = f"B's rows ({Y.shape[-2]})" if left else f"B's columns ({Y.shape[-1]})"
        raise ShapeError(f"{op}: A of shape {M.shape} and B of shape {Y.shape} do not fit "
                         f"{'A·X = B' if left else 'X·A = B'}: {side} must number {n}")
    batch = batch_of(op, M, Y, Y.shape[:-2])
    mask = np.triu(np.ones((n, n), bool), 1 if unitriangular else 0) if upper else \
        np.tril(np.ones((n, n), bool), -1 if unitriangular else 0)
    # X·A = B is Aᵀ·Xᵀ = Bᵀ, with Aᵀ's triangle the other one
    lower = (not upper) if left else upper
    M_ = np.broadcast_to(M if left else T(M), batch + M.shape[-2:])
    Y_ = np.broadcast_to(Y if left else T(Y), batch + (n, Y.shape[-1] if left else Y.shape[-2]))
    X = substitute(M_, Y_, lower, unitriangular)

    def backward(g):
        g = g if left else T(g)
        gB = substitute(T(M_), g, not lower, unitriangular)
        gA = gB @ T(X) if left else X @ T(gB)
        gA = unbroadcast(np.where(mask, -gA, 0).astype(M.dtype, copy=False), M.shape) if a.requires_grad else None
        gB = unbroadcast(gB if left else T(gB), Y.shape) if b.requires_grad else None
        return gA, gB

    backward.upper = upper  # (for the rule's own derivative: autograd/differentiable_linalg.py)
    return record(X if left else np.ascontiguousarray(T(X)), (a, b), backward, op)


def substitute(M: np.ndarray, Y: np.ndarray, lower: bool, unitriangular: bool) -> np.ndarray:
    """X with M·X = Y for batches of triangular M (its lower triangle read where ``lower``, else its
    upper; its diagonal as ones where ``unitriangular``): forward or back substitution, one row of
    X at a time, each vectorised over the batch and the columns."""
    n = M.shape[-1]
    X = np.zeros(np.broadcast_shapes(M.shape[:-2], Y.shape[:-2]) + Y.shape[-2:], dtype=np.result_type(M, Y))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # (a zero pivot: inf or NaN, as PyTorch's)
        for i in range(n) if lower else range(n - 1, -1, -1):
            known = slice(0, i) if lower else slice(i + 1, n)
            row = Y[..., i, :] - np.einsum("...j,...jk->...k", M[..., i, known], X[..., known, :])
            X[..., i, :] = row if unitriangular else row / M[..., i, i, None]
    return X
