"""PyTorch's ``torch.nn.modules.fold`` path: Fold and Unfold, re-exported from where deltaprop keeps them."""

from ..spatial import Fold, Unfold

__all__ = ["Fold", "Unfold"]
