"""Arithmetic with broadcasting: + - * / ** @ and negation, each beside its gradient rule; PyTorch's
bmm and outer beside matmul; at the end, PyTorch's add/sub with alpha, div with rounding_mode,
floor division (//) and remainder (%)."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ._core import broadcast_error, mm, operand, record, shape_of, unbroadcast
from .elementwise import astype
from .promotion import FLOATING, promoted, refuse_bool_subtraction, result_type, wrapped_operands


def add(a, b):
    a, b = operand(a), operand(b)
    x, y = a.data, b.data
    if getattr(x, "dtype", None) is not getattr(y, "dtype", 0) and not (  # (two numbers: promoted too)
            y.__class__ is int or y.__class__ is float and getattr(x, "dtype", None) in FLOATING):  # see promotion.py
        x, y = promoted(x, y)
    try:
        out = x + y
    except ValueError:
        raise broadcast_error("add", a, b) from None
    except OverflowError:  # a Python int beyond an integer tensor's range: wrapped, as in PyTorch
        x, y = wrapped_operands(x, y)
        out = x + y

    def backward(g):
        return (
            unbroadcast(g, a.data.shape) if a.requires_grad else None,
            unbroadcast(g, b.data.shape) if b.requires_grad else None,
        )

    return record(out, (a, b), backward, "add")


def sub(a, b):
    a, b = operand(a), operand(b)
    x, y = a.data, b.data
    if getattr(x, "dtype", None) is not getattr(y, "dtype", 0) and not (  # (two numbers: promoted too)
            y.__class__ is int and x.__class__ is np.ndarray and x.dtype.kind != "b"
            or y.__class__ is float and getattr(x, "dtype", None) in FLOATING):  # the hot path: see promotion.py
        refuse_bool_subtraction(x, y)
        x, y = promoted(x, y)
    try:
        out = x - y
    except ValueError:
        raise broadcast_error("sub", a, b) from None
    except TypeError:  # NumPy's refusal of two boolean arrays, in PyTorch's words
        refuse_bool_subtraction(x, y)
        raise
    except OverflowError:  # a Python int beyond an integer tensor's range: wrapped, as in PyTorch
        x, y = wrapped_operands(x, y)
        out = x - y

    def backward(g):
        return (
            unbroadcast(g, a.data.shape) if a.requires_grad else None,
            unbroadcast(-g, b.data.shape) if b.requires_grad else None,
        )

    return record(out, (a, b), backward, "sub")


def mul(a, b):
    a, b = operand(a), operand(b)
    x, y = a.data, b.data
    if getattr(x, "dtype", None) is not getattr(y, "dtype", 0) and not (  # (two numbers: promoted too)
            y.__class__ is int or y.__class__ is float and getattr(x, "dtype", None) in FLOATING):  # see promotion.py
        x, y = promoted(x, y)
    try:
        out = x * y
    except ValueError:
        raise broadcast_error("mul", a, b) from None
    except OverflowError:  # a Python int beyond an integer tensor's range: wrapped, as in PyTorch
        x, y = wrapped_operands(x, y)
        out = x * y

    def backward(g):
        return (
            unbroadcast(g * y, a.data.shape) if a.requires_grad else None,
            unbroadcast(g * x, b.data.shape) if b.requires_grad else None,
        )

    return record(out, (a, b), backward, "mul")


def div(a, b):
    a, b = operand(a), operand(b)
    x, y = a.data, b.data
    if getattr(x, "dtype", None) not in FLOATING or not (y.__class__ is float or y.__class__ is int
                                                         or getattr(y, "dtype", None) is x.dtype):
        x, y = promoted(x, y, floating=True)  # integers divide into the default float dtype
    try:
        out = x / y
    except ValueError:
        raise broadcast_error("div", a, b) from None

    def backward(g):
        # d(a/b)/da = 1/b;  d(a/b)/db = -a/b² = -out/b, with out computed again from a (the same
        # numbers): the rule keeps a, not the output, as PyTorch's does, so an in-place change of the
        # output (through detach()) leaves backward() free and one of a refuses it, as there
        return (
            unbroadcast(g / y, a.data.shape) if a.requires_grad else None,
            unbroadcast(-g * (x / y) / y, b.data.shape) if b.requires_grad else None,
        )

    return record(out, (a, b), backward, "div")


def pow(a, b):
    a, b = operand(a), operand(b)
    try:
        np.broadcast_shapes(np.shape(a.data), np.shape(b.data))
    except ValueError:
        raise broadcast_error("pow", a, b) from None
    x, y = promoted(a.data, b.data)
    try:
        out = x**y
    except ValueError as error:  # NumPy's own refusal, e.g. integers to negative integer powers
        raise ValueError(f"pow: {error} (make the base a floating-point tensor)") from None
    if out.dtype.kind != "f":  # NumPy has no boolean power: it takes bool ** bool, and bool ** int, in int8
        out = out.astype(result_type(x, y), copy=False)

    def backward(g):
        ga = gb = None
        if a.requires_grad:
            # d(a^b)/da = b·a^(b-1), and 0 where b = 0 (a^0 = 1 for every a, 0 included), as in
            # PyTorch: there the product is 0·0^(−1), NaN, so it is replaced. Elsewhere 0^(b−1) for
            # b < 1 is inf, a true infinite slope, computed without NumPy's warning.
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = y * x ** (y - 1)
            if np.any(y == 0):
                slope = np.where(y == 0, 0, slope).astype(slope.dtype, copy=False)
            ga = unbroadcast(g * slope, a.data.shape)
        if b.requires_grad:
            # d(a^b)/db = a^b·ln a; where a = 0 the limit of a^b·ln a is 0 for b >= 0, and for b < 0
            # it is ∞·(−∞) = −∞, as PyTorch takes both. (cast: np.where makes an array of a
            # Python-number base, which would promote to float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = out * np.log(x)
            slope = np.where((x == 0) & (y >= 0), 0, slope).astype(out.dtype, copy=False)
            gb = unbroadcast(g * slope, np.shape(b.data))
        return ga, gb

    return record(out, (a, b), backward, "pow")


def neg(a):
    a = operand(a)

    def backward(g):
        return (-g,)

    return record(-a.data, (a,), backward, "neg")


def matmul(a, b):
    """Matrix product with NumPy's rules for shapes (1-D operands are promoted, leading axes broadcast)
    and PyTorch's for dtypes (ops.promotion), where PyTorch itself refuses two dtypes."""
    a, b = operand(a), operand(b)
    if np.ndim(a.data) == 0 or np.ndim(b.data) == 0:
        raise ShapeError(f"matmul: both operands need at least one dimension, got shapes {shape_of(a)} and {shape_of(b)}")
    x, y = a.data, b.data
    if x.dtype is not y.dtype:  # PyTorch refuses two dtypes; here they are promoted (docs/porting.md)
        x, y = promoted(x, y)
    try:
        out = mm(x, y)
    except ValueError:
        columns, rows = shape_of(a)[-1], shape_of(b)[-2 if np.ndim(b.data) > 1 else 0]
        reason = f"{columns} columns against {rows} rows" if columns != rows else "their batch axes cannot be broadcast"
        raise ShapeError(f"matmul: shapes {shape_of(a)} and {shape_of(b)} do not align ({reason})") from None

    def backward(g):
        # Promote 1-D operands as matmul did, so one pair of rules covers every case:
        # for out = u @ v,  du = g @ vᵀ  and  dv = uᵀ @ g  (on the last two axes).
        u, v = x, y
        if v.ndim == 1:
            v = v[:, None]
            g = g[..., None]
        if u.ndim == 1:
            u = u[None, :]
            g = g[..., None, :]
        ga = gb = None
        if a.requires_grad:
            ga = unbroadcast(mm(g, np.swapaxes(v, -1, -2)), u.shape).reshape(a.data.shape)
        if b.requires_grad:
            gb = unbroadcast(mm(np.swapaxes(u, -1, -2), g), v.shape).reshape(b.data.shape)
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
    x, y = promoted(a.data, b.data)

    def backward(g):
        # d out[i, j] / d a[i] = b[j], so the gradient of a is g·b; of b, gᵀ·a.
        return (g @ y if a.requires_grad else None, x @ g if b.requires_grad else None)

    return record(np.multiply.outer(x, y), (a, b), backward, "outer")


# -- PyTorch's further forms: add/sub with alpha, div with rounding_mode, floor division, remainder -----


def add_scaled(input, other, *, alpha=1):
    """PyTorch's ``add``: ``input + alpha * other``."""
    alpha = _alpha("add", input, other, alpha)
    return add(input, other) if alpha == 1 else add(input, scaled(input, other, alpha))


def sub_scaled(input, other, *, alpha=1):
    """PyTorch's ``sub``: ``input - alpha * other``."""
    alpha = _alpha("sub", input, other, alpha)
    return sub(input, other) if alpha == 1 else sub(input, scaled(input, other, alpha))


def scaled(input, other, alpha):
    """``alpha * other`` as PyTorch computes it: in the dtype of ``input`` with ``other``, ``alpha``
    taken in its kind, so the product neither widens the result nor loses ``other``'s rank (a Python
    number stays one)."""
    other = operand(other)
    dtype = result_type(operand(input).data, other.data)
    alpha = _in_kind(alpha, dtype)
    if not isinstance(other.data, np.ndarray):
        return _in_kind(other.data * alpha, dtype)
    return mul(astype(other, dtype), alpha)


def _in_kind(number, dtype: np.dtype):
    """``number`` as the Python number of ``dtype``'s kind (bool, int or float)."""
    return bool(number) if dtype.kind == "b" else int(number) if dtype.kind in "iu" else float(number)


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


def _numbers(op: str, a, b):
    """The operands of ``a`` and ``b`` as PyTorch's division of integers takes them (promoted, a
    Python int wrapped into an integer dtype), refused where it refuses: two booleans, and division
    by an integer zero (also a number that wraps to 0: uint8 // 256)."""
    kinds = [np.asarray(x.data).dtype.kind for x in (a, b)]
    if kinds == ["b", "b"]:
        raise TypeError(f"{op}: takes numbers, not two booleans")
    x, y = wrapped_operands(a.data, b.data)
    if all(k in "biu" for k in kinds) and np.any(np.asarray(y) == 0):
        raise ZeroDivisionError(f"{op}: integer division by zero (the divisor holds a 0)")
    return x, y


def _rounded_quotient(op: str, input, other, rounding):
    a, b = operand(input), operand(other)
    try:
        x, y = _numbers(op, a, b)
        with np.errstate(divide="ignore", invalid="ignore"):  # x / 0: ±inf or NaN, as in PyTorch
            out = rounding(x, y)
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
    try:
        x, y = _numbers("remainder", a, b)
        with np.errstate(divide="ignore", invalid="ignore"):  # x % 0.0 is NaN, as in PyTorch
            out = np.remainder(x, y)
    except ValueError:
        raise broadcast_error("remainder", a, b) from None

    def backward(g):
        gb = None
        if b.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(-g * np.floor_divide(x, y), np.shape(b.data))
        return (unbroadcast(g, a.data.shape) if a.requires_grad else None), gb

    return record(out, (a, b), backward, "remainder")
