"""``DataLoader``: a dataset cut into batches, shuffled reproducibly, one epoch per iteration.

Reproducibility rule: the order of epoch ``e`` is a function of ``(seed, e)`` alone. A loader made
with ``seed=None`` draws its seed from ``deltaprop.default_generator`` the first time it shuffles,
so ``deltaprop.manual_seed(n)`` fixes it too. Because the order never depends on how many epochs
ran before in this process, a training run resumed from a checkpoint (which stores
:meth:`DataLoader.state_dict`) sees exactly the shuffles the uninterrupted run would have seen.

A loader given a ``generator=`` (PyTorch's form) instead draws a fresh seed from that generator for
every pass, as PyTorch's loader does: two generators seeded alike give the same orders, and
reseeding the generator repeats them. The loader keeps the seed of its last pass with that pass's
epoch, so ``set_epoch`` of that epoch replays it, and its state holds the generator's, so that a
checkpoint resumes such a run too.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import random as dp_random
from ..errors import ConfigError, DataError
from ..tensor import Tensor
from .batching import BatchSampler
from .collate import collate_arrays
from .dataset import ArrayDataset, TensorDataset
from .iterable import IterableDataset
from .samplers import DrawingSampler
from .seeding import _check_seed, _is_int, check_randomness, draw_seed
from .subsets import Subset
from .workers import worker_options

_CHUNK_BYTES = 1 << 20


class DataLoader:
    """Iterate over ``dataset`` in batches; each batch is a tuple of NumPy arrays (a dict of them
    for a dataset whose samples are dicts), or of tensors for a :class:`TensorDataset` and for
    fields whose samples are tensors, as PyTorch's loader gives.

    PyTorch's arguments, in PyTorch's order: ``batch_size`` samples per batch (1 by default; the
    last one smaller unless ``drop_last``); ``batch_size=None`` turns batching off, as in PyTorch:
    each sample is served as the dataset gives it (through ``collate_fn`` when one is given), for a
    dataset whose items are batches already; ``shuffle`` draws a fresh order every epoch. Each
    ``iter(loader)`` runs the current epoch and advances the epoch counter; :meth:`set_epoch` moves
    it by hand.

    ``sampler`` (a :class:`~deltaprop.data.Sampler`, or any iterable of indices with a length) gives
    the order in place of ``shuffle``; the samplers of :mod:`deltaprop.data.samplers` draw epoch
    ``e`` from the loader's seed (or generator), so a run with one replays as a shuffling run does (a
    loader without a seed takes its sampler's). ``batch_sampler`` gives whole batches of indices in
    place of ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``: a
    :class:`~deltaprop.data.BatchSampler` of a sampler batches as those four would. ``collate_fn``
    makes a batch from the list of its samples, as in PyTorch, in place of the collation below
    (``collate_fn=default_collate`` gives PyTorch's batches of tensors).

    ``generator`` (a :class:`deltaprop.Generator`) or ``seed`` (deltaprop's form, a number) fixes
    the shuffles; see the module's text. ``num_workers``, ``pin_memory``, ``timeout``,
    ``worker_init_fn``, ``multiprocessing_context``, ``prefetch_factor``, ``persistent_workers``,
    ``pin_memory_device`` and ``in_order`` are taken and checked as PyTorch's are, and change nothing:
    every batch is made in the calling process (see :mod:`deltaprop.data.workers`).

    For an :class:`ArrayDataset` (or a :class:`~deltaprop.data.Subset` of one) each batch is one
    fancy index per array (a copy, so changing a batch in place never changes the dataset). Any
    other dataset (with ``len`` and ``[i]``) is gathered sample by sample and stacked per field, as
    PyTorch's default_collate does: the fields of a tuple or list sample, the keys of a dict sample.
    An :class:`~deltaprop.data.IterableDataset` is batched in the order its stream comes.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True, seed: int | None = None):
        shuffle = False if shuffle is None else shuffle  # PyTorch's None: no shuffling
        if batch_size is not None and (not _is_int(batch_size) or batch_size < 1):
            raise ConfigError(f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}")
        for name, value in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(f"DataLoader: {name} must be True or False, got {value!r}")
        for name, value in worker_options(num_workers, pin_memory, timeout, worker_init_fn, multiprocessing_context,
                                          prefetch_factor, persistent_workers, pin_memory_device, in_order).items():
            setattr(self, name, value)
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ConfigError("DataLoader: batch_sampler gives whole batches, so batch_size, shuffle, sampler and "
                                  "drop_last cannot be given with it (PyTorch refuses them together too)")
            if not hasattr(batch_sampler, "__iter__"):
                raise ConfigError(f"DataLoader: batch_sampler must be an iterable of lists of dataset indices (a "
                                  f"BatchSampler), got {type(batch_sampler).__name__}")
            batch_size = None  # (PyTorch's attributes: the batch sampler decides)
        elif sampler is not None and shuffle:
            raise ConfigError("DataLoader: sampler cannot be given with shuffle=True; the sampler decides the order "
                              "(a RandomSampler shuffles)")
        elif batch_size is None and drop_last:
            raise ConfigError("DataLoader: batch_size=None serves the samples one by one, unbatched, so there is no "
                              "last batch for drop_last=True to drop; give a batch_size or drop_last=False")
        if isinstance(dataset, IterableDataset):
            for name, given in (("shuffle", shuffle), ("sampler", sampler is not None),
                                ("batch_sampler", batch_sampler is not None)):
                if given:
                    raise ConfigError(f"DataLoader: an IterableDataset gives its samples in its own order, so {name} "
                                      "cannot be given with it (PyTorch refuses it too)")
        if collate_fn is not None and not callable(collate_fn):
            raise ConfigError(f"DataLoader: collate_fn must be a function from a list of samples to a batch, got "
                              f"{collate_fn!r}")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn
        self._seed, self.generator = check_randomness(seed, generator, "DataLoader")
        self._epoch = 0
        self._pass = None  # (epoch, seed) of the last pass whose seed was drawn from a generator
        # How a pass is made: the order of a sampler (sampler=, or a BatchSampler's own) cut into
        # batches of self._size, or the lists of a batch sampler of the user's, served as they come.
        self._size, self._drop, self._order_sampler, self._own_batches = self.batch_size, self.drop_last, sampler, None
        if batch_sampler is not None:
            if type(batch_sampler).__iter__ is BatchSampler.__iter__:
                self._size, self._drop = batch_sampler.batch_size, batch_sampler.drop_last
                self._order_sampler = batch_sampler.sampler
            else:
                self._own_batches = batch_sampler
        self._pass_generator = self.generator
        if self._order_sampler is not None:
            self._adopt_sampler(self._order_sampler, "sampler" if sampler is not None else "batch_sampler's sampler")

    def _adopt_sampler(self, sampler, name: str) -> None:
        """Check ``sampler`` and take its seed or generator, which decide the order (a loader's
        seed must not contradict it)."""
        if not hasattr(sampler, "__iter__") or not hasattr(sampler, "__len__"):
            raise ConfigError(f"DataLoader: {name} must be an iterable of dataset indices with a length (a "
                              f"Sampler), got {type(sampler).__name__}")
        if not isinstance(sampler, DrawingSampler):
            return
        own_seed, own_generator = sampler.seed, sampler.generator
        if own_generator is not None:
            if self._seed is not None:
                raise ConfigError(f"DataLoader: seed={self._seed} is given, and its {name} draws from a generator; "
                                  "give the randomness in one place")
            self._pass_generator = own_generator  # the sampler's generator decides, as in PyTorch
        elif own_seed is not None:
            if self.generator is not None or (self._seed is not None and own_seed != self._seed):
                given = "a generator" if self.generator is not None else f"seed={self._seed}"
                raise ConfigError(f"DataLoader: {given} differs from its {name}'s seed={own_seed}; give the seed in "
                                  "one place")
            self._seed = own_seed

    # -- the epoch counter and its state ------------------------------------------------------

    @property
    def epoch(self) -> int:
        """The epoch the next ``iter(loader)`` will run (0 for a fresh loader)."""
        return self._epoch

    @property
    def random(self) -> bool:
        """Whether the order is drawn at random (``shuffle``, or a sampler that draws at random)."""
        sampler = self._order_sampler
        return self.shuffle or (isinstance(sampler, DrawingSampler) and sampler.random)

    @property
    def draws_from_generator(self) -> bool:
        """Whether each pass draws its order from a generator (the loader's or its sampler's)."""
        return self.random and self._pass_generator is not None

    @property
    def seed(self) -> int | None:
        """The seed behind the shuffles (None until a seed=None loader first shuffles; None for a
        loader that draws from a generator)."""
        return self._seed

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration run epoch ``epoch`` (its order is fixed by the seed and ``epoch``;
        with a generator, the last pass's epoch replays its order, any other draws afresh)."""
        if not _is_int(epoch) or epoch < 0:
            raise ConfigError(f"DataLoader.set_epoch: epoch must be a non-negative integer, got {epoch!r}")
        self._epoch = int(epoch)

    def state_dict(self) -> dict:
        """What a checkpoint needs to replay the same shuffles: plain data, JSON-serialisable (with a
        generator, its state and the last pass's epoch and seed too)."""
        if self.draws_from_generator:
            return {"seed": None, "epoch": self._epoch, "pass": None if self._pass is None else list(self._pass),
                    "generator": dp_random.state_dict(self._pass_generator)}
        if self.random:
            self._ensure_seed()
        return {"seed": self._seed, "epoch": self._epoch}

    def load_state_dict(self, state: dict) -> None:
        """Restore a state from :meth:`state_dict`: the next epoch and its order follow on exactly."""
        keys = {"seed", "epoch", "pass", "generator"} if self.draws_from_generator else {"seed", "epoch"}
        if not isinstance(state, dict) or set(state) != keys:
            raise ConfigError(f"DataLoader.load_state_dict: expected a dict with the keys {sorted(keys)} (the state of "
                              f"a loader {'with' if self.draws_from_generator else 'without'} a generator), got {state!r}")
        seed = _check_seed(state["seed"], "DataLoader.load_state_dict")
        if "pass" in state:
            last = state["pass"]
            if last is not None and not (isinstance(last, (list, tuple)) and len(last) == 2
                                         and all(_is_int(v) and v >= 0 for v in last)):
                raise ConfigError(f"DataLoader.load_state_dict: 'pass' must be None or [epoch, seed], got {last!r}")
            try:
                dp_random.load_state_dict(state["generator"], self._pass_generator)
            except (TypeError, ValueError, KeyError) as error:
                raise ConfigError(f"DataLoader.load_state_dict: 'generator' is not a generator's state ({error})") from None
            self._pass = None if last is None else (int(last[0]), int(last[1]))
        self.set_epoch(state["epoch"])
        self._seed = seed

    # -- batches --------------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of batches in one epoch (refused, as by PyTorch, for a stream without a length)."""
        if self._own_batches is not None:
            return len(self._own_batches)
        n = len(self.dataset) if self._order_sampler is None else len(self._order_sampler)
        if self._size is None:
            return n
        return n // self._size if self._drop else -(-n // self._size)

    def _key(self, epoch: int) -> tuple:
        """The (seed, epoch) the order of ``epoch`` is drawn from: the loader's seed, or with a
        generator the seed drawn for that pass (the next draw's, unlooked-at, for a pass to come)."""
        if self._pass_generator is None:
            return self._ensure_seed(), epoch
        if self._pass is not None and self._pass[0] == epoch:
            return self._pass[1], 0
        return draw_seed(self._pass_generator.clone_state()), 0

    def order(self, epoch: int | None = None) -> np.ndarray:
        """The sample indices of ``epoch`` (default: the next one) in the order they will be served."""
        epoch = self._epoch if epoch is None else epoch
        if self._order_sampler is not None:
            return self._sampled(epoch)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        # A generator keyed on (seed, epoch): epochs are independent of one another, so any epoch
        # can be replayed on its own.
        return np.random.default_rng(list(self._key(epoch))).permutation(n)

    def _sampled(self, epoch: int) -> np.ndarray:
        sampler = self._order_sampler
        if isinstance(sampler, DrawingSampler):
            return sampler.draw(*self._key(epoch)) if sampler.random else sampler.draw(None, epoch)
        # Any other sampler is iterated once per epoch; it replays only if it keeps its own epochs.
        return _indices(_iterated(sampler, epoch), "the sampler", "one at a time")

    def __iter__(self):
        # Not a generator function: the order is drawn and the counter advanced as soon as iter()
        # is called, so state_dict() taken during an epoch already points at the next one.
        epoch = self._epoch
        if isinstance(self.dataset, IterableDataset):
            batches = self._stream()
        elif self._own_batches is not None:
            batches = (self._batch(_indices(batch, "the batch_sampler", "a list of them per batch"))
                       for batch in _iterated(self._own_batches, epoch))
        else:
            if self.draws_from_generator and (self._pass is None or self._pass[0] != epoch):
                self._pass = (epoch, draw_seed(self._pass_generator))
            batches = self._batches(self.order(epoch))
        self._epoch += 1
        return batches

    def _stream(self):
        """The batches of an IterableDataset: its samples in the order they come, cut into batches."""
        items = iter(self.dataset)
        if self._size is None:
            for item in items:
                yield item if self.collate_fn is None else self.collate_fn(item)
            return
        collate = self.collate_fn or collate_arrays
        while samples := list(itertools.islice(items, self._size)):
            if self._drop and len(samples) < self._size:
                return
            yield collate(samples)

    def _batch(self, indices: np.ndarray):
        """The batch of the samples at ``indices``."""
        if self.collate_fn is None:
            source = _array_source(self.dataset)
            if source is not None:
                base, rows = source
                batch = tuple(a[indices if rows is None else rows[indices]] for a in base.arrays)
                return tuple(map(Tensor._wrap, batch)) if isinstance(base, TensorDataset) else batch
        samples = [self.dataset[int(i)] for i in indices]
        return collate_arrays(samples) if self.collate_fn is None else self.collate_fn(samples)

    def _batches(self, indices: np.ndarray):
        if self._size is None:  # no batching: each sample as the dataset gives it
            for i in indices:
                sample = self.dataset[int(i)]
                yield sample if self.collate_fn is None else self.collate_fn(sample)
            return
        size = self._size
        stop = len(indices) - len(indices) % size if self._drop else len(indices)
        source = None if self.collate_fn is not None else _array_source(self.dataset)
        if source is None:
            for start in range(0, stop, size):
                yield self._batch(indices[start:start + size])
            return
        base, rows = source
        if rows is not None:  # a Subset: its positions become rows of the arrays underneath
            indices = rows[indices]
        # The samples are gathered into serving order a chunk of batches at a time, and each
        # batch is a slice of that copy. Small batches share one gather (a fancy index per batch
        # of one sample costs more than the sample: it decides the speed of online learning);
        # big ones get a chunk of about a megabyte, still warm in the cache when the batch is
        # used. Batches never alias the dataset.
        arrays = base.arrays
        serve = Tensor._wrap if isinstance(base, TensorDataset) else None
        sample_bytes = sum(a[:1].nbytes for a in arrays) or 1
        chunk = size * max(1, _CHUNK_BYTES // (size * sample_bytes))
        for begin in range(0, stop, chunk):
            gathered = [a[indices[begin:min(begin + chunk, stop)]] for a in arrays]
            for start in range(0, len(gathered[0]), size):
                batch = [a[start:start + size] for a in gathered]
                yield tuple(batch) if serve is None else tuple(map(serve, batch))

    def _ensure_seed(self) -> int:
        if self._seed is None:
            self._seed = draw_seed()
        return self._seed

    def __repr__(self) -> str:
        randomness = f"generator={self.generator!r}" if self.generator is not None else f"seed={self._seed}"
        extra = "".join(f", {name}={value!r}" for name, value in (("sampler", self.sampler),
                                                                 ("batch_sampler", self.batch_sampler))
                        if value is not None)
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, {randomness}{extra})")


def _iterated(sampler, epoch: int):
    """A pass of a sampler of the user's, after its ``set_epoch(epoch)`` if it has one."""
    if hasattr(sampler, "set_epoch"):
        sampler.set_epoch(epoch)
    return iter(sampler)


def _indices(values, what: str, how: str) -> np.ndarray:
    """``values`` (what a sampler gave) as a 1-d integer array, refused in one sentence otherwise."""
    indices = np.asarray(list(values))
    if indices.size == 0:
        return indices.astype(np.int64)
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise DataError(f"DataLoader: {what} must give integer indices, {how}; it gave {indices.dtype} values of shape "
                        f"{indices.shape}")
    return indices


def _array_source(dataset):
    """(the ArrayDataset, the rows of it that the dataset's positions are, or None for all) when the
    dataset is an ArrayDataset or a Subset of one (at any depth); None for any other dataset."""
    rows = None
    while isinstance(dataset, Subset):
        rows = dataset.indices if rows is None else dataset.indices[rows]
        dataset = dataset.dataset
    return (dataset, rows) if isinstance(dataset, ArrayDataset) else None
