"""``Tensor``: a NumPy array that remembers how it was computed.

A tensor made by an operation keeps its parents (the operation's inputs) and the operation's
gradient rule; ``backward()`` hands both to :mod:`deltaprop.engine`, which walks them in reverse. A
tensor that nobody asked a gradient of records nothing, so input data costs nothing extra.

The operations themselves live in :mod:`deltaprop.ops`, each forward beside its gradient rule; the
methods and operators here only forward to them, so this file reads as the tensor's whole API.
"""

from __future__ import annotations

import operator
import weakref

import numpy as np

from .changes import Changes
from .versions import leaf_refusal, rebase
from .devices import CPU, NO_DTYPE, on_cpu, target_dtype
from .printing import format_array
from . import draws as _draws
from .dtypes import TENSOR_KINDS, dtype_refusal, legacy_dtype, tensor_dtype, type_name
from .engine import add_hook, run_backward
from .nodes import node_name, node_of
from .errors import GradError, ShapeError
from . import grad_mode as _grad_mode
from .grad_mode import _state as _grad_state

float16 = np.float16
float32 = np.float32
float64 = np.float64
int32 = np.int32
int64 = np.int64
bool_ = np.bool_

# The dtype of floating-point tensors made without one: from Python floats, by the creation
# functions, as nn layers' parameters. Read here as a module global (what the constructor's hot
# path costs already); set_default_dtype rebinds it, and other modules ask get_default_dtype().
DEFAULT_DTYPE = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype of floating-point tensors made without one: float32 unless :func:`set_default_dtype` changed it."""
    return DEFAULT_DTYPE


def set_default_dtype(d) -> None:
    """Make ``d`` (float32 or float64) the dtype of floating-point tensors made from then on without
    one: from Python floats, by the creation functions (zeros, rand, arange of floats, ...) and as
    nn layers' parameters. Integers stay int64, as in PyTorch, which also refuses integer, boolean
    and complex defaults; float16 is refused here (PyTorch takes it), since NumPy float arrays
    become the default dtype on the way in, and float16 would round them."""
    global DEFAULT_DTYPE
    try:
        resolved = None if d is None else np.dtype(d)  # (NumPy reads None as float64)
    except TypeError:
        resolved = None
    if resolved not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype: the default dtype must be float32 or float64, got {d!r}")
    DEFAULT_DTYPE = resolved
_new_tensor = object.__new__


def _to_array(data, dtype=None, copy: bool = True, owner: str = "tensor") -> np.ndarray:
    """The array a tensor holds: float32 for Python or NumPy floats unless ``dtype`` says otherwise."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        # (the hot path: only a failure gets the dtype checked; tensor() and as_tensor() also refuse
        # the object, string and complex arrays NumPy makes without failing)
        try:
            return np.array(data, dtype=dtype, copy=copy or None)
        except (TypeError, ValueError):
            tensor_dtype(owner, dtype)  # the dtype named in one sentence if it is the trouble, else NumPy's error
            raise
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

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_op", "_retains_grad", "_pending", "_stamp",
                 "_stepped", "_hooks", "_node", "_versions", "__weakref__")

    # With __array_ufunc__ = None, ``ndarray + tensor`` defers to Tensor.__radd__ instead of turning
    # the tensor into an array, so mixing the two keeps the graph.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if not isinstance(requires_grad, (bool, np.bool_)):  # Tensor(2, 3), PyTorch's legacy shape form
            raise TypeError(f"Tensor(data, requires_grad=False, dtype=None): requires_grad must be True or False, "
                            f"got {requires_grad!r}; for a tensor of a given shape use deltaprop.zeros(...) or deltaprop.rand(...)")
        self.data = _to_array(data, dtype, False, "Tensor")
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
        # NumPy returns scalars, not arrays, from operations on 0-d arrays; keep .data an ndarray. A
        # Python float is an operation on Python numbers alone (dp.mul(2.5, 2)): PyTorch's default float.
        if type(data) is not np.ndarray:
            data = np.asarray(data) if type(data) is not float else np.asarray(data, DEFAULT_DTYPE)
        out.data = data
        out.grad = None
        out._op = op
        out._retains_grad = False
        out._pending = None
        if _grad_state.enabled:
            for parent in parents:
                if parent.requires_grad:
                    out._stamp = Changes.clock
                    out.requires_grad = True
                    out._parents = parents
                    out._backward = backward
                    return out
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        return out

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires one.

        For a scalar, ``gradient`` defaults to 1. For any other shape it must be given: it is the
        gradient of some scalar with respect to this tensor (the vector of a vector-Jacobian
        product). Gradients accumulate in the leaves' ``.grad`` across calls, as in PyTorch.
        """
        # The graph is never freed (its rules hold NumPy arrays), so a second backward() works with or
        # without retain_graph, accumulating as PyTorch's retain_graph=True does.
        if create_graph:
            raise GradError("backward: create_graph=True is not supported, as .grad holds arrays outside the graph; "
                            "deltaprop.autograd.grad(loss, inputs, create_graph=True) returns gradients that can be "
                            "differentiated again")
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
        """Keep this intermediate tensor's gradient in ``.grad`` after ``backward()`` (a leaf keeps
        its own anyway); refused, as in PyTorch, for a tensor that will get no gradient."""
        if not self.requires_grad:
            raise GradError("retain_grad: this tensor has requires_grad=False, so backward() gives it no "
                            "gradient to keep (no input of its computation requires one, or it was made under no_grad())")
        if self._backward is not None:
            self._retains_grad = True
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place (floating-point tensors only); returns the tensor. Only a
        leaf can be switched off, as in PyTorch: for a computed tensor, ``detach()`` says so."""
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad_: requires_grad must be True or False, got {requires_grad!r}")
        if not requires_grad and self._backward is not None:
            raise GradError(
                "requires_grad_(False): only a leaf's flag can be switched off (this tensor was computed by "
                f"'{self._op}', and the gradient of what it was computed from would be cut silently); use "
                "y = y.detach() for a tensor that takes no part in the graph"
            )
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
    def grad_fn(self):
        """The node of the recorded operation that produced this tensor (None for a leaf), as in
        PyTorch: ``name()`` (``MulBackward0``), ``next_functions``, hooks (:mod:`deltaprop.nodes`)."""
        return node_of(self) if self._backward is not None else None

    # -- array facts -----------------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        """The shape, a plain tuple: equal to PyTorch's ``torch.Size``, as :class:`deltaprop.Size` is
        (a Size made here cost a small network's training step 1.7%, reading the batch size)."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self):
        """``device(type='cpu')``: where every tensor is (for PyTorch's ``zeros(n, device=x.device)``)."""
        return CPU

    is_cuda = False  # (PyTorch's flags, read by code that branches on them)
    is_cpu = True
    # (and its other backends' and layouts': none of them is where a deltaprop tensor is)
    is_meta = is_xla = is_xpu = is_mps = is_ipu = is_mtia = is_maia = is_vulkan = False
    is_nested = is_quantized = is_sparse_csr = is_mkldnn = False

    def get_device(self) -> int:
        """-1, PyTorch's number for the CPU (a GPU's index otherwise)."""
        return -1

    def data_ptr(self) -> int:
        """The address of the first element in memory: two tensors with the same one share it (the
        address of the array's start for an empty tensor, where PyTorch gives 0)."""
        return self.data.__array_interface__["data"][0]

    const_data_ptr = data_ptr

    def dim_order(self) -> tuple:
        """The dimensions from the outermost in memory to the innermost (largest stride first; ties in
        the order of the dimensions): (0, 1, 2) for a new tensor, (1, 0) for a matrix's transpose."""
        steps = self.stride()
        return tuple(sorted(range(len(steps)), key=lambda d: -abs(steps[d])))

    def is_inference(self) -> bool:
        """False: deltaprop makes no inference tensors (its ``inference_mode`` is ``no_grad``, and a
        tensor made there may later enter the graph)."""
        return False

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """The array as a DLPack capsule, for another library's ``from_dlpack`` (sharing its memory)."""
        if self.requires_grad:
            raise BufferError("__dlpack__: a tensor that requires grad cannot be exported (its gradient would be lost, "
                              "as PyTorch refuses too); export x.detach()")
        kwargs = {} if max_version is None else {"max_version": max_version}
        return self.data.__dlpack__(stream=stream, dl_device=dl_device, copy=copy, **kwargs)

    def __dlpack_device__(self) -> tuple:
        return self.data.__dlpack_device__()

    # PyTorch's memory placement, asked by code that hands tensors to other processes or stages them
    # for a GPU: a deltaprop tensor's array lives in this process's ordinary memory, where it stays.

    def share_memory_(self) -> "Tensor":
        """This tensor, unchanged (PyTorch moves it into memory that other processes can map; here
        no tensor leaves its process, so :meth:`is_shared` stays False)."""
        return self

    def is_shared(self) -> bool:
        return False

    def pin_memory(self, device=None) -> "Tensor":
        """This tensor itself: pinned memory speeds copies to a GPU, and there is none."""
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    def record_stream(self, stream) -> None:
        """Nothing to do: there are no GPU streams whose use of the memory to wait for."""

    def numel(self) -> int:
        """Number of elements."""
        return self.data.size

    nelement = numel  # PyTorch's other names: nelement, ndimension

    def ndimension(self) -> int:
        return self.data.ndim

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return self.data.itemsize

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        """Whether the elements lie in memory in row-major order without gaps, as a new tensor's do
        (a transpose, a strided slice or an ``expand()`` view's do not)."""
        return self.data.flags.c_contiguous

    def contiguous(self) -> "Tensor":
        """This tensor if it is contiguous (itself, as PyTorch returns it), else a contiguous copy that
        stays in the graph: ``x.transpose(1, 2).contiguous().view(...)``."""
        return self if self.data.flags.c_contiguous else _ops.clone(self)

    # PyTorch's sparse layout, in deltaprop's dense-backed form (deltaprop.sparse): every tensor is dense
    is_sparse = False

    def to_sparse(self, sparse_dim=None) -> "Tensor":
        """A copy that stays in the graph, as ``torch.sparse_coo_tensor`` makes one here: dense
        (``deltaprop.sparse``), with PyTorch's values and gradients."""
        return _ops.clone(self)

    def to_dense(self, dtype=None) -> "Tensor":
        """This tensor (already dense, as PyTorch returns a dense one), or converted to ``dtype``."""
        return self if dtype is None else self.to(dtype)

    def size(self, dim=None):
        """The shape, or its length along ``dim`` (PyTorch's ``size``)."""
        if dim is None:
            return self.data.shape
        if self.data.ndim == 0:
            raise ShapeError(f"size: a 0-d tensor has no dimension {dim}")
        return self.data.shape[self._axis("size", dim)]

    def _axis(self, op: str, dim) -> int:
        """``dim`` as a non-negative axis (0 for a 0-d tensor's 0 or -1, as PyTorch allows), or a
        ShapeError naming ``op`` for one out of range."""
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{op}: a dim must be an integer, got {dim!r}")
        try:
            return _ops._core.normalize_axes(dim, self.data.ndim)[0]
        except ShapeError as error:
            raise ShapeError(f"{op}: {error}") from None

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
        body = format_array(self.data, "tensor(")
        extras = []
        if self.data.dtype != DEFAULT_DTYPE:
            extras.append(f"dtype={self.data.dtype}")
        if self._backward is not None:
            extras.append(f"grad_fn=<{node_name(self._op, self._backward)}>")
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

    def __index__(self) -> int:
        """A one-element integer (or boolean) tensor as a Python index, as in PyTorch:
        ``items[dp.tensor(2)]``, ``range(dp.tensor(3))``."""
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.data.reshape(()).item())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as in PyTorch; any other as
        ``str`` does, with no format spec."""
        if self.data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

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

    def __floordiv__(self, other):
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops.floor_divide(other, self)

    def __mod__(self, other):
        return _ops.remainder(self, other)

    def __rmod__(self, other):
        return _ops.remainder(other, self)

    # & | ^ ~: boolean and integer tensors only, results outside the graph (ops.logical)
    def __and__(self, other):
        return _ops.bitwise_and(self, other)

    def __rand__(self, other):
        return _ops.bitwise_and(other, self)

    def __or__(self, other):
        return _ops.bitwise_or(self, other)

    def __ror__(self, other):
        return _ops.bitwise_or(other, self)

    def __xor__(self, other):
        return _ops.bitwise_xor(self, other)

    def __rxor__(self, other):
        return _ops.bitwise_xor(other, self)

    def __invert__(self):
        return _ops.bitwise_not(self)

    def mm(self, other):
        return _ops.mm(self, other)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def unfold(self, dimension, size, step):
        """The windows of ``size`` elements ``step`` apart along ``dimension``, as a new last dimension."""
        return _ops.unfold_dimension(self, dimension, size, step)

    def mv(self, vec):
        return _ops.mv(self, vec)

    def dot(self, other):
        return _ops.dot(self, other)

    def eq(self, other):
        return self == other

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    neg = negative = __neg__

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    # Comparisons give boolean tensors that carry no gradient, compared in the dtype PyTorch promotes to.
    def _compared(self, compare, other) -> "Tensor":
        return Tensor._wrap(np.asarray(compare(*_ops.promotion.wrapped_operands(self.data, _data(other)))))

    def __lt__(self, other):
        return self._compared(operator.lt, other)

    def __le__(self, other):
        return self._compared(operator.le, other)

    def __gt__(self, other):
        return self._compared(operator.gt, other)

    def __ge__(self, other):
        return self._compared(operator.ge, other)

    def __eq__(self, other):
        return self._compared(operator.eq, other)

    def __ne__(self, other):
        return self._compared(operator.ne, other)

    # PyTorch's all() and any() of the whole tensor give a 0-d tensor, which ``if``, ``not`` and
    # ``bool()`` read through __bool__ (``.item()`` gives the Python bool).
    def any(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Whether any element is true: a boolean tensor over ``dim``, 0-d for the whole tensor."""
        axis, keepdims = _ops._core.torch_names("any", axis, dim, keepdims, keepdim)
        return _ops.any_true(self, axis, keepdims)

    def all(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Whether every element is true: a boolean tensor over ``dim``, 0-d for the whole tensor."""
        axis, keepdims = _ops._core.torch_names("all", axis, dim, keepdims, keepdim)
        return _ops.all_true(self, axis, keepdims)

    # -- reductions --------------------------------------------------------------------------

    # NumPy's names (axis, keepdims) and PyTorch's (dim, keepdim) both work.

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        return _ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim, dtype=dtype)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        return _ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim, dtype=dtype)

    # var and std take PyTorch's positional arguments (dim, unbiased, keepdim), whose second one is
    # not keepdim; NumPy's axis= and keepdims= as keywords.

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """The variance over ``dim`` (every dim by default), with ``correction`` 1 (the unbiased
        estimate, PyTorch's default) unless ``unbiased=False`` or ``correction=0`` (NumPy's) says otherwise."""
        axis, keepdims, correction = _ops.reduction.moment_arguments("var", dim, unbiased, keepdim, correction, axis, keepdims)
        return _ops.var(self, axis, keepdims, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """The standard deviation over ``dim``, √var (the arguments are :meth:`var`'s)."""
        axis, keepdims, correction = _ops.reduction.moment_arguments("std", dim, unbiased, keepdim, correction, axis, keepdims)
        return _ops.std(self, axis, keepdims, correction)

    def norm(self, p=2, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The p-norm over ``dim`` (all elements by default): 2 ('fro'), 1, inf or any p > 0."""
        return _ops.norm(self, p, axis, keepdim if keepdims is None else keepdims, dim=dim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The largest element; along ``dim``, PyTorch's ``(values, indices)`` pair (``x.max(1)``,
        ``x.max(dim=1)``); along ``axis=``, NumPy's values alone (``x.max(axis=1)``, ``torch.amax``);
        of a tensor or array, the elementwise maximum (``x.max(other)``, ``torch.maximum``)."""
        return self._extremum(_ops.max, np.argmax, dim, keepdim, axis, keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The smallest element; along ``dim`` a ``(values, indices)`` pair, along ``axis=`` the values."""
        return self._extremum(_ops.min, np.argmin, dim, keepdim, axis, keepdims)

    def _extremum(self, reduce, arg, dim, keepdim, axis, keepdims):
        if isinstance(dim, (Tensor, np.ndarray)):  # x.max(other): PyTorch's elementwise maximum
            return (_ops.maximum if reduce is _ops.max else _ops.minimum)(self, dim)
        keep = keepdim if keepdims is None else keepdims
        if dim is None:
            return reduce(self, axis, keep)
        if axis is not None:
            raise TypeError("max/min: give axis (NumPy's name) or dim (PyTorch's), not both")
        values = reduce(self, dim, keep)  # checks dim; its values, not yet its gradient rule
        if self.data.ndim == 0:
            return MaxMin(values, Tensor._wrap(np.asarray(0)))
        axis = dim % self.data.ndim
        index = np.asarray(arg(self.data, axis=axis, keepdims=True))
        # The values are read at the indices, so the gradient goes to the element each index names,
        # as PyTorch's max(dim) sends it (amax, and axis= here, share it among ties).
        where = list(np.indices(index.shape, sparse=True))
        where[axis] = index
        values = _ops.getitem(self, tuple(where))
        if not keep:
            values, index = _ops.squeeze(values, axis), index.squeeze(axis)
        return MaxMin(values, Tensor._wrap(index))

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The index (int64) of the largest element along ``dim``, of the flattened tensor for None."""
        return self._arg_extremum(np.argmax, axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """The index (int64) of the smallest element along ``dim``, of the flattened tensor for None."""
        return self._arg_extremum(np.argmin, axis, keepdims, dim, keepdim)

    def _arg_extremum(self, arg, axis, keepdims, dim, keepdim):
        axis, keepdims = (axis if dim is None else dim), (keepdims if keepdim is None else keepdim)
        if axis is not None:
            _ops._core.normalize_axes(axis, self.ndim)  # one sentence for an axis out of range
        try:
            index = arg(self.data, axis=axis, keepdims=keepdims)
        except ValueError:  # NumPy's "attempt to get argmax of an empty sequence"
            over = "its elements" if axis is None else f"dim {axis}"
            raise ValueError(f"{arg.__name__}: the tensor of shape {self.shape} has no elements over {over} to "
                             "take an index from") from None
        return Tensor._wrap(np.asarray(index, dtype=np.int64))

    # -- elementwise functions ---------------------------------------------------------------

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    absolute = abs

    def clip(self, min=None, max=None):
        return _ops.clip(self, min, max)

    clamp = clip

    # Math added for code ported from PyTorch (its names; NumPy's axis/keepdims beside dim/keepdim).

    def log1p(self):
        return _ops.log1p(self)

    def expm1(self):
        return _ops.expm1(self)

    def log2(self):
        return _ops.log2(self)

    def log10(self):
        return _ops.log10(self)

    def exp2(self):
        return _ops.exp2(self)

    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def square(self):
        return _ops.square(self)

    def rsqrt(self):
        return _ops.rsqrt(self)

    def reciprocal(self):
        return _ops.reciprocal(self)

    def erf(self):
        return _ops.erf(self)

    def erfc(self):
        return _ops.erfc(self)

    def erfinv(self):
        return _ops.erfinv(self)

    def lgamma(self):
        return _ops.lgamma(self)

    def digamma(self):
        return _ops.digamma(self)

    def polygamma(self, n):
        return _ops.polygamma(n, self)

    def sign(self):
        return _ops.sign(self)

    def floor(self):
        return _ops.floor(self)

    def ceil(self):
        return _ops.ceil(self)

    def trunc(self):
        return _ops.trunc(self)

    fix = trunc  # (PyTorch's other name)

    def round(self, decimals=0):
        return _ops.round(self, decimals)

    def clamp_min(self, min):
        return _ops.clamp_min(self, min)

    def clamp_max(self, max):
        return _ops.clamp_max(self, max)

    def prod(self, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
        return _ops.prod(self, axis, keepdims, dim=dim, keepdim=keepdim, dtype=dtype)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        return _ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def cumsum(self, axis=None, *, dim=None, dtype=None):
        return _ops.cumsum(self, axis, dim=dim, dtype=dtype)

    def cumprod(self, axis=None, *, dim=None, dtype=None):
        return _ops.cumprod(self, axis, dim=dim, dtype=dtype)

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient (a tensor) once ``backward()`` has
        completed it, as PyTorch's: a hook that returns a tensor or array of the same shape replaces
        the gradient (for later hooks, ``.grad`` and everything upstream); None keeps it. On a leaf
        the hook sees what this backward pass adds, before it is added to ``.grad``. A hook must not
        change its argument in place. Returns a handle whose ``remove()`` takes the hook off."""
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be a function of the gradient, got {hook!r}")
        if not self.requires_grad:
            raise GradError("register_hook: this tensor has requires_grad=False, so backward() gives it no gradient "
                            "for a hook to see")
        return add_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` each time ``backward()`` has added to this leaf's ``.grad`` (an
        optimizer step per parameter during the backward pass, as in PyTorch); the hook returns
        None. Leaves only. Returns a handle whose ``remove()`` takes the hook off."""
        if not callable(hook):
            raise TypeError(f"register_post_accumulate_grad_hook: hook must be a function of the tensor, got {hook!r}")
        if self._backward is not None:
            raise GradError(f"register_post_accumulate_grad_hook: this tensor was computed by '{self._op}', and only a "
                            "leaf (a parameter, a tensor made with requires_grad=True) accumulates a .grad")
        if not self.requires_grad:
            raise GradError("register_post_accumulate_grad_hook: this tensor has requires_grad=False, so backward() "
                            "accumulates no gradient in it")
        return add_hook(self, hook, after_accumulation=True)

    def __getstate__(self):
        """What copy.deepcopy and pickle keep: every slot but the hooks, which a copy does not get,
        as in PyTorch (they are counted per tensor; see engine.Hooks), the grad_fn node made so far
        (a copy makes its own when asked), and what the tensor was before changes in place
        (versions.py: the graph it stood for)."""
        state = object.__getstate__(self)
        if isinstance(state, tuple) and ("_hooks" in state[1] or "_node" in state[1] or "_versions" in state[1]):
            state = (state[0], {k: v for k, v in state[1].items() if k not in ("_hooks", "_node", "_versions")})
        return state

    def relu(self):
        return _ops.relu(self)

    def leaky_relu(self, negative_slope=0.01):
        return _ops.leaky_relu(self, negative_slope)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def tanh(self):
        return _ops.tanh(self)

    def softmax(self, axis=-1, *, dim=None):
        return _ops.softmax(self, axis, dim=dim)

    def log_softmax(self, axis=-1, *, dim=None):
        return _ops.log_softmax(self, axis, dim=dim)

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    # -- shape -------------------------------------------------------------------------------

    def reshape(self, *shape):
        return _ops.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    def view(self, *shape):
        """``reshape`` where the elements can keep their memory, as PyTorch's ``view``; refused in one
        sentence where the strides forbid it (a transpose flattened: ``x.mT.view(-1)``). A reversed view
        (deltaprop's ``flip``, which PyTorch copies) is copied as ``reshape`` copies it."""
        shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        data = self.data
        if not data.flags.c_contiguous and all(step >= 0 for step in data.strides):  # (row-major: any shape)
            try:
                # (NumPy reshapes in place where the strides allow it, else copies: a copy shares no
                # memory with its source; np.reshape's copy=False would say so itself, from NumPy 2.1)
                copied = not np.may_share_memory(data.reshape(shape), data)
            except (ValueError, TypeError):  # (a shape that does not fit: reshape's own sentence)
                return _ops.reshape(self, shape)
            if copied:
                raise ShapeError(f"view: shape {tuple(shape)} cannot view a tensor of shape {self.shape} and "
                                 f"strides {self.stride()} without copying (it is not contiguous); use "
                                 f"reshape(), or contiguous().view()")
        return _ops.reshape(self, shape)

    def transpose(self, dim0=None, dim1=None):
        """Swap two axes (PyTorch's ``transpose(dim0, dim1)``); with no arguments, reverse them all."""
        if dim0 is None and dim1 is None:
            return _ops.permute(self, None)
        if dim0 is None or dim1 is None:
            raise TypeError("transpose: give both axes to swap, or none to reverse all axes")
        dim0, dim1 = self._axis("transpose", dim0), self._axis("transpose", dim1)
        axes = list(range(self.ndim))
        if axes:  # (a 0-d tensor's dims 0 and -1 are the tensor itself)
            axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return _ops.permute(self, tuple(axes))

    def permute(self, *axes):
        return _ops.permute(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes)

    @property
    def T(self):
        return _ops.permute(self, None)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def squeeze(self, axis=None, *, dim=None):
        return _ops.squeeze(self, axis, dim=dim)

    def unsqueeze(self, axis=None, *, dim=None):
        return _ops.unsqueeze(self, axis, dim=dim)

    def t(self):
        """The transpose of a matrix (PyTorch's ``t``); a vector stays as it is."""
        if self.ndim > 2:
            raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {self.shape}; use transpose or permute")
        return _ops.permute(self, None) if self.ndim == 2 else self

    # -- shape and indexing: PyTorch's further methods (forwarding to ops.shape and ops.indexing) ----

    def dim(self) -> int:
        """The number of dimensions (PyTorch's name for ``ndim``)."""
        return self.data.ndim

    def view_as(self, other):
        return _ops.reshape(self, np.shape(_data(other)))

    reshape_as = view_as

    def ravel(self):
        """The elements as a vector, in row-major order."""
        return _ops.reshape(self, (-1,))

    def broadcast_to(self, size):
        """A read-only view broadcast to ``size`` (``expand``)."""
        return _ops.expand(self, size)

    def expand(self, *sizes, size=None):
        """A read-only view broadcast to ``sizes`` (-1 keeps a dimension; new ones go in front)."""
        return _ops.expand(self, *_sizes_or_keyword("expand", sizes, "size", size))

    def expand_as(self, other):
        return _ops.expand(self, np.shape(_data(other)))

    def repeat(self, *sizes, repeats=None):
        """Tiled ``sizes[i]`` times along each dimension (more sizes than dimensions add new ones)."""
        return _ops.repeat(self, *_sizes_or_keyword("repeat", sizes, "repeats", repeats))

    def flip(self, *dims_, dims=None):
        dims = _sizes_or_keyword("flip", dims_, "dims", dims)
        if not dims:
            raise TypeError("flip: give the dims to reverse (x.flip(0), x.flip(0, 1) or x.flip((0, 1)))")
        return _ops.flip(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)) else dims)

    def narrow(self, dim, start, length):
        return _ops.narrow(self, dim, start, length)

    def split(self, split_size, dim=0):
        """Pieces along ``dim`` of ``split_size`` each, or of the sizes in a list (PyTorch's
        ``Tensor.split``, whose argument is named ``split_size``)."""
        return _ops.split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return _ops.chunk(self, chunks, dim)

    def gather(self, dim, index):
        return _ops.gather(self, dim, index)

    def take_along_dim(self, indices, dim=None):
        return _ops.take_along_dim(self, indices, dim)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The largest value over ``dim`` (all dimensions for None or ()); ties share the gradient."""
        axis, keep = _ops._core.torch_names("amax", axis, dim, keepdim, keepdims)
        return _ops.reduction.amax(self, _ops.shape.reduced_axes("amax", axis, self.ndim), keep)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The smallest value over ``dim`` (all dimensions for None or ()); ties share the gradient."""
        axis, keep = _ops._core.torch_names("amin", axis, dim, keepdim, keepdims)
        return _ops.reduction.amin(self, _ops.shape.reduced_axes("amin", axis, self.ndim), keep)

    def sort(self, dim=-1, descending=False, *, stable=False):
        """``(values, indices)`` along ``dim``, a stable sort; the values carry the gradient."""
        return _ops.sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return _ops.argsort(self, dim, descending, stable=stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) along ``dim``."""
        return _ops.topk(self, k, dim, largest, sorted)

    def tril(self, diagonal=0):
        return _ops.tril(self, diagonal)

    def triu(self, diagonal=0):
        return _ops.triu(self, diagonal)

    def diag(self, diagonal=0):
        return _ops.diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return _ops.diagonal(self, offset, dim1, dim2)

    def trace(self):
        return _ops.trace(self)

    def bmm(self, mat2):
        return _ops.bmm(self, mat2)

    def outer(self, vec2):
        return _ops.outer(self, vec2)

    def clone(self):
        """A copy that stays in the graph: the gradient flows back to this tensor."""
        return _ops.clone(self)

    # -- more of PyTorch's math (ops.trigonometric, ops.binary_math, ops.unary) ----------------------

    def tan(self):
        return _ops.tan(self)

    def asin(self):
        return _ops.asin(self)

    def acos(self):
        return _ops.acos(self)

    def atan(self):
        return _ops.atan(self)

    def sinh(self):
        return _ops.sinh(self)

    def cosh(self):
        return _ops.cosh(self)

    def asinh(self):
        return _ops.asinh(self)

    def acosh(self):
        return _ops.acosh(self)

    def atanh(self):
        return _ops.atanh(self)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def sinc(self):
        return _ops.sinc(self)

    def atan2(self, other):
        return _ops.atan2(self, other)

    arctan2 = atan2

    def hypot(self, other):
        return _ops.hypot(self, other)

    def logaddexp(self, other):
        return _ops.logaddexp(self, other)

    def logaddexp2(self, other):
        return _ops.logaddexp2(self, other)

    def xlogy(self, other):
        return _ops.xlogy(self, other)

    def fmod(self, other):
        return _ops.fmod(self, other)

    def copysign(self, other):
        return _ops.copysign(self, other)

    def lerp(self, end, weight):
        return _ops.lerp(self, end, weight)

    def frac(self):
        return _ops.frac(self)

    def logit(self, eps=None):
        """ln(x / (1 − x)), of x clamped to [eps, 1 − eps] if ``eps`` is given (:func:`deltaprop.special.logit`)."""
        return _ops.special_functions.logit(self, eps)

    def i0(self):
        """The modified Bessel function of the first kind of order 0 (:func:`deltaprop.special.i0`)."""
        return _ops.special_functions.i0(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _ops.nan_to_num(self, nan, posinf, neginf)

    # PyTorch's further math: angles, a float's representation, integers, the incomplete gamma
    # functions, norms, statistics, and its older linear-algebra names (ops.linalg_forms)

    def rad2deg(self):
        return _ops.rad2deg(self)

    def deg2rad(self):
        return _ops.deg2rad(self)

    def float_power(self, exponent):
        return _ops.float_power(self, exponent)

    def ldexp(self, other):
        return _ops.ldexp(self, other)

    def frexp(self):
        """``(mantissa, exponent)`` with self = mantissa · 2^exponent (:func:`deltaprop.frexp`)."""
        return _ops.frexp(self)

    def nextafter(self, other):
        return _ops.nextafter(self, other)

    def heaviside(self, values):
        return _ops.heaviside(self, values)

    def fmax(self, other):
        return _ops.fmax(self, other)

    def fmin(self, other):
        return _ops.fmin(self, other)

    def gcd(self, other):
        return _ops.gcd(self, other)

    def lcm(self, other):
        return _ops.lcm(self, other)

    def sgn(self):
        return _ops.sgn(self)

    def positive(self):
        return _ops.positive(self)

    def mvlgamma(self, p):
        return _ops.mvlgamma(self, p)

    def igamma(self, other):
        return _ops.igamma(self, other)

    def igammac(self, other):
        return _ops.igammac(self, other)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _ops.addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def ger(self, vec2):
        return _ops.outer(self, vec2)

    def dist(self, other, p=2):
        return _ops.dist(self, other, p)

    def renorm(self, p, dim, maxnorm):
        return _ops.renorm(self, p, dim, maxnorm)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        return _ops.cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self):
        return _ops.corrcoef(self)

    def histc(self, bins=100, min=0, max=0):
        return _ops.histc(self, bins, min, max)

    def histogram(self, bins, *, range=None, weight=None, density=False):
        """``(hist, bin_edges)`` of the elements (:func:`deltaprop.histogram`)."""
        return _ops.histogram(self, bins, range=range, weight=weight, density=density)

    def det(self):
        return _ops.linalg_forms.det(self)

    def slogdet(self):
        return _ops.linalg_forms.slogdet(self)

    def logdet(self):
        return _ops.linalg_forms.logdet(self)

    def inverse(self):
        return _ops.linalg_forms.inverse(self)

    def pinverse(self, rcond=1e-15):
        return _ops.linalg_forms.pinverse(self, rcond)

    def matrix_power(self, n):
        return _ops.linalg_forms.matrix_power(self, n)

    def matrix_exp(self):
        return _ops.linalg_forms.matrix_exp(self)

    def orgqr(self, input2):
        """``linalg.householder_product(self, input2)``: Q from Householder reflectors and their scales."""
        return _ops.linalg_forms.orgqr(self, input2)

    def cholesky(self, upper=False):
        return _ops.linalg_forms.cholesky(self, upper)

    def cholesky_solve(self, input2, upper=False):
        return _ops.linalg_forms.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper=False):
        return _ops.linalg_forms.cholesky_inverse(self, upper)

    def qr(self, some=True):
        return _ops.linalg_forms.qr(self, some)

    def svd(self, some=True, compute_uv=True):
        """``(U, S, V)``, V not transposed (:func:`deltaprop.svd`)."""
        return _ops.linalg_forms.svd(self, some, compute_uv)

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        return _ops.linalg_forms.triangular_solve(self, A, upper, transpose, unitriangular)

    def lu(self, pivot=True, get_infos=False):
        return _ops.linalg_forms.lu(self, pivot, get_infos)

    def lu_solve(self, LU_data, LU_pivots):
        return _ops.linalg_forms.lu_solve(self, LU_data, LU_pivots)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _ops.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _ops.addcdiv(self, tensor1, tensor2, value=value)

    def inner(self, other):
        return _ops.inner(self, other)

    def kron(self, other):
        return _ops.kron(self, other)

    def cross(self, other, dim=None):
        return _ops.cross(self, other, dim)

    def rot90(self, k=1, dims=(0, 1)):
        return _ops.rot90(self, k, dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return _ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return _ops.diff(self, n, dim, prepend, append)

    def cummax(self, dim):
        """``(values, indices)`` of the running maximum along ``dim``."""
        return _ops.cummax(self, dim)

    def cummin(self, dim):
        """``(values, indices)`` of the running minimum along ``dim``."""
        return _ops.cummin(self, dim)

    def logcumsumexp(self, dim):
        return _ops.logcumsumexp(self, dim)

    def median(self, dim=None, keepdim=False):
        """The lower median of all elements, or ``(values, indices)`` along ``dim``."""
        return _ops.median(self, dim, keepdim)

    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """The ``q``-th quantiles of all elements or along ``dim`` (:func:`deltaprop.quantile`)."""
        return _ops.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        """:meth:`quantile` of the elements that are not NaN."""
        return _ops.nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """``(values, indices)`` of the ``k``-th smallest element along ``dim``."""
        return _ops.kthvalue(self, k, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        """``(values, indices)`` of the most frequent value along ``dim``."""
        return _ops.mode(self, dim, keepdim)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.nanmean(self, dim, keepdim, dtype=dtype)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _ops.unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return _ops.bincount(self, weights, minlength)

    # -- PyTorch's shape, indexing and layout utilities (ops.sections, ops.flat_positions, ops.view_scatter, ...) --

    def tensor_split(self, indices_or_sections=None, dim=0, *, sections=None, indices=None):
        return _ops.tensor_split(self, indices_or_sections, dim, sections=sections, indices=indices)

    def hsplit(self, sections):
        return _ops.hsplit(self, sections)

    def vsplit(self, sections):
        return _ops.vsplit(self, sections)

    def dsplit(self, sections):
        return _ops.dsplit(self, sections)

    def split_with_sizes(self, split_sizes, dim=0):
        return _ops.split_with_sizes(self, split_sizes, dim)

    def fliplr(self):
        return _ops.fliplr(self)

    def flipud(self):
        return _ops.flipud(self)

    def msort(self):
        return _ops.msort(self)

    def take(self, index):
        return _ops.take(self, index)

    def put(self, index, source, accumulate=False):
        return _ops.put(self, index, source, accumulate)

    def put_(self, index, source, accumulate=False):
        return self._overwritten("put_", _ops.put, index, source, accumulate, written=(source,))

    def diagflat(self, offset=0):
        return _ops.diagflat(self, offset)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return _ops.diag_embed(self, offset, dim1, dim2)

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        return _ops.diagonal_scatter(self, src, offset, dim1, dim2)

    def select_scatter(self, src, dim, index):
        return _ops.select_scatter(self, src, dim, index)

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        return _ops.slice_scatter(self, src, dim, start, end, step)

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        return _ops.index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return self._overwritten("index_reduce_", _ops.index_reduce, dim, index, source, reduce,
                                 include_self=include_self, written=(source,))

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        return _ops.unique_consecutive(self, return_inverse, return_counts, dim)

    def aminmax(self, *, dim=None, keepdim=False):
        """``(min, max)``, named, of all elements or along ``dim``."""
        return _ops.aminmax(self, dim=dim, keepdim=keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        """The lower median of the elements that are not NaN, or ``(values, indices)`` along ``dim``."""
        return _ops.nanmedian(self, dim, keepdim)

    def sum_to_size(self, *sizes, size=None):
        """This tensor summed down to ``size``, a shape that broadcasts to its own (``size=`` too)."""
        return _ops.sum_to_size(self, *_sizes_or_keyword("sum_to_size", sizes, "size", size))

    def isposinf(self):
        return _ops.isposinf(self)

    def isneginf(self):
        return _ops.isneginf(self)

    def signbit(self):
        return _ops.signbit(self)

    def isreal(self):
        return _ops.isreal(self)

    def is_nonzero(self) -> bool:
        """Whether this tensor's one element is nonzero (refused for any other number of elements)."""
        if self.data.size != 1:
            raise ShapeError(f"is_nonzero: only a one-element tensor is true or false, this one has shape {self.shape}")
        return bool(self.data.reshape(-1)[0])

    def is_same_size(self, other) -> bool:
        """Whether ``other`` (a tensor) has this tensor's shape."""
        if not isinstance(other, Tensor):
            raise TypeError(f"is_same_size: other must be a tensor, got {type(other).__name__}")
        return self.data.shape == other.data.shape

    def is_signed(self) -> bool:
        """Whether the dtype holds negative numbers: floating-point and signed integer ones."""
        return self.data.dtype.kind in "fi"

    def is_complex(self) -> bool:
        """False: deltaprop has no complex dtypes."""
        return False

    # PyTorch's complex-number methods, for real tensors: a real number is its own conjugate and its
    # own real part, so each is the tensor itself (as PyTorch returns it); it has no imaginary part.

    def conj(self) -> "Tensor":
        return self

    resolve_conj = resolve_neg = conj

    def is_conj(self) -> bool:
        return False

    is_neg = is_conj

    @property
    def real(self) -> "Tensor":
        return self

    @property
    def imag(self):
        raise TypeError(f"imag: a tensor of dtype {self.dtype} is real and has no imaginary part (PyTorch refuses "
                        "too); deltaprop has no complex dtypes")

    @property
    def mH(self):
        """The conjugate transpose of each matrix of a stack: :attr:`mT`, since the elements are real."""
        return self._conjugate_transpose("mH")

    def adjoint(self) -> "Tensor":
        """:attr:`mH`, the conjugate transpose of each matrix."""
        return self._conjugate_transpose("adjoint")

    def _conjugate_transpose(self, what: str) -> "Tensor":
        if self.ndim < 2:
            raise ShapeError(f"{what}: transposes a matrix or a stack of matrices (at least 2 dimensions), "
                             f"got shape {self.shape}")
        return self.mT

    def hardshrink(self, lambd=0.5):
        return _ops.hardshrink(self, lambd)

    def prelu(self, weight):
        return _ops.prelu(self, weight)

    def vdot(self, other):
        """The dot product of two vectors (PyTorch conjugates this one first; it is real here)."""
        return _ops.dot(self, other)

    def bitwise_left_shift(self, other):
        return _ops.bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other):
        return _ops.bitwise_right_shift(self, other)

    def __lshift__(self, other):
        return _ops.bitwise_left_shift(self, other)

    def __rlshift__(self, other):
        return _ops.bitwise_left_shift(other, self)

    def __rshift__(self, other):
        return _ops.bitwise_right_shift(self, other)

    def __rrshift__(self, other):
        return _ops.bitwise_right_shift(other, self)

    def __ilshift__(self, other):
        return self._augmented(_ops.bitwise_left_shift, None, "<<=", other)

    def __irshift__(self, other):
        return self._augmented(_ops.bitwise_right_shift, None, ">>=", other)

    def narrow_copy(self, dim, start, length) -> "Tensor":
        """:meth:`narrow` as a new tensor (a copy, not a view), in the graph."""
        return _ops.clone(self.narrow(dim, start, length))

    def unsafe_chunk(self, chunks, dim=0):
        """:meth:`chunk` (PyTorch's form that skips its checks of later in-place changes)."""
        return self.chunk(chunks, dim)

    def unsafe_split(self, split_size, dim=0):
        """:meth:`split` (PyTorch's form that skips its checks of later in-place changes)."""
        return self.split(split_size, dim)

    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        """:meth:`split_with_sizes` (PyTorch's form that skips its checks of later in-place changes)."""
        return self.split_with_sizes(split_sizes, dim)

    def new(self, *args, device=None):
        """PyTorch's legacy constructor of this tensor's dtype, as the legacy types take their
        arguments (:mod:`deltaprop.legacy_types`): ``x.new(2, 3)`` or a Size gives zeros of that shape,
        ``x.new(data)`` a copy of the values, ``x.new(tensor)`` that tensor (of this dtype), and
        ``x.new()`` an empty vector."""
        from .legacy_types import _legacy_type
        from .size import Size

        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        return _legacy_type("new", self.data.dtype)(*args, device=device)

    def resize(self, *sizes):
        """PyTorch's deprecated out-of-place resize: a reshape to ``sizes``, which must keep the
        number of elements (it warns, as PyTorch does; use :meth:`reshape`)."""
        import warnings

        warnings.warn("resize: the out-of-place resize is deprecated (in PyTorch too); use x.reshape(...) instead",
                      UserWarning, stacklevel=2)
        shape = _ops.shape._sizes("resize", sizes)
        if int(np.prod(shape)) != self.numel():
            raise ShapeError(f"resize: the out-of-place resize keeps the number of elements ({self.numel()} for shape "
                             f"{self.shape}), got sizes {shape} ({int(np.prod(shape))} elements)")
        return _ops.reshape(self, shape)

    def stride(self, dim=None):
        """The distance in memory, in elements, between neighbours along each dimension (along
        ``dim`` alone), as PyTorch counts it: (12, 4, 1) for a new (2, 3, 4) tensor, 0 along an
        expanded dimension, negative along a reversed one (a NumPy view; PyTorch's flip copies)."""
        X = self.data
        if X.size == 0 and X.flags.c_contiguous:  # (NumPy's steps there are its own; PyTorch counts sizes 0 as 1)
            steps = tuple(int(np.prod([max(n, 1) for n in X.shape[i + 1:]])) for i in range(X.ndim))
        else:
            steps = tuple(s // X.itemsize for s in X.strides)
        if dim is None:
            return steps
        if X.ndim == 0:
            raise ShapeError(f"stride: a 0-d tensor has no dimension {dim}")
        return steps[self._axis("stride", dim)]

    def storage_offset(self) -> int:
        """Where this tensor's first element lies in the memory it shares, in elements from its start
        (the array its data is a view of): 4 for ``x[:, 1:]`` of a (2, 4) tensor."""
        root = self.data
        while isinstance(root.base, np.ndarray):
            root = root.base
        start = self.data.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        return start // self.data.itemsize

    def as_strided(self, size, stride, storage_offset=None):
        """A view of this tensor's memory by sizes, strides and storage offset: :func:`deltaprop.as_strided`."""
        return _ops.as_strided(self, size, stride, storage_offset)

    def as_strided_(self, size, stride, storage_offset=None):
        """This tensor made the view :meth:`as_strided` gives, in place (as ``t_()`` changes its shape)."""
        return self._reshaped("as_strided_", Tensor.as_strided, size, stride, storage_offset)

    def as_strided_scatter(self, src, size, stride, storage_offset=None):
        return _ops.as_strided_scatter(self, src, size, stride, storage_offset)

    def is_set_to(self, tensor) -> bool:
        """Whether ``tensor`` is this one's exact view: the same memory, first element, dtype, shape
        and strides (PyTorch's "same storage, offset, size and stride")."""
        if not isinstance(tensor, Tensor):
            raise TypeError(f"is_set_to: expects a tensor, got {type(tensor).__name__}")
        X, Y = self.data, tensor.data
        return (_ops.strided._root(X) is _ops.strided._root(Y) and X.dtype == Y.dtype and X.shape == Y.shape and X.strides == Y.strides
                and self.data_ptr() == tensor.data_ptr())

    @property
    def output_nr(self) -> int:
        """0: the number of this tensor among the outputs of the node that made it (each deltaprop
        node makes one; PyTorch numbers the pieces of ``split`` and ``unbind`` 0, 1, ...)."""
        return 0

    @property
    def H(self):
        """The conjugate transpose of a matrix: its transpose, since the elements are real (a 0-d
        tensor is itself, with PyTorch's deprecation warning)."""
        if self.ndim == 0:
            import warnings

            warnings.warn("Tensor.H is deprecated on 0-D tensors (in PyTorch too); use x.conj()", UserWarning,
                          stacklevel=2)
            return self
        if self.ndim != 2:
            hint = "; for a stack of matrices use x.mH" if self.ndim > 2 else ""
            raise ShapeError(f"H: transposes a matrix (2 dimensions), got shape {self.shape}{hint}")
        return self.t()

    def resize_as(self, the_template):
        """PyTorch's deprecated out-of-place ``resize_as``: a reshape to ``the_template``'s shape, which
        must hold as many elements (it warns, as PyTorch does; use :meth:`reshape_as`)."""
        import warnings

        if not isinstance(the_template, Tensor):
            raise TypeError(f"resize_as: expects a tensor whose shape to take, got {type(the_template).__name__}")
        warnings.warn("resize_as: the out-of-place resize_as is deprecated (in PyTorch too); use "
                      "x.reshape_as(other) instead", UserWarning, stacklevel=2)
        if the_template.numel() != self.numel():
            raise ShapeError(f"resize_as: the out-of-place resize keeps the number of elements ({self.numel()} for "
                             f"shape {self.shape}), got the shape {the_template.shape} ({the_template.numel()} elements)")
        return _ops.reshape(self, the_template.shape)

    def as_subclass(self, cls):
        """This tensor as an instance of ``cls``, a subclass of :class:`Tensor`: the same memory, and
        in the graph (its gradient passes through unchanged), as PyTorch's ``as_subclass``."""
        return _ops.aliasing.alias_as(self, cls)

    @property
    def nbytes(self) -> int:
        """The bytes its elements take: numel() × itemsize (of a view too, as PyTorch counts them)."""
        return self.data.nbytes

    @property
    def itemsize(self) -> int:
        """The bytes each element takes (4 for float32)."""
        return self.data.itemsize

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` asked this tensor (not a leaf) to keep its gradient in ``.grad``."""
        return self._retains_grad

    def new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False):
        """:func:`deltaprop.empty_strided` of this tensor's dtype unless ``dtype`` says otherwise."""
        from .creation import empty_strided  # (creation imports this module)

        dtype = self.dtype if dtype is None else dtype
        return empty_strided(size, stride, dtype=dtype, device=device, requires_grad=requires_grad)

    # -- PyTorch's further methods, for ported code (ops.layout, ops.scatter, ops.logical, ops.arithmetic) --

    def movedim(self, source, destination):
        return _ops.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        return _ops.swapaxes(self, axis0, axis1)

    def swapdims(self, dim0, dim1):
        return _ops.swapdims(self, dim0, dim1)

    @property
    def mT(self):
        """The last two dimensions swapped: the transpose of each matrix of a stack."""
        if self.ndim < 2:
            raise ShapeError(f"mT: transposes a matrix or a stack of matrices (at least 2 dimensions), "
                             f"got shape {self.shape}")
        return _ops.swapaxes(self, -2, -1)

    def tile(self, *dims):
        return _ops.tile(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)) else dims)

    def roll(self, shifts, dims=None):
        return _ops.roll(self, shifts, dims)

    def select(self, dim, index):
        return _ops.select(self, dim, index)

    def unbind(self, dim=0):
        return _ops.unbind(self, dim)

    def unflatten(self, dim, sizes):
        return _ops.unflatten(self, dim, sizes)

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        return _ops.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim, index, src):
        return _ops.scatter_add(self, dim, index, src)

    def index_select(self, dim, index):
        return _ops.index_select(self, dim, index)

    def index_add(self, dim, index, source, *, alpha=1):
        return _ops.index_add(self, dim, index, source, alpha=alpha)

    def index_copy(self, dim, index, source):
        return _ops.index_copy(self, dim, index, source)

    def index_fill(self, dim, index, value):
        return _ops.index_fill(self, dim, index, value)

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        return _ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def index_put(self, indices, values, accumulate=False):
        return _ops.index_put(self, indices, values, accumulate)

    def masked_scatter(self, mask, source):
        return _ops.masked_scatter(self, mask, source)

    def masked_select(self, mask):
        return _ops.masked_select(self, mask)

    def nonzero(self, *, as_tuple=False):
        return _ops.nonzero(self, as_tuple=as_tuple)

    def argwhere(self):
        return _ops.nonzero(self)

    def add(self, other, *, alpha=1):
        """``self + alpha * other``."""
        return _ops.add_scaled(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        """``self - alpha * other``."""
        return _ops.sub_scaled(self, other, alpha=alpha)

    def mul(self, other):
        return _ops.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        """``self / other``; ``rounding_mode`` 'floor' or 'trunc' rounds the quotient (gradient zero)."""
        return _ops.divide(self, other, rounding_mode=rounding_mode)

    def floor_divide(self, other):
        return _ops.floor_divide(self, other)

    def remainder(self, other):
        return _ops.remainder(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def where(self, condition, other):
        """This tensor where ``condition`` holds, ``other`` elsewhere (``where(condition, self, other)``)."""
        return _ops.where(condition, self, other)

    def lt(self, other):
        return _ops.lt(self, other)

    def le(self, other):
        return _ops.le(self, other)

    def gt(self, other):
        return _ops.gt(self, other)

    def ge(self, other):
        return _ops.ge(self, other)

    def ne(self, other):
        return _ops.ne(self, other)

    # NumPy's names, which PyTorch also gives these methods
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
    multiply = mul
    subtract = sub
    divide = div

    def true_divide(self, other):
        return _ops.div(self, other)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Where ``|self - other| <= atol + rtol * |other|``: a boolean tensor."""
        return _ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        """Whether ``isclose`` holds everywhere: a Python bool."""
        return _ops.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other) -> bool:
        """Whether ``other`` has this tensor's shape and values: a Python bool."""
        return _ops.equal(self, other)

    def count_nonzero(self, dim=None):
        return _ops.count_nonzero(self, dim)

    def isnan(self):
        return _ops.isnan(self)

    def isinf(self):
        return _ops.isinf(self)

    def isfinite(self):
        return _ops.isfinite(self)

    def bitwise_and(self, other):
        return _ops.bitwise_and(self, other)

    def bitwise_or(self, other):
        return _ops.bitwise_or(self, other)

    def bitwise_xor(self, other):
        return _ops.bitwise_xor(self, other)

    def bitwise_not(self):
        return _ops.bitwise_not(self)

    def logical_and(self, other):
        return _ops.logical_and(self, other)

    def logical_or(self, other):
        return _ops.logical_or(self, other)

    def logical_xor(self, other):
        return _ops.logical_xor(self, other)

    def logical_not(self):
        return _ops.logical_not(self)

    def type_as(self, other):
        """This tensor converted to ``other``'s dtype."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as: other must be a tensor (whose dtype to take), got {type(other).__name__}")
        return _ops.astype(self, other.dtype)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A new tensor holding a copy of ``data``, of this tensor's dtype unless ``dtype`` says otherwise."""
        on_cpu("new_tensor", device)
        dtype = self.dtype if dtype is None else tensor_dtype("new_tensor", dtype)
        return tensor(data, dtype=dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """A new tensor of shape ``size`` filled with ``fill_value``, of this tensor's dtype unless
        ``dtype`` says otherwise."""
        return self._new_filled("new_full", size, fill_value, dtype, requires_grad, device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_filled("new_zeros", size[0] if len(size) == 1 else size, 0, dtype, requires_grad, device)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new_filled("new_ones", size[0] if len(size) == 1 else size, 1, dtype, requires_grad, device)

    def _new_filled(self, owner: str, size, fill_value, dtype, requires_grad, device):
        on_cpu(owner, device)
        size = _ops.shape._sizes(owner, (size,))
        if any(n < 0 for n in size):
            raise ValueError(f"{owner}: sizes must be non-negative, got {size}")
        dtype = self.dtype if dtype is None else tensor_dtype(owner, dtype)
        out = Tensor._wrap(np.full(size, fill_value, dtype=dtype))
        return out.requires_grad_(True) if requires_grad else out

    new_empty = new_zeros  # (PyTorch's values are whatever memory held; zeros are one such)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # -- dtype -------------------------------------------------------------------------------

    def astype(self, dtype):
        return _ops.astype(self, dtype)

    def to(self, *args, **kwargs):
        """PyTorch's ``to``: ``to(dtype)`` converts (as ``astype``), ``to("cpu")`` (or a
        ``torch.device("cpu")``) changes nothing and returns this tensor, as PyTorch does when
        nothing changes; ``to(device, dtype)``, ``to(other)`` and ``dtype=``/``device=`` too. Any
        other device is refused: deltaprop computes on the CPU."""
        dtype = target_dtype("Tensor", args, kwargs)
        if dtype is NO_DTYPE or dtype is None:  # (to(dtype=None): PyTorch's "no change")
            return self
        return _ops.astype(self, tensor_dtype("Tensor.to()", dtype))

    def type(self, dtype=None):
        """With no argument, the name of this tensor's type in PyTorch's legacy form, under deltaprop's
        name ('deltaprop.FloatTensor' for float32, 'deltaprop.LongTensor' for int64); with a dtype, or
        such a name (beginning 'deltaprop.' or 'torch.'), this tensor converted to it (itself if it
        has that dtype already, as in PyTorch)."""
        if dtype is None:
            return type_name(self.data.dtype)
        return _ops.astype(self, legacy_dtype("Tensor.type", dtype))

    def cpu(self) -> "Tensor":
        """This tensor: it is on the CPU, the one device there is."""
        return self

    def float(self):
        return _ops.astype(self, float32)

    def double(self):
        return _ops.astype(self, float64)

    def long(self):
        return _ops.astype(self, int64)

    def bool(self):
        """Booleans (nonzero is True), outside the graph: PyTorch's ``bool()``, a mask to index with."""
        return _ops.astype(self, np.bool_)

    def int(self):
        return _ops.astype(self, int32)

    def half(self):
        return _ops.astype(self, float16)

    def short(self):
        return _ops.astype(self, np.int16)

    def char(self):
        return _ops.astype(self, np.int8)

    def byte(self):
        return _ops.astype(self, np.uint8)

    # -- in place (PyTorch's x -= ..., x.zero_(), x[mask] = 0) -------------------------------

    # x += y (and x -= y, x *= y, x /= y, x **= y, add_, zero_, x[i] = y, relu_, ...) changes x's array
    # in place. Where no graph is recorded (data, or a parameter under no_grad() as optimizers update
    # it) that is all. Where the graph must see it (x or y needs a gradient while operations are
    # recorded), x becomes the node of the operation, whose input is what x was, as in PyTorch
    # (versions.rebase); a leaf that requires grad is refused, as PyTorch refuses it. A change to
    # memory that a recorded operation saved for its gradient rule is noted (see changes.Changes),
    # and backward() through that rule is refused, as PyTorch's version counters refuse it; so is an
    # optimizer's step (its parameters' ``_stepped``). (Not seen, as in PyTorch: a change made
    # through .data or through NumPy.)

    def _mark_changed(self) -> None:
        Changes.mark(self.data)

    def _graph_sees(self, *written) -> bool:
        """Whether operations are recorded and this tensor, or one of the values ``written``, requires grad."""
        return _grad_state.enabled and (self.requires_grad or any(
            isinstance(value, Tensor) and value.requires_grad for value in written))

    def _refuse(self, what: str):
        raise GradError(
            f"{what}: an in-place change of a tensor would escape the recorded graph (it, or the value written, "
            f"requires grad); write x = x + y (a new tensor; for a masked write, deltaprop.where), or change it "
            f"under deltaprop.no_grad() as optimizers do (with no_grad(): p -= lr * p.grad)"
        )

    def _rebase(self, what: str, compute, *written) -> "Tensor":
        """Where the graph sees the change (this tensor, or one of the values ``written``, requires grad
        while operations are recorded): this tensor changed in place to ``compute(t, own)``, ``t``
        standing for what it is now, and True (:func:`versions.rebase`, which says what ``own`` does
        to an operand). Elsewhere False: the caller changes the array itself."""
        if not self._graph_sees(*written):
            return False
        rebase(self, what, compute)
        return True

    def _numpy_in_place(self, ufunc, what: str, other) -> "Tensor":
        # Computed in the dtype PyTorch promotes the two to (ops.promotion), then written back in the
        # tensor's own; refused, as PyTorch refuses it, where that dtype is of a higher category
        # (an integer tensor += 0.5, or /= anything).
        value = _data(other)
        if not isinstance(value, (np.ndarray, np.generic, bool, int, float)):
            value = np.asarray(value)
        promotion = _ops.promotion
        if ufunc is np.subtract:  # (x -= True as sub refuses x - True)
            promotion.refuse_bool_subtraction(self.data, value)
        dtype = promotion.result_type(self.data, value)
        if ufunc is np.true_divide and dtype.kind != "f":
            dtype = DEFAULT_DTYPE
        if promotion.category(dtype) > promotion.category(self.data.dtype):
            raise TypeError(f"{what}: a {self.dtype} tensor cannot take in place its {dtype} result with a value of "
                            f"dtype {promotion.result_type(value)}; make a new tensor instead.")
        x, value = promotion.wrapped_operands(promotion.cast(self.data, dtype), promotion.as_operand(value))
        try:
            ufunc(x, value, out=self.data, casting="unsafe")
        except (TypeError, ValueError) as error:  # NumPy's broadcasting refusal
            if ufunc is np.power and dtype.kind in "iu" and np.any(np.asarray(value) < 0):  # as pow refuses it
                raise ValueError(f"{what}: integers to negative integer powers are not allowed (make the base a "
                                 f"floating-point tensor)") from None
            raise TypeError(f"{what}: cannot change a tensor of shape {self.shape} and dtype {self.dtype} in place "
                            f"with a value of shape {np.shape(value)} ({error})") from None
        self._mark_changed()
        return self

    def _augmented(self, op, ufunc, what: str, other):
        if self._rebase(what, lambda t, own: op(t, own(other)), other):
            return self
        if ufunc is None:  # (//=, %=, &=, |=, ^=: the operation's own result, written back)
            return self._overwritten(what, op, other)
        return self._numpy_in_place(ufunc, what, other)

    def __iadd__(self, other):
        return self._augmented(_ops.add, np.add, "+=", other)

    def __isub__(self, other):
        return self._augmented(_ops.sub, np.subtract, "-=", other)

    def __imul__(self, other):
        return self._augmented(_ops.mul, np.multiply, "*=", other)

    def __itruediv__(self, other):
        return self._augmented(_ops.div, np.true_divide, "/=", other)

    def __ipow__(self, other):
        return self._augmented(_ops.pow, np.power, "**=", other)

    def __ifloordiv__(self, other):
        return self._augmented(_ops.floor_divide, None, "//=", other)

    def __imod__(self, other):
        return self._augmented(_ops.remainder, None, "%=", other)

    def __iand__(self, other):
        return self._augmented(_ops.bitwise_and, None, "&=", other)

    def __ior__(self, other):
        return self._augmented(_ops.bitwise_or, None, "|=", other)

    def __ixor__(self, other):
        return self._augmented(_ops.bitwise_xor, None, "^=", other)

    def _method_in_place(self, what: str, other=None) -> None:
        if self._graph_sees(other):
            if self.requires_grad and self._backward is None:
                raise leaf_refusal(what)
            self._refuse(what)
        if not self.data.flags.writeable:  # expand()'s view (elements sharing memory), a read-only array
            raise TypeError(f"{what}: this tensor of shape {self.shape} is read-only (a view made by expand(), "
                            f"whose elements share memory, or a read-only NumPy array); change a copy: x = x.clone()")

    def __setitem__(self, index, value):
        """``x[index] = value``, the index read as :meth:`__getitem__` reads it (PyTorch's axes where
        integers and arrays mix), ``value`` broadcast to the elements it selects."""
        if self._rebase("item assignment", lambda t, own: _ops.setitem(t, index, own(value)), value):
            return
        self._method_in_place("item assignment", value)
        _ops.shape.assign(self.data, index, _data(value), self.shape)
        self._mark_changed()

    def add_(self, other, *, alpha=1):
        if self._rebase("add_", lambda t, own: _ops.add(t, _ops.arithmetic.scaled(t, own(other), alpha)
                                                  if alpha != 1 else own(other)), other):
            return self
        self._method_in_place("add_", other)
        return self._numpy_in_place(np.add, "add_", _ops.arithmetic.scaled(self, other, alpha) if alpha != 1 else other)

    def sub_(self, other, *, alpha=1):
        if self._rebase("sub_", lambda t, own: _ops.sub(t, _ops.arithmetic.scaled(t, own(other), alpha)
                                                  if alpha != 1 else own(other)), other):
            return self
        self._method_in_place("sub_", other)
        return self._numpy_in_place(np.subtract, "sub_", _ops.arithmetic.scaled(self, other, alpha) if alpha != 1 else other)

    def mul_(self, other):
        if self._rebase("mul_", lambda t, own: _ops.mul(t, own(other)), other):
            return self
        self._method_in_place("mul_", other)
        return self._numpy_in_place(np.multiply, "mul_", other)

    def div_(self, other):
        if self._rebase("div_", lambda t, own: _ops.div(t, own(other)), other):
            return self
        self._method_in_place("div_", other)
        return self._numpy_in_place(np.true_divide, "div_", other)

    def zero_(self):
        if self._rebase("zero_", lambda t, own: _ops.setitem(t, Ellipsis, 0)):
            return self
        self._method_in_place("zero_")
        self.data.fill(0)
        self._mark_changed()
        return self

    def fill_(self, value):
        if np.ndim(_data(value)):
            raise ShapeError(f"fill_: the value must be a number or a 0-d tensor, got one of shape "
                             f"{np.shape(_data(value))} (copy_ copies a tensor's values)")
        if self._rebase("fill_", lambda t, own: _ops.setitem(t, Ellipsis, value), value):
            return self
        self._method_in_place("fill_", value)
        self.data.fill(_data(value))
        self._mark_changed()
        return self

    def fill_diagonal_(self, fill_value, wrap=False):
        """The elements whose indices are all equal set to ``fill_value`` (a matrix's main diagonal; a
        tensor of more dimensions must have them all of one length). ``wrap``: in a matrix taller than
        wide, the diagonal starts again below each square block."""
        if self.data.ndim < 2 or (self.data.ndim > 2 and len(set(self.data.shape)) > 1):
            raise ShapeError(f"fill_diagonal_: expects a matrix, or a tensor whose dimensions are all of one length, "
                             f"got shape {self.shape}")
        if np.ndim(_data(fill_value)):
            raise ShapeError(f"fill_diagonal_: the value must be a number or a 0-d tensor, got one of shape "
                             f"{np.shape(_data(fill_value))}")
        diagonal = np.zeros(self.data.shape, dtype=bool)
        np.fill_diagonal(diagonal, True, wrap=bool(wrap))
        if self._rebase("fill_diagonal_", lambda t, own: _ops.setitem(t, diagonal, fill_value), fill_value):
            return self
        self._method_in_place("fill_diagonal_", fill_value)
        np.fill_diagonal(self.data, _data(fill_value), wrap=bool(wrap))
        self._mark_changed()
        return self

    def copy_(self, source):
        if self._rebase("copy_", lambda t, own: _ops.setitem(t, Ellipsis, own(source)), source):
            return self
        self._method_in_place("copy_", source)
        np.copyto(self.data, _data(source), casting="unsafe")  # floats into integers truncate, as in PyTorch
        self._mark_changed()
        return self

    def detach_(self) -> "Tensor":
        """Cut this tensor from the graph in place: a leaf that requires no gradient (PyTorch's
        ``detach_``, as for an RNN's hidden state carried between batches). Unlike PyTorch, an
        operation recorded from it before no longer passes a gradient through it."""
        self._parents, self._backward, self._op = (), None, None
        self.requires_grad = self._retains_grad = False
        self._versions = None  # (and what it was before changes in place: nothing of the graph stays)
        return self

    # PyTorch's in-place forms of operations (abs_, clamp_, scatter_, ...): the operation computed as
    # usual, its result written back into this tensor (recorded as the method forms above are, where
    # the graph sees the change). Refused where the result has another shape or a dtype of a higher
    # category than the tensor's (int64 sqrt_(): float32), as PyTorch refuses it.

    def _overwritten(self, what: str, op, *args, written=(), **kwargs) -> "Tensor":
        if self._rebase(what, lambda t, own: op(t, *map(own, args), **{k: own(v) for k, v in kwargs.items()}),
                        *written):
            return self
        for value in written or (None,):
            self._method_in_place(what, value)
        result = op(self, *args, **kwargs).data
        if result.shape != self.data.shape:
            raise ShapeError(f"{what}: the result has shape {result.shape}, the tensor {self.shape}; an in-place "
                             f"change keeps the tensor's shape (write {_anew(what)} for a new tensor)")
        promotion = _ops.promotion
        if promotion.category(result.dtype) > promotion.category(self.data.dtype):
            raise TypeError(f"{what}: a {self.dtype} tensor cannot take in place its {result.dtype} result; "
                            f"make a new tensor instead ({_anew(what)}), or convert it first (x = x.float()).")
        np.copyto(self.data, result, casting="unsafe")
        self._mark_changed()
        return self

    def abs_(self):
        return self._overwritten("abs_", _ops.abs)

    def neg_(self):
        return self._overwritten("neg_", _ops.neg)

    def clamp_(self, min=None, max=None):
        return self._overwritten("clamp_", _ops.clip, min, max, written=(min, max))

    clip_ = clamp_

    def clamp_min_(self, min):
        return self._overwritten("clamp_min_", _ops.clamp_min, min, written=(min,))

    def clamp_max_(self, max):
        return self._overwritten("clamp_max_", _ops.clamp_max, max, written=(max,))

    def masked_fill_(self, mask, value):
        return self._overwritten("masked_fill_", _ops.masked_fill, mask, value, written=(value,))

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        return self._overwritten("scatter_", _ops.scatter, dim, index, src, value=value, reduce=reduce, written=(src,))

    def scatter_add_(self, dim, index, src):
        return self._overwritten("scatter_add_", _ops.scatter_add, dim, index, src, written=(src,))

    def index_fill_(self, dim, index, value):
        return self._overwritten("index_fill_", _ops.index_fill, dim, index, value, written=(value,))

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._overwritten("index_add_", _ops.index_add, dim, index, source, alpha=alpha, written=(source,))

    def index_copy_(self, dim, index, source):
        return self._overwritten("index_copy_", _ops.index_copy, dim, index, source, written=(source,))

    def index_put_(self, indices, values, accumulate=False):
        return self._overwritten("index_put_", _ops.index_put, indices, values, accumulate, written=(values,))

    def masked_scatter_(self, mask, source):
        return self._overwritten("masked_scatter_", _ops.masked_scatter, mask, source, written=(source,))

    def pow_(self, exponent):
        return self._overwritten("pow_", _ops.pow, exponent, written=(exponent,))

    def round_(self, decimals=0):
        return self._overwritten("round_", _ops.round, decimals)

    def exp_(self):
        return self._overwritten("exp_", _ops.exp)

    def log_(self):
        return self._overwritten("log_", _ops.log)

    def sqrt_(self):
        return self._overwritten("sqrt_", _ops.sqrt)

    def sigmoid_(self):
        return self._overwritten("sigmoid_", _ops.sigmoid)

    def tanh_(self):
        return self._overwritten("tanh_", _ops.tanh)

    def relu_(self):
        return self._overwritten("relu_", _ops.relu)

    def floor_(self):
        return self._overwritten("floor_", _ops.floor)

    def ceil_(self):
        return self._overwritten("ceil_", _ops.ceil)

    def trunc_(self):
        return self._overwritten("trunc_", _ops.trunc)

    def sign_(self):
        return self._overwritten("sign_", _ops.sign)

    def square_(self):
        return self._overwritten("square_", _ops.square)

    def reciprocal_(self):
        return self._overwritten("reciprocal_", _ops.reciprocal)

    def float_power_(self, exponent):
        if self.data.dtype != np.float64:  # (its result is float64, which only a float64 tensor holds)
            raise TypeError(f"float_power_: the tensor must be float64 to take its float64 result in place, got "
                            f"{self.dtype}; write y = x.float_power(...) for a new tensor")
        return self._overwritten("float_power_", _ops.float_power, exponent, written=(exponent,))

    # PyTorch's in-place view changes (squeeze_, unsqueeze_, t_, transpose_, swapaxes_, swapdims_): the
    # values stay, the shape changes. A tensor computed in the graph becomes the view's node, whose
    # parent is a new tensor holding what it was (its data and its node), so a later use passes its
    # gradient back through the earlier graph, as PyTorch's rebased grad_fn does. A use recorded
    # before the change would send the tensor a gradient of the old shape: backward() refuses that
    # (changes.Changes.reshape), where PyTorch hands it to the old node. A leaf that requires grad
    # is refused outside no_grad(), as in PyTorch.

    def _reshaped(self, what: str, view, *args) -> "Tensor":
        if self.requires_grad and self._backward is None and _grad_state.enabled:
            raise GradError(f"{what}: a leaf tensor that requires grad cannot change its shape in place, as in "
                            f"PyTorch; write y = x.{what[:-1]}(...) for a new tensor, or change it under no_grad()")
        if self._backward is None:
            result = _viewed(what, view, Tensor._wrap(self.data), args).data
            if self.requires_grad:  # (a leaf under no_grad(): a use recorded before sends the old shape)
                Changes.reshape(self, what)
            self.data = result
            return self
        before = _new_tensor(Tensor)
        before.data, before.requires_grad, before._stamp = self.data, self.requires_grad, self._stamp
        before._parents, before._backward, before._op = self._parents, self._backward, self._op
        before.grad, before._retains_grad, before._pending = None, False, None
        node = getattr(self, "_node", None)
        if node is not None:  # (the node made so far, with any hooks on it, goes with the rule it holds)
            before._node, node._tensor = node, weakref.ref(before)
        with _grad_mode.enable_grad():  # (under no_grad() too: the node must map the new shape to the old)
            result = _viewed(what, view, before, args)
        if result.data.shape == self.data.shape and result.data.strides == self.data.strides:
            return self  # (nothing moved: a vector's t_(), squeeze_() without a dimension of length 1)
        Changes.reshape(self, what)
        self.data, self._parents, self._backward, self._op = result.data, result._parents, result._backward, result._op
        self._stamp = result._stamp
        return self

    def squeeze_(self, dim=None):
        return self._reshaped("squeeze_", Tensor.squeeze, dim)

    def unsqueeze_(self, dim):
        return self._reshaped("unsqueeze_", Tensor.unsqueeze, dim)

    def t_(self):
        return self._reshaped("t_", Tensor.t)

    def transpose_(self, dim0, dim1):
        return self._reshaped("transpose_", Tensor.transpose, dim0, dim1)

    def swapaxes_(self, axis0, axis1):
        return self._reshaped("swapaxes_", Tensor.transpose, axis0, axis1)

    def swapdims_(self, dim0, dim1):
        return self._reshaped("swapdims_", Tensor.transpose, dim0, dim1)

    # PyTorch's Python functions of each element, for CPU tensors as PyTorch has them: ``function``
    # called on each element as a Python number (float, int or bool), with the elements of the other
    # tensors at the same place (each of this tensor's dtype, broadcast to its shape), the results
    # written back in this tensor's dtype (2.7 into an integer tensor is 2). A Python function passes
    # no gradient, so a tensor that requires grad is refused, under no_grad() too, as in PyTorch.

    def apply_(self, callable):
        """Each element x replaced by ``callable(x)``; returns this tensor."""
        return self._by_element("apply_", callable, ())

    def map_(self, tensor, callable):
        """Each element x replaced by ``callable(x, y)``, y the element of ``tensor`` at its place."""
        return self._by_element("map_", callable, (tensor,))

    def map2_(self, x, y, callable):
        """Each element a replaced by ``callable(a, b, c)``, b and c the elements of ``x`` and ``y`` at its place."""
        return self._by_element("map2_", callable, (x, y))

    def _by_element(self, what: str, function, others: tuple) -> "Tensor":
        if not callable(function):
            raise TypeError(f"{what}: expects a function to call on each element, got {function!r}")
        for tensor in (self, *others):
            if not isinstance(tensor, Tensor):
                raise TypeError(f"{what}: expects deltaprop tensors beside the function, got {type(tensor).__name__}")
            if tensor.requires_grad:
                raise GradError(f"{what}: a Python function of each element passes no gradient, and a tensor it "
                                f"reads requires grad; call it on x.detach(), which shares x's memory")
            if tensor.dtype != self.dtype:
                raise TypeError(f"{what}: the other tensors must have this tensor's dtype {self.dtype}, got one of "
                                f"{tensor.dtype}; convert it first (y.to({self.dtype}))")
        self._method_in_place(what)  # (a read-only tensor)
        try:
            columns = [np.broadcast_to(tensor.data, self.shape).ravel().tolist() for tensor in (self, *others)]
        except ValueError:
            raise ShapeError(f"{what}: the other tensors must broadcast to this tensor's shape {self.shape}, got "
                             f"shapes {[tensor.shape for tensor in others]}") from None
        values = [function(*elements) for elements in zip(*columns)]
        for value in values:
            if not isinstance(value, (int, float, np.integer, np.floating, np.bool_)):
                raise TypeError(f"{what}: the function must return a real number for each element, got {value!r}")
        # A float tensor takes what exceeds its range as ±inf, as PyTorch does; an integer tensor refuses
        # an integer beyond its own (PyTorch's refusal too), where NumPy would wrap it.
        bounds = np.iinfo(self.dtype) if self.data.dtype.kind in "iu" else None
        try:
            if bounds is not None and values and not bounds.min <= min(values) <= max(values) <= bounds.max:
                raise OverflowError
            result = np.array(values, dtype=None if bounds else np.float64).reshape(self.shape)
        except OverflowError:
            raise OverflowError(f"{what}: the function returned a number beyond the range of {self.dtype}") from None
        with np.errstate(over="ignore"):
            np.copyto(self.data, result, casting="unsafe")
        self._mark_changed()
        return self

    # PyTorch's storage changes, on NumPy arrays: resize_ reads the elements in row-major order (PyTorch
    # reads its storage, which differs for a transposed or strided view), and set_ shares another
    # tensor's array (PyTorch's forms with a storage, an offset and strides have no counterpart).

    def resize_(self, *sizes, memory_format=None):
        """This tensor given the shape ``sizes`` in place: the same number of elements is a reshape (of
        the same memory where the layout allows), fewer keep the first ones, more add zeros after them
        in new memory (PyTorch's are whatever the memory held). Refused on a tensor that requires grad,
        under no_grad() too, as in PyTorch."""
        if self.requires_grad:
            raise GradError("resize_: a tensor that requires grad cannot be resized, as in PyTorch; resize "
                            "x.detach() or make a new tensor (x.reshape, x.new_zeros)")
        if not sizes:
            raise TypeError("resize_: give the new sizes (resize_(2, 3) or resize_((2, 3)); () for a 0-d tensor)")
        shape = _ops.shape._sizes("resize_", sizes)
        if any(n < 0 for n in shape):
            raise ValueError(f"resize_: sizes must be non-negative, got {shape}")
        count = int(np.prod(shape, dtype=np.int64))
        if shape != self.data.shape:
            flat = self.data.reshape(-1)
            more = np.zeros(count - flat.size, self.data.dtype) if count > flat.size else None
            self.data = (flat[:count] if more is None else np.concatenate((flat, more))).reshape(shape)
        return self

    def resize_as_(self, the_template, memory_format=None):
        """:meth:`resize_` to ``the_template``'s shape."""
        if not isinstance(the_template, Tensor):
            raise TypeError(f"resize_as_: expects a tensor whose shape to take, got {type(the_template).__name__}")
        return self.resize_(the_template.shape)

    def set_(self, source=None, *storage_form, **storage_keywords):
        """This tensor made to hold ``source``'s array, with its shape: the two then share memory, and a
        change of one shows in the other. With no source, an empty tensor of this dtype."""
        if storage_form or storage_keywords or not (source is None or isinstance(source, Tensor)):
            raise TypeError("set_: takes a tensor whose memory to share, or nothing; PyTorch's form with a storage, "
                            "an offset and strides has no deltaprop counterpart (tensors hold NumPy arrays)")
        self._method_in_place("set_")
        if self._backward is not None and self.requires_grad:  # (under no_grad(): its node keeps the old shape)
            raise GradError("set_: a tensor computed in the graph cannot take another tensor's memory; detach it "
                            "first (x = x.detach()) or set a leaf")
        if source is not None and source.dtype != self.dtype:
            raise TypeError(f"set_: a {self.dtype} tensor cannot take the memory of a {source.dtype} tensor; "
                            f"convert one first")
        data = np.empty((0,), self.data.dtype) if source is None else source.data
        if self.requires_grad and data.shape != self.data.shape:  # (a leaf under no_grad(), as _reshaped notes it)
            Changes.reshape(self, "set_")
        self.data = data
        return self

    # In-place random draws (deltaprop.draws) from the library's generator (seeded by manual_seed),
    # or from the deltaprop.Generator given as generator=, as a custom weight initialisation writes
    # them under no_grad(): ``p.normal_(0, 0.02)``.

    def _drawn(self, what: str, draw, *written) -> "Tensor":
        """``draw(t)`` fills ``t`` in place and returns it. Where the graph records this tensor, the
        values are drawn into a copy and written as a change in place (their gradient is 0, as in
        PyTorch); a value ``written`` that requires grad is refused (no gradient reaches it)."""
        if self._graph_sees() and not any(isinstance(value, Tensor) and value.requires_grad for value in written):
            values = draw(Tensor._wrap(self.data.copy()))
            self._rebase(what, lambda t, own: _ops.setitem(t, Ellipsis, values.data))
            return self
        for value in written or (None,):
            self._method_in_place(what, value)
        return draw(self)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        return self._drawn("normal_", lambda self: _draws.normal(self, mean, std, generator=generator))

    def uniform_(self, from_=0.0, to=1.0, *, generator=None):
        """U[from, to) (PyTorch's arguments are named ``from`` and ``to``)."""
        return self._drawn("uniform_", lambda self: _draws.uniform(self, from_, to, generator=generator))

    def bernoulli_(self, p=0.5, *, generator=None):
        """1 with probability ``p`` (a number, or a tensor of one per element), else 0."""
        return self._drawn("bernoulli_", lambda self: _draws.bernoulli(self, p, generator=generator), p)

    def bernoulli(self, p=None, *, generator=None):
        """1 with probability given by each element (or by ``p``), else 0: :func:`deltaprop.bernoulli`."""
        return _ops.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Category indices drawn by this tensor's weights: :func:`deltaprop.multinomial`."""
        return _ops.multinomial(self, num_samples, replacement, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        return self._drawn("exponential_", lambda self: _draws.exponential(self, lambd, generator=generator))

    def geometric_(self, p, *, generator=None):
        return self._drawn("geometric_", lambda self: _draws.geometric(self, p, generator=generator))

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return self._drawn("cauchy_", lambda self: _draws.cauchy(self, median, sigma, generator=generator))

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return self._drawn("log_normal_", lambda self: _draws.log_normal(self, mean, std, generator=generator))

    def random_(self, *bounds, to=None, generator=None):
        """Integers drawn uniformly: ``random_(to)`` from [0, to), ``random_(from, to)`` from [from,
        to), ``random_()`` from [0, largest] (the dtype's largest integer; 2^24 for float32)."""
        return self._drawn("random_", lambda self: _draws.random(self, bounds, to, generator=generator))


# PyTorch's in-place forms of the methods above whose result keeps the tensor's shape: ``x.name_(...)``
# computes ``x.name(...)`` as usual and writes the result into x, which it returns (Tensor._overwritten,
# with its refusals: a tensor the graph records, a result of another shape or of a higher dtype
# category). A table, since each form would read the same; each becomes a method ``name_`` that takes
# ``name``'s arguments. The comparisons and the logical and bitwise operations pass no gradient, so a
# tensor given to them may require grad, as PyTorch takes it (which records a gradient of zeros; here
# the tensor stays out of the graph); a value written by the others may not.
_IN_PLACE = (
    "absolute", "negative", "fix", "frac", "rsqrt", "exp2", "expm1", "log2", "log10", "log1p", "logit", "nan_to_num",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "sinc",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "hypot", "copysign",
    "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "i0", "xlogy", "lerp",
    "multiply", "subtract", "divide", "true_divide", "floor_divide", "remainder", "fmod",
    "addmm", "addmv", "addbmm", "baddbmm", "addcmul", "addcdiv", "cumsum", "cumprod", "tril", "triu", "scatter_reduce",
    "rad2deg", "deg2rad", "ldexp", "nextafter", "heaviside", "gcd", "lcm", "sgn", "mvlgamma", "igamma", "igammac",
    "renorm", "addr",
)
_IN_PLACE_WITHOUT_GRADIENT = (
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift",
)


def _in_place_form(name: str, passes_gradient: bool):
    """The method ``name_``: :meth:`Tensor.name`, its result written into the tensor."""
    method, what = getattr(Tensor, name), name + "_"

    def in_place(self, *args, **kwargs):
        written = [value for value in (*args, *kwargs.values()) if isinstance(value, Tensor)] if passes_gradient else ()
        return self._overwritten(what, method, *args, written=written, **kwargs)

    in_place.__name__, in_place.__qualname__ = what, f"Tensor.{what}"
    in_place.__wrapped__ = method  # (so that help() and inspect.signature show name's arguments)
    in_place.__doc__ = f":meth:`{name}` in place: its result written into this tensor, which is returned."
    return in_place


for _name in _IN_PLACE + _IN_PLACE_WITHOUT_GRADIENT:
    setattr(Tensor, _name + "_", _in_place_form(_name, _name in _IN_PLACE))
del _name


class MaxMin(tuple):
    """PyTorch's ``(values, indices)`` of ``max(dim)``/``min(dim)``: unpacks, and names both."""

    __slots__ = ()

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _anew(what: str) -> str:
    """The change ``what`` written as a new tensor: ``y = x.abs(...)`` for abs_, ``y = x // ...`` for //=."""
    return f"y = x {what[:-1]} ..." if what.endswith("=") else f"y = x.{what[:-1]}(...)"


def _viewed(what: str, view, tensor: Tensor, args: tuple) -> Tensor:
    """``view(tensor, *args)``, its refusal (a dim out of range) reworded to name ``what``."""
    try:
        return view(tensor, *args)
    except (ShapeError, ValueError, TypeError) as error:
        message = str(error)
        name, _, rest = message.partition(": ")
        if rest and " " not in name:  # (the refusal named the operation: name the method instead)
            message = rest
        raise type(error)(f"{what}: {message}") from None


def _checked(array: np.ndarray, dtype, owner: str) -> np.ndarray:
    """``array``, made with the ``dtype`` given to ``owner``, refused if it is not a kind a tensor holds."""
    if dtype is not None and array.dtype.kind not in TENSOR_KINDS:
        raise dtype_refusal(owner, dtype)
    return array


def tensor(data, requires_grad: bool = False, dtype=None, *, device=None) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Python and NumPy floats become float32 unless ``dtype`` is given (float64 is kept when asked
    for); integers stay integers and cannot require a gradient. ``device`` can only be the CPU.
    """
    on_cpu("tensor", device)
    return Tensor(_checked(_to_array(data, dtype, copy=True), dtype, "tensor"), requires_grad=requires_grad, dtype=dtype)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory with it where possible (no copy)."""
    on_cpu("as_tensor", device)
    if isinstance(data, Tensor) and dtype is None:
        return data
    return Tensor(data if dtype is None else _checked(_to_array(data, dtype, False, "as_tensor"), dtype, "as_tensor"), dtype=dtype)


from . import ops as _ops  # noqa: E402  (the operations import Tensor from this module)


def _sizes_or_keyword(method: str, given: tuple, name: str, keyword) -> tuple:
    """The sizes or dims of ``expand``/``repeat``/``flip``, given as arguments or, as PyTorch
    also takes them, as the keyword ``name`` (a sequence, or one int)."""
    if keyword is None:
        return given
    if given:
        raise TypeError(f"{method}: give {name} either as arguments or as {name}=, not both")
    return (keyword,)
