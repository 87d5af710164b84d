"""Broken CSV files and what the command must do with them.

The counterpart of ``corruption.py`` (model files) for the data a user hands to ``deltaprop
train|predict|evaluate``. Three parts, shared by the fuzz test (a few hundred derandomized cases)
and ``scripts/fuzz_csv.py`` (thousands):

- ``mutations``: Hypothesis strategies that break a valid CSV file: cells and rows deleted,
  duplicated or inserted, ragged rows, quotes, a BOM, other line ends, NUL and non-UTF-8 bytes,
  spellings of numbers that some parsers take and others refuse, header names duplicated or empty,
  too few or too many columns, a target of one class or of all-unique numbers. Each draws a
  :class:`~corruption.Mutation` that prints as what it did.
- :func:`make_originals`: a valid classification and regression file (small: 24 rows, 3
  features), and the model ``deltaprop train`` makes of each, to predict and evaluate with.
- :func:`command_problems`: run one command on a broken file in a fresh working folder. Exit 0
  with its complete output, or exit 1 (data) or 2 (usage) with one line on stderr naming the file,
  nothing on stdout and nothing written, are fine; anything else is a problem.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from hypothesis import strategies as st

from commandline import snapshot
from corruption import Mutation, _short

ROWS, FEATURES = 24, ("x1", "x2", "x3")


# -- the grid of cells -----------------------------------------------------------------------------------------
# Cell-level mutations split the text on newlines and commas (the originals hold no quotes), so they
# still apply after a byte-level mutation; bytes that are not UTF-8 survive as surrogate escapes.


def _grid(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.split(",") for line in lines] or [[""]]


def _bytes(grid) -> bytes:
    return ("\n".join(",".join(row) for row in grid) + "\n").encode("utf-8", "surrogateescape")


def _on_grid(description: str, edit) -> Mutation:
    """A mutation that edits the grid in place (``edit(grid)``)."""

    def apply(data):
        grid = _grid(data)
        edit(grid)
        return _bytes(grid)

    return Mutation(description, apply)


def _at(grid, row: int, column: int) -> tuple[int, int]:
    """(row, column) wrapped into the grid; row 0 is the header."""
    r = row % len(grid)
    return r, column % max(len(grid[r]), 1)


def _set_cell(row: int, column: int, value: str) -> Mutation:
    def edit(grid):
        r, c = _at(grid, row, column)
        if grid[r]:
            grid[r][c] = value

    return _on_grid(f"cell (row {row}, column {column}) (mod size, row 0 the header) set to {_short(value)}", edit)


def _delete_cell(row: int, column: int) -> Mutation:
    def edit(grid):
        r, c = _at(grid, row, column)
        if grid[r]:
            del grid[r][c]

    return _on_grid(f"cell (row {row}, column {column}) (mod size) deleted", edit)


def _duplicate_cell(row: int, column: int) -> Mutation:
    def edit(grid):
        r, c = _at(grid, row, column)
        if grid[r]:
            grid[r].insert(c, grid[r][c])

    return _on_grid(f"cell (row {row}, column {column}) (mod size) duplicated", edit)


def _insert_cell(row: int, column: int, value: str) -> Mutation:
    def edit(grid):
        r, c = _at(grid, row, column)
        grid[r].insert(c, value)

    return _on_grid(f"cell {_short(value)} inserted at (row {row}, column {column}) (mod size)", edit)


def _delete_row(row: int) -> Mutation:
    def edit(grid):
        del grid[row % len(grid)]

    return _on_grid(f"row {row} (mod rows, row 0 the header) deleted", edit)


def _duplicate_row(row: int) -> Mutation:
    def edit(grid):
        r = row % len(grid)
        grid.insert(r, list(grid[r]))

    return _on_grid(f"row {row} (mod rows) duplicated", edit)


def _insert_row(row: int, cells: list) -> Mutation:
    def edit(grid):
        grid.insert(row % (len(grid) + 1), list(cells))

    return _on_grid(f"row {_short(cells)} inserted at row {row} (mod rows)", edit)


def _keep_rows(n: int) -> Mutation:
    def edit(grid):
        del grid[1 + n :]

    return _on_grid(f"only the header and {n} data rows kept", edit)


def _keep_columns(columns: tuple) -> Mutation:
    def edit(grid):
        for r, row in enumerate(grid):
            grid[r] = [row[c % len(row)] for c in columns] if row else row

    return _on_grid(f"only columns {columns} (mod width) kept, in that order", edit)


def _set_column(column: int, kind: str) -> Mutation:
    """Every data cell of one column: one value ('one class') or all different ('unique floats')."""

    def edit(grid):
        for i, row in enumerate(grid[1:], start=1):
            if row:
                row[column % len(row)] = "cat" if kind == "one class" else f"{i * 0.37 + 0.001:.4f}"

    return _on_grid(f"column {column} (mod width) made of {kind}", edit)


def _rename_label(value: str) -> Mutation:
    """Every 'cat' of the classification target renamed (class names reach the plots and reports)."""

    def edit(grid):
        for row in grid[1:]:
            if row and row[-1] == "cat":
                row[-1] = value

    return _on_grid(f"class 'cat' renamed {_short(value)}", edit)


def _add_columns(n: int, name: str, value: str) -> Mutation:
    """``n`` more columns before the last; ``name`` '{i}' numbers them, a plain name repeats it."""

    def edit(grid):
        grid[0][-1:-1] = [name.format(i=i) for i in range(n)]
        for row in grid[1:]:
            row[-1:-1] = [value] * n

    return _on_grid(f"{n} columns named {name!r} of {_short(value)} added before the last", edit)


def _quote_cell(row: int, column: int, style: str) -> Mutation:
    forms = {
        "quoted": '"{v}"',  # well formed: the same value
        "unbalanced": '"{v}',
        "quote inside": '{v}"x',
        "escaped quote": '"{v}""x"',
        "embedded newline": '"{v}\nx"',
        "embedded CR": '"{v}\rx"',
        "quoted comma": '"{v},1"',
        "empty quotes": '""',
        "space before the quote": ' "{v}"',
    }

    def edit(grid):
        r, c = _at(grid, row, column)
        if grid[r]:
            grid[r][c] = forms[style].format(v=grid[r][c])

    return _on_grid(f"cell (row {row}, column {column}) (mod size): {style}", edit)


QUOTE_STYLES = ["quoted", "unbalanced", "quote inside", "escaped quote", "embedded newline", "embedded CR",
                "quoted comma", "empty quotes", "space before the quote"]


def _pad_cell(row: int, column: int, before: str, after: str) -> Mutation:
    def edit(grid):
        r, c = _at(grid, row, column)
        if grid[r]:
            grid[r][c] = before + grid[r][c] + after

    return _on_grid(f"cell (row {row}, column {column}) (mod size) padded with {before!r} and {after!r}", edit)


# Spellings that one parser or another reads as a number, or as a missing value, or refuses.
HOSTILE_CELLS = [
    "", " ", "nan", "NaN", "-nan", "NA", "n/a", "null", "?", "None", "inf", "-inf", "+inf", "Infinity", "-Infinity",
    "1e999", "-1e999", "1e39", "-4e38", "3.4028236e38", "1e-999", "1e308", "9" * 400, "0x10", "0b1", "0o7",
    "1_000", "+-1", "--1", "1.2.3", "1,5", "1e", "e1", ".", "-", "+", "1.", ".5", "-0", "+0", "00012", "1e+",
    "١٢", "٣", "½", "²", "∞", "１２", "True", "False", "abc", "cat", "dog", "x1", "label", "value",
    " 1.5 ", "\t2", "1.5\xa0", "\u20031", "1 000", "1'000", "$5", "5%", "1e5j", "nan(0x1)", "0.1" * 30,
    "\x00", "1\x00", "\x1a", "\ufeff1", "a\x1b[31m", "$x$", "$\\frac{$", "\\", "%", "{}", "<b>", "é",
]

CELL_VALUES = st.sampled_from(HOSTILE_CELLS) | st.text(max_size=8) | st.from_regex(
    r"\A[+-]?[0-9]{0,3}[._]?[0-9]{0,3}([eE][+-]?[0-9]{1,3})?\Z")

HEADER_NAMES = st.sampled_from(["", " ", "x1", "x2", "x3", "label", "value", "1", "2.5", "nan", "x 1", " x1 ",
                                '"x1"', "\ufeffx1", "é", "a" * 300, "0", "-1", "3"]) | st.text(max_size=6)

cell_mutations = st.one_of(
    st.builds(_set_cell, st.integers(1, 10**6), st.integers(0, 10**6), CELL_VALUES),
    st.builds(_set_cell, st.just(0), st.integers(0, 10**6), HEADER_NAMES),
    st.builds(_delete_cell, st.integers(0, 10**6), st.integers(0, 10**6)),
    st.builds(_duplicate_cell, st.integers(0, 10**6), st.integers(0, 10**6)),
    st.builds(_insert_cell, st.integers(0, 10**6), st.integers(0, 10**6), CELL_VALUES),
    st.builds(_quote_cell, st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from(QUOTE_STYLES)),
    st.builds(_pad_cell, st.integers(0, 10**6), st.integers(0, 10**6),
              st.sampled_from(["", " ", "\t", "  ", "\xa0", "\u2003", "\ufeff"]),
              st.sampled_from(["", " ", "\t", "\xa0", "\x00"])),
)

row_mutations = st.one_of(
    st.builds(_delete_row, st.integers(0, 10**6)),
    st.builds(_duplicate_row, st.integers(0, 10**6)),
    st.builds(_insert_row, st.integers(0, 10**6), st.lists(CELL_VALUES, max_size=6)),
    st.builds(_keep_rows, st.integers(0, 5)),
)

column_mutations = st.one_of(
    st.builds(_keep_columns, st.lists(st.integers(0, 10), min_size=1, max_size=5).map(tuple)),
    st.builds(_set_column, st.integers(0, 10), st.sampled_from(["one class", "unique floats"])),
    st.builds(_rename_label, CELL_VALUES),
    # up to 150 columns of '0' keeps a file of 24 rows under 20 KB
    st.builds(_add_columns, st.integers(1, 150), st.sampled_from(["c{i}", "x1", "", "{i}"]),
              st.sampled_from(["0", "1.5", "", "nan", "abc"])),
)


# -- bytes -------------------------------------------------------------------------------------------------------


def _prefix(blob: bytes) -> Mutation:
    return Mutation(f"{blob!r} put before the file", lambda data: blob + data)


def _append(blob: bytes) -> Mutation:
    return Mutation(f"{blob!r} appended", lambda data: data + blob)


def _insert_bytes(position: int, blob: bytes) -> Mutation:
    def apply(data):
        i = position % (len(data) + 1)
        return data[:i] + blob + data[i:]

    return Mutation(f"{blob!r} inserted at byte {position} (mod length)", apply)


def _truncate(fraction: float) -> Mutation:
    return Mutation(f"truncated to {fraction:.4f} of the length", lambda data: data[: int(len(data) * fraction)])


def _line_ends(style: str) -> Mutation:
    def apply(data):
        lines = data.split(b"\n")
        if style == "mixed":
            return b"".join(line + (b"\r\n", b"\r", b"\n")[i % 3] for i, line in enumerate(lines[:-1])) + lines[-1]
        return data.replace(b"\n", {"CRLF": b"\r\n", "CR": b"\r", "LFCR": b"\n\r"}[style])

    return Mutation(f"line ends made {style}", apply)


def _reencode(codec: str) -> Mutation:
    return Mutation(f"re-encoded as {codec}", lambda data: data.decode("utf-8", "replace").encode(codec, "replace"))


def _delimiter(delimiter: bytes) -> Mutation:
    return Mutation(f"commas replaced by {delimiter!r}", lambda data: data.replace(b",", delimiter))


BLOBS = st.sampled_from([b"\x00", b"\xff", b"\xe9", b"\xc3", b"\xef\xbb\xbf", b'"', b"\n", b"\r", b",", b";", b"\t",
                         b" ", b"\x1a", b"\x0c", b"\xe2\x80\xa8"]) | st.binary(min_size=1, max_size=8)

byte_mutations = st.one_of(
    st.builds(_prefix, st.sampled_from([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\n\n", b" ",
                                        b"sep=,\n", b"#comment\n", b"\x00"])),
    st.builds(_append, st.sampled_from([b"\n\n", b",,,\n", b"   \n", b"\x1a", b"\x00", b'"', b"1,2"]) | BLOBS),
    st.builds(_insert_bytes, st.integers(0, 10**6), BLOBS),
    st.builds(_truncate, st.floats(0.0, 1.0, exclude_max=True)),
    st.builds(_line_ends, st.sampled_from(["CRLF", "CR", "LFCR", "mixed"])),
    st.builds(_reencode, st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"])),
    st.builds(_delimiter, st.sampled_from([b";", b"\t", b"|", b" ", b", ", b";;", b":"])),
)

# One to three edits in a row: most files break one way, some several.
mutations = st.lists(st.one_of(cell_mutations, cell_mutations, row_mutations, column_mutations, byte_mutations),
                     min_size=1, max_size=3)


def apply_all(chain, data: bytes) -> bytes:
    for mutation in chain:
        data = mutation(data)
    return data


# -- valid files to break --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Original:
    name: str  # 'classification' or 'regression'
    data: bytes  # the valid CSV file
    target: str  # its target column (the last)
    model: str  # the model deltaprop train made of it


def make_originals(folder) -> dict:
    import numpy as np

    from deltaprop import cli

    rng = np.random.default_rng(0)
    X = rng.normal(size=(ROWS, len(FEATURES))).round(3)
    labels = np.where(X[:, 0] > 0, "cat", np.where(X[:, 1] > 0, "dog", "eel"))
    values = (X[:, 0] - 2 * X[:, 1]).round(3)
    originals = {}
    for name, target, y in (("classification", "label", labels), ("regression", "value", values)):
        lines = [",".join([*FEATURES, target])] + [",".join([*map(str, row), str(t)]) for row, t in zip(X, y)]
        data = ("\n".join(lines) + "\n").encode()
        path = Path(folder, f"{name}.csv")
        path.write_bytes(data)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = cli.main(["train", str(path), "--epochs", "3", "--quiet", "--out", f"{folder}/{name}"])
        assert code == 0, err.getvalue()
        originals[name] = Original(name, data, target, f"{folder}/{name}/model.safetensors")
    return originals


# -- the oracle ------------------------------------------------------------------------------------------------

COMMANDS = ["train", "train --out", "train --drop-missing", "train --target", "predict", "predict --out", "evaluate"]
RUN_FOLDER = ("model.safetensors", "checkpoint.safetensors", "metrics.json", "history.csv", "config.toml")
_numbers = itertools.count()


def _skip_plots(*args, **kwargs):
    from deltaprop.plots import PlottingUnavailable

    raise PlottingUnavailable("skipped by the fuzz test")


def command_problems(data: bytes, command: str, original: Original, folder, plots: bool = True, tally=None) -> list:
    """What went wrong running ``deltaprop COMMAND`` on ``data`` (a broken copy of
    ``original.data``) in a fresh folder under ``folder``. ``plots=False`` stands in for a machine
    without matplotlib (the PNGs take most of a run's time). ``tally``, a Counter, counts outcomes."""
    from deltaprop import cli

    work = Path(folder, f"case-{next(_numbers)}")
    work.mkdir()
    path = work / "data.csv"
    path.write_bytes(data)
    argv = {
        "train": ["train", path],
        "train --out": ["train", path, "--out", work / "run"],
        "train --drop-missing": ["train", path, "--drop-missing"],
        "train --target": ["train", path, "--target", original.target],
        "predict": ["predict", original.model, path],
        "predict --out": ["predict", original.model, path, "--out", work / "predictions.csv"],
        "evaluate": ["evaluate", original.model, path],
    }[command]
    if command.startswith("train"):
        argv += ["--epochs", "2", "--batch-size", "8", "--quiet"]
    before = snapshot(work)
    out, err = io.StringIO(), io.StringIO()
    patches = [] if plots else [mock.patch("deltaprop.plots.plot_history", _skip_plots),
                                mock.patch("deltaprop.plots.plot_confusion_matrix", _skip_plots)]
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        stack.enter_context(contextlib.chdir(work))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            code = cli.main([str(a) for a in argv])
        except BaseException as error:  # noqa: BLE001 - anything escaping main is the problem to report
            code = f"{type(error).__name__} escaped: {str(error)[:200]}"
    if tally is not None:
        tally[f"{command}: exit {code}"] += 1
    stderr, lines = err.getvalue(), err.getvalue().splitlines()
    problems = []
    if "Traceback" in stderr or "internal error" in stderr or code not in (0, 1, 2):
        return [f"{command}: exit {code}, stderr {stderr[:300]!r}"]
    if code != 0:
        if len(lines) != 1 or not lines[0].startswith("deltaprop: error: "):
            problems.append(f"{command}: exit {code}, but stderr is not one error line: {stderr[:300]!r}")
        elif str(path) not in lines[0]:
            problems.append(f"{command}: exit {code}, the message does not name the file: {lines[0][:300]!r}")
        if out.getvalue():
            problems.append(f"{command}: exit {code}, yet wrote to stdout: {out.getvalue()[:100]!r}")
        if snapshot(work) != before:
            written = sorted(set(snapshot(work)) - set(before))
            problems.append(f"{command}: exit {code}, yet wrote {[Path(p).name for p in written][:5]}")
        return problems
    others = [line for line in lines if not line.startswith(("deltaprop: warning: ", "deltaprop: dropped ", "Wrote "))]
    if others:
        problems.append(f"{command}: exit 0 with unexpected stderr lines: {others[:3]}")
    if command.startswith("train"):
        runs = [work / "run"] if command == "train --out" else list((work / "runs").glob("*"))
        if len(runs) != 1:
            return problems + [f"{command}: exit 0 but {len(runs)} run folders"]
        wanted = RUN_FOLDER + (("curves.png",) if plots else ())
        absent = [name for name in wanted if not (runs[0] / name).is_file()]
        if absent:
            problems.append(f"{command}: exit 0 but the run folder lacks {absent}")
    elif command == "predict --out":
        if not (work / "predictions.csv").is_file():
            problems.append(f"{command}: exit 0 but no predictions file")
    elif not out.getvalue():
        problems.append(f"{command}: exit 0 but nothing on stdout")
    return problems
