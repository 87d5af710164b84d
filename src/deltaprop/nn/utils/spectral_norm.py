"""PyTorch's older ``nn.utils.spectral_norm`` and ``remove_spectral_norm``: spectral normalization
with PyTorch's state-dict entries on the layer itself, ``weight_orig`` (the parameter W), and the
buffers ``weight_u`` and ``weight_v`` (the power iteration's vectors), for code and checkpoints
written for it (PyTorch now recommends :func:`deltaprop.nn.utils.parametrizations.spectral_norm`).

The layer's ``weight`` is W / σ(W), recomputed at the start of each forward pass: in training mode
after ``n_power_iterations`` steps of the power iteration (v ← Wᵀ·u/‖·‖, then u ← W·v/‖·‖, in the
order of PyTorch's older form), with u and v as they are in evaluation mode; σ = uᵀ·W·v, the
gradient flowing to W with u and v held fixed. Between forward passes ``weight`` is the value the
last one computed (W itself before the first). The computation is the parametrization's
(parametrizations.py), whose vectors are these buffers; u and v start 15 iteration steps in, close
to the singular vectors (PyTorch's older form starts them at random).

The layer becomes an instance of a class of its own, of the same name, whose forward recomputes
the weight first; a model file therefore records it as a custom class (its weights load into a
model built with the same calls), as the older weight_norm's.
"""

from __future__ import annotations

from ... import ops
from ...errors import ConfigError
from ...grad_mode import no_grad
from ...tensor import Tensor
from ..module import Module, Parameter
from .parametrizations import _SpectralNorm, spectral_options


def _compute(module: Module, name: str, training: bool):
    """W / σ(W) for ``module.<name>_orig``, the iteration run in the buffers ``<name>_u`` and ``<name>_v``."""
    norm = module._spectral_norms[name]
    # the buffers as they are now (a load_state_dict(assign=True) puts new arrays in their place)
    norm._set_buffer("_u", getattr(module, name + "_u"))
    norm._set_buffer("_v", getattr(module, name + "_v"))
    object.__setattr__(norm, "training", training)
    weight = getattr(module, name + "_orig")
    if len(weight.shape) != 1:
        return norm(weight)
    # a vector is a one-column matrix, as PyTorch's older form takes it
    return ops.reshape(norm(ops.reshape(weight, (-1, 1))), weight.shape)


def _forward(module: Module, *args, **kwargs):
    for name in module._spectral_norms:
        object.__setattr__(module, name, _compute(module, name, module.training))
    return module._spectral_norm_base.forward(module, *args, **kwargs)


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Replace ``module.<name>`` by ``<name>_orig`` (the same parameter), with the buffers
    ``<name>_u`` and ``<name>_v``; from then on each forward pass computes ``<name>`` = W / σ(W)
    first (the rows of W along ``dim``: 1 for a transposed convolution, else 0). Returns the module."""
    if name in module.__dict__.get("_spectral_norms", {}):
        raise ConfigError(f"spectral_norm: {type(module).__name__}'s {name} has spectral norm already")
    weight, n_power_iterations, eps, dim = spectral_options(module, name, n_power_iterations, eps, dim)
    matrix = weight.data if weight.data.ndim > 1 else weight.data.reshape(-1, 1)
    norm = _SpectralNorm(matrix, n_power_iterations, dim, eps, v_first=True)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", norm._u)
    module.register_buffer(name + "_v", norm._v)
    object.__setattr__(module, name, Tensor._wrap(weight.data))  # W itself until the first forward pass
    if "_spectral_norms" not in module.__dict__:
        base = type(module)
        cls = type(base.__name__, (base,), {"_spectral_norm_base": base, "forward": _forward,
                                            "__module__": base.__module__})
        object.__setattr__(module, "__class__", cls)
        object.__setattr__(module, "_spectral_norms", {})
    module._spectral_norms[name] = norm
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Put back ``module.<name>`` as one parameter holding W / σ(W) with the current u and v (no
    iteration step); ``<name>_orig``, ``<name>_u`` and ``<name>_v`` go. Returns the module."""
    norms = module.__dict__.get("_spectral_norms", {})
    if name not in norms:
        raise ConfigError(f"remove_spectral_norm: {type(module).__name__} has no spectral norm of {name!r}")
    with no_grad():
        value = _compute(module, name, training=False)
    del norms[name]
    for suffix in ("_orig", "_u", "_v"):
        delattr(module, name + suffix)
    object.__delattr__(module, name)
    if not norms:
        object.__delattr__(module, "_spectral_norms")
        object.__setattr__(module, "__class__", type(module)._spectral_norm_base)
    module.register_parameter(name, Parameter(value.data.copy()))
    return module
