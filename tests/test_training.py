"""fit(): history, progress output, callbacks, checkpoints that resume bitwise, and the digits end to end."""

import csv
import re
import inspect
import io
import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.data import load_digits, train_test_split
from deltaprop.errors import ConfigError, DataError
from deltaprop.optim import lr_scheduler
from deltaprop.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from deltaprop.serialization import load, load_checkpoint
from deltaprop.training import (
    Callback, CSVLogger, EarlyStopping, History, LearningRateScheduler, ModelCheckpoint, TerminateOnNaN, Trainer, fit,
)
from training_problem import small_classifier as _model, three_classes as _data






def _state(weights):
    return weights.state_dict() if hasattr(weights, "state_dict") else weights


def _same_weights(a, b) -> bool:
    """Bitwise equality of two models or state dicts."""
    a, b = _state(a), _state(b)
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


class Scripted(Callback):
    """Replaces ``val_loss`` in the logs the later callbacks see by a scripted sequence, and keeps a
    copy of the weights at every epoch's end: early stopping and checkpoints become predictable."""

    def __init__(self, values):
        self.values = values
        self.weights = {}

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch - 1]
        self.weights[epoch] = self.trainer.model.state_dict()


class TTY(io.StringIO):
    def isatty(self):
        return True


# -- the history ------------------------------------------------------------------------------------


def test_fit_returns_the_history_of_every_epoch():
    X, y = _data()
    model = _model()
    X_val, y_val = _data(40, seed=5)
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=4, batch_size=16,
                  validation_data=(X_val, y_val), metrics=["accuracy", "f1"], verbose=0, seed=0)
    assert isinstance(history, History) and len(history) == 4 and history.epoch == [1, 2, 3, 4]
    assert list(history.history) == ["loss", "accuracy", "f1", "val_loss", "val_accuracy", "val_f1", "lr", "time"]
    assert all(len(column) == 4 for column in history.history.values())
    assert history["lr"] == [1e-3] * 4
    assert all(t > 0 for t in history["time"])
    assert history["loss"][-1] < history["loss"][0]
    assert history.stop_reason is None
    # The validation columns are the model's loss and metrics on the validation data after each epoch.
    judge = Trainer(model, loss="cross_entropy", optimizer="sgd", metrics=["accuracy", "f1"], verbose=0)
    last = judge.evaluate(X_val, y_val)
    assert last == {"loss": pytest.approx(history["val_loss"][-1], rel=1e-6),
                    "accuracy": history["val_accuracy"][-1], "f1": history["val_f1"][-1]}
    assert history.last()["val_loss"] == history["val_loss"][-1]


def test_validation_split_holds_out_a_seeded_part():
    X, y = _data()
    history = fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=16,
                  validation_split=0.25, metrics=["accuracy"], verbose=0, seed=0)
    # 24 of the 96 samples validate: every accuracy is a multiple of 1/24, or 1/72 in training.
    assert all(abs(a * 24 - round(a * 24)) < 1e-9 for a in history["val_accuracy"])
    assert all(abs(a * 72 - round(a * 72)) < 1e-9 for a in history["accuracy"])


def test_regression_metrics_and_a_column_target():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5], dtype=np.float32)
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    history = fit(model, X, y, loss="mse", optimizer="adam", epochs=30, batch_size=16, validation_split=0.25,
                  metrics=["mae", "rmse", "r2"], verbose=0, seed=0)
    assert history["val_r2"][-1] > history["val_r2"][0]
    assert history["rmse"][-1] ** 2 == pytest.approx(history["loss"][-1], rel=1e-4)  # RMSE² is the MSE loss


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"epochs": 0}, ConfigError, "epochs must be a positive integer"),
        ({"batch_size": 2.5}, ConfigError, "batch_size must be a positive integer"),
        ({"validation_split": 1.0}, ConfigError, r"validation_split must lie in \[0, 1\)"),
        ({"metrics": ["accuracy", "auc"]}, ConfigError, "unknown metric 'auc'"),
        ({"loss": "hinge"}, ConfigError, "unknown loss 'hinge'"),
        ({"optimizer": "lbfgs"}, ConfigError, "unknown optimizer 'lbfgs'"),
        ({"verbose": 3}, ConfigError, "verbose must be 'auto', 0, 1 or 2"),
        ({"seed": -1}, ConfigError, "seed must be None or a non-negative integer"),
        ({"initial_epoch": -1}, ConfigError, "initial_epoch must be a non-negative integer"),
        ({"initial_epoch": True}, ConfigError, "initial_epoch must be a non-negative integer"),
        ({"initial_epoch": 2.0}, ConfigError, "initial_epoch must be a non-negative integer"),
        ({"initial_epoch": 3}, ConfigError, r"initial_epoch=3 leaves no epoch to train: .* epochs=4\)"),
        ({"initial_epoch": 1, "epochs": 3, "resume_from": "run.safetensors"}, ConfigError, "give initial_epoch or resume_from, not both"),
        ({"y": np.zeros(5, dtype=np.int64)}, DataError, "X has 96 samples but y has 5"),
        ({"y": np.full(96, 0.5)}, DataError, "integer class labels"),
    ],
    ids=lambda value: None if isinstance(value, (dict, str)) else value.__name__,
)
def test_bad_arguments_are_one_sentence_errors(options, error, message):
    X, y = _data()
    arguments = {"loss": "cross_entropy", "optimizer": "sgd", "epochs": 1, "verbose": 0, "y": y, **options}
    with pytest.raises(error, match=message):
        fit(_model(), X, arguments.pop("y"), **arguments)


# -- what it prints ------------------------------------------------------------------------------------


def test_a_terminal_gets_a_live_bar_with_loss_and_speed():
    X, y = _data()
    out = TTY()
    fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=16, verbose=1, output=out, seed=0)
    text = out.getvalue()
    assert "\r" in text and "samples/s" in text
    bars = [part for part in text.split("\r") if "[" in part]
    assert bars and all("loss " in bar and "/6" in bar for bar in bars)  # 96 samples / 16 = 6 batches
    lines = text.split("\n")
    assert len(lines) == 3 and lines[-1] == ""  # one finished line per epoch
    for epoch, line in enumerate(lines[:2], start=1):
        final = line.split("\r")[-1]
        assert final.startswith(f"Epoch {epoch}/2  loss ")
        # The epoch's line covers the whole bar it replaces: nothing of the bar shows behind it.
        assert len(final) >= max(len(part) for part in line.split("\r"))


def test_a_file_gets_one_line_per_epoch():
    X, y = _data()
    out = io.StringIO()
    fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=3, batch_size=16, validation_split=0.25,
        metrics=["accuracy"], verbose=1, output=out, seed=0)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"Epoch {epoch}/3  loss ")
        assert "val_loss" in line and "val_accuracy" in line and line.endswith("samples/s")


def test_verbose_2_is_one_line_per_epoch_even_on_a_terminal():
    X, y = _data()
    out = TTY()
    fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=16, verbose=2, output=out, seed=0)
    assert "\r" not in out.getvalue() and len(out.getvalue().splitlines()) == 2


def test_verbose_0_prints_nothing(capsys):
    X, y = _data()
    out = TTY()
    fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=2, verbose=0, output=out, seed=0)
    fit(_model(), X * 1e4, y, loss="cross_entropy", optimizer=optim.SGD(_model().parameters(), lr=1e8),
        epochs=2, verbose=0, seed=0)  # even a run that diverges
    assert out.getvalue() == ""
    assert capsys.readouterr() == ("", "")


def test_verbose_1_prints_to_stdout_by_default(capsys):
    X, y = _data()
    fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=2, verbose=1, seed=0)
    captured = capsys.readouterr()
    assert captured.out.count("Epoch ") == 2 and captured.err == ""


# -- early stopping ---------------------------------------------------------------------------------------


def test_early_stopping_stops_after_patience_epochs_and_restores_the_best():
    X, y = _data()
    script = Scripted([5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 2.0, 1.0])
    stopper = EarlyStopping(patience=3)
    model = _model()
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=8, callbacks=[script, stopper],
                  verbose=0, seed=0)
    # Epochs 4, 5 and 6 do not beat epoch 3's 3.0: three epochs without improvement end the run.
    assert len(history) == 6 and stopper.stopped_epoch == 6 and stopper.best_epoch == 3
    assert "early stopping" in history.stop_reason and "epoch 3" in history.stop_reason
    assert _same_weights(model.state_dict(), script.weights[3])
    assert not _same_weights(script.weights[6], script.weights[3])


def test_the_best_weights_come_back_when_the_epochs_run_out():
    X, y = _data()
    script = Scripted([3.0, 1.0, 2.0, 2.5])
    model = _model()
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=4,
                  callbacks=[script, EarlyStopping(patience=10)], verbose=0, seed=0)
    assert len(history) == 4 and history.stop_reason is None
    assert _same_weights(model.state_dict(), script.weights[2])


def test_without_restore_the_last_weights_stay():
    X, y = _data()
    script = Scripted([3.0, 1.0, 2.0, 2.5])
    model = _model()
    fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=4,
        callbacks=[script, EarlyStopping(patience=10, restore_best_weights=False)], verbose=0, seed=0)
    assert _same_weights(model.state_dict(), script.weights[4])


def test_min_delta_ignores_small_improvements():
    X, y = _data()
    script = Scripted([1.0, 0.95, 0.92, 0.5])
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    history = fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=4, callbacks=[script, stopper],
                  verbose=0, seed=0)
    assert len(history) == 3 and stopper.best_epoch == 1


@pytest.mark.parametrize("patience", [0, 1])
def test_patience_0_and_1_stop_at_the_first_epoch_without_improvement(patience):
    X, y = _data()
    history = fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=5,
                  callbacks=[Scripted([2.0, 1.0, 1.5, 0.5, 0.1]), EarlyStopping(patience=patience)], verbose=0, seed=0)
    assert len(history) == 3


def test_a_baseline_must_be_beaten_as_in_keras():
    """Epochs that improve on the best without beating the baseline still count towards patience."""
    X, y = _data()
    stopped = []
    for baseline in (None, 2.0):
        stopper = EarlyStopping(patience=2, baseline=baseline)
        history = fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=5,
                      callbacks=[Scripted([5.0, 4.0, 4.5, 4.6, 3.0]), stopper], verbose=0, seed=0)
        stopped.append((len(history), stopper.best_epoch))
    assert stopped == [(4, 2), (3, 2)]  # Keras stops at its epoch index 3 and 2: the 4th and 3rd


def test_the_warm_up_epochs_are_not_watched():
    X, y = _data()
    script = Scripted([1.0, 5.0, 4.0, 4.5, 4.6])
    stopper = EarlyStopping(patience=1, start_from_epoch=2)
    model = _model()
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=5, callbacks=[script, stopper],
                  verbose=0, seed=0)
    assert len(history) == 4 and stopper.best_epoch == 3  # epoch 1's 1.0 came during the warm-up
    assert _same_weights(model.state_dict(), script.weights[3])


def test_early_stopping_on_accuracy_wants_it_higher():
    X, y = _data()
    stopper = EarlyStopping(monitor="accuracy", patience=50)
    fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=3, metrics=["accuracy"], callbacks=[stopper],
        verbose=0, seed=0)
    assert stopper.sign == 1.0 and stopper.best is not None


def test_monitoring_val_loss_without_validation_data_says_how_to_fix_it():
    X, y = _data()
    with pytest.raises(ConfigError, match="monitors 'val_loss'.*validation_split"):
        fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=2, callbacks=[EarlyStopping()], verbose=0)


def test_early_stopping_checks_its_options():
    with pytest.raises(ConfigError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ConfigError, match="min_delta"):
        EarlyStopping(min_delta=-0.1)
    with pytest.raises(ConfigError, match="mode"):
        EarlyStopping(mode="up")
    with pytest.raises(ConfigError, match="start_from_epoch must be a non-negative integer"):
        EarlyStopping(start_from_epoch=-1)
    with pytest.raises(ConfigError, match="baseline must be a finite number or None"):
        EarlyStopping(baseline=float("nan"))


# -- checkpoints and the CSV log ------------------------------------------------------------------------


def test_model_checkpoint_saves_only_the_best_epoch(tmp_path):
    X, y = _data()
    script = Scripted([2.0, 1.0, 1.5, 0.7, 0.9])
    path = tmp_path / "best.safetensors"
    fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=5,
        callbacks=[script, ModelCheckpoint(path, save_best_only=True)], verbose=0, seed=0)
    checkpoint = load_checkpoint(path)
    assert checkpoint["state"]["epoch"] == 4
    assert _same_weights(checkpoint["model_state"], script.weights[4])
    assert _same_weights(load(path), script.weights[4])  # a checkpoint also loads as a model


def test_model_checkpoint_takes_keras_arguments_in_keras_order(tmp_path):
    """mode, save_freq and initial_value_threshold (Keras' order: filepath, monitor, verbose,
    save_best_only, save_weights_only, mode, save_freq, initial_value_threshold) were TypeErrors,
    mode by position too; a threshold is a value the saved epoch must beat, as Keras' is."""
    X, y = _data()
    script = Scripted([2.0, 1.0, 1.5, 0.7, 0.9])
    best, never = tmp_path / "best.safetensors", tmp_path / "never.safetensors"
    fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=5, verbose=0, seed=0, callbacks=[
        script, ModelCheckpoint(best, "val_loss", 0, True, False, "min", "epoch", 0.8),
        ModelCheckpoint(never, save_best_only=True, initial_value_threshold=0.5)])
    checkpoint = load_checkpoint(best)
    assert checkpoint["state"]["epoch"] == 4  # 0.7 beats the threshold 0.8; 1.0 did not
    assert _same_weights(checkpoint["model_state"], script.weights[4])
    assert not never.exists()
    with pytest.raises(ConfigError, match=r"ModelCheckpoint: save_freq must be 'epoch', got 100; checkpoints are "
                                          r"written at the end of each epoch"):
        ModelCheckpoint(best, save_freq=100)
    with pytest.raises(ConfigError, match=r"ModelCheckpoint: initial_value_threshold must be a number or None, got 'x'"):
        ModelCheckpoint(best, initial_value_threshold="x")


def test_model_checkpoint_writes_every_epoch_to_a_pattern(tmp_path):
    X, y = _data()
    fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=3,
        callbacks=[ModelCheckpoint(tmp_path / "epoch-{epoch}.safetensors", monitor="loss")], verbose=0, seed=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"epoch-{e}.safetensors" for e in (1, 2, 3)]
    assert [load_checkpoint(tmp_path / f"epoch-{e}.safetensors")["state"]["epoch"] for e in (1, 2, 3)] == [1, 2, 3]


def test_a_checkpoint_holds_optimizer_epoch_and_random_state(tmp_path):
    X, y = _data()
    model = _model(dropout=0.2)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    path = tmp_path / "checkpoint.safetensors"
    fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=2, callbacks=[ModelCheckpoint(path)], verbose=0,
        seed=7)
    state = load_checkpoint(path)["state"]
    assert state["epoch"] == 2 and state["batches_done"] == 0 and state["seed"] == 7
    assert state["rng"] == dp.random.state_dict()  # the generator exactly as training left it
    assert state["optimizer"]["param_groups"][0]["lr"] == 0.05
    momenta = [entry["momentum_buffer"] for entry in state["optimizer"]["state"].values()]
    assert len(momenta) == 4 and all(np.array_equal(m, opt.state[p]["momentum_buffer"])
                                     for m, p in zip(momenta, model.parameters()))
    assert state["history"]["epoch"] == [1, 2]
    assert [c["class"] for c in state["callbacks"]] == ["TerminateOnNaN", "ModelCheckpoint"]


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    X, y = _data()
    path = tmp_path / "history.csv"
    history = fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=3, validation_split=0.25,
                  metrics=["accuracy"], callbacks=[CSVLogger(path)], verbose=0, seed=0)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"]
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3]
    for key in ("loss", "val_loss", "accuracy", "lr"):
        assert [float(row[key]) for row in rows] == history[key]  # repr() keeps every bit


def test_initial_epoch_continues_a_run_as_keras_does():
    """fit(epochs=3) and then fit(epochs=6, initial_epoch=3) on the same model and optimizer train
    as one six-epoch run (bitwise, with the same seed: each epoch's shuffle follows from the seed
    and the epoch's number), and the second run numbers its epochs 4 to 6 everywhere."""
    X, y = _data()

    def setup():
        model = _model(seed=1)
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        return model, opt, StepLR(opt, step_size=2, gamma=0.5)

    model, opt, schedule = setup()
    straight = fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=6, batch_size=16, callbacks=[schedule],
                   verbose=0, seed=7)
    six = model.state_dict()

    model, opt, schedule = setup()
    fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=3, batch_size=16, callbacks=[schedule], verbose=0,
        seed=7)
    assert not _same_weights(model.state_dict(), six)
    seen, out = [], io.StringIO()
    keras_schedule = LearningRateScheduler(lambda epoch, lr: seen.append(epoch) or lr)
    later = fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=6, batch_size=16, initial_epoch=3,
                callbacks=[schedule, keras_schedule], verbose=2, output=out, seed=7)
    assert _same_weights(model.state_dict(), six)
    assert later.epoch == [4, 5, 6] and later["loss"] == straight["loss"][3:] and later["lr"] == straight["lr"][3:]
    assert seen == [3, 4, 5]  # Keras hands a schedule the epoch's index, counted from 0
    assert [line.split()[1] for line in out.getvalue().splitlines()] == ["4/6", "5/6", "6/6"]


# -- learning-rate schedules -------------------------------------------------------------------------------


def test_a_schedule_function_sets_each_epochs_rate():
    X, y = _data()
    seen = []
    history = fit(_model(), X, y, loss="cross_entropy", optimizer=optim.SGD(_model().parameters(), lr=0.1), epochs=4,
                  callbacks=[LearningRateScheduler(lambda epoch, lr: seen.append((epoch, lr)) or 0.1 / 2**epoch)],
                  verbose=0, seed=0)
    assert seen == [(0, 0.1), (1, 0.1), (2, 0.05), (3, 0.025)]  # Keras: epochs counted from 0
    assert history["lr"] == [0.1, 0.05, 0.025, 0.0125]


def test_step_lr_is_stepped_once_per_epoch():
    X, y = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    # Given bare, the scheduler is wrapped into a LearningRateScheduler callback.
    history = fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=5,
                  callbacks=[StepLR(opt, step_size=2, gamma=0.5)], verbose=0, seed=0)
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025], rel=1e-12)


def test_reduce_lr_on_plateau_follows_the_monitored_value():
    X, y = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    script = Scripted([1.0, 0.5, 0.6, 0.6, 0.6, 0.6])
    plateau = LearningRateScheduler(ReduceLROnPlateau(opt, factor=0.5, patience=1))
    history = fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=6, callbacks=[script, plateau],
                  verbose=0, seed=0)
    # Epochs 3 and 4 do not improve on 0.5: more than one bad epoch halves the rate for epoch 5.
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05, 0.05], rel=1e-12)


def test_a_schedule_giving_a_negative_rate_is_refused():
    X, y = _data()
    with pytest.raises(ConfigError, match="lr=-0.1 for epoch 1; a learning rate must be a non-negative number"):
        fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=2,
            callbacks=[LearningRateScheduler(lambda epoch, lr: -0.1)], verbose=0)


def test_a_warm_up_from_zero_trains_and_resumes_from_its_checkpoint(tmp_path):
    # Epoch 1 at lr 0 (a warm-up's start) leaves the weights alone; a checkpoint at a rate of 0 resumes.
    X, y = _data()
    warm_up = LearningRateScheduler(lambda epoch, lr: 0.05 * epoch)
    model = _model()
    before = [p.data.copy() for p in model.parameters()]
    fit(model, X, y, loss="cross_entropy", optimizer="sgd", epochs=1, verbose=0, seed=0,
        callbacks=[warm_up, ModelCheckpoint(tmp_path / "ck.safetensors")])
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
    history = fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=3, callbacks=[warm_up], verbose=0,
                  seed=0, resume_from=tmp_path / "ck.safetensors")
    assert history["lr"] == pytest.approx([0.0, 0.05, 0.1])


# -- a diverging run ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("output", [io.StringIO, TTY], ids=["file", "terminal"])
def test_a_huge_learning_rate_stops_at_the_first_non_finite_loss(output):
    X, y = _data()
    model = _model()
    initial = model.state_dict()
    out = output()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the one-sentence reason replaces NumPy's overflow warnings
        history = fit(model, X * 1e3, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=1e6),
                      epochs=5, batch_size=16, verbose=1, output=out, seed=0)
    reason = history.stop_reason
    assert reason.startswith("the loss became nan at epoch 1, batch ")
    assert history.epoch == [1] and np.isnan(history["loss"][0])  # the epoch it diverged in, as Keras keeps it
    assert "learning rate (1e+06)" in reason and "their initial values" in reason
    assert out.getvalue().endswith("\nStopped: " + reason + ".\n") or out.getvalue() == f"Stopped: {reason}.\n"
    assert _same_weights(model.state_dict(), initial)


def test_divergence_in_a_later_epoch_restores_the_end_of_the_last_good_one():
    X, y = _data()
    model = _model()
    kept = Scripted([0.0] * 5)
    blow_up = LearningRateScheduler(lambda epoch, lr: 1e9 if epoch == 2 else 0.05)
    trainer = Trainer(model, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.05),
                      callbacks=[kept, blow_up], verbose=0, seed=0)
    history = trainer.fit(X * 100, y, epochs=5, batch_size=16)
    assert trainer.diverged and history.epoch == [1, 2, 3]
    assert np.isfinite(history["loss"][:2]).all() and not np.isfinite(history["loss"][2])
    assert "at epoch 3, batch" in history.stop_reason and "(1e+09)" in history.stop_reason
    assert "the end of epoch 2" in history.stop_reason
    assert _same_weights(model.state_dict(), kept.weights[2])
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_terminate_on_nan_is_not_added_twice():
    trainer = Trainer(_model(), loss="cross_entropy", optimizer="sgd", callbacks=[TerminateOnNaN()], verbose=0)
    assert sum(isinstance(c, TerminateOnNaN) for c in trainer.callbacks) == 1
    trainer = Trainer(_model(), loss="cross_entropy", optimizer="sgd", verbose=0)
    assert isinstance(trainer.callbacks[0], TerminateOnNaN)


# -- seeds and exact resumption -------------------------------------------------------------------------------


def test_the_same_seed_gives_bitwise_the_same_run():
    X, y = _data()
    runs = []
    for unrelated in (11, 22):
        model = _model(dropout=0.3)
        dp.manual_seed(unrelated)  # whatever the generator's state, the run's seed decides
        history = fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=3, batch_size=16,
                      validation_split=0.25, verbose=0, seed=42)
        runs.append((model.state_dict(), history["loss"], history["val_loss"]))
    assert _same_weights(runs[0][0], runs[1][0])
    assert runs[0][1:] == runs[1][1:]
    model = _model(dropout=0.3)
    fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=3, batch_size=16, validation_split=0.25,
        verbose=0, seed=43)
    assert not _same_weights(model.state_dict(), runs[0][0])



@pytest.mark.parametrize("seed", [None, 7])
def test_a_trainer_fitted_again_draws_new_shuffles_unless_given_a_seed(seed):
    # Trainer(seed=None) kept the seed its first fit drew: every later fit replayed the first one's
    # shuffles and dropout masks. A given seed repeats them, as it should.
    X, y = _data()
    seen = []

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = _model(dropout=0.5)

        def forward(self, x):
            output = self.layers(x)
            if self.training:
                seen.append((np.array(x, copy=True), output.data.copy()))
            return output

    model = Spy()
    trainer = Trainer(model, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.0), verbose=0, seed=seed)
    for _ in range(2):
        trainer.fit(X, y, epochs=1, batch_size=len(X) // 2)
    (first_x, first_out), (again_x, again_out) = seen[0], seen[2]
    repeated = np.array_equal(first_x, again_x) and np.array_equal(first_out, again_out)
    assert repeated == (seed is not None)

def _resume_setup(kind):
    model = _model(seed=1, dropout=0.25)
    if kind == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = optim.Adam(model.parameters(), lr=0.01)
    return model, opt


def _resume_fit(model, opt, epochs, **options):
    X, y = _data()
    callbacks = [EarlyStopping(patience=100), StepLR(opt, step_size=3, gamma=0.7), *options.pop("callbacks", [])]
    return fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=epochs, batch_size=16, validation_split=0.25,
               metrics=["accuracy"], callbacks=callbacks, verbose=0, **options)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_five_plus_five_epochs_with_a_resume_equal_ten_bitwise(tmp_path, kind):
    model, opt = _resume_setup(kind)
    straight = _resume_fit(model, opt, 10, seed=5)
    ten = model.state_dict()

    path = tmp_path / "checkpoint.safetensors"
    model, opt = _resume_setup(kind)
    _resume_fit(model, opt, 5, seed=5, callbacks=[ModelCheckpoint(path)])

    # A new process, in effect: other weights, another optimizer state, the generator elsewhere.
    dp.manual_seed(1234)
    model = _model(seed=99, dropout=0.25)
    if kind == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = optim.Adam(model.parameters(), lr=0.01)
    dp.manual_seed(4321)
    resumed = _resume_fit(model, opt, 10, resume_from=path)
    assert _same_weights(model.state_dict(), ten)
    assert resumed.epoch == list(range(1, 11))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert resumed[key] == straight[key], key


MORE_OPTIMIZERS = {
    "Rprop": lambda params: optim.Rprop(params, lr=0.005),
    "ASGD": lambda params: optim.ASGD(params, lr=0.05, t0=20, weight_decay=1e-3),
    "Adafactor": lambda params: optim.Adafactor(params, lr=0.02, weight_decay=1e-3),
}


@pytest.mark.parametrize("name", sorted(MORE_OPTIMIZERS))
def test_fit_with_the_newer_optimizers_learns_and_resumes_bitwise(tmp_path, name):
    # Each runs through fit(), and a run resumed from its epoch-5 checkpoint (optimizer state
    # included: Rprop's step sizes, ASGD's average and rate, Adafactor's factored statistics)
    # ends as the uninterrupted run does.
    model = _model(seed=1, dropout=0.25)
    straight = _resume_fit(model, MORE_OPTIMIZERS[name](model.parameters()), 10, seed=5)
    ten = model.state_dict()
    assert straight["loss"][-1] < straight["loss"][0]

    path = tmp_path / "checkpoint.safetensors"
    model = _model(seed=1, dropout=0.25)
    _resume_fit(model, MORE_OPTIMIZERS[name](model.parameters()), 5, seed=5, callbacks=[ModelCheckpoint(path)])

    dp.manual_seed(1234)
    model = _model(seed=99, dropout=0.25)
    optimizer = MORE_OPTIMIZERS[name](model.parameters())
    dp.manual_seed(4321)
    resumed = _resume_fit(model, optimizer, 10, resume_from=path)
    assert optimizer.state, "the optimizer state was not restored"
    assert _same_weights(model.state_dict(), ten)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert resumed[key] == straight[key], key


# Schedules stepped once per epoch by LearningRateScheduler's default interval (OneCycleLR and CyclicLR
# too: a step is an epoch there, so OneCycleLR is given total_steps = epochs).
EPOCH_SCHEDULES = {
    "LinearLR": lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.2, total_iters=4),
    "ConstantLR": lambda opt: lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=7),
    "PolynomialLR": lambda opt: lr_scheduler.PolynomialLR(opt, total_iters=8, power=2.0),
    "MultiplicativeLR": lambda opt: lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.8),
    "CosineAnnealingWarmRestarts": lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2),
    "OneCycleLR": lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=10),
    "CyclicLR": lambda opt: lr_scheduler.CyclicLR(opt, 0.005, 0.05, step_size_up=2, step_size_down=3),
    "SequentialLR": lambda opt: lr_scheduler.SequentialLR(
        opt, [lr_scheduler.LinearLR(opt, 0.2, total_iters=8), lr_scheduler.ExponentialLR(opt, 0.8)], milestones=[7]
    ),
    "ChainedScheduler": lambda opt: lr_scheduler.ChainedScheduler(
        [lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=6), lr_scheduler.ExponentialLR(opt, 0.9)]
    ),
}


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", sorted(EPOCH_SCHEDULES))
def test_a_new_schedule_through_fit_resumes_bitwise(tmp_path, name, kind):
    X, y = _data()

    def run(epochs, model_seed=1, **options):
        model, opt = _resume_setup(kind)
        if model_seed != 1:  # a new process, in effect: other weights, the generator elsewhere
            dp.manual_seed(1234)
            model = _model(seed=model_seed, dropout=0.25)
            opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9) if kind == "sgd" else optim.Adam(model.parameters(), lr=0.01)
            dp.manual_seed(4321)
        schedule = EPOCH_SCHEDULES[name](opt)
        callbacks = [LearningRateScheduler(schedule), *options.pop("callbacks", [])]
        history = fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=epochs, batch_size=16,
                      validation_split=0.25, callbacks=callbacks, verbose=0, **options)
        return model, opt, history

    straight_model, straight_opt, straight = run(10, seed=5)
    path = tmp_path / "checkpoint.safetensors"
    run(5, seed=5, callbacks=[ModelCheckpoint(path)])
    model, opt, resumed = run(10, model_seed=99, resume_from=path)
    assert _same_weights(model.state_dict(), straight_model.state_dict())
    for key in ("loss", "val_loss", "lr"):
        assert resumed[key] == straight[key], key
    assert len(set(straight["lr"])) > 1, "the schedule never changed the rate"
    if name in ("OneCycleLR", "CyclicLR"):  # the cycled momentum (beta1 for Adam) came back too
        assert [g.get("momentum", g.get("betas")) for g in opt.param_groups] == [
            g.get("momentum", g.get("betas")) for g in straight_opt.param_groups]


def test_an_interrupt_in_the_middle_of_an_epoch_resumes_bitwise(tmp_path):
    model, opt = _resume_setup("adam")
    straight = _resume_fit(model, opt, 4, seed=5)
    four = model.state_dict()

    class InterruptAt(Callback):
        def __init__(self, step):
            self.step, self.count = step, 0

        def on_batch_end(self, batch, logs=None):
            self.count += 1
            if self.count == self.step:  # epoch 2, third of its five batches
                self.trainer._interrupt_requested = True

    path = tmp_path / "interrupted.safetensors"
    model, opt = _resume_setup("adam")
    X, y = _data()
    trainer = Trainer(model, loss="cross_entropy", optimizer=opt, metrics=["accuracy"], verbose=0, seed=5,
                      callbacks=[EarlyStopping(patience=100), StepLR(opt, step_size=3, gamma=0.7), InterruptAt(8)])
    history = trainer.fit(X, y, epochs=4, batch_size=16, validation_split=0.25, interrupt_checkpoint=path)
    assert trainer.interrupted and len(history) == 1
    assert history.stop_reason == f"interrupted at epoch 2, batch 3; checkpoint written to {path}"
    state = load_checkpoint(path)["state"]
    assert (state["epoch"], state["batches_done"]) == (2, 3)

    dp.manual_seed(777)
    model = _model(seed=50, dropout=0.25)
    opt = optim.Adam(model.parameters(), lr=0.01)
    resumed = _resume_fit(model, opt, 4, resume_from=path)
    assert _same_weights(model.state_dict(), four)
    for key in ("loss", "accuracy", "val_loss", "lr"):
        assert resumed[key] == straight[key], key


def test_a_run_that_early_stopping_ended_stays_ended_when_resumed(tmp_path):
    """Its checkpoint says the run is over: a resume trained one more epoch (and ended with other
    weights), where the run without the interruption had stopped."""
    X, y = _data()

    def run(epochs, **options):
        model = _model(seed=2)
        callbacks = [Scripted([3.0, 2.0, 2.5, 2.6, 1.0, 0.5]), EarlyStopping(patience=2, restore_best_weights=False),
                     *options.pop("callbacks", [])]
        history = fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=epochs,
                      batch_size=16, callbacks=callbacks, verbose=0, seed=3, **options)
        return model, history

    straight, history = run(6)
    assert len(history) == 4 and "early stopping" in history.stop_reason
    path = tmp_path / "checkpoint.safetensors"
    run(4, callbacks=[ModelCheckpoint(path)])  # stops at its last epoch, 4, as the straight run does
    resumed, again = run(6, resume_from=path)
    assert _same_weights(resumed, straight) and again.epoch == [1, 2, 3, 4]
    assert again.stop_reason == history.stop_reason


@pytest.mark.parametrize("owner", ["trainer", "model"])
def test_a_run_a_callback_stopped_without_a_reason_stays_stopped_when_resumed(tmp_path, owner):
    """A Keras-style callback sets stop_training (the trainer's, or Keras' on the model) and nothing
    else: the stop is seen at once, and recorded by a ModelCheckpoint that runs after it."""
    X, y = _data()

    class StopAt2(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                setattr(getattr(self, owner), "stop_training", True)

    path = tmp_path / "checkpoint.safetensors"
    first = fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=5, callbacks=[StopAt2(), ModelCheckpoint(path)],
                verbose=0, seed=0)
    assert len(first) == 2 and first.epoch == [1, 2]
    resumed = fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=5, verbose=0, resume_from=path)
    assert resumed.epoch == [1, 2] and resumed.stop_reason == "stopped by a callback"


def test_a_divergence_after_a_resume_inside_an_epoch_restores_the_weights_that_epoch_began_with(tmp_path):
    X, y = _data()
    y = np.eye(3, dtype=np.float32)[y]

    class Explode(Callback):  # the loss of the 6th batch of epoch 1 is infinite
        def on_batch_end(self, batch, logs=None):
            if batch == 4:
                self.trainer.model[0].weight.data[...] = 1e38

    class InterruptAt(Callback):
        def on_batch_end(self, batch, logs=None):
            if batch == 2:
                self.trainer._interrupt_requested = True

    def run(callbacks, **options):
        model = _model(seed=4)
        trainer = Trainer(model, loss="mse", optimizer=optim.SGD(model.parameters(), lr=0.01), callbacks=callbacks,
                          verbose=0, seed=6)
        return model, trainer.fit(X, y, epochs=2, batch_size=8, **options)

    initial = _model(seed=4).state_dict()
    straight, history = run([Explode()])
    assert "restored to their initial values" in history.stop_reason and _same_weights(straight, initial)
    path = tmp_path / "interrupted.safetensors"
    run([InterruptAt()], interrupt_checkpoint=path)
    resumed, again = run([Explode()], resume_from=path)
    assert again.stop_reason == history.stop_reason
    assert _same_weights(resumed, initial)  # it restored the weights of batch 3, where the interrupt came


def test_what_a_resume_cannot_change_is_refused(tmp_path):
    X, y = _data()

    class InterruptAt(Callback):
        def on_batch_end(self, batch, logs=None):
            if self.trainer.epoch == 2 and batch == 1:
                self.trainer._interrupt_requested = True

    def run(epochs=3, batch_size=16, optimizer="sgd", callbacks=(), **options):
        trainer = Trainer(_model(seed=5), loss="cross_entropy", optimizer=optimizer, callbacks=list(callbacks),
                          verbose=0, seed=1)
        return trainer.fit(X, y, epochs=epochs, batch_size=batch_size, **options)

    path = tmp_path / "interrupted.safetensors"
    run(callbacks=[InterruptAt()], interrupt_checkpoint=path)  # inside epoch 2, after 2 batches of 16
    with pytest.raises(ConfigError, match=r"part-way through epoch 2 with batch_size=16; resume it with that batch size"):
        run(batch_size=8, resume_from=path)
    with pytest.raises(ConfigError, match=r"was trained with SGD, this run's optimizer is Adam"):
        run(optimizer="adam", resume_from=path)
    with pytest.raises(ConfigError, match=r"epochs=0|epochs must be"):
        run(epochs=0, resume_from=path)
    ended = tmp_path / "ended.safetensors"
    run(callbacks=[ModelCheckpoint(ended)])
    with pytest.raises(ConfigError, match=r"epochs=2, but the checkpoint .* has finished 3 epochs already"):
        run(epochs=2, resume_from=ended)
    assert len(run(batch_size=8, resume_from=ended)) == 3  # after a whole epoch, another batch size is a choice


def test_a_keras_style_schedule_is_not_applied_twice_to_an_epoch_resumed_part_way(tmp_path):
    # lr ← lr/2 at each epoch's start: the resumed epoch's rate comes back with the optimizer; the
    # schedule ran again on it (0.05, 0.025, 0.00625 instead of 0.0125) and the weights differed.
    X, y = _data()
    halve = lambda epoch, lr: lr * 0.5  # noqa: E731

    class InterruptAt(Callback):
        def __init__(self, step):
            self.step, self.count = step, 0

        def on_batch_end(self, batch, logs=None):
            self.count += 1
            if self.count == self.step:  # epoch 3, second batch
                self.trainer._interrupt_requested = True

    def run(callbacks, **options):
        model = _model(seed=3)
        trainer = Trainer(model, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1), verbose=0,
                          seed=4, callbacks=[LearningRateScheduler(halve), *callbacks])
        return model, trainer, trainer.fit(X, y, epochs=4, batch_size=16, **options)

    straight_model, _, straight = run([])
    path = tmp_path / "interrupted.safetensors"
    _, trainer, _ = run([InterruptAt(2 * 6 + 2)], interrupt_checkpoint=path)  # 96 samples: 6 batches an epoch
    assert trainer.interrupted and load_checkpoint(path)["state"]["batches_done"] == 2
    model, _, resumed = run([], resume_from=path)
    assert resumed["lr"] == straight["lr"] == pytest.approx([0.05, 0.025, 0.0125, 0.00625])
    assert _same_weights(model.state_dict(), straight_model.state_dict())



# -- schedules stepped after every batch (interval="step") --------------------------------------------

# Each built alike by deltaprop's lr_scheduler and PyTorch's (``schedulers`` is either module) on SGD
# with momentum (which OneCycleLR and CyclicLR cycle): 96 samples in batches of 16 are 6 steps an
# epoch, 18 in three epochs.
PER_BATCH_SCHEDULES = {
    "OneCycleLR": lambda schedulers, opt: schedulers.OneCycleLR(opt, max_lr=0.1, epochs=3, steps_per_epoch=6),
    "CyclicLR": lambda schedulers, opt: schedulers.CyclicLR(opt, 0.01, 0.1, step_size_up=4, step_size_down=5),
    "LinearLR": lambda schedulers, opt: schedulers.LinearLR(opt, start_factor=0.1, total_iters=8),
}


class BatchRates(Callback):
    """The learning rate and momentum each batch trained with (placed before the scheduler's
    callback, it reads them before the schedule's step)."""

    def __init__(self):
        self.rates, self.momenta = [], []

    def on_batch_end(self, batch, logs=None):
        group = self.trainer.optimizer.param_groups[0]
        self.rates.append(group["lr"])
        self.momenta.append(group["momentum"])


def _fit_per_batch(name, interval="step", epochs=3):
    X, y = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    recorder = BatchRates()
    callbacks = [recorder, LearningRateScheduler(PER_BATCH_SCHEDULES[name](lr_scheduler, opt), interval=interval)]
    fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=epochs, batch_size=16, shuffle=False,
        callbacks=callbacks, verbose=0, seed=0)
    return model, recorder


def _hand_written_loop(name, per_batch=True, epochs=3):
    """PyTorch's loop in deltaprop: the scheduler stepped after each optimizer step, or after each epoch."""
    X, y = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    schedule = PER_BATCH_SCHEDULES[name](lr_scheduler, opt)
    loss_fn = nn.CrossEntropyLoss()
    rates = []
    for _ in range(epochs):
        for i in range(0, len(X), 16):
            rates.append(opt.param_groups[0]["lr"])
            loss = loss_fn(model(X[i : i + 16]), y[i : i + 16])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if per_batch:
                schedule.step()
        if not per_batch:
            schedule.step()
    return model, rates


@pytest.mark.parametrize("name", sorted(PER_BATCH_SCHEDULES))
def test_a_per_batch_schedule_in_fit_is_the_hand_written_loop(name):
    model, recorder = _fit_per_batch(name)
    looped, rates = _hand_written_loop(name)
    assert len(recorder.rates) == 18 and len(set(recorder.rates[:6])) == 6  # a new rate for every batch
    assert recorder.rates == rates
    assert _same_weights(model, looped)


@pytest.mark.parametrize("name", sorted(PER_BATCH_SCHEDULES))
def test_per_batch_rates_in_fit_are_pytorchs(name):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for the schedules")
    _, recorder = _fit_per_batch(name)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05, momentum=0.9)
    schedule = PER_BATCH_SCHEDULES[name](torch.optim.lr_scheduler, opt)
    rates, momenta = [], []
    for _ in range(18):
        rates.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()  # no gradient: nothing moves, but PyTorch sees the step before the schedule's
        schedule.step()
    np.testing.assert_allclose(recorder.rates, rates, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(recorder.momenta, momenta, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("interval", [None, "epoch"])
def test_a_scheduler_is_stepped_once_per_epoch_unless_told(interval):
    options = {} if interval is None else {"interval": interval}
    X, y = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    recorder = BatchRates()
    scheduler = LearningRateScheduler(PER_BATCH_SCHEDULES["LinearLR"](lr_scheduler, opt), **options)
    fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=3, batch_size=16, shuffle=False,
        callbacks=[recorder, scheduler], verbose=0, seed=0)
    looped, rates = _hand_written_loop("LinearLR", per_batch=False)
    assert scheduler.interval == "epoch" and recorder.rates == rates and len(set(rates)) == 3
    assert _same_weights(model, looped)
    assert scheduler.state_dict() == {"scheduler": scheduler.schedule.state_dict()}  # checkpoints as before


@pytest.mark.parametrize("schedule, interval, message", [
    (lambda opt: StepLR(opt, step_size=2), "batch", r"^LearningRateScheduler: interval must be 'epoch' or 'step', got 'batch'$"),
    (lambda opt: (lambda epoch, lr: lr / 2), "step",
     r"^LearningRateScheduler: interval='step' needs an lr_scheduler object; a function schedule takes the epoch"),
    (lambda opt: ReduceLROnPlateau(opt), "step",
     r"^LearningRateScheduler: ReduceLROnPlateau steps on an epoch's monitored value, so it runs with interval='epoch'"),
], ids=["unknown interval", "function", "ReduceLROnPlateau"])
def test_what_cannot_be_stepped_per_batch_is_refused(schedule, interval, message):
    opt = optim.SGD(_model().parameters(), lr=0.1)
    with pytest.raises(ConfigError, match=message):
        LearningRateScheduler(schedule(opt), interval=interval)


@pytest.mark.parametrize("where", ["mid-epoch", "epoch end"])
@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR"])
def test_a_per_batch_schedule_resumes_bitwise(tmp_path, name, where):
    X, y = _data()

    class InterruptAt(Callback):
        def __init__(self, step):
            self.step, self.count = step, 0

        def on_batch_end(self, batch, logs=None):
            self.count += 1
            if self.count == self.step:
                self.trainer._interrupt_requested = True

    def run(epochs, callbacks=(), model_seed=1, interval="step", **options):
        if model_seed != 1:  # a new process, in effect: other weights, the generator elsewhere
            dp.manual_seed(1234)
        model = _model(seed=model_seed, dropout=0.25)
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        schedule = PER_BATCH_SCHEDULES[name](lr_scheduler, opt)
        trainer = Trainer(model, loss="cross_entropy", optimizer=opt, metrics=["accuracy"], verbose=0, seed=5,
                          callbacks=[LearningRateScheduler(schedule, interval=interval), *callbacks])
        history = trainer.fit(X, y, epochs=epochs, batch_size=16, **options)
        return model, opt, schedule, trainer, history

    straight_model, straight_opt, straight_schedule, _, straight = run(3)
    path = tmp_path / "checkpoint.safetensors"
    if where == "mid-epoch":
        _, _, _, trainer, _ = run(3, [InterruptAt(6 + 2)], interrupt_checkpoint=path)  # epoch 2, after 2 of 6 batches
        assert trainer.interrupted and load_checkpoint(path)["state"]["batches_done"] == 2
    else:
        run(2, [ModelCheckpoint(path)])
    model, opt, schedule, _, resumed = run(3, model_seed=50, resume_from=path)
    assert _same_weights(model, straight_model)
    for key in ("loss", "accuracy", "lr"):
        assert resumed[key] == straight[key], key
    assert [(g["lr"], g["momentum"]) for g in opt.param_groups] == [
        (g["lr"], g["momentum"]) for g in straight_opt.param_groups]
    assert schedule.state_dict() == straight_schedule.state_dict()
    with pytest.raises(dp.errors.ModelFileError, match=r"stepped with interval='step', .* resume it with interval='step'"):
        run(3, model_seed=50, interval="epoch", resume_from=path)

def test_every_form_of_classification_target_trains_and_scores_alike():
    # One-hot rows (float or integer), a column of labels, and a loss given as a function: the same
    # fit as with a vector of labels (label metrics failed with NumPy's broadcast error on one-hot
    # rows, and the function got its labels turned into a float column).
    X, y = _data()

    def history(target, loss="cross_entropy"):
        return fit(_model(seed=3), X, target, loss=loss, optimizer="sgd", epochs=2, batch_size=16, metrics=["accuracy"],
                   validation_split=0.25, verbose=0, seed=1).history

    expected = history(y)
    for target, loss in ((np.eye(3, dtype=np.float32)[y], "cross_entropy"), (np.eye(3, dtype=np.int64)[y], "cross_entropy"),
                         (y[:, None], "cross_entropy"), (y, nn.functional.cross_entropy)):
        got = history(target, loss)
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-6, err_msg=key)
    # Several yes/no labels per sample: accuracy over every label, each output thresholded.
    labels = np.stack([y == 0, y == 1, y == 2, y > 0], axis=1).astype(np.float32)
    dp.manual_seed(3)
    model = nn.Sequential(nn.Linear(X.shape[1], 8), nn.Tanh(), nn.Linear(8, 4))
    trainer = Trainer(model, loss="bce_with_logits", optimizer="sgd", metrics=["accuracy"], verbose=0, seed=1)
    logs = trainer.evaluate(X, labels)
    with dp.no_grad():
        predicted = model(X).data > 0
    assert logs["accuracy"] == pytest.approx(np.mean(predicted == labels.astype(bool)))


@pytest.mark.parametrize("loss", [nn.MultiLabelSoftMarginLoss(), nn.functional.multilabel_soft_margin_loss],
                         ids=["module", "function"])
def test_multilabel_soft_margin_accuracy_thresholds_logits_at_zero(loss):
    # MultiLabelSoftMarginLoss reads its outputs as logits, as BCEWithLogitsLoss does; its accuracy
    # thresholded them at 0.5, as if they were probabilities, and differed from BCEWithLogitsLoss's.
    X, y = _data()
    labels = np.stack([y == 0, y == 1, y == 2, y > 0], axis=1).astype(np.float32)
    dp.manual_seed(3)
    model = nn.Sequential(nn.Linear(X.shape[1], 8), nn.Tanh(), nn.Linear(8, 4))
    logs = Trainer(model, loss=loss, metrics=["accuracy"], verbose=0).evaluate(X, labels)
    with dp.no_grad():
        predicted = model(X).data > 0
    assert logs["accuracy"] == pytest.approx(np.mean(predicted == labels.astype(bool)))
    assert logs["accuracy"] == Trainer(model, loss="bce_with_logits", metrics=["accuracy"], verbose=0).evaluate(X, labels)["accuracy"]


@pytest.mark.parametrize("loss", [nn.SoftMarginLoss(), nn.functional.soft_margin_loss])
@pytest.mark.parametrize("outputs", [1, 3])
def test_soft_margin_accuracy_compares_signs_with_targets_of_plus_and_minus_one(loss, outputs):
    # SoftMarginLoss takes targets of -1 and +1; its accuracy compared them with labels 0/1 (the outputs
    # thresholded at 0.5), so a perfect model scored at most the share of +1 targets.
    X, y = _data()
    signs = np.where(np.stack([y == 0, y == 1, y > 0], axis=1)[:, :outputs], 1.0, -1.0).astype(np.float32)
    dp.manual_seed(3)
    model = nn.Sequential(nn.Linear(X.shape[1], 8), nn.Tanh(), nn.Linear(8, outputs))
    logs = Trainer(model, loss=loss, metrics=["accuracy"], verbose=0).evaluate(X, signs.reshape(len(X), -1) if outputs > 1 else signs[:, 0])
    with dp.no_grad():
        predicted = np.where(model(X).data > 0, 1.0, -1.0)
    expected = np.mean(predicted.reshape(-1) == signs.reshape(-1))
    assert logs["accuracy"] == pytest.approx(expected) and 0.0 < expected < 1.0


@pytest.mark.parametrize("outputs", [1, 3])
def test_soft_margin_precision_recall_f1_read_plus_one_as_the_positive_class(outputs):
    # The label metrics counted the ±1 targets into a confusion matrix indexed by label, and -1 broke
    # np.bincount ("must have no negative elements"): fit(metrics=["precision"]) with SoftMarginLoss failed.
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    X, y = _data()
    signs = np.where(np.stack([y == 0, y == 1, y > 0], axis=1)[:, :outputs], 1.0, -1.0).astype(np.float32)
    dp.manual_seed(3)
    model = nn.Sequential(nn.Linear(X.shape[1], 8), nn.Tanh(), nn.Linear(8, outputs))
    targets = signs.reshape(len(X), -1) if outputs > 1 else signs[:, 0]
    logs = Trainer(model, loss=nn.SoftMarginLoss(), metrics=["precision", "recall", "f1"], verbose=0).evaluate(X, targets)
    with dp.no_grad():
        predicted = np.where(model(X).data > 0, 1.0, -1.0).reshape(-1)
    truth = signs.reshape(-1)
    for name, score in [("precision", sklearn_metrics.precision_score), ("recall", sklearn_metrics.recall_score),
                        ("f1", sklearn_metrics.f1_score)]:
        expected = score(truth, predicted, average="macro", zero_division=0)
        assert logs[name] == pytest.approx(expected), name
    assert 0.0 < logs["f1"] < 1.0


def test_each_fit_starts_afresh_callbacks_and_history_included(tmp_path):
    # Reused across runs, EarlyStopping kept its best value and weights: a second, improving run
    # stopped after one epoch and ended with the first model's weights.
    X, y = _data()
    stopper = EarlyStopping(monitor="loss", patience=1)
    first = _model(seed=1)
    fit(first, X, y, loss="cross_entropy", optimizer=optim.SGD(first.parameters(), lr=1e-9), epochs=3,
        callbacks=[stopper], verbose=0, seed=0)
    second = _model(seed=2)
    trainer = Trainer(second, loss="cross_entropy", optimizer=optim.SGD(second.parameters(), lr=0.1), verbose=0,
                      seed=0, callbacks=[stopper])
    history = trainer.fit(X, y, epochs=3, batch_size=16)
    assert history.epoch == [1, 2, 3] and history.stop_reason is None
    assert stopper.best == pytest.approx(history["loss"][-1]) and stopper.best_epoch == 3
    again = trainer.fit(X, y, epochs=2, batch_size=16)  # a Trainer reused: a new History, as Keras returns
    assert again.epoch == [1, 2] and again is not history
    # ModelCheckpoint fills in logged values as Keras does, and names what it lacks.
    model = _model(seed=1)
    fit(model, X, y, loss="cross_entropy", optimizer="sgd", epochs=1, verbose=0,
        callbacks=[ModelCheckpoint(tmp_path / "ck-{epoch:02d}-{loss:.2f}.safetensors")])
    assert [p.name.startswith("ck-01-") for p in tmp_path.iterdir()] == [True]
    with pytest.raises(ConfigError, match="names a field the epoch's logs lack"):
        fit(model, X, y, loss="cross_entropy", optimizer="sgd", epochs=1, verbose=0,
            callbacks=[ModelCheckpoint(tmp_path / "ck-{val_loss}.safetensors")])


def test_a_checkpoint_written_when_the_write_fails_keeps_the_previous_epoch(tmp_path, monkeypatch):
    from deltaprop import atomic

    X, y = _data()
    path = tmp_path / "checkpoint.safetensors"

    class FailFromEpoch3(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                monkeypatch.setattr(atomic.os, "replace", _disk_full)

    with pytest.raises(OSError, match="No space left"):
        fit(_model(), X, y, loss="cross_entropy", optimizer="adam", epochs=4,
            callbacks=[FailFromEpoch3(), ModelCheckpoint(path)], verbose=0, seed=0)
    monkeypatch.undo()
    assert load_checkpoint(path)["state"]["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.safetensors"]


def _disk_full(*args, **kwargs):
    raise OSError(28, "No space left on device")


# -- the digits, end to end ------------------------------------------------------------------------------------


def _digits_run(seed):
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, seed=0)
    dp.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    history = fit(model, X_train, y_train, loss="cross_entropy", optimizer=optim.Adam(model.parameters(), lr=3e-3),
                  epochs=20, batch_size=32, validation_split=0.1, metrics=["accuracy"], verbose=0, seed=seed)
    trainer = Trainer(model, loss="cross_entropy", optimizer="sgd", metrics=["accuracy"], verbose=0)
    return model, history, trainer.evaluate(X_test, y_test), trainer.predict(X_test)


@pytest.mark.slow
def test_an_mlp_learns_the_digits_and_repeats_exactly():
    model, history, test, outputs = _digits_run(seed=0)
    assert test["accuracy"] >= 0.96
    assert history["val_accuracy"][-1] >= 0.9 and history["loss"][-1] < history["loss"][0]
    again, history_again, test_again, outputs_again = _digits_run(seed=0)
    assert _same_weights(again, model)
    assert np.array_equal(outputs_again, outputs)
    assert history_again["loss"] == history["loss"] and test_again == test


def test_predict_keeps_the_output_width_for_no_rows_and_batches_like_one_call():
    """No rows give an empty (0, outputs) array, as the model itself gives (it was (0,)), and any
    batch size gives the outputs of one call on all rows."""
    X, _ = _data()
    model = _model()
    assert dp.predict(model, X[:0]).shape == (0, 3)
    whole = model(dp.tensor(X)).data
    np.testing.assert_allclose(dp.predict(model, X, batch_size=7), whole, rtol=1e-6, atol=1e-7)


# -- Keras habits ------------------------------------------------------------------------------------


def test_validation_split_holds_out_the_last_rows_as_keras_does():
    X, y = _data(n=10)
    trainer = Trainer(_model(), loss="cross_entropy", optimizer="sgd", verbose=0, seed=0)
    from deltaprop.training import trainer as trainer_module

    X_train, y_train, (X_val, y_val) = trainer_module._split(X, y, 0.2)
    np.testing.assert_array_equal(X_val, X[8:])  # Keras: the first floor(10 * 0.8) = 8 train
    np.testing.assert_array_equal(X_train, X[:8])
    assert len(trainer_module._split(X, y, 0.25)[2][0]) == 3  # floor(7.5) = 7 train, 3 held out, as Keras
    assert len(trainer_module._split(X, y, 0.7)[2][0]) == 7  # floor(10 * (1 - 0.7)) = floor(3.0000000000000004)
    assert trainer.fit(X, y, epochs=1, validation_split=0.25).history["val_loss"]
    with pytest.raises(DataError, match="leaves 0 training and 10 validation samples"):
        trainer_module._split(X, y, 0.95)


def test_what_a_callback_adds_to_the_logs_is_history_and_model_stop_training_stops():
    X, y = _data()

    class Custom(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["custom"] = 10.0 * epoch
            if epoch == 2:
                self.model.stop_training = True  # Keras' idiom

    history = fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=5, callbacks=[Custom()], verbose=0, seed=0)
    assert history.epoch == [1, 2] and history["custom"] == [10.0, 20.0]
    again = fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=3, verbose=0, seed=0)
    assert len(again) == 3  # a model that a callback stopped once trains again in the next fit


def test_a_softmax_output_with_cross_entropy_is_warned_about():
    X, y = _data()
    model = nn.Sequential(nn.Linear(6, 3), nn.Softmax(dim=1))
    with pytest.warns(UserWarning, match="the model ends in Softmax, and the cross-entropy loss applies its own softmax"):
        fit(model, X, y, loss="cross_entropy", optimizer="sgd", epochs=1, verbose=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # LogSoftmax before cross-entropy changes nothing: no warning
        fit(nn.Sequential(nn.Linear(6, 3), nn.LogSoftmax(dim=1)), X, y, loss="nll", optimizer="sgd", epochs=1, verbose=0)


def test_keras_names_and_forms_that_mean_the_same_are_taken():
    X, y = _data()
    y_float = (X[:, :1] > 0).astype(np.float32)
    history = fit(nn.Sequential(nn.Linear(6, 1)), X, y_float, loss="mean_squared_error", optimizer="sgd", epochs=2,
                  metrics=["mse", "mae"], callbacks=[LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))],
                  verbose=0, seed=0)
    assert history["lr"] == [0.1, 0.05] and history["mse"][0] > 0
    assert fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=1, metrics=["acc"], verbose=0)["acc"]
    with pytest.raises(ConfigError, match="'sparse_categorical_crossentropy' is Keras' name for a cross-entropy of probabilities"):
        fit(_model(), X, y, loss="sparse_categorical_crossentropy", optimizer="sgd", epochs=1, verbose=0)
    with pytest.raises(ConfigError, match=r"validation_data must be \(X, y\) or \(X, y, sample_weight\), got a sequence of 4"):
        fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=1, verbose=0, validation_data=(X, y, np.ones(len(y)), None))


def test_checkpoint_and_csv_files_take_keras_argument_names(tmp_path):
    X, y = _data()
    fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=1, verbose=0,
        callbacks=[ModelCheckpoint(filepath=tmp_path / "a.safetensors", monitor="loss"), CSVLogger(filename=tmp_path / "h.csv"),
                   ModelCheckpoint(path=tmp_path / "b.safetensors", monitor="loss")])
    assert (tmp_path / "a.safetensors").exists() and (tmp_path / "b.safetensors").exists() and (tmp_path / "h.csv").exists()
    with pytest.raises(TypeError, match="give the file as filepath"):
        ModelCheckpoint()


def test_reduce_lr_on_plateau_follows_keras_rules():
    """Absolute min_delta, a cut at `patience` bad epochs (PyTorch's scheduler cuts after more than
    `patience`, with a relative threshold), cooldown, min_lr."""
    from deltaprop.training import ReduceLROnPlateau

    X, y = _data()
    model = _model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    reduce = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    history = fit(model, X, y, loss="cross_entropy", optimizer=optimizer, epochs=11, verbose=0,
                  callbacks=[Scripted([1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]), reduce])
    # cuts at the end of epochs 4 (0.1 -> 0.05), 8 (-> 0.025) and 10 (-> min_lr 0.02, not 0.0125);
    # the epoch after each cut is the cooldown: the count of bad epochs starts again from it
    assert history["lr"] == pytest.approx([0.1] * 4 + [0.05] * 4 + [0.025] * 2 + [0.02])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.02)
    with pytest.raises(ConfigError, match="factor must lie in"):
        ReduceLROnPlateau(factor=2)


def test_keras_stop_on_the_model_is_seen_within_an_epoch():
    X, y = _data()

    class StopInBatch(Callback):
        def on_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    batches = []

    class Count(Callback):
        def on_batch_end(self, batch, logs=None):
            batches.append(batch)

    fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=2, batch_size=16, callbacks=[StopInBatch(), Count()], verbose=0)
    assert batches == [0]  # within the epoch too, as trainer.stop_training does


def test_a_resume_with_another_validation_split_is_refused(tmp_path):
    X, y = _data()
    path = tmp_path / "checkpoint.safetensors"
    fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=1, validation_split=0.25, verbose=0,
        callbacks=[ModelCheckpoint(path)])
    with pytest.raises(ConfigError, match=r"was trained with validation_split=0.25, this run asks for 0.1"):
        fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=2, validation_split=0.1, verbose=0, resume_from=path)
    assert len(fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=2, validation_split=0.25, verbose=0,
                   resume_from=path)) == 2


def test_a_loss_function_of_the_users_wrapping_cross_entropy_trains_as_the_named_loss():
    # fit gives a loss function y as a column of the model's dtype, as Keras does; cross_entropy
    # takes a column of labels, so a PyTorch-style function works as it is.
    X, y = _data()

    def my_loss(output, target):
        return nn.functional.cross_entropy(output, target)

    histories = []
    for loss in (my_loss, "cross_entropy"):
        dp.manual_seed(0)
        histories.append(fit(_model(), X, y, loss=loss, optimizer="sgd", epochs=2, metrics=["accuracy"], verbose=0, seed=0))
    assert histories[0]["loss"] == pytest.approx(histories[1]["loss"], rel=1e-6)
    assert histories[0]["accuracy"] == histories[1]["accuracy"]


@pytest.mark.parametrize("loss, threshold", [
    ("mse", 0.5), ("l1", 0.5), ("huber", 0.5), ("bce", 0.5), (nn.functional.binary_cross_entropy, 0.5),
    (nn.functional.mse_loss, 0.5), ("bce_with_logits", 0.0), (nn.functional.binary_cross_entropy_with_logits, 0.0),
])
def test_accuracy_on_one_output_thresholds_where_the_loss_puts_the_boundary(loss, threshold):
    # Logits split at 0; probabilities and 0/1 regression targets at 0.5, as Keras' binary accuracy
    # does. A sigmoid output trained with 'mse' scored the base rate: every output > 0 was class 1.
    X, _ = _data()
    y = (X[:, 0] > 0).astype(np.float32)
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 1), nn.Sigmoid())
    with dp.no_grad():
        outputs = model(X).data.ravel()
    for labels in (y, y[:, None], np.stack([y, 1 - y], axis=1)):  # one output, or one label per output
        if labels.ndim == 2 and labels.shape[1] == 2:
            model = nn.Sequential(nn.Linear(6, 2), nn.Sigmoid())
            with dp.no_grad():
                outputs = model(X).data
        logs = dp.evaluate(model, X, labels, loss=loss, metrics=["accuracy"])
        expected = np.mean((outputs > threshold) == (labels.reshape(outputs.shape) > 0.5))
        assert logs["accuracy"] == pytest.approx(expected)


@pytest.mark.parametrize("callback, keras_order", [
    (EarlyStopping, ["monitor", "min_delta", "patience", "verbose", "mode", "baseline", "restore_best_weights",
                     "start_from_epoch"]),
    (dp.training.ReduceLROnPlateau, ["monitor", "factor", "patience", "verbose", "mode", "min_delta", "cooldown",
                                     "min_lr"]),
    (ModelCheckpoint, ["filepath", "monitor", "verbose", "save_best_only", "save_weights_only", "mode", "save_freq",
                      "initial_value_threshold"]),
    (LearningRateScheduler, ["schedule", "verbose"]),
])
def test_callbacks_take_keras_arguments_in_keras_order(callback, keras_order):
    # EarlyStopping("val_loss", 0, 5) is min_delta=0, patience=5 in Keras; it was patience=0,
    # min_delta=5 here. Arguments Keras does not have come after its own, by keyword only.
    parameters = inspect.signature(callback).parameters.values()
    positional = [p.name for p in parameters if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert positional == keras_order
    stopper = EarlyStopping("val_loss", 0, 5)
    assert (stopper.min_delta, stopper.patience) == (0.0, 5)


def test_verbose_callbacks_say_what_they_do_as_keras_callbacks_do(tmp_path):
    X, y = _data()
    output = io.StringIO()
    model = _model()
    callbacks = [
        Scripted([1.0, 0.5, 0.6, 0.7, 0.8, 0.9]),
        EarlyStopping(patience=2, verbose=1),
        dp.training.ReduceLROnPlateau(factor=0.5, patience=1, verbose=1),
        LearningRateScheduler(lambda epoch, lr: lr, verbose=1),
        ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True, verbose=1),
    ]
    fit(model, X, y, loss="cross_entropy", optimizer="sgd", epochs=6, callbacks=callbacks, verbose=0, output=output,
        seed=0)
    text = output.getvalue()
    assert "Epoch 1: val_loss improved from inf to 1, saving the checkpoint to" in text
    assert "Epoch 3: val_loss did not improve from 0.5" in text
    assert "Epoch 3: ReduceLROnPlateau cut the learning rate to 0.005" in text
    assert "Epoch 4: early stopping" in text
    assert "Restored the weights of epoch 2, the best (val_loss 0.5)" in text
    assert "Epoch 2: LearningRateScheduler set the learning rate to 0.01" in text
    quiet = io.StringIO()
    fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", epochs=2, verbose=0, output=quiet,
        callbacks=[Scripted([1.0, 2.0]), EarlyStopping(patience=0)])
    assert quiet.getvalue() == ""


def test_save_weights_only_writes_a_model_file(tmp_path):
    X, y = _data()
    model = _model()
    path = tmp_path / "weights.safetensors"
    fit(model, X, y, loss="cross_entropy", optimizer="sgd", epochs=2, verbose=0,
        callbacks=[ModelCheckpoint(path, monitor="loss", save_weights_only=True)])
    assert _same_weights(load(path), model)
    with pytest.raises(dp.errors.ModelFileError, match="not a deltaprop checkpoint"):
        load_checkpoint(path)


@pytest.mark.parametrize("loss", ["cross_entropy", nn.CrossEntropyLoss(ignore_index=7), nn.functional.cross_entropy])
def test_labels_to_ignore_count_for_nothing_in_fit_a_batch_of_them_included(loss):
    """Padding labels (ignore_index): a batch made of them alone adds nothing, where its NaN mean
    (PyTorch's) stopped the run as diverged; accuracy scores the other samples only; the weights
    are those of the same loop written out by hand (PyTorch's: every batch steps)."""
    ignored = getattr(loss, "ignore_index", -100)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((48, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    y[:16] = ignored  # the first two batches of 8 hold nothing to learn
    y[20:48:3] = ignored
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2))
    by_hand = nn.Sequential(nn.Linear(3, 2))
    by_hand.load_state_dict(model.state_dict())
    history = dp.fit(model, X, y, loss=loss, optimizer=optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                     epochs=3, batch_size=8, shuffle=False, metrics=["accuracy"], verbose=0)
    assert len(history.history["loss"]) == 3 and np.isfinite(history.history["loss"]).all()
    optimizer = optim.SGD(by_hand.parameters(), lr=0.1, momentum=0.9)
    criterion = nn.CrossEntropyLoss(ignore_index=ignored)
    for _ in range(3):
        for i in range(0, 48, 8):
            optimizer.zero_grad()
            criterion(by_hand(X[i : i + 8]), y[i : i + 8]).backward()
            optimizer.step()
    for ours, expected in zip(model.parameters(), by_hand.parameters()):
        np.testing.assert_allclose(ours.data, expected.data, rtol=1e-6, atol=1e-7)
    kept = y != ignored
    with dp.no_grad():
        predicted = model(X).data.argmax(axis=1)
    scores = dp.evaluate(model, X, y, loss=loss, metrics=["accuracy"])
    assert scores["accuracy"] == pytest.approx(np.mean(predicted[kept] == y[kept]))
    assert scores["loss"] == pytest.approx(float(criterion(model(X), y).data), rel=1e-6)


class _SequenceTagger(nn.Module):
    """One class per position: Embedding, GRU, Linear, and the class axis moved to 1, (N, C, L) as
    cross-entropy takes it."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(10, 4)
        self.rnn = nn.GRU(4, 6, batch_first=True)
        self.classify = nn.Linear(6, 3)

    def forward(self, x):
        return self.classify(self.rnn(self.embedding(x))[0]).permute(0, 2, 1)


def test_integer_features_reach_an_embedding_as_indices():
    """fit, evaluate and predict hand integer features on as integers (an Embedding refuses float
    indices; every other layer converts them): they were made floats of the model's dtype, so no
    model starting with an Embedding could be trained. The weights are those of the loop by hand."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 10, (32, 3))
    y = X[:, 0] % 2
    dp.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    by_hand = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    by_hand.load_state_dict(model.state_dict())
    fit(model, X, y, loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=2, batch_size=8,
        shuffle=False, verbose=0)
    optimizer = optim.SGD(by_hand.parameters(), lr=0.1)
    for _ in range(2):
        for i in range(0, 32, 8):
            optimizer.zero_grad()
            nn.functional.cross_entropy(by_hand(X[i : i + 8]), y[i : i + 8]).backward()
            optimizer.step()
    assert _same_weights(model, by_hand)
    with dp.no_grad():
        expected = model(X).data
    np.testing.assert_array_equal(dp.predict(model, X), expected)
    assert dp.evaluate(model, X, y, loss="cross_entropy", metrics=["accuracy"])["accuracy"] == pytest.approx(
        np.mean(expected.argmax(axis=1) == y))


@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_a_label_per_position_is_scored_per_position(dtype):
    """Targets (N, L) for outputs (N, C, L) are class indices, as the loss reads them: accuracy is
    over the positions not labelled ignore_index (fit read integer (N, L) labels as one-hot rows and
    accuracy failed with NumPy's broadcast error), and a batch of padding alone stops nothing."""
    rng = np.random.default_rng(1)
    X = rng.integers(0, 10, (40, 5))
    y = (X % 3).astype(dtype)
    y[:8] = -100  # the first batch is padding alone
    y[8:, -1] = -100
    dp.manual_seed(0)
    model = _SequenceTagger()
    history = fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=2, batch_size=8, shuffle=False,
                  metrics=["accuracy"], validation_data=(X[8:], y[8:]), verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["val_accuracy"]).all()
    with dp.no_grad():
        predicted = model.eval()(X).data.argmax(axis=1)
    kept = y != -100
    assert history.history["val_accuracy"][-1] == pytest.approx(np.mean(predicted[8:][kept[8:]] == y[8:][kept[8:]]))


def test_train_seconds_of_a_resumed_run_count_the_sessions_before_it(tmp_path):
    """A resumed run's training time was its last session's alone; the checkpoint now records the
    run's seconds so far, and Trainer.train_seconds adds this session's (None for an older checkpoint
    that did not record them; a damaged value is refused naming the file)."""
    from deltaprop.errors import ModelFileError
    from deltaprop.serialization import save_checkpoint

    X, y = _data()
    path = tmp_path / "checkpoint.safetensors"
    first = Trainer(_model(), loss="cross_entropy", optimizer="sgd", callbacks=[ModelCheckpoint(path)], verbose=0, seed=0)
    first.fit(X, y, epochs=2)
    saved = load_checkpoint(path)
    assert 0 < saved["state"]["train_seconds"] <= first.train_seconds
    assert first.train_seconds == first.session_seconds
    resumed = Trainer(_model(), loss="cross_entropy", optimizer="sgd", verbose=0)
    resumed.fit(X, y, epochs=4, resume_from=path)
    assert resumed.train_seconds == pytest.approx(saved["state"]["train_seconds"] + resumed.session_seconds, rel=1e-12)
    assert resumed.session_seconds > 0
    for value, expected in ((None, None), (-1.0, "non-negative"), ("3", "non-negative"), (float("inf"), "non-negative")):
        state = dict(saved["state"])
        if value is None:
            del state["train_seconds"]
        else:
            state["train_seconds"] = value
        model = _model()
        model.load_state_dict(saved["model_state"])
        save_checkpoint(path, model, state)
        again = Trainer(_model(), loss="cross_entropy", optimizer="sgd", verbose=0)
        if expected is None:
            again.fit(X, y, epochs=3, resume_from=path)
            assert again.train_seconds is None and again.session_seconds > 0
        else:
            with pytest.raises(ModelFileError, match=rf"{path.name}: the checkpoint's training time must be a {expected}"):
                again.fit(X, y, epochs=3, resume_from=path)


@pytest.mark.parametrize("weighted", [False, True])
def test_a_model_with_a_vector_output_trains_on_1d_targets(weighted):
    """fit makes 1-D targets a column (N, 1); a model whose output is a vector (N,), as PyTorch
    regression code writes it, then failed with a shape error about shapes the user never gave.
    It now trains as the same model with a column output does (Keras squeezes the one to the other)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5], dtype=np.float32) + 0.3
    options = dict(loss="mse", epochs=3, batch_size=8, metrics=["mae", "r2"], validation_data=(X[:10], y[:10]),
                   verbose=0, seed=0, sample_weight=rng.random(40) if weighted else None)
    runs = []
    for vector_output in (True, False):
        dp.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 1), *([nn.Flatten(0)] if vector_output else []))
        history = fit(model, X, y, optimizer=optim.SGD(model.parameters(), lr=0.05), **options)
        runs.append((history.history, dp.evaluate(model, X, y, loss="mse", metrics=["mae"])))
    (vector, vector_logs), (column, column_logs) = runs
    for key in ("loss", "mae", "r2", "val_loss", "val_mae", "val_r2"):
        np.testing.assert_allclose(vector[key], column[key], rtol=1e-6, err_msg=key)
    assert vector_logs == pytest.approx(column_logs, rel=1e-6)


def test_boolean_labels_are_classes_for_cross_entropy():
    """y = values > 0 (a boolean vector) was refused by the cross-entropy inside fit; it is the
    classes 0 and 1, as the same labels as integers train."""
    X, y = _data()
    labels = y > 0
    runs = [fit(_model(), X, target, loss="cross_entropy", optimizer="sgd", epochs=2, metrics=["accuracy"],
                class_weight={0: 2.0}, verbose=0, seed=0).history for target in (labels, labels.astype(np.int64))]
    for key in ("loss", "accuracy"):
        assert runs[0][key] == runs[1][key]
    assert dp.evaluate(_model(), X, labels, loss="cross_entropy") == dp.evaluate(_model(), X, labels.astype(int), loss="cross_entropy")


@pytest.mark.parametrize("options, message", [
    ({"shuffle": "batch"}, "fit: shuffle must be True or False, got 'batch'"),  # (it said DataLoader: ...)
    ({"shuffle": 1}, "fit: shuffle must be True or False, got 1"),
    ({"validation_split": "0.2"}, "validation_split must lie in [0, 1), got '0.2'"),  # (a TypeError of NumPy's)
    ({"validation_split": None}, "validation_split must lie in [0, 1), got None"),
])
def test_fit_names_itself_and_the_value_of_a_bad_shuffle_or_validation_split(options, message):
    X, y = _data(16)
    with pytest.raises(ConfigError, match=re.escape(message)):
        fit(_model(), X, y, loss="cross_entropy", optimizer="sgd", verbose=0, **options)
