"""Weight normalization and spectral normalization as parametrizations (PyTorch's
``nn.utils.parametrizations``): the layer's weight is computed from parameters of its own each time
it is read, and the gradient flows to those.

* weight_norm: w = g · v / ‖v‖, the norm over every axis but ``dim`` (over all of them for
  ``dim=None``), so that the length g of each output unit's weights is learned apart from their
  direction v (Salimans and Kingma, 2016). ``original0`` is g, ``original1`` is v.
* spectral_norm: w = W / σ(W), σ the largest singular value of W seen as a matrix (``dim``'s axis
  the rows), estimated by power iteration (Miyato et al., 2018). The vectors ``_u`` and ``_v`` of the
  iteration are buffers, moved ``n_power_iterations`` steps each time the weight is read in training
  mode and left alone in evaluation mode; σ = uᵀ·W·v is differentiated with u and v held fixed.
"""

from __future__ import annotations

import numbers

import numpy as np

from ... import ops
from ...errors import ConfigError
from ...random import numpy_generator
from ...tensor import Tensor
from ..conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..module import Module
from .parametrize import register_parametrization


def _axes_but(dim, ndim: int) -> tuple:
    """The axes a norm runs over: all but ``dim`` (all of them for dim −1, as PyTorch reads it)."""
    return tuple(range(ndim)) if dim == -1 else tuple(a for a in range(ndim) if a != dim)


def _norm_but(v, dim):
    """‖v‖ over every axis but ``dim``, kept as axes of length 1 (a tensor for a tensor)."""
    axes = _axes_but(dim, len(v.shape))
    if isinstance(v, Tensor):
        return ops.sqrt(ops.sum(ops.mul(v, v), axes, keepdims=True)) if axes else ops.abs(v)
    return np.sqrt(np.sum(v * v, axis=axes, keepdims=True)) if axes else np.abs(v)


class _WeightNorm(Module):
    """w = g · v / ‖v‖ (see the module's text)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return ops.mul(weight_v, ops.div(weight_g, _norm_but(weight_v, self.dim)))

    def right_inverse(self, weight):
        """(g, v) for a given w: its norms and itself."""
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        g = _norm_but(w, self.dim)
        return (g.reshape(()) if self.dim == -1 else g), w.copy()

    def spec(self) -> dict:
        return {"kind": "weight_norm", "dim": None if self.dim == -1 else self.dim}


def _normalized(x: np.ndarray, eps: float) -> np.ndarray:
    return x / max(float(np.linalg.norm(x)), eps)


class _SpectralNorm(Module):
    """w = W / σ(W) with σ from power iteration (see the module's text). ``v_first`` runs each step
    of the iteration as the older ``nn.utils.spectral_norm`` does, v before u."""

    def __init__(self, weight: np.ndarray, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12,
                 v_first: bool = False):
        super().__init__()
        self._v_first = v_first
        self.dim = dim + weight.ndim if dim < 0 else dim
        self.eps = eps
        self.n_power_iterations = n_power_iterations
        if weight.ndim > 1:
            rows, columns = self._matrix(weight).shape
            rng = numpy_generator()
            self.register_buffer("_u", _normalized(rng.standard_normal(rows).astype(weight.dtype), eps))
            self.register_buffer("_v", _normalized(rng.standard_normal(columns).astype(weight.dtype), eps))
            self._power_method(weight, 15)  # as PyTorch starts: u and v close to the singular vectors

    def _matrix(self, w: np.ndarray) -> np.ndarray:
        return np.moveaxis(w, self.dim, 0).reshape(w.shape[self.dim], -1)

    def _power_method(self, weight: np.ndarray, steps: int) -> None:
        """u ← W·v / ‖W·v‖, v ← Wᵀ·u / ‖Wᵀ·u‖ (the other way round with ``v_first``), ``steps``
        times, in the buffers' own arrays."""
        W = self._matrix(weight)
        halves = [("_u", W, "_v"), ("_v", W.T, "_u")]
        for _ in range(steps):
            for target, matrix, source in reversed(halves) if self._v_first else halves:
                getattr(self, target)[...] = _normalized(matrix @ getattr(self, source), self.eps)

    def forward(self, weight):
        if len(weight.shape) == 1:
            return ops.div(weight, ops.clamp_min(_norm_but(weight, -1), self.eps))  # a vector: its own direction
        if self.training:
            self._power_method(weight.data, self.n_power_iterations)
        # σ = uᵀ·W·v = Σ W ⊙ u·vᵀ: u·vᵀ laid out as the weight is, a constant of the graph
        shape = weight.shape
        moved = (shape[self.dim],) + tuple(n for axis, n in enumerate(shape) if axis != self.dim)
        outer = np.moveaxis(np.outer(self._u, self._v).reshape(moved), 0, self.dim)
        sigma = ops.sum(ops.mul(weight, outer.astype(weight.dtype)))
        return ops.div(weight, sigma)

    def right_inverse(self, weight):
        return weight

    def spec(self) -> dict:
        return {"kind": "spectral_norm", "n_power_iterations": self.n_power_iterations, "eps": self.eps,
                "dim": self.dim}


def _dim(owner: str, dim, ndim: int, allow_whole: bool) -> int:
    if dim is None and allow_whole:
        return -1
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not -ndim <= dim < ndim:
        raise ConfigError(f"{owner}: dim must be an axis of the {ndim}-d weight (from {-ndim} to {ndim - 1}"
                          f"{', or None' if allow_whole else ''}), got {dim!r}")
    return int(dim)


def _weight(owner: str, module, name: str):
    parameter = module._parameters.get(name) if isinstance(module, Module) else None
    if parameter is None:
        raise ConfigError(f"{owner}: {type(module).__name__} has no parameter named {name!r}")
    return parameter


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Parametrize ``module.<name>`` as g · v / ‖v‖ (norms over every axis but ``dim``; ``dim=None``
    or −1: one norm of the whole weight); returns the module."""
    weight = _weight("weight_norm", module, name)
    dim = _dim("weight_norm", dim, weight.data.ndim, True)
    return register_parametrization(module, name, _WeightNorm(dim if dim == -1 else dim % weight.data.ndim))


def spectral_options(module: Module, name: str, n_power_iterations, eps, dim) -> tuple:
    """(the weight, n_power_iterations, eps, dim) of a spectral norm of ``module.<name>``, checked;
    ``dim`` None is 1 for a transposed convolution (its output channels), else 0."""
    weight = _weight("spectral_norm", module, name)
    if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, (int, np.integer)) \
            or n_power_iterations <= 0:
        raise ConfigError(f"spectral_norm: n_power_iterations must be a positive integer, got {n_power_iterations!r}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
        raise ConfigError(f"spectral_norm: eps must be a positive number, got {eps!r}")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    return weight, int(n_power_iterations), float(eps), _dim("spectral_norm", dim, weight.data.ndim, False)


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Parametrize ``module.<name>`` as W / σ(W) (σ its largest singular value, by power iteration,
    the rows along ``dim``: 1 for a transposed convolution, else 0); returns the module."""
    weight, n_power_iterations, eps, dim = spectral_options(module, name, n_power_iterations, eps, dim)
    return register_parametrization(module, name, _SpectralNorm(weight.data, n_power_iterations, dim, eps))


__all__ = ["spectral_norm", "weight_norm"]
