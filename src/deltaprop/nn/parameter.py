"""``Parameter``: a tensor that is a learnable weight of a module; ``UninitializedParameter``: a lazy
layer's before its first input; ``Buffer``: a tensor that marks module state that is not learned;
``UninitializedBuffer``: a lazy layer's buffer (a running statistic) before its first input."""

from __future__ import annotations

import numpy as np

from ..devices import on_cpu
from ..dtypes import tensor_dtype
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


class UninitializedParameter(Parameter):
    """A lazy layer's parameter before the layer's first input: no values, no shape (an empty array
    of the dtype it will have). The layer replaces it at its first forward pass (see nn/lazy.py);
    an optimizer refuses it."""

    __slots__ = ("owner",)
    is_uninitialized = True  # what an optimizer looks for (it knows tensors, not layers)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None, *,
                 owner: str = "an uninitialized parameter"):
        on_cpu("UninitializedParameter", device)
        dtype = get_default_dtype() if dtype is None else tensor_dtype("UninitializedParameter", dtype, floating=True)
        Parameter.__init__(self, np.empty((0,), dtype=dtype), requires_grad=requires_grad)
        self.owner = owner  # "LazyLinear(out_features=4)'s weight", for the optimizer's refusal

    def __repr__(self) -> str:
        return f"<UninitializedParameter: {self.owner}>"


def is_lazy(param) -> bool:
    """Whether ``param`` is a lazy layer's placeholder (a parameter or a buffer), waiting for the
    layer's first input."""
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))


class Buffer(Tensor):
    """A tensor to assign to a module attribute to register it as a buffer (PyTorch's ``nn.Buffer``):
    ``self.running = nn.Buffer(t)`` is ``self.register_buffer("running", t)``, and
    ``persistent=False`` keeps it out of ``state_dict()``. As every buffer, the module then holds
    its array. ``Buffer()`` is empty (shape (0,), the default dtype)."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent: bool = True):
        if data is None:
            array = np.empty((0,), dtype=get_default_dtype())
        else:
            array = data.data if isinstance(data, Tensor) else np.asarray(data)
        Tensor.__init__(self, array, dtype=array.dtype)
        self.persistent = bool(persistent)


class UninitializedBuffer(Buffer):
    """A lazy layer's buffer before the layer's first input (PyTorch's ``nn.UninitializedBuffer``):
    no values, no shape (an empty array of the dtype it will have). ``LazyBatchNorm``'s and
    ``LazyInstanceNorm``'s running statistics are these until the layer becomes the layer it stands
    for, which registers its own buffers in their place (see nn/lazy.py). A module holds it as it is,
    where it holds other buffers' arrays."""

    __slots__ = ()
    is_uninitialized = True

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True):
        on_cpu("UninitializedBuffer", device)
        dtype = get_default_dtype() if dtype is None else tensor_dtype("UninitializedBuffer", dtype)
        Buffer.__init__(self, np.empty((0,), dtype=dtype), persistent=persistent)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"
