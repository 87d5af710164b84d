"""``quantile`` and ``nanquantile``, PyTorch's: the q-th quantiles of the values along a dimension.

The values are sorted (stably, NaNs last) and q ∈ [0, 1] is mapped to a rank r = q·(n − 1) among
them; between the two order statistics at ⌊r⌋ and ⌈r⌉ the interpolation picks the lower, the higher
or the nearest (a rank halfway rounds to even, as PyTorch's round), their midpoint, or the linear
blend lo + (r − ⌊r⌋)·(hi − lo). The gradient is that blend's: a share (1 − w) of g goes to the
element at ⌊r⌋ and w to the one at ⌈r⌉ (w = 0 or 1 for the picking interpolations), so, as in
PyTorch, one or two elements of each slice receive it; q receives none (PyTorch's linear blend
passes one to a q that requires it). Among equal elements (or NaNs), the one a stable sort places at
the rank receives it: PyTorch's sort is stable on slices of up to 16 elements and may pick another
of the equal elements in longer ones.

A NaN in a slice makes each of its quantiles NaN (the rank is moved onto a NaN, which gets the
gradient); ``nanquantile`` ranks among the numbers alone, and a slice of NaNs only gives NaN.
The rank is computed in the input's dtype, as PyTorch does, so float32 rounds it as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ._core import operand, record
from .promotion import refuse_non_floating
from .shape import _one_axis

INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles (q a number or a vector in [0, 1]) of all elements, or along ``dim``.

    The result has ``input``'s shape with ``dim`` reduced (kept as 1 with ``keepdim``); a vector q
    adds a leading dimension, one entry per quantile. A slice holding a NaN has NaN quantiles."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, skip_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """:func:`quantile` of the elements that are not NaN; NaN where a slice holds no number."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, skip_nan=True)


def _levels(op: str, q, dtype: np.dtype) -> tuple[np.ndarray, bool]:
    """q as a vector of ``dtype`` (the rank is computed in the input's dtype), and whether it was one number."""
    levels = np.asarray(operand(q).data)
    if levels.ndim > 1:
        raise ShapeError(f"{op}: q must be a number or a vector, got shape {levels.shape}")
    if levels.dtype.kind not in "fiu":
        raise TypeError(f"{op}: q must hold numbers in [0, 1], got {levels.dtype}")
    outside = levels[~((levels >= 0) & (levels <= 1))]  # (a NaN is outside too)
    if outside.size:
        raise ConfigError(f"{op}: q must be in [0, 1], got {outside.flat[0].item()!r}")
    return levels.astype(dtype).reshape(-1), levels.ndim == 0


def _quantile(op, input, q, dim, keepdim, interpolation, skip_nan):
    a = operand(input)
    X = np.asarray(a.data)
    if X.dtype.kind != "f":
        refuse_non_floating(op, X.dtype)
    if X.dtype not in (np.float32, np.float64):
        raise TypeError(f"{op}: the input must be float32 or float64, as in PyTorch, got {X.dtype}")
    if interpolation not in INTERPOLATIONS:
        raise ConfigError(f"{op}: interpolation must be one of {', '.join(INTERPOLATIONS)}, got {interpolation!r}")
    levels, one_level = _levels(op, q, X.dtype)
    if X.size == 0:
        raise ShapeError(f"{op}: the input of shape {X.shape} is empty, and the quantiles of no elements are undefined")

    if dim is None:
        axis, rows, kept = None, X.reshape(1, -1), ()
    else:
        axis = _one_axis(op, dim, max(X.ndim, 1))  # (dim 0 or -1 of a 0-d tensor: the tensor itself)
        rows = np.moveaxis(X.reshape(X.shape or (1,)), axis, -1)
        kept = rows.shape[:-1]  # the dimensions not reduced, in their order
    rows = rows.reshape(-1, rows.shape[-1])  # (m, n)
    n = rows.shape[1]

    order = np.argsort(rows, axis=1, kind="stable")  # NaNs last, in their order
    ranked = np.take_along_axis(rows, order, axis=1)
    nan = np.isnan(ranked)
    if skip_nan:
        count = n - nan.sum(axis=1, keepdims=True)
        rank = np.maximum(levels * (count - 1).astype(X.dtype), 0)  # no numbers: rank 0, a NaN
    else:
        rank = np.where(nan[:, -1:], X.dtype.type(n - 1), levels * X.dtype.type(n - 1))  # (m, k)
    if interpolation in ("lower", "higher", "nearest"):
        rank = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}[interpolation](rank)
    below, above = np.floor(rank).astype(np.intp), np.ceil(rank).astype(np.intp)
    if interpolation == "midpoint":
        weight = np.where(below == above, 0, 0.5).astype(X.dtype)
    else:
        weight = (rank - below).astype(X.dtype)
    lo, hi = np.take_along_axis(ranked, below, axis=1), np.take_along_axis(ranked, above, axis=1)
    with np.errstate(invalid="ignore"):  # (an infinity minus itself: NaN, as PyTorch's lerp)
        values = _lerp(lo, hi, weight)
    first, second = np.take_along_axis(order, below, axis=1), np.take_along_axis(order, above, axis=1)

    def arranged(v: np.ndarray) -> np.ndarray:
        """(m, k) -> PyTorch's layout: the quantiles first, then the kept dimensions (or ones)."""
        v = np.moveaxis(v, 1, 0).reshape((len(levels),) + kept)
        if keepdim and X.ndim:
            v = v.reshape((len(levels),) + (1,) * X.ndim) if axis is None else np.expand_dims(v, axis + 1)
        return v[0] if one_level else v

    def backward(g):
        g = np.moveaxis(np.asarray(g).reshape((len(levels), -1)), 0, 1)  # back to (m, k)
        grad = np.zeros(rows.shape, g.dtype)
        lines = np.broadcast_to(np.arange(rows.shape[0])[:, None], first.shape)
        np.add.at(grad, (lines, first), g * (1 - weight))
        np.add.at(grad, (lines, second), g * weight)
        grad = grad.reshape(kept + (n,))
        if axis is not None:
            grad = np.moveaxis(grad, -1, axis)
        return (grad.reshape(X.shape),)

    return record(arranged(values), (a,), backward, op)


def _lerp(lo: np.ndarray, hi: np.ndarray, w: np.ndarray) -> np.ndarray:
    """lo + w·(hi − lo), from whichever end is nearer (PyTorch's lerp: exact at w = 0 and w = 1)."""
    difference = hi - lo
    return np.where(w < 0.5, lo + w * difference, hi - difference * (1 - w))
