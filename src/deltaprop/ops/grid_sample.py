"""``grid_sample``'s bilinear and nearest modes as one primitive: gathers from a flat view, the
gradient of the input by ``np.bincount``, the grid's from the values the forward gathered.

:mod:`deltaprop.nn.functional.sampling` had composed the sampler of gathers and products (the
composition stays there, as the restatement that second derivatives differentiate, and as the
bicubic mode). Composed, a (8, 3, 64, 64) input sampled at a (8, 64, 64, 2) grid in float32 took
5.0 ms forward and 13.2 ms with the backward (PyTorch: 0.19 and 0.80; one thread, CPU time), a third
of it in ``np.add.at`` and most of the rest in building (N, C, Hₒ, Wₒ) index arrays four times over
and in twenty-odd recorded operations; as one primitive, 0.68 and 2.25 ms (benchmarks/README.md). Here:

* **Positions** as PyTorch's CPU kernel computes them (``GridSamplerKernel.cpp``): unnormalised as
  (g + 1)·(size − 1)/2 or (g + 1)·size/2 − ½, the latter rounded once (:func:`fused_multiply_add`:
  rounded twice, an identity grid's point fell an ulp short of its pixel's centre, was floored to the
  pixel before and got the slope of the other side), reflected by |x − low| minus whole double spans,
  clipped with NaN read as 0; each with the slope dx/dg that the grid's gradient needs, which is 0
  where the clipping holds the position, *the edges themselves included* (PyTorch's choice; the
  composition's clip had passed the gradient at x = 0 and x = size − 1, where a border-padded
  identity grid puts its edge points).
* **Padding by zeros, once.** The input is copied into a frame two pixels wider on every side, and
  every corner position clamped into that frame, so that a corner outside the image reads an
  exact zero (as PyTorch's masked gather does, where the composition had multiplied the first
  pixel by a zero weight: ∞·0 = NaN) with no mask at all; the four corners are then one index
  array (the north-west corner's flat position, batch and channel offsets included) read through
  views of the flat frame shifted by 0, 1, W + 4 and W + 5.
* **The input's gradient** is the transpose of those gathers: ``np.bincount`` of the same index
  array, once per corner, weighted by g·weight (rounded in the input's dtype, as PyTorch rounds it;
  bincount adds in float64, 7x faster than ``np.add.at``'s unbuffered loop here), the corner's shift
  applied to the counts, over blocks of planes small enough that the counts do not page-fault
  (:data:`_BLOCK_BYTES`). (The products made in float64 instead cost 0.3 of 1.8 ms more.)
* **The grid's gradient**, PyTorch's formula: Σ_c g·((v_ne − v_nw)·s + (v_se − v_sw)·n) along x,
  Σ_c g·((v_sw − v_nw)·e + (v_se − v_ne)·w) along y (n, s, w, e the distances to the four sides),
  summed over the channels in order as PyTorch does, times dx/dg; the gathered values are kept for
  it only when the grid needs a gradient.

Nearest reads one corner (the position rounded half to even) and gives the grid no gradient: the
grid is no parent of its node, as in the composition before (PyTorch's gradient there is zeros).
"""

from __future__ import annotations

import numpy as np

from . import _memory
from ._core import record

#: zero pixels framed around the input: a corner position clamped to −2 .. size is then always
#: inside the frame, and one clamped to −2 (or size) reads zeros with its neighbour
_FRAME = 2


def source_positions(g: np.ndarray, size: int, padding_mode: str, align_corners: bool, slope: bool):
    """The pixel positions the normalised coordinates ``g`` read along an axis of ``size`` pixels,
    PyTorch's way, and (``slope``) their derivative dx/dg, else None."""
    t = g.dtype.type
    if align_corners:
        scale = t((size - 1) / 2)
        x = g + t(1)
        x *= scale
    else:
        scale = t(size / 2)
        x = fused_multiply_add(g + t(1), scale, -0.5)
    dx = np.full(g.shape, scale, g.dtype) if slope else None
    if padding_mode == "zeros":
        return x, dx
    if padding_mode == "reflection":
        x, flip = _reflected(x, size, align_corners, slope)
        if slope:
            dx *= flip
    top = t(size - 1)
    if slope:  # strictly inside: the edges count as clipped (PyTorch's clip_coordinates_get_grad)
        dx *= (x > 0) & (x < top)
    np.clip(x, t(0), top, out=x)
    x[np.isnan(x)] = 0  # a NaN position reads the first pixel, as PyTorch's clamp makes it
    return x, dx


def fused_multiply_add(a: np.ndarray, b: float, c: float) -> np.ndarray:
    """a·b + c rounded once, as PyTorch's compiled CPU kernels compute it (the compiler fuses the
    multiply and the add): the product is computed exactly in a wider type (float64 for float32,
    the x87 long double for float64 when b, a size / 2, has at most 11 significant bits), the sum
    rounded there and then to a's dtype (off from one rounding in rare ties only). Rounding the
    product first, as NumPy does, moves a float32 position by up to an ulp (1.2e-4 of a pixel past
    1024), which can move it across a pixel's edge (an identity grid's points sit on pixel centres)."""
    numerator = abs(float(b)).as_integer_ratio()[0]
    b_bits = (numerator >> ((numerator & -numerator).bit_length() - 1)).bit_length() if numerator else 0
    for wide in (np.dtype(np.float64), np.dtype(np.longdouble)):
        if wide.itemsize > a.dtype.itemsize and np.finfo(a.dtype).nmant + 1 + b_bits <= np.finfo(wide).nmant + 1:
            out = np.multiply(a, wide.type(b), dtype=wide)
            out += wide.type(c)
            return out.astype(a.dtype)
    return a * a.dtype.type(b) + a.dtype.type(c)  # (no type wide enough here: an ulp off at times)


def _reflected(x: np.ndarray, size: int, align_corners: bool, slope: bool):
    """x reflected into [low, low + span] (low 0 and span size − 1 with align_corners, else −½ and
    size): |x − low| less its whole double spans, mirrored once more where that leaves more than a
    span; and the sign of dx (−1 where the reflections turn the axis around), or None."""
    t = x.dtype.type
    if align_corners and size <= 1:  # nothing to reflect in: every point at 0, with no slope
        return np.zeros_like(x), (np.zeros_like(x) if slope else None)
    low = t(0) if align_corners else t(-0.5)
    twice_span = t(2 * (size - 1)) if align_corners else t(2 * size)
    shifted = x - low
    extra = np.abs(shifted)
    extra -= np.trunc(extra / twice_span) * twice_span
    mirrored = twice_span - extra
    once_more = extra > mirrored
    reflected = np.where(once_more, mirrored, extra) + low
    if not slope:
        return reflected, None
    flip = np.where(once_more ^ (shifted < 0), t(-1), t(1))
    return reflected, flip


def _framed(X: np.ndarray) -> np.ndarray:
    """X (N, C, H, W) inside a frame of ``_FRAME`` zero pixels on every side."""
    n, c, h, w = X.shape
    out = _memory.zeros((n, c, h + 2 * _FRAME, w + 2 * _FRAME), X.dtype)  # (zeroing the frame alone,
    out[:, :, _FRAME:-_FRAME, _FRAME:-_FRAME] = X                          # row by row, was slower)
    return out


def _flat_positions(shape, columns: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The positions in the flat frame of pixel (row, column) of every channel: (N, C, P) from the
    integer-valued (float) ``rows`` and ``columns`` (N, P), each clamped into the frame first (a
    NaN to its first pixel), so that positions far outside, and their neighbours, read zeros."""
    n, c, h, w = shape
    frame_w, frame_h = w + 2 * _FRAME, h + 2 * _FRAME

    def clamped(v, top):  # (an int32 cast: 6x faster than to int64; a frame of 2³¹ pixels is no image)
        v = np.clip(v, -_FRAME, top)
        v[np.isnan(v)] = -_FRAME
        return v.astype(np.int32)

    row = clamped(rows, h)
    row += _FRAME
    row *= frame_w
    row += clamped(columns, w)
    row += _FRAME
    planes = np.arange(0, n * c * frame_h * frame_w, frame_h * frame_w, dtype=np.intp).reshape(n, c, 1)
    # (the (N, C, P) sum of two int64 operands: twice as fast as with the int32 one)
    return np.add(row.astype(np.intp)[:, None, :], planes, out=_memory.empty((n, c, row.shape[1]), np.intp))


def _gathered(flat: np.ndarray, index: np.ndarray, shift: int, out=None) -> np.ndarray:
    """flat[index + shift], gathered through a shifted view (no index array made for the shift)
    into an array from the pool of ops/_memory.py (a fresh one page-faults as it is written);
    ``mode="clip"``: the indices are in range, and "raise" would gather into a buffer first."""
    if out is None:
        out = _memory.empty(index.shape, flat.dtype)
    return np.take(flat[shift:], index, mode="clip", out=out)


#: bytes of float64 terms that one np.bincount of the input's gradient adds up: its counts, and the
#: terms, stay small enough to be reused from the heap (a fresh block of a few hundred kilobytes for
#: each corner had page-faulted 700-900 times a backward, 2-3 ms of a (4, 16, 48, 48) one)
_BLOCK_BYTES = 1 << 17


def _scattered(index: np.ndarray, g: np.ndarray, weights, shifts, frame_shape, dtype) -> np.ndarray:
    """The frame (N, C, H + 4, W + 4) holding Σ over the corners of g·weight added at index + shift
    (``g`` and ``index`` (N, C, P), each weight (N, 1, P)): np.bincount (in float64) over blocks of
    whole planes, each block's counts shifted and added up, then rounded to ``dtype``."""
    n, c, points = g.shape
    plane = frame_shape[2] * frame_shape[3]
    out = _memory.empty(frame_shape, dtype)
    if n == 0 or c == 0:
        return out  # (an empty batch, or no channels: nothing to add up, and no block size to divide by)
    per_plane = max(points, 1) * 8
    # whole batch elements per block where a batch element's channels fit, else channels of one
    batch_step = max(1, _BLOCK_BYTES // (per_plane * c)) if per_plane * c <= _BLOCK_BYTES else 1
    channel_step = c if per_plane * c <= _BLOCK_BYTES else max(1, _BLOCK_BYTES // per_plane)
    for n0 in range(0, n, batch_step):
        n1 = min(n, n0 + batch_step)
        for c0 in range(0, c, channel_step):
            c1 = min(c, c0 + channel_step)
            size = (n1 - n0) * (c1 - c0) * plane
            local = index[n0:n1, c0:c1].reshape(-1) - (n0 * c + c0) * plane
            total = np.zeros(size, np.float64)
            for shift, weight in zip(shifts, weights):
                terms = np.multiply(g[n0:n1, c0:c1], weight[n0:n1])
                total[shift:] += np.bincount(local, weights=terms.reshape(-1), minlength=size - shift)
            out[n0:n1, c0:c1] = total.reshape(n1 - n0, c1 - c0, *frame_shape[2:])
    return out


def _inside(frame: np.ndarray) -> np.ndarray:
    """The image within a frame, as a C-ordered array from the pool."""
    inner = frame[:, :, _FRAME:-_FRAME, _FRAME:-_FRAME]
    out = _memory.empty(inner.shape, frame.dtype)
    np.copyto(out, inner)
    return out


def grid_sample_2d(x, grid, mode: str, padding_mode: str, align_corners: bool):
    """The bilinear or nearest sampling of ``x`` (N, C, H, W) at ``grid`` (N, Hₒ, Wₒ, 2), both
    tensors of one floating dtype, already checked: (N, C, Hₒ, Wₒ)."""
    X, G = x.data, grid.data
    n, c, h, w = X.shape
    out_shape = (n, c) + G.shape[1:3]
    points = G.shape[1] * G.shape[2]
    bilinear = mode == "bilinear"
    grid_learns = bilinear and grid.requires_grad
    gx, gy = (np.ascontiguousarray(G[..., k]).reshape(n, points) for k in (0, 1))  # (strided: 2x slower)
    px, slope_x = source_positions(gx, w, padding_mode, align_corners, grid_learns)
    py, slope_y = source_positions(gy, h, padding_mode, align_corners, grid_learns)
    framed = _framed(X)
    flat = framed.reshape(-1)
    frame_w = w + 2 * _FRAME

    if not bilinear:  # nearest: half-way points to the even pixel, as PyTorch's (and C's) rint
        index = _flat_positions(X.shape, np.rint(px), np.rint(py))
        out = _gathered(flat, index, 0)
        del framed, flat  # (the frame's block is free again for the backward)

        def backward(g):
            frame = _scattered(index, g.reshape(n, c, points), [np.ones((n, 1, points), g.dtype)], (0,),
                               (n, c, h + 2 * _FRAME, frame_w), g.dtype)
            return (_inside(frame),)

        node = record(out.reshape(out_shape), (x,), backward, "grid_sample")
        _keep_options(backward, grid, mode, padding_mode, align_corners)
        return node

    west, north = np.floor(px), np.floor(py)
    # PyTorch's names: w, e, n, s the distances to the west, east, north and south sides
    to_w, to_n = px - west, py - north
    to_e, to_s = 1 - to_w, 1 - to_n
    weights = (to_s * to_e, to_s * to_w, to_n * to_e, to_n * to_w)  # nw, ne, sw, se
    weights = tuple(wt[:, None, :] for wt in weights)
    index = _flat_positions(X.shape, west, north)
    shifts = (0, 1, frame_w, frame_w + 1)
    # out = v_nw·nw + v_ne·ne + v_sw·sw + v_se·se, in PyTorch's order; the values kept for the
    # grid's gradient only when it needs one, else each gathered into one buffer and multiplied there
    values = [_gathered(flat, index, shift) for shift in shifts] if grid_learns else None
    out = _memory.empty(index.shape, X.dtype)
    term = _memory.empty(index.shape, X.dtype)
    for k in range(4):
        into = out if k == 0 else term
        if grid_learns:
            np.multiply(values[k], weights[k], out=into)
        else:
            _gathered(flat, index, shifts[k], out=into)
            into *= weights[k]
        if k:
            out += term
    del term, framed, flat

    def backward(g):
        g = g.reshape(n, c, points)
        grad_x = grad_grid = None
        if x.requires_grad:
            frame = _scattered(index, g, weights, shifts, (n, c, h + 2 * _FRAME, frame_w), g.dtype)
            grad_x = _inside(frame)
            del frame
        if grid_learns:
            grad_grid = np.empty(G.shape, g.dtype)
            first, second = _memory.empty(g.shape, g.dtype), _memory.empty(g.shape, g.dtype)
            nw, ne, sw, se = values
            for axis, (a, b, c_, d, near, far) in enumerate(((ne, nw, se, sw, to_s, to_n),
                                                               (sw, nw, se, ne, to_e, to_w))):
                # Σ_c g·((a − b)·near + (c − d)·far): PyTorch's form of the bilinear surface's slope
                np.subtract(a, b, out=first)
                first *= near[:, None]
                np.subtract(c_, d, out=second)
                second *= far[:, None]
                first += second
                first *= g
                slope = first.sum(axis=1)  # the channels added in order, as PyTorch adds them
                slope *= slope_x if axis == 0 else slope_y
                grad_grid[..., axis] = slope.reshape(G.shape[:3])
        return grad_x, grad_grid

    node = record(out.reshape(out_shape), (x, grid), backward, "grid_sample")
    _keep_options(backward, grid, mode, padding_mode, align_corners)
    return node


def _keep_options(backward, grid, mode, padding_mode, align_corners) -> None:
    """The call's options, set on the rule for the differentiable rule to restate the sampling
    (``autograd.differentiable_spatial``); the grid too, which nearest's node does not list."""
    backward.grid = grid
    backward.mode, backward.padding_mode, backward.align_corners = mode, padding_mode, align_corners
