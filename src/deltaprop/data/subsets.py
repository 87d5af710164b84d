"""Datasets made of other datasets: ``Subset``, ``ConcatDataset``, ``StackDataset`` and
``random_split``, as in PyTorch.

    >>> from deltaprop.data import ArrayDataset, random_split
    >>> train, val = random_split(ArrayDataset(range(10)), [0.8, 0.2], seed=0)
    >>> len(train), len(val), sorted(train.indices.tolist() + val.indices.tolist()) == list(range(10))
    (8, 2, True)

A ``Subset`` of an :class:`ArrayDataset` (or of a subset of one) keeps the DataLoader's fast path:
its batches are still one fancy index per array.
"""

from __future__ import annotations

import bisect
import math
import warnings

import numpy as np

from ..errors import ConfigError, DataError
from .dataset import Dataset
from .iterable import IterableDataset
from .seeding import _is_int, check_randomness, draw_seed


def _position(index, n: int, owner: str) -> int:
    """``index`` (an integer, negative from the end) as a position in ``range(n)``."""
    if not _is_int(index):
        raise TypeError(f"{owner}: an index must be an integer, got {index!r}")
    position = int(index) + n if index < 0 else int(index)
    if not 0 <= position < n:
        raise IndexError(f"{owner}: index {index} is out of range for {n} samples")
    return position


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i]`` is
    ``dataset[indices[i]]``. ``indices`` (integers, negative ones from the end) is kept as an int64
    array in ``subset.indices``.

        >>> from deltaprop.data import ArrayDataset
        >>> Subset(ArrayDataset([10, 11, 12, 13]), [3, 0])[0]
        (np.int64(13),)
    """

    def __init__(self, dataset, indices):
        indices = np.asarray(indices)
        if indices.size == 0:
            indices = indices.astype(np.int64)  # [] reads as float64
        if indices.ndim != 1 or not (np.issubdtype(indices.dtype, np.integer)):
            raise DataError(f"Subset: indices must be a 1-d sequence of integers, got {indices.dtype} "
                            f"of shape {indices.shape}")
        n = len(dataset)
        outside = indices[(indices < -n) | (indices >= n)]
        if len(outside):
            raise IndexError(f"Subset: index {outside[0]} is out of range for a dataset of {n} samples")
        self.dataset = dataset
        self.indices = indices.astype(np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            # A list of positions reaches the dataset as one list of its indices, as in PyTorch.
            return self.dataset[[int(self.indices[_position(i, len(self), "Subset")]) for i in index]]
        return self.dataset[int(self.indices[_position(index, len(self), "Subset")])]

    def __repr__(self) -> str:
        return f"Subset({self.dataset!r}, {len(self)} indices)"


class ConcatDataset(Dataset):
    """``datasets`` one after the other: sample ``i`` comes from the dataset whose range holds it.
    ``cumulative_sizes[k]`` is the number of samples in the first ``k + 1`` datasets.

        >>> from deltaprop.data import ArrayDataset
        >>> both = ConcatDataset([ArrayDataset([1, 2]), ArrayDataset([3, 4, 5])])
        >>> len(both), both[2], both[-1]
        (5, (np.int64(3),), (np.int64(5),))
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise DataError("ConcatDataset needs at least one dataset, got none")
        for position, dataset in enumerate(self.datasets):
            if isinstance(dataset, IterableDataset):
                raise DataError(f"ConcatDataset: dataset {position} is an IterableDataset, which has no indices; "
                                "chain streams with ChainDataset")
            if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
                raise DataError(f"ConcatDataset: dataset {position} ({type(dataset).__name__}) needs __len__ and "
                                "__getitem__ (a map-style dataset)")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        position = _position(index, len(self), "ConcatDataset")
        which = bisect.bisect_right(self.cumulative_sizes, position)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][position - start]

    def __repr__(self) -> str:
        return f"ConcatDataset({len(self.datasets)} datasets, {len(self)} samples)"


class StackDataset(Dataset):
    """Datasets of one length side by side: sample ``i`` is the tuple of their samples ``i``
    (datasets given as arguments) or the dict of them (given as keywords), as PyTorch's.

        >>> from deltaprop.data import ArrayDataset
        >>> StackDataset(image=ArrayDataset([10, 11]), label=ArrayDataset([0, 1]))[1]
        {'image': (np.int64(11),), 'label': (np.int64(1),)}
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise DataError("StackDataset: give the datasets as arguments (tuple samples) or as keywords (dict "
                            "samples), not both")
        if not args and not kwargs:
            raise DataError("StackDataset needs at least one dataset, got none")
        self.datasets = args or kwargs
        lengths = [len(dataset) for dataset in (args or kwargs.values())]
        if len(set(lengths)) > 1:
            raise DataError(f"StackDataset: the datasets must have one length, got lengths {lengths}")
        self._length = lengths[0]

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {name: dataset[index] for name, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __repr__(self) -> str:
        names = list(self.datasets) if isinstance(self.datasets, dict) else len(self.datasets)
        return f"StackDataset({names}, {len(self)} samples)"


def _split_lengths(lengths, n: int) -> list:
    """``lengths`` as counts: whole numbers are counts, fractions (summing to 1) become
    ``floor(fraction * n)`` each, the remainder handed out one by one from the first split on, as
    PyTorch does."""
    lengths = list(lengths)
    if not lengths:
        raise ConfigError("random_split: lengths must hold at least one length, got none")
    for position, length in enumerate(lengths):
        if isinstance(length, (bool, np.bool_)) or not isinstance(length, (int, float, np.integer, np.floating)):
            raise ConfigError(f"random_split: lengths[{position}] must be a number of samples or a fraction, "
                              f"got {length!r}")
        if not length >= 0:  # also refuses NaN
            raise ConfigError(f"random_split: lengths[{position}] must not be negative, got {length!r}")
    if all(_is_int(length) for length in lengths):
        counts = [int(length) for length in lengths]
        if sum(counts) != n:
            raise DataError(f"random_split: the lengths {counts} add up to {sum(counts)}, not to the {n} samples "
                            "of the dataset")
        return counts
    total = math.fsum(lengths)
    if not (math.isclose(total, 1.0) and total <= 1.0):
        raise DataError(f"random_split: fractions must add up to 1, these add up to {total!r}")
    counts = [math.floor(n * fraction) for fraction in lengths]
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for position, count in enumerate(counts):
        if count == 0:
            warnings.warn(f"random_split: split {position} ({lengths[position]!r} of {n} samples) is empty",
                          stacklevel=3)
    return counts


def random_split(dataset, lengths, generator=None, *, seed: int | None = None) -> list:
    """``dataset`` shuffled and cut into non-overlapping :class:`Subset` s of the given ``lengths``
    (numbers of samples adding up to ``len(dataset)``, or fractions adding up to 1, as in PyTorch).

    ``seed`` fixes the split; without one, a seed is drawn from ``generator`` (a
    :class:`deltaprop.Generator`, PyTorch's form), or from ``deltaprop.default_generator``, so
    ``deltaprop.manual_seed(n)`` fixes it too.
    """
    counts = _split_lengths(lengths, len(dataset))
    seed, generator = check_randomness(seed, generator, "random_split")
    if seed is None:
        seed = draw_seed(generator)
    order = np.random.default_rng(seed).permutation(len(dataset))
    ends = np.cumsum(counts)
    return [Subset(dataset, order[end - count:end]) for end, count in zip(ends, counts)]
