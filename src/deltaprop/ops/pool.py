"""Max and average pooling, 1-d, 2-d and 3-d, and adaptive average and max pooling.

Pooling reads the same strided views of the (padded) input, one per kernel offset, and combines
them with whole-array maxima or sums (see ops/_windows.py for the geometry).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor
from . import _memory
from ._core import operand, record
from ._windows import _batched, _interior, _like, _offsets, _output_shape, _pad, int_tuple
from .promotion import refuse_booleans

def pool_options(op: str, n: int, kernel_size, stride, padding, dilation) -> tuple:
    """A pooling's kernel, stride (the kernel's by default), padding and dilation as n-tuples, checked."""
    kernel = int_tuple(kernel_size, n, "kernel_size", op, 1)
    # (an empty sequence is PyTorch's default too; compared by type, since a NumPy integer == () is an array)
    empty = isinstance(stride, (tuple, list)) and len(stride) == 0
    stride = kernel if stride is None or empty else int_tuple(stride, n, "stride", op, 1)
    padding = int_tuple(padding, n, "padding", op, 0)
    dilation = int_tuple(dilation, n, "dilation", op, 1)
    # PyTorch's rule, on the kernel's size without its dilation: a window must not be mostly padding.
    if any(p > k // 2 for p, k in zip(padding, kernel)):
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


def _batched_input(op, n, input):
    """(the input as a tensor, its array with a batch axis, whether it had one)."""
    x = operand(input)
    X = np.asarray(x.data)
    batched = _batched(op, n, X)
    return x, (X if batched else X[None]), batched


def _max_pool(op, n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=False):
    x, X, batched = _batched_input(op, n, input)
    if X.dtype.kind == "b":
        refuse_booleans(op)
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
    track = (x.requires_grad and is_grad_enabled()) or return_indices
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
    if track and out.dtype.kind == "f":
        _nan_wins(winner, out, views)
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
        # g·[offset k won] is NaN where g is infinite (or NaN) and k lost; PyTorch gives 0 there.
        # Two SIMD passes (max and min) over g find such a g, and then np.where, ten times slower
        # than the product, takes over.
        finite = g.dtype.kind != "f" or g.size == 0 or np.isfinite(g.max()) and np.isfinite(g.min())
        for k, (_, index) in enumerate(offsets):
            target = gxp[(Ellipsis,) + index]
            if finite and disjoint:
                np.multiply(g, winner == k, out=target)
            elif finite:
                np.add(target, g * (winner == k), out=target)
            elif disjoint:
                np.copyto(target, np.where(winner == k, g, g.dtype.type(0)))
            else:
                np.add(target, np.where(winner == k, g, g.dtype.type(0)), out=target)
        gx = gxp[_interior(X.shape[2:], pads)]
        return (gx if batched else gx[0],)

    result = record(result, (x,), backward, op)
    if not return_indices:
        return result
    where = _flat_indices(winner, kernel, stride, dilation, pads, X.shape[2:])
    return result, Tensor._wrap(where if batched else where[0])


def _flat_indices(winner, kernel, stride, dilation, pads, spatial) -> np.ndarray:
    """Where each window's maximum was, from the kernel offset that won it: PyTorch's flat index
    into the unpadded input plane (h·W + w in 2-d), as int64. Output position m along an axis reads
    input position m·s + o·d − (left padding) at kernel offset o."""
    n = len(kernel)
    offsets = np.unravel_index(winner, kernel)
    flat = np.zeros(winner.shape, dtype=np.int64)
    for axis, (o, s, d, (lo, _), size) in enumerate(zip(offsets, stride, dilation, pads, spatial)):
        m = winner.shape[2 + axis]
        starts = (np.arange(m, dtype=np.int64) * s - lo).reshape((m,) + (1,) * (n - 1 - axis))
        flat *= size
        flat += starts + o.astype(np.int64) * d
    return flat


def _nan_wins(winner, out, views) -> None:
    """A window that holds NaN has NaN for its maximum, and PyTorch sends its gradient to the NaN
    (its kernel takes a value that is NaN over the maximum so far, so the last NaN in window order
    wins). The comparisons above never pick a NaN: find those windows (usually none; NumPy's max
    is NaN when any element is, one SIMD pass without an array of flags) and fix them."""
    if out.size == 0 or not np.isnan(out.max()):
        return
    undefined = np.isnan(out)
    for k, view in enumerate(views):
        np.copyto(winner, winner.dtype.type(k), where=undefined & np.isnan(view))


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


def _avg_pool(op, n, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override=None):
    x, X, batched = _batched_input(op, n, input)
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    kernel, stride, dilation, pads, out_shape = _pool_setup(op, n, X, kernel_size, stride, padding, 1, ceil_mode)
    if n == 3 and any(size < k for size, k in zip(X.shape[2:], kernel)):
        # PyTorch's 3-d average pooling (and lp_pool3d, built on it) checks the input without its padding
        raise ShapeError(f"{op}: the input's spatial size {'x'.join(map(str, X.shape[2:]))} is smaller than the "
                         f"kernel {'x'.join(map(str, kernel))} along some axis (padding aside), as PyTorch refuses it")
    padding = tuple(lo for lo, _ in pads)
    if divisor_override is None:
        divisor = _avg_divisor(X.shape[2:], kernel, stride, pads, padding, out_shape, count_include_pad)
    else:  # every window's sum divided by this one number, whatever it overlaps (PyTorch's)
        divisor = float(divisor_override)
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


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of an (N, C, L) input; stride defaults to the kernel size. With
    ``return_indices``, also (a second tensor, int64) where each maximum was along L, for
    :func:`~deltaprop.ops.max_unpool1d`."""
    if return_indices is not False:  # (the check kept off the common call)
        _check_return_indices("max_pool1d", return_indices)
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of an (N, C, H, W) input; stride defaults to the kernel size. With
    ``return_indices``, also (a second tensor, int64) each maximum's flat position h·W + w in its
    input plane, PyTorch's convention, for :func:`~deltaprop.ops.max_unpool2d`."""
    if return_indices is not False:  # (the check kept off the common call)
        _check_return_indices("max_pool2d", return_indices)
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _check_return_indices(op: str, return_indices) -> None:
    if not isinstance(return_indices, (bool, np.bool_)):
        raise ConfigError(f"{op}: return_indices must be True or False, got {return_indices!r}")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window of an (N, C, L) input; stride defaults to the kernel size."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window of an (N, C, H, W) input; stride defaults to the kernel size.
    ``divisor_override`` (a nonzero integer, PyTorch's) divides every window's sum by itself instead
    of by the number of elements averaged."""
    divisor_override = check_divisor_override("avg_pool2d", divisor_override)
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum of each window of an (N, C, D, H, W) input; stride defaults to the kernel size.
    With ``return_indices``, also each maximum's flat position (d·H + h)·W + w in its input volume,
    for :func:`~deltaprop.ops.max_unpool3d`."""
    if return_indices is not False:
        _check_return_indices("max_pool3d", return_indices)
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window of an (N, C, D, H, W) input; stride defaults to the kernel size;
    ``divisor_override`` as in :func:`avg_pool2d`."""
    divisor_override = check_divisor_override("avg_pool3d", divisor_override)
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def check_divisor_override(op: str, divisor_override) -> int | None:
    """AvgPool2d's and AvgPool3d's ``divisor_override``: None, or a nonzero integer (negative ones too, as in PyTorch)."""
    if divisor_override is None:
        return None
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0:
        raise ConfigError(f"{op}: divisor_override must be a nonzero integer or None, got {divisor_override!r}")
    return int(divisor_override)


def _nonempty_spatial(op: str, n: int, X: np.ndarray) -> None:
    """Refuse, as PyTorch does, an adaptive pooling of an input empty along one of its last ``n``
    (spatial) axes: each output bin needs a position to average or maximise (NumPy's mean of
    nothing is NaN, with warnings)."""
    for axis in range(X.ndim - n, X.ndim):
        if X.shape[axis] == 0:
            raise ShapeError(f"{op}: the input of shape {X.shape} is empty along dimension {axis}, a spatial one, "
                             f"where each bin of the output needs at least one position.")


def adaptive_avg_pool2d(input, output_size):
    """Average an (N, C, H, W) input down to ``output_size`` (an int, a pair; None keeps that axis).

    Output cell i along an axis of length L averages rows ⌊i·L/o⌋ .. ⌈(i+1)·L/o⌉ − 1, as PyTorch's
    bins do. Output 1 is the global average; sizes that divide the input are an ordinary average
    pooling; other sizes loop over the output cells (few, by the nature of the layer).
    """
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Average an (N, C, D, H, W) input down to ``output_size`` (an int, or three, None keeping that
    axis), with the bins of :func:`adaptive_avg_pool2d` along each of the three axes."""
    return _adaptive_avg_pool("adaptive_avg_pool3d", 3, input, output_size)


def _adaptive_avg_pool(op: str, n: int, input, output_size):
    """Adaptive average pooling over the last ``n`` axes (2 or 3) of a batched or unbatched input."""
    x = operand(input)
    X = np.asarray(x.data)
    _batched(op, n, X)  # the shape check; pooling over the last n axes serves both layouts
    sizes = (output_size,) * n if output_size is None or isinstance(output_size, (int, np.integer)) else tuple(output_size)
    if len(sizes) != n:
        kind = "a pair" if n == 2 else f"a sequence of {n}"
        raise ConfigError(f"{op}: output_size must be an integer or {kind}, got {output_size!r}")
    spatial, axes = X.shape[-n:], tuple(range(-n, 0))
    out_shape = tuple(spatial[i] if o is None else o for i, o in enumerate(sizes))
    if any(isinstance(o, bool) or not isinstance(o, (int, np.integer)) or o < 0 for o in out_shape):
        raise ConfigError(f"{op}: output_size must hold non-negative integers or None, got {output_size!r}")
    out_shape = tuple(int(o) for o in out_shape)
    lead, positions = X.shape[:-n], math.prod(spatial)
    if out_shape != (1,) * n:
        _nonempty_spatial(op, n, X)
    if 0 in out_shape:  # no bins: an empty result, whose gradient is zeros (PyTorch's, too)
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float32)
        return record(np.empty(lead + out_shape, dtype), (x,), lambda g: (np.zeros(X.shape, g.dtype),), op)
    if out_shape == (1,) * n:
        if X.dtype.kind != "f":
            X = X.astype(np.float32)
        # The global average of an empty plane is NaN, as PyTorch's (which takes it as a mean).
        out = X.mean(axis=axes, keepdims=True) if positions else np.full(lead + out_shape, np.nan, X.dtype)

        def backward_global(g):
            return (np.broadcast_to(g / positions, X.shape) if positions else np.zeros(X.shape, g.dtype),)

        return record(out, (x,), backward_global, op)
    if all(size % o == 0 for size, o in zip(spatial, out_shape)):
        kernel = tuple(size // o for size, o in zip(spatial, out_shape))
        return _avg_pool(op, n, x, kernel, kernel, 0, False, True)
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    bins = [[(i * size // o, -(-(i + 1) * size // o)) for i in range(o)] for size, o in zip(spatial, out_shape)]
    cells = [(cell, (Ellipsis,) + tuple(slice(*bins[axis][i]) for axis, i in enumerate(cell)))
             for cell in np.ndindex(*out_shape)]
    out = np.empty(lead + out_shape, dtype=X.dtype)
    for cell, window in cells:
        out[(Ellipsis,) + cell] = X[window].mean(axis=axes)

    def backward(g):
        gx = np.zeros(X.shape, dtype=g.dtype)
        for cell, window in cells:
            count = math.prod(s.stop - s.start for s in window[1:])
            gx[window] += (g[(Ellipsis,) + cell] / count)[(Ellipsis,) + (None,) * n]
        return (gx,)

    return record(out, (x,), backward, op)


def adaptive_avg_pool1d(input, output_size):
    """Average an (N, C, L) or (C, L) input down to ``output_size`` positions whatever L is.

    Output position i averages the inputs ⌊i·L/o⌋ .. ⌈(i+1)·L/o⌉ − 1 (the bins of
    :func:`adaptive_avg_pool2d`, along one axis), so neighbouring bins may share an input when o
    does not divide L. Each input passes back its share 1/(bin length) of every bin it is in.
    """
    op = "adaptive_avg_pool1d"
    x = operand(input)
    X = np.asarray(x.data)
    _batched(op, 1, X)
    size = output_size[0] if isinstance(output_size, (tuple, list)) and len(output_size) == 1 else output_size
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise ConfigError(f"{op}: output_size must be a non-negative integer, got {output_size!r}")
    if size != 1:  # (one bin is the global average: NaN of an empty length, as PyTorch's)
        _nonempty_spatial(op, 1, X)
    if X.dtype.kind != "f":
        X = X.astype(np.float32)
    length, size = X.shape[-1], int(size)
    bins = [(i * length // size, -(-(i + 1) * length // size)) for i in range(size)]
    out = np.empty(X.shape[:-1] + (size,), dtype=X.dtype)
    for i, (start, stop) in enumerate(bins):
        out[..., i] = X[..., start:stop].mean(axis=-1) if length else np.nan
    shape = X.shape

    def backward(g):
        gx = np.zeros(shape, dtype=g.dtype)
        for i, (start, stop) in enumerate(bins):
            if stop > start:
                gx[..., start:stop] += (g[..., i] / (stop - start))[..., None]
        return (gx,)

    return record(out, (x,), backward, op)


def _adaptive_sizes(op: str, n: int, shape: tuple, output_size) -> tuple:
    """``output_size`` (an int, or n of them where None keeps that axis) as n non-negative integers
    (0, as in PyTorch, gives an empty result)."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * n
    if len(sizes) != n:
        raise ConfigError(f"{op}: output_size must be an integer or a sequence of {n}, got {output_size!r}")
    sizes = tuple(length if o is None else o for length, o in zip(shape, sizes))
    if any(isinstance(o, bool) or not isinstance(o, (int, np.integer)) or o < 0 for o in sizes):
        raise ConfigError(f"{op}: output_size must hold non-negative integers or None, got {output_size!r}")
    return tuple(int(o) for o in sizes)


def _adaptive_max_pool(op: str, n: int, input, output_size, return_indices: bool):
    """The maximum of each adaptive bin (the bins of :func:`adaptive_avg_pool2d`: cell i along an axis
    of length L covers ⌊i·L/o⌋ .. ⌈(i+1)·L/o⌉ − 1), and where it was, as a flat index into the
    input's spatial plane per (sample, channel), as PyTorch returns it.

    The first maximum of a bin wins ties, as in PyTorch. The gradient of each output goes to the
    position that won; a position that wins two overlapping bins receives both.
    """
    x = operand(input)
    X = np.asarray(x.data)
    _batched(op, n, X)  # the shape check; the last n axes are pooled in both layouts
    spatial = X.shape[-n:]
    _nonempty_spatial(op, n, X)
    out_shape = _adaptive_sizes(op, n, spatial, output_size)
    bins = [[(i * size // o, -(-(i + 1) * size // o)) for i in range(o)] for size, o in zip(spatial, out_shape)]
    lead = X.shape[:-n]
    out = np.empty(lead + out_shape, dtype=X.dtype)
    where = np.empty(lead + out_shape, dtype=np.int64)
    # A loop over the output cells (few, by the nature of the layer), each a vectorised max over
    # every sample and channel at once.
    for cell in np.ndindex(*out_shape):
        ranges = [bins[axis][i] for axis, i in enumerate(cell)]
        # (the bin's size spelled out: NumPy cannot infer a -1 beside a 0, an empty batch)
        size = math.prod(stop - start for start, stop in ranges)
        window = X[(Ellipsis,) + tuple(slice(start, stop) for start, stop in ranges)].reshape(lead + (size,))
        winner = window.argmax(axis=-1) if window.size else np.zeros(lead, dtype=np.int64)
        out[(Ellipsis,) + cell] = np.take_along_axis(window, winner[..., None], axis=-1)[..., 0]
        offsets = np.unravel_index(winner, [stop - start for start, stop in ranges])
        where[(Ellipsis,) + cell] = np.ravel_multi_index(
            tuple(o + start for o, (start, _) in zip(offsets, ranges)), spatial)
    plane = math.prod(spatial)
    rows = math.prod(lead)

    def backward(g):
        # one bincount over (row, position) pairs adds the gradients of bins that share a winner
        targets = (np.arange(rows).reshape(lead + (1,) * n) * plane + where).ravel()
        gx = np.bincount(targets, weights=g.ravel(), minlength=rows * plane)
        return (gx.astype(g.dtype, copy=False).reshape(X.shape),)

    result = record(out, (x,), backward, op)
    return (result, Tensor._wrap(where)) if return_indices else result


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    """The maximum of each of ``output_size`` adaptive bins of an (N, C, L) or (C, L) input; with
    ``return_indices``, also (as a second tensor) the position of each maximum along L."""
    return _adaptive_max_pool("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """The maximum of each adaptive bin of an (N, C, H, W) or (C, H, W) input (``output_size``: an int
    or a pair, None keeping that axis); with ``return_indices``, also each maximum's flat position h·W + w."""
    return _adaptive_max_pool("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices: bool = False):
    """The maximum of each adaptive bin of an (N, C, D, H, W) or (C, D, H, W) input (``output_size``: an
    int or three, None keeping that axis); with ``return_indices``, also each maximum's flat position
    (d·H + h)·W + w."""
    return _adaptive_max_pool("adaptive_max_pool3d", 3, input, output_size, return_indices)
