"""``deltaprop.profiler``: PyTorch's ``torch.profiler`` for the CPU, showing where the engine spends
its time.

    >>> import deltaprop as dp
    >>> model = dp.nn.Linear(3, 2)
    >>> with dp.profiler.profile(record_shapes=True) as prof:
    ...     with dp.profiler.record_function("forward and backward"):
    ...         model(dp.randn(4, 3)).sum().backward()
    >>> [e.count for e in prof.key_averages() if e.key in ("linear", "linear_backward")]
    [1, 1]

Each operation's forward is an event named as its function (``linear``, ``relu``), each gradient
rule as ``<op>_backward``, each optimizer step as ``Optimizer.step#SGD.step``, each
``record_function`` range by its name; with ``with_stack`` or ``with_modules``, each module's
forward as ``nn.Module: Linear_0``. ``key_averages()`` sums them by name, and its ``table()``
shows calls, self and total CPU time (self excludes the events nested inside); ``events()`` lists
every event with its ``cpu_parent`` and ``cpu_children``; ``export_chrome_trace(path)`` writes a
trace chrome://tracing and Perfetto open. How the timing costs nothing while no profile is on:
:mod:`deltaprop.profiler.recording`.
"""

from .events import Event, EventAverage, EventList
from .profile import (ProfilerAction, ProfilerActivity, profile, schedule, supported_activities,
                      tensorboard_trace_handler)
from .ranges import record_function

__all__ = ["Event", "EventAverage", "EventList", "ProfilerAction", "ProfilerActivity", "profile", "record_function",
           "schedule", "supported_activities", "tensorboard_trace_handler"]
