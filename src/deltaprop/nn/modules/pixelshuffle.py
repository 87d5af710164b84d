"""PyTorch's ``torch.nn.modules.pixelshuffle`` path: pixel shuffling,
re-exported from where deltaprop keeps them."""

from ..spatial import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
