"""Normalization layers' functional forms: batch, layer, RMS, group, instance and local response norm."""

from __future__ import annotations

import numbers

import numpy as np

from ... import ops
from ...errors import ConfigError, ShapeError
from ...ops.activation import real_option

# The primitives already take PyTorch's arguments.
batch_norm = ops.batch_norm
layer_norm = ops.layer_norm
rms_norm = ops.rms_norm  # eps=None: the machine epsilon of the input's dtype, as PyTorch's
group_norm = ops.group_norm
instance_norm = ops.instance_norm


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
    """x_c / (k + α/n·Σ x_{c'}²)^β over the n = ``size`` channels c' around c (channel axis 1, zero
    beyond the edges: n//2 before c, (n − 1)//2 after), as PyTorch's (AlexNet's "brightness
    normalization"). Composed of primitives: the window sum is n shifted slices of the padded
    squares, n being small."""
    op = "local_response_norm"
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ConfigError(f"{op}: size must be a positive integer, got {size!r}")
    alpha, beta, k = (real_option(op, name, value) for name, value in (("alpha", alpha), ("beta", beta), ("k", k)))
    x = ops._core.operand(input)
    shape = np.shape(x.data)
    if len(shape) < 3:
        raise ShapeError(f"{op}: expected input of shape (N, C, *) with at least one position axis, got shape {shape}")
    if not np.size(x.data):
        return x
    channels = shape[1]
    squares = ops.mul(x, x)
    spread = [(0, 0)] * len(shape)
    spread[1] = (size // 2, (size - 1) // 2)
    padded = ops.pad(squares, [amount for pair in reversed(spread) for amount in pair])
    window = padded[:, 0:channels]
    for shift in range(1, size):
        window = ops.add(window, padded[:, shift:shift + channels])
    return ops.div(x, ops.pow(ops.add(ops.mul(window, alpha / size), k), beta))
