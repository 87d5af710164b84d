"""PyTorch's ``torch.distributions.lowrank_multivariate_normal`` path: LowRankMultivariateNormal, re-exported from where deltaprop keeps it."""

from .low_rank_multivariate_normal import LowRankMultivariateNormal

__all__ = ["LowRankMultivariateNormal"]
