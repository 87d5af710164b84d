"""PyTorch's ``torch.nn.modules.adaptive`` path: the adaptive softmax,
re-exported from where deltaprop keeps them."""

from ..adaptive import AdaptiveLogSoftmaxWithLoss

__all__ = ["AdaptiveLogSoftmaxWithLoss"]
