"""Callbacks: code that watches the fit loop and steers it (Keras' protocol and names).

A callback receives the :class:`~deltaprop.training.trainer.Trainer` in ``set_trainer`` and then
Keras 3's hooks, in Keras' order: ``on_train_begin``; per epoch ``on_epoch_begin``, per batch
``on_train_batch_begin`` and ``on_train_batch_end`` (after ``on_nonfinite_loss`` when the batch's
loss is NaN or infinite), the validation's ``on_test_*`` hooks, ``on_epoch_end``; and
``on_train_end``. ``evaluate`` calls the ``on_test_*`` hooks and ``predict`` the ``on_predict_*``
ones. ``on_batch_begin``/``on_batch_end`` are Keras' older names of the training batch hooks.
The loop calls a batch hook only on the callbacks that define it, so a hook nobody defines costs
nothing per batch.
Setting ``trainer.stop_training = True`` ends training after the current batch. Callbacks that
keep state across epochs expose ``state_dict()``/``load_state_dict()`` so a resumed run continues
exactly.
"""

from __future__ import annotations

import csv
import inspect
import math
import numbers

from .. import atomic
from ..errors import ConfigError
from .metrics import METRICS


class Callback:
    """What ``fit``, ``evaluate`` and ``predict`` call at each stage. ``self.trainer`` is the
    running :class:`Trainer`; ``self.model`` its model, as in Keras (``self.model.stop_training =
    True`` stops the run, as does ``self.trainer.stop_training = True``); ``self.params`` Keras'
    ``{"verbose", "epochs", "steps"}`` of the run. Epochs are numbered from 1, batches from 0.

    The logs are Keras': empty for every ``*_begin`` hook; ``on_epoch_end`` gets the epoch's row of
    the history (a callback may add keys to it); ``on_train_end`` the last epoch's logs;
    ``on_train_batch_end`` ``{"loss": the mean loss of the epoch's batches so far, and each
    metric's value over those batches}`` (the loss is the non-finite loss itself for a batch whose
    loss is); ``on_test_batch_end`` the same for the evaluation so far, ``on_test_end`` its loss and metrics (no ``val_`` prefix, also when
    validating); ``on_predict_batch_end`` ``{"outputs": the batch's outputs}``."""

    trainer = None
    verbose = 0  # Keras' option of the callbacks below: 1 says what the callback did, when it did it

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    @property
    def model(self):
        own = self.__dict__.get("_model")
        return own if own is not None else (None if self.trainer is None else self.trainer.model)

    @model.setter
    def model(self, value):  # a callback may keep a model of its own under this name
        self.__dict__["_model"] = value

    @property
    def params(self) -> dict:
        own = self.__dict__.get("_params")
        return own if own is not None else ({} if self.trainer is None else self.trainer.params)

    @params.setter
    def params(self, value):
        self.__dict__["_params"] = value

    def reset(self) -> None:
        """Forget what an earlier run taught this callback (each ``fit`` starts from scratch)."""

    def on_train_begin(self, logs: dict | None = None) -> None: ...

    def on_train_end(self, logs: dict | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_begin(batch, logs)  # Keras' older name, called unless this one is overridden

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def on_test_begin(self, logs: dict | None = None) -> None: ...

    def on_test_end(self, logs: dict | None = None) -> None: ...

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def on_predict_begin(self, logs: dict | None = None) -> None: ...

    def on_predict_end(self, logs: dict | None = None) -> None: ...

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def on_nonfinite_loss(self, batch: int, loss: float) -> None:
        """Called, before on_train_batch_end, for a batch whose loss is NaN or infinite (the step
        was skipped). Callbacks that only care about divergence use this rather than looking at
        every batch, which keeps the per-batch cost of fit() down."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None: ...

    def _say(self, text: str) -> None:
        """Print ``text`` on the run's output when this callback is verbose (whatever fit's verbose)."""
        if self.verbose:
            self.trainer.say(text)


def _checked_verbose(owner: str, verbose) -> int:
    if isinstance(verbose, bool) or not isinstance(verbose, int) or verbose < 0:
        raise ConfigError(f"{owner}: verbose must be 0 or 1, got {verbose!r}")
    return verbose


def _improvement_sign(monitor: str, mode: str) -> float:
    """+1 when larger values of ``monitor`` are better, −1 when smaller are."""
    if mode == "max":
        return 1.0
    if mode == "min":
        return -1.0
    if mode != "auto":
        raise ConfigError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name not in METRICS and name.startswith("weighted_"):  # a weighted metric named apart from its plain twin
        name = name[len("weighted_"):]
    metric = METRICS.get(name)
    return 1.0 if metric is not None and metric.higher_is_better else -1.0


def _monitored(logs: dict, monitor: str, who: str, trainer=None) -> float | None:
    """The value of ``monitor`` in the epoch's logs; None on an epoch that ``validation_freq`` left
    without validation, which the callbacks skip, as Keras 3's do (they do not warn, though: the run
    asked for it). A key missing otherwise (no validation at all, a misspelt name) is an error."""
    if monitor not in logs:
        if monitor.startswith("val_") and getattr(trainer, "skipped_validation", False):
            return None
        hint = " (pass validation_data or validation_split, or monitor 'loss')" if monitor.startswith("val_") else ""
        raise ConfigError(f"{who} monitors {monitor!r}, but the epoch logs only have {', '.join(sorted(logs))}{hint}")
    return float(logs[monitor])


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by at least ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights`` (the default) the model ends with the weights of its best epoch,
    whether the stop fired or the epochs ran out. (Keras' default is False, which ends with the
    last epoch's weights: ``patience`` epochs past the best. Pass False for that.)

    As in Keras, ``baseline`` is a value the monitor must beat: epochs that improve on the best so
    far without beating it still count towards ``patience``; and the first ``start_from_epoch``
    epochs are a warm-up that is not watched at all.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = True,
                 start_from_epoch: int = 0):
        self.verbose = _checked_verbose("EarlyStopping", verbose)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ConfigError(f"EarlyStopping: patience must be a non-negative integer, got {patience!r}")
        if isinstance(start_from_epoch, bool) or not isinstance(start_from_epoch, int) or start_from_epoch < 0:
            raise ConfigError(f"EarlyStopping: start_from_epoch must be a non-negative integer, got {start_from_epoch!r}")
        if baseline is not None and (isinstance(baseline, bool) or not isinstance(baseline, numbers.Real) or not math.isfinite(baseline)):
            raise ConfigError(f"EarlyStopping: baseline must be a finite number or None, got {baseline!r}")
        self.baseline = None if baseline is None else float(baseline)
        self.start_from_epoch = start_from_epoch
        if min_delta < 0:
            raise ConfigError(f"EarlyStopping: min_delta must be >= 0, got {min_delta}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = float(min_delta)
        self.sign = _improvement_sign(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.reset()

    def reset(self) -> None:
        self.best = None
        self.best_epoch = None
        self.best_weights = None
        self.wait = 0
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        value = _monitored(logs, self.monitor, "EarlyStopping", self.trainer)
        if value is None or epoch <= self.start_from_epoch:  # epochs count from 1 here, from 0 in Keras
            return
        self.wait += 1
        if math.isfinite(value) and (self.best is None or self.sign * (value - self.best) > self.min_delta):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.trainer.model.state_dict()
            if self.baseline is None or self.sign * (value - self.baseline) > self.min_delta:
                self.wait = 0  # better than the best so far and than the baseline
            return
        # Keras' rule: `patience` epochs in a row without improvement end the run (0 and 1 alike
        # stop at the first epoch that does not improve).
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            self.trainer.stop_reason = (
                f"early stopping: {self.monitor} did not improve for {self.wait} epochs "
                f"(best {self.best:.6g} at epoch {self.best_epoch})"
            )
            self._say(f"Epoch {epoch}: early stopping")

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.load_state_dict(self.best_weights)
            self._say(f"Restored the weights of epoch {self.best_epoch}, the best ({self.monitor} {self.best:.6g})")

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait, "best_weights": self.best_weights}

    def load_state_dict(self, state):
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.best_weights = state.get("best_weights")


class ModelCheckpoint(Callback):
    """Write a training checkpoint (model, optimizer, epoch, random state) at the end of each epoch,
    atomically; with ``save_best_only``, only when ``monitor`` improves. ``path`` may contain
    ``{epoch}``. A checkpoint resumes with ``fit(..., resume_from=path)`` and loads as a model with
    ``deltaprop.load(path)``; with ``save_weights_only`` the file is a model file instead
    (``deltaprop.save``'s: weights and architecture), which loads but cannot be resumed from.

    Keras' arguments in Keras' order: ``save_freq`` is 'epoch' (a checkpoint every N batches, Keras'
    integer, is refused: a checkpoint is written at the end of an epoch, and at Ctrl-C inside one);
    with ``save_best_only``, ``initial_value_threshold`` is a value of ``monitor`` that a checkpoint's
    epoch must beat, as the first epoch's value is otherwise."""

    def __init__(self, filepath=None, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq="epoch",
                 initial_value_threshold: float | None = None, *, path=None):
        self.path = str(_one_path("ModelCheckpoint", "filepath", filepath, path))
        self.monitor = monitor
        self.verbose = _checked_verbose("ModelCheckpoint", verbose)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.sign = _improvement_sign(monitor, mode)
        if save_freq != "epoch":
            raise ConfigError(f"ModelCheckpoint: save_freq must be 'epoch', got {save_freq!r}; checkpoints are written "
                              f"at the end of each epoch (and at Ctrl-C inside one), not every so many batches")
        self.save_freq = save_freq
        if initial_value_threshold is not None and (
                isinstance(initial_value_threshold, bool) or not isinstance(initial_value_threshold, numbers.Real)
                or math.isnan(initial_value_threshold)):
            raise ConfigError(f"ModelCheckpoint: initial_value_threshold must be a number or None, got "
                              f"{initial_value_threshold!r}")
        self.initial_value_threshold = None if initial_value_threshold is None else float(initial_value_threshold)
        self.reset()

    def reset(self) -> None:
        self.best = self.initial_value_threshold

    def on_epoch_end(self, epoch, logs=None):
        path = self._path(epoch, logs)
        if self.save_best_only:
            value = _monitored(logs, self.monitor, "ModelCheckpoint", self.trainer)
            if value is None:
                return
            before = f"{self.sign * -math.inf:g}" if self.best is None else f"{self.best:.6g}"
            if not math.isfinite(value) or (self.best is not None and self.sign * (value - self.best) <= 0):
                self._say(f"Epoch {epoch}: {self.monitor} did not improve from {before}")
                return
            self.best = value
            self._say(f"Epoch {epoch}: {self.monitor} improved from {before} to {value:.6g}, saving the checkpoint to {path}")
        else:
            self._say(f"Epoch {epoch}: saving the checkpoint to {path}")
        if self.save_weights_only:
            from ..serialization import save

            save(self.trainer.model, path, metadata=self.trainer.metadata)
        else:
            self.trainer.save_checkpoint(path)

    def _path(self, epoch: int, logs: dict) -> str:
        """The path with ``{epoch}`` and any logged value filled in, as Keras does:
        ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``."""
        try:
            return self.path.format(epoch=epoch, **(logs or {}))
        except (KeyError, IndexError, ValueError) as error:
            raise ConfigError(
                f"ModelCheckpoint: the path {self.path!r} names a field the epoch's logs lack or formats one "
                f"wrongly ({type(error).__name__}: {error}); it may use {{epoch}} and {', '.join(sorted(logs or {}))}"
            ) from None

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state["best"]


class TerminateOnNaN(Callback):
    """Stop at the first non-finite loss and restore the last good weights (those at the end of the
    last epoch whose losses were all finite). Active in every ``fit`` unless one is passed."""

    _good_weights = None
    _resumed_weights = None  # the weights the epoch began with, from a checkpoint written inside it

    def reset(self) -> None:
        self._good_weights = self._resumed_weights = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.trainer.resumed_mid_epoch and self._resumed_weights is not None:
            self._good_weights = self._resumed_weights  # not the weights part-way through the epoch
        else:
            self._good_weights = self.trainer.model.state_dict()
        self._resumed_weights = None

    def state_dict(self):
        # A checkpoint written inside an epoch (at Ctrl-C) keeps the weights that epoch began with,
        # which a divergence later in the epoch must bring back, as it would have without the stop.
        if self.trainer is not None and self.trainer._position is not None and self._good_weights is not None:
            return {"good_weights": self._good_weights}
        return {}

    def load_state_dict(self, state):
        weights = state.get("good_weights") if isinstance(state, dict) else None
        self._resumed_weights = weights if isinstance(weights, dict) else None

    def on_nonfinite_loss(self, batch, loss):
        self.stop(f"the loss became {loss} at epoch {self.trainer.epoch}, batch {batch + 1}")

    def stop(self, what: str) -> None:
        """End the run as diverged: ``what`` happened; the last good weights come back."""
        trainer = self.trainer
        trainer.model.load_state_dict(self._good_weights)
        trainer.stop_training = True
        trainer.diverged = True
        lrs = sorted({group["lr"] for group in trainer.optimizer.param_groups})
        lr_text = ", ".join(f"{lr:g}" for lr in lrs)
        restored = f"the end of epoch {trainer.epoch - 1}" if trainer.epoch > 1 else "their initial values"
        trainer.stop_reason = (
            f"{what}; training stopped and the weights were restored to {restored}. "
            f"The learning rate ({lr_text}) is the likely cause: try a smaller one"
        )


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch, or step a scheduler after each batch.

    ``schedule`` is either Keras-style, a function ``schedule(epoch, lr) -> new lr`` (epoch counts
    from 0), or any ``deltaprop.optim.lr_scheduler`` object, stepped at the end of each epoch
    (``ReduceLROnPlateau`` with the monitored value, by default ``val_loss`` when it exists).

    With ``interval="step"`` (PyTorch Lightning's name) a scheduler object is stepped after every
    batch instead, right after the optimizer's step, as PyTorch's loop ``for batch in loader:
    loss.backward(); optimizer.step(); scheduler.step()`` steps it: the way ``OneCycleLR``,
    ``CyclicLR`` and warm-ups are meant to run. A batch is then one step of the schedule, so give
    ``OneCycleLR`` ``epochs`` and ``steps_per_epoch`` = ⌈training samples / batch_size⌉, and
    history's ``lr`` is the rate at each epoch's end, after its last batch's step. A function
    schedule (it takes epochs) and ``ReduceLROnPlateau`` (it needs an epoch's monitored value) are
    stepped per epoch only.
    """

    def __init__(self, schedule, verbose: int = 0, *, monitor: str | None = None, interval: str = "epoch"):
        self.schedule = schedule
        self.monitor = monitor
        self.verbose = _checked_verbose("LearningRateScheduler", verbose)
        if interval not in ("epoch", "step"):
            raise ConfigError(f"LearningRateScheduler: interval must be 'epoch' or 'step', got {interval!r}")
        self.interval = interval
        self._takes_lr = True
        if not self._is_scheduler():
            if not callable(schedule):
                raise ConfigError(f"LearningRateScheduler: schedule must be a function or an lr_scheduler, got {type(schedule).__name__}")
            if interval == "step":
                raise ConfigError(
                    "LearningRateScheduler: interval='step' needs an lr_scheduler object; a function schedule takes "
                    "the epoch, so it runs with interval='epoch'"
                )
            try:  # Keras calls schedule(epoch, lr), or schedule(epoch) when that is all it takes
                inspect.signature(schedule).bind(0, 0.1)
            except TypeError:
                self._takes_lr = False
            except ValueError:  # a builtin without a signature: call it the two-argument way
                pass
        elif interval == "step" and self._is_plateau():
            raise ConfigError(
                "LearningRateScheduler: ReduceLROnPlateau steps on an epoch's monitored value, so it runs with "
                "interval='epoch', not interval='step'"
            )

    def _is_scheduler(self) -> bool:
        return hasattr(self.schedule, "step") and hasattr(self.schedule, "optimizer")

    def _is_plateau(self) -> bool:
        return type(self.schedule).__name__ == "ReduceLROnPlateau"

    def on_epoch_begin(self, epoch, logs=None):
        if self._is_scheduler() or self.trainer.resumed_mid_epoch:
            return
        for group in self.trainer.optimizer.param_groups:
            new_lr = float(self.schedule(epoch - 1, group["lr"]) if self._takes_lr else self.schedule(epoch - 1))
            if not math.isfinite(new_lr) or new_lr < 0:
                raise ConfigError(
                    f"LearningRateScheduler: the schedule gave lr={new_lr} for epoch {epoch}; a learning rate must be "
                    "a non-negative number"
                )
            group["lr"] = new_lr
        self._say(f"Epoch {epoch}: LearningRateScheduler set the learning rate to {new_lr:g}")

    def on_batch_end(self, batch, logs=None):
        # A diverged batch took no optimizer step (and the run ends): the schedule stays where it was.
        if self.interval == "step" and not self.trainer.diverged:
            self.schedule.step()

    def on_epoch_end(self, epoch, logs=None):
        if not self._is_scheduler() or self.interval == "step":
            return
        if self._is_plateau():
            # val_loss when the run validates (on the epochs validation_freq picks), else the loss
            validates = "val_loss" in logs or self.trainer.skipped_validation
            value = _monitored(logs, self.monitor or ("val_loss" if validates else "loss"), "ReduceLROnPlateau",
                               self.trainer)
            if value is not None:
                self.schedule.step(value)
        else:
            self.schedule.step()

    def state_dict(self):
        if not self._is_scheduler():
            return {}
        state = {"scheduler": self.schedule.state_dict()}
        if self.interval == "step":  # (the per-epoch state, the only one before, is left as it was)
            state["interval"] = "step"
        return state

    def load_state_dict(self, state):
        if not self._is_scheduler() or "scheduler" not in state:
            return
        saved = state.get("interval", "epoch")
        if saved != self.interval:
            raise ConfigError(
                f"LearningRateScheduler: the checkpoint's schedule was stepped with interval={saved!r}, this run's "
                f"has interval={self.interval!r}; resume it with interval={saved!r}"
            )
        self.schedule.load_state_dict(state["scheduler"])


class ReduceLROnPlateau(Callback):
    """Keras' callback: multiply the learning rate by ``factor`` when ``monitor`` has not improved by
    more than ``min_delta`` (absolute) for ``patience`` epochs, then wait ``cooldown`` epochs before
    watching again; never below ``min_lr``. (``deltaprop.optim.lr_scheduler.ReduceLROnPlateau`` is
    PyTorch's scheduler of the same name, with PyTorch's rules: a relative threshold, and a cut
    after more than ``patience`` bad epochs.)"""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        self.verbose = _checked_verbose("ReduceLROnPlateau", verbose)
        if not 0.0 < factor < 1.0:
            raise ConfigError(f"ReduceLROnPlateau: factor must lie in (0, 1), got {factor!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"ReduceLROnPlateau: {name} must be a non-negative integer, got {value!r}")
        if not min_delta >= 0 or not min_lr >= 0:
            raise ConfigError(f"ReduceLROnPlateau: min_delta and min_lr must be >= 0, got {min_delta!r} and {min_lr!r}")
        self.monitor, self.factor, self.patience = monitor, float(factor), patience
        self.min_delta, self.cooldown, self.min_lr = float(min_delta), cooldown, float(min_lr)
        self.sign = _improvement_sign(monitor, mode)
        self.reset()

    def reset(self) -> None:
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        value = _monitored(logs, self.monitor, "ReduceLROnPlateau", self.trainer)
        if value is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if math.isfinite(value) and (self.best is None or self.sign * (value - self.best) > self.min_delta):
            self.best, self.wait = value, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                reduced = False
                for group in self.trainer.optimizer.param_groups:
                    if group["lr"] > self.min_lr:
                        group["lr"] = max(group["lr"] * self.factor, self.min_lr)
                        reduced = True
                if reduced:  # at min_lr already, Keras keeps counting
                    self.cooldown_counter, self.wait = self.cooldown, 0
                    lrs = ", ".join(f"{group['lr']:g}" for group in self.trainer.optimizer.param_groups)
                    self._say(f"Epoch {epoch}: ReduceLROnPlateau cut the learning rate to {lrs}")

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def load_state_dict(self, state):
        self.best, self.wait, self.cooldown_counter = state["best"], state["wait"], state["cooldown_counter"]


class CSVLogger(Callback):
    """Write the history to ``filename`` as CSV after every epoch, one row per epoch (Keras'
    arguments: ``separator``, one character; ``append``).

    The file is rewritten whole, atomically, each time: a crash or a full disk leaves the last
    complete version, never a torn row. Without ``append`` each run replaces the file with its
    history (a resumed run's includes the epochs before the resume). With ``append=True`` the
    lines already in the file are kept, byte for byte, and this run's epochs follow them (only the
    epochs it trains: a run resumed from a checkpoint, or continued with ``initial_epoch``, adds
    its own); the header is written only to a new or empty file, and a file whose header names
    other columns than this run logs is refused. The epoch a run diverged in is written too, at
    the end of the run, as the history records it."""

    def __init__(self, filename=None, separator: str = ",", append: bool = False, *, path=None):
        self.path = str(_one_path("CSVLogger", "filename", filename, path))
        if not isinstance(separator, str) or len(separator) != 1 or separator in '"\r\n':
            raise ConfigError(
                f"CSVLogger: separator must be one character other than a quote or a line end, got {separator!r}")
        self.separator = separator
        self.append = bool(append)
        self._kept = ""  # the file's text before this run, kept when appending
        self._first_row = 0  # the history's first row that this run trained
        self._written = 0  # the rows of the history the file holds

    def on_train_begin(self, logs=None):
        self._first_row = self._written = len(self.trainer.history)
        self._kept = _text_of(self.path) if self.append else ""
        if self._kept and not self._kept.endswith("\n"):
            self._kept += "\n"

    def on_epoch_end(self, epoch, logs=None):
        self._write()

    def on_train_end(self, logs=None):
        if len(self.trainer.history) > self._written:  # the epoch that diverged: no on_epoch_end
            self._write()

    def _write(self) -> None:
        history = self.trainer.history
        if not self._kept:
            start = self._first_row if self.append else 0
            text = history.to_csv_text(self.separator, first_row=start)
        else:
            header = next(csv.reader([self._kept.partition("\n")[0]], delimiter=self.separator), [])
            if header != history.columns():
                raise ConfigError(
                    f"CSVLogger: {self.path} has the columns {', '.join(header)}, but this run logs "
                    f"{', '.join(history.columns())}; append to a log of the same columns, or give another file"
                )
            text = self._kept + history.to_csv_text(self.separator, first_row=self._first_row, header=False)
        atomic.write_text(self.path, text)
        self._written = len(history)


def _text_of(path: str) -> str:
    """The text of the file at ``path``, or "" when there is none."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError:
        raise ConfigError(f"CSVLogger: {path} is not a text file, so append=True cannot add rows to it") from None


def defines(callback, *hooks: str) -> bool:
    """Whether ``callback`` overrides any of ``hooks``, in its class or as a function set on the
    instance (``LambdaCallback``, or ``cb.on_train_batch_end = f``): the loop calls a hook only on
    the callbacks that do, so a hook no callback defines costs nothing."""
    cls, own = type(callback), getattr(callback, "__dict__", {})
    return any(hook in own or getattr(cls, hook) is not getattr(Callback, hook) for hook in hooks)


class LambdaCallback(Callback):
    """A callback made of functions, as Keras' ``LambdaCallback``: each keyword names a hook
    (``on_epoch_end=lambda epoch, logs: ...``, ``on_train_batch_end=lambda batch, logs: ...``,
    ``on_train_begin=lambda logs: ...``; any hook of :class:`Callback` may be given) and its
    function is called with that hook's arguments."""

    def __init__(self, **hooks):
        for name, function in hooks.items():
            if not name.startswith("on_") or not callable(getattr(Callback, name, None)):
                known = ", ".join(sorted(h for h in vars(Callback) if h.startswith("on_")))
                raise TypeError(f"LambdaCallback: {name!r} is not a callback hook; the hooks are {known}")
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be a function, got {type(function).__name__}")
            setattr(self, name, function)


def _one_path(owner: str, keras_name: str, keras_value, path):
    """The file a callback writes, under Keras' name for it or ``path``."""
    if (keras_value is None) == (path is None):
        raise TypeError(f"{owner}: give the file as {keras_name} (Keras' name) or path, once")
    return keras_value if path is None else path


def as_callback(obj) -> Callback:
    """A callback, or an ``lr_scheduler`` object wrapped as one."""
    if isinstance(obj, Callback):
        return obj
    if hasattr(obj, "step") and hasattr(obj, "optimizer"):
        return LearningRateScheduler(obj)
    raise TypeError(f"callbacks must be Callback instances or learning-rate schedulers, got {type(obj).__name__}")

