"""Transposed convolution, 1-d, 2-d and 3-d: the adjoint of a convolution, run with ops/conv.py's kernels.

A convolution with weight W (O, C, *k) maps an (N, C, *S) input to an (N, O, *L) output, linearly;
its transpose maps (N, O, *L) back to (N, C, *S), and is what the convolution's backward does to δ
to obtain the input gradient. So, with y the transposed convolution's input and W its weight
(in_channels, out_channels / groups, *k), PyTorch's shape:

* forward          out = Wᵀ applied to y: ``conv._gradients`` folding (col2im) Wᵀ·y into a zero
                   output, as the convolution's backward folds Wᵀ·δ into its input gradient
* input gradient   ∂E/∂y = the convolution of ∂E/∂out with W (``conv._unfolding``, ``_products``)
* weight gradient  ∂E/∂W = the convolution's weight gradient with the roles read off the adjoint:
                   y · columns(∂E/∂out)ᵀ (``conv._gradients`` with ``unfold``)
* bias gradient    the sum of ∂E/∂out over the batch and the positions

Output size per axis: (L − 1)·s − 2p + d·(k − 1) + output_padding + 1. The convolution that a
transposed one undoes maps every size in [that − output_padding, that + s − 1 − output_padding]
to L; ``output_padding`` picks one of them by adding positions at the end that no window reaches
(zeros before the bias). Both passes run in the batch-last memory order of ops/_windows.py, and
the output is stored batch-last like a convolution's.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from . import _memory
from ._core import operand, record
from ._windows import KERNEL_AXES, SPATIAL_AXES, _batch_last, _interior, _pad, int_tuple
from .conv import _gradients, _products, _row_blocks, _unfolding


def transposed_output_size(op: str, size, kernel, stride, padding, output_padding, dilation) -> tuple:
    """Output positions per spatial axis of a transposed convolution of an input of spatial ``size``;
    a ShapeError when one would be below 1."""
    out = tuple((l - 1) * s - 2 * p + d * (k - 1) + o + 1
                for l, k, s, p, o, d in zip(size, kernel, stride, padding, output_padding, dilation))
    if min(out) < 1:
        raise ShapeError(f"{op}: the input's spatial size {'x'.join(map(str, size))} gives an output of size "
                         f"{'x'.join(map(str, out))}, which is too small (padding {padding} is too large)")
    return out


def check_output_padding(op: str, output_padding: tuple, stride: tuple, dilation: tuple) -> None:
    """PyTorch's rule: each output_padding must be smaller than its stride or its dilation (positions
    further out would be a whole stride past the last window, which no input reaches)."""
    for o, s, d in zip(output_padding, stride, dilation):
        if o >= s and o >= d:
            raise ConfigError(f"{op}: output_padding must be smaller than either stride or dilation on every axis, "
                              f"got output_padding={output_padding}, stride={stride}, dilation={dilation}")


def _conv_transpose(op: str, n: int, input, weight, bias, stride, padding, output_padding, groups, dilation) -> Tensor:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ConfigError(f"{op}: groups must be a positive integer, got {groups!r}")
    groups = int(groups)
    x, w = operand(input), operand(weight)
    W = w.data
    if np.ndim(W) != n + 2:
        raise ShapeError(f"{op}: weight must have shape (in_channels, out_channels / groups, {KERNEL_AXES[n]}), "
                         f"got shape {np.shape(W)}")
    C_in, per_group_out, kernel = W.shape[0], W.shape[1], W.shape[2:]
    if C_in % groups:
        raise ShapeError(f"{op}: the weight's {C_in} input channels (its first axis) are not divisible by groups={groups}")
    X = np.asarray(x.data)
    if X.ndim not in (n + 1, n + 2) or X.shape[-n - 1] != C_in:
        raise ShapeError(f"{op}: expected input of shape (N, {C_in}, {SPATIAL_AXES[n]}) or ({C_in}, {SPATIAL_AXES[n]}) "
                         f"(the weight's first axis), got shape {X.shape}")
    if isinstance(padding, str):
        raise ConfigError(f"{op}: padding must be an integer or a sequence of {n} integers ('same' and 'valid' "
                          f"are for convolutions), got {padding!r}")
    stride = int_tuple(stride, n, "stride", op, 1)
    padding = int_tuple(padding, n, "padding", op, 0)
    output_padding = int_tuple(output_padding, n, "output_padding", op, 0)
    dilation = int_tuple(dilation, n, "dilation", op, 1)
    check_output_padding(op, output_padding, stride, dilation)
    batched = X.ndim == n + 2
    if not batched:
        X = X[None]
    if X.dtype != W.dtype and not x.requires_grad:
        X = X.astype(W.dtype)  # data arrives as float64 or integers; compute in the layer's dtype
    in_shape = X.shape[2:]
    out_shape = transposed_output_size(op, in_shape, kernel, stride, padding, output_padding, dilation)
    C_out, per_group_in = per_group_out * groups, C_in // groups
    parents = (x, w)
    if bias is not None:
        bias = operand(bias)
        if np.shape(bias.data) != (C_out,):
            raise ShapeError(f"{op}: bias must have shape ({C_out},), got shape {np.shape(bias.data)}")
        parents = (x, w, bias)
    N, L = X.shape[0], math.prod(in_shape)
    pads = tuple((p, p) for p in padding)
    # The convolution this one is the transpose of: input (N, C_out, *out_shape) padded by ``pads``,
    # weight W read as (C_in, C_out / groups, *k), output (N, C_in, *in_shape). Per group g, rows
    # ``ins(g)`` of W and of y, and output channels ``outs(g)``.
    ins = lambda g: slice(g * per_group_in, (g + 1) * per_group_in)  # noqa: E731
    outs = lambda g: slice(g * per_group_out, (g + 1) * per_group_out)  # noqa: E731
    W2s = [W[ins(g)].reshape(per_group_in, -1) for g in range(groups)]
    Y2 = X.transpose(*range(1, n + 2), 0).reshape(C_in, L * N)  # δ of that convolution: free when batch-last
    dtype = np.result_type(W, Y2)
    padded = tuple(size + 2 * p for size, p in zip(out_shape, padding))
    full = _batch_last((N, C_out, *padded), dtype)  # zeros, the folds add into it
    stored = full.transpose(*range(1, n + 2), 0)  # (C_out, *padded, N), contiguous
    blocks, row_width = _row_blocks(in_shape, N, per_group_out * math.prod(kernel) * dtype.itemsize)
    for i in range(groups):
        _gradients(Y2[ins(i)], blocks, row_width, None, None, W2s[i].T, stored[outs(i)], kernel, stride, dilation,
                   in_shape)
    result = full[_interior(out_shape, pads)]
    if bias is not None or any(padding):  # a compact batch-last array, the bias added on the way
        compact = _memory.empty((C_out, *out_shape, N), dtype).transpose(n + 1, *range(n + 1))
        if bias is None:
            np.copyto(compact, result)
        else:
            np.add(result, bias.data.astype(dtype, copy=False).reshape(C_out, *(1,) * n), out=compact)
        result = compact
    del full, stored

    def backward(g):
        if not batched:
            g = g[None]
        need_x, need_w = x.requires_grad, w.requires_grad
        gx = gw = gb = None
        if need_x or need_w:
            kind = np.result_type(W, g)
            # The convolution's input, which is this operation's output gradient, padded as it was.
            gp = _pad(g, pads, 0, batch_last=True)
            gy2 = _memory.empty((C_in, L * N), kind) if need_x else None
            gw2s = [np.zeros(W2s[0].shape, kind) for _ in range(groups)] if need_w else None
            for i in range(groups):
                _, unfold, blocks, row_width = _unfolding(gp[:, outs(i)], ((0, 0),) * n, kernel, X.shape[2:], stride,
                                                          dilation, kind, False)
                if need_x and need_w:  # one unfolding per block serves both products
                    unfold = _convolving(unfold, W2s[i], gy2[ins(i)], row_width)
                if need_w:
                    _gradients(Y2[ins(i)], blocks, row_width, unfold, gw2s[i], None, None, kernel, stride, dilation,
                               in_shape)
                else:
                    _products(W2s[i], unfold, blocks, row_width, gy2[ins(i)])
            if need_x:
                gx = gy2.reshape(C_in, *in_shape, N).transpose(n + 1, *range(n + 1))
                if not batched:
                    gx = gx[0]
            if need_w:
                gw = np.concatenate(gw2s).reshape(W.shape)
        if bias is not None and bias.requires_grad:
            gb = g.sum(axis=(0, *range(2, n + 2)))
        return (gx, gw) if bias is None else (gx, gw, gb)

    return record(result if batched else result[0], parents, backward, op)


def _convolving(unfold, W2, out, row_width):
    """``unfold`` that also writes the convolution W2 · columns of each block into ``out`` (O, L·N), so
    the backward unfolds each block once for the input and the weight gradients."""
    def unfold_and_convolve(r0, r1):
        cols = unfold(r0, r1)
        np.matmul(W2, cols, out=out[:, r0 * row_width : r1 * row_width])
        return cols

    return unfold_and_convolve


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-d transposed convolution of (N, C_in, L) with a weight (C_in, C_out / groups, k), PyTorch's.

    The adjoint of :func:`~deltaprop.ops.conv1d` with the same weight, stride, padding and dilation
    (the gradient that conv1d sends to its input): each input position adds its kernel, scaled,
    into the output, whose length is (L − 1)·stride − 2·padding + dilation·(k − 1) + output_padding
    + 1. ``output_padding`` (smaller than stride or dilation) lengthens the output at the end;
    ``groups`` splits the channels as conv1d does. Note the argument order: groups before dilation.
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution of (N, C_in, H, W) with a weight (C_in, C_out / groups, kh, kw).

    As :func:`conv_transpose1d`, on each spatial axis; every option takes an int or a pair. With
    stride 2 it doubles a feature map's size (kernel 4, padding 1; or kernel 3, padding 1,
    output_padding 1): the upsampling layer of decoders and autoencoders.
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-d transposed convolution of (N, C_in, D, H, W) with a weight (C_in, C_out / groups, kd, kh, kw).

    As :func:`conv_transpose1d`, on each of the three spatial axes; every option takes an int or a
    triple (the upsampling layer of volumetric decoders such as 3-d U-Nets).
    """
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups, dilation)
