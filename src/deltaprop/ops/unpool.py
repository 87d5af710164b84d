"""Max unpooling: the partial inverse of max pooling, 1-d, 2-d and 3-d.

Max pooling with ``return_indices=True`` keeps each window's maximum and where it was (a flat index
into its input plane). Unpooling puts each value back at that place in a plane of zeros: the
maxima return to where they came from, everything else is zero (the upsampling of SegNet-style
decoders). The gradient of a placed value is the output's gradient at its place.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..tensor import Tensor
from ._core import operand, record
from ._windows import SPATIAL_AXES, int_tuple


def unpool_options(op: str, n: int, kernel_size, stride, padding) -> tuple:
    """An unpooling's kernel, stride (the kernel's by default) and padding as n-tuples, checked."""
    kernel = int_tuple(kernel_size, n, "kernel_size", op, 1)
    stride = kernel if stride is None else int_tuple(stride, n, "stride", op, 1)
    return kernel, stride, int_tuple(padding, n, "padding", op, 0)


def unpool_size(op: str, shape: tuple, kernel, stride, padding, output_size) -> tuple:
    """The output's spatial size: the pooled input's (L − 1)·s − 2·p + k per axis, or
    ``output_size`` (n sizes, or n + 2 with the batch and channels) within stride − 1 of it, as
    PyTorch allows (the sizes a pooling of stride s maps to the same length)."""
    n = len(kernel)
    default = tuple((size - 1) * s - 2 * p + k for size, k, s, p in zip(shape[-n:], kernel, stride, padding))
    if output_size is None:
        sizes = default
    else:
        try:
            sizes = tuple(output_size)
        except TypeError:
            raise ConfigError(f"{op}: output_size must be a sequence of {n} or {n + 2} integers, "
                              f"got {output_size!r}") from None
        if len(sizes) == n + 2:
            sizes = sizes[2:]
        if len(sizes) != n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in sizes):
            raise ConfigError(f"{op}: output_size must be a sequence of {n} or {n + 2} integers, got {output_size!r}")
        sizes = tuple(int(v) for v in sizes)
        for axis, (want, size, s) in enumerate(zip(sizes, default, stride)):
            if not size - s < want < size + s:
                raise ConfigError(f"{op}: output_size {sizes} is out of reach on spatial axis {axis}: an input of "
                                  f"size {shape[-n + axis]} unpools to {size - s + 1} to {size + s - 1} there")
    if min(sizes) < 1:
        raise ShapeError(f"{op}: the output would have spatial size {'x'.join(map(str, sizes))}; kernel, stride "
                         f"and padding must leave at least one position per axis")
    return sizes


def _max_unpool(op: str, n: int, input, indices, kernel_size, stride, padding, output_size):
    x = operand(input)
    X = np.asarray(x.data)
    if X.ndim not in (n + 1, n + 2):
        raise ShapeError(f"{op}: expected input of shape (N, C, {SPATIAL_AXES[n]}) or (C, {SPATIAL_AXES[n]}), "
                         f"got shape {X.shape}")
    where = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if where.shape != X.shape:
        raise ShapeError(f"{op}: indices must have the input's shape {X.shape}, got shape {where.shape}")
    if where.dtype.kind != "i" or where.dtype.itemsize != 8:  # PyTorch takes int64 only (not int32, as gather does)
        raise DataError(f"{op}: indices must be integers of dtype int64, as max pooling returns them, got dtype "
                        f"{where.dtype}")
    kernel, stride, padding = unpool_options(op, n, kernel_size, stride, padding)
    sizes = unpool_size(op, X.shape, kernel, stride, padding, output_size)
    lead = X.shape[:-n]
    rows, plane = math.prod(lead), math.prod(sizes)
    positions = math.prod(X.shape[-n:])
    flat = where.reshape(rows, positions).astype(np.int64, copy=False)
    if flat.size and (flat.min() < 0 or flat.max() >= plane):
        bad = flat[(flat < 0) | (flat >= plane)][0]
        raise DataError(f"{op}: index {bad} in indices is outside the output plane of {'x'.join(map(str, sizes))} "
                        f"(0 to {plane - 1})")
    out = np.zeros((rows, plane), dtype=X.dtype)
    # Where two values share a place (overlapping pooling windows), the last one stays, as in PyTorch.
    np.put_along_axis(out, flat, X.reshape(rows, positions), axis=1)

    def backward(g):
        # Each value's gradient is the output's at its place; values that share a place both get
        # it, as in PyTorch (which gathers the gradient at every index).
        return (np.take_along_axis(g.reshape(rows, plane), flat, axis=1).reshape(X.shape),)

    return record(out.reshape(lead + sizes), (x,), backward, op)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of an (N, C, L) or (C, L) input at its index along the output's length (the
    indices of :func:`max_pool1d` with the same options), zeros elsewhere. The output has length
    (L − 1)·stride − 2·padding + kernel_size, or ``output_size`` (up to stride − 1 either side)."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of an (N, C, H, W) or (C, H, W) input at its flat index h·W + w of the output
    plane (the indices of :func:`max_pool2d` with the same options), zeros elsewhere; the size as in
    :func:`max_unpool1d`, per axis."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of an (N, C, D, H, W) or (C, D, H, W) input at its flat index (d·H + h)·W + w
    of the output volume (the indices of :func:`max_pool3d` with the same options), zeros
    elsewhere; the size as in :func:`max_unpool1d`, per axis."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)
