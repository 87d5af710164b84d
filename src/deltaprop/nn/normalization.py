"""Normalization layers: rescale activations to zero mean and unit variance, then learn γ and β.

``BatchNorm1d``/``2d``/``3d`` normalise each channel over the batch (and the positions) while
training, and keep running averages of the statistics for evaluation; ``LayerNorm`` normalises each
sample over its last axes and behaves the same in both modes (``RMSNorm`` the same without
centring); ``GroupNorm`` each sample over groups
of channels; ``InstanceNorm1d``/``2d``/``3d`` each channel of each sample over its positions;
``LocalResponseNorm`` (and its legacy form ``CrossMapLRN2d``) each channel by its neighbouring
channels' energy; ``SyncBatchNorm`` is batch normalization under its multi-process name.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import ops
from ..devices import on_cpu
from ..errors import ConfigError, ShapeError
from ..ops._windows import SPATIAL_AXES
from ..tensor import get_default_dtype
from . import functional as F
from . import init
from ._options import plain_number, real_as_given
from .functional.normalization import _cross_map_lrn2d
from .module import Module, Parameter, floating_dtype


def _positive_number(owner: str, name: str, value):
    """``value`` as given (an int stays an int, as PyTorch's repr shows it), once it is a positive number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value > 0:
        raise ConfigError(f"{owner}: {name} must be a positive number, got {value!r}")
    return plain_number(value)


def _normalized_shape(owner: str, normalized_shape) -> tuple:
    """The trailing axes a LayerNorm or RMSNorm normalizes over, as a tuple of positive ints."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if not shape or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0 for n in shape):
        raise ConfigError(f"{owner}: normalized_shape must be a positive integer or a non-empty sequence of them, "
                          f"got {normalized_shape!r}")
    return tuple(int(n) for n in shape)


def _check_trailing(layer: Module, x) -> None:
    """Refuse an input whose last axes are not the layer's ``normalized_shape``."""
    shape, k = tuple(x.shape), len(layer.normalized_shape)
    if shape[len(shape) - k:] != layer.normalized_shape or len(shape) < k:
        raise ShapeError(f"{layer.describe()} expected input of shape (..., "
                         f"{', '.join(map(str, layer.normalized_shape))}), got shape {shape}")


def _scale_and_shift(layer: Module, shape: tuple, dtype, affine: bool, bias: bool) -> None:
    """A normalisation's learned γ (``weight``, ones) and β (``bias``, zeros) of ``shape``, or None
    for each one the options leave out (LayerNorm's and GroupNorm's)."""
    if affine:
        layer.weight = Parameter(np.ones(shape, dtype=dtype))
        layer.register_parameter("bias", Parameter(np.zeros(shape, dtype=dtype)) if bias else None)
    else:
        layer.register_parameter("weight", None)
        layer.register_parameter("bias", None)


def _dtype_name(layer: Module) -> str:
    """The dtype a model file records for a normalization: its γ's, or the layer's own without one."""
    return np.dtype(layer.weight.dtype if layer.weight is not None else layer._dtype).name


def _scale_and_shift_config(layer: Module, affine: bool) -> dict:
    """What a model file needs to rebuild :func:`_scale_and_shift`'s choices: ``bias`` (whether β is
    kept when γ is) and the dtype of the parameters (the layer's own when it has none)."""
    return {"bias": layer.bias is not None or not affine, "dtype": _dtype_name(layer)}


def _reset_scale_and_shift(layer: Module) -> None:
    if layer.weight is not None:
        init.ones_(layer.weight)
    if layer.bias is not None:
        init.zeros_(layer.bias)


class _RunningStatsNorm(Module):
    """What batch and instance normalization share: per-channel γ and β (``affine``), the running
    statistics (``track_running_stats``: the buffers ``running_mean``, ``running_var`` and
    ``num_batches_tracked``), their checks, resets and description. The subclasses give the
    defaults, the forward pass and the model-file config.
    """

    def __init__(self, num_features, eps, momentum, affine, track_running_stats, device, dtype, bias):
        super().__init__()
        name = type(self).__name__
        on_cpu(name, device)
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ConfigError(f"{name}: num_features must be a positive integer, got {num_features!r}")
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.number)) or not 0 <= momentum <= 1):
            raise ConfigError(f"{name}: momentum must be a number in [0, 1] or None, got {momentum!r}")
        self.num_features = int(num_features)
        self.eps = _positive_number(name, "eps", eps)
        self.momentum = plain_number(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        dtype = floating_dtype(name, get_default_dtype() if dtype is None else dtype)
        self._dtype = dtype  # what a model file records when the layer has no γ
        _scale_and_shift(self, (self.num_features,), dtype, self.affine, bias)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_scale_and_shift(self)

    def describe(self) -> str:
        return f"{type(self).__name__}({self.num_features})"

    def extra_repr(self) -> str:
        # PyTorch's (2.13): bias is whether β is there, so False without affine
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_RunningStatsNorm):
    """y = γ·(x − μ)/√(σ² + ε) + β per channel, with batch statistics in training.

    The buffers ``running_mean`` and ``running_var`` follow r ← (1 − momentum)·r + momentum·s after
    each training batch (``momentum=None``: the plain average of all batches so far), and
    ``num_batches_tracked`` counts the batches; all three are saved in ``state_dict()``.
    ``affine=True`` learns γ (``weight``) and β (``bias``); ``bias=False`` keeps only γ, as in
    PyTorch 2.13. ``device`` can only be the CPU.
    """

    _input_ndims: tuple  # accepted numbers of input axes
    _layout: str

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)

    def forward(self, x):
        shape = tuple(x.shape)
        if len(shape) not in self._input_ndims or shape[1] != self.num_features:
            raise ShapeError(f"{self.describe()} expected input of shape {self._layout.format(C=self.num_features)}, got shape {shape}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            # In place: the buffer stays the same array, registered under the same name.
            self.num_batches_tracked[...] += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked)
        # As in PyTorch: batch statistics while training, and in eval() where there are no running
        # statistics; those there are change only while training with track_running_stats, which
        # may be switched off after construction (the buffers stay, and eval() still uses them).
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        tracked = not self.training or self.track_running_stats
        try:
            return F.batch_norm(x, self.running_mean if tracked else None, self.running_var if tracked else None,
                                self.weight, self.bias, use_batch, momentum, self.eps)
        except ShapeError as error:
            raise ShapeError(f"{self.describe()}: {error}") from None

    def config(self) -> dict:
        return {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
            "dtype": _dtype_name(self),
            # only when β is left out: a file of a layer with both stays what it was
            **({"bias": False} if self.affine and self.bias is None else {}),
        }


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs: statistics per feature C."""

    _input_ndims = (2, 3)
    _layout = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) feature maps: statistics per channel over N, H and W."""

    _input_ndims = (4,)
    _layout = "(N, {C}, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) volumes: statistics per channel over N, D, H and W."""

    _input_ndims = (5,)
    _layout = "(N, {C}, D, H, W)"


class SyncBatchNorm(_BatchNorm):
    """Batch normalization synchronised across processes (PyTorch's ``nn.SyncBatchNorm``). deltaprop
    trains in one process, where it is batch normalization of (N, C, *) inputs of any number of
    position axes; ``process_group`` can only be None. :meth:`convert_sync_batchnorm` turns a model's
    batch norms into this layer, as code written for several GPUs does before training."""

    _input_ndims = range(2, 64)
    _layout = "(N, {C}, *)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None, *, bias: bool = True):
        if process_group is not None:
            raise ConfigError(f"SyncBatchNorm: process_group must be None (deltaprop trains in one process), got a "
                              f"{type(process_group).__name__}")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every BatchNorm1d/2d/3d in it replaced by a SyncBatchNorm that holds the
        same parameters and running statistics (the same objects) and mode; returns the new layer if
        ``module`` itself is a batch norm, else ``module``, changed in place. A lazy batch norm that
        has not seen its first input is left as it is."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                            process_group, dtype=module._dtype, bias=module.bias is not None or not module.affine)
            for name in ("weight", "bias"):
                if getattr(module, name) is not None:
                    setattr(converted, name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted._set_buffer(name, getattr(module, name))
            converted.train(module.training)
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted


class LayerNorm(Module):
    """Normalize each sample over its last axes ``normalized_shape``: y = γ·(x − μ)/√(σ² + ε) + β.

    γ (``weight``) and β (``bias``) have shape ``normalized_shape``; ``elementwise_affine=False``
    leaves them out, ``bias=False`` keeps only γ.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        on_cpu("LayerNorm", device)
        self.normalized_shape = _normalized_shape("LayerNorm", normalized_shape)
        self.eps = _positive_number("LayerNorm", "eps", eps)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = floating_dtype("LayerNorm", get_default_dtype() if dtype is None else dtype)
        self._dtype = dtype
        _scale_and_shift(self, self.normalized_shape, dtype, self.elementwise_affine, bias)

    def reset_parameters(self) -> None:
        _reset_scale_and_shift(self)

    def forward(self, x):
        _check_trailing(self, x)
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def describe(self) -> str:
        return f"LayerNorm({self.normalized_shape})"

    def config(self) -> dict:
        return {
            "normalized_shape": list(self.normalized_shape),
            "eps": self.eps,
            "elementwise_affine": self.elementwise_affine,
            **_scale_and_shift_config(self, self.elementwise_affine),
        }

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Scale each sample by the root mean square of its last axes ``normalized_shape``:
    y = γ·x/√(mean(x²) + ε), with no mean subtracted and no β.

    ``eps=None`` (the default) is the machine epsilon of the input's dtype, as in PyTorch;
    ``elementwise_affine=False`` leaves γ (``weight``, ones) out.
    """

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True, device=None,
                 dtype=None):
        super().__init__()
        on_cpu("RMSNorm", device)
        self.normalized_shape = _normalized_shape("RMSNorm", normalized_shape)
        self.eps = None if eps is None else _positive_number("RMSNorm", "eps", eps)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = floating_dtype("RMSNorm", get_default_dtype() if dtype is None else dtype)
        self._dtype = dtype
        _scale_and_shift(self, self.normalized_shape, dtype, self.elementwise_affine, bias=False)

    def reset_parameters(self) -> None:
        _reset_scale_and_shift(self)

    def forward(self, x):
        _check_trailing(self, x)
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def describe(self) -> str:
        return f"RMSNorm({self.normalized_shape})"

    def config(self) -> dict:
        return {"normalized_shape": list(self.normalized_shape), "eps": self.eps,
                "elementwise_affine": self.elementwise_affine, "dtype": _dtype_name(self)}

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalize each sample of an (N, C, ...) input over ``num_groups`` groups of channels, then
    scale and shift each channel by γ (``weight``) and β (``bias``), both of shape (C,).

    The statistics are each sample's own, as in LayerNorm, so the layer computes the same in training
    and evaluation and works for any batch size (batch norm needs large batches). ``num_groups=1``
    normalises each sample over all its channels and positions; ``num_groups=num_channels`` each
    channel on its own (instance normalization). ``affine=False`` leaves γ and β out, ``bias=False``
    keeps only γ.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        on_cpu("GroupNorm", device)
        for name, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ConfigError(f"GroupNorm: {name} must be a positive integer, got {value!r}")
        if num_channels % num_groups:
            raise ConfigError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = int(num_groups)
        self.num_channels = int(num_channels)
        self.eps = _positive_number("GroupNorm", "eps", eps)
        self.affine = bool(affine)
        dtype = floating_dtype("GroupNorm", get_default_dtype() if dtype is None else dtype)
        self._dtype = dtype
        _scale_and_shift(self, (self.num_channels,), dtype, self.affine, bias)

    def reset_parameters(self) -> None:
        _reset_scale_and_shift(self)

    def forward(self, x):
        shape = tuple(x.shape)
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise ShapeError(f"{self.describe()} expected input of shape (N, {self.num_channels}, ...), got shape {shape}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def describe(self) -> str:
        return f"GroupNorm({self.num_groups}, {self.num_channels})"

    def config(self) -> dict:
        return {
            "num_groups": self.num_groups,
            "num_channels": self.num_channels,
            "eps": self.eps,
            "affine": self.affine,
            **_scale_and_shift_config(self, self.affine),
        }

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(_RunningStatsNorm):
    """y = γ·(x − μ)/√(σ² + ε) + β with μ and σ² each sample's own, per channel, over its positions.

    ``affine=True`` learns γ (``weight``) and β (``bias``) per channel (``bias=False``: γ only).
    ``track_running_stats=True`` also keeps ``running_mean`` and ``running_var`` (the per-sample
    statistics averaged over each training batch, r ← (1 − momentum)·r + momentum·s) and normalises
    with them in ``eval()``; as in PyTorch, ``num_batches_tracked`` is kept but not counted, and
    ``momentum=None`` leaves the running statistics where they started.
    """

    _dims: int

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device=None, dtype=None, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)

    def forward(self, x):
        shape, n = tuple(x.shape), self._dims
        if len(shape) not in (n + 1, n + 2):
            raise ShapeError(f"{self.describe()} expected input of shape (N, {self.num_features}, {SPATIAL_AXES[n]}) or "
                             f"({self.num_features}, {SPATIAL_AXES[n]}), got shape {shape}")
        batched = len(shape) == n + 2
        channels = shape[-n - 1]
        if channels != self.num_features:
            if self.affine or self.track_running_stats:
                raise ShapeError(f"{self.describe()} expected {self.num_features} channels (axis {len(shape) - n - 1}), "
                                 f"got input of shape {shape}")
            warnings.warn(f"{self.describe()}: the input has {channels} channels, not num_features; it is normalised "
                          "anyway (without affine or running statistics, num_features is unused), as in PyTorch",
                          UserWarning, stacklevel=2)
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        try:
            out = F.instance_norm(x if batched else ops.unsqueeze(x, 0), self.running_mean, self.running_var,
                                  self.weight, self.bias, use_input_stats, momentum, self.eps)
        except ShapeError as error:
            raise ShapeError(f"{self.describe()}: {error}") from None
        return out if batched else ops.squeeze(out, 0)

    def config(self) -> dict:
        return {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
            **_scale_and_shift_config(self, self.affine),
        }


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L) inputs: each channel of each sample over its L positions."""

    _dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) feature maps: each channel of each image over
    its H·W pixels (style transfer, image-to-image generators)."""

    _dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) volumes: each channel of each sample
    over its D·H·W positions."""

    _dims = 3


class LocalResponseNorm(Module):
    """Divide each channel by (k + α/n·Σ x²)^β over the n = ``size`` neighbouring channels (see
    F.local_response_norm); inputs (N, C, *) with at least one position axis. No parameters."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        name = type(self).__name__
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ConfigError(f"{name}: size must be a positive integer, got {size!r}")
        self.size = int(size)
        self.alpha, self.beta, self.k = (real_as_given(name, key, value)
                                         for key, value in (("alpha", alpha), ("beta", beta), ("k", k)))

    def forward(self, x):
        try:
            return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)
        except ShapeError as error:
            raise ShapeError(f"LocalResponseNorm({self.size}): {error}") from None

    def config(self) -> dict:
        return {"size": self.size, "alpha": self.alpha, "beta": self.beta, "k": self.k}

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(LocalResponseNorm):
    """Lua Torch's cross-channel local response norm of (N, C, H, W) inputs, as PyTorch's legacy
    ``nn.CrossMapLRN2d`` computes it: LocalResponseNorm's x_c / (k + α/n·Σ x²)^β, over the channels
    c − (n − 1)//2 … c + (n − 1)//2 and, past the first window, channel 0 too (see
    ``_cross_map_lrn2d`` in nn/functional/normalization.py). Its gradient is that of these values
    (PyTorch's own backward disagrees with its forward's finite differences). No parameters."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1):  # (PyTorch's k is an int)
        super().__init__(size, alpha, beta, k)

    def forward(self, x):
        return _cross_map_lrn2d(x, self.size, self.alpha, self.beta, self.k)
