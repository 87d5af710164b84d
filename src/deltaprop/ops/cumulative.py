"""Running totals along an axis: cumsum and cumprod.

``axis`` (NumPy's name) or ``dim`` (PyTorch's) picks the axis; with neither, the input is taken
flattened, as NumPy does (PyTorch asks for a dim). A 0-d input's only axis is 0 or -1.
"""

from __future__ import annotations

import numpy as np

from ._core import normalize_axes, operand, record
from .reduction import converted, integral_as_int64, kept


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
