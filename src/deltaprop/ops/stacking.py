"""Joining and spreading tensors, under PyTorch's names: vstack (row_stack), hstack, dstack,
column_stack, broadcast_tensors and meshgrid; atleast_1d/2d/3d, the dimensions the stacks add.

All are composed of reshape, expand and concatenate, whose rules carry the gradients back; the
dtype of a joined result is PyTorch's (concatenate's promotion).
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._core import operand
from .shape import concatenate, expand, reshape


def _tensors(op: str, tensors) -> list:
    """A tuple or list of tensors (numbers and arrays wrapped) as a non-empty list."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expects a tuple or list of tensors, got a {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor")
    return [operand(t) for t in tensors]


def _at_least(t: Tensor, ndim: int) -> Tensor:
    """``t`` with dimensions added as NumPy's atleast_1d/2d/3d add them: a vector (n,) becomes (1, n)
    and (1, n, 1), a matrix (m, n) becomes (m, n, 1)."""
    shape = np.shape(t.data)
    if len(shape) >= ndim:
        return t
    if len(shape) == 0:
        return reshape(t, (1,) * ndim)
    if len(shape) == 1:
        return reshape(t, (1,) + shape if ndim == 2 else (1,) + shape + (1,))
    return reshape(t, shape + (1,))


def vstack(tensors):
    """The tensors joined along their first dimension, vectors (n,) taken as rows (1, n)."""
    return concatenate([_at_least(t, 2) for t in _tensors("vstack", tensors)], 0)


row_stack = vstack  # PyTorch's older name


def _at_least_each(op: str, tensors: tuple, ndim: int):
    """One tensor given: it with at least ``ndim`` dimensions (itself if it has them); several, or
    one tuple or list of them: a tuple of each so."""
    if len(tensors) == 1 and not isinstance(tensors[0], (list, tuple)):
        return _at_least(operand(tensors[0]), ndim)
    given = tensors[0] if len(tensors) == 1 else tensors
    return tuple(_at_least(t, ndim) for t in (_tensors(op, given) if given else ()))


def atleast_1d(*tensors):
    """Each tensor with at least one dimension: a 0-d tensor as a vector of one element."""
    return _at_least_each("atleast_1d", tensors, 1)


def atleast_2d(*tensors):
    """Each tensor with at least two dimensions: a vector (n,) as a row (1, n)."""
    return _at_least_each("atleast_2d", tensors, 2)


def atleast_3d(*tensors):
    """Each tensor with at least three dimensions: a vector (n,) as (1, n, 1), a matrix (m, n) as (m, n, 1)."""
    return _at_least_each("atleast_3d", tensors, 3)


def hstack(tensors):
    """The tensors joined along their second dimension (vectors and 0-d tensors along their first)."""
    tensors = [_at_least(t, 1) for t in _tensors("hstack", tensors)]
    return concatenate(tensors, 0 if np.ndim(tensors[0].data) == 1 else 1)


def dstack(tensors):
    """The tensors joined along their third dimension, vectors (n,) taken as (1, n, 1) and matrices
    (m, n) as (m, n, 1)."""
    return concatenate([_at_least(t, 3) for t in _tensors("dstack", tensors)], 2)


def column_stack(tensors):
    """The tensors side by side as columns: vectors (n,) and 0-d tensors taken as columns (n, 1)."""
    tensors = _tensors("column_stack", tensors)
    columns = [reshape(t, (np.size(t.data), 1)) if np.ndim(t.data) < 2 else t for t in tensors]
    return concatenate(columns, 1)


def broadcast_tensors(*tensors):
    """The tensors broadcast to one shape (views; each gradient summed back to its tensor's shape)."""
    tensors = [operand(t) for t in tensors]
    try:
        shape = np.broadcast_shapes(*(np.shape(t.data) for t in tensors))
    except ValueError:
        shapes = ", ".join(str(np.shape(t.data)) for t in tensors)
        raise ShapeError(f"broadcast_tensors: shapes {shapes} cannot be broadcast together") from None
    return tuple(expand(t, *shape) for t in tensors)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids of the 1-d (or 0-d) ``tensors``: the i-th result holds the i-th tensor's
    values along dimension i, repeated along the others. ``indexing='xy'`` swaps the first two
    dimensions (Cartesian, as NumPy's default); 'ij' (matrix) is PyTorch's default. The tensors may
    also come as one list."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ConfigError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = _tensors("meshgrid", list(tensors))
    for i, t in enumerate(tensors):
        if np.ndim(t.data) > 1:
            raise ShapeError(f"meshgrid: expects 0-d or 1-d tensors, got shape {np.shape(t.data)} at position {i}")
    sizes = [int(np.size(t.data)) for t in tensors]
    swap = indexing == "xy" and len(tensors) > 1
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(tensors):
        position = (1 - i if i < 2 else i) if swap else i
        shape = [1] * len(tensors)
        shape[position] = sizes[position]
        grids.append(expand(reshape(t, tuple(shape)), *sizes))
    return tuple(grids)
