"""``History``: what ``fit`` returns, one row per epoch (Keras' ``History.history`` layout)."""

from __future__ import annotations

import csv
import io

from .. import atomic


class History:
    """Per-epoch logs: ``history["loss"]``, ``history["val_loss"]``, metrics, ``lr`` and ``time``.

    ``epoch`` lists the epoch numbers (1-based); ``stop_reason`` says why training ended early
    (early stopping, a non-finite loss, an interruption), or is None when all epochs ran.
    ``params`` is Keras': the run's ``verbose``, ``epochs`` and ``steps`` (batches per epoch).

    Every epoch that ran has a row, the one a run diverged in too (as Keras' history keeps it): its
    ``loss`` is the non-finite batch loss that stopped the run (NaN when the weights overflowed
    behind a finite loss), its metrics and validation values, which that epoch never finished, are
    NaN, and ``lr`` and ``time`` are what it ran with. A loss that turned non-finite only at the
    epoch's end (on the validation data, say) leaves the row as measured.
    """

    def __init__(self) -> None:
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []
        self.stop_reason: str | None = None
        self.params: dict = {}

    def append(self, epoch: int, logs: dict) -> None:
        row = len(self.epoch)
        self.epoch.append(epoch)
        for key, value in logs.items():
            column = self.history.setdefault(key, [float("nan")] * row)
            column.append(value)
        for key, column in self.history.items():
            if len(column) < row + 1:  # a key that this epoch did not log
                column.append(float("nan"))

    def update_last(self, logs: dict) -> None:
        """Make the last row say what ``logs`` say now (keys a callback added or changed)."""
        row = len(self.epoch) - 1
        for key, value in logs.items():
            column = self.history.setdefault(key, [float("nan")] * (row + 1))
            column[row] = value

    def __getitem__(self, key: str) -> list:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def last(self) -> dict:
        """The logs of the last epoch."""
        return {key: column[-1] for key, column in self.history.items()} if self.epoch else {}

    def columns(self) -> list[str]:
        """The CSV columns: ``epoch`` and then every key."""
        return ["epoch", *self.history]

    def to_csv_text(self, separator: str = ",", *, first_row: int = 0, header: bool = True) -> str:
        """The rows from ``first_row`` on as CSV (after a header line unless ``header`` is False);
        floats are written with ``repr``, so reading them back gives every bit."""
        keys = list(self.history)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=separator, lineterminator="\n")
        if header:
            writer.writerow(self.columns())
        for row in range(first_row, len(self.epoch)):
            writer.writerow([self.epoch[row], *(_format(self.history[key][row]) for key in keys)])
        return buffer.getvalue()

    def to_csv(self, path) -> None:
        """Write one row per epoch to ``path`` (atomically)."""
        atomic.write_text(path, self.to_csv_text())

    def state_dict(self) -> dict:
        return {"history": self.history, "epoch": self.epoch, "stop_reason": self.stop_reason}

    def load_state_dict(self, state: dict) -> None:
        self.history = {key: list(values) for key, values in state["history"].items()}
        self.epoch = list(state["epoch"])
        self.stop_reason = state.get("stop_reason")

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


def _format(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)
