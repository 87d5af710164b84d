"""Elementwise functions of two tensors, under PyTorch's names: atan2 (arctan2), hypot, logaddexp,
logaddexp2, xlogy, fmod, copysign, and lerp of three.

Operands broadcast, and are promoted by PyTorch's rule (ops.promotion); the floating functions
compute integers in the default float dtype (atan2, xlogy, copysign) or refuse them, as PyTorch
does (hypot, logaddexp, logaddexp2). fmod keeps integers integral. Each gradient is summed back to
its operand's shape.

At the points where a formula reads 0/0, the rule gives what PyTorch's gives: atan2(0, 0) a zero
gradient, hypot(0, 0) NaN, xlogy(0, y) a zero gradient for x (NaN where y is NaN) and x/y for y,
copysign a zero gradient where the magnitude is 0.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ._core import broadcast_error, operand, record, unbroadcast
from ..tensor import get_default_dtype
from .promotion import refuse_booleans, refuse_non_floating, result_type


def _operands(name: str, a, b, *, floating: bool = False, only_floating: bool = False):
    """The tensors of ``a`` and ``b`` and their arrays, promoted (``floating``: integers in the
    default float dtype; ``only_floating``: integers refused) and checked to broadcast."""
    a, b = operand(a), operand(b)
    try:
        np.broadcast_shapes(np.shape(a.data), np.shape(b.data))
    except ValueError:
        raise broadcast_error(name, a, b) from None
    dtype = result_type(a.data, b.data)
    if dtype.kind != "f":
        if only_floating:
            refuse_non_floating(name, dtype)
        if floating:
            dtype = get_default_dtype()
    x, y = (np.asarray(v).astype(dtype, copy=False) for v in (a.data, b.data))
    return a, b, x, y


def _gradients(a, b, g_a, g_b):
    """The gradients of ``a`` and ``b`` from ``g_a()`` and ``g_b()``, each computed only where its
    operand wants one, summed back to its shape."""
    return (unbroadcast(g_a(), np.shape(a.data)) if a.requires_grad else None,
            unbroadcast(g_b(), np.shape(b.data)) if b.requires_grad else None)


def atan2(input, other):
    """The angle of the point (other, input), in (−π, π]: the quadrant-aware atan(input / other)."""
    a, b, y, x = _operands("atan2", input, other, floating=True)
    out = np.arctan2(y, x)

    def backward(g):
        # d/dy = x / (x² + y²), d/dx = −y / (x² + y²); 0 at the origin, as PyTorch's
        r2 = x * x + y * y
        with np.errstate(divide="ignore"):
            scale = np.where(r2 == 0, 0, g / r2)
        return _gradients(a, b, lambda: scale * x, lambda: -scale * y)

    return record(out, (a, b), backward, "atan2")


arctan2 = atan2  # NumPy's name, which PyTorch also takes


def hypot(input, other):
    """√(input² + other²), without overflow for large operands; floating-point tensors only."""
    a, b, x, y = _operands("hypot", input, other, only_floating=True)
    out = np.hypot(x, y)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):  # hypot(0, 0): 0/0, NaN, as in PyTorch
            return _gradients(a, b, lambda: g * x / out, lambda: g * y / out)

    return record(out, (a, b), backward, "hypot")


def _log_add_exp(op: str, combine, power, input, other):
    """log_b(bˣ + bʸ) by NumPy's overflow-free ``combine``; its gradient is the softmax weights of the
    two, 1 / (1 + b^(y−x)) and 1 / (1 + b^(x−y)) (``power`` is b^t): an overflow to inf gives the
    weight 0, two equal infinities NaN, as PyTorch's."""
    a, b, x, y = _operands(op, input, other, only_floating=True)
    out = combine(x, y)

    def backward(g):
        with np.errstate(over="ignore", invalid="ignore"):
            return _gradients(a, b, lambda: g / (1 + power(y - x)), lambda: g / (1 + power(x - y)))

    return record(out, (a, b), backward, op)


def logaddexp(input, other):
    """ln(eˣ + eʸ), computed without overflow; floating-point tensors only."""
    return _log_add_exp("logaddexp", np.logaddexp, np.exp, input, other)


def logaddexp2(input, other):
    """log₂(2ˣ + 2ʸ), computed without overflow; floating-point tensors only."""
    return _log_add_exp("logaddexp2", np.logaddexp2, np.exp2, input, other)


def xlogy(input, other):
    """input · ln(other), and 0 where input is 0 (unless other is NaN), as PyTorch's and SciPy's:
    the entropy term 0 · ln 0 counts as 0."""
    a, b, x, y = _operands("xlogy", input, other, floating=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_y = np.log(y)
        out = np.where((x == 0) & ~np.isnan(y), 0, x * log_y).astype(x.dtype, copy=False)

    def backward(g):
        # d/dx = ln y, as PyTorch computes it: xlogy(g, y), then 0 where x is 0 and y ≤ 0 (where the
        # result is the constant 0); d/dy = x / y
        def of_input():
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = np.where((g == 0) & ~np.isnan(y), 0, g * log_y)
            return np.where((x == 0) & (y <= 0), 0, slope).astype(g.dtype, copy=False)

        with np.errstate(divide="ignore", invalid="ignore"):
            return _gradients(a, b, of_input, lambda: g * x / y)

    return record(out, (a, b), backward, "xlogy")


def fmod(input, other):
    """C's remainder of input / other, with the dividend's sign (``%``, :func:`remainder`, takes the
    divisor's). Integers stay integers, and an integer division by zero is refused, as in PyTorch.
    Gradients, PyTorch's: 1 for the dividend, −trunc(input / other) for the divisor."""
    a, b, x, y = _operands("fmod", input, other)
    if x.dtype.kind == "b":  # two booleans (an integer with a boolean computes in the integer dtype)
        refuse_booleans("fmod")
    if x.dtype.kind in "iu" and np.any(y == 0):
        raise ZeroDivisionError("fmod: integer division by zero (the divisor holds a 0)")
    with np.errstate(divide="ignore", invalid="ignore"):  # x fmod 0.0 is NaN, as in PyTorch
        out = np.fmod(x, y)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return _gradients(a, b, lambda: g, lambda: -g * np.trunc(x / y))

    return record(out, (a, b), backward, "fmod")


def copysign(input, other):
    """|input| with the sign of other (−0.0 counts as negative); integers in the default float dtype.
    The gradient of input is ±1 (0 where input is 0, as PyTorch's); other gets a zero gradient."""
    a, b, x, y = _operands("copysign", input, other, floating=True)
    out = np.copysign(x, y)

    def backward(g):
        flip = np.where(x == 0, 0, np.where(np.signbit(x) == np.signbit(out), 1, -1)).astype(g.dtype)
        return _gradients(a, b, lambda: g * flip, lambda: np.zeros_like(g))

    return record(out, (a, b), backward, "copysign")


def lerp(input, end, weight):
    """input + weight · (end − input): linear interpolation, ``weight`` a number or a tensor, the three
    broadcast together. ``input`` and ``end`` must share a floating dtype, as in PyTorch; the result
    is computed as PyTorch computes it (from ``end`` for weights of 0.5 and above, so that a weight
    of 1 gives ``end`` exactly)."""
    a, b, w = operand(input), operand(end), operand(weight)
    x, y = np.asarray(a.data), np.asarray(b.data)
    if x.dtype != y.dtype:
        raise TypeError(f"lerp: input and end must have the same dtype, as in PyTorch, got {x.dtype} and {y.dtype}")
    if x.dtype.kind != "f":
        refuse_non_floating("lerp", x.dtype)
    t = np.asarray(w.data, dtype=x.dtype)  # (a weight of another dtype is taken in input's, as PyTorch takes a number)
    try:
        shape = np.broadcast_shapes(x.shape, y.shape, t.shape)
    except ValueError:
        raise ShapeError(f"lerp: input of shape {x.shape}, end of shape {y.shape} and weight of shape {t.shape} "
                         "cannot be broadcast together") from None
    difference = y - x
    out = np.where(np.abs(t) < 0.5, x + t * difference, y - difference * (1 - t)).astype(x.dtype, copy=False)
    if out.shape != shape:
        out = np.broadcast_to(out, shape).copy()

    def backward(g):
        return (unbroadcast(g * (1 - t), x.shape) if a.requires_grad else None,
                unbroadcast(g * t, y.shape) if b.requires_grad else None,
                unbroadcast(g * difference, t.shape) if w.requires_grad else None)

    return record(out, (a, b, w), backward, "lerp")
