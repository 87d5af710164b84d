"""Convolution layers: the same small weight kernel applied at every position of the input.

A convolution is the seeds' weighted sum a_j = Σ_i w_ij o_i + b_j with two constraints: each output
sees only a window of the input, and every window shares the same weights. Shapes follow PyTorch:
inputs (N, C_in, L), (N, C_in, H, W) or (N, C_in, D, H, W), weights (C_out, C_in / groups,
*kernel_size), bias (C_out,).
With ``groups`` > 1 the channels are split into that many groups and each group of outputs sees only
its own group of inputs (``groups=C_in``: a depthwise convolution, MobileNet's). With a
``padding_mode`` other than 'zeros' the input is first padded with :func:`~deltaprop.ops.pad` in that
mode and then convolved without padding, as PyTorch does.
The arithmetic lives in :mod:`deltaprop.ops.conv` (matrix products over the unfolded windows).
"""

from __future__ import annotations

import math
import reprlib

import numpy as np

from ..devices import on_cpu
from ..errors import ConfigError, ShapeError
from ..ops._windows import SPATIAL_AXES, conv_padding, int_tuple
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from . import init
from .module import Module, Parameter, floating_dtype


def channels_and_groups(name: str, in_channels, out_channels, groups) -> tuple[int, int, int]:
    """A convolution's channel counts and groups, checked: positive integers, each count divisible
    by the groups (Conv's and ConvTranspose's)."""
    for option, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ConfigError(f"{name}: {option} must be a positive integer, got {value!r}")
    for option, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ConfigError(f"{name}: {option}={value} is not divisible by groups={groups}")
    return int(in_channels), int(out_channels), int(groups)


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def padding_mode_option(name: str, padding_mode) -> str:
    """A convolution's ``padding_mode``, checked: one of PyTorch's four."""
    if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
        raise ConfigError(f"{name}: padding_mode must be one of {', '.join(map(repr, PADDING_MODES))}, "
                          f"got {reprlib.repr(padding_mode)}")  # cut: a model file may hold anything
    return padding_mode


def check_conv_input(layer, x) -> None:
    """A convolution's (or a transposed one's) input: (N, in_channels, *spatial) or unbatched
    (in_channels, *spatial), else a ShapeError naming the layer. Conv's and ConvTranspose's ``_check``."""
    shape = tuple(np.shape(x.data if isinstance(x, Tensor) else x))  # a list of lists too
    n = layer._dims
    if len(shape) not in (n + 1, n + 2) or shape[-n - 1] != layer.in_channels:
        raise ShapeError(
            f"{layer.describe()} expected input of shape (N, {layer.in_channels}, {SPATIAL_AXES[n]}) "
            f"or ({layer.in_channels}, {SPATIAL_AXES[n]}), got shape {shape}"
        )


def size_text(sizes: tuple) -> str:
    """A kernel's or stride's sizes as ``describe()`` writes them: '3' when all are equal, else '3x5'."""
    return str(sizes[0]) if len(set(sizes)) == 1 else "x".join(map(str, sizes))


def reset_conv_parameters(weight, bias) -> None:
    """PyTorch's default for a convolution's weight (and a transposed one's): kaiming_uniform_
    with a = √5, i.e. U(−1/√fan_in, 1/√fan_in) with fan_in = the weight's second axis times the
    kernel positions; the bias is drawn from the same range."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(weight.shape[1] * math.prod(weight.shape[2:]))
        init.uniform_(bias, -bound, bound)


class _ConvNd(Module):
    """What Conv1d, Conv2d and Conv3d share: options, weights, initialisation, validation, description."""

    _dims: int  # number of spatial axes

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._dims
        self.in_channels, self.out_channels, self.groups = channels_and_groups(name, in_channels, out_channels, groups)
        self.kernel_size = int_tuple(kernel_size, n, "kernel_size", name, 1)
        self.stride = int_tuple(stride, n, "stride", name, 1)
        self.dilation = int_tuple(dilation, n, "dilation", name, 1)
        pairs = conv_padding(padding, self.kernel_size, self.stride, self.dilation, name)  # validates
        self.padding = padding if isinstance(padding, str) else int_tuple(padding, n, "padding", name, 0)
        self.padding_mode = padding_mode_option(name, padding_mode)
        # F.pad's amounts for the filling modes: (before, after) from the last axis backwards
        self._fill_amounts = tuple(amount for pair in reversed(pairs) for amount in pair)
        on_cpu(name, device)
        dtype = floating_dtype(name, get_default_dtype() if dtype is None else dtype)
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        self.register_parameter("bias", Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None)
        self.reset_parameters()

    def _padded(self, x):
        """The input and the padding to convolve it with: itself and the layer's padding, or, in a
        filling padding_mode, the input padded in that mode and no padding."""
        if self.padding_mode == "zeros":
            return x, self.padding
        return F.pad(x, self._fill_amounts, mode=self.padding_mode), 0

    def reset_parameters(self) -> None:
        # fan_in = in_channels / groups · kernel positions: the inputs one output sees
        reset_conv_parameters(self.weight, self.bias)

    _check = check_conv_input

    def describe(self) -> str:
        groups = f", groups {self.groups}" if self.groups != 1 else ""
        return (f"{type(self).__name__}({self.in_channels} -> {self.out_channels}, "
                f"kernel {size_text(self.kernel_size)}{groups})")

    def config(self) -> dict:
        # groups only when it is not 1: a file of an ungrouped layer stays what it was, and loads
        # in a deltaprop that has no groups; a file without it is read as groups=1.
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "dilation": list(self.dilation),
            **({"groups": self.groups} if self.groups != 1 else {}),
            "bias": self.bias is not None,
            # likewise padding_mode only when it is not 'zeros'
            **({"padding_mode": self.padding_mode} if self.padding_mode != "zeros" else {}),
            "dtype": self.weight.dtype.name,
        }

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._dims:
            text += f", padding={self.padding}"  # 'same' unquoted, as PyTorch prints it
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"  # unquoted, as PyTorch prints it
        return text


class Conv1d(_ConvNd):
    """1-d convolution over (N, C_in, L) inputs: out[n, o, l] = b_o + Σ_c Σ_k w[o, c, k]·x[n, c, s·l + d·k − p].

    ``weight`` has shape (out_channels, in_channels / groups, kernel_size); padding may also be 'same'
    or 'valid'. ``groups`` (PyTorch's) splits the channels into that many groups, both channel counts
    divisible by it; output channel o sees only the inputs of its group, the c above running over the
    in_channels / groups channels from (o // (out_channels / groups)) · in_channels / groups on.
    ``groups=in_channels`` is a depthwise convolution (each channel filtered on its own,
    out_channels / in_channels filters per channel). ``padding_mode`` (PyTorch's) fills the padding
    with zeros (the default), or from the input itself: 'reflect' mirrors it about its edges,
    'replicate' repeats the edge values, 'circular' wraps around. ``device`` can only be the CPU.
    """

    _dims = 1

    def forward(self, x):
        self._check(x)
        try:
            x, padding = self._padded(x)
            return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
        except ShapeError as error:
            raise ShapeError(f"{self.describe()}: {error}") from None


class Conv2d(_ConvNd):
    """2-d convolution over (N, C_in, H, W) inputs, the layer of image networks.

    ``weight`` has shape (out_channels, in_channels / groups, kh, kw); every option takes an int or a
    pair (height, width); padding may also be 'same' (stride 1) or 'valid'. ``groups`` as in
    :class:`Conv1d`: ``Conv2d(32, 32, 3, padding=1, groups=32)`` is MobileNet's depthwise layer.
    ``padding_mode`` as in :class:`Conv1d`, over both spatial axes.
    """

    _dims = 2

    def forward(self, x):
        self._check(x)
        try:
            x, padding = self._padded(x)
            return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
        except ShapeError as error:
            raise ShapeError(f"{self.describe()}: {error}") from None



class Conv3d(_ConvNd):
    """3-d convolution over (N, C_in, D, H, W) inputs: volumes (medical scans) or clips of video
    frames (D the time axis).

    ``weight`` has shape (out_channels, in_channels / groups, kd, kh, kw); every option takes an int
    or a triple (depth, height, width); padding may also be 'same' (stride 1) or 'valid'. ``groups``
    and ``padding_mode`` as in :class:`Conv1d`, over the three spatial axes.
    """

    _dims = 3

    def forward(self, x):
        self._check(x)
        try:
            x, padding = self._padded(x)
            return F.conv3d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
        except ShapeError as error:
            raise ShapeError(f"{self.describe()}: {error}") from None
