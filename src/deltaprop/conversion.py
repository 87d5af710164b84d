"""``asarray``: an object as a tensor, sharing memory with it where it can, as ``torch.asarray``.

A tensor or a NumPy array is kept as it is (a tensor returned itself, an array wrapped without a
copy, its dtype kept) unless ``dtype`` asks for another dtype or ``copy=True`` for a copy;
``copy=False`` refuses what cannot share memory. A copy or conversion of a tensor stays in its
graph (``requires_grad=False`` cuts it off). A bytes-like object is read as its bytes, grouped by
``dtype``. Numbers and sequences are new tensors typed as :func:`deltaprop.tensor` types them, but
a NumPy scalar keeps its dtype.
"""

from __future__ import annotations

import numpy as np

from .devices import on_cpu
from .dtypes import TENSOR_KINDS, tensor_dtype
from .errors import ConfigError
from .ops.elementwise import astype, clone
from .tensor import Tensor, get_default_dtype, tensor


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None) -> Tensor:
    """``obj`` (a tensor, a NumPy array or scalar, a bytes-like object, a number or a sequence) as a
    tensor, sharing its memory unless ``copy`` is true or ``dtype`` differs (see the module's text).
    ``requires_grad`` None keeps a tensor's; True makes the result require a gradient."""
    on_cpu("asarray", device)
    for name, flag in (("copy", copy), ("requires_grad", requires_grad)):
        if flag not in (None, True, False):
            raise TypeError(f"asarray: {name} must be True, False or None, got {flag!r}")
    dtype = None if dtype is None else tensor_dtype("asarray", dtype)
    if isinstance(obj, Tensor):
        return _of_tensor(obj, dtype, copy, requires_grad)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        array = np.frombuffer(obj, dtype or get_default_dtype())
        return _flagged(Tensor._wrap(array.copy() if copy else array), requires_grad)
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in TENSOR_KINDS or (obj.dtype.kind == "f" and obj.dtype.itemsize > 8):
            raise TypeError(f"asarray: cannot hold a NumPy array of dtype {obj.dtype} (numbers or booleans only)")
        return _flagged(Tensor._wrap(_converted(obj, dtype, copy, "a NumPy array")), requires_grad)
    if copy is False:
        raise ConfigError(f"asarray: copy=False asks to share memory, and a {type(obj).__name__} has none a tensor "
                          f"can share (give a NumPy array or a tensor, or leave copy out)")
    if isinstance(obj, np.generic):  # a NumPy scalar keeps its dtype, as in PyTorch
        return asarray(np.asarray(obj), dtype=dtype, requires_grad=requires_grad)
    return _flagged(tensor(obj, dtype=dtype), requires_grad)


def _converts(array: np.ndarray, dtype, copy, what: str) -> bool:
    """Whether ``dtype`` is another than the array's, refused with ``copy=False``."""
    if dtype is None or dtype == array.dtype:
        return False
    if copy is False:
        raise ConfigError(f"asarray: copy=False cannot share the memory of {what} of dtype {array.dtype} while "
                          f"converting it to {dtype}")
    return True


def _converted(array: np.ndarray, dtype, copy, what: str) -> np.ndarray:
    if _converts(array, dtype, copy, what):
        return array.astype(dtype)
    return array.copy() if copy else array


def _of_tensor(t: Tensor, dtype, copy, requires_grad) -> Tensor:
    if requires_grad is False:  # cut from the graph: a new tensor (the data shared unless converted or copied)
        return Tensor._wrap(_converted(t.data, dtype, copy, "a tensor"))
    out = t
    if _converts(t.data, dtype, copy, "a tensor"):
        out = astype(t, dtype)
    elif copy:
        out = clone(t)
    if requires_grad and not out.requires_grad:
        out = Tensor._wrap(out.data) if out is t else out  # (t itself is left as it is)
        out.requires_grad_(True)
    return out


def _flagged(t: Tensor, requires_grad) -> Tensor:
    return t.requires_grad_(True) if requires_grad else t
