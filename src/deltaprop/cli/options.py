"""The options of ``deltaprop train``, declared once.

One table drives the argument parser, the validation of ``--config FILE.toml`` and the resolved
configuration written into every run folder, so the three can never disagree. Each option has a
parser that turns a command-line string or a TOML value into a checked value, or raises
:class:`UsageError` with one sentence naming the option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..tabular import ACTIVATIONS
from ..training.trainer import OPTIMIZERS

OPTIMIZER_NAMES = tuple(OPTIMIZERS)


class UsageError(Exception):
    """A problem with the command line or the config file (exit code 2)."""


def _number(name: str, value, kind, low=None, high=None, low_open=False, high_open=True):
    if isinstance(value, bool):
        raise UsageError(f"--{name} must be a number, got {value!r}")
    try:
        number = kind(value)
        if kind is int and isinstance(value, float) and value != number:
            raise ValueError
    except (TypeError, ValueError):
        raise UsageError(f"--{name} must be {'an integer' if kind is int else 'a number'}, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise UsageError(f"--{name} must be a finite number, got {value!r}")
    if low is not None and (number < low or (low_open and number == low)):
        bound = f"greater than {low}" if low_open else f"at least {low}"
        raise UsageError(f"--{name} must be {bound}, got {value!r}")
    if high is not None and (number > high or (high_open and number == high)):
        bound = f"less than {high}" if high_open else f"at most {high}"
        raise UsageError(f"--{name} must be {bound}, got {value!r}")
    return number


def positive_int(name):
    return lambda value: _number(name, value, int, low=0, low_open=True)


def positive_float(name):
    return lambda value: _number(name, value, float, low=0.0, low_open=True)


def non_negative_float(name):
    return lambda value: _number(name, value, float, low=0.0)


def fraction(name, allow_zero=True):
    return lambda value: _number(name, value, float, low=0.0, high=1.0, low_open=not allow_zero)


def non_negative_int(name):
    return lambda value: _number(name, value, int, low=0)


def choice(name, choices):
    def parse(value):
        if value not in choices:
            raise UsageError(f"--{name} must be one of {', '.join(choices)}; got {value!r}")
        return value

    return parse


# A bound on one hidden layer's units: past it, two such layers in a row need more bytes than NumPy
# can address, which it reports as a ValueError rather than a MemoryError.
MAX_HIDDEN_SIZE = 1_000_000_000


def hidden_sizes(value):
    """'64,32' (or a TOML list [64, 32]) -> (64, 32); '' or 'none' -> () for no hidden layer."""
    if isinstance(value, (list, tuple)):
        parts = list(value)
    elif isinstance(value, str):
        text = value.strip()
        parts = [] if text.lower() in ("", "none") else [p.strip() for p in text.split(",")]
    else:
        parts = [value]
    sizes = []
    for part in parts:
        # ASCII digits only: str.isdigit() also holds for '²' (which int() refuses) and '٣' (read as 3).
        digits = isinstance(part, str) and part.isascii() and part.isdigit()
        if isinstance(part, bool) or not (isinstance(part, int) or digits) or int(part) <= 0:
            raise UsageError(f"--hidden must be comma-separated positive layer sizes such as 64,32; got {value!r}")
        if int(part) > MAX_HIDDEN_SIZE:
            raise UsageError(f"--hidden sizes must be at most {MAX_HIDDEN_SIZE} units, got {part}")
        sizes.append(int(part))
    return tuple(sizes)


def text(value):
    if not isinstance(value, str):
        raise UsageError(f"expected text, got {value!r}")
    return value


def optional_text(name):
    def parse(value):
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):  # a target column by index
            return str(value)
        raise UsageError(f"--{name} must be text, got {value!r}")

    return parse


def flag(name):
    def parse(value):
        if isinstance(value, bool):
            return value
        raise UsageError(f"{name} must be true or false, got {value!r}")

    return parse


@dataclass(frozen=True)
class Option:
    name: str  # as in the config file and the run's config.toml; the flag is --name with '-' for '_'
    parse: Callable[[Any], Any]
    default: Any
    help: str
    metavar: str | None = None
    is_flag: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


LOSS_NAMES = ("auto", "cross_entropy", "mse", "l1", "huber")

TRAIN_OPTIONS = (
    Option("target", optional_text("target"), None, "target column, by name or 0-based index (default: the last column)", "COL"),
    Option("task", choice("task", ("auto", "classification", "regression")), "auto",
           "classification or regression (default: inferred from the target: text or few distinct integers is classification)"),
    Option("model", choice("model", ("mlp", "cnn")), "mlp", "network: mlp (dense layers) or cnn (the digits CNN; image data only)"),
    Option("hidden", hidden_sizes, (64, 32), "hidden layer sizes of the mlp, comma-separated", "SIZES"),
    Option("activation", choice("activation", tuple(ACTIVATIONS)), "relu", "activation of the hidden layers: " + ", ".join(ACTIVATIONS)),
    Option("dropout", fraction("dropout"), 0.0, "dropout probability after each hidden layer", "P"),
    Option("loss", choice("loss", LOSS_NAMES), "auto", "loss: " + ", ".join(LOSS_NAMES) + " (auto: cross_entropy or mse by task)"),
    Option("optimizer", choice("optimizer", OPTIMIZER_NAMES), "adam", "optimizer: " + ", ".join(OPTIMIZER_NAMES)),
    Option("lr", positive_float("lr"), 1e-3, "learning rate r in w <- w - r*g", "RATE"),
    Option("momentum", non_negative_float("momentum"), 0.9, "momentum (sgd and rmsprop)", "M"),
    Option("weight_decay", non_negative_float("weight-decay"), 0.0, "L2 penalty (weight decay)", "L2"),
    Option("epochs", positive_int("epochs"), 50, "number of passes over the training data", "N"),
    Option("batch_size", positive_int("batch-size"), 32, "samples per mini-batch", "N"),
    Option("val_split", fraction("val-split"), 0.1, "fraction of the training data held out for validation curves and early stopping", "F"),
    Option("test_split", fraction("test-split", allow_zero=False), 0.2, "fraction of the data held out for the final metrics", "F"),
    Option("class_weight", choice("class-weight", ("none", "balanced")), "none",
           "none, or balanced: weigh each class's training samples by n / (classes x its count), scikit-learn's "
           "rule, so a rare class counts as much as a common one (classification only)", "WEIGHTS"),
    Option("early_stopping", non_negative_int("early-stopping"), 0, "stop after this many epochs without improvement of val_loss (0: off)", "PATIENCE"),
    Option("seed", non_negative_int("seed"), 0, "random seed: the same seed repeats a run exactly", "N"),
    Option("drop_missing", flag("--drop-missing"), False, "drop rows with empty, NaN or infinite cells instead of refusing the file", is_flag=True),
)

OPTIONS_BY_NAME = {option.name: option for option in TRAIN_OPTIONS}
