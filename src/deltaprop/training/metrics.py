"""Metrics on NumPy arrays: accuracy, precision, recall, F1 (macro), confusion matrix, MAE, RMSE, R².

Classification metrics take true and predicted class labels (integers 0..C−1); regression metrics
take true and predicted values. ``METRICS`` maps the names accepted by ``fit(metrics=[...])`` to
the function and to whether it needs labels or values.
"""

from __future__ import annotations

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


def _per_class(y_true, y_pred):
    matrix = confusion_matrix(y_true, y_pred)
    true_positive = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    # Macro averages run over the classes that occur in y_true or in y_pred (scikit-learn's rule):
    # a class predicted but never true is a mistake the average must see.
    present = (actual > 0) | (predicted > 0)
    return true_positive, predicted, actual, present


def precision(y_true, y_pred) -> float:
    """Macro precision: the mean over classes of TP / (TP + FP); 0 for a class never predicted."""
    tp, predicted, _, present = _per_class(y_true, y_pred)
    per_class = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    return float(per_class[present].mean()) if present.any() else float("nan")


def recall(y_true, y_pred) -> float:
    """Macro recall: the mean over classes of TP / (TP + FN); 0 for a class that never occurs."""
    tp, _, actual, present = _per_class(y_true, y_pred)
    per_class = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    return float(per_class[present].mean()) if present.any() else float("nan")


def f1(y_true, y_pred) -> float:
    """Macro F1: the mean over classes of 2·P·R / (P + R)."""
    tp, predicted, actual, present = _per_class(y_true, y_pred)
    p = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    r = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    per_class = np.divide(2 * p * r, p + r, out=np.zeros_like(tp), where=(p + r) > 0)
    return float(per_class[present].mean()) if present.any() else float("nan")


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


class Metric(NamedTuple):
    function: Callable
    needs_labels: bool  # True: compares class labels; False: compares values
    higher_is_better: bool


METRICS = {
    "accuracy": Metric(accuracy, True, True),
    "acc": Metric(accuracy, True, True),  # Keras' short name
    "precision": Metric(precision, True, True),
    "recall": Metric(recall, True, True),
    "f1": Metric(f1, True, True),
    "mae": Metric(mae, False, False),
    "mse": Metric(mse, False, False),
    "rmse": Metric(rmse, False, False),
    "r2": Metric(r2, False, True),
}
