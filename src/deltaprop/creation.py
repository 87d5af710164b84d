"""Tensor factories with PyTorch's names: zeros, ones, full, arange, rand, randn, ... .

Shapes may be given as separate integers or as one tuple (``zeros(2, 3)`` or ``zeros((2, 3))``);
the dtype is float32 unless given. Random draws come from the library's generator
(:func:`deltaprop.manual_seed`).
"""

from __future__ import annotations

import numpy as np

from .random import default_generator
from .tensor import DEFAULT_DTYPE, Tensor


def _shape(shape: tuple) -> tuple:
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in shape):
        raise ValueError(f"a shape is a tuple of non-negative integers, got {shape}")
    return tuple(int(n) for n in shape)


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._wrap(array).requires_grad_(requires_grad) if requires_grad else Tensor._wrap(array)


def zeros(*shape, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(_shape(shape), dtype=dtype or DEFAULT_DTYPE), requires_grad)


def ones(*shape, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.ones(_shape(shape), dtype=dtype or DEFAULT_DTYPE), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> Tensor:
    return _make(np.full(_shape((shape,)), fill_value, dtype=dtype or DEFAULT_DTYPE), requires_grad)


def zeros_like(other, dtype=None, requires_grad=False) -> Tensor:
    data = other.data if isinstance(other, Tensor) else np.asarray(other)
    return _make(np.zeros_like(data, dtype=dtype), requires_grad)


def ones_like(other, dtype=None, requires_grad=False) -> Tensor:
    data = other.data if isinstance(other, Tensor) else np.asarray(other)
    return _make(np.ones_like(data, dtype=dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    """Evenly spaced values in [start, end); integers give int64, any float gives float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if integral else DEFAULT_DTYPE
    return _make(np.arange(start, end, step, dtype=dtype), requires_grad)


def rand(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Uniform draws on [0, 1)."""
    return _make(default_generator().random(_shape(shape)).astype(dtype or DEFAULT_DTYPE), requires_grad)


def randn(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal draws."""
    return _make(default_generator().standard_normal(_shape(shape)).astype(dtype or DEFAULT_DTYPE), requires_grad)
