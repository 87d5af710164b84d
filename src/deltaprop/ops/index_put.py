"""Writing at positions named by index tensors or a mask: index_put (PyTorch's ``x[indices] = values``
as a function, ``accumulate=True`` adding instead) and masked_scatter (a mask's true places filled
from a source, in row-major order).

Both write into a copy of the input. Their rules send the written values the output's gradient read
back at the places they went to (summed where a value was broadcast), and the input the rest: all
of it where values were added, none where they overwrote it. Positions carry no gradient.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, ShapeError
from ..tensor import Tensor
from ._core import operand, record, unbroadcast
from .promotion import fitted
from .scatter import broadcast_mask


def _written(op: str, value, dtype, what: str) -> Tensor:
    """``value`` as a tensor of ``dtype``: a tensor or array of another dtype is refused, as PyTorch
    refuses it; a number is taken as a 0-d value of ``dtype``."""
    if isinstance(value, Tensor) or isinstance(value, np.ndarray):
        given = value.data.dtype if isinstance(value, Tensor) else value.dtype
        if given != dtype:
            raise DataError(f"{op}: {what} has dtype {given} and the input {dtype}; they must be the same, as in "
                            f"PyTorch (convert {what} with .to(input.dtype))")
        return value if isinstance(value, Tensor) else Tensor._wrap(value)
    if isinstance(value, (bool, int, float, np.generic)):
        return Tensor._wrap(np.asarray(fitted(op, value, dtype), dtype=dtype))
    raise TypeError(f"{op}: {what} must be a tensor (or a number), got {type(value).__name__}")


def _positions(op: str, indices, shape: tuple) -> tuple:
    """``indices`` (a tuple or list of integer or boolean index tensors, one for each leading
    dimension it indexes) as a NumPy index: integers in range, made non-negative, masks as the
    positions of their true elements."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}: indices must be a tuple of index tensors, one per leading dimension, got a "
                        f"{type(indices).__name__} (write ({type(indices).__name__.lower()},) for one)")
    positions, axis = [], 0
    for index in indices:
        if not isinstance(index, (Tensor, np.ndarray, list)):
            raise TypeError(f"{op}: indices must hold index tensors, got a {type(index).__name__} "
                            f"(for all of a dimension, give arange(size) as its index)")
        index = np.asarray(index.data if isinstance(index, Tensor) else index)
        if index.size == 0 and isinstance(index, np.ndarray) and index.dtype.kind == "f":
            index = index.astype(np.intp)  # an empty list selects nothing (NumPy reads it as floats)
        if index.dtype == np.bool_:
            if shape[axis:axis + index.ndim] != index.shape:
                raise ShapeError(f"{op}: a mask of shape {index.shape} at dimension {axis} does not match the input's "
                                 f"shape {shape} there")
            positions.extend(np.nonzero(index))
            axis += index.ndim
            continue
        if index.dtype.char not in "ilq":  # C's int, long and long long: int32 and int64, as PyTorch takes
            raise DataError(f"{op}: an index must hold integers of dtype int64 or int32, or booleans, got dtype "
                            f"{index.dtype} (a uint8 mask: convert it with .bool())")
        if axis >= len(shape):
            raise IndexError(f"{op}: {len(indices)} index tensors are too many for an input of shape {shape}")
        n = shape[axis]
        if index.size and not (index.min() >= -n and index.max() < n):
            bad = index.min() if index.min() < -n else index.max()
            raise IndexError(f"{op}: index {bad} is outside [-{n}, {n}) for dimension {axis} of length {n}")
        positions.append(np.where(index < 0, index + n, index).astype(np.intp, copy=False))
        axis += 1
    if axis > len(shape):
        raise IndexError(f"{op}: the index tensors index {axis} dimensions, the input (shape {shape}) has {len(shape)}")
    try:
        np.broadcast_shapes(*(p.shape for p in positions))
    except ValueError:
        raise ShapeError(f"{op}: index tensors of shapes {[p.shape for p in positions]} cannot be broadcast "
                         "together") from None
    return tuple(positions)


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` written at ``input[indices]``: ``indices`` a tuple of
    index tensors (integers, negative ones counting from the end, or booleans), broadcast together,
    one for each leading dimension they index; ``values`` broadcast to the elements selected.
    ``accumulate=True`` adds them instead, repeated positions adding up; without it, one of the
    writes to a repeated position wins. As PyTorch's, ``values`` get the output's gradient at every
    position written (summed where they were broadcast), the input all of it when adding and none
    where it was overwritten."""
    op = "index_put"
    a = operand(input)
    X = a.data
    where = _positions(op, indices, X.shape)
    source = _written(op, values, X.dtype, "values")
    V = source.data
    selected = X[where].shape
    try:
        if np.broadcast_shapes(V.shape, selected) != selected:
            raise ValueError
    except ValueError:
        raise ShapeError(f"{op}: values of shape {V.shape} cannot be broadcast to the shape {selected} of the "
                         f"elements the indices select") from None
    out = X.copy()
    if accumulate:
        np.add.at(out, where, np.broadcast_to(V, selected))
    else:
        out[where] = V
    values_shape = V.shape

    def backward(g):
        grad_input = grad_values = None
        if a.requires_grad:
            grad_input = g if accumulate else _zeroed(g, where)
        if source.requires_grad:
            grad_values = unbroadcast(g[where], values_shape)
        return grad_input, grad_values

    return record(out, (a, source), backward, op)


def _zeroed(g: np.ndarray, where) -> np.ndarray:
    """``g`` with zeros at the places written over (what was there no longer reaches the output)."""
    grad = g.copy()
    grad[where] = 0
    return grad


def masked_scatter(input, mask, source):
    """A copy of ``input`` (broadcast with the boolean ``mask``) whose elements where ``mask`` is true
    are the first elements of ``source`` (any shape, read in row-major order), one after the other,
    in the row-major order of the mask. ``source`` gets the output's gradient at the places its
    elements went to (0 for those not used); the input gets the rest."""
    op = "masked_scatter"
    a, mask = broadcast_mask(op, operand(input), mask)
    source = _written(op, source, a.data.dtype, "source")
    count, S = int(mask.sum()), source.data
    if count > S.size:
        raise ShapeError(f"{op}: the mask has {count} true elements and source (shape {S.shape}) only {S.size}")
    out = a.data.copy()
    out[mask] = S.reshape(-1)[:count]
    source_shape, size = S.shape, S.size  # (the rule keeps no values of source)

    def backward(g):
        grad_input = grad_source = None
        if a.requires_grad:
            grad_input = np.where(mask, 0, g)
        if source.requires_grad:
            grad_source = np.zeros(size, dtype=g.dtype)
            grad_source[:count] = g[mask]
            grad_source = grad_source.reshape(source_shape)
        return grad_input, grad_source

    return record(out, (a, source), backward, op)
