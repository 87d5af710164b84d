"""Elementwise functions of how numbers are stored, and of integers: frexp (a float's mantissa and
exponent), nextafter (the next float towards another), heaviside (the unit step), gcd and lcm.

Their gradients are PyTorch's: frexp's mantissa m = x·2⁻ᵉ has slope 2⁻ᵉ (the exponent e, an
integer, none); nextafter moves x by one step at most, and passes g to x wherever it moved (none to
the target, nor to x where x already equals it); heaviside, gcd and lcm have none (their results
do not require a gradient, where PyTorch's backward reports the rule as not implemented).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tensor import Tensor
from ._core import operand, record, unbroadcast
from .binary_math import _operands
from .promotion import refuse_non_floating


class FrexpResult(NamedTuple):
    mantissa: object
    exponent: object


def _pair(name: str, input, other, kinds: str, what: str):
    """The two operands and their arrays promoted to one dtype (binary_math's rule), refused unless
    its kind is one of ``kinds`` (``what`` says which)."""
    a, b, x, y = _operands(name, input, other)
    if x.dtype.kind not in kinds:
        raise TypeError(f"{name}: expects {what}, got {x.dtype} (as in PyTorch)")
    return a, b, x, y


def frexp(input):
    """(mantissa, exponent) with input = mantissa · 2^exponent, |mantissa| in [0.5, 1) (0, ±inf and
    NaN are their own mantissas, with exponent 0); the exponent is int32, as PyTorch's.
    Floating-point tensors only. Gradient: 2^(−exponent) to the mantissa, none to the exponent."""
    a = operand(input)
    x = np.asarray(a.data)
    if x.dtype.kind != "f":
        refuse_non_floating("frexp", x.dtype)
    mantissa, exponent = np.frexp(x)
    with np.errstate(over="ignore"):  # (the slope of a subnormal's mantissa overflows, as PyTorch's)
        slope = np.ldexp(np.ones((), x.dtype), -exponent)

    def backward(g):
        return (g * slope,)

    return FrexpResult(record(mantissa, (a,), backward, "frexp"), Tensor._wrap(exponent.astype(np.int32)))


def nextafter(input, other):
    """The float next to each element of ``input`` in the direction of ``other`` (``other`` itself
    where they are equal), in the floating dtype the two promote to. Gradient, PyTorch's: g to
    ``input`` where the result moved from it, 0 where it equals ``other``; none to ``other``."""
    a, b, x, y = _pair("nextafter", input, other, "f", "floating-point tensors")
    out = np.nextafter(x, y)
    moved = x != y

    def backward(g):
        return (unbroadcast(np.where(moved, g, 0).astype(g.dtype, copy=False), np.shape(a.data)) if a.requires_grad
                else None,
                np.zeros(np.shape(b.data), g.dtype) if b.requires_grad else None)

    return record(out, (a, b), backward, "nextafter")


def heaviside(input, values):
    """The unit step: 0 where input < 0, 1 where input > 0, and ``values`` (broadcast) where it is 0;
    a NaN input gives 0, as PyTorch's (x > 0 is false). No gradient."""
    _, _, x, v = _pair("heaviside", input, values, "biuf", "numbers")
    with np.errstate(invalid="ignore"):
        out = np.where(x == 0, v, x > 0).astype(x.dtype, copy=False)
    return Tensor._wrap(np.asarray(out))


def gcd(input, other):
    """The greatest common divisor of each pair of integers, non-negative (gcd(0, 0) = 0). No gradient."""
    _, _, x, y = _pair("gcd", input, other, "iu", "integer tensors")
    return Tensor._wrap(np.asarray(np.gcd(x, y)))


def lcm(input, other):
    """The least common multiple of each pair of integers, non-negative (0 where either is 0),
    computed as |x / gcd(x, y) · y|: a product beyond the dtype wraps before the sign is dropped, as
    PyTorch's (NumPy's lcm takes the magnitudes first). No gradient."""
    _, _, x, y = _pair("lcm", input, other, "iu", "integer tensors")
    divisor = np.gcd(x, y)
    with np.errstate(over="ignore"):
        return Tensor._wrap(np.asarray(np.abs(x // np.where(divisor == 0, 1, divisor) * y)))
