"""The one device: deltaprop computes with NumPy, on the CPU.

PyTorch code moves models and tensors with ``.to(device)``, ``.to(dtype)`` or ``.to(device,
dtype)``. Here the device part can only name the CPU (``"cpu"``, ``"cpu:0"``, or an object whose
``type`` is ``"cpu"``, such as a ``torch.device``), which leaves everything where it is; any other
device is refused in one sentence. What remains is the dtype, or nothing.
"""

from __future__ import annotations

import re
import reprlib

import numpy as np

from .errors import ConfigError

# Device names PyTorch knows, so that "cuda:0" is recognised as a device, not taken for a dtype.
_DEVICE = re.compile(r"(cpu|cuda|mps|xpu|xla|meta|hip|hpu|ipu|mtia|vulkan|privateuseone)(:\d+)?")


NO_DTYPE = object()  # what target_dtype returns for a call that names no dtype (to("cpu"))


def _device_type(value):
    """The device type ``value`` names ("cpu", "cuda", ...), or None if it names no device."""
    if isinstance(value, str):
        match = _DEVICE.fullmatch(value.strip())
        return match.group(1) if match else None
    kind = getattr(value, "type", None)  # a torch.device
    return kind if isinstance(kind, str) and type(value).__name__ == "device" else None


def target_dtype(owner: str, args: tuple, kwargs: dict):
    """The dtype a ``to(*args, **kwargs)`` call asks for (``NO_DTYPE``: none), after checking that
    any device it names is the CPU. Accepts PyTorch's forms: ``to(dtype)``, ``to(device)``,
    ``to(device, dtype)``, ``to(tensor)`` (its dtype), and ``dtype=``, ``device=``,
    ``non_blocking=``, ``copy=`` (the last two change nothing here)."""
    unknown = set(kwargs) - {"dtype", "device", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"{owner}.to() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    if len(args) > 2:
        raise TypeError(f"{owner}.to() takes a device, a dtype or a tensor, and at most a device and a dtype")
    dtype, device = kwargs.get("dtype", NO_DTYPE), kwargs.get("device")
    for arg in args:
        if _device_type(arg) is not None:
            device = arg
        elif isinstance(getattr(arg, "dtype", None), np.dtype) and not isinstance(arg, (type, np.dtype)):
            dtype = arg.dtype  # to(other): the other tensor's (or array's) dtype
        else:
            dtype = arg
    if device is not None:
        check_device(f"{owner}.to()", device)
    return dtype


def check_device(owner: str, device) -> None:
    """Refuse, in one sentence, a ``device`` argument that names anything but the CPU."""
    kind = _device_type(device)
    if kind is None:
        # (the repr cut short: a model file may give a layer any device string)
        raise ConfigError(f"{owner}: {reprlib.repr(device)} is not a device; deltaprop computes on the CPU ('cpu')")
    if kind != "cpu":
        raise ConfigError(f"{owner}: deltaprop computes with NumPy on the CPU, so there is no {kind!r} device; "
                          "use 'cpu', or drop the call")
