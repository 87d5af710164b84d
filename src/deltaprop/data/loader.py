"""``DataLoader``: a dataset cut into batches, shuffled reproducibly, one epoch per iteration.

Reproducibility rule: the order of epoch ``e`` is a function of ``(seed, e)`` alone. A loader made
with ``seed=None`` draws its seed from :func:`deltaprop.random.default_generator` the first time it
shuffles, so ``deltaprop.manual_seed(n)`` fixes it too. Because the order never depends on how many
epochs ran before in this process, a training run resumed from a checkpoint (which stores
:meth:`DataLoader.state_dict`) sees exactly the shuffles the uninterrupted run would have seen.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError, DataError
from ..tensor import Tensor
from .dataset import ArrayDataset, TensorDataset
from .seeding import _check_seed, _is_int, draw_seed
from .samplers import DrawingSampler
from .subsets import Subset

_CHUNK_BYTES = 1 << 20


class DataLoader:
    """Iterate over ``dataset`` in batches; each batch is a tuple of NumPy arrays (a dict of them
    for a dataset whose samples are dicts), or of tensors for a :class:`TensorDataset` and for
    fields whose samples are tensors, as PyTorch's loader gives.

    ``batch_size`` samples per batch (1 by default, as in PyTorch; the last one smaller unless
    ``drop_last``); ``batch_size=None`` turns batching off, as in PyTorch: each sample is served as
    the dataset gives it (through ``collate_fn`` when one is given), for a dataset whose items are
    batches already; ``shuffle``
    draws a fresh order every epoch from ``(seed, epoch)``. Each ``iter(loader)`` runs the current
    epoch and advances the epoch counter; :meth:`set_epoch` moves it by hand.

    ``sampler`` (a :class:`~deltaprop.data.Sampler`, or any iterable of indices with a length) gives
    the order in place of ``shuffle``; the samplers of :mod:`deltaprop.data.samplers` draw epoch
    ``e`` from the loader's ``(seed, e)``, so a run with one replays as a shuffling run does (a
    loader without a seed takes its sampler's). ``collate_fn`` makes a batch from the list of its
    samples, as in PyTorch, in place of the collation below.

    For an :class:`ArrayDataset` (or a :class:`~deltaprop.data.Subset` of one) each batch is one fancy index per array (a copy, so changing a
    batch in place never changes the dataset). Any other dataset (with ``len`` and ``[i]``) is
    gathered sample by sample and stacked per field, as PyTorch's default_collate does: the fields
    of a tuple or list sample, the keys of a dict sample.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: int | None = None, *, sampler=None, collate_fn=None):
        if batch_size is not None and (not _is_int(batch_size) or batch_size < 1):
            raise ConfigError(f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}")
        for name, value in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(f"DataLoader: {name} must be True or False, got {value!r}")
        if batch_size is None and drop_last:
            raise ConfigError("DataLoader: batch_size=None serves the samples one by one, unbatched, so there is no "
                              "last batch for drop_last=True to drop; give a batch_size or drop_last=False")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._seed = _check_seed(seed, "DataLoader")
        self._epoch = 0
        self.sampler = sampler
        self.collate_fn = collate_fn
        if sampler is not None:
            if self.shuffle:
                raise ConfigError("DataLoader: sampler cannot be given with shuffle=True; the sampler decides the order "
                                  "(a RandomSampler shuffles)")
            if not hasattr(sampler, "__iter__") or not hasattr(sampler, "__len__"):
                raise ConfigError(f"DataLoader: sampler must be an iterable of dataset indices with a length (a "
                                  f"Sampler), got {type(sampler).__name__}")
            own = getattr(sampler, "seed", None) if isinstance(sampler, DrawingSampler) else None
            if own is not None and self._seed is not None and own != self._seed:
                raise ConfigError(f"DataLoader: seed={self._seed} differs from its sampler's seed={own}; give the seed "
                                  "in one place")
            self._seed = own if self._seed is None else self._seed
        if collate_fn is not None and not callable(collate_fn):
            raise ConfigError(f"DataLoader: collate_fn must be a function from a list of samples to a batch, got "
                              f"{collate_fn!r}")

    # -- the epoch counter and its state ------------------------------------------------------

    @property
    def epoch(self) -> int:
        """The epoch the next ``iter(loader)`` will run (0 for a fresh loader)."""
        return self._epoch

    @property
    def random(self) -> bool:
        """Whether the order is drawn from the seed (``shuffle``, or a sampler that draws at random)."""
        return self.shuffle or (isinstance(self.sampler, DrawingSampler) and self.sampler.random)

    @property
    def seed(self) -> int | None:
        """The seed behind the shuffles (None until a seed=None loader first shuffles)."""
        return self._seed

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration run epoch ``epoch`` (its order is fixed by the seed and ``epoch``)."""
        if not _is_int(epoch) or epoch < 0:
            raise ConfigError(f"DataLoader.set_epoch: epoch must be a non-negative integer, got {epoch!r}")
        self._epoch = int(epoch)

    def state_dict(self) -> dict:
        """What a checkpoint needs to replay the same shuffles: plain ints, JSON-serialisable."""
        if self.random:
            self._ensure_seed()
        return {"seed": self._seed, "epoch": self._epoch}

    def load_state_dict(self, state: dict) -> None:
        """Restore a state from :meth:`state_dict`: the next epoch and its order follow on exactly."""
        if not isinstance(state, dict) or set(state) != {"seed", "epoch"}:
            raise ConfigError(
                "DataLoader.load_state_dict: expected a dict with the keys 'seed' and 'epoch', "
                f"got {state!r}"
            )
        seed = _check_seed(state["seed"], "DataLoader.load_state_dict")
        self.set_epoch(state["epoch"])
        self._seed = seed

    # -- batches --------------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def order(self, epoch: int | None = None) -> np.ndarray:
        """The sample indices of ``epoch`` (default: the next one) in the order they will be served."""
        epoch = self._epoch if epoch is None else epoch
        if self.sampler is not None:
            return self._sampled(epoch)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        # A generator keyed on (seed, epoch): epochs are independent of one another, so any epoch
        # can be replayed on its own.
        return np.random.default_rng([self._ensure_seed(), epoch]).permutation(n)

    def _sampled(self, epoch: int) -> np.ndarray:
        if isinstance(self.sampler, DrawingSampler):
            return self.sampler.draw(self._ensure_seed() if self.sampler.random else None, epoch)
        # Any other sampler is iterated once per epoch; it replays only if it keeps its own epochs.
        if hasattr(self.sampler, "set_epoch"):
            self.sampler.set_epoch(epoch)
        indices = np.asarray(list(self.sampler))
        if indices.size == 0:
            return indices.astype(np.int64)
        if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
            raise DataError(f"DataLoader: the sampler must give integer indices, one at a time; it gave {indices.dtype} "
                            f"values of shape {indices.shape}")
        return indices

    def __iter__(self):
        # Not a generator function: the order is drawn and the counter advanced as soon as iter()
        # is called, so state_dict() taken during an epoch already points at the next one.
        indices = self.order()
        self._epoch += 1
        return self._batches(indices)

    def _batches(self, indices: np.ndarray):
        if self.batch_size is None:  # no batching: each sample as the dataset gives it
            for i in indices:
                sample = self.dataset[int(i)]
                yield sample if self.collate_fn is None else self.collate_fn(sample)
            return
        stop = len(indices) - len(indices) % self.batch_size if self.drop_last else len(indices)
        if self.collate_fn is not None:
            for start in range(0, stop, self.batch_size):
                yield self.collate_fn([self.dataset[int(i)] for i in indices[start:start + self.batch_size]])
            return
        source = _array_source(self.dataset)
        if source is not None:
            base, rows = source
            if rows is not None:  # a Subset: its positions become rows of the arrays underneath
                indices = rows[indices]
            # The samples are gathered into serving order a chunk of batches at a time, and each
            # batch is a slice of that copy. Small batches share one gather (a fancy index per batch
            # of one sample costs more than the sample: it decides the speed of online learning);
            # big ones get a chunk of about a megabyte, still warm in the cache when the batch is
            # used. Batches never alias the dataset.
            arrays = base.arrays
            size = self.batch_size
            serve = Tensor._wrap if isinstance(base, TensorDataset) else None
            sample_bytes = sum(a[:1].nbytes for a in arrays) or 1
            chunk = size * max(1, _CHUNK_BYTES // (size * sample_bytes))
            for begin in range(0, stop, chunk):
                gathered = [a[indices[begin:min(begin + chunk, stop)]] for a in arrays]
                for start in range(0, len(gathered[0]), size):
                    batch = [a[start:start + size] for a in gathered]
                    yield tuple(batch) if serve is None else tuple(map(serve, batch))
            return
        for start in range(0, stop, self.batch_size):
            yield _collate([self.dataset[int(i)] for i in indices[start:start + self.batch_size]])

    def _ensure_seed(self) -> int:
        if self._seed is None:
            self._seed = draw_seed()
        return self._seed

    def __repr__(self) -> str:
        sampler = "" if self.sampler is None else f", sampler={self.sampler!r}"
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self._seed}{sampler})")


def _array_source(dataset):
    """(the ArrayDataset, the rows of it that the dataset's positions are, or None for all) when the
    dataset is an ArrayDataset or a Subset of one (at any depth); None for any other dataset."""
    rows = None
    while isinstance(dataset, Subset):
        rows = dataset.indices if rows is None else dataset.indices[rows]
        dataset = dataset.dataset
    return (dataset, rows) if isinstance(dataset, ArrayDataset) else None


def _collate(samples: list):
    """One batch from samples, field by field, as PyTorch's default_collate: a tuple or list
    sample is a sequence of fields (a tuple of arrays), a dict sample gives a dict of arrays, and
    anything else is one field (a 1-tuple)."""
    batch = _collate_field(samples)
    return batch if isinstance(batch, (tuple, dict)) else (batch,)


def _collate_field(values: list):
    """One field of a batch: a dict or a tuple of fields for dicts and sequences, batched in turn at
    every level as default_collate does, else the values stacked into one array."""
    first = values[0]
    if isinstance(first, Mapping):
        return {key: _collate_field([value[key] for value in values]) for key in first}
    if not isinstance(first, (tuple, list)):
        stacked = np.stack([np.asarray(value) for value in values])
        return Tensor._wrap(stacked) if isinstance(first, Tensor) else stacked  # tensors in, a tensor out
    widths = {len(value) for value in values}
    if len(widths) > 1:
        raise DataError(f"DataLoader: the samples of a batch have different numbers of fields ({sorted(widths)})")
    return tuple(_collate_field(list(fields)) for fields in zip(*values))
