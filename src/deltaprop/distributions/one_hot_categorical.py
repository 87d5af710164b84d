"""PyTorch's ``torch.distributions.one_hot_categorical`` path: OneHotCategorical, re-exported from where deltaprop keeps it."""

from .categorical import OneHotCategorical

__all__ = ["OneHotCategorical"]
