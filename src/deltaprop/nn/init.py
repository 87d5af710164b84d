"""Weight initialisation, in place, with PyTorch's names and formulas.

fan_in and fan_out count the inputs and outputs of one unit: for a Linear weight of shape
(out, in) they are ``in`` and ``out``; for a convolution weight (out, in, *kernel) they are
multiplied by the kernel size. Draws come from the library's generator (``deltaprop.manual_seed``).
"""

from __future__ import annotations

import math
import numbers
import warnings

from .. import draws
from ..errors import ConfigError, ShapeError


def _fans(tensor) -> tuple[int, int]:
    shape = tensor.data.shape
    if len(shape) < 2:
        raise ShapeError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity``."""
    linear_like = {
        "linear", "identity", "sigmoid",
        "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    }
    if nonlinearity in linear_like:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is not None and (isinstance(param, bool) or not isinstance(param, numbers.Real)):
            raise ConfigError(f"calculate_gain: the negative slope of leaky_relu must be a number, got {param!r}")
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ConfigError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}")


def uniform_(tensor, a: float = 0.0, b: float = 1.0):
    return draws.uniform(tensor, a, b, op="uniform_")


def normal_(tensor, mean: float = 0.0, std: float = 1.0):
    return draws.normal(tensor, mean, std, op="normal_")


def constant_(tensor, val: float):
    return draws.fill(tensor, val)


def zeros_(tensor):
    return draws.fill(tensor, 0.0)


def ones_(tensor):
    return draws.fill(tensor, 1.0)


def _empty(tensor, warn: bool = False) -> bool:
    """True for a tensor with no elements, which the fan-based draws skip (its fans may be 0, and
    there is nothing to fill); the Kaiming draws warn about it, as PyTorch's do."""
    if tensor.data.size:
        return False
    if warn:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
    return True


def xavier_uniform_(tensor, gain: float = 1.0):
    """U(−a, a) with a = gain·√(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    if _empty(tensor):
        return tensor
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain: float = 1.0):
    """N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    if _empty(tensor):
        return tensor
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ConfigError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """U(−b, b) with b = gain·√(3 / fan) (He et al., 2015)."""
    if _empty(tensor, warn=True):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """N(0, std²) with std = gain / √fan."""
    if _empty(tensor, warn=True):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))
