"""PyTorch's older ``nn.utils.weight_norm`` and ``remove_weight_norm``: weight normalization with
the parameters ``weight_g`` and ``weight_v`` on the layer itself (PyTorch deprecates it in favour
of :func:`deltaprop.nn.utils.parametrizations.weight_norm`, and so warns here too).

The layer's ``weight`` is w = g · v / ‖v‖, computed each time it is read (PyTorch recomputes it
before each forward); the layer becomes an instance of a class of its own, of the same name, whose
attribute ``weight`` is that computation.
"""

from __future__ import annotations

import warnings

from ...errors import ConfigError
from ...grad_mode import no_grad
from ..module import Module, Parameter
from .parametrizations import _WeightNorm, _dim, _weight


def _computed(name: str) -> property:
    def read(self):
        return self._weight_norms[name](getattr(self, name + "_g"), getattr(self, name + "_v"))

    read.__name__ = name
    return property(read, doc=f"{name} = {name}_g · {name}_v / ‖{name}_v‖, computed each time it is read")


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Replace ``module.<name>`` by ``<name>_g`` (its norms over every axis but ``dim``) and
    ``<name>_v`` (its direction); returns the module."""
    warnings.warn("nn.utils.weight_norm is deprecated in favor of nn.utils.parametrizations.weight_norm, as in "
                  "PyTorch", FutureWarning, stacklevel=2)
    if name in getattr(module, "_weight_norms", {}):
        raise ConfigError(f"weight_norm: {type(module).__name__}'s {name} has weight norm already")
    weight = _weight("weight_norm", module, name)
    dim = _dim("weight_norm", dim, weight.data.ndim, True)
    norm = _WeightNorm(dim if dim == -1 else dim % weight.data.ndim)
    g, v = norm.right_inverse(weight)
    delattr(module, name)
    module.register_parameter(name + "_g", Parameter(g, requires_grad=weight.requires_grad))
    module.register_parameter(name + "_v", Parameter(v, requires_grad=weight.requires_grad))
    cls = type(module)
    if "_weight_norms" not in module.__dict__:
        cls = type(cls.__name__, (cls,), {"_weight_norm_base": cls, "__module__": cls.__module__})
        object.__setattr__(module, "__class__", cls)
        object.__setattr__(module, "_weight_norms", {})
    module._weight_norms[name] = norm
    setattr(cls, name, _computed(name))
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Put back ``module.<name>`` as one parameter with its current value; returns the module."""
    norms = module.__dict__.get("_weight_norms", {})
    if name not in norms:
        raise ConfigError(f"remove_weight_norm: {type(module).__name__} has no weight norm of {name!r}")
    with no_grad():
        value = getattr(module, name)
    requires_grad = getattr(module, name + "_v").requires_grad
    del norms[name]
    delattr(type(module), name)
    delattr(module, name + "_g")
    delattr(module, name + "_v")
    if not norms:
        object.__delattr__(module, "_weight_norms")
        object.__setattr__(module, "__class__", type(module)._weight_norm_base)
    module.register_parameter(name, Parameter(value.data.copy(), requires_grad=requires_grad))
    return module
