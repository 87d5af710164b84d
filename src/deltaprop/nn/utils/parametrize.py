"""Parametrized tensors, as PyTorch's ``nn.utils.parametrize``: a layer's weight computed from other
parameters every time it is read.

``register_parametrization(layer, "weight", p)`` replaces the parameter ``layer.weight`` by what it
is made from, ``layer.parametrizations.weight.original`` (or ``original0``, ``original1``, … when
``p.right_inverse`` splits the weight in several), and from then on reading ``layer.weight`` gives
``p(original)``: recorded on the graph, so that a loss's gradient reaches the originals. The
layer's own ``forward`` stays as it is; the layer becomes an instance of a class of its own,
``Parametrized<Class>``, whose attribute ``weight`` is that computation (PyTorch does the same).
State-dict keys are PyTorch's: ``parametrizations.weight.original0`` and so on.
"""

from __future__ import annotations

from ...errors import ConfigError
from ...grad_mode import no_grad
from ...tensor import Tensor
from ..container import ModuleDict, ModuleList
from ..module import Module, Parameter


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor (here one, as a list for PyTorch's names: ``0``) and the
    parameters it is computed from (``original``, or ``original0``, ``original1``, …)."""

    def __init__(self, modules, originals: tuple):
        super().__init__(modules)
        self.is_tensor = len(originals) == 1  # PyTorch's name: one original, not several
        self.ntensors = len(originals)
        if self.is_tensor:
            self.original = originals[0]
        else:
            for i, original in enumerate(originals):
                setattr(self, f"original{i}", original)

    def originals(self) -> tuple:
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def forward(self):
        value = self[0](*self.originals())
        for parametrization in list(self)[1:]:
            value = parametrization(value)
        return value


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrized tensor (``tensor_name``, or any)."""
    registry = module._modules.get("parametrizations")
    if not isinstance(registry, ModuleDict):
        return False
    return len(registry) > 0 if tensor_name is None else tensor_name in registry._modules


def _parametrized_class(module: Module) -> type:
    """The module's class of its own, ``Parametrized<Class>``, made on its first parametrization."""
    cls = type(module)
    if getattr(cls, "_parametrized_base", None) is not None:
        return cls

    def __setattr__(self, name, value):
        if is_parametrized(self, name):
            raise AttributeError(f"{type(self).__name__}: {name} is parametrized ({type(self.parametrizations[name][0]).__name__}), "
                                 f"so it cannot be assigned; change parametrizations.{name}'s originals, or remove the "
                                 "parametrization first")
        cls.__setattr__(self, name, value)

    new = type(f"Parametrized{cls.__name__}", (cls,), {"_parametrized_base": cls, "__setattr__": __setattr__,
                                                         "__module__": cls.__module__})
    object.__setattr__(module, "__class__", new)
    return new


def _computed(name: str) -> property:
    def read(self) -> Tensor:
        return self.parametrizations[name]()

    read.__name__ = name
    return property(read, doc=f"{name}, computed from parametrizations.{name} each time it is read")


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False) -> Module:
    """Make ``module.<tensor_name>`` be ``parametrization(original)`` from now on (see the module's
    text); returns the module. The parameter's values become the original's, or, when the
    parametrization has ``right_inverse``, what that gives for them (one array or a tuple)."""
    owner = type(module).__name__
    if not isinstance(parametrization, Module):
        raise TypeError(f"register_parametrization: the parametrization must be an nn.Module, got a "
                        f"{type(parametrization).__name__}")
    if is_parametrized(module, tensor_name):
        raise ConfigError(f"register_parametrization: {owner}'s {tensor_name} is parametrized already; remove that "
                          "parametrization first (stacking them is not supported)")
    parameter = module._parameters.get(tensor_name)
    if parameter is None:
        raise ConfigError(f"register_parametrization: {owner} has no parameter named {tensor_name!r} to parametrize")
    with no_grad():
        inverse = getattr(parametrization, "right_inverse", None)
        values = inverse(parameter) if callable(inverse) else parameter
    values = values if isinstance(values, (tuple, list)) else (values,)
    originals = tuple(Parameter(v.data if isinstance(v, Tensor) else v, requires_grad=parameter.requires_grad)
                      for v in values)
    if len(originals) == 1 and originals[0].data.shape == parameter.data.shape and not callable(inverse):
        originals = (parameter,)  # the parameter itself, as PyTorch keeps it: an optimizer holding it goes on working
    delattr(module, tensor_name)
    if not isinstance(module._modules.get("parametrizations"), ModuleDict):
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = ParametrizationList([parametrization], originals)
    setattr(_parametrized_class(module), tensor_name, _computed(tensor_name))
    return module


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Make ``module.<tensor_name>`` a plain parameter again: its current value (``leave_parametrized``)
    or the original (which needs one original). Returns the module, of its own class again once
    nothing of it is parametrized."""
    owner = type(module).__name__
    if not is_parametrized(module, tensor_name):
        raise ConfigError(f"remove_parametrizations: {owner} has no parametrized tensor named {tensor_name!r}")
    chain = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = chain()
        parameter = Parameter(value.data.copy(), requires_grad=chain.originals()[0].requires_grad)
    elif chain.is_tensor:
        parameter = chain.original
    else:
        raise ConfigError(f"remove_parametrizations: {owner}'s {tensor_name} is made of {chain.ntensors} originals, so "
                          "it can only be removed with leave_parametrized=True")
    del module.parametrizations[tensor_name]
    cls = type(module)
    delattr(cls, tensor_name)
    if len(module.parametrizations) == 0:
        delattr(module, "parametrizations")
        object.__setattr__(module, "__class__", cls._parametrized_base)
    module.register_parameter(tensor_name, parameter)
    return module


def specs(module: Module):
    """What a model file records of a module's parametrizations: ``[{"tensor", "kind", …}]``, or
    None when one of them is not deltaprop's own (a file then keeps the weights only)."""
    found = []
    for name, chain in module.parametrizations._modules.items():
        spec = getattr(chain[0], "spec", None)
        if len(chain) != 1 or not callable(spec):
            return None
        found.append({"tensor": name, **spec()})
    return found
