"""Layers that compare two inputs: cosine similarity and pairwise distance (no parameters)."""

from __future__ import annotations

from ..ops.activation import real_option
from . import functional as F
from .module import Module


class CosineSimilarity(Module):
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (see F.cosine_similarity)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim = F._options._dim("CosineSimilarity", dim)
        self.eps = real_option("CosineSimilarity", "eps", eps)

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)

    def config(self) -> dict:
        return {"dim": self.dim, "eps": self.eps}

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps}"


class PairwiseDistance(Module):
    """‖x1 − x2 + eps‖_p along the last dimension (see F.pairwise_distance)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm = F.distances._norm_order("PairwiseDistance", p)
        self.eps = real_option("PairwiseDistance", "eps", eps)
        self.keepdim = F._options._flag("PairwiseDistance", "keepdim", keepdim)

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)

    def config(self) -> dict:
        return {"p": self.norm, "eps": self.eps, "keepdim": self.keepdim}

    def extra_repr(self) -> str:
        return f"p={self.norm}, eps={self.eps}, keepdim={self.keepdim}"
