"""Preprocessing with scikit-learn's conventions: ``StandardScaler``, ``LabelEncoder``, ``one_hot``.

``fit`` learns (attributes ending in ``_``) and returns ``self``; ``transform`` applies. Both
classes turn into plain dicts of lists (``to_dict``/``from_dict``) so a model file can carry them
in its JSON metadata and a prediction months later scales and decodes exactly as training did.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError
from .csv import _is_number

# A column whose standard deviation is below this (relative to its mean) is treated as constant:
# rounding in the mean leaves a tiny non-zero spread there, and dividing by it would blow noise up.
_CONSTANT_TOLERANCE = 10 * np.finfo(np.float64).eps


def _features(X, where: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 2:
        raise DataError(f"{where}: expected a 2-D array (samples, features), got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise DataError(f"{where}: expected numbers, got dtype {X.dtype}")
    return X


class StandardScaler:
    """Centre each feature on 0 and scale it to unit variance: ``(x - mean_) / scale_``.

    ``scale_`` is the population standard deviation (ddof=0, as scikit-learn), 1 for a constant
    column so that column becomes all zeros instead of NaN. The output keeps a float input's dtype
    (float32 stays float32); integer input becomes float32.
    """

    def __init__(self):
        self.mean_ = None
        self.scale_ = None

    def fit(self, X) -> "StandardScaler":
        X = _features(X, "StandardScaler.fit")
        if len(X) == 0:
            raise DataError("StandardScaler.fit: X holds no samples")
        # Statistics in float64 whatever the input: float32 sums over 100k rows lose digits.
        X64 = X.astype(np.float64)
        if not np.isfinite(X64).all():
            column = int(np.flatnonzero(~np.isfinite(X64).all(axis=0))[0])
            raise DataError(f"StandardScaler.fit: X holds NaN or infinite values (the first in column {column})")
        mean = X64.mean(axis=0)
        std = X64.std(axis=0)
        std[std <= _CONSTANT_TOLERANCE * np.maximum(np.abs(mean), 1.0)] = 1.0
        self.mean_, self.scale_ = mean, std
        return self

    def transform(self, X) -> np.ndarray:
        X = self._checked(X, "transform")
        return ((X - self.mean_) / self.scale_).astype(_output_dtype(X))

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, X) -> np.ndarray:
        X = self._checked(X, "inverse_transform")
        return (X * self.scale_ + self.mean_).astype(_output_dtype(X))

    def _checked(self, X, method: str) -> np.ndarray:
        if self.mean_ is None:
            raise ConfigError(f"StandardScaler.{method}: the scaler is not fitted yet; call fit(X) first")
        X = _features(X, f"StandardScaler.{method}")
        if X.shape[1] != len(self.mean_):
            raise DataError(
                f"StandardScaler.{method}: the scaler was fitted on {len(self.mean_)} features, "
                f"got {X.shape[1]}"
            )
        return X

    @property
    def n_features_in_(self) -> int:
        return len(self.mean_)

    def to_dict(self) -> dict:
        """Plain, JSON-serialisable state (float64 values survive a JSON round trip exactly)."""
        if self.mean_ is None:
            raise ConfigError("StandardScaler.to_dict: the scaler is not fitted yet; call fit(X) first")
        return {"type": "StandardScaler", "mean": self.mean_.tolist(), "scale": self.scale_.tolist()}

    @classmethod
    def from_dict(cls, state: dict) -> "StandardScaler":
        _check_state(state, "StandardScaler", ("mean", "scale"))
        mean = np.asarray(state["mean"], dtype=np.float64)
        scale = np.asarray(state["scale"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != scale.shape or not (scale > 0).all():
            raise DataError(
                "StandardScaler.from_dict: 'mean' and 'scale' must be lists of equal length with positive "
                f"scales, got {len(state['mean'])} and {len(state['scale'])} values"
            )
        if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
            raise DataError("StandardScaler.from_dict: 'mean' and 'scale' must be finite numbers, got NaN or infinity")
        scaler = cls()
        scaler.mean_, scaler.scale_ = mean, scale
        return scaler

    def __repr__(self) -> str:
        fitted = f"n_features={len(self.mean_)}" if self.mean_ is not None else "not fitted"
        return f"StandardScaler({fitted})"


def _output_dtype(X: np.ndarray) -> np.dtype:
    return X.dtype if X.dtype.kind == "f" else np.dtype(np.float32)


def _check_state(state, kind: str, keys: tuple) -> None:
    if not isinstance(state, dict) or state.get("type") != kind or any(k not in state for k in keys):
        raise DataError(
            f"{kind}.from_dict: expected a dict with 'type': {kind!r} and the keys {', '.join(keys)}, "
            f"got {state!r:.200}"
        )


class LabelEncoder:
    """Map class labels (strings or integers) to ``0 .. n_classes - 1`` and back.

    ``classes_`` holds the labels sorted, as scikit-learn does; label ``classes_[k]`` encodes to ``k``.
    """

    def __init__(self):
        self.classes_ = None

    def fit(self, labels) -> "LabelEncoder":
        labels = _labels(labels, "LabelEncoder.fit")
        if len(labels) == 0:
            raise DataError("LabelEncoder.fit: got no labels")
        self.classes_ = np.unique(labels)
        return self

    def transform(self, labels) -> np.ndarray:
        """The int64 code of every label; an unseen label raises DataError naming it."""
        classes = self._fitted("transform")
        labels = _labels(labels, "LabelEncoder.transform")
        if len(labels) == 0:
            return np.zeros(0, dtype=np.int64)
        if (labels.dtype.kind == "U") != (classes.dtype.kind == "U"):
            unseen = np.ones(len(labels), dtype=bool)  # numbers never match names, nor names numbers
            codes = None
            if labels.dtype.kind == "U":
                # A column of class numbers is read as text when one cell is not a number: name
                # that cell, not a '1' that is text only because of it.
                odd = np.array([not _is_number(label) for label in labels.tolist()])
                if odd.any():
                    unseen = odd
        else:
            codes = np.clip(np.searchsorted(classes, labels), 0, len(classes) - 1)
            unseen = classes[codes] != labels
        if unseen.any():
            first = labels[np.flatnonzero(unseen)[0]].item()
            raise DataError(
                f"LabelEncoder.transform: label {first!r} was not seen in fit "
                f"({int(unseen.sum())} of {len(labels)} labels are new); the known labels are "
                f"{_list_labels(classes)}"
            )
        return codes.astype(np.int64)

    def fit_transform(self, labels) -> np.ndarray:
        return self.fit(labels).transform(labels)

    def inverse_transform(self, codes) -> np.ndarray:
        classes = self._fitted("inverse_transform")
        codes = np.asarray(codes)
        if codes.dtype.kind not in "iu" or (codes.size and (codes.min() < 0 or codes.max() >= len(classes))):
            raise DataError(
                f"LabelEncoder.inverse_transform: codes must be integers from 0 to {len(classes) - 1}, "
                f"got dtype {codes.dtype}" + (f" with values {codes.min()} to {codes.max()}" if codes.size else "")
            )
        return classes[codes]

    def _fitted(self, method: str) -> np.ndarray:
        if self.classes_ is None:
            raise ConfigError(f"LabelEncoder.{method}: the encoder is not fitted yet; call fit(labels) first")
        return self.classes_

    def to_dict(self) -> dict:
        classes = self._fitted("to_dict")
        return {"type": "LabelEncoder", "classes": classes.tolist()}

    @classmethod
    def from_dict(cls, state: dict) -> "LabelEncoder":
        _check_state(state, "LabelEncoder", ("classes",))
        encoder = cls()
        classes = _labels(state["classes"], "LabelEncoder.from_dict")
        # np.unique sorts and removes repeats: equal to its input only for distinct, sorted labels.
        if len(classes) == 0 or not np.array_equal(np.unique(classes), classes):
            raise DataError(
                "LabelEncoder.from_dict: 'classes' must be a non-empty list of distinct, sorted labels"
            )
        encoder.classes_ = classes
        return encoder

    def __repr__(self) -> str:
        fitted = f"classes={_list_labels(self.classes_)}" if self.classes_ is not None else "not fitted"
        return f"LabelEncoder({fitted})"


def _labels(labels, where: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise DataError(f"{where}: expected a 1-D array of labels, got shape {labels.shape}")
    if labels.dtype.kind not in "biufU":
        raise DataError(f"{where}: labels must be strings or numbers, got dtype {labels.dtype}")
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise DataError(f"{where}: labels include NaN or infinity")
    return labels


def _list_labels(classes: np.ndarray, limit: int = 20) -> str:
    shown = ", ".join(repr(c) for c in classes[:limit].tolist())
    return shown + (f", ... ({len(classes)} in all)" if len(classes) > limit else "")


def one_hot(labels, n_classes: int | None = None) -> np.ndarray:
    """float32 rows with a 1 in column ``labels[i]`` (integers from 0 to ``n_classes - 1``).

    ``n_classes=None`` takes ``max(labels) + 1``; give it explicitly when a batch may miss classes.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(
            f"one_hot: labels must be a 1-D array of integers, got dtype {labels.dtype} shape {labels.shape}"
        )
    if n_classes is None:
        n_classes = int(labels.max()) + 1 if labels.size else 0
    elif isinstance(n_classes, (bool, np.bool_)) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ConfigError(f"one_hot: n_classes must be a positive integer, got {n_classes!r}")
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"one_hot: label {labels[i]} at position {i} is outside 0 to {n_classes - 1}")
    out = np.zeros((len(labels), n_classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out

