"""PyTorch's window functions, for spectral analysis and filter design: ``hann_window``,
``hamming_window``, ``blackman_window``, ``bartlett_window`` and ``kaiser_window``.

Each is w[n] for n = 0 … N − 1 of a window of length N, computed in float64 and returned in
``dtype`` (the default float dtype unless given; floating dtypes only). With ``periodic=True`` (the
default) it is the symmetric window of length N + 1 without its last value, whose repetitions tile
a signal seamlessly (as a DFT sees it); with ``periodic=False`` the symmetric window itself, whose
ends mirror each other. With M the symmetric length and t = 2πn/(M − 1):

| window   | w[n]                                                           |
|----------|----------------------------------------------------------------|
| hann     | ½ − ½ cos t                                                    |
| hamming  | α − β cos t (α = 0.54, β = 0.46 by default)                    |
| blackman | 0.42 − ½ cos t + 0.08 cos 2t                                   |
| bartlett | 1 − |2n/(M − 1) − 1| (a triangle)                              |
| kaiser   | I₀(β √(1 − (2n/(M − 1) − 1)²)) / I₀(β) (β = 12 by default)      |

A window of length 1 is [1], of length 0 empty.

    >>> import deltaprop as dp
    >>> dp.hann_window(4, periodic=False)
    tensor([0.  , 0.75, 0.75, 0.  ])
"""

from __future__ import annotations

import math

import numpy as np

from .creation import _count, _dtype, _make
from .devices import on_cpu
from .tensor import Tensor, get_default_dtype


def window(op: str, window_length, periodic, dtype, device, requires_grad, shape, *, one_is_one=True) -> Tensor:
    """The window ``shape(n, m)`` of ``window_length`` values, n = 0, 1, … (float64) and m the length
    of the symmetric window (one longer where ``periodic``); a window of one value is [1] where
    ``one_is_one`` (the shapes that divide by m − 1)."""
    on_cpu(op, device)
    n = _count(op, "window_length", window_length)
    dtype = _dtype(op, dtype, get_default_dtype(), floating=True)
    if not isinstance(periodic, (bool, np.bool_)):
        raise TypeError(f"{op}: periodic must be True or False, got {periodic!r}")
    if n == 0 or (n == 1 and one_is_one):
        return _make(np.ones(n, dtype), requires_grad)
    return _make(np.asarray(shape(np.arange(n, dtype=np.float64), n + 1 if periodic else n)).astype(dtype),
                 requires_grad)


def _centred(n: np.ndarray, m: int) -> np.ndarray:
    """x = 2n/(m − 1) − 1, running over [−1, 1] along the symmetric window."""
    return 2 * n / (m - 1) - 1


def cosine_sum(*coefficients):
    """The shape Σₖ (−1)ᵏ aₖ cos(2πkn/(m − 1)): the hann, hamming, blackman (and nuttall) windows."""
    return lambda n, m: sum((-1) ** k * a * np.cos(2 * math.pi * k * n / (m - 1)) for k, a in enumerate(coefficients))


def triangle(n: np.ndarray, m: int) -> np.ndarray:
    return 1 - np.abs(_centred(n, m))


def kaiser(beta: float):
    return lambda n, m: np.i0(beta * np.sqrt(np.clip(1 - _centred(n, m) ** 2, 0, None))) / np.i0(beta)


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Hann window: ½ − ½ cos(2πn/(M − 1)), sin²(πn/(M − 1)); see the module's docstring."""
    return window("hann_window", window_length, periodic, dtype, device, requires_grad, cosine_sum(0.5, 0.5))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, device=None,
                   requires_grad=False):
    """The Hamming window: α − β cos(2πn/(M − 1)); see the module's docstring."""
    alpha, beta = (number("hamming_window", name, v) for name, v in (("alpha", alpha), ("beta", beta)))
    return window("hamming_window", window_length, periodic, dtype, device, requires_grad, cosine_sum(alpha, beta))


def blackman_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Blackman window: 0.42 − ½ cos(2πn/(M − 1)) + 0.08 cos(4πn/(M − 1)); see the module's docstring."""
    return window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   cosine_sum(0.42, 0.5, 0.08))


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Bartlett (triangular) window: 1 − |2n/(M − 1) − 1|; see the module's docstring."""
    return window("bartlett_window", window_length, periodic, dtype, device, requires_grad, triangle)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None, requires_grad=False):
    """The Kaiser window: I₀(β √(1 − x²)) / I₀(β), x = 2n/(M − 1) − 1, I₀ the modified Bessel function
    of order 0; larger β narrows it. See the module's docstring."""
    beta = number("kaiser_window", "beta", beta)
    return window("kaiser_window", window_length, periodic, dtype, device, requires_grad, kaiser(beta))


def number(op: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    return float(value)
