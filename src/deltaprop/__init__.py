"""deltaprop: neural networks that learn by backpropagation, in NumPy.

    >>> import deltaprop as dp
    >>> x = dp.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([[2., 4.]], dtype=float32)

The core (tensor, ops, nn, optim) needs NumPy alone; everything heavier is imported on first use.
"""

from . import nn, ops, optim
from .creation import arange, full, ones, ones_like, rand, randn, zeros, zeros_like
from .errors import DeltapropError
from .gradcheck import gradcheck
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .ops import (
    abs,
    clip,
    concatenate,
    exp,
    log,
    log_softmax,
    matmul,
    maximum,
    mean,
    minimum,
    relu,
    sigmoid,
    softmax,
    sqrt,
    stack,
    tanh,
    where,
)
from .ops import sum as sum  # noqa: A001  (deltaprop.sum mirrors torch.sum)
from .random import manual_seed
from .tensor import Tensor, as_tensor, bool_, float16, float32, float64, int32, int64, tensor

__version__ = "0.1.0"

__all__ = [
    "DeltapropError", "Tensor", "abs", "arange", "as_tensor", "bool_", "clip", "concatenate",
    "enable_grad", "exp", "float16", "float32", "float64", "full", "gradcheck", "int32", "int64",
    "is_grad_enabled", "log", "log_softmax", "manual_seed", "matmul", "maximum", "mean", "minimum",
    "nn", "no_grad", "ones", "ones_like", "ops", "rand", "randn", "relu", "sigmoid", "softmax", "sqrt",
    "stack", "sum", "tanh", "tensor", "where", "zeros", "zeros_like",
]
