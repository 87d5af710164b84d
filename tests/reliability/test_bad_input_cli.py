"""The bad-input corpus, driven through the real command (``python -m deltaprop ...``).

Every case ends with the documented exit code (0 success, 1 a problem with the data or a model
file, 2 a problem with the command line) and one line on stderr naming the file, row, column or
option at fault, without a traceback. A failed run writes nothing: neither the working folder nor
the corpus changes (no run folder under ``runs/``, no ``--out`` folder, no predictions file).
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from commandline import run_cli, snapshot

OK, DATA, USAGE = 0, 1, 2


class Case(NamedTuple):
    id: str
    argv: str  # {data}: the corpus folder, {model}: a sound model in it, {tmp}: the run's working folder
    code: int
    stderr: tuple  # substrings of the one line on stderr


VALID_OPTIMIZERS = "sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam, radam"
VALID_LOSSES = "auto, cross_entropy, mse, l1, huber"
VALID_ACTIVATIONS = ("relu, tanh, sigmoid, leaky_relu, gelu, elu, silu, softplus, mish, selu, celu, hardtanh, "
                     "relu6, prelu, logsigmoid, softsign, hardswish, hardsigmoid, tanhshrink")

CASES = [
    # -- the data file of `deltaprop train`
    Case("ragged row", "train {data}/ragged.csv --out {tmp}/run", DATA,
         ("ragged.csv: row 3 has 3 fields but the header has 4",)),
    Case("non-numeric cell", "train {data}/text_cell.csv --out {tmp}/run", DATA,
         ("text_cell.csv: row 3, column 'x2': 'abc' is not a number",)),
    Case("empty file", "train {data}/empty.csv --out {tmp}/run", DATA, ("empty.csv: the file is empty",)),
    Case("header without rows", "train {data}/header_only.csv --out {tmp}/run", DATA,
         ("header_only.csv: has a header row but no data rows",)),
    Case("no header row", "train {data}/no_header.csv", DATA, ("no_header.csv: row 1", "must be a header")),
    Case("missing target column", "train {data}/flowers.csv --target petal --out {tmp}/run", DATA,
         ("flowers.csv: has no column named 'petal'", "its columns are 'x1', 'x2', 'x3', 'species'")),
    Case("target index out of range", "train {data}/flowers.csv --target 7", DATA,
         ("flowers.csv: has no column number 7", "'x1', 'x2', 'x3', 'species'")),
    Case("NaN and infinity refused", "train {data}/missing.csv --out {tmp}/run", DATA,
         ("missing.csv: row 5, column 'x2' holds 'nan'", "2 rows have missing or infinite values",
          "pass --drop-missing to drop them")),
    Case("NaN and infinity dropped", "train {data}/missing.csv --drop-missing --epochs 1 --quiet --out {tmp}/run", OK,
         ("dropped 2 rows of", "missing.csv with missing or non-finite values (58 left)")),
    Case("every row dropped", "train {data}/all_missing.csv --drop-missing --out {tmp}/run", DATA,
         ("all_missing.csv: every one of its 5 data rows has a missing or infinite value",)),
    Case("single class", "train {data}/one_class.csv --out {tmp}/run", DATA,
         ("one_class.csv: the target column 'species' has a single class ('setosa')", "needs at least two")),
    Case("decimals as classes", "train {data}/continuous_target.csv --task classification --out {tmp}/run", DATA,
         ("continuous_target.csv: classification needs class labels, but the target column 'species' holds 60 "
          "distinct numbers with decimals in 60 rows (", "most rows a class of their own; use --task regression")),
    Case("decimals by auto", "train {data}/continuous_target.csv --epochs 1 --quiet --out {tmp}/run", OK, ()),
    Case("file does not exist", "train {data}/nowhere.csv --out {tmp}/run", DATA, ("nowhere.csv: no such file",)),
    Case("file cannot be read", "train {data}/flowers.csv/inside.csv --out {tmp}/run", DATA,
         ("flowers.csv/inside.csv: cannot be read (Not a directory)",)),
    Case("directory as the data file", "train {data}/a_folder.csv --out {tmp}/run", DATA,
         ("a_folder.csv: is a directory, not a CSV file",)),
    Case("not UTF-8", "train {data}/latin1.csv --out {tmp}/run", DATA,
         ("latin1.csv: is not UTF-8 text (byte 0xe9", "line 2", "save the file as UTF-8")),
    Case("overflows float32", "train {data}/overflow.csv --out {tmp}/run", DATA,
         ("overflow.csv: row 6, column 'x3': 1e39 is too large for float32",)),
    Case("npz of Python objects", "train {data}/objects.npz --out {tmp}/run", DATA,
         ("objects.npz: array 'X' holds Python objects (dtype=object), which deltaprop never unpickles",)),
    Case("npz that is not an archive", "train {data}/not_an_archive.npz --out {tmp}/run", DATA,
         ("not_an_archive.npz: is not a NumPy .npz archive",)),
    # -- found by the CSV fuzzer (test_csv_fuzz.py)
    Case("only blank cells", "train {data}/blank_cells.csv --out {tmp}/run", DATA,
         ("blank_cells.csv: the file is empty (its rows hold no values)",)),
    # NUL bytes: a file saved as UTF-16 without a BOM decodes as "UTF-8" with a NUL after every letter
    Case("UTF-16 without a BOM", "train {data}/utf16.csv --out {tmp}/run", DATA,
         ("utf16.csv: holds a NUL byte (byte offset 1, line 1)", "UTF-16", "save the file as UTF-8")),
    # NumPy's text arrays drop trailing NULs: 'setosa\0' was silently the class 'setosa'
    Case("NUL after a class name", "train {data}/nul_label.csv --out {tmp}/run", DATA,
         ("nul_label.csv: holds a NUL byte", "line 4")),
    # matplotlib read a class named $\frac{$ as TeX and failed drawing the confusion matrix
    Case("class names with dollar signs", "train {data}/dollar_labels.csv --epochs 1 --quiet --out {tmp}/run", OK, ()),
    # column names are shown escaped: a line break in one made the message two lines
    Case("a line break in a column name at predict", "predict {model} {data}/newline_in_name.csv --out {tmp}/p.csv",
         DATA, ("newline_in_name.csv: has no column 'x1', which the model was trained on (1 missing); "
                "its columns are 'x1\\rx', x2, x3",)),
    Case("a line break in an extra column name at evaluate", "evaluate {model} {data}/newline_in_extra.csv", DATA,
         ("newline_in_extra.csv: has column(s) the model was not trained on: 'note\\nhere'",)),
    # -- options of `deltaprop train`
    Case("lr zero", "train {data}/flowers.csv --lr 0 --out {tmp}/run", USAGE, ("--lr must be greater than 0.0, got '0'",)),
    Case("lr negative", "train {data}/flowers.csv --lr -0.01 --out {tmp}/run", USAGE,
         ("--lr must be greater than 0.0, got '-0.01'",)),
    Case("lr infinite", "train {data}/flowers.csv --lr inf --out {tmp}/run", USAGE, ("--lr must be a finite number",)),
    Case("lr zero in a config file", "train {data}/flowers.csv --config {data}/lr_zero.toml --out {tmp}/run", USAGE,
         ("lr_zero.toml: --lr must be greater than 0.0, got 0.0",)),
    Case("batch size zero", "train {data}/flowers.csv --batch-size 0 --out {tmp}/run", USAGE,
         ("--batch-size must be greater than 0, got '0'",)),
    Case("batch size negative", "train {data}/flowers.csv --batch-size -1 --out {tmp}/run", USAGE,
         ("--batch-size must be greater than 0, got '-1'",)),
    Case("epochs zero", "train {data}/flowers.csv --epochs 0", USAGE, ("--epochs must be greater than 0, got '0'",)),
    Case("epochs negative", "train {data}/flowers.csv --epochs -5 --out {tmp}/run", USAGE,
         ("--epochs must be greater than 0, got '-5'",)),
    Case("unknown activation", "train {data}/flowers.csv --activation swish --out {tmp}/run", USAGE,
         (f"--activation must be one of {VALID_ACTIVATIONS}; got 'swish'",)),
    Case("unknown loss", "train {data}/flowers.csv --loss hinge --out {tmp}/run", USAGE,
         (f"--loss must be one of {VALID_LOSSES}; got 'hinge'",)),
    Case("unknown optimizer", "train {data}/flowers.csv --optimizer lbfgs --out {tmp}/run", USAGE,
         (f"--optimizer must be one of {VALID_OPTIMIZERS}; got 'lbfgs'",)),
    Case("hidden sizes with a gap", "train {data}/flowers.csv --hidden 16,,8 --out {tmp}/run", USAGE,
         ("--hidden must be comma-separated positive layer sizes such as 64,32; got '16,,8'",)),
    Case("hidden size negative", "train {data}/flowers.csv --hidden=-16 --out {tmp}/run", USAGE,
         ("--hidden must be comma-separated positive layer sizes", "got '-16'")),
    Case("hidden size fractional", "train {data}/flowers.csv --hidden 1.5 --out {tmp}/run", USAGE,
         ("--hidden must be comma-separated positive layer sizes", "got '1.5'")),
    Case("hidden sizes as words", "train {data}/flowers.csv --hidden big --out {tmp}/run", USAGE,
         ("--hidden must be comma-separated positive layer sizes", "got 'big'")),
    # str.isdigit() holds for '²' (which int() refuses) and for '٣' (which int() reads as 3)
    Case("hidden size in superscript digits", "train {data}/flowers.csv --hidden 8,² --out {tmp}/run", USAGE,
         ("--hidden must be comma-separated positive layer sizes", "got '8,²'")),
    Case("hidden size in Arabic-Indic digits", "train {data}/flowers.csv --hidden ٣ --out {tmp}/run", USAGE,
         ("--hidden must be comma-separated positive layer sizes", "got '٣'")),
    # beyond what NumPy can address (its ValueError, not a MemoryError)
    Case("hidden size beyond any memory", "train {data}/flowers.csv --hidden 9223372036854775808 --out {tmp}/run",
         USAGE, ("--hidden sizes must be at most 1000000000 units, got 9223372036854775808",)),
    Case("hidden sizes whose product is beyond any memory",
         "train {data}/flowers.csv --hidden 4294967296,4294967296 --out {tmp}/run", USAGE,
         ("--hidden sizes must be at most 1000000000 units, got 4294967296",)),
    # -- `deltaprop predict` and `deltaprop evaluate`
    Case("unseen label at evaluate", "evaluate {model} {data}/unseen_label.csv", DATA,
         ("unseen_label.csv: column 'species': label 'tulip' was not seen in fit",
          "the known labels are 'setosa', 'versicolor', 'virginica'")),
    Case("unseen label at predict is ignored", "predict {model} {data}/unseen_label.csv --out {tmp}/p.csv", OK,
         ("Wrote 2 predictions to",)),
    Case("a feature column missing at predict", "predict {model} {data}/fewer_features.csv --out {tmp}/p.csv", DATA,
         ("fewer_features.csv: has no column 'x3', which the model was trained on",
          "its columns are x1, x2")),
    Case("an extra feature column at predict", "predict {model} {data}/extra_feature.csv --out {tmp}/p.csv", DATA,
         ("extra_feature.csv: has column(s) the model was not trained on: x4",)),
    Case("predict on the target column alone", "predict {model} {data}/only_target.csv --out {tmp}/p.csv", DATA,
         ("only_target.csv: has no column 'x1', which the model was trained on (3 missing); its columns are none but the target",)),
    # the columns are checked by name before any cell is read: a text column is not "not a number"
    Case("an extra text column at predict", "predict {model} {data}/extra_text.csv --out {tmp}/p.csv", DATA,
         ("extra_text.csv: has column(s) the model was not trained on: note",)),
    Case("an extra text column at evaluate", "evaluate {model} {data}/extra_text.csv", DATA,
         ("extra_text.csv: has column(s) the model was not trained on: note",)),
    Case("missing values at predict", "predict {model} {data}/missing.csv --out {tmp}/p.csv", DATA,
         ("missing.csv: row 5, column 'x2' holds 'nan'", "(remove them to predict)")),
    Case("missing values at evaluate", "evaluate {model} {data}/missing.csv", DATA,
         ("missing.csv: row 5, column 'x2' holds 'nan'", "(remove them to evaluate)")),
    # train takes an NPZ file, so predict and evaluate do too (its columns by position, as for 'digits')
    Case("predict on an NPZ file", "predict {model} {data}/flowers.npz --out {tmp}/p.csv", OK,
         ("Wrote 60 predictions to",)),
    Case("predict on an NPZ file of features alone", "predict {model} {data}/features_only.npz --out {tmp}/p.csv", OK,
         ("Wrote 60 predictions to",)),
    Case("evaluate on an NPZ file of features alone", "evaluate {model} {data}/features_only.npz", DATA,
         ("features_only.npz: has no array named 'y'; the arrays there are 'X'",)),
    Case("evaluate on an NPZ file of too few features", "evaluate {model} {data}/narrow.npz", DATA,
         ("narrow.npz: has 2 features per sample, but the model takes 3",)),
    Case("evaluate without the target column", "evaluate {model} {data}/extra_feature.csv", DATA,
         ("extra_feature.csv: has no target column 'species' to evaluate against",)),
    Case("predictions over the model file", "predict {model} {data}/flowers.csv --out {model}", USAGE,
         ("is the model file; the predictions would overwrite it",)),
    Case("predict data does not exist", "predict {model} {data}/nowhere.csv --out {tmp}/p.csv", DATA,
         ("nowhere.csv: no such file",)),
    Case("predict data is a directory", "predict {model} {data}/a_folder.csv", DATA,
         ("a_folder.csv: is a directory, not a CSV file",)),
    Case("predict data not UTF-8", "predict {model} {data}/latin1.csv --out {tmp}/p.csv", DATA,
         ("latin1.csv: is not UTF-8 text",)),
    Case("evaluate data with a non-numeric cell", "evaluate {model} {data}/text_cell.csv", DATA,
         ("text_cell.csv: row 3, column 'x2': 'abc' is not a number",)),
    Case("predict into a missing folder", "predict {model} {data}/flowers.csv --out {tmp}/no/such/p.csv", DATA,
         ("no/such/p.csv: No such file or directory",)),
    # -- model files
    Case("model does not exist", "predict {data}/nowhere.safetensors {data}/flowers.csv", DATA,
         ("nowhere.safetensors: no such file",)),
    Case("model is a directory", "evaluate {data}/a_folder.csv {data}/flowers.csv", DATA,
         ("a_folder.csv: is a directory, not a model file",)),
    Case("model is a CSV file", "summary {data}/flowers.csv", DATA, ("flowers.csv: the header claims",)),
    Case("model truncated", "predict {data}/truncated.safetensors {data}/flowers.csv --out {tmp}/p.csv", DATA,
         ("truncated.safetensors: the header claims",)),
    Case("model header longer than the file", "summary {data}/long_header.safetensors", DATA,
         ("long_header.safetensors: the header claims 1000000 bytes",)),
    Case("model of random bytes", "evaluate {data}/random.safetensors {data}/flowers.csv", DATA,
         ("random.safetensors: ",)),
    Case("summary of a file of weights alone", "summary {data}/weights.safetensors", DATA,
         ("weights.safetensors: holds weights alone (a state dict), not a model",)),
    Case("predict with a file of weights alone", "predict {data}/weights.safetensors {data}/flowers.csv", DATA,
         ("weights.safetensors: holds weights alone (a state dict), not a model",)),
    Case("resume from a model file", "train --resume {model}", DATA, ("model.safetensors: not a deltaprop checkpoint",)),
    Case("resume from random bytes", "train --resume {data}/random.safetensors", DATA, ("random.safetensors: ",)),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_through_the_command(case, corpus, tmp_path):
    argv = case.argv.format(data=corpus, model=corpus / "model.safetensors", tmp=tmp_path).split()
    before = snapshot(tmp_path, corpus)
    result = run_cli(*argv, cwd=tmp_path)

    assert result.returncode == case.code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == (1 if case.stderr else 0), result.stderr  # a quiet run that succeeds says nothing
    missing = [part for part in case.stderr if part not in lines[0]]
    assert not missing, f"{missing} not in {lines[0]!r}"
    if case.code != OK:
        assert lines[0].startswith("deltaprop: error: ")
        assert result.stdout == ""
        assert snapshot(tmp_path, corpus) == before  # nothing written, nothing left half-written


def test_case_ids_are_unique():
    assert len({case.id for case in CASES}) == len(CASES)
