"""Convolution, 1-d, 2-d and 3-d, as matrix products (one kernel for any number of spatial axes).

A convolution applies the same weights to every window of its
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

The geometry of the windows and the batch-last memory order of the results are in ops/_windows.py.
A grouped convolution (``groups`` > 1) unfolds all channels once and multiplies each group's weights
with its group's rows of the columns in one stacked product over the groups: see ``_grouped``.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from . import _memory
from ._core import operand, record
from ._windows import (
    KERNEL_AXES,
    SPATIAL_AXES,
    _batch_last,
    _batched,
    _interior,
    _offsets,
    _output_shape,
    _pad,
    conv_padding,
    int_tuple,
)


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
    shorter runs the buffer wins and is kept. NumPy takes only multiples of 16 as a buffer size, so
    the run is rounded down to one, which keeps the whole gain (an add over runs of 300 took 4.8
    instead of 8.3 µs, over runs of 1537 18.6 instead of 41). ``np.errstate`` restores the buffer
    size on exit (it is per thread).
    """
    with np.errstate():
        if 256 <= run < np.getbufsize():
            np.setbufsize(run - run % 16)
        yield


def _check_kernel(op: str, weight_shape: tuple) -> None:
    """Refuse a kernel with no positions along some axis, as PyTorch does (there is no window to slide)."""
    if 0 in weight_shape[2:]:
        raise ShapeError(f"{op}: the kernel must be at least 1 wide on every axis, got a weight of shape {weight_shape}")


def _conv(op: str, n: int, input, weight, bias, stride, padding, dilation) -> Tensor:
    """The convolution of an (N, C, *S) input with an (O, C, *kernel) weight, for any n."""
    x, w = operand(input), operand(weight)
    W = w.data
    if np.ndim(W) != n + 2:
        raise ShapeError(f"{op}: weight must have shape (out_channels, in_channels, {KERNEL_AXES[n]}), got shape {np.shape(W)}")
    _check_kernel(op, W.shape)
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
    dtype = np.result_type(X, W)
    rows = CK + (bias is not None)
    xp, unfold, blocks, row_width = _unfolding(X, pads, kernel, out_shape, stride, dilation, dtype, bias is not None)

    W2 = W.reshape(O, CK)
    if bias is not None:
        W2 = np.concatenate([W2, bias.data.reshape(O, 1).astype(W2.dtype, copy=False)], axis=1)
    out = _memory.empty((O, L * N), np.result_type(W2, dtype))
    _products(W2, unfold, blocks, row_width, out)
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
        W2t = stored = None
        if x.requires_grad:
            gxp = _batch_last(xp.shape, np.result_type(W2, g2))
            stored = gxp.transpose(*range(1, n + 2), 0)  # (C, *S, N), contiguous
            W2t = W2[:, :CK].T
        _gradients(g2, blocks, row_width, unfold if need_w else None, gw2, W2t, stored, kernel, stride, dilation, out_shape)
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


def _unfolding(X, pads, kernel, out_shape, stride, dilation, dtype, ones: bool):
    """The windows of an (N, C, *S) input as column matrices, built a block of output rows at a time.

    Returns the input padded by ``pads`` (stored batch-last; X itself when it already is and nothing
    is padded), ``unfold(r0, r1)``, which copies the windows of output rows r0 .. r1 − 1 into a
    (C·K [+ 1], (r1 − r0)·width) matrix from the pool (with a last row of ones when ``ones``: the
    bias's input), the blocks of rows (see :func:`_row_blocks`) and the width of one output row.
    ``out_shape`` is given, not derived: a transposed convolution convolves its gradient over
    exactly the positions of its input.
    """
    n = len(kernel)
    N, C = X.shape[0], X.shape[1]
    CK = C * math.prod(kernel)
    xp = _pad(X, pads, 0, batch_last=True)
    sn, sc, *ss = xp.strides
    windows = as_strided(
        xp,
        (C, *kernel, *out_shape, N),
        (sc, *(s * d for s, d in zip(ss, dilation)), *(s * t for s, t in zip(ss, stride)), sn),
        writeable=False,
    )
    rows = CK + ones
    blocks, row_width = _row_blocks(out_shape, N, rows * dtype.itemsize)

    def unfold(r0, r1) -> np.ndarray:
        """Columns of output rows r0 .. r1 − 1, (C·K [+ 1], (r1 − r0)·width)."""
        cols = _memory.empty((rows, (r1 - r0) * row_width), dtype)
        block = windows[(slice(None),) * (n + 1) + (slice(r0, r1),)]
        np.copyto(cols[:CK].reshape(block.shape), block)
        if ones:
            cols[CK] = 1
        return cols

    return xp, unfold, blocks, row_width


def _products(W2, unfold, blocks, row_width, out) -> None:
    """The convolution itself: ``out`` (O, L·N) = W2 · columns, one block of output rows at a time."""
    for r0, r1 in blocks:
        np.matmul(W2, unfold(r0, r1), out=out[:, r0 * row_width : r1 * row_width])


def _gradients(g2, blocks, row_width, unfold, gw2, W2t, stored, kernel, stride, dilation, out_shape) -> None:
    """A convolution's backward, one block of output rows at a time, from δ = ``g2`` (O, L·N).

    With ``unfold`` (see :func:`_unfolding`), adds the weight gradient δ · colsᵀ into ``gw2``
    (O, C·K [+ 1]). With ``W2t`` (C·K, O), the transposed weight matrix, adds the input gradient
    into ``stored``: the padded input's gradient as (C, *S, N), batch-last and contiguous per
    channel. Either may be None. A transposed convolution's forward pass is this input gradient.
    """
    # The columns are unfolded again, block by block: cheaper than keeping all of them from
    # the forward (21 MB for the benchmark's second layer, where one block of 4 MB stays in
    # the cache).
    for r0, r1 in blocks:
        g2_block = g2[:, r0 * row_width : r1 * row_width]
        if unfold is not None:
            # cols · δᵀ, transposed afterwards (a small array): OpenBLAS ran this orientation
            # 7-15% faster than δ · colsᵀ on the benchmark's blocks.
            gw2 += (unfold(r0, r1) @ g2_block.T).T
        if stored is not None:  # col2im, see _fold
            gcols = _memory.empty((W2t.shape[0], (r1 - r0) * row_width), stored.dtype)
            np.matmul(W2t, g2_block, out=gcols)
            _fold(gcols, stored, kernel, stride, dilation, out_shape, r0, r1)
            del gcols  # its block is free again for the next block of rows


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


def _grouped(op: str, n: int, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    """A convolution with ``groups`` > 1: input and output channels split into that many groups, and
    output group g sees only input group g, through a weight of shape (out, in / groups, *kernel).

    The columns of all channels are built as the ungrouped kernel builds them (``_unfolding``, a
    block of output rows at a time); the rows of group g are its channels' C/groups · K rows, so a
    block reshapes to (groups, C/groups · K, columns) and the forward is one ``np.matmul`` of the
    (groups, out/groups, C/groups · K) weight with it, no Python loop over groups; the backward
    likewise (its column gradients folded back as in ``_gradients``). The bias is added afterwards
    and its gradient is δ summed. This replaced a loop running ``_conv`` on each group's slice: forward
    and backward of a depthwise 3x3 layer over (32, 16, 28, 28) on one thread went from about 10.5
    to 5.6 ms. A depthwise convolution (one input and one output channel per group) finds its input
    gradient by routes of its own, without the columns' gradient: ``_depthwise_transposed`` (stride 1)
    and ``_depthwise_scatter``. The rule keeps the input and weight arrays (X and W, which it reads for their shapes
    and the padded input's windows), so the in-place change check (changes.py) finds them as it finds
    those of an ungrouped convolution.
    """
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ConfigError(f"{op}: groups must be a positive integer, got {groups!r}")
    groups = int(groups)
    x, w = operand(input), operand(weight)
    W, X = w.data, np.asarray(x.data)
    if np.ndim(W) != n + 2:
        raise ShapeError(f"{op}: weight must have shape (out_channels, in_channels / groups, {KERNEL_AXES[n]}), "
                         f"got shape {np.shape(W)}")
    _check_kernel(op, W.shape)
    O, per_group = W.shape[0], W.shape[1]
    if O % groups:
        raise ShapeError(f"{op}: the weight's {O} output channels (its first axis) are not divisible by groups={groups}")
    C = per_group * groups
    if X.ndim not in (n + 1, n + 2) or X.shape[-n - 1] != C:
        raise ShapeError(f"{op}: expected input of shape (N, {C}, {SPATIAL_AXES[n]}) or ({C}, {SPATIAL_AXES[n]}) "
                         f"({per_group} input channels per group, as the weight has, times groups={groups}), "
                         f"got shape {X.shape}")
    if groups == 1:  # (a NumPy 1, which conv1d/conv2d do not take for the int): the bias is checked there
        return _conv(op, n, x, w, bias, stride, padding, dilation)
    parents = (x, w)
    if bias is not None:
        bias = operand(bias)
        if np.shape(bias.data) != (O,):
            raise ShapeError(f"{op}: bias must have shape ({O},), got shape {np.shape(bias.data)}")
        parents = (x, w, bias)
    batched = X.ndim == n + 2
    if not batched:
        X = X[None]
    if X.dtype != W.dtype and not x.requires_grad:
        X = X.astype(W.dtype)  # as _conv: compute in the layer's dtype
    stride = int_tuple(stride, n, "stride", op, 1)
    dilation = int_tuple(dilation, n, "dilation", op, 1)
    kernel = W.shape[2:]
    pads = conv_padding(padding, kernel, stride, dilation, op)
    out_shape = _output_shape(op, X.shape[2:], kernel, stride, dilation, pads)
    N, G, Og = X.shape[0], groups, O // groups
    CgK = per_group * math.prod(kernel)
    dtype = np.result_type(X, W)
    # All channels unfolded at once, (C·K, columns): the rows of group g are g·Cg·K .. (g + 1)·Cg·K − 1,
    # so the columns reshape to (G, Cg·K, columns) and each block is one stacked product over groups.
    xp, unfold, blocks, row_width = _unfolding(X, pads, kernel, out_shape, stride, dilation, dtype, False)
    W3 = W.reshape(G, Og, CgK)
    out = _memory.empty((O, math.prod(out_shape) * N), np.result_type(W3, dtype))
    out3 = out.reshape(G, Og, -1)
    for r0, r1 in blocks:
        cols = unfold(r0, r1).reshape(G, CgK, (r1 - r0) * row_width)
        np.matmul(W3, cols, out=out3[:, :, r0 * row_width : r1 * row_width])
        del cols
    if bias is not None:
        out += bias.data.reshape(O, 1)
    result = out.reshape(O, *out_shape, N).transpose(n + 1, *range(n + 1))

    def backward(g):
        if not batched:
            g = g[None]
        g3 = g.transpose(*range(1, n + 2), 0).reshape(G, Og, -1)  # free when g is batch-last
        gx = gw = gb = None
        gw3 = np.zeros((G, Og, CgK), dtype=g3.dtype) if w.requires_grad else None
        # A depthwise convolution (one input and one output channel per group) takes its own routes
        # to the input gradient, see _depthwise_transposed and _depthwise_scatter.
        depthwise = per_group == 1 and Og == 1
        fold = x.requires_grad and not (depthwise and stride == (1,) * n)
        if x.requires_grad and not fold:
            gx = _depthwise_transposed(g, W, X.shape[2:], pads, dilation)
        if fold:
            gxp = _batch_last(xp.shape, np.result_type(W3, g3))
            stored = gxp.transpose(*range(1, n + 2), 0)  # (C, *S, N), contiguous
            W3t = W3.transpose(0, 2, 1)
        for r0, r1 in blocks:
            g_block = g3[:, :, r0 * row_width : r1 * row_width]
            if gw3 is not None:
                gw3 += np.matmul(g_block, unfold(r0, r1).reshape(G, CgK, (r1 - r0) * row_width).transpose(0, 2, 1))
            if fold and depthwise:
                _depthwise_scatter(g_block, W, stored, stride, dilation, out_shape, r0, r1)
            elif fold:
                gcols = _memory.empty((G, CgK, (r1 - r0) * row_width), stored.dtype)
                # With one output channel per group the product is an outer product, which np.matmul
                # ran 13x slower than the broadcast multiply (3.9 against 0.29 ms, depthwise 16x28x28,
                # batch 32); from two output channels on, np.matmul was 3-10x faster than a loop of them.
                (np.multiply if Og == 1 else np.matmul)(W3t, g_block, out=gcols)
                _fold(gcols, stored, kernel, stride, dilation, out_shape, r0, r1)
                del gcols
        if fold:
            gx = gxp[_interior(X.shape[2:], pads)]
        if gx is not None and not batched:
            gx = gx[0]
        if w.requires_grad:
            gw = gw3.reshape(W.shape)
        if bias is not None and bias.requires_grad:
            gb = g3.reshape(O, -1).sum(axis=1)
        return (gx, gw) if bias is None else (gx, gw, gb)

    return record(result if batched else result[0], parents, backward, op)


def _depthwise_transposed(g, W, spatial, pads, dilation):
    """The input gradient of a depthwise convolution with stride 1: δ, padded by the kernel's extent
    e = d·(k − 1) less the forward's padding, correlated with the flipped kernel, which is a depthwise
    convolution again (gx[u] = Σ_k w[k]·δ[u + lo − k·d]). Unfolding δ and one stacked product make
    it, as the forward: about 19 passes over an input-sized array where the outer product and the
    k-offset folding of the general rule take about 36. (The whole backward of a 3x3 layer with
    padding 1 over (32, 32, 28, 28), one thread, medians of 25 runs alternating with the general rule
    in one process: 3.8 -> 3.3 ms; a k5 Conv1d over (32, 64, 100): 0.44 -> 0.41 ms.) Where the
    padding exceeds e, δ is cropped instead: those positions only reach the padding. Returns gx as
    (N, C, *spatial), batch-last.
    """
    n = len(spatial)
    kernel, C, N = W.shape[2:], W.shape[0], g.shape[0]
    K = math.prod(kernel)
    crops, grows = [], []
    for (lo, hi), k, d, length in zip(pads, kernel, dilation, g.shape[2:]):
        e = d * (k - 1)
        crops.append(slice(max(0, lo - e), length - max(0, hi - e)))
        grows.append((max(0, e - lo), max(0, e - hi)))
    g = g[(slice(None), slice(None), *crops)]
    # a copy: the reversed view's negative strides took np.matmul off BLAS (8.8 instead of 1.1 ms)
    flipped = np.ascontiguousarray(W[(slice(None), 0) + (slice(None, None, -1),) * n]).reshape(C, 1, K)
    dtype = np.result_type(W, g)
    _, unfold, blocks, row_width = _unfolding(g, grows, kernel, spatial, (1,) * n, dilation, dtype, False)
    out = _memory.empty((C, 1, math.prod(spatial) * N), dtype)
    for r0, r1 in blocks:
        np.matmul(flipped, unfold(r0, r1).reshape(C, K, -1), out=out[:, :, r0 * row_width : r1 * row_width])
    return out.reshape(C, *spatial, N).transpose(n + 1, *range(n + 1))


def _depthwise_scatter(g_block, W, stored, stride, dilation, out_shape, r0, r1) -> None:
    """A strided depthwise convolution's input gradient for output rows r0 .. r1 − 1, added onto
    ``stored`` (the padded input's gradient as (C, *S, N)): for each kernel offset, δ times that
    offset's weights, added where the offset read. (The columns of the general rule, an outer product
    the kernel's size times as large as δ, are never made: the backward of a 3x3 stride-2 layer over
    (32, 64, 14, 14) took 0.85 instead of 0.93 ms, measured as above.)"""
    kernel, C, N = W.shape[2:], W.shape[0], stored.shape[-1]
    delta = g_block.reshape(C, r1 - r0, *out_shape[1:], N)
    weights = W.reshape(C, -1, *(1,) * (delta.ndim - 1))
    term = _memory.empty(delta.shape, stored.dtype)
    offsets = _offsets(kernel, stride, dilation, (r1 - r0, *out_shape[1:]), r0)
    with _streamed(_contiguous_run(stored[(slice(None),) + offsets[0][1]])):
        for q, (_, index) in enumerate(offsets):
            target = stored[(slice(None),) + index]
            np.multiply(delta, weights[:, q], out=term)
            np.add(target, term, out=target)


def _fold(gcols, stored, kernel, stride, dilation, out_shape, r0, r1) -> None:
    """col2im for output rows r0 .. r1 − 1: adds the column gradients ``gcols`` (C·K entries,
    columns) onto ``stored``, the padded input's gradient as (C, *S, N). The gradient of each
    column entry goes back to the input position it was copied from; positions shared by several
    windows receive the sum. One strided add per kernel offset, each over a whole block of rows
    and samples."""
    gcols = gcols.reshape(stored.shape[0], *kernel, r1 - r0, *out_shape[1:], stored.shape[-1])
    offsets = _offsets(kernel, stride, dilation, (r1 - r0, *out_shape[1:]), r0)
    with _streamed(_contiguous_run(stored[(slice(None),) + offsets[0][1]])):
        for offset, index in offsets:
            target = stored[(slice(None),) + index]
            # np.add with out=, not ``+=`` on an indexed view, which would copy the result onto
            # itself once more (the fold took 3.3 ms instead of 2.2 ms).
            np.add(target, gcols[(slice(None),) + offset], out=target)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation, as in PyTorch) of (N, C_in, L) with (C_out, C_in / groups, k).

    With ``groups`` > 1 the channels are split into that many groups, each output group seeing only
    its input group; ``groups=C_in`` is a depthwise convolution (C_out a multiple of C_in).
    """
    if groups.__class__ is int and groups == 1:  # the ungrouped convolution, with nothing in between
        return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation)
    return _grouped("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of (N, C_in, H, W) with (C_out, C_in / groups, kh, kw); padding may be 'same'.

    ``groups`` as in :func:`conv1d`.
    """
    if groups.__class__ is int and groups == 1:
        return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation)
    return _grouped("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of (N, C_in, D, H, W) with (C_out, C_in / groups, kd, kh, kw), the layer of
    volumetric data (medical scans, video as frames over time); every option takes an int or a
    triple, padding may be 'same' (stride 1) or 'valid'. ``groups`` as in :func:`conv1d`.
    """
    if groups.__class__ is int and groups == 1:
        return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation)
    return _grouped("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)
