"""The `deltaprop` command, driven for real: `python -m deltaprop ...` and the installed console script.

Results go to stdout, progress and messages to stderr; an error is one sentence on stderr without a
traceback (unless --debug) and exit code 1 for a problem with data or a model file, 2 for a problem
with the command line; a run that fails before training leaves no run folder behind.
"""

import csv
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import deltaprop
from deltaprop.serialization import load_checkpoint
from deltaprop.tabular import TabularModel

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(*args, cwd, executable=None, timeout=300):
    """Run the command line in ``cwd``: ``python -m deltaprop ARGS``, or the given executable."""
    command = [executable] if executable else [sys.executable, "-m", "deltaprop"]
    return subprocess.run([*command, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def installed_script() -> str:
    found = shutil.which("deltaprop", path=str(Path(sys.executable).parent)) or shutil.which("deltaprop")
    assert found, "the `deltaprop` console script is not installed next to this Python"
    return found


def metric_from_stdout(stdout: str, name: str) -> float:
    match = re.search(rf"^\s+{re.escape(name)}\s+(-?[0-9.]+)\s*$", stdout, re.MULTILINE)
    assert match, f"no {name!r} line in:\n{stdout}"
    return float(match.group(1))


def assert_one_sentence_error(result, code, message):
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deltaprop: error: "), result.stderr
    assert re.search(message, lines[0]), lines[0]


def png_size(path: Path) -> tuple:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# -- data files -------------------------------------------------------------------------------------------


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Small CSV files: flowers with class names, houses for regression, and broken variants."""
    folder = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3)).round(4)
    species = np.where(X[:, 0] + 0.5 * X[:, 1] > 0.3, "setosa", np.where(X[:, 2] > 0, "virginica", "versicolor"))
    _write_csv(folder / "flowers.csv", ["sepal", "petal", "stem", "species"],
               [[*row, label] for row, label in zip(X, species)])
    # The same flowers with the columns in another order, with and without the species.
    _write_csv(folder / "flowers_shuffled.csv", ["species", "stem", "sepal", "petal"],
               [[label, row[2], row[0], row[1]] for row, label in zip(X, species)])
    _write_csv(folder / "flowers_new.csv", ["stem", "sepal", "petal"], [[row[2], row[0], row[1]] for row in X[:12]])
    _write_csv(folder / "flowers_unseen.csv", ["sepal", "petal", "stem", "species"],
               [[0.1, 0.2, 0.3, "setosa"], [0.3, 0.2, 0.1, "tulip"]])
    _write_csv(folder / "flowers_wrong.csv", ["sepal", "petal", "leaf"], [[0.1, 0.2, 0.3]])
    _write_csv(folder / "flowers_extra.csv", ["sepal", "petal", "stem", "colour"], [[0.1, 0.2, 0.3, 1.0]])

    H = rng.normal(size=(200, 4)).round(4)
    price = (3 * H[:, 0] - 2 * H[:, 1] + 0.5 * H[:, 2] ** 2 + 10 + 0.1 * rng.normal(size=200)).round(4)
    _write_csv(folder / "houses.csv", ["price", "rooms", "age", "garden", "floor"],
               [[p, *row] for p, row in zip(price, H)])
    _write_csv(folder / "houses_shuffled.csv", ["floor", "garden", "age", "rooms", "price"],
               [[row[3], row[2], row[1], row[0], p] for p, row in zip(price, H)])

    (folder / "garbage.safetensors").write_bytes(b"\x00\x01not a model at all" * 8)
    (folder / "broken.toml").write_text("lr = [\n")
    (folder / "unknown_key.toml").write_text("learning_rate = 0.1\n")
    (folder / "bad_value.toml").write_text("epochs = -3\n")
    (folder / "small.toml").write_text('data = "flowers.csv"\nepochs = 3\nlr = 0.01\nhidden = [8]\nseed = 4\n')
    return folder


@pytest.fixture(scope="module")
def flowers_run(data):
    """One classification run on the flowers (class names as labels), through the installed script."""
    result = run("train", "flowers.csv", "--target", "species", "--epochs", 30, "--hidden", "16", "--lr", "0.01",
                 "--out", "flowers-run", "--quiet", cwd=data, executable=installed_script())
    assert result.returncode == 0, result.stderr
    return data / "flowers-run", result


@pytest.fixture(scope="module")
def houses_run(data):
    result = run("train", "houses.csv", "--target", "price", "--epochs", 40, "--hidden", "16", "--out", "houses-run",
                 "--quiet", cwd=data)
    assert result.returncode == 0, result.stderr
    return data / "houses-run", result


# -- the main job -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_main_job_trains_the_digits_and_writes_a_complete_run_folder(tmp_path):
    out = tmp_path / "digits-run"
    result = run("train", "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    accuracy = metric_from_stdout(result.stdout, "accuracy")
    assert accuracy >= 0.96
    assert "Epoch" not in result.stdout and "Epoch 50/50" in result.stderr  # progress on stderr only
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint.safetensors", "config.toml", "confusion_matrix.png", "curves.png", "history.csv",
        "metrics.json", "model.safetensors",
    ]

    report = json.loads((out / "metrics.json").read_text())
    assert report["task"] == "classification" and report["data"] == "digits"
    assert report["test"]["accuracy"] >= 0.96
    assert round(report["test"]["accuracy"], 4) == accuracy
    assert report["test"]["samples"] == 360 and np.sum(report["test"]["confusion_matrix"]) == 360
    assert report["epochs_run"] == 50 and report["config"]["epochs"] == 50

    with open(out / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in rows] == list(range(1, 51))
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"} <= set(rows[0])
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])

    config = tomllib.loads((out / "config.toml").read_text())
    assert config["hidden"] == [64, 32] and config["seed"] == 0
    assert "out" not in config  # repeating the run with --config must not overwrite this folder

    model = deltaprop.load(out / "model.safetensors")
    assert model.metadata["tabular"]["feature_names"][0] == "pixel_0_0"
    table = TabularModel.load(out / "model.safetensors")
    X, y = deltaprop.data.load_digits()
    assert (table.predict(X) == y).mean() > 0.96

    checkpoint = load_checkpoint(out / "checkpoint.safetensors")
    assert checkpoint["state"]["epoch"] == 50
    for name, array in model.state_dict().items():
        assert np.array_equal(checkpoint["model_state"][name], array), name

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image

    for picture in ("curves.png", "confusion_matrix.png"):
        width, height = png_size(out / picture)
        assert width > 200 and height > 200
        pixels = matplotlib.image.imread(out / picture)
        assert pixels.shape[:2] == (height, width)


# -- tables with class names and with numbers -------------------------------------------------------------


def test_a_quiet_run_prints_only_the_results(flowers_run):
    folder, result = flowers_run
    assert result.stderr == ""
    assert result.stdout.splitlines()[0].startswith("Test metrics (30 held-out samples)")
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["accuracy", "precision", "recall", "F1"]
    assert metric_from_stdout(result.stdout, "accuracy") >= 0.85
    assert json.loads((folder / "metrics.json").read_text())["test"]["classes"] == ["setosa", "versicolor", "virginica"]


def test_predict_prints_the_original_class_names(flowers_run, data):
    folder, _ = flowers_run
    result = run("predict", folder / "model.safetensors", "flowers_new.csv", cwd=data)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "predicted_species" and len(lines) == 13
    assert set(lines[1:]) <= {"setosa", "versicolor", "virginica"}


def test_predict_leaves_a_target_column_unread_and_evaluate_names_its_gaps(flowers_run, data, tmp_path):
    # The help says a target column "is ignored" when predicting: empty or odd cells there are no error.
    folder, _ = flowers_run
    rows = [["0.1", "0.2", "0.3", "setosa"], ["0.3", "0.2", "0.1", ""], ["1.0", "-1.0", "0.5", "???"]]
    _write_csv(tmp_path / "gaps.csv", ["sepal", "petal", "stem", "species"], rows)
    result = run("predict", folder / "model.safetensors", "gaps.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 4
    evaluated = run("evaluate", folder / "model.safetensors", "gaps.csv", cwd=tmp_path)
    assert_one_sentence_error(evaluated, 1, r"gaps.csv: row 3, column 'species' is empty; .*\(remove them to evaluate\)")
    assert "drop_missing" not in evaluated.stderr


def test_predict_with_probabilities_into_a_file(flowers_run, data, tmp_path):
    folder, _ = flowers_run
    target = tmp_path / "predictions.csv"
    model = folder / "model.safetensors"
    result = run("predict", model, data / "flowers_new.csv", "--proba", "--out", target, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "Wrote 12 predictions" in result.stderr
    with open(target, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "predicted_species", "probability_setosa", "probability_versicolor", "probability_virginica",
    ]
    assert len(rows) == 12
    for row in rows:
        probabilities = {name: float(row[f"probability_{name}"]) for name in ("setosa", "versicolor", "virginica")}
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert row["predicted_species"] == max(probabilities, key=probabilities.get)
    # The same predictions as on stdout.
    plain = run("predict", model, data / "flowers_new.csv", cwd=tmp_path)
    assert plain.stdout.splitlines()[1:] == [row["predicted_species"] for row in rows]


def test_evaluate_reads_the_columns_by_name_in_any_order(flowers_run, data):
    folder, _ = flowers_run
    straight = run("evaluate", folder / "model.safetensors", "flowers.csv", cwd=data)
    shuffled = run("evaluate", folder / "model.safetensors", "flowers_shuffled.csv", cwd=data)
    assert straight.returncode == shuffled.returncode == 0, straight.stderr + shuffled.stderr
    assert straight.stdout.splitlines()[0] == "Metrics on flowers.csv (150 samples)"
    assert straight.stdout.splitlines()[1:] == shuffled.stdout.splitlines()[1:]
    assert metric_from_stdout(straight.stdout, "accuracy") >= 0.85
    # Predicting from the reordered file (its target column ignored) gives the same answers too.
    by_name = run("predict", folder / "model.safetensors", "flowers_shuffled.csv", cwd=data)
    in_order = run("predict", folder / "model.safetensors", "flowers.csv", cwd=data)
    assert by_name.returncode == 0 and by_name.stdout == in_order.stdout


def test_summary_shows_the_layers_and_the_settings(flowers_run, data):
    folder, _ = flowers_run
    result = run("summary", folder / "model.safetensors", cwd=data)
    assert result.returncode == 0, result.stderr
    assert "Classes (3): setosa, versicolor, virginica" in result.stdout
    assert "Linear(3 -> 16)" in result.stdout and "Total parameters: 115" in result.stdout
    assert re.search(r"^\s+epochs\s+30$", result.stdout, re.MULTILINE)


@pytest.mark.slow
def test_the_digits_cnn_trains_saves_and_evaluates(tmp_path):
    result = run("train", "--model", "cnn", "--epochs", 2, "--out", tmp_path / "cnn", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert metric_from_stdout(result.stdout, "accuracy") > 0.8
    network = deltaprop.load(tmp_path / "cnn" / "model.safetensors")  # BatchNorm counters and all
    assert network.metadata["tabular"]["input_shape"] == [1, 8, 8]
    evaluated = run("evaluate", tmp_path / "cnn" / "model.safetensors", "digits", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert evaluated.stdout.startswith("Metrics on digits (1797 samples)")
    summary = run("summary", tmp_path / "cnn" / "model.safetensors", cwd=tmp_path)
    assert "Conv2d(1 -> 16" in summary.stdout and "(N, 16, 8, 8)" in summary.stdout


def test_a_regression_table_trains_evaluates_and_predicts(houses_run, data):
    folder, result = houses_run
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["MAE", "RMSE", "R²"]
    assert metric_from_stdout(result.stdout, "R²") > 0.8
    report = json.loads((folder / "metrics.json").read_text())
    assert report["task"] == "regression" and set(report["test"]) == {"samples", "mae", "rmse", "r2"}
    assert not (folder / "confusion_matrix.png").exists() and png_size(folder / "curves.png")[0] > 0

    evaluated = run("evaluate", folder / "model.safetensors", "houses_shuffled.csv", cwd=data)
    assert evaluated.returncode == 0, evaluated.stderr
    assert metric_from_stdout(evaluated.stdout, "R²") > 0.8

    predicted = run("predict", folder / "model.safetensors", "houses.csv", cwd=data)
    assert predicted.returncode == 0, predicted.stderr
    lines = predicted.stdout.splitlines()
    assert lines[0] == "predicted_price" and len(lines) == 201
    with open(data / "houses.csv", newline="") as handle:
        truth = np.array([float(row["price"]) for row in csv.DictReader(handle)])
    values = np.array([float(v) for v in lines[1:]])  # in the target's own units, not scaled
    assert np.mean(np.abs(values - truth)) < 0.5 * np.std(truth)


def test_one_held_out_sample_has_no_r2_and_the_metrics_file_stays_json(data, tmp_path):
    """R² needs two samples (scikit-learn gives NaN): the table says so, metrics.json writes null
    (JSON has no NaN), and the title counts one sample."""
    rows = list(csv.reader(open(data / "houses.csv", newline="")))
    path = _write_csv(tmp_path / "few.csv", rows[0], rows[1:11])
    result = run("train", path, "--target", "price", "--epochs", 2, "--test-split", 0.1, "--val-split", 0.2,
                 "--out", tmp_path / "few", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Test metrics (1 held-out sample)"
    assert re.search(r"^  R²\s+undefined$", result.stdout, re.MULTILINE), result.stdout
    report = json.loads((tmp_path / "few" / "metrics.json").read_text())
    assert report["test"]["samples"] == 1 and report["test"]["r2"] is None and report["test"]["mae"] > 0


def test_evaluate_refuses_a_text_target_for_a_regression_model(houses_run, data, tmp_path):
    path = _write_csv(tmp_path / "houses_text.csv", ["price", "rooms", "age", "garden", "floor"],
                      [[12.5, 0.1, 0.2, 0.3, 0.4], ["cheap", 0.1, 0.2, 0.3, 0.4]])
    result = run("evaluate", houses_run[0] / "model.safetensors", path, cwd=data)
    assert_one_sentence_error(result, DATA, re.escape(f"{path}: column 'price' holds text, not the numbers this "
                                                      "regression model predicts"))


def test_class_names_that_look_like_numbers_are_the_same_classes_at_evaluate(data, tmp_path):
    # Trained on '1', '2' and 'x', the labels are text; a file holding only '1' and '2' reads them as
    # numbers, which were then 'not seen in fit'.
    with open(data / "flowers.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    names = {"setosa": "1", "versicolor": "2", "virginica": "x"}
    labelled = [[*row[:3], names[row[3]]] for row in rows[1:]]
    _write_csv(tmp_path / "train.csv", rows[0], labelled)
    _write_csv(tmp_path / "numbers.csv", rows[0], [row for row in labelled if row[3] != "x"])
    trained = run("train", "train.csv", "--epochs", 1, "--out", "run", "--quiet", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    evaluated = run("evaluate", "run/model.safetensors", "numbers.csv", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert 0 <= metric_from_stdout(evaluated.stdout, "accuracy") <= 1


def test_class_labels_written_with_leading_zeros_come_back_as_written(data, tmp_path):
    # '007' read as the number 7 was predicted as '7': not the original class label.
    with open(data / "flowers.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    names = {"setosa": "007", "versicolor": "010", "virginica": "3"}
    _write_csv(tmp_path / "train.csv", rows[0], [[*row[:3], names[row[3]]] for row in rows[1:]])
    trained = run("train", "train.csv", "--epochs", 3, "--out", "run", "--quiet", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    predicted = run("predict", "run/model.safetensors", "train.csv", "--proba", cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    lines = predicted.stdout.splitlines()
    assert lines[0].split(",")[1:] == ["probability_007", "probability_010", "probability_3"]
    assert {line.split(",")[0] for line in lines[1:]} <= {"007", "010", "3"}
    evaluated = run("evaluate", "run/model.safetensors", "train.csv", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    # A regression target written so is still numbers to regress on.
    regression = run("train", "train.csv", "--task", "regression", "--epochs", 2, "--out", "reg", "--quiet",
                     cwd=tmp_path)
    assert regression.returncode == 0, regression.stderr
    evaluated = run("evaluate", "reg/model.safetensors", "train.csv", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert metric_from_stdout(evaluated.stdout, "MAE") > 0


def test_a_resume_whose_data_reads_as_other_classes_is_refused(data, tmp_path, monkeypatch, capsys):
    # The network's outputs are the checkpoint's classes in their order: the same file read as other
    # classes (by a deltaprop that read '007' as 7 and sorted it after 3) would train them scrambled.
    from dataclasses import replace

    from deltaprop.cli import main, train

    with open(data / "flowers.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    names = {"setosa": "007", "versicolor": "010", "virginica": "3"}
    _write_csv(tmp_path / "codes.csv", rows[0], [[*row[:3], names[row[3]]] for row in rows[1:]])
    monkeypatch.chdir(tmp_path)
    assert main(["train", "codes.csv", "--epochs", "1", "--out", "run", "--quiet"]) == 0
    read = train.load_table
    monkeypatch.setattr(train, "load_table", lambda *args: (lambda table, name: (
        replace(table, y=table.y.astype(np.int64)), name))(*read(*args)))
    capsys.readouterr()
    assert main(["train", "--resume", "run/checkpoint.safetensors", "--epochs", "2", "--quiet"]) == DATA
    error = capsys.readouterr().err
    assert "its target now reads as the classes 3, 7, 10, but the run being resumed was trained on 007, 010, 3" in error


def test_number_classes_match_a_file_that_writes_them_with_leading_zeros():
    # A file labelled '01', '02' is read as text (see above); the model's classes are the numbers 1, 2, 3.
    from deltaprop import nn
    from deltaprop.data import LabelEncoder, StandardScaler

    model = TabularModel(nn.Linear(2, 3), "classification", ["a", "b"], "t", StandardScaler().fit(np.zeros((2, 2))),
                         LabelEncoder().fit(np.array([1, 2, 3])))
    assert model.encode_target(np.array(["01", "02", "3"])).tolist() == [0, 1, 2]
    with pytest.raises(deltaprop.errors.DataError, match="column 't': label 'x' was not seen in fit"):
        model.encode_target(np.array(["01", "x"]))


# -- configuration -----------------------------------------------------------------------------------------


def test_a_flag_overrides_the_config_file_and_the_run_config_repeats_the_run(data, tmp_path):
    first = run("train", "--config", data / "small.toml", "--epochs", 2, "--out", tmp_path / "first", "--quiet",
                cwd=data)
    assert first.returncode == 0, first.stderr
    config = tomllib.loads((tmp_path / "first" / "config.toml").read_text())
    assert config["epochs"] == 2  # the flag wins over the file's 3
    assert config["lr"] == 0.01 and config["hidden"] == [8] and config["seed"] == 4  # the file wins over defaults
    assert config["data"] == str((data / "flowers.csv").resolve())  # absolute: works from any folder
    with open(tmp_path / "first" / "history.csv", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 2

    again = run("train", "--config", tmp_path / "first" / "config.toml", "--out", tmp_path / "again", "--quiet",
                cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    before = json.loads((tmp_path / "first" / "metrics.json").read_text())
    after = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert after["test"] == before["test"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert after["final"][key] == before["final"][key], key
    assert (tmp_path / "again" / "model.safetensors").read_bytes() != b""
    first_model = deltaprop.load(tmp_path / "first" / "model.safetensors")
    again_model = deltaprop.load(tmp_path / "again" / "model.safetensors")
    for name, array in first_model.state_dict().items():
        assert np.array_equal(again_model.state_dict()[name], array), name


def test_resume_continues_a_run_to_the_same_end(data, tmp_path):
    common = ["flowers.csv", "--hidden", "8", "--dropout", "0.2", "--quiet"]
    straight = run("train", *common, "--epochs", 4, "--out", tmp_path / "straight", cwd=data)
    part = run("train", *common, "--epochs", 2, "--out", tmp_path / "part", cwd=data)
    assert straight.returncode == part.returncode == 0, straight.stderr + part.stderr
    before = load_checkpoint(tmp_path / "part" / "checkpoint.safetensors")["state"]["train_seconds"]
    assert before > 0
    # From another folder: the checkpoint records the data file's absolute path.
    resumed = run("train", "--resume", tmp_path / "part" / "checkpoint.safetensors", "--epochs", 4, "--quiet", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout == straight.stdout
    # train_seconds is the whole run's (it was the resumed session's alone, for all 4 epochs_run)
    report = json.loads((tmp_path / "part" / "metrics.json").read_text())
    assert report["epochs_run"] == 4
    assert report["train_seconds"] == pytest.approx(before + report["session_seconds"], abs=2e-3)
    a = deltaprop.load(tmp_path / "straight" / "model.safetensors").state_dict()
    b = deltaprop.load(tmp_path / "part" / "model.safetensors").state_dict()
    assert all(np.array_equal(a[name], b[name]) for name in a)


def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_paths_in_a_config_file_are_relative_to_it(data, tmp_path):
    folder = tmp_path / "configs"
    folder.mkdir()
    shutil.copy(data / "flowers.csv", folder / "flowers.csv")
    (folder / "run.toml").write_text('data = "flowers.csv"\nout = "runs/first"\nepochs = 1\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run("train", "--config", folder / "run.toml", "--quiet", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (folder / "runs" / "first" / "model.safetensors").exists() and not any(elsewhere.iterdir())


def test_an_empty_out_in_a_config_file_means_the_default_folder_as_the_flag_does(data, tmp_path):
    # It was made relative to the config file: the run landed in the config's own folder, among
    # the user's files (a config.toml there was replaced by the run's).
    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "config.toml").write_text(f'data = "{data / "flowers.csv"}"\nout = ""\nepochs = 1\n')
    before = _snapshot(folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run("train", "--config", folder / "config.toml", "--quiet", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert _snapshot(folder) == before
    [run_folder] = (elsewhere / "runs").iterdir()
    assert run_folder.name.startswith("flowers-") and (run_folder / "model.safetensors").exists()


def test_a_folder_holding_a_run_is_refused_unless_overwrite(data, tmp_path):
    out = tmp_path / "run"
    first = run("train", "flowers.csv", "--epochs", 2, "--hidden", "4", "--out", out, "--quiet", cwd=data)
    assert first.returncode == 0, first.stderr
    before = _snapshot(out)
    # Neither a second run nor a failing one may touch the first run's files.
    for extra in ([], ["--optimizer", "sgd", "--lr", "1e300"]):
        again = run("train", "flowers.csv", "--epochs", 2, "--out", out, *extra, cwd=data)
        assert_one_sentence_error(again, 2, rf"--out {re.escape(str(out))} already holds a run \(model.safetensors, "
                                            r"checkpoint.safetensors, metrics.json\); .*--overwrite to replace it")
        assert _snapshot(out) == before
    replaced = run("train", "flowers.csv", "--epochs", 3, "--hidden", "5", "--out", out, "--overwrite", "--quiet",
                   cwd=data)
    assert replaced.returncode == 0, replaced.stderr
    assert tomllib.loads((out / "config.toml").read_text())["hidden"] == [5]
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 3
    # --overwrite with a run that fails: the run it was to replace gets its files back, as they were
    # (none of the failed run's is left to pass for them), and no set-aside folder is left behind.
    replaced_files = _snapshot(out)
    failed = run("train", "flowers.csv", "--optimizer", "sgd", "--lr", "1e300", "--out", out, "--overwrite", "--quiet",
                 cwd=data)
    assert failed.returncode == 1
    assert _snapshot(out) == replaced_files
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    # and one that succeeds leaves only its own files
    again = run("train", "flowers.csv", "--epochs", 2, "--hidden", "6", "--out", out, "--overwrite", "--quiet", cwd=data)
    assert again.returncode == 0, again.stderr
    assert tomllib.loads((out / "config.toml").read_text())["hidden"] == [6]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_failed_resume_changes_nothing_in_the_run_folder(data, tmp_path):
    out = tmp_path / "run"
    assert run("train", "flowers.csv", "--epochs", 2, "--hidden", "4", "--out", out, "--quiet", cwd=data).returncode == 0
    before = _snapshot(out)
    # Other data: the run being resumed was trained on flowers.csv.
    failed = run("train", "--resume", out / "checkpoint.safetensors", "houses.csv", "--epochs", 4, "--quiet", cwd=data)
    assert_one_sentence_error(failed, 2, r"^deltaprop: error: DATA .*houses.csv: this is not the data the run being "
                                         r"resumed was trained on \(it was trained on .*flowers.csv\)")
    assert _snapshot(out) == before
    # A resume to fewer epochs than are done, or into another folder, is refused rather than ignored.
    nothing = run("train", "--resume", out / "checkpoint.safetensors", "--epochs", 1, cwd=data)
    assert_one_sentence_error(nothing, 2, r"--epochs 1: the checkpoint has finished 2 epochs already")
    moved = run("train", "--resume", out / "checkpoint.safetensors", "--epochs", 4, "--out", tmp_path / "b", cwd=data)
    assert_one_sentence_error(moved, 2, r"--out cannot move a resumed run")
    assert _snapshot(out) == before and not (tmp_path / "b").exists()


def test_many_classes_in_few_rows_fall_back_to_a_plain_split(tmp_path):
    # 20 classes in 100 rows: a stratified test split of 20 rows is possible, a validation split of 8
    # is not (it failed the run with a message from inside train_test_split); a plain one is used.
    rng = np.random.default_rng(0)
    rows = [[*rng.normal(size=3).round(3), f"c{i % 20}"] for i in range(100)]
    _write_csv(tmp_path / "many.csv", ["a", "b", "c", "label"], rows)
    result = run("train", "many.csv", "--epochs", 2, "--out", tmp_path / "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Test metrics (20 held-out samples)" in result.stdout


def test_a_network_too_large_for_memory_is_one_sentence_and_leaves_nothing(data, tmp_path):
    # 20,000,000 x 20,000,000 float32 weights (1.6 PB) exceed any address space: MemoryError at once.
    out = tmp_path / "big"
    result = run("train", "flowers.csv", "--hidden", "20000000,20000000", "--out", out, cwd=data)
    assert_one_sentence_error(result, 1, r"not enough memory for this run \(.*\); make the network \(--hidden\)")
    assert not out.exists()


def test_an_abbreviated_debug_flag_shows_the_traceback(data, tmp_path):
    result = run("train", "missing.csv", "--deb", cwd=data)
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    from deltaprop.cli import train

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train.time, "strftime", lambda pattern: "20260101-120000")
    folders = [train._make_run_folder(None, "flowers", overwrite=False) for _ in range(3)]
    assert [(str(path), created, previous) for path, created, previous in folders] == [
        ("runs/flowers-20260101-120000", True, None), ("runs/flowers-20260101-120000-2", True, None),
        ("runs/flowers-20260101-120000-3", True, None),
    ]


# -- the command line itself ---------------------------------------------------------------------------------


def test_progress_goes_to_stderr_and_results_to_stdout(data, tmp_path):
    result = run("train", "flowers.csv", "--epochs", 2, "--hidden", "4", "--out", tmp_path / "run", cwd=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Test metrics") and "Epoch" not in result.stdout
    assert "Training an MLP 3-4-3 on flowers" in result.stderr
    assert "Epoch 1/2" in result.stderr and "Epoch 2/2" in result.stderr
    assert "\r" not in result.stderr  # a pipe is not a terminal: one line per epoch


@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "summary", "explain"])
def test_every_command_has_help_with_an_example(command, tmp_path):
    result = run(command, "--help", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith(f"usage: deltaprop {command}")
    assert re.search(r"^examples?:$", result.stdout, re.MULTILINE)
    assert re.search(rf"^\s+deltaprop {command}\b", result.stdout, re.MULTILINE)


def test_the_installed_script_and_python_m_agree(tmp_path):
    script = run("--help", cwd=tmp_path, executable=installed_script())
    module = run("--help", cwd=tmp_path)
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout
    assert "examples:" in script.stdout and "deltaprop train" in script.stdout
    version = run("--version", cwd=tmp_path, executable=installed_script())
    assert version.returncode == 0 and version.stdout.strip() == f"deltaprop {deltaprop.__version__}"


def test_no_command_shows_the_help_and_is_a_usage_error(tmp_path):
    result = run(cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("usage: deltaprop")


# -- errors ---------------------------------------------------------------------------------------------------

USAGE, DATA = 2, 1

TRAIN_ERRORS = [
    (["--bogus"], USAGE, r"unrecognized arguments: --bogus \(see 'deltaprop train --help'\)"),
    (["--lr", "abc"], USAGE, r"--lr must be a number, got 'abc'"),
    (["--lr", "0"], USAGE, r"--lr must be greater than 0"),
    (["--lr", "nan"], USAGE, r"--lr must be a finite number"),
    (["--epochs", "0"], USAGE, r"--epochs must be greater than 0"),
    (["--epochs", "2.5"], USAGE, r"--epochs must be an integer, got '2.5'"),
    (["--batch-size", "-4"], USAGE, r"--batch-size must be greater than 0"),
    (["--hidden", "64,x"], USAGE, r"--hidden must be comma-separated positive layer sizes"),
    (["--hidden", "0"], USAGE, r"--hidden must be"),
    (["--activation", "swish"], USAGE, r"--activation must be one of relu, .*; got 'swish'"),
    (["--optimizer", "lbfgs"], USAGE, r"--optimizer must be one of sgd, adam, .*; got 'lbfgs'"),
    (["--loss", "hinge"], USAGE, r"--loss must be one of auto, .*; got 'hinge'"),
    (["flowers.csv", "--loss", "mse"], USAGE, r"--loss mse is a regression loss"),
    (["houses.csv", "--target", "price", "--loss", "cross_entropy"], USAGE, r"--loss cross_entropy needs a class"),
    (["flowers.csv", "--model", "cnn"], USAGE, r"--model cnn needs 8x8 images .* 3 features"),
    (["flowers.csv", "--early-stopping", "3", "--val-split", "0"], USAGE, r"--early-stopping watches the validation"),
    (["houses.csv", "--target", "price", "--class-weight", "balanced"], USAGE, r"--class-weight balanced weighs classes; this is a regression target"),
    (["--class-weight", "fair"], USAGE, r"--class-weight must be one of none, balanced; got 'fair'"),
    (["--config", "broken.toml"], USAGE, r"config file broken.toml is not valid TOML"),
    (["--config", "unknown_key.toml"], USAGE, r"unknown_key.toml: unknown option 'learning_rate'; the options are"),
    (["--config", "bad_value.toml"], USAGE, r"bad_value.toml: --epochs must be greater than 0, got -3"),
    (["--config", "missing.toml"], USAGE, r"config file missing.toml does not exist"),
    (["missing.csv"], DATA, r"missing.csv: no such file"),
    (["flowers.csv", "--target", "colour"], DATA, r"flowers.csv: has no column named 'colour'"),
    (["flowers.csv", "--target", "9"], DATA, r"flowers.csv: has no column number 9"),
    (["--resume", "garbage.safetensors"], DATA, r"garbage.safetensors: .*not a model file"),
]


@pytest.mark.parametrize("args, code, message", TRAIN_ERRORS, ids=[" ".join(args) for args, _, _ in TRAIN_ERRORS])
def test_train_errors_are_one_sentence_and_leave_no_run_folder(data, tmp_path, args, code, message):
    out = tmp_path / "never"
    result = run("train", *args, "--out", out, cwd=data)
    assert_one_sentence_error(result, code, message)
    assert not out.exists()


def test_a_diverging_run_fails_with_the_reason_and_saves_no_model(data, tmp_path):
    out = tmp_path / "diverged"
    result = run("train", "flowers.csv", "--optimizer", "sgd", "--lr", "1e9", "--epochs", 3, "--out", out, "--quiet",
                 cwd=data)
    assert result.returncode == DATA and result.stdout == "" and "Traceback" not in result.stderr
    assert re.search(r"the loss became nan at epoch 1, batch \d+; .*learning rate \(1e\+09\)", result.stderr)
    assert "RuntimeWarning" not in result.stderr
    assert not (out / "model.safetensors").exists()


@pytest.fixture
def model_file(flowers_run):
    return flowers_run[0] / "model.safetensors"


MODEL_ERRORS = [
    ("predict", "missing.safetensors", "flowers_new.csv", DATA, r"missing.safetensors: no such file"),
    ("predict", "garbage.safetensors", "flowers_new.csv", DATA, r"garbage.safetensors: .*not a model file"),
    ("predict", "flowers.csv", "flowers_new.csv", DATA, r"flowers.csv: .*not a model file"),
    ("predict", "MODEL", "flowers_wrong.csv", DATA, r"flowers_wrong.csv: has no column 'stem', which the model was"),
    ("predict", "MODEL", "flowers_extra.csv", DATA, r"flowers_extra.csv: has column\(s\) the model was not trained on"),
    ("predict", "MODEL", "missing.csv", DATA, r"missing.csv: no such file"),
    ("evaluate", "MODEL", "flowers_unseen.csv", DATA, r"flowers_unseen.csv: .*label 'tulip' was not seen"),
    ("evaluate", "MODEL", "flowers_new.csv", DATA, r"flowers_new.csv: has no target column 'species' to evaluate"),
    ("evaluate", "garbage.safetensors", "flowers.csv", DATA, r"garbage.safetensors: "),
    ("summary", "garbage.safetensors", None, DATA, r"garbage.safetensors: "),
    ("predict", "MODEL", None, USAGE, r"the following arguments are required: DATA"),
]


@pytest.mark.parametrize("command, model, data_file, code, message", MODEL_ERRORS,
                         ids=[f"{command} {model} {data_file}" for command, model, data_file, _, _ in MODEL_ERRORS])
def test_model_and_data_errors_at_predict_and_evaluate(data, model_file, command, model, data_file, code, message):
    args = [command, model_file if model == "MODEL" else model] + ([data_file] if data_file else [])
    assert_one_sentence_error(run(*args, cwd=data), code, message)


def test_probabilities_of_a_regression_model_are_a_usage_error(houses_run, data):
    result = run("predict", houses_run[0] / "model.safetensors", "houses.csv", "--proba", cwd=data)
    assert_one_sentence_error(result, USAGE, r"class probabilities exist only for a classification model")


def test_a_failed_predict_leaves_no_output_file(data, model_file, tmp_path):
    target = tmp_path / "predictions.csv"
    result = run("predict", model_file, "flowers_wrong.csv", "--out", target, cwd=data)
    assert result.returncode == DATA and not target.exists()
    missing_folder = tmp_path / "no" / "such" / "predictions.csv"
    result = run("predict", model_file, "flowers_new.csv", "--out", missing_folder, cwd=data)
    assert_one_sentence_error(result, DATA, re.escape(f"{missing_folder}: No such file or directory"))


@pytest.mark.parametrize(
    "args",
    [["train", "--lr", "abc"], ["train", "missing.csv"], ["predict", "garbage.safetensors", "flowers.csv"]],
    ids=["usage", "data", "model file"],
)
def test_debug_adds_the_traceback(data, args):
    plain = run(*args, cwd=data)
    debug = run(*args, "--debug", cwd=data)
    assert debug.returncode == plain.returncode != 0
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().endswith(plain.stderr.strip())  # the same sentence closes it


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    """`deltaprop explain | head -1`: the write to a closed pipe is no error of ours (it printed
    'deltaprop: error: Broken pipe' and exit code 1); exit 141 like other Unix tools, silently."""
    process = subprocess.Popen([installed_script(), "explain"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader leaves before the first line arrives
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 141 and stderr == "", stderr


def test_a_warning_is_one_line(tmp_path):
    model = deltaprop.nn.Sequential(deltaprop.nn.Linear(2, 2))
    model[0].weight.data[0, 0] = np.nan
    deltaprop.save(model, tmp_path / "nan.safetensors")
    result = run("summary", "nan.safetensors", cwd=tmp_path)
    assert result.returncode == 0 and "Total parameters: 6" in result.stdout
    assert result.stderr == (
        "deltaprop: warning: nan.safetensors: parameter '0.weight' holds NaN or infinite values (a model saved "
        "after it diverged?); what the model computes will not be finite\n"), result.stderr


def test_summary_of_a_model_saved_from_python(tmp_path):
    """A first Linear layer tells the input's size, so the table with shapes is shown; otherwise the
    layers and the parameter count, saying why there are no shapes."""
    nn = deltaprop.nn
    deltaprop.save(nn.Sequential(nn.Linear(4, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Linear(7, 2)), tmp_path / "mlp.safetensors")
    result = run("summary", "mlp.safetensors", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(N, 7)" in result.stdout and "Total parameters: 65" in result.stdout  # as PyTorch counts: no buffers
    assert "Buffers (running statistics, not parameters): 14 values" in result.stdout
    deltaprop.save(nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten()), tmp_path / "conv.safetensors")
    result = run("summary", "conv.safetensors", cwd=tmp_path)
    assert result.returncode == 0 and "Parameters: 8 (output shapes need the input's size" in result.stdout


def test_summary_of_a_saved_model_with_recurrent_layers(tmp_path):
    """A recurrent layer's tuple shows as the shapes of its tensors. The Linear in front tells the
    input's size; (N, 8) reaches the LSTM as one unbatched sequence of N steps."""
    nn = deltaprop.nn
    deltaprop.save(nn.Sequential(nn.Linear(4, 8), nn.LSTM(8, 16)), tmp_path / "lstm.safetensors")
    result = run("summary", "lstm.safetensors", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "LSTM(8 -> 16)   [(N, 16), [(1, 16), (1, 16)]]   1,664" in result.stdout
    assert "Total parameters: 1,704" in result.stdout
    # Without a Linear in front, nothing tells the sequence's length: the layers and the count
    deltaprop.save(nn.Sequential(nn.GRU(8, 16, batch_first=True)), tmp_path / "gru.safetensors")
    result = run("summary", "gru.safetensors", cwd=tmp_path)
    assert result.returncode == 0 and "Parameters: 1,248 (output shapes need the input's size" in result.stdout


def test_summary_with_input_shapes_for_a_model_of_several_inputs(tmp_path):
    """--input-shape, once per input of forward, gives the shapes a saved Transformer's file cannot tell;
    --dtype gives the inputs' dtype, once for all or once per shape."""
    nn = deltaprop.nn
    deltaprop.manual_seed(0)
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16,
                           batch_first=True)
    deltaprop.save(model, tmp_path / "t.safetensors")
    result = run("summary", "t.safetensors", cwd=tmp_path)
    assert result.returncode == 0 and "Parameters: 1,536 (output shapes need the input's size" in result.stdout
    result = run("summary", "t.safetensors", "--input-shape", "5,8", "--input-shape", "6,8", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Input shapes: (N, 5, 8), (N, 6, 8)" in result.stdout
    assert re.search(r"decoder\.norm +LayerNorm\(\(8,\)\) +\(N, 6, 8\) +16", result.stdout)
    assert "Total parameters: 1,536" in result.stdout
    result = run("summary", "t.safetensors", "--input-shape", "5,8", "--input-shape", "6,8", "--dtype", "float32",
                 "--dtype", "float32", cwd=tmp_path)
    assert result.returncode == 0 and "Input shapes: (N, 5, 8), (N, 6, 8)" in result.stdout
    deltaprop.save(nn.Sequential(nn.Embedding(10, 4), nn.GRU(4, 6, batch_first=True)), tmp_path / "e.safetensors")
    result = run("summary", "e.safetensors", "--input-shape", "7", "--dtype", "int64", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Input shape: (N, 7)" in result.stdout and "[(N, 7, 6), (1, N, 6)]" in result.stdout
    for arguments, message in [
        (["--input-shape", "5,x"], r"--input-shape must be one sample's sizes separated by commas, as 5,8, got '5,x'"),
        (["--input-shape", "5,8", "--input-shape", "6,8", "--dtype", "float32"] * 1 + ["--dtype", "int64",
          "--dtype", "int64"], r"--dtype must be given once for every input or once per --input-shape \(2\), not 3"),
        (["--input-shape", "5,8", "--dtype", "float33"], r"--dtype 'float33' is not a dtype"),
        (["--dtype", "int64"], r"--dtype needs --input-shape"),
        (["--input-shape", "5,8"], r"summary: input_shape gives 1 positional input, which Transformer\.forward"),
        (["--input-shape", "5,8", "--input-shape", "6,9"], r"summary: Transformer failed on the inputs of input_shape"),
    ]:
        assert_one_sentence_error(run("summary", "t.safetensors", *arguments, cwd=tmp_path), 2, message)


def test_a_resume_refuses_to_change_the_runs_settings_and_the_model_file_is_in_evaluation_mode(tmp_path):
    """--lr, --seed, --hidden on --resume were accepted, then overruled by the checkpoint while
    config.toml recorded them (a new --seed re-split the data: test rows went into training)."""
    assert run("train", "--epochs", "1", "--dropout", "0.3", "--quiet", "--out", "r", cwd=tmp_path).returncode == 0
    for flag, value, saved in (("--lr", "0.5", "0.001"), ("--seed", "5", "0"), ("--val-split", "0.3", "0.1")):
        result = run("train", "--resume", "r/checkpoint.safetensors", "--epochs", "2", flag, value, cwd=tmp_path)
        assert_one_sentence_error(result, 2, rf"^deltaprop: error: {flag} {value}: the run being resumed has {saved}; "
                                             rf"--resume continues a run with its own settings")
    same = run("train", "--resume", "r/checkpoint.safetensors", "--epochs", "2", "--lr", "0.001", "--quiet", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    model = deltaprop.load(tmp_path / "r" / "model.safetensors")
    assert not any(module.training for module in model.modules())  # dropout off: predictions are repeatable
    x = np.zeros((2, 64), dtype=np.float32)
    assert np.array_equal(model(x).data, model(x).data)


def test_a_run_whose_data_moved_resumes_from_the_new_place_and_changed_data_is_refused(tmp_path):
    """The checkpoint knows its data by content (SHA-256): the same file elsewhere is the same data."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)).round(4)
    rows = [[*row, int(row[0] > 0)] for row in X]
    (tmp_path / "old").mkdir()
    _write_csv(tmp_path / "old" / "data.csv", ["a", "b", "c", "label"], rows)
    assert run("train", "old/data.csv", "--epochs", 1, "--out", "r", "--quiet", cwd=tmp_path).returncode == 0
    (tmp_path / "old").rename(tmp_path / "new")
    gone = run("train", "--resume", "r/checkpoint.safetensors", "--epochs", 2, cwd=tmp_path)
    assert_one_sentence_error(gone, 2, r"the run's data .*old/data.csv is not there any more; if it moved, give its "
                                       r"new place: deltaprop train --resume r/checkpoint.safetensors NEW/PATH/data.csv")
    moved = run("train", "--resume", "r/checkpoint.safetensors", "new/data.csv", "--epochs", 2, "--quiet", cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
    other_column = run("train", "--resume", "r/checkpoint.safetensors", "--target", "a", "--epochs", 3, cwd=tmp_path)
    assert_one_sentence_error(other_column, 2, r"--target a: the run being resumed predicts column 'label'")
    with open(tmp_path / "new" / "data.csv", "a", encoding="utf-8") as file:
        file.write("9,9,9,1\n")  # the same path, other content
    changed = run("train", "--resume", "r/checkpoint.safetensors", "--epochs", 3, cwd=tmp_path)
    assert_one_sentence_error(changed, 2, r"DATA .*new/data.csv: this is not the data the run being resumed was trained on;")


def test_balanced_class_weights_lift_the_rare_class(tmp_path):
    # 8% of the rows are of the rare class; balanced weights are n / (2 n_c) per class, as in
    # scikit-learn, and the checkpoint records them (a resume without them is refused).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    label = np.where(X[:, 0] + 0.5 * rng.normal(size=600) > 1.4, "rare", "common")
    lines = ["a,b,c,label"] + [",".join(f"{v:.4f}" for v in row) + f",{y}" for row, y in zip(X, label)]
    (tmp_path / "imbalanced.csv").write_text("\n".join(lines) + "\n")
    recall = {}
    for weighting in ("none", "balanced"):
        result = run("train", "imbalanced.csv", "--epochs", "20", "--class-weight", weighting, "--out", weighting,
                     "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        recall[weighting] = metric_from_stdout(result.stdout, "recall (macro)")
    assert recall["balanced"] > recall["none"] + 0.1, recall
    assert 'class_weight = "balanced"' in (tmp_path / "balanced" / "config.toml").read_text()
    state = load_checkpoint(tmp_path / "balanced" / "checkpoint.safetensors")["state"]
    assert state["sample_weight_sha256"] is not None
    assert load_checkpoint(tmp_path / "none" / "checkpoint.safetensors")["state"]["sample_weight_sha256"] is None


def test_balanced_class_weights_are_scikit_learns():
    sklearn_utils = pytest.importorskip("sklearn.utils")
    from deltaprop.cli.train import _class_weight

    y = np.array([0, 0, 0, 0, 0, 0, 1, 2, 2, 0, 1, 0])
    ours = _class_weight("balanced", "classification", {"y_train": y, "n_outputs": 3})
    theirs = sklearn_utils.compute_class_weight("balanced", classes=np.arange(3), y=y)
    np.testing.assert_allclose([ours[c] for c in range(3)], theirs, rtol=1e-12)
    # a class absent from the training rows is left out (it keeps weight 1)
    assert _class_weight("balanced", "classification", {"y_train": np.array([0, 0, 2]), "n_outputs": 3}) == {0: 0.75, 2: 1.5}


def test_a_run_from_before_class_weight_resumes_only_without_it(data, tmp_path):
    from deltaprop.serialization import save_checkpoint

    first = run("train", "flowers.csv", "--epochs", "2", "--out", tmp_path / "old", "--quiet", cwd=data)
    assert first.returncode == 0, first.stderr
    path = tmp_path / "old" / "checkpoint.safetensors"
    checkpoint = load_checkpoint(path)
    del checkpoint["metadata"]["settings"]["config"]["class_weight"]  # as a run of an older deltaprop wrote it
    model = TabularModel.load(tmp_path / "old" / "model.safetensors").network
    model.load_state_dict(checkpoint["model_state"])
    save_checkpoint(path, model, checkpoint["state"], metadata=checkpoint["metadata"])
    refused = run("train", "--resume", path, "--epochs", "3", "--class-weight", "balanced", cwd=data)
    assert_one_sentence_error(refused, USAGE, r"--class-weight balanced: the run being resumed has none")
    resumed = run("train", "--resume", path, "--epochs", "3", "--quiet", cwd=data)
    assert resumed.returncode == 0, resumed.stderr


@pytest.mark.parametrize("name, cls", [("nadam", "NAdam"), ("radam", "RAdam"), ("adamax", "Adamax"), ("adadelta", "Adadelta")])
def test_the_added_optimizers_train_from_the_command_line(data, tmp_path, name, cls):
    out = tmp_path / name
    result = run("train", "flowers.csv", "--optimizer", name, "--lr", "0.01", "--weight-decay", "0.001", "--epochs", 2,
                 "--hidden", "4", "--out", out, "--quiet", cwd=data)
    assert result.returncode == 0, result.stderr
    assert tomllib.loads((out / "config.toml").read_text())["optimizer"] == name
    state = load_checkpoint(out / "checkpoint.safetensors")["state"]
    assert state["optimizer_class"] == cls
    group = state["optimizer"]["param_groups"][0]
    assert (group["lr"], group["weight_decay"]) == (0.01, 0.001)
    assert all(entry["step"] > 0 for entry in state["optimizer"]["state"].values())


def test_predict_writes_each_value_to_its_full_precision_and_decimal_labels_stay_distinct(tmp_path):
    """Predictions are written in the shortest form that reads back as the same float32 (a price
    of millions keeps its units' digits), and decimal class labels that float32 would merge stay
    classes of their own, written back as they were read."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 2)).round(3)
    price = (2_500_000 + 40_000 * X[:, 0] - 15_000 * X[:, 1] + rng.normal(size=120) * 100).round(2)
    _write_csv(tmp_path / "prices.csv", ["a", "b", "price"], [[*row, p] for row, p in zip(X, price)])
    trained = run("train", "prices.csv", "--epochs", 5, "--out", "run", "--quiet", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    predicted = run("predict", "run/model.safetensors", "prices.csv", cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    written = np.array([np.float32(v) for v in predicted.stdout.splitlines()[1:]])
    model = TabularModel.load(tmp_path / "run" / "model.safetensors")
    expected = np.asarray(model.predict(X.astype(np.float32)), dtype=np.float32).ravel()
    np.testing.assert_array_equal(written, expected)

    labels = np.where(X[:, 0] > 0.3, "1.00000003", np.where(X[:, 0] > -0.3, "1.00000002", "1.00000001"))
    _write_csv(tmp_path / "close.csv", ["a", "b", "kind"], [[*row, k] for row, k in zip(X, labels)])
    trained = run("train", "close.csv", "--task", "classification", "--epochs", 5, "--out", "close", "--quiet",
                  cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    predicted = run("predict", "close/model.safetensors", "close.csv", "--proba", cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    header = predicted.stdout.splitlines()[0].split(",")
    assert header[1:] == ["probability_1.00000001", "probability_1.00000002", "probability_1.00000003"]
    assert set(line.split(",")[0] for line in predicted.stdout.splitlines()[1:]) <= {"1.00000001", "1.00000002", "1.00000003"}


@pytest.mark.parametrize("args, message", [
    (["--target", "species"], r"--target names a column of a CSV file; the data is the bundled digits"),
    (["digits", "--target", "3"], r"--target names a column of a CSV file; the data is the bundled digits"),
    (["--model", "cnn", "--hidden", "8"], r"--hidden shapes the mlp's hidden layers; --model cnn has layers of its own"),
    (["--model", "cnn", "--activation", "tanh"], r"--activation shapes the mlp's hidden layers"),
    (["--model", "cnn", "--dropout", "0.2"], r"--dropout shapes the mlp's hidden layers"),
    (["--optimizer", "adam", "--momentum", "0.5"], r"--momentum applies to --optimizer sgd and rmsprop; adam has no"),
])
def test_a_flag_the_run_would_ignore_is_refused(args, message, tmp_path):
    result = run("train", *args, "--epochs", 1, "--out", "run", cwd=tmp_path)
    assert_one_sentence_error(result, 2, message)
    assert not (tmp_path / "run").exists()


def test_a_flag_given_in_a_runs_own_config_file_is_not_held_against_it(tmp_path):
    """A run's config.toml lists every option (hidden sizes of a cnn run too): repeating it works."""
    first = run("train", "--model", "cnn", "--epochs", 1, "--out", "first", "--quiet", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = run("train", "--config", "first/config.toml", "--out", "again", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("labels, task", [
    ([0, 1, 2] * 3, "classification"),  # a small file of numbered classes (9 rows, 3 classes)
    ([1, 2, 3, 4] * 3, "classification"),
    (list(range(40)) , "regression"),  # every row its own whole number: not classes
    ([3, 5, 9] * 3, "regression"),  # few rows, whole numbers that are not numbered as classes are
    ([0.5, 1.5] * 10, "regression"),
    ([0, 1] * 2, "classification"),
    (["007", "010", "3"] * 6, "classification"),  # whole numbers with leading zeros: read as class names,
    ([f"{i:04d}" for i in range(40)], "regression"),  # and inferred by the rule for numbers
    (["007", "nan"] * 5, "classification"),
])
def test_the_task_is_inferred_from_the_target(labels, task):
    from deltaprop.tabular import infer_task

    assert infer_task(np.array(labels)) == task


def test_metrics_of_a_tiny_magnitude_keep_four_significant_digits():
    from deltaprop.cli.report import metrics_table

    table = metrics_table({"mae": 1.2345e-6, "rmse": 0.5, "r2": float("nan")}, "regression", "Metrics")
    assert table.splitlines()[1:] == ["  MAE   1.234e-06", "  RMSE  0.5000", "  R²    undefined"]
