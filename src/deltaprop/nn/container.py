"""Containers: ``Sequential`` (layers applied in order) and ``ModuleList`` (a registered list)."""

from __future__ import annotations

from ..errors import ShapeError
from .module import Module


class Sequential(Module):
    """Layers applied one after another: the seeds' feed-forward network.

    >>> model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    """

    def __init__(self, *layers: Module):
        super().__init__()
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: argument {index} is a {type(layer).__name__}, not a Module")
            setattr(self, str(index), layer)

    def forward(self, x):
        for index, layer in enumerate(self._modules.values()):
            try:
                x = layer(x)
            except ShapeError as error:
                # Say which layer of the stack failed: "layer 2 (Linear(64 -> 32)): ...".
                raise ShapeError(f"layer {index} of Sequential: {error}") from None
        return x

    def __getitem__(self, index):
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, layer: Module) -> "Sequential":
        setattr(self, str(len(self._modules)), layer)
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
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: can hold only Modules, got a {type(module).__name__}")
        setattr(self, str(len(self._modules)), module)
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
