"""``Table``: a data set as loaded from a file, features and target apart and named."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Table:
    """Features ``X`` (float32, one row per sample), target ``y`` and the names of both.

    ``y`` is int64 when every target value is a whole number, float32 for other numbers, and a
    NumPy string array for class names; ``y`` and ``target_name`` are None for a table without a
    target (data to predict on). ``n_dropped`` counts the rows left out for missing values.
    """

    X: np.ndarray
    y: np.ndarray | None
    feature_names: list
    target_name: str | None
    n_dropped: int = 0

    def __len__(self) -> int:
        return len(self.X)

    def __repr__(self) -> str:
        names = self.feature_names
        shown = ", ".join(repr(n) for n in names[:6]) + (f", ... ({len(names)} in all)" if len(names) > 6 else "")
        y = "None" if self.y is None else f"{self.y.dtype}{list(self.y.shape)}"
        return (f"Table(X={self.X.dtype}{list(self.X.shape)}, y={y}, "
                f"features=[{shown}], target={self.target_name!r}, n_dropped={self.n_dropped})")
