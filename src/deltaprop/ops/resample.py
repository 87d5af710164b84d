"""Resampling feature maps: interpolation to a new size, and pixel (un)shuffling.

Interpolation is separable: along each spatial axis, output position j reads one input position
(nearest) or two, i0 and i1, mixed as λ0·x[i0] + λ1·x[i1] (linear); bilinear is linear along W,
then along H; trilinear along W, H, then D. So one primitive, :func:`_along_axis`, does all of it, and its gradient sends g·λ back
to the positions it came from. With ``antialias=True`` an output pixel reads as many input pixels as
the widened filter covers (PIL's resampling), so each axis is a banded weight matrix instead, applied
in BLAS products by :func:`_by_matrix`, whose gradient is the transposed matrix applied to g. Plain
bicubic (four input positions per output, Keys' cubic) takes the same banded matrices. The positions
and weights follow PyTorch's CPU kernels exactly (``UpSample.h``), including the arithmetic they are
computed in: nearest in float32 whatever the input, linear and bicubic in the input's own precision.

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
linear. Plain bicubic by banded matrices, (8, 3, 112, 112) to 224 x 224 in float32, one thread: forward
and backward 6.4 ms against PyTorch's 38.8 (27 of them in its backward), the forward alone 3.3
against 11.6 (medians of 21 alternating runs, wall time, 2026-11-24).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from . import _memory
from ._core import operand, record
from ._sorted_scatter import add_onto
from .shape import permute, reshape

# The modes and the number of spatial axes each takes (None: any)
MODES = {"nearest": None, "nearest-exact": None, "linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
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


def _pixel_ratio(in_size: int, out_size: int, scale, align_corners: bool, t):
    """Input pixels per output pixel along one axis, in the float type ``t`` (PyTorch's
    ``area_pixel_compute_scale``): (in − 1)/(out − 1) with align_corners (0 for one output), else
    1/scale_factor where one was given, else in/out."""
    if align_corners:
        return t(in_size - 1) / t(out_size - 1) if out_size > 1 else t(0)
    return t(1.0 / scale) if scale is not None and scale > 0 else t(in_size) / t(out_size)


def _linear_source(in_size: int, out_size: int, scale, align_corners: bool, dtype):
    """(i0, i1, λ0, λ1) along one axis, PyTorch's way (``compute_source_index_and_lambda``).

    align_corners: source = j·(in − 1)/(out − 1), the corner pixels' centres meet. Otherwise
    source = (j + ½)·s − ½ with s as in :func:`_nearest_source` (one rounding, :func:`_fused_source`),
    clamped at 0: pixel areas meet.
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
    ratio = _pixel_ratio(in_size, out_size, scale, align_corners, t)
    # (j + ½)·s − ½ rounded once, as PyTorch's forward and backward kernels both compute it: rounded
    # twice, as NumPy would, a float32 position past 1,000 pixels moves by an ulp, and the outputs of
    # an upsampling 1500 -> 3001 by up to 2e-4 (the input gradient by 8e-5); now by an ulp or two
    source = ratio * j if align_corners else np.maximum(_fused_source(ratio, j + t(0.5)), t(0))
    i0 = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    lambda1 = np.clip(source - i0.astype(dtype), t(0), t(1))
    i1 = i0 + (i0 < in_size - 1)
    lambda0 = t(1) - lambda1
    return i0, i1, lambda0.astype(given, copy=False), lambda1.astype(given, copy=False)


# -- antialias=True: PIL's filters, widened when downscaling, applied as banded matrices -------------


def _triangle(x):
    return np.maximum(1 - np.abs(x), 0)


def _cubic(x):
    """Keys' cubic convolution kernel with a = −0.5 (PIL's, and PyTorch's antialiased bicubic; its plain
    bicubic takes a = −0.75: :func:`cubic_taps`)."""
    a, x = -0.5, np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0))


def _lanczos(x):
    """Lanczos-3: sinc(x)·sinc(x/3) on |x| < 3."""
    return np.where(np.abs(x) < 3, np.sinc(x) * np.sinc(x / 3), 0)


# Half the width of each filter, in input pixels, and the filter.
ANTIALIAS_FILTERS = {"bilinear": (1, _triangle), "bicubic": (2, _cubic), "lanczos": (3, _lanczos)}

# The columns one block of a banded matrix spans at most: _BLOCK_COLUMNS, or _BLOCK_ROWS_WIDE rows'
# width where the rows are wider. Wide enough for BLAS to run at speed, narrow enough that the zeros it
# multiplies stay few.
_BLOCK_COLUMNS = 32
_BLOCK_ROWS_WIDE = 3


class _BandedMatrix:
    """A (rows x columns) matrix whose non-zeros lie along a band: row i holds ``weights[i, k]`` at
    column first[i] + k, for the columns before stop[i]; first and stop never decrease from one row to
    the next (each output pixel reads a window of input pixels that moves along with it).

    It is applied by dense blocks of consecutive rows, each with the columns its rows read, so that the
    cost is about the band's width per row where the dense matrix would cost all its columns (an
    upscale of 1024 to 2048 reads 2 inputs per output, not 1024), and the products run in BLAS.
    """

    __slots__ = ("shape", "weights", "first", "stop", "blocks")

    def __init__(self, weights: np.ndarray, first: np.ndarray, stop: np.ndarray, columns: int) -> None:
        self.shape, self.weights, self.first, self.stop = (len(first), columns), weights, first, stop
        self.blocks = self._blocks()

    def _blocks(self) -> list:
        """(row slice, column slice, dense block): rows grouped greedily, from the first to the last, into
        blocks of at most ``_BLOCK_COLUMNS`` columns (more where one row's own window is wider)."""
        (rows, _), (_, taps), first, stop = self.shape, self.weights.shape, self.first, self.stop
        span = max(_BLOCK_COLUMNS, _BLOCK_ROWS_WIDE * taps)
        blocks, start = [], 0
        while start < rows:
            end = max(start + 1, int(np.searchsorted(stop, first[start] + span, side="right")))
            low, high = int(first[start]), int(stop[end - 1])
            block = np.zeros((end - start, high - low), self.weights.dtype)
            offsets = first[start:end, None] - low + np.arange(taps)
            inside = offsets < (stop[start:end, None] - low)
            block[np.nonzero(inside)[0], offsets[inside]] = self.weights[start:end][inside]
            blocks.append((slice(start, end), slice(low, high), block))
            start = end
        return blocks

    @property
    def T(self) -> "_BandedMatrix":
        """The transpose, banded as well: column c is read by the rows from the first whose window ends
        after c to the last whose window starts at or before c (none, for a column no row reads)."""
        rows, columns = self.shape
        c = np.arange(columns)
        first = np.searchsorted(self.stop, c, side="right")
        stop = np.maximum(np.searchsorted(self.first, c, side="right"), first)
        row = first[:, None] + np.arange(max(int((stop - first).max()), 1))
        inside = row < stop[:, None]
        row = np.minimum(row, rows - 1)
        tap = np.clip(c[:, None] - self.first[row], 0, self.weights.shape[1] - 1)  # where column c is in that row
        weights = np.where(inside, self.weights[row, tap], 0).astype(self.weights.dtype, copy=False)
        return _BandedMatrix(weights, first, stop, rows)

    def along(self, V: np.ndarray, axis: int) -> np.ndarray:
        """The matrix applied along ``axis`` of ``V``: out[..., i, ...] = Σ_j M[i, j]·V[..., j, ...], each
        block's product written into its rows of the output."""
        shape = V.shape
        lead, trail = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
        V = V.reshape(lead, shape[axis], trail)
        out = _memory.empty((lead, self.shape[0], trail), V.dtype)
        for rows, columns, block in self.blocks:
            if trail == 1:  # the last axis: one product (lead x columns) @ blockᵀ
                np.matmul(V[:, columns, 0], block.T, out=out[:, rows, 0])
            else:  # block @ V[b] for each leading b
                np.matmul(block, V[:, columns], out=out[:, rows])
        return out.reshape(*shape[:axis], self.shape[0], *shape[axis + 1:])


def _antialias_weights(in_size: int, out_size: int, scale, align_corners: bool, mode: str, dtype) -> _BandedMatrix:
    """The (out x in) weights of antialiased resampling along one axis, PIL's way (PyTorch's ``_aa`` kernels).

    Output pixel j is centred at c = (j + ½)·r in input pixel units, r = :func:`_pixel_ratio` (so
    align_corners changes r alone, as in PyTorch: the centres are not moved onto the corners).
    Downscaling (r > 1) widens the filter r times: input pixel i gets f((i + ½ − c)/r); upscaling keeps
    it, f(i + ½ − c). Pixels within the filter's support (half-width·max(r, 1) of c) are read, their
    weights divided by their sum, which also renormalises the pixels a border cuts off. The centres are
    computed in the input's float precision, as PyTorch's are, whose float32 positions are off by up to
    1e-4 of a pixel at a few thousand pixels; float16 in float32. The matrix holds ``dtype``.
    """
    given, dtype = dtype, np.promote_types(dtype, np.float32)
    t = dtype.type
    half, kernel = ANTIALIAS_FILTERS[mode]
    ratio = _pixel_ratio(in_size, out_size, scale, align_corners, t)
    stretch = max(ratio, t(1))
    centre = ratio * (np.arange(out_size, dtype=dtype) + t(0.5))
    support = t(half) * stretch
    first = np.maximum((centre - support + t(0.5)).astype(np.int64), 0)  # truncated as C's int cast
    stop = np.minimum((centre + support + t(0.5)).astype(np.int64), in_size)
    read = first[:, None] + np.arange(max(int((stop - first).max()), 1))
    inside = read < stop[:, None]
    weights = np.where(inside, kernel((read - centre[:, None] + t(0.5)) * (t(1) / stretch)), t(0)).astype(dtype)
    total = weights.sum(axis=1, keepdims=True)
    weights /= np.where(total != 0, total, t(1))
    return _BandedMatrix(weights.astype(given, copy=False), first, stop, in_size)


# -- plain bicubic: four input pixels per output pixel, as banded matrices too ------------------------


def cubic_taps(t, a: float = -0.75) -> list:
    """The weights of the four pixels i − 1, i, i + 1, i + 2 around a point a fraction ``t`` (in [0, 1])
    past pixel i: Keys' cubic convolution kernel, a = −0.75 as in PyTorch's plain bicubic (and
    grid_sample's), at their distances t + 1, t, 1 − t, 2 − t. ``t`` may be an array or a tensor (its
    arithmetic alone is used, so a tensor's weights carry its gradient)."""
    def near(d):  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):  # 1 <= |d| <= 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _fused_source(ratio, centres: np.ndarray) -> np.ndarray:
    """ratio·centres − ½ rounded once, as PyTorch's compiled CPU forward computes a source position (one
    fused multiply-add): rounding the product first, as NumPy does, moves a float32 position by up to an
    ulp (1.2e-4 of a pixel past 1024), and an output value by as much times its slope. A float32 product
    is exact in float64, so float32 positions are computed there and rounded once; float64 ones differ
    by an ulp of a float64 at most either way."""
    if centres.dtype == np.float64:
        return ratio * centres - 0.5
    return (np.float64(ratio) * centres.astype(np.float64) - 0.5).astype(centres.dtype)


def _bicubic_weights(in_size: int, out_size: int, scale, align_corners: bool, dtype) -> _BandedMatrix:
    """The (out x in) weights of plain bicubic resampling along one axis, PyTorch's way
    (``upsample_bicubic2d``).

    Output pixel j reads from source = j·r (align_corners) or (j + ½)·r − ½, r = :func:`_pixel_ratio`,
    not clamped at 0 as linear's is: with i = ⌊source⌋ (at most in − 1) and t = source − i (within
    [0, 1]), the four pixels i − 1 .. i + 2 get Keys' kernel (a = −0.75) at their distances t + 1, t,
    1 − t, 2 − t. Pixels beyond a border are the border pixel (the index clamped), whose weights then
    add up. The weights are a partition of unity that may be negative, so the output can overshoot the
    input's range, as PyTorch's does. Positions in the input's precision (float16 in float32) and rounded
    as PyTorch's are (:func:`_fused_source`); the matrix holds ``dtype``.
    """
    given, dtype = dtype, np.promote_types(dtype, np.float32)
    t = dtype.type
    ratio = _pixel_ratio(in_size, out_size, scale, align_corners, t)
    j = np.arange(out_size, dtype=dtype)
    source = ratio * j if align_corners else _fused_source(ratio, j + t(0.5))
    i = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    fraction = np.clip(source - i.astype(dtype), t(0), t(1))
    taps = np.clip(i[:, None] + np.arange(-1, 3), 0, in_size - 1)
    first, stop = taps[:, 0], taps[:, -1] + 1
    weights = np.zeros((out_size, 4), dtype)
    np.add.at(weights, (np.arange(out_size)[:, None], taps - first[:, None]), np.stack(cubic_taps(fraction), axis=1))
    return _BandedMatrix(weights.astype(given, copy=False), first, stop, in_size)


# -- both: banded matrices applied along H and W ------------------------------------------------------


def _by_matrix(x, axis: int, matrix: _BandedMatrix):
    """x resampled along ``axis`` by ``matrix`` (out x in); being linear, its gradient is the transposed
    matrix applied to g along the same axis."""
    out = matrix.along(x.data, axis)

    def backward(g):
        return (matrix.T.along(g, axis),)

    return record(out, (x,), backward, "interpolate")


def _by_matrices(x, sizes: tuple, weights):
    """An (N, C, H, W) tensor resampled to ``sizes`` by the banded matrix ``weights(axis)`` makes along each
    axis (None: the axis is left as it is): along H first where H shrinks, else along W first (a product
    along the last axis costs more per element, so it gets the smaller array; PyTorch's order, W first,
    differs by roundings only)."""
    out = x
    for axis in ((2, 3) if sizes[0] < x.shape[2] else (3, 2)):
        matrix = weights(axis)
        if matrix is not None:
            out = _by_matrix(out, axis, matrix)
    return out if out is not x else _along_axis(x, 2, np.arange(x.shape[2]))  # a new tensor, as PyTorch's


def _antialiased(x, sizes: tuple, scales: tuple, mode: str, align_corners: bool):
    """``interpolate(..., antialias=True)`` of an (N, C, H, W) tensor, by :func:`_antialias_weights`. An
    axis that keeps its size is copied, as PyTorch does."""
    def weights(axis):
        in_size, out_size = x.shape[axis], sizes[axis - 2]
        if out_size != in_size:
            return _antialias_weights(in_size, out_size, scales[axis - 2], align_corners, mode, x.data.dtype)
        return None

    return _by_matrices(x, sizes, weights)


def _bicubic(x, sizes: tuple, scales: tuple, align_corners: bool):
    """``interpolate(..., mode='bicubic')`` of an (N, C, H, W) tensor, by :func:`_bicubic_weights`. Unlike
    the other modes, an axis that keeps its size is resampled too where a scale factor moves its samples
    (5 x 1.1 reads by 1/1.1), as PyTorch does; elsewhere (no scale factor, or align_corners) its
    weights would be the identity, and it is left as it is."""
    def weights(axis):
        in_size, out_size, scale = x.shape[axis], sizes[axis - 2], scales[axis - 2]
        if out_size != in_size or (scale is not None and not align_corners):
            return _bicubic_weights(in_size, out_size, scale, align_corners, x.data.dtype)
        return None

    return _by_matrices(x, sizes, weights)


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
    'linear' (3-d input), 'bilinear' or 'bicubic' (4-d input; Keys' cubic with a = −0.75 on the 4 x 4
    nearest pixels, whose values it may overshoot, see :func:`_bicubic_weights`) or 'trilinear' (5-d
    input). ``align_corners`` (interpolating modes only, False by default) maps the corner pixels'
    centres onto each other instead of the pixel areas. When a scale factor is given, its 1/factor
    places the samples, unless ``recompute_scale_factor`` asks for in/out instead (PyTorch's
    distinction; it matters for factors that do not divide).

    ``antialias=True`` (4-d input; 'bilinear', 'bicubic' or 'lanczos', the last with it only) filters
    as PIL and PyTorch do: when downscaling, the triangle, cubic (a = −0.5) or Lanczos-3 filter is widened
    by the factor, so that every input pixel counts; when upscaling it is the plain filter (the same
    values as 'bilinear' without it, with align_corners False). See :func:`_antialias_weights`.
    """
    op = "interpolate"
    x = operand(input)
    X = np.asarray(x.data)
    if mode not in MODES and mode not in ANTIALIAS_FILTERS:
        raise ConfigError(f"{op}: mode must be one of {', '.join(map(repr, MODES))}, or 'lanczos' with "
                          f"antialias=True, got {mode!r}")
    if mode == "lanczos" and align_corners:
        raise ConfigError(f"{op}: mode='lanczos' does not take align_corners=True (nor does PyTorch's)")
    interpolating = mode in ANTIALIAS_FILTERS or MODES[mode] is not None
    if align_corners is not None and not interpolating:
        raise ConfigError(f"{op}: align_corners can only be set with the interpolating modes (linear, bilinear, "
                          f"bicubic, trilinear; lanczos with antialias=True), got align_corners={align_corners!r} "
                          f"with mode={mode!r}")
    if antialias and (mode not in ANTIALIAS_FILTERS or X.ndim != 4):
        raise ConfigError(f"{op}: antialias=True takes mode 'bilinear', 'bicubic' or 'lanczos' and input of shape "
                          f"(N, C, H, W), got mode={mode!r} and shape {X.shape}")
    if not antialias and mode == "lanczos":
        raise ConfigError(f"{op}: mode='lanczos' needs antialias=True, as in PyTorch")
    if X.ndim not in (3, 4, 5):
        raise ShapeError(f"{op}: expected input of shape (N, C, L), (N, C, H, W) or (N, C, D, H, W), got shape {X.shape}")
    n = X.ndim - 2
    if mode in MODES and MODES[mode] not in (None, n):
        raise ShapeError(f"{op}: mode={mode!r} needs input of shape {_LAYOUT[MODES[mode]]}, got shape {X.shape}")
    if min(X.shape[2:]) < 1:
        raise ShapeError(f"{op}: the input's spatial axes must not be empty, got shape {X.shape}")
    sizes, scales = _sizes(op, n, X.shape, size, scale_factor, recompute_scale_factor)
    out = x
    if not interpolating:
        for axis in reversed(range(2, X.ndim)):
            in_size, out_size, scale = X.shape[axis], sizes[axis - 2], scales[axis - 2]
            if out_size != in_size:  # an axis that keeps its size is copied, as in linear (see _linear_source)
                out = _along_axis(out, axis, _nearest_source(in_size, out_size, scale, mode == "nearest-exact"))
        return out if out is not x else _along_axis(x, 2, np.arange(X.shape[2]))  # a new tensor, as PyTorch's
    if X.dtype.kind != "f":
        out = x = operand(X.astype(np.float32))
    if antialias:
        return _antialiased(x, sizes, scales, mode, bool(align_corners))
    if mode == "bicubic":
        return _bicubic(x, sizes, scales, bool(align_corners))
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
