"""PyTorch's ``torch.nn.modules.linear`` path: the dense layers,
re-exported from where deltaprop keeps them."""

from ..layers import Identity, Linear, Bilinear
from ..lazy import LazyLinear

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]
