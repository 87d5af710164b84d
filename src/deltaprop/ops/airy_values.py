"""The Airy function Ai in NumPy alone, in float64 over the whole array (DLMF §9.7, 9.6):

* −10 ≤ x ≤ 1: Taylor series of the equation Ai″(x) = x·Ai(x) about the nearest of the anchors
  −10, −9.5, …, 1, whose coefficients follow c_(n+2) = (x₀c_n + c_(n−1)) / ((n+1)(n+2)); the anchors'
  values and slopes are carried out from Ai(0) and Ai′(0) by the same series, once, on first use
  (on this side both Ai and Bi stay of order 1, so the carried rounding does not grow);
* 1 < x < 9.66: Ai(x) = √(x/3)/π · K_⅓(ζ), ζ = ⅔x^(3/2), with K from the trapezoidal rule of
  :func:`.bessel_values.scaled_k_trapezoid`;
* beyond (ζ ≥ 20 on the right, x < −10 on the left): the asymptotic expansions in 1/ζ, whose
  smallest terms near k = 2ζ are below 1e-17 of the value.

At ±inf Ai is NaN, as PyTorch's.
"""

from __future__ import annotations

import math

import numpy as np

from .bessel_values import scaled_k_trapezoid

_AI_0, _AI_SLOPE_0 = 0.35502805388781723926, -0.25881940379280679840
_SPACING, _LEFT, _RIGHT = 0.5, -10.0, 1.0
_TAYLOR_TERMS, _ASYMPTOTIC_TERMS = 32, 42
_RIGHT_ASYMPTOTIC_FROM = 30.0 ** (2 / 3)  # ζ = 20
_anchors = []  # (value, slope) at _LEFT + i·_SPACING, filled on first use


def _coefficients(x0: float, value: float, slope: float) -> list:
    c = [value, slope, x0 * value / 2]
    for n in range(1, _TAYLOR_TERMS - 2):
        c.append((x0 * c[n] + c[n - 1]) / ((n + 1) * (n + 2)))
    return c


def _step(x0: float, value: float, slope: float, h: float):
    c = _coefficients(x0, value, slope)
    return (math.fsum(ck * h ** k for k, ck in enumerate(c)),
            math.fsum(k * ck * h ** (k - 1) for k, ck in enumerate(c) if k))


def _anchor_table() -> np.ndarray:
    """Each anchor's Taylor coefficients, one row an anchor."""
    if not _anchors:
        count_left = round(-_LEFT / _SPACING)
        left, right = [(_AI_0, _AI_SLOPE_0)], [(_AI_0, _AI_SLOPE_0)]
        for i in range(count_left):
            left.append(_step(-i * _SPACING, *left[-1], -_SPACING))
        for i in range(round(_RIGHT / _SPACING)):
            right.append(_step(i * _SPACING, *right[-1], _SPACING))
        points = left[::-1] + right[1:]
        _anchors.append(np.array([_coefficients(_LEFT + i * _SPACING, *p) for i, p in enumerate(points)]))
    return _anchors[0]


def _asymptotic_coefficients(terms: int) -> list:
    """u_k = (6k−5)(6k−3)(6k−1) / ((2k−1)·216·k) · u_(k−1), u₀ = 1."""
    u = [1.0]
    for k in range(1, terms):
        u.append(u[-1] * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216 * k))
    return u


_U = _asymptotic_coefficients(_ASYMPTOTIC_TERMS)


def airy_ai(x) -> np.ndarray:
    """Ai(x) in float64."""
    x = np.asarray(x, np.float64)
    out = np.full_like(x, np.nan)
    with np.errstate(all="ignore"):
        taylor = (x >= _LEFT) & (x <= _RIGHT)
        if np.any(taylor):
            table = _anchor_table()
            z = x[taylor]
            index = np.round((z - _LEFT) / _SPACING).astype(int)
            h = z - (_LEFT + index * _SPACING)
            total = np.zeros_like(z)
            for k in reversed(range(table.shape[1])):
                total = total * h + table[index, k]
            out[taylor] = total
        middle = (x > _RIGHT) & (x < _RIGHT_ASYMPTOTIC_FROM)
        if np.any(middle):
            z = x[middle]
            zeta = 2 / 3 * z * np.sqrt(z)
            out[middle] = np.sqrt(z / 3) / math.pi * np.exp(-zeta) * scaled_k_trapezoid(zeta, 1 / 3)
        right = (x >= _RIGHT_ASYMPTOTIC_FROM) & (x < np.inf)
        if np.any(right):
            z = x[right]
            zeta = 2 / 3 * z * np.sqrt(z)
            total = np.zeros_like(z)
            for k in reversed(range(_ASYMPTOTIC_TERMS)):
                total = total / zeta + (-1) ** k * _U[k]
            value = np.exp(-zeta) / (2 * math.sqrt(math.pi) * np.sqrt(np.sqrt(z))) * total
            out[right] = np.where(np.isfinite(zeta), value, 0.0)
        left = (x < _LEFT) & (x > -np.inf)
        if np.any(left):
            z = -x[left]
            zeta = 2 / 3 * z * np.sqrt(z)
            even, odd = np.zeros_like(z), np.zeros_like(z)
            for k in reversed(range(_ASYMPTOTIC_TERMS)):
                if k % 2 == 0:
                    even = even / (zeta * zeta) + (-1) ** (k // 2) * _U[k]
                else:
                    odd = odd / (zeta * zeta) + (-1) ** (k // 2) * _U[k]
            phase = zeta - math.pi / 4
            out[left] = (np.cos(phase) * even + np.sin(phase) * odd / zeta) / (math.sqrt(math.pi) * np.sqrt(np.sqrt(z)))
    return out
