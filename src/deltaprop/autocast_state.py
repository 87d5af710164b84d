"""PyTorch's questions and switches of autocast's state (``torch.is_autocast_enabled``,
``torch.get_autocast_dtype``, ``torch.set_autocast_enabled``, ...), answered for deltaprop's
:class:`deltaprop.autocast`.

deltaprop computes every operation in its operands' own dtype (:mod:`deltaprop.amp` says why), so
autocast is never on: :func:`is_autocast_enabled` is False inside ``with deltaprop.autocast(...)``
too, as PyTorch's is inside an autocast it disabled (a CUDA autocast without CUDA), and
``set_autocast_enabled(..., True)`` warns, as ``autocast`` does, and leaves it off. What an autocast
region does set is kept and answered as PyTorch keeps it: the dtype it would cast to for each
device type (bfloat16 for the CPU, float16 for CUDA unless set), whether casts would be cached, and
how deeply autocast regions are nested. The state is per thread, as PyTorch's.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np

from .devices import device as _device
from .dtypes import MissingDtype, bfloat16, tensor_dtype
from .errors import ConfigError

# PyTorch's autocast dtypes before any is set, by device type.
_DEFAULT_DTYPES = {
    "cpu": bfloat16, "hpu": bfloat16, "xla": bfloat16,
    "cuda": np.dtype(np.float16), "xpu": np.dtype(np.float16), "mps": np.dtype(np.float16),
    "ipu": np.dtype(np.float16), "mtia": np.dtype(np.float16), "privateuseone": np.dtype(np.float16),
}


class _State(threading.local):
    def __init__(self) -> None:
        self.dtypes = dict(_DEFAULT_DTYPES)
        self.cache_enabled = True
        self.nesting = 0


_state = _State()


def _kind(owner: str, device_type) -> str:
    """The device type named (``'cuda'`` for ``'cuda:0'``), refused where PyTorch has no autocast for it."""
    if not isinstance(device_type, str):
        raise TypeError(f"{owner}: device_type must be a string such as 'cpu' or 'cuda', got {device_type!r}")
    kind = _device(device_type).type  # (a ConfigError naming the string if it names no device)
    if kind not in _DEFAULT_DTYPES:
        raise ConfigError(f"{owner}: there is no autocast for device type {kind!r} (PyTorch has none either)")
    return kind


def _enabled_flag(owner: str, enabled) -> bool:
    if not isinstance(enabled, (bool, np.bool_)):
        raise TypeError(f"{owner}: enabled must be True or False, got {enabled!r}")
    return bool(enabled)


def _warn_disabled(kind: str, stacklevel: int) -> None:
    warnings.warn(f"autocast: deltaprop computes in each tensor's own dtype (NumPy has no bfloat16, and no {kind!r} "
                  "device is here), so autocast is disabled, as PyTorch disables it where it cannot autocast",
                  UserWarning, stacklevel=stacklevel + 1)


def is_autocast_enabled(device_type=None) -> bool:
    """False: deltaprop never autocasts (``device_type``, 'cuda' when not given, is checked)."""
    _kind("is_autocast_enabled", "cuda" if device_type is None else device_type)
    return False


def set_autocast_enabled(device_type, enabled=None) -> None:
    """PyTorch's switch (``set_autocast_enabled('cpu', True)``, or ``set_autocast_enabled(True)`` for
    CUDA): turning autocast off changes nothing, as it is off; turning it on warns that it stays off."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    kind = _kind("set_autocast_enabled", device_type)
    if _enabled_flag("set_autocast_enabled", enabled):
        _warn_disabled(kind, 2)


def get_autocast_dtype(device_type):
    """The dtype an autocast region would cast to on ``device_type``: the one set last (by
    :func:`set_autocast_dtype` or an ``autocast(dtype=...)`` region around this call), else
    PyTorch's default for the device type (bfloat16 for 'cpu', float16 for 'cuda')."""
    return _state.dtypes[_kind("get_autocast_dtype", device_type)]


def set_autocast_dtype(device_type, dtype) -> None:
    """Set the dtype :func:`get_autocast_dtype` answers for ``device_type`` (any dtype, or bfloat16)."""
    kind = _kind("set_autocast_dtype", device_type)
    _state.dtypes[kind] = dtype if isinstance(dtype, MissingDtype) else tensor_dtype("set_autocast_dtype", dtype)


def is_autocast_cache_enabled() -> bool:
    """Whether an autocast region would keep its casts of weights (True unless switched off); there
    are no casts here to keep."""
    return _state.cache_enabled


def set_autocast_cache_enabled(enabled) -> None:
    _state.cache_enabled = _enabled_flag("set_autocast_cache_enabled", enabled)


def clear_autocast_cache() -> None:
    """Nothing to clear: no tensor is ever cast by autocast here."""
    return None


def autocast_increment_nesting() -> int:
    """One more autocast region entered; returns how many are open now."""
    _state.nesting += 1
    return _state.nesting


def autocast_decrement_nesting() -> int:
    """One autocast region left; returns how many are open now (below 0 if more were left than
    entered, as PyTorch counts)."""
    _state.nesting -= 1
    return _state.nesting


# PyTorch's older, per-device forms (deprecated there, with the same warning here).

def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated (in PyTorch too); use {new} instead", DeprecationWarning, stacklevel=3)


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def set_autocast_cpu_dtype(dtype) -> None:
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype) -> None:
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled) -> None:
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    if _enabled_flag("set_autocast_cpu_enabled", enabled):
        _warn_disabled("cpu", 2)


class region:
    """The state an ``autocast(device_type, dtype, cache_enabled=...)`` region sets on entry and puts
    back on exit, as PyTorch's: the device type's dtype, the cache flag and the nesting count."""

    def __init__(self, kind: str, dtype, cache_enabled) -> None:
        self.kind, self.dtype, self.cache_enabled = kind, dtype, cache_enabled
        self._saved: list = []

    def enter(self) -> None:
        self._saved.append((_state.dtypes[self.kind], _state.cache_enabled))
        if self.dtype is not None:
            set_autocast_dtype(self.kind, self.dtype)
        if self.cache_enabled is not None:
            _state.cache_enabled = bool(self.cache_enabled)
        autocast_increment_nesting()

    def exit(self) -> None:
        autocast_decrement_nesting()
        _state.dtypes[self.kind], _state.cache_enabled = self._saved.pop()
