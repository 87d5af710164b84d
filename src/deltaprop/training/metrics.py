"""Metrics on NumPy arrays: accuracy, precision, recall, F1 (macro), confusion matrix, MAE, RMSE, R².

Classification metrics take true and predicted class labels (integers 0..C−1); regression metrics
take true and predicted values. ``METRICS`` maps the names accepted by ``fit(metrics=[...])`` to
the function, to whether it needs labels or values, and to its accumulator, which gives the same
value batch by batch (weighted by sample weights, for ``weighted_metrics``).
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import numpy as np

from ..errors import ShapeError


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class i predicted as class j."""
    y_true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if n_classes is None:
        n_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def accuracy(y_true, y_pred) -> float:
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    return float(np.mean(y_true == y_pred)) if y_true.size else float("nan")


def _per_class(matrix):
    true_positive = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    # Macro averages run over the classes that occur in y_true or in y_pred (scikit-learn's rule):
    # a class predicted but never true is a mistake the average must see.
    present = (actual > 0) | (predicted > 0)
    return true_positive, predicted, actual, present


def precision_of(matrix) -> float:
    """Macro precision of a confusion matrix (counts, or sums of sample weights)."""
    tp, predicted, _, present = _per_class(matrix)
    per_class = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    return float(per_class[present].mean()) if present.any() else float("nan")


def recall_of(matrix) -> float:
    """Macro recall of a confusion matrix (counts, or sums of sample weights)."""
    tp, _, actual, present = _per_class(matrix)
    per_class = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    return float(per_class[present].mean()) if present.any() else float("nan")


def f1_of(matrix) -> float:
    """Macro F1 of a confusion matrix (counts, or sums of sample weights)."""
    tp, predicted, actual, present = _per_class(matrix)
    p = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    r = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    per_class = np.divide(2 * p * r, p + r, out=np.zeros_like(tp), where=(p + r) > 0)
    return float(per_class[present].mean()) if present.any() else float("nan")


def precision(y_true, y_pred) -> float:
    """Macro precision: the mean over classes of TP / (TP + FP); 0 for a class never predicted."""
    return precision_of(confusion_matrix(y_true, y_pred))


def recall(y_true, y_pred) -> float:
    """Macro recall: the mean over classes of TP / (TP + FN); 0 for a class that never occurs."""
    return recall_of(confusion_matrix(y_true, y_pred))


def f1(y_true, y_pred) -> float:
    """Macro F1: the mean over classes of 2·P·R / (P + R)."""
    return f1_of(confusion_matrix(y_true, y_pred))


def _values(y_true, y_pred):
    """Both as float64 of y_true's shape: a (N, 1) output against (N,) targets must not broadcast
    into an (N, N) table of differences."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_pred.size != y_true.size:
        raise ShapeError(f"regression metric: y_true has {y_true.size} values but y_pred has {y_pred.size}")
    return y_true, y_pred.reshape(y_true.shape)


def mae(y_true, y_pred) -> float:
    """Mean absolute error."""
    y_true, y_pred = _values(y_true, y_pred)
    return float(np.mean(np.abs(y_pred - y_true)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error (of each output column, then averaged over the columns)."""
    y_true, y_pred = _values(y_true, y_pred)
    diff = y_pred - y_true
    return float(np.mean(np.sqrt(np.mean(diff * diff, axis=0))))


def mse(y_true, y_pred) -> float:
    """Mean squared error over every output."""
    y_true, y_pred = _values(y_true, y_pred)
    diff = y_pred - y_true
    return float(np.mean(diff * diff))


def r2(y_true, y_pred) -> float:
    """Coefficient of determination 1 − SS_res / SS_tot (averaged over output columns).

    A constant target column (SS_tot = 0) scores 1 when predicted exactly and 0 otherwise; fewer
    than two samples have no R² (NaN), as in scikit-learn.
    """
    y_true, y_pred = _values(y_true, y_pred)
    if y_true.shape[0] < 2:
        return float("nan")
    residual = ((y_true - y_pred) ** 2).sum(axis=0)
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    constant = np.where(residual == 0, 1.0, 0.0)
    scores = np.where(total > 0, 1 - residual / np.where(total > 0, total, 1), constant)
    return float(np.mean(scores))


# -- the same metrics accumulated batch by batch ------------------------------------------------------
#
# Keras' stateful metrics: each batch adds its counts or sums to a state, and the value of every
# batch so far can be read at any time from that state alone, without keeping the outputs. Each
# update takes ``w``, the samples' weights broadcast to ``y_true``'s shape, or None (every value
# counts once); a weighted value is then Σ w·v / Σ w, Keras' ``weighted_metrics``.


class MeanOf:
    """The mean of ``values(y_true, y_pred)`` over everything seen: accuracy (the hits), MAE, MSE."""

    def __init__(self, values):
        self.values = values
        self.total, self.weight = 0.0, 0.0

    def update(self, y_true, y_pred, w) -> None:
        v = self.values(y_true, y_pred)
        if w is None:
            self.total += float(v.sum())
            self.weight += v.size
        else:
            w = np.broadcast_to(w, v.shape)  # a sample's weight on each of its values
            self.total += float((w * v).sum())
            self.weight += float(w.sum())

    def result(self) -> float:
        return self.total / self.weight if self.weight else float("nan")

    def state_dict(self) -> dict:
        return {"total": self.total, "weight": self.weight}

    def load_state_dict(self, state: dict) -> None:
        self.total, self.weight = float(state["total"]), float(state["weight"])


def _hits(y_true, y_pred):
    return np.asarray(y_true).reshape(-1) == np.asarray(y_pred).reshape(-1)


def _absolute_errors(y_true, y_pred):
    y_true, y_pred = _values(y_true, y_pred)
    return np.abs(y_pred - y_true)


def _squared_errors(y_true, y_pred):
    y_true, y_pred = _values(y_true, y_pred)
    diff = y_pred - y_true
    return diff * diff


class ConfusionCounts:
    """A confusion matrix of every batch so far (weighted: sums of weights), scored by ``score``."""

    def __init__(self, score):
        self.score = score
        self.matrix = np.zeros((0, 0))

    def update(self, y_true, y_pred, w) -> None:
        y_true = np.asarray(y_true, dtype=np.int64).reshape(-1)
        y_pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
        n = max(int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1, len(self.matrix))
        if n > len(self.matrix):  # a class first seen in this batch
            grown = np.zeros((n, n))
            grown[: len(self.matrix), : len(self.matrix)] = self.matrix
            self.matrix = grown
        weights = None if w is None else np.asarray(w, dtype=np.float64).reshape(-1)
        self.matrix += np.bincount(y_true * n + y_pred, weights=weights, minlength=n * n).reshape(n, n)

    def result(self) -> float:
        return self.score(self.matrix)

    def state_dict(self) -> dict:
        return {"matrix": self.matrix}

    def load_state_dict(self, state: dict) -> None:
        self.matrix = np.array(state["matrix"], dtype=np.float64).reshape(len(state["matrix"]), -1)


class RootMeanSquare:
    """RMSE of each output column over every batch so far, averaged over the columns (``rmse``)."""

    def __init__(self):
        self.squares, self.weight = 0.0, 0.0

    def update(self, y_true, y_pred, w) -> None:
        squares = _squared_errors(y_true, y_pred)
        if w is None:
            self.squares = self.squares + squares.sum(axis=0)
            self.weight += len(squares)
        else:
            self.squares = self.squares + (w * squares).sum(axis=0)
            self.weight += float(w.reshape(len(w), -1)[:, 0].sum())

    def result(self) -> float:
        if not self.weight:
            return float("nan")
        return float(np.mean(np.sqrt(self.squares / self.weight)))

    def state_dict(self) -> dict:
        return {"squares": np.atleast_1d(np.asarray(self.squares, dtype=np.float64)), "weight": self.weight}

    def load_state_dict(self, state: dict) -> None:
        self.squares, self.weight = np.asarray(state["squares"], dtype=np.float64), float(state["weight"])


class Determination:
    """R² of every batch so far (``r2``). The spread of the targets around their (weighted) mean is
    merged batch by batch as Chan et al. merge variances, which stays exact where Σy² − (Σy)²/n
    would cancel catastrophically."""

    def __init__(self):
        self.samples, self.weight, self.mean, self.spread, self.residual = 0, 0.0, 0.0, 0.0, 0.0

    def update(self, y_true, y_pred, w) -> None:
        y_true, y_pred = _values(y_true, y_pred)
        diff = y_true - y_pred
        if w is None:
            weight = float(len(y_true))
            mean = y_true.mean(axis=0)
            spread = ((y_true - mean) ** 2).sum(axis=0)
            residual = (diff * diff).sum(axis=0)
        else:
            weight = float(w.reshape(len(w), -1)[:, 0].sum())
            mean = (w * y_true).sum(axis=0) / weight if weight else np.zeros(y_true.shape[1:])
            spread = (w * (y_true - mean) ** 2).sum(axis=0)
            residual = (w * diff * diff).sum(axis=0)
        total = self.weight + weight
        if self.weight and weight:
            delta = mean - self.mean
            self.spread = self.spread + spread + delta * delta * (self.weight * weight / total)
            self.mean = self.mean + delta * (weight / total)
        elif weight:
            self.spread, self.mean = spread, mean
        self.weight = total
        self.residual = self.residual + residual
        self.samples += len(y_true)

    def result(self) -> float:
        if self.samples < 2:  # as r2() says: fewer than two samples have no R²
            return float("nan")
        residual, total = np.asarray(self.residual), np.asarray(self.spread)
        constant = np.where(residual == 0, 1.0, 0.0)
        scores = np.where(total > 0, 1 - residual / np.where(total > 0, total, 1), constant)
        return float(np.mean(scores))

    def state_dict(self) -> dict:
        # (arrays of at least one value: a checkpoint stores arrays, and a scalar broadcasts as one)
        return {"samples": self.samples, "weight": self.weight,
                **{key: np.atleast_1d(np.asarray(getattr(self, key), dtype=np.float64))
                   for key in ("mean", "spread", "residual")}}

    def load_state_dict(self, state: dict) -> None:
        self.samples, self.weight = int(state["samples"]), float(state["weight"])
        self.mean, self.spread, self.residual = (np.asarray(state[key], dtype=np.float64)
                                                 for key in ("mean", "spread", "residual"))


class Metric(NamedTuple):
    function: Callable
    needs_labels: bool  # True: compares class labels; False: compares values
    higher_is_better: bool
    running: Callable  # a fresh accumulator of this metric, batch by batch


METRICS = {
    "accuracy": Metric(accuracy, True, True, functools.partial(MeanOf, _hits)),
    "acc": Metric(accuracy, True, True, functools.partial(MeanOf, _hits)),  # Keras' short name
    "precision": Metric(precision, True, True, functools.partial(ConfusionCounts, precision_of)),
    "recall": Metric(recall, True, True, functools.partial(ConfusionCounts, recall_of)),
    "f1": Metric(f1, True, True, functools.partial(ConfusionCounts, f1_of)),
    "mae": Metric(mae, False, False, functools.partial(MeanOf, _absolute_errors)),
    "mse": Metric(mse, False, False, functools.partial(MeanOf, _squared_errors)),
    "rmse": Metric(rmse, False, False, RootMeanSquare),
    "r2": Metric(r2, False, True, Determination),
}
