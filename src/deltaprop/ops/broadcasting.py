"""Broadcasting's shapes, PyTorch's: broadcast_shapes (the shape tensors of these shapes broadcast
to) and sum_to_size (broadcasting undone: a tensor summed down to a shape that broadcasts to its
own, as a gradient is summed back to its input's shape).

sum_to_size is composed of sum and reshape, whose rules carry the gradient back.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ..size import Size
from ._core import operand
from .reduction import sum as _sum
from .shape import _sizes, reshape


def _shape(op: str, shape) -> tuple:
    """``shape`` (an integer, or a sequence of them) as a tuple of non-negative ints."""
    sizes = (shape,) if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool) else shape
    if not isinstance(sizes, (tuple, list)) or not all(
            isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"{op}: a shape must be an integer or a sequence of integers, got {shape!r}")
    if any(n < 0 for n in sizes):
        raise ConfigError(f"{op}: a shape cannot hold negative sizes, got {tuple(sizes)}")
    return tuple(int(n) for n in sizes)


def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of ``shapes`` broadcast to together, without making any of them."""
    given = [_shape("broadcast_shapes", shape) for shape in shapes]
    try:
        return Size(np.broadcast_shapes(*given))
    except ValueError:
        shapes = ", ".join(map(str, given))
        raise ShapeError(f"broadcast_shapes: shapes {shapes} cannot be broadcast together") from None


def sum_to_size(input, *size):
    """``input`` summed down to ``size`` (given as integers or one sequence), which must broadcast to
    the input's shape: over the leading dimensions ``size`` lacks, and over those where it has 1. The
    input itself where ``size`` is its shape."""
    a = operand(input)
    shape, target = a.data.shape, _sizes("sum_to_size", size)
    lead = len(shape) - len(target)
    if lead < 0 or any(n not in (1, shape[lead + i]) for i, n in enumerate(target)):
        raise ShapeError(f"sum_to_size: size {target} does not broadcast to the input's shape {shape}")
    if target == shape:
        return a
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)
    return reshape(_sum(a, axes, keepdims=True), target)
