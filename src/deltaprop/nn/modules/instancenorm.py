"""PyTorch's ``torch.nn.modules.instancenorm`` path: instance normalization,
re-exported from where deltaprop keeps them."""

from ..normalization import _InstanceNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from ..lazy import LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d

__all__ = [
    "InstanceNorm1d", "LazyInstanceNorm1d", "InstanceNorm2d", "LazyInstanceNorm2d", "InstanceNorm3d",
    "LazyInstanceNorm3d",
]
