"""The sums and means that skip NaNs: nansum and nanmean (PyTorch's names).

Both reduce the input with its NaNs taken as 0 (a small primitive whose gradient is g where the
element was a number and g·0 where it was NaN, PyTorch's product: an infinite g gives NaN there);
nanmean divides by the count of numbers, so a slice of NaNs alone has mean NaN (0/0), as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ._core import operand, record, reduction_axis, torch_names
from .arithmetic import div
from .promotion import refuse_non_floating
from .reduction import converted, sum


def _nan_as_zero(a):
    X = a.data
    numbers = ~np.isnan(X)

    def backward(g):
        with np.errstate(invalid="ignore"):  # an infinite g at a NaN: NaN, PyTorch's product
            return (g * numbers,)

    return record(np.where(numbers, X, 0).astype(X.dtype, copy=False), (a,), backward, "nan_as_zero")


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The sum over ``dim`` (all elements by default), NaNs counted as 0; integers sum as :func:`sum`'s."""
    dim, keepdim = torch_names("nansum", dim, axis, keepdim, keepdims)
    a = operand(input) if dtype is None else converted("nansum", input, dtype)
    if a.data.dtype.kind == "f":
        a = _nan_as_zero(a)
    return sum(a, dim, keepdim, dtype=None)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The mean over ``dim`` (all elements by default) of the elements that are not NaN; NaN where a
    slice holds no number. Floating-point tensors only, as in PyTorch (or give ``dtype``)."""
    dim, keepdim = torch_names("nanmean", dim, axis, keepdim, keepdims)
    a = operand(input) if dtype is None else converted("nanmean", input, dtype)
    if a.data.dtype.kind != "f":
        refuse_non_floating("nanmean", a.data.dtype, " (or give dtype=)")
    axis = reduction_axis(dim, a.data.ndim, "nanmean")
    count = (~np.isnan(a.data)).sum(axis=axis, keepdims=keepdim)
    # A slice without numbers divides by NaN rather than 0: the same NaN mean and NaN gradient as
    # 0/0 (and PyTorch's), without NumPy's "invalid value" warning, which PyTorch does not give.
    count = np.where(count == 0, np.nan, count).astype(a.data.dtype)
    return div(sum(_nan_as_zero(a), axis, keepdim), count)
