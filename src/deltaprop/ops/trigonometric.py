"""The trigonometric and hyperbolic functions beyond sin and cos, under PyTorch's names (NumPy's
``arc`` names as aliases): tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, and the
normalized sinc.

Integer and boolean inputs are computed in the default float dtype, as PyTorch computes them. At
the ends of a domain (asin and acos at ±1, acosh at 1, atanh at ±1) the derivative is infinite and
the rule gives ±inf, as PyTorch's does.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import operand, record
from .promotion import floating
from .unary import _slope_of_input, _slope_of_output


def _tan_slope(out):
    return 1 + out * out  # tan' = 1 + tan²: from the output, as PyTorch computes it


def _asin_slope(x):
    with np.errstate(divide="ignore"):
        return 1 / np.sqrt(1 - x * x)


def _acos_slope(x):
    with np.errstate(divide="ignore"):
        return -1 / np.sqrt(1 - x * x)


def _atan_slope(x):
    return 1 / (1 + x * x)


def _asinh_slope(x):
    return 1 / np.sqrt(x * x + 1)


def _acosh_slope(x):
    # (x − 1)(x + 1) rather than x² − 1: no cancellation just above 1, where the slope is steep
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1 / np.sqrt((x - 1) * (x + 1))


def _atanh_slope(x):
    with np.errstate(divide="ignore"):
        return 1 / (1 - x * x)


tan = _slope_of_output("tan", np.tan, _tan_slope, "The tangent (radians).")
asin = _slope_of_input("asin", np.arcsin, _asin_slope, "The inverse sine, in [−π/2, π/2]; NaN outside [−1, 1].")
acos = _slope_of_input("acos", np.arccos, _acos_slope, "The inverse cosine, in [0, π]; NaN outside [−1, 1].")
atan = _slope_of_input("atan", np.arctan, _atan_slope, "The inverse tangent, in (−π/2, π/2).")
sinh = _slope_of_input("sinh", np.sinh, np.cosh, "The hyperbolic sine.")
cosh = _slope_of_input("cosh", np.cosh, np.sinh, "The hyperbolic cosine.")
asinh = _slope_of_input("asinh", np.arcsinh, _asinh_slope, "The inverse hyperbolic sine.")
acosh = _slope_of_input("acosh", np.arccosh, _acosh_slope, "The inverse hyperbolic cosine; NaN below 1.")
atanh = _slope_of_input("atanh", np.arctanh, _atanh_slope, "The inverse hyperbolic tangent; ±inf at ±1.")


def sinc(a):
    """The normalized sinc, sin(πx) / (πx), and 1 at 0 (PyTorch's and NumPy's)."""
    a = operand(a)
    x = floating(a.data)
    out = np.asarray(np.sinc(x), dtype=x.dtype)

    def backward(g):
        # d/dx sin(πx)/(πx) = (cos(πx) − sinc(x)) / x, and 0 at x = 0 (the limit; PyTorch's). (Not
        # the textbook (πx·cos(πx) − sin(πx)) / (πx²), whose denominator underflows in float32 near 0.)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (np.cos(math.pi * x) - out) / x
        return (g * np.where(x == 0, 0, slope).astype(x.dtype, copy=False),)

    return record(out, (a,), backward, "sinc")


# NumPy's names, which PyTorch also takes
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh
