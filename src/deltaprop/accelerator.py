"""``torch.accelerator``'s questions, answered for a library that computes on the CPU.

PyTorch's tutorials of 2.6 and later and recent pytorch/examples scripts choose their device through
this namespace, which names whichever accelerator a machine has (CUDA, MPS, XPU, ...)::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

The CPU is not an accelerator, so the answers are those PyTorch gives on a machine without one: not
available, none current, none to count; the questions that need one to exist (which one is
current, wait for it) are refused, as PyTorch refuses them.
"""

from __future__ import annotations

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available", "synchronize"]


def is_available() -> bool:
    """False: deltaprop computes with NumPy, on the CPU."""
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator (PyTorch's answer on a machine without one, with either
    ``check_available``)."""
    return None


def device_count() -> int:
    """0: there is no accelerator to count."""
    return 0


def current_device_index() -> int:
    """Refused: there is no accelerator device, so none is current."""
    raise RuntimeError("accelerator.current_device_index: there is no accelerator device; "
                       "deltaprop computes on the CPU")


def synchronize(device=None) -> None:
    """Refused: there is no accelerator device to wait for."""
    raise RuntimeError("accelerator.synchronize: there is no accelerator device; deltaprop computes on the CPU")
