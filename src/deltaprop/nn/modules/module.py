"""PyTorch's ``torch.nn.modules.module`` path: Module, the base class of every layer,
re-exported from where deltaprop keeps them."""

from ..module import Module

__all__ = ["Module"]
