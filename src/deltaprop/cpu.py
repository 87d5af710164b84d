"""``torch.cpu``: the device module of the CPU, where deltaprop computes, and
``get_device_module`` (PyTorch's way to reach a device's module by the device's name).

Code written for several devices calls the same functions of whichever module it gets
(``torch.get_device_module(device).synchronize()``); here every answer is the one of a single CPU
whose work is done by the time a call returns.
"""

from __future__ import annotations

from .devices import device as _device

__all__ = ["current_device", "device_count", "get_device_module", "is_available", "set_device", "synchronize"]


def is_available() -> bool:
    """True: the CPU is always there."""
    return True


def device_count() -> int:
    """1: the CPU counts as one device, as PyTorch counts it."""
    return 1


def current_device() -> str:
    """'cpu', PyTorch's answer."""
    return "cpu"


def set_device(device) -> None:
    """Nothing to choose: there is one CPU device (PyTorch's function does nothing either)."""


def synchronize(device=None) -> None:
    """Nothing to wait for: every operation has finished when its call returns."""


def get_device_module(device=None):
    """The module of ``device`` ('cpu', 'cuda', a :class:`deltaprop.device`, or None for the current
    one, the CPU): :mod:`deltaprop.cpu`, or :mod:`deltaprop.cuda`, whose answers say there is no GPU."""
    import importlib
    import sys

    if device is None:
        return sys.modules[__name__]
    kind = device.type if isinstance(device, _device) else str(device).partition(":")[0]
    if kind not in ("cpu", "cuda"):
        raise ValueError(f"get_device_module: device must be 'cpu' or 'cuda' (or None), the device types "
                         f"deltaprop knows, got {device!r}")
    return importlib.import_module(f"deltaprop.{kind}")
