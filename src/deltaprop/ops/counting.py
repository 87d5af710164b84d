"""Counting and distinct values, PyTorch's: unique, unique_consecutive, bincount (count_nonzero is in
ops.logical).

Their results are integers, booleans or (for unique) values picked from the input, and carry no
gradient, as in PyTorch; bincount's ``weights`` alone get one (the weight of each element moves
its bin by as much), where PyTorch's backward reports that rule as not implemented.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._core import operand, record
from .shape import _one_axis


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of ``input`` in ascending order (or, with ``dim``, its distinct slices
    along ``dim``, in lexicographic order); with ``return_inverse`` also where each element (slice)
    went, with ``return_counts`` how often each occurs. A NaN is distinct from every value, itself
    included, as in PyTorch. ``sorted=False`` sorts too (PyTorch's CPU unique does). No gradient."""
    X = np.asarray(operand(input).data)
    if dim is None:
        values, inverse, counts = np.unique(X.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        inverse = inverse.reshape(X.shape)
    else:
        axis = _one_axis("unique", dim, X.ndim)
        if X.shape[axis] == 0 or X.size == 0:
            values, inverse, counts = X, np.zeros(X.shape[axis], np.int64), np.zeros(0, np.int64)
        else:
            values, inverse, counts = np.unique(X, return_inverse=True, return_counts=True, axis=axis)
            inverse = inverse.reshape(-1)
    out = [Tensor._wrap(values)]
    if return_inverse:
        out.append(Tensor._wrap(inverse.astype(np.int64, copy=False)))
    if return_counts:
        out.append(Tensor._wrap(counts.astype(np.int64, copy=False)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with each run of equal consecutive elements (of the flattened input; with ``dim``,
    equal consecutive slices along it) kept once, in their order; with ``return_inverse`` also the
    run each element (slice) belongs to, with ``return_counts`` each run's length. A NaN equals
    nothing, so NaNs are runs of one, as in PyTorch. No gradient."""
    X = np.asarray(operand(input).data)
    if dim is None:
        rows, shape = X.reshape(-1, 1), X.shape
    else:
        axis = _one_axis("unique_consecutive", dim, X.ndim)
        shape = (X.shape[axis],)
        rows = np.moveaxis(X, axis, 0).reshape(X.shape[axis], -1) if X.shape[axis] else np.zeros((0, 0), X.dtype)
    starts = np.ones(len(rows), bool)  # where a run begins: the first row and each that differs from the one before
    starts[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    values = X.reshape(-1)[starts] if dim is None else np.compress(starts, X, axis=axis)
    out = [Tensor._wrap(values)]
    if return_inverse:
        out.append(Tensor._wrap((np.cumsum(starts) - 1).astype(np.int64).reshape(shape)))
    if return_counts:
        out.append(Tensor._wrap(np.diff(np.append(np.flatnonzero(starts), len(rows))).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, 2, ... occurs in the vector of non-negative integers ``input``
    (int64), or the sum of ``weights`` at each value (in the weights' dtype if floating, else float64,
    PyTorch's); at least ``minlength`` bins."""
    X = np.asarray(operand(input).data)
    if X.ndim != 1:
        raise ShapeError(f"bincount: expects a vector of non-negative integers, got shape {X.shape}")
    if X.dtype.kind not in "iub" or (X.size and X.min() < 0):
        found = f"dtype {X.dtype}" if X.dtype.kind not in "iub" else f"the value {X.min()}"
        raise ValueError(f"bincount: expects a vector of non-negative integers, got {found}")
    if isinstance(minlength, bool) or not isinstance(minlength, (int, np.integer)) or minlength < 0:
        raise ValueError(f"bincount: minlength must be a non-negative integer, got {minlength!r}")
    X = X.astype(np.intp, copy=False)
    if weights is None:
        return Tensor._wrap(np.bincount(X, minlength=minlength).astype(np.int64, copy=False))
    w = operand(weights)
    W = np.asarray(w.data)
    if W.shape != X.shape:
        raise ShapeError(f"bincount: weights must have the input's shape {X.shape}, got {W.shape}")
    dtype = W.dtype if W.dtype.kind == "f" else np.dtype(np.float64)
    out = np.bincount(X, weights=W, minlength=minlength).astype(dtype, copy=False)

    def backward(g):
        return (g[X],)  # each weight added to its element's bin

    return record(out, (w,), backward, "bincount")
