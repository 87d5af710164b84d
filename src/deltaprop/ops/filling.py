"""PyTorch's out-of-place ``fill``: a new tensor of the input's shape and dtype, every element the
value given (a number, or a 0-d tensor).

The value is written as :meth:`Tensor.fill_` writes it (a float into an integer tensor truncated), so
the two agree. Composed of ``where``, with the value on every side of the condition: the input gets
a gradient of zeros (it shaped the result, as PyTorch's gets one), and a value given as a
floating-point tensor the sum of the output's gradient.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._core import operand
from .elementwise import astype, where


def fill(input, value):
    """A tensor of ``input``'s shape and dtype holding ``value`` everywhere; shares no memory with it."""
    a = operand(input)
    given = value.data if isinstance(value, Tensor) else value
    if np.ndim(given):
        raise ShapeError(f"fill: the value must be a number or a 0-d tensor, got one of shape {np.shape(given)}")
    one = np.empty((), a.data.dtype)
    one.fill(given)  # (fill_'s conversion: refused where the dtype cannot hold the number)
    filler = astype(value, a.data.dtype) if isinstance(value, Tensor) else one
    return where(np.True_, filler, a)
