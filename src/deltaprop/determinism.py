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
