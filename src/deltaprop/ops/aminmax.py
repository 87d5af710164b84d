"""``aminmax``: the smallest and the largest value together, PyTorch's named pair ``(min, max)``.

Composed of amin and amax, whose rules share each gradient equally among the elements tied at the
extremum, as PyTorch's aminmax shares it.
"""

from __future__ import annotations

import collections

from ..errors import ShapeError
from ._core import operand
from .indexing import _axis
from .reduction import amax, amin


# PyTorch's named pair: unpacks as (min, max), and names both; prints as MinMax(min=..., max=...)
MinMax = collections.namedtuple("MinMax", ["min", "max"])


def aminmax(input, *, dim=None, keepdim=False) -> MinMax:
    """``(min, max)`` of all elements, or along ``dim`` (one dimension), with ``keepdim`` as amin's.
    An empty input, or an empty ``dim``, has no extremes: refused."""
    a = operand(input)
    X = a.data
    axis = None if dim is None else _axis("aminmax", dim, max(X.ndim, 1))
    if X.size == 0 and (axis is None or X.shape[axis] == 0):
        over = "its elements" if axis is None else f"dimension {dim} of length 0"
        raise ShapeError(f"aminmax: the input of shape {X.shape} is empty, and the extremes of no elements (over "
                         f"{over}) are undefined")
    if X.ndim == 0:
        axis = None  # (dim 0 or -1 of a 0-d tensor: the tensor itself)
    return MinMax(amin(a, axis, keepdim), amax(a, axis, keepdim))
