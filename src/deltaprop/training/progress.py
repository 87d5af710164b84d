"""What ``fit`` prints: a live progress bar on a terminal, one line per epoch anywhere else.

On a terminal the bar is redrawn in place at most ten times a second (so training at batch size 1
does not spend its time printing), with the running loss and metrics, as Keras' bar shows them,
and samples per second. Redirected to a
file or a pipe, or with ``verbose=2`` (Keras' meaning), each epoch becomes one line, which reads
well in logs.
"""

from __future__ import annotations

import sys
import time

_REDRAW_SECONDS = 0.1
_BAR_WIDTH = 24


def format_logs(logs: dict) -> str:
    parts = []
    for key, value in logs.items():
        if key in ("time", "lr"):
            continue
        parts.append(f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}")
    return "  ".join(parts)


class Progress:
    def __init__(self, epochs: int, batches_per_epoch: int | None, verbose: int = 1, file=None):
        self.epochs = epochs
        self.batches = batches_per_epoch or 0  # 0: unknown (a generator's), the bar then counts batches only
        self.file = file if file is not None else sys.stdout
        self.verbose = verbose
        self.live = verbose == 1 and _is_terminal(self.file)
        self._last_draw = 0.0
        self._drawn = 0  # length of the bar on screen, which the epoch's line must cover

    def start_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.started = time.perf_counter()

    def due(self, batch: int) -> bool:
        """Whether the bar is to be redrawn after ``batch`` (at most ten times a second, and at the
        epoch's last batch), so the loop computes what it shows only then."""
        return time.perf_counter() - self._last_draw >= _REDRAW_SECONDS or 0 < self.batches <= batch + 1

    def draw(self, batch: int, samples: int, logs: dict) -> None:
        """Redraw the bar (called only when ``live``): ``samples`` trained so far this epoch, and
        Keras' running ``logs`` of the epoch so far (the loss and every metric)."""
        now = self._last_draw = time.perf_counter()
        done = (batch + 1) / self.batches if self.batches else 0.0
        filled = int(done * _BAR_WIDTH)
        bar = "=" * filled + (">" if filled < _BAR_WIDTH else "") + "." * max(_BAR_WIDTH - filled - 1, 0)
        rate = samples / max(now - self.started, 1e-9)
        total = self.batches or "?"
        width = len(str(total))
        text = (f"Epoch {self.epoch}/{self.epochs} [{bar}] {batch + 1:>{width}}/{total}"
                f"  {format_logs(logs)}  {rate:,.0f} samples/s ")
        self.file.write("\r" + text)
        self.file.flush()
        self._drawn = len(text)

    def end_epoch(self, logs: dict, samples: int) -> None:
        if self.verbose < 1:
            return
        seconds = time.perf_counter() - self.started
        rate = samples / max(seconds, 1e-9)
        line = f"Epoch {self.epoch}/{self.epochs}  {format_logs(logs)}  {seconds:.2f}s  {rate:,.0f} samples/s"
        if self.live:
            self.file.write("\r" + line.ljust(self._drawn) + "\n")
            self._drawn = 0
        else:
            self.file.write(line + "\n")
        self.file.flush()

    def message(self, text: str, always: bool = False) -> None:
        """Print ``text`` on a line of its own (with ``verbose`` >= 1, or ``always``: a verbose callback's)."""
        if self.verbose >= 1 or always:
            if self._drawn:  # training stopped mid-epoch: keep the bar, start a line of our own
                self.file.write("\n")
                self._drawn = 0
            self.file.write(text + "\n")
            self.file.flush()


def _is_terminal(file) -> bool:
    try:
        return file.isatty()
    except (AttributeError, ValueError):
        return False
