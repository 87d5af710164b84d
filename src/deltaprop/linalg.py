"""PyTorch's ``torch.linalg``, for code ported from it: the functions people differentiate
through, each with its gradient (the rules stand beside their forwards, in ``ops.matrix_norms``
and ``ops.decompositions``).

| kind            | functions                                                            |
|-----------------|----------------------------------------------------------------------|
| norms           | vector_norm, matrix_norm, norm                                       |
| decompositions  | svdvals                                                              |
| products        | cross                                                                |
"""

from __future__ import annotations

from .ops import products
from .ops.decompositions import svdvals
from .ops.matrix_norms import matrix_norm, norm, vector_norm

__all__ = ["cross", "matrix_norm", "norm", "svdvals", "vector_norm"]


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along ``dim`` (the last by default), the two broadcast together."""
    return products.cross(input, other, dim)
