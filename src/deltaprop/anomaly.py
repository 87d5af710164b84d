"""Anomaly detection, PyTorch's ``torch.autograd.detect_anomaly``: find the operation whose
gradient rule first gives NaN, and the line of your code that made it.

While the mode is on, every operation that records a node remembers where it was made (a short
summary of the caller's stack, without source lines until they are needed), and every backward
sweep runs each node's rule through :func:`run_rule`: a rule that fails gets a note saying where
its operation was made, and with ``check_nan`` a rule that returns a NaN in a gradient raises a
:class:`~deltaprop.errors.GradError` naming the operation (its ``_op``: 'sqrt' for a ``SqrtBackward0``),
the input and that place.

Off, it costs the training loop nothing, not even a test. Nodes are made by the recorder
(``Tensor._from_op``, bound as ``record`` in each of deltaprop's modules of operations); while the
mode is on, those bindings are swapped for :func:`_tracing_record`, and back again when it goes
off. The rules of the sweep of ``backward()`` are run through :func:`run_rule` while it is on
(both swaps by :mod:`deltaprop.watching`, which the profiler shares).

    >>> import deltaprop as dp
    >>> x = dp.tensor([0.0, 1.0], requires_grad=True)
    >>> with dp.autograd.detect_anomaly():
    ...     y = (dp.sqrt(x) * 0).sum()
    ...     y.backward()
    Traceback (most recent call last):
    ...
    deltaprop.errors.GradError: backward: the gradient rule of 'sqrt' returned NaN in the gradient of its input 0 (shape (2,)); the operation was made at ...
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
import weakref

import numpy as np

from .errors import GradError
from .watching import rebind, watch_rules

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_DEPTH = 12  # frames kept per node: enough to reach the caller's code through a few layers
_record = None  # the plain recorder, Tensor._from_op (set when the mode is first switched on)


class Anomaly:
    """The mode (global, as PyTorch's) and the places where the nodes made under it were made."""

    enabled = False
    check_nan = True
    traces: dict = {}  # id(node) -> (weak reference to the node, ((file, line, function), ...) innermost first)
    pruned_at = 10_000  # the size at which dead nodes' entries are dropped next


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on (``detect_anomaly``, ``set_detect_anomaly``)."""
    return Anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True while anomaly detection, when on, checks every gradient rule's result for NaN."""
    return Anomaly.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly detection on or off (PyTorch's ``torch.set_anomaly_enabled``); ``check_nan``
    says whether gradients are checked for NaN while it is on."""
    for name, value in (("enabled", enabled), ("check_nan", check_nan)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"set_anomaly_enabled: {name} must be True or False, got {value!r}")
    enabled = bool(enabled)
    if enabled != Anomaly.enabled:
        global _record
        from .tensor import Tensor

        _record = Tensor._from_op
        rebind([(_record, _tracing_record)] if enabled else [(_tracing_record, _record)], keep=(__name__,))
        watch_rules(run_rule, enabled)  # the hooks' sweep runs the rules through run_rule
        if not enabled:
            Anomaly.traces.clear()
    Anomaly.enabled, Anomaly.check_nan = enabled, bool(check_nan)


class detect_anomaly:
    """Anomaly detection on inside a ``with`` block or a decorated function, and as it was after.

    The gradient rule that returns NaN (with ``check_nan=True``) raises a ``GradError`` that names
    the operation and where it was made; a rule that fails gets that place as a note. Slow: every
    operation records a stack summary. For finding a bug, not for training."""

    def __init__(self, check_nan: bool = True) -> None:
        if not isinstance(check_nan, (bool, np.bool_)):
            raise TypeError(f"detect_anomaly: check_nan must be True or False, got {check_nan!r}")
        self.check_nan = bool(check_nan)
        self._saved: list = []

    def __enter__(self) -> None:
        self._saved.append((Anomaly.enabled, Anomaly.check_nan))
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc_info) -> None:
        set_anomaly_enabled(*self._saved.pop())

    def __call__(self, function):
        if inspect.isgeneratorfunction(function):
            raise TypeError("detect_anomaly: cannot decorate a generator function; use it as a with block inside it")

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Switch anomaly detection to ``mode`` at once (PyTorch's ``set_detect_anomaly(mode)``); used
    as a ``with`` block, the mode before it comes back at its end."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._saved = (Anomaly.enabled, Anomaly.check_nan)
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info) -> None:
        set_anomaly_enabled(*self._saved)


def run_rule(node, rule, *args):
    """``rule(*args)``, the gradients of ``node``'s inputs, checked as anomaly mode checks them: a
    failure gets a note saying where the node was made; a NaN (``check_nan``) is refused by name."""
    try:
        gradients = rule(*args)
    except Exception as error:
        if hasattr(error, "add_note"):  # (Python 3.11 and later)
            error.add_note(f"detect_anomaly: this happened in the gradient rule of '{node._op}', {_made_at(node)}\n"
                           + _formatted(node))
        raise
    if Anomaly.check_nan:
        for i, g in enumerate(gradients):
            array = g if g is None or isinstance(g, np.ndarray) else g.data  # (the graph-building sweep's are tensors)
            if array is not None and array.dtype.kind in "fc" and np.isnan(array).any():
                error = GradError(f"backward: the gradient rule of '{node._op}' returned NaN in the gradient of its "
                                  f"input {i} (shape {np.shape(array)}); the operation was {_made_at(node)}")
                if hasattr(error, "add_note"):
                    error.add_note(_formatted(node))
                raise error
    return gradients


def _tracing_record(data, parents, backward, op):
    """The recorder while anomaly mode is on: the plain one, and a note of where the node was made."""
    out = _record(data, parents, backward, op)
    if out._backward is not None:
        frames = []
        frame = sys._getframe(1)
        while frame is not None and len(frames) < _DEPTH:
            frames.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
            frame = frame.f_back
        traces = Anomaly.traces
        traces[id(out)] = (weakref.ref(out), tuple(frames))
        if len(traces) >= Anomaly.pruned_at:  # drop the entries of nodes that are gone (an id may be reused)
            for key in [key for key, (ref, _) in traces.items() if ref() is None]:
                del traces[key]
            Anomaly.pruned_at = max(10_000, 2 * len(traces))
    return out


def _frames(node) -> tuple:
    entry = Anomaly.traces.get(id(node))
    return entry[1] if entry is not None and entry[0]() is node else ()


def _made_at(node) -> str:
    """Where ``node`` was made, as "made at file:line, in function": the innermost frame outside
    deltaprop (the caller's line), else the innermost one."""
    frames = _frames(node)
    if not frames:
        return "made before anomaly detection was switched on, so where is not known"
    outside = [frame for frame in frames if not frame[0].startswith(_PACKAGE)]
    filename, line, function = (outside or frames)[0]
    return f"made at {filename}:{line}, in {function}"


def _formatted(node) -> str:
    """The stack ``node`` was made from, outermost first, with the source lines."""
    import linecache

    lines = [f"'{node._op}' was made here (most recent call last):"]
    for filename, line, function in reversed(_frames(node)):
        lines.append(f'  File "{filename}", line {line}, in {function}')
        source = linecache.getline(filename, line).strip()
        if source:
            lines.append(f"    {source}")
    return "\n".join(lines)
