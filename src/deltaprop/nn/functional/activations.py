"""Activations: element-wise nonlinearities, softmax and its relatives, shrinkage and gating, and the
random ones (RReLU, Gumbel-softmax).

``inplace``, where PyTorch's function takes it, is accepted and changes nothing; the forms that do
write into their input end in an underscore (:mod:`.in_place`).
"""

from __future__ import annotations

import numpy as np

from ... import ops
from ...errors import ConfigError
from ...ops.activation import real_option
from ...random import numpy_generator
from ._options import _dim, _flag

def sigmoid(input):
    return ops.sigmoid(input)


def tanh(input):
    return ops.tanh(input)


def _cast(input, dtype):
    """``input`` in ``dtype`` first, as PyTorch's ``dtype=`` of softmax does (its gradient comes back
    in the input's own dtype); None leaves it as it is."""
    return input if dtype is None else ops._core.operand(input).to(dtype)


def relu(input, inplace: bool = False):
    """max(0, x); ``inplace`` is taken for PyTorch code and changes nothing (see nn/activation.py)."""
    return ops.relu(input)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    return ops.leaky_relu(input, negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    return ops.elu(input, alpha)


def gelu(input, approximate: str = "none"):
    return ops.gelu(input, approximate)


def softmax(input, dim: int = -1, *, dtype=None):
    """exp(x_j) / Σ_k exp(x_k) along ``dim``; the last axis when none is given (see docs/porting.md:
    PyTorch's None picks an axis from the number of dimensions), in ``dtype`` if given."""
    return ops.softmax(_cast(input, dtype), dim)


def log_softmax(input, dim: int = -1, *, dtype=None):
    return ops.log_softmax(_cast(input, dtype), dim)


def silu(input, inplace: bool = False):
    return ops.silu(input)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    return ops.softplus(input, beta, threshold)


def mish(input, inplace: bool = False):
    return ops.mish(input)


def selu(input, inplace: bool = False):
    return ops.selu(input)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    return ops.celu(input, alpha)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    return ops.hardtanh(input, min_val, max_val)


def relu6(input, inplace: bool = False):
    return ops.relu6(input)


def prelu(input, weight):
    return ops.prelu(input, weight)


def logsigmoid(input):
    return ops.logsigmoid(input)


def softsign(input):
    return ops.softsign(input)


def hardswish(input, inplace: bool = False):
    return ops.hardswish(input)


def hardsigmoid(input, inplace: bool = False):
    return ops.hardsigmoid(input)


def softmin(input, dim: int = -1, *, dtype=None):
    """softmax(−input) along ``dim`` (−1 by default, as deltaprop's softmax; PyTorch's None picks an
    axis from the number of dimensions and warns), in ``dtype`` if given."""
    return ops.softmin(_cast(input, dtype), dim)


def tanhshrink(input):
    return ops.tanhshrink(input)


def threshold(input, threshold: float, value: float, inplace: bool = False):
    return ops.threshold(input, threshold, value)


# -- shrinkage and gating ----------------------------------------------------------------------------

hardshrink = ops.hardshrink
softshrink = ops.softshrink
def glu(input, dim: int = -1):
    return ops.glu(input, dim)


# -- random activations, drawn from the library's generator (deltaprop.manual_seed) ---------------------


def _slope_bounds(op: str, lower, upper) -> tuple:
    lower, upper = real_option(op, "lower", lower, finite=True), real_option(op, "upper", upper, finite=True)
    if lower > upper:
        raise ConfigError(f"{op}: lower must not exceed upper, got lower={lower} and upper={upper}")
    return lower, upper


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, inplace: bool = False):
    """Randomized leaky ReLU: x where x > 0, a·x elsewhere. In training each element draws its own
    slope a from U(lower, upper) (x ≤ 0 draws, as in PyTorch, so x = 0 gets a random gradient too);
    in evaluation a is the mean slope (lower + upper)/2. ``training`` is False by default, as in
    PyTorch's function (the layer passes its mode)."""
    lower, upper = _slope_bounds("rrelu", lower, upper)
    if not training:
        return ops.leaky_relu(input, (lower + upper) / 2)
    x = ops._core.operand(input)
    data = np.asarray(x.data)
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    draws = numpy_generator().uniform(lower, upper, size=data.shape).astype(dtype)
    return ops.mul(x, np.where(data <= 0, draws, dtype.type(1)))


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1):
    """softmax((logits + G)/tau) along ``dim``, G standard Gumbel noise (−log of an exponential draw):
    a differentiable sample of a categorical distribution. ``hard=True`` returns the one-hot of its
    largest entry, with the soft sample's gradient (straight-through: y_hard − detach(y) + y).
    ``eps`` is unused, as in PyTorch (where it is deprecated)."""
    op = "gumbel_softmax"
    tau = real_option(op, "tau", tau, nonzero=True)
    hard, dim = _flag(op, "hard", hard), _dim(op, dim)
    x = ops._core.operand(logits)
    data = np.asarray(x.data)
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    gumbels = (-np.log(numpy_generator().standard_exponential(size=data.shape))).astype(dtype)
    soft = ops.softmax(ops.div(ops.add(x, gumbels), tau), dim)
    if not hard:
        return soft
    index = np.expand_dims(np.argmax(soft.data, axis=dim), dim)
    one_hot_sample = np.zeros(data.shape, dtype=dtype)
    np.put_along_axis(one_hot_sample, index, 1, axis=dim)
    return ops.add(one_hot_sample - soft.data, soft)
