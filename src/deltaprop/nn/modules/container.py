"""PyTorch's ``torch.nn.modules.container`` path: the containers,
re-exported from where deltaprop keeps them."""

from ..container import Container, Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict

__all__ = ["Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]
