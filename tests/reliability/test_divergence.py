"""A learning rate large enough to overflow: training stops at the first non-finite loss (or weights),
the last good weights come back, nothing broken is saved, and one sentence names the epoch, the
batch and the learning rate as the likely cause.

tests/test_training.py proves the stop, the message and the restored weights for a loss that turns
NaN; here: the files a diverged run leaves on disk (through the command and through the API), and
the two ways a run can go bad without a NaN batch loss (weights overflowing on the last step of an
epoch, and a validation loss that overflows).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.serialization import load, load_checkpoint
from deltaprop.tabular import TabularModel
from deltaprop.training import LearningRateScheduler, ModelCheckpoint, Trainer

from commandline import run_cli

REASON = re.compile(r"(the loss became nan at epoch (\d+), batch \d+|the validation loss became nan at the end of "
                    r"epoch (\d+)); training stopped .* The learning rate \((\S+)\) is the likely cause")


def _finite(state: dict) -> bool:
    return all(np.isfinite(array).all() for array in state.values() if array.dtype.kind == "f")


@pytest.mark.parametrize("optimizer, lr", [("sgd", "1e3"), ("adam", "1e12")])
def test_a_diverged_command_saves_no_model_and_keeps_the_last_good_checkpoint(corpus, tmp_path, optimizer, lr):
    out = tmp_path / "run"
    result = run_cli("train", corpus / "flowers.csv", "--optimizer", optimizer, "--lr", lr, "--epochs", 20,
                     "--out", out, cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert "RuntimeWarning" not in result.stderr  # the sentence replaces NumPy's overflow warnings
    reason = REASON.search(result.stderr)
    assert reason, result.stderr
    assert float(reason.group(4)) == float(lr)
    epoch = int(reason.group(2) or reason.group(3))
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("deltaprop: error: training diverged (see above); no model was saved")

    checkpoint = out / "checkpoint.safetensors"
    if epoch == 1:
        assert not out.exists()  # nothing worth keeping: the run's folder is removed
        assert last_line.endswith("no epoch finished, so there is no checkpoint either")
        return
    assert not (out / "model.safetensors").exists() and not (out / "metrics.json").exists()
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert last_line.endswith(f"{checkpoint} holds epoch {epoch - 1}, the last that finished")
    saved = load_checkpoint(checkpoint)
    assert saved["state"]["epoch"] == epoch - 1 and saved["state"]["batches_done"] == 0
    assert _finite(saved["model_state"])
    model = TabularModel.load(checkpoint)  # a checkpoint is a usable model too
    assert np.isfinite(model.outputs(np.zeros((4, 3), dtype=np.float32))).all()


def test_the_sgd_case_above_diverges_after_an_epoch_so_a_checkpoint_is_checked(corpus, tmp_path):
    result = run_cli("train", corpus / "flowers.csv", "--optimizer", "sgd", "--lr", "1e3", "--epochs", 20, "--quiet",
                     "--out", tmp_path / "run", cwd=tmp_path)
    reason = REASON.search(result.stderr)
    assert reason and int(reason.group(2) or reason.group(3)) >= 2, result.stderr
    assert result.stderr.count("\n") == 1  # --quiet: the reason is given once, on the error line


# -- through the API -----------------------------------------------------------------------------------


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 2)).astype(np.float32)
    return X, (X.sum(axis=1, keepdims=True) > 0).astype(np.float32)


def _overflowing_loss(output, target):
    """A finite loss whose gradient is ~1e30: one step of SGD at lr 1e10 sends the weights to inf."""
    return (output * 1e30).mean()


def _fit_until_the_weights_overflow(tmp_path, epochs_before):
    dp.manual_seed(0)
    model = nn.Linear(2, 1)
    initial = model.state_dict()
    opt = optim.SGD(model.parameters(), lr=1e-35)
    # Harmless for `epochs_before` epochs, then a rate that overflows the weights on the first step.
    schedule = LearningRateScheduler(lambda epoch, lr: 1e-35 if epoch < epochs_before else 1e10)
    trainer = Trainer(model, loss=_overflowing_loss, optimizer=opt, verbose=0, seed=0,
                      callbacks=[schedule, ModelCheckpoint(tmp_path / "checkpoint.safetensors")])
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = trainer.fit(X, y, epochs=5, batch_size=len(X))  # one batch per epoch: its step is the last
    return trainer, history, model, initial


def test_weights_overflowing_on_the_last_step_of_an_epoch_are_never_checkpointed(tmp_path):
    trainer, history, model, initial = _fit_until_the_weights_overflow(tmp_path, epochs_before=0)
    assert trainer.diverged and history.epoch == [1] and np.isnan(history["loss"][0])  # no loss of finite weights
    assert history.stop_reason.startswith("the weights became non-finite at epoch 1, batch 1; training stopped")
    assert "learning rate (1e+10) is the likely cause" in history.stop_reason
    assert not (tmp_path / "checkpoint.safetensors").exists()  # before the fix: a checkpoint full of inf
    assert all(np.array_equal(model.state_dict()[name], initial[name]) for name in initial)


def test_after_good_epochs_the_checkpoint_on_disk_is_the_last_good_one(tmp_path):
    trainer, history, model, _ = _fit_until_the_weights_overflow(tmp_path, epochs_before=2)
    assert trainer.diverged and history.epoch == [1, 2, 3] and np.isnan(history["loss"][2])
    assert np.isfinite(history["loss"][:2]).all()
    assert "at epoch 3, batch 1" in history.stop_reason and "the end of epoch 2" in history.stop_reason
    saved = load_checkpoint(tmp_path / "checkpoint.safetensors")
    assert saved["state"]["epoch"] == 2 and _finite(saved["model_state"])
    for name, array in model.state_dict().items():  # the restored weights are the checkpointed ones
        assert np.array_equal(saved["model_state"][name], array), name
    assert np.isfinite(load(tmp_path / "checkpoint.safetensors").weight.data).all()


def test_a_validation_loss_that_overflows_stops_the_run_before_its_checkpoint(tmp_path):
    dp.manual_seed(0)
    model = nn.Linear(2, 1)
    X, y = _data()
    # Finite, huge weights: the training batches stay finite (inputs near 0), the validation rows overflow.
    with dp.no_grad():
        model.weight.data[...] = 1e20
    val = (np.full((4, 2), 1e20, dtype=np.float32), np.ones((4, 1), dtype=np.float32))
    trainer = Trainer(model, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e-30), verbose=0, seed=0,
                      callbacks=[ModelCheckpoint(tmp_path / "checkpoint.safetensors")])
    history = trainer.fit(X * 1e-20, y, epochs=3, validation_data=val)
    # The epoch is kept as it was measured: a finite training loss, an infinite validation loss.
    assert trainer.diverged and history.epoch == [1]
    assert np.isfinite(history["loss"][0]) and history["val_loss"] == [float("inf")]
    assert history.stop_reason.startswith("the validation loss became inf at the end of epoch 1")
    assert not (tmp_path / "checkpoint.safetensors").exists()
