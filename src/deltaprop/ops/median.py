"""``median``: the lower median, PyTorch's (of an even count, the smaller of the two middle values).

Without a dimension it is one value over all elements, whose gradient PyTorch spreads evenly over
every element equal to it (ties share); along a dimension it is ``(values, indices)``, the index
that of the element a stable sort puts in the middle, which alone gets the gradient. A NaN in the
elements makes the median NaN, indexed at the first NaN, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import MaxMin, Tensor
from ._core import operand, record
from .shape import _one_axis


def median(input, dim=None, keepdim=False):
    """The lower median of all elements (a 0-d tensor) or, with ``dim``, ``(values, indices)`` along it."""
    a = operand(input)
    X = np.asarray(a.data)
    if X.size == 0:
        raise ShapeError(f"median: the input of shape {X.shape} is empty, and the median of no elements is undefined")
    if dim is None:
        return _median_of_all(a, X)
    if X.ndim == 0:
        _one_axis("median", dim, 1)  # (dim 0 or -1 of a 0-d tensor: the tensor itself)
        return MaxMin(record(X.copy(), (a,), _passed, "median"), Tensor._wrap(np.zeros((), np.int64)))
    axis = _one_axis("median", dim, X.ndim)
    n = X.shape[axis]
    order = np.argsort(X, axis=axis, kind="stable")  # NaNs last, in their order
    middle = np.full(X.shape[:axis] + (1,) + X.shape[axis + 1:], (n - 1) // 2)
    if X.dtype.kind == "f":
        missing = np.isnan(X).sum(axis=axis, keepdims=True)
        middle = np.where(missing > 0, n - missing, middle)  # the first NaN
    indices = np.take_along_axis(order, middle, axis=axis)
    values = np.take_along_axis(X, indices, axis=axis)
    if not keepdim:
        indices, values = indices.squeeze(axis), values.squeeze(axis)

    def backward(g):
        grad = np.zeros(X.shape, g.dtype)
        np.put_along_axis(grad, indices if keepdim else np.expand_dims(indices, axis),
                          g if keepdim else np.expand_dims(g, axis), axis=axis)
        return (grad,)

    return MaxMin(record(values, (a,), backward, "median"), Tensor._wrap(indices.astype(np.int64, copy=False)))


def _median_of_all(a, X: np.ndarray):
    flat = np.sort(X, axis=None)
    value = flat[(flat.size - 1) // 2]
    hit = None
    if X.dtype.kind == "f" and np.isnan(flat[-1]):
        value = flat[-1]  # NaN
        hit = np.isnan(X)

    def backward(g):
        # spread evenly over the elements equal to the median (or NaN, for a NaN median), PyTorch's rule
        reached = hit if hit is not None else X == value
        return (np.where(reached, g / reached.sum(), 0).astype(g.dtype, copy=False),)

    return record(np.asarray(value), (a,), backward, "median")


def _passed(g):
    return (g,)
