"""What the profiler recorded: one :class:`Event` per timed call, their averages by name, and the table.

Times are in microseconds, as PyTorch's profiler gives them. An event's total time runs from its
entry to its exit; its self time is the total less the totals of the events nested directly in it
(its children), so that summing the self times of every event counts each microsecond once.
"""

from __future__ import annotations

from ..errors import ConfigError

_SORT_KEYS = ("cpu_time_total", "self_cpu_time_total", "cpu_time", "count", "cpu_memory_usage",
              "self_cpu_memory_usage")


class Event:
    """One timed call: an operation's forward, a gradient rule, an optimizer step, a module's
    forward or a ``record_function`` range. ``kind`` is its category in the Chrome trace."""

    __slots__ = ("id", "name", "kind", "thread", "start_ns", "end_ns", "cpu_parent", "cpu_children",
                 "input_shapes", "cpu_memory_usage", "stack", "owner", "output_ids")

    count = 1

    def __init__(self, id, name, kind, thread, start_ns, parent, input_shapes, stack) -> None:
        self.id, self.name, self.kind, self.thread = id, name, kind, thread
        self.start_ns, self.end_ns = start_ns, start_ns
        self.cpu_parent, self.cpu_children = parent, []
        self.input_shapes, self.stack = input_shapes, stack
        self.cpu_memory_usage, self.owner, self.output_ids = 0, None, None

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time_total(self) -> float:
        return (self.end_ns - self.start_ns) / 1000.0

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(child.cpu_time_total for child in self.cpu_children)

    cpu_time = cpu_time_total

    @property
    def self_cpu_memory_usage(self) -> int:
        return self.cpu_memory_usage - sum(child.cpu_memory_usage for child in self.cpu_children)

    @property
    def is_user_annotation(self) -> bool:
        return self.kind == "user_annotation"

    def __repr__(self) -> str:
        return (f"<Event {self.name!r} cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us children={len(self.cpu_children)}>")


class EventAverage:
    """The events of one name (and, grouped so, one list of input shapes) summed: ``count`` calls,
    their total and self times (``cpu_time`` is the total per call), their memory."""

    def __init__(self, key: str, input_shapes=None) -> None:
        self.key, self.input_shapes = key, input_shapes
        self.count, self.cpu_time_total, self.self_cpu_time_total = 0, 0.0, 0.0
        self.cpu_memory_usage, self.self_cpu_memory_usage = 0, 0
        self.is_user_annotation = False

    def add(self, event) -> "EventAverage":
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        self.cpu_memory_usage += event.cpu_memory_usage
        self.self_cpu_memory_usage += event.self_cpu_memory_usage
        self.is_user_annotation = event.is_user_annotation
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return (f"<EventAverage {self.key!r} count={self.count} cpu_time_total={self.cpu_time_total:.3f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.3f}us>")


class EventList(list):
    """A list of events or of averages, with :meth:`table` and :meth:`key_averages`."""

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0) -> "EventList":
        """One :class:`EventAverage` per name (per name and input shapes with
        ``group_by_input_shape``, and per first ``group_by_stack_n`` frames of the stack), in the
        order the names first occur."""
        averages: dict = {}
        for event in self:
            shapes = event.input_shapes if group_by_input_shape else None
            name = "ProfilerStep*" if event.key.startswith("ProfilerStep#") else event.key  # (the steps as one, as PyTorch)
            key = (name, repr(shapes), tuple((event.stack or ())[:group_by_stack_n]))
            if key not in averages:
                averages[key] = EventAverage(name, shapes)
            averages[key].add(event)
        return EventList(averages.values())

    def total_average(self) -> EventAverage:
        """Every entry summed into one, named "Total"."""
        total = EventAverage("Total")
        for entry in self:
            total.add(entry)
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_name_column_width: int = 55,
              header: str | None = None, top_level_events_only: bool = False) -> str:
        """A text table, one row per entry: name, calls, self and total CPU time (and their shares
        of the whole), the time per call, the memory of outputs where it was recorded and the input
        shapes where they were grouped by. ``sort_by`` (largest first) is one of ``cpu_time_total``,
        ``self_cpu_time_total``, ``cpu_time``, ``count``, ``cpu_memory_usage`` or
        ``self_cpu_memory_usage``; None keeps the order. At most ``row_limit`` rows (all if < 0)."""
        from .table import format_table

        if sort_by is not None and sort_by not in _SORT_KEYS:
            raise ConfigError(f"table: sort_by must be one of {', '.join(_SORT_KEYS)} or None, got {sort_by!r}"
                             + (" (deltaprop has no device to time)" if "cuda" in str(sort_by) or "device" in str(sort_by) else ""))
        if isinstance(row_limit, bool) or not isinstance(row_limit, int):
            raise TypeError(f"table: row_limit must be an integer, got {row_limit!r}")
        entries = [e for e in self if not top_level_events_only or getattr(e, "cpu_parent", None) is None]
        rows = list(entries)
        if sort_by is not None:
            rows.sort(key=lambda entry: getattr(entry, sort_by), reverse=True)
        if row_limit >= 0:
            rows = rows[:row_limit]
        return format_table(rows, entries, max_name_column_width, header)

    def __str__(self) -> str:
        return self.table()
