"""PyTorch's ``torch.utils.data.dataloader`` path: ``DataLoader`` and ``default_collate``."""

from .collate import default_collate
from .loader import DataLoader

__all__ = ["DataLoader", "default_collate"]
