"""``DistributedSampler``: each of ``num_replicas`` processes of a data-parallel run serves its own
share of a dataset, the shares of one epoch disjoint (but for padding) and of equal length.

The indices of an epoch (shuffled, or in order) are first made a multiple of ``num_replicas`` long,
by repeating the first ones (or, with ``drop_last``, by dropping the last ones); replica ``rank``
then takes every ``num_replicas``-th of them from position ``rank``. So a dataset of 10 samples on 4
replicas gives each 3 indices (positions 10 and 11 repeat indices 0 and 1), or 2 with ``drop_last``.

deltaprop runs in one process and has no ``torch.distributed``: without one to ask, ``num_replicas``
defaults to 1 and ``rank`` to 0 (the whole dataset); given explicitly they split the indices as
PyTorch's sampler does. The order is the same as PyTorch's without ``shuffle``; shuffled, it is a
permutation drawn from ``(seed, epoch)`` by NumPy, the same in every replica (so the shares stay
disjoint) but not PyTorch's permutation. Call ``set_epoch(e)`` before each epoch to reshuffle, as
in PyTorch (a DataLoader here calls it with its own epoch count).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from .samplers import Sampler, _rng
from .seeding import _is_int


class DistributedSampler(Sampler):
    """The indices of replica ``rank`` of ``num_replicas`` (see the module's text); ``seed`` must be
    the same in every replica."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False):
        num_replicas = 1 if num_replicas is None else num_replicas
        rank = 0 if rank is None else rank
        if not _is_int(num_replicas) or num_replicas < 1:
            raise ConfigError(f"DistributedSampler: num_replicas must be a positive integer, got {num_replicas!r}")
        if not _is_int(rank) or not 0 <= rank < num_replicas:
            raise ConfigError(f"DistributedSampler: rank must be an integer in [0, {num_replicas - 1}] for "
                              f"num_replicas={num_replicas}, got {rank!r}")
        if not _is_int(seed):
            raise ConfigError(f"DistributedSampler: seed must be an integer, got {seed!r}")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = bool(shuffle), int(seed), bool(drop_last), 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)  # the whole rounds only
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass draw the order of epoch ``epoch`` (with ``shuffle``)."""
        if not _is_int(epoch):
            raise ConfigError(f"DistributedSampler.set_epoch: epoch must be an integer, got {epoch!r}")
        self.epoch = int(epoch)

    def __iter__(self):
        n = len(self.dataset)
        indices = _rng(self.seed, self.epoch).permutation(n) if self.shuffle else np.arange(n)
        if self.total_size > n:  # pad with the first indices, repeated as often as it takes
            indices = np.resize(indices, self.total_size) if n else indices
        return iter(indices[:self.total_size][self.rank::self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def __repr__(self) -> str:
        return (f"DistributedSampler(rank {self.rank} of {self.num_replicas}, {self.num_samples} samples, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")
