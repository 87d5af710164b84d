"""PyTorch's ``torch.signal.windows``: window functions of length M, symmetric by default
(``sym=True``, the ends mirror each other, for filter design) or periodic (``sym=False``, the
symmetric window of M + 1 values less its last, for spectral analysis): the shapes of
:mod:`deltaprop.windows` (hann, hamming, blackman, bartlett, kaiser and their general cosine sums)
and a few more, with n = 0 … M − 1 and m the symmetric length (M, or M + 1 for ``sym=False``):

| window          | w[n]                                                            |
|-----------------|-----------------------------------------------------------------|
| cosine          | sin(π(n + ½)/m)                                                  |
| exponential     | exp(−|n − center|/τ), center (m − 1)/2 unless given (periodic only) |
| gaussian        | exp(−½((n − (m − 1)/2)/σ)²)                                      |
| general_cosine  | Σₖ (−1)ᵏ aₖ cos(2πkn/(m − 1))                                    |
| general_hamming | α − (1 − α) cos(2πn/(m − 1))                                     |
| nuttall         | the general cosine of 0.3635819, 0.4891775, 0.1365995, 0.0106411 |

Each returns ``dtype`` (the default float dtype unless given; floating dtypes only); one value is
[1] (but an exponential window's with a ``center``), none is empty.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from ..windows import cosine_sum, kaiser as _kaiser, number, triangle, window

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming", "hamming",
           "hann", "kaiser", "nuttall"]

_NUTTALL = (0.3635819, 0.4891775, 0.1365995, 0.0106411)


def _made(op, M, sym, dtype, device, requires_grad, shape, **options):
    if not isinstance(sym, (bool, np.bool_)):
        raise TypeError(f"signal.windows.{op}: sym must be True or False, got {sym!r}")
    return window(f"signal.windows.{op}", M, not sym, dtype, device, requires_grad, shape, **options)


def _positive(op: str, name: str, value) -> float:
    value = number(f"signal.windows.{op}", name, value)
    if not value > 0:
        raise ConfigError(f"signal.windows.{op}: {name} must be positive, got {value!r}")
    return value


def bartlett(M, *, sym=True, dtype=None, device=None, requires_grad=False):
    """The triangular window 1 − |2n/(m − 1) − 1|."""
    return _made("bartlett", M, sym, dtype, device, requires_grad, triangle)


def blackman(M, *, sym=True, dtype=None, device=None, requires_grad=False):
    """The Blackman window, the general cosine of 0.42, 0.5, 0.08."""
    return _made("blackman", M, sym, dtype, device, requires_grad, cosine_sum(0.42, 0.5, 0.08))


def cosine(M, *, sym=True, dtype=None, device=None, requires_grad=False):
    """The cosine (sine) window sin(π(n + ½)/m)."""
    return _made("cosine", M, sym, dtype, device, requires_grad, lambda n, m: np.sin(math.pi * (n + 0.5) / m))


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, device=None, requires_grad=False):
    """The exponential (Poisson) window exp(−|n − center|/τ); ``center`` only for a periodic window."""
    tau = _positive("exponential", "tau", tau)
    if center is not None and sym:
        raise ConfigError("signal.windows.exponential: center must be None for a symmetric window (sym=True), got "
                          f"{center!r}")
    place = None if center is None else number("signal.windows.exponential", "center", center)
    return _made("exponential", M, sym, dtype, device, requires_grad,
                 lambda n, m: np.exp(-np.abs(n - ((m - 1) / 2 if place is None else place)) / tau),
                 one_is_one=place is None)  # (one value is [1], as PyTorch's, unless placed off its centre)


def gaussian(M, *, std=1.0, sym=True, dtype=None, device=None, requires_grad=False):
    """The Gaussian window exp(−½((n − (m − 1)/2)/σ)²), σ = ``std``."""
    std = _positive("gaussian", "std", std)
    return _made("gaussian", M, sym, dtype, device, requires_grad,
                 lambda n, m: np.exp(-0.5 * ((n - (m - 1) / 2) / std) ** 2))


def general_cosine(M, *, a, sym=True, dtype=None, device=None, requires_grad=False):
    """The general cosine window Σₖ (−1)ᵏ aₖ cos(2πkn/(m − 1)), ``a`` a sequence of numbers."""
    if isinstance(a, (str, bytes)) or not hasattr(a, "__iter__"):
        raise TypeError(f"signal.windows.general_cosine: a must be a sequence of numbers, got {a!r}")
    coefficients = [number("signal.windows.general_cosine", "a's every element", v) for v in a]
    if not coefficients:
        raise ConfigError("signal.windows.general_cosine: a must hold at least one coefficient")
    return _made("general_cosine", M, sym, dtype, device, requires_grad, cosine_sum(*coefficients))


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, device=None, requires_grad=False):
    """The general Hamming window α − (1 − α) cos(2πn/(m − 1))."""
    alpha = number("signal.windows.general_hamming", "alpha", alpha)
    return _made("general_hamming", M, sym, dtype, device, requires_grad, cosine_sum(alpha, 1 - alpha))


def hamming(M, *, sym=True, dtype=None, device=None, requires_grad=False):
    """The Hamming window 0.54 − 0.46 cos(2πn/(m − 1))."""
    return _made("hamming", M, sym, dtype, device, requires_grad, cosine_sum(0.54, 0.46))


def hann(M, *, sym=True, dtype=None, device=None, requires_grad=False):
    """The Hann window ½ − ½ cos(2πn/(m − 1))."""
    return _made("hann", M, sym, dtype, device, requires_grad, cosine_sum(0.5, 0.5))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, device=None, requires_grad=False):
    """The Kaiser window I₀(β √(1 − (2n/(m − 1) − 1)²)) / I₀(β)."""
    return _made("kaiser", M, sym, dtype, device, requires_grad, _kaiser(number("signal.windows.kaiser", "beta", beta)))


def nuttall(M, *, sym=True, dtype=None, device=None, requires_grad=False):
    """Nuttall's four-term window, the general cosine of 0.3635819, 0.4891775, 0.1365995, 0.0106411."""
    return _made("nuttall", M, sym, dtype, device, requires_grad, cosine_sum(*_NUTTALL))
