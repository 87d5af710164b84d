"""PyTorch's process-wide switches of warnings and of floating-point hardware, answered for
deltaprop: ``set_warn_always``/``is_warn_always_enabled`` and ``set_flush_denormal``.
"""

from __future__ import annotations

_state = {"warn_always": False}  # PyTorch's default


def set_warn_always(b: bool) -> None:
    """Record whether warnings that PyTorch gives once a process should be given every time. deltaprop
    gives its warnings through Python's :mod:`warnings`, whose filters decide how often each shows,
    so the setting is kept for :func:`is_warn_always_enabled` to read back."""
    if not isinstance(b, bool):
        raise TypeError(f"set_warn_always: b must be True or False, got {b!r}")
    _state["warn_always"] = b


def is_warn_always_enabled() -> bool:
    """The value last given to :func:`set_warn_always` (False before)."""
    return _state["warn_always"]


def set_flush_denormal(mode: bool) -> bool:
    """Whether the processor's flushing of subnormal floats to zero could be switched: False, and
    nothing changes. NumPy offers no way to set the processor's flush-to-zero flags, so deltaprop
    cannot (PyTorch answers False too where the processor lacks them); subnormals stay as IEEE 754 has them."""
    if not isinstance(mode, bool):
        raise TypeError(f"set_flush_denormal: mode must be True or False, got {mode!r}")
    return False
