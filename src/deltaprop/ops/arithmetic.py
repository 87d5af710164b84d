"""Arithmetic with broadcasting: + - * / ** @ and negation, each beside its gradient rule; PyTorch's
bmm and outer beside matmul; at the end, PyTorch's add/sub with alpha, div with rounding_mode,
floor division (//) and remainder (%)."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ._core import broadcast_error, mm, operand, record, shape_of, unbroadcast


def add(a, b):
    a, b = operand(a), operand(b)
    try:
        out = a.data + b.data
    except ValueError:
        raise broadcast_error("add", a, b) from None

    def backward(g):
        return (
            unbroadcast(g, a.data.shape) if a.requires_grad else None,
            unbroadcast(g, b.data.shape) if b.requires_grad else None,
        )

    return record(out, (a, b), backward, "add")


def sub(a, b):
    a, b = operand(a), operand(b)
    try:
        out = a.data - b.data
    except ValueError:
        raise broadcast_error("sub", a, b) from None

    def backward(g):
        return (
            unbroadcast(g, a.data.shape) if a.requires_grad else None,
            unbroadcast(-g, b.data.shape) if b.requires_grad else None,
        )

    return record(out, (a, b), backward, "sub")


def mul(a, b):
    a, b = operand(a), operand(b)
    try:
        out = a.data * b.data
    except ValueError:
        raise broadcast_error("mul", a, b) from None

    def backward(g):
        return (
            unbroadcast(g * b.data, a.data.shape) if a.requires_grad else None,
            unbroadcast(g * a.data, b.data.shape) if b.requires_grad else None,
        )

    return record(out, (a, b), backward, "mul")


def div(a, b):
    a, b = operand(a), operand(b)
    try:
        out = a.data / b.data
    except ValueError:
        raise broadcast_error("div", a, b) from None

    def backward(g):
        # d(a/b)/da = 1/b;  d(a/b)/db = -a/b² = -out/b
        return (
            unbroadcast(g / b.data, a.data.shape) if a.requires_grad else None,
            unbroadcast(-g * out / b.data, b.data.shape) if b.requires_grad else None,
        )

    return record(out, (a, b), backward, "div")


def pow(a, b):
    a, b = operand(a), operand(b)
    try:
        np.broadcast_shapes(np.shape(a.data), np.shape(b.data))
    except ValueError:
        raise broadcast_error("pow", a, b) from None
    try:
        out = a.data**b.data
    except ValueError as error:  # NumPy's own refusal, e.g. integers to negative integer powers
        raise ValueError(f"pow: {error} (make the base a floating-point tensor)") from None

    def backward(g):
        ga = gb = None
        if a.requires_grad:
            # d(a^b)/da = b·a^(b-1), and 0 where b = 0 (a^0 = 1 for every a, 0 included), as in
            # PyTorch: there the product is 0·0^(−1), NaN, so it is replaced. Elsewhere 0^(b−1) for
            # b < 1 is inf, a true infinite slope, computed without NumPy's warning.
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = b.data * a.data ** (b.data - 1)
            if np.any(b.data == 0):
                slope = np.where(b.data == 0, 0, slope).astype(slope.dtype, copy=False)
            ga = unbroadcast(g * slope, a.data.shape)
        if b.requires_grad:
            # d(a^b)/db = a^b·ln a; where a = 0 the limit of a^b·ln a is 0 for b >= 0, and for b < 0
            # it is ∞·(−∞) = −∞, as PyTorch takes both. (cast: np.where makes an array of a
            # Python-number base, which would promote to float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = out * np.log(a.data)
            slope = np.where((a.data == 0) & (b.data >= 0), 0, slope).astype(out.dtype, copy=False)
            gb = unbroadcast(g * slope, b.data.shape)
        return ga, gb

    return record(out, (a, b), backward, "pow")


def neg(a):
    a = operand(a)

    def backward(g):
        return (-g,)

    return record(-a.data, (a,), backward, "neg")


def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands are promoted, leading axes broadcast."""
    a, b = operand(a), operand(b)
    if np.ndim(a.data) == 0 or np.ndim(b.data) == 0:
        raise ShapeError(f"matmul: both operands need at least one dimension, got shapes {shape_of(a)} and {shape_of(b)}")
    try:
        out = mm(a.data, b.data)
    except ValueError:
        columns, rows = shape_of(a)[-1], shape_of(b)[-2 if np.ndim(b.data) > 1 else 0]
        reason = f"{columns} columns against {rows} rows" if columns != rows else "their batch axes cannot be broadcast"
        raise ShapeError(f"matmul: shapes {shape_of(a)} and {shape_of(b)} do not align ({reason})") from None

    def backward(g):
        x, y = a.data, b.data
        # Promote 1-D operands as matmul did, so one pair of rules covers every case:
        # for out = x @ y,  dx = g @ yᵀ  and  dy = xᵀ @ g  (on the last two axes).
        if y.ndim == 1:
            y = y[:, None]
            g = g[..., None]
        if x.ndim == 1:
            x = x[None, :]
            g = g[..., None, :]
        ga = gb = None
        if a.requires_grad:
            ga = unbroadcast(mm(g, np.swapaxes(y, -1, -2)), x.shape).reshape(a.data.shape)
        if b.requires_grad:
            gb = unbroadcast(mm(np.swapaxes(x, -1, -2), g), y.shape).reshape(b.data.shape)
        return ga, gb

    return record(out, (a, b), backward, "matmul")


def bmm(a, b):
    """PyTorch's batched matrix product: ``a`` (b, n, m) @ ``b`` (b, m, p), with no broadcasting."""
    a, b = operand(a), operand(b)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != 3 or len(sb) != 3:
        raise ShapeError(f"bmm: expects two stacks of matrices (3 dimensions each), got shapes {sa} and {sb}")
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise ShapeError(f"bmm: shapes {sa} and {sb} do not align (batch {sa[0]} against {sb[0]}, "
                         f"{sa[2]} columns against {sb[1]} rows)")
    return matmul(a, b)


def outer(a, b):
    """The outer product of two vectors: out[i, j] = a[i]·b[j]."""
    a, b = operand(a), operand(b)
    if np.ndim(a.data) != 1 or np.ndim(b.data) != 1:
        raise ShapeError(f"outer: expects two vectors, got shapes {shape_of(a)} and {shape_of(b)}")
    x, y = a.data, b.data

    def backward(g):
        # d out[i, j] / d a[i] = b[j], so the gradient of a is g·b; of b, gᵀ·a.
        return (g @ y if a.requires_grad else None, x @ g if b.requires_grad else None)

    return record(np.multiply.outer(x, y), (a, b), backward, "outer")


# -- PyTorch's further forms: add/sub with alpha, div with rounding_mode, floor division, remainder -----


def add_scaled(input, other, *, alpha=1):
    """PyTorch's ``add``: ``input + alpha * other``."""
    alpha = _alpha("add", input, other, alpha)
    return add(input, other) if alpha == 1 else add(input, mul(other, alpha))


def sub_scaled(input, other, *, alpha=1):
    """PyTorch's ``sub``: ``input - alpha * other``."""
    alpha = _alpha("sub", input, other, alpha)
    return sub(input, other) if alpha == 1 else sub(input, mul(other, alpha))


def _alpha(op: str, input, other, alpha):
    """``alpha`` checked as PyTorch checks it: a number, a boolean for boolean operands only, and no
    fraction for integer operands. (Checked before the ``alpha == 1`` shortcut: True equals 1.)"""
    if type(alpha) is int:  # the default, and the usual case
        return alpha
    kinds = [np.asarray(x.data).dtype.kind for x in (operand(input), operand(other))]
    if isinstance(alpha, (bool, np.bool_)):
        if all(kind == "b" for kind in kinds):
            return alpha
        raise TypeError(f"{op}: alpha must be a number, not a boolean, for tensors that are not boolean, got alpha={alpha!r}")
    if not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: alpha must be a number, got {alpha!r}")
    if isinstance(alpha, (float, np.floating)) and all(kind in "biu" for kind in kinds):
        raise TypeError(f"{op}: alpha must be an integer for integer operands, got alpha={alpha!r}")
    return alpha


def divide(input, other, *, rounding_mode=None):
    """PyTorch's ``div``: true division, or with ``rounding_mode`` 'floor' the quotient rounded
    down (:func:`floor_divide`), 'trunc' rounded toward zero (both with a zero gradient)."""
    if rounding_mode is None:
        return div(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        return _rounded_quotient("div", input, other, _truncated)
    raise ConfigError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


def _truncated(x, y):
    if np.result_type(x, y).kind == "f":
        return np.trunc(x / y)
    q = np.floor_divide(x, y)  # C's integer division: one up where the floor went below zero with a remainder
    return q + ((np.remainder(x, y) != 0) & ((x < 0) != (y < 0)))


def _numbers(op: str, a, b) -> None:
    """Refuse what PyTorch's division of integers refuses: booleans, and division by an integer zero."""
    kinds = [np.asarray(x.data).dtype.kind for x in (a, b)]
    if kinds == ["b", "b"]:
        raise TypeError(f"{op}: takes numbers, not two booleans")
    if all(k in "biu" for k in kinds) and np.any(np.asarray(b.data) == 0):
        raise ZeroDivisionError(f"{op}: integer division by zero (the divisor holds a 0)")


def _rounded_quotient(op: str, input, other, rounding):
    a, b = operand(input), operand(other)
    _numbers(op, a, b)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # x / 0: ±inf or NaN, as in PyTorch
            out = rounding(a.data, b.data)
    except ValueError:
        raise broadcast_error(op, a, b) from None

    def backward(g):
        # A rounded quotient is a step function: slope 0 wherever it has one (PyTorch's div with a
        # rounding_mode says so).
        return (np.zeros(a.data.shape, g.dtype) if a.requires_grad else None,
                np.zeros(np.shape(b.data), g.dtype) if b.requires_grad else None)

    return record(out, (a, b), backward, op)


def floor_divide(input, other):
    """``input // other``: the quotient rounded down, as Python's and PyTorch's ``//`` (floor, not
    truncation: -7 // 2 is -4). Its gradient is zero; an integer division by zero is refused."""
    return _rounded_quotient("floor_divide", input, other, np.floor_divide)


def remainder(input, other):
    """``input % other``: ``input - floor(input / other) * other``, which has the divisor's sign, as
    Python's and PyTorch's ``%``. Gradients, PyTorch's: 1 for the dividend, -floor(input / other)
    for the divisor."""
    a, b = operand(input), operand(other)
    _numbers("remainder", a, b)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # x % 0.0 is NaN, as in PyTorch
            out = np.remainder(a.data, b.data)
    except ValueError:
        raise broadcast_error("remainder", a, b) from None

    def backward(g):
        gb = None
        if b.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(-g * np.floor_divide(a.data, b.data), np.shape(b.data))
        return (unbroadcast(g, a.data.shape) if a.requires_grad else None), gb

    return record(out, (a, b), backward, "remainder")
