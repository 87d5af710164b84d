"""Results that carry no gradient: comparisons (lt, le, gt, ge, eq, ne, isclose; allclose and equal
give one Python bool), count_nonzero, all_true and any_true (``all``/``any``), the tests isnan, isinf,
isfinite, isposinf, isneginf, signbit and isreal, the logical operations
of tensors of any dtype (logical_and/or/xor/not), and the bitwise operations (& | ^ ~) of boolean
and integer tensors.

Each gives a new tensor outside the graph (a boolean one, or for the bitwise operations of integers
an integer one), as PyTorch's do: their derivative is zero wherever it exists.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._core import broadcast_error, normalize_axes, operand, reduction_axis
from .promotion import wrapped_operands


def _outside_graph(out) -> Tensor:
    return Tensor._wrap(np.asarray(out))


def _compare(op: str, ufunc, input, other, promote: bool = True) -> Tensor:
    """``ufunc`` of two operands, outside the graph (comparisons, logical and bitwise operations),
    computed in the dtype PyTorch promotes them to (float32 0.1 equals a float64 0-d tensor's 0.1,
    both taken in float32); the logical operations, which only ask what is nonzero, take them as given."""
    a, b = operand(input), operand(other)
    try:
        return _outside_graph(ufunc(*wrapped_operands(a.data, b.data)) if promote else ufunc(a.data, b.data))
    except ValueError:
        raise broadcast_error(op, a, b) from None


def lt(input, other) -> Tensor:
    """``input < other``, elementwise: a boolean tensor."""
    return _compare("lt", np.less, input, other)


def le(input, other) -> Tensor:
    """``input <= other``, elementwise: a boolean tensor."""
    return _compare("le", np.less_equal, input, other)


def gt(input, other) -> Tensor:
    """``input > other``, elementwise: a boolean tensor."""
    return _compare("gt", np.greater, input, other)


def ge(input, other) -> Tensor:
    """``input >= other``, elementwise: a boolean tensor."""
    return _compare("ge", np.greater_equal, input, other)


def eq(input, other) -> Tensor:
    """``input == other``, elementwise: a boolean tensor."""
    return _compare("eq", np.equal, input, other)


def ne(input, other) -> Tensor:
    """``input != other``, elementwise: a boolean tensor."""
    return _compare("ne", np.not_equal, input, other)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """Where ``|input - other| <= atol + rtol * |other|``, elementwise: a boolean tensor (equal
    infinities are close; NaNs only with ``equal_nan``). Computed in the promoted dtype, where
    PyTorch refuses two dtypes."""
    a, b = operand(input), operand(other)
    try:
        return _outside_graph(np.isclose(*wrapped_operands(a.data, b.data), rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        raise broadcast_error("isclose", a, b) from None


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether :func:`isclose` holds for every element (the two broadcast): a Python bool."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


def equal(input, other) -> bool:
    """Whether two tensors have the same shape and the same values (compared in the promoted dtype,
    NaN equal to nothing): a Python bool, as PyTorch's ``equal``."""
    for name, value in (("input", input), ("other", other)):
        if not isinstance(value, Tensor):
            raise TypeError(f"equal: {name} must be a tensor, got {type(value).__name__}")
    if input.shape != other.shape:
        return False
    return bool(np.equal(*wrapped_operands(input.data, other.data)).all())


def count_nonzero(input, dim=None) -> Tensor:
    """The number of nonzero elements over ``dim`` (an int or a tuple; all elements for None): int64."""
    a = operand(input)
    axes = None if dim is None else normalize_axes(dim, a.data.ndim)
    if a.data.ndim == 0:  # (a 0-d tensor's dim 0 is the tensor itself)
        axes = None
    return _outside_graph(np.asarray(np.count_nonzero(a.data, axis=axes), dtype=np.int64))


def _truth(op: str, reduce, input, dim, keepdim) -> Tensor:
    # PyTorch's all/any give a tensor even for the whole input (0-d), which ``if`` and ``bool()``
    # still read; their result is boolean, but uint8 for uint8 input (an old PyTorch habit it keeps).
    a = operand(input)
    out = reduce(a.data, axis=reduction_axis(dim, a.data.ndim, op), keepdims=keepdim)
    return _outside_graph(np.asarray(out, dtype=np.uint8 if a.data.dtype == np.uint8 else np.bool_))


def all_true(input, dim=None, keepdim=False) -> Tensor:
    """Whether every element is nonzero, over ``dim`` (an int or a tuple; all elements for None):
    a boolean tensor, 0-d for the whole input (uint8 for uint8 input, as in PyTorch)."""
    return _truth("all", np.all, input, dim, keepdim)


def any_true(input, dim=None, keepdim=False) -> Tensor:
    """Whether any element is nonzero, over ``dim`` (an int or a tuple; all elements for None):
    a boolean tensor, 0-d for the whole input (uint8 for uint8 input, as in PyTorch)."""
    return _truth("any", np.any, input, dim, keepdim)


def isnan(input) -> Tensor:
    """Where ``input`` is NaN: a boolean tensor (all false for integers and booleans)."""
    return _outside_graph(np.isnan(operand(input).data))


def isinf(input) -> Tensor:
    """Where ``input`` is +inf or -inf: a boolean tensor."""
    return _outside_graph(np.isinf(operand(input).data))


def isfinite(input) -> Tensor:
    """Where ``input`` is neither NaN nor infinite: a boolean tensor."""
    return _outside_graph(np.isfinite(operand(input).data))


def isposinf(input) -> Tensor:
    """Where ``input`` is +inf: a boolean tensor (all false for integers and booleans)."""
    X = np.asarray(operand(input).data)
    return _outside_graph(np.isposinf(X) if X.dtype.kind == "f" else np.zeros(X.shape, bool))


def isneginf(input) -> Tensor:
    """Where ``input`` is -inf: a boolean tensor (all false for integers and booleans)."""
    X = np.asarray(operand(input).data)
    return _outside_graph(np.isneginf(X) if X.dtype.kind == "f" else np.zeros(X.shape, bool))


def signbit(input) -> Tensor:
    """Where the sign bit of ``input`` is set: the negative numbers, -0.0 and -inf (and a NaN
    with its sign bit set): a boolean tensor."""
    X = np.asarray(operand(input).data)
    return _outside_graph(np.signbit(X) if X.dtype.kind in "fi" else np.zeros(X.shape, bool))


def isreal(input) -> Tensor:
    """Where ``input`` has no imaginary part: everywhere, as deltaprop has no complex dtypes."""
    return _outside_graph(np.ones(np.shape(operand(input).data), bool))


# -- logical: any dtype, nonzero (NaN included) is true, the result boolean, as in PyTorch -----------------


def logical_and(input, other) -> Tensor:
    """Where both ``input`` and ``other`` are nonzero: a boolean tensor."""
    return _compare("logical_and", np.logical_and, input, other, promote=False)


def logical_or(input, other) -> Tensor:
    """Where ``input`` or ``other`` (or both) is nonzero: a boolean tensor."""
    return _compare("logical_or", np.logical_or, input, other, promote=False)


def logical_xor(input, other) -> Tensor:
    """Where exactly one of ``input`` and ``other`` is nonzero: a boolean tensor."""
    return _compare("logical_xor", np.logical_xor, input, other, promote=False)


def logical_not(input) -> Tensor:
    """Where ``input`` is zero: a boolean tensor."""
    return _outside_graph(np.logical_not(operand(input).data))


# -- bitwise: booleans and integers only, as in PyTorch ---------------------------------------------------


def _integral(op: str, *operands) -> tuple:
    tensors = tuple(operand(x) for x in operands)
    for t in tensors:
        kind = np.asarray(t.data).dtype.kind
        if kind not in "biu":
            raise TypeError(f"{op}: takes boolean and integer tensors only, got dtype {np.asarray(t.data).dtype}")
    return tensors


def _bitwise(op: str, ufunc, input, other) -> Tensor:
    a, b = _integral(op, input, other)
    return _compare(op, ufunc, a, b)


def bitwise_and(input, other) -> Tensor:
    """``input & other``: logical for booleans, bitwise for integers."""
    return _bitwise("bitwise_and", np.bitwise_and, input, other)


def bitwise_or(input, other) -> Tensor:
    """``input | other``: logical for booleans, bitwise for integers."""
    return _bitwise("bitwise_or", np.bitwise_or, input, other)


def bitwise_xor(input, other) -> Tensor:
    """``input ^ other``: logical for booleans, bitwise for integers."""
    return _bitwise("bitwise_xor", np.bitwise_xor, input, other)


def bitwise_not(input) -> Tensor:
    """``~input``: logical not for booleans, bitwise (two's complement) for integers."""
    (a,) = _integral("bitwise_not", input)
    return _outside_graph(np.invert(a.data))
