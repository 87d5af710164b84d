"""The compiled metrics of a run, accumulated batch by batch as Keras 3 accumulates them.

``metrics`` are unweighted; ``weighted_metrics`` weigh each sample by its sample_weight (times its
class weight, in training), Σ w·v / Σ w. Their names in the logs are Keras': a metric's own name,
``name_1``, ``name_2`` for repeats, and ``weighted_name`` for a weighted metric whose name an
unweighted one already took. After any batch ``results()`` gives the value of every batch so far,
which is what Keras hands ``on_train_batch_end`` and ``on_test_batch_end`` and shows on its
progress bar; after the last batch it is the epoch's (or the evaluation's) value.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .metrics import METRICS


def checked_metrics(names, option: str) -> list:
    """The metric names of ``option`` ('metrics' or 'weighted_metrics'), known ones only."""
    if isinstance(names, str):
        names = [names]
    names = list(names)
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise ConfigError(f"unknown metric {unknown[0]!r} in {option}; choose from {', '.join(METRICS)}")
    return names


def log_names(metrics, weighted_metrics) -> list:
    """[(the name in the logs, the metric's name, weighted), ...] in Keras' order and naming."""
    taken, names = {}, []

    def unique(name):
        if name not in taken:
            taken[name] = 1
            return name
        index = taken[name]
        taken[name] += 1
        return f"{name}_{index}"

    for name in metrics:
        names.append((unique(name), name, False))
    for name in weighted_metrics:
        names.append((unique(name if name not in taken else "weighted_" + name), name, True))
    return names


class RunningMetrics:
    """The accumulators of one epoch (or one evaluation). ``labels(outputs, targets, weights)``
    gives the (true labels, predicted labels, their weights or None) that label metrics compare."""

    def __init__(self, metrics, weighted_metrics, labels):
        self.labels = labels
        self.entries = [(log_name, METRICS[name].needs_labels, weighted, METRICS[name].running())
                        for log_name, name, weighted in log_names(metrics, weighted_metrics)]

    def __bool__(self) -> bool:
        return bool(self.entries)

    def names(self) -> list:
        return [entry[0] for entry in self.entries]

    def update(self, outputs: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add a batch: the model's outputs, the targets, and the samples' weights (None: all 1)."""
        converted = {}  # the labels or values of this batch, once for the plain and once for the weighted
        for _, needs_labels, weighted, accumulator in self.entries:
            w = weights if weighted else None
            key = (needs_labels, w is not None)
            if key not in converted:
                converted[key] = (self.labels(outputs, targets, w) if needs_labels
                                  else (targets, outputs, None if w is None else _per_value(w, targets)))
            accumulator.update(*converted[key])

    def results(self) -> dict:
        return {log_name: accumulator.result() for log_name, _, _, accumulator in self.entries}

    def state_dict(self) -> dict:
        return {log_name: accumulator.state_dict() for log_name, _, _, accumulator in self.entries}

    def load_state_dict(self, state: dict) -> None:
        missing = [log_name for log_name in self.names() if log_name not in state]
        if missing:
            raise ConfigError(f"the checkpoint holds no running value of the metric {missing[0]!r} (it was written "
                              f"with the metrics {', '.join(state) or 'none'}); resume with the same metrics")
        for log_name, _, _, accumulator in self.entries:
            accumulator.load_state_dict(state[log_name])


def _per_value(weights: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Each sample's weight on each of its values (a column against (N, ...) targets)."""
    return np.asarray(weights, dtype=np.float64).reshape((len(weights),) + (1,) * (targets.ndim - 1))
