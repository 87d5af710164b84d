"""Pooling layers: summarise each window of a feature map by its maximum or its mean (the adaptive
ones choose their windows to give an output of a fixed size, the fractional ones place them at
random fractional strides); max unpooling puts the maxima back.

Pooling has no weights. It shrinks the map (a 2x2 window with stride 2 keeps one value in four) and
makes the network tolerant to small shifts of its input. The gradient of a maximum flows only to
the element that attained it; the gradient of a mean is shared equally by the window.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..ops._windows import SPATIAL_AXES, int_tuple
from ..ops.activation import real_option
from ..ops.pool import check_divisor_override, pool_options
from ..ops.unpool import unpool_options
from . import functional as F
from ._options import plain_number, plain_option
from .functional.fractional_pooling import _output_ratios, _size_or_ratio
from .module import Module




class _Pool(Module):
    _dims: int
    _function: str  # name of the functional form in nn.functional

    def forward(self, x):
        self._check(x)
        try:
            # config() holds the constructor's options under the functional form's parameter names.
            return getattr(F, self._function)(x, **self.config())
        except ShapeError as error:
            raise ShapeError(f"{self.describe()}: {error}") from None

    def _check(self, x) -> None:
        shape = tuple(x.shape)
        n = self._dims
        if len(shape) not in (n + 1, n + 2):
            raise ShapeError(f"{self.describe()} expected input of shape (N, C, {SPATIAL_AXES[n]}) or (C, {SPATIAL_AXES[n]}), got shape {shape}")

    def describe(self) -> str:
        k = self.kernel_size
        return f"{type(self).__name__}(kernel {k if isinstance(k, int) else 'x'.join(map(str, k))})"

    def extra_repr(self) -> str:
        return ", ".join(f"{key}={value!r}" for key, value in self.config().items())


class _MaxPoolNd(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        name = type(self).__name__
        pool_options(name, self._dims, plain_option(kernel_size), plain_option(stride), plain_option(padding),
                     plain_option(dilation))
        if not isinstance(return_indices, (bool, np.bool_)):
            raise ConfigError(f"{name}: return_indices must be True or False, got {return_indices!r}")
        self.return_indices = bool(return_indices)
        self.kernel_size = plain_option(kernel_size)
        self.stride = self.kernel_size if stride is None else plain_option(stride)
        self.padding = plain_option(padding)
        self.dilation = plain_option(dilation)
        self.ceil_mode = bool(ceil_mode)

    def config(self) -> dict:
        return {
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "ceil_mode": self.ceil_mode,
            # only when True: a file of a plain layer stays what it was (and loads in an older deltaprop)
            **({"return_indices": True} if self.return_indices else {}),
        }

    def extra_repr(self) -> str:
        # PyTorch's: return_indices is not shown
        return ", ".join(f"{key}={value!r}" for key, value in self.config().items() if key != "return_indices")


class MaxPool1d(_MaxPoolNd):
    """The maximum of each window of an (N, C, L) input; the stride defaults to the kernel size.
    ``return_indices=True`` also returns where each maximum was along L (a tuple of two tensors),
    what :class:`MaxUnpool1d` takes."""

    _dims, _function = 1, "max_pool1d"


class MaxPool2d(_MaxPoolNd):
    """The maximum of each window of an (N, C, H, W) input; the stride defaults to the kernel size.
    ``return_indices=True`` also returns each maximum's flat position h·W + w in its input plane
    (int64, PyTorch's convention), what :class:`MaxUnpool2d` takes."""

    _dims, _function = 2, "max_pool2d"


class MaxPool3d(_MaxPoolNd):
    """The maximum of each window of an (N, C, D, H, W) or (C, D, H, W) input (volumes, video clips);
    every option an int or a triple (depth, height, width). ``return_indices=True`` also returns each
    maximum's flat position (d·H + h)·W + w in its input volume, what :class:`MaxUnpool3d` takes."""

    _dims, _function = 3, "max_pool3d"


class _AvgPoolNd(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True):
        super().__init__()
        pool_options(type(self).__name__, self._dims, plain_option(kernel_size), plain_option(stride),
                     plain_option(padding), 1)
        self.kernel_size = plain_option(kernel_size)
        self.stride = self.kernel_size if stride is None else plain_option(stride)
        self.padding = plain_option(padding)
        self.ceil_mode = bool(ceil_mode)
        self.count_include_pad = bool(count_include_pad)

    def config(self) -> dict:
        return {
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "ceil_mode": self.ceil_mode,
            "count_include_pad": self.count_include_pad,
        }


class AvgPool1d(_AvgPoolNd):
    """The mean of each window of an (N, C, L) input; padding counts as zeros unless
    ``count_include_pad=False``."""

    _dims, _function = 1, "avg_pool1d"


class _AvgPoolWithDivisor(_AvgPoolNd):
    """AvgPool2d and AvgPool3d: ``divisor_override`` (a nonzero integer) divides every window's sum by
    itself instead of by the number of elements averaged, as in PyTorch (AvgPool1d has none there either)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = check_divisor_override(type(self).__name__, divisor_override)

    def config(self) -> dict:
        # only when given: a file of a plain layer stays what it was
        extra = {} if self.divisor_override is None else {"divisor_override": self.divisor_override}
        return {**super().config(), **extra}


class AvgPool2d(_AvgPoolWithDivisor):
    """The mean of each window of an (N, C, H, W) input; padding counts as zeros unless
    ``count_include_pad=False``; ``divisor_override`` (a nonzero integer) divides every window's sum
    by itself instead."""

    _dims, _function = 2, "avg_pool2d"


class AvgPool3d(_AvgPoolWithDivisor):
    """The mean of each window of an (N, C, D, H, W) or (C, D, H, W) input; the options as in
    :class:`AvgPool2d`, each an int or a triple (depth, height, width)."""

    _dims, _function = 3, "avg_pool3d"


class _AdaptivePoolNd(Module):
    """What the adaptive pools share: ``output_size`` checked (a non-negative integer, or one per axis,
    None keeping that axis of a 2-d input), the input's number of dimensions, the description. The
    subclasses name the functional form; the max pools add ``return_indices``."""

    _dims: int
    _function: str  # name of the functional form in nn.functional

    def __init__(self, output_size):
        super().__init__()
        name, n = type(self).__name__, self._dims
        size = plain_option(output_size)
        sizes = size if isinstance(size, tuple) else (size,) * n
        if len(sizes) != n or any(
            s is not None and (isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0) for s in sizes
        ):
            several = {2: "a pair", 3: "a triple"}.get(n)
            kind = "a non-negative integer" if n == 1 else f"a non-negative integer or {several} of them (None keeps an axis)"
            raise ConfigError(f"{name}: output_size must be {kind}, got {output_size!r}")
        if n == 1 and sizes[0] is None:
            raise ConfigError(f"{name}: output_size must be a non-negative integer, got {output_size!r}")
        self.output_size = size

    def forward(self, x):
        shape, n = tuple(x.shape), self._dims
        if len(shape) not in (n + 1, n + 2):
            raise ShapeError(f"{self.describe()} expected input of shape (N, C, {SPATIAL_AXES[n]}) or (C, {SPATIAL_AXES[n]}), got shape {shape}")
        try:
            return self._pool(x)
        except ShapeError as error:
            raise ShapeError(f"{self.describe()}: {error}") from None

    def _pool(self, x):
        return getattr(F, self._function)(x, self.output_size)

    def describe(self) -> str:
        return f"{type(self).__name__}({self.output_size!r})"

    def config(self) -> dict:
        return {"output_size": self.output_size}

    def extra_repr(self) -> str:
        return f"output_size={self.output_size!r}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Average an (N, C, L) or (C, L) input down to ``output_size`` positions whatever L is (1: the
    global average over L, which makes a sequence model independent of the sequence length)."""

    _dims, _function = 1, "adaptive_avg_pool1d"


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Average an (N, C, H, W) input down to ``output_size`` whatever H and W are.

    ``output_size`` is an int or a pair (None keeps an axis); 1 is the global average pooling
    that ends most image classifiers, making them independent of the input size.
    """

    _dims, _function = 2, "adaptive_avg_pool2d"


class AdaptiveAvgPool3d(_AdaptivePoolNd):
    """Average an (N, C, D, H, W) or (C, D, H, W) input down to ``output_size`` whatever D, H and W are
    (an int or a triple, None keeping an axis; 1 the global average of each volume)."""

    _dims, _function = 3, "adaptive_avg_pool3d"


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size, return_indices: bool = False):
        super().__init__(output_size)
        if not isinstance(return_indices, (bool, np.bool_)):
            raise ConfigError(f"{type(self).__name__}: return_indices must be True or False, got {return_indices!r}")
        self.return_indices = bool(return_indices)

    def _pool(self, x):
        return getattr(F, self._function)(x, self.output_size, self.return_indices)

    def config(self) -> dict:
        return {**super().config(), "return_indices": self.return_indices}


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """The maximum of each of ``output_size`` bins of an (N, C, L) or (C, L) input, whatever L is;
    ``return_indices=True`` also returns where each maximum was (a tuple of two tensors)."""

    _dims, _function = 1, "adaptive_max_pool1d"


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """The maximum of each adaptive bin of an (N, C, H, W) or (C, H, W) input (``output_size``: an int or
    a pair, None keeping that axis); ``return_indices=True`` also returns each maximum's flat position h·W + w."""

    _dims, _function = 2, "adaptive_max_pool2d"


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """The maximum of each adaptive bin of an (N, C, D, H, W) or (C, D, H, W) input (``output_size``: an
    int or a triple, None keeping that axis); ``return_indices=True`` also returns each maximum's flat
    position (d·H + h)·W + w."""

    _dims, _function = 3, "adaptive_max_pool3d"


class _MaxUnpoolNd(Module):
    _dims: int
    _function: str

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = unpool_options(
            type(self).__name__, self._dims, plain_option(kernel_size), plain_option(stride), plain_option(padding))

    def forward(self, input, indices=None, output_size=None):
        if indices is None:  # Python's own message would name this private class
            if isinstance(input, (tuple, list)):
                raise TypeError(f"{self.describe()}: got one input holding {len(input)} items, as a Sequential hands "
                                "on a pooling's (output, indices); call it as unpool(output, indices) in a forward of your own")
            raise TypeError(f"{self.describe()}: forward needs the pooling's indices, unpool(output, indices), "
                            "from a MaxPool made with return_indices=True")
        try:
            return getattr(F, self._function)(input, indices, self.kernel_size, self.stride, self.padding, output_size)
        except (ShapeError, ConfigError, DataError) as error:
            raise type(error)(f"{self.describe()}: {error}") from None

    def describe(self) -> str:
        k = self.kernel_size
        return f"{type(self).__name__}(kernel {k[0] if len(set(k)) == 1 else 'x'.join(map(str, k))})"

    def config(self) -> dict:
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride), "padding": list(self.padding)}

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """The partial inverse of :class:`MaxPool1d`: ``forward(input, indices, output_size=None)`` puts
    each value of an (N, C, L) or (C, L) input back where the pooling's ``indices`` say it came from,
    zeros elsewhere. The options are the pooling's (the stride defaults to the kernel size); the
    length is (L − 1)·stride − 2·padding + kernel_size, or ``output_size`` (the pooled input's
    length, which that formula cannot tell when the pooling dropped a remainder)."""

    _dims, _function = 1, "max_unpool1d"


class MaxUnpool2d(_MaxUnpoolNd):
    """The partial inverse of :class:`MaxPool2d` over (N, C, H, W) or (C, H, W) inputs, as
    :class:`MaxUnpool1d` per axis: each value goes to its flat index h·W + w of the output plane
    (SegNet's decoder upsamples this way)."""

    _dims, _function = 2, "max_unpool2d"


class MaxUnpool3d(_MaxUnpoolNd):
    """The partial inverse of :class:`MaxPool3d` over (N, C, D, H, W) or (C, D, H, W) inputs, as
    :class:`MaxUnpool1d` per axis: each value goes to its flat index (d·H + h)·W + w of the output volume."""

    _dims, _function = 3, "max_unpool3d"


class _LPPoolNd(_Pool):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        name = type(self).__name__
        real_option(name, "norm_type", norm_type, nonzero=True)
        pool_options(name, self._dims, plain_option(kernel_size), plain_option(stride), 0, 1)
        # kept as given (an int stays an int, stride None stays None), as PyTorch's repr shows them
        self.norm_type = plain_number(norm_type)
        self.kernel_size = plain_option(kernel_size)
        self.stride = plain_option(stride)
        self.ceil_mode = bool(ceil_mode)

    def config(self) -> dict:
        return {"norm_type": self.norm_type, "kernel_size": self.kernel_size, "stride": self.stride,
                "ceil_mode": self.ceil_mode}


class LPPool1d(_LPPoolNd):
    """The p-norm (Σ x^p)^(1/p) of each window of an (N, C, L) or (C, L) input (p = ``norm_type``:
    1 sums, 2 is the root of the energy, inf the largest |x|)."""

    _dims, _function = 1, "lp_pool1d"


class LPPool2d(_LPPoolNd):
    """The p-norm (Σ x^p)^(1/p) of each window of an (N, C, H, W) or (C, H, W) input."""

    _dims, _function = 2, "lp_pool2d"


class LPPool3d(_LPPoolNd):
    """The p-norm (Σ x^p)^(1/p) of each window of an (N, C, D, H, W) or (C, D, H, W) input."""

    _dims, _function = 3, "lp_pool3d"


class _FractionalMaxPoolNd(Module):
    """Fractional max pooling (see nn/functional/fractional_pooling.py): windows of ``kernel_size``
    at pseudo-random fractional strides, to ``output_size`` or ``output_ratio`` times the input's
    size; ``return_indices=True`` also returns where each maximum was. ``_random_samples`` (N, C, n),
    PyTorch's argument for repeatable windows, is kept as a buffer and used at every call; without
    it each call draws new windows from deltaprop's generator."""

    _dims: int
    _function: str

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                 _random_samples=None):
        super().__init__()
        name, n = type(self).__name__, self._dims
        self.kernel_size = int_tuple(plain_option(kernel_size), n, "kernel_size", name, 1)
        _size_or_ratio(name, output_size, output_ratio)
        self.output_size = (None if output_size is None
                            else int_tuple(plain_option(output_size), n, "output_size", name, 0))
        self.output_ratio = None if output_ratio is None else _output_ratios(name, n, plain_option(output_ratio))
        if not isinstance(return_indices, (bool, np.bool_)):
            raise ConfigError(f"{name}: return_indices must be True or False, got {return_indices!r}")
        self.return_indices = bool(return_indices)
        samples = None if _random_samples is None else np.array(getattr(_random_samples, "data", _random_samples))
        self.register_buffer("_random_samples", samples)

    def forward(self, input):
        try:
            return getattr(F, self._function)(input, self.kernel_size, self.output_size, self.output_ratio,
                                              self.return_indices, self._random_samples)
        except (ShapeError, ConfigError) as error:
            raise type(error)(f"{type(self).__name__}: {error}") from None

    def config(self) -> dict:
        config = {"kernel_size": list(self.kernel_size),
                  "output_size": None if self.output_size is None else list(self.output_size),
                  "output_ratio": None if self.output_ratio is None else list(self.output_ratio),
                  "return_indices": self.return_indices}
        samples = self._random_samples
        if samples is not None:
            # Their values are in the state dict; a model file records their shape and dtype, and
            # rebuilds the layer with a buffer of that shape for its weights to fill (_from_config).
            config["random_samples_shape"] = list(samples.shape)
            config["random_samples_dtype"] = samples.dtype.name
        return config

    @classmethod
    def _from_config(cls, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                     random_samples_shape=None, random_samples_dtype=None) -> "_FractionalMaxPoolNd":
        """The layer a model file describes: with ``random_samples_shape``, a zero-filled
        ``_random_samples`` of that shape (N, C, number of axes) and dtype, which the file's weights fill."""
        samples = None
        if random_samples_shape is not None or random_samples_dtype is not None:
            name = cls.__name__
            shape = random_samples_shape
            if (not isinstance(shape, list) or len(shape) != 3 or shape[2] != cls._dims
                    or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in shape)):
                raise ConfigError(f"{name}: random_samples_shape must be a list (N, C, {cls._dims}) of positive "
                                  f"integers, got {shape!r}")
            if random_samples_dtype not in _SAMPLE_DTYPES:
                raise ConfigError(f"{name}: random_samples_dtype must be one of {', '.join(_SAMPLE_DTYPES)}, got "
                                  f"{random_samples_dtype!r}")
            samples = np.zeros(shape, dtype=random_samples_dtype)
        return cls(kernel_size, output_size, output_ratio, return_indices, _random_samples=samples)


_SAMPLE_DTYPES = ("float16", "float32", "float64")


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) inputs (Graham, 2014): the maximum of each
    ``kernel_size`` window, the windows placed at pseudo-random fractional strides so that the output
    is ``output_size`` (an int or a pair) or ``output_ratio`` (in (0, 1)) times the input's size."""

    _dims, _function = 2, "fractional_max_pool2d"


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, D, H, W) or (C, D, H, W) inputs, as :class:`FractionalMaxPool2d`
    per axis."""

    _dims, _function = 3, "fractional_max_pool3d"
