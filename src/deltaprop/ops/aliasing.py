"""A tensor as an instance of a subclass of Tensor, sharing its memory and its place in the graph:
PyTorch's ``Tensor.as_subclass(cls)``.

The result is a new object of ``cls`` holding the same array; where the tensor requires a gradient,
it is recorded as an 'alias' of it (PyTorch's ``AliasBackward0``), whose gradient passes through
unchanged. ``cls.__init__`` is not called, as PyTorch does not call it either.
"""

from __future__ import annotations

from ..tensor import Tensor
from ._core import record


def alias_as(tensor: Tensor, cls) -> Tensor:
    """``tensor`` as an instance of ``cls`` (Tensor or a subclass), in the graph where it is."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"as_subclass: cls must be deltaprop.Tensor or a subclass of it, got {cls!r}")
    alias = record(tensor.data, (tensor,), lambda g: (g,), "alias")
    if cls is Tensor:
        return alias
    out = object.__new__(cls)
    for name in ("data", "grad", "requires_grad", "_parents", "_backward", "_op", "_retains_grad", "_pending",
                 "_stamp"):
        if hasattr(alias, name):
            setattr(out, name, getattr(alias, name))
    return out
