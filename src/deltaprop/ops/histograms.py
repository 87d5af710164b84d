"""Histograms, PyTorch's: ``histc`` (counts in equal bins), ``histogram`` (counts or weights, in
equal bins or between given edges, with the edges) and ``histogramdd`` (the same over D dimensions).

A value v falls in bin i where edgeᵢ ≤ v < edgeᵢ₊₁, the last bin also taking its right edge; values
outside the edges, and NaN, are left out. Equal bins between lo and hi have the edges PyTorch's
linspace gives (exact ends). Without a range the data's own smallest and largest values are the
ends (0 and 1 for no data; a NaN among the data is refused there); where those are equal the range
is widened, by 1 each way for histc and by ½ for histogram, as PyTorch's. No gradient, as in
PyTorch; floating-point inputs only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..creation import _evenly_spaced
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._core import operand
from .promotion import refuse_non_floating


class HistogramResult(NamedTuple):
    hist: object
    bin_edges: object


class HistogramddResult(NamedTuple):
    hist: object
    bin_edges: object


def _floating_values(op: str, input) -> np.ndarray:
    X = np.asarray(operand(input).data)
    if X.dtype.kind != "f":
        refuse_non_floating(op, X.dtype)
    return X


def _count(op: str, bins) -> int:
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ConfigError(f"{op}: bins must be a positive integer, got {bins!r}")
    return int(bins)


def _equal_edges(op: str, values: np.ndarray, bins: int, low, high, widen: float, dtype) -> np.ndarray:
    """The ``bins`` + 1 edges of equal bins from ``low`` to ``high`` (the finite data's ends where
    both are None), the ends widened by ``widen`` each way where they meet."""
    if low is None and high is None:
        low, high = (float(np.min(values)), float(np.max(values))) if values.size else (0.0, 1.0)
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{op}: the range [{low}, {high}] is not finite (give range=, or leave out the infinite "
                         "and NaN values)")
    if low > high:
        raise ConfigError(f"{op}: the range's lower end {low} is above its upper end {high}")
    if low == high:
        low, high = low - widen, high + widen
    return _evenly_spaced(low, high, bins + 1).astype(dtype)


def _given_edges(op: str, edges, dtype) -> np.ndarray:
    E = np.asarray(operand(edges).data)
    if E.ndim != 1 or E.size < 2:
        raise ShapeError(f"{op}: bin edges must be a vector of at least 2 values, got shape {E.shape}")
    if E.dtype != dtype:
        raise TypeError(f"{op}: the bin edges must have the input's dtype {dtype}, got {E.dtype} (as in PyTorch)")
    if np.any(np.diff(E) < 0) or np.any(np.isnan(E)):
        raise ValueError(f"{op}: bin edges must not decrease, got {E.tolist()}")
    return E


def _bin_of(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each value's bin (edgeᵢ ≤ v < edgeᵢ₊₁, the last edge in the last bin), −1 outside the edges."""
    index = np.searchsorted(edges, values, side="right") - 1
    index = np.where(values == edges[-1], len(edges) - 2, index)
    with np.errstate(invalid="ignore"):
        inside = (values >= edges[0]) & (values <= edges[-1])
    return np.where(inside, index, -1)


def _weights(op: str, weight, shape: tuple, dtype):
    if weight is None:
        return None
    W = np.asarray(operand(weight).data)
    if W.shape != shape:
        raise ShapeError(f"{op}: weight must have shape {shape} (one per value), got {W.shape}")
    return W


def _tally(indices: list, sizes: tuple, weights, dtype) -> np.ndarray:
    """The counts (or sums of ``weights``) of the bins ``indices`` (one array per dimension) in an
    array of ``sizes``, values with any index −1 left out."""
    inside = np.all([i >= 0 for i in indices], axis=0) if indices else np.ones(0, bool)
    flat = np.ravel_multi_index([i[inside] for i in indices], sizes) if inside.any() else np.zeros(0, np.intp)
    w = None if weights is None else np.asarray(weights, np.float64)[inside]
    return np.bincount(flat, weights=w, minlength=int(np.prod(sizes))).reshape(sizes).astype(dtype)


def _density(hist: np.ndarray, edges: list) -> np.ndarray:
    """``hist`` divided by its total and by each bin's volume, so that it integrates to 1."""
    volume = np.ones(hist.shape)
    for axis, e in enumerate(edges):
        widths = np.diff(np.asarray(e, np.float64))
        volume = volume * widths.reshape((-1,) + (1,) * (hist.ndim - axis - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (hist / (hist.sum() * volume)).astype(hist.dtype)


def histc(input, bins=100, min=0, max=0):
    """The counts of the elements of ``input`` in ``bins`` equal bins from ``min`` to ``max`` (where
    they are equal, as the default 0 and 0 are: from the smallest element to the largest), in the
    input's dtype; elements outside are left out. No gradient."""
    X = _floating_values("histc", input)
    bins = _count("histc", bins)
    if float(min) > float(max):
        raise ConfigError(f"histc: max must not be below min, got min={min!r} and max={max!r}")
    low, high = (None, None) if float(min) == float(max) else (min, max)
    values = X.reshape(-1)
    edges = _equal_edges("histc", values, bins, low, high, 1.0, X.dtype)
    return Tensor._wrap(_tally([_bin_of(values, edges)], (bins,), None, X.dtype))


def histogram(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges): the counts of the elements of ``input`` (or the sums of their ``weight``,
    a tensor of the input's shape) in ``bins`` equal bins over ``range`` (lo, hi) (the data's own
    ends by default), or between the edges ``bins`` (a vector that does not decrease, in the input's
    dtype); ``density`` divides by the total and the bins' widths. No gradient."""
    X = _floating_values("histogram", input)
    values = X.reshape(-1)
    edges = _edges_for("histogram", values, bins, range, X.dtype)
    W = _weights("histogram", weight, X.shape, X.dtype)
    hist = _tally([_bin_of(values, edges)], (len(edges) - 1,), None if W is None else W.reshape(-1), X.dtype)
    if density:
        hist = _density(hist, [edges])
    return HistogramResult(Tensor._wrap(hist), Tensor._wrap(edges))


def _edges_for(op: str, values: np.ndarray, bins, range, dtype) -> np.ndarray:
    """The edges of one dimension: ``bins`` equal bins over ``range`` (or the data's ends), or the
    edges ``bins`` given as a tensor."""
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        low, high = (None, None) if range is None else _pair(op, range)
        return _equal_edges(op, values, _count(op, bins), low, high, 0.5, dtype)
    if range is not None:
        raise TypeError(f"{op}: range goes with a number of bins, not with given bin edges")
    return _given_edges(op, bins, dtype)


def _pair(op: str, range) -> tuple:
    try:
        low, high = range
    except (TypeError, ValueError):
        raise TypeError(f"{op}: range must be a pair (lo, hi), got {range!r}") from None
    return low, high


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges) of the points in the last dimension of ``input`` (D coordinates each; the
    leading dimensions hold the points): ``bins`` a number of equal bins for every dimension, one per
    dimension, or one vector of edges per dimension; ``range`` the flat [lo₀, hi₀, lo₁, hi₁, ...];
    ``weight`` one per point; ``density`` as :func:`histogram`'s. ``bin_edges`` is a tuple of D
    vectors. No gradient."""
    X = _floating_values("histogramdd", input)
    if X.ndim < 2:
        raise ShapeError(f"histogramdd: expects points of D coordinates in the last dimension (2 dimensions or more), "
                         f"got shape {X.shape}")
    D = X.shape[-1]
    points = X.reshape(-1, D)
    per_dimension = list(bins) if isinstance(bins, (list, tuple)) else [bins] * D
    if len(per_dimension) != D:
        raise ShapeError(f"histogramdd: bins has {len(per_dimension)} entries for points of {D} coordinates")
    if range is not None and len(range) != 2 * D:
        raise ShapeError(f"histogramdd: range must hold 2 numbers per dimension ({2 * D}), got {len(range)}")
    edges = [_edges_for("histogramdd", points[:, d], b, None if range is None else range[2 * d:2 * d + 2], X.dtype)
             for d, b in enumerate(per_dimension)]
    W = _weights("histogramdd", weight, X.shape[:-1], X.dtype)
    sizes = tuple(len(e) - 1 for e in edges)
    hist = _tally([_bin_of(points[:, d], e) for d, e in enumerate(edges)], sizes,
                  None if W is None else W.reshape(-1), X.dtype)
    if density:
        hist = _density(hist, edges)
    return HistogramddResult(Tensor._wrap(hist), tuple(Tensor._wrap(e) for e in edges))
