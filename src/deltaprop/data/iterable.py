"""Datasets that are streams: ``IterableDataset`` and ``ChainDataset``, as torch.utils.data's.

An iterable dataset gives its samples by ``__iter__`` (lines of a file, a generator of examples)
instead of by index. A DataLoader over one cuts the stream into batches in the order it comes
(there is no order to shuffle, so ``shuffle=True``, ``sampler=`` and ``batch_sampler=`` are refused,
as PyTorch refuses them), and has a length only where the dataset has one.

    >>> class Countdown(IterableDataset):
    ...     def __iter__(self):
    ...         return iter(range(5, 0, -1))
    >>> list(Countdown() + Countdown())[3:7]
    [2, 1, 5, 4]
"""

from __future__ import annotations

from ..errors import DataError
from .dataset import Dataset


class IterableDataset(Dataset):
    """The base of stream datasets: a subclass gives ``__iter__`` (and ``__len__`` if it knows how
    many samples it gives); ``a + b`` is the two streams one after the other, a
    :class:`ChainDataset`."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__ to be an IterableDataset")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """``datasets`` (iterable datasets) one after the other, read afresh at every pass; its length
    is the sum of theirs, where each has one."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        for position, dataset in enumerate(self.datasets):
            if not isinstance(dataset, IterableDataset):
                raise DataError(f"ChainDataset: dataset {position} ({type(dataset).__name__}) is not an "
                                "IterableDataset; chain streams, or join map-style datasets with ConcatDataset")

    def __iter__(self):
        for dataset in self.datasets:
            yield from dataset

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self.datasets)

    def __repr__(self) -> str:
        return f"ChainDataset({len(self.datasets)} datasets)"
