"""The functions of ``torch.special`` that deltaprop had no name for, each its forward and its
derivative: logit, xlog1py, the scaled complementary error function erfcx, the normal distribution's
ndtr, ndtri and log_ndtr, the modified Bessel functions i0 and i1, and the entropy term entr. They
compute in float64 where the formula needs the range (ndtr's tails, i0's growth) and return the
input's dtype; integers compute in the default float dtype.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import operand, record
from .binary_math import _gradients, _operands
from .promotion import floating
from . import special

_ROOT_TWO = math.sqrt(2.0)
_LOG_ROOT_TWO_PI = 0.5 * math.log(2 * math.pi)
_COMPLEMENT_FROM = special._COMPLEMENT_FROM


def logit(input, eps=None):
    """ln(x / (1 − x)), the inverse of the sigmoid; with ``eps``, x is first clamped to [eps, 1 − eps]
    and the gradient is 0 outside that interval, as in PyTorch. Without it the gradient is NaN
    outside [0, 1], where the value is, and +inf·g at 0 and 1 (±0 alike), as PyTorch's."""
    a = operand(input)
    x = floating(a.data)
    z = x if eps is None else np.clip(x, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(z / (1 - z)).astype(x.dtype, copy=False)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = g / (x * (1 - x))
            if eps is None:
                slope = np.where((x == 0) | (x == 1), g * np.inf, slope)
                slope = np.where((x < 0) | (x > 1), np.nan, slope)
            else:
                slope = np.where((x < eps) | (x > 1 - eps), 0, slope)
        return (slope.astype(np.result_type(g, x), copy=False),)

    return record(out, (a,), backward, "logit")


def xlog1py(input, other):
    """input · ln(1 + other), and 0 where input is 0 (unless other is NaN), as PyTorch's and SciPy's."""
    a, b, x, y = _operands("xlog1py", input, other, floating=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        log = np.log1p(y)
        out = np.where((x == 0) & ~np.isnan(y), 0, x * log).astype(x.dtype, copy=False)

    def backward(g):
        # d/dx = ln(1 + y), 0 where x is 0 and y ≤ −1 (there the result is the constant 0); d/dy = x / (1 + y)
        def of_input():
            with np.errstate(invalid="ignore"):
                slope = np.where((g == 0) & ~np.isnan(y), 0, g * log)
            return np.where((x == 0) & (y <= -1), 0, slope).astype(g.dtype, copy=False)

        with np.errstate(divide="ignore", invalid="ignore"):
            return _gradients(a, b, of_input, lambda: g * x / (1 + y))

    return record(out, (a, b), backward, "xlog1py")


def erfcx(input):
    """e^(x²)·erfc(x), the scaled complementary error function: finite and accurate where erfc(x)
    underflows (≈ 1/(x√π) for large x); gradient 2x·erfcx(x) − 2/√π, computed without cancellation
    for large x (:func:`.special.erfcx_slope`)."""
    a = operand(input)
    x = floating(a.data)
    out = special.erfcx(np.asarray(x, np.float64))

    def backward(g):
        return ((g * special.erfcx_slope(x, out)).astype(g.dtype, copy=False),)

    return record(out.astype(x.dtype), (a,), backward, "erfcx")


def _density(x: np.ndarray) -> np.ndarray:
    """The standard normal density φ(x) = e^(−x²/2) / √(2π)."""
    return np.exp(-0.5 * x * x - _LOG_ROOT_TWO_PI)


def ndtr(input):
    """Φ(x), the standard normal distribution function: erfc(−x/√2) / 2 (erfc keeps the far left tail)."""
    a = operand(input)
    x = floating(a.data)
    out = (0.5 * special.erfc(-np.asarray(x, np.float64) / _ROOT_TWO)).astype(x.dtype)

    def backward(g):
        return (g * _density(x),)

    return record(out, (a,), backward, "ndtr")


def ndtri(input):
    """Φ⁻¹(p), the inverse of :func:`ndtr`; ±inf at 1 and 0, NaN outside [0, 1].

    √2·erfinv(2p − 1) where 2p − 1 is exact (¼ ≤ p ≤ ¾); in the tails ±Φ⁻¹(q), q the smaller of p
    and 1 − p (exact beyond ¾), Φ⁻¹(q) found by Newton's method on ln Φ(x) = ln q, whose log_ndtr
    keeps its digits to the smallest q (Φ⁻¹(1e-300) = −37.05): 2p − 1 would round off every digit
    of a p below 1e-16 and give −inf."""
    a = operand(input)
    p = floating(a.data)
    out = _ndtri_values(np.asarray(p, np.float64)).astype(p.dtype)

    def backward(g):
        with np.errstate(over="ignore"):  # (p = 5e-324: φ(Φ⁻¹(p)) underflows, the slope is +inf)
            return (g / _density(out),)  # 1 / Φ′(Φ⁻¹(p))

    return record(out, (a,), backward, "ndtri")


_NEWTON_STEPS = 4  # from within 4.5e-4 (Abramowitz and Stegun 26.2.23), each squares the error


def _ndtri_values(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(_ROOT_TWO * special.erfinv(2 * p - 1))
        q = np.minimum(p, 1 - p)
        tail = (q > 0) & (q < 0.25)
        if np.any(tail):
            q = q[tail]
            t = np.sqrt(-2 * np.log(q))
            x = -(t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
                  / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t))
            log_q = np.log(q)
            for _ in range(_NEWTON_STEPS):
                x = x - (_log_ndtr_values(x) - log_q) / _log_ndtr_slope(x, _log_ndtr_values(x))
            out[tail] = np.where(p[tail] < 0.5, x, -x)
    return out


LOG_NDTR_TAIL_FROM = -_COMPLEMENT_FROM * _ROOT_TWO  # (erfc's continued fraction covers −x/√2 >= 1.5)


def _log_ndtr_values(x: np.ndarray) -> np.ndarray:
    """ln Φ(x) in float64: for x > 0, ln(1 − erfc(x/√2)/2) by log1p keeps the tiny negative values
    on the right; in the left tail ln(erfcx(z)/2) − z², z = −x/√2, which stays finite as far as z² does
    (to x ≈ −1e154; ln(erfc(z)/2) was −inf from x ≈ −38); between, ln(erfc(z)/2)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        z = -x / _ROOT_TWO
        middle = np.log(0.5 * special.erfc(np.where(x > LOG_NDTR_TAIL_FROM, z, 0.0)))
        tail = np.log(0.5 * special.erfcx(np.where(x <= LOG_NDTR_TAIL_FROM, z, 2.0))) - z * z
        right = np.log1p(-0.5 * special.erfc(np.abs(z)))
        return np.where(x > 0, right, np.where(x > LOG_NDTR_TAIL_FROM, middle, tail))


def _log_ndtr_slope(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """φ(x)/Φ(x): e^(ln φ(x) − ln Φ(x)) (no 0/0 where both underflow), and in the left tail
    √(2/π)/erfcx(−x/√2), where the two logarithms, each near −x²/2, would cancel."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = np.exp(-0.5 * x * x - _LOG_ROOT_TWO_PI - out)
        tail = math.sqrt(2 / math.pi) / special.erfcx(np.where(x <= LOG_NDTR_TAIL_FROM, -x / _ROOT_TWO, 2.0))
        return np.where(x <= LOG_NDTR_TAIL_FROM, tail, ratio)


def log_ndtr(input):
    """ln Φ(x), computed in float64 (:func:`_log_ndtr_values`): finite throughout the left tail,
    ≈ −x²/2 − ln(−x√(2π)), as PyTorch's; gradient φ(x)/Φ(x), ≈ −x there."""
    a = operand(input)
    x = floating(a.data)
    wide = np.asarray(x, np.float64)
    out = _log_ndtr_values(wide)

    def backward(g):
        return ((g * _log_ndtr_slope(wide, out)).astype(g.dtype, copy=False),)

    with np.errstate(over="ignore"):  # (a float32 input beyond −2.6e19: −x²/2 is −inf in float32)
        out_of_dtype = out.astype(x.dtype)
    return record(out_of_dtype, (a,), backward, "log_ndtr")


def i0(input):
    """The modified Bessel function of the first kind of order 0 (NumPy's ``i0``); its derivative is i1."""
    a = operand(input)
    x = floating(a.data)
    with np.errstate(over="ignore"):  # (beyond the dtype's range: inf, as PyTorch's)
        out = np.asarray(np.i0(np.asarray(x, np.float64))).astype(x.dtype)

    def backward(g):
        return (g * _i1(x).astype(g.dtype, copy=False),)

    return record(out, (a,), backward, "i0")


def i1(input):
    """The modified Bessel function of the first kind of order 1 (``torch.special.i1``); its
    derivative is i0(x) − i1(x)/x, and ½ near 0 (the limit, reached in float64 long before
    |x| < I1_SLOPE_IS_HALF_BELOW, where a subnormal x/2 would make i1(x)/x inexact)."""
    a = operand(input)
    x = floating(a.data)
    out = _i1(x)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            slope = np.where(np.abs(x) < I1_SLOPE_IS_HALF_BELOW, 0.5, np.i0(np.asarray(x, np.float64)) - out / x)
        return (g * slope.astype(g.dtype, copy=False),)

    return record(out.astype(x.dtype), (a,), backward, "i1")


_I1_SERIES_UP_TO, _I1_SERIES_TERMS, _I1_ASYMPTOTIC_TERMS = 20.0, 60, 30
I1_SLOPE_IS_HALF_BELOW = 1e-150  # i0(x) − i1(x)/x = ½ + 3x²/16 + …: exactly ½ in float64 below 1e-8


def _i1(x: np.ndarray) -> np.ndarray:
    """I₁(x), in float64: up to |x| = 20 the power series Σ (x/2)^(2k+1) / (k! (k+1)!), whose terms
    are all positive (nothing cancels; 60 terms leave the rest below 1e-30 of the sum); beyond, the
    asymptotic series e^x/√(2πx) · Σ (−1)^k Π_{j≤k} (4 − (2j−1)²) / (k! (8x)^k), whose terms keep
    shrinking up to k ≈ 2|x| = 40, so 30 of them leave below 1e-16."""
    x = np.asarray(x, np.float64)
    magnitude = np.abs(x)
    near = np.minimum(magnitude, _I1_SERIES_UP_TO) / 2
    term = near.copy()
    total = near.copy()
    square = near * near
    for k in range(1, _I1_SERIES_TERMS):
        term = term * square / (k * (k + 1))
        total += term
    far = np.maximum(magnitude, _I1_SERIES_UP_TO)
    term, asymptotic = np.ones_like(far), np.ones_like(far)
    for k in range(1, _I1_ASYMPTOTIC_TERMS):
        term = term * -(4 - (2 * k - 1) ** 2) / (k * 8 * far)
        asymptotic += term
    with np.errstate(over="ignore", invalid="ignore"):  # (inf/inf at ±inf, replaced below)
        asymptotic *= np.exp(far) / np.sqrt(2 * math.pi * far)
    out = np.where(magnitude <= _I1_SERIES_UP_TO, total, asymptotic)
    return np.copysign(np.where(magnitude == np.inf, np.inf, out), x)  # (inf, not the asymptotic inf/inf)


def entr(input):
    """The entropy term −x·ln x: 0 at 0, −inf for negative x, as PyTorch's; gradient −(ln x + 1)."""
    a = operand(input)
    x = floating(a.data)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)), np.where(x == 0, 0, -np.inf))
    out = np.where(np.isnan(x), x, out).astype(x.dtype, copy=False)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return ((g * -(np.log(x) + 1)).astype(g.dtype, copy=False),)

    return record(out, (a,), backward, "entr")
