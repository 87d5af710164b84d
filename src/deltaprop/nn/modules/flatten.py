"""PyTorch's ``torch.nn.modules.flatten`` path: Flatten and Unflatten,
re-exported from where deltaprop keeps them."""

from ..layers import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
