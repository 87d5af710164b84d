"""Batches that come ready-made: ``fit``, ``evaluate`` and ``predict`` on a DataLoader or a generator.

Keras 3 takes a ``PyDataset``, a generator or a PyTorch ``DataLoader`` in place of arrays, and a
PyTorch user holds a loader already. Here a *batch source* is a ``deltaprop.data.DataLoader`` or
any other iterable of batches that is not array-like: each batch is ``(x, y)`` or
``(x, y, sample_weight)`` of arrays or tensors (``predict`` takes ``x`` alone, or the first item).
A list or a tuple stays array data (a list of rows), as before.

Three kinds, told apart once:

- a ``DataLoader``: epoch e of a run is the loader's epoch e (``set_epoch(e)``), as the arrays' own
  loader runs it, so the order of every epoch follows from the loader's seed and a checkpoint can
  replay it; a shuffling loader without a seed takes the run's. One with a generator draws each
  epoch's order from it, and a checkpoint keeps the generator's state and the epoch's draw, so a
  resumed run draws what the uninterrupted one drew. A loader over an IterableDataset is read as a
  re-iterable (its stream from the start at every epoch) and cannot be resumed;
- another re-iterable (``iter()`` starts a new pass): one pass per epoch;
- a one-shot iterator (a generator): it is not rewound, so each epoch continues where the last one
  stopped, as Keras does; running out before ``steps_per_epoch`` batches ends the run.

``steps_per_epoch`` takes at most that many batches of each epoch's pass (a re-iterable starts
every epoch from its beginning, as ``zip(range(steps), loader)`` would; Keras instead carries a pass
on across epochs). Every batch is checked and converted as arrays are (``prepare``), its weights
as ``sample_weight`` is (finite, not negative), and an epoch whose batches weigh every sample 0 is
refused, as weights of 0 for all the arrays' samples are.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..data import DataLoader, IterableDataset
from ..errors import ConfigError, DataError
from ..tensor import Tensor


def is_batch_source(data) -> bool:
    """Whether ``data`` is a source of batches rather than array data."""
    if isinstance(data, DataLoader) or hasattr(data, "__next__"):
        return True
    if isinstance(data, (np.ndarray, Tensor, list, tuple, dict, str, bytes)) or hasattr(data, "__array__"):
        return False
    return hasattr(data, "__iter__")


def describe(data) -> str:
    """What a source is, in words, for the sentences that refuse something."""
    if isinstance(data, DataLoader):
        return "a DataLoader"
    if hasattr(data, "__next__"):
        return f"a one-shot iterator ({type(data).__name__})"
    return f"an iterable of batches ({type(data).__name__})"


def refuse_with_source(caller: str, data, given: dict) -> None:
    """One sentence for the first option ``given`` (name -> value, None when not given) that a batch
    source cannot take, as Keras refuses them: the batches carry these themselves."""
    reasons = {
        "y": "the targets come from its batches, (x, y) or (x, y, sample_weight)",
        "batch_size": "its batches are made already; set the batch size on the loader",
        "validation_split": "only arrays can be split; pass the validation batches as validation_data",
        "sample_weight": "give each batch its weights as a third item, (x, y, sample_weight)",
        "class_weight": "give each batch its weights as a third item, (x, y, sample_weight)",
        "shuffle": "the loader shuffles (DataLoader(..., shuffle=True, seed=...))",
        "validation_batch_size": "its batches are made already",
    }
    for name, value in given.items():
        if value is not None and not (name == "validation_split" and value == 0):
            raise ConfigError(f"{caller}: {name} cannot be given with {describe(data)}: {reasons[name]}")


class BatchSource:
    """Batches of ``data`` for one ``caller`` ('fit', 'fit (validation_data)', 'evaluate',
    'predict'): ``prepare(x, y, caller)`` converts a batch as arrays are converted."""

    def __init__(self, data, caller: str, prepare=None, steps: int | None = None):
        self.data = data
        self.caller = caller
        self.prepare = prepare
        self.steps = steps  # at most this many batches per pass
        self.one_shot = hasattr(data, "__next__") and not isinstance(data, DataLoader)
        self.weighted = None  # whether the batches carry sample weights: fixed by the first batch
        self.weighted_loss = None  # the loss weighted batches train with, made at the first of them
        self.served = 0  # batches served in the current pass
        self.some_weight = False  # whether a batch of the current pass gave a sample a positive weight
        self.ran_out = False  # a one-shot iterator ended inside a pass that wanted more

    def batches_per_pass(self) -> int | None:
        """Batches per pass where that is known (None for a generator without steps)."""
        length = None
        if not self.one_shot:
            try:
                length = len(self.data)
            except TypeError:
                pass
        if self.steps is None:
            return length
        return self.steps if length is None else min(length, self.steps)

    def raw(self, epoch: int | None = None):
        """The raw batches of one pass: epoch ``epoch`` of a DataLoader, a new pass of another
        iterable, or what is left of a one-shot iterator; at most ``steps`` of them."""
        if isinstance(self.data, DataLoader) and epoch is not None:
            self.data.set_epoch(epoch)
        batches = self.data if self.one_shot else iter(self.data)
        return batches if self.steps is None else itertools.islice(batches, self.steps)

    def unpacked(self, epoch: int | None = None):
        """(x, y, sample_weight or None) per batch, each checked and converted by ``prepare``."""
        self.served, self.ran_out, self.some_weight = 0, False, False
        for index, batch in enumerate(self.raw(epoch)):
            where = f"{self.caller}, batch {index}"
            if isinstance(batch, dict) or not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
                what = f"a {type(batch).__name__}" if not isinstance(batch, (tuple, list)) else f"{len(batch)} items"
                raise DataError(f"{where}: a batch must be (x, y) or (x, y, sample_weight), got {what}")
            weighted = len(batch) == 3
            if self.weighted is None:
                self.weighted = weighted
            elif weighted != self.weighted:
                raise DataError(f"{where}: every batch must carry sample weights or none does, and this one "
                                f"{'does' if weighted else 'does not'} unlike the first")
            x, y = self.prepare(batch[0], batch[1], where)
            weights = None
            if weighted:
                from .weighting import checked_sample_weight

                weights = checked_sample_weight(batch[2], len(x), where)
                self.some_weight = self.some_weight or bool(weights.any())
            self.served += 1
            yield x, y, weights
        self.ran_out = self.one_shot and self.steps is not None and self.served < self.steps

    def features(self):
        """x of each batch, for predict: the batch itself, or the first item of a tuple."""
        for batch in self.raw():
            yield batch[0] if isinstance(batch, (tuple, list)) else batch

    def state(self) -> dict:
        """What a checkpoint records of the source, to refuse resuming on other data."""
        if not isinstance(self.data, DataLoader):
            return {"kind": type(self.data).__name__}
        loader = self.data
        stream = isinstance(loader.dataset, IterableDataset)
        state = {"kind": "DataLoader", "seed": loader.seed, "batch_size": loader.batch_size, "shuffle": loader.shuffle,
                 "drop_last": loader.drop_last, "samples": None if stream else len(loader.dataset)}
        # (each key below is absent where it does not apply, as in checkpoints made before it existed)
        if loader.sampler is not None:
            state["sampler"] = f"{type(loader.sampler).__name__} of {len(loader.sampler)}"
        if loader.batch_sampler is not None:
            state["batch_sampler"] = type(loader.batch_sampler).__name__
        if loader.draws_from_generator:
            state["generator"] = loader.state_dict()
        if stream:
            state["stream"] = type(loader.dataset).__name__
        return state


def adopt_seed(source: BatchSource | None, seed: int, validation: bool = False) -> None:
    """A DataLoader that draws its order at random (shuffles, or has a random sampler) without a seed
    takes the run's, so a run repeats from fit's seed alone. One with a generator keeps drawing from
    it, but for validation, which reads it in the run's order instead: its draws would come at other
    times in a resumed run, and change what the training loaders that share the generator draw."""
    loader = None if source is None else source.data
    if not isinstance(loader, DataLoader) or not loader.random:
        return
    if loader.draws_from_generator:
        if validation:  # its pass of epoch 0, which every validation reads, keyed on the run's seed
            state = loader.state_dict()
            state["pass"] = [0, int(seed)]
            loader.load_state_dict(state)
    elif loader.seed is None:
        loader.load_state_dict({"seed": int(seed), "epoch": loader.epoch})


def check_resume_source(state, source: BatchSource | None, path, steps_per_epoch) -> None:
    """Refuse a resume whose training batches could differ from those of the run it continues."""
    saved = state.get("data")  # None: the checkpoint's run trained on arrays
    if state.get("steps_per_epoch") != steps_per_epoch:
        raise ConfigError(f"fit: the checkpoint {path} was trained with steps_per_epoch={state.get('steps_per_epoch')}, "
                          f"this run asks for {steps_per_epoch}; resume with the same steps")
    if source is None:
        if saved is not None:
            raise ConfigError(f"fit: the checkpoint {path} was trained on {_saved_kind(saved)}, this run gives "
                              f"arrays; resume with the same DataLoader")
        return
    if not isinstance(source.data, DataLoader):
        raise ConfigError(f"fit: resume_from needs training data that can be replayed (arrays, or a deltaprop "
                          f"DataLoader, whose seed fixes every epoch), not {describe(source.data)}")
    if saved is None:
        raise ConfigError(f"fit: the checkpoint {path} was trained on arrays, this run gives a DataLoader; resume with "
                          f"the same arrays")
    if saved.get("kind") != "DataLoader":
        raise ConfigError(f"fit: the checkpoint {path} was trained on {_saved_kind(saved)}, which cannot be replayed")
    if isinstance(source.data.dataset, IterableDataset):
        raise ConfigError(f"fit: resume_from needs training data that can be replayed, and a DataLoader over an "
                          f"IterableDataset ({type(source.data.dataset).__name__}) reads a stream that no seed fixes")
    if isinstance(saved.get("seed"), int):
        adopt_seed(source, saved["seed"])  # a loader without a seed takes the one the run shuffled with
    mine = source.state()
    if ("generator" in mine) != ("generator" in saved):
        drew = "drew its order from a generator" if "generator" in saved else "drew no order from a generator"
        raise ConfigError(f"fit: the checkpoint {path} was trained on a DataLoader that {drew}, this run's "
                          f"{'does not' if 'generator' in saved else 'does'}; resume with the same loader")
    for key in ("seed", "batch_size", "shuffle", "drop_last", "samples", "sampler", "batch_sampler"):
        if mine.get(key) != saved.get(key):
            raise ConfigError(f"fit: the checkpoint {path} was trained on a DataLoader with {key}={saved.get(key)!r}, "
                              f"this run's has {key}={mine.get(key)!r}; resume with the same loader")
    if "generator" in saved:  # the generator as the checkpoint found it, and the draw of its epoch
        source.data.load_state_dict(saved["generator"])


def _saved_kind(saved) -> str:
    kind = saved.get("kind") if isinstance(saved, dict) else None
    return "a DataLoader" if kind == "DataLoader" else f"an iterable of batches ({kind})"


def training_batches(source: BatchSource, epoch: int, make_weighted, dtype):
    """(the (x, y) batches of ``epoch``, the weighted loss their weights go to, or None). The first
    batch says whether the batches are weighted; ``make_weighted(x, y)`` gives the weighted loss,
    once per run, and each batch's weights reach it as the batch is served."""
    batches = source.unpacked(epoch)
    first = next(batches, None)
    if first is None:
        return iter(()), None
    batches = itertools.chain([first], batches)
    if first[2] is None:
        return ((x, y) for x, y, _ in batches), None
    if source.weighted_loss is None:
        source.weighted_loss = make_weighted(first[0], first[1])
    return _feeding(batches, source.weighted_loss, dtype), source.weighted_loss


def _feeding(batches, weighted, dtype):
    for x, y, w in batches:
        weighted.weights = Tensor(w.astype(dtype), dtype=dtype)
        yield x, y
