"""``Module`` and ``Parameter``: networks as trees of layers that own their weights.

Assigning a :class:`Parameter` or a :class:`Module` to an attribute registers it (as PyTorch's
``Module.__setattr__`` does), so ``parameters()``, ``named_parameters()`` and ``state_dict()`` walk
the tree with dotted names such as ``"0.weight"``. Registered objects also stay ordinary
attributes, so reading ``self.weight`` in ``forward`` costs a plain attribute lookup.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterator, NamedTuple

import numpy as np

from ..changes import Changes
from ..devices import NO_DTYPE, target_dtype
from ..dtypes import tensor_dtype
from ..errors import ShapeError
from ..tensor import Tensor
from . import hooks


class Parameter(Tensor):
    """A tensor that is a learnable weight of a module: it requires a gradient by default."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        array = data.data if isinstance(data, Tensor) else np.asarray(data)
        if array.dtype.kind != "f":
            array = array.astype(np.float32)
        Tensor.__init__(self, array, requires_grad=requires_grad, dtype=array.dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)


def floating_dtype(owner: str, dtype) -> np.dtype:
    """``dtype`` as a NumPy dtype, refused unless it is floating point (weights must be)."""
    return tensor_dtype(owner, dtype, floating=True)


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class of every layer and network.

    Subclasses create their parameters and sub-modules in ``__init__`` (after calling
    ``super().__init__()``) and compute in ``forward``; calling the module runs ``forward``.
    """

    # The dtype of a layer whose parameters could be absent (a normalization without γ and β) and
    # which its model file records all the same: such a layer sets it, and to() converts it too.
    _dtype: np.dtype | None = None

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration ----------------------------------------------------------------------

    def __setattr__(self, name: str, value) -> None:
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules"), self.__dict__.get("_buffers")
        if registries[0] is None and isinstance(value, (Parameter, Module)):
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning parameters or modules")
        if registries[0] is not None:
            parameters, modules, buffers = registries
            # As PyTorch does: a parameter, a module or a buffer put in place of one of its kind
            # (or None put in its place) keeps its place in the order, which is the order a
            # Sequential runs its layers in and state_dict lists them in; anything else there is refused.
            if isinstance(value, Parameter):
                modules.pop(name, None)
                buffers.pop(name, None)
                parameters[name] = value
            elif name in parameters:
                if value is not None:
                    # The weight would silently leave parameters() and state_dict().
                    raise TypeError(
                        f"{type(self).__name__}: cannot assign a {type(value).__name__} as parameter {name!r} "
                        f"(a Parameter or None expected; to change its values, assign to {name}.data)"
                    )
                parameters[name] = None
            elif isinstance(value, Module):
                buffers.pop(name, None)
                modules[name] = value
            elif name in modules:
                if value is not None:
                    raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} as the layer "
                                    f"{name!r} (a Module or None expected)")
                modules[name] = None
            elif name in buffers:
                if isinstance(value, Tensor):
                    value = value.data  # buffers hold arrays
                elif isinstance(value, (np.generic, int, float)) and not isinstance(value, bool):
                    value = np.asarray(value)  # a number, as arithmetic on a 0-d buffer gives back
                elif value is not None and not isinstance(value, np.ndarray):
                    raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} as buffer "
                                    f"{name!r} (an array or None expected)")
                buffers[name] = value  # a new array for a buffer stays a buffer (and stays in state_dict)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Register ``module`` as a child called ``name`` (PyTorch's ``add_module``)."""
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: a module name must be a string, got {type(name).__name__} {name!r}")
        if not name or "." in name:
            raise KeyError(f"{type(self).__name__}: a module name must be non-empty text without '.', got {name!r}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"{type(self).__name__}: attribute {name!r} already exists; choose another module name")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: module {name!r} must be a Module or None, got a {type(module).__name__}")
        setattr(self, name, module)
        if module is None:
            self._modules[name] = None

    def register_parameter(self, name: str, parameter: Parameter | None) -> None:
        """Register ``parameter`` under ``name``; None records an absent optional weight (bias=False)."""
        if parameter is not None and not isinstance(parameter, Parameter):
            raise TypeError(
                f"{type(self).__name__}: parameter {name!r} must be a Parameter or None, got a {type(parameter).__name__}"
            )
        setattr(self, name, parameter)
        if parameter is None:
            self._parameters[name] = None

    def register_buffer(self, name: str, array: np.ndarray | None) -> None:
        """State that is saved with the model but not learned (BatchNorm's running statistics)."""
        object.__setattr__(self, name, array)
        self._buffers[name] = array

    def _set_buffer(self, name: str, array: np.ndarray) -> None:
        object.__setattr__(self, name, array)
        self._buffers[name] = array

    # -- running ---------------------------------------------------------------------------

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # Calling a module runs its forward. Each subclass that defines forward (and no __call__ of its
    # own) gets __call__ bound straight to it: a call through Module.__call__ above repacks *args
    # and **kwargs and adds a frame, about 0.25 µs, which on a small network is several percent of
    # a whole training step. A class whose instance registers a forward hook gets the calling path
    # that runs hooks instead (nn/hooks.py).
    _call_is_forward = True

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Run ``hook(module, args)`` before each forward; a result other than None replaces the
        arguments. Returns a handle whose ``remove()`` takes the hook away (see nn/hooks.py)."""
        return hooks.register(self, "_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """Run ``hook(module, args, output)`` after each forward; a result other than None replaces
        the output. Returns a handle whose ``remove()`` takes the hook away (see nn/hooks.py)."""
        return hooks.register(self, "_forward_hooks", hook, prepend, with_kwargs)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__call__" in cls.__dict__:
            cls._call_is_forward = False
        elif "forward" in cls.__dict__ and cls._call_is_forward:
            cls.__call__ = cls.forward

    def train(self, mode: bool = True) -> "Module":
        """Training mode (dropout active, batch statistics used); returns the module."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        """Evaluation mode: dropout off, running statistics used."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (the default, as in PyTorch) or to zeros."""
        for parameter in self.parameters():
            if set_to_none or parameter.grad is None:
                parameter.grad = None
            else:
                parameter.grad = np.zeros_like(parameter.data)  # the parameter's shape and dtype, an array

    # -- walking the tree ----------------------------------------------------------------------

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child) for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def get_submodule(self, target: str) -> "Module":
        """The sub-module at the dotted path ``target`` ("0", "encoder.0.fc"; "" is this module), as
        PyTorch's; an AttributeError names the part of the path that is missing or not a module."""
        module = self
        walked = []
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                where = f"'{'.'.join(walked)}'" if walked else "the model"
                if part in module._parameters or part in module._buffers or hasattr(module, part):
                    raise AttributeError(f"get_submodule: '{part}' of {where} ({type(module).__name__}) is not a "
                                         f"module, in '{target}'")
                raise AttributeError(f"get_submodule: {where} ({type(module).__name__}) has no sub-module "
                                     f"'{part}', in '{target}'")
            module = child
            walked.append(part)
        return module

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """(name, module) for each direct child; a child held under two names is listed once, as in PyTorch."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator["Module"]:
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two layers is listed once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, parameter in module._parameters.items():
                if parameter is None or id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for module_name, module in self.named_modules(prefix):
            for name, array in module._buffers.items():
                if array is not None:
                    yield (f"{module_name}.{name}" if module_name else name), array

    def buffers(self) -> Iterator[np.ndarray]:
        for _, array in self.named_buffers():
            yield array

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set ``requires_grad`` of every parameter (``False`` freezes the module: its parameters
        get no gradient, so optimizers leave them alone); returns the module, as in PyTorch."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.data.size for p in self.parameters() if p.requires_grad or not trainable_only)

    # -- state -------------------------------------------------------------------------------

    def _state_entries(self, prefix: str = ""):
        """(dotted name, module, attribute, is a parameter) for every parameter and buffer, in
        PyTorch's state-dict order: a module's parameters, then its buffers, then its children's.
        A parameter or layer used in two places is listed under both paths, as in PyTorch."""
        for name, parameter in self._parameters.items():
            if parameter is not None:
                yield prefix + name, self, name, True
        for name, array in self._buffers.items():
            if array is not None:
                yield prefix + name, self, name, False
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_entries(f"{prefix}{name}.")

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and buffer, by dotted name: a snapshot that later training leaves alone."""
        return OrderedDict(
            (key, getattr(module, name).data.copy() if is_parameter else np.array(getattr(module, name), copy=True))
            for key, module, name, is_parameter in self._state_entries()
        )

    def load_state_dict(self, state: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy ``state`` into the parameters and buffers in place.

        With ``strict`` (the default), a missing key, an unexpected key or a wrongly shaped array is
        an error that names them all; without it, the matching keys are loaded and the others
        reported in the returned ``(missing_keys, unexpected_keys)``. A parameter shared by several
        paths needs only one of them (state dicts saved before every path was listed still load).
        """
        entries = {key: (module, name, is_parameter) for key, module, name, is_parameter in self._state_entries()}
        loaded = {id(getattr(module, name)) for key, (module, name, _) in entries.items() if key in state}
        missing = [key for key, (module, name, _) in entries.items()
                   if key not in state and id(getattr(module, name)) not in loaded]
        unexpected = [key for key in state if key not in entries]
        wrong_shape, not_numbers = [], []
        for key, (module, name, _) in entries.items():
            if key in state:
                value = np.asarray(state[key].data if isinstance(state[key], Tensor) else state[key])
                current = getattr(module, name)
                if value.shape != np.shape(current):
                    wrong_shape.append(f"{key} (expected {np.shape(current)}, got {value.shape})")
                if value.dtype.kind not in "biufc":  # checked before anything is copied: no half-loaded model
                    not_numbers.append(f"{key} ({value.dtype})")
        if wrong_shape or not_numbers or (strict and (missing or unexpected)):
            problems = []
            if missing:
                problems.append("missing keys: " + ", ".join(missing))
            if unexpected:
                problems.append("unexpected keys: " + ", ".join(unexpected))
            if wrong_shape:
                problems.append("wrong shapes: " + ", ".join(wrong_shape))
            if not_numbers:
                problems.append("values that are not numbers: " + ", ".join(not_numbers))
            raise ShapeError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for key, (module, name, is_parameter) in entries.items():
            if key not in state:
                continue
            value = np.asarray(state[key].data if isinstance(state[key], Tensor) else state[key])
            current = getattr(module, name).data if is_parameter else np.asarray(getattr(module, name))
            if current.flags.writeable:
                # In place, as PyTorch does: whoever holds the array sees the new values.
                np.copyto(current, value, casting="unsafe")
                Changes.mark(current)  # (a graph recorded with the old values can no longer be differentiated)
            else:
                module._set_buffer(name, value.astype(current.dtype, copy=True))
        return IncompatibleKeys(missing, unexpected)

    def to(self, *args, **kwargs) -> "Module":
        """Convert every floating-point parameter and buffer to a dtype in place; returns the module.

        PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``,
        ``dtype=``/``device=``. The device can only be the CPU (``"cpu"``, ``torch.device("cpu")``),
        where the module already is: ``model.to("cpu")`` changes nothing. Another device is refused."""
        dtype = target_dtype(type(self).__name__, args, kwargs)
        if dtype is NO_DTYPE:
            return self
        dtype = floating_dtype(type(self).__name__, dtype)
        # copy=False: converting to the dtype a model already has leaves every array as it is.
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(dtype, copy=False)
            if parameter.grad is not None:
                parameter.grad = parameter.grad.astype(dtype, copy=False)
        for module in self.modules():
            for name, array in list(module._buffers.items()):
                if array is not None and np.asarray(array).dtype.kind == "f":
                    module._set_buffer(name, np.asarray(array).astype(dtype, copy=False))
            if module._dtype is not None:
                module._dtype = dtype
        return self

    def cpu(self) -> "Module":
        """The module, unchanged: it is on the CPU, the one device there is."""
        return self

    def double(self) -> "Module":
        """float64 everywhere: exact textbook arithmetic, and what gradcheck uses."""
        return self.to(np.float64)

    def float(self) -> "Module":
        return self.to(np.float32)

    def apply(self, function) -> "Module":
        """Call ``function(module)`` on every module of the tree, as PyTorch does: each child's
        subtree first, in order, then the module itself."""
        for child in self.children():
            child.apply(function)
        function(self)
        return self

    # -- description -------------------------------------------------------------------------

    def config(self) -> dict:
        """The constructor arguments that rebuild this layer (used to save architectures).

        Built-in layers define it; a custom module without it can still save and load its weights
        into an instance the user builds.
        """
        raise NotImplementedError(f"{type(self).__name__} does not describe its constructor arguments (config())")

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        children = [f"({name}): " + repr(child).replace("\n", "\n  ") for name, child in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({extra})"
        # As PyTorch prints it: the layer's own settings on the first line inside, then its children.
        lines = ([extra] if extra else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def summary(self, input_shape=None, file=None, dtype=None, *, input_data=None, dtypes=None):
        """A :class:`~deltaprop.summary.Summary` (printed as a table) of the layers, output shapes and
        parameter counts for one sample of ``input_shape`` (without the batch axis; a list of shapes for
        a forward of several inputs), of ``dtype`` (the parameters' by default; an integer dtype for a
        model that starts with an Embedding) or ``dtypes`` (one per input); or for ``input_data``, the
        inputs themselves (a list passed positionally, a dict passed as keywords)."""
        from ..summary import summary

        return summary(self, input_shape, file=file, dtype=dtype, input_data=input_data, dtypes=dtypes)
