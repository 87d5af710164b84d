"""``torch.accelerator``'s questions, answered for a library that computes on the CPU.

PyTorch's tutorials of 2.6 and later choose their device through this namespace, which names
whichever accelerator a machine has (CUDA, MPS, XPU, ...)::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

The CPU is not an accelerator, so here, as in PyTorch on a machine without one, there is none: such
scripts choose ``"cpu"``. Anything that needs an accelerator to exist is not offered (PyTorch's
refuse without one).
"""

from __future__ import annotations

__all__ = ["current_accelerator", "device_count", "is_available"]


def is_available() -> bool:
    """False: deltaprop computes with NumPy, on the CPU, which is not an accelerator."""
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator's device type: None, as there is none (PyTorch's answer without one, whether or
    not ``check_available``)."""
    return None


def device_count() -> int:
    """0: there is no accelerator to count."""
    return 0
