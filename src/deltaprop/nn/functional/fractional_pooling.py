"""Fractional max pooling (Graham, 2014): max pooling whose windows step by a fractional stride
L/o on average, so that the output size o need not divide the input size L, the windows' starts
drawn at random for each sample and channel.

Along an axis of length L, with kernel k and output size o (o + k − 1 ≤ L), a sample u ∈ [0, 1)
places the o windows at

    start_i = ⌊(i + u)·α⌋ − ⌊u·α⌋  for i < o − 1,   start_{o−1} = L − k,   α = (L − k)/(o − 1),

as PyTorch defines them (α computed in the input's floating-point type, as PyTorch computes it).
The samples are one per (sample, channel, axis), drawn from deltaprop's generator unless
``_random_samples`` (N, C, n) gives them: column 0 is the width's and 1 the height's for 2-d
pooling, columns 0, 1, 2 the depth's, height's and width's for 3-d, in PyTorch's order.

Each output is the maximum of its k₁×…×kₙ window (the first maximum of the window wins ties, a NaN
wins over numbers); the pooling is a ``gather`` of the input at the winners, so its gradient (and
the gradient of that) is gather's: each output's gradient goes to the element that won it.
"""

from __future__ import annotations

import numbers

import numpy as np

from ... import ops
from ...errors import ConfigError, ShapeError
from ...ops._core import operand
from ...ops._windows import SPATIAL_AXES, int_tuple
from ...random import numpy_generator
from ...tensor import Tensor

# the column of the samples that places the windows along each spatial axis, in the axes' order
_SAMPLE_COLUMNS = {2: (1, 0), 3: (0, 1, 2)}


def _output_ratios(op: str, n: int, output_ratio) -> tuple:
    """``output_ratio`` (a number or ``n`` of them, each strictly between 0 and 1) as a tuple."""
    ratios = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * n
    if len(ratios) != n or any(isinstance(r, bool) or not isinstance(r, numbers.Real) or not 0 < r < 1 for r in ratios):
        raise ConfigError(f"{op}: output_ratio must be a number between 0 and 1 (exclusive) or a sequence of {n} of "
                          f"them, got {output_ratio!r}")
    return tuple(float(r) for r in ratios)


def _size_or_ratio(op: str, output_size, output_ratio) -> None:
    """Exactly one of ``output_size`` and ``output_ratio`` must be given."""
    if (output_size is None) == (output_ratio is None):
        given = "both were" if output_size is not None else "neither was"
        raise ConfigError(f"{op}: give exactly one of output_size and output_ratio; {given} given")


def _window_starts(length: int, kernel: int, size: int, samples: np.ndarray) -> np.ndarray:
    """The start of each of the ``size`` windows along an axis, for each sample u: (..., size)."""
    dtype = samples.dtype
    starts = np.empty(samples.shape + (size,), dtype=np.int64)
    if size > 1:
        alpha = dtype.type(length - kernel) / dtype.type(size - 1)
        steps = np.arange(size - 1, dtype=dtype)
        starts[..., :-1] = (np.floor((steps + samples[..., None]) * alpha)
                            - np.floor(samples * alpha)[..., None]).astype(np.int64)
    if size > 0:
        starts[..., -1] = length - kernel
    return starts


def _fractional_max_pool(op: str, n: int, input, kernel_size, output_size, output_ratio, return_indices,
                         _random_samples):
    x = operand(input)
    X = np.asarray(x.data)
    if X.ndim not in (n + 1, n + 2):
        raise ShapeError(f"{op}: expected input of shape (N, C, {SPATIAL_AXES[n]}) or (C, {SPATIAL_AXES[n]}), got "
                         f"shape {X.shape}")
    batched = X.ndim == n + 2
    lead, spatial = (X.shape[:2] if batched else (1, X.shape[0])), X.shape[-n:]
    kernel = int_tuple(kernel_size, n, "kernel_size", op, 1)
    _size_or_ratio(op, output_size, output_ratio)
    if output_size is not None:
        sizes = int_tuple(output_size, n, "output_size", op, 0)
    else:
        sizes = tuple(int(length * r) for length, r in zip(spatial, _output_ratios(op, n, output_ratio)))
    for axis, (length, k, o) in enumerate(zip(spatial, kernel, sizes)):
        if o + k - 1 > length:
            name = SPATIAL_AXES[n].split(", ")[axis]
            raise ShapeError(f"{op}: {o} windows of {k} need at least {o + k - 1} positions along {name}, the input of "
                             f"shape {X.shape} has {length}")
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
    if _random_samples is None:
        samples = numpy_generator().random(lead + (n,)).astype(dtype)
    else:
        samples = np.asarray(_random_samples.data if isinstance(_random_samples, Tensor) else _random_samples)
        if samples.shape != lead + (n,):
            raise ShapeError(f"{op}: _random_samples must have shape {lead + (n,)} (N, C, {n}) for input of shape "
                             f"{X.shape}, got shape {samples.shape}")
        if not ((samples >= 0) & (samples <= 1)).all():
            raise ConfigError(f"{op}: _random_samples must lie in [0, 1]")
        samples = samples.astype(dtype)
    # the flat position (in the input's plane or volume) of every element of every window:
    # (N, C, o₁, …, oₙ, k₁, …, kₙ), built axis by axis as starts + offset times the axis's stride
    flat = np.zeros(lead + sizes + kernel, dtype=np.int64)
    stride = 1
    for axis in reversed(range(n)):
        starts = _window_starts(spatial[axis], kernel[axis], sizes[axis], samples[..., _SAMPLE_COLUMNS[n][axis]])
        positions = starts[..., None] + np.arange(kernel[axis])  # (N, C, o, k)
        shape = lead + tuple(sizes[axis] if a == axis else 1 for a in range(n)) \
            + tuple(kernel[axis] if a == axis else 1 for a in range(n))
        flat += (positions * stride).reshape(shape)
        stride *= spatial[axis]
    windows = flat.reshape(lead + (int(np.prod(sizes)), int(np.prod(kernel))))
    plane = X.reshape(lead + (stride,))
    values = np.take_along_axis(plane[:, :, None, :], windows, axis=-1)
    # (NumPy's argmax: the first maximum, or the first NaN, of each window)
    where = np.take_along_axis(windows, values.argmax(axis=-1)[..., None], axis=-1)[..., 0]
    out = ops.gather(ops.reshape(x, lead + (stride,)), 2, Tensor._wrap(where))
    out = ops.reshape(out, (lead if batched else lead[1:]) + sizes)
    if not return_indices:
        return out
    return out, Tensor._wrap(where.reshape((lead if batched else lead[1:]) + sizes))


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                          _random_samples=None):
    """Fractional max pooling of an (N, C, H, W) or (C, H, W) input to ``output_size`` (an int or a
    pair) or ``output_ratio`` times its size (a number or a pair in (0, 1)), windows of
    ``kernel_size``; with ``return_indices``, also each maximum's flat position h·W + w."""
    return _fractional_max_pool("fractional_max_pool2d", 2, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                          _random_samples=None):
    """Fractional max pooling of an (N, C, D, H, W) or (C, D, H, W) input, as
    :func:`fractional_max_pool2d` per axis; indices (d·H + h)·W + w."""
    return _fractional_max_pool("fractional_max_pool3d", 3, input, kernel_size, output_size, output_ratio,
                                return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    """(values, indices) of :func:`fractional_max_pool2d`, whatever ``return_indices`` says (as in PyTorch)."""
    return fractional_max_pool2d(input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    """(values, indices) of :func:`fractional_max_pool3d`, whatever ``return_indices`` says (as in PyTorch)."""
    return fractional_max_pool3d(input, kernel_size, output_size, output_ratio, True, _random_samples)
