"""Shape and indexing: reshape, permute, flatten, squeeze, unsqueeze, indexing, concatenate, stack.

None of these changes a value, so each gradient rule only moves the gradient back into place.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._core import normalize_axes, operand, record


def reshape(a, shape):
    a = operand(a)
    try:
        out = a.data.reshape(shape)
    except ValueError:
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {a.data.shape} ({a.data.size} elements) into {tuple(shape)}") from None

    def backward(g):
        return (g.reshape(a.data.shape),)

    return record(out, (a,), backward, "reshape")


def permute(a, axes=None):
    """Reorder the axes (all reversed when ``axes`` is None, as ``.T`` does)."""
    a = operand(a)
    if axes is not None:
        ndim = a.data.ndim
        if not all(-ndim <= int(x) < ndim for x in axes) or sorted(int(x) % ndim for x in axes) != list(range(ndim)):
            raise ShapeError(f"permute: {tuple(axes)} is not a permutation of the {ndim} axes of shape {a.data.shape}")
        axes = tuple(int(x) % ndim for x in axes)  # non-negative, so argsort below inverts the permutation
    out = np.transpose(a.data, axes)

    def backward(g):
        return (np.transpose(g, None if axes is None else np.argsort(axes)),)

    return record(out, (a,), backward, "permute")


def flatten(a, start_dim=0, end_dim=-1):
    """Merge the axes ``start_dim`` .. ``end_dim`` (inclusive) into one, as PyTorch's ``flatten``."""
    a = operand(a)
    shape = a.data.shape
    if not shape:
        return reshape(a, (1,))
    for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
        if not -len(shape) <= d < len(shape):
            raise ShapeError(f"flatten: {name} {d} is out of range for a tensor with {len(shape)} dimensions (shape {shape})")
    start, end = (normalize_axes(d, len(shape))[0] for d in (start_dim, end_dim))
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(shape[start : end + 1]))
    return reshape(a, shape[:start] + (merged,) + shape[end + 1 :])


def squeeze(a, axis=None, *, dim=None):
    """Drop axes of length 1 (all of them, or only ``axis``)."""
    axis = axis if dim is None else dim
    a = operand(a)
    if axis is None:
        new_shape = tuple(n for n in a.data.shape if n != 1)
    else:
        axes = normalize_axes(axis, a.data.ndim)
        new_shape = tuple(n for i, n in enumerate(a.data.shape) if not (i in axes and n == 1))
    return reshape(a, new_shape)


def unsqueeze(a, axis=None, *, dim=None):
    """Insert an axis of length 1 at ``axis`` (negative counts from the end of the new shape)."""
    axis = axis if dim is None else dim
    if axis is None:
        raise TypeError("unsqueeze: give the position of the new axis (axis or dim)")
    a = operand(a)
    ndim = a.data.ndim + 1
    if not -ndim <= axis < ndim:
        raise ShapeError(f"unsqueeze: axis {axis} is out of range for a result with {ndim} dimensions")
    axis %= ndim
    return reshape(a, a.data.shape[:axis] + (1,) + a.data.shape[axis:])


def _is_basic(index) -> bool:
    """True when ``index`` only slices (ints, slices, None, ...): no element can be picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def getitem(a, index):
    """Indexing and slicing: basic, integer-array and boolean, as NumPy defines them."""
    a = operand(a)
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, list):
        index = np.asarray(index)
        if index.size == 0:  # an empty list selects nothing (NumPy would read it as floats)
            index = index.astype(np.intp)
    try:
        out = a.data[index]
    except IndexError as error:
        raise IndexError(f"index: {error} (tensor of shape {a.data.shape})") from None
    basic = _is_basic(index)

    def backward(g):
        grad = np.zeros(a.data.shape, dtype=g.dtype)
        if basic:
            grad[index] = g
        else:
            # An integer array may name an element more than once; add.at accumulates repeats.
            np.add.at(grad, index, g)
        return (grad,)

    return record(out, (a,), backward, "index")


def concatenate(tensors, axis=0, *, dim=None):
    axis = axis if dim is None else dim
    tensors = [operand(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    normalize_axes(axis, np.ndim(tensors[0].data))  # a clear error for an axis out of range
    try:
        out = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.data.shape) for t in tensors)
        raise ShapeError(f"concatenate: shapes {shapes} differ outside axis {axis}") from None
    ends = np.cumsum([t.data.shape[axis] for t in tensors])[:-1]

    def backward(g):
        return tuple(piece if t.requires_grad else None for t, piece in zip(tensors, np.split(g, ends, axis=axis)))

    return record(out, tuple(tensors), backward, "concatenate")


def stack(tensors, axis=0, *, dim=None):
    axis = axis if dim is None else dim
    tensors = [operand(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    normalize_axes(axis, np.ndim(tensors[0].data) + 1)  # the new axis may go after the last one
    try:
        out = np.stack([t.data for t in tensors], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.data.shape) for t in tensors)
        raise ShapeError(f"stack: all tensors need the same shape, got {shapes}") from None

    def backward(g):
        return tuple(piece if t.requires_grad else None for t, piece in zip(tensors, np.moveaxis(g, axis, 0)))

    return record(out, tuple(tensors), backward, "stack")
