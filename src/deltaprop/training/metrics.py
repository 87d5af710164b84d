"""Metrics on NumPy arrays: accuracy, precision, recall, F1 (macro), confusion matrix, MAE, RMSE, R².

Classification metrics take true and predicted class labels (integers 0..C−1); regression metrics
take true and predicted values. ``METRICS`` maps the names accepted by ``fit(metrics=[...])`` to
the function and to whether it needs labels or values.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np


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
    present = actual > 0  # macro averages run over the classes that occur in y_true
    return true_positive, predicted, actual, present


def precision(y_true, y_pred) -> float:
    """Macro precision: the mean over classes of TP / (TP + FP); 0 for a class never predicted."""
    tp, predicted, _, present = _per_class(y_true, y_pred)
    per_class = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    return float(per_class[present].mean()) if present.any() else float("nan")


def recall(y_true, y_pred) -> float:
    """Macro recall: the mean over classes of TP / (TP + FN)."""
    tp, _, actual, present = _per_class(y_true, y_pred)
    return float((tp[present] / actual[present]).mean()) if present.any() else float("nan")


def f1(y_true, y_pred) -> float:
    """Macro F1: the mean over classes of 2·P·R / (P + R)."""
    tp, predicted, actual, present = _per_class(y_true, y_pred)
    p = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    r = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    per_class = np.divide(2 * p * r, p + r, out=np.zeros_like(tp), where=(p + r) > 0)
    return float(per_class[present].mean()) if present.any() else float("nan")


def mae(y_true, y_pred) -> float:
    return float(np.mean(np.abs(np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64))))


def rmse(y_true, y_pred) -> float:
    diff = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    return float(np.sqrt(np.mean(diff * diff)))


def r2(y_true, y_pred) -> float:
    """Coefficient of determination 1 − SS_res / SS_tot (averaged over output columns)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y_true.shape)
    residual = ((y_true - y_pred) ** 2).sum(axis=0)
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.where(total > 0, 1 - residual / np.where(total > 0, total, 1), 0.0)
    return float(np.mean(scores))


class Metric(NamedTuple):
    function: Callable
    needs_labels: bool  # True: compares class labels; False: compares values
    higher_is_better: bool


METRICS = {
    "accuracy": Metric(accuracy, True, True),
    "precision": Metric(precision, True, True),
    "recall": Metric(recall, True, True),
    "f1": Metric(f1, True, True),
    "mae": Metric(mae, False, False),
    "rmse": Metric(rmse, False, False),
    "r2": Metric(r2, False, True),
}
