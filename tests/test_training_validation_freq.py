"""fit's validation_freq and validation_batch_size (Keras 3's): validation every n-th epoch, in
batches of its own size, and the callbacks that watch val_* on the epochs without it."""

import math

import numpy as np
import pytest

from deltaprop import optim
from deltaprop.errors import ConfigError
from deltaprop.training import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    Trainer,
    fit,
)
from training_problem import small_classifier, three_classes


def _run(epochs=5, callbacks=(), optimizer="sgd", **options):
    X, y = three_classes(n=120)
    model = small_classifier()
    if optimizer == "sgd":
        optimizer = optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, loss="cross_entropy", optimizer=optimizer, metrics=["accuracy"], callbacks=callbacks,
                      verbose=0, seed=3)
    history = trainer.fit(X[:80], y[:80], epochs=epochs, batch_size=16, validation_data=(X[80:], y[80:]), **options)
    return trainer, history


class _Seen(Callback):
    """The epoch logs' keys and the number of validation batches of each epoch."""

    def __init__(self):
        self.keys, self.test_batches = {}, {}

    def on_epoch_begin(self, epoch, logs=None):
        self.test_batches[epoch] = 0

    def on_test_batch_end(self, batch, logs=None):
        self.test_batches[self.trainer.epoch] += 1

    def on_epoch_end(self, epoch, logs=None):
        self.keys[epoch] = sorted(logs)


def test_validation_freq_validates_on_every_nth_epoch_only():
    seen = _Seen()
    _, history = _run(epochs=5, callbacks=[seen], validation_freq=2)
    with_val = ["accuracy", "loss", "lr", "time", "val_accuracy", "val_loss"]
    without = ["accuracy", "loss", "lr", "time"]
    assert seen.keys == {1: without, 2: with_val, 3: without, 4: with_val, 5: without}
    assert seen.test_batches == {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}
    # the history keeps one row per epoch: NaN where the epoch did not validate, in a stable column order
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"]
    assert [math.isnan(v) for v in history["val_loss"]] == [True, False, True, False, True]
    assert [math.isnan(v) for v in history["val_accuracy"]] == [True, False, True, False, True]


def test_validation_freq_changes_no_weight_and_validates_as_an_every_epoch_run_does():
    every, every_history = _run(epochs=4)
    second, second_history = _run(epochs=4, validation_freq=2)
    for a, b in zip(every.model.parameters(), second.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(every_history["loss"], second_history["loss"])
    np.testing.assert_array_equal(np.array(every_history["val_loss"])[[1, 3]], np.array(second_history["val_loss"])[[1, 3]])


def test_validation_freq_counts_the_epoch_numbers_from_initial_epoch_as_keras_does():
    seen = _Seen()
    _run(epochs=6, callbacks=[seen], validation_freq=3, initial_epoch=1)
    assert [epoch for epoch, keys in seen.keys.items() if "val_loss" in keys] == [3, 6]


def test_early_stopping_counts_only_the_epochs_that_validated():
    # min_delta so large that nothing after the first value improves: with patience 0 the run stops
    # at the second validated epoch, 4 (an every-epoch run stops at 2), and epochs 1 and 3 are skipped
    stopper = EarlyStopping(monitor="val_loss", min_delta=1e9, patience=0)
    trainer, history = _run(epochs=8, callbacks=[stopper], validation_freq=2)
    assert history.epoch == [1, 2, 3, 4]
    assert stopper.best_epoch == 2 and stopper.stopped_epoch == 4
    assert "val_loss did not improve for 1 epochs (best" in history.stop_reason
    # restore_best_weights gave back the weights of epoch 2
    reference, _ = _run(epochs=2, validation_freq=2)
    for a, b in zip(trainer.model.parameters(), reference.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_early_stopping_start_from_epoch_and_patience_with_validation_freq():
    stopper = EarlyStopping(monitor="val_accuracy", min_delta=1e9, patience=1, start_from_epoch=2)
    _, history = _run(epochs=9, callbacks=[stopper], validation_freq=2)
    # epoch 2 is warm-up; 4 sets the best; 6 and 8 do not improve: two waits reach patience 1 at epoch 6
    assert stopper.best_epoch == 4 and history.epoch[-1] == 6


def test_model_checkpoint_save_best_only_skips_the_epochs_without_validation(tmp_path):
    best = ModelCheckpoint(str(tmp_path / "best-{epoch}.ckpt"), monitor="val_loss", save_best_only=True, mode="max")
    every = ModelCheckpoint(str(tmp_path / "every-{epoch}.ckpt"))
    _run(epochs=5, callbacks=[best, every], validation_freq=2)
    # mode="max" on a loss that falls: epoch 2 is the first value, so the only one saved; 4 does not improve
    assert sorted(p.name for p in tmp_path.glob("best-*")) == ["best-2.ckpt"]
    assert sorted(p.name for p in tmp_path.glob("every-*")) == [f"every-{e}.ckpt" for e in range(1, 6)]


def test_reduce_lr_on_plateau_waits_only_on_the_epochs_that_validated():
    cut = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_delta=1e9)
    _, history = _run(epochs=6, callbacks=[cut], validation_freq=2)
    # epoch 2 sets the best, epoch 4 is the first bad one: the rate is halved for epochs 5 and 6
    np.testing.assert_allclose(history["lr"], [0.1, 0.1, 0.1, 0.1, 0.05, 0.05], rtol=1e-12)
    _, every_epoch = _run(epochs=6, callbacks=[ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1,
                                                                 min_delta=1e9)])
    np.testing.assert_allclose(every_epoch["lr"], [0.1, 0.1, 0.05, 0.025, 0.0125, 0.00625], rtol=1e-12)


def test_pytorch_plateau_scheduler_steps_on_val_loss_on_the_validated_epochs_only():
    X, y = three_classes(n=120)
    model = small_classifier()
    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, threshold=1e9, threshold_mode="abs")
    trainer = Trainer(model, loss="cross_entropy", optimizer=opt, callbacks=[LearningRateScheduler(plateau)],
                      verbose=0, seed=3)
    history = trainer.fit(X[:80], y[:80], epochs=5, batch_size=16, validation_data=(X[80:], y[80:]),
                          validation_freq=2)
    # stepped at epochs 2 (the best) and 4 (bad: cut), never with the training loss of epochs 1, 3, 5
    np.testing.assert_allclose(history["lr"], [0.1, 0.1, 0.1, 0.1, 0.05], rtol=1e-12)


def test_a_missing_monitor_is_still_refused_when_the_run_has_no_validation():
    X, y = three_classes()
    with pytest.raises(ConfigError, match="EarlyStopping monitors 'val_loss'"):
        fit(small_classifier(), X, y, loss="cross_entropy", optimizer="sgd", epochs=2, verbose=0, validation_freq=2,
            callbacks=[EarlyStopping()])
    with pytest.raises(ConfigError, match="EarlyStopping monitors 'val_acuracy'"):
        _run(epochs=2, callbacks=[EarlyStopping(monitor="val_acuracy", mode="max")], validation_freq=2)


def test_a_resumed_run_validates_on_the_same_epochs(tmp_path):
    path = str(tmp_path / "ck-{epoch}.ckpt")
    _, whole = _run(epochs=5, callbacks=[ModelCheckpoint(path)], validation_freq=2)
    seen = _Seen()
    _, resumed = _run(epochs=5, callbacks=[seen], validation_freq=2, resume_from=str(tmp_path / "ck-1.ckpt"))
    assert [epoch for epoch, keys in seen.keys.items() if "val_loss" in keys] == [2, 4]
    assert resumed.epoch == whole.epoch
    for key in whole.history:
        if key != "time":
            np.testing.assert_array_equal(resumed[key], whole[key])


def test_validation_batch_size_sets_the_validation_batches():
    seen = _Seen()
    _, history = _run(epochs=2, callbacks=[seen], validation_batch_size=7)
    assert seen.test_batches == {1: 6, 2: 6}  # 40 validation samples in batches of 7
    seen_default = _Seen()
    _, default = _run(epochs=2, callbacks=[seen_default])
    # by default validation batches are batch_size, raised to 256 (evaluation keeps no graph)
    assert seen_default.test_batches == {1: 1, 2: 1}
    np.testing.assert_allclose(history["val_loss"], default["val_loss"], rtol=1e-6)
    np.testing.assert_array_equal(history["loss"], default["loss"])


def test_the_fit_function_takes_both():
    X, y = three_classes(n=60)
    history = fit(small_classifier(), X[:40], y[:40], loss="cross_entropy", optimizer="sgd", epochs=3, verbose=0,
                  validation_data=(X[40:], y[40:]), validation_freq=3, validation_batch_size=5, seed=0)
    assert [math.isnan(v) for v in history["val_loss"]] == [True, True, False]


@pytest.mark.parametrize("value", [0, -2, 1.5, True, [1, 2], "2"])
def test_a_bad_validation_freq_is_refused(value):
    with pytest.raises(ConfigError, match=rf"^validation_freq must be a positive integer \(validate every n-th epoch\), "
                                          rf"got {value!r}".replace("[", r"\[").replace("]", r"\]")):
        _run(epochs=1, validation_freq=value)


@pytest.mark.parametrize("value", [0, -1, 2.0, False])
def test_a_bad_validation_batch_size_is_refused(value):
    with pytest.raises(ConfigError, match=rf"^validation_batch_size must be None or a positive integer, got {value!r}$"):
        _run(epochs=1, validation_batch_size=value)
