"""Containers: ``Sequential`` (layers applied in order), ``ModuleList`` and ``ModuleDict`` (a registered
list and dict of layers), ``ParameterList`` and ``ParameterDict`` (a registered list and dict of weights)."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from ..dtypes import type_name
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from .hooks import state as _hooks
from .module import Module, Parameter, repeated_layout


def _checked(owner: str, position: int, value) -> Module:
    """``value`` if it is a Module: anything else would be stored as a plain attribute, never run."""
    if not isinstance(value, Module):
        raise TypeError(f"{owner}: item {position} is a {type(value).__name__}, not a Module")
    return value


class Container(Module):
    """PyTorch's oldest container, deprecated (there too) in favour of subclassing :class:`Module`:
    ``Container(encoder=..., head=...)`` registers each keyword's module under its name, and making
    one warns. It has no forward of its own."""

    _in_model_files = False  # (serialization: no forward, so no architecture a file could rebuild and run)

    def __init__(self, **kwargs):
        warnings.warn("nn.Container is deprecated (in PyTorch too); subclass nn.Module, which registers modules "
                      "assigned to it", FutureWarning, stacklevel=2)
        super().__init__()
        for name, module in kwargs.items():
            self.add_module(name, module)


class _Indexed(Module):
    """What Sequential and ModuleList share: modules kept in order, reached by position as in a
    Python list (negative positions count from the end), with PyTorch's list-like methods. After a
    deletion or an insertion the modules are renamed 0, 1, 2, ... in their order, as in PyTorch."""

    def _name_at(self, index) -> str:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: a position must be an integer, got {type(index).__name__} {index!r}")
        n = len(self._modules)
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__}: position {index} is out of range for {n} modules")
        return list(self._modules)[index % n]

    def _renumber(self, modules: list) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for position, module in enumerate(modules):
            setattr(self, str(position), module)

    def __setitem__(self, index, module: Module) -> None:
        setattr(self, self._name_at(index), _checked(type(self).__name__, index, module))

    def __delitem__(self, index) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            self._name_at(index)  # (the same checks and error as reading it)
            del modules[index]
        self._renumber(modules)

    def insert(self, index: int, module: Module):
        """Put ``module`` before position ``index`` (``len(self)`` appends), as ``list.insert`` but
        refusing a position beyond either end."""
        n = len(self._modules)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not -n <= index <= n:
            raise IndexError(f"{type(self).__name__}.insert: position {index!r} is out of range for {n} modules")
        modules = list(self._modules.values())
        modules.insert(index, _checked(type(self).__name__, index, module))
        self._renumber(modules)
        return self

    def pop(self, index=-1):
        """Remove and return the module at ``index`` (the last by default), or those of a slice."""
        module = self[index]
        del self[index]
        return module

    def append(self, module: Module):
        index = len(self._modules)
        setattr(self, str(index), _checked(type(self).__name__, index, module))
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __iadd__(self, modules):
        return self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def config(self) -> dict:
        return {}


class Sequential(_Indexed):
    """Layers applied one after another: the seeds' feed-forward network.

    The layers are named 0, 1, 2, ... or, given as one ``OrderedDict`` (any dict), by its keys, as
    in PyTorch; a slice keeps the names of the layers it takes. Layers can be replaced, inserted and
    removed by position (``model[0] = nn.Linear(4, 8)``, ``insert``, ``del model[-1]``, ``pop``,
    ``append``, ``extend``), and ``+`` and ``*`` build new stacks of the same layer objects.

    >>> from deltaprop import nn
    >>> model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    """

    def __init__(self, *layers: Module):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            for position, (name, layer) in enumerate(layers[0].items()):
                self.add_module(name, _checked("Sequential", position, layer))
            return
        for layer in layers:
            self.append(layer)

    def forward(self, x):
        for index, layer in enumerate(self._modules.values()):
            try:
                # what layer(x) does, one call frame fewer per layer, unless a module has hooks
                x = layer(x) if _hooks.used else layer.forward(x)
            except ShapeError as error:
                # Say which layer of the stack failed: "layer 2 (Linear(64 -> 32)): ...".
                raise ShapeError(f"layer {index} of Sequential: {error}") from None
        return x

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[index]

    def __add__(self, other: "Sequential") -> "Sequential":
        if not isinstance(other, Sequential):
            return NotImplemented
        return Sequential(*self, *other)

    def __mul__(self, times: int) -> "Sequential":
        if isinstance(times, bool) or not isinstance(times, (int, np.integer)) or times < 1:
            raise ValueError(f"Sequential: can only be repeated a positive whole number of times, got {times!r}")
        return Sequential(*(list(self) * int(times)))

    __rmul__ = __mul__

    def __imul__(self, times: int) -> "Sequential":
        repeated = self * times
        self._renumber(list(repeated))
        return self


class ModuleList(_Indexed):
    """A list of modules whose parameters belong to the owner (no ``forward`` of its own), with
    the list's operations: indexing and assignment by position, ``del``, ``insert``, ``pop``,
    ``append``, ``extend``, ``+`` (a new ModuleList of the same modules)."""

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[index]

    def __add__(self, other) -> "ModuleList":
        return ModuleList([*self, *other])

    def __repr__(self) -> str:
        return repeated_layout(type(self).__name__, list(self))


# -- registered dicts of layers, lists and dicts of weights -------------------------------------------


def _pairs(owner: str, items):
    """(key, value) pairs from a mapping (in its order) or an iterable of pairs, as PyTorch's update takes them."""
    if isinstance(items, Mapping):
        return list(items.items())
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise TypeError(f"{owner}.update: expected a mapping or an iterable of (key, value) pairs, got a {type(items).__name__}")
    pairs = []
    for position, pair in enumerate(items):
        if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ValueError(f"{owner}.update: item {position} of the sequence is not a (key, value) pair: {pair!r}")
        pairs.append(tuple(pair))
    return pairs


class ModuleDict(Module):
    """A dict of modules whose parameters belong to the owner (no ``forward`` of its own): layers
    looked up by name, ``model.heads["age"](x)``.

    Keys are strings without '.'; the modules keep the order they were added in (a key set again
    keeps its place), which is the order of ``parameters()`` and ``state_dict()`` keys such as
    ``"heads.age.weight"``.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"ModuleDict: item {key!r} is a {type(module).__name__}, not a Module")
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        for key in list(self._modules):
            del self[key]

    def update(self, modules) -> None:
        """Add (or replace) the modules of a mapping, in its order, or of an iterable of (key, module) pairs."""
        for key, module in _pairs("ModuleDict", modules.items() if isinstance(modules, ModuleDict) else modules):
            self[key] = module

    def config(self) -> dict:
        return {}


def _as_parameter(owner: str, where, value) -> Parameter:
    """``value`` as a Parameter: a Parameter itself, a tensor or array wrapped (sharing its memory, as
    ``nn.Parameter(t)`` does) and requiring a gradient."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, (Tensor, np.ndarray)):
        return Parameter(value)
    raise TypeError(f"{owner}: item {where!r} is a {type(value).__name__}, not a Parameter, tensor or array")


# The dtypes a model file may give a parameter of a ParameterList or ParameterDict.
_FILE_DTYPES = ("float16", "float32", "float64")


class _ParameterContainer(Module):
    def _described(self) -> dict:
        """The shape and dtype of each parameter, what a model file records of it (the values are
        among the file's weights)."""
        parameters = list(self._parameters.values())
        if any(parameter is None for parameter in parameters):
            raise NotImplementedError(f"{type(self).__name__} holding None does not describe itself (config())")
        return {"shapes": [list(parameter.shape) for parameter in parameters],
                "dtypes": [parameter.dtype.name for parameter in parameters]}

    @staticmethod
    def _placeholders(owner: str, shapes, dtypes) -> list:
        """Zero-filled parameters of the shapes and dtypes a model file records, for its weights to fill."""
        if not isinstance(shapes, list) or not isinstance(dtypes, list) or len(shapes) != len(dtypes):
            raise ConfigError(f"{owner}: shapes and dtypes must be two lists of the same length, got "
                              f"{len(shapes) if isinstance(shapes, list) else shapes!r} shapes and "
                              f"{len(dtypes) if isinstance(dtypes, list) else dtypes!r} dtypes")
        for shape in shapes:
            if not isinstance(shape, list) or any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in shape):
                raise ConfigError(f"{owner}: shapes must be lists of non-negative integers, got {shape!r}")
        for dtype in dtypes:
            if dtype not in _FILE_DTYPES:
                raise ConfigError(f"{owner}: dtypes must be among {', '.join(_FILE_DTYPES)}, got {dtype!r}")
        return [Parameter(np.zeros(shape, dtype=dtype)) for shape, dtype in zip(shapes, dtypes)]

    @staticmethod
    def _type_label(parameter) -> str:
        return f"deltaprop.{parameter.dtype.name}"

    def _lines(self) -> list:
        lines = []
        for key, parameter in self._parameters.items():
            size = "x".join(str(n) for n in parameter.shape)
            lines.append(f"  ({key}): Parameter containing: [{self._type_label(parameter)} of size {size}]")
        return lines

    def __repr__(self) -> str:
        # As PyTorch prints it: one line per parameter, indented inside; a single line stays on the first.
        lines = self._lines()
        if len(lines) == 1:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(" + "".join("\n  " + line for line in lines) + ("\n)" if lines else ")")


class ParameterList(_ParameterContainer):
    """A list of parameters registered with the owner (named "0", "1", ...): a number of weights not
    known when the class is written. Tensors and arrays put in become Parameters."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def _position(self, index) -> int:
        n = len(self._parameters)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"ParameterList: indices must be integers or slices, got {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"ParameterList: index {index} is out of range for {n} parameters")
        return int(index) % n

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList(list(self._parameters.values())[index])
        return self._parameters[str(self._position(index))]

    def __setitem__(self, index, value) -> None:
        position = self._position(index)
        setattr(self, str(position), _as_parameter("ParameterList", position, value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __iadd__(self, values) -> "ParameterList":
        return self.extend(values)

    def append(self, value) -> "ParameterList":
        position = len(self._parameters)
        setattr(self, str(position), _as_parameter("ParameterList", position, value))
        return self

    def extend(self, values) -> "ParameterList":
        for value in values:
            self.append(value)
        return self

    def config(self) -> dict:
        """Each parameter's shape and dtype: a model file rebuilds the list from them and its weights."""
        return self._described()

    @classmethod
    def _from_config(cls, shapes, dtypes) -> "ParameterList":
        return cls(cls._placeholders(cls.__name__, shapes, dtypes))


class ParameterDict(_ParameterContainer):
    """A dict of parameters registered with the owner under their keys (strings without '.').

    As in PyTorch, a plain ``dict`` given to the constructor or to ``update`` is added in the sorted
    order of its keys, an ``OrderedDict``, a ParameterDict or a sequence of pairs in its own order.
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _type_label(parameter) -> str:
        return type_name(parameter.dtype)  # 'deltaprop.FloatTensor': PyTorch's ParameterDict prints the legacy name

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: a key must be a string, got {type(key).__name__} {key!r}")
        if not key or "." in key:
            raise KeyError(f"ParameterDict: a key must be non-empty text without '.', got {key!r}")
        if key not in self._parameters and hasattr(self, key):
            raise KeyError(f"ParameterDict: attribute {key!r} already exists; choose another key")
        setattr(self, key, _as_parameter("ParameterDict", key, value))

    def __delitem__(self, key: str) -> None:
        if key not in self._parameters:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key) -> bool:
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def items(self):
        return self._parameters.items()

    def values(self):
        return self._parameters.values()

    def get(self, key: str, default=None):
        return self._parameters.get(key, default)

    def pop(self, key: str) -> Parameter:
        parameter = self[key]
        del self[key]
        return parameter

    def setdefault(self, key: str, default=None):
        if key not in self._parameters:
            self[key] = default
        return self[key]

    def popitem(self) -> tuple:
        """Remove and return the last (key, parameter), as a dict's ``popitem``."""
        if not self._parameters:
            raise KeyError("ParameterDict.popitem: the dict is empty")
        key = next(reversed(self._parameters))
        return key, self.pop(key)

    def copy(self) -> "ParameterDict":
        """A new ParameterDict of the same parameters, in the same order."""
        return ParameterDict(OrderedDict(self._parameters))

    def fromkeys(self, keys, default=None) -> "ParameterDict":
        """A new ParameterDict holding ``default`` (one parameter for all) under each of ``keys``."""
        return ParameterDict(OrderedDict((key, default) for key in keys))

    def __reversed__(self):
        return reversed(list(self._parameters))

    def __or__(self, other) -> "ParameterDict":
        if not isinstance(other, (Mapping, ParameterDict)):
            return NotImplemented
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        """``other | self`` as PyTorch's: ``other``'s own kind (a dict), updated with these parameters."""
        if not isinstance(other, Mapping):
            return NotImplemented
        merged = other.copy()
        merged.update(self.items())
        return merged

    def __ior__(self, other) -> "ParameterDict":
        self.update(other)
        return self

    def clear(self) -> None:
        for key in list(self._parameters):
            del self[key]

    def update(self, parameters) -> None:
        """Add (or replace) parameters: a plain dict in the sorted order of its keys (PyTorch's rule),
        an OrderedDict or ParameterDict in its order, or an iterable of (key, value) pairs."""
        if isinstance(parameters, Mapping) and not isinstance(parameters, OrderedDict):
            pairs = sorted(parameters.items(), key=lambda pair: pair[0])
        else:
            pairs = _pairs("ParameterDict", parameters.items() if isinstance(parameters, (OrderedDict, ParameterDict))
                           else parameters)
        for key, value in pairs:
            self[key] = value

    def config(self) -> dict:
        """The keys in order and each parameter's shape and dtype: a model file rebuilds the dict from
        them and its weights."""
        return {"keys": list(self._parameters), **self._described()}

    @classmethod
    def _from_config(cls, keys, shapes, dtypes) -> "ParameterDict":
        owner = cls.__name__
        if (not isinstance(keys, list) or not all(isinstance(key, str) and key and "." not in key for key in keys)
                or len(set(keys)) != len(keys)
                or not isinstance(shapes, list) or len(keys) != len(shapes)):
            raise ConfigError(f"{owner}: keys must be distinct non-empty strings without '.', one for each of the "
                              f"shapes, got {keys!r}")
        return cls(OrderedDict(zip(keys, cls._placeholders(owner, shapes, dtypes))))
