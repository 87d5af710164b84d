"""``Tensor``: a NumPy array that remembers how it was computed.

A tensor made by an operation keeps its parents (the operation's inputs) and the operation's
gradient rule; ``backward()`` hands both to :mod:`deltaprop.engine`, which walks them in reverse. A
tensor that nobody asked a gradient of records nothing, so input data costs nothing extra.

The operations themselves live in :mod:`deltaprop.ops`, each forward beside its gradient rule; the
methods and operators here only forward to them, so this file reads as the tensor's whole API.
"""

from __future__ import annotations

import numpy as np

from .engine import run_backward
from .errors import GradError
from .grad_mode import _state as _grad_state

float16 = np.float16
float32 = np.float32
float64 = np.float64
int32 = np.int32
int64 = np.int64
bool_ = np.bool_

DEFAULT_DTYPE = np.dtype(np.float32)
_new_tensor = object.__new__


def _to_array(data, dtype=None, copy: bool = True) -> np.ndarray:
    """The array a tensor holds: float32 for Python or NumPy floats unless ``dtype`` says otherwise."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=dtype, copy=copy or None)
    array = np.array(data, copy=copy or None)
    if array.dtype.kind == "f" and array.dtype != DEFAULT_DTYPE and array.dtype.itemsize >= 4:
        return array.astype(DEFAULT_DTYPE)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"tensor: cannot hold data of dtype {array.dtype} (numbers or booleans only)")
    return array


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``data`` is the NumPy array; ``grad`` is filled by ``backward()`` for tensors that require a
    gradient. Build tensors with :func:`deltaprop.tensor`; operators and methods follow PyTorch's
    names and NumPy's broadcasting.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_op", "_retains_grad", "_pending", "__weakref__")

    # With __array_ufunc__ = None, ``ndarray + tensor`` defers to Tensor.__radd__ instead of turning
    # the tensor into an array, so mixing the two keeps the graph.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        self.data = _to_array(data, dtype, copy=False)
        self.grad = None
        self._parents = ()
        self._backward = None
        self._op = None
        self._retains_grad = False
        self._pending = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- the graph -------------------------------------------------------------------------------

    @classmethod
    def _wrap(cls, data) -> "Tensor":
        """A tensor around ``data`` exactly as given (no copy, no dtype policy) that needs no gradient."""
        out = object.__new__(cls)
        out.data = data
        out.grad = None
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        out._op = None
        out._retains_grad = False
        out._pending = None
        return out

    @staticmethod
    def _from_op(data: np.ndarray, parents: tuple, backward, op: str) -> "Tensor":
        """The result of an operation: records ``parents`` and the rule only when a gradient is needed."""
        out = _new_tensor(Tensor)
        # NumPy returns scalars, not arrays, from operations on 0-d arrays; keep .data an ndarray.
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        out.grad = None
        out._op = op
        out._retains_grad = False
        out._pending = None
        if _grad_state.enabled:
            for parent in parents:
                if parent.requires_grad:
                    out.requires_grad = True
                    out._parents = parents
                    out._backward = backward
                    return out
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        return out

    def backward(self, gradient=None) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires one.

        For a scalar, ``gradient`` defaults to 1. For any other shape it must be given: it is the
        gradient of some scalar with respect to this tensor (the vector of a vector-Jacobian
        product). Gradients accumulate in the leaves' ``.grad`` across calls, as in PyTorch.
        """
        if not self.requires_grad:
            raise GradError(
                "backward: this tensor does not require a gradient (no input of the computation had "
                "requires_grad=True, or it was computed under no_grad())"
            )
        if gradient is None:
            if self.data.size != 1:
                raise GradError(
                    f"backward: a gradient can be implied only for a scalar; this tensor has shape "
                    f"{self.shape}, so pass backward(gradient=...) of that shape or reduce it first "
                    f"(e.g. .sum() or .mean())"
                )
            seed = np.array(1, dtype=self.data.dtype) if self.data.ndim == 0 else np.ones_like(self.data)
        else:
            seed = np.array(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=self.dtype)
            if seed.shape != self.shape:
                raise GradError(f"backward: gradient has shape {seed.shape}, the tensor has shape {self.shape}")
        run_backward(self, seed)

    def retain_grad(self) -> "Tensor":
        """Keep this intermediate tensor's gradient in ``.grad`` after ``backward()``."""
        if self._backward is not None:
            self._retains_grad = True
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place (floating-point tensors only); returns the tensor."""
        if requires_grad and self.data.dtype.kind != "f":
            raise GradError(
                f"requires_grad: only floating-point tensors can require a gradient; this one is "
                f"{self.data.dtype}. Convert it first, e.g. tensor(x, dtype=float32)"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> "Tensor":
        """The same data, cut from the graph: no gradient flows through it."""
        return Tensor._wrap(self.data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded operation (inputs and parameters)."""
        return self._backward is None

    @property
    def grad_fn(self) -> str | None:
        """Name of the operation that produced this tensor, if it was recorded."""
        return self._op if self._backward is not None else None

    # -- array facts -----------------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        """Number of elements."""
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        """The sub-tensors along the first axis (each with its gradient); a 0-d tensor has none to
        iterate over: an error, as in PyTorch (Python's fallback through ``t[0]`` ended at once)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor has an item; this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.data.dtype != DEFAULT_DTYPE:
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())  # a one-element tensor, as in PyTorch (item() names the shape otherwise)

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__  # tensors are compared elementwise, hashed by identity

    # -- arithmetic (NumPy broadcasting; reflected forms for scalar and array left operands) -----

    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    neg = __neg__

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    # Comparisons give boolean tensors that carry no gradient.
    def __lt__(self, other):
        return Tensor._wrap(np.asarray(self.data < _data(other)))

    def __le__(self, other):
        return Tensor._wrap(np.asarray(self.data <= _data(other)))

    def __gt__(self, other):
        return Tensor._wrap(np.asarray(self.data > _data(other)))

    def __ge__(self, other):
        return Tensor._wrap(np.asarray(self.data >= _data(other)))

    def __eq__(self, other):
        return Tensor._wrap(np.asarray(self.data == _data(other)))

    def __ne__(self, other):
        return Tensor._wrap(np.asarray(self.data != _data(other)))

    def any(self) -> bool:
        return bool(self.data.any())

    def all(self) -> bool:
        return bool(self.data.all())

    # -- reductions --------------------------------------------------------------------------

    def sum(self, axis=None, keepdims=False):
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.mean(self, axis, keepdims)

    def var(self, axis=None, keepdims=False, correction=1):
        return _ops.var(self, axis, keepdims, correction)

    def max(self, axis=None, keepdims=False):
        return _ops.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _ops.min(self, axis, keepdims)

    def argmax(self, axis=None, keepdims=False):
        return Tensor._wrap(np.argmax(self.data, axis=axis, keepdims=keepdims))

    def argmin(self, axis=None, keepdims=False):
        return Tensor._wrap(np.argmin(self.data, axis=axis, keepdims=keepdims))

    # -- elementwise functions ---------------------------------------------------------------

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    def clip(self, min=None, max=None):
        return _ops.clip(self, min, max)

    clamp = clip

    def relu(self):
        return _ops.relu(self)

    def leaky_relu(self, negative_slope=0.01):
        return _ops.leaky_relu(self, negative_slope)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def tanh(self):
        return _ops.tanh(self)

    def softmax(self, axis=-1):
        return _ops.softmax(self, axis)

    def log_softmax(self, axis=-1):
        return _ops.log_softmax(self, axis)

    # -- shape -------------------------------------------------------------------------------

    def reshape(self, *shape):
        return _ops.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    view = reshape

    def transpose(self, dim0=None, dim1=None):
        """Swap two axes (PyTorch's ``transpose(dim0, dim1)``); with no arguments, reverse them all."""
        if dim0 is None and dim1 is None:
            return _ops.permute(self, None)
        if dim0 is None or dim1 is None:
            raise TypeError("transpose: give both axes to swap, or none to reverse all axes")
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return _ops.permute(self, tuple(axes))

    def permute(self, *axes):
        return _ops.permute(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes)

    @property
    def T(self):
        return _ops.permute(self, None)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def squeeze(self, axis=None):
        return _ops.squeeze(self, axis)

    def unsqueeze(self, axis):
        return _ops.unsqueeze(self, axis)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # -- dtype -------------------------------------------------------------------------------

    def astype(self, dtype):
        return _ops.astype(self, dtype)

    to = astype

    def float(self):
        return _ops.astype(self, float32)

    def double(self):
        return _ops.astype(self, float64)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Python and NumPy floats become float32 unless ``dtype`` is given (float64 is kept when asked
    for); integers stay integers and cannot require a gradient.
    """
    return Tensor(_to_array(data, dtype, copy=True), requires_grad=requires_grad, dtype=dtype)


def as_tensor(data, dtype=None) -> Tensor:
    """``data`` as a tensor, sharing memory with it where possible (no copy)."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    return Tensor(data, dtype=dtype)


from . import ops as _ops  # noqa: E402  (the operations import Tensor from this module)
