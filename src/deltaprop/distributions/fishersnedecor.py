"""PyTorch's ``torch.distributions.fishersnedecor`` path: FisherSnedecor, re-exported from where deltaprop keeps it."""

from .fisher_snedecor import FisherSnedecor

__all__ = ["FisherSnedecor"]
