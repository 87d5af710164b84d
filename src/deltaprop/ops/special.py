"""The error function, which NumPy lacks and the exact GELU needs.

Two classical expansions, each used where it converges fast, vectorised over the array:

* for |x| < 2.5, the series with positive terms (no cancellation)
  erf(x) = 2/√π · e^(−x²) · Σₖ 2ᵏ x^(2k+1) / (1·3·5···(2k+1));
* for |x| >= 2.5, Laplace's continued fraction for the complement
  erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + ...)))).

With 40 terms each, the error is below 1e-15 over the whole line (checked against ``math.erf`` in
the tests). float32 inputs need 28 terms: with 20 the series was truncated 40 ulps short at |x| = 2.5;
from 25 on, the error stays at the few ulps that float32 rounding of the sum leaves.
"""

from __future__ import annotations

import math

import numpy as np

_SPLIT = 2.5


def erf(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    terms = 40 if x.dtype == np.float64 else 28
    magnitude = np.abs(x)
    inner = np.minimum(magnitude, _SPLIT)
    outer = np.maximum(magnitude, _SPLIT)

    x2 = inner * inner
    term = inner.copy()
    series = inner.copy()
    for k in range(1, terms):
        term *= x2 * (2.0 / (2 * k + 1))
        series += term
    erf_inner = series * np.exp(-x2) * (2 / math.sqrt(math.pi))

    fraction = outer.copy()
    for k in range(terms, 0, -1):
        fraction = outer + (k / 2) / fraction
    erf_outer = 1 - np.exp(-outer * outer) / (math.sqrt(math.pi) * fraction)

    return np.copysign(np.where(magnitude < _SPLIT, erf_inner, erf_outer), x).astype(x.dtype, copy=False)
