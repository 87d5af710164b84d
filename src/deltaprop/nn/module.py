"""``Module``: networks as trees of layers that own their weights (``Parameter``, in parameter.py).

Assigning a :class:`Parameter` or a :class:`Module` to an attribute registers it (as PyTorch's
``Module.__setattr__`` does), so ``parameters()``, ``named_parameters()`` and ``state_dict()`` walk
the tree with dotted names such as ``"0.weight"``. Registered objects also stay ordinary
attributes, so reading ``self.weight`` in ``forward`` costs a plain attribute lookup.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from itertools import groupby
from typing import Iterator

import numpy as np

from ..devices import NO_DTYPE, target_dtype
from ..dtypes import legacy_dtype, tensor_dtype
from ..engine import zero_gradients
from ..tensor import Tensor
from . import hooks, paths, state
from .parameter import Buffer, Parameter, UninitializedBuffer
from .state import IncompatibleKeys


def floating_dtype(owner: str, dtype) -> np.dtype:
    """``dtype`` as a NumPy dtype, refused unless it is floating point (weights must be)."""
    return tensor_dtype(owner, dtype, floating=True)


def _buffer_value(owner: str, name: str, value):
    """What a buffer holds for ``value``: an array (a tensor's own, a number's 0-d one), None, or a
    lazy layer's placeholder (an ``UninitializedBuffer``, held as itself, as PyTorch holds it)."""
    if isinstance(value, UninitializedBuffer):
        return value
    if isinstance(value, Tensor):
        return value.data  # buffers hold arrays
    if isinstance(value, (np.generic, int, float)) and not isinstance(value, bool):
        return np.asarray(value)  # a number, as arithmetic on a 0-d buffer gives back
    if value is not None and not isinstance(value, np.ndarray):
        raise TypeError(f"{owner}: cannot assign a {type(value).__name__} as buffer {name!r} (an array, a tensor or "
                        "None expected)")
    return value


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
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "training", True)

    # -- registration ----------------------------------------------------------------------

    def __setattr__(self, name: str, value) -> None:
        registries = self.__dict__.get("_parameters"), self.__dict__.get("_modules"), self.__dict__.get("_buffers")
        if registries[0] is None and isinstance(value, (Parameter, Module, Buffer)):
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning parameters or modules")
        if registries[0] is not None:
            parameters, modules, buffers = registries
            # As PyTorch does: a parameter, a module or a buffer put in place of one of its kind
            # (or None put in its place) keeps its place in the order, which is the order a
            # Sequential runs its layers in and state_dict lists them in; anything else there is refused.
            if isinstance(value, Parameter):
                modules.pop(name, None)
                self._forget_buffer(name)
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
                self._forget_buffer(name)
                modules[name] = value
            elif name in modules:
                if value is not None:
                    raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} as the layer "
                                    f"{name!r} (a Module or None expected)")
                modules[name] = None
            elif isinstance(value, Buffer):
                # nn.Buffer: registered as register_buffer would, its persistence with it
                self.register_buffer(name, value, value.persistent)
                return
            elif name in buffers:
                # a new array for a buffer stays a buffer (and stays in state_dict, if it was there)
                value = buffers[name] = _buffer_value(type(self).__name__, name, value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._forget_buffer(name)
        object.__delattr__(self, name)

    def __dir__(self):
        # As PyTorch's: the attributes but the numbered children ("0", "1" of a Sequential), no identifiers.
        return [name for name in object.__dir__(self) if not name[:1].isdigit()]

    def _forget_buffer(self, name: str) -> None:
        self._buffers.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def _check_registration(self, kind: str, name, registry: str) -> None:
        """PyTorch's rules for registering a ``kind`` (parameter, buffer, module) as ``name``."""
        owner = type(self).__name__
        if registry not in self.__dict__:
            raise AttributeError(f"{owner}: call super().__init__() before registering a {kind}")
        if not isinstance(name, str):
            raise TypeError(f"{owner}: a {kind} name must be a string, got {type(name).__name__} {name!r}")
        if not name or "." in name:
            raise KeyError(f"{owner}: a {kind} name must be non-empty text without '.', got {name!r}")
        if name not in self.__dict__[registry] and hasattr(self, name):
            raise KeyError(f"{owner}: attribute {name!r} already exists; choose another {kind} name")

    def add_module(self, name: str, module: "Module | None") -> None:
        """Register ``module`` as a child called ``name`` (in the place of the child of that name, if
        there is one); None records an absent child."""
        if module is not None and not isinstance(module, Module):  # (checked first, as in PyTorch)
            raise TypeError(f"{type(self).__name__}: module {name!r} must be a Module or None, got a {type(module).__name__}")
        self._check_registration("module", name, "_modules")
        setattr(self, name, module)
        if module is None:
            self._modules[name] = None

    def register_module(self, name: str, module: "Module | None") -> None:
        """``add_module``, under PyTorch's other name for it."""
        self.add_module(name, module)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name``; None records an absent optional weight (bias=False)."""
        self._check_registration("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{type(self).__name__}: parameter {name!r} must be a Parameter or None, got a {type(param).__name__}"
            )
        setattr(self, name, param)
        if param is None:
            self._parameters[name] = None

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register state that is not learned (BatchNorm's running statistics): an array (a tensor's
        is taken), or None. ``state_dict()`` holds it unless ``persistent=False``."""
        self._check_registration("buffer", name, "_buffers")
        value = _buffer_value(type(self).__name__, name, tensor)
        object.__setattr__(self, name, value)
        self._buffers[name] = value
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

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
        """Training mode (dropout active, batch statistics used), or evaluation mode for
        ``mode=False``, set here and by each child's own ``train``; returns the module."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be True or False, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: dropout off, running statistics used."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (the default, as in PyTorch), or
        (``set_to_none=False``) fill it with zeros in place."""
        if set_to_none:
            for parameter in self.parameters():
                parameter.grad = None
        else:
            zero_gradients(self.parameters())

    # -- walking the tree ----------------------------------------------------------------------

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """(dotted name, module) for this module and every module below it, each parent before its
        children; a module met again (shared, or in ``memo``, which is filled as it goes) is
        skipped, with everything below it, unless ``remove_duplicate=False``."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if module in memo:
                continue
            if remove_duplicate:
                memo.add(module)
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    def modules(self, remove_duplicate: bool = True) -> Iterator["Module"]:
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
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

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool):
        """(dotted name, value) of each entry of every module's ``registry`` (its own, without
        ``recurse``); a value met again is skipped unless ``remove_duplicate=False``."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two layers is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, array) pairs of the buffers, persistent or not; a shared one is listed once."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        for _, array in self.named_buffers(recurse=recurse):
            yield array

    def get_submodule(self, target: str) -> "Module":
        """The sub-module at the dotted path ``target`` ("0", "encoder.0.fc"; "" is this module), as
        PyTorch's; an AttributeError names the part of the path that is missing or not a module."""
        return paths.get_submodule(self, target)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` ("encoder.0.weight"), as PyTorch's."""
        return paths.get_parameter(self, target)

    def get_buffer(self, target: str) -> np.ndarray | None:
        """The buffer at the dotted path ``target`` ("norm.running_mean"), as PyTorch's."""
        return paths.get_buffer(self, target)

    def set_submodule(self, target: str, module: "Module", strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target``, replacing the sub-module there or (unless
        ``strict``) adding it to the module the path leads to, as PyTorch's."""
        paths.set_submodule(self, target, module, strict)

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
        """(dotted name, module, attribute, is a parameter) for every parameter and persistent
        buffer, in PyTorch's state-dict order: a module's parameters, then its buffers, then its
        children's. A parameter or layer used in two places is listed under both paths, as in PyTorch."""
        for name, parameter in self._parameters.items():
            if parameter is not None:
                yield prefix + name, self, name, True
        for name, array in self._buffers.items():
            if array is not None and name not in self._non_persistent_buffers_set:
                yield prefix + name, self, name, False
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_entries(f"{prefix}{name}.")

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Copies of every parameter and persistent buffer, by dotted name (``prefix`` before each):
        a snapshot that later training leaves alone. ``keep_vars=True`` gives the parameters and
        buffer arrays themselves; ``destination`` (a dict) receives them and is returned.

        The positional form ``state_dict(destination, prefix, keep_vars)`` works with PyTorch's
        FutureWarning."""
        if args:
            if len(args) > 3:
                raise TypeError(f"{type(self).__name__}.state_dict: takes at most 3 positional arguments "
                                f"(destination, prefix, keep_vars), got {len(args)}")
            warnings.warn("state_dict: positional arguments are deprecated (as in PyTorch); pass destination=, "
                          "prefix= and keep_vars= by keyword", FutureWarning, stacklevel=2)
            destination, prefix, keep_vars = (*args, *(destination, prefix, keep_vars)[len(args):])
        return state.state_dict(self, destination, prefix, keep_vars)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False) -> IncompatibleKeys:
        """Put ``state_dict``'s arrays (or tensors) into the parameters and persistent buffers.

        By default they are copied in place, each in the dtype of the array it replaces: whoever
        holds a parameter (an optimizer) sees the new values. With ``assign=True`` they become the
        parameters and buffers themselves, in their own dtypes, each parameter keeping the
        ``requires_grad`` of the one it replaces (an optimizer built before holds the old ones).

        With ``strict`` (the default), a missing or an unexpected key is an error that names them
        all; without it, they are reported in the returned ``(missing_keys, unexpected_keys)``. A
        wrongly shaped array is always an error (a :class:`~deltaprop.errors.StateDictError`, a
        ``RuntimeError`` as PyTorch's), and nothing is loaded then. A parameter shared by several
        paths needs only one of them (state dicts saved before every path was listed still load).
        """
        return state.load_state_dict(self, state_dict, strict, assign)

    def to(self, *args, **kwargs) -> "Module":
        """Convert every floating-point parameter and buffer to a dtype in place; returns the module.

        PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``,
        ``dtype=``/``device=``. The device can only be the CPU (``"cpu"``, ``torch.device("cpu")``),
        where the module already is: ``model.to("cpu")`` changes nothing. Another device is refused."""
        dtype = target_dtype(type(self).__name__, args, kwargs)
        if dtype is NO_DTYPE:
            return self
        return self._convert(floating_dtype(type(self).__name__, dtype), "f")

    def _convert(self, dtype: np.dtype, buffer_kinds: str) -> "Module":
        """Every parameter (and its gradient), and each buffer whose dtype kind is in ``buffer_kinds``,
        converted to ``dtype`` in place; the Parameter objects stay (an optimizer keeps them)."""
        # copy=False: converting to the dtype a model already has leaves every array as it is.
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(dtype, copy=False)
            if parameter.grad is not None:
                parameter.grad = parameter.grad.astype(dtype, copy=False)
        for module in self.modules():
            for name, array in list(module._buffers.items()):
                if isinstance(array, UninitializedBuffer):  # (a placeholder: converted, still one)
                    if array.data.dtype.kind in buffer_kinds:
                        array.data = array.data.astype(dtype)
                    continue
                if array is not None and np.asarray(array).dtype.kind in buffer_kinds:
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

    def half(self) -> "Module":
        """float16 parameters and floating-point buffers (integer buffers stay), as PyTorch's."""
        return self.to(np.float16)

    def type(self, dst_type) -> "Module":
        """Every parameter and buffer, integer buffers too (as PyTorch's), converted to ``dst_type``:
        a floating-point dtype or its legacy name (``'torch.DoubleTensor'``, ``'deltaprop.FloatTensor'``)."""
        owner = f"{type(self).__name__}.type"
        return self._convert(floating_dtype(owner, legacy_dtype(owner, dst_type)), "biuf")

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
        return _layout(type(self).__name__, self.extra_repr(),
                       [f"({name}): {child!r}" for name, child in self._modules.items()])

    def summary(self, input_shape=None, file=None, dtype=None, *, input_data=None, dtypes=None):
        """A :class:`~deltaprop.summary.Summary` (printed as a table) of the layers, output shapes and
        parameter counts for one sample of ``input_shape`` (without the batch axis; a list of shapes for
        a forward of several inputs), of ``dtype`` (the parameters' by default; an integer dtype for a
        model that starts with an Embedding) or ``dtypes`` (one per input); or for ``input_data``, the
        inputs themselves (a list passed positionally, a dict passed as keywords)."""
        from ..summary import summary

        return summary(self, input_shape, file=file, dtype=dtype, input_data=input_data, dtypes=dtypes)


def _indented(text: str) -> str:
    """``text`` with every line after the first indented by two spaces (blank ones left empty)."""
    first, *rest = text.split("\n")
    return "\n".join([first, *("  " + line if line.strip() else "" for line in rest)])


def _layout(name: str, extra: str, children: list) -> str:
    """A module's repr as PyTorch prints it: ``Name(extra)`` on one line when the settings are one
    line and there are no children; otherwise each line of the settings, then each child's text
    (its own lines indented too), inside, two spaces in."""
    extra_lines = extra.split("\n") if extra else []
    if not children and len(extra_lines) <= 1:
        return f"{name}({extra})"
    return f"{name}(\n  " + "\n  ".join(extra_lines + [_indented(child) for child in children]) + "\n)"


def repeated_layout(name: str, children: list) -> str:
    """PyTorch's repr of a ModuleList: each run of consecutive children that print alike is one
    line, ``(0-3): 4 x Linear(...)``."""
    if not children:
        return f"{name}()"
    lines, position = [], 0
    for text, run in groupby(repr(child) for child in children):
        count = len(list(run))
        last = position + count - 1
        lines.append((f"({position}): " if count == 1 else f"({position}-{last}): {count} x ") + text)
        position += count
    return _layout(name, "", lines)
