"""Resampling feature maps: interpolation to a new size, and pixel (un)shuffling.

Interpolation is separable: along each spatial axis, output position j reads one input position
(nearest) or two, i0 and i1, mixed as λ0·x[i0] + λ1·x[i1] (linear); bilinear is linear along W,
then along H; trilinear along W, H, then D. So one primitive, :func:`_along_axis`, does all of it, and its gradient sends g·λ back
to the positions it came from. The positions and weights follow PyTorch's CPU kernels exactly
(``UpSample.h``), including the arithmetic they are computed in: nearest in float32 whatever the
input, linear in the input's own precision.

Speed (2 shared cores, medians of 7 alternating runs, scale 2, float32): the in-place forward took
bilinear (16, 32, 64, 64) from about 36 to 21 ms (PyTorch 30) and (4, 16, 256, 256) from 68 to
47 ms (PyTorch 44). A backward as one BLAS product with the (out x in) interpolation matrix was
tried and dropped: 4x faster at 32-64 pixels, but its work grows with the input length, it was
2-3x slower than reduceat at 256, and it turned an inf in the gradient into a row of NaN. The
backward now adds by strided slices instead of reduceat (ops/_sorted_scatter.py), and the arrays come from
the pool of ops/_memory.py: forward and backward together 4.1-5.1x faster for bilinear and linear,
6.4-8.6x for nearest, at 0.80-2.05x PyTorch's throughput (benchmarks/bench_resample.py, one thread,
CPU time, 2026-11-22). Gathering the forward by the same slices was tried and dropped: strided
writes along the last axis made forward and backward 3-20% slower than np.take for bilinear and
linear.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from . import _memory
from ._core import operand, record
from ._sorted_scatter import add_onto
from .shape import permute, reshape

MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "trilinear": 3}
_LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def _along_axis(x, axis: int, index0: np.ndarray, weight0=None, index1=None, weight1=None):
    """x resampled along ``axis``: out[j] = x[index0[j]] (nearest), or
    λ0[j]·x[index0[j]] + λ1[j]·x[index1[j]] with λ = ``weight0``, ``weight1`` (linear).

    The forward gathers, then multiplies and adds in place: the same roundings as
    ``take·λ0 + take·λ1``, without its two extra output-sized temporaries.
    Both index arrays are non-decreasing, so the backward adds g·λ back by strided slices, a few
    passes of distinct positions each (ops/_sorted_scatter.py): no unbuffered ``np.add.at``, and no
    ``np.add.reduceat``, whose per-run loop had made the backward 3-4x slower than PyTorch's.
    """
    X = x.data
    trailing = (1,) * (X.ndim - axis - 1)
    out = _gathered(X, index0, axis)
    if weight0 is None:
        terms = [(index0, None)]
    else:
        w0, w1 = weight0.reshape(-1, *trailing), weight1.reshape(-1, *trailing)
        out *= w0
        other = _gathered(X, index1, axis)
        other *= w1
        out += other
        del other  # its block is free again for the backward
        terms = [(index0, w0), (index1, w1)]
    shape = X.shape

    def backward(g):
        gx = _memory.empty(shape, g.dtype)
        gx.fill(0)
        for index, w in terms:
            add_onto(gx, g, w, index, axis)
        return (gx,)

    return record(out, (x,), backward, "interpolate")


def _gathered(X: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
    """``np.take(X, index, axis)`` into an array from the pool of ops/_memory.py: a fresh array of a
    few megabytes page-faults on its first write, about as long again as the gather itself (768 faults,
    1.5 of the 2 ms of a (32, 64, 100) -> 200 linear forward). ``mode="clip"`` because the indices
    are in range and "raise" would gather into a buffer first."""
    shape = list(X.shape)
    shape[axis] = len(index)
    return np.take(X, index, axis=axis, out=_memory.empty(shape, X.dtype), mode="clip")


def _nearest_source(in_size: int, out_size: int, scale, exact: bool) -> np.ndarray:
    """PyTorch's nearest rule in float32: ⌊j·s⌋ ('nearest') or ⌊(j + ½)·s⌋ ('nearest-exact'),
    s = 1/scale_factor when one was given, else in/out; at most in − 1."""
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(in_size) / np.float32(out_size)
    j = np.arange(out_size)
    if exact:  # (j + 0.5)·s is a double in the C++ source, rounded to float by floorf
        source = np.floor(((j + 0.5) * np.float64(s)).astype(np.float32))
    else:
        source = np.floor(j.astype(np.float32) * s)
    return np.minimum(source.astype(np.int64), in_size - 1)


def _linear_source(in_size: int, out_size: int, scale, align_corners: bool, dtype):
    """(i0, i1, λ0, λ1) along one axis, PyTorch's way (``compute_source_index_and_lambda``).

    align_corners: source = j·(in − 1)/(out − 1), the corner pixels' centres meet. Otherwise
    source = (j + ½)·s − ½ with s as in :func:`_nearest_source`, clamped at 0: pixel areas meet.
    i0 = ⌊source⌋, i1 = i0 + 1 (i0 itself at the last pixel), λ1 = source − i0, λ0 = 1 − λ1. An axis
    whose size does not change is copied, whatever the scale factor said, as PyTorch does.
    """
    if out_size == in_size:
        index = np.arange(out_size)
        return index, index, np.ones(out_size, dtype), np.zeros(out_size, dtype)
    # float16 positions at least in float32, as PyTorch's opmath: float16 cannot hold a position past
    # 2048, and one of a few hundred is off by up to 0.25 of a pixel. λ is then made float16.
    given, dtype = dtype, np.promote_types(dtype, np.float32)
    t = dtype.type
    j = np.arange(out_size, dtype=dtype)
    if align_corners:
        ratio = t(in_size - 1) / t(out_size - 1) if out_size > 1 else t(0)
        source = ratio * j
    else:
        ratio = t(1.0 / scale) if scale is not None and scale > 0 else t(in_size) / t(out_size)
        source = np.maximum(ratio * (j + t(0.5)) - t(0.5), t(0))
    i0 = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    lambda1 = np.clip(source - i0.astype(dtype), t(0), t(1))
    i1 = i0 + (i0 < in_size - 1)
    lambda0 = t(1) - lambda1
    return i0, i1, lambda0.astype(given, copy=False), lambda1.astype(given, copy=False)


def _sizes(op: str, n: int, shape: tuple, size, scale_factor, recompute_scale_factor):
    """(output sizes, scale factors handed to the kernels) for the last ``n`` axes of ``shape``."""
    if (size is None) == (scale_factor is None):
        raise ConfigError(f"{op}: give exactly one of size and scale_factor, got size={size!r}, scale_factor={scale_factor!r}")
    if size is not None:
        sizes = _n_values(op, "size", size, n, int)
        if min(sizes) < 1:
            raise ConfigError(f"{op}: size must hold positive integers, got {size!r}")
        _check_holdable(op, "size", size, shape, sizes)
        return sizes, (None,) * n
    factors = _n_values(op, "scale_factor", scale_factor, n, float)
    if not all(math.isfinite(f) and f > 0 for f in factors):
        raise ConfigError(f"{op}: scale_factor must be positive and finite, got {scale_factor!r}")
    lengths = tuple(float(length) * f for length, f in zip(shape[-n:], factors))
    _check_holdable(op, "scale_factor", scale_factor, shape, lengths)
    sizes = tuple(math.floor(length) for length in lengths)
    if min(sizes, default=1) < 1:
        raise ShapeError(f"{op}: scale_factor {scale_factor!r} makes an empty output from the input's spatial size "
                         f"{'x'.join(map(str, shape[-n:]))}")
    return sizes, ((None,) * n if recompute_scale_factor else factors)


# The most elements an output may have: its float64 bytes must fit NumPy's index type.
_MOST_ELEMENTS = np.iinfo(np.intp).max // 8


def _check_holdable(op: str, name: str, value, shape: tuple, lengths: tuple) -> None:
    """Refuse output lengths (inf among them, from a huge factor) that no array could hold, in one
    sentence: Python's OverflowError or NumPy's "Maximum allowed size exceeded" would come instead."""
    if max(math.prod(shape[: len(shape) - len(lengths)]), 1) * math.prod(lengths) > _MOST_ELEMENTS:
        size = " x ".join(str(n) if isinstance(n, int) else f"{n:g}" for n in lengths)
        raise ShapeError(f"{op}: {name} {value!r} makes an output of size {size} from the input's spatial size "
                         f"{'x'.join(map(str, shape[len(shape) - len(lengths):]))}, too large to hold")


def _n_values(op: str, name: str, value, n: int, kind) -> tuple:
    """One number or a sequence of ``n`` (integers for ``kind`` int; any real number for float)."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    allowed = (int, np.integer) if kind is int else (int, float, np.integer, np.floating)
    if len(values) != n or any(isinstance(v, bool) or not isinstance(v, allowed) for v in values):
        raise ConfigError(f"{op}: {name} must be a number or a sequence of {n} numbers for a {n}-d input, got {value!r}")
    return tuple(kind(v) for v in values)


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial axes of an (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to ``size``, or by
    ``scale_factor`` (output length ⌊L·factor⌋), as ``torch.nn.functional.interpolate``.

    ``mode`` is 'nearest' (PyTorch's rule, input position ⌊j·L/out⌋), 'nearest-exact' (⌊(j + ½)·L/out⌋),
    'linear' (3-d input), 'bilinear' (4-d input) or 'trilinear' (5-d input). ``align_corners`` (linear modes only, False by
    default) maps the corner pixels' centres onto each other instead of the pixel areas. When a
    scale factor is given, its 1/factor places the samples, unless ``recompute_scale_factor`` asks
    for in/out instead (PyTorch's distinction; it matters for factors that do not divide).
    """
    op = "interpolate"
    x = operand(input)
    X = np.asarray(x.data)
    if mode not in MODES:
        raise ConfigError(f"{op}: mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
    if antialias:
        raise ConfigError(f"{op}: antialias=True is not supported by deltaprop; leave it False")
    linear = MODES[mode] is not None
    if align_corners is not None and not linear:
        raise ConfigError(f"{op}: align_corners can only be set with the interpolating modes (linear, bilinear, "
                          f"trilinear), got align_corners={align_corners!r} with mode={mode!r}")
    if X.ndim not in (3, 4, 5):
        raise ShapeError(f"{op}: expected input of shape (N, C, L), (N, C, H, W) or (N, C, D, H, W), got shape {X.shape}")
    n = X.ndim - 2
    if linear and MODES[mode] != n:
        raise ShapeError(f"{op}: mode={mode!r} needs input of shape {_LAYOUT[MODES[mode]]}, got shape {X.shape}")
    if min(X.shape[2:]) < 1:
        raise ShapeError(f"{op}: the input's spatial axes must not be empty, got shape {X.shape}")
    sizes, scales = _sizes(op, n, X.shape, size, scale_factor, recompute_scale_factor)
    out = x
    if not linear:
        for axis in reversed(range(2, X.ndim)):
            in_size, out_size, scale = X.shape[axis], sizes[axis - 2], scales[axis - 2]
            if out_size != in_size:  # an axis that keeps its size is copied, as in linear (see _linear_source)
                out = _along_axis(out, axis, _nearest_source(in_size, out_size, scale, mode == "nearest-exact"))
        return out if out is not x else _along_axis(x, 2, np.arange(X.shape[2]))  # a new tensor, as PyTorch's
    if X.dtype.kind != "f":
        out = x = operand(X.astype(np.float32))
    # Along W first, then H (then D): h0·(w0·x00 + w1·x01) + h1·(w0·x10 + w1·x11), PyTorch's order of terms.
    for axis in reversed(range(2, X.ndim)):
        i0, i1, w0, w1 = _linear_source(X.shape[axis], sizes[axis - 2], scales[axis - 2], bool(align_corners), x.data.dtype)
        out = _along_axis(out, axis, i0, w0, i1, w1)
    return out


def pixel_shuffle(input, upscale_factor: int):
    """(*, C·r², H, W) to (*, C, H·r, W·r): each group of r² channels becomes an r x r block of pixels,
    channel c·r² + i·r + j landing at row offset i, column offset j (a sub-pixel convolution's last step)."""
    op = "pixel_shuffle"
    r = _factor(op, "upscale_factor", upscale_factor)
    x = operand(input)
    shape = np.shape(x.data)
    if len(shape) < 3 or shape[-3] % (r * r):
        raise ShapeError(f"{op}: expected input of shape (*, C·{r * r}, H, W) (channels divisible by "
                         f"upscale_factor² = {r * r}), got shape {shape}")
    lead, (C, H, W) = shape[:-3], shape[-3:]
    k = len(lead)
    blocks = reshape(x, (*lead, C // (r * r), r, r, H, W))
    moved = permute(blocks, (*range(k), k, k + 3, k + 1, k + 4, k + 2))
    return reshape(moved, (*lead, C // (r * r), H * r, W * r))


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H·r, W·r) to (*, C·r², H, W): the inverse of :func:`pixel_shuffle`."""
    op = "pixel_unshuffle"
    r = _factor(op, "downscale_factor", downscale_factor)
    x = operand(input)
    shape = np.shape(x.data)
    if len(shape) < 3 or shape[-2] % r or shape[-1] % r:
        raise ShapeError(f"{op}: expected input of shape (*, C, H·{r}, W·{r}) (height and width divisible by "
                         f"downscale_factor = {r}), got shape {shape}")
    lead, (C, H, W) = shape[:-3], shape[-3:]
    k = len(lead)
    blocks = reshape(x, (*lead, C, H // r, r, W // r, r))
    moved = permute(blocks, (*range(k), k, k + 2, k + 4, k + 1, k + 3))
    return reshape(moved, (*lead, C * r * r, H // r, W // r))


def _factor(op: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{op}: {name} must be a positive integer, got {value!r}")
    return int(value)
