"""PyTorch's ``torch.nn.modules.channelshuffle`` path: channel shuffling,
re-exported from where deltaprop keeps them."""

from ..spatial import ChannelShuffle

__all__ = ["ChannelShuffle"]
