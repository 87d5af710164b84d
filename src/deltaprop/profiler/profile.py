"""The profiler itself: :class:`profile`, its :func:`schedule`, and the Chrome trace it writes."""

from __future__ import annotations

import enum
import gzip
import json
import os
import time
import warnings

from .. import atomic
from ..errors import ConfigError
from .events import EventList
from .recording import Recording, install, uninstall


class ProfilerActivity(enum.Enum):
    """What to profile: ``CPU``, the only one deltaprop has; ``CUDA`` is accepted, with a warning
    that there is nothing to record, as PyTorch's CPU builds do."""

    CPU = 0
    CUDA = 1


def supported_activities() -> set:
    """The activities this machine can profile: the CPU."""
    return {ProfilerActivity.CPU}


class ProfilerAction(enum.Enum):
    """What a :func:`schedule` says to do at a step: nothing, warm up (record and drop), record,
    or record and hand the trace to ``on_trace_ready`` at the end of the step."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0):
    """A schedule for :class:`profile`: skip the first ``skip_first`` steps, then cycle through
    ``wait`` steps of nothing, ``warmup`` steps of warming up and ``active`` steps of recording,
    the last of which hands the trace on; ``repeat`` cycles (0: for as long as steps come)."""
    for name, value, least in (("wait", wait, 0), ("warmup", warmup, 0), ("active", active, 1),
                               ("repeat", repeat, 0), ("skip_first", skip_first, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigError(f"schedule: {name} must be an integer of at least {least}, got {value!r}")
    cycle = wait + warmup + active

    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if repeat and step // cycle >= repeat:
            return ProfilerAction.NONE
        place = step % cycle
        if place < wait:
            return ProfilerAction.NONE
        if place < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if place < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


def _always_record(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


class profile:
    """Time what deltaprop does inside a ``with`` block (or between :meth:`start` and :meth:`stop`):
    each operation's forward, each gradient rule of a backward sweep, each optimizer step, each
    ``record_function`` range and, with ``with_stack`` or ``with_modules``, each module's forward
    (see :mod:`deltaprop.profiler.recording` for how, at no cost while no profile is on).

    ``record_shapes`` keeps each call's input shapes; ``profile_memory`` the bytes of each call's
    outputs (what its arrays hold, not what NumPy allocated on the way); ``with_stack`` the frames
    of your code that made each call. With a ``schedule``, call :meth:`step` once per training step:
    only the steps it marks active are recorded, each as a ``ProfilerStep#n`` range, and
    ``on_trace_ready(prof)`` is called at the end of each active cycle (without one, at the end)."""

    def __init__(self, activities=None, record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, schedule=None, on_trace_ready=None, with_flops: bool = False,
                 with_modules: bool = False) -> None:
        activities = set(supported_activities() if activities is None else activities)
        for activity in activities:
            if not isinstance(activity, ProfilerActivity):
                raise TypeError(f"profile: activities must hold ProfilerActivity members, got {activity!r}")
        if ProfilerActivity.CUDA in activities:
            warnings.warn("profile: deltaprop has no CUDA device, so the CUDA activity records nothing", stacklevel=2)
            activities.discard(ProfilerActivity.CUDA)
        if not activities:
            raise ConfigError("profile: activities holds nothing deltaprop can record; give ProfilerActivity.CPU")
        for name, value in (("record_shapes", record_shapes), ("profile_memory", profile_memory),
                            ("with_stack", with_stack), ("with_flops", with_flops), ("with_modules", with_modules)):
            if not isinstance(value, bool):
                raise TypeError(f"profile: {name} must be True or False, got {value!r}")
        if with_flops:
            warnings.warn("profile: deltaprop does not count floating-point operations; with_flops records none",
                          stacklevel=2)
        for name, value in (("schedule", schedule), ("on_trace_ready", on_trace_ready)):
            if value is not None and not callable(value):
                raise TypeError(f"profile: {name} must be callable or None, got {value!r}")
        self.activities = activities
        self.record_shapes, self.profile_memory, self.with_stack = record_shapes, profile_memory, with_stack
        self.with_modules = with_modules or with_stack
        self.schedule, self.on_trace_ready = schedule or _always_record, on_trace_ready
        self.record_steps = schedule is not None  # ProfilerStep#n ranges, as PyTorch marks them with a schedule
        self.step_num = 0
        self.current_action = ProfilerAction.NONE
        self._recording: Recording | None = None
        self._kept: Recording | None = None  # the last trace recorded, for events() after it ended
        self._step_range = None
        self._started_ns = self._epoch_ns = 0

    # -- on and off -----------------------------------------------------------------------------

    def __enter__(self) -> "profile":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        """Start profiling at step 0 of the schedule."""
        if Recording.active is not None and Recording.active is not self._recording:
            raise RuntimeError("profile.start: another profile is already recording; stop it first")
        self.step_num = 0
        self._transit(self.schedule(0))

    def stop(self) -> None:
        """Stop profiling; a recording in progress is handed to ``on_trace_ready``."""
        if self.current_action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._finish(save=True)
        elif self.current_action is ProfilerAction.WARMUP:
            self._finish(save=False)
        self.current_action = ProfilerAction.NONE

    def step(self) -> None:
        """Mark the end of a training step: the schedule's next action begins."""
        previous = self.current_action
        self.step_num += 1
        action = self.schedule(self.step_num)
        self._close_step_range()
        if previous is ProfilerAction.RECORD_AND_SAVE or (previous is ProfilerAction.RECORD and action is ProfilerAction.NONE):
            self._finish(save=True)
        elif previous is ProfilerAction.WARMUP and action is ProfilerAction.NONE:
            self._finish(save=False)
        elif previous is ProfilerAction.WARMUP and action is not ProfilerAction.WARMUP:
            self._recording.events.clear()  # the warm-up's events are dropped
            self._recording.open_ranges.clear()
        self._transit(action)

    def _transit(self, action: ProfilerAction) -> None:
        if action is not ProfilerAction.NONE and self._recording is None:
            self._recording = Recording(self.record_shapes, self.profile_memory, self.with_stack)
            self._started_ns, self._epoch_ns = time.perf_counter_ns(), time.time_ns()
            install(self._recording, self.with_modules)
        if action is not ProfilerAction.NONE and self.record_steps:
            self._step_range = self._recording.open(f"ProfilerStep#{self.step_num}", "user_annotation")
        self.current_action = action

    def _close_step_range(self) -> None:
        if self._step_range is not None:
            self._recording.close(self._step_range)
            self._step_range = None

    def _finish(self, save: bool) -> None:
        self._close_step_range()
        uninstall()
        self._kept, self._recording = self._recording, None
        if save and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # -- what was recorded ------------------------------------------------------------------------

    def events(self) -> EventList:
        """Every event of the last recording (or the one in progress), in the order they began."""
        recording = self._recording if self._recording is not None else self._kept
        if recording is None:
            return EventList()
        return EventList(e for e in recording.events if e.end_ns >= e.start_ns and not _is_open(recording, e))

    @property
    def function_events(self) -> EventList:
        return self.events()

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0) -> EventList:
        """The events averaged by name (and input shapes with ``group_by_input_shape``, which
        needs ``record_shapes=True``; and the first ``group_by_stack_n`` frames of their stack)."""
        if group_by_input_shape and not self.record_shapes:
            raise ConfigError("key_averages: group_by_input_shape needs the profile made with record_shapes=True")
        if group_by_stack_n and not self.with_stack:
            raise ConfigError("key_averages: group_by_stack_n needs the profile made with with_stack=True")
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, *args, **kwargs) -> str:
        """``key_averages().table(...)``."""
        return self.key_averages().table(*args, **kwargs)

    def export_chrome_trace(self, path) -> None:
        """Write the events as a Chrome trace (JSON; gzip-compressed if ``path`` ends in ``.gz``),
        which chrome://tracing, Perfetto and TensorBoard's profiler open. Written atomically."""
        text = json.dumps(self._chrome_trace())
        if str(path).endswith(".gz"):
            atomic.write_bytes(path, gzip.compress(text.encode("utf-8")))
        else:
            atomic.write_text(path, text)

    def _chrome_trace(self) -> dict:
        pid, trace = os.getpid(), []
        for e in self.events():
            event = {"ph": "X", "cat": e.kind, "name": e.name, "pid": pid, "tid": e.thread,
                     "ts": (self._epoch_ns + e.start_ns - self._started_ns) / 1000.0,
                     "dur": (e.end_ns - e.start_ns) / 1000.0, "args": {}}
            if e.input_shapes is not None:
                event["args"]["Input Dims"] = e.input_shapes
            if self.profile_memory:
                event["args"]["Output bytes"] = e.cpu_memory_usage
            if e.stack:
                event["args"]["Call stack"] = ";".join(e.stack)
            trace.append(event)
        return {"traceEvents": trace, "displayTimeUnit": "ms", "traceName": "deltaprop profile"}


def _is_open(recording: Recording, event) -> bool:
    return any(event in ranges for ranges in recording.open_ranges.values())


def tensorboard_trace_handler(dir_name, worker_name: str | None = None, use_gzip: bool = False):
    """An ``on_trace_ready`` that writes each trace into the folder ``dir_name`` as
    ``<worker_name>.<time in ms>.pt.trace.json[.gz]``, the names TensorBoard's profiler plugin
    looks for (any Chrome-trace viewer opens them too; deltaprop needs no TensorBoard for this)."""
    if not isinstance(dir_name, (str, os.PathLike)):
        raise TypeError(f"tensorboard_trace_handler: dir_name must be a path, got {dir_name!r}")

    def handler(prof: profile) -> None:
        import socket

        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))

    return handler
