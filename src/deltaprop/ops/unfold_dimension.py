"""``Tensor.unfold(dimension, size, step)``: every window of ``size`` consecutive elements along one
dimension, ``step`` apart, as a new last dimension (PyTorch's; not ``F.unfold``, the im2col of
images). The DQN tutorial's moving average is ``durations.unfold(0, 100, 1).mean(1)``.

The windows are the input's slices at positions start + offset, read with ``index_select`` and
regrouped, so a position read by several windows gets the sum of their gradients, and the second
derivatives are those of ``index_select``. (PyTorch returns a view; this is a copy.)
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._core import operand
from .layout import movedim
from .scatter import index_select
from .shape import _integer, _one_axis, reshape


def unfold_dimension(input, dimension, size, step):
    """The windows (…, n, …, size) of ``input`` along ``dimension``: n = (length − size) // step + 1."""
    op = "unfold"
    a = operand(input)
    size, step = _integer(op, "size", size), _integer(op, "step", step)
    if a.data.ndim == 0:  # a number is one window's worth, as in PyTorch
        return reshape(unfold_dimension(reshape(a, (1,)), dimension if dimension in (0, -1) else 1, size, step), (size,))
    axis = _one_axis(op, dimension, a.data.ndim)
    length = a.data.shape[axis]
    if step <= 0:
        raise ConfigError(f"{op}: step must be positive, got {step}")
    if size < 0:
        raise ConfigError(f"{op}: size must be non-negative, got {size}")
    if size > length:
        raise ShapeError(f"{op}: windows of size {size} do not fit in dimension {axis} of length {length}")
    count = (length - size) // step + 1
    positions = (np.arange(count)[:, None] * step + np.arange(size)[None, :]).reshape(-1)
    picked = index_select(a, axis, Tensor(positions.astype(np.int64)))
    shape = a.data.shape[:axis] + (count, size) + a.data.shape[axis + 1:]
    return movedim(reshape(picked, shape), axis + 1, -1)
