"""PyTorch's ``torch.nn.modules.upsampling`` path: the upsampling layers,
re-exported from where deltaprop keeps them."""

from ..spatial import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
