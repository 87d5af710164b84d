"""Functions of square matrices, as PyTorch's ``linalg``: ``det``, ``slogdet``, ``inv`` (and
``inv_ex``), ``solve`` and ``matrix_power``, batched over the leading dimensions (``solve``
broadcasts them).

Notation as in :mod:`~deltaprop.ops.decompositions`: ᵀ the transpose of each matrix, ḡX the
gradient of the loss with respect to an output X, ⟨P, Q⟩ = Σ P∘Q.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._core import operand, record, unbroadcast
from ._matrices import T, batch_of, floating_matrices, singular
from .arithmetic import matmul
from .elementwise import clone
from .layout import swapaxes


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class InvExResult(NamedTuple):
    inverse: object
    info: object


def _others_products(s: np.ndarray) -> np.ndarray:
    """For each s_i on the last axis, the product of the others (running products before and
    after it: no division, so a zero is exact)."""
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(s[..., 1:], -1)], axis=-1), axis=-1), -1)
    return before * after


def det(A):
    """The determinant of each square matrix of A.

    Rule: d det(A) = ⟨cof(A), dA⟩, cof the cofactor matrix, det(A)·A⁻ᵀ where A is invertible. It is
    computed from the SVD A = U·diag(s)·Vh as det(U)·det(Vh)·U·diag(Π_{j≠i} s_j)·Vh, which holds for
    a singular A too (there PyTorch's rule gives 0 for a matrix of rank n − 1, whose cofactors are
    not all 0; this gives the true derivative).
    """
    a = floating_matrices("linalg.det", A, square=True)
    out = np.asarray(np.linalg.det(a.data))

    def backward(g):
        U, s, Vh = np.linalg.svd(a.data)
        orientation = np.linalg.det(U) * np.linalg.det(Vh)
        cofactor = (U * _others_products(s)[..., None, :]) @ Vh
        return ((g * orientation)[..., None, None] * cofactor,)

    return record(out, (a,), backward, "linalg.det")


def slogdet(A):
    """(sign, logabsdet): the sign of each determinant of A (−1, 0 or 1; no gradient) and the
    logarithm of its absolute value, which keeps large and small determinants in range.

    Rule: d log|det A| = ⟨A⁻ᵀ, dA⟩, computed as U·diag(1/s)·Vh from the SVD, so a singular matrix
    (logabsdet −inf) gets an infinite or NaN gradient, undefined as PyTorch's.
    """
    a = floating_matrices("linalg.slogdet", A, square=True)
    sign, logabsdet = np.linalg.slogdet(a.data)

    def backward(g):
        U, s, Vh = np.linalg.svd(a.data)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g[..., None, None] * ((U / s[..., None, :]) @ Vh),)

    return SlogdetResult(Tensor._wrap(np.asarray(sign)),
                         record(np.asarray(logabsdet), (a,), backward, "linalg.slogdet"))


def inv(A):
    """The inverse of each square matrix of A; a singular one is refused (LinAlgError).

    Rule: A·Y = I gives dY = −Y·dA·Y, so gA = −Yᵀ·ḡY·Yᵀ.
    """
    a = floating_matrices("linalg.inv", A, square=True)
    try:
        Y = np.linalg.inv(a.data)
    except np.linalg.LinAlgError:
        raise singular("linalg.inv", a.data.shape) from None
    return _recorded_inverse(a, Y)


def _recorded_inverse(a, Y: np.ndarray):
    def backward(g):
        return (-T(Y) @ g @ T(Y),)

    return record(Y, (a,), backward, "linalg.inv")


def inv_ex(A, *, check_errors=False):
    """(inverse, info), as PyTorch's ``linalg.inv_ex``: ``info`` (int32, one per matrix) is 0 for an
    invertible matrix and else the 1-based place of the first zero pivot of its LU factorization
    with partial pivoting, as LAPACK reports it. The inverse of a singular matrix is NaN (PyTorch's
    holds what LAPACK left); ``check_errors=True`` refuses one instead (LinAlgError), as :func:`inv`.
    The inverses' gradient is :func:`inv`'s."""
    a = floating_matrices("linalg.inv_ex", A, square=True)
    M = a.data
    try:
        Y, info = np.linalg.inv(M), np.zeros(M.shape[:-2], np.int32)
    except np.linalg.LinAlgError:  # one matrix at a time, to tell which are singular
        flat = M.reshape((-1,) + M.shape[-2:])
        Y, info = np.full_like(flat, np.nan), np.zeros(len(flat), np.int32)
        for k, matrix in enumerate(flat):
            try:
                Y[k] = np.linalg.inv(matrix)
            except np.linalg.LinAlgError:
                info[k] = _first_zero_pivot(matrix)
        if check_errors:
            raise singular("linalg.inv_ex", M.shape) from None
        Y, info = Y.reshape(M.shape), info.reshape(M.shape[:-2])
    return InvExResult(_recorded_inverse(a, Y), Tensor._wrap(info))


def _first_zero_pivot(M: np.ndarray) -> int:
    """The 1-based place of the first exactly zero pivot of the LU factorization of ``M`` with
    partial pivoting (LAPACK's getrf ``info``), or the last place where rounding left none."""
    U = np.array(M, dtype=np.float64)
    n = len(U)
    for k in range(n):
        p = k + int(np.argmax(np.abs(U[k:, k])))
        if U[p, k] == 0:
            return k + 1
        U[[k, p]] = U[[p, k]]
        U[k + 1:, k:] -= np.outer(U[k + 1:, k] / U[k, k], U[k, k:])
    return n


def solve(A, B, *, left=True):
    """X with A·X = B (or X·A = B for ``left=False``), A square; the batch dimensions broadcast. B
    is a batch of vectors where it is 1-d or has A's shape without its last dimension, as in
    PyTorch; a singular A is refused (LinAlgError).

    Rule: A·dX = dB − dA·X, so gB = A⁻ᵀ·ḡX and gA = −gB·Xᵀ.
    """
    if not left:  # X·A = B is Aᵀ·Xᵀ = Bᵀ
        b = operand(B)
        if np.ndim(b.data) < 2:
            raise ShapeError(f"linalg.solve: with left=False B must be a matrix or a batch of them (X·A = B), got "
                             f"shape {np.shape(b.data)}")
        return swapaxes(solve(swapaxes(floating_matrices("linalg.solve", A, square=True), -1, -2),
                              swapaxes(b, -1, -2)), -1, -2)
    a = floating_matrices("linalg.solve", A, square=True)
    b = operand(B)
    M, Y = a.data, np.asarray(b.data)
    if Y.dtype != M.dtype:
        raise TypeError(f"linalg.solve: A and B must have one dtype, as in PyTorch, got {M.dtype} and {Y.dtype}")
    vectors = Y.ndim == 1 or (Y.ndim == M.ndim - 1 and Y.shape == M.shape[:-1])
    columns = Y[..., None] if vectors else Y
    n = M.shape[-1]
    if columns.ndim < 2 or columns.shape[-2] != n:
        raise ShapeError(f"linalg.solve: A of shape {M.shape} and B of shape {Y.shape} do not fit A·X = B (B needs "
                         f"{n} rows, or to be a vector of {n} elements)")
    batch = batch_of("linalg.solve", M, Y, columns.shape[:-2])
    M_, C_ = np.broadcast_to(M, batch + M.shape[-2:]), np.broadcast_to(columns, batch + columns.shape[-2:])
    try:
        X = np.linalg.solve(M_, C_)
    except np.linalg.LinAlgError:
        raise singular("linalg.solve", M.shape) from None

    def backward(g):
        g = g[..., None] if vectors else g
        gB = np.linalg.solve(T(M_), g)
        gA = unbroadcast(-gB @ T(X), M.shape) if a.requires_grad else None
        gB = unbroadcast(gB, columns.shape).reshape(Y.shape) if b.requires_grad else None
        return gA, gB

    return record(X[..., 0] if vectors else X, (a, b), backward, "linalg.solve")


def matrix_power(A, n):
    """A multiplied by itself ``n`` times (the identity for 0, powers of A⁻¹ for n < 0), for each
    square matrix of A; composed of matmul (by repeated squaring) and :func:`inv`, whose rules
    give its gradient."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"linalg.matrix_power: n must be an integer, got {n!r}")
    a = operand(A)
    shape = np.shape(a.data)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(f"linalg.matrix_power: A must be a square matrix or a batch of them, got shape {shape}")
    if n == 0:
        def backward(g):
            return (np.zeros_like(a.data),)
        identity = np.broadcast_to(np.eye(shape[-1], dtype=a.data.dtype), shape).copy()
        return record(identity, (a,), backward, "linalg.matrix_power")
    base = inv(a) if n < 0 else a
    n = abs(int(n))
    result = None
    while True:  # the bits of n, lowest first: result gathers the squares base^(2^i) it needs
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if not n:
            return clone(result) if result is a else result  # a new tensor, as PyTorch's, for n = 1
        base = matmul(base, base)
