"""Timing small pieces of code: PyTorch's ``torch.utils.benchmark`` for its common uses.

``Timer(stmt, setup, globals)`` times a statement (a string, run as :mod:`timeit` runs it, or a
function of no arguments) with ``time.perf_counter``; each way of timing returns a
:class:`Measurement`, the times of each run of the statement (one block of ``number_per_run``
runs gives one time, the block's divided by its runs). ``blocked_autorange`` first finds a block
long enough for the clock to resolve, then repeats blocks until ``min_run_time`` has passed;
``adaptive_autorange`` repeats them until the spread (interquartile range over the median) is
below a threshold. :class:`Compare` lays several measurements out as a table.

``num_threads`` is the number of BLAS threads during the timing (``deltaprop.set_num_threads``),
put back afterwards: deltaprop's other work runs on one thread anyway.
"""

from __future__ import annotations

import statistics
import time
import timeit as _timeit

import numpy as np

from ..errors import ConfigError

__all__ = ["Compare", "Measurement", "Timer"]

_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns"))


def _unit(seconds: float) -> tuple[float, str]:
    """The largest unit in which ``seconds`` is at least 1 (nanoseconds below)."""
    for scale, name in _UNITS:
        if seconds >= scale:
            return scale, name
    return _UNITS[-1]


class Measurement:
    """The times of one timed statement: ``raw_times`` are blocks of ``number_per_run`` runs each;
    ``times`` are per run, and ``mean``, ``median`` and ``iqr`` summarise them (in seconds)."""

    def __init__(self, number_per_run: int, raw_times: list, task_spec: dict, metadata=None) -> None:
        self.number_per_run = int(number_per_run)
        self.raw_times = [float(t) for t in raw_times]
        self.task_spec = dict(task_spec)
        self.metadata = metadata

    def __getattr__(self, name):  # stmt, setup, label, sub_label, description, num_threads
        spec = self.__dict__.get("task_spec", {})
        if name in spec:
            return spec[name]
        raise AttributeError(f"'Measurement' object has no attribute {name!r}")

    @property
    def times(self) -> list:
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def iqr(self) -> float:
        low, high = np.percentile(self.times, [25, 75])
        return float(high - low)

    @property
    def title(self) -> str:
        return self.label or self.stmt

    def meets_confidence(self, threshold: float = 0.1) -> bool:
        """Whether the spread of the times (IQR over median) is below ``threshold``."""
        return len(self.times) > 1 and self.iqr / self.median < threshold

    def __repr__(self) -> str:
        scale, unit = _unit(self.median)
        head = " / ".join(str(x) for x in (self.label, self.sub_label, self.description) if x)
        lines = [f"<Measurement of {head or 'a statement'}>", f"  {self.stmt}"]
        if self.setup.strip() not in ("", "pass"):
            lines.append(f"  setup: {self.setup}")
        spread = f", IQR {self.iqr / scale:.3g} {unit}" if len(self.times) > 1 else ""
        lines.append(f"  median {self.median / scale:.3g} {unit}, mean {self.mean / scale:.3g} {unit}{spread}")
        lines.append(f"  {len(self.times)} measurement(s), {self.number_per_run} run(s) each, "
                     f"{self.num_threads} thread(s)")
        return "\n".join(lines)


class Timer:
    """Times ``stmt`` after running ``setup`` once, with names from ``globals`` (see the module's notes)."""

    def __init__(self, stmt="pass", setup="pass", global_setup: str = "", timer=time.perf_counter, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads: int = 1,
                 language="python") -> None:
        if language not in ("python", "py"):
            raise ConfigError(f"Timer: only Python statements are timed in deltaprop, got language={language!r}")
        if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
            raise ConfigError(f"Timer: num_threads must be a positive integer, got {num_threads!r}")
        for name, value in (("stmt", stmt), ("setup", setup)):
            if not (isinstance(value, str) or callable(value)):
                raise TypeError(f"Timer: {name} must be a string of Python or a function, got a {type(value).__name__}")
        if global_setup:
            setup = f"{global_setup}\n{setup}" if isinstance(setup, str) else setup
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=dict(globals or {}))
        self._clock = timer
        self._spec = {"stmt": stmt if isinstance(stmt, str) else getattr(stmt, "__name__", repr(stmt)),
                      "setup": setup if isinstance(setup, str) else getattr(setup, "__name__", repr(setup)),
                      "label": label, "sub_label": sub_label, "description": description, "env": env,
                      "num_threads": num_threads}

    def _timed(self, number: int) -> float:
        from ..threads import get_num_threads, set_num_threads

        before = get_num_threads()
        set_num_threads(self._spec["num_threads"])
        try:
            return self._timer.timeit(number)
        finally:
            set_num_threads(before)

    def timeit(self, number: int = 1000000) -> Measurement:
        """One block of ``number`` runs."""
        number = _positive("timeit", "number", number)
        self._timed(min(number, 100))  # a warm-up, left out of the measurement
        return Measurement(number, [self._timed(number)], self._spec)

    def repeat(self, repeat: int = -1, number: int = -1):
        raise NotImplementedError("Timer.repeat: not offered (as in PyTorch); use blocked_autorange or timeit")

    def autorange(self, callback=None):
        raise NotImplementedError("Timer.autorange: not offered (as in PyTorch); use blocked_autorange")

    def _block_size(self) -> int:
        """Runs per block: grown tenfold until a block takes a millisecond, well above the clock's grain."""
        number = 1
        while self._timed(number) < 1e-3 and number < 10 ** 9:
            number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time: float = 0.2) -> Measurement:
        """Blocks of runs repeated until ``min_run_time`` seconds were spent in them;
        ``callback(number, seconds)`` is called after each block."""
        number = self._block_size()
        times, total = [], 0.0
        while total < min_run_time or not times:
            t = self._timed(number)
            times.append(t)
            total += t
            if callback is not None:
                callback(number, t)
        return Measurement(number, times, self._spec)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01, max_run_time: float = 10.0,
                           callback=None) -> Measurement:
        """Blocks of runs repeated until the times' IQR over their median is below ``threshold``
        (and at least ``min_run_time`` seconds have passed), or ``max_run_time`` has."""
        number = self._block_size()
        times, total = [], 0.0
        while True:
            t = self._timed(number)
            times.append(t)
            total += t
            if callback is not None:
                callback(number, t)
            measurement = Measurement(number, times, self._spec)
            if total >= max_run_time or (total >= min_run_time and len(times) > 3
                                         and measurement.meets_confidence(threshold)):
                return measurement


def _positive(caller: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"Timer.{caller}: {name} must be a positive integer, got {value!r}")
    return int(value)


class Compare:
    """A table of measurements: one per label, rows by sub_label (or statement), columns by
    description (and thread count where several), each cell the median time in one unit.
    ``print(compare)`` or ``compare.print()`` shows it."""

    def __init__(self, results) -> None:
        self._results = list(results)
        for r in self._results:
            if not isinstance(r, Measurement):
                raise TypeError(f"Compare: results must be Measurements, got a {type(r).__name__}")
        self._trim, self._colorize = False, False

    def extend_results(self, results) -> None:
        self._results.extend(Compare(results)._results)

    def trim_significant_figures(self) -> None:
        self._trim = True

    def colorize(self, rowwise: bool = False) -> None:
        self._colorize = True  # (kept for PyTorch's calls; the table is plain text)

    def highlight_warnings(self) -> None:
        pass

    def print(self) -> None:
        print(str(self))

    def __str__(self) -> str:
        groups: dict = {}
        for r in self._results:
            groups.setdefault(r.label or "", []).append(r)
        return "\n\n".join(self._table(label, results) for label, results in groups.items())

    def _table(self, label: str, results: list) -> str:
        threads = len({r.num_threads for r in results}) > 1
        columns = list(dict.fromkeys((r.description or "") + (f" ({r.num_threads} threads)" if threads else "")
                                     for r in results))
        rows = list(dict.fromkeys(r.sub_label or r.stmt for r in results))
        scale, unit = _unit(min(r.median for r in results))
        cells = {}
        for r in results:
            column = (r.description or "") + (f" ({r.num_threads} threads)" if threads else "")
            value = r.median / scale
            cells[(r.sub_label or r.stmt, column)] = f"{value:.3g}" if self._trim else f"{value:.4g}"
        first = max([len(row) for row in rows] + [0])
        widths = [max(len(c), *(len(cells.get((row, c), "")) for row in rows)) for c in columns]
        lines = [f"[ {label} ]" if label else "[ ]", " " * first + " | " + " | ".join(
            c.rjust(w) for c, w in zip(columns, widths))]
        for row in rows:
            lines.append(row.ljust(first) + " | " + " | ".join(cells.get((row, c), "").rjust(w)
                                                              for c, w in zip(columns, widths)))
        lines.append(f"times in {unit} (median)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)
