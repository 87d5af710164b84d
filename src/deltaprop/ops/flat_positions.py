"""Positions in a tensor read as if it were flattened (row-major): take and put (PyTorch's reading
and writing at flat positions) and unravel_index (a flat position as one index per dimension).

take is indexing of the flattened input and put is index_put of it, reshaped back, so their
gradients are those rules': take's adds at a position read twice, put's sends the written values the
output's gradient at their positions and the input the rest (all of it with ``accumulate``).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._core import operand
from .index_put import index_put
from .indexing import integer_index
from .shape import getitem, reshape


def _in_range(op: str, positions: np.ndarray, size: int) -> np.ndarray:
    """``positions`` checked against a tensor of ``size`` elements (negative ones count from the end)."""
    if positions.size and not (positions.min() >= -size and positions.max() < size):
        bad = positions.min() if positions.min() < -size else positions.max()
        raise IndexError(f"{op}: position {bad} is outside [-{size}, {size}) for a tensor of {size} elements")
    return positions


def take(input, index):
    """The elements of ``input``, read as flattened, at the positions ``index`` (int64, any shape, negative
    counting from the end): a tensor of index's shape. A position read twice gets both gradients."""
    a = operand(input)
    positions = _in_range("take", integer_index("take", index, int32=False), a.data.size)
    return getitem(reshape(a, (-1,)), positions)


def put(input, index, source, accumulate=False):
    """A copy of ``input`` with the elements of ``source`` written, in order, at the flat positions
    ``index`` (int64; as many as source has elements, negative counting from the end); ``accumulate``
    adds them instead, repeated positions adding up. Without it, one of the writes to a repeated
    position wins. ``source`` must have the input's dtype, as in PyTorch."""
    a = operand(input)
    positions = _in_range("put", integer_index("put", index, int32=False), a.data.size)
    if not isinstance(source, (Tensor, np.ndarray)):
        raise TypeError(f"put: source must be a tensor, got {type(source).__name__}")
    values = source if isinstance(source, Tensor) else Tensor._wrap(source)
    if np.size(values.data) != positions.size:
        raise ShapeError(f"put: source has {np.size(values.data)} elements and index {positions.size}; give one "
                         f"value for each position")
    written = index_put(reshape(a, (-1,)), (positions.reshape(-1),), reshape(values, (-1,)), accumulate)
    return reshape(written, a.data.shape)


def unravel_index(indices, shape):
    """The flat positions ``indices`` (integers, any shape; negative ones counting from the end) as a
    tuple of int64 tensors, one per dimension of ``shape``, each of indices' shape: the row-major
    coordinates of each position in a tensor of that shape. A position outside the tensor is refused."""
    op = "unravel_index"
    sizes = (shape,) if isinstance(shape, (int, np.integer)) else None
    if isinstance(shape, (tuple, list)):
        sizes = tuple(shape)
    if sizes is None or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"{op}: shape must be an integer or a sequence of integers, got {shape!r}")
    if any(n < 0 for n in sizes):
        raise ConfigError(f"{op}: shape must not hold negative sizes, got {tuple(sizes)}")
    positions = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if positions.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got dtype {positions.dtype}")
    positions = _in_range(op, positions.astype(np.int64, copy=False), math.prod(sizes))
    if not sizes:
        return ()
    positions = np.where(positions < 0, positions + math.prod(sizes), positions)
    return tuple(Tensor._wrap(np.asarray(c, dtype=np.int64)) for c in np.unravel_index(positions, sizes))
