"""Reductions over axes: sum, mean, var, max, min."""

from __future__ import annotations

import builtins
import math

import numpy as np

from ._core import expand_reduced, normalize_axes, operand, record


def _count(shape: tuple, axis) -> int:
    return math.prod(shape[i] for i in normalize_axes(axis, len(shape)))


def sum(a, axis=None, keepdims=False):
    a = operand(a)
    normalize_axes(axis, a.data.ndim)  # a clear error for an axis out of range
    out = a.data.sum(axis=axis, keepdims=keepdims)

    def backward(g):
        return (expand_reduced(g, a.data.shape, axis, keepdims),)

    return record(out, (a,), backward, "sum")


def mean(a, axis=None, keepdims=False):
    a = operand(a)
    n = _count(a.data.shape, axis)
    out = a.data.mean(axis=axis, keepdims=keepdims)

    def backward(g):
        return (expand_reduced(g / n, a.data.shape, axis, keepdims),)

    return record(out, (a,), backward, "mean")


def var(a, axis=None, keepdims=False, correction=1):
    """Variance with PyTorch's default ``correction=1`` (the unbiased estimate); 0 gives NumPy's."""
    a = operand(a)
    n = _count(a.data.shape, axis)
    centred = a.data - a.data.mean(axis=axis, keepdims=True)
    denominator = builtins.max(n - correction, 0)
    with np.errstate(divide="ignore", invalid="ignore"):  # n <= correction gives nan/inf, as in PyTorch
        out = (centred * centred).sum(axis=axis, keepdims=keepdims) / denominator

    def backward(g):
        # d var / d x_i = 2 (x_i - mean) / (n - correction); the mean's own dependence on x_i cancels.
        with np.errstate(divide="ignore", invalid="ignore"):
            return (expand_reduced(g, a.data.shape, axis, keepdims) * centred * (2 / denominator),)

    return record(out, (a,), backward, "var")


def _extremum(a, axis, keepdims, reduce, name):
    a = operand(a)
    normalize_axes(axis, a.data.ndim)
    out = reduce(a.data, axis=axis, keepdims=keepdims)

    def backward(g):
        # The gradient goes to the elements that attain the extremum, shared equally among ties.
        hit = a.data == expand_reduced(out, a.data.shape, axis, keepdims)
        share = (hit / hit.sum(axis=axis, keepdims=True)).astype(g.dtype, copy=False)
        return (expand_reduced(g, a.data.shape, axis, keepdims) * share,)

    return record(out, (a,), backward, name)


def max(a, axis=None, keepdims=False):
    return _extremum(a, axis, keepdims, np.max, "max")


def min(a, axis=None, keepdims=False):
    return _extremum(a, axis, keepdims, np.min, "min")
