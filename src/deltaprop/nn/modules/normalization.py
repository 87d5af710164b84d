"""PyTorch's ``torch.nn.modules.normalization`` path: layer, group, RMS and response normalization,
re-exported from where deltaprop keeps them."""

from ..normalization import LocalResponseNorm, CrossMapLRN2d, LayerNorm, GroupNorm, RMSNorm

__all__ = ["LocalResponseNorm", "CrossMapLRN2d", "LayerNorm", "GroupNorm", "RMSNorm"]
