"""Activation layers g: the nonlinearity applied to each node's weighted sum, o = g(a)."""

from __future__ import annotations

from .. import ops
from ..errors import ConfigError
from . import functional as F
from .module import Module


# ``inplace`` (ReLU, LeakyReLU, ELU, Dropout) is taken for PyTorch code and changes nothing here:
# the result is the same, only the input is left as it was (PyTorch overwrites it to save memory).


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
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def config(self) -> dict:
        return {"negative_slope": self.negative_slope}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """σ(a) = 1 / (1 + e^(−a)), the seeds' classic activation; σ' = σ(1 − σ)."""

    def forward(self, x):
        return F.sigmoid(x)

    def config(self) -> dict:
        return {}


class Tanh(Module):
    """tanh(a); tanh' = 1 − tanh²."""

    def forward(self, x):
        return F.tanh(x)

    def config(self) -> dict:
        return {}


class Softmax(Module):
    """exp(a_j) / Σ_k exp(a_k) along ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

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
        self.dim = dim

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
        self.alpha = float(alpha)

    def forward(self, x):
        return F.elu(x, self.alpha)

    def config(self) -> dict:
        return {"alpha": self.alpha}

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


#: The element-wise activations by the name PyTorch's functional API gives them: what an option
#: such as ``deltaprop train --activation`` accepts.
ELEMENTWISE = {
    "relu": ReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "leaky_relu": LeakyReLU,
    "gelu": GELU,
    "elu": ELU,
}
