"""``kthvalue`` and ``mode``, PyTorch's: one element picked from each slice along a dimension,
returned as ``(values, indices)``; the gradient goes to the picked element alone.

Both rank the slice with a stable sort (NaNs last, as the largest values). ``kthvalue`` takes the
k-th smallest; among equal values it names the one a stable sort puts k-th, where PyTorch's
quickselect may name another of them (the value, and so the result, is the same). ``mode`` takes the
most frequent value, the smallest of those equally frequent, and names its last occurrence: what
PyTorch gives on slices of up to 16 elements; on longer ones its unstable sort may name another
occurrence. NaNs count as one value here; PyTorch's count of them depends on its sort's order.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import MaxMin, Tensor
from ._core import operand, record
from .shape import _one_axis


def kthvalue(input, k, dim=-1, keepdim=False):
    """``(values, indices)`` of the ``k``-th smallest element (k from 1) along ``dim``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"kthvalue: k must be an integer, got {k!r}")
    a, rows, axis = _slices("kthvalue", input, dim)
    n = rows.shape[-1]
    if not 1 <= k <= n:
        raise ShapeError(f"kthvalue: k must be in [1, {n}] for dimension {axis} of size {n}, got {k}")
    order = np.argsort(rows, axis=-1, kind="stable")
    return _picked("kthvalue", a, axis, order[..., k - 1:k], keepdim)


def mode(input, dim=-1, keepdim=False):
    """``(values, indices)`` of the most frequent value along ``dim`` (the smallest of equally
    frequent ones), indexed at its last occurrence."""
    a, rows, axis = _slices("mode", input, dim)
    n = rows.shape[-1]
    order = np.argsort(rows, axis=-1, kind="stable")
    ranked = np.take_along_axis(rows, order, axis=-1)
    new = np.ones(ranked.shape, bool)  # where a run of equal values begins
    if n > 1:
        same = ranked[..., 1:] == ranked[..., :-1]
        if ranked.dtype.kind == "f":
            same |= np.isnan(ranked[..., 1:]) & np.isnan(ranked[..., :-1])
        new[..., 1:] = ~same
    position = np.arange(n)
    start = np.maximum.accumulate(np.where(new, position, 0), axis=-1)
    ends = np.ones(ranked.shape, bool)
    ends[..., :-1] = new[..., 1:]
    length = np.where(ends, position - start + 1, 0)  # each run's length, at its last element
    last = np.argmax(length, axis=-1)[..., None]  # the first longest run: the smallest value
    return _picked("mode", a, axis, np.take_along_axis(order, last, axis=-1), keepdim)


def _slices(op: str, input, dim):
    """The input tensor, its array with ``dim`` moved last (a 0-d one as one element), and the axis."""
    a = operand(input)
    X = np.asarray(a.data)
    axis = _one_axis(op, dim, max(X.ndim, 1))  # (dim 0 or -1 of a 0-d tensor: the tensor itself)
    rows = np.moveaxis(X.reshape(X.shape or (1,)), axis, -1)
    if rows.shape[-1] == 0:
        raise ShapeError(f"{op}: dimension {axis} of the input of shape {X.shape} is empty, so no element can be "
                         "picked along it")
    return a, rows, axis


def _picked(op: str, a: Tensor, axis: int, picked: np.ndarray, keepdim: bool) -> MaxMin:
    """The elements at ``picked`` (positions along the last axis of the moved input, kept as a
    trailing 1) with their indices, and the rule that sends g to them alone."""
    X = np.asarray(a.data)
    rows = np.moveaxis(X.reshape(X.shape or (1,)), axis, -1)
    values = np.take_along_axis(rows, picked, axis=-1)
    shape = np.moveaxis(values, -1, axis).shape if (keepdim and X.ndim) else values.shape[:-1]

    # The rule keeps the shapes and the positions picked, never the input's values: a later
    # in-place change of the input leaves backward() free, as PyTorch's (which keeps the indices).
    moved_shape, input_shape = rows.shape, X.shape

    def backward(g):
        grad = np.zeros(moved_shape, g.dtype)
        np.put_along_axis(grad, picked, np.reshape(g, picked.shape), axis=-1)
        return (np.moveaxis(grad, -1, axis).reshape(input_shape),)

    def arranged(v: np.ndarray) -> np.ndarray:
        return np.moveaxis(v, -1, axis).reshape(shape) if X.ndim else v.reshape(())

    return MaxMin(record(arranged(values), (a,), backward, op),
                  Tensor._wrap(arranged(picked).astype(np.int64, copy=False)))
