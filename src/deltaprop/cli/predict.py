"""``deltaprop predict`` and ``deltaprop evaluate``: use a saved model on new rows."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import numpy as np

from .. import atomic
from ..data import load_csv
from ..errors import DataError
from ..tabular import TabularModel
from .datasets import BUNDLED, load_table
from .options import UsageError
from .report import metrics_table, samples


def register(commands, formatter) -> None:
    predict = commands.add_parser(
        "predict",
        help="predict with a saved model",
        description="Predict the target for every row of DATA (a CSV with the training file's feature columns, in any order; "
        "a target column, if present, is ignored). Classes are printed with their original labels.",
        epilog="examples:\n  deltaprop predict runs/iris/model.safetensors new.csv\n"
        "  deltaprop predict runs/iris/model.safetensors new.csv --proba --out predictions.csv\n",
        formatter_class=formatter,
    )
    predict.add_argument("model", metavar="MODEL", help="a model file written by deltaprop train")
    predict.add_argument("data", metavar="DATA", help="CSV file with the feature columns, NPZ file (array X, its columns in the training order) or 'digits'")
    predict.add_argument("--out", metavar="FILE.csv", help="write the predictions here instead of to stdout")
    predict.add_argument("--proba", action="store_true", help="add one probability column per class (classification)")
    predict.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    predict.set_defaults(run=run_predict)

    evaluate = commands.add_parser(
        "evaluate",
        help="measure a saved model on labelled data",
        description="Compute the metrics table of a saved model on DATA, which must hold the target column.",
        epilog="example:\n  deltaprop evaluate runs/iris/model.safetensors test.csv\n",
        formatter_class=formatter,
    )
    evaluate.add_argument("model", metavar="MODEL", help="a model file written by deltaprop train")
    evaluate.add_argument("data", metavar="DATA", help="CSV file with the features and the target column, NPZ file (arrays X, y) or 'digits'")
    evaluate.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    evaluate.set_defaults(run=run_evaluate)


def _column_order(names, model: TabularModel, path) -> list:
    """Where each of the model's feature columns is in ``names``; a missing or unknown column is an error."""
    have = {name: j for j, name in enumerate(names)}  # by dict: linear in the columns
    wanted = set(model.feature_names)
    missing = [name for name in model.feature_names if name not in have]
    if missing:
        raise DataError(f"{path}: has no column {missing[0]!r}, which the model was trained on ({len(missing)} missing); its columns are {_names(have) or 'none but the target'}")
    extra = [name for name in have if name not in wanted]
    if extra:
        raise DataError(f"{path}: has column(s) the model was not trained on: {_names(extra)}; remove them")
    return [have[name] for name in model.feature_names]


def _names(names) -> str:
    """Column names as read, but one holding a line break or another unprintable character quoted
    and escaped, so that the message stays one line."""
    return ", ".join(name if name.isprintable() else repr(name) for name in names)


def _read(path, model: TabularModel, need_target: bool):
    if path == BUNDLED or Path(path).suffix.lower() == ".npz":
        # Arrays without column names (as train reads them): the features by position.
        table, _ = load_table(path, need_target=need_target)
        if table.X.shape[1] != len(model.feature_names):
            raise DataError(f"{path}: has {table.X.shape[1]} features per sample, but the model takes {len(model.feature_names)}")
        return table.X, table.y
    header = _header(path)
    if need_target and model.target_name not in header:
        raise DataError(f"{path}: has no target column {model.target_name!r} to evaluate against; its columns are {_names(header)}")
    # The columns by name first, so that a column the model does not know is named as such, not as a
    # cell that is not a number.
    _column_order([name for name in header if name != model.target_name], model, path)
    # To predict, a target column is left unread: its cells may be empty or anything else.
    columns = {"target": model.target_name} if need_target else {"target": False, "ignore": (model.target_name,)}
    try:
        table = load_csv(path, **columns)
    except DataError as error:  # the library's hint names its keyword argument; these commands have no such flag
        task = "evaluate" if need_target else "predict"
        raise DataError(str(error).replace("(pass drop_missing=True to drop them)", f"(remove them to {task})")) from None
    return table.X[:, _column_order(table.feature_names, model, path)], table.y


def _header(path) -> list:
    table = load_csv(path, target=False, header_only=True)
    return list(table.feature_names)


def run_predict(args) -> int:
    if args.out:
        target = os.path.realpath(args.out)
        for role, path in (("model", args.model), ("data", args.data)):
            if os.path.exists(path) and target == os.path.realpath(path):
                raise UsageError(f"--out {args.out} is the {role} file; the predictions would overwrite it")
    model = TabularModel.load(args.model)
    X, _ = _read(args.data, model, need_target=False)
    predictions = model.predict(X)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = [f"predicted_{model.target_name}"]
    rows = [[_cell(value)] for value in predictions]
    if args.proba:
        probabilities = model.predict_proba(X)
        columns += [f"probability_{label}" for label in model.classes]
        rows = [row + [f"{p:.6g}" for p in probs] for row, probs in zip(rows, probabilities)]
    writer.writerow(columns)
    writer.writerows(rows)
    if args.out:
        atomic.write_text(args.out, buffer.getvalue())
        print(f"Wrote {len(rows)} predictions to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


def _cell(value) -> str:
    """A predicted value or label as the shortest text that reads back as the same number in its
    own precision (NumPy's shortest round-trip form: 2536431.2 for a float32, 0.1 for a label
    read as 0.1), never rounded to fewer digits than that."""
    if not isinstance(value, (float, np.floating)):
        return str(value)
    value = value if isinstance(value, np.floating) else np.float64(value)
    if value == 0 or not np.isfinite(value) or 1e-4 <= abs(value) < 1e16:  # (where Python's repr is positional too)
        return np.format_float_positional(value, unique=True, trim="-")
    return np.format_float_scientific(value, unique=True, trim="-")


def run_evaluate(args) -> int:
    model = TabularModel.load(args.model)
    X, y = _read(args.data, model, need_target=True)
    try:
        results = model.evaluate(X, y)
    except DataError as error:
        raise DataError(f"{args.data}: {error}") from None
    print(metrics_table(results, model.task, title=f"Metrics on {args.data} ({samples(results['samples'])})"))
    return 0
