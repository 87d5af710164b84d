"""The Bessel functions of order 0 and 1 in NumPy alone, in float64 over the whole array, each
pair (order 0, order 1) from one computation: J and Y, the scaled I (e^(−|x|)·I) and the scaled
K (e^x·K). Four classical methods, each where it converges fast (DLMF §10.8, 10.17, 10.23, 10.32,
10.40):

* |x| ≤ 2 (J, Y, K): the power series, J and I from Σ (x/2)^(n+2k) / (k!(n+k)!) with alternating
  or positive terms, Y and K adding ln(x/2) times those and the sum with ψ(k+1) + ψ(n+k+1);
* 2 < x < 25 (J, Y): Miller's backward recurrence J_(m−1) = (2m/x)·J_m − J_(m+1) from m = 76,
  normalised by J₀ + 2ΣJ_(2k) = 1; Y₀ from Neumann's series
  (2/π)(ln(x/2) + γ)·J₀ − (4/π)·Σ(−1)ᵏ J_(2k)/k on the same sequence, and Y₁ = −Y₀′ term by term;
* 2 < x < 25 (K): the integral e^x·K_ν(x) = ∫₀^∞ e^(−x(cosh t − 1))·cosh(νt) dt by the trapezoidal
  rule, which converges geometrically for this smooth, fast-decaying integrand (step 0.08);
* |x| ≤ 25 (I): the power series, all of whose terms are positive;
* |x| ≥ 25: Hankel's asymptotic expansions in 1/x, with 40 terms (their smallest near k = 2x is
  below 1e-20 of the value there).

The special points follow PyTorch's: J and I are NaN at ±inf (the scaled I is 0 there); Y and K
are −inf and +inf at 0 and NaN below it.
"""

from __future__ import annotations

import math

import numpy as np

_EULER_GAMMA = 0.57721566490153286061
SERIES_UP_TO = 2.0
ASYMPTOTIC_FROM = 25.0
_SERIES_TERMS, _I_SERIES_TERMS, _ASYMPTOTIC_TERMS = 24, 64, 40
_MILLER_START = 76
_TRAPEZOID_STEP, _TRAPEZOID_END = 0.08, 5.6


def _hankel_coefficients(order: int, terms: int) -> list:
    """a_k(ν) = (4ν² − 1²)(4ν² − 3²)···(4ν² − (2k−1)²) / (k!·8ᵏ), the asymptotic expansions' coefficients."""
    mu, coefficients = 4.0 * order * order, [1.0]
    for k in range(1, terms):
        coefficients.append(coefficients[-1] * (mu - (2 * k - 1) ** 2) / (k * 8))
    return coefficients


_HANKEL = {order: _hankel_coefficients(order, _ASYMPTOTIC_TERMS) for order in (0, 1)}


def _asymptotic_sum(x: np.ndarray, order: int, alternating: bool, parity=None) -> np.ndarray:
    """Σ ±a_k(ν)/xᵏ over the terms k of ``parity`` (0 even, 1 odd, None all), each term's sign
    (−1)^⌊k/2⌋ for the even-or-odd sums of J and Y, (−1)ᵏ for I's when ``alternating``, + for K's."""
    total = np.zeros_like(x)
    for k in reversed(range(_ASYMPTOTIC_TERMS)):
        if parity is not None and k % 2 != parity:
            continue
        sign = (-1) ** (k // 2) if parity is not None else ((-1) ** k if alternating else 1)
        total += sign * _HANKEL[order][k] / x ** k
    return total


def _power_series(x: np.ndarray, order: int, sign: float):
    """(Σ wᵏ / (k!(n+k)!), Σ (ψ(k+1) + ψ(n+k+1))·wᵏ / (k!(n+k)!)), each times (x/2)ⁿ, w = sign·x²/4."""
    half = x / 2
    w = sign * half * half
    term = half ** order / math.factorial(order)
    psi = 2 * -_EULER_GAMMA + (1.0 if order == 1 else 0.0)  # ψ(1) + ψ(n + 1)
    plain, with_psi = term.copy(), term * psi
    for k in range(1, _SERIES_TERMS):
        term = term * w / (k * (k + order))
        psi += 1 / k + 1 / (k + order)
        plain += term
        with_psi += term * psi
    return plain, with_psi


def _miller(x: np.ndarray):
    """(J₀, J₁, Neumann's sum Σ(−1)ᵏ J_(2k)/k, and Σ(−1)ᵏ (J_(2k−1) − J_(2k+1))/k) for 2 ≤ x ≤ 25."""
    later, current = np.zeros_like(x), np.full_like(x, 1e-30)  # J_(m+1), J_m up to a common factor
    norm, neumann, slope_sum = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    above_odd = np.zeros_like(x)  # J_(m+2) once m is odd
    for m in range(_MILLER_START, 0, -1):
        earlier = (2 * m / x) * current - later  # J_(m−1)
        later, current = current, earlier
        index = m - 1
        if index >= 2 and index % 2 == 0:
            k = index // 2
            norm += 2 * current
            neumann += (-1) ** k * current / k
        if index % 2 == 1:
            k = (index + 1) // 2
            slope_sum += (-1) ** k * (current - above_odd) / k
        if index % 2 == 0:
            above_odd = later  # J_(index+1): the J_(2k+1) of the next odd step down
    norm += current
    return current / norm, later / norm, neumann / norm, slope_sum / norm


def _hankel_phase(x: np.ndarray, order: int):
    """(cos χ, sin χ) for χ = x − (2ν + 1)π/4, from cos x and sin x (x − π/4 would round x)."""
    c, s = np.cos(x), np.sin(x)
    root_half = math.sqrt(0.5)
    if order == 0:
        return (c + s) * root_half, (s - c) * root_half
    return (s - c) * root_half, -(s + c) * root_half


def bessel_j_y(x, want_y: bool = True):
    """(J₀(x), J₁(x), Y₀(x), Y₁(x)) in float64 (Y's None unless ``want_y``)."""
    x = np.asarray(x, np.float64)
    magnitude = np.abs(x)
    j = [np.zeros_like(x), np.zeros_like(x)]
    y = [np.full_like(x, np.nan), np.full_like(x, np.nan)]
    with np.errstate(all="ignore"):
        small = magnitude <= SERIES_UP_TO
        near = np.where(small, magnitude, 1.0)
        log_half = np.log(near / 2)
        for n in (0, 1):
            plain, with_psi = _power_series(near, n, -1.0)
            j[n] = np.where(small, plain, j[n])
            if want_y:
                value = 2 / math.pi * log_half * plain - with_psi / math.pi - (2 / (math.pi * near) if n else 0)
                y[n] = np.where(small, value, y[n])
        middle = (magnitude > SERIES_UP_TO) & (magnitude < ASYMPTOTIC_FROM)
        if np.any(middle):
            z = np.where(middle, magnitude, 10.0)
            j0, j1, neumann, slope_sum = _miller(z)
            j[0], j[1] = np.where(middle, j0, j[0]), np.where(middle, j1, j[1])
            if want_y:
                log_term = np.log(z / 2) + _EULER_GAMMA
                y[0] = np.where(middle, 2 / math.pi * log_term * j0 - 4 / math.pi * neumann, y[0])
                y[1] = np.where(middle, 2 / math.pi * (log_term * j1 - j0 / z) + 2 / math.pi * slope_sum, y[1])
        far = magnitude >= ASYMPTOTIC_FROM
        if np.any(far):
            z = np.where(far, magnitude, ASYMPTOTIC_FROM)
            scale = np.sqrt(2 / (math.pi * z))
            for n in (0, 1):
                p, q = _asymptotic_sum(z, n, False, 0), _asymptotic_sum(z, n, False, 1)
                cos_chi, sin_chi = _hankel_phase(z, n)
                j[n] = np.where(far, scale * (p * cos_chi - q * sin_chi), j[n])
                if want_y:
                    y[n] = np.where(far, scale * (p * sin_chi + q * cos_chi), y[n])
        j[1] = j[1] * np.copysign(1.0, x)  # J₁ is odd (and −0 at −0)
        if want_y:
            y = [np.where(x < 0, np.nan, np.where(x == 0, -np.inf, value)) for value in y]
    nan = np.isnan(x) | np.isinf(x)  # NaN at ±inf, as PyTorch's
    j = [np.where(nan, np.nan, value) for value in j]
    if want_y:
        y = [np.where(nan, np.nan, value) for value in y]
    return j[0], j[1], (y[0] if want_y else None), (y[1] if want_y else None)


def scaled_i(x):
    """(e^(−|x|)·I₀(x), e^(−|x|)·I₁(x)) in float64: 1, 0 at 0; 0 at ±inf (−0 at −inf for I₁)."""
    x = np.asarray(x, np.float64)
    magnitude = np.abs(x)
    out = []
    with np.errstate(all="ignore"):
        near = np.minimum(magnitude, ASYMPTOTIC_FROM)
        far = np.maximum(magnitude, ASYMPTOTIC_FROM)
        for n in (0, 1):
            half = near / 2
            term = half ** n
            total = term.copy()
            for k in range(1, _I_SERIES_TERMS):
                term = term * half * half / (k * (k + n))
                total += term
            series = total * np.exp(-near)
            asymptotic = _asymptotic_sum(far, n, True) / np.sqrt(2 * math.pi * far)
            value = np.where(magnitude < ASYMPTOTIC_FROM, series, asymptotic)
            value = np.where(magnitude == np.inf, 0.0, value)
            out.append(np.copysign(value, x) if n else value)
    return out[0], out[1]


def scaled_k_trapezoid(x: np.ndarray, order: float) -> np.ndarray:
    """e^x·K_ν(x) = ∫₀^∞ e^(−x(cosh t − 1))·cosh(νt) dt by the trapezoidal rule (x ≥ ⅔; the
    integrand at the grid's end, t = 5.6, is below e^(−90x)). cosh t − 1 is 2 sinh²(t/2), exact."""
    total = 0.5 * np.ones_like(x)
    for t in np.arange(1, round(_TRAPEZOID_END / _TRAPEZOID_STEP) + 1) * _TRAPEZOID_STEP:
        total += np.exp(-x * (2 * math.sinh(t / 2) ** 2)) * math.cosh(order * t)
    return total * _TRAPEZOID_STEP


def scaled_k(x):
    """(e^x·K₀(x), e^x·K₁(x)) in float64: +inf at 0, 0 at +inf, NaN below 0."""
    x = np.asarray(x, np.float64)
    out = [np.full_like(x, np.nan), np.full_like(x, np.nan)]
    with np.errstate(all="ignore"):
        small = (x > 0) & (x <= SERIES_UP_TO)
        near = np.where(small, x, 1.0)
        for n in (0, 1):
            plain, with_psi = _power_series(near, n, 1.0)
            log_half = np.log(near / 2)
            value = -log_half * plain + with_psi / 2 if n == 0 else 1 / near + log_half * plain - with_psi / 2
            out[n] = np.where(small, value * np.exp(near), out[n])
        middle = (x > SERIES_UP_TO) & (x < ASYMPTOTIC_FROM)
        if np.any(middle):
            z = np.where(middle, x, 10.0)
            for n in (0, 1):
                out[n] = np.where(middle, scaled_k_trapezoid(z, n), out[n])
        far = x >= ASYMPTOTIC_FROM
        if np.any(far):
            z = np.where(far, x, ASYMPTOTIC_FROM)
            for n in (0, 1):
                value = np.sqrt(math.pi / (2 * z)) * _asymptotic_sum(z, n, False)
                out[n] = np.where(far, np.where(z == np.inf, 0.0, value), out[n])
    return tuple(np.where(x == 0, np.inf, np.where(np.isnan(x), np.nan, value)) for value in out)
