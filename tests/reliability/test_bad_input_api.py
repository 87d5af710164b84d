"""The bad-input corpus through the Python API: ``fit``/``evaluate``/``predict``, the optimizers, the
table model, ``load_npz`` and model files. (Reading bad CSV files through ``load_csv`` is proven
cell by cell in tests/test_csv_errors.py and is not repeated here.)

Each case raises the library's own error type with one sentence that names the argument, option,
sample, column or file at fault.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, NamedTuple

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.data import load_csv, load_npz
from deltaprop.errors import ConfigError, DataError, ModelFileError, ShapeError
from deltaprop.serialization import load
from deltaprop.tabular import TabularModel, build_mlp


class Case(NamedTuple):
    id: str
    call: Callable[[Any], Any]  # receives the context below
    error: type
    message: tuple  # substrings of the message


def _with(array, index, value):
    array = np.array(array, dtype=np.float64)
    array[index] = value
    return array


def fit(c, X=None, y=None, **options):
    options = {"loss": "cross_entropy", "optimizer": "adam", "epochs": 1, "verbose": 0, **options}
    return dp.fit(c.network(), c.X if X is None else X, c.y if y is None else y, **options)


def fit_regression(c, y, **options):
    return dp.fit(nn.Linear(3, 1), c.X, y, loss="mse", optimizer="sgd", epochs=1, verbose=0, **options)


VALID_LOSSES = "cross_entropy, mse, l1, mae, huber, bce, bce_with_logits, nll"
VALID_OPTIMIZERS = "sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam, radam"
VALID_ACTIVATIONS = ("relu, tanh, sigmoid, leaky_relu, gelu, elu, silu, softplus, mish, selu, celu, hardtanh, "
                     "relu6, prelu, logsigmoid, softsign, hardswish, hardsigmoid, tanhshrink")

CASES = [
    # -- values that would otherwise pass for divergence
    Case("NaN feature", lambda c: fit(c, X=_with(c.X, (3, 1), np.nan)), DataError,
         ("fit: X holds NaN or infinite values in 1 sample (the first is sample 3)",)),
    Case("infinite features", lambda c: fit(c, X=_with(_with(c.X, (5, 0), np.inf), (9, 2), -np.inf)), DataError,
         ("fit: X holds NaN or infinite values in 2 samples (the first is sample 5)",)),
    Case("feature overflows float32", lambda c: fit(c, X=_with(c.X, (2, 0), 1e39)), DataError,
         ("fit: X holds values too large for float32 (the first in sample 2)",)),
    Case("NaN regression target", lambda c: fit_regression(c, _with(c.X[:, 0], 4, np.nan)), DataError,
         ("fit: y holds NaN or infinite values in 1 sample (the first is sample 4)",)),
    Case("regression target overflows float32", lambda c: fit_regression(c, _with(c.X[:, 0], 6, -1e40)), DataError,
         ("fit: y holds values too large for float32 (the first in sample 6)",)),
    Case("NaN in the validation data",
         lambda c: fit(c, validation_data=(_with(c.X[:10], (0, 0), np.nan), c.y[:10])), DataError,
         ("X holds NaN or infinite values in 1 sample (the first is sample 0)",)),
    Case("NaN at evaluate",
         lambda c: dp.evaluate(c.network(), _with(c.X, (1, 1), np.nan), c.y, loss="cross_entropy"), DataError,
         ("X holds NaN or infinite values",)),
    Case("features that are text", lambda c: fit(c, X=np.array([["a", "b", "c"]] * len(c.X))), DataError,
         ("fit: features must be numbers, got an array of dtype <U1",)),
    Case("features and labels of different lengths", lambda c: fit(c, y=c.y[:-1]), DataError,
         ("fit: X has 60 samples but y has 59",)),
    Case("evaluate with labels of a different length",
         lambda c: dp.evaluate(c.network(), c.X, c.y[:1], loss="cross_entropy"), DataError,
         ("evaluate: X has 60 samples but y has 1 sample",)),
    Case("validation data of different lengths", lambda c: fit(c, validation_data=(c.X[:10], c.y[:9])), DataError,
         ("fit (validation_data): X has 10 samples but y has 9",)),
    Case("validation data of no samples", lambda c: fit(c, validation_data=(c.X[:0], c.y[:0])), DataError,
         ("fit: validation_data holds no samples",)),
    Case("evaluate on no samples (its loss would be a made-up 0)",
         lambda c: dp.evaluate(c.network(), c.X[:0], c.y[:0], loss="cross_entropy"), DataError,
         ("evaluate: there are no samples",)),
    Case("predict on text", lambda c: dp.predict(c.network(), np.array([["a", "b", "c"]])), DataError,
         ("predict: features must be numbers, got an array of dtype <U1",)),
    Case("a single number as labels", lambda c: fit(c, y=np.array(1)), DataError,
         ("fit: X and y need one row per sample, got shapes (60, 3) and ()",)),
    Case("label outside the classes", lambda c: fit(c, y=np.where(c.y == 2, 7, c.y)), DataError,
         ("class label 7 is outside [0, 3) for 3 classes",)),
    # -- options
    Case("lr not a number", lambda c: optim.SGD(c.network().parameters(), lr=float("nan")), ConfigError,
         ("SGD: lr must be non-negative, got nan",)),
    Case("lr negative", lambda c: optim.Adam(c.network().parameters(), lr=-1e-3), ConfigError,
         ("Adam: lr must be non-negative, got -0.001",)),
    Case("batch size zero", lambda c: fit(c, batch_size=0), ConfigError, ("batch_size must be a positive integer, got 0",)),
    Case("batch size negative", lambda c: fit(c, batch_size=-8), ConfigError,
         ("batch_size must be a positive integer, got -8",)),
    Case("epochs zero", lambda c: fit(c, epochs=0), ConfigError, ("epochs must be a positive integer, got 0",)),
    Case("unknown loss", lambda c: fit(c, loss="hinge"), ConfigError,
         (f"unknown loss 'hinge'; choose one of {VALID_LOSSES}",)),
    Case("unknown optimizer", lambda c: fit(c, optimizer="lbfgs"), ConfigError,
         (f"unknown optimizer 'lbfgs'; choose one of {VALID_OPTIMIZERS}",)),
    Case("unknown activation", lambda c: build_mlp(3, (8,), 3, activation="swish"), ConfigError,
         (f"unknown activation 'swish'; choose one of {VALID_ACTIVATIONS}",)),
    Case("hidden size zero", lambda c: build_mlp(3, (8, 0), 3), ConfigError,
         ("Linear: out_features must be a positive integer, got 0",)),
    Case("hidden size as text", lambda c: build_mlp(3, ("big",), 3), ConfigError,
         ("Linear: out_features must be a positive integer, got 'big'",)),
    # -- predicting and evaluating with a saved table model
    Case("wrong number of features", lambda c: c.model().predict(c.X[:4, :2]), DataError,
         ("the model expects 3 features per row, got data of shape (4, 2)",)),
    Case("wrong number of features, plain network", lambda c: dp.predict(c.network(), c.X[:, :2]), ShapeError,
         ("Linear(3 -> 8) expected input of shape (N, 3), got shape (60, 2)",)),
    Case("label never seen in training", lambda c: c.model().evaluate(c.X[:2], np.array(["setosa", "tulip"])),
         DataError, ("column 'species': label 'tulip' was not seen in fit",)),
    # -- files
    Case("npz of Python objects", lambda c: load_npz(c.corpus / "objects.npz"), DataError,
         ("objects.npz: array 'X' holds Python objects (dtype=object), which deltaprop never unpickles",)),
    Case("npz that is not an archive", lambda c: load_npz(c.corpus / "not_an_archive.npz"), DataError,
         ("not_an_archive.npz: is not a NumPy .npz archive",)),
    Case("model file is a directory", lambda c: TabularModel.load(c.corpus / "a_folder.csv"), ModelFileError,
         ("a_folder.csv: is a directory, not a model file",)),
    Case("model header longer than the file", lambda c: load(c.corpus / "long_header.safetensors"), ModelFileError,
         ("long_header.safetensors: the header claims 1000000 bytes",)),
    Case("model of random bytes", lambda c: TabularModel.load(c.corpus / "random.safetensors"), ModelFileError,
         ("random.safetensors: ",)),
    Case("model truncated", lambda c: TabularModel.load(c.corpus / "truncated.safetensors"), ModelFileError,
         ("truncated.safetensors: the header claims",)),
]


@pytest.fixture(scope="module")
def context(corpus):
    table = load_csv(corpus / "flowers.csv", target="species")
    codes = np.unique(table.y, return_inverse=True)[1]

    def network():
        dp.manual_seed(0)
        return build_mlp(3, (8,), 3)

    return SimpleNamespace(corpus=corpus, X=table.X, y=codes, network=network,
                           model=lambda: TabularModel.load(corpus / "model.safetensors"))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_through_the_api(case, context):
    with pytest.raises(case.error) as caught:
        case.call(context)
    message = str(caught.value)
    missing = [part for part in case.message if part not in message]
    assert not missing, f"{missing} not in {message!r}"
    assert "\n" not in message


def test_dropping_missing_rows_says_how_many(corpus):
    table = load_csv(corpus / "missing.csv", target="species", drop_missing=True)
    assert table.n_dropped == 2 and len(table) == 58
    assert np.isfinite(table.X).all()


def test_case_ids_are_unique():
    assert len({case.id for case in CASES}) == len(CASES)
