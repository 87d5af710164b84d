"""``median`` and ``nanmedian``: the lower median, PyTorch's (of an even count, the smaller of the
two middle values); ``nanmedian`` leaves NaNs out.

Without a dimension it is one value over all elements, whose gradient PyTorch spreads evenly over
every element equal to it (ties share); along a dimension it is ``(values, indices)``, the index
that of the element a stable sort puts in the middle, which alone gets the gradient. A NaN in the
elements makes the median NaN, indexed at the first NaN, as in PyTorch; nanmedian is NaN only where
every element is (indexed at the first, where PyTorch's index there is its own).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import MaxMin, Tensor
from ._core import operand, record
from .shape import _one_axis


def median(input, dim=None, keepdim=False):
    """The lower median of all elements (a 0-d tensor) or, with ``dim``, ``(values, indices)`` along it."""
    return _median("median", input, dim, keepdim)


def nanmedian(input, dim=None, keepdim=False):
    """:func:`median` of the elements that are not NaN: NaN where all are (and for no elements at all)."""
    return _median("nanmedian", input, dim, keepdim)


def _median(op: str, input, dim, keepdim):
    a = operand(input)
    X = np.asarray(a.data)
    if X.size == 0 and not _empty_allowed(op, X, dim):
        what = "no integers" if dim is None else "no elements"
        raise ShapeError(f"{op}: the input of shape {X.shape} is empty, and the median of {what} is undefined"
                         + (" (of no floating-point numbers it is NaN, as in PyTorch)" if dim is None else ""))
    if dim is None:
        return _median_of_all(op, a, X)
    if X.ndim == 0:
        _one_axis(op, dim, 1)  # (dim 0 or -1 of a 0-d tensor: the tensor itself)
        return MaxMin(record(X.copy(), (a,), _passed, op), Tensor._wrap(np.zeros((), np.int64)))
    axis = _one_axis(op, dim, X.ndim)
    n = X.shape[axis]
    order = np.argsort(X, axis=axis, kind="stable")  # NaNs last, in their order
    missing = np.isnan(X).sum(axis=axis, keepdims=True) if X.dtype.kind == "f" else 0
    if op == "nanmedian":  # the lower median of the numbers; the first NaN where there are none
        middle = np.maximum(n - missing - 1, 0) // 2
    else:  # the first NaN where there is one
        middle = np.where(missing > 0, n - missing, (n - 1) // 2)
    middle = np.broadcast_to(middle, X.shape[:axis] + (1,) + X.shape[axis + 1:])
    indices = np.take_along_axis(order, middle, axis=axis)
    values = np.take_along_axis(X, indices, axis=axis)
    if not keepdim:
        indices, values = indices.squeeze(axis), values.squeeze(axis)

    input_shape = X.shape  # (the rule keeps positions, not the input: PyTorch's goes through its change too)

    def backward(g):
        grad = np.zeros(input_shape, g.dtype)
        np.put_along_axis(grad, indices if keepdim else np.expand_dims(indices, axis),
                          g if keepdim else np.expand_dims(g, axis), axis=axis)
        return (grad,)

    return MaxMin(record(values, (a,), backward, op), Tensor._wrap(indices.astype(np.int64, copy=False)))


def _empty_allowed(op: str, X: np.ndarray, dim) -> bool:
    """Whether an empty input has a result, as in PyTorch: along a dimension that is not empty
    itself, an empty result; of all the elements of floats, NaN (PyTorch's median of no integers is
    the dtype's smallest number, which is refused here instead)."""
    if dim is None:
        return X.dtype.kind == "f"
    return X.shape[_one_axis(op, dim, X.ndim)] > 0


def _median_of_all(op: str, a, X: np.ndarray):
    flat = np.sort(X, axis=None)  # NaNs last
    if op == "nanmedian":
        count = flat.size - int(np.isnan(flat).sum())  # the numbers
        undefined = count == 0
    else:
        count = flat.size
        undefined = X.dtype.kind == "f" and (not count or bool(np.isnan(flat[-1])))  # (NaN for no elements)
    if undefined:  # NaN, its gradient spread over the NaNs
        value, hit = np.array(np.nan, X.dtype), np.isnan(X)
    else:
        value, hit = flat[(count - 1) // 2], None

    def backward(g):
        # spread evenly over the elements equal to the median (or NaN, for a NaN median), PyTorch's rule
        reached = hit if hit is not None else X == value
        return (np.where(reached, g / max(reached.sum(), 1), 0).astype(g.dtype, copy=False),)  # (1: no elements)

    return record(np.asarray(value), (a,), backward, op)


def _passed(g):
    return (g,)
