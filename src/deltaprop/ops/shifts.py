"""The bit shifts ``input << other`` and ``input >> other`` of integer tensors (PyTorch's
``bitwise_left_shift`` and ``bitwise_right_shift``), outside the graph as the other bitwise
operations are (:mod:`deltaprop.ops.logical`).

Both operands are promoted to one integer dtype of b bits first, as PyTorch promotes them. A shift
by s with 0 ≤ s < b is the machine's (the left one wraps around, the right one keeps the sign of a
signed integer); PyTorch defines the others too, and so does this: a left shift by s < 0 or s ≥ b
gives 0, a right shift by such an s gives what a shift by b − 1 gives (0, or −1 for a negative
signed integer), where C and NumPy leave them undefined.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._core import broadcast_error, operand
from .promotion import wrapped_operands


def _shift(op: str, ufunc, input, other) -> Tensor:
    a, b = operand(input), operand(other)
    x, s = wrapped_operands(a.data, b.data)
    dtype = np.result_type(x, s)  # (a Python int takes the tensor's dtype, as in PyTorch)
    if dtype.kind not in "iu":
        raise TypeError(f"{op}: shifts integer tensors only, got {_kind(a.data)} and {_kind(b.data)}")
    x, s = np.asarray(x, dtype=dtype), np.asarray(s, dtype=dtype)
    bits = 8 * x.dtype.itemsize
    try:
        x, s = np.broadcast_arrays(x, s)
    except ValueError:
        raise broadcast_error(op, a, b) from None
    outside = (s < 0) | (s >= bits)
    shifted = ufunc(x, np.where(outside, 0, s).astype(dtype, copy=False))
    beyond = 0 if ufunc is np.left_shift else np.right_shift(x, bits - 1)
    return Tensor._wrap(np.where(outside, beyond, shifted).astype(dtype, copy=False))


def _kind(value) -> str:
    return f"a Python {type(value).__name__}" if isinstance(value, (bool, int, float)) else f"dtype {value.dtype}"


def bitwise_left_shift(input, other) -> Tensor:
    """``input << other``: each integer times 2^other, wrapped into its dtype (0 for other < 0 or
    other ≥ the dtype's bits)."""
    return _shift("bitwise_left_shift", np.left_shift, input, other)


def bitwise_right_shift(input, other) -> Tensor:
    """``input >> other``: each integer divided by 2^other, rounded down (other < 0 or ≥ the dtype's
    bits shifts by bits − 1: 0, or −1 for a negative signed integer)."""
    return _shift("bitwise_right_shift", np.right_shift, input, other)
