"""PyTorch's function forms of tensor methods (``torch.max(x, 1)``, ``torch.std(x, dim=0)``,
``torch.mm(a, b)``, ``torch.allclose(a, b)``, ...) and its aliases of NumPy's names
(``torch.multiply``, ``torch.greater``, ...), for code ported from it.

Each is one call of the method or operation that computes it: the arguments, the meaning and the
gradient are the method's. ``deltaprop/__init__.py`` exports them.
"""

from __future__ import annotations

from . import ops
from .tensor import Tensor, as_tensor, get_default_dtype, set_default_dtype  # noqa: F401  (exported)


def max(input, dim=None, keepdim=False):  # noqa: A001  (torch.max)
    """The largest element; along ``dim``, a ``(values, indices)`` pair; with a tensor as the second
    argument, the elementwise maximum (``torch.max(x, y)``)."""
    return as_tensor(input).max(dim, keepdim)


def min(input, dim=None, keepdim=False):  # noqa: A001  (torch.min)
    """The smallest element; along ``dim``, a ``(values, indices)`` pair; with a tensor as the second
    argument, the elementwise minimum."""
    return as_tensor(input).min(dim, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The standard deviation over ``dim`` (:meth:`Tensor.std`; unbiased unless told otherwise)."""
    return as_tensor(input).std(dim, unbiased, keepdim, correction=correction)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The variance over ``dim`` (:meth:`Tensor.var`; unbiased unless told otherwise)."""
    return as_tensor(input).var(dim, unbiased, keepdim, correction=correction)


def norm(input, p="fro", dim=None, keepdim=False):
    """The p-norm over ``dim`` (all elements by default): 'fro' (2), 1, inf or any p > 0."""
    return as_tensor(input).norm(p, dim, keepdim)


def pow(input, exponent):  # noqa: A001  (torch.pow)
    """``input ** exponent``; either may be a number (``torch.pow(2, x)``)."""
    return ops.pow(input, exponent)


def neg(input):
    return ops.neg(input)


negative = neg


def absolute(input):
    return ops.abs(input)


def mm(input, mat2):
    """The product of two matrices (2-d each, no broadcasting)."""
    return ops.mm(input, mat2)


def mv(input, vec):
    """The product of a matrix and a vector."""
    return ops.mv(input, vec)


def dot(input, other):
    """The dot product of two vectors: a 0-d tensor."""
    return ops.dot(input, other)


def clone(input):
    """A copy that stays in the graph."""
    return ops.clone(input)


def all(input, dim=None, keepdim=False):  # noqa: A001  (torch.all)
    """Whether every element is true: a boolean tensor over ``dim``, 0-d for the whole input."""
    return ops.all_true(as_tensor(input), dim, keepdim)


def any(input, dim=None, keepdim=False):  # noqa: A001  (torch.any)
    """Whether any element is true: a boolean tensor over ``dim``, 0-d for the whole input."""
    return ops.any_true(as_tensor(input), dim, keepdim)


def numel(input) -> int:
    return as_tensor(input).numel()


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a deltaprop tensor (a NumPy array is not)."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:
    if not isinstance(input, Tensor):
        raise TypeError(f"is_floating_point: input must be a tensor, got {type(input).__name__}")
    return input.is_floating_point()


def _a_tensor(op: str, input) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a tensor, got {type(input).__name__}")
    return input


def is_nonzero(input) -> bool:
    """Whether the one element of ``input`` is nonzero (:meth:`Tensor.is_nonzero`)."""
    return _a_tensor("is_nonzero", input).is_nonzero()


def is_same_size(input, other) -> bool:
    """Whether ``input`` and ``other`` have the same shape."""
    return _a_tensor("is_same_size", input).is_same_size(other)


def is_signed(input) -> bool:
    """Whether ``input``'s dtype holds negative numbers (floating-point and signed integer dtypes)."""
    return _a_tensor("is_signed", input).is_signed()


def is_complex(input) -> bool:
    """False: deltaprop has no complex dtypes."""
    return _a_tensor("is_complex", input).is_complex()


def vdot(input, other):
    """The dot product of two vectors: a 0-d tensor. (PyTorch conjugates the first; deltaprop's
    tensors are real, so it is :func:`dot`.)"""
    return ops.dot(input, other)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return ops.allclose(input, other, rtol, atol, equal_nan)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return ops.isclose(input, other, rtol, atol, equal_nan)


def equal(input, other) -> bool:
    return ops.equal(input, other)


def count_nonzero(input, dim=None):
    return ops.count_nonzero(input, dim)


def broadcast_to(input, size):
    """A read-only view of ``input`` broadcast to ``size`` (``expand``)."""
    return as_tensor(input).broadcast_to(size)


def ravel(input):
    """The elements as a vector, in row-major order."""
    return as_tensor(input).ravel()


def reshape(input, shape):
    return ops.reshape(input, shape)


def t(input):
    """The transpose of a matrix; a vector stays as it is."""
    return as_tensor(input).t()


def index_put_(input, indices, values, accumulate=False):
    """:meth:`Tensor.index_put_`: ``values`` written (or added) into ``input`` at ``indices``."""
    return input.index_put_(indices, values, accumulate)


def true_divide(input, other):
    return ops.div(input, other)


multiply = ops.mul
subtract = ops.sub_scaled  # (alpha=)
divide = ops.divide  # (rounding_mode=)
greater, greater_equal, less, less_equal, not_equal = ops.gt, ops.ge, ops.lt, ops.le, ops.ne
concat = ops.concatenate
