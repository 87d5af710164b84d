"""The CSV fuzzer: broken copies of valid CSV files through `deltaprop train|predict|evaluate`.

Each case must end in exit 0 with its complete output, or exit 1 or 2 with one line on stderr
naming the file, no traceback and nothing written (see csv_corruption.command_problems). The runs
are in process and skip the PNGs (as on a machine without matplotlib), which take most of a run's
time; scripts/fuzz_csv.py runs thousands more cases, with the PNGs. What it found is in
test_bad_input_cli.py's corpus, under "found by the CSV fuzzer".
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csv_corruption


@pytest.fixture(scope="module")
def csv_originals(tmp_path_factory):
    return csv_corruption.make_originals(tmp_path_factory.mktemp("csv-originals"))


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["classification", "regression"]), command=st.sampled_from(csv_corruption.COMMANDS),
       chain=csv_corruption.mutations)
def test_fuzz_broken_csv_files_through_the_command(csv_originals, tmp_path, name, command, chain):
    """400 broken copies (cells, rows, columns, quotes, bytes, encodings) of a classification and a
    regression file, each given to one of train (four ways), predict (two) and evaluate."""
    original = csv_originals[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a warning is the command's to print, checked as stderr
        problems = csv_corruption.command_problems(csv_corruption.apply_all(chain, original.data), command, original,
                                                   tmp_path, plots=False)
    assert problems == []


def test_the_originals_train_predict_and_evaluate(csv_originals, tmp_path):
    """The oracle passes the unbroken files, every command, with the PNGs."""
    for original in csv_originals.values():
        for command in csv_corruption.COMMANDS:
            assert csv_corruption.command_problems(original.data, command, original, tmp_path) == []


def test_the_oracle_finds_what_it_looks_for(csv_originals, tmp_path, monkeypatch):
    """A message without the file's name, a second stderr line and a file left behind are problems."""
    import deltaprop.data.csv as csv_module
    from deltaprop.errors import DataError

    original = csv_originals["classification"]
    data = original.data.replace(b"cat", b"c,at", 1)  # a ragged row

    def unnamed(*args, **kwargs):
        raise DataError("something is wrong")

    monkeypatch.setattr(csv_module, "_split_rows", unnamed)
    assert csv_corruption.command_problems(data, "evaluate", original, tmp_path) == [
        "evaluate: exit 1, the message does not name the file: 'deltaprop: error: something is wrong'"]

    def two_lines(text, name, *args, **kwargs):
        raise DataError(f"{name}: one\ntwo")

    monkeypatch.setattr(csv_module, "_split_rows", two_lines)
    assert csv_corruption.command_problems(data, "train", original, tmp_path)[0].startswith(
        "train: exit 1, but stderr is not one error line")

    def leaves_a_file(text, name, *args, **kwargs):
        open("left-behind.txt", "w").close()  # in the working folder
        raise DataError(f"{name}: bad")

    monkeypatch.setattr(csv_module, "_split_rows", leaves_a_file)
    assert csv_corruption.command_problems(data, "predict", original, tmp_path) == [
        "predict: exit 1, yet wrote ['left-behind.txt']"]
