"""``record_function``: a range of your own code, named, in the profile (and free without one)."""

from __future__ import annotations

import functools

from .recording import Recording


class record_function:
    """Mark a range of code as one event named ``name`` in the profile recording now: as a
    ``with`` block, or as a decorator (each call one event). The operations inside are its
    children, so its self time is the time spent in neither of them. Without a profile on, it
    does nothing. ``args`` (a string) is kept with the event, as PyTorch keeps it."""

    def __init__(self, name: str, args: str | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"record_function: name must be a string, got {name!r}")
        if args is not None and not isinstance(args, str):
            raise TypeError(f"record_function: args must be a string or None, got {args!r}")
        self.name, self.args = name, args
        self._open: list = []

    def __enter__(self) -> "record_function":
        recording = Recording.active
        self._open.append((recording, recording.open(self.name, "user_annotation") if recording is not None else None))
        return self

    def __exit__(self, *exc_info) -> None:
        recording, event = self._open.pop()
        if event is not None:
            recording.close(event)

    def __call__(self, function):
        if not callable(function):
            raise TypeError(f"record_function: can decorate a function only, got {function!r}")

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return function(*args, **kwargs)

        return wrapper
