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


def _window(op: str, window_length, periodic, dtype, device, requires_grad, shape) -> Tensor:
    """The window ``shape(x)`` of ``window_length`` values, x = 2n/(M − 1) − 1 running over [−1, 1]
    along the symmetric window of length M (one longer where ``periodic``)."""
    on_cpu(op, device)
    n = _count(op, "window_length", window_length)
    dtype = _dtype(op, dtype, get_default_dtype(), floating=True)
    if not isinstance(periodic, (bool, np.bool_)):
        raise TypeError(f"{op}: periodic must be True or False, got {periodic!r}")
    if n <= 1:
        return _make(np.ones(n, dtype), requires_grad)
    m = n + 1 if periodic else n
    x = 2 * np.arange(n, dtype=np.float64) / (m - 1) - 1
    return _make(np.asarray(shape(x)).astype(dtype), requires_grad)


def _cosine_sum(*coefficients):
    """Σₖ (−1)ᵏ aₖ cos(k·t), t = 2πn/(M − 1) = π(x + 1): the hann, hamming and blackman windows."""
    return lambda x: sum((-1) ** k * a * np.cos(k * math.pi * (x + 1)) for k, a in enumerate(coefficients))


def hann_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Hann window: ½ − ½ cos(2πn/(M − 1)), sin²(πn/(M − 1)); see the module's docstring."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum(0.5, 0.5))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, device=None,
                   requires_grad=False):
    """The Hamming window: α − β cos(2πn/(M − 1)); see the module's docstring."""
    alpha, beta = (_number("hamming_window", name, v) for name, v in (("alpha", alpha), ("beta", beta)))
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, _cosine_sum(alpha, beta))


def blackman_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Blackman window: 0.42 − ½ cos(2πn/(M − 1)) + 0.08 cos(4πn/(M − 1)); see the module's docstring."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _cosine_sum(0.42, 0.5, 0.08))


def bartlett_window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False):
    """The Bartlett (triangular) window: 1 − |2n/(M − 1) − 1|; see the module's docstring."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, lambda x: 1 - np.abs(x))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None, requires_grad=False):
    """The Kaiser window: I₀(β √(1 − x²)) / I₀(β), x = 2n/(M − 1) − 1, I₀ the modified Bessel function
    of order 0; larger β narrows it. See the module's docstring."""
    beta = _number("kaiser_window", "beta", beta)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda x: np.i0(beta * np.sqrt(np.clip(1 - x * x, 0, None))) / np.i0(beta))


def _number(op: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    return float(value)
