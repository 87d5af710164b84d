"""PyTorch's ``torch.nn.modules.distance`` path: the distance layers,
re-exported from where deltaprop keeps them."""

from ..distance import PairwiseDistance, CosineSimilarity

__all__ = ["PairwiseDistance", "CosineSimilarity"]
