"""What README.md and docs/porting.md show is what the code does: README's Python blocks run and
print what the page shows, its Quick start is two commands whose extras exist and whose main job
prints the lines and leaves the files README lists, every command line README shows parses and
runs, and the names porting.md and README list for ``deltaprop.linalg`` and ``deltaprop.special``
are the namespaces' own. (docs/backprop.md and porting.md's Python blocks run in test_tutorial.py.)
"""

from __future__ import annotations

import contextlib
import inspect
import io
import re
import shlex
import warnings
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import linalg, special
from deltaprop.cli import build_parser, main

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PORTING = (ROOT / "docs" / "porting.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.DOTALL | re.MULTILINE)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
# What changes from run to run: seconds, throughput, the run folder's time stamp.
VARYING = [(re.compile(r"\b\d+\.\d+s\b"), "<seconds>"), (re.compile(r"\b[\d,]+ samples/s"), "<rate>"),
           (re.compile(r"\(\d+\.\d+ s of training\)"), "(<seconds> of training)"),
           (re.compile(r"-\d{8}-\d{6}/"), "-<date>-<time>/")]


def section(title: str, text: str = README) -> str:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def fenced(text: str) -> list:
    """(language, body, text before the block since the last one) of every fenced block, in order."""
    found, end = [], 0
    for m in FENCE.finditer(text):
        found.append((m.group(1), m.group(2), text[end:m.start()]))
        end = m.end()
    return found


def same_line(actual: str, expected: str) -> bool:
    """Equal once whitespace is normalised, each number as printed (to half a unit in the last digit
    shown, or a relative 1e-7 for long ones), everything else exactly."""
    for pattern, placeholder in VARYING:
        actual, expected = pattern.sub(placeholder, actual), pattern.sub(placeholder, expected)
    actual, expected = " ".join(actual.split()), " ".join(expected.split())
    if NUMBER.sub("#", actual) != NUMBER.sub("#", expected):
        return False
    for a, e in zip(NUMBER.findall(actual), NUMBER.findall(expected)):
        decimals = len(e.split(".")[1]) if "." in e and "e" not in e.lower() else 0
        if abs(float(a) - float(e)) > max(0.5 * 10.0 ** -decimals if decimals else 0.0, 1e-7 * abs(float(e))):
            return False
    return True


def shows(actual: str, expected: str) -> bool:
    """``actual`` is what ``expected`` shows, where a line ``...`` stands for any lines left out."""
    lines = [line for line in actual.strip("\n").splitlines() if line.strip()]
    pieces, piece = [], []
    for line in expected.strip("\n").splitlines():
        if line.strip() == "...":
            pieces.append(piece)
            piece = []
        else:
            piece.append(line)
    pieces.append(piece)
    at = 0
    for number, piece in enumerate(pieces):
        first, last = number == 0, number == len(pieces) - 1
        if last:
            starts = [len(lines) - len(piece)]
        elif first:
            starts = [0]
        else:
            starts = range(at, len(lines) - len(piece) + 1)
        for start in starts:
            if first and start != 0 or start < at:
                continue
            if all(same_line(a, e) for a, e in zip(lines[start:start + len(piece)], piece)):
                at = start + len(piece)
                break
        else:
            return False
    return True


def test_the_comparison_masks_timings_and_catches_a_changed_number_or_word():
    shown = "Epoch 1/3  loss 1.8582  0.00s  285,613 samples/s\n...\nDone 0.9722"
    assert shows("Epoch 1/3  loss 1.8582  0.04s  32,454 samples/s\nEpoch 2/3\nDone 0.9722\n", shown)
    assert not shows("Epoch 1/3  loss 1.8583  0.04s  32,454 samples/s\nEpoch 2/3\nDone 0.9722\n", shown)
    assert shows("{'loss': 0.10863254815340043}", "{'loss': 0.10863254815340041}")
    assert not shows("Epoch 1/3  loss 1.8595  0.04s  1 samples/s\nDone 0.9722", shown)
    assert not shows("Epoch 1/3  loss 1.8582  0.04s  1 samples/s\nDone 0.9722\nmore", shown)
    assert not shows("Epoch 1/3  cost 1.8582  0.04s  1 samples/s\nDone 0.9722", shown)
    assert not shows("loss 0.0002", "loss 0.0004") and shows("loss 0.0002\n", "loss 0.0002")


# -- Quick start --------------------------------------------------------------------------------------------


def quick_start_commands() -> list:
    body = [body for language, body, _ in fenced(section("Quick start")) if language == "bash"][0]
    return [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_quick_start_is_two_commands_whose_extras_and_script_exist():
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for command in commands:
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install ")
        extras = re.search(r'"\.\[([\w,]+)\]"', command).group(1).split(",")
        assert set(extras) <= set(project["optional-dependencies"]), extras
    assert commands[0].endswith("&& deltaprop train") and "deltaprop" in project["scripts"]
    assert re.search(r"Python (3\.\d+) or newer", README).group(1) in project["requires-python"]


@pytest.mark.slow
def test_the_main_job_prints_what_the_quick_start_shows_and_leaves_the_files_it_lists(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train"]) == 0
    printed = capsys.readouterr()
    quick_start = section("Quick start")
    shown = [body for language, body, _ in fenced(quick_start) if language == ""][0].splitlines()
    on_stderr = [line for line in shown if line.startswith(("Epoch", "Saved"))]  # progress on stderr
    assert shows(printed.out, "\n".join(line for line in shown if line not in on_stderr))
    assert shows(printed.err, "...\n" + "\n".join(on_stderr))

    listed = re.search(r"leaves a run folder: (.*?)\.\n", quick_start, re.DOTALL).group(1)
    names = set(re.findall(r"`([\w.]+\.\w+)`", listed))
    (folder,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"digits-\d{8}-\d{6}", folder.name)  # README: runs/<data>-<date>-<time>
    assert {path.name for path in folder.iterdir()} == names and len(names) == 7


# -- README's Python blocks ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_readme_python_blocks_run_and_print_what_the_readme_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the digits model is saved here
    found = fenced(README)
    namespace = {"__name__": "readme"}
    ran = 0
    for index, (language, body, _) in enumerate(found):
        if language != "python":
            continue
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the estimator's ConvergenceWarning at max_iter, as scikit-learn's
            exec(compile(body, f"README.md block {index}", "exec"), namespace)  # noqa: S102 (our own README)
        following = found[index + 1] if index + 1 < len(found) else None
        if following is not None and following[0] == "" and not following[2].strip():  # right below
            assert shows(captured.getvalue(), following[1]), (
                f"README block {index} printed\n{captured.getvalue()}\nbut README shows\n{following[1]}")
        else:
            assert captured.getvalue() == ""
        ran += 1
    assert ran == 3
    # the XOR network, the digits model saved whole and the estimator that changed one import:
    assert list(namespace["predicted"]) == [0, 1, 1, 0]
    again = dp.load("digits.safetensors")
    with dp.no_grad():
        expected = namespace["model"](namespace["X_test"]).data
        assert np.allclose(again(namespace["X_test"]).data, expected, rtol=1e-6, atol=1e-6)
    clf = namespace["clf"]
    assert clf.score(namespace["X_test"], namespace["y_test"]) > 0.95 and clf.n_iter_ == 200


def test_fit_has_the_defaults_the_readme_names():
    sentence = re.search(r"`fit` takes Keras' defaults too: (.*?)\.\n", README, re.DOTALL).group(1)
    named = dict(re.findall(r"`(\w+)=([^`]+)`", sentence))
    assert set(named) == {"epochs", "batch_size", "verbose"}
    parameters = inspect.signature(dp.fit).parameters
    for name, value in named.items():
        assert parameters[name].default == eval(value), name  # noqa: S307 (a literal from our README)


# -- README's command lines ---------------------------------------------------------------------------------


def readme_command_lines() -> list:
    body = [body for language, body, _ in fenced(section("The command line")) if language == "bash"][0]
    return [shlex.split(line.split("#")[0]) for line in body.splitlines() if line.strip()]


def test_every_command_line_the_readme_shows_parses():
    lines = readme_command_lines()
    assert len(lines) >= 9 and all(line[0] == "deltaprop" for line in lines)
    for line in lines:
        args, unknown = build_parser().parse_known_args(line[1:])
        assert not unknown and args.command == line[1], line


def test_every_option_the_readme_and_docs_name_is_in_a_commands_help(capsys):
    helps = ""
    for command in ("train", "predict", "evaluate", "summary", "explain"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps += capsys.readouterr().out
    text = README + (ROOT / "docs" / "backprop.md").read_text(encoding="utf-8")
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
    assert {"--input-shape", "--freeze-biases", "--class-weight", "--proba"} <= options
    assert not [option for option in options if option not in helps]


def write_tables(folder: Path) -> None:
    """iris.csv (a text target, species), houses.csv (a number, price), new.csv and test.csv."""
    rng = np.random.default_rng(0)
    names = ["setosa", "versicolor", "virginica"]
    species = np.repeat(np.arange(3), 40)
    features = rng.normal(size=(120, 4)) + species[:, None] * 1.5
    header = "sepal_length,sepal_width,petal_length,petal_width"
    rows = [",".join(f"{v:.3f}" for v in x) for x in features]
    (folder / "iris.csv").write_text(header + ",species\n" + "".join(
        f"{row},{names[s]}\n" for row, s in zip(rows, species)))
    (folder / "test.csv").write_text(header + ",species\n" + "".join(
        f"{row},{names[s]}\n" for row, s in list(zip(rows, species))[::6]))
    (folder / "new.csv").write_text(header + "\n" + "\n".join(rows[::12]) + "\n")
    X = rng.normal(size=(150, 3))
    price = X @ np.array([3.0, 1.0, -2.0]) + 100
    (folder / "houses.csv").write_text("rooms,area,age,price\n" + "".join(
        f"{a:.4f},{b:.4f},{c:.4f},{p:.4f}\n" for (a, b, c), p in zip(X, price)))


@pytest.mark.slow
def test_every_command_line_the_readme_shows_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_tables(tmp_path)
    dp.manual_seed(0)
    dp.save(dp.nn.Transformer(8, 2, 1, 1, 16, batch_first=True), "model.safetensors")  # a model of two inputs
    shorter = {("train",): None,  # the main job: the test above runs it
               ("train", "--model", "cnn"): ["--epochs", "2"]}
    printed = {}
    for line in readme_command_lines():
        extra = shorter.get(tuple(line[1:]), [])
        if extra is None:
            continue
        assert main(line[1:] + extra) == 0, (line, capsys.readouterr().err)
        printed[" ".join(line[1:3])] = capsys.readouterr().out
    assert len(printed) == 8
    assert "accuracy" in printed["train iris.csv"] and "R²" in printed["train houses.csv"]
    header = (tmp_path / "predictions.csv").read_text().splitlines()[0]
    assert header == "predicted_species,probability_setosa,probability_versicolor,probability_virginica"
    assert printed["evaluate runs/iris/model.safetensors"].startswith("Metrics on test.csv (20 samples)")
    assert "Classes (3): setosa, versicolor, virginica" in printed["summary runs/iris/model.safetensors"]
    assert "Input shapes: (N, 5, 8), (N, 6, 8)" in printed["summary model.safetensors"]


# -- the namespaces porting.md and README list --------------------------------------------------------------


def listed_in_row(first_cell: str) -> set:
    row = [line for line in PORTING.splitlines() if line.startswith(f"| {first_cell} |")]
    assert len(row) == 1, f"porting.md's import table has no row {first_cell}"
    return set(re.findall(r"`(\w+)`", row[0].split("|")[2])) - {"deltaprop"}


def test_porting_md_lists_the_linalg_namespace_as_it_is():
    functions = {name for name in linalg.__all__ if callable(getattr(linalg, name))} - {"LinAlgError"}
    assert listed_in_row("`torch.linalg`") - {"linalg"} == functions
    in_readme = re.search(r"`deltaprop\.linalg` as `torch\.linalg` with gradients \((.*?)\)", README).group(1)
    assert set(re.findall(r"`(\w+)`", in_readme)) == functions
    not_provided = re.search(r"Not provided: (`eig`.*?)\n\n", PORTING, re.DOTALL).group(1)
    missing = re.findall(r"`(\w+)`", not_provided)
    assert {"eig", "eigvals"} <= set(missing) and not [name for name in missing if hasattr(linalg, name)]


def test_porting_md_lists_the_special_namespace_as_it_is():
    assert listed_in_row("`torch.special`") - {"special"} == set(special.__all__)
    assert "no `dp.special`" not in PORTING


def test_porting_md_lists_torch_utils_data_and_the_generator_as_deltaprop_has_them():
    import deltaprop
    from deltaprop import data

    row = [line for line in PORTING.splitlines() if line.startswith("| `torch.utils.data.Dataset`")]
    assert len(row) == 1
    torch_names = set(re.findall(r"`(?:torch\.utils\.data\.)?(\w+)`", row[0].split("|")[1]))
    assert {"IterableDataset", "BatchSampler", "default_collate", "StackDataset"} <= torch_names
    assert not [name for name in torch_names if not hasattr(data, name)]
    randomness = [line for line in PORTING.splitlines() if line.startswith("| `torch.Generator`")]
    assert len(randomness) == 1
    names = re.findall(r"`torch\.(\w+)`", randomness[0].split("|")[1])
    assert len(names) == 7 and not [name for name in names if not hasattr(deltaprop, name)]
    assert "There is no `IterableDataset`" not in PORTING


def test_the_speed_table_quotes_the_benchmark_run_it_names():
    speed = section("Speed")
    when = re.search(r"the full run of\s+(\d\d:\d\d)", speed).group(1)
    runs = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in runs.splitlines() if line.startswith(f"| {when} (")]
    recorded = [float(v) for v in re.search(r"dp/torch ([\d.]+), ([\d.]+), ([\d.]+), ([\d.]+)", row).groups()]
    networks = [line.split("|") for line in speed.splitlines()
                if line.startswith(("| tiny", "| small", "| medium", "| wide"))]
    assert [float(cells[6]) for cells in networks] == recorded
    overhead = re.search(r"overhead ([\d.]+) against ([\d.]+) µs", row).groups()
    assert f"({overhead[0]} against {overhead[1]} µs in that run)" in " ".join(speed.split())
