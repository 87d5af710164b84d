"""Whether operations record the graph that ``backward()`` walks.

``no_grad()`` switches recording off, for evaluation and for optimizer updates; it works as a
context manager and as a decorator (of a generator function too: its body runs in that mode), like
PyTorch's. The switch is per thread.
"""

from __future__ import annotations

import functools
import inspect
import threading


class _GradState(threading.local):
    enabled = True


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require a gradient record the graph."""
    return _state.enabled


class _GradSwitch:
    """Sets grad mode to ``self._mode`` inside a ``with`` block or a decorated function.

    Works with or without parentheses as a decorator (``@no_grad()`` and ``@no_grad``), and one
    instance may be entered several times, nested: each exit restores what its own enter saw.
    """

    _mode: bool

    def __new__(cls, function=None):
        switch = super().__new__(cls)
        switch._saved = []
        return switch if function is None else switch(function)

    def __init__(self, function=None) -> None:
        pass

    def __enter__(self) -> None:
        self._saved.append(_state.enabled)
        _state.enabled = self._mode

    def __exit__(self, *exc_info) -> None:
        _state.enabled = self._saved.pop()

    def __call__(self, function):
        mode = self._mode
        if inspect.isgeneratorfunction(function):
            return _generator_in_mode(function, mode)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            previous = _state.enabled
            _state.enabled = mode
            try:
                return function(*args, **kwargs)
            finally:
                _state.enabled = previous

        return wrapper


def _generator_in_mode(function, mode: bool):
    """A generator function whose body runs in grad mode ``mode`` at every step, as PyTorch's
    decorators make it; the caller's mode holds between steps (a plain wrapper would switch the
    mode only while the generator object is made, before any of the body runs)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        generator = function(*args, **kwargs)
        sent, thrown = None, None
        while True:
            previous = _state.enabled
            _state.enabled = mode
            try:
                value = generator.send(sent) if thrown is None else generator.throw(thrown)
            except StopIteration as stop:
                return stop.value
            finally:
                _state.enabled = previous
            try:
                sent, thrown = (yield value), None
            except GeneratorExit:
                _state.enabled = mode
                try:
                    generator.close()
                finally:
                    _state.enabled = previous
                raise
            except BaseException as error:  # thrown in by the caller: into the body, in its mode
                sent, thrown = None, error

    return wrapper


class no_grad(_GradSwitch):
    """Operations inside record no graph: nothing is kept for a backward pass.

    >>> import deltaprop
    >>> model, x = deltaprop.nn.Linear(3, 1), deltaprop.ones(4, 3)
    >>> with deltaprop.no_grad():
    ...     y = model(x)
    >>> y.requires_grad
    False
    """

    _mode = False


class enable_grad(_GradSwitch):
    """Switch recording back on inside a ``no_grad`` block."""

    _mode = True
