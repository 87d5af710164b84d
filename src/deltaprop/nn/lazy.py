"""Lazy layers: LazyLinear, LazyConv1d/2d/3d, LazyConvTranspose1d/2d/3d, LazyBatchNorm1d/2d/3d and
LazyInstanceNorm1d/2d/3d, whose input size is read from the first input they get (PyTorch's ``nn.Lazy*``).

Until then their parameters are :class:`UninitializedParameter` placeholders, with no values and no
shape, and their running statistics :class:`UninitializedBuffer` ones. The first forward pass reads the size (in_features from the last axis, in_channels or
num_features from the channel axis), turns the layer into the layer it stands for (a LazyLinear
becomes a Linear, initialised as a Linear is), and runs it; from then on it is that layer, at that
layer's speed, and saves and loads as one. The placeholders are not the parameters the layer ends
with, so an optimizer built before the first forward pass would hold nothing the layer uses: it is
refused (PyTorch makes its placeholders into the parameters in place instead).
"""

from __future__ import annotations

import numpy as np

from .. import random
from ..errors import ConfigError, DeltapropError, ShapeError
from ..tensor import get_default_dtype
from .conv import Conv1d, Conv2d, Conv3d
from .conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .layers import Linear
from .module import Module, floating_dtype
from .parameter import UninitializedBuffer, UninitializedParameter
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d


class _Lazy(Module):
    """What the lazy layers share: the arguments kept, the placeholders, and the change into
    ``cls_to_become`` at the first forward pass."""

    cls_to_become: type
    _size_name: str  # the argument the first input gives

    def __init__(self, **arguments):
        super().__init__()
        dtype = floating_dtype(type(self).__name__, get_default_dtype() if arguments.get("dtype") is None
                               else arguments["dtype"])
        arguments["dtype"] = dtype
        # The target layer built once with size 1, to check the arguments now and to learn its
        # parameters' and buffers' names; the random generator is put back, so that the layers made
        # after this one draw what they would have drawn without it.
        state = random.state_dict()
        try:
            probe = self.cls_to_become(**{self._size_name: self._probe_size(arguments)}, **arguments)
        except DeltapropError as error:  # the sentence of the layer it stands for, naming this one
            raise type(error)(str(error).replace(self.cls_to_become.__name__, type(self).__name__, 1)) from None
        finally:
            random.load_state_dict(state)
        object.__setattr__(self, "_arguments", arguments)
        for name, parameter in probe._parameters.items():
            self.register_parameter(name, None if parameter is None else
                                    UninitializedParameter(dtype=dtype, owner=f"{self._label()}'s {name}"))
        for name, array in probe._buffers.items():
            # a running statistic has no size yet either (an UninitializedBuffer, as PyTorch's); a
            # counter is already what it will be
            self.register_buffer(name, None if array is None else array if np.ndim(array) == 0
                                 else UninitializedBuffer(dtype=array.dtype))

    def _probe_size(self, arguments: dict) -> int:
        """The size the layer is built with once in ``__init__`` (any the arguments allow)."""
        return 1

    def _label(self) -> str:
        shown = ", ".join(f"{key}={value!r}" for key, value in self._arguments_shown().items())
        return f"{type(self).__name__}({shown})"

    def _arguments_shown(self) -> dict:
        return {key: value for key, value in self.__dict__.get("_arguments", {}).items() if key not in ("dtype", "device")}

    def has_uninitialized_params(self) -> bool:
        """True until the first forward pass (PyTorch's name)."""
        return True

    def _size(self, shape: tuple) -> int:
        raise NotImplementedError

    def initialize_parameters(self, input) -> None:
        """Become ``cls_to_become`` with the size ``input`` shows, parameters initialised as that
        layer initialises them, in the dtype the placeholders have now (after any ``to()``)."""
        shape = tuple(np.shape(getattr(input, "data", input)))
        size = self._size(shape)
        placeholders = [p for p in self._parameters.values() if p is not None]
        arguments = dict(self._arguments)
        if placeholders:
            arguments["dtype"] = placeholders[0].data.dtype
        training, target, size_name = self.training, self.cls_to_become, self._size_name
        object.__delattr__(self, "_arguments")
        for name in [*self._parameters, *self._buffers]:
            delattr(self, name)  # the placeholders: the layer registers its own under these names
        object.__setattr__(self, "__class__", target)
        target.__init__(self, **{size_name: size}, **arguments)
        self.train(training)

    def forward(self, input, *args, **kwargs):
        self.initialize_parameters(input)
        return self(input, *args, **kwargs)

    def extra_repr(self) -> str:
        return ", ".join(f"{key}={value!r}" for key, value in self._arguments_shown().items())


class LazyLinear(_Lazy):
    """A :class:`~deltaprop.nn.Linear` whose ``in_features`` is the last axis of its first input."""

    cls_to_become = Linear
    _size_name = "in_features"

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(out_features=out_features, bias=bias, device=device, dtype=dtype)

    def _size(self, shape: tuple) -> int:
        if not shape or shape[-1] < 1:
            raise ShapeError(f"{type(self).__name__} expected input of shape (N, in_features) with in_features at "
                             f"least 1, got shape {shape}")
        return shape[-1]


class _LazyChannels(_Lazy):
    """The lazy layers sized by the channel axis: axis 1 of a batch (of ``_batched`` axes), axis 0
    of one unbatched sample where the layer takes one."""

    _batched: tuple
    _unbatched: tuple = ()
    _layout: str

    def _size(self, shape: tuple) -> int:
        return shape[self._channel_axis(shape)]

    def _channel_axis(self, shape: tuple) -> int:
        if len(shape) in self._batched:
            axis = 1
        elif len(shape) in self._unbatched:
            axis = 0
        else:
            raise ShapeError(f"{type(self).__name__} expected input of shape {self._layout}, got shape {shape}")
        if shape[axis] < 1:
            raise ShapeError(f"{type(self).__name__} expected at least one channel, got input of shape {shape}")
        return axis


class _LazyGrouped(_LazyChannels):
    """The convolutions: in_channels must divide into ``groups``, checked at the first input (before
    the layer changes), and the layer is built in ``__init__`` with in_channels = groups."""

    _size_name = "in_channels"

    def _probe_size(self, arguments: dict) -> int:
        groups = arguments["groups"]
        # a groups the layer refuses is refused by the layer itself, in its own sentence
        return int(groups) if isinstance(groups, (int, np.integer)) and not isinstance(groups, bool) and groups > 0 else 1

    def _size(self, shape: tuple) -> int:
        axis = self._channel_axis(shape)
        groups = self._arguments["groups"]
        if shape[axis] % groups:
            raise ConfigError(f"{type(self).__name__}: in_channels={shape[axis]} (axis {axis} of the input of shape {shape}) "
                              f"is not divisible by groups={groups}")
        return shape[axis]


class _LazyConv(_LazyGrouped):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(out_channels=out_channels, kernel_size=kernel_size, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode, device=device,
                         dtype=dtype)


class LazyConv1d(_LazyConv):
    """A :class:`~deltaprop.nn.Conv1d` whose ``in_channels`` is read from its first input."""

    cls_to_become = Conv1d
    _batched, _unbatched, _layout = (3,), (2,), "(N, C, L) or (C, L)"


class LazyConv2d(_LazyConv):
    """A :class:`~deltaprop.nn.Conv2d` whose ``in_channels`` is read from its first input."""

    cls_to_become = Conv2d
    _batched, _unbatched, _layout = (4,), (3,), "(N, C, H, W) or (C, H, W)"


class LazyConv3d(_LazyConv):
    """A :class:`~deltaprop.nn.Conv3d` whose ``in_channels`` is read from its first input."""

    cls_to_become = Conv3d
    _batched, _unbatched, _layout = (5,), (4,), "(N, C, D, H, W) or (C, D, H, W)"


class _LazyConvTranspose(_LazyGrouped):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(out_channels=out_channels, kernel_size=kernel_size, stride=stride, padding=padding,
                         output_padding=output_padding, groups=groups, bias=bias, dilation=dilation,
                         padding_mode=padding_mode, device=device, dtype=dtype)


class LazyConvTranspose1d(_LazyConvTranspose):
    """A :class:`~deltaprop.nn.ConvTranspose1d` whose ``in_channels`` is read from its first input."""

    cls_to_become = ConvTranspose1d
    _batched, _unbatched, _layout = (3,), (2,), "(N, C, L) or (C, L)"


class LazyConvTranspose2d(_LazyConvTranspose):
    """A :class:`~deltaprop.nn.ConvTranspose2d` whose ``in_channels`` is read from its first input."""

    cls_to_become = ConvTranspose2d
    _batched, _unbatched, _layout = (4,), (3,), "(N, C, H, W) or (C, H, W)"


class LazyConvTranspose3d(_LazyConvTranspose):
    """A :class:`~deltaprop.nn.ConvTranspose3d` whose ``in_channels`` is read from its first input."""

    cls_to_become = ConvTranspose3d
    _batched, _unbatched, _layout = (5,), (4,), "(N, C, D, H, W) or (C, D, H, W)"


class _LazyNorm(_LazyChannels):
    """The batch and instance norms; PyTorch's lazy forms of both default to affine=True and
    track_running_stats=True (the instance norms themselves to False and False)."""

    _size_name = "num_features"

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        super().__init__(eps=eps, momentum=momentum, affine=affine, track_running_stats=track_running_stats,
                         device=device, dtype=dtype, bias=bias)


class LazyBatchNorm1d(_LazyNorm):
    """A :class:`~deltaprop.nn.BatchNorm1d` whose ``num_features`` is axis 1 of its first input."""

    cls_to_become = BatchNorm1d
    _batched, _layout = (2, 3), "(N, C) or (N, C, L)"


class LazyBatchNorm2d(_LazyNorm):
    """A :class:`~deltaprop.nn.BatchNorm2d` whose ``num_features`` is axis 1 of its first input."""

    cls_to_become = BatchNorm2d
    _batched, _layout = (4,), "(N, C, H, W)"


class LazyBatchNorm3d(_LazyNorm):
    """A :class:`~deltaprop.nn.BatchNorm3d` whose ``num_features`` is axis 1 of its first input."""

    cls_to_become = BatchNorm3d
    _batched, _layout = (5,), "(N, C, D, H, W)"


class LazyInstanceNorm1d(_LazyNorm):
    """An :class:`~deltaprop.nn.InstanceNorm1d` whose ``num_features`` is the channel axis of its first
    input (axis 0 of an unbatched one, where PyTorch 2.13 reads axis 1 and then refuses the input)."""

    cls_to_become = InstanceNorm1d
    _batched, _unbatched, _layout = (3,), (2,), "(N, C, L) or (C, L)"


class LazyInstanceNorm2d(_LazyNorm):
    """An :class:`~deltaprop.nn.InstanceNorm2d` whose ``num_features`` is the channel axis of its first input."""

    cls_to_become = InstanceNorm2d
    _batched, _unbatched, _layout = (4,), (3,), "(N, C, H, W) or (C, H, W)"


class LazyInstanceNorm3d(_LazyNorm):
    """An :class:`~deltaprop.nn.InstanceNorm3d` whose ``num_features`` is the channel axis of its first input."""

    cls_to_become = InstanceNorm3d
    _batched, _unbatched, _layout = (5,), (4,), "(N, C, D, H, W) or (C, D, H, W)"
