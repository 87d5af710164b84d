"""The classical orthogonal polynomials of ``torch.special`` and their derivatives of any order, in
NumPy alone, in float64, by their three-term recurrences (DLMF §18.9), which are stable upwards:

    p₋₁ = 0,  p₀ = 1,  d_k·p_(k+1) = (a_k·y + b_k)·p_k − c_k·p_(k−1)

(with whole numbers a, b, c, d, divided last: Laguerre's and Legendre's stay within a few ulps), and,
differentiated m times (Leibniz), d_k·p_(k+1)⁽ᵐ⁾ = (a_k·y + b_k)·p_k⁽ᵐ⁾ + m·a_k·p_k⁽ᵐ⁻¹⁾ − c_k·p_(k−1)⁽ᵐ⁾.
The shifted Chebyshev polynomials are the others at y = 2x − 1, their m-th derivative times 2ᵐ.

The degree n is truncated towards zero, as PyTorch's: a negative degree gives 0, as PyTorch's; a
NaN or +inf degree gives NaN (PyTorch: 0). Where the recurrence overflows (|y| huge or infinite,
where PyTorch gives NaN from inf − inf), the value is the limit of the leading term: ±inf with the
sign of lead·sign(y)^(n − m), and the constant lead·n! where m = n.
"""

from __future__ import annotations

import math

import numpy as np

# family: (a_k, b_k, c_k, d_k) of its recurrence, as a function of k
_RECURRENCES = {
    "t": lambda k: (1 if k == 0 else 2, 0, 1, 1),
    "u": lambda k: (2, 0, 1, 1),
    "v": lambda k: (2, -1 if k == 0 else 0, 1, 1),
    "w": lambda k: (2, 1 if k == 0 else 0, 1, 1),
    "h": lambda k: (2, 0, 2 * k, 1),
    "he": lambda k: (1, 0, k, 1),
    "l": lambda k: (-1, 2 * k + 1, k, k + 1),
    "p": lambda k: (2 * k + 1, 0, k, k + 1),
}


def polynomial_values(family: str, x, n, order: int = 0, shifted: bool = False) -> np.ndarray:
    """The ``order``-th derivative of the polynomial ``family`` (a key of the recurrences) of
    degree ``n`` at ``x`` (broadcast), at 2x − 1 if ``shifted``, as a float64 array."""
    x, n = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(n, np.float64))
    y = 2 * x - 1 if shifted else x
    degree = np.trunc(n)
    known = np.isfinite(degree) & (degree >= 0)
    top = int(degree[known].max(initial=0))
    recurrence = _RECURRENCES[family]
    earlier = [np.zeros_like(y) for _ in range(order + 1)]
    current = [np.ones_like(y)] + [np.zeros_like(y) for _ in range(order)]
    out = np.where(degree == 0, current[order], 0.0)
    leads = [1.0]  # the leading coefficient of p_k
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(top):
            a, b, c, d = recurrence(k)
            factor = a * y + b
            later = [factor * current[m] + (m * a * current[m - 1] if m else 0.0) - c * earlier[m]
                     for m in range(order + 1)]
            earlier, current = current, ([p / d for p in later] if d != 1 else later)
            leads.append(leads[-1] * a / d)
            out = np.where(degree == k + 1, current[order], out)
        lead = np.asarray(leads)[np.where(known, degree, 0).astype(np.int64)]
        out = _limits(out, y, degree, lead, order)
        out = np.where(np.isnan(degree) | (degree == np.inf), np.nan, out)
        return out * 2.0 ** order if shifted else out


def _limits(out, y, degree, lead, order):
    """``out`` with the derivatives of order above the degree set to 0, those of order equal to it
    to their constant lead·n!, and overflowed values (NaN at a y that is not) to the leading term's
    infinity."""
    out = np.where(degree < order, 0.0, out)
    out = np.where(degree == order, lead * math.factorial(order), out)
    odd = np.fmod(degree - order, 2) == 1
    sign = np.sign(lead) * np.where(odd, np.sign(y), 1.0)
    overflowed = (degree > order) & (np.isinf(y) | (np.isnan(out) & ~np.isnan(y)))
    return np.where(overflowed, sign * np.inf, out)
