"""What every primitive shares: turning operands into tensors, recording, undoing broadcasting.

A primitive is a function that computes its result with NumPy and defines, a few lines below, the
rule that maps the gradient ``g`` of its output to the gradients of its inputs. The rule returns one
entry per input, ``None`` for inputs that need no gradient, so no work is done for input data.
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor, _to_array

record = Tensor._from_op


def operand(x) -> Tensor:
    """``x`` as a tensor; constants are wrapped without a gradient and keep NumPy's typing rules.

    A Python number stays a Python number inside the wrapper, so ``float32_tensor * 2.0`` stays
    float32 (NumPy treats Python scalars as "weak"). NumPy scalars become Python numbers for the
    same reason; lists become arrays under the tensor dtype policy.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.generic):  # first: np.float64 is also a Python float, but not a weak one
        return Tensor._wrap(x.item())
    if isinstance(x, (int, float, bool, np.ndarray)):
        return Tensor._wrap(x)
    return Tensor._wrap(_to_array(no_tensors_in(x)))


def no_tensors_in(x):
    """``x``, an operand that is no tensor, refused if it is a tuple or list of tensors: NumPy
    would stack them into one array off the graph (through ``Tensor.__array__``), their gradients
    lost without a word. (Looking down the first items only keeps a long list of numbers cheap.)"""
    first = x
    while isinstance(first, (tuple, list)) and first:
        first = first[0]
    if isinstance(first, Tensor):
        raise TypeError(f"expected a tensor, got a {type(x).__name__} holding tensors; a recurrent layer returns "
                        "(output, h_n) (an LSTM (output, (h_n, c_n))): take the one you mean, output, _ = rnn(x)")
    return x


def mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``, with an outer product (inner dimension 1, both operands at least 2-D) computed
    by a faster route than NumPy's matmul, which has no BLAS path for it.

    It is what the backward pass of a layer with one output computes (regression, binary
    classification), the forward pass of a layer with one input feature, and the weight gradient
    of a batch of one. Each entry is the same single product every way. Float32, reference
    machine: (331, 1) @ (1, 100) took 53.7 µs by matmul, 12.2 by broadcasting and 6.5 by
    ``np.dot`` (BLAS's rank-1 product); (8, 1) @ (1, 2) 1.15, 1.37 and 0.93 µs. So 2-D operands go
    to ``np.dot``; stacked ones (where ``np.dot``'s rules differ from matmul's) are broadcast when
    they are large and left to matmul when they are not.
    """
    if a.shape[-1] != 1 or a.ndim < 2 or b.ndim < 2 or b.shape[-2] != 1:
        return a @ b
    if a.ndim == 2 and b.ndim == 2:
        return a.dot(b)  # (np.dot's method form, without the array-function dispatch)
    if a.shape[-2] * b.shape[-1] < _OUTER_MIN:
        return a @ b
    return np.multiply(a, b)


_OUTER_MIN = 256


@functools.lru_cache(maxsize=256)
def constant(value, dtype) -> np.ndarray | None:
    """``value`` as a read-only 0-d array of ``dtype``, made once, or None where ``dtype`` cannot
    hold it exactly (there an operation with it could round otherwise than with the Python number).

    For the hot paths of small arrays: NumPy converts a Python number operand anew at every ufunc
    call, and on a 2-8-2 network's arrays that conversion costs as much as the arithmetic
    (np.maximum(A, 0) 0.9 µs against 0.5 with a 0-d zero of A's dtype). An exact value gives the
    same result either way: NumPy turns a Python number into the array's dtype to compute.
    """
    array = np.array(value, dtype=dtype)
    if array.item() != value:  # (compared in Python: NumPy would round value to dtype first)
        return None
    array.flags.writeable = False
    return array


def signs(x: np.ndarray) -> np.ndarray:
    """−1, 0 or 1 by the sign of each element, and 0 at a NaN, as PyTorch's sign (NumPy's gives NaN)."""
    return np.nan_to_num(np.asarray(np.sign(x)), nan=0.0, copy=False)


def shape_of(x: Tensor) -> tuple:
    return np.shape(x.data)


def broadcast_error(op: str, a: Tensor, b: Tensor) -> ShapeError:
    return ShapeError(f"{op}: shapes {shape_of(a)} and {shape_of(b)} cannot be broadcast together")


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` back to ``shape``: the gradient rule of NumPy broadcasting, in one place.

    An input of shape (3, 1) broadcast against (2, 3, 4) was used 2 * 4 times per element, so its
    gradient is the sum of the output gradient over the axes it was stretched along.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    stretched = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return g.sum(axis=stretched, keepdims=True).reshape(shape)


def normalize_axes(axis, ndim: int) -> tuple:
    """``axis`` (None, an int or a tuple, negatives allowed) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):  # a 0-d tensor's only "axis" is 0 or -1, as in PyTorch
            raise ShapeError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        normalized.append(int(a) % max(ndim, 1))
    return tuple(sorted(normalized))


def torch_names(op: str, axis, dim, keepdims=False, keepdim=None):
    """(axis, keepdims) from NumPy's names or PyTorch's (``dim``, ``keepdim``), whichever was given."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give axis (NumPy's name) or dim (PyTorch's), not both")
        axis = dim
    return axis, (keepdims if keepdim is None else keepdim)


def reduction_axis(axis, ndim: int, op: str = "reduction"):
    """``axis`` checked, as NumPy takes it (a list as a tuple), or None (every axis) for a 0-d
    input, whose reduction over its axis 0 (or -1) is the whole of it (PyTorch allows both; NumPy's
    expand_dims would add an axis to the gradient), and for no axes at all: PyTorch's
    ``x.sum(dim=())`` reduces every dimension, where NumPy's ``axis=()`` reduces none."""
    if isinstance(axis, (list, tuple)):
        if not axis:
            return None
        axis = tuple(axis)
        if not all(isinstance(a, (int, np.integer)) for a in axis):
            raise TypeError(f"{op}: dim must be an integer or a list of integers, got {list(axis)!r}")
        axes = normalize_axes(axis, ndim)  # a clear error for an axis out of range
        if len(set(axes)) < len(axes):
            twice = next(a for a in axes if axes.count(a) > 1)
            raise ShapeError(f"dims {axis} name dimension {twice} more than once (a tensor of {ndim} dimensions)")
    else:
        if axis is not None and not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{op}: dim must be an integer or a list of integers, got {axis!r}")
        normalize_axes(axis, ndim)
    return None if ndim == 0 else axis


def expand_reduced(g: np.ndarray, shape: tuple, axis, keepdims: bool) -> np.ndarray:
    """Broadcast the gradient of a reduction over ``axis`` back to the input's ``shape``."""
    if not keepdims and axis is not None:
        g = np.expand_dims(g, normalize_axes(axis, len(shape)))
    return np.broadcast_to(g, shape)
