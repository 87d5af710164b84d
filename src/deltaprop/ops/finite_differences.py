"""PyTorch's ``gradient``: the derivative of sampled values along each dimension, estimated by
finite differences, as ``numpy.gradient`` estimates it.

Inside, the central difference of second order: (f[i+1] − f[i−1]) / 2h for samples h apart, and its
form for uneven steps (a weighted sum of f[i−1], f[i] and f[i+1], the weights from the steps on
either side). At the two ends, a one-sided difference of first order (``edge_order=1``) or of second
order (``edge_order=2``, through three samples). The samples are ``spacing`` apart along every
dimension (a number), along each its own (a list of numbers), or at the coordinates given for each
(a list of 1-D tensors).

Every estimate is composed of slices, differences and products of the input (and of the
coordinates), so both get their gradients, with second derivatives, from those operations'.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor, get_default_dtype
from ._core import operand
from .arithmetic import add, div, mul, sub
from .elementwise import astype
from .shape import concatenate, narrow, reshape

_OP = "gradient"


def gradient(input, *, spacing=1, dim=None, edge_order=1) -> tuple:
    """The estimated derivative of ``input`` along each dimension of ``dim`` (all, for None; one for
    an int), a tuple of tensors of ``input``'s shape. Each dimension needs ``edge_order`` + 1
    samples at least. An integer input gives the default floating-point dtype."""
    f = operand(input)
    X = f.data
    if X.dtype.kind == "b":
        raise TypeError(f"{_OP}: input must hold numbers, got a boolean tensor (differences of booleans are not defined)")
    if X.dtype.kind != "f":
        f = astype(f, get_default_dtype())
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise ConfigError(f"{_OP}: edge_order must be 1 or 2, got {edge_order!r}")
    axes = _axes(dim, X.ndim)
    steps = _spacings(spacing, axes, dim)
    for axis in axes:
        if X.shape[axis] < edge_order + 1:
            raise ShapeError(f"{_OP}: dimension {axis} has {X.shape[axis]} samples; edge_order={edge_order} needs at "
                             f"least {edge_order + 1} along each dimension it differentiates")
    results = []
    for axis, step in zip(axes, steps):
        if isinstance(step, Tensor):
            results.append(_uneven(f, axis, _coordinates(step, axis, X.shape, f.data.dtype), edge_order))
        else:
            results.append(_even(f, axis, step, edge_order))
    return tuple(results)


def _axes(dim, ndim: int) -> tuple:
    if dim is None:
        return tuple(range(ndim))
    given = (dim,) if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool) else dim
    if not isinstance(given, (tuple, list)) or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                                                       for d in given):
        raise TypeError(f"{_OP}: dim must be an integer or a list of integers, got {dim!r}")
    axes = []
    for d in given:
        if not -ndim <= d < ndim:
            raise ShapeError(f"{_OP}: dim {d} is out of range for a tensor with {ndim} dimensions")
        axes.append(int(d) % ndim)
    if len(set(axes)) < len(axes):
        raise ShapeError(f"{_OP}: dim {tuple(given)} names a dimension more than once")
    return tuple(axes)


def _spacings(spacing, axes: tuple, dim) -> list:
    """One step per axis: a number (even samples) or a tensor of coordinates."""
    if isinstance(spacing, numbers.Real) and not isinstance(spacing, bool):
        return [spacing] * len(axes)
    if not isinstance(spacing, (tuple, list)):
        raise TypeError(f"{_OP}: spacing must be a number, a list of numbers or a list of 1-D tensors of coordinates, "
                        f"got {type(spacing).__name__}")
    if len(spacing) != len(axes):
        given = "dim" if dim is not None else f"the {len(axes)} dimensions of the input (dim not given)"
        raise ShapeError(f"{_OP}: spacing has {len(spacing)} entries; give one for each dimension of {given}")
    numbers_given = [isinstance(s, numbers.Real) and not isinstance(s, bool) for s in spacing]
    tensors_given = [isinstance(s, Tensor) for s in spacing]
    if not (all(numbers_given) or all(tensors_given)):
        raise TypeError(f"{_OP}: spacing must be all numbers or all 1-D tensors of coordinates, got "
                        f"{[type(s).__name__ for s in spacing]}")
    return list(spacing)


def _coordinates(points: Tensor, axis: int, shape: tuple, dtype) -> Tensor:
    """The coordinates of the samples along ``axis``, shaped to broadcast along it, as floats."""
    if points.data.ndim != 1:
        raise ShapeError(f"{_OP}: each tensor of coordinates in spacing must have one dimension, got shape "
                         f"{points.data.shape}")
    if points.data.shape[0] != shape[axis]:
        raise ShapeError(f"{_OP}: {points.data.shape[0]} coordinates for dimension {axis} of {shape[axis]} samples; "
                         "give one coordinate per sample")
    if points.data.dtype.kind != "f":
        points = astype(points, dtype)
    return reshape(points, (shape[axis],) + (1,) * (len(shape) - axis - 1))


def _piece(t: Tensor, axis: int, start: int, stop: int | None = None) -> Tensor:
    """``t[start:stop]`` along ``axis`` (negative bounds from the end; None to the end)."""
    n = t.data.shape[axis]
    start = start % n if start < 0 else start
    stop = n if stop is None else (stop % n if stop < 0 else stop)
    return narrow(t, axis, start, stop - start)


def _even(f: Tensor, axis: int, h, edge_order: int) -> Tensor:
    """Samples ``h`` apart."""
    inside = div(sub(_piece(f, axis, 2), _piece(f, axis, 0, -2)), 2 * h)
    if edge_order == 1:
        first = div(sub(_piece(f, axis, 1, 2), _piece(f, axis, 0, 1)), h)
        last = div(sub(_piece(f, axis, -1), _piece(f, axis, -2, -1)), h)
    else:
        f0, f1, f2 = (_piece(f, axis, i, i + 1) for i in range(3))
        first = div(add(add(mul(f0, -1.5), mul(f1, 2.0)), mul(f2, -0.5)), h)
        g0, g1, g2 = _piece(f, axis, -3, -2), _piece(f, axis, -2, -1), _piece(f, axis, -1)
        last = div(add(add(mul(g0, 0.5), mul(g1, -2.0)), mul(g2, 1.5)), h)
    return concatenate([first, inside, last], axis)


def _uneven(f: Tensor, axis: int, x: Tensor, edge_order: int) -> Tensor:
    """Samples at the coordinates ``x`` (shaped to broadcast along ``axis``)."""
    dx = sub(_piece(x, 0, 1), _piece(x, 0, 0, -1))  # the steps, one fewer than the samples
    left, right = _piece(dx, 0, 0, -1), _piece(dx, 0, 1)  # the steps before and after each inner sample
    total = add(left, right)
    a = div(mul(right, -1.0), mul(left, total))
    b = div(sub(right, left), mul(left, right))
    c = div(left, mul(right, total))
    inside = add(add(mul(_piece(f, axis, 0, -2), a), mul(_piece(f, axis, 1, -1), b)), mul(_piece(f, axis, 2), c))
    if edge_order == 1:
        first = div(sub(_piece(f, axis, 1, 2), _piece(f, axis, 0, 1)), _piece(dx, 0, 0, 1))
        last = div(sub(_piece(f, axis, -1), _piece(f, axis, -2, -1)), _piece(dx, 0, -1))
    else:
        first = _second_order_end(f, axis, _piece(dx, 0, 0, 1), _piece(dx, 0, 1, 2), (0, 1, 2), at_start=True)
        last = _second_order_end(f, axis, _piece(dx, 0, -2, -1), _piece(dx, 0, -1), (-3, -2, -1), at_start=False)
    return concatenate([first, inside, last], axis)


def _second_order_end(f: Tensor, axis: int, h1: Tensor, h2: Tensor, where: tuple, at_start: bool) -> Tensor:
    """The one-sided difference of second order through three samples ``where`` at an end, ``h1``
    and ``h2`` the steps between them."""
    samples = [_piece(f, axis, i, i + 1 if i != -1 else None) for i in where]
    total = add(h1, h2)
    if at_start:
        weights = (div(mul(add(mul(h1, 2.0), h2), -1.0), mul(h1, total)), div(total, mul(h1, h2)),
                   div(mul(h1, -1.0), mul(h2, total)))
    else:
        weights = (div(h2, mul(h1, total)), div(mul(total, -1.0), mul(h1, h2)),
                   div(add(mul(h2, 2.0), h1), mul(h2, total)))
    return add(add(mul(samples[0], weights[0]), mul(samples[1], weights[1])), mul(samples[2], weights[2]))
