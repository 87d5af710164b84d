"""``Variable``, PyTorch's legacy wrapper: since PyTorch 0.4 a tensor is what a Variable was.

``Variable(x)`` gives a tensor sharing ``x``'s data, cut from its graph, that requires a gradient
if asked to; ``isinstance(t, Variable)`` is true of every tensor, so old code that checks for
either keeps working.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..tensor import Tensor, get_default_dtype


class _VariableType(type):
    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor)

    def __subclasscheck__(cls, subclass) -> bool:
        return issubclass(subclass, Tensor)


class Variable(metaclass=_VariableType):
    """``Variable(data, requires_grad=False)``: ``data.detach()`` (the same memory), with
    ``requires_grad`` set; without data, an empty tensor. ``volatile`` is taken, with a warning that
    it does nothing (``no_grad()`` is what it became)."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if volatile:
            warnings.warn("Variable: volatile does nothing since PyTorch 0.4; compute under deltaprop.no_grad() "
                          "instead", UserWarning, stacklevel=2)
        if data is None:
            return Tensor._wrap(np.empty((0,), dtype=get_default_dtype()))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable: data must be a tensor, got {type(data).__name__}; make one with "
                            "deltaprop.tensor(...)")
        return data.detach().requires_grad_(requires_grad) if requires_grad else data.detach()
