"""Layers that resample or rearrange feature maps without weights: the decoder half of a conv
autoencoder or U-Net, sub-pixel convolutions, and im2col as a layer.

``Upsample`` resizes by interpolation (nearest neighbour, linear, bilinear, bicubic, trilinear); ``PixelShuffle``
trades channels for resolution (r² channels become an r x r block) and ``PixelUnshuffle`` back;
``Unfold`` copies every sliding window into a column and ``Fold`` adds columns back. Their
gradients send each output's gradient back to the inputs it was made from.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ..ops._windows import int_tuple
from ..ops.fold import _geometry
from ..ops.resample import _MOST_ELEMENTS, MODES
from . import functional as F
from ._options import plain_option
from .module import Module




def _check_numbers(owner: str, name: str, value, kind) -> None:
    """One number, or a sequence of one to three (the 1-d, 2-d and 3-d inputs), each positive (and finite)."""
    values = value if isinstance(value, tuple) else (value,)
    allowed = (int, np.integer) if kind is int else (int, float, np.integer, np.floating)
    if (not 1 <= len(values) <= 3 or any(isinstance(v, bool) or not isinstance(v, allowed) for v in values)
            or not all(math.isfinite(v) and v > 0 for v in values)):
        what = "positive integer" if kind is int else "positive finite number"
        raise ConfigError(f"{owner}: {name} must be a {what} or a sequence of one to three, got {value!r}")


class Upsample(Module):
    """Resize an (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to ``size`` or by ``scale_factor``, by
    :func:`~deltaprop.nn.functional.interpolate`.

    ``mode`` is 'nearest' (PyTorch's rule: output j reads input ⌊j·in/out⌋), 'nearest-exact',
    'linear' (3-d inputs), 'bilinear' or 'bicubic' (4-d inputs) or 'trilinear' (5-d inputs);
    ``align_corners`` (interpolating modes only) lines up the corner pixels' centres instead of the
    pixel areas.
    ``Upsample(scale_factor=2)`` followed by a convolution is the usual decoder step (checkerboard-free,
    unlike a strided transposed convolution).
    """

    _fixed: dict = {}  # the options a subclass sets for its users

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        name = type(self).__name__
        size, scale_factor = plain_option(size), plain_option(scale_factor)
        if (size is None) == (scale_factor is None):
            raise ConfigError(f"{name}: give exactly one of size and scale_factor, got size={size!r}, "
                              f"scale_factor={scale_factor!r}")
        if size is not None:
            _check_numbers(name, "size", size, int)
            size = tuple(int(s) for s in size) if isinstance(size, tuple) else int(size)
        else:
            _check_numbers(name, "scale_factor", scale_factor, float)
            # stored as floats, as PyTorch stores them (and prints them: scale_factor=2.0)
            scale_factor = tuple(float(f) for f in scale_factor) if isinstance(scale_factor, tuple) else float(scale_factor)
            # A factor whose output from one input element already overflows NumPy's sizes fails at every
            # forward: refused here, where a model file is loaded. A merely large one is left to the forward.
            if math.prod(scale_factor if isinstance(scale_factor, tuple) else (scale_factor,)) > _MOST_ELEMENTS:
                raise ConfigError(f"{name}: scale_factor {scale_factor!r} makes an output too large for any array to "
                                  f"hold (over {_MOST_ELEMENTS} elements) from a single input element")
        if mode not in MODES:
            raise ConfigError(f"{name}: mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
        if align_corners is not None and (MODES[mode] is None or not isinstance(align_corners, (bool, np.bool_))):
            raise ConfigError(f"{name}: align_corners must be None, or True or False with mode 'linear', 'bilinear', "
                              f"'bicubic' or 'trilinear', got align_corners={align_corners!r} with mode={mode!r}")
        if recompute_scale_factor is not None and not isinstance(recompute_scale_factor, (bool, np.bool_)):
            raise ConfigError(f"{name}: recompute_scale_factor must be None, True or False, got {recompute_scale_factor!r}")
        self.size = size
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = None if align_corners is None else bool(align_corners)
        self.recompute_scale_factor = None if recompute_scale_factor is None else bool(recompute_scale_factor)

    def forward(self, x):
        try:
            return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners, self.recompute_scale_factor)
        except (ShapeError, ConfigError) as error:
            raise type(error)(f"{self.describe()}: {error}") from None

    def describe(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def config(self) -> dict:
        config = {"size": self.size, "scale_factor": self.scale_factor, "mode": self.mode,
                  "align_corners": self.align_corners, "recompute_scale_factor": self.recompute_scale_factor}
        return {key: value for key, value in config.items() if key not in self._fixed}

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            return f"scale_factor={self.scale_factor!r}, mode={self.mode!r}"
        return f"size={self.size!r}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(size, scale_factor, mode='nearest')``, PyTorch's older name for it."""

    _fixed = {"mode": "nearest", "align_corners": None, "recompute_scale_factor": None}

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, **self._fixed)


class UpsamplingBilinear2d(Upsample):
    """``Upsample(size, scale_factor, mode='bilinear', align_corners=True)``, PyTorch's older name for it
    (note align_corners=True, unlike ``Upsample``'s default)."""

    _fixed = {"mode": "bilinear", "align_corners": True, "recompute_scale_factor": None}

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, **self._fixed)


class _Shuffle(Module):
    _name: str  # the factor's name
    _function: str

    def __init__(self, factor):
        super().__init__()
        if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or factor < 1:
            raise ConfigError(f"{type(self).__name__}: {self._name} must be a positive integer, got {factor!r}")
        setattr(self, self._name, int(factor))

    def forward(self, x):
        try:
            return getattr(F, self._function)(x, getattr(self, self._name))
        except ShapeError as error:
            raise ShapeError(f"{type(self).__name__}({self.extra_repr()}): {error}") from None

    def config(self) -> dict:
        return {self._name: getattr(self, self._name)}

    def extra_repr(self) -> str:
        return f"{self._name}={getattr(self, self._name)}"


class PixelShuffle(_Shuffle):
    """(*, C·r², H, W) to (*, C, H·r, W·r): each group of r² channels becomes an r x r block of pixels.
    A convolution to C·r² channels followed by this layer is a sub-pixel convolution (ESPCN)."""

    _name, _function = "upscale_factor", "pixel_shuffle"

    def __init__(self, upscale_factor: int):
        super().__init__(upscale_factor)


class PixelUnshuffle(_Shuffle):
    """(*, C, H·r, W·r) to (*, C·r², H, W): the inverse of :class:`PixelShuffle`."""

    _name, _function = "downscale_factor", "pixel_unshuffle"

    def __init__(self, downscale_factor: int):
        super().__init__(downscale_factor)


class ChannelShuffle(_Shuffle):
    """(N, C, *) with its C channels regrouped: viewed as (groups, C/groups), transposed and flattened
    back, so that the next grouped convolution mixes channels across groups (ShuffleNet)."""

    _name, _function = "groups", "channel_shuffle"

    def __init__(self, groups: int):
        super().__init__(groups)


class Unfold(Module):
    """Every sliding window of an (N, C, H, W) input as a column: (N, C·kh·kw, L), L the number of
    window positions (im2col). ``kernel_size``, ``dilation``, ``padding`` and ``stride`` are ints or
    pairs, as in :class:`Conv2d`."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = plain_option(kernel_size), plain_option(dilation)
        self.padding, self.stride = plain_option(padding), plain_option(stride)
        _geometry(type(self).__name__, self.kernel_size, self.dilation, self.padding, self.stride)

    def forward(self, x):
        try:
            return F.unfold(x, **self.config())
        except ShapeError as error:
            raise ShapeError(f"{type(self).__name__}({self.extra_repr()}): {error}") from None

    def config(self) -> dict:
        return {"kernel_size": self.kernel_size, "dilation": self.dilation, "padding": self.padding, "stride": self.stride}

    def extra_repr(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in self.config().items())


class Fold(Unfold):
    """Columns (N, C·kh·kw, L) added back into an (N, C, H, W) map of ``output_size`` (col2im), each
    onto its window, overlaps summed: the inverse arrangement of :class:`Unfold`."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__(kernel_size, dilation, padding, stride)
        self.output_size = plain_option(output_size)
        int_tuple(self.output_size, 2, "output_size", "Fold", 1)

    def forward(self, x):
        try:
            return F.fold(x, **self.config())
        except ShapeError as error:
            raise ShapeError(f"Fold({self.extra_repr()}): {error}") from None

    def config(self) -> dict:
        return {"output_size": self.output_size, **super().config()}
