"""Activation layers g: the nonlinearity applied to each node's weighted sum, o = g(a)."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..devices import on_cpu
from ..errors import ConfigError, ShapeError
from ..ops.activation import real_option
from ..tensor import get_default_dtype
from . import functional as F
from ._options import plain_number, real_as_given
from .module import Module, Parameter, floating_dtype


# ``inplace`` (ReLU, LeakyReLU, ELU, Dropout, and every layer below to which PyTorch gives it) is
# taken for PyTorch code and changes nothing here: the result is the same, only the input is left as
# it was (PyTorch overwrites it to save memory).


class ReLU(Module):
    """max(0, a)."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x):
        return ops.relu(x)  # the primitive itself: F.relu adds a call for its ``inplace``

    def config(self) -> dict:
        return {}


class LeakyReLU(Module):
    """a for a > 0, negative_slope·a otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = real_as_given("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def config(self) -> dict:
        return {"negative_slope": self.negative_slope}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """σ(a) = 1 / (1 + e^(−a)), the seeds' classic activation; σ' = σ(1 − σ)."""

    def forward(self, x):
        return ops.sigmoid(x)

    def config(self) -> dict:
        return {}


class Tanh(Module):
    """tanh(a); tanh' = 1 − tanh²."""

    def forward(self, x):
        return ops.tanh(x)

    def config(self) -> dict:
        return {}


class Softmax(Module):
    """exp(a_j) / Σ_k exp(a_k) along ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = plain_number(dim)

    def forward(self, x):
        return F.softmax(x, self.dim)

    def config(self) -> dict:
        return {"dim": self.dim}

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax along ``dim``, computed stably (a − max − log Σ exp(a − max))."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = plain_number(dim)

    def forward(self, x):
        return F.log_softmax(x, self.dim)

    def config(self) -> dict:
        return {"dim": self.dim}

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GELU(Module):
    """a·Φ(a) with Φ the normal CDF (``approximate='tanh'`` for the tanh formula)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ConfigError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def config(self) -> dict:
        return {"approximate": self.approximate}

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class ELU(Module):
    """a for a > 0, alpha·(e^a − 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = real_as_given("ELU", "alpha", alpha)

    def forward(self, x):
        return F.elu(x, self.alpha)

    def config(self) -> dict:
        return {"alpha": self.alpha}

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


# -- the rest of PyTorch's activations ---------------------------------------------------------------
# Their options are checked here, with the layer's name, so a model file with a NaN beta or bounds in
# the wrong order is refused when it is loaded (see serialization.build), not at the first batch.


class SiLU(Module):
    """SiLU or swish: o = a·σ(a); o' = σ(a)(1 + a(1 − σ(a)))."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x):
        return ops.silu(x)

    def config(self) -> dict:
        return {}


class Softplus(Module):
    """o = (1/β)·log(1 + e^(βa)), a smooth ReLU; o' = σ(βa). Where βa > threshold, o = a (o' = 1).

    ``beta`` must be finite and nonzero; ``threshold`` any number but NaN.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = real_as_given("Softplus", "beta", beta, finite=True, nonzero=True)
        self.threshold = real_as_given("Softplus", "threshold", threshold)

    def forward(self, x):
        return ops.softplus(x, self.beta, self.threshold)

    def config(self) -> dict:
        return {"beta": self.beta, "threshold": self.threshold}

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Mish(Module):
    """o = a·tanh(softplus(a)); with t = tanh(softplus(a)), o' = t + a·σ(a)(1 − t²)."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x):
        return ops.mish(x)

    def config(self) -> dict:
        return {}


class SELU(Module):
    """o = λa for a > 0, λα(e^a − 1) otherwise, with λ ≈ 1.0507 and α ≈ 1.6733 (self-normalizing);
    o' = λ for a > 0, λα·e^a otherwise."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x):
        return ops.selu(x)

    def config(self) -> dict:
        return {}


class CELU(Module):
    """o = max(0, a) + min(0, α(e^(a/α) − 1)); o' = 1 for a > 0, e^(a/α) otherwise. ``alpha``
    must be finite and nonzero."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = real_as_given("CELU", "alpha", alpha, finite=True, nonzero=True)

    def forward(self, x):
        return ops.celu(x, self.alpha)

    def config(self) -> dict:
        return {"alpha": self.alpha}

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Hardtanh(Module):
    """o = a clipped to [min_val, max_val]; o' = 1 strictly inside, 0 at and beyond the bounds.
    max_val must exceed min_val (PyTorch's layer asks the same)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        self.min_val = real_as_given(type(self).__name__, "min_val", min_val)
        self.max_val = real_as_given(type(self).__name__, "max_val", max_val)
        if not self.max_val > self.min_val:
            raise ConfigError(f"{type(self).__name__}: max_val must be greater than min_val, got min_val={self.min_val} "
                              f"and max_val={self.max_val}")

    def forward(self, x):
        return ops.hardtanh(x, self.min_val, self.max_val)

    def config(self) -> dict:
        return {"min_val": self.min_val, "max_val": self.max_val}

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Module):
    """o = min(max(0, a), 6); o' = 1 for 0 < a < 6, else 0."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x):
        return ops.relu6(x)

    def config(self) -> dict:
        return {}


class PReLU(Module):
    """o = a for a > 0, w·a otherwise, with w learned: one ``weight`` shared by every element
    (``num_parameters=1``) or one per channel, axis 1 of the input. ∂o/∂a = 1 or w; ∂o/∂w = 0 or a,
    summed over the elements that share w. Each w starts at ``init`` (0.25)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        on_cpu("PReLU", device)
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer)) or num_parameters <= 0:
            raise ConfigError(f"PReLU: num_parameters must be a positive integer, got {num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.init = real_option("PReLU", "init", init, finite=True)
        dtype = floating_dtype("PReLU", get_default_dtype() if dtype is None else dtype)
        self.weight = Parameter(np.full(self.num_parameters, self.init, dtype=dtype))

    def forward(self, x):
        try:
            return ops.prelu(x, self.weight)
        except ShapeError as error:
            raise ShapeError(f"PReLU(num_parameters={self.num_parameters}): {str(error).removeprefix('prelu: ')}") from None

    def config(self) -> dict:
        return {"num_parameters": self.num_parameters, "init": self.init, "dtype": self.weight.dtype.name}

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class LogSigmoid(Module):
    """o = log σ(a), computed as min(a, 0) − log(1 + e^(−|a|)) so it stays finite; o' = σ(−a)."""

    def forward(self, x):
        return ops.logsigmoid(x)

    def config(self) -> dict:
        return {}


class Softsign(Module):
    """o = a / (1 + |a|); o' = 1 / (1 + |a|)²."""

    def forward(self, x):
        return ops.softsign(x)

    def config(self) -> dict:
        return {}


class Hardswish(Module):
    """o = a·min(max(a + 3, 0), 6)/6; o' = 0 for a <= −3, a/3 + ½ for −3 < a < 3, 1 from 3 on."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x):
        return ops.hardswish(x)

    def config(self) -> dict:
        return {}


class Hardsigmoid(Module):
    """o = min(max(a + 3, 0), 6)/6; o' = 1/6 for −3 < a < 3, else 0."""

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x):
        return ops.hardsigmoid(x)

    def config(self) -> dict:
        return {}


class Softmin(Module):
    """e^(−a_j) / Σ_k e^(−a_k) along ``dim`` (−1 by default, as Softmax here; PyTorch's default,
    None, picks an axis from the number of dimensions and warns)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise ConfigError(f"Softmin: dim must be an integer (an axis), got {dim!r}")
        self.dim = int(dim)

    def forward(self, x):
        return ops.softmin(x, self.dim)

    def config(self) -> dict:
        return {"dim": self.dim}

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Tanhshrink(Module):
    """o = a − tanh(a); o' = tanh²(a)."""

    def forward(self, x):
        return ops.tanhshrink(x)

    def config(self) -> dict:
        return {}


class Threshold(Module):
    """o = a where a > threshold, ``value`` elsewhere; o' = 1 where a > threshold, else 0. Both
    are needed (PyTorch has no defaults either) and neither may be NaN."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = real_as_given("Threshold", "threshold", threshold)
        self.value = real_as_given("Threshold", "value", value)

    def forward(self, x):
        return ops.threshold(x, self.threshold, self.value)

    def config(self) -> dict:
        return {"threshold": self.threshold, "value": self.value}

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}"



class Hardshrink(Module):
    """o = a where |a| > λ (``lambd``, 0.5 by default), 0 in [−λ, λ]; o' = 1 outside, 0 inside."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = real_as_given("Hardshrink", "lambd", lambd)

    def forward(self, x):
        return ops.hardshrink(x, self.lambd)

    def config(self) -> dict:
        return {"lambd": self.lambd}

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Module):
    """o = a − λ above λ, a + λ below −λ, 0 in between (``lambd`` λ >= 0, 0.5 by default); o' = 1
    outside [−λ, λ], 0 inside."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = real_as_given("Softshrink", "lambd", lambd)
        if self.lambd < 0:
            raise ConfigError(f"Softshrink: lambd must be a non-negative number, got {self.lambd}")

    def forward(self, x):
        return ops.softshrink(x, self.lambd)

    def config(self) -> dict:
        return {"lambd": self.lambd}

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class GLU(Module):
    """The gated linear unit: the input halved along ``dim`` into u and v, o = u·σ(v) (the axis
    must have even length; the output has half of it)."""

    def __init__(self, dim: int = -1):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise ConfigError(f"GLU: dim must be an integer (an axis), got {dim!r}")
        self.dim = int(dim)

    def forward(self, x):
        return ops.glu(x, self.dim)

    def config(self) -> dict:
        return {"dim": self.dim}

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels at every position of an image batch: axis −3 of an (N, C, H, W)
    or (C, H, W) input."""

    def forward(self, x):
        shape = tuple(np.shape(getattr(x, "data", x)))
        if len(shape) not in (3, 4):
            raise ShapeError(f"Softmax2d: expected input of shape (N, C, H, W) or (C, H, W), got shape {shape}")
        return ops.softmax(x, -3)

    def config(self) -> dict:
        return {}


#: The element-wise activations by the name PyTorch's functional API gives them: what an option
#: such as ``deltaprop train --activation`` accepts.
ELEMENTWISE = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "leaky_relu": LeakyReLU,
    "gelu": GELU,
    "elu": ELU,
    # the element-wise ones added later whose options all have defaults (not Threshold, which has none)
    "silu": SiLU,
    "softplus": Softplus,
    "mish": Mish,
    "selu": SELU,
    "celu": CELU,
    "hardtanh": Hardtanh,
    "relu6": ReLU6,
    "prelu": PReLU,
    "logsigmoid": LogSigmoid,
    "softsign": Softsign,
    "hardswish": Hardswish,
    "hardsigmoid": Hardsigmoid,
    "tanhshrink": Tanhshrink,
}


class RReLU(Module):
    """Randomized leaky ReLU: in training each negative element gets its own slope drawn from
    U(lower, upper) (from the library's generator, seeded by ``deltaprop.manual_seed``); in ``eval()``
    the mean slope (lower + upper)/2, deterministic."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        F.activations._slope_bounds("RReLU", lower, upper)  # (checked; kept as given, as in PyTorch)
        self.lower, self.upper = plain_number(lower), plain_number(upper)
        self.inplace = bool(inplace)

    def forward(self, x):
        return F.rrelu(x, self.lower, self.upper, self.training)

    def config(self) -> dict:
        return {"lower": self.lower, "upper": self.upper, "inplace": self.inplace}

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")
