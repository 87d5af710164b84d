"""PNG pictures of a run: the loss (and accuracy) curves and the confusion matrix.

Plotting needs matplotlib, an optional extra (``pip install 'deltaprop[plot]'``, or
``pip install '.[plot]'`` in a checkout); it is imported
only here and only when a picture is asked for, with the non-interactive Agg backend. Each PNG is
rendered in memory and written atomically.
"""

from __future__ import annotations

import io

from . import atomic


class PlottingUnavailable(Exception):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlottingUnavailable(
            "matplotlib is not installed (pip install matplotlib, or deltaprop's extra: pip install 'deltaprop[plot]')"
        ) from None
    return plt


def _save(figure, path) -> None:
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    atomic.write_bytes(path, buffer.getvalue())


def plot_history(history, path, title: str = "Training") -> None:
    """Training and validation loss per epoch, and accuracy beside it when it was measured."""
    plt = _pyplot()
    metric = next((m for m in ("accuracy", "r2", "mae") if m in history), None)
    panels = 2 if metric else 1
    figure, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4), squeeze=False)
    for ax, key, label in [(axes[0][0], "loss", "loss")] + ([(axes[0][1], metric, metric)] if metric else []):
        ax.plot(history.epoch, history[key], marker="o", markersize=3, label=f"training {label}")
        if f"val_{key}" in history:
            ax.plot(history.epoch, history[f"val_{key}"], marker="o", markersize=3, label=f"validation {label}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0][0].set_title(title)
    _save(figure, path)


def plot_confusion_matrix(matrix, classes, path, title: str = "Confusion matrix (test split)") -> None:
    """Counts of true class (rows) against predicted class (columns)."""
    plt = _pyplot()
    size = max(4.0, 0.5 * len(classes) + 2)
    figure, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ticks = range(len(classes))
    # Class names are the user's text, not TeX: '$\frac{$' would fail to draw, '$x$' would show as x.
    labels = [str(c) for c in classes]
    ax.set_xticks(ticks, labels, rotation=45 if len(classes) > 6 else 0, parse_math=False)
    ax.set_yticks(ticks, labels, parse_math=False)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    peak = max((max(row) for row in matrix), default=0)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            ax.text(j, i, str(count), ha="center", va="center", color="white" if count > peak / 2 else "black", fontsize=8)
    _save(figure, path)
