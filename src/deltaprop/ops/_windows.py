"""Sliding windows over (N, C, *spatial) arrays: what convolution and pooling share.

A kernel's window moves over the input with a stride, reading positions spaced by the dilation,
over an input padded at both ends; these functions compute where each kernel offset reads (a
strided slice: one per offset, never one per output position), check the options, and pad.

**Batch-last layout.** A convolution's matrix product comes out as (out_channels, *positions, N). Instead of copying it
to PyTorch's (N, C, ...) memory order, the result is that array with its axes permuted: a view, the
same values under the same shape, only the strides differ. NumPy's elementwise operations keep the
memory order of their operands, so ReLU, pooling and the next convolution all work on arrays whose
innermost axis is the batch. That makes every strided slice of the im2col/col2im and pooling loops
a run of N contiguous numbers (64 to 100 here) instead of a run of a few output columns (7 to 24),
and the gradient reshapes to (out, L·N) without a copy. Every rule accepts any memory order.
(Measured on the benchmark networks: unfolding 2.1 -> 0.8 ms, folding 3.3 -> 2.2 ms, 2x2 max
pooling 0.28 -> 0.13 ms; for the 1-d network, unfolding and folding 3x faster.)
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from . import _memory

SPATIAL_AXES = {1: "L", 2: "H, W", 3: "D, H, W"}
KERNEL_AXES = {1: "k", 2: "kh, kw", 3: "kd, kh, kw"}


def int_tuple(value, n: int, name: str, op: str, minimum: int) -> tuple:
    """``value`` (one integer or a sequence of ``n``) as a tuple of ``n`` integers >= ``minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        values = tuple(value) if isinstance(value, (tuple, list)) else ()
        if len(values) != n or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            raise ConfigError(f"{op}: {name} must be an integer or a sequence of {n} integers, got {value!r}")
        values = tuple(int(v) for v in values)
    if min(values) < minimum:
        raise ConfigError(f"{op}: {name} must be at least {minimum}, got {value!r}")
    return values


def conv_padding(padding, kernel: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """Padding as (before, after) pairs per spatial axis: an integer, a sequence, 'valid' or 'same'."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ConfigError(f"{op}: padding='same' needs stride 1, got stride {stride}")
            # The total d·(k − 1) is split with the odd element after, as PyTorch does.
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ConfigError(f"{op}: padding must be an integer, a sequence of integers, 'valid' or 'same', got {padding!r}")
    return tuple((p, p) for p in int_tuple(padding, n, "padding", op, 0))


def _output_shape(op, shape, kernel, stride, dilation, pads, ceil_mode=False) -> tuple:
    """Output positions per spatial axis: ⌊(L + pads − d·(k − 1) − 1) / s⌋ + 1 (⌈⌉ in ceil mode)."""
    out = []
    for size, k, s, d, (lo, hi) in zip(shape, kernel, stride, dilation, pads):
        span = size + lo + hi - d * (k - 1) - 1
        # In ceil mode a window may hang over the end, as in PyTorch: one that starts inside the
        # input or its left padding counts even when the input is shorter than the kernel.
        count = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (count - 1) * s >= size + lo:
            count -= 1  # the last window must start inside the input or its left padding
        if span < 0 and not (ceil_mode and count >= 1):
            extent = "x".join(str(d * (k - 1) + 1) for k, d in zip(kernel, dilation))
            raise ShapeError(
                f"{op}: the input's spatial size {'x'.join(map(str, shape))} plus padding is smaller than "
                f"the kernel's extent {extent}"
            )
        out.append(count)
    return tuple(out)


def _offsets(kernel, stride, dilation, out_shape, first_row=0) -> list:
    """For each kernel offset, the slices of the padded input that its output positions read.

    Offset (i, j) of a kernel meets input row i·d + s·r for output row r: a strided slice. Looping
    over the k offsets (9 for a 3x3 kernel) does all output positions at once. ``first_row`` shifts
    the first spatial axis, for a block of output rows that starts there.
    """
    firsts = (first_row,) + (0,) * (len(kernel) - 1)
    return [
        (offset, tuple(
            slice(o * d + s * f, o * d + s * (f + m - 1) + 1, s)
            for o, s, d, m, f in zip(offset, stride, dilation, out_shape, firsts)
        ))
        for offset in np.ndindex(*kernel)
    ]


def _batch_last(shape, dtype, fill=0) -> np.ndarray:
    """A new array of logical shape (N, C, *S), stored as (C, *S, N) and filled with ``fill``."""
    n = len(shape) - 2
    stored = _memory.empty((*shape[1:], shape[0]), dtype)
    stored.fill(fill)
    return stored.transpose(n + 1, *range(n + 1))


def _pad(X: np.ndarray, pads, fill, batch_last: bool = False) -> np.ndarray:
    """X of shape (N, C, *S) padded by ``pads`` with ``fill`` (stored batch-last), or X itself when
    there is nothing to pad, unless ``batch_last`` asks for that memory order and X lacks it."""
    if not any(lo or hi for lo, hi in pads) and not (batch_last and not _is_batch_last(X)):
        return X
    shape = X.shape[:2] + tuple(size + lo + hi for size, (lo, hi) in zip(X.shape[2:], pads))
    padded = _batch_last(shape, X.dtype, fill)
    padded[_interior(X.shape[2:], pads)] = X
    return padded


def _is_batch_last(X: np.ndarray) -> bool:
    return X.transpose(*range(1, X.ndim), 0).flags.c_contiguous


def _interior(shape, pads) -> tuple:
    return (Ellipsis,) + tuple(slice(lo, lo + size) for size, (lo, hi) in zip(shape, pads))


def _like(g: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``g`` in the memory order of ``reference``, copied once if it differs, so the two stream together."""
    if g.strides == reference.strides:
        return g
    out = _memory.empty_like(reference, g.dtype)  # keeps the reference's axis order
    out[...] = g
    return out


def _batched(op: str, n: int, X: np.ndarray, channels=None) -> bool:
    """Check an (N, C, *S) or unbatched (C, *S) input; True when it has the batch axis."""
    if X.ndim not in (n + 1, n + 2) or (channels is not None and X.shape[-n - 1] != channels):
        c = "C" if channels is None else channels
        raise ShapeError(f"{op}: expected input of shape (N, {c}, {SPATIAL_AXES[n]}) or ({c}, {SPATIAL_AXES[n]}), got shape {X.shape}")
    return X.ndim == n + 2
