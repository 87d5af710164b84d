"""Running totals along an axis: cumsum and cumprod; the running extremes cummax and cummin (values
and indices), the running log-sum-exp logcumsumexp; and diff, the inverse of a running sum.

``axis`` (NumPy's name) or ``dim`` (PyTorch's) picks the axis; with neither, the input is taken
flattened, as NumPy does (PyTorch asks for a dim). A 0-d input's only axis is 0 or -1.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import MaxMin, Tensor
from ._core import normalize_axes, operand, record
from .arithmetic import sub
from .logical import ne
from .promotion import refuse_non_floating
from .reduction import converted, integral_as_int64, kept
from .shape import _one_axis, concatenate, narrow


def _axis(name: str, X: np.ndarray, axis, dim):
    """The axis of ``X`` to run along, or None for a 0-d input (nothing to run along)."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{name}: give axis (NumPy's name) or dim (PyTorch's), not both")
        axis = dim
    if isinstance(axis, bool) or (axis is not None and not isinstance(axis, (int, np.integer))):
        raise TypeError(f"{name}: the axis must be one integer, got {axis!r}")
    if axis is None:
        return None
    (axis,) = normalize_axes(axis, X.ndim)
    return None if X.ndim == 0 else axis


def _reverse_cumsum(g: np.ndarray, axis: int) -> np.ndarray:
    """Σ over k ≥ i of g_k along ``axis``: the gradient of a running sum."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _running(name: str, forward, rule_for, a, axis, dim):
    """``forward(X, axis)`` along the checked axis (the flattened input without one), recorded with
    the rule ``rule_for(X, out, axis)`` returns: the input's gradient from the output's. (The rule
    keeps only what it reads, which is what the in-place change check looks for.)"""
    a = operand(a)
    X = a.data
    if axis is None and dim is None:  # NumPy's flattened form
        flat = X.reshape(-1)
        out = integral_as_int64(forward(flat, 0))
        rule, shape = rule_for(flat, out, 0), X.shape
        return record(out, (a,), lambda g: (rule(g).reshape(shape),), name)
    axis = _axis(name, X, axis, dim)
    if axis is None:  # a 0-d input: one element, its own running total
        return record(integral_as_int64(X.copy()), (a,), lambda g: (g,), name)
    out = integral_as_int64(forward(X, axis))
    rule = rule_for(X, out, axis)
    return record(out, (a,), lambda g: (rule(g),), name)


def _reverse_cumsum_along(X, out, axis):
    return lambda g: _reverse_cumsum(g, axis)


def cumsum(a, axis=None, *, dim=None, dtype=None):
    """The running sum along an axis (PyTorch's ``cumsum(dim)``, NumPy's ``cumsum(axis)``);
    ``dtype``, PyTorch's, converts the input first."""
    if dtype is not None:
        a = converted("cumsum", a, dtype)
    return kept(_running("cumsum", np.cumsum, _reverse_cumsum_along, a, axis, dim), dtype)


def _cumprod_rule(X: np.ndarray, out: np.ndarray, axis: int):
    return lambda g: _cumprod_gradient(X, out, g, axis)


def _cumprod_gradient(X: np.ndarray, out: np.ndarray, g: np.ndarray, axis: int) -> np.ndarray:
    """Gradient of y_k = Π_{j ≤ k} x_j: dx_i = Σ_{k ≥ i} g_k Π_{j ≤ k, j ≠ i} x_j, as PyTorch computes it.

    With no zero in the input that is Σ_{k ≥ i} g_k y_k / x_i. Otherwise, in each slice: that sum
    over the elements before the first zero z (taken over k < z only, so an inf·0 = NaN past z
    cannot reach them); y_{z−1} · Σ_{z ≤ k < z₂} g_k Π_{z < j ≤ k} x_j at z (z₂ the second zero);
    and 0 past z, where every product holds x_z.
    """
    x, y, g = (np.moveaxis(v, axis, -1) for v in (X, out, g))
    zero = x == 0
    with np.errstate(divide="ignore", invalid="ignore"):  # inf/inf, as PyTorch's
        if not zero.any():
            grad = _reverse_cumsum(g * y, -1) / x
        else:
            seen = np.cumsum(zero, axis=-1)  # zeros up to and including each position
            early = seen == 0
            grad = np.where(early, _reverse_cumsum(np.where(early, g * y, 0), -1) / np.where(early, x, 1), 0)
            first = zero & (seen == 1)
            between = (seen == 1) & ~first  # (z, z₂)
            running = np.cumprod(np.where(between, x, 1), axis=-1)
            total = np.where(seen == 1, g * running, 0).sum(axis=-1, keepdims=True)
            previous = np.concatenate([np.ones_like(y[..., :1]), y[..., :-1]], axis=-1)  # y_{k−1}
            grad = np.where(first, previous * total, grad)
    return np.moveaxis(grad.astype(X.dtype, copy=False), -1, axis)


def cumprod(a, axis=None, *, dim=None, dtype=None):
    """The running product along an axis; its gradient is PyTorch's where the slice holds zeros
    (one zero or several), not the 0/0 of dividing by the input. ``dtype`` converts the input first."""
    if dtype is not None:
        a = converted("cumprod", a, dtype)
    return kept(_running("cumprod", np.cumprod, _cumprod_rule, a, axis, dim), dtype)


def _dim_of(name: str, X: np.ndarray, dim):
    """The axis ``dim`` of ``X`` (required, as PyTorch requires it), or None for a 0-d input."""
    if dim is None:
        raise TypeError(f"{name}: give dim, the dimension to run along")
    return _axis(name, X, None, dim)


def _running_extremum(name: str, accumulate, input, dim):
    a = operand(input)
    X = np.asarray(a.data)
    axis = _dim_of(name, X, dim)
    if axis is None:  # a 0-d input: its own running extreme, at index 0
        return MaxMin(record(X.copy(), (a,), _passed, name), Tensor._wrap(np.zeros((), np.int64)))
    out = accumulate(X, axis=axis)
    # The index of the extreme so far is the last position whose element equals the running value
    # there (ties go to the latest, as in PyTorch), or is NaN (which, once met, is the value).
    positions = np.arange(X.shape[axis]).reshape((-1,) + (1,) * (X.ndim - axis - 1))
    reached = X == out
    if X.dtype.kind == "f":
        reached |= np.isnan(X)
    indices = np.maximum.accumulate(np.where(reached, positions, 0), axis=axis).astype(np.int64)

    def backward(g):
        # each output element's gradient goes to the element it copied
        grad = np.zeros(X.shape, g.dtype)
        where = list(np.indices(X.shape, sparse=True))
        where[axis] = indices
        np.add.at(grad, tuple(where), g)
        return (grad,)

    return MaxMin(record(out, (a,), backward, name), Tensor._wrap(indices))


def _passed(g):
    return (g,)


def cummax(input, dim):
    """``(values, indices)``: the largest element so far along ``dim`` and where it stands (the latest
    position for ties, as in PyTorch; NaN, once met, stays). The gradient goes to those elements."""
    return _running_extremum("cummax", np.maximum.accumulate, input, dim)


def cummin(input, dim):
    """``(values, indices)``: the smallest element so far along ``dim`` and where it stands (the latest
    position for ties, as in PyTorch; NaN, once met, stays). The gradient goes to those elements."""
    return _running_extremum("cummin", np.minimum.accumulate, input, dim)


def _reverse_logcumsumexp(z: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.logaddexp.accumulate(np.flip(z, axis), axis=axis), axis)


def logcumsumexp(input, dim):
    """ln Σ_{j ≤ i} exp(x_j) along ``dim``, computed without overflow; floating-point tensors only."""
    a = operand(input)
    X = np.asarray(a.data)
    if X.dtype.kind != "f":
        refuse_non_floating("logcumsumexp", X.dtype)
    axis = _dim_of("logcumsumexp", X, dim)
    if axis is None:
        return record(X.copy(), (a,), _passed, "logcumsumexp")
    out = np.logaddexp.accumulate(X, axis=axis)

    def backward(g):
        # dx_i = Σ_{k ≥ i} g_k·exp(x_i − out_k), summed in log space as PyTorch sums it (positive and
        # negative g apart), so no exp overflows: exp(x_i + ln Σ_{k ≥ i} exp(ln|g_k| − out_k))
        with np.errstate(divide="ignore", invalid="ignore"):
            positive = np.log(np.where(g > 0, g, 0)) - out
            negative = np.log(np.where(g < 0, -g, 0)) - out
            grad = (np.exp(_reverse_logcumsumexp(positive, axis) + X)
                    - np.exp(_reverse_logcumsumexp(negative, axis) + X))
        return (grad.astype(X.dtype, copy=False),)

    return record(out, (a,), backward, "logcumsumexp")


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim``: out[i] = x[i + 1] − x[i], applied ``n`` times,
    after joining ``prepend`` and ``append`` to the ends. Booleans give x[i + 1] ≠ x[i], as in PyTorch."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"diff: n must be a non-negative integer, got {n!r}")
    x = operand(input)
    if np.ndim(x.data) == 0:
        raise ShapeError("diff: expects a tensor with at least one dimension, got a 0-d tensor")
    axis = _one_axis("diff", dim, np.ndim(x.data))
    if prepend is not None or append is not None:
        parts = [operand(p) for p in (prepend, x, append) if p is not None]
        x = concatenate(parts, axis)
    for _ in range(n):
        length = x.data.shape[axis]
        if length == 0:
            break
        later, earlier = narrow(x, axis, 1, length - 1), narrow(x, axis, 0, length - 1)
        x = ne(later, earlier) if x.data.dtype.kind == "b" else sub(later, earlier)
    return x
