"""PyTorch's ``torch.nn.modules.conv`` path: the convolutions and their transposes,
re-exported from where deltaprop keeps them."""

from ..conv import _ConvNd, Conv1d, Conv2d, Conv3d
from ..conv_transpose import _ConvTransposeNd, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..lazy import LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d

__all__ = [
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
    "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
]
