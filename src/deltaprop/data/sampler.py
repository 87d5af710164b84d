"""PyTorch's ``torch.utils.data.sampler`` path: the samplers, from where deltaprop keeps them."""

from .batching import BatchSampler
from .samplers import RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
           "WeightedRandomSampler"]
