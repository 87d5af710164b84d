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


class device:
    """A device's name, as PyTorch's ``torch.device``: ``device("cpu")``, ``device("cuda:0")``,
    ``device("cuda", 1)``, with ``type`` and ``index`` (None when not given).

    It lets PyTorch's opening line run unchanged,
    ``device = dp.device("cuda" if dp.cuda.is_available() else "cpu")``: naming a device is always
    possible; moving anything to one other than the CPU (``.to(device)``) is refused, there.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device: an index goes with a device type ('cuda', 1), not with a device")
            type, index = type.type, type.index
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a device string such as 'cpu' or 'cuda:0', got {reprlib.repr(type)}")
        else:
            match = _DEVICE.fullmatch(type)
            if match is None:
                raise ConfigError(f"device: {type!r} is not a device; expected a type such as 'cpu', 'cuda' or 'mps', "
                                 f"optionally with ':' and an index ('cuda:0')")
            if match.group(2):
                if index is not None:
                    raise ConfigError(f"device: {type!r} has its index already, and index={index!r} was given too")
                index = int(match.group(2)[1:])
            type = match.group(1)
        if index is not None and (isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0):
            raise ConfigError(f"device: index must be a non-negative integer, got {index!r}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", None if index is None else int(index))

    def __setattr__(self, name, value):
        raise AttributeError(f"device: {name} cannot be changed; make a new device")

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return device, (self.type, self.index)


CPU = device("cpu")  # the one device
_named = device  # the class, for the functions below whose argument is PyTorch's ``device``

_default = [CPU]  # what set_default_device last recorded (a list: set without a global statement)


def set_default_device(device) -> None:
    """PyTorch's ``torch.set_default_device``: the device tensors are made on when a maker names none.

    Every tensor is on the CPU here, so this takes the CPU (``"cpu"``, ``"cpu:0"``, a
    ``dp.device`` or a ``torch.device``) and records it for :func:`get_default_device`, or None
    (back to the default, the CPU); any other device is refused in one sentence. A script's
    ``torch.set_default_device("cuda" if torch.cuda.is_available() else "cpu")`` runs unchanged.
    """
    if device is None:
        _default[0] = CPU
        return
    check_device("set_default_device", device)
    _default[0] = _named(str(device).strip())


def get_default_device():
    """The device :func:`set_default_device` recorded, ``device(type='cpu')`` unless it named an
    index (``"cpu:0"``), as PyTorch's ``torch.get_default_device``."""
    return _default[0]


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


def on_cpu(owner: str, device) -> None:
    """PyTorch's ``device=`` argument of a function that makes a tensor: None or the CPU, where every
    tensor is; any other device is refused in one sentence naming ``owner``."""
    if device is not None:
        check_device(owner, device)


def check_device(owner: str, device) -> None:
    """Refuse, in one sentence, a ``device`` argument that names anything but the CPU."""
    kind = _device_type(device)
    if kind is None:
        # (the repr cut short: a model file may give a layer any device string)
        raise ConfigError(f"{owner}: {reprlib.repr(device)} is not a device; deltaprop computes on the CPU ('cpu')")
    if kind != "cpu":
        raise ConfigError(f"{owner}: deltaprop computes with NumPy on the CPU, so there is no {kind!r} device; "
                          "use 'cpu', or drop the call")

