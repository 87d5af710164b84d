"""The log-gamma function and its derivatives, digamma ψ, trigamma ψ₁ and the polygamma functions
ψ⁽ⁿ⁾, in NumPy alone, each in float64 over the whole array; then lgamma, digamma and polygamma as
primitives, each beside its gradient (lgamma′ = ψ, ψ′ = ψ₁, ψ⁽ⁿ⁾′ = ψ⁽ⁿ⁺¹⁾).

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
* ψ⁽ⁿ⁾ for n ≥ 2 (:func:`polygamma_values`): (−1)ⁿ⁺¹ n! ζ(n + 1, x), the Hurwitz zeta sum carried up
  by the recurrence and finished by its Euler–Maclaurin series; for x ≤ 0 the reflection
  ψ⁽ⁿ⁾(x) = (−1)ⁿ ψ⁽ⁿ⁾(1 − x) − π dⁿ/dxⁿ cot(πx).
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
_DIRECT_DOWN_TO = -64.0  # polygamma_values: below, the reflection
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


def _cot_pi(r: np.ndarray) -> np.ndarray:
    """cot(πr) for r in [−½, ½]: 1/tan(πr) near 0, and tan(π(½ − |r|)) with r's sign beyond ¼,
    where ½ − |r| is exact (so cot is exactly 0 at ±½, and keeps its digits near there, where
    1/tan(πr) takes the reciprocal of tan's rounded pole)."""
    with np.errstate(divide="ignore"):
        return np.where(np.abs(r) <= 0.25, 1 / np.tan(math.pi * r),
                        np.copysign(np.tan(math.pi * (0.5 - np.abs(r))), r))


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


def lgamma1p_values(a: np.ndarray) -> np.ndarray:
    """ln Γ(1 + a) for |a| ≤ ½, keeping a's own digits where 1 + a would round them away: the
    Taylor series about 2 at ε = a, less ln(1 + a) (ln Γ(1 + a) = ln Γ(2 + a) − ln(1 + a))."""
    a = np.asarray(a, np.float64)
    series = np.zeros_like(a)
    for c in reversed(_TAYLOR):
        series = series * a + c
    return series - np.log1p(a)


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


def _zeta_asymptotic(n: int):
    """ζ(n + 1, z) for large z by Euler–Maclaurin: z⁻ⁿ/n + z⁻⁽ⁿ⁺¹⁾/2 + Σₖ B₂ₖ/(2k)! · (n+1)⋯(n+2k−1) z⁻⁽ⁿ⁺²ᵏ⁾."""
    coefficients, rising = [], 1.0
    for k in range(1, len(_BERNOULLI) + 1):
        for j in range(2 * k - 3 if k > 1 else 0, 2 * k - 1):  # (n+1)(n+2)⋯(n+2k−1), two factors a step
            rising *= n + 1 + j
        coefficients.append(_BERNOULLI[k - 1] / math.factorial(2 * k) * rising)

    def series(z: np.ndarray) -> np.ndarray:
        inverse = 1 / z
        square = inverse * inverse
        total = np.zeros_like(z)
        for c in reversed(coefficients):  # Horner's rule in 1/z², smallest term first
            total = total * square + c
        return inverse ** n * (1 / n + inverse * (0.5 + total * inverse))

    return series


def _cot_derivative(n: int) -> list:
    """The coefficients (lowest power first) of the polynomial Pₙ with dⁿ/dxⁿ cot x = Pₙ(cot x):
    P₀(c) = c, Pₖ₊₁(c) = −(1 + c²) Pₖ′(c). Its powers are all even or all odd and its coefficients
    share one sign, so it is evaluated without cancellation."""
    p = [0, 1]
    for _ in range(n):
        slope = [j * p[j] for j in range(1, len(p))] + [0, 0]
        p = [-(slope[j] + (slope[j - 2] if j >= 2 else 0)) for j in range(len(slope))]
    return p


def polygamma_values(n: int, x) -> np.ndarray:
    """ψ⁽ⁿ⁾(x), the n-th derivative of ψ, elementwise in float64: ±inf at the poles 0, −1, −2, …
    (the sign of (−1)ⁿ⁺¹, PyTorch's), 0 at +inf, NaN at −inf and NaN.

    Down to x = −64 the zeta sum is taken directly, through the negative terms (as PyTorch and
    Cephes take it): the reflection's two terms cancel more there (to 1e-13 against 1e-15)."""
    if n == 0:
        return digamma_values(x)
    if n == 1:
        return trigamma_values(x)
    x = np.asarray(x, np.float64)
    with np.errstate(invalid="ignore"):
        r = x - np.round(x)  # (exact; 0 at the poles)
    reflect = x < _DIRECT_DOWN_TO
    # where the series is carried to: its terms fall as ((n + 2k)/(2πz))², so z grows with n
    start = max(_ASYMPTOTIC_FROM, 2.0 * n + 10)
    sign, scale = (-1.0) ** (n + 1), float(math.factorial(n)) if n <= 170 else math.inf
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        z = np.where(np.isfinite(x), np.where(reflect, 1 - x, x), 1.0)
        zeta = np.zeros_like(z)
        low = z < start
        for k in range(int(math.ceil(start - z[low].min())) if low.any() else 0):  # Σ (z + k)⁻⁽ⁿ⁺¹⁾ below the start
            t = z + k
            zeta += np.where(t < start, t ** -(n + 1), 0.0)
        carried = z + np.where(low, np.ceil(start - z), 0.0)
        out = np.asarray(sign * scale * (zeta + _zeta_asymptotic(n)(carried)))  # (an array even when 0-d)
        if reflect.any():
            c = _cot_pi(r[reflect])
            p = np.zeros_like(c)
            for a in reversed(_cot_derivative(n)):
                p = p * c + a
            out[reflect] = (-1.0) ** n * out[reflect] - math.pi ** (n + 1) * p
    out = np.where(x == np.inf, 0.0, np.where(np.isnan(x) | (x == -np.inf), np.nan, out))
    return np.where((x <= 0) & (r == 0), sign * np.inf, out)  # the poles


def polygamma(n, input):
    """ψ⁽ⁿ⁾(x), the n-th derivative of the digamma function (n = 0 is ψ itself), PyTorch's
    ``polygamma(n, input)``; its gradient is ψ⁽ⁿ⁺¹⁾(x)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma: n must be a non-negative integer, got {n!r}")
    n = int(n)
    a = operand(input)
    x = floating(a.data)

    def backward(g):
        return ((g * polygamma_values(n + 1, x)).astype(g.dtype, copy=False),)

    return record(np.asarray(polygamma_values(n, x)).astype(x.dtype), (a,), backward, "polygamma")
