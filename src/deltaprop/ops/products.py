"""PyTorch's matrix products of fixed ranks, checked before :func:`~deltaprop.ops.arithmetic.matmul`
computes them (with its gradient rule): ``mm`` (two matrices), ``mv`` (a matrix and a vector) and
``dot`` (two vectors). matmul's NumPy rules would take other shapes too (a vector promoted, batch
axes broadcast); PyTorch refuses those here, and so does deltaprop, in one sentence.
"""

from __future__ import annotations

from ..errors import ShapeError
from ._core import operand, shape_of
from .arithmetic import matmul


def mm(a, b):
    """PyTorch's matrix product of two matrices: ``a`` (n, m) @ ``b`` (m, p), no broadcasting."""
    a, b = operand(a), operand(b)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != 2 or len(sb) != 2:
        raise ShapeError(f"mm: expects two matrices (2 dimensions each), got shapes {sa} and {sb}")
    if sa[1] != sb[0]:
        raise ShapeError(f"mm: shapes {sa} and {sb} do not align ({sa[1]} columns against {sb[0]} rows)")
    return matmul(a, b)


def mv(a, b):
    """PyTorch's product of a matrix (n, m) and a vector (m,): a vector (n,)."""
    a, b = operand(a), operand(b)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != 2 or len(sb) != 1:
        raise ShapeError(f"mv: expects a matrix and a vector, got shapes {sa} and {sb}")
    if sa[1] != sb[0]:
        raise ShapeError(f"mv: shapes {sa} and {sb} do not align ({sa[1]} columns against {sb[0]} elements)")
    return matmul(a, b)


def dot(a, b):
    """PyTorch's dot product of two vectors of one length: a 0-d tensor."""
    a, b = operand(a), operand(b)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != 1 or len(sb) != 1:
        raise ShapeError(f"dot: expects two vectors, got shapes {sa} and {sb}")
    if sa != sb:
        raise ShapeError(f"dot: vectors of {sa[0]} and {sb[0]} elements; they must have the same number")
    return matmul(a, b)
