"""im2col and col2im as operations of their own: ``unfold`` copies every window of an (N, C, H, W)
input into a column, ``fold`` adds columns back onto the positions they came from.

They are the two halves of a convolution (ops/conv.py), which builds its columns with
``_unfolding`` and folds its input gradient with ``_fold``; these functions call the same two, so
the window geometry (kernel, dilation, padding, stride) is written once. Each is the other's
gradient: the adjoint of copying is adding back, and the other way round.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError
from ._core import operand, record
from ._windows import _batch_last, _interior, _output_shape, int_tuple
from .conv import _fold, _unfolding


def _geometry(op: str, kernel_size, dilation, padding, stride) -> tuple:
    kernel = int_tuple(kernel_size, 2, "kernel_size", op, 1)
    dilation = int_tuple(dilation, 2, "dilation", op, 1)
    padding = int_tuple(padding, 2, "padding", op, 0)
    stride = int_tuple(stride, 2, "stride", op, 1)
    return kernel, dilation, tuple((p, p) for p in padding), stride


def _columns(X: np.ndarray, kernel, dilation, pads, stride, out_shape) -> np.ndarray:
    """The windows of X (N, C, H, W) as (N, C·kh·kw, L), PyTorch's layout: rows channel-major, then
    kernel row and column; columns the output positions in row-major order."""
    N, C = X.shape[:2]
    rows = C * math.prod(kernel)
    _, unfold, _, _ = _unfolding(X, pads, kernel, out_shape, stride, dilation, X.dtype, False)
    cols = unfold(0, out_shape[0])  # (C·K, L·N), the batch innermost
    # (every size spelled out: NumPy cannot infer a -1 beside a 0, an empty batch or no channels)
    return cols.reshape(rows, math.prod(out_shape), N).transpose(2, 0, 1)


def _add_columns(G: np.ndarray, shape: tuple, kernel, dilation, pads, stride, out_shape) -> np.ndarray:
    """col2im: the (N, C·K, L) columns ``G`` added onto an (N, C, H, W) array of zeros (``shape``)."""
    N, C = shape[:2]
    padded = (N, C) + tuple(size + lo + hi for size, (lo, hi) in zip(shape[2:], pads))
    target = _batch_last(padded, G.dtype)
    stored = target.transpose(1, 2, 3, 0)  # (C, H, W, N), contiguous
    gcols = G.transpose(1, 2, 0).reshape(G.shape[1], G.shape[2] * N)
    _fold(gcols, stored, kernel, stride, dilation, out_shape, 0, out_shape[0])
    return target[_interior(shape[2:], pads)]


def _four_d(op: str, X: np.ndarray, layout: str) -> np.ndarray:
    if X.ndim not in (3, 4):
        raise ShapeError(f"{op}: expected input of shape (N, {layout}) or ({layout}), got shape {X.shape}")
    return X if X.ndim == 4 else X[None]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding windows of an (N, C, H, W) input as columns: (N, C·kh·kw, L), L the number of
    window positions, as ``torch.nn.functional.unfold`` (im2col). A convolution is a weight matrix
    times these columns."""
    op = "unfold"
    x = operand(input)
    X = np.asarray(x.data)
    batched = X.ndim == 4
    X = _four_d(op, X, "C, H, W")
    kernel, dilation, pads, stride = _geometry(op, kernel_size, dilation, padding, stride)
    out_shape = _output_shape(op, X.shape[2:], kernel, stride, dilation, pads)
    out = _columns(X, kernel, dilation, pads, stride, out_shape)
    shape = X.shape

    def backward(g):
        gx = _add_columns(g if batched else g[None], shape, kernel, dilation, pads, stride, out_shape)
        return (gx if batched else gx[0],)

    return record(out if batched else out[0], (x,), backward, op)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns (N, C·kh·kw, L) added back into an (N, C, H, W) map of ``output_size`` (H, W), each
    onto the window it describes, overlaps summed: col2im, ``torch.nn.functional.fold``.
    ``fold(unfold(x))`` is x times the number of windows covering each position."""
    op = "fold"
    x = operand(input)
    G = np.asarray(x.data)
    batched = G.ndim == 3
    if G.ndim not in (2, 3):
        raise ShapeError(f"{op}: expected input of shape (N, C·kh·kw, L) or (C·kh·kw, L), got shape {G.shape}")
    G = G if batched else G[None]
    size = int_tuple(output_size, 2, "output_size", op, 1)
    kernel, dilation, pads, stride = _geometry(op, kernel_size, dilation, padding, stride)
    K = math.prod(kernel)
    out_shape = _output_shape(op, size, kernel, stride, dilation, pads)
    if G.shape[1] % K or G.shape[2] != math.prod(out_shape):
        raise ShapeError(
            f"{op}: expected columns of shape (N, C·{K}, {math.prod(out_shape)}) for kernel {kernel} over output size "
            f"{size} ({'x'.join(map(str, out_shape))} window positions), got shape {G.shape}")
    if G.dtype.kind != "f":
        G = G.astype(np.float32)  # sums of columns, as avg_pool computes means: in floating point
    shape = (G.shape[0], G.shape[1] // K) + size
    out = _add_columns(G, shape, kernel, dilation, pads, stride, out_shape)

    def backward(g):
        gx = _columns(g if batched else g[None], kernel, dilation, pads, stride, out_shape)
        return (gx if batched else gx[0],)

    return record(out if batched else out[0], (x,), backward, op)
