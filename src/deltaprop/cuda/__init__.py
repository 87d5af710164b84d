"""``torch.cuda``'s questions, answered for a library that computes on the CPU.

PyTorch scripts ask before they choose a device (``dp.cuda.is_available()``) and seed every
generator they might use (``dp.cuda.manual_seed_all(0)``); here there is no GPU, so the answers are
"no" and "nothing to seed", and such scripts run as they would on a machine without one. Anything
that needs a GPU to exist is not offered.
"""

from __future__ import annotations

import numpy as np

from .. import _lazy

__all__ = ["amp", "device_count", "is_available", "is_bf16_supported", "manual_seed", "manual_seed_all"]


def is_available() -> bool:
    """False: deltaprop computes with NumPy, on the CPU."""
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: there is no GPU, and so no bfloat16 on one (PyTorch's answer on a machine without a GPU)."""
    return False


def device_count() -> int:
    """0: there is no GPU to count."""
    return 0


def manual_seed(seed: int) -> None:
    """Seed the generator of the current GPU: there is none, so nothing is seeded (as in PyTorch
    without a GPU). :func:`deltaprop.manual_seed` seeds deltaprop's draws."""
    _check_seed("manual_seed", seed)


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator: there are none, so nothing is seeded (as in PyTorch without a
    GPU). :func:`deltaprop.manual_seed` seeds deltaprop's draws."""
    _check_seed("manual_seed_all", seed)


_lazy.provide(globals(), unlisted=(".amp",))  # on first use: it brings deltaprop.amp, which scripts without it never need


def _check_seed(name: str, seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"cuda.{name}: seed must be an integer, got {seed!r}")
