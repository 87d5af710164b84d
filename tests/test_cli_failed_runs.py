"""`deltaprop train` failing after its checkpoint was written: the run folder is kept, the error
says so with the command that resumes it, and every file in the folder is whole.

The failure is a real one: a file the run must write (config.toml, curves.png) is taken by a
folder, which the atomic writer refuses after training has finished and checkpointed."""

import csv
import json
import re
import tomllib

import numpy as np
import pytest

import deltaprop
from deltaprop.serialization import load_checkpoint
from test_cli import run


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 3)).round(4)
    label = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    path = tmp_path / "table.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "c", "label"])
        writer.writerows([*row, y] for row, y in zip(X, label))
    return path


@pytest.mark.parametrize("taken", ["config.toml", "curves.png"])
def test_a_run_failing_after_its_checkpoint_keeps_the_folder_and_says_how_to_resume(table, tmp_path, taken):
    out = tmp_path / "run"
    (out / taken).mkdir(parents=True)
    failed = run("train", table, "--epochs", 2, "--hidden", 4, "--out", out, "--quiet", cwd=tmp_path)
    assert failed.returncode == 1 and failed.stdout == "" and "Traceback" not in failed.stderr
    checkpoint = out / "checkpoint.safetensors"
    assert failed.stderr.splitlines() == [
        f"deltaprop: error: {out / taken}: is a folder, not a file",
        f"deltaprop: the run folder {out} is kept: its checkpoint holds epoch 2; resume with: "
        f"deltaprop train --resume {checkpoint}",
    ]
    # every file there is whole: no temporary file left, each one reads back
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    assert load_checkpoint(checkpoint)["state"]["epoch"] == 2
    rows = list(csv.DictReader(open(out / "history.csv", newline="")))
    assert [row["epoch"] for row in rows] == ["1", "2"]
    deltaprop.load(out / "model.safetensors")
    if (out / "config.toml").is_file():
        assert tomllib.loads((out / "config.toml").read_text())["epochs"] == 2
    if (out / "metrics.json").is_file():
        assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 2
    # the command it names finishes the run, once the folder is out of the way
    (out / taken).rmdir()
    resumed = run(*re.search(r"resume with: deltaprop (.*)$", failed.stderr).group(1).split(), "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 2
    assert (out / taken).is_file()


def test_a_run_failing_before_its_first_checkpoint_leaves_nothing_and_names_no_resume(table, tmp_path):
    out = tmp_path / "run"
    (out / "history.csv").mkdir(parents=True)  # written at the end of epoch 1, before the checkpoint
    failed = run("train", table, "--epochs", 2, "--hidden", 4, "--out", out, "--quiet", cwd=tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [f"deltaprop: error: {out / 'history.csv'}: is a folder, not a file"]
    assert sorted(p.name for p in out.iterdir()) == ["history.csv"]  # the folder was there: only this run's files go
