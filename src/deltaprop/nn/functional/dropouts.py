"""Dropout: of elements, of whole channels, and alpha dropout for SELU networks; the masks are drawn
from the library's generator (deltaprop.manual_seed)."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ... import ops
from ...errors import ConfigError, ShapeError
from ...ops._windows import SPATIAL_AXES
from ...random import numpy_generator
from ...tensor import Tensor


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
    keep = numpy_generator().random(data.shape, dtype=np.float32) >= p
    return ops.mul(input, keep.astype(dtype) * dtype.type(1.0 / (1.0 - p)))


def _channel_dropout(op: str, input, p, training: bool, spatial: int):
    """Zero whole channels: one draw per (sample, channel), the same for all positions of the channel."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ConfigError(f"{op}: p must be a probability in [0, 1], got {p!r}")
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    if data.ndim not in (spatial + 1, spatial + 2):
        layout = SPATIAL_AXES[spatial]
        raise ShapeError(f"{op}: expected input of shape (N, C, {layout}) or (C, {layout}), got shape {data.shape}")
    if not training or p == 0.0:
        return input
    # One mask entry per channel of each sample: the spatial axes are 1 and broadcast. (A 3-d input
    # to dropout2d is taken as (N, C, L), as PyTorch 2.13 takes it, with its warning.)
    channel_axes = 2 if data.ndim == spatial + 2 or (spatial == 2 and data.ndim == 3) else 1
    if spatial == 2 and data.ndim == 3:
        warnings.warn("dropout2d: a 3-d input is taken as (N, C, L), one draw per channel of each sample, as PyTorch "
                      "does; for an unbatched (C, H, W) image add the batch axis, or use dropout1d for (N, C, L)",
                      UserWarning, stacklevel=3)
    mask_shape = data.shape[:channel_axes] + (1,) * (data.ndim - channel_axes)
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    if p == 1.0:
        return ops.mul(input, np.zeros(mask_shape, dtype=dtype))
    keep = numpy_generator().random(mask_shape, dtype=np.float32) >= p
    return ops.mul(input, keep.astype(dtype) * dtype.type(1.0 / (1.0 - p)))


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Dropout of whole channels of an (N, C, L) or (C, L) input: each channel of each sample is
    zeroed with probability p (all its positions together) or kept and scaled by 1/(1 − p).
    Neighbouring positions of a channel are strongly correlated, so dropping them one by one
    (plain dropout) regularises little; dropping the channel does."""
    return _channel_dropout("dropout1d", input, p, training, 1)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Dropout of whole feature maps of an (N, C, H, W) or (C, H, W) input (see :func:`dropout1d`)."""
    return _channel_dropout("dropout2d", input, p, training, 2)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Dropout of whole volumes of an (N, C, D, H, W) or (C, D, H, W) input (see :func:`dropout1d`).
    (PyTorch takes other ranks too, with a warning that they will be refused; here they are refused.)"""
    return _channel_dropout("dropout3d", input, p, training, 3)


#: λα of SELU to the digits PyTorch's alpha_dropout uses: the value SELU saturates at, −λα.
_ALPHA_PRIME = 1.7580993408473766


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout for self-normalizing networks (SELU): during training each element is set, with
    probability p, to SELU's saturation value −λα instead of 0, and the result is scaled and shifted
    (o = a·x + b for kept elements, a·(−λα) + b for dropped ones, with a = ((1 − p)(1 + p·λα²))^(−½)
    and b = a·λα·p) so that inputs of mean 0 and variance 1 keep them. The mask is drawn from the
    library's generator as dropout's is. ``training`` is False by default, as in PyTorch's function
    (the layer passes its mode); p = 1 gives zeros, as PyTorch's."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ConfigError(f"alpha_dropout: p must be a probability in [0, 1], got {p!r}")
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    if not training or p == 0.0 or data.size == 0:
        return input
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    if p == 1.0:
        return ops.mul(input, np.zeros(data.shape, dtype=dtype))
    keep = numpy_generator().random(data.shape, dtype=np.float32) >= p
    a = 1.0 / np.sqrt((_ALPHA_PRIME * _ALPHA_PRIME * p + 1) * (1 - p))
    shift = (keep - 1.0) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p  # b, and −λα·a where dropped
    return ops.add(ops.mul(input, keep.astype(dtype) * dtype.type(a)), shift.astype(dtype))


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """:func:`alpha_dropout` of whole channels: one draw per (axis 0, axis 1) pair of an input of at
    least two axes, shared by all its positions (PyTorch's mask shape, which reads an unbatched input's
    channels as the batch)."""
    op = "feature_alpha_dropout"
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ConfigError(f"{op}: p must be a probability in [0, 1], got {p!r}")
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    if not training or p == 0.0 or data.size == 0:
        return input  # (any shape, as PyTorch returns it before looking at the axes)
    if data.ndim < 2:
        raise ShapeError(f"{op}: expected input of shape (N, C, *), at least two axes, got shape {data.shape}")
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    if p == 1.0:
        return ops.mul(input, np.zeros((), dtype=dtype))
    keep = numpy_generator().random(data.shape[:2] + (1,) * (data.ndim - 2), dtype=np.float32) >= p
    a = 1.0 / np.sqrt((_ALPHA_PRIME * _ALPHA_PRIME * p + 1) * (1 - p))
    shift = (keep - 1.0) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    return ops.add(ops.mul(input, keep.astype(dtype) * dtype.type(a)), shift.astype(dtype))
