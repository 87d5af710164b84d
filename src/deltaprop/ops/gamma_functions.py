"""The log-gamma function and its derivatives, digamma ψ and trigamma ψ₁, in NumPy alone, each in
float64 over the whole array; then lgamma and digamma as primitives, each beside its gradient
(lgamma′ = ψ, ψ′ = ψ₁).

* Large arguments (x ≥ 10): Stirling's series, ln Γ(x) = (x − ½) ln x − x + ½ ln 2π + Σ B₂ₖ / (2k(2k − 1) x^(2k−1)),
  and its derivatives ψ(x) = ln x − 1/(2x) − Σ B₂ₖ / (2k x^(2k)), ψ₁(x) = 1/x + 1/(2x²) + Σ B₂ₖ / x^(2k+1);
  eight terms leave below 1e-17 of the value at x = 10.
* Smaller positive x: the recurrence Γ(x + 1) = x Γ(x) carries x up to 10 for ψ and ψ₁. For ln Γ it
  carries x into [1.5, 2.5) instead, where the Taylor series about 2,
  ln Γ(2 + ε) = (1 − γ) ε + Σₖ₌₂ (−1)ᵏ (ζ(k) − 1) εᵏ / k, converges as 4⁻ᵏ: ln Γ is 0 at 1 and 2,
  and there Stirling's value less the logarithm of the product would cancel to a few digits.
* x ≤ 0: the reflection Γ(x) Γ(1 − x) = π / sin(πx) (sin taken of x less its nearest whole number,
  which is exact). Γ has poles at 0, −1, −2, …: ln Γ is +inf there and ψ is NaN (and −inf at +0,
  +inf at −0), as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from ._core import operand, record
from .promotion import floating

_EULER_GAMMA = 0.57721566490153286061
_HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
_ASYMPTOTIC_FROM = 10.0
# B₂, B₄, …, B₁₆
_BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510]
_TAYLOR_TERMS = 30  # |ε| ≤ ½ and ζ(k) − 1 < 2^(1−k)·… : the 30th term is below 1e-18


def _zeta_minus_one(k: int) -> float:
    """ζ(k) − 1 = Σ_{n≥2} n⁻ᵏ for k ≥ 2: the first 99 terms, then the Euler–Maclaurin tail from
    n = 100 (its next correction is below 1e-20 of the sum)."""
    n = 100.0
    head = math.fsum(m ** -k for m in range(2, 100))
    tail = n ** (1 - k) / (k - 1) + n ** -k / 2 + k * n ** (-k - 1) / 12 - k * (k + 1) * (k + 2) * n ** (-k - 3) / 720
    return head + tail


# ln Γ(2 + ε) = Σₖ c_k εᵏ (c₀ = 0)
_TAYLOR = [0.0, 1 - _EULER_GAMMA] + [(-1) ** k * _zeta_minus_one(k) / k for k in range(2, _TAYLOR_TERMS)]


def _reflected(x: np.ndarray):
    """(x with its non-positive elements replaced by 1 − x, those elements' mask, r = x less its
    nearest whole number, which is exact: sin(πx) = ±sin(πr) and cot(πx) = cot(πr) stay accurate
    for large |x| and are exactly 0 at the poles)."""
    negative = x <= 0
    with np.errstate(invalid="ignore"):
        r = x - np.round(x)
    return np.where(negative, 1 - x, x), negative, r


def _stirling(z: np.ndarray) -> np.ndarray:
    inverse = 1 / z
    square = inverse * inverse
    series = np.zeros_like(z)
    for k in range(len(_BERNOULLI), 0, -1):  # Horner's rule in 1/z², smallest term first
        series = series * square + _BERNOULLI[k - 1] / (2 * k * (2 * k - 1))
    return (z - 0.5) * np.log(z) - z + _HALF_LOG_TWO_PI + series * inverse


def _lgamma_positive(x: np.ndarray) -> np.ndarray:
    """ln Γ(x) for x > 0 (NaN and inf pass through)."""
    out = np.empty_like(x)
    large = ~(x < _ASYMPTOTIC_FROM)
    out[large] = _stirling(x[large])
    y = x[~large]
    # bring y into [1.5, 2.5): up by ln Γ(y) = ln Γ(y + 1) − ln y, down by ln Γ(y) = ln Γ(y − 1) + ln(y − 1).
    # y + shift is kept as the pair (y, shift): ε = y − (2 − shift) is then exact (y + 1 is not, for
    # y just below 1, and ε's own digits are what ln Γ near 2 is made of)
    shift = np.where(y < 0.5, 2.0, np.where(y < 1.5, 1.0, 0.0))
    with np.errstate(divide="ignore"):
        # ln y and ln(y + 1), each taken of y itself
        logs = -np.where(shift > 0, np.log(y), 0) - np.where(shift == 2, np.log1p(y), 0)
    # the factors down gather in one product (at most 8 of them below 10: no overflow) and one logarithm
    product = np.ones_like(y)
    while True:
        high = y + shift >= 2.5
        if not high.any():
            break
        shift = np.where(high, shift - 1, shift)
        product = np.where(high, product * (y + shift), product)
    epsilon = y - (2 - shift)
    series = np.zeros_like(epsilon)
    for c in reversed(_TAYLOR):
        series = series * epsilon + c
    out[~large] = series + np.log(product) + logs
    return out


def lgamma_values(x) -> np.ndarray:
    """ln |Γ(x)| elementwise, in float64."""
    x = np.asarray(x, np.float64)
    z, negative, r = _reflected(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _lgamma_positive(z)
        reflected = math.log(math.pi) - np.log(np.abs(np.sin(math.pi * r))) - out
    out = np.where(negative, reflected, out)
    return np.where(np.isinf(x), np.inf, out)


def _recurred(x: np.ndarray, term, asymptotic) -> np.ndarray:
    """asymptotic(x + n) ∓ Σ_{k<n} term(x + k), x carried by n steps up to _ASYMPTOTIC_FROM."""
    z = x.copy()
    total = np.zeros_like(x)
    while True:
        low = z < _ASYMPTOTIC_FROM
        if not low.any():
            break
        total = np.where(low, total + term(np.where(low, z, 1.0)), total)
        z = np.where(low, z + 1, z)
    return asymptotic(z) + total


def _digamma_asymptotic(z: np.ndarray) -> np.ndarray:
    square = 1 / (z * z)
    series = np.zeros_like(z)
    for k in range(len(_BERNOULLI), 0, -1):
        series = series * square + _BERNOULLI[k - 1] / (2 * k)
    return np.log(z) - 0.5 / z - series * square


def _trigamma_asymptotic(z: np.ndarray) -> np.ndarray:
    inverse = 1 / z
    square = inverse * inverse
    series = np.zeros_like(z)
    for k in range(len(_BERNOULLI), 0, -1):
        series = series * square + _BERNOULLI[k - 1]
    return inverse + 0.5 * square + series * square * inverse


def digamma_values(x) -> np.ndarray:
    """ψ(x) = d ln Γ(x)/dx elementwise, in float64; ψ(1 − x) − ψ(x) = π cot(πx) for x ≤ 0."""
    x = np.asarray(x, np.float64)
    z, negative, r = _reflected(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _recurred(np.where(np.isfinite(z), z, 1.0), lambda t: -1 / t, _digamma_asymptotic)
        out = np.where(negative, out - math.pi / np.tan(math.pi * r), out)
    out = np.where(x == np.inf, np.inf, np.where(np.isnan(x) | (x == -np.inf), np.nan, out))
    out = np.where(negative & (r == 0), np.nan, out)  # the poles −1, −2, …
    return np.where(x == 0, np.copysign(np.inf, -np.copysign(1.0, x)), out)  # −inf at +0, +inf at −0


def trigamma_values(x) -> np.ndarray:
    """ψ₁(x) = dψ(x)/dx elementwise, in float64; ψ₁(1 − x) + ψ₁(x) = π² / sin²(πx) for x ≤ 0."""
    x = np.asarray(x, np.float64)
    z, negative, r = _reflected(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _recurred(np.where(np.isfinite(z), z, 1.0), lambda t: 1 / (t * t), _trigamma_asymptotic)
        sine = np.sin(math.pi * r)
        out = np.where(negative, math.pi ** 2 / (sine * sine) - out, out)
    return np.where(x == np.inf, 0.0, np.where(np.isnan(x) | (x == -np.inf), np.nan, out))


def lgamma(input):
    """ln |Γ(x)|, elementwise (+inf at the poles 0, −1, −2, …); its gradient is ψ(x)."""
    a = operand(input)
    x = floating(a.data)

    def backward(g):
        return ((g * digamma_values(x)).astype(g.dtype, copy=False),)

    return record(lgamma_values(x).astype(x.dtype), (a,), backward, "lgamma")


def digamma(input):
    """ψ(x) = Γ′(x)/Γ(x), elementwise; its gradient is the trigamma function ψ₁(x)."""
    a = operand(input)
    x = floating(a.data)

    def backward(g):
        return ((g * trigamma_values(x)).astype(g.dtype, copy=False),)

    return record(digamma_values(x).astype(x.dtype), (a,), backward, "digamma")
