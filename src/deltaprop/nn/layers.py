"""The dense network's layers: Linear and Bilinear, and the plumbing around them (Identity, Flatten, the dropouts)."""

from __future__ import annotations

import math

import numpy as np

from ..devices import on_cpu
from ..errors import ConfigError, ShapeError
from ..tensor import get_default_dtype
from . import functional as F
from ._options import plain_number
from . import init
from .module import Module, Parameter, floating_dtype


class Linear(Module):
    """a = x·Wᵀ + b: every output node j gets Σ_i w_ji x_i + b_j (the seeds' weighted sum).

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,), both initialised
    as PyTorch does: U(−1/√in, 1/√in).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        on_cpu("Linear", device)
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ConfigError(f"Linear: {name} must be a positive integer, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = floating_dtype("Linear", get_default_dtype() if dtype is None else dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        self.register_parameter("bias", Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's default: kaiming_uniform_ with a = √5, which works out to U(−1/√in, 1/√in).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        try:
            return F.linear(x, self.weight, self.bias)
        except ShapeError:
            # The primitive checks the shape; say it again in terms of this layer.
            raise ShapeError(
                f"{self.describe()} expected input of shape (N, {self.in_features}), got shape {tuple(np.shape(getattr(x, 'data', x)))}"
            ) from None

    def describe(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"

    def config(self) -> dict:
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "dtype": self.weight.dtype.name,
        }

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """a_o = x1ᵀ·W_o·x2 + b_o: each output a bilinear form of two inputs, x1 of shape
    (..., in1_features) and x2 of shape (..., in2_features).

    ``weight`` has shape (out_features, in1_features, in2_features) and ``bias`` (out_features,),
    both initialised as PyTorch does: U(−1/√in1, 1/√in1).
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        on_cpu("Bilinear", device)
        for name, value in (("in1_features", in1_features), ("in2_features", in2_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ConfigError(f"Bilinear: {name} must be a positive integer, got {value!r}")
        self.in1_features = int(in1_features)
        self.in2_features = int(in2_features)
        self.out_features = int(out_features)
        dtype = floating_dtype("Bilinear", get_default_dtype() if dtype is None else dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in1_features, self.in2_features), dtype=dtype))
        self.register_parameter("bias", Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        try:
            return F.bilinear(input1, input2, self.weight, self.bias)
        except ShapeError:
            shapes = [tuple(np.shape(getattr(x, "data", x))) for x in (input1, input2)]
            raise ShapeError(
                f"{self.describe()} expected inputs of shapes (N, {self.in1_features}) and (N, {self.in2_features}), "
                f"got shapes {shapes[0]} and {shapes[1]}"
            ) from None

    def describe(self) -> str:
        return f"Bilinear({self.in1_features}, {self.in2_features} -> {self.out_features})"

    def config(self) -> dict:
        return {
            "in1_features": self.in1_features,
            "in2_features": self.in2_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "dtype": self.weight.dtype.name,
        }

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged (a placeholder layer). Takes any arguments and ignores them, as
    PyTorch's does, so a layer chosen by a flag (``nn.Identity(dim)`` for ``nn.LayerNorm(dim)``) is
    built the same way."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x

    def config(self) -> dict:
        return {}


class Flatten(Module):
    """Merge axes ``start_dim`` .. ``end_dim`` into one; by default everything but the batch axis."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = plain_number(start_dim), plain_number(end_dim)

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)

    def config(self) -> dict:
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class _DropoutNd(Module):
    """What the dropout layers share: ``p`` kept as given (PyTorch's repr echoes ``Dropout(p=1)`` as
    p=1), and ``inplace``, taken and shown as PyTorch shows it (it changes nothing here)."""

    _function: str  # dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout in nn.functional

    def __init__(self, p: float = 0.5, inplace: bool = False):  # inplace: see nn/activation.py
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or not 0.0 <= p <= 1.0:
            raise ConfigError(f"{type(self).__name__}: p must be a probability in [0, 1], got {p!r}")
        self.p = plain_number(p)
        self.inplace = bool(inplace)

    def forward(self, x):
        return getattr(F, self._function)(x, self.p, self.training)

    def config(self) -> dict:
        return {"p": self.p, "inplace": self.inplace}

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """During training, zero each element with probability ``p`` and scale the rest by 1/(1 − p);
    in ``eval()`` mode, do nothing."""

    _function = "dropout"

    def forward(self, x):
        return F.dropout(x, self.p, self.training)  # (F.dropout itself: no lookup by name)

    def config(self) -> dict:
        # inplace only when set: the files written before Dropout showed it stay what a Dropout writes
        return {"p": self.p, "inplace": True} if self.inplace else {"p": self.p}


class Unflatten(Module):
    """Split axis ``dim`` into the axes ``unflattened_size`` (Flatten's inverse): with dim=1 and
    (C, H, W), a batch of flat vectors (N, C·H·W) becomes a batch of images (N, C, H, W). One size
    may be −1, the one that makes the product fit."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise ConfigError(f"Unflatten: dim must be an integer (an axis), got {dim!r}")
        sizes = tuple(unflattened_size) if isinstance(unflattened_size, (tuple, list)) else None
        if (not sizes or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or (n < 0 and n != -1) for n in sizes)
                or sum(n == -1 for n in sizes) > 1):
            raise ConfigError(f"Unflatten: unflattened_size must be a non-empty tuple of sizes (non-negative integers, "
                              f"one of them may be -1), got {unflattened_size!r}")
        self.dim = int(dim)
        self.unflattened_size = tuple(int(n) for n in sizes)

    def forward(self, x):
        shape = tuple(x.shape)
        if not -len(shape) <= self.dim < max(len(shape), 1):
            raise ShapeError(f"{self.describe()}: dim {self.dim} is out of range for input of shape {shape}")
        axis = self.dim % len(shape)
        sizes = self.unflattened_size
        known = int(np.prod([n for n in sizes if n != -1], dtype=np.int64))
        length = shape[axis]
        fits = length % known == 0 if -1 in sizes and known else length == known and -1 not in sizes
        if not fits:
            raise ShapeError(f"{self.describe()}: the sizes {sizes} do not multiply up to the length {length} of axis "
                             f"{self.dim} of input of shape {shape}")
        return F.unflatten(x, axis, sizes)

    def describe(self) -> str:
        return f"Unflatten(dim={self.dim}, unflattened_size={self.unflattened_size})"

    def config(self) -> dict:
        return {"dim": self.dim, "unflattened_size": list(self.unflattened_size)}

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout1d(_DropoutNd):
    """During training, zero whole channels of an (N, C, L) or (C, L) input, each with probability
    ``p``, and scale the others by 1/(1 − p); in ``eval()`` mode, do nothing."""

    _function = "dropout1d"


class Dropout2d(_DropoutNd):
    """During training, zero whole feature maps of an (N, C, H, W) input, each with probability
    ``p``, and scale the others by 1/(1 − p); in ``eval()`` mode, do nothing. (A 3-d input is taken
    as (N, C, L), with PyTorch's warning.)"""

    _function = "dropout2d"


class Dropout3d(_DropoutNd):
    """During training, zero whole channels (volumes) of an (N, C, D, H, W) or (C, D, H, W) input, each
    with probability ``p``, and scale the others by 1/(1 − p); in ``eval()`` mode, do nothing."""

    _function = "dropout3d"


class AlphaDropout(_DropoutNd):
    """Dropout that keeps a self-normalizing (SELU) network's activations at mean 0 and variance 1:
    during training each element is set, with probability ``p``, to SELU's saturation value, then
    all are scaled and shifted back (see :func:`deltaprop.nn.functional.alpha_dropout`); in
    ``eval()`` mode, do nothing."""

    _function = "alpha_dropout"


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels: during training each channel of each sample (axes 0 and 1)
    is set, with probability ``p``, to SELU's saturation value at all its positions, then all are
    scaled and shifted back (see :func:`deltaprop.nn.functional.feature_alpha_dropout`); in
    ``eval()`` mode, do nothing."""

    _function = "feature_alpha_dropout"
