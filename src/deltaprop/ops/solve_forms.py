"""PyTorch's other forms of ``linalg.solve`` and ``linalg.inv``: ``solve_ex`` (the solution with an
``info`` per matrix instead of an error), ``tensorsolve`` and ``tensorinv`` (a tensor read as a
matrix by grouping its dimensions). Each is :func:`~.matrix_functions.solve` or
:func:`~.matrix_functions.inv` between reshapes, whose rules give the gradients, first and second.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._core import operand
from ._matrices import floating_matrices, singular
from .elementwise import where
from .layout import movedim
from .matrix_functions import _first_zero_pivot, inv, solve
from .shape import reshape


class SolveExResult(NamedTuple):
    result: object
    info: object


def solve_ex(A, B, *, left=True, check_errors=False):
    """(X, info), as PyTorch's ``linalg.solve_ex``: X solves A·X = B (X·A = B for ``left=False``) as
    :func:`solve` does, and ``info`` (int32, of A's batch shape) is 0 for an invertible matrix and
    else the 1-based place of its LU factorization's first zero pivot, as LAPACK's getrf reports it.
    The solutions for a singular matrix are NaN (PyTorch's hold what LAPACK left) and pass no
    gradient; ``check_errors=True`` refuses one instead (LinAlgError), as :func:`solve` does."""
    a = floating_matrices("linalg.solve_ex", A, square=True)
    M = a.data
    info = _zero_pivots(M)
    bad = info != 0
    if not bad.any():
        return SolveExResult(solve(a, B, left=left), Tensor._wrap(info))
    if check_errors:
        raise singular("linalg.solve_ex", M.shape)
    # each singular matrix is replaced by the identity to solve, and its solution by NaN
    eye = np.broadcast_to(np.eye(M.shape[-1], dtype=M.dtype), M.shape)
    X = solve(where(Tensor._wrap(bad[..., None, None]), Tensor._wrap(eye), a), B, left=left)
    b = np.shape(operand(B).data)
    vectors = left and (len(b) == 1 or (len(b) == M.ndim - 1 and b == M.shape[:-1]))
    mask = bad.reshape(bad.shape + (1,) * (1 if vectors else 2))
    return SolveExResult(where(Tensor._wrap(mask), Tensor._wrap(np.full((), np.nan, M.dtype)), X),
                         Tensor._wrap(info))


def _zero_pivots(M: np.ndarray) -> np.ndarray:
    """getrf's ``info`` for each matrix of ``M``: 0, or the 1-based place of its first zero pivot."""
    try:
        np.linalg.inv(M)
        return np.zeros(M.shape[:-2], np.int32)
    except np.linalg.LinAlgError:
        pass
    info = []
    for matrix in M.reshape((-1,) + M.shape[-2:]):
        try:
            np.linalg.inv(matrix)
            info.append(0)
        except np.linalg.LinAlgError:
            info.append(_first_zero_pivot(matrix))
    return np.array(info, np.int32).reshape(M.shape[:-2])


def tensorinv(A, ind=2):
    """The inverse of ``A`` read as a matrix, its first ``ind`` dimensions the rows and the others
    the columns (their products must be equal): a tensor of shape A.shape[ind:] + A.shape[:ind], so
    that ``tensordot(tensorinv(A, ind), A, ind)`` is the identity. A singular one is refused."""
    a = operand(A)
    shape = np.shape(a.data)
    if isinstance(ind, bool) or not isinstance(ind, (int, np.integer)) or ind <= 0:
        raise ConfigError(f"linalg.tensorinv: ind must be a positive integer, got {ind!r}")
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if ind > len(shape) or rows != cols:
        raise ShapeError(f"linalg.tensorinv: A of shape {shape} must split after dimension {ind} into two groups "
                         f"with equal products of sizes, got {rows} and {cols}")
    return reshape(inv(reshape(a, (rows, cols))), shape[ind:] + shape[:ind])


def tensorsolve(A, B, dims=None):
    """X with ``tensordot(A, X, X.ndim) == B``: A read as a matrix whose rows are B's elements and
    whose columns are those of X, of shape A.shape[B.ndim:]; ``dims`` names dimensions of A moved to
    its end first. A singular one is refused."""
    a, b = operand(A), operand(B)
    if dims is not None:
        dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
        a = movedim(a, dims, tuple(range(np.ndim(a.data) - len(dims), np.ndim(a.data))))
    shape, target = np.shape(a.data), np.shape(b.data)
    rows, cols = math.prod(target), math.prod(shape[len(target):])
    if shape[:len(target)] != target or rows != cols:
        raise ShapeError(f"linalg.tensorsolve: A of shape {shape} must begin with B's shape {target} and its other "
                         f"dimensions must hold as many elements, {rows}, got {cols}")
    return reshape(solve(reshape(a, (rows, cols)), reshape(b, (rows,))), shape[len(target):])
