"""PyTorch's ``torch.nn.modules.pooling`` path: the pooling layers,
re-exported from where deltaprop keeps them."""

from ..pooling import (
    _MaxPoolNd, MaxPool1d, MaxPool2d, MaxPool3d, _MaxUnpoolNd, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d, _AvgPoolNd,
    AvgPool1d, AvgPool2d, AvgPool3d, FractionalMaxPool2d, FractionalMaxPool3d, _LPPoolNd, LPPool1d, LPPool2d,
    LPPool3d, _AdaptiveMaxPoolNd, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, AdaptiveAvgPool1d,
    AdaptiveAvgPool2d, AdaptiveAvgPool3d,
)

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "AvgPool1d", "AvgPool2d",
    "AvgPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
]
