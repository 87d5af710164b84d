"""PyTorch's ``torch.nn.modules.dropout`` path: the dropout layers,
re-exported from where deltaprop keeps them."""

from ..layers import _DropoutNd, Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
