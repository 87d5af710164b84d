"""Transposed convolution layers: the upsampling layers of decoders, autoencoders and GAN generators.

A transposed convolution sends each input position's channels through the kernel into a window of
the output (where a convolution gathers a window into one position): with stride 2 it doubles a
map's size. It is the adjoint of the convolution with the same options, the map that convolution's
backward applies to δ. Shapes follow PyTorch: inputs (N, C_in, L), (N, C_in, H, W) or
(N, C_in, D, H, W), weights (C_in, C_out / groups, *kernel_size) (in_channels first, unlike a
convolution's), bias (C_out,).
The arithmetic lives in :mod:`deltaprop.ops.conv_transpose`.
"""

from __future__ import annotations

import reprlib

import numpy as np

from ..devices import on_cpu
from ..errors import ConfigError, ShapeError
from ..ops._windows import int_tuple
from ..ops.conv_transpose import check_output_padding
from ..tensor import Tensor, get_default_dtype
from . import functional as F
from .conv import channels_and_groups, check_conv_input, reset_conv_parameters, size_text
from .module import Module, Parameter, floating_dtype


class _ConvTransposeNd(Module):
    """What the transposed convolutions (1-d, 2-d, 3-d) share: options, weights, initialisation, checks."""

    _dims: int  # number of spatial axes

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        name, n = type(self).__name__, self._dims
        if not (isinstance(padding_mode, str) and padding_mode == "zeros"):  # PyTorch's rule too: the filling modes are for convolutions
            raise ConfigError(f"{name}: padding_mode must be 'zeros' (the only one PyTorch has for transposed "
                              f"convolutions), got {reprlib.repr(padding_mode)}")
        on_cpu(name, device)
        self.in_channels, self.out_channels, self.groups = channels_and_groups(name, in_channels, out_channels, groups)
        self.kernel_size = int_tuple(kernel_size, n, "kernel_size", name, 1)
        self.stride = int_tuple(stride, n, "stride", name, 1)
        if isinstance(padding, str):
            raise ConfigError(f"{name}: padding must be an integer or a sequence of {n} integers ('same' and 'valid' "
                              f"are for convolutions), got {padding!r}")
        self.padding = int_tuple(padding, n, "padding", name, 0)
        self.output_padding = int_tuple(output_padding, n, "output_padding", name, 0)
        self.dilation = int_tuple(dilation, n, "dilation", name, 1)
        # PyTorch lets such a layer be built and refuses its first call; here it is refused at once.
        check_output_padding(name, self.output_padding, self.stride, self.dilation)
        dtype = floating_dtype(name, get_default_dtype() if dtype is None else dtype)
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        self.register_parameter("bias", Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's default, computed from the weight's shape as for a convolution: fan_in is then
        # out_channels / groups · k (not the inputs one output sees).
        reset_conv_parameters(self.weight, self.bias)

    def _output_padding(self, x, output_size) -> tuple:
        """The module's output_padding, or the one that gives ``output_size`` (PyTorch's rule: the
        size must lie within stride − 1 above the smallest output; it may include the batch and
        channel axes)."""
        if output_size is None:
            return self.output_padding
        name, n = self.describe(), self._dims
        shape = tuple(np.shape(x.data if isinstance(x, Tensor) else x))
        try:
            sizes = [int(s) for s in output_size]
        except TypeError:
            raise ConfigError(f"{name}: output_size must be a sequence of integers, got {output_size!r}") from None
        if len(sizes) == len(shape):  # (N, C, *spatial) or (C, *spatial), as in PyTorch
            sizes = sizes[len(shape) - n:]
        if len(sizes) != n:
            raise ConfigError(f"{name}: output_size must have {n} or {len(shape)} elements, got {output_size!r}")
        smallest = [(size - 1) * s - 2 * p + d * (k - 1) + 1 for size, s, p, d, k in
                    zip(shape[-n:], self.stride, self.padding, self.dilation, self.kernel_size)]
        for axis, (want, low, s) in enumerate(zip(sizes, smallest, self.stride)):
            if not low <= want <= low + s - 1:
                raise ShapeError(f"{name}: output_size {tuple(sizes)} is out of reach on spatial axis {axis}: "
                                 f"an input of size {shape[-n + axis]} gives {low} to {low + s - 1} there")
        return tuple(want - low for want, low in zip(sizes, smallest))

    _check = check_conv_input

    def _forward(self, function, x, output_size):
        self._check(x)
        output_padding = self._output_padding(x, output_size)
        try:
            return function(x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                            self.dilation)
        except (ShapeError, ConfigError) as error:
            raise type(error)(f"{self.describe()}: {error}") from None

    def describe(self) -> str:
        stride = "" if set(self.stride) == {1} else f", stride {size_text(self.stride)}"
        groups = f", groups {self.groups}" if self.groups != 1 else ""
        return (f"{type(self).__name__}({self.in_channels} -> {self.out_channels}, "
                f"kernel {size_text(self.kernel_size)}{stride}{groups})")

    def config(self) -> dict:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "output_padding": list(self.output_padding),
            "groups": self.groups,
            "bias": self.bias is not None,
            "dilation": list(self.dilation),
            "dtype": self.weight.dtype.name,
        }

    def extra_repr(self) -> str:
        # PyTorch's order: dilation before output_padding, then groups and bias.
        n = self._dims
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C_in, L) inputs: each input position adds its kernel, scaled
    by its channels, into the output, out[n, o, s·l + d·k − p] += Σ_c w[c, o, k]·x[n, c, l] (plus b_o).

    ``weight`` has shape (in_channels, out_channels / groups, kernel_size), PyTorch's. The output has
    length (L − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1;
    ``output_padding`` (smaller than stride or dilation) adds positions at the end, to reach the
    size that a strided convolution had rounded away, and ``forward(x, output_size=...)`` picks it
    from the size wanted, as in PyTorch. ``groups`` splits the channels as in :class:`Conv1d`.
    Argument order as PyTorch's: ``groups`` and ``bias`` before ``dilation``. ``padding_mode`` can only
    be 'zeros', ``device`` only the CPU.
    """

    _dims = 1

    def forward(self, x, output_size=None):
        return self._forward(F.conv_transpose1d, x, output_size)


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution over (N, C_in, H, W) inputs, the upsampling layer of decoders.

    ``weight`` has shape (in_channels, out_channels / groups, kh, kw); every option takes an int or a
    pair (height, width). ``ConvTranspose2d(c, c, 4, stride=2, padding=1)``, or kernel 3 with
    padding 1 and output_padding 1, doubles the height and width. As :class:`ConvTranspose1d`
    otherwise, ``output_size`` included.
    """

    _dims = 2

    def forward(self, x, output_size=None):
        return self._forward(F.conv_transpose2d, x, output_size)


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution over (N, C_in, D, H, W) inputs, the upsampling layer of volumetric
    decoders (3-d U-Nets).

    ``weight`` has shape (in_channels, out_channels / groups, kd, kh, kw); every option takes an int or
    a triple (depth, height, width). As :class:`ConvTranspose1d` otherwise, ``output_size`` included.
    """

    _dims = 3

    def forward(self, x, output_size=None):
        return self._forward(F.conv_transpose3d, x, output_size)
