"""The trapezoidal rule, PyTorch's ``trapezoid`` (``trapz``) and ``cumulative_trapezoid``: the
integral of samples y along ``dim``, ∫ y ≈ Σᵢ (yᵢ + yᵢ₊₁)/2 · Δxᵢ, with the spacing Δx a constant
``dx`` (1 by default) or the differences of the sample points ``x``. Composed of slicing, add, mul,
sum and cumsum, whose rules give the gradients (to y, and to x where it is a tensor that requires one).
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import get_default_dtype
from ._core import normalize_axes, operand
from .arithmetic import add, mul, sub
from .cumulative import cumsum
from .elementwise import astype
from .reduction import sum as _sum
from .shape import getitem, reshape


def _neighbours(t, axis: int) -> tuple:
    """(t[1:], t[:-1]) along ``axis``: each sample after the first, and the one before it."""
    n = np.shape(t.data)[axis]
    before = (slice(None),) * axis
    return getitem(t, before + (slice(1, None),)), getitem(t, before + (slice(None, max(n - 1, 0)),))


def _areas(op: str, y, x, dx, dim):
    """The areas of the trapezoids between neighbouring samples along ``dim``, and that axis."""
    if x is not None and dx is not None:
        raise TypeError(f"{op}: give the sample points x or the spacing dx, not both (as PyTorch)")
    t = operand(y)
    Y = np.asarray(t.data)
    if Y.dtype.kind != "f":  # (integer samples integrate to a float, as in PyTorch)
        t = astype(t, get_default_dtype())
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an integer, got {dim!r}")
    (axis,) = normalize_axes(dim, max(Y.ndim, 1))
    if Y.ndim == 0:
        raise ShapeError(f"{op}: y must have at least one dimension, got a 0-d tensor")
    n = Y.shape[axis]
    heights = add(*_neighbours(t, axis))
    if x is None:
        spacing = 1.0 if dx is None else dx
        if isinstance(spacing, bool) or not isinstance(spacing, (int, float, np.integer, np.floating)):
            raise TypeError(f"{op}: dx must be a number, got {spacing!r}")
        return mul(heights, float(spacing) / 2), axis
    points = operand(x)
    X = np.asarray(points.data)
    if X.dtype.kind != "f":
        points = astype(points, get_default_dtype())
    if X.ndim == 1:  # one point per sample, along dim
        if X.shape[0] != n:
            raise ShapeError(f"{op}: x has {X.shape[0]} sample points, y {n} samples along dim {dim}; there must be "
                             "one x for each sample")
        steps = reshape(sub(*_neighbours(points, 0)), (-1,) + (1,) * (Y.ndim - 1 - axis))
    else:  # (as PyTorch: the differences along x's own dimension dim, then broadcast with y's)
        if X.ndim > Y.ndim:
            raise ShapeError(f"{op}: x of shape {X.shape} has more dimensions than y of shape {Y.shape}")
        steps = sub(*_neighbours(points, normalize_axes(dim, X.ndim)[0]))
    try:
        np.broadcast_shapes(np.shape(heights.data), np.shape(steps.data))
    except ValueError:
        raise ShapeError(f"{op}: x of shape {X.shape} does not broadcast with y of shape {Y.shape}") from None
    return mul(mul(heights, steps), 0.5), axis


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule's integral of the samples ``y`` along ``dim``: Σ (yᵢ + yᵢ₊₁)/2 · Δxᵢ, with
    Δx the differences of the sample points ``x`` (a vector of one point per sample, or a tensor that
    broadcasts with y) or the constant ``dx`` (1 by default). Fewer than two samples give 0."""
    areas, axis = _areas("trapezoid", y, x, dx, dim)
    return _sum(areas, axis)


trapz = trapezoid  # PyTorch's older name


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of :func:`trapezoid`: one fewer element along ``dim`` than ``y``, the
    k-th the integral over the first k + 1 samples."""
    areas, axis = _areas("cumulative_trapezoid", y, x, dx, dim)
    return cumsum(areas, axis)
