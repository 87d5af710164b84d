"""Samplers: the order in which a DataLoader serves a dataset's samples, as torch.utils.data's.

Each sampler here draws the indices of epoch ``e`` from ``(seed, e)`` alone, as the loader shuffles
(see :mod:`deltaprop.data.loader`): a loader given a sampler passes its own seed and epoch, so a run
with a sampler repeats from its seed and resumes from a checkpoint as a shuffling run does.
Iterated on its own, a sampler counts its own epochs and draws its seed from
``deltaprop.default_generator`` when none was given. A sampler given a ``generator=`` (a
:class:`deltaprop.Generator`, PyTorch's form) draws a fresh seed from it for every pass instead,
as PyTorch's samplers draw from theirs: reseeding the generator repeats the passes.

    >>> from deltaprop.data import ArrayDataset, DataLoader, WeightedRandomSampler
    >>> ds = ArrayDataset([[0.0], [1.0], [2.0], [3.0]], [0, 0, 0, 1])
    >>> balanced = WeightedRandomSampler([1 / 3, 1 / 3, 1 / 3, 1.0], num_samples=4, seed=0)
    >>> len(DataLoader(ds, batch_size=2, sampler=balanced))
    2
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
from .seeding import _is_int, check_randomness, draw_seed


class Sampler:
    """The base of samplers, as PyTorch's: a subclass gives ``__iter__`` (dataset indices, in
    serving order) and ``__len__`` (how many). A DataLoader iterates such a sampler once per epoch
    (calling its ``set_epoch(e)`` first where it has one); the samplers below draw from
    ``(seed, epoch)`` instead, so that their runs replay."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__ to be a Sampler")


class DrawingSampler(Sampler):
    """A sampler whose epoch ``e`` is ``draw(seed, e)``: the loader calls ``draw`` with its seed and
    epoch; iterating the sampler itself runs its own epoch counter, or, with a ``generator``, draws
    each pass's seed from it (``draw(seed, 0)``)."""

    random = True  # whether draw() reads the seed

    def __init__(self, seed: int | None, generator=None):
        self._seed, self.generator = check_randomness(seed, generator, type(self).__name__)
        self._epoch = 0

    @property
    def seed(self) -> int | None:
        """The seed given (or drawn at the first iteration of the sampler on its own)."""
        return self._seed

    def set_epoch(self, epoch: int) -> None:
        """Make the next ``iter(sampler)`` draw epoch ``epoch``."""
        if not _is_int(epoch) or epoch < 0:
            raise ConfigError(f"{type(self).__name__}.set_epoch: epoch must be a non-negative integer, got {epoch!r}")
        self._epoch = int(epoch)

    def draw(self, seed: int | None, epoch: int) -> np.ndarray:
        """The int64 indices of epoch ``epoch`` under ``seed``."""
        raise NotImplementedError

    def _randomness(self) -> str:
        """The seed or generator, as the repr shows it."""
        return f"generator={self.generator!r}" if self.generator is not None else f"seed={self._seed}"

    def __iter__(self):
        if self.random and self.generator is not None:
            indices = self.draw(draw_seed(self.generator), 0)
        else:
            if self.random and self._seed is None:
                self._seed = draw_seed()
            indices = self.draw(self._seed, self._epoch)
        self._epoch += 1
        return iter(indices.tolist())


def _rng(seed: int, epoch: int) -> np.random.Generator:
    # keyed on (seed, epoch), as the loader's shuffles: any epoch can be drawn on its own
    return np.random.default_rng([seed, epoch])


def _check_replacement(replacement, owner: str) -> bool:
    if not isinstance(replacement, (bool, np.bool_)):
        raise ConfigError(f"{owner}: replacement must be True or False, got {replacement!r}")
    return bool(replacement)


def _check_num_samples(num_samples, owner: str) -> int:
    if not _is_int(num_samples) or num_samples < 1:
        raise ConfigError(f"{owner}: num_samples must be a positive integer, got {num_samples!r}")
    return int(num_samples)


class SequentialSampler(DrawingSampler):
    """``0, 1, ..., len(data_source) - 1``, every epoch."""

    random = False

    def __init__(self, data_source):
        super().__init__(None)
        self.data_source = data_source

    def __len__(self) -> int:
        return len(self.data_source)

    def draw(self, seed, epoch) -> np.ndarray:
        return np.arange(len(self.data_source))

    def __repr__(self) -> str:
        return f"SequentialSampler({len(self)} samples)"


class RandomSampler(DrawingSampler):
    """The indices of ``data_source`` in random order: a permutation per epoch (the loader's own
    ``shuffle=True`` order for the same seed), or with ``replacement`` ``num_samples`` independent
    draws. Without replacement, ``num_samples`` beyond the dataset's length continues with fresh
    permutations, as in PyTorch. ``num_samples`` defaults to ``len(data_source)``."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None, generator=None, *,
                 seed: int | None = None):
        super().__init__(seed, generator)
        self.data_source = data_source
        self.replacement = _check_replacement(replacement, "RandomSampler")
        self._num_samples = None if num_samples is None else _check_num_samples(num_samples, "RandomSampler")
        if num_samples is None and len(data_source) == 0:
            raise DataError("RandomSampler: data_source is empty, there is no sample to draw")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self) -> int:
        return self.num_samples

    def draw(self, seed, epoch) -> np.ndarray:
        n, k = len(self.data_source), self.num_samples
        rng = _rng(seed, epoch)
        if self.replacement:
            return rng.integers(n, size=k, dtype=np.int64)
        if k == n:
            return rng.permutation(n)
        rounds = [rng.permutation(n) for _ in range(-(-k // n))]
        return np.concatenate(rounds)[:k]

    def __repr__(self) -> str:
        return f"RandomSampler({len(self.data_source)} samples, replacement={self.replacement}, " \
               f"num_samples={self.num_samples}, {self._randomness()})"


class SubsetRandomSampler(DrawingSampler):
    """The given ``indices`` in a random order every epoch (a split without a Subset)."""

    def __init__(self, indices, generator=None, *, seed: int | None = None):
        super().__init__(seed, generator)
        indices = np.asarray(indices)
        if indices.size == 0:
            indices = indices.astype(np.int64)
        if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
            raise DataError(f"SubsetRandomSampler: indices must be a 1-d sequence of integers, got {indices.dtype} "
                            f"of shape {indices.shape}")
        self.indices = indices.astype(np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def draw(self, seed, epoch) -> np.ndarray:
        return self.indices[_rng(seed, epoch).permutation(len(self.indices))]

    def __repr__(self) -> str:
        return f"SubsetRandomSampler({len(self)} indices, {self._randomness()})"


class WeightedRandomSampler(DrawingSampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (one per sample,
    non-negative, not all zero): with ``replacement`` (the default) each draw independent, the usual
    way to show a model its rare classes as often as the common ones (weight each sample by one over
    its class's count); without, no index twice, so ``num_samples`` can be at most the number of
    positive weights (PyTorch would then serve zero-weight samples)."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None, *,
                 seed: int | None = None):
        super().__init__(seed, generator)
        self.num_samples = _check_num_samples(num_samples, "WeightedRandomSampler")
        self.replacement = _check_replacement(replacement, "WeightedRandomSampler")
        try:
            weights = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataError("WeightedRandomSampler: weights must be numbers, one per sample") from None
        if weights.ndim != 1:
            raise DataError(f"WeightedRandomSampler: weights must be 1-d (one per sample), got shape {weights.shape}")
        bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
        if len(bad):
            raise DataError(f"WeightedRandomSampler: weights must be finite and non-negative, weights[{bad[0]}] is "
                            f"{float(weights[bad[0]])!r}")
        positive = int(np.count_nonzero(weights))
        if positive == 0:
            raise DataError("WeightedRandomSampler: weights must not all be zero (or be empty), there is no sample "
                            "to draw")
        if not self.replacement and self.num_samples > positive:
            raise DataError(f"WeightedRandomSampler: replacement=False draws a sample once at most, so num_samples="
                            f"{self.num_samples} needs that many positive weights, and {positive} are")
        self.weights = weights

    def __len__(self) -> int:
        return self.num_samples

    def draw(self, seed, epoch) -> np.ndarray:
        p = self.weights / self.weights.sum()
        return _rng(seed, epoch).choice(len(p), size=self.num_samples, replace=self.replacement, p=p)

    def __repr__(self) -> str:
        return f"WeightedRandomSampler({len(self.weights)} weights, num_samples={self.num_samples}, " \
               f"replacement={self.replacement}, {self._randomness()})"
