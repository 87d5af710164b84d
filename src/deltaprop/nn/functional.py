"""The function form of every layer, activation and loss (``deltaprop.nn.functional``, as ``F``).

Each is the primitive from :mod:`deltaprop.ops` under PyTorch's name and argument names, so
``F.cross_entropy(logits, labels)`` reads as it does in PyTorch.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import ops
from ..errors import ConfigError
from ..random import default_generator
from ..tensor import Tensor

linear = ops.linear
sigmoid = ops.sigmoid
tanh = ops.tanh
mse_loss = ops.mse_loss
l1_loss = ops.l1_loss
binary_cross_entropy = ops.binary_cross_entropy
binary_cross_entropy_with_logits = ops.binary_cross_entropy_with_logits
cross_entropy = ops.cross_entropy
nll_loss = ops.nll_loss
# Convolution, pooling and normalization: the primitives already take PyTorch's arguments.
conv1d = ops.conv1d
conv2d = ops.conv2d
max_pool1d = ops.max_pool1d
max_pool2d = ops.max_pool2d
avg_pool1d = ops.avg_pool1d
avg_pool2d = ops.avg_pool2d
adaptive_avg_pool2d = ops.adaptive_avg_pool2d
batch_norm = ops.batch_norm
layer_norm = ops.layer_norm


def relu(input, inplace: bool = False):
    """max(0, x); ``inplace`` is taken for PyTorch code and changes nothing (see nn/activation.py)."""
    return ops.relu(input)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    return ops.leaky_relu(input, negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    return ops.elu(input, alpha)


def gelu(input, approximate: str = "none"):
    return ops.gelu(input, approximate)


def softmax(input, dim: int = -1):
    return ops.softmax(input, dim)


def log_softmax(input, dim: int = -1):
    return ops.log_softmax(input, dim)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    return ops.huber_loss(input, target, reduction, delta)


def identity(input):
    return input


def flatten(input, start_dim: int = 1, end_dim: int = -1):
    return ops.flatten(input, start_dim, end_dim)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability p and scale the rest by 1/(1 − p) ("inverted" dropout),
    so the expected value is unchanged and evaluation needs no rescaling."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ConfigError(f"dropout: p must be a probability in [0, 1], got {p!r}")
    if not training or p == 0.0:
        return input
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    if p == 1.0:
        return ops.mul(input, np.zeros(data.shape, dtype=dtype))
    keep = default_generator().random(data.shape, dtype=np.float32) >= p
    return ops.mul(input, keep.astype(dtype) * dtype.type(1.0 / (1.0 - p)))
