"""More elementwise functions of one tensor, under PyTorch's names: the smooth ones (log1p, expm1,
log2, log10, exp2, sin, cos, square, rsqrt, reciprocal, erf, erfc, erfinv), the piecewise-constant
ones (sign, floor, ceil, round, trunc), the one-sided clamps, and frac and nan_to_num (whose
gradients pass or stop).

Each smooth function is its NumPy forward and its derivative, written in terms of the input or of
the output, whichever the rule needs; the rule keeps only that array (what the in-place change
check then looks for). The piecewise-constant ones have derivative 0 wherever they have one, and
PyTorch gives 0 at their jumps too: their rule keeps nothing and returns zeros.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from ._core import operand, record, signs
from .elementwise import clip
from .promotion import floating, refuse_booleans, refuse_non_floating
from . import special

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)


def _slope_of_input(name: str, forward, slope, doc: str, integral: bool = False):
    """The operation ``name``: ``forward(x)``, with gradient ``g · slope(x)``; an integer or boolean
    input is computed in the default float dtype, as in PyTorch, unless the function is ``integral``."""

    def op(a):
        a = operand(a)
        x = a.data if integral else floating(a.data)

        def backward(g):
            return (g * slope(x),)

        return record(forward(x), (a,), backward, name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _slope_of_output(name: str, forward, slope, doc: str):
    """The operation ``name``: ``forward(x)``, with gradient ``g · slope(out)`` (the input is not kept)."""

    def op(a):
        a = operand(a)
        out = np.asarray(forward(floating(a.data)))  # (integers and booleans: in the default float dtype)

        def backward(g):
            return (g * slope(out),)

        return record(out, (a,), backward, name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


def _zero_gradient(g):
    return (np.zeros_like(g),)


def _step(name: str, forward, doc: str, booleans: bool = False):
    """The piecewise-constant operation ``name``: its gradient is 0 everywhere, as PyTorch's is. A
    boolean input is refused, as PyTorch refuses it, unless the function takes ``booleans``."""

    def op(a):
        a = operand(a)
        if not booleans and a.data.dtype.kind == "b":
            refuse_booleans(name)
        return record(forward(a.data), (a,), _zero_gradient, name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


log1p = _slope_of_input("log1p", np.log1p, lambda x: 1 / (1 + x), "ln(1 + x), accurate for small x.")
log2 = _slope_of_input("log2", np.log2, lambda x: 1 / (x * _LN2), "The base-2 logarithm.")
log10 = _slope_of_input("log10", np.log10, lambda x: 1 / (x * _LN10), "The base-10 logarithm.")
sin = _slope_of_input("sin", np.sin, np.cos, "The sine (radians).")
cos = _slope_of_input("cos", np.cos, lambda x: -np.sin(x), "The cosine (radians).")
square = _slope_of_input("square", lambda x: np.square(x if x.dtype.kind != "b" else x.astype(np.int64)),
                         lambda x: 2 * x, "x², elementwise; of booleans int64 (PyTorch's, as for True * True).",
                         integral=True)

expm1 = _slope_of_output("expm1", np.expm1, lambda out: out + 1, "eˣ − 1, accurate for small x.")
exp2 = _slope_of_output("exp2", np.exp2, lambda out: out * _LN2, "2ˣ.")
# (np.reciprocal divides integers as integers, 1 / 2 -> 0: the input arrives floating)
reciprocal = _slope_of_output("reciprocal", lambda x: np.true_divide(1, x), lambda out: -(out * out),
                              "1 / x (inf at 0, as in PyTorch).")
rsqrt = _slope_of_output("rsqrt", lambda x: 1 / np.sqrt(x), lambda out: -0.5 * out * out * out, "1 / √x.")

def _in_float32_for_float16(kernel):
    """``kernel`` run on float16 data in float32 and rounded back: erf's series sums in the array's
    dtype, and float16's 11 bits lose the sum."""

    def forward(x):
        return kernel(x.astype(np.float32)).astype(np.float16) if x.dtype == np.float16 else kernel(x)

    return forward


def _erf_slope(x):
    return _TWO_OVER_ROOT_PI * np.exp(-(x * x))  # erf'(x) = 2/√π · e^(−x²)


def _erfc_slope(x):
    return -_TWO_OVER_ROOT_PI * np.exp(-(x * x))  # erfc = 1 − erf


def _erfinv_slope(out):
    return (1 / _TWO_OVER_ROOT_PI) * np.exp(out * out)  # 1 / erf'(erfinv(x)) = √π/2 · e^(erfinv(x)²)


erf = _slope_of_input("erf", _in_float32_for_float16(special.erf), _erf_slope,
                      "The error function, 2/√π ∫₀ˣ e^(−t²) dt.")
erfc = _slope_of_input("erfc", special.erfc, _erfc_slope,
                       "1 − erf(x), to full relative accuracy where it is tiny (large x).")
erfinv = _slope_of_output("erfinv", special.erfinv, _erfinv_slope,
                          "The inverse of erf: ±inf at ±1, NaN beyond them, as in PyTorch.")


sign = _step("sign", lambda x: x.copy() if x.dtype.kind == "b" else signs(x),
             "−1, 0 or 1 by the sign of each element; 0 for NaN, as PyTorch's (NumPy's gives NaN).", booleans=True)
floor = _step("floor", np.floor, "The largest integer not above each element.")
ceil = _step("ceil", np.ceil, "The smallest integer not below each element.")
trunc = _step("trunc", np.trunc, "Each element rounded towards zero.")


def round(a, decimals=0):
    """Round to ``decimals`` places, halves to the even neighbour (PyTorch's and NumPy's rule:
    0.5 → 0, 1.5 → 2); a negative ``decimals`` rounds to tens, hundreds, ... The gradient is 0."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise ConfigError(f"round: decimals must be an integer, got {decimals!r}")
    a = operand(a)
    if a.data.dtype.kind == "b":
        refuse_booleans("round")
    return record(np.round(a.data, int(decimals)), (a,), _zero_gradient, "round")  # (integers stay integers)


def clamp_min(a, min):
    """max(a, min) with ``min`` a constant: PyTorch's ``clamp_min``, which is :func:`clip` with a lower bound."""
    if min is None:
        raise ConfigError("clamp_min: min must be a number, array or tensor, got None")
    return clip(a, min=min)


def clamp_max(a, max):
    """min(a, max) with ``max`` a constant: PyTorch's ``clamp_max``, which is :func:`clip` with an upper bound."""
    if max is None:
        raise ConfigError("clamp_max: max must be a number, array or tensor, got None")
    return clip(a, max=max)


def frac(a):
    """The fractional part, x − trunc(x), with the input's sign (frac(−1.5) is −0.5); floating-point
    tensors only, as in PyTorch. Its gradient is 1."""
    a = operand(a)
    if a.data.dtype.kind != "f":
        refuse_non_floating("frac", a.data.dtype)
    return record(a.data - np.trunc(a.data), (a,), _pass_through, "frac")


def _pass_through(g):
    return (g,)


def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and −inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and the dtype's
    largest and lowest finite values). The gradient is 1 where the input was finite and 0 where it was
    replaced, as PyTorch's. Integer and boolean tensors, which hold no such values, come back as copies."""
    for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, np.number))):
            raise ConfigError(f"nan_to_num: {name} must be a number or None, got {value!r}")
    a = operand(a)
    x = np.asarray(a.data)
    if x.dtype.kind != "f":
        return record(x.copy(), (a,), _zero_gradient, "nan_to_num")
    out = np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(g):
        return (np.where(np.isfinite(x), g, 0).astype(g.dtype, copy=False),)

    return record(out, (a,), backward, "nan_to_num")
