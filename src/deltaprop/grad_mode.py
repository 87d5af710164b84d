"""Whether operations record the graph that ``backward()`` walks.

``no_grad()`` switches recording off, for evaluation and for optimizer updates; it works as a
context manager and as a decorator (of a generator function too: its body runs in that mode), like
PyTorch's; so do ``enable_grad()``, ``set_grad_enabled(mode)`` (also a plain call that switches at
once) and ``inference_mode()``. The switch is per thread.
"""

from __future__ import annotations

import functools
import inspect
import threading


class _GradState(threading.local):
    enabled = True
    inference = False  # inside inference_mode() (which records no graph, as no_grad() does)


_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require a gradient record the graph."""
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (not inside a plain ``no_grad()``), as PyTorch's."""
    return _state.inference


def _switch(mode: bool, inference) -> tuple:
    """Grad mode ``mode`` and, unless ``inference`` is None, inference mode ``inference``; returns
    the two as they were, for :func:`_restore`."""
    before = (_state.enabled, _state.inference)
    _state.enabled = mode
    if inference is not None:
        _state.inference = inference
    return before


def _restore(before: tuple) -> None:
    _state.enabled, _state.inference = before


class _GradSwitch:
    """Sets grad mode to ``self._mode`` inside a ``with`` block or a decorated function.

    Works with or without parentheses as a decorator (``@no_grad()`` and ``@no_grad``), and one
    instance may be entered several times, nested: each exit restores what its own enter saw.
    """

    _mode: bool
    _inference = None  # inference mode inside (None: as it was); inference_mode's switch sets it

    def __new__(cls, function=None):
        switch = super().__new__(cls)
        switch._saved = []
        return switch if function is None else switch(function)

    def __init__(self, function=None) -> None:
        pass

    def __enter__(self) -> None:
        self._saved.append(_switch(self._mode, self._inference))

    def __exit__(self, *exc_info) -> None:
        _restore(self._saved.pop())

    def __call__(self, function):
        mode, inference = self._mode, self._inference
        if inspect.isgeneratorfunction(function):
            return _generator_in_mode(function, mode, inference)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            previous = _switch(mode, inference)
            try:
                return function(*args, **kwargs)
            finally:
                _restore(previous)

        return wrapper


def _generator_in_mode(function, mode: bool, inference=None):
    """A generator function whose body runs in grad mode ``mode`` at every step, as PyTorch's
    decorators make it; the caller's mode holds between steps (a plain wrapper would switch the
    mode only while the generator object is made, before any of the body runs)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        generator = function(*args, **kwargs)
        sent, thrown = None, None
        while True:
            previous = _switch(mode, inference)
            try:
                value = generator.send(sent) if thrown is None else generator.throw(thrown)
            except StopIteration as stop:
                return stop.value
            finally:
                _restore(previous)
            try:
                sent, thrown = (yield value), None
            except GeneratorExit:
                previous = _switch(mode, inference)
                try:
                    generator.close()
                finally:
                    _restore(previous)
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


class set_grad_enabled(_GradSwitch):
    """Grad mode ``mode`` (True or False), as PyTorch's: called on its own it switches at once
    (``set_grad_enabled(False)``); in a ``with`` block, or as a decorator, the mode holds inside
    and the one before is restored afterwards.

    >>> import deltaprop
    >>> with deltaprop.set_grad_enabled(False):
    ...     deltaprop.is_grad_enabled()
    False
    >>> deltaprop.is_grad_enabled()
    True
    """

    def __new__(cls, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        return super().__new__(cls)

    def __init__(self, mode) -> None:
        self._mode = mode
        self._before = _state.enabled
        _state.enabled = mode  # the plain call's effect; a with block or decorator undoes it

    def __enter__(self) -> None:
        self._saved.append((self._before, _state.inference))  # what was in force before the call switched
        _state.enabled = self._mode
        self._before = self._mode  # a second entry of the same instance restores to its own start

    def __call__(self, function):
        _state.enabled = self._before  # as a decorator it switches only while the function runs
        return super().__call__(function)


class inference_mode(_GradSwitch):
    """PyTorch's ``inference_mode(mode=True)``, which here is ``no_grad()`` (``enable_grad()`` for
    mode=False, as PyTorch's switches grad mode back on): deltaprop has no separate inference
    tensors, so what it saves over no_grad in PyTorch is already saved here. Inside,
    :func:`is_inference_mode_enabled` is ``mode``."""

    _mode = False  # what the bare decorator, and mode=True, give
    _inference = True

    def __new__(cls, mode=True):
        if callable(mode):  # @inference_mode, without parentheses
            return super().__new__(cls, mode)
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode: mode must be True or False, got {mode!r}")
        return super().__new__(cls)

    def __init__(self, mode=True) -> None:
        self._mode, self._inference = not mode, mode
