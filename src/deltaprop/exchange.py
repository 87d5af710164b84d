"""Tensors that share memory with other libraries' arrays and with raw buffers: PyTorch's
``from_dlpack``/``to_dlpack`` (through NumPy's own DLPack support: a PyTorch CPU tensor, a CuPy or JAX
array on the CPU, a NumPy array) and ``frombuffer`` (a ``bytes``, ``bytearray``, ``array.array``,
``memoryview``, ...). No values are copied: a change made through one is seen through the other.
"""

from __future__ import annotations

import numpy as np

from .dtypes import tensor_dtype
from .errors import ConfigError
from .tensor import Tensor


class _Capsule:
    """A DLPack capsule (``to_dlpack``'s result, or another library's) in the protocol's object form,
    which is what NumPy's ``from_dlpack`` takes; a capsule can be read once."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (1, 0)  # (kDLCPU, device 0): a capsule NumPy cannot read off the CPU is refused when read


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with ``ext_tensor``: any object with ``__dlpack__`` (a PyTorch CPU
    tensor, a NumPy array, ...) or a DLPack capsule. The data must be on the CPU."""
    if hasattr(ext_tensor, "__dlpack__"):
        source = ext_tensor
    elif type(ext_tensor).__name__ == "PyCapsule":
        source = _Capsule(ext_tensor)
    else:
        raise TypeError(f"from_dlpack: expects an object with __dlpack__ or a DLPack capsule, got "
                        f"{type(ext_tensor).__name__}")
    try:
        array = np.from_dlpack(source)
    except (BufferError, RuntimeError, TypeError) as error:
        raise TypeError(f"from_dlpack: cannot share the memory of this {type(ext_tensor).__name__} ({error})") from None
    return Tensor._wrap(array)


def to_dlpack(tensor: Tensor):
    """A DLPack capsule of ``tensor``'s memory, for another library's ``from_dlpack`` (one use)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"to_dlpack: expects a deltaprop tensor, got {type(tensor).__name__}")
    return tensor.__dlpack__()


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False) -> Tensor:
    """A vector of ``dtype`` over the bytes of ``buffer`` (an object of Python's buffer protocol),
    from byte ``offset``: ``count`` elements, or all that follow for -1. It shares the buffer's
    memory; a read-only buffer (``bytes``) gives a tensor that refuses in-place changes."""
    dtype = tensor_dtype("frombuffer", dtype)
    length = memoryview(buffer).nbytes
    if not 0 <= offset < max(length, 1) or length == 0:
        raise ConfigError(f"frombuffer: offset must be in [0, {length}) (the buffer's length in bytes), got "
                          f"offset={offset}" + (" (the buffer is empty)" if length == 0 else ""))
    if count == 0 or count < -1:
        raise ConfigError(f"frombuffer: count must be positive, or -1 for every element after offset, got {count}")
    if count == -1 and (length - offset) % dtype.itemsize:
        raise ConfigError(f"frombuffer: the {length - offset} bytes after offset {offset} are not a whole number of "
                          f"{dtype.name} elements ({dtype.itemsize} bytes each); give count")
    if count > 0 and count * dtype.itemsize > length - offset:
        raise ConfigError(f"frombuffer: count={count} {dtype.name} elements need {count * dtype.itemsize} bytes, and "
                          f"only {length - offset} follow offset {offset}")
    array = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
    out = Tensor._wrap(array)
    return out.requires_grad_(True) if requires_grad else out
