"""PyTorch's ``nn.utils`` gradient clipping: ``clip_grad_norm_`` (and its deprecated name
``clip_grad_norm``), ``clip_grad_value_``, and the two halves of the first, ``get_total_norm`` and
``clip_grads_with_norm_``.

The clipping functions change the parameters' ``.grad`` arrays in place, between ``backward()``
and ``step()``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ...errors import ConfigError, GradError
from ...tensor import Tensor


def writable_gradients(parameters) -> list:
    """The parameters' ``.grad`` arrays, to be changed in place. A gradient that is not an ndarray
    (a NumPy scalar set by hand for a 0-d parameter) cannot be, so it is replaced by one first."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in parameters:
        if p.grad is not None and type(p.grad) is not np.ndarray:
            p.grad = np.array(p.grad, dtype=p.data.dtype)
    return [p.grad for p in parameters if p.grad is not None]


def _arrays(tensors) -> list:
    tensors = [tensors] if isinstance(tensors, (Tensor, np.ndarray)) else list(tensors)
    return [t.data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]


def _check_norm_type(owner: str, norm_type) -> float:
    norm_type = float(norm_type)
    if math.isnan(norm_type):
        raise ConfigError(f"{owner}: norm_type must be a number (inf and -inf included), got nan")
    return norm_type


def _total(arrays: list, norm_type: float) -> float:
    """The ``norm_type``-norm of all the arrays as one vector (sums in float64), as PyTorch takes it:
    the norm of the arrays' own norms. For every order but 0 that is the norm of all the elements
    (inf: the largest |g|, -inf: the smallest, p < 0: (Σ|g|^p)^(1/p), 0 where an element is 0); for
    0, PyTorch's composition counts the arrays that hold a non-zero element."""
    if norm_type == 0:
        return float(sum(1 for a in arrays if np.count_nonzero(a)))
    if math.isinf(norm_type):
        extremes = [float(np.abs(a).max() if norm_type > 0 else np.abs(a).min()) for a in arrays if a.size]
        return (max if norm_type > 0 else min)(extremes) if extremes else 0.0
    with np.errstate(divide="ignore"):  # (|0|^p is inf for p < 0: the norm is then 0)
        total = sum(float(np.sum(np.abs(a.astype(np.float64)) ** norm_type)) for a in arrays)
        return total ** (1.0 / norm_type) if total else 0.0


def _refuse_nonfinite(owner: str, total: float) -> None:
    if not math.isfinite(total):
        raise GradError(f"{owner}: the total norm of the gradients is {total}, so they cannot be clipped; "
                        f"set error_if_nonfinite=False to clip anyway")


def _scale(grads: list, max_norm: float, total: float) -> None:
    scale = max_norm / (total + 1e-6)  # PyTorch's guard against a zero norm
    if not scale >= 1.0:
        # A NaN total gives a NaN scale, and an infinite one 0 (inf·0 is NaN): every gradient is
        # multiplied by it all the same, as PyTorch clips "anyway" (a NaN must not skip clipping).
        with np.errstate(invalid="ignore"):
            for g in grads:
                np.multiply(g, g.dtype.type(scale), out=g)


def _check_max_norm(owner: str, max_norm) -> float:
    max_norm = float(max_norm)
    if not max_norm >= 0:
        raise ConfigError(f"{owner}: max_norm must be a non-negative number, got {max_norm}")
    return max_norm


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """The ``norm_type``-norm of ``tensors`` (a tensor or an iterable of them, usually gradients:
    ``[p.grad for p in model.parameters()]``) taken together as one vector; 0 for none. A 0-d
    tensor of the first one's dtype."""
    norm_type = _check_norm_type("get_total_norm", norm_type)
    arrays = _arrays(tensors)
    if not arrays:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    total = _total(arrays, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise GradError(f"get_total_norm: the total norm of order {norm_type:g} is {total}; "
                        f"set error_if_nonfinite=False to get it anyway")
    dtype = arrays[0].dtype if arrays[0].dtype.kind == "f" else np.float32
    return Tensor._wrap(np.asarray(total, dtype=dtype))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm) -> None:
    """Scale the parameters' gradients by max_norm / (total_norm + 1e-6) where that is below 1:
    the second half of :func:`clip_grad_norm_`, with a norm computed beforehand (by
    :func:`get_total_norm`, perhaps over more gradients than these)."""
    max_norm = _check_max_norm("clip_grads_with_norm_", max_norm)
    total = float(total_norm.data if isinstance(total_norm, Tensor) else total_norm)
    _scale(writable_gradients(parameters), max_norm, total)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """Scale the gradients so that their joint ``norm_type``-norm (all of them as one vector) is at
    most ``max_norm``; returns that norm before clipping, as PyTorch does. ``foreach`` (PyTorch's
    choice of loop) changes nothing here."""
    max_norm = _check_max_norm("clip_grad_norm_", max_norm)
    norm_type = _check_norm_type("clip_grad_norm_", norm_type)
    grads = writable_gradients(parameters)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, dtype=np.float32))
    total = _total(grads, norm_type)
    if error_if_nonfinite:
        _refuse_nonfinite("clip_grad_norm_", total)
    _scale(grads, max_norm, total)
    return Tensor._wrap(np.asarray(total, dtype=grads[0].dtype))


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """:func:`clip_grad_norm_` under its old name, with a FutureWarning (as PyTorch's)."""
    warnings.warn("nn.utils.clip_grad_norm is deprecated (in PyTorch too); call nn.utils.clip_grad_norm_",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clip every gradient element to [−clip_value, clip_value]."""
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ConfigError(f"clip_grad_value_: clip_value must be a non-negative number, got {clip_value}")
    for g in writable_gradients(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
