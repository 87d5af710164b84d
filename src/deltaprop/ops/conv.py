"""Convolution, pooling and normalization: the primitives of convolutional networks.

**Convolution as matrix products.** A convolution applies the same weights to every window of its
input. Copying each window into a column ("unfolding", im2col) turns the layer into a product of
the weight matrix W (out, in·k) with the column matrix (in·k, L·N), where k is the number of
kernel positions and L the number of output positions per sample:

* forward            a     = W · cols            (BLAS; no Python loop over positions)
* weight gradient    ∂E/∂W = δ · colsᵀ
* input gradient     ∂E/∂cols = Wᵀ · δ, then each column is added back onto the input positions it
  was copied from ("folding", col2im): a loop over the k kernel offsets, each adding one strided
  view at once, never a loop over output positions.

The columns are built a block of output rows at a time (about 4 MB), not whole: see
``_row_blocks``. The blocks, the gradient columns of the backward, and the large outputs and
gradients come from the pool of ops/_memory.py, which hands the same memory back step after step
instead of fresh pages (page faults had cost 20-30% of a step); the backward unfolds its blocks
again rather than keeping the forward's. (Folding the input gradient instead as a convolution of
the padded δ with the flipped kernel, which needs no col2im, was slower here: its product has only
in_channels rows and its unfolded δ is larger; about 6.5 against 5.5 ms on one thread for the
benchmark's second layer.)

**Batch-last layout.** The product comes out as (out_channels, *positions, N). Instead of copying it
to PyTorch's (N, C, ...) memory order, the result is that array with its axes permuted: a view, the
same values under the same shape, only the strides differ. NumPy's elementwise operations keep the
memory order of their operands, so ReLU, pooling and the next convolution all work on arrays whose
innermost axis is the batch. That makes every strided slice of the im2col/col2im and pooling loops
a run of N contiguous numbers (64 to 100 here) instead of a run of a few output columns (7 to 24),
and the gradient reshapes to (out, L·N) without a copy. Every rule accepts any memory order.
(Measured on the benchmark networks: unfolding 2.1 -> 0.8 ms, folding 3.3 -> 2.2 ms, 2x2 max
pooling 0.28 -> 0.13 ms; for the 1-d network, unfolding and folding 3x faster.)

**Pooling** reads the same strided views of the (padded) input, one per kernel offset, and combines
them with whole-array maxima or sums; **batch and layer normalization** are each one fused
primitive whose backward applies the closed-form gradient of x̂ = (x − μ)/σ instead of a graph of a
dozen small operations.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..errors import ConfigError, ShapeError
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor
from . import _memory
from ._core import operand, record

SPATIAL_AXES = {1: "L", 2: "H, W", 3: "D, H, W"}
KERNEL_AXES = {1: "k", 2: "kh, kw", 3: "kd, kh, kw"}


# -- geometry ----------------------------------------------------------------------------------


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
        if span < 0:
            extent = "x".join(str(d * (k - 1) + 1) for k, d in zip(kernel, dilation))
            raise ShapeError(
                f"{op}: the input's spatial size {'x'.join(map(str, shape))} plus padding is smaller than "
                f"the kernel's extent {extent}"
            )
        count = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (count - 1) * s >= size + lo:
            count -= 1  # the last window must start inside the input or its left padding
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


def _contiguous_run(a: np.ndarray) -> int:
    """How many numbers the innermost contiguous run of ``a`` holds: the product of its trailing
    axes that follow one another in memory."""
    run, step = 1, a.itemsize
    for size, stride in zip(reversed(a.shape), reversed(a.strides)):
        if size != 1 and stride != step:
            break
        run *= size
        step *= size
    return run


@contextlib.contextmanager
def _streamed(run: int):
    """A block of elementwise operations on strided operands whose contiguous runs hold ``run`` numbers.

    NumPy copies such operands through its ufunc buffer (8192 numbers) to lengthen its inner loops.
    For runs of a few hundred numbers and more, working on them where they lie was faster: the
    folding adds of the benchmark's second layer (runs of 1536) took 14 instead of 31 µs each. For
    shorter runs the buffer wins and is kept. ``np.errstate`` restores the buffer size on exit (it
    is per thread).
    """
    with np.errstate():
        if 256 <= run < np.getbufsize():
            np.setbufsize(run)
        yield


def _batched(op: str, n: int, X: np.ndarray, channels=None) -> bool:
    """Check an (N, C, *S) or unbatched (C, *S) input; True when it has the batch axis."""
    if X.ndim not in (n + 1, n + 2) or (channels is not None and X.shape[-n - 1] != channels):
        c = "C" if channels is None else channels
        raise ShapeError(f"{op}: expected input of shape (N, {c}, {SPATIAL_AXES[n]}) or ({c}, {SPATIAL_AXES[n]}), got shape {X.shape}")
    return X.ndim == n + 2


# -- convolution ---------------------------------------------------------------------------------


def _conv(op: str, n: int, input, weight, bias, stride, padding, dilation) -> Tensor:
    """The convolution of an (N, C, *S) input with an (O, C, *kernel) weight, for any n."""
    x, w = operand(input), operand(weight)
    W = w.data
    if np.ndim(W) != n + 2:
        raise ShapeError(f"{op}: weight must have shape (out_channels, in_channels, {KERNEL_AXES[n]}), got shape {np.shape(W)}")
    X = np.asarray(x.data)
    batched = _batched(op, n, X, W.shape[1])
    if not batched:
        X = X[None]
    if X.dtype != W.dtype and not x.requires_grad:
        X = X.astype(W.dtype)  # data arrives as float64 or integers; compute in the layer's dtype
    stride = int_tuple(stride, n, "stride", op, 1)
    dilation = int_tuple(dilation, n, "dilation", op, 1)
    kernel = W.shape[2:]
    pads = conv_padding(padding, kernel, stride, dilation, op)
    out_shape = _output_shape(op, X.shape[2:], kernel, stride, dilation, pads)
    N, C, O = X.shape[0], X.shape[1], W.shape[0]

    K, L = math.prod(kernel), math.prod(out_shape)
    parents = (x, w)
    if bias is not None:
        bias = operand(bias)
        if np.shape(bias.data) != (O,):
            raise ShapeError(f"{op}: bias must have shape ({O},), got shape {np.shape(bias.data)}")
        parents = (x, w, bias)
    CK = C * K

    # Unfold: a strided view (C, *kernel, *out, N) of the padded input, copied into the
    # (C·K, L·N) column matrix, one block of output rows at a time (see _row_blocks); the view
    # costs nothing, the copy is the only pass over the data.
    # The bias is a weight whose input is always 1 (as in the seeds): with a row of ones under
    # the columns and b beside W, the product adds it, and the weight gradient's last column is
    # the bias gradient, which saves two passes over the output.
    # A data input arrives as (N, C, ...) in C order: unfolded from a batch-last copy instead, each
    # window slice reads runs of N contiguous numbers (the benchmark's first layer: 0.15 -> 0.06 ms
    # per unfolding, the copy included).
    xp = _pad(X, pads, 0, batch_last=True)
    sn, sc, *ss = xp.strides
    windows = as_strided(
        xp,
        (C, *kernel, *out_shape, N),
        (sc, *(s * d for s, d in zip(ss, dilation)), *(s * t for s, t in zip(ss, stride)), sn),
        writeable=False,
    )
    dtype = np.result_type(X, W)
    rows = CK + (bias is not None)
    blocks, row_width = _row_blocks(out_shape, N, rows * dtype.itemsize)

    def unfold(r0, r1) -> np.ndarray:
        """Columns of output rows r0 .. r1 − 1, (C·K [+ 1], (r1 − r0)·width)."""
        cols = _memory.empty((rows, (r1 - r0) * row_width), dtype)
        block = windows[(slice(None),) * (n + 1) + (slice(r0, r1),)]
        np.copyto(cols[:CK].reshape(block.shape), block)
        if bias is not None:
            cols[CK] = 1
        return cols

    W2 = W.reshape(O, CK)
    if bias is not None:
        W2 = np.concatenate([W2, bias.data.reshape(O, 1).astype(W2.dtype, copy=False)], axis=1)
    out = _memory.empty((O, L * N), np.result_type(W2, dtype))
    for r0, r1 in blocks:
        np.matmul(W2, unfold(r0, r1), out=out[:, r0 * row_width : r1 * row_width])
    # (O, *out, N) in memory, (N, O, *out) to the user: a view, no copy (see "Batch-last layout").
    result = out.reshape(O, *out_shape, N).transpose(n + 1, *range(n + 1))
    if not batched:
        result = result[0]

    def backward(g):
        if not batched:
            g = g[None]
        g2 = g.transpose(*range(1, n + 2), 0).reshape(O, L * N)  # free when g is batch-last
        need_w = w.requires_grad or (bias is not None and bias.requires_grad)
        gw2 = np.zeros((O, rows), dtype=g2.dtype) if need_w else None
        if x.requires_grad:
            gxp = _batch_last(xp.shape, np.result_type(W2, g2))
            stored = gxp.transpose(*range(1, n + 2), 0)  # (C, *S, N), contiguous
            W2t = W2[:, :CK].T
        # The columns are unfolded again, block by block: cheaper than keeping all of them from
        # the forward (21 MB for the benchmark's second layer, where one block of 4 MB stays in
        # the cache).
        for r0, r1 in blocks:
            g2_block = g2[:, r0 * row_width : r1 * row_width]
            if need_w:
                # cols · δᵀ, transposed afterwards (a small array): OpenBLAS ran this orientation
                # 7-15% faster than δ · colsᵀ on the benchmark's blocks.
                gw2 += (unfold(r0, r1) @ g2_block.T).T
            if x.requires_grad:
                # col2im: the gradient of each column entry goes back to the input position it
                # was copied from; positions shared by several windows receive the sum. One
                # strided add per kernel offset, each over a whole block of rows and samples.
                gcols = _memory.empty((CK, (r1 - r0) * row_width), gxp.dtype)
                np.matmul(W2t, g2_block, out=gcols)
                gcols = gcols.reshape(C, *kernel, r1 - r0, *out_shape[1:], N)
                offsets = _offsets(kernel, stride, dilation, (r1 - r0, *out_shape[1:]), r0)
                with _streamed(_contiguous_run(stored[(slice(None),) + offsets[0][1]])):
                    for offset, index in offsets:
                        target = stored[(slice(None),) + index]
                        # np.add with out=, not ``+=`` on an indexed view, which would copy the
                        # result onto itself once more (the fold took 3.3 ms instead of 2.2 ms).
                        np.add(target, gcols[(slice(None),) + offset], out=target)
                del gcols  # its block is free again for the next block of rows
        gx = gw = gb = None
        if x.requires_grad:
            gx = gxp[_interior(X.shape[2:], pads)]
            if not batched:
                gx = gx[0]
        if w.requires_grad:
            gw = gw2[:, :CK].reshape(W.shape)
        if bias is not None and bias.requires_grad:
            gb = gw2[:, CK]
        return (gx, gw) if bias is None else (gx, gw, gb)

    return record(result, parents, backward, op)


def _row_blocks(out_shape, batch, bytes_per_column) -> tuple:
    """Blocks of output rows (first spatial axis) whose columns fill about _BLOCK_BYTES each.

    A convolution's column matrix is as large as its input times the kernel size (21 MB for a
    16-channel 26x26 map, batch 64, 3x3). Built whole, it went to fresh memory every step, and
    the page faults cost about a quarter of a training step; a few megabytes at a time stay in
    the cache, and the next block reuses the same buffer. (On the benchmark network, blocks of
    2, 8 and 12 MB were 2%, 6% and 11% slower than 4 MB.) Returns the blocks and the number of
    columns one output row has.
    """
    row_width = math.prod(out_shape[1:]) * batch
    per_block = max(1, _BLOCK_BYTES // max(1, row_width * bytes_per_column))
    rows = out_shape[0]
    return [(r, min(r + per_block, rows)) for r in range(0, rows, per_block)], row_width


_BLOCK_BYTES = 4 << 20


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """1-d convolution (cross-correlation, as in PyTorch) of (N, C_in, L) with (C_out, C_in, k)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-d convolution of (N, C_in, H, W) with (C_out, C_in, kh, kw); padding may be 'same'."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation)


# -- pooling -----------------------------------------------------------------------------------


def pool_options(op: str, n: int, kernel_size, stride, padding, dilation) -> tuple:
    """A pooling's kernel, stride (the kernel's by default), padding and dilation as n-tuples, checked."""
    kernel = int_tuple(kernel_size, n, "kernel_size", op, 1)
    stride = kernel if stride is None or stride == () or stride == [] else int_tuple(stride, n, "stride", op, 1)
    padding = int_tuple(padding, n, "padding", op, 0)
    dilation = int_tuple(dilation, n, "dilation", op, 1)
    # A window made only of padding would have no input to pool (PyTorch refuses it the same way).
    if any(p > (d * (k - 1) + 1) // 2 for p, k, d in zip(padding, kernel, dilation)):
        raise ConfigError(f"{op}: padding must be at most half the kernel size, got padding {padding} for kernel {kernel}")
    return kernel, stride, padding, dilation


def _pool_setup(op, n, X, kernel_size, stride, padding, dilation, ceil_mode):
    """Validated geometry of a pooling: kernel, stride, dilation, pads (ceil mode included), output shape."""
    kernel, stride, padding, dilation = pool_options(op, n, kernel_size, stride, padding, dilation)
    pads = tuple((p, p) for p in padding)
    out_shape = _output_shape(op, X.shape[2:], kernel, stride, dilation, pads, ceil_mode)
    # In ceil mode the last window may hang over the right padding: pad further so every view fits.
    pads = tuple(
        (lo, max(hi, (m - 1) * s + d * (k - 1) + 1 - size - lo))
        for (lo, hi), size, k, s, d, m in zip(pads, X.shape[2:], kernel, stride, dilation, out_shape)
    )
    return kernel, stride, dilation, pads, out_shape


def _max_pool(op, n, input, kernel_size, stride, padding, dilation, ceil_mode):
    x = operand(input)
    X = np.asarray(x.data)
    batched = _batched(op, n, X)
    if not batched:
        X = X[None]
    kernel, stride, dilation, pads, out_shape = _pool_setup(op, n, X, kernel_size, stride, padding, dilation, ceil_mode)
    fill = -np.inf if X.dtype.kind == "f" else np.iinfo(X.dtype).min
    xp = _pad(X, pads, fill)
    offsets = _offsets(kernel, stride, dilation, out_shape)
    views = [xp[(Ellipsis,) + index] for _, index in offsets]
    # Whole-array maxima over the k kernel offsets; np.maximum keeps the operands' memory order.
    out = _memory.empty_like(views[0])
    np.copyto(out, views[0])
    # When a gradient will be asked for, also note which offset won: the first maximum in window
    # order (PyTorch's choice among ties, so each window passes on its gradient exactly once).
    # ``offset k is strictly greater than all before it`` is one comparison per offset, and
    # since k grows, the winner is the running maximum of k·[greater]. (Finding the winner in
    # the backward instead, with tie masks, cost 2.4 ms against 0.6 ms in the benchmark network.)
    # The comparison of offset 1 is already the winner so far; later ones are scaled in place.
    track = x.requires_grad and is_grad_enabled()
    index_type = np.min_scalar_type(len(views) - 1)
    winner = np.zeros_like(out, dtype=index_type) if track and len(views) == 1 else None
    for k, view in enumerate(views[1:], 1):
        if track:
            greater = np.greater(view, out)
            greater = greater.view(np.uint8) if index_type == np.uint8 else greater.astype(index_type)
            if winner is None:
                winner = greater
            else:
                np.multiply(greater, index_type.type(k), out=greater)
                np.maximum(winner, greater, out=winner)
        np.maximum(out, view, out=out)
    if track and any(lo or hi for lo, hi in pads):
        _first_real_cell_wins(winner, out, fill, X.shape, pads, offsets)
    result = out if batched else out[0]
    # Windows that never share an element let the backward write each offset's part in place;
    # when they also tile the (padded) input, every element is written once and nothing needs zeros.
    disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
    tiled = all(
        s == k == d * (k - 1) + 1 and m * s == size
        for k, s, d, m, size in zip(kernel, stride, dilation, out_shape, xp.shape[2:])
    )

    def backward(g):
        if not batched:
            g = g[None]
        g = _like(g, out)
        # same memory order as the input it is the gradient of
        gxp = _memory.empty_like(xp, g.dtype) if tiled else _memory.zeros_like(xp, g.dtype)
        for k, (_, index) in enumerate(offsets):
            target = gxp[(Ellipsis,) + index]
            if disjoint:
                np.multiply(g, winner == k, out=target)
            else:
                np.add(target, g * (winner == k), out=target)
        gx = gxp[_interior(X.shape[2:], pads)]
        return (gx if batched else gx[0],)

    return record(result, (x,), backward, op)


def _first_real_cell_wins(winner, out, fill, shape, pads, offsets) -> None:
    """In a window whose every input is −∞ (masked), the first maximum may be a padding cell, and
    the window's gradient would be lost there: give it to the window's first input cell instead,
    as PyTorch does. One comparison over the output finds such windows; usually there are none."""
    stuck = out == fill
    if not stuck.any():
        return
    real = _pad(np.ones(shape, dtype=bool), pads, False)
    first = np.zeros_like(winner)
    for k in reversed(range(len(offsets))):
        first[real[(Ellipsis,) + offsets[k][1]]] = k
    winner[stuck] = first[stuck]


def _avg_divisor(shape, kernel, stride, pads, padding, out_shape, count_include_pad) -> np.ndarray | float:
    """How many elements each window averages: k, or fewer where it overlaps padding it may not count."""
    counts = []
    for size, k, s, (lo, hi), p, m in zip(shape, kernel, stride, pads, padding, out_shape):
        starts = np.arange(m) * s - lo
        positions = starts[:, None] + np.arange(k)
        low, high = (-p, size + p) if count_include_pad else (0, size)
        counts.append(((positions >= low) & (positions < high)).sum(axis=1))
    divisor = counts[0]
    for count in counts[1:]:
        divisor = np.multiply.outer(divisor, count)
    return float(divisor.flat[0]) if np.all(divisor == divisor.flat[0]) else divisor


def _avg_pool(op, n, input, kernel_size, stride, padding, ceil_mode, count_include_pad):
    x = operand(input)
    X = np.asarray(x.data)
    batched = _batched(op, n, X)
    if not batched:
        X = X[None]
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    kernel, stride, dilation, pads, out_shape = _pool_setup(op, n, X, kernel_size, stride, padding, 1, ceil_mode)
    padding = tuple(lo for lo, _ in pads)
    divisor = _avg_divisor(X.shape[2:], kernel, stride, pads, padding, out_shape, count_include_pad)
    xp = _pad(X, pads, 0)
    offsets = _offsets(kernel, stride, dilation, out_shape)
    views = [xp[(Ellipsis,) + index] for _, index in offsets]
    out = views[0].copy(order="K") if len(views) == 1 else np.add(views[0], views[1])
    for view in views[2:]:
        out += view
    out *= X.dtype.type(1 / divisor) if isinstance(divisor, float) else (1 / divisor).astype(X.dtype)
    result = out if batched else out[0]

    def backward(g):
        if not batched:
            g = g[None]
        share = g / divisor if isinstance(divisor, float) else g / divisor.astype(g.dtype)
        share = _like(share.astype(g.dtype, copy=False), out)
        gxp = _memory.zeros_like(xp, g.dtype)
        for _, index in offsets:
            target = gxp[(Ellipsis,) + index]
            np.add(target, share, out=target)
        gx = gxp[_interior(X.shape[2:], pads)]
        return (gx if batched else gx[0],)

    return record(result, (x,), backward, op)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """The maximum of each window of an (N, C, L) input; stride defaults to the kernel size."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """The maximum of each window of an (N, C, H, W) input; stride defaults to the kernel size."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window of an (N, C, L) input; stride defaults to the kernel size."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window of an (N, C, H, W) input; stride defaults to the kernel size."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def adaptive_avg_pool2d(input, output_size):
    """Average an (N, C, H, W) input down to ``output_size`` (an int, a pair; None keeps that axis).

    Output cell i along an axis of length L averages rows ⌊i·L/o⌋ .. ⌈(i+1)·L/o⌉ − 1, as PyTorch's
    bins do. Output 1 is the global average; sizes that divide the input are an ordinary average
    pooling; other sizes loop over the output cells (few, by the nature of the layer).
    """
    op = "adaptive_avg_pool2d"
    x = operand(input)
    X = np.asarray(x.data)
    _batched(op, 2, X)  # the shape check; pooling over the last two axes serves both layouts
    sizes = (output_size, output_size) if output_size is None or isinstance(output_size, (int, np.integer)) else tuple(output_size)
    if len(sizes) != 2:
        raise ConfigError(f"{op}: output_size must be an integer or a pair, got {output_size!r}")
    out_shape = tuple(X.shape[-2 + i] if o is None else o for i, o in enumerate(sizes))
    if any(isinstance(o, bool) or not isinstance(o, (int, np.integer)) or o < 1 for o in out_shape):
        raise ConfigError(f"{op}: output_size must hold positive integers or None, got {output_size!r}")
    H, W = X.shape[-2:]
    if out_shape == (1, 1):
        if X.dtype.kind != "f":
            X = X.astype(np.float32)
        out = X.mean(axis=(-2, -1), keepdims=True)

        def backward_global(g):
            return (np.broadcast_to(g / (H * W), X.shape),)

        return record(out, (x,), backward_global, op)
    if H % out_shape[0] == 0 and W % out_shape[1] == 0:
        kernel = (H // out_shape[0], W // out_shape[1])
        return _avg_pool(op, 2, x, kernel, kernel, 0, False, True)
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    bins = [[(i * size // o, -(-(i + 1) * size // o)) for i in range(o)] for size, o in zip((H, W), out_shape)]
    out = np.empty(X.shape[:-2] + out_shape, dtype=X.dtype)
    for i, (h0, h1) in enumerate(bins[0]):
        for j, (w0, w1) in enumerate(bins[1]):
            out[..., i, j] = X[..., h0:h1, w0:w1].mean(axis=(-2, -1))

    def backward(g):
        gx = np.zeros(X.shape, dtype=g.dtype)
        for i, (h0, h1) in enumerate(bins[0]):
            for j, (w0, w1) in enumerate(bins[1]):
                gx[..., h0:h1, w0:w1] += (g[..., i, j] / ((h1 - h0) * (w1 - w0)))[..., None, None]
        return (gx,)

    return record(out, (x,), backward, op)


# -- normalization -----------------------------------------------------------------------------


def _array(value):
    return None if value is None else (value.data if isinstance(value, Tensor) else np.asarray(value))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalize each channel of an (N, C, ...) input: y = γ·(x − μ)/√(σ² + ε) + β.

    In training (or without running statistics) μ and σ² are the batch's, over every axis but the
    channel axis, and the running statistics are updated in place: r ← (1 − momentum)·r +
    momentum·s, with the unbiased variance as PyTorch does. In evaluation they are the running ones.
    The backward of the batch version is the closed form

        ∂E/∂x = γ/σ · (g − mean(g) − x̂·mean(g·x̂)),

    with the means over the same axes: the batch statistics depend on every x, which adds the two
    mean terms to the plain g·γ/σ.
    """
    x = operand(input)
    X = np.asarray(x.data)
    if X.ndim < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C, ...), got shape {X.shape}")
    C = X.shape[1]
    axes = (0,) + tuple(range(2, X.ndim))
    shape = (1, C) + (1,) * (X.ndim - 2)
    m = X.size // C
    rm, rv = _array(running_mean), _array(running_var)
    gamma, beta = operand(weight) if weight is not None else None, operand(bias) if bias is not None else None
    for name, value in (("running_mean", rm), ("running_var", rv), ("weight", gamma), ("bias", beta)):
        if value is not None and np.shape(value.data if isinstance(value, Tensor) else value) != (C,):
            raise ShapeError(f"batch_norm: {name} must have shape ({C},) for an input with {C} channels, got shape {np.shape(value.data if isinstance(value, Tensor) else value)}")
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    batch_stats = training or rm is None or rv is None
    if batch_stats:
        if training and m <= 1:
            raise ShapeError(f"batch_norm: training needs more than one value per channel, got input of shape {X.shape}")
        mean = X.mean(axis=axes)
        xhat = X - mean.reshape(shape)
        var = np.mean(xhat * xhat, axis=axes)  # two passes: no cancellation from E[x²] − E[x]²
        if training and rm is not None:
            rm *= 1 - momentum
            rm += (momentum * mean).astype(rm.dtype, copy=False)
        if training and rv is not None:
            rv *= 1 - momentum
            rv += (momentum * var * (m / max(m - 1, 1))).astype(rv.dtype, copy=False)
    else:
        mean, var = rm.astype(X.dtype, copy=False), rv.astype(X.dtype, copy=False)
        xhat = X - mean.reshape(shape)
    invstd = (1 / np.sqrt(var + eps)).astype(X.dtype, copy=False)
    xhat *= invstd.reshape(shape)
    out = xhat * gamma.data.reshape(shape) if gamma is not None else xhat.copy(order="K")
    if beta is not None:
        out += beta.data.reshape(shape)
    parents = (x,) + tuple(p for p in (gamma, beta) if p is not None)

    def backward(g):
        gsum = g.sum(axis=axes)
        gxhat_sum = np.sum(g * xhat, axis=axes)
        scale = invstd * gamma.data if gamma is not None else invstd
        gx = None
        if x.requires_grad:
            if batch_stats:
                gx = xhat * (-scale * gxhat_sum / m).reshape(shape)
                gx += g * scale.reshape(shape)
                gx += (-scale * gsum / m).reshape(shape)
            else:
                gx = g * scale.reshape(shape)
        grads = [gx]
        if gamma is not None:
            grads.append(gxhat_sum if gamma.requires_grad else None)
        if beta is not None:
            grads.append(gsum if beta.requires_grad else None)
        return tuple(grads)

    return record(out, parents, backward, "batch_norm")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last axes (``normalized_shape``) of each sample: y = γ·(x − μ)/√(σ² + ε) + β.

    The gradient has the batch-norm form with the means taken over the normalized axes:
    ∂E/∂x = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), with ĝ = g·γ.
    """
    x = operand(input)
    X = np.asarray(x.data)
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(int(n) for n in normalized_shape)
    k = len(shape)
    if k == 0 or X.shape[X.ndim - k:] != shape or X.ndim < k:
        raise ShapeError(f"layer_norm: expected input whose last dimensions are {shape}, got shape {X.shape}")
    gamma, beta = operand(weight) if weight is not None else None, operand(bias) if bias is not None else None
    for name, value in (("weight", gamma), ("bias", beta)):
        if value is not None and np.shape(value.data) != shape:
            raise ShapeError(f"layer_norm: {name} must have shape {shape}, got shape {np.shape(value.data)}")
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    axes = tuple(range(X.ndim - k, X.ndim))
    lead = tuple(range(X.ndim - k))
    xhat = X - X.mean(axis=axes, keepdims=True)
    var = np.mean(xhat * xhat, axis=axes, keepdims=True)
    invstd = (1 / np.sqrt(var + eps)).astype(X.dtype, copy=False)
    xhat *= invstd
    out = xhat * gamma.data if gamma is not None else xhat.copy()
    if beta is not None:
        out += beta.data
    parents = (x,) + tuple(p for p in (gamma, beta) if p is not None)

    def backward(g):
        grads = [None]
        if x.requires_grad:
            ghat = g * gamma.data if gamma is not None else g
            gx = ghat - ghat.mean(axis=axes, keepdims=True)
            gx -= xhat * np.mean(ghat * xhat, axis=axes, keepdims=True)
            gx *= invstd
            grads[0] = gx
        if gamma is not None:
            grads.append(np.sum(g * xhat, axis=lead) if gamma.requires_grad else None)
        if beta is not None:
            grads.append(g.sum(axis=lead) if beta.requires_grad else None)
        return tuple(grads)

    return record(out, parents, backward, "layer_norm")
