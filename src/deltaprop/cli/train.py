"""``deltaprop train``: fit a network to a table and leave a run folder behind.

The run folder holds the model file, the last checkpoint, ``metrics.json``, ``history.csv``,
``config.toml`` (the resolved options: ``deltaprop train --config`` on it repeats the run) and PNGs
of the curves and, for classification, of the confusion matrix. A new run that fails before its
first checkpoint leaves none of it behind; one that fails after keeps the folder, every file in it
whole, and the error is followed by the command that resumes it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .. import atomic, nn, optim
from ..data import LabelEncoder, StandardScaler, train_test_split
from ..errors import DataError, DeltapropError
from ..random import manual_seed
from ..serialization import load_checkpoint
from ..tabular import TabularModel, build_mlp, infer_task, numeric_target
from ..training import CSVLogger, EarlyStopping, ModelCheckpoint, Trainer
from ..training.resume import check_resume_state
from ..training.trainer import OPTIMIZERS
from . import config as configuration
from .datasets import BUNDLED, image_shape, load_table
from .options import TRAIN_OPTIONS, UsageError
from .report import metrics_table, samples

MODEL_FILE = "model.safetensors"
CHECKPOINT_FILE = "checkpoint.safetensors"
EXAMPLES = """examples:
  deltaprop train                                   # the main job: the bundled handwritten digits
  deltaprop train data.csv --target label --hidden 128,64 --epochs 100
  deltaprop train houses.csv --target price --task regression --loss huber
  deltaprop train --config run.toml --lr 0.01       # flags override the config file
  deltaprop train --resume runs/digits-20260101-120000/checkpoint.safetensors
"""


def register(commands, formatter) -> None:
    parser = commands.add_parser(
        "train",
        help="train a network on a CSV/NPZ file, or on the bundled digits with no DATA",
        description="Train a network by backpropagation and write a run folder (model, checkpoint, metrics, history, plots).",
        epilog=EXAMPLES,
        formatter_class=formatter,
    )
    parser.add_argument("data", nargs="?", default=None, metavar="DATA",
                        help="CSV (header row; the target column is the last unless --target) or NPZ (arrays X, y); default: the bundled digits")
    for option in TRAIN_OPTIONS:
        if option.is_flag:
            parser.add_argument(option.flag, dest=option.name, action="store_true", default=None, help=option.help)
        else:
            # An option whose help already says its default (in words) does not repeat it.
            shown = "" if "(default:" in option.help else f" (default: {_show(option.default)})"
            parser.add_argument(option.flag, dest=option.name, default=None, metavar=option.metavar, help=f"{option.help}{shown}")
    parser.add_argument("--out", default=None, metavar="DIR", help="run folder (default: runs/<data>-<date>-<time>)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the run already in --out (its files are set aside, deleted once this run has finished, put back "
                             "if it fails); without it, such a folder is refused")
    parser.add_argument("--resume", default=None, metavar="CHECKPOINT", help="continue the run that wrote this checkpoint, exactly where it stopped")
    parser.add_argument("--config", default=None, metavar="FILE.toml", help="read options from a TOML file; flags given here override it")
    parser.add_argument("--quiet", action="store_true", help="no progress output, only the results")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.set_defaults(run=run)


def _check_unchanged(saved: dict, config: dict, settings: dict, args) -> None:
    """A resumed run continues with its own settings: an option that would change one is refused
    (it was accepted and then overruled by the checkpoint, while config.toml recorded it; a new
    --seed or split even sent test rows into training). Only --epochs may grow. The data may have
    moved: at a new path, the same content (by its SHA-256) is the same data. The target column is
    compared once the data is read (``--target label`` may name the default, last column)."""
    # An option newer than the run's deltaprop had its default value there.
    defaults = {option.name: option.default for option in TRAIN_OPTIONS if saved and option.name not in saved}
    for name, value in [*saved.items(), *defaults.items()]:
        if name in ("epochs", "out", "target", "data") or config.get(name) == value:
            continue
        flag = "--" + name.replace("_", "-")
        raise UsageError(
            f"{flag} {_show(config.get(name))}: the run being resumed has {_show(value)}; --resume continues a run "
            f"with its own settings (only --epochs can grow): start a new run to change {flag}")
    trained_on, data = saved.get("data"), config["data"]
    if data in (None, BUNDLED) or trained_on in (None, BUNDLED):
        if data != trained_on:
            raise UsageError(f"DATA {_show(data)}: the run being resumed was trained on {_show(trained_on)}; "
                             f"--resume continues a run on its own data")
        return
    if data == trained_on and not Path(data).exists():
        raise UsageError(f"the run's data {data} is not there any more; if it moved, give its new place: "
                         f"deltaprop train --resume {args.resume} NEW/PATH/{Path(data).name}")
    saved_sha256 = settings.get("data_sha256")
    if saved_sha256 is None:  # a checkpoint from before the content was recorded: the path must say it
        if data != trained_on:
            raise UsageError(f"DATA {data}: the run being resumed was trained on {trained_on}, and its checkpoint "
                             f"(from an older deltaprop) does not record the data's content to check another path "
                             f"against: put the data back there, or start a new run")
        return
    if Path(data).is_file() and _sha256(data) != saved_sha256:
        moved = "" if data == trained_on else f" (it was trained on {trained_on})"
        raise UsageError(f"DATA {data}: this is not the data the run being resumed was trained on{moved}; its "
                         f"content differs; --resume continues a run on its own data: start a new run for other data")


def _sha256(path) -> str | None:
    if path in (None, BUNDLED):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _show(value) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "none"
    return "(not set)" if value is None else str(value)


def run(args) -> int:
    resume_state = None
    if args.resume is not None:
        resume_state = load_checkpoint(args.resume)
        if args.out is not None:
            raise UsageError("--out cannot move a resumed run: it continues in its checkpoint's folder")
    config = configuration.resolve(args, resume_state)
    if resume_state is not None:
        state = resume_state["state"]
        check_resume_state(state, args.resume)  # the file is untrusted
        # As many epochs as are done is allowed: it finishes a run stopped after its last epoch.
        finished = state["epoch"] - 1 if state["batches_done"] else state["epoch"]
        if config["epochs"] < finished:
            raise UsageError(f"--epochs {config['epochs']}: the checkpoint has finished {finished} epochs already; "
                             f"give at least as many")
        settings = resume_state["metadata"].get("settings")
        _check_unchanged(configuration.saved(resume_state, args.resume), config,
                         settings if isinstance(settings, dict) else {}, args)
    log = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr, flush=True))
    if args.resume is None:
        _refuse_ignored_flags(args, config)
    if args.resume is None and config["out"]:
        _check_out(Path(config["out"]), args.overwrite)  # before the data is read: refuse early

    table, data_name = load_table(config["data"], config["target"], config["drop_missing"])
    if resume_state is not None:
        tabular = resume_state["metadata"].get("tabular")
        trained = tabular.get("target_name") if isinstance(tabular, dict) else None
        if trained is not None and table.target_name != trained:
            raise UsageError(f"--target {config['target']}: the run being resumed predicts column {trained!r}; "
                             f"--resume continues a run with its own settings: start a new run to change --target")
    if table.n_dropped:  # said even with --quiet: it changes what the model learns from
        rows = "row" if table.n_dropped == 1 else "rows"
        print(f"deltaprop: dropped {table.n_dropped} {rows} of {config['data']} with missing or non-finite values "
              f"({len(table)} left)", file=sys.stderr)
    task = config["task"] if config["task"] != "auto" else infer_task(table.y)
    try:
        prepared = _prepare(table, task, config)
    except DataError as error:  # about the data as a whole: name the file
        raise DataError(f"{config['data'] or 'the bundled digits'}: {error}") from None
    if resume_state is not None:
        _check_classes(resume_state["metadata"].get("tabular"), prepared["encoder"], config["data"])
    network = _build_network(config, prepared, task)
    loss = _loss(config["loss"], task)
    class_weight = _class_weight(config["class_weight"], task, prepared)
    optimizer = _optimizer(config, network)
    if config["early_stopping"] and not len(prepared["X_val"]):
        raise UsageError(f"--early-stopping watches the validation loss, but --val-split {config['val_split']} "
                         f"leaves no validation rows; give a larger --val-split")

    previous = None  # where --overwrite set an earlier run's files aside until this one succeeds
    if args.resume:
        out, created = Path(args.resume).parent, False
    else:
        out, created, previous = _make_run_folder(config["out"], data_name, args.overwrite)
    before = {name: _stamp(out / name) for name in OUTPUT_FILES}  # to tell what this run writes
    try:
        code = _train(args, config, table, data_name, task, prepared, network, loss, optimizer, out, log,
                      before[CHECKPOINT_FILE], class_weight)
    except BaseException as error:
        if isinstance(error, _Diverged):
            _clean_up(out, created, before, args.resume, previous)
            if previous is not None and previous.exists():  # (its checkpoint kept the new run's files)
                print(f"deltaprop: the run it was to replace is kept in {previous}", file=sys.stderr)
            return 1  # the reason, and what its checkpoint holds, are printed already
        if _stamp(out / CHECKPOINT_FILE) != before[CHECKPOINT_FILE]:
            # The run wrote a checkpoint: its folder stays, and the error is followed by a line saying
            # so (every file in it was written atomically, so none is torn).
            error.__notes__ = [*getattr(error, "__notes__", ()), _kept(out / CHECKPOINT_FILE, previous)]
        _clean_up(out, created, before, args.resume, previous)
        raise
    if code == 0 and previous is not None:
        shutil.rmtree(previous, ignore_errors=True)  # replaced for good
    elif previous is not None:  # interrupted, its checkpoint kept: so is the earlier run, set aside
        print(f"deltaprop: the run it was to replace is kept in {previous}", file=sys.stderr)
    return code


def _refuse_ignored_flags(args, config) -> None:
    """A flag given on the command line that the run would not use is refused rather than ignored.
    (A config file is not held to this: a run's own config.toml lists every option.)"""
    given = lambda name: getattr(args, name, None) is not None  # noqa: E731
    if config["model"] == "cnn":
        for name in ("hidden", "activation", "dropout"):
            if given(name):
                raise UsageError(f"--{name} shapes the mlp's hidden layers; --model cnn has layers of its own "
                                 f"(deltaprop.nn.models.digits_cnn): leave --{name} out, or use --model mlp")
    if given("momentum") and config["optimizer"] not in ("sgd", "rmsprop"):
        raise UsageError(f"--momentum applies to --optimizer sgd and rmsprop; {config['optimizer']} has no momentum "
                         f"option: leave --momentum out")
    data = config["data"]
    if given("target") and (data is None or data == BUNDLED or Path(data).suffix.lower() == ".npz"):
        what = "the bundled digits, whose labels are the digits" if data is None or data == BUNDLED else \
            f"{data}, an NPZ file, whose targets are its array 'y'"
        raise UsageError(f"--target names a column of a CSV file; the data is {what}: leave --target out")


def _clean_up(out: Path, created: bool, before: dict, resumed, previous: Path | None = None) -> None:
    """After a failure: a new run without a checkpoint worth keeping leaves nothing behind, not the
    folder it made, nor its files in a folder that was there, and the run it was to replace
    (--overwrite) gets its files back. (A resumed run keeps its folder; a run that wrote a
    checkpoint keeps its files, and the one it was to replace stays set aside in ``previous``.)"""
    if resumed or _stamp(out / CHECKPOINT_FILE) != before[CHECKPOINT_FILE]:
        return
    if created:
        shutil.rmtree(out, ignore_errors=True)
        return
    for name in OUTPUT_FILES:
        if _stamp(out / name) != before[name]:
            (out / name).unlink(missing_ok=True)
    if previous is not None:
        for saved in previous.iterdir():
            saved.replace(out / saved.name)
        previous.rmdir()


def _kept(checkpoint: Path, previous: Path | None = None) -> str:
    """The line that follows the error of a run that failed after writing ``checkpoint``."""
    try:
        state = load_checkpoint(checkpoint)["state"]
        held = f"epoch {state['epoch']}"
        if state["batches_done"]:  # an interruption's checkpoint, written inside the epoch
            held += f", batch {state['batches_done']}"
    except (DeltapropError, OSError, KeyError, TypeError):
        held = "the run so far"
    kept = "" if previous is None else f"; the run it was to replace is kept in {previous}"
    return (f"the run folder {checkpoint.parent} is kept: its checkpoint holds {held}; resume with: "
            f"deltaprop train --resume {checkpoint}{kept}")


def _train(args, config, table, data_name, task, prepared, network, loss, optimizer, out, log, found,
           class_weight) -> int:
    model = TabularModel(network, task, table.feature_names, table.target_name, prepared["scaler"], prepared["encoder"],
                         prepared["target_scaler"], prepared["input_shape"],
                         settings={"config": config, "data_sha256": _sha256(config["data"])})

    callbacks = [CSVLogger(out / "history.csv"), ModelCheckpoint(out / CHECKPOINT_FILE)]
    if config["early_stopping"]:
        callbacks.insert(0, EarlyStopping(patience=config["early_stopping"]))
    metric = "accuracy" if task == "classification" else "r2"  # R² is the same in scaled and original units
    trainer = Trainer(network, loss=loss, optimizer=optimizer, metrics=[metric], callbacks=callbacks,
                      verbose=0 if args.quiet else 1, seed=config["seed"], output=sys.stderr)
    trainer.metadata = model.metadata()
    log(f"Training {_describe(network, prepared)} on {data_name}: {task}, {len(prepared['X_train'])} training / "
        f"{len(prepared['X_val'])} validation / {len(prepared['X_test'])} test samples -> {out}")

    history = trainer.fit(
        prepared["X_train"], prepared["y_train"], epochs=config["epochs"], batch_size=config["batch_size"],
        validation_data=(prepared["X_val"], prepared["y_val"]) if len(prepared["X_val"]) else None,
        resume_from=args.resume, interrupt_checkpoint=out / CHECKPOINT_FILE, class_weight=class_weight,
    )
    # The run's training time: a resumed run's includes the sessions before it, as its checkpoint
    # recorded them (an older checkpoint did not: then only this session's is known).
    seconds, session = trainer.train_seconds, trainer.session_seconds
    if trainer.interrupted:
        configuration.write(out / "config.toml", config)
        print(f"Interrupted: the checkpoint {out / CHECKPOINT_FILE} holds the run so far. "
              f"Resume with: deltaprop train --resume {out / CHECKPOINT_FILE}", file=sys.stderr)
        return 130
    if trainer.diverged:
        # Training has already printed why it stopped, unless --quiet kept it silent.
        reason = f"{trainer.stop_reason}; " if args.quiet else "training diverged (see above); "
        checkpoint = out / CHECKPOINT_FILE
        if _stamp(checkpoint) != found:
            kept = f"{checkpoint} holds epoch {load_checkpoint(checkpoint)['state']['epoch']}, the last that finished"
        else:
            kept = "no epoch finished, so there is no checkpoint either"
        print(f"deltaprop: error: {reason}no model was saved, and {kept}", file=sys.stderr)
        raise _Diverged

    model.save(out / MODEL_FILE)
    configuration.write(out / "config.toml", config)
    results = model.evaluate(prepared["X_test_raw"], prepared["y_test_raw"])
    report = {
        "task": task,
        "data": data_name,
        "test": results,
        "epochs_run": len(history),
        "stop_reason": history.stop_reason,
        "train_seconds": None if seconds is None else round(seconds, 3),
        **({"session_seconds": round(session, 3)} if args.resume else {}),
        "final": history.last(),
        "config": config,
    }
    atomic.write_text(out / "metrics.json", json.dumps(_no_nan(report), indent=2, default=_json_default) + "\n")
    _plots(out, history, results, task, log)
    print(metrics_table(results, task, title=f"Test metrics ({samples(results['samples'], 'held-out ')})"))
    spent = f"{session:.1f} s of training in this session" if seconds is None else f"{seconds:.1f} s of training"
    log(f"Saved {out / MODEL_FILE} ({spent})")
    return 0


def _prepare(table, task, config) -> dict:
    X, y = table.X, table.y
    encoder = target_scaler = None
    stratify = None
    if task == "classification":
        distinct = len(np.unique(y)) if y.dtype.kind == "f" else 0
        if distinct > len(y) // 2 and not np.all(y == np.round(y)):
            # A measurement, not labels: most rows would be a class of their own (scikit-learn refuses
            # any "continuous" target; a few decimal labels, 0.5 and 1.5, are classes here).
            example = y[y != np.round(y)][0].item()
            raise DataError(f"classification needs class labels, but the target column {table.target_name!r} holds "
                            f"{distinct} distinct numbers with decimals in {len(y)} rows ({example!r}, ...), most "
                            f"rows a class of their own; use --task regression, or --task auto to choose by the column")
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise DataError(f"the target column {table.target_name!r} has a single class "
                            f"({encoder.classes_[0].item()!r}); classification needs at least two")
        stratify = _stratifiable(encoder.transform(y), config["test_split"])
    else:
        y = numeric_target(y)
        if y is None:
            raise DataError(f"regression needs a numeric target, but column {table.target_name!r} holds text")
    n_test = int(round(len(X) * config["test_split"]))
    if n_test < 1 or len(X) - n_test < 2:
        raise DataError(f"{len(X)} rows are too few to hold out a test split of {config['test_split']}")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=config["test_split"], stratify=stratify, seed=config["seed"])
    n_val = int(round(len(X_train) * config["val_split"]))
    if n_val >= 1 and len(X_train) - n_val >= 1:
        stratify_val = _stratifiable(encoder.transform(y_train), config["val_split"]) if encoder is not None else None
        X_train, X_val, y_train, y_val = train_test_split(X_train, y_train, test_size=config["val_split"], stratify=stratify_val, seed=config["seed"] + 1)
    else:
        X_val, y_val = X_train[:0], y_train[:0]
    scaler = StandardScaler().fit(X_train)
    if task == "regression":
        target_scaler = StandardScaler().fit(np.asarray(y_train, dtype=np.float32).reshape(-1, 1))
    input_shape = None
    if config["model"] == "cnn":
        input_shape = image_shape(config["data"], X.shape[1])
        if input_shape is None:
            raise UsageError(f"--model cnn needs 8x8 images (the bundled digits, or 64 pixel columns); this data has {X.shape[1]} features")
    model = TabularModel(None, task, table.feature_names, table.target_name, scaler, encoder, target_scaler, input_shape)
    return {
        "X_train": model.features(X_train), "y_train": model.encode_target(y_train),
        "X_val": model.features(X_val), "y_val": model.encode_target(y_val),
        "X_test": model.features(X_test), "X_test_raw": X_test, "y_test_raw": y_test,
        "scaler": scaler, "encoder": encoder, "target_scaler": target_scaler, "input_shape": input_shape,
        "n_features": X.shape[1], "n_outputs": len(encoder.classes_) if encoder is not None else 1,
    }


def _check_classes(tabular, encoder, data) -> None:
    """A resumed run's classes must be those its checkpoint was trained with: the network's outputs
    are those classes in that order. The same file can read otherwise in another deltaprop (one from
    before labels written '007' were kept as written read them as the number 7, and sorted them so)."""
    saved = tabular.get("encoder") if isinstance(tabular, dict) else None
    saved = saved.get("classes") if isinstance(saved, dict) else None
    if saved is None or encoder is None or saved == encoder.classes_.tolist():
        return
    now = encoder.classes_.tolist()
    raise DataError(
        f"{data}: its target now reads as the classes {', '.join(map(str, now[:10]))}"
        f"{', ...' if len(now) > 10 else ''}, but the run being resumed was trained on "
        f"{', '.join(map(str, saved[:10]))}{', ...' if len(saved) > 10 else ''} (a deltaprop of another version "
        f"read the file); start a new run"
    )


def _stratifiable(codes: np.ndarray, fraction: float):
    """``codes`` when a split of ``fraction`` can keep every class on both sides (each class has two
    rows, and each side at least one row per class), else None: a plain random split then, rather
    than no run at all (say 20 classes in 100 rows, with a test split of 8 rows)."""
    n_classes = len(np.unique(codes))
    n_held = int(round(len(codes) * fraction))
    if np.bincount(codes).min() >= 2 and min(n_held, len(codes) - n_held) >= n_classes:
        return codes
    return None


def _build_network(config, prepared, task):
    manual_seed(config["seed"])  # the initial weights follow from the seed too
    if config["model"] == "cnn":
        from ..nn.models import digits_cnn

        return digits_cnn(num_classes=prepared["n_outputs"])
    return build_mlp(prepared["n_features"], config["hidden"], prepared["n_outputs"], config["activation"], config["dropout"])


def _loss(name, task):
    if name == "auto":
        name = "cross_entropy" if task == "classification" else "mse"
    if task == "classification" and name != "cross_entropy":
        raise UsageError(f"--loss {name} is a regression loss; classification uses cross_entropy (or auto)")
    if task == "regression" and name == "cross_entropy":
        raise UsageError("--loss cross_entropy needs a classification target; use mse, l1 or huber for regression")
    return {"cross_entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss, "l1": nn.L1Loss, "huber": nn.HuberLoss}[name]()


def _class_weight(name, task, prepared) -> dict | None:
    """``--class-weight balanced``: n / (k · n_c) for each of the k classes, n_c of the n training
    rows being of class c (scikit-learn's 'balanced'); a class absent from the training rows keeps 1."""
    if name == "none":
        return None
    if task != "classification":
        raise UsageError(f"--class-weight {name} weighs classes; this is a regression target")
    counts = np.bincount(prepared["y_train"], minlength=prepared["n_outputs"])
    present = counts > 0
    n, k = counts.sum(), int(present.sum())
    return {c: float(n / (k * counts[c])) for c in range(len(counts)) if present[c]}


def _optimizer(config, network):
    cls, _ = OPTIMIZERS[config["optimizer"]]
    options = {"lr": config["lr"], "weight_decay": config["weight_decay"]}
    if cls in (optim.SGD, optim.RMSprop):
        options["momentum"] = config["momentum"]
    return cls(network.parameters(), **options)


def _describe(network, prepared) -> str:
    sizes = [layer.out_features for layer in network if isinstance(layer, nn.Linear)]
    if all(isinstance(layer, (nn.Linear, nn.Dropout)) or not layer._parameters for layer in network) and sizes:
        return "an MLP " + "-".join(map(str, [prepared["n_features"], *sizes]))
    return f"a network of {network.num_parameters():,} parameters"


# The files a run writes into its folder; a folder holding one of the first three holds a run.
RUN_FILES = (MODEL_FILE, CHECKPOINT_FILE, "metrics.json")
OUTPUT_FILES = (*RUN_FILES, "history.csv", "config.toml", "curves.png", "confusion_matrix.png")


class _Diverged(Exception):
    """Training diverged; the reason is already printed (raised so that the run folder is cleaned up)."""


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse an --out that is a file, or a folder that holds another run (unless --overwrite)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file, not a folder for the run")
    held = [name for name in RUN_FILES if (out / name).exists()]
    if held and not overwrite:
        raise UsageError(f"--out {out} already holds a run ({', '.join(held)}); give another --out, "
                         f"or --overwrite to replace it")


def _make_run_folder(requested, data_name: str, overwrite: bool) -> tuple[Path, bool, Path | None]:
    """(the run folder, whether this run made it, where an earlier run's files were set aside). A
    given --out (checked by :func:`_check_out` before the data was read) has, with --overwrite, an
    earlier run's files moved into a hidden folder in it (so that no file of it is left to mix with
    this run's, and none is lost if this run fails: they come back, see :func:`_clean_up`); the
    default folder is new, with a suffix if a run started in the same second took its name."""
    if requested:
        out = Path(requested)
        created = not out.exists()
        out.mkdir(parents=True, exist_ok=True)
        previous = None
        if overwrite:
            held = [name for name in OUTPUT_FILES if (out / name).exists()]
            if held:
                previous = Path(tempfile.mkdtemp(prefix=".replaced-run-", dir=out))
                for name in held:
                    (out / name).replace(previous / name)
        return out, created, previous
    base = f"runs/{data_name}-{time.strftime('%Y%m%d-%H%M%S')}"
    for number in itertools.count(1):
        out = Path(base if number == 1 else f"{base}-{number}")
        try:
            out.mkdir(parents=True)
        except FileExistsError:
            continue
        return out, True, None


def _stamp(path: Path):
    """(modification time, size) of ``path``, or None: tells whether a run wrote it since."""
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size


def _plots(out, history, results, task, log) -> None:
    from ..plots import PlottingUnavailable, plot_confusion_matrix, plot_history

    try:
        plot_history(history, out / "curves.png", title="Loss per epoch")
        if task == "classification":
            plot_confusion_matrix(results["confusion_matrix"], results["classes"], out / "confusion_matrix.png")
    except PlottingUnavailable as reason:
        log(f"Plots skipped: {reason}.")


def _no_nan(value):
    """``value`` with every NaN replaced by None: JSON has no NaN (an R² of one sample is one)."""
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nan(item) for item in value]
    return value


def _json_default(value):
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, (tuple, np.ndarray)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
