"""``Parameter``: a tensor that is a learnable weight of a module."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, get_default_dtype


class Parameter(Tensor):
    """A tensor that is a learnable weight of a module: it requires a gradient by default.

    ``Parameter()`` is empty (shape (0,), the default dtype), as PyTorch's; data that is not
    floating point is taken as float32."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            array = np.empty((0,), dtype=get_default_dtype())
        else:
            array = data.data if isinstance(data, Tensor) else np.asarray(data)
        if array.dtype.kind != "f":
            array = array.astype(np.float32)
        Tensor.__init__(self, array, requires_grad=requires_grad, dtype=array.dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __getstate__(self):
        """What a copy keeps (``copy.deepcopy`` of a model, pickle), as PyTorch's Parameter: the values
        and ``requires_grad``, not the gradient."""
        base, slots = Tensor.__getstate__(self)
        return base, {**slots, "grad": None}
