"""Sampling an image at arbitrary points: ``affine_grid`` and ``grid_sample``, the two halves of a
spatial transformer network.

``affine_grid(theta, size)`` maps every output pixel's normalised position (x, y, 1) through the
2 × 3 matrix ``theta`` to the point of the input it should show, in the [−1, 1] coordinates where −1
and 1 are the input's edges (``align_corners=False``: the outer edges of the edge pixels; ``True``:
their centres). ``grid_sample(input, grid)`` reads the input there, by bilinear interpolation
between the four pixels around the point, by bicubic interpolation over the 4 x 4 pixels around it,
or by the nearest pixel.

``affine_grid`` and bicubic ``grid_sample`` are composed of differentiable operations (a matrix
product; gathers weighted by the interpolation weights), so their gradients, and the second-order
ones, are those of the operations: the input gets each output's gradient spread over the pixels it
read, weighted as it was read; the grid gets the slope of the bilinear or bicubic surface (the pixel
positions themselves, floored, carry none, as in PyTorch). Bilinear and nearest sampling, which
spatial transformers call at every step, are one primitive (ops/grid_sample.py) with the same
gradients computed in NumPy, 4-7x faster; :func:`_sampled`'s composition is what their second
derivatives differentiate. Nearest sampling gives the grid no gradient (PyTorch: zeros).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import ops
from ...errors import ConfigError, ShapeError
from ...ops.grid_sample import fused_multiply_add, grid_sample_2d
from ...ops.resample import cubic_taps
from ...tensor import Tensor

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")
_ALIGN_CORNERS_WARNING = (
    "align_corners was not given, so it is False: the corner pixels' centres lie half a pixel inside the grid's "
    "extremes -1 and 1 (PyTorch's default since its version 1.3.0); give align_corners=True to put them on -1 and 1"
)


def _align_corners(align_corners):
    """PyTorch's default: None warns (as PyTorch warns) and means False."""
    if align_corners is None:
        warnings.warn(_ALIGN_CORNERS_WARNING, UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _positions(n: int, align_corners: bool) -> np.ndarray:
    """The normalised centres of ``n`` pixels: −1 .. 1 through the edge pixels' centres (align_corners)
    or scaled by (n − 1)/n so that −1 and 1 are their outer edges; one pixel sits at 0."""
    if n <= 1:
        return np.zeros(n)
    centres = np.linspace(-1.0, 1.0, n)
    return centres if align_corners else centres * ((n - 1) / n)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, H, W, 2) of the affine maps ``theta`` (N, 2, 3) for an output of
    ``size`` (N, C, H, W), or (N, D, H, W, 3) of ``theta`` (N, 3, 4) for (N, C, D, H, W): each output
    position (x, y[, z], 1) times θᵀ. Differentiable in ``theta``."""
    op = "affine_grid"
    align_corners = _align_corners(align_corners)
    theta = ops._core.operand(theta)
    if not np.issubdtype(theta.data.dtype, np.floating):
        raise ConfigError(f"{op}: expected theta to have a floating point dtype, got {theta.data.dtype}")
    size = tuple(int(s) for s in size)
    spatial = size[2:]
    if len(size) not in (4, 5):
        raise ShapeError(f"{op}: size must have 4 (N, C, H, W) or 5 (N, C, D, H, W) entries, got {size}")
    rows = len(spatial)
    if theta.ndim != 3 or theta.shape[1:] != (rows, rows + 1):
        raise ShapeError(
            f"{op}: expected theta of shape (N, {rows}, {rows + 1}) for size {size}, got {tuple(theta.shape)}")
    if min(size) <= 0:
        raise ShapeError(f"{op}: expected a positive output size, got {size}")
    if align_corners and min(spatial) == 1:  # PyTorch's warning: a one-pixel axis sits at 0, not at −1
        warnings.warn(f"{op}: with align_corners=True an axis of one pixel has no corners to align: its one point "
                      "is put at 0, the centre (as PyTorch puts it since its version 1.3.0); such a grid is no "
                      "intended use of affine_grid", UserWarning, stacklevel=2)
    if theta.shape[0] != size[0]:
        raise ShapeError(f"{op}: theta holds {theta.shape[0]} matrices for a batch of {size[0]} in size {size}")
    # (x, y[, z]) run along the last, second-to-last [, third-to-last] axes, as PyTorch orders them
    axes = [_positions(n, align_corners) for n in reversed(spatial)]
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # each of shape `spatial`; x first
    base = np.stack(list(mesh) + [np.ones(spatial)], axis=-1).reshape(1, -1, rows + 1).astype(theta.data.dtype)
    grid = ops.matmul(Tensor(base, dtype=base.dtype), ops.swapaxes(theta, 1, 2))  # (Tensor() alone: float32)
    return ops.reshape(grid, (size[0],) + spatial + (rows,))


def _unnormalized(coordinate, n: int, align_corners: bool):
    """[−1, 1] to pixel units 0 .. n − 1: (g + 1)·(n − 1)/2, or (g + 1)·n/2 − ½ rounded once as PyTorch's
    kernels round it (ops.grid_sample.fused_multiply_add; twice, a point on a pixel's centre can fall an
    ulp short of it and be floored to the pixel before): the recorded value plus the difference, a
    constant of an ulp at most (0 where the point is not finite, which the difference would make NaN)."""
    if align_corners:
        return (coordinate + 1) * ((n - 1) / 2)
    shifted = coordinate + 1
    x = shifted * (n / 2) - 0.5
    with np.errstate(invalid="ignore"):
        difference = fused_multiply_add(shifted.data, n / 2, -0.5) - x.data
    difference[~np.isfinite(x.data)] = 0
    return x + Tensor(difference, dtype=difference.dtype)


def _reflected(x, twice_low: int, twice_high: int):
    """x folded back and forth into [low, high] (given doubled, to stay in integers), as PyTorch
    reflects: |x − low| taken modulo the span, mirrored on every odd pass."""
    if twice_low == twice_high:
        return x * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    x = ops.abs(x - low)
    extra = ops.fmod(x, span)
    even = np.floor(x.data / span) % 2 == 0
    return ops.where(Tensor(even), extra + low, (span - extra) + low)


def _source(coordinate, n: int, padding_mode: str, align_corners: bool):
    """The pixel position a normalised coordinate reads, after the padding mode's folding."""
    return _folded(_unnormalized(coordinate, n, align_corners), n, padding_mode, align_corners)


def _folded(x, n: int, padding_mode: str, align_corners: bool):
    """A pixel position x (a tensor) folded into the image by the padding mode: reflected ('reflection'),
    then clipped to 0 .. n − 1 ('border' and 'reflection'); left as it is for 'zeros'."""
    if padding_mode == "reflection":
        x = _reflected(x, 0, 2 * (n - 1)) if align_corners else _reflected(x, -1, 2 * n - 1)
    if padding_mode != "zeros":
        # clipped to 0 .. n − 1, the gradient passing strictly inside only: PyTorch counts the edges
        # themselves as clipped (ops.clip would pass it there too); a NaN (or an infinity that
        # reflection turned into one) reads the first pixel, as in PyTorch
        held = np.clip(x.data, 0, n - 1)
        held[np.isnan(held)] = 0
        x = ops.where(Tensor((x.data > 0) & (x.data < n - 1)), x, Tensor(held, dtype=held.dtype))
    return x


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """``input`` (N, C, H, W) read at the points of ``grid`` (N, Hₒ, Wₒ, 2), each an (x, y) in [−1, 1]:
    an output (N, C, Hₒ, Wₒ). ``mode`` 'bilinear', 'nearest' (half-way points to the even pixel) or
    'bicubic' (see :func:`_bicubic`); ``padding_mode`` what lies outside: 'zeros', the 'border' pixels,
    or the image's 'reflection'."""
    op = "grid_sample"
    if mode not in _MODES:
        raise ConfigError(f"{op}: mode must be 'bilinear', 'nearest' or 'bicubic', got {mode!r}")
    if padding_mode not in _PADDING_MODES:
        raise ConfigError(f"{op}: padding_mode must be 'zeros', 'border' or 'reflection', got {padding_mode!r}")
    align_corners = _align_corners(align_corners)
    input, grid = ops._core.operand(input), ops._core.operand(grid)
    if input.ndim == 5 and mode == "bicubic":
        raise ShapeError(f"{op}: mode='bicubic' takes 4-d input (N, C, H, W) only, as in PyTorch; got shape "
                         f"{tuple(input.shape)}")
    if input.ndim == 5:
        raise ShapeError(f"{op}: volumetric (5-d) input is not provided; expected input of shape (N, C, H, W)")
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2:
        raise ShapeError(f"{op}: expected input (N, C, H, W) and grid (N, H_out, W_out, 2), got shapes "
                         f"{tuple(input.shape)} and {tuple(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise ShapeError(
            f"{op}: input and grid must have the same batch size, got {input.shape[0]} and {grid.shape[0]}")
    if 0 in input.shape[2:]:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} has an empty spatial axis")
    for name, t in (("input", input), ("grid", grid)):
        if not np.issubdtype(t.data.dtype, np.floating):
            raise ConfigError(f"{op}: {name} must be floating-point, got {t.data.dtype}")
    if input.data.dtype != grid.data.dtype:
        raise ConfigError(
            f"{op}: input and grid must have the same dtype, got {input.data.dtype} and {grid.data.dtype}")
    # NaN and infinite points: NumPy would warn where they are floored, cast and subtracted; they read
    # zeros (or, folded by a padding mode, the first pixel) as PyTorch's do, or give NaN where PyTorch's do
    with np.errstate(invalid="ignore", over="ignore"):
        if mode == "bicubic":
            return _sampled(input, grid, mode, padding_mode, align_corners)
        # bilinear and nearest as one primitive; _sampled below is what its second derivatives differentiate
        return grid_sample_2d(input, grid, mode, padding_mode, align_corners)


def _sampled(input, grid, mode, padding_mode, align_corners):
    n, c, h, w = input.shape
    pixels = ops.reshape(input, (n, c, h * w))

    def read(row: np.ndarray, column: np.ndarray):
        """The input at integer positions (N, ...), the rows and columns broadcast together: its values
        (N, C, ...), and (N, 1, ...) where they lie inside it (zeros elsewhere)."""
        inside = (column >= 0) & (column < w) & (row >= 0) & (row < h)
        flat = np.where(inside, row * w + column, 0).astype(np.int64).reshape(n, 1, math.prod(inside.shape[1:]))
        values = ops.gather(pixels, 2, Tensor(np.broadcast_to(flat, (n, c, flat.shape[2]))))
        return ops.reshape(values, (n, c, *inside.shape[1:])), inside.astype(input.data.dtype)[:, None]

    if mode == "bicubic":
        return _bicubic(grid, h, w, padding_mode, align_corners, read)
    x = _source(grid[..., 0], w, padding_mode, align_corners)
    y = _source(grid[..., 1], h, padding_mode, align_corners)
    if mode == "nearest":
        values, inside = read(np.rint(y.data).astype(np.int64), np.rint(x.data).astype(np.int64))
        return values * Tensor(inside)
    x0, y0 = np.floor(x.data), np.floor(y.data)
    east, south = x - Tensor(x0), y - Tensor(y0)  # the weights of the far pixels; their slopes reach the grid
    west, north = 1 - east, 1 - south
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = None
    for row, column, weight in ((y0, x0, north * west), (y0, x0 + 1, north * east),
                                (y0 + 1, x0, south * west), (y0 + 1, x0 + 1, south * east)):
        values, inside = read(row, column)
        term = values * (ops.unsqueeze(weight, 1) * Tensor(inside))
        out = term if out is None else out + term
    return out


def _bicubic(grid, h: int, w: int, padding_mode: str, align_corners: bool, read):
    """'bicubic', as PyTorch's: the point at pixel position (i + s, j + t) (i, j integers, s, t in [0, 1))
    reads the 4 x 4 pixels i − 1 .. i + 2 across and j − 1 .. j + 2 down, weighted by Keys' cubic
    (a = −0.75) of their distances along each axis (:func:`~deltaprop.ops.resample.cubic_taps`). The
    point itself is not folded: the padding mode applies to each of its sixteen pixels, which outside
    the image read zero, the nearest border pixel, or their mirror image. The grid's gradient comes
    through the weights alone, as in PyTorch's (the positions of the pixels read carry none)."""
    x = _unnormalized(grid[..., 0], w, align_corners)
    y = _unnormalized(grid[..., 1], h, align_corners)
    x0, y0 = np.floor(x.data), np.floor(y.data)
    columns, rows = _taps(x0, w, padding_mode, align_corners), _taps(y0, h, padding_mode, align_corners)
    values, inside = read(rows[:, :, None], columns[:, None])  # (N, C, 4, 4, Hₒ, Wₒ), rows first
    # (N, 4, Hₒ, Wₒ); x0 kept in its own dtype (Tensor() would round float64 to float32)
    across = ops.stack(cubic_taps(x - Tensor(x0, dtype=x0.dtype)), 1)
    down = ops.stack(cubic_taps(y - Tensor(y0, dtype=y0.dtype)), 1)
    weights = ops.unsqueeze(ops.unsqueeze(down, 2) * ops.unsqueeze(across, 1), 1) * Tensor(inside)
    return ops.sum(values * weights, (2, 3))


def _taps(first: np.ndarray, n: int, padding_mode: str, align_corners: bool) -> np.ndarray:
    """The four pixel positions first − 1 .. first + 2 along an axis of ``n`` pixels, each folded by the
    padding mode: (N, 4, Hₒ, Wₒ) for ``first`` (N, Hₒ, Wₒ). Kept in floating point, as PyTorch folds them,
    so that a point far outside folds as its own does."""
    taps = (Tensor(first + k, dtype=first.dtype) for k in (-1, 0, 1, 2))
    return np.stack([_folded(tap, n, padding_mode, align_corners).data for tap in taps], axis=1)
