"""The fit loop: mini-batches and epochs, validation, callbacks, checkpoints and exact resume.

One training step is the seeds' whole algorithm: the forward phase computes and remembers every
layer's a and o, the loss E is measured at the output, ``backward()`` propagates the error terms
δ to every weight, and the optimizer moves each weight against its gradient, w ← w − r·g. An epoch
runs that step over every mini-batch of the (shuffled) training set.

A run is a function of its seed: the validation split, the shuffling of every epoch and every
random draw (dropout) follow from it, and a checkpoint stores all of it (weights, optimizer state,
position in the epoch, random state, history, callback state), so a resumed run ends with weights
bitwise equal to an uninterrupted one.
"""

from __future__ import annotations

import itertools
import math
import numbers
import signal
import time
import warnings

import numpy as np

from .. import nn, optim
from .. import random as dp_random
from ..data import ArrayDataset, DataLoader
from ..errors import ConfigError, DataError, DeltapropError, ModelFileError
from ..grad_mode import no_grad
from ..tensor import Tensor
from .callbacks import LearningRateScheduler, ModelCheckpoint, TerminateOnNaN, as_callback, defines
from .history import History
from .progress import Progress, format_logs
from .resume import check_resume_settings, check_resume_state, decode_sums, encode_sums
from .running import RunningMetrics, checked_metrics, log_names
from .sources import (
    BatchSource,
    adopt_seed,
    check_resume_source,
    describe,
    is_batch_source,
    refuse_with_source,
    training_batches,
)
from .weighting import WeightedLoss, check_some_weight, checked_sample_weight, digest, sample_weights, target_for

LOSSES = {
    "cross_entropy": nn.CrossEntropyLoss,
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "mae": nn.L1Loss,
    "huber": nn.HuberLoss,
    "bce": nn.BCELoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
    "nll": nn.NLLLoss,
    # Keras' names where they mean the same computation (its cross-entropies take probabilities
    # unless from_logits=True, so they are not aliases of 'cross_entropy': see make_loss)
    "mean_squared_error": nn.MSELoss,
    "mean_absolute_error": nn.L1Loss,
    "binary_crossentropy": nn.BCELoss,
}
_KERAS_CROSS_ENTROPIES = ("categorical_crossentropy", "sparse_categorical_crossentropy")

OPTIMIZERS = {
    "sgd": (optim.SGD, 0.01),
    "adam": (optim.Adam, 1e-3),
    "adamw": (optim.AdamW, 1e-3),
    "rmsprop": (optim.RMSprop, 1e-2),
    "adagrad": (optim.Adagrad, 1e-2),
    "adadelta": (optim.Adadelta, 1.0),
    "adamax": (optim.Adamax, 2e-3),
    "nadam": (optim.NAdam, 2e-3),
    "radam": (optim.RAdam, 1e-3),
}

_quiet_overflow = np.errstate(over="ignore", invalid="ignore")
_EVALUATION_BATCH = 256  # evaluate()'s and predict()'s default batch, and the smallest default validation batch
_TRAINING_STREAM = 1  # the run's seed, extended by this number, seeds the draws made while training

# Losses that compare class indices with logits; the others compare values of the output's shape.
_CLASS_INDEX_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss)


def _takes_class_indices(loss) -> bool:
    """Whether ``loss`` takes class indices as targets: the modules above, or their functions."""
    return isinstance(loss, _CLASS_INDEX_LOSSES) or loss in (nn.functional.cross_entropy, nn.functional.nll_loss)


def _ignored_label(loss):
    """The label a class-index loss ignores (its ignore_index; PyTorch's -100 for the functions),
    or None for any other loss."""
    return getattr(loss, "ignore_index", -100) if _takes_class_indices(loss) else None


def _nothing_to_score(loss, target) -> bool:
    """Whether every target of this batch is the label ``loss`` ignores: PyTorch's mean is then NaN
    and its gradient 0, a batch of padding rather than a diverging run."""
    ignored = _ignored_label(loss)
    # (any dtype: fit makes integer (N, L) labels floats, since they might be one-hot rows)
    return ignored is not None and bool(np.all(target == ignored))


def _takes_logits(loss) -> bool:
    """Whether ``loss`` reads the model's outputs as logits (log-probabilities for NLL); a
    multi-label soft margin loss is a binary cross-entropy of logits too."""
    return (isinstance(loss, (nn.BCEWithLogitsLoss, nn.MultiLabelSoftMarginLoss, *_CLASS_INDEX_LOSSES))
            or loss in (nn.functional.binary_cross_entropy_with_logits, nn.functional.multilabel_soft_margin_loss)
            or _takes_class_indices(loss))


def _takes_signs(loss) -> bool:
    """Whether ``loss`` compares each output with a target of −1 or +1 (a soft margin, as a support
    vector machine's): the label an output predicts is its sign."""
    return isinstance(loss, nn.SoftMarginLoss) or loss is nn.functional.soft_margin_loss


def make_loss(loss):
    if isinstance(loss, str):
        if loss in _KERAS_CROSS_ENTROPIES:
            raise ConfigError(
                f"loss {loss!r} is Keras' name for a cross-entropy of probabilities; deltaprop's 'cross_entropy' takes "
                f"the model's raw outputs (logits, Keras' from_logits=True) and class indices (or one-hot rows): end the "
                f"model without a Softmax and use 'cross_entropy'")
        if loss not in LOSSES:
            raise ConfigError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
        return LOSSES[loss]()
    if not callable(loss):
        raise ConfigError(f"loss must be a loss module, a function or a name, got {type(loss).__name__}")
    return loss


def make_optimizer(optimizer, model, lr: float | None = None):
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        cls, default_lr = OPTIMIZERS[optimizer]
        return cls(model.parameters(), lr=default_lr if lr is None else lr)
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "param_groups"):
        raise ConfigError(f"optimizer must be a deltaprop.optim optimizer or a name, got {type(optimizer).__name__}")
    return optimizer


class Trainer:
    """Trains ``model`` with ``loss`` and ``optimizer``; ``fit()`` below is the one-call form."""

    def __init__(self, model, *, loss, optimizer=None, metrics=(), callbacks=(), verbose: int | str = 1,
                 seed: int | None = None, output=None, weighted_metrics=()):
        self.model = model
        self.loss = make_loss(loss)
        _warn_of_a_second_softmax(model, self.loss)
        # An optimizer is needed to train; evaluating and predicting need none.
        self.optimizer = None if optimizer is None else make_optimizer(optimizer, model)
        self.metrics = checked_metrics(metrics, "metrics")
        self.weighted_metrics = checked_metrics(weighted_metrics, "weighted_metrics")
        self.callbacks = [as_callback(c) for c in callbacks]
        if not any(isinstance(c, TerminateOnNaN) for c in self.callbacks):
            self.callbacks.insert(0, TerminateOnNaN())
        # Checkpoints are written last at the end of an epoch, so they hold every other callback's
        # state for that epoch (early stopping's counters, the scheduler's position).
        self.callbacks.sort(key=lambda c: isinstance(c, ModelCheckpoint))
        for callback in self.callbacks:
            callback.set_trainer(self)
        self.verbose = _checked_verbose(verbose)
        self.seed = seed
        self._seed_drawn = False  # whether self.seed was drawn by fit (none given), not given
        self.output = output
        self.history = History()
        self.params: dict = {}  # Keras' {"verbose", "epochs", "steps"} of the last fit, which callbacks read
        self.metadata: dict = {}
        self.stop_training = False
        self.stop_reason = None
        self.diverged = False
        self.interrupted = False
        self._stopping_loss = math.nan  # the non-finite batch loss that stopped the run
        self.epoch = 0
        self.resumed_mid_epoch = False
        self.skipped_validation = False  # whether validation_freq left the epoch now ending without validation
        self._position = None  # (epoch, batches done, running sums) while an epoch is under way
        self._batch_size = None
        self._validation_split = None
        self._source = None  # the run's BatchSource, when fit was given batches rather than arrays
        self._steps_per_epoch = None
        self._validation_steps = None
        self._weights_digest = None  # of the run's sample weights, for checkpoints (None: unweighted)
        self._progress = None  # the running fit's, which verbose callbacks print through
        # The run's training time: seconds an earlier session of it trained (as its checkpoint
        # recorded them; None: a checkpoint from before they were recorded), and this fit's clock.
        self._seconds_before = 0.0
        self._clock = None  # (perf_counter at the start of this fit, at its end or None while it runs)

    @property
    def train_seconds(self) -> float | None:
        """Seconds the run has trained: this fit's and, for a run resumed from a checkpoint, those
        of the sessions before it up to the checkpoint (None where an older checkpoint did not
        record them; ``session_seconds`` is then all that is known)."""
        if self._seconds_before is None:
            return None
        return self._seconds_before + self.session_seconds

    @property
    def session_seconds(self) -> float:
        """Seconds of the last (or running) ``fit`` alone, from the call to its return."""
        if self._clock is None:
            return 0.0
        started, ended = self._clock
        return (time.perf_counter() if ended is None else ended) - started

    @property
    def stop_training(self) -> bool:
        """Whether the run ends after the current batch: set here, or on the model as Keras'
        callbacks do (``self.model.stop_training = True``); every reader sees either at once."""
        return self._stop_training or bool(getattr(self.model, "stop_training", False))

    @stop_training.setter
    def stop_training(self, value) -> None:
        self._stop_training = bool(value)
        if not value and getattr(self.model, "stop_training", False):
            object.__setattr__(self.model, "stop_training", False)

    # -- the loop ----------------------------------------------------------------------------------

    def fit(self, X, y=None, *, epochs: int = 1, batch_size: int | None = None, validation_data=None,
            validation_split: float = 0.0, shuffle: bool | None = None, resume_from=None, interrupt_checkpoint=None,
            sample_weight=None, class_weight=None, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> History:
        """Train on (X, y) and return the :class:`History`; the arguments are :func:`fit`'s below."""
        if self.optimizer is None:
            raise ConfigError("Trainer.fit needs an optimizer: Trainer(model, loss=..., optimizer='adam')")
        _check_positive_int("epochs", epochs)
        _check_positive_int("validation_freq", validation_freq, " (validate every n-th epoch)")
        for name, value in (("validation_batch_size", validation_batch_size), ("steps_per_epoch", steps_per_epoch),
                            ("validation_steps", validation_steps)):
            if value is not None:
                _check_positive_int(name, value, "", "None or ")
        _check_initial_epoch(initial_epoch, epochs, resume_from)
        self._clock, self._seconds_before = (time.perf_counter(), None), 0.0
        source = None
        if is_batch_source(X):
            refuse_with_source("fit", X, {"y": y, "batch_size": batch_size, "validation_split": validation_split,
                                          "sample_weight": sample_weight, "class_weight": class_weight, "shuffle": shuffle})
            source = BatchSource(X, "fit", self._prepare, steps_per_epoch)
            if source.one_shot and epochs - initial_epoch > 1 and steps_per_epoch is None:
                raise ConfigError(f"fit: {describe(X)} gives its batches once, so {epochs - initial_epoch} epochs need "
                                  f"steps_per_epoch (each epoch then continues where the last stopped), or pass a "
                                  f"DataLoader or another iterable that starts a new pass each time")
        elif y is None:
            raise ConfigError("fit: y is missing; give the targets, or X as a DataLoader of (x, y) batches")
        if batch_size is None and source is None:  # Keras' None: its default, 32
            batch_size = 32
        if source is None:
            _check_positive_int("batch_size", batch_size)
        shuffle = True if shuffle is None else shuffle
        if not isinstance(shuffle, (bool, np.bool_)):
            raise ConfigError(f"fit: shuffle must be True or False, got {shuffle!r}")
        if self._seed_drawn:  # an earlier fit drew it, none being given: this run draws its own
            self.seed, self._seed_drawn = None, False
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0):
            raise ConfigError(f"seed must be None or a non-negative integer, got {self.seed!r}")
        if (isinstance(validation_split, (bool, np.bool_)) or not isinstance(validation_split, numbers.Real)
                or not 0.0 <= validation_split < 1.0):
            raise ConfigError(f"validation_split must lie in [0, 1), got {validation_split!r}")
        if source is None:
            X, y = self._prepare(X, y)
            weights, given_weights = sample_weights(sample_weight, class_weight, y, _takes_class_indices(self.loss))
        resume = None
        if resume_from is not None:
            from ..serialization import load_checkpoint

            resume = load_checkpoint(resume_from)
            check_resume_state(resume["state"], resume_from)
            self._seconds_before = resume["state"].get("train_seconds")
            self._seed_drawn = self.seed is None
            self.seed = resume["state"]["seed"]
        if self.seed is None:
            self.seed, self._seed_drawn = int(dp_random.numpy_generator().integers(2**31)), True
        if resume is None:
            # Dropout masks and any other draw made during training come from the library's
            # generator: reseed it from the run's seed, on a stream of its own so the masks do not
            # replay the draws that initialised the weights under manual_seed(seed). (A resumed run
            # restores the generator's saved state instead.)
            dp_random.manual_seed(_training_stream_seed(self.seed))
        # Each fit is a run of its own, as in Keras: a fresh History, no stop left over from the last
        # run, and callbacks counting from scratch (a resumed run restores them below).
        self.history = History()
        self.stop_reason = None
        self.diverged = self.interrupted = self.skipped_validation = False
        for callback in self.callbacks:
            callback.reset()
        self._validation_split = float(validation_split) if validation_data is None else 0.0
        if source is not None:
            if resume is None:  # (a resumed run's loader takes the checkpoint's seed: see check_resume_source)
                adopt_seed(source, self.seed)
            weights = None
        elif validation_data is None and validation_split > 0:
            X, y, validation_data = _split(X, y, validation_split)
            if weights is not None:
                # the training rows are the first ones; the validation rows keep their sample_weight
                # (without class weights, as in Keras)
                weights = weights[:len(X)]
                if given_weights is not None:
                    validation_data += (given_weights[len(X):],)
        if is_batch_source(validation_data):
            validation_data = self._validation_source(validation_data, validation_batch_size, validation_steps)
        elif validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                given = f"a sequence of {len(validation_data)}" if isinstance(validation_data, (tuple, list)) else f"a {type(validation_data).__name__}"
                raise ConfigError(f"fit: validation_data must be (X, y) or (X, y, sample_weight), got {given}")
            caller = "fit (validation_data)"
            vx, vy = self._prepare(*validation_data[:2], caller=caller)
            if not len(vx):
                raise DataError("fit: validation_data holds no samples")
            vw = validation_data[2] if len(validation_data) == 3 else None
            validation_data = (vx, vy, None if vw is None else checked_sample_weight(vw, len(vx), caller))
        if source is None and len(X) == 0:
            raise DataError("fit: there are no training samples")
        # Weights or not is decided here, once: the unweighted loop does no work for them.
        weighted = None
        if weights is not None:
            check_some_weight(weights)
            weights = weights.astype(self._model_dtype())
            weighted = WeightedLoss(self.loss)
            weighted.check(self.model, X, y, weights.dtype)
        self._weights_digest = digest(weights)
        if source is None:
            arrays = (X, y) if weights is None else (X, y, weights)
            loader = DataLoader(ArrayDataset(*arrays), batch_size=batch_size, shuffle=shuffle, seed=self.seed)
        else:
            loader = source
            batch_size = source.data.batch_size if isinstance(source.data, DataLoader) else None
        self._batch_size, self._source, self._steps_per_epoch = batch_size, source, steps_per_epoch
        self._validation_steps = validation_steps
        start_epoch, skip_batches = initial_epoch + 1, 0
        if resume is not None:
            check_resume_settings(resume["state"], resume_from, epochs, batch_size, self.optimizer,
                                   self._validation_split, self._weights_digest)
            check_resume_source(resume["state"], source, resume_from, steps_per_epoch)
            try:
                start_epoch, skip_batches = self._restore(resume)
            except ModelFileError as error:
                raise ModelFileError(f"{resume_from}: {error}") from None
            except (DeltapropError, KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
                raise ModelFileError(f"{resume_from}: the checkpoint does not fit this run ({error})") from None
            if self.stop_reason is not None:
                # A callback (early stopping) ended the run at the checkpoint's epoch: the run this
                # one continues trained no further, whatever its number of epochs, and neither does this.
                start_epoch = epochs + 1

        if validation_batch_size is None:  # Keras' default, batch_size (raised: evaluation keeps no graph)
            validation_batch_size = max(batch_size or 0, _EVALUATION_BATCH)
        if source is not None:
            steps = source.batches_per_pass()  # None: unknown, as for a generator (Keras' too)
        else:
            steps = len(loader) if steps_per_epoch is None else min(len(loader), steps_per_epoch)
        self.params = {"verbose": self.verbose, "epochs": epochs, "steps": steps}
        self.history.params = dict(self.params)
        progress = self._progress = Progress(epochs, steps, self.verbose, self.output)
        # The hooks the loop calls per batch, decided once: a hook no callback defines costs nothing.
        batch_starts = [c for c in self.callbacks if defines(c, "on_train_batch_begin", "on_batch_begin")]
        batch_callbacks = [c for c in self.callbacks if _watches_batches(c)]
        self.stop_training = False  # (also clears a model.stop_training left over from an earlier run)
        previous_handler = self._catch_interrupts() if interrupt_checkpoint is not None else None
        was_training = self.model.training  # given back at the end, as evaluate and predict give it back
        try:
            for callback in self.callbacks:
                callback.on_train_begin({})
            for epoch in range(start_epoch, epochs + 1):
                self.epoch = epoch
                # An epoch resumed part-way has begun already: its learning rate came back with the
                # optimizer's state, and a schedule must not be applied to it a second time.
                self.resumed_mid_epoch = bool(skip_batches)
                for callback in self.callbacks:
                    callback.on_epoch_begin(epoch, {})
                # The epoch's batches are drawn after on_epoch_begin, as Keras draws them (a source's
                # first batch is read here, to tell whether its batches carry weights).
                if source is None:
                    loader.set_epoch(epoch)
                    batches = loader if weighted is None else weighted.batches(loader)
                    if steps_per_epoch is not None:
                        batches = itertools.islice(batches, steps_per_epoch)
                else:
                    batches, weighted = training_batches(source, epoch, self._weighted_loss, self._model_dtype())
                progress.start_epoch(epoch)
                started = time.perf_counter()
                sums = self._position[2] if skip_batches else {"loss": 0.0, "count": 0, "metrics": self._running_metrics()}
                self._stopping_loss = math.nan
                self._run_epoch(batches, weighted, skip_batches, sums, progress, batch_starts, batch_callbacks,
                                interrupt_checkpoint)
                skip_batches = 0
                if source is not None and self._source_ended(source):
                    break
                if self.diverged:  # the epoch is history too, as far as it went (see History)
                    self.history.append(epoch, self._cut_short_logs(validation_data, time.perf_counter() - started))
                if self.interrupted or self.diverged:
                    break
                # Keras' validation_freq: epochs whose number it does not divide log no val_ keys (the
                # history holds NaN there), and callbacks watching val_* skip them (see callbacks._monitored).
                validates = validation_data is not None and epoch % validation_freq == 0
                self.skipped_validation = validation_data is not None and not validates
                logs = self._epoch_logs(sums, validation_data if validates else None, validation_batch_size,
                                        time.perf_counter() - started)
                row = self._validation_left_out(logs) if self.skipped_validation else logs
                if not self._losses_are_finite(logs):
                    self.history.append(epoch, row)  # what it measured; no callback acts on a diverged epoch
                    break
                self._position = None
                self.history.append(epoch, row)
                for callback in self.callbacks:
                    callback.on_epoch_end(epoch, logs)
                    # What a callback added to the logs (or changed) is history too, as in Keras,
                    # whose History runs after every other callback.
                    self.history.update_last(logs)
                progress.end_epoch(logs, sums["count"])
                if self.stop_training:
                    break
        finally:
            self.model.train(was_training)
            if previous_handler is not None:
                signal.signal(signal.SIGINT, previous_handler)
            self._clock = (self._clock[0], time.perf_counter())
        last = self.history.last()
        for callback in self.callbacks:
            callback.on_train_end(last)
        self.history.stop_reason = self.stop_reason
        if self.stop_reason:
            progress.message(f"Stopped: {self.stop_reason}.")
        return self.history

    def _validation_source(self, data, validation_batch_size, validation_steps) -> BatchSource:
        """validation_data given as batches: a source read from its beginning at every validation."""
        refuse_with_source("fit (validation_data)", data, {"validation_batch_size": validation_batch_size})
        source = BatchSource(data, "fit (validation_data)", self._prepare, validation_steps)
        if source.one_shot:
            raise ConfigError(f"fit: validation_data is {describe(data)}, which the first validation would use up; "
                              f"pass a DataLoader or another iterable that starts a new pass each time")
        # A shuffling loader without a seed would draw one from the library's generator at the first
        # validation: after a resume that draw comes at another time, so validation_steps would see
        # other samples, and the dropout masks drawn after it would differ. The run's seed, which a
        # checkpoint keeps, fixes its order instead.
        adopt_seed(source, self.seed, validation=True)
        return source

    def _weighted_loss(self, x, y) -> WeightedLoss:
        """The loss weighted batches train with, checked on their first batch."""
        weighted = WeightedLoss(self.loss)
        weighted.check(self.model, x, y, self._model_dtype())
        return weighted

    def _source_ended(self, source) -> bool:
        """After an epoch on batches: a one-shot iterator that ran out ends the run (True: at once,
        the epoch having had no batch); an epoch without any batch is an error otherwise, and so is
        an epoch whose batches weigh every sample 0 (arrays of such weights are refused before
        training; a source's are known only as its batches come)."""
        if source.weighted and source.served and not source.some_weight and not self.stop_training:
            which = "batch 0" if source.served == 1 else f"batches 0 to {source.served - 1}"
            raise DataError(f"fit, {which} of epoch {self.epoch}: every sample has weight 0, so the epoch learned "
                            f"nothing; give some samples a positive weight")
        if source.ran_out:
            self.stop_training = True
            self.stop_reason = (f"the training data ran out after {source.served} batches of epoch {self.epoch} "
                                f"(a one-shot iterator gives its batches once: it must hold steps_per_epoch × epochs)")
        elif not source.served and not self.stop_training:
            raise DataError(f"fit: the training data gave no batches in epoch {self.epoch}")
        return source.ran_out and not source.served

    def say(self, text: str) -> None:
        """A line of a verbose callback's on the run's output, whatever ``verbose`` says."""
        progress = self._progress or Progress(1, 1, 0, self.output)
        progress.message(text, always=True)

    # A diverging run overflows before its loss turns NaN; TerminateOnNaN reports that in one
    # sentence naming the epoch, batch and learning rate, so NumPy's overflow warnings would be noise.
    @_quiet_overflow
    def _run_epoch(self, batches, weighted, skip, sums, progress, batch_starts, batch_callbacks, interrupt_checkpoint):
        """One epoch over ``batches`` of (x, y); with ``weighted``, each batch's weights reach that
        weighted loss as the batch is served."""
        model, optimizer = self.model, self.optimizer
        loss_fn = self.loss if weighted is None else weighted
        # Metrics accumulate batch by batch (Keras' running values), from the outputs the forward
        # pass computed anyway; the batch's weights count for the weighted ones.
        running = sums["metrics"] or None
        # The running sums live in locals during the epoch (this loop is the whole cost of fit()
        # beyond the step itself at small batch sizes) and go back into ``sums`` whenever anyone
        # may look: at an interruption and at the end.
        loss_sum, count = sums["loss"], sums["count"]
        live = progress.live
        model.train()
        batch = skip - 1
        try:
            for batch, (xb, yb) in enumerate(batches):
                if batch < skip:
                    continue
                if batch_starts:
                    for callback in batch_starts:
                        callback.on_train_batch_begin(batch, {})
                output = model(xb)
                loss = loss_fn(output, target_for(output, yb))
                value = float(loss.data)
                if math.isfinite(value):
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    n = len(xb)
                    loss_sum += value * n
                    count += n
                    if running is not None:
                        running.update(output.data, yb, None if weighted is None else weighted.weights.data)
                elif weighted is None and _nothing_to_score(self.loss, yb):
                    # padding alone: no loss to count; the step runs on the zero gradient, as
                    # PyTorch's loop would run it (momentum carries on)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                else:
                    self._stopping_loss = value
                    for callback in self.callbacks:
                        callback.on_nonfinite_loss(batch, value)
                if batch_callbacks:
                    # Keras' logs: the mean loss of the epoch so far, which a non-finite loss makes its own
                    mean = value if self.diverged else loss_sum / count if count else math.nan
                    logs = {"loss": mean}
                    if running is not None:
                        logs.update(running.results())
                    for callback in batch_callbacks:
                        callback.on_train_batch_end(batch, logs)
                if self.stop_training:
                    return
                if live and progress.due(batch):
                    shown = {"loss": loss_sum / max(count, 1)}
                    if running is not None:
                        shown.update(running.results())
                    progress.draw(batch, count, shown)
                if self._interrupt_requested:
                    sums["loss"], sums["count"] = loss_sum, count
                    if not self._weights_are_finite(batch):
                        return
                    self._position = (self.epoch, batch + 1, sums)
                    self.save_checkpoint(interrupt_checkpoint)
                    self.interrupted = True
                    self.stop_reason = f"interrupted at epoch {self.epoch}, batch {batch + 1}; checkpoint written to {interrupt_checkpoint}"
                    return
        finally:
            sums["loss"], sums["count"] = loss_sum, count
        self._weights_are_finite(batch)

    # A run has diverged as soon as anything it would save is non-finite: TerminateOnNaN watches the
    # loss of every batch; these two checks cover what it cannot see, before a checkpoint is written.

    def _weights_are_finite(self, batch) -> bool:
        """False (the run stopped as diverged) when the last step left non-finite weights behind a
        finite loss, as an overflowing gradient can."""
        if all(np.isfinite(p.data).all() for p in self.model.parameters()):
            return True
        self._diverge(f"the weights became non-finite at epoch {self.epoch}, batch {batch + 1}")
        return False

    def _losses_are_finite(self, logs) -> bool:
        """False (the run stopped as diverged) when the epoch's losses are not finite: finite but
        huge weights can overflow on the validation data."""
        for key, what in (("loss", "the training loss"), ("val_loss", "the validation loss")):
            if key in logs and not math.isfinite(logs[key]):
                self._diverge(f"{what} became {logs[key]} at the end of epoch {self.epoch}")
                return False
        return True

    def _diverge(self, what: str) -> None:
        guard = next(c for c in self.callbacks if isinstance(c, TerminateOnNaN))
        guard.stop(what)

    def _cut_short_logs(self, validation_data, seconds) -> dict:
        """The logs of the epoch a run diverged in: the loss that stopped it (NaN when the weights
        overflowed behind a finite loss), NaN for the metrics and validation it never finished."""
        names = [log_name for log_name, _, _ in log_names(self.metrics, self.weighted_metrics)]
        logs = {"loss": self._stopping_loss}
        logs.update((name, math.nan) for name in names)
        if validation_data is not None:
            logs["val_loss"] = math.nan
            logs.update(("val_" + name, math.nan) for name in names)
        logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
        logs["time"] = seconds
        return logs

    def _validation_left_out(self, logs) -> dict:
        """The history's row of an epoch that validation_freq left without validation: its logs
        with NaN for each val_ value, in the columns' usual place (before lr and time)."""
        row = {key: value for key, value in logs.items() if key not in ("lr", "time")}
        row["val_loss"] = math.nan
        row.update(("val_" + name, math.nan) for name, _, _ in log_names(self.metrics, self.weighted_metrics))
        row.update((key, logs[key]) for key in ("lr", "time") if key in logs)
        return row

    @_quiet_overflow
    def _epoch_logs(self, sums, validation_data, batch_size, seconds) -> dict:
        logs = {"loss": sums["loss"] / max(sums["count"], 1)}
        logs.update(sums["metrics"].results())
        if isinstance(validation_data, BatchSource):
            logs.update(self._evaluate_source(validation_data, "val_"))
        elif validation_data is not None:
            vx, vy, vw = validation_data
            logs.update(self._evaluate_prepared(vx, vy, batch_size, "val_", vw, self._validation_steps))
        logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
        logs["time"] = seconds
        return logs

    # -- evaluation --------------------------------------------------------------------------------

    def predict(self, X, batch_size: int | None = None, steps: int | None = None, verbose: int | str = 0) -> np.ndarray:
        """The model's outputs for ``X``, in evaluation mode and without recording a graph: ``X`` an
        array (in batches of ``batch_size``, 256 by default) or a source of batches (see
        :func:`predict`); at most ``steps`` batches. ``verbose`` 1, 2 or 'auto' prints one line
        (how many samples in how many batches) on the trainer's output; 0, the default, nothing."""
        verbose = _checked_verbose(verbose)
        if steps is not None:
            _check_positive_int("steps", steps, "", "None or ")
        if is_batch_source(X):
            refuse_with_source("predict", X, {"batch_size": batch_size})
            pieces = (self._features(x, f"predict, batch {i}")
                      for i, x in enumerate(BatchSource(X, "predict", steps=steps).features()))
        else:
            batch_size = _EVALUATION_BATCH if batch_size is None else batch_size
            _check_positive_int("batch_size", batch_size)
            X = self._features(X, "predict")
            # (no rows still run the model once, on the empty batch: the result keeps its width)
            starts = range(0, max(len(X), 1), batch_size)
            pieces = (X[i : i + batch_size] for i in (starts if steps is None else starts[:steps]))
        watchers = [c for c in self.callbacks if defines(c, *_PREDICT_HOOKS)]
        was_training = self.model.training
        self.model.eval()
        for callback in watchers:
            callback.on_predict_begin({})
        outputs = []
        try:
            with no_grad():
                for batch, x in enumerate(pieces):
                    for callback in watchers:
                        callback.on_predict_batch_begin(batch, {})
                    outputs.append(self._output(x, "predict").data)
                    for callback in watchers:
                        callback.on_predict_batch_end(batch, {"outputs": outputs[-1]})
        finally:
            self.model.train(was_training)  # the model's mode as it was, as fit gives it back
        if not outputs:
            raise DataError("predict: the data gave no batches")
        for callback in watchers:
            callback.on_predict_end({})
        predicted = np.concatenate(outputs)
        if verbose:
            Progress(1, 1, verbose, self.output).message(
                f"predict: {_samples(len(predicted))} in {len(outputs)} batch{'es' if len(outputs) != 1 else ''}")
        return predicted

    def _output(self, x, caller: str) -> Tensor:
        """The model's output for the batch ``x``, which must be one tensor."""
        output = self.model(x)
        if not isinstance(output, Tensor):
            hint = " (a recurrent layer returns (output, h_n))" if isinstance(output, tuple) else ""
            raise TypeError(f"{caller}: the model returned a {type(output).__name__}, not a tensor{hint}; end it in a "
                            "layer or module whose forward returns the one output tensor")
        return output

    def evaluate(self, X, y=None, batch_size: int | None = None, sample_weight=None, steps: int | None = None,
                 verbose: int | str = 0) -> dict:
        """Loss and metrics on (X, y), as a dict like ``{"loss": ..., "accuracy": ...}``; or on the
        batches of ``X`` alone, a source of (x, y) or (x, y, sample_weight) batches (see
        :func:`evaluate`); at most ``steps`` batches. ``verbose`` 1, 2 or 'auto' also prints the
        results on one line on the trainer's output; 0, the default, prints nothing.

        With ``sample_weight`` the loss is Σᵢ wᵢ·Eᵢ / n over the n samples, as in Keras; the
        ``weighted_metrics`` are weighted by it, the ``metrics`` are not."""
        verbose = _checked_verbose(verbose)
        results = self._evaluate(X, y, batch_size, sample_weight, steps)
        if verbose:
            Progress(1, 1, verbose, self.output).message(f"evaluate: {format_logs(results)}")
        return results

    def _evaluate(self, X, y, batch_size, sample_weight, steps) -> dict:
        if steps is not None:
            _check_positive_int("steps", steps, "", "None or ")
        if is_batch_source(X):
            refuse_with_source("evaluate", X, {"y": y, "batch_size": batch_size, "sample_weight": sample_weight})
            return self._evaluate_batches(BatchSource(X, "evaluate", self._prepare, steps).unpacked(), "")
        if y is None:
            raise ConfigError("evaluate: y is missing; give the targets, or X as a DataLoader of (x, y) batches")
        X, y = self._prepare(X, y, "evaluate")
        if sample_weight is not None:
            sample_weight = checked_sample_weight(sample_weight, len(X), "evaluate")
        if batch_size is None:  # evaluation keeps no graph, so a bigger default batch is cheap
            batch_size = _EVALUATION_BATCH
        _check_positive_int("batch_size", batch_size)
        return self._evaluate_prepared(X, y, batch_size, "", sample_weight, steps)

    def _evaluate_prepared(self, X, y, batch_size: int, prefix: str, sample_weight, steps=None) -> dict:
        """evaluate() on (X, y) as _prepare gave them, in batches of exactly ``batch_size``."""
        if not len(X):
            raise DataError("evaluate: there are no samples")
        stop = len(X) if steps is None else min(len(X), steps * batch_size)
        w = sample_weight
        batches = ((X[i : i + batch_size], y[i : i + batch_size], None if w is None else w[i : i + batch_size])
                   for i in range(0, stop, batch_size))
        return self._evaluate_batches(batches, prefix)

    def _evaluate_source(self, source, prefix: str) -> dict:
        """Validation on a source of batches, read from its beginning (a DataLoader's epoch 0) each
        time, so every validation sees the same samples, as Keras promises with validation_steps."""
        return self._evaluate_batches(source.unpacked(0), prefix)

    def _evaluate_batches(self, batches, prefix: str) -> dict:
        """Loss and metrics over ``batches`` of (x, y, sample_weight or None), in evaluation mode."""
        watchers = [c for c in self.callbacks if defines(c, *_TEST_HOOKS)]  # fit's, when validating
        was_training = self.model.training
        self.model.eval()
        try:
            for callback in watchers:
                callback.on_test_begin({})
            total, counted, weighted, batch = 0.0, 0, None, -1
            running = self._running_metrics()
            with no_grad():
                for batch, (xb, yb, wb) in enumerate(batches):
                    for callback in watchers:
                        callback.on_test_batch_begin(batch, {})
                    output = self._output(xb, "evaluate")
                    running.update(output.data, yb, wb)
                    # (a batch of padding alone has no loss, as fit counts it)
                    if wb is not None or not _nothing_to_score(self.loss, yb):
                        loss_fn = self.loss
                        if wb is not None:
                            weighted = weighted or WeightedLoss(self.loss)
                            weighted.weights = Tensor(wb, dtype=output.data.dtype)
                            loss_fn = weighted
                        total += float(loss_fn(output, target_for(output, yb)).data) * len(output.data)
                        counted += len(output.data)
                    if watchers:  # Keras' logs: the loss and metrics of the evaluation so far
                        logs = {"loss": total / counted if counted else math.nan, **running.results()}
                        for callback in watchers:
                            callback.on_test_batch_end(batch, logs)
        finally:
            self.model.train(was_training)  # the model's mode as it was, as fit gives it back
        if batch < 0:
            raise DataError(f"{'fit (validation_data)' if prefix else 'evaluate'}: the data gave no batches")
        logs = {"loss": total / counted if counted else math.nan, **running.results()}
        for callback in watchers:
            callback.on_test_end(dict(logs))
        return {prefix + key: value for key, value in logs.items()}

    def _running_metrics(self) -> RunningMetrics:
        """Fresh accumulators of the compiled metrics, for an epoch or an evaluation."""
        return RunningMetrics(self.metrics, self.weighted_metrics, self._labels)

    def _labels(self, outputs: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None) -> tuple:
        """(true labels, predicted labels, the weight of each label or None) for the label metrics,
        ``weights`` being one per sample or None. Targets with several columns are class
        probabilities (one-hot rows) for cross-entropy, whose class is the likeliest, and one yes/no
        label per output otherwise (multi-label, thresholded like the outputs)."""
        w = None
        if weights is not None:  # each sample's weight on each of its targets, cut as they are cut
            w = np.broadcast_to(np.asarray(weights, dtype=np.float64).reshape((len(weights),) + (1,) * (targets.ndim - 1)),
                                targets.shape)
        ignored = _ignored_label(self.loss)
        if ignored is not None and outputs.ndim == targets.ndim + 1 and outputs.ndim > 1:
            # class indices, (N,) for (N, C) outputs or (N, d1, ...) for (N, C, d1, ...), told by their
            # shape as the loss tells them (integer (N, L) labels arrive as floats: see _prepare): the
            # class axis is 1, and the samples labelled ignore_index are not scored, as the loss skips them
            kept = targets != ignored
            return targets[kept].astype(np.int64), outputs.argmax(axis=1)[kept], None if w is None else w[kept]
        flat = None if w is None else w.reshape(-1)
        if _takes_signs(self.loss):  # targets of ±1, one per output: class 1 for +1 (and a positive output), 0 for −1
            return (targets.reshape(-1) > 0).astype(np.int64), (outputs.reshape(-1) > 0).astype(np.int64), flat
        if targets.ndim == 2 and targets.shape[1] > 1:
            if _takes_class_indices(self.loss):
                return targets.argmax(axis=1), outputs.argmax(axis=1), None if w is None else w[:, 0]
            return (targets.reshape(-1).astype(np.int64), (outputs.reshape(-1) > self._threshold()).astype(np.int64),
                    flat)
        return targets.reshape(-1), self.output_to_labels(outputs), flat

    def _threshold(self) -> float:
        """Where one output splits into class 0 and 1: 0 for a loss of logits, 0.5 for any other
        (probabilities, or 0/1 targets of a regression loss), as Keras' binary accuracy takes it."""
        return 0.0 if _takes_logits(self.loss) else 0.5

    def output_to_labels(self, outputs: np.ndarray) -> np.ndarray:
        """Class labels from the model's outputs: argmax of several columns, a threshold on one."""
        if outputs.ndim > 1 and outputs.shape[-1] > 1:
            return outputs.argmax(axis=-1)
        return (outputs.reshape(-1) > self._threshold()).astype(np.int64)

    # -- data --------------------------------------------------------------------------------

    def _model_dtype(self):
        for parameter in self.model.parameters():
            return parameter.data.dtype
        return np.dtype(np.float32)

    def _features(self, X, caller: str = "fit") -> np.ndarray:
        X = X.data if isinstance(X, Tensor) else np.asarray(X)
        if X.dtype.kind not in "fiub":
            raise DataError(f"{caller}: features must be numbers, got an array of dtype {X.dtype}")
        if X.dtype.kind in "iu":
            # Integers stay integers, as a PyTorch DataLoader hands them on: they may be the indices
            # an Embedding looks up (which refuses floats), and every other layer converts them.
            return np.ascontiguousarray(X)
        with np.errstate(over="ignore"):  # a number too large for the dtype: _check_finite names it
            return np.ascontiguousarray(X, dtype=self._model_dtype())

    def _prepare(self, X, y, caller: str = "fit"):
        """(X, y) checked and converted for the model; errors name ``caller`` ('fit', 'evaluate', ...)."""
        original = X.data if isinstance(X, Tensor) else np.asarray(X)
        X = self._features(original, caller)
        _check_finite(caller, "X", X, original)
        y = y.data if isinstance(y, Tensor) else np.asarray(y)

        if y.ndim == 0:  # (X is at least 1-d here: _features makes it contiguous, which adds an axis to 0-d)
            raise DataError(f"{caller}: X and y need one row per sample, got shapes {X.shape} and {y.shape}")
        if len(X) != len(y):
            raise DataError(f"{caller}: X has {_samples(len(X))} but y has {_samples(len(y))}")
        class_indices = _takes_class_indices(self.loss)
        if class_indices and y.ndim == 2 and y.shape[1] == 1 and y.dtype.kind in "iuf":
            y = y[:, 0]  # a column of labels is a vector of them (as Keras' sparse cross-entropy takes it)
        if class_indices and y.dtype.kind == "b" and y.ndim == 1:
            y = y.astype(np.int64)  # yes/no labels (y = values > 0, say): classes 1 and 0
        elif class_indices and y.dtype.kind == "f" and y.ndim == 1:
            if not np.all(y == np.round(y)):
                raise DataError(f"{caller}: a classification loss needs integer class labels in y, got fractional values")
            y = y.astype(np.int64)
        elif class_indices and y.dtype.kind in "iub" and y.ndim == 2:
            y = y.astype(self._model_dtype())  # integer one-hot rows: class probabilities
        elif not class_indices:
            original = y
            with np.errstate(over="ignore"):
                y = np.asarray(y, dtype=self._model_dtype())
            _check_finite(caller, "y", y, original)
            if y.ndim == 1:
                y = y[:, None]  # one target per sample: a column, like the model's (N, 1) output
        return X, y

    # -- checkpoints -------------------------------------------------------------------------------

    def save_checkpoint(self, path) -> None:
        """Write everything needed to continue this run exactly (see :func:`fit`'s ``resume_from``)."""
        from ..serialization import save_checkpoint

        epoch, batches_done, sums = self._position or (self.epoch, 0, None)
        state = {
            "seed": self.seed,
            "epoch": epoch if batches_done else self.epoch,
            "batches_done": batches_done,
            "batch_size": self._batch_size,
            "validation_split": self._validation_split,  # the last rows, as Keras takes them
            "sample_weight_sha256": self._weights_digest,
            "data": None if self._source is None else self._source.state(),  # None: arrays
            "steps_per_epoch": self._steps_per_epoch,
            # A run that a callback ended (early stopping) is over: resuming it must not train on.
            "stopped": (self.stop_reason or "stopped by a callback") if self.stop_training and not (self.diverged or self.interrupted) else None,
            "optimizer_class": type(self.optimizer).__name__,
            "running": encode_sums(sums),
            "optimizer": self.optimizer.state_dict(),
            "rng": dp_random.state_dict(),
            "history": self.history.state_dict(),
            "callbacks": [{"class": type(c).__name__, "state": c.state_dict()} for c in self.callbacks],
            "train_seconds": self.train_seconds,  # the run's so far, this session's included (None: unknown)
        }
        save_checkpoint(path, self.model, state, metadata=self.metadata)

    def _restore(self, checkpoint) -> tuple[int, int]:
        state = checkpoint["state"]
        self.model.load_state_dict(checkpoint["model_state"])
        self.optimizer.load_state_dict(state["optimizer"])
        dp_random.load_state_dict(state["rng"])
        self.history.load_state_dict(state["history"])
        saved = state["callbacks"]
        for callback in self.callbacks:
            match = next((s for s in saved if s["class"] == type(callback).__name__), None)
            if match is not None:
                saved.remove(match)
                callback.load_state_dict(match["state"])
        if state.get("stopped"):
            self.stop_reason = state["stopped"]  # fit() then runs no epoch: see there
        if state["batches_done"]:
            self._position = (state["epoch"], state["batches_done"], decode_sums(state["running"], self._running_metrics()))
            return state["epoch"], state["batches_done"]
        return state["epoch"] + 1, 0

    # -- Ctrl-C ------------------------------------------------------------------------------------

    _interrupt_requested = False

    def _catch_interrupts(self):
        """On SIGINT, finish the current batch, then checkpoint and stop (instead of dying mid-step)."""

        def request_stop(signum, frame):
            if self._interrupt_requested:  # a second Ctrl-C: the user will not wait for the batch
                raise KeyboardInterrupt
            self._interrupt_requested = True

        self._interrupt_requested = False
        return signal.signal(signal.SIGINT, request_stop)


_TEST_HOOKS = ("on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end")
_PREDICT_HOOKS = ("on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


def _watches_batches(callback) -> bool:
    """Whether ``callback.on_train_batch_end`` (or Keras' older ``on_batch_end``) does anything: a
    call per batch is what a callback adds to the cost of fit(), so callbacks that leave it alone,
    and schedules stepped per epoch, get none."""
    if type(callback).on_batch_end is LearningRateScheduler.on_batch_end and not defines(callback, "on_train_batch_end"):
        return callback.interval == "step"
    return defines(callback, "on_train_batch_end", "on_batch_end")


def _samples(n: int) -> str:
    return f"{n} sample" if n == 1 else f"{n} samples"


def _warn_of_a_second_softmax(model, loss) -> None:
    """A model ending in Softmax trained with cross-entropy applies softmax twice (Keras' habit of a
    softmax output layer): it trains, slowly and badly, without any error. Say so. (LogSoftmax
    before it changes nothing: log_softmax of log-probabilities is themselves.)"""
    if not (isinstance(loss, nn.CrossEntropyLoss) or loss is nn.functional.cross_entropy):
        return
    last = model
    while isinstance(last, nn.Sequential) and len(last):
        last = last[-1]
    if isinstance(last, nn.Softmax):
        warnings.warn(
            "the model ends in Softmax, and the cross-entropy loss applies its own softmax to the model's outputs: "
            "remove the Softmax layer (predict then gives logits; take their softmax for probabilities), or end in "
            "LogSoftmax with loss='nll'",
            UserWarning, stacklevel=4,
        )


def _check_finite(caller: str, name: str, values: np.ndarray, original) -> None:
    """NaN, infinity or a number the model's dtype cannot hold is a DataError naming the first
    sample: left in, it would surface as a NaN loss that looks like a learning rate too large."""
    if values.dtype.kind != "f" or values.ndim == 0 or np.isfinite(values).all():
        return
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    sample = int(np.flatnonzero(bad)[0])
    if np.isfinite(np.asarray(original, dtype=np.float64).reshape(len(values), -1)[sample]).all():
        what = f"values too large for {values.dtype.name} (the first in sample {sample})"
    else:
        count = int(bad.sum())
        what = f"NaN or infinite values in {count} sample{'s' if count != 1 else ''} (the first is sample {sample})"
    raise DataError(f"{caller}: {name} holds {what}; remove or fix those samples")


def _training_stream_seed(seed: int) -> int:
    """A seed for the library's generator during a run, derived from the run's seed."""
    return int(np.random.SeedSequence((seed, _TRAINING_STREAM)).generate_state(1, np.uint64)[0])


def _checked_verbose(verbose) -> int:
    """``verbose`` as 0, 1 or 2; Keras' 'auto' is 1 (a progress bar on a terminal, lines elsewhere)."""
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):  # (True and False are 1 and 0, as Keras takes them)
        raise ConfigError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def _check_positive_int(name, value, meaning: str = "", alternative: str = ""):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ConfigError(f"{name} must be {alternative}a positive integer{meaning}, got {value!r}")


def _check_initial_epoch(initial_epoch, epochs: int, resume_from) -> None:
    """Keras' ``initial_epoch``: the epochs already done, so the run trains epochs
    initial_epoch + 1 to ``epochs`` (``epochs`` is the number of the last epoch, not a count)."""
    if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, (int, np.integer)) or initial_epoch < 0:
        raise ConfigError(f"initial_epoch must be a non-negative integer, got {initial_epoch!r}")
    if initial_epoch >= epochs:
        raise ConfigError(
            f"initial_epoch={initial_epoch} leaves no epoch to train: epochs is the number of the last epoch "
            f"(as in Keras), so give epochs > initial_epoch (for example epochs={initial_epoch + epochs})"
        )
    if initial_epoch and resume_from is not None:
        raise ConfigError("give initial_epoch or resume_from, not both: a checkpoint knows the epoch it continues from")


def _split(X, y, fraction):
    """The last ``fraction`` of the samples held out, before any shuffling, as Keras does (the
    first ⌊n·(1 − fraction)⌋ train)."""
    split_at = math.floor(len(X) * (1.0 - fraction))
    if split_at == 0 or split_at == len(X):
        raise DataError(f"validation_split={fraction} leaves {split_at} training and {len(X) - split_at} validation "
                        f"samples out of {len(X)}")
    return X[:split_at], y[:split_at], (X[split_at:], y[split_at:])


def fit(model, X, y=None, *, loss, optimizer, epochs: int = 1, batch_size: int | None = None, validation_data=None,
        validation_split: float = 0.0, metrics=(), callbacks=(), verbose: int | str = 1, seed: int | None = None,
        shuffle: bool | None = None, resume_from=None, output=None, sample_weight=None, class_weight=None,
        initial_epoch: int = 0, weighted_metrics=(), steps_per_epoch: int | None = None,
        validation_steps: int | None = None, validation_batch_size: int | None = None,
        validation_freq: int = 1) -> History:
    """Train ``model`` on (X, y) and return the :class:`History` (Keras' ``fit``, as a function).

    ``X`` may instead be a source of batches, with ``y`` left out, as Keras takes a PyDataset or a
    generator: a ``deltaprop.data.DataLoader``, or any other iterable (not a list or a tuple, which
    are array data) of ``(x, y)`` or ``(x, y, sample_weight)`` batches of arrays or tensors. Epoch e
    of a run is a DataLoader's epoch e (``set_epoch(e)``, as fit shuffles arrays), and a shuffling
    loader without a seed takes the run's, so the run repeats from its seed and resumes from a
    checkpoint exactly; another iterable gives one pass per epoch; a one-shot iterator (a generator)
    continues where the last epoch stopped, and needs ``steps_per_epoch`` for more than one epoch
    (running out of batches ends the run). With a source, ``y``, ``batch_size``,
    ``validation_split``, ``sample_weight``, ``class_weight`` and ``shuffle`` are refused: the
    batches carry them. ``validation_data`` may be such a source too (not a one-shot iterator),
    read from its beginning (a DataLoader's epoch 0) at each validation; a shuffling validation
    loader without a seed takes the run's too, so a resumed run validates on the same samples.
    ``steps_per_epoch`` trains at most that many batches per epoch, each epoch starting a new pass
    (arrays and re-iterables; Keras carries a pass on across epochs); ``validation_steps`` validates
    on at most that many batches.

    ``loss`` is a loss module, a function ``loss(output, target)`` or a name ('cross_entropy',
    'mse', ...); ``optimizer`` a ``deltaprop.optim`` optimizer or a name ('adam', 'sgd', ...).
    ``validation_split`` holds out that fraction of the samples, the last ones before any
    shuffling, as Keras does (data sorted by class or time gives a skewed hold-out then: shuffle it
    first, or pass ``validation_data``). ``validation_data`` is (X, y) or (X, y, sample_weight).
    Floating-point features are converted to the model's dtype; integer ones are passed on as they
    are (the indices an Embedding looks up), as a PyTorch loop would pass them. A vector of targets
    (N,) meets a model's (N, 1) output as a column, and a model whose output is a vector (N,) as a
    vector; boolean labels of a cross-entropy are the classes 0 and 1.
    ``epochs`` is the number of the last epoch (1 by default, as in Keras); ``batch_size=None`` is
    Keras' default, 32.
    ``metrics`` names metrics from ``deltaprop.training.metrics.METRICS``, unweighted;
    ``weighted_metrics`` names metrics weighted by ``sample_weight`` (and ``class_weight``) in
    training and by the validation's own weights in validation, as Keras' (logged under their
    names, or ``weighted_<name>`` where an unweighted metric has the name). ``verbose=1`` (or
    Keras' ``"auto"``) shows a progress bar on a terminal and one line per epoch otherwise; 2
    always one line per epoch; 0 prints nothing. With ``seed`` the run is repeatable: the shuffles and,
    through the library's generator (reseeded from ``seed`` when training starts), every dropout
    mask follow from it. ``resume_from`` continues a run from a checkpoint written by
    ``ModelCheckpoint`` exactly where it stopped.
    ``sample_weight`` gives each training sample a non-negative weight: a batch's loss is
    Σᵢ wᵢ·Eᵢ / (samples in the batch), as in Keras; the rows ``validation_split`` holds out keep theirs
    for ``val_loss``.
    ``class_weight`` (a dict class index -> weight; classes left out keep 1) weights each sample by
    its class (an integer label or a one-hot row); given with ``sample_weight``, the two multiply.
    ``initial_epoch`` is Keras': the number of epochs already trained (by an earlier ``fit`` of the
    same model, say), so this run trains epochs initial_epoch + 1 to ``epochs``, numbers them so in
    its progress and history, and hands Keras-style schedules those epochs.
    ``validation_freq=n`` validates on the epochs whose number n divides (2, 4, ... for 2; counted
    from epoch 1, also after ``initial_epoch``, as Keras 3 counts them): the other epochs' logs hold
    no ``val_`` keys, their history rows hold NaN there, and ``EarlyStopping``, ``ModelCheckpoint``
    (``save_best_only``) and ``ReduceLROnPlateau`` watching a ``val_`` value skip them, as Keras 3's
    do (without its warning). ``validation_batch_size`` is the validation's batch size; by default
    it is ``batch_size``, raised to 256 (evaluation keeps no graph, so big batches are cheap).
    ``callbacks`` get Keras 3's hooks (see ``deltaprop.training.callbacks``). A run that diverges
    keeps the epoch it diverged in as the history's last row (see :class:`History`).
    """
    trainer = Trainer(model, loss=loss, optimizer=optimizer, metrics=metrics, callbacks=callbacks,
                      verbose=verbose, seed=seed, output=output, weighted_metrics=weighted_metrics)
    return trainer.fit(X, y, epochs=epochs, batch_size=batch_size, validation_data=validation_data,
                       steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
                       validation_split=validation_split, shuffle=shuffle, resume_from=resume_from,
                       sample_weight=sample_weight, class_weight=class_weight, initial_epoch=initial_epoch,
                       validation_batch_size=validation_batch_size, validation_freq=validation_freq)


def evaluate(model, X, y=None, *, loss, metrics=(), batch_size: int | None = None, sample_weight=None, callbacks=(),
             weighted_metrics=(), steps: int | None = None, verbose: int | str = 0, output=None) -> dict:
    """Loss and ``metrics`` of ``model`` on (X, y), in evaluation mode: ``{"loss": ..., "accuracy": ...}``.

    ``sample_weight`` weights each sample's loss as in ``fit`` (Σᵢ wᵢ·Eᵢ / n) and the
    ``weighted_metrics`` (Σᵢ wᵢ·vᵢ / Σᵢ wᵢ); ``metrics`` stay unweighted, as in Keras.
    ``callbacks`` get Keras' ``on_test_*`` hooks, whose batch logs hold the loss and metrics so far.
    ``X`` may be a source of (x, y) or (x, y, sample_weight) batches, as :func:`fit` takes, with
    ``y``, ``batch_size`` and ``sample_weight`` left out; ``steps`` evaluates at most that many
    batches. Arrays go in batches of ``batch_size``, 256 by default. ``verbose`` takes Keras'
    values (0, 1, 2, 'auto'); with 1, 2 or 'auto' the results are also printed on one line (on
    ``output``, standard output by default), where Keras draws a progress bar. Unlike Keras, 0 is
    the default: the results are returned, not printed."""
    return Trainer(model, loss=loss, metrics=metrics, callbacks=callbacks, verbose=0, output=output,
                   weighted_metrics=weighted_metrics).evaluate(
        X, y, batch_size=batch_size, sample_weight=sample_weight, steps=steps, verbose=verbose)


def predict(model, X, batch_size: int | None = None, callbacks=(), steps: int | None = None, verbose: int | str = 0,
            output=None) -> np.ndarray:
    """The model's outputs for ``X`` as an array, in evaluation mode and without recording a graph;
    ``callbacks`` get Keras' ``on_predict_*`` hooks. ``X`` is an array (in batches of ``batch_size``,
    256 by default) or a source of batches as :func:`fit` takes (without ``batch_size``): each batch
    is x itself, or a tuple whose first item is x. ``steps`` predicts at most that many batches.
    ``verbose`` takes Keras' values (0, 1, 2, 'auto'); with 1, 2 or 'auto' one line says how many
    samples were predicted (on ``output``, standard output by default); 0, the default, prints nothing."""
    return Trainer(model, loss="mse", callbacks=callbacks, verbose=0, output=output).predict(
        X, batch_size=batch_size, steps=steps, verbose=verbose)
