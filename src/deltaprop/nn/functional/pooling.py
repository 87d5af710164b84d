"""Pooling: max, average, adaptive and power-average (LP) pooling, max pooling's partial inverse, and
the forms that always return (values, indices)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ... import ops
from ...ops.activation import real_option
from ...ops.pool import _avg_pool, _max_pool

# The primitives already take PyTorch's arguments.
max_pool1d = ops.max_pool1d
max_pool2d = ops.max_pool2d
avg_pool1d = ops.avg_pool1d
avg_pool2d = ops.avg_pool2d
adaptive_avg_pool1d = ops.adaptive_avg_pool1d
adaptive_avg_pool2d = ops.adaptive_avg_pool2d
adaptive_max_pool1d = ops.adaptive_max_pool1d
adaptive_max_pool2d = ops.adaptive_max_pool2d
max_pool3d = ops.max_pool3d
avg_pool3d = ops.avg_pool3d
adaptive_avg_pool3d = ops.adaptive_avg_pool3d
adaptive_max_pool3d = ops.adaptive_max_pool3d
# max pooling's partial inverse, from the indices of max_pool1d/2d/3d(..., return_indices=True)
max_unpool1d = ops.max_unpool1d
max_unpool2d = ops.max_unpool2d
max_unpool3d = ops.max_unpool3d


def _lp_pool(op: str, n: int, input, norm_type, kernel_size, stride, ceil_mode):
    """(Σ over each window of x^p)^(1/p), PyTorch's composition step by step: the mean of x^p times
    the window's size (so a window that ``ceil_mode`` cuts short is scaled as a full one, as in
    PyTorch), then PyTorch's sign·relu(|·|): a negative mean (odd p, negative inputs) is kept as it
    is, so that window's root is NaN, as in PyTorch, and a window of zeros gets the gradient 0 (its
    root's infinite slope stopped there, as PyTorch's relu stops it); p = inf is max pooling of |x|."""
    p = real_option(op, "norm_type", norm_type, nonzero=True)
    # the poolings under this function's name, so that a refused kernel or input names lp_pool*d
    if math.isinf(p):
        out = _max_pool(op, n, ops.abs(input), kernel_size, stride, 0, 1, ceil_mode)
        return out if p > 0 else ops.neg(_max_pool(op, n, ops.neg(ops.abs(input)), kernel_size, stride, 0, 1, ceil_mode))
    with np.errstate(invalid="ignore"):  # a negative x to a fractional p: NaN, as PyTorch's (which is silent)
        powers = ops.pow(input, p)
    average = _avg_pool(op, n, powers, kernel_size, stride, 0, ceil_mode, True)
    # (the pooling has checked kernel_size: one integer for every axis, or one per axis)
    window = kernel_size ** n if isinstance(kernel_size, numbers.Integral) else math.prod(kernel_size)
    # sign(a)·relu(|a|) is a itself with the gradient 0 where a = 0; written as a where, since
    # deltaprop's relu multiplies by its mask, which would let the ∞·0 of a window of zeros through as NaN
    clamped = ops.where(np.asarray(average.data) != 0, average, 0.0)
    with np.errstate(invalid="ignore"):  # (the root of a negative window's sum: NaN, as above)
        return ops.pow(ops.mul(clamped, window), 1.0 / p)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """The p-norm (Σ x^p)^(1/p) of each window of an (N, C, L) or (C, L) input (p = ``norm_type``;
    1: the sum, inf: the largest |x|)."""
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """The p-norm (Σ x^p)^(1/p) of each window of an (N, C, H, W) or (C, H, W) input."""
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """The p-norm (Σ x^p)^(1/p) of each window of an (N, C, D, H, W) or (C, D, H, W) input."""
    return _lp_pool("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


# -- PyTorch's pooling functions that always return (values, indices) --------------------------------------


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """(values, indices) of :func:`max_pool1d`, whatever ``return_indices`` says (as in PyTorch)."""
    return ops.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """(values, indices) of :func:`max_pool2d`, whatever ``return_indices`` says (as in PyTorch)."""
    return ops.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of :func:`adaptive_max_pool1d`."""
    return ops.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of :func:`adaptive_max_pool2d`."""
    return ops.adaptive_max_pool2d(input, output_size, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """(values, indices) of :func:`max_pool3d`, whatever ``return_indices`` says (as in PyTorch)."""
    return ops.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of :func:`adaptive_max_pool3d`."""
    return ops.adaptive_max_pool3d(input, output_size, True)
