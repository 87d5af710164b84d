"""PyTorch's ``nn.utils`` gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``.

Both change the parameters' ``.grad`` arrays in place, between ``backward()`` and ``step()``.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ConfigError, GradError
from ...tensor import Tensor


def _gradients(parameters) -> list:
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients so that their joint ``norm_type``-norm (all of them as one vector) is at
    most ``max_norm``; returns that norm before clipping, as PyTorch does."""
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0:
        raise ConfigError(f"clip_grad_norm_: max_norm must be a non-negative number, got {max_norm}")
    if not norm_type > 0:
        raise ConfigError(f"clip_grad_norm_: norm_type must be positive (or inf), got {norm_type}")
    grads = _gradients(parameters)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        total = sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise GradError(f"clip_grad_norm_: the total norm of the gradients is {total}, so they cannot be clipped; "
                        f"set error_if_nonfinite=False to clip anyway")
    scale = max_norm / (total + 1e-6)  # PyTorch's guard against a zero norm
    if not scale >= 1.0:
        # A NaN total gives a NaN scale, and an infinite one 0 (inf·0 is NaN): every gradient is
        # multiplied by it all the same, as PyTorch clips "anyway" (a NaN must not skip clipping).
        with np.errstate(invalid="ignore"):
            for g in grads:
                np.multiply(g, g.dtype.type(scale), out=g)
    return Tensor._wrap(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clip every gradient element to [−clip_value, clip_value]."""
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ConfigError(f"clip_grad_value_: clip_value must be a non-negative number, got {clip_value}")
    for g in _gradients(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
