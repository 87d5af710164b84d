"""Tables of results for the terminal."""

from __future__ import annotations

import math

_CLASSIFICATION = ("accuracy", "precision", "recall", "f1")
_REGRESSION = ("mae", "rmse", "r2")
_LABELS = {"precision": "precision (macro)", "recall": "recall (macro)", "f1": "F1 (macro)", "mae": "MAE", "rmse": "RMSE", "r2": "R²"}


def metrics_table(results: dict, task: str, title: str) -> str:
    keys = _CLASSIFICATION if task == "classification" else _REGRESSION
    labels = [_LABELS.get(key, key) for key in keys]
    width = max(map(len, labels))
    lines = [title]
    for key, label in zip(keys, labels):
        value = results[key]
        lines.append(f"  {label:<{width}}  {_number(value)}")
    return "\n".join(lines)


def _number(value: float) -> str:
    """Four decimals, or four significant digits for a magnitude below 0.001 (an error in a target
    of millionths would read 0.0000)."""
    if math.isnan(value):
        return "undefined"
    return f"{value:.4f}" if value == 0 or abs(value) >= 1e-3 else f"{value:.4g}"


def samples(count: int, kind: str = "") -> str:
    """'1 held-out sample', '360 held-out samples'."""
    return f"{count} {kind}sample{'' if count == 1 else 's'}"
