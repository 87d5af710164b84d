"""Weight initialisation, in place, with PyTorch's names and formulas.

Each function fills a tensor, or the NumPy array a parameter's ``.data`` is: code ported from
PyTorch that writes ``nn.init.normal_(m.weight.data, 0.0, 0.02)`` fills the weight itself.

fan_in and fan_out count the inputs and outputs of one unit: for a Linear weight of shape
(out, in) they are ``in`` and ``out``; for a convolution weight (out, in, *kernel) they are
multiplied by the kernel size. Draws come from the library's generator (``deltaprop.manual_seed``),
or from the :class:`deltaprop.Generator` given as ``generator=``, as PyTorch 2's take one.

PyTorch's set: ``uniform_``, ``normal_``, ``trunc_normal_``, ``constant_``, ``zeros_``, ``ones_``,
``eye_``, ``dirac_``, ``xavier_uniform_``/``xavier_normal_``, ``kaiming_uniform_``/``kaiming_normal_``
(``mode``, ``nonlinearity``), ``orthogonal_``, ``sparse_`` and ``calculate_gain``. The random ones
draw as PyTorch's do in distribution, not value for value (the generators differ).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import draws
from ..errors import ConfigError, ShapeError
from ..random import numpy_generator


def _fans(op: str, tensor) -> tuple[int, int]:
    shape = draws.values_of(op, tensor).shape
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


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    return draws.uniform(tensor, a, b, op="uniform_", generator=generator)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    return draws.normal(tensor, mean, std, op="normal_", generator=generator)


def constant_(tensor, val: float):
    return draws.fill(tensor, val, "constant_")


def zeros_(tensor):
    return draws.fill(tensor, 0.0, "zeros_")


def ones_(tensor):
    return draws.fill(tensor, 1.0, "ones_")


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator=None):
    """N(mean, std²) truncated to [a, b]: every value lies in [a, b], distributed there as the
    normal distribution is (a ViT's or a transformer's weights, with std=0.02, a=−2, b=2 absolute
    bounds as in PyTorch, not multiples of std).

    Where [a, b] holds most of the distribution, normal draws outside it are drawn again; where it
    holds little (a mean far outside it, a narrow window), draws are uniform on [a, b], each kept
    with probability exp(−(x − mean)²/2std²) relative to the density's peak inside [a, b]. A mean
    more than 2 std outside [a, b] warns, as in PyTorch.
    """
    shape = draws._continuous("trunc_normal_", tensor)
    if not std > 0:
        raise ConfigError(f"trunc_normal_: std must be above 0, got {std}")
    if not a <= b:
        raise ConfigError(f"trunc_normal_: the bounds must have a <= b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            f"trunc_normal_: mean={mean} is more than 2 std from [a, b] = [{a}, {b}], so the values pile up at "
            "the nearer bound", UserWarning, stacklevel=2,
        )
    rng = numpy_generator(generator, "trunc_normal_")
    count = math.prod(shape)
    mass = (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2)))) / 2
    if mass > 0.3:
        values = rng.normal(mean, std, count)
        outside = np.flatnonzero((values < a) | (values > b))
        while outside.size:
            values[outside] = rng.normal(mean, std, outside.size)
            outside = outside[(values[outside] < a) | (values[outside] > b)]
    else:
        peak = min(max(mean, a), b)  # where the density is highest inside [a, b]
        values = np.empty(count)
        pending = np.arange(count)
        while pending.size:
            x = rng.uniform(a, b, pending.size)
            keep = np.log(rng.random(pending.size)) <= ((peak - mean) ** 2 - (x - mean) ** 2) / (2 * std * std)
            values[pending[keep]] = x[keep]
            pending = pending[~keep]
    return draws.fill(tensor, np.clip(values, a, b).reshape(shape))


def orthogonal_(tensor, gain: float = 1.0, generator=None):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013): the tensor seen as a matrix of
    ``shape[0]`` rows and the product of the other sizes as columns gets orthonormal rows (where it
    has no more rows than columns) or orthonormal columns. It is the Q of the QR decomposition of a
    standard normal matrix, its columns' signs set by R's diagonal so that Q is uniformly
    distributed (Haar) over the orthogonal matrices."""
    shape = draws._continuous("orthogonal_", tensor)
    if len(shape) < 2:
        raise ShapeError(f"orthogonal_: needs a tensor with at least 2 dimensions, got shape {shape}")
    if not math.prod(shape):
        return tensor
    rows = shape[0]
    columns = math.prod(shape) // rows
    matrix = numpy_generator(generator, "orthogonal_").normal(0.0, 1.0, (rows, columns))
    if rows < columns:
        matrix = matrix.T  # QR of the tall side; Q's columns become the rows
    q, r = np.linalg.qr(matrix)
    q *= np.where(np.diagonal(r) < 0, -1.0, 1.0)
    if rows < columns:
        q = q.T
    return draws.fill(tensor, (q * gain).reshape(shape))


def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None):
    """A 2-D tensor drawn from N(0, std²) with ⌈sparsity · rows⌉ of each column's values, at
    random rows, set to zero (Martens, 2010)."""
    shape = draws._continuous("sparse_", tensor)
    if len(shape) != 2:
        raise ShapeError(f"sparse_: needs a 2-dimensional tensor, got shape {shape}")
    if isinstance(sparsity, bool) or not isinstance(sparsity, numbers.Real) or not 0 <= sparsity <= 1:
        raise ConfigError(f"sparse_: sparsity must be a fraction in [0, 1], got {sparsity!r}")
    if not std >= 0:
        raise ConfigError(f"sparse_: std must be at least 0, got {std}")
    rows, columns = shape
    rng = numpy_generator(generator, "sparse_")
    values = rng.normal(0.0, std, shape)
    zeros = math.ceil(sparsity * rows)
    if zeros and columns:
        chosen = np.argsort(rng.random(shape), axis=0)[:zeros]  # distinct random rows, per column
        values[chosen, np.arange(columns)] = 0.0
    return draws.fill(tensor, values)


def eye_(tensor):
    """The identity matrix in a 2-D tensor (ones on the main diagonal of a rectangle too), which
    passes as many of a Linear layer's inputs on unchanged as it has outputs."""
    shape = draws.values_of("eye_", tensor).shape
    if len(shape) != 2:
        raise ShapeError(f"eye_: needs a 2-dimensional tensor, got shape {shape}")
    return draws.fill(tensor, np.eye(*shape), "eye_")


def dirac_(tensor, groups: int = 1):
    """A convolution weight (3, 4 or 5 dimensions: out, in, *kernel) that passes its input channels
    on unchanged: in each of ``groups`` groups of output channels, output channel d of the group has a
    1 at input channel d and the kernel's centre (index size // 2 along each kernel axis), for as many
    channels as the group has outputs and the weight has inputs; zeros elsewhere."""
    shape = draws.values_of("dirac_", tensor).shape
    if len(shape) not in (3, 4, 5):
        raise ShapeError(f"dirac_: needs a convolution weight with 3, 4 or 5 dimensions, got shape {shape}")
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ConfigError(f"dirac_: groups must be a positive integer, got {groups!r}")
    if shape[0] % groups:
        raise ShapeError(f"dirac_: {shape[0]} output channels do not divide into groups={groups}")
    per_group = shape[0] // groups
    channels = np.arange(min(per_group, shape[1]))
    centre = tuple(size // 2 for size in shape[2:])
    values = np.zeros(shape)
    for g in range(groups):
        values[(g * per_group + channels, channels, *centre)] = 1.0
    return draws.fill(tensor, values, "dirac_")


def _empty(op: str, tensor, warn: bool = False) -> bool:
    """True for a tensor with no elements, which the fan-based draws skip (its fans may be 0, and
    there is nothing to fill); the Kaiming draws warn about it, as PyTorch's do."""
    if draws.values_of(op, tensor).size:
        return False
    if warn:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
    return True


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """U(−a, a) with a = gain·√(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    if _empty("xavier_uniform_", tensor):
        return tensor
    fan_in, fan_out = _fans("xavier_uniform_", tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return draws.uniform(tensor, -bound, bound, op="xavier_uniform_", generator=generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    if _empty("xavier_normal_", tensor):
        return tensor
    fan_in, fan_out = _fans("xavier_normal_", tensor)
    return draws.normal(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), op="xavier_normal_",
                        generator=generator)


def _kaiming_std(op: str, tensor, a, mode, nonlinearity) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ConfigError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(op, tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """U(−b, b) with b = gain·√(3 / fan) (He et al., 2015)."""
    if _empty("kaiming_uniform_", tensor, warn=True):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    return draws.uniform(tensor, -bound, bound, op="kaiming_uniform_", generator=generator)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator=None):
    """N(0, std²) with std = gain / √fan."""
    if _empty("kaiming_normal_", tensor, warn=True):
        return tensor
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    return draws.normal(tensor, 0.0, std, op="kaiming_normal_",
                        generator=generator)


# PyTorch's older names without the trailing underscore (``nn.init.xavier_uniform(m.weight)`` in
# pytorch/examples' siamese network), kept by PyTorch 2.13 with a FutureWarning: they warn here too
# and fill the tensor as the new name does.
def _deprecated_name(new):
    old_name = new.__name__[:-1]

    def old(*args, **kwargs):
        warnings.warn(f"nn.init.{old_name} is deprecated, as in PyTorch; use nn.init.{new.__name__}", FutureWarning,
                      stacklevel=2)
        return new(*args, **kwargs)

    old.__name__ = old.__qualname__ = old_name
    old.__doc__ = f"Deprecated: :func:`{new.__name__}`, with a FutureWarning."
    return old


uniform, normal, constant, eye, dirac, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, orthogonal, \
    sparse = (_deprecated_name(new) for new in (uniform_, normal_, constant_, eye_, dirac_, xavier_uniform_, xavier_normal_,
                                                kaiming_uniform_, kaiming_normal_, orthogonal_, sparse_))
