"""PyTorch's ``torch.linalg``, for code ported from it: the functions people differentiate
through, each with its gradient (the rules stand beside their forwards, in ``ops.matrix_norms``,
``ops.matrix_functions``, ``ops.decompositions``, ``ops.triangular_solve``,
``ops.matrix_exponential``, ``ops.least_squares`` and ``ops.rank_and_condition``).

| kind            | functions                                                            |
|-----------------|----------------------------------------------------------------------|
| norms           | vector_norm, matrix_norm, norm, cond, matrix_rank (no gradient)      |
| square matrices | det, slogdet, inv, inv_ex, solve, solve_triangular, matrix_power, matrix_exp |
| decompositions  | cholesky, cholesky_ex, qr, eigh, eigvalsh, svd, svdvals, pinv, lstsq |
| Householder     | householder_product (``ops.householder``)                           |
| solve forms     | solve_ex, tensorsolve, tensorinv (``ops.solve_forms``)               |
| LU              | lu_factor, lu_factor_ex, lu, lu_solve (``ops.lu_factorization``)     |
| LDLᵀ            | ldl_factor, ldl_factor_ex, ldl_solve (``ops.ldl_factorization``)     |
| products        | cross, matmul, multi_dot, vecdot                                     |
| arrays          | vander, diagonal                                                     |

A singular matrix (inv, solve) or one that is not positive-definite (cholesky) raises
:class:`LinAlgError`, a ``ValueError``; inv_ex and cholesky_ex report it in ``info`` instead.
"""

from __future__ import annotations

import numpy as np

from .errors import LinAlgError, ShapeError
from .tensor import Tensor
from .ops import products
from .ops._core import operand
from .ops.arithmetic import matmul, mul
from .ops.promotion import refuse_non_floating
from .ops.reduction import sum as _sum
from .ops.decompositions import cholesky, cholesky_ex, eigh, eigvalsh, pinv, qr, svd, svdvals
from .ops.least_squares import lstsq
from .ops.matrix_exponential import matrix_exp
from .ops.matrix_functions import det, inv, inv_ex, matrix_power, slogdet, solve
from .ops.matrix_norms import matrix_norm, norm, vector_norm
from .ops.rank_and_condition import cond, matrix_rank
from .ops.triangular_solve import solve_triangular
from .ops.lu_factorization import lu, lu_factor, lu_factor_ex, lu_solve
from .ops.ldl_factorization import ldl_factor, ldl_factor_ex, ldl_solve
from .ops.householder import householder_product
from .ops.indexing import diagonal as _diagonal
from .ops.solve_forms import solve_ex, tensorinv, tensorsolve
from .ops.shape import stack

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "eigh", "eigvalsh", "inv", "inv_ex", "lstsq",
    "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
    "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot", "vector_norm",
    "lu", "lu_factor", "lu_factor_ex", "lu_solve", "ldl_factor", "ldl_factor_ex", "ldl_solve",
    "diagonal", "householder_product", "solve_ex", "tensorinv", "tensorsolve", "vander",
]


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of a batch of matrices: :func:`deltaprop.diagonal` with linalg's defaults, the
    last two dimensions."""
    return _diagonal(A, offset, dim1, dim2)


def vander(x, N=None):
    """The Vandermonde matrix of ``x`` along its last dimension: columns x⁰, x¹, …, x^(N−1) (N is x's
    last size by default, and must exceed 1), each the one before times x, so that the gradient is
    finite at zero."""
    x = operand(x)
    if np.ndim(x.data) == 0:
        raise ShapeError("linalg.vander: x must have at least one dimension, got a 0-d tensor")
    N = np.shape(x.data)[-1] if N is None else N
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N <= 1:
        raise ShapeError(f"linalg.vander: N must be an integer greater than 1, got {N!r}")
    columns = [Tensor._wrap(np.ones_like(x.data))]
    for _ in range(N - 1):
        columns.append(mul(columns[-1], x))
    return stack(columns, -1)


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (the last by default), the two broadcast together."""
    return products.cross(input, other, dim)


def vecdot(x, y, *, dim=-1):
    """Σ x·y along ``dim`` of the two broadcast together (real tensors: no conjugate to take);
    floating-point tensors only, as in PyTorch."""
    x, y = operand(x), operand(y)
    for t in (x, y):
        if np.asarray(t.data).dtype.kind != "f":
            refuse_non_floating("linalg.vecdot", np.asarray(t.data).dtype)
    try:
        np.broadcast_shapes(np.shape(x.data), np.shape(y.data))
    except ValueError:
        raise ShapeError(f"linalg.vecdot: shapes {np.shape(x.data)} and {np.shape(y.data)} cannot be broadcast "
                         "together") from None
    return _sum(mul(x, y), dim)


def multi_dot(tensors):
    """The product of a chain of matrices, the first and last of which may be vectors (a row and a
    column), computed left to right by matmul, whose rule gives the gradient."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ShapeError(f"linalg.multi_dot: expects at least 2 tensors, got {len(tensors)}")
    shapes = [np.shape(getattr(t, "data", t)) for t in tensors]
    for i, shape in enumerate(shapes):
        end = "the first tensor" if i == 0 else "the last tensor" if i == len(shapes) - 1 else None
        if end and len(shape) not in (1, 2):
            raise ShapeError(f"linalg.multi_dot: {end} must be 1-d or 2-d, got shape {shape}")
        if not end and len(shape) != 2:
            raise ShapeError(f"linalg.multi_dot: tensor {i} must be 2-d, got shape {shape}")
    for i in range(len(shapes) - 1):
        if shapes[i][-1] != shapes[i + 1][0]:
            raise ShapeError(f"linalg.multi_dot: tensors {i} and {i + 1} of shapes {shapes[i]} and {shapes[i + 1]} "
                             "do not align")
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out
