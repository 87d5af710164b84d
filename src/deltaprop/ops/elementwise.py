"""Elementwise functions: exp, log, sqrt, abs, clip, maximum, minimum, where, astype."""

from __future__ import annotations

import numpy as np

from ..dtypes import TENSOR_KINDS, dtype_refusal
from ..errors import ShapeError
from ..tensor import Tensor
from ._core import broadcast_error, operand, record, unbroadcast
from .promotion import FLOATING, cast, fitted, floating, promoted, refuse_booleans, result_type


def exp(a):
    a = operand(a)
    x = a.data
    if getattr(x, "dtype", None) not in FLOATING:  # integers, booleans, numbers: the default float
        x = floating(x)
    out = np.exp(x)

    def backward(g):
        return (g * out,)  # (eˣ)' = eˣ, the saved output

    return record(out, (a,), backward, "exp")


def log(a):
    a = operand(a)
    x = a.data
    if getattr(x, "dtype", None) not in FLOATING:  # integers, booleans, numbers: the default float
        x = floating(x)
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, log(-1) = NaN, quietly, as in PyTorch
        out = np.log(x)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / x,)

    return record(out, (a,), backward, "log")


def sqrt(a):
    a = operand(a)
    x = a.data
    if getattr(x, "dtype", None) not in FLOATING:  # integers, booleans, numbers: the default float
        x = floating(x)
    out = np.sqrt(x)

    def backward(g):
        return (g / (2 * out),)

    return record(out, (a,), backward, "sqrt")


def abs(a):
    a = operand(a)
    if a.data.dtype.kind == "b":
        refuse_booleans("abs")

    def backward(g):
        return (g * np.sign(a.data),)  # subgradient 0 at 0, as in PyTorch

    return record(np.abs(a.data), (a,), backward, "abs")


def clip(a, min=None, max=None):
    """Clamp into [min, max]; the gradient passes where min <= a <= max (PyTorch's choice at the edges).

    The bounds are numbers, arrays or tensors. A tensor bound gets the gradient where its value is
    the one selected, as in PyTorch: min where a < min < max, max where a > max or the bounds
    cross (min > max, where the result is max). Bounds that broadcast the input to a larger shape
    give a result of that shape, and gradients summed back to each operand's shape.
    """
    a = operand(a)
    if min is None and max is None:
        raise ValueError("clip: give min, max or both")
    low, high = _bound(min), _bound(max)
    # the input and the bounds in the dtype PyTorch clamps in (an integer tensor clamped by 0.5: float32)
    dtype = result_type(a.data, *(bound for bound in (low, high) if bound is not None))
    if dtype.kind in "iu":  # a Python int bound converted as PyTorch converts it (uint8 by -1: 255; by 300: refused)
        low, high = (fitted("clip", v, dtype) if type(v) is int else v for v in (low, high))
    x, low, high = (cast(v, dtype) for v in (a.data, low, high))
    try:
        out = np.clip(x, low, high)
        out = out if out.dtype == dtype else out.astype(dtype)  # (NumPy's clip of integers by a number)
    except ValueError:
        shapes = ", ".join(str(np.shape(v)) for v in (a.data, low, high) if v is not None)
        raise ShapeError(f"clip: the input and bounds of shapes {shapes} cannot be broadcast together") from None
    # Only bounds that want a gradient join the graph; the others stay constants the rule keeps.
    min_learns, max_learns = (isinstance(bound, Tensor) and bound.requires_grad for bound in (min, max))
    bounds = (min,) * min_learns + (max,) * max_learns

    def backward(g):
        # where, not g · mask: an infinite g where an operand is not selected must give it 0, not NaN
        # (PyTorch's too)
        inside = True
        if low is not None:
            inside = inside & (x >= low)
        if high is not None:
            inside = inside & (x <= high)
        grads = [unbroadcast(g if inside is True else np.where(inside, g, 0), a.data.shape) if a.requires_grad else None]
        if min_learns:
            picked = x < low
            if high is not None:
                picked = picked & (low < high)
            grads.append(unbroadcast(np.where(picked, g, 0), np.shape(low)))
        if max_learns:
            picked = x > high
            if low is not None:
                picked = picked | (high < low)
            grads.append(unbroadcast(np.where(picked, g, 0), np.shape(high)))
        return tuple(grads)

    return record(out, (a, *bounds), backward, "clip")


def _bound(bound):
    """A bound of clip as an array or a Python number (a NumPy one as the Python number it holds)."""
    if isinstance(bound, Tensor):
        return bound.data
    if isinstance(bound, np.generic):
        return bound.item()
    return bound if bound is None or isinstance(bound, (bool, int, float, np.ndarray)) else np.asarray(bound)


def share(x, y, loses, dtype) -> np.ndarray:
    """The share of maximum's or minimum's gradient that goes to the operand ``x`` against the other
    one ``y``, as PyTorch's rule gives it: 0 where x loses (``loses(x, y)``), ½ at ties (PyTorch
    splits them), 1 elsewhere: where x wins, and where the result is NaN, a NaN operand neither
    winning, losing nor tying, so that both operands get the whole gradient there."""
    return np.where(loses(x, y), 0.0, np.where(x == y, 0.5, 1.0)).astype(dtype)


def _select(a, b, name, pick, loses):
    if type(a) is not Tensor or type(b) is not Tensor:  # (two tensors, the common case, pay one check)
        _refuse_a_number(name, a, b)
    a, b = operand(a), operand(b)
    x, y = promoted(a.data, b.data)
    try:
        out = pick(x, y)
    except ValueError:
        raise broadcast_error(name, a, b) from None

    def backward(g):
        return (_part(g, x, y, loses, np.shape(a.data)) if a.requires_grad else None,
                _part(g, y, x, loses, np.shape(b.data)) if b.requires_grad else None)

    return record(out, (a, b), backward, name)


def _part(g, mine, other, loses, shape) -> np.ndarray:
    """An operand's gradient of maximum or minimum: g times its share, summed back to its shape. The
    losing side gets 0 even where g is infinite (g · 0 would be NaN), as in PyTorch."""
    shared = share(mine, other, loses, g.dtype)
    with np.errstate(invalid="ignore"):  # the inf · 0 that where() then discards
        return unbroadcast(np.where(shared == 0, 0, g * shared), shape)


def _refuse_a_number(name, a, b) -> None:
    """Refuse a Python or NumPy number as an operand of maximum or minimum, as PyTorch's (whose
    maximum requires tensors) refuses it: clamp takes a number bound."""
    for v in (a, b):
        if isinstance(v, (bool, int, float, np.generic)):
            bound = "min" if name == "maximum" else "max"
            raise TypeError(f"{name}: expected two tensors, got a number ({v!r}), as PyTorch does; use "
                            f"clamp({bound}=number) for a number bound, or wrap the number in a tensor: dp.tensor(number).")


def maximum(a, b):
    return _select(a, b, "maximum", np.maximum, np.less)


def minimum(a, b):
    return _select(a, b, "minimum", np.minimum, np.greater)


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, of ``other`` elsewhere; the condition carries
    no gradient. With the condition alone, PyTorch's ``where(condition)``: the positions where it
    holds, one int64 vector per dimension (``nonzero(condition, as_tuple=True)``)."""
    if input is None and other is None:
        positions = np.nonzero(np.atleast_1d(np.asarray(condition.data if hasattr(condition, "data") else condition)))
        return tuple(Tensor._wrap(p.astype(np.int64)) for p in positions)
    if input is None or other is None:
        raise TypeError("where: give the condition with both input and other, or the condition alone")
    condition = np.asarray(condition.data if hasattr(condition, "data") else condition, dtype=bool)
    a, b = operand(input), operand(other)
    x, y = a.data, b.data
    # a Python int with an integer tensor converted as PyTorch converts it (uint8: 300 refused, -1 is 255);
    # with a boolean one, for the int64 they promote to
    if type(y) is int and isinstance(x, np.ndarray) and x.dtype.kind in "biu":
        y = fitted("where", y, x.dtype if x.dtype.kind != "b" else np.int64)
    elif type(x) is int and isinstance(y, np.ndarray) and y.dtype.kind in "biu":
        x = fitted("where", x, y.dtype if y.dtype.kind != "b" else np.int64)
    try:
        out = np.where(condition, *promoted(x, y))
    except ValueError:
        raise ShapeError(
            f"where: condition of shape {condition.shape} and values of shapes {np.shape(a.data)} and "
            f"{np.shape(b.data)} cannot be broadcast together"
        ) from None

    def backward(g):
        return (
            unbroadcast(np.where(condition, g, 0), np.shape(a.data)) if a.requires_grad else None,
            unbroadcast(np.where(condition, 0, g), np.shape(b.data)) if b.requires_grad else None,
        )

    return record(out, (a, b), backward, "where")


def clone(a):
    """A copy of ``a``'s values that stays in the graph (PyTorch's ``clone``): its gradient is ``a``'s."""
    a = operand(a)
    return record(a.data.copy(), (a,), lambda g: (g,), "clone")


def astype(a, dtype):
    """Convert to ``dtype``; the gradient is converted back to the input's dtype."""
    a = operand(a)
    try:
        target = np.dtype(dtype)
    except (TypeError, ValueError):
        raise dtype_refusal("astype", dtype) from None
    if target == a.data.dtype:
        return a
    if target.kind != "f":  # integers and booleans carry no gradient
        if target.kind not in TENSOR_KINDS:
            raise dtype_refusal("astype", dtype)
        return Tensor._wrap(a.data.astype(target))

    def backward(g):
        return (g.astype(a.data.dtype),)

    return record(a.data.astype(target), (a,), backward, "astype")
