"""PyTorch's legacy tensor types: ``FloatTensor``, ``LongTensor``, ``DoubleTensor``, ...

Tutorials still make tensors with them (``torch.LongTensor(letter_indexes)``) and test for them
(``isinstance(x, torch.FloatTensor)``). Each is a class of its own, as in PyTorch, not a subclass of
:class:`~deltaprop.Tensor`: calling it makes a tensor of its dtype, and ``isinstance`` asks whether a
tensor has that dtype. ``x.type(dp.LongTensor)`` converts to it.

A call takes what PyTorch's legacy constructors take: data (a sequence or an array, converted to the
type's dtype, floats truncated towards zero for the integer types), sizes (``FloatTensor(2, 3)``:
zeros here, where PyTorch leaves whatever memory held, as ``empty`` does), nothing (an empty
tensor), or a tensor of the type's dtype (returned as it is; PyTorch refuses one of another dtype,
and so does this). ``device=`` can only name the CPU.
"""

from __future__ import annotations

import operator

import numpy as np

from .devices import on_cpu
from .dtypes import legacy_names
from .tensor import Tensor, tensor


class LegacyTensorType(type):
    """The class of ``FloatTensor`` and its kin: a call makes a tensor, ``isinstance`` checks the dtype."""

    dtype: np.dtype

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and instance.data.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'deltaprop.{cls.__name__}'>"

    def __call__(cls, *args, device=None):
        name = cls.__name__
        on_cpu(name, device)
        if not args:
            return tensor(np.empty(0, dtype=cls.dtype), dtype=cls.dtype)
        sizes = _sizes(args)
        if sizes is not None:
            from .creation import checked_size

            return tensor(np.zeros(checked_size(name, sizes, cls.dtype.itemsize), dtype=cls.dtype), dtype=cls.dtype)
        if len(args) > 1:
            raise TypeError(f"{name}: expected data (a sequence or an array), sizes (integers), or a tensor, "
                            f"got {len(args)} arguments that are not all integers")
        data = args[0]
        if isinstance(data, Tensor):
            if data.data.dtype != cls.dtype:
                raise TypeError(f"{name}: expected a tensor of dtype {cls.dtype.name}, got one of {data.data.dtype.name}; "
                                f"convert it with .type({name}) or .to({cls.dtype.name})")
            return data
        if isinstance(data, (str, bytes)) or np.ndim(data) == 0:
            raise TypeError(f"{name}: data must be a sequence or an array, got {type(data).__name__} ({data!r}); "
                            f"for a tensor of given sizes pass integers")
        try:
            return tensor(data, dtype=cls.dtype)
        except OverflowError as error:  # (NumPy's words name neither the call nor the type)
            raise OverflowError(f"{name}: {error}") from None


def _sizes(args: tuple):
    """``args`` as sizes if every one is an integer (not a bool: PyTorch refuses those), else None."""
    sizes = []
    for value in args:
        if isinstance(value, (bool, np.bool_)):
            return None
        try:
            sizes.append(operator.index(value))
        except TypeError:
            return None
    return tuple(sizes)


def _legacy_type(name: str, dtype: np.dtype) -> LegacyTensorType:
    doc = f"PyTorch's legacy ``{name}``: calling it makes a {dtype.name} tensor; ``isinstance`` asks for that dtype."
    return LegacyTensorType(name, (), {"dtype": dtype, "__doc__": doc, "__module__": "deltaprop"})


# (the unsigned types wider than 8 bits have names for x.type() but no constructors, as in PyTorch)
LEGACY_TYPES = {name: _legacy_type(name, dtype) for name, dtype in legacy_names().items() if not name.startswith("UInt")}
globals().update(LEGACY_TYPES)
__all__ = sorted(LEGACY_TYPES)
