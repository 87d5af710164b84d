"""The dense network's layers: Linear, and the plumbing around it (Identity, Flatten, Dropout)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import DEFAULT_DTYPE
from . import functional as F
from . import init
from .module import Module, Parameter, floating_dtype


class Linear(Module):
    """a = x·Wᵀ + b: every output node j gets Σ_i w_ji x_i + b_j (the seeds' weighted sum).

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,), both initialised
    as PyTorch does: U(−1/√in, 1/√in).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ConfigError(f"Linear: {name} must be a positive integer, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = floating_dtype("Linear", DEFAULT_DTYPE if dtype is None else dtype)
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


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def forward(self, x):
        return x

    def config(self) -> dict:
        return {}


class Flatten(Module):
    """Merge axes ``start_dim`` .. ``end_dim`` into one; by default everything but the batch axis."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)

    def config(self) -> dict:
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """During training, zero each element with probability ``p`` and scale the rest by 1/(1 − p);
    in ``eval()`` mode, do nothing."""

    def __init__(self, p: float = 0.5, inplace: bool = False):  # inplace: see nn/activation.py
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.number)) or not 0.0 <= p <= 1.0:
            raise ConfigError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def config(self) -> dict:
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p}"
