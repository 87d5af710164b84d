"""PyTorch's thread settings: ``set_num_threads``, ``get_num_threads`` and their inter-op forms.

deltaprop's one source of parallelism is the BLAS library NumPy hands its matrix products to (the
OpenBLAS its wheels bundle, or MKL, BLIS); everything else runs on the calling thread. So
``set_num_threads(n)`` sets that library's own thread count at run time, through the function the
library exports for it (called with ctypes), and ``get_num_threads()`` asks the library back. The
library is found among the shared libraries the process has loaded (``/proc/self/maps`` on Linux,
the dynamic loader's list on macOS), or else among the ones NumPy's wheel bundles. Where NumPy's
BLAS has no such control (Apple's Accelerate), the number is kept and read back, with one warning.

PyTorch's inter-op threads run independent operations side by side; deltaprop runs one operation
at a time, so ``set_num_interop_threads`` only keeps its number, which
``get_num_interop_threads`` reads back.
"""

from __future__ import annotations

import ctypes
import os
import sys
import warnings

import numpy as np

from .errors import ConfigError

__all__ = ["get_num_interop_threads", "get_num_threads", "set_num_interop_threads", "set_num_threads"]


class ThreadCountError(ConfigError, RuntimeError):
    """A thread count that is not a positive integer: a ``ConfigError``, and a ``RuntimeError`` as
    PyTorch raises for it."""


# (setter, getter, C type of the count) of each BLAS's own thread control, under the names its
# library exports: NumPy's wheels bundle OpenBLAS with its symbols renamed (scipy_openblas, 64-bit
# integers: the ``64_`` suffix); other builds link a plain OpenBLAS, MKL or BLIS.
_CONTROLS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_", ctypes.c_int),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads", ctypes.c_int),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_", ctypes.c_int),
    ("openblas_set_num_threads", "openblas_get_num_threads", ctypes.c_int),
    ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads", ctypes.c_int),
    ("bli_thread_set_num_threads", "bli_thread_get_num_threads", ctypes.c_int64),  # BLIS counts in dim_t
)
_LIBRARY_WORDS = ("blas", "mkl_rt", "blis")  # what the file names of those libraries contain

_found: list = []  # [(setter, getter), ...] once looked for; [None] when there is none
_kept = {"threads": None, "interop": None}  # the numbers set where no library takes them
_warned: list = []


def _loaded_libraries() -> list:
    """Paths of the shared libraries this process has loaded, where the platform tells them."""
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
                return list(dict.fromkeys(line.split(None, 5)[-1].strip() for line in maps if "/" in line))
        except OSError:
            return []
    if sys.platform == "darwin":
        try:
            loader = ctypes.CDLL(None)
            loader._dyld_get_image_name.restype = ctypes.c_char_p
            return [loader._dyld_get_image_name(i).decode(errors="replace") for i in range(loader._dyld_image_count())]
        except (OSError, AttributeError):
            return []
    return []


def _bundled_libraries() -> list:
    """The libraries NumPy's wheel ships beside it (numpy.libs on Linux and Windows, .dylibs on macOS)."""
    package = os.path.dirname(np.__file__)
    folders = [os.path.join(os.path.dirname(package), "numpy.libs"), os.path.join(package, ".dylibs")]
    return [os.path.join(folder, name)
            for folder in folders if os.path.isdir(folder) for name in sorted(os.listdir(folder))]


def _controls() -> list:
    """The (setter, getter) pairs of every BLAS found, NumPy's own first; looked for once."""
    if _found:
        return [] if _found == [None] else _found
    paths = _loaded_libraries() or _bundled_libraries()
    candidates = [p for p in paths if any(word in os.path.basename(p).lower() for word in _LIBRARY_WORDS)]
    candidates.sort(key=lambda path: "numpy" not in path)  # (a stable sort: NumPy's first, else as found)
    for path in candidates:
        try:
            library = ctypes.CDLL(path)  # the loaded copy: the loader hands back the same one
        except OSError:
            continue
        for set_name, get_name, count in _CONTROLS:
            if hasattr(library, set_name) and hasattr(library, get_name):
                setter, getter = getattr(library, set_name), getattr(library, get_name)
                setter.argtypes, setter.restype, getter.argtypes, getter.restype = [count], None, [], count
                _found.append((setter, getter))
                break
    if not _found:
        _found.append(None)
    return [] if _found == [None] else _found


def _count(function: str, n) -> int:
    """``n`` as an int, refused (as PyTorch refuses it) unless it is a positive integer."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ThreadCountError(f"{function}: the number of threads must be a positive integer, got {n!r}")
    return int(n)


def set_num_threads(n: int) -> None:
    """Let NumPy's BLAS use ``n`` threads for matrix products from now on (``n`` a positive integer;
    anything else is a RuntimeError, as in PyTorch). Every BLAS library loaded is set alike."""
    n = _count("set_num_threads", n)
    controls = _controls()
    for setter, _ in controls:
        setter(n)
    if not controls:
        if not _warned:
            _warned.append(True)
            warnings.warn("set_num_threads: NumPy's BLAS library offers no thread control that deltaprop can find, "
                          "so the number is kept but changes nothing", UserWarning, stacklevel=2)
        _kept["threads"] = n


def get_num_threads() -> int:
    """The number of threads NumPy's BLAS uses for matrix products, as the library reports it (the
    number last set, or the machine's number of processors, where it has no thread control)."""
    controls = _controls()
    if controls:
        return int(controls[0][1]())
    return _kept["threads"] or os.cpu_count() or 1


def set_num_interop_threads(n: int) -> None:
    """Keep ``n`` (a positive integer) as the number of inter-op threads; deltaprop runs one operation
    at a time, so nothing else changes. PyTorch allows one call only, before any parallel work;
    here the number can be set again."""
    _kept["interop"] = _count("set_num_interop_threads", n)


def get_num_interop_threads() -> int:
    """The number last given to :func:`set_num_interop_threads` (the number of processors before)."""
    return _kept["interop"] or os.cpu_count() or 1
