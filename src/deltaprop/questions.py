"""PyTorch's questions about objects and dtypes: ``typename``, ``is_storage`` and ``can_cast``."""

from __future__ import annotations

from .dtypes import tensor_dtype
from .ops.promotion import category
from .tensor import Tensor


def typename(obj) -> str:
    """The name of ``obj``'s type as PyTorch writes it: a tensor's legacy type ('deltaprop.FloatTensor',
    :meth:`Tensor.type`), else the module and the name of the class ('int' for Python's own)."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in (None, "builtins") else f"{module}.{cls.__qualname__}"


def is_storage(obj) -> bool:
    """False: deltaprop has no storage objects (a tensor's memory is its NumPy array)."""
    return False


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rule lets an operation write values of dtype ``from_`` into one of
    dtype ``to`` (the ``out=`` and in-place rule): yes unless ``to`` is of a lower category in
    bool < integer < floating point (a float into an integer, a number into a boolean)."""
    return category(tensor_dtype("can_cast", from_, argument="from_")) <= category(
        tensor_dtype("can_cast", to, argument="to"))
