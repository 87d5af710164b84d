"""PyTorch's elementwise functions that are other functions in another form: rad2deg, deg2rad,
float_power, ldexp, sgn, positive, rsub, fmax and fmin, and the multivariate log-gamma function
mvlgamma.

Each is composed of the library's primitives (mul, pow, exp2, where, sub, lgamma), whose rules give its
gradient, and whose differentiable rules give its second derivatives. Integers compute in the
default float dtype where the function is a floating one (rad2deg, ldexp), as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from ..tensor import get_default_dtype
from ._core import broadcast_error, operand
from .arithmetic import add, mul, pow, sub_scaled
from .elementwise import astype, where
from .gamma_functions import lgamma
from .reduction import sum as _sum
from .shape import unsqueeze
from .promotion import refuse_booleans, result_type
from .unary import exp2, sign

_DEGREES_PER_RADIAN = 180 / math.pi
_LOG_PI = math.log(math.pi)


def _in_floating(a, dtype=None):
    """The tensor ``a`` in ``dtype``, or in the default float dtype where it is no floating one."""
    a = operand(a)
    if dtype is None:
        dtype = np.asarray(a.data).dtype
        dtype = dtype if dtype.kind == "f" else get_default_dtype()
    return astype(a, dtype)


def rad2deg(input):
    """The angles of ``input`` (radians) in degrees: x·180/π."""
    return mul(_in_floating(input), _DEGREES_PER_RADIAN)


def deg2rad(input):
    """The angles of ``input`` (degrees) in radians: x·π/180."""
    return mul(_in_floating(input), 1 / _DEGREES_PER_RADIAN)


def float_power(input, exponent):
    """input ** exponent computed in float64, whatever the operands' dtypes (either may be a
    number), as PyTorch's: the result is float64, and each gradient returns in its operand's dtype."""
    base, power = (v if isinstance(v, (int, float)) and not isinstance(v, bool) else _in_floating(v, np.float64)
                   for v in (input, exponent))
    if isinstance(base, int):  # (a number base with a tensor exponent: pow's rule needs a float)
        base = float(base)
    return pow(base, power)


def ldexp(input, other):
    """input · 2^other, in the dtype the two promote to (the default float dtype for integers):
    the inverse of :func:`frexp`. The gradient reaches both, 2^other and input·2^other·ln 2."""
    a, b = operand(input), operand(other)
    try:
        np.broadcast_shapes(np.shape(a.data), np.shape(b.data))
    except ValueError:
        raise broadcast_error("ldexp", a, b) from None
    dtype = result_type(a.data, b.data)
    dtype = dtype if dtype.kind == "f" else get_default_dtype()
    return mul(_in_floating(a, dtype), exp2(_in_floating(b, dtype)))


def sgn(input):
    """The sign of each element (−1, 0 or 1): for real tensors PyTorch's ``sgn`` is :func:`sign`."""
    return sign(input)


def positive(input):
    """``input`` itself (PyTorch's ``+x``); a boolean tensor is refused, as PyTorch refuses it."""
    a = operand(input)
    if np.asarray(a.data).dtype.kind == "b":
        refuse_booleans("positive")
    return a


def rsub(input, other, *, alpha=1):
    """other − alpha·input: :func:`sub` with its operands swapped."""
    return sub_scaled(other, input, alpha=alpha)


def _nan_skipping(name: str, input, other, keeps_input) -> object:
    """The element of ``input`` where ``keeps_input(x, y)`` or ``other`` is NaN, else of ``other``:
    each gradient goes to the element chosen, whole (a tie goes to ``input``, as PyTorch's)."""
    a, b = operand(input), operand(other)
    x, y = np.asarray(a.data), np.asarray(b.data)
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise broadcast_error(name, a, b) from None
    if result_type(x, y).kind == "b":
        refuse_booleans(name)
    with np.errstate(invalid="ignore"):
        chosen = keeps_input(x, y) | np.isnan(y) if y.dtype.kind == "f" else keeps_input(x, y)
    return where(chosen, a, b)


def fmax(input, other):
    """The larger of each pair, NumPy's and PyTorch's ``fmax``: a NaN loses to a number (where
    :func:`maximum` propagates it), and two NaNs give NaN."""
    return _nan_skipping("fmax", input, other, np.greater_equal)


def fmin(input, other):
    """The smaller of each pair, ``fmin``: a NaN loses to a number, two NaNs give NaN."""
    return _nan_skipping("fmin", input, other, np.less_equal)


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension ``p`` (a positive integer), elementwise:
    ln Γ_p(x) = p(p − 1)/4 · ln π + Σ_{j<p} ln Γ(x − j/2), composed of lgamma (so its gradient is
    Σ ψ(x − j/2)). Integers compute in the default float dtype; as PyTorch 2.13, no domain check
    (x ≤ (p − 1)/2 meets lgamma's poles and negative arguments)."""
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise ConfigError(f"mvlgamma: p must be an integer of at least 1, got {p!r}")
    x = _in_floating(input)
    offsets = -np.arange(int(p), dtype=np.asarray(x.data).dtype) / 2
    return add(_sum(lgamma(add(unsqueeze(x, -1), offsets)), -1), p * (p - 1) / 4 * _LOG_PI)
