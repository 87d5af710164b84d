"""The Hurwitz zeta function ζ(s, q) = Σₖ (q + k)^(−s) in NumPy alone, in float64 (DLMF §25.11).

The first terms are summed directly until q + N ≥ max(10, s) (s capped at 300: beyond, every term
after the first underflows); the rest by the Euler–Maclaurin formula
a^(1−s)/(s−1) + a^(−s)/2 + Σⱼ B₂ⱼ/(2j)! · s(s+1)···(s+2j−2) · a^(−s−2j+1), a = q + N, with twelve
terms, whose last is below 1e-19 of the tail once a ≥ max(10, s).

The special points follow PyTorch's: +inf at s = 1 and at q = 0, −1, −2, …; NaN for s < 1, and for
q < 0 unless s is a whole number (then the sum is taken as it stands). Where s or q is +inf the
value is its limit (1 at q = 1, 0 beyond, +inf below), where PyTorch gives NaN at some of them.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

# B₂ⱼ / (2j)! for j = 1, …, 12
_BERNOULLI = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730)]
_FACTORIAL_RATIOS = []
_factorial = 1
for _j, _b in enumerate(_BERNOULLI, start=1):
    _factorial *= (2 * _j - 1) * (2 * _j)
    _FACTORIAL_RATIOS.append(float(_b / _factorial))
_DIRECT_UNTIL, _LARGEST_S = 10.0, 300.0


def hurwitz_zeta(s, q) -> np.ndarray:
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    with np.errstate(all="ignore"):
        pole = (q <= 0) & (q == np.floor(q))
        valid = (s > 1) & ~pole & ((q > 0) | (s == np.floor(s))) & np.isfinite(s) & np.isfinite(q)
        s_ok, q_ok = np.where(valid, s, 2.0), np.where(valid, q, 1.0)
        target = np.maximum(_DIRECT_UNTIL, np.minimum(s_ok, _LARGEST_S))
        count = np.ceil(np.maximum(target - q_ok, 0.0))
        total = np.zeros_like(s_ok)
        for k in range(int(count.max(initial=0))):
            total += np.where(k < count, np.power(q_ok + k, -s_ok), 0.0)
        a = q_ok + count
        power = np.power(a, -s_ok)
        tail = a * power / (s_ok - 1) + power / 2
        term = power * s_ok / a  # s(s+1)···(s+2j−2)·a^(−s−2j+1), j = 1
        for j, ratio in enumerate(_FACTORIAL_RATIOS, start=1):
            tail += ratio * term
            term = term * (s_ok + 2 * j - 1) * (s_ok + 2 * j) / (a * a)
        out = np.where(valid, total + tail, np.nan)
        out = np.where((s == 1) | (pole & (s >= 1)), np.inf, out)
        infinite_s = (s == np.inf) & (q > 0)
        out = np.where(infinite_s, np.where(q == 1, 1.0, np.where(q > 1, 0.0, np.inf)), out)
        out = np.where((q == np.inf) & (s > 1), 0.0, out)
    return out
