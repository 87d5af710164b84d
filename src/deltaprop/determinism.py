"""``torch.use_deterministic_algorithms``: the switch a script sets for repeatable runs, kept and
read back.

deltaprop's operations are deterministic already: NumPy on the CPU, with no atomic additions in
any order and no algorithm chosen by timing, so the same inputs give the same results run after
run. Turning the switch on therefore changes nothing, and no operation ever warns or raises as a
nondeterministic one (PyTorch's does, for some CUDA kernels). ``manual_seed`` is what makes the
random draws repeat.
"""

from __future__ import annotations

_state = {"mode": False, "warn_only": False}  # PyTorch's defaults


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record ``mode`` (True or False) and ``warn_only``, as PyTorch's function does; see the
    module's text for why nothing else changes."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(f"use_deterministic_algorithms: {name} must be True or False, got {value!r}")
    _state.update(mode=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """The ``mode`` last given to :func:`use_deterministic_algorithms` (False before)."""
    return _state["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """The ``warn_only`` last given to :func:`use_deterministic_algorithms` (False before)."""
    return _state["warn_only"]


# PyTorch's other spelling of the same switch: a debug mode 'default' (0), 'warn' (1) or 'error' (2),
# which are the switch off, on with warn_only, and on.
_DEBUG_MODES = ("default", "warn", "error")


def set_deterministic_debug_mode(debug_mode) -> None:
    """Set the switch by debug mode: 'default' or 0 (off), 'warn' or 1 (on, warn_only), 'error' or 2 (on)."""
    if isinstance(debug_mode, str) and debug_mode in _DEBUG_MODES:
        debug_mode = _DEBUG_MODES.index(debug_mode)
    if isinstance(debug_mode, bool) or not isinstance(debug_mode, int) or not 0 <= debug_mode <= 2:
        raise (TypeError if not isinstance(debug_mode, (str, int)) else ValueError)(
            f"set_deterministic_debug_mode: debug_mode must be 'default', 'warn', 'error' or 0, 1, 2, "
            f"got {debug_mode!r}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0, 1 or 2: the debug mode the switch is in (see :func:`set_deterministic_debug_mode`)."""
    return 0 if not _state["mode"] else 1 if _state["warn_only"] else 2
