"""Normalization layers' functional forms: batch, layer, RMS, group, instance and local response norm
(and CrossMapLRN2d's form of the last, which PyTorch keeps out of nn.functional)."""

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
    squares = ops.mul(x, x)
    return _divided(x, _window_sums(squares, size // 2, (size - 1) // 2), size, alpha, beta, k)


def _window_sums(squares, before: int, after: int):
    """Σ of ``squares`` over the channels c − before … c + after of each channel c (axis 1, zero
    beyond the edges), as ``before + after + 1`` shifted slices of the padded squares."""
    shape, channels = np.shape(squares.data), np.shape(squares.data)[1]
    spread = [(0, 0)] * len(shape)
    spread[1] = (before, after)
    padded = ops.pad(squares, [amount for pair in reversed(spread) for amount in pair])
    window = padded[:, 0:channels]
    for shift in range(1, before + after + 1):
        window = ops.add(window, padded[:, shift:shift + channels])
    return window


def _divided(x, sums, size: int, alpha: float, beta: float, k: float):
    """x / (k + α/n·sums)^β, n = ``size``: what both local response norms compute from their sums."""
    return ops.div(x, ops.pow(ops.add(ops.mul(sums, alpha / size), k), beta))


def _cross_map_lrn2d(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
    """The local response norm of :class:`~deltaprop.nn.CrossMapLRN2d` (Lua Torch's
    SpatialCrossMapLRN, as PyTorch computes it) over an (N, C, H, W) input: x_c / (k + α/n·S_c)^β with
    n = ``size`` and S_c the sum of x² over channels c − h … c + h, h = (n − 1)//2 (an even n
    counts n − 1 channels), plus channel 0's x² for every c > h: PyTorch's running sum never takes
    channel 0 out, and this follows its values. Composed of primitives, so differentiable twice."""
    op = "CrossMapLRN2d"
    x = ops._core.operand(input)
    shape = np.shape(x.data)
    if len(shape) != 4:
        raise ShapeError(f"{op}: expected input of shape (N, C, H, W), got shape {shape}")
    if not np.size(x.data):
        return x
    half = (size - 1) // 2
    squares = ops.mul(x, x)
    sums = _window_sums(squares, half, half)
    if shape[1] > half + 1:
        beyond = np.zeros((1, shape[1], 1, 1), dtype=x.data.dtype)
        beyond[:, half + 1:] = 1  # the channels whose window leaves channel 0 out
        sums = ops.add(sums, ops.mul(squares[:, 0:1], beyond))
    return _divided(x, sums, size, alpha, beta, k)
