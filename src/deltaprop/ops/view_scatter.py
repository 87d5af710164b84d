"""A tensor with one of its views replaced: select_scatter, slice_scatter and diagonal_scatter (the
input with ``src`` written where ``select``, a slice or ``diagonal`` reads), and diag_embed and
diagflat (a vector's values written on a diagonal of zeros).

Each is index_put on the input with the view's dimensions moved to the front, then moved back:
``src`` gets the output's gradient read where it was written, the input the rest, and both have
second derivatives through index_put's and permute's rules. ``src`` is converted to the input's
dtype, as PyTorch converts it.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._core import operand
from .elementwise import astype
from .index_put import index_put
from .indexing import _axis, diag
from .layout import movedim
from .shape import flatten


def _source(op: str, src, dtype, shape: tuple) -> Tensor:
    """``src`` as a tensor of ``dtype``, refused unless it has the view's ``shape`` exactly."""
    s = operand(src)
    if np.shape(s.data) != shape:
        raise ShapeError(f"{op}: src must have the shape {shape} of the part it replaces, got {np.shape(s.data)}")
    return s if s.data.dtype == dtype else astype(s, dtype)


def _written(a: Tensor, axes: tuple, positions: tuple, values: Tensor) -> Tensor:
    """A copy of ``a`` with ``values`` at ``positions`` (one index array per axis of ``axes``, read
    as if those axes came first; ``values`` shaped as such an index selects)."""
    front = tuple(range(len(axes)))
    moved = a if axes == front else movedim(a, axes, front)
    out = index_put(moved, positions, values)
    return out if axes == front else movedim(out, front, axes)


def select_scatter(input, src, dim, index):
    """A copy of ``input`` whose slice at ``index`` along ``dim`` (``select(input, dim, index)``) is
    ``src``, of that slice's shape."""
    a = operand(input)
    X = a.data
    axis = _axis("select_scatter", dim, X.ndim)
    if X.ndim == 0:
        raise ShapeError("select_scatter: expects a tensor with at least one dimension, got a 0-d tensor")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"select_scatter: index must be an integer, got {index!r}")
    n = X.shape[axis]
    if not -n <= index < n:
        raise IndexError(f"select_scatter: index {index} is out of range for dimension {dim} of length {n}")
    values = _source("select_scatter", src, X.dtype, X.shape[:axis] + X.shape[axis + 1:])
    return _written(a, (axis,), (np.asarray(int(index) % n),), values)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` whose slice ``start:end:step`` along ``dim`` (bounds read as Python reads
    them; a positive step) is ``src``, of that slice's shape."""
    a = operand(input)
    X = a.data
    axis = _axis("slice_scatter", dim, X.ndim)
    if X.ndim == 0:
        raise ShapeError("slice_scatter: expects a tensor with at least one dimension, got a 0-d tensor")
    for name, bound in (("start", start), ("end", end), ("step", step)):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, np.integer))):
            raise TypeError(f"slice_scatter: {name} must be an integer or None, got {bound!r}")
    if step is None or step < 1:
        raise ShapeError(f"slice_scatter: step must be a positive integer, got {step!r}")
    positions = np.arange(*slice(start, end, step).indices(X.shape[axis]))
    shape = X.shape[:axis] + (positions.size,) + X.shape[axis + 1:]
    values = movedim(_source("slice_scatter", src, X.dtype, shape), axis, 0)
    return _written(a, (axis,), (positions,), values)


def _plane(op: str, dim1, dim2, ndim: int) -> tuple:
    """``dim1`` and ``dim2`` as two distinct non-negative axes of a tensor of ``ndim`` dimensions."""
    axes = (_axis(op, dim1, ndim), _axis(op, dim2, ndim))
    if axes[0] == axes[1]:
        raise ShapeError(f"{op}: dim1 {dim1} and dim2 {dim2} name the same dimension; a diagonal needs two")
    return axes


def _diagonal_positions(op: str, offset, shape: tuple, axes: tuple) -> tuple:
    """The rows and columns, along ``axes``, of the ``offset``-th diagonal of a tensor of ``shape``."""
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
        raise TypeError(f"{op}: offset must be an integer, got {offset!r}")
    rows, columns = shape[axes[0]] - max(-offset, 0), shape[axes[1]] - max(offset, 0)
    steps = np.arange(max(min(rows, columns), 0))
    return steps + max(-offset, 0), steps + max(offset, 0)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` whose ``offset``-th diagonal in the planes of ``dim1`` and ``dim2``
    (``diagonal(input, offset, dim1, dim2)``: the diagonal as the last dimension) is ``src``."""
    op = "diagonal_scatter"
    a = operand(input)
    X = a.data
    if X.ndim < 2:
        raise ShapeError(f"{op}: expects at least 2 dimensions, got shape {X.shape}")
    axes = _plane(op, dim1, dim2, X.ndim)
    rows, columns = _diagonal_positions(op, offset, X.shape, axes)
    rest = tuple(n for i, n in enumerate(X.shape) if i not in axes)
    values = movedim(_source(op, src, X.dtype, rest + (rows.size,)), -1, 0)
    return _written(a, axes, (rows, columns), values)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Each vector along the last dimension of ``input`` written on the ``offset``-th diagonal of a
    square of zeros (of side length + |offset|) in the dimensions ``dim1`` and ``dim2`` of the
    result, which has one dimension more than ``input``: ``diagonal`` of the result, with the same
    arguments, is ``input``."""
    op = "diag_embed"
    a = operand(input)
    X = a.data
    if X.ndim == 0:
        raise ShapeError(f"{op}: expects a tensor with at least one dimension, got a 0-d tensor")
    axes = _plane(op, dim1, dim2, X.ndim + 1)  # (dimensions of the result)
    side = X.shape[-1] + abs(int(offset)) if isinstance(offset, (int, np.integer)) else 0
    rows, columns = _diagonal_positions(op, offset, (side, side), (0, 1))
    zeros = Tensor._wrap(np.zeros((side, side) + X.shape[:-1], dtype=X.dtype))
    out = index_put(zeros, (rows, columns), movedim(a, -1, 0))
    return out if axes == (0, 1) else movedim(out, (0, 1), axes)


def diagflat(input, offset=0):
    """The elements of ``input``, flattened, on the ``offset``-th diagonal of a square matrix of zeros."""
    return diag(flatten(input), offset)
