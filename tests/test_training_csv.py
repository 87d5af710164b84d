"""CSVLogger: Keras' separator and append, an appended log that never loses its earlier lines, and the
row of an epoch that diverged."""

import csv

import numpy as np
import pytest

from deltaprop import optim
from deltaprop.errors import ConfigError
from deltaprop.training import Callback, CSVLogger, ModelCheckpoint, fit
from training_problem import small_classifier as _model, three_classes as _data






def _rows(path, separator=","):
    with open(path, newline="") as handle:
        return list(csv.reader(handle, delimiter=separator))


def _fit(model, path, epochs, **options):
    logger = options.pop("logger", None) or CSVLogger(path, append=options.pop("append", False))
    opt = options.pop("optimizer", None) or optim.SGD(model.parameters(), lr=0.05)
    return fit(model, *_data(), loss="cross_entropy", optimizer=opt, epochs=epochs, batch_size=16,
               callbacks=[logger, *options.pop("callbacks", [])], verbose=0, seed=0, **options)


def test_a_separator_splits_the_columns_and_keeps_every_bit(tmp_path):
    path = tmp_path / "log.tsv"
    history = _fit(_model(), path, 3, logger=CSVLogger(path, separator="\t"), validation_split=0.25)
    rows = _rows(path, "\t")
    assert rows[0] == ["epoch", "loss", "val_loss", "lr", "time"]
    assert [int(row[0]) for row in rows[1:]] == [1, 2, 3]
    assert [float(row[1]) for row in rows[1:]] == history["loss"]
    assert [float(row[2]) for row in rows[1:]] == history["val_loss"]
    assert "," not in path.read_text()


@pytest.mark.parametrize("separator", ["", ";;", '"', "\n", 1])
def test_a_separator_is_one_character_that_is_not_a_quote_or_line_end(tmp_path, separator):
    with pytest.raises(ConfigError, match="CSVLogger: separator must be one character"):
        CSVLogger(tmp_path / "log.csv", separator=separator)


def test_without_append_an_existing_file_is_replaced(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("whatever was here\n")
    _fit(_model(), path, 2)
    assert [row[0] for row in _rows(path)] == ["epoch", "1", "2"]


@pytest.mark.parametrize("before", [None, ""], ids=["no file", "empty file"])
def test_append_to_a_new_or_empty_file_writes_the_header(tmp_path, before):
    path = tmp_path / "log.csv"
    if before is not None:
        path.write_text(before)
    history = _fit(_model(), path, 2, append=True)
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "lr", "time"] and len(rows) == 3
    assert [float(row[1]) for row in rows[1:]] == history["loss"]


def test_a_run_continued_with_initial_epoch_appends_its_rows_under_the_first_header(tmp_path):
    path = tmp_path / "log.csv"
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.05)
    first = _fit(model, path, 3, append=True, optimizer=opt)
    before = path.read_text()
    later = _fit(model, path, 6, append=True, optimizer=opt, initial_epoch=3)
    text = path.read_text()
    assert text.startswith(before)  # the lines already there are kept byte for byte
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "lr", "time"] and text.count("epoch") == 1
    assert [int(row[0]) for row in rows[1:]] == [1, 2, 3, 4, 5, 6]
    assert [float(row[1]) for row in rows[1:]] == first["loss"] + later["loss"]


def test_a_resumed_run_appends_only_the_epochs_it_trains(tmp_path):
    path, checkpoint = tmp_path / "log.csv", tmp_path / "ck.safetensors"
    _fit(_model(), path, 2, append=True, callbacks=[ModelCheckpoint(checkpoint)])
    model = _model()
    resumed = _fit(model, path, 4, append=True, optimizer=optim.SGD(model.parameters(), lr=0.05),
                   resume_from=checkpoint)
    rows = _rows(path)
    assert [int(row[0]) for row in rows[1:]] == [1, 2, 3, 4]
    assert [float(row[1]) for row in rows[1:]] == resumed["loss"]  # the history holds all four epochs


def test_appending_other_columns_is_refused_and_leaves_the_file_as_it_was(tmp_path):
    path = tmp_path / "log.csv"
    _fit(_model(), path, 2, append=True)
    before = path.read_text()
    with pytest.raises(ConfigError, match=r"CSVLogger: .*log.csv has the columns epoch, loss, lr, time, but this run "
                                          r"logs epoch, loss, val_loss, lr, time"):
        _fit(_model(), path, 2, append=True, validation_split=0.25)
    assert path.read_text() == before


def test_an_appending_run_that_is_interrupted_loses_none_of_the_lines_already_there(tmp_path, monkeypatch):
    from deltaprop import atomic

    path = tmp_path / "log.csv"
    _fit(_model(), path, 2, append=True)
    before = path.read_text()

    class DiskFullInEpoch2(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                monkeypatch.setattr(atomic.os, "replace", _disk_full)

    with pytest.raises(OSError, match="No space left"):
        _fit(_model(), path, 3, append=True, callbacks=[DiskFullInEpoch2()])
    monkeypatch.undo()
    text = path.read_text()
    assert text.startswith(before)
    assert [row[0] for row in _rows(path)] == ["epoch", "1", "2", "1"]  # the new run's first epoch, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv"]  # no temporary file left behind

    class Crash(Callback):  # as a Ctrl-C between two epochs
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit(_model(), path, 3, append=True, callbacks=[Crash()])
    assert path.read_text().startswith(text)
    assert [row[0] for row in _rows(path)] == ["epoch", "1", "2", "1", "1"]


def _disk_full(*args, **kwargs):
    raise OSError(28, "No space left on device")


def test_the_epoch_that_diverged_is_logged_as_history_records_it(tmp_path):
    path = tmp_path / "log.csv"
    model = _model()
    history = fit(model, *_data(), loss="cross_entropy", optimizer=optim.SGD(model.parameters(), lr=0.05),
                  epochs=5, batch_size=16, callbacks=[CSVLogger(path), _BlowUpInEpoch(3)], verbose=0, seed=0)
    assert history.epoch == [1, 2, 3] and np.isnan(history["loss"][2])
    rows = _rows(path)
    assert [int(row[0]) for row in rows[1:]] == [1, 2, 3]
    assert [float(row[1]) for row in rows[1:-1]] == history["loss"][:2] and rows[-1][1] == "nan"


class _BlowUpInEpoch(Callback):
    """Sets a learning rate that overflows at the start of the given epoch."""

    def __init__(self, epoch):
        self.at = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            for group in self.trainer.optimizer.param_groups:
                group["lr"] = 1e30
