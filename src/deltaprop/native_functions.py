"""PyTorch's ``native_*`` forms of its layer functions, which return, beside the output, what its
own kernels keep for the backward pass: ``native_layer_norm`` (output, mean, rstd),
``native_batch_norm`` (output, save_mean, save_invstd), ``native_group_norm`` (output, mean, rstd)
and ``native_dropout`` (output, mask), for code ported from it.

The output is the :mod:`deltaprop.nn.functional` function's, with its gradient. The statistics are
those the normalization used, as PyTorch returns them: the mean and 1/√(variance + eps) (the biased
variance); layer and batch norm's are constants (PyTorch gives them no gradient), group norm's are
computed in the graph (PyTorch's have a gradient). ``native_dropout``'s mask is boolean, true where
an element was kept.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import ops
from .errors import ConfigError, ShapeError
from .nn import functional as F
from .random import numpy_generator
from .tensor import Tensor


def _constant(values: np.ndarray, dtype) -> Tensor:
    return Tensor._wrap(np.asarray(values, dtype=dtype))


def _statistics(X: np.ndarray, axes: tuple, eps: float) -> tuple:
    """The mean and 1/√(biased variance + eps) of X over ``axes`` (kept, as length 1), in float64."""
    X = np.asarray(X, np.float64)
    mean = X.mean(axis=axes, keepdims=True)
    variance = np.mean((X - mean) ** 2, axis=axes, keepdims=True)
    return mean, 1.0 / np.sqrt(variance + eps)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(layer_norm's output, mean, rstd): the statistics of each sample over its last
    ``len(normalized_shape)`` dimensions, in the input's shape with those dimensions of length 1."""
    out = F.layer_norm(input, normalized_shape, weight, bias, eps)
    X = input.data if isinstance(input, Tensor) else np.asarray(input)
    k = 1 if isinstance(normalized_shape, (int, np.integer)) else len(tuple(normalized_shape))
    mean, rstd = _statistics(X, tuple(range(X.ndim - k, X.ndim)), eps)
    return out, _constant(mean, out.data.dtype), _constant(rstd, out.data.dtype)


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """(batch_norm's output, save_mean, save_invstd): in training the batch's statistics per channel
    (shape (C,)), and the running statistics updated in place, as batch_norm updates them; in
    evaluation two empty tensors, as PyTorch returns."""
    op = "native_batch_norm"
    if not training and (running_mean is None or running_var is None):
        raise ConfigError(f"{op}: evaluation (training=False) normalizes by running_mean and running_var, which "
                          "must be given")
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    dtype = out.data.dtype
    if not training:
        return out, _constant(np.empty(0), dtype), _constant(np.empty(0), dtype)
    X = input.data if isinstance(input, Tensor) else np.asarray(input)
    mean, invstd = _statistics(X, (0,) + tuple(range(2, X.ndim)), eps)
    return out, _constant(mean.reshape(-1), dtype), _constant(invstd.reshape(-1), dtype)


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """(group_norm's output, mean, rstd) of an input of N samples of C channels of HxW positions each:
    the statistics of each group of each sample, shape (N, group), in the graph."""
    op = "native_group_norm"
    x = ops._core.operand(input)
    X = x.data
    for name, number in (("N", N), ("C", C), ("HxW", HxW), ("group", group)):
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or number < 0:
            raise TypeError(f"{op}: {name} must be a non-negative integer, got {number!r}")
    if X.ndim < 2 or X.shape[:2] != (N, C) or X.size != N * C * HxW:
        raise ShapeError(f"{op}: an input of shape {X.shape} is not N={N} samples of C={C} channels of HxW={HxW} "
                         "positions each")
    out = F.group_norm(x, group, weight, bias, eps)
    rows = ops.reshape(x, (N, group, C // group * HxW))  # (group_norm checked that group divides C)
    mean = ops.mean(rows, axis=-1)
    variance = ops.mean(ops.square(ops.sub(rows, ops.unsqueeze(mean, -1))), axis=-1)
    return out, mean, ops.rsqrt(ops.add(variance, eps))


def native_dropout(input, p, train):
    """(dropout's output, mask): each element kept with probability 1 − ``p`` and scaled by 1/(1 − p),
    the boolean mask true where it was kept; ``train`` False keeps all (a copy, mask all true), and
    None is training, as PyTorch reads it. The mask is drawn from the library's generator."""
    op = "native_dropout"
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ConfigError(f"{op}: p must be a probability in [0, 1], got {p!r}")
    x = ops._core.operand(input)
    X = x.data
    if X.dtype.kind != "f":
        raise TypeError(f"{op}: input must be a floating-point tensor (its kept elements are scaled), got {X.dtype}")
    if train is not None and not train:
        return ops.clone(x), Tensor._wrap(np.ones(X.shape, bool))
    if p == 1.0:
        keep = np.zeros(X.shape, bool)
    else:
        keep = numpy_generator().random(X.shape, dtype=np.float32) >= p
    scale = X.dtype.type(0.0 if p == 1.0 else 1.0 / (1.0 - p))
    return ops.mul(x, keep.astype(X.dtype) * scale), Tensor._wrap(keep)
