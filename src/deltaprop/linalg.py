"""PyTorch's ``torch.linalg``, for code ported from it: the functions people differentiate
through, each with its gradient (the rules stand beside their forwards, in ``ops.matrix_norms``,
``ops.matrix_functions`` and ``ops.decompositions``).

| kind            | functions                                                            |
|-----------------|----------------------------------------------------------------------|
| norms           | vector_norm, matrix_norm, norm                                       |
| square matrices | det, slogdet, inv, solve, matrix_power                               |
| decompositions  | cholesky, qr, eigh, eigvalsh, svd, svdvals, pinv                     |
| products        | cross                                                                |

A singular matrix (inv, solve) or one that is not positive-definite (cholesky) raises
:class:`LinAlgError`, a ``ValueError``.
"""

from __future__ import annotations

from .errors import LinAlgError
from .ops import products
from .ops.decompositions import cholesky, eigh, eigvalsh, pinv, qr, svd, svdvals
from .ops.matrix_functions import det, inv, matrix_power, slogdet, solve
from .ops.matrix_norms import matrix_norm, norm, vector_norm

__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "matrix_norm", "matrix_power", "norm",
    "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm",
]


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (the last by default), the two broadcast together."""
    return products.cross(input, other, dim)
