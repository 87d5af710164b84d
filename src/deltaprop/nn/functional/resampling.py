"""Padding, resizing and rearranging: pad, interpolate (and its deprecated upsample forms), pixel and
channel shuffling, flatten and its inverse, identity."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ... import ops
from ...errors import ConfigError, ShapeError


def identity(input):
    return input


def flatten(input, start_dim: int = 1, end_dim: int = -1):
    return ops.flatten(input, start_dim, end_dim)


unflatten = ops.unflatten  # axis ``dim`` split into the axes ``sizes`` (one may be −1), as ``torch.unflatten``


def pad(input, pad, mode: str = "constant", value=None):
    return ops.pad(input, pad, mode, value)


interpolate = ops.interpolate


def _deprecated(name: str) -> None:
    warnings.warn(f"nn.functional.{name} is deprecated (in PyTorch too); call nn.functional.interpolate instead",
                  UserWarning, stacklevel=3)


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    """:func:`interpolate` under its old name, with a deprecation warning (as PyTorch's)."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """``interpolate(..., mode='nearest')`` under its old name, with a deprecation warning."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """``interpolate(..., mode='bilinear', align_corners=True)`` (the corners' values kept) under its
    old name, with a deprecation warning; 4-d inputs only, as bilinear resampling is."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


pixel_shuffle = ops.pixel_shuffle
pixel_unshuffle = ops.pixel_unshuffle


def channel_shuffle(input, groups: int):
    """The channels (axis 1) of an (N, C, *) input regrouped: viewed as (groups, C/groups), transposed
    and flattened back, so each group of the next grouped convolution sees channels from every group
    of this one (ShuffleNet). A permutation of the input, so its gradient is the inverse permutation."""
    op = "channel_shuffle"
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ConfigError(f"{op}: groups must be a positive integer, got {groups!r}")
    x = ops._core.operand(input)
    shape = np.shape(x.data)
    if len(shape) < 3:
        raise ShapeError(f"{op}: expected input of shape (N, C, *) with at least one position axis, got shape {shape}")
    if shape[1] % groups:
        raise ShapeError(f"{op}: the {shape[1]} channels of an input of shape {shape} do not divide into {groups} groups")
    grouped = ops.reshape(x, (shape[0], int(groups), shape[1] // int(groups)) + shape[2:])
    axes = (0, 2, 1) + tuple(range(3, len(shape) + 1))
    return ops.reshape(ops.permute(grouped, axes), shape)
