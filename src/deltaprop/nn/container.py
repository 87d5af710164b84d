"""Containers: ``Sequential`` (layers applied in order) and ``ModuleList`` (a registered list)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from ..errors import ShapeError
from .module import Module


def _checked(owner: str, position: int, value) -> Module:
    """``value`` if it is a Module: anything else would be stored as a plain attribute, never run."""
    if not isinstance(value, Module):
        raise TypeError(f"{owner}: item {position} is a {type(value).__name__}, not a Module")
    return value


class Sequential(Module):
    """Layers applied one after another: the seeds' feed-forward network.

    The layers are named 0, 1, 2, ... or, given as one ``OrderedDict`` (any dict), by its keys, as
    in PyTorch; a slice keeps the names of the layers it takes.

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
                x = layer.forward(x)  # what layer(x) does, one call frame fewer per layer
            except ShapeError as error:
                # Say which layer of the stack failed: "layer 2 (Linear(64 -> 32)): ...".
                raise ShapeError(f"layer {index} of Sequential: {error}") from None
        return x

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, layer: Module) -> "Sequential":
        index = len(self._modules)
        setattr(self, str(index), _checked("Sequential", index, layer))
        return self

    def config(self) -> dict:
        return {}


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner (no ``forward`` of its own)."""

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> "ModuleList":
        index = len(self._modules)
        setattr(self, str(index), _checked("ModuleList", index, module))
        return self

    def extend(self, modules) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        return items[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def config(self) -> dict:
        return {}
