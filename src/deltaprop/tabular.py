"""A network together with what it needs to read a table: ``TabularModel``.

The command line trains on rows of numbers with a target column. What it saves must predict from
the same kind of rows later, without the code that trained it: the feature names (to find and
order the columns), the scaler fitted on the training split, the mapping between class names and
the network's output indices, and for regression the scaling of the target. All of it travels in
the model file's JSON metadata next to the safetensors weights.
"""

from __future__ import annotations

import warnings
import numpy as np

from . import nn
from .nn.activation import ELEMENTWISE
from .data import LabelEncoder, StandardScaler
from .errors import ConfigError, DataError, DeltapropError, ModelFileError
from .grad_mode import no_grad
from .tensor import Tensor
from .training import metrics

TASKS = ("classification", "regression")
ACTIVATIONS = ELEMENTWISE
_MAX_CLASSES_FOR_INTEGERS = 20


def infer_task(y: np.ndarray) -> str:
    """Classification for class names, or for whole numbers with few distinct values (at most 20,
    and at most a fifth of the rows, or numbered as classes are: every whole number from 0 or 1
    up to the largest, in at least twice as many rows, as a small file of labels 0, 1, 2 is); else
    regression."""
    if y.dtype.kind in "USO":
        return "classification"
    values = np.unique(y)
    whole = y.dtype.kind in "iub" or bool(np.all(values == np.round(values)))
    numbered = (len(values) >= 2 and values[0] in (0, 1) and values[-1] - values[0] == len(values) - 1
                and len(y) >= 2 * len(values))  # (and rows enough for two of each, on average)
    few = len(values) <= _MAX_CLASSES_FOR_INTEGERS and (numbered or len(values) <= max(2, len(y) // 5))
    return "classification" if whole and few else "regression"


def build_mlp(n_inputs: int, hidden: tuple, n_outputs: int, activation: str = "relu", dropout: float = 0.0) -> nn.Sequential:
    """Linear → activation (→ Dropout) for each hidden size, then a Linear output layer."""
    if activation not in ACTIVATIONS:
        raise ConfigError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    layers = []
    width = n_inputs
    for size in hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


class TabularModel:
    """A trained network plus its feature scaler, class names and settings."""

    def __init__(self, network, task: str, feature_names: list, target_name: str, scaler: StandardScaler,
                 encoder: LabelEncoder | None = None, target_scaler: StandardScaler | None = None,
                 input_shape: tuple | None = None, settings: dict | None = None):
        if task not in TASKS:
            raise ConfigError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
        self.network = network
        self.task = task
        self.feature_names = list(feature_names)
        self.target_name = target_name
        self.scaler = scaler
        self.encoder = encoder
        self.target_scaler = target_scaler
        self.input_shape = tuple(input_shape) if input_shape else None
        self.settings = settings or {}

    @property
    def classes(self) -> list | None:
        return None if self.encoder is None else self.encoder.classes_.tolist()

    # -- preparing inputs --------------------------------------------------------------------

    def features(self, X: np.ndarray) -> np.ndarray:
        """Scaled features, shaped as the network expects (images for a CNN)."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise DataError(f"the model expects {len(self.feature_names)} features per row, got data of shape {X.shape}")
        X = self.scaler.transform(X)
        if self.input_shape:
            X = X.reshape((len(X), *self.input_shape))
        return X

    def _class_codes(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        if self.encoder.classes_.dtype.kind == "U" and y.dtype.kind in "iuf":
            # Class names that look like numbers ('1', '2' beside 'x' in training): a file holding
            # only those has them read as numbers.
            y = y.astype(str)
        try:
            return self.encoder.transform(y)
        except DataError as error:
            # Say it in the user's terms: a class of the target column that training never saw.
            detail = str(error).split(": ", 1)[-1]
            raise DataError(f"column {self.target_name!r}: {detail}") from None

    def encode_target(self, y: np.ndarray) -> np.ndarray:
        """Targets as the network is trained on: class indices, or scaled values as a column."""
        if self.task == "classification":
            return self._class_codes(y)
        y = np.asarray(y, dtype=np.float32).reshape(-1, 1)
        return self.target_scaler.transform(y) if self.target_scaler is not None else y

    # -- predicting ------------------------------------------------------------------------------

    def outputs(self, X: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        X = self.features(X)
        self.network.eval()
        with no_grad():
            parts = [self.network(Tensor._wrap(X[i : i + batch_size])).data for i in range(0, len(X), batch_size)]
        return np.concatenate(parts) if parts else np.empty((0,))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if self.task != "classification":
            raise ConfigError("class probabilities exist only for a classification model; this one does regression")
        logits = self.outputs(X)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class names (as in the training file) or values in the target's own units."""
        out = self.outputs(X)
        if self.task == "classification":
            return self.encoder.inverse_transform(out.argmax(axis=1))
        if self.target_scaler is not None:
            out = self.target_scaler.inverse_transform(out)
        return out.reshape(-1)

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> dict:
        """Metrics on (X, y): accuracy, macro precision/recall/F1 and the confusion matrix, or MAE/RMSE/R²."""
        if self.task == "classification":
            truth = self._class_codes(y)
            predicted = self.outputs(X).argmax(axis=1)
            return {
                "samples": int(len(truth)),
                "accuracy": metrics.accuracy(truth, predicted),
                "precision": metrics.precision(truth, predicted),
                "recall": metrics.recall(truth, predicted),
                "f1": metrics.f1(truth, predicted),
                "confusion_matrix": metrics.confusion_matrix(truth, predicted, len(self.classes)).tolist(),
                "classes": [str(c) for c in self.classes],
            }
        if np.asarray(y).dtype.kind not in "biuf":
            raise DataError(f"column {self.target_name!r} holds text, not the numbers this regression model predicts")
        predicted = self.predict(X)
        truth = np.asarray(y, dtype=np.float64).reshape(-1)
        return {
            "samples": int(len(truth)),
            "mae": metrics.mae(truth, predicted),
            "rmse": metrics.rmse(truth, predicted),
            "r2": metrics.r2(truth, predicted),
        }

    # -- files ---------------------------------------------------------------------------------

    def metadata(self) -> dict:
        return {
            "tabular": {
                "task": self.task,
                "feature_names": self.feature_names,
                "target_name": self.target_name,
                "scaler": self.scaler.to_dict(),
                "encoder": None if self.encoder is None else self.encoder.to_dict(),
                "target_scaler": None if self.target_scaler is None else self.target_scaler.to_dict(),
                "input_shape": list(self.input_shape) if self.input_shape else None,
            },
            "settings": self.settings,
        }

    def save(self, path) -> None:
        """The network in evaluation mode (a model file is for predicting: ``deltaprop.load`` gives it
        back with dropout off), with the table's metadata."""
        from .serialization import save

        modes = [(module, module.training) for module in self.network.modules()]
        self.network.eval()
        try:
            save(self.network, path, metadata=self.metadata())
        finally:
            for module, training in modes:
                object.__setattr__(module, "training", training)

    @classmethod
    def from_metadata(cls, network, metadata: dict, where="model file") -> "TabularModel":
        """The model described by a file's ``metadata`` around its ``network``, checked: a file is
        untrusted, so anything that does not fit together is a ModelFileError here rather than a
        crash (or a wrong answer) at predict time."""
        info = metadata.get("tabular") if isinstance(metadata, dict) else None
        if not isinstance(info, dict):
            raise ModelFileError(f"{where}: a model without table metadata (it was not saved by `deltaprop train`)")
        try:
            model = cls(
                network,
                task=info["task"],
                feature_names=info["feature_names"],
                target_name=info["target_name"],
                scaler=StandardScaler.from_dict(info["scaler"]),
                encoder=None if info.get("encoder") is None else LabelEncoder.from_dict(info["encoder"]),
                target_scaler=None if info.get("target_scaler") is None else StandardScaler.from_dict(info["target_scaler"]),
                input_shape=info.get("input_shape"),
                settings=metadata.get("settings") or {},
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFileError(f"{where}: the table metadata is malformed ({error})") from None
        problem = model._inconsistency()
        if problem:
            raise ModelFileError(f"{where}: the table metadata does not fit the network: {problem}")
        return model

    def _inconsistency(self) -> str | None:
        """What in the metadata contradicts the rest or the network, or None when all fits."""
        names = self.feature_names
        if not names or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
            return "the feature names are not a list of distinct column names"
        if not isinstance(self.target_name, str) or not self.target_name:
            return f"the target name {self.target_name!r} is not a column name"
        if not isinstance(self.settings, dict) or not isinstance(self.settings.get("config", {}), dict):
            return "the training settings are not a JSON object"
        if len(self.scaler.mean_) != len(names):
            return f"the scaler holds {len(self.scaler.mean_)} features for {len(names)} feature names"
        if (self.task == "classification") != (self.encoder is not None):
            return f"a {self.task} model {'without' if self.encoder is None else 'with'} class names"
        if self.target_scaler is not None and len(self.target_scaler.mean_) != 1:
            return "the target scaler is not for one column"
        if self.input_shape is not None and (
            not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in self.input_shape)
            or int(np.prod(self.input_shape)) != len(names)
        ):
            return f"the input shape {list(self.input_shape)} does not hold {len(names)} features"
        # One row of zeros through the network: it must take the features and give one output per
        # class (or one value), as predict will ask of it.
        expected = len(self.classes) if self.encoder is not None else 1
        try:
            shape = self.outputs(np.zeros((1, len(names)), dtype=np.float32)).shape
        except (DeltapropError, ValueError, TypeError) as error:
            return f"it does not take {len(names)} features ({error})"
        if shape != (1, expected):
            return f"it gives outputs of shape {shape[1:]} per row, where {expected} are needed"
        return None

    @classmethod
    def load(cls, path) -> "TabularModel":
        from .serialization import load_model

        with warnings.catch_warnings():
            # load() only warns of weights that are not finite; for predictions they are an error.
            warnings.filterwarnings("ignore", message=".*holds NaN or infinite values", category=RuntimeWarning)
            network = load_model(path)
        for name, parameter in network.named_parameters():
            if not np.isfinite(parameter.data).all():
                raise ModelFileError(f"{path}: parameter {name} holds NaN or infinite values (a damaged file, or a "
                                     "model saved after it diverged), so its predictions would be NaN")
        return cls.from_metadata(network, network.metadata, where=path)
