"""How the profiler times the engine while it is on, and only then.

Nothing of the training loop tests whether a profiler is on. Instead, :func:`install` swaps, for
the time of a profile, the functions that are to be timed for timed ones (:mod:`deltaprop.watching`
does the swapping, as it does for anomaly detection), and :func:`uninstall` puts the originals back:

- every public function of :mod:`deltaprop.ops` and :mod:`deltaprop.nn.functional`, wherever a
  module of deltaprop holds it under a global name (the tensor methods call them through
  ``deltaprop.ops``, so ``x @ w`` is timed as ``matmul``). An operation that calls another
  through such a name has it as a child event, as PyTorch's ``aten::linear`` has ``aten::addmm``;
- every gradient rule of a backward sweep, as ``<op>_backward`` (a runner around each rule);
- each optimizer class's ``step``, as ``Optimizer.step#SGD.step``;
- with ``with_stack`` or ``with_modules``, each module class's ``forward``, as
  ``nn.Module: Linear_0`` (numbered per class in the order the modules are first called).

An operation's time is that of the call of its public function, from entry to return, so it
includes checking and converting its arguments, as PyTorch's includes its dispatch. The timing
itself costs about a microsecond per event, which a child's parent counts in its self time.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
import types

import numpy as np

from .. import _lazy
from ..tensor import Tensor

_HERE = __name__.rsplit(".", 1)[0]  # deltaprop.profiler: its modules keep the originals


class Recording:
    """The profile now recording (None when none is), its events and its open ranges per thread."""

    active = None

    def __init__(self, record_shapes: bool, profile_memory: bool, with_stack: bool) -> None:
        self.record_shapes, self.profile_memory, self.with_stack = record_shapes, profile_memory, with_stack
        self.events: list = []
        self.open_ranges: dict = {}  # thread id -> the stack of events not yet closed
        self.modules: dict = {}  # class name -> {id(module): its number}

    def open(self, name: str, kind: str, inputs=None):
        from .events import Event

        thread = threading.get_ident()
        ranges = self.open_ranges.setdefault(thread, [])
        parent = ranges[-1] if ranges else None
        shapes = _shapes(inputs) if self.record_shapes and inputs is not None else None
        event = Event(len(self.events), name, kind, thread, 0, parent, shapes, _stack() if self.with_stack else None)
        if parent is not None:
            parent.cpu_children.append(event)
        self.events.append(event)
        ranges.append(event)
        event.start_ns = event.end_ns = time.perf_counter_ns()
        return event

    def close(self, event, output=None) -> None:
        event.end_ns = time.perf_counter_ns()
        if self.profile_memory:  # the bytes of outputs no nested call made (those are counted there)
            made_inside = set()
            for child in event.cpu_children:
                made_inside |= child.output_ids or set()
                child.output_ids = None
            arrays = _arrays(output)
            event.cpu_memory_usage = (sum(a.nbytes for a in arrays if id(a) not in made_inside)
                                      + sum(child.cpu_memory_usage for child in event.cpu_children))
            event.output_ids = made_inside | {id(a) for a in arrays}
        ranges = self.open_ranges.get(event.thread, [])
        while ranges:  # (a range left open by an exception inside it closes with its parent)
            if ranges.pop() is event:
                break


def _shapes(inputs) -> list:
    """The shape of each input that is an array or a tensor, [] for any other, as PyTorch lists them."""
    return [list(np.shape(x)) if isinstance(x, np.ndarray) else list(x.data.shape) if isinstance(x, Tensor) else []
            for x in inputs]


def _arrays(output) -> list:
    if isinstance(output, (tuple, list)):
        return [a for x in output for a in _arrays(x)]
    if isinstance(output, Tensor):
        output = output.data
    return [output] if isinstance(output, np.ndarray) else []


def _stack() -> list:
    """The caller's frames outside deltaprop, innermost first, as "file(line): function"."""
    frames, frame = [], sys._getframe(3)
    while frame is not None and len(frames) < 8:
        code = frame.f_code
        if not code.co_filename.startswith(_PACKAGE):
            frames.append(f"{code.co_filename}({frame.f_lineno}): {code.co_name}")
        frame = frame.f_back
    return frames


_PACKAGE = __file__.rsplit("profiler", 1)[0]


# -- the timed stand-ins ------------------------------------------------------------------------

def _timed_function(function, name: str):
    @functools.wraps(function)
    def timed(*args, **kwargs):
        recording = Recording.active
        if recording is None:  # (a reference kept from a profile that has ended)
            return function(*args, **kwargs)
        event = recording.open(name, "cpu_op", args)
        output = None
        try:
            output = function(*args, **kwargs)
        finally:
            recording.close(event, output)
        return output

    timed.__profiled__ = function
    return timed


def _timed_rule(node, rule, *args):
    """The runner around each gradient rule (:func:`deltaprop.watching.watch_rules`)."""
    recording = Recording.active
    if recording is None:
        return rule(*args)
    event = recording.open(f"{node._op}_backward", "cpu_op", args)
    gradients = None
    try:
        gradients = rule(*args)
    finally:
        recording.close(event, gradients)
    return gradients


def _timed_step(step):
    @functools.wraps(step)
    def timed(self, *args, **kwargs):
        recording = Recording.active
        ranges = recording.open_ranges.get(threading.get_ident()) if recording is not None else None
        if recording is None or (ranges and ranges[-1].owner is self):  # (a step calling its parent class's)
            return step(self, *args, **kwargs)
        name = type(self).__name__
        event = recording.open(f"Optimizer.step#{name}.step", "cpu_op")
        event.owner = self
        try:
            return step(self, *args, **kwargs)
        finally:
            recording.close(event)

    timed.__profiled__ = step
    return timed


def _timed_call(call):
    @functools.wraps(call)
    def timed(self, *args, **kwargs):
        recording = Recording.active
        if recording is None:
            return call(self, *args, **kwargs)
        name = type(self).__name__
        numbers = recording.modules.setdefault(name, {})
        number = numbers.setdefault(id(self), len(numbers))
        event = recording.open(f"nn.Module: {name}_{number}", "python_function", args)
        output = None
        try:
            output = call(self, *args, **kwargs)
        finally:
            recording.close(event, output)
        return output

    timed.__profiled__ = call
    return timed


# -- swapping them in and out -------------------------------------------------------------------

_installed: list = []  # what install() changed: ("names", pairs) and (class, attribute, original, timed)


def install(recording: Recording, with_modules: bool) -> None:
    """Time everything the module docstring lists, into ``recording``, until :func:`uninstall`."""
    from ..watching import rebind, watch_rules

    Recording.active = recording
    for package in ("deltaprop.ops", "deltaprop.nn", "deltaprop.nn.functional", "deltaprop.optim"):
        # (what they import on first use: its functions and classes are timed as the others are)
        _lazy.load_all(sys.modules[package])
    pairs = [(function, _timed_function(function, name)) for name, function in _functions()]
    rebind(pairs, keep=_own_modules())
    _installed.append(("names", pairs))
    watch_rules(_timed_rule, True)
    optimizer = sys.modules.get("deltaprop.optim.optimizer")
    if optimizer is not None:
        _swap_methods(optimizer.Optimizer, "step", _timed_step)
    module = sys.modules.get("deltaprop.nn.module")
    if with_modules and module is not None:
        _swap_methods(module.Module, "forward", _timed_call, also="__call__")


def uninstall() -> None:
    from ..watching import rebind, watch_rules

    watch_rules(_timed_rule, False)
    while _installed:
        entry = _installed.pop()
        if entry[0] == "names":
            rebind([(timed, original) for original, timed in entry[1]], keep=_own_modules())
        else:
            cls, attribute, original, timed = entry
            if cls.__dict__.get(attribute) is timed:  # (unless something else replaced it meanwhile)
                setattr(cls, attribute, original)
    Recording.active = None


def _own_modules() -> tuple:
    return tuple(name for name in sys.modules if name == _HERE or name.startswith(_HERE + "."))


def _functions() -> list:
    """(name, function) for every public function of deltaprop.ops and deltaprop.nn.functional
    (loaded ones), each function once, under its own name where it is listed by that name."""
    found: dict = {}
    for package in ("deltaprop.ops", "deltaprop.nn.functional"):
        namespace = getattr(sys.modules.get(package), "__dict__", {})
        for name, value in namespace.items():
            if (isinstance(value, types.FunctionType) and not name.startswith("_")
                    and value.__module__.startswith(package) and not hasattr(value, "__profiled__")):
                own = value.__name__ if namespace.get(value.__name__) is value else name
                found.setdefault(id(value), (own, value))
    return list(found.values())


def _swap_methods(base, attribute: str, timer, also: str = "") -> None:
    """Give ``base`` and each of its loaded subclasses that defines ``attribute`` a timed one, and
    the same one as ``also`` where that is the same function (a module's ``__call__`` is its
    ``forward``, see nn/module.py; a ``__call__`` of its own calls ``forward``, timed then)."""
    classes, seen = [base], set()
    while classes:
        cls = classes.pop()
        if cls in seen:
            continue
        seen.add(cls)
        classes.extend(cls.__subclasses__())
        original = cls.__dict__.get(attribute)
        if callable(original) and not hasattr(original, "__profiled__"):
            timed = timer(original)
            for name in (attribute, also) if also and cls.__dict__.get(also) is original else (attribute,):
                setattr(cls, name, timed)
                _installed.append((cls, name, original, timed))
