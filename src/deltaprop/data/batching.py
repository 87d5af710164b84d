"""``BatchSampler``: a sampler's indices cut into lists of ``batch_size``, as torch.utils.data's.

Given to a DataLoader as ``batch_sampler=``, a ``BatchSampler`` of a sampler serves what
``sampler=`` with the same ``batch_size`` and ``drop_last`` serves, shuffles and resumption
included; a subclass with an ``__iter__`` of its own (batches of similar lengths, say), or any
other iterable of index lists, is iterated once per epoch, each list a batch.

    >>> list(BatchSampler(range(7), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6]]
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .samplers import Sampler
from .seeding import _is_int


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler`` (any iterable of dataset indices), the last
    one shorter unless ``drop_last``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        if not _is_int(batch_size) or batch_size < 1:
            raise ConfigError(f"BatchSampler: batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(drop_last, (bool, np.bool_)):
            raise ConfigError(f"BatchSampler: drop_last must be True or False, got {drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __repr__(self) -> str:
        return f"BatchSampler({self.sampler!r}, batch_size={self.batch_size}, drop_last={self.drop_last})"
