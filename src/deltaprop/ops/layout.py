"""Moving elements between positions without changing them: movedim, swapaxes, tile, roll, select,
unbind, unflatten, rot90, fliplr/flipud and repeat_interleave (PyTorch's names).

Most of these are composed from the primitives of :mod:`.shape` (permute, repeat, reshape, getitem,
split's pieces), whose rules move the gradient back; roll is a primitive of its own, whose rule is
the opposite roll.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._core import normalize_axes, operand, record
from .shape import _one_axis, _pieces, flip, getitem, permute, repeat, reshape


def _is_int(n) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool)


def _dim_list(op: str, name: str, dims, ndim: int) -> list:
    """``dims`` (an int or a sequence of ints) as non-negative axes, in the order given, each once."""
    given = [dims] if _is_int(dims) else list(dims) if isinstance(dims, (tuple, list)) else None
    if given is None or not all(_is_int(d) for d in given):
        raise TypeError(f"{op}: {name} must be an integer or a tuple of integers, got {dims!r}")
    axes = []
    for d in given:
        try:
            axes.append(normalize_axes(d, ndim)[0])
        except ShapeError as error:
            raise ShapeError(f"{op}: {name} {error}") from None
    if len(set(axes)) < len(axes):
        raise ShapeError(f"{op}: {name} {dims!r} names a dimension more than once (a tensor of {ndim} dimensions)")
    return axes


def movedim(input, source, destination):
    """The dimensions ``source`` moved to the positions ``destination`` (ints or tuples of equal
    length), the others keeping their order (PyTorch's ``movedim``, NumPy's ``moveaxis``)."""
    a = operand(input)
    ndim = a.data.ndim
    sources = _dim_list("movedim", "source", source, ndim)
    targets = _dim_list("movedim", "destination", destination, ndim)
    if len(sources) != len(targets):
        raise ShapeError(f"movedim: source {source!r} names {len(sources)} dims and destination {destination!r} "
                         f"names {len(targets)}; give as many of each")
    if ndim == 0:  # dims 0 and -1 of a 0-d tensor are the tensor itself
        return permute(a, ())
    order = [None] * ndim
    for s, t in zip(sources, targets):
        order[t] = s
    rest = iter(d for d in range(ndim) if d not in sources)
    return permute(a, tuple(d if d is not None else next(rest) for d in order))


moveaxis = movedim


def _swap(op: str, input, dim0, dim1):
    a = operand(input)
    ndim = a.data.ndim
    first, second = (_dim_list(op, name, d, ndim)[0] for name, d in (("dim0", dim0), ("dim1", dim1)))
    axes = list(range(ndim))
    if axes:  # (a 0-d tensor's dims 0 and -1 are the tensor itself)
        axes[first], axes[second] = axes[second], axes[first]
    return permute(a, tuple(axes))


def swapaxes(input, axis0, axis1):
    """``input`` with dimensions ``axis0`` and ``axis1`` swapped (PyTorch's ``transpose``)."""
    return _swap("swapaxes", input, axis0, axis1)


def swapdims(input, dim0, dim1):
    """``input`` with dimensions ``dim0`` and ``dim1`` swapped (PyTorch's ``transpose``)."""
    return _swap("swapdims", input, dim0, dim1)


def tile(input, dims):
    """``input`` repeated ``dims[i]`` times along each dimension; fewer ``dims`` than dimensions
    are padded with 1s in front, more add leading dimensions (PyTorch's ``tile``)."""
    a = operand(input)
    reps = (dims,) if _is_int(dims) else tuple(dims) if isinstance(dims, (tuple, list)) else None
    if reps is None or not all(_is_int(r) for r in reps):
        raise TypeError(f"tile: dims must be a tuple of integers, got {dims!r}")
    if any(r < 0 for r in reps):
        raise ConfigError(f"tile: dims must be non-negative, got {tuple(reps)}")
    return repeat(a, *((1,) * (a.data.ndim - len(reps)) + tuple(int(r) for r in reps)))


def roll(input, shifts, dims=None):
    """``input`` rolled ``shifts`` places along ``dims``, the elements that leave at one end coming
    back at the other; without ``dims``, the flattened input is rolled and reshaped. The gradient is
    the output's rolled back."""
    a = operand(input)
    X = a.data
    steps = [shifts] if _is_int(shifts) else list(shifts) if isinstance(shifts, (tuple, list)) else None
    if not steps or not all(_is_int(s) for s in steps):
        raise TypeError(f"roll: shifts must be an integer or a non-empty tuple of integers, got {shifts!r}")
    steps = [int(s) for s in steps]
    if dims is None:
        if len(steps) != 1:
            raise ShapeError(f"roll: {len(steps)} shifts {tuple(steps)} without dims; give one dim per shift")
        axes = None
        steps = steps[0]
    else:
        if X.ndim == 0:
            raise ShapeError(f"roll: a 0-d tensor has no dimension {dims!r} to roll along (leave dims out)")
        given = [dims] if _is_int(dims) else list(dims) if isinstance(dims, (tuple, list)) else None
        if given is None or not all(_is_int(d) for d in given):
            raise TypeError(f"roll: dims must be an integer or a tuple of integers, got {dims!r}")
        if len(given) != len(steps):
            raise ShapeError(f"roll: {len(steps)} shifts {tuple(steps)} and {len(given)} dims {tuple(given)}; "
                             "give one dim per shift")
        try:  # a dim may come twice, its shifts adding up (as in PyTorch)
            axes = tuple(normalize_axes(d, X.ndim)[0] for d in given)
        except ShapeError as error:
            raise ShapeError(f"roll: dims {error}") from None
    out = np.roll(X, steps, axis=axes)
    back = -steps if axes is None else [-s for s in steps]

    def backward(g):
        return (np.roll(g, back, axis=axes),)

    return record(out, (a,), backward, "roll")


def select(input, dim, index):
    """The slice of ``input`` at ``index`` along ``dim``, that dimension removed (``x[:, index]``
    for dim 1); its gradient goes back to that slice."""
    a = operand(input)
    if hasattr(index, "data") and np.ndim(index.data) == 0:  # a 0-d integer tensor, as PyTorch takes it
        index = index.data.item()
    if not _is_int(index):
        raise TypeError(f"select: index must be an integer, got {index!r}")
    axis = _one_axis("select", dim, a.data.ndim)
    n = a.data.shape[axis]
    if not -n <= index < n:
        raise ShapeError(f"select: index {index} is out of range for dimension {dim} of length {n}")
    return getitem(a, (slice(None),) * axis + (int(index),))


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim``, that dimension removed from each: a tuple of as many
    tensors as the dimension is long. Their gradients gather into one array of the input's shape."""
    a = operand(input)
    axis = _one_axis("unbind", dim, a.data.ndim)
    shape = a.data.shape
    rest = shape[:axis] + shape[axis + 1:]
    return tuple(reshape(piece, rest) for piece in _pieces(a, axis, [1] * shape[axis], "unbind"))


def unflatten(input, dim, sizes):
    """Dimension ``dim`` split into the dimensions ``sizes`` (a non-empty tuple whose product is its
    length; one size may be -1, inferred), as PyTorch's ``unflatten``."""
    a = operand(input)
    axis = _one_axis("unflatten", dim, a.data.ndim)
    given = tuple(sizes) if isinstance(sizes, (tuple, list)) else None
    if not given or not all(_is_int(n) and n >= -1 for n in given) or given.count(-1) > 1:
        raise ConfigError(f"unflatten: sizes must be a non-empty tuple of non-negative integers (one of them may be "
                          f"-1), got {sizes!r}")
    shape, length = a.data.shape, a.data.shape[axis]
    known = math.prod(n for n in given if n != -1)
    if -1 in given:
        if known == 0 or length % known:
            raise ShapeError(f"unflatten: the sizes {given} cannot multiply up to the length {length} of dimension "
                             f"{dim} (shape {shape})" + (" (-1 is ambiguous beside a size 0)" if known == 0 else ""))
        given = tuple(length // known if n == -1 else int(n) for n in given)
    elif known != length:
        raise ShapeError(f"unflatten: the sizes {given} multiply up to {known}, not to the length {length} of "
                         f"dimension {dim} (shape {shape})")
    return reshape(a, shape[:axis] + tuple(int(n) for n in given) + shape[axis + 1:])


def rot90(input, k=1, dims=(0, 1)):
    """``input`` turned by ``k`` quarter turns in the plane of ``dims``, from the first dimension
    towards the second (counter-clockwise for a matrix); a negative ``k`` turns the other way."""
    a = operand(input)
    if not _is_int(k):
        raise TypeError(f"rot90: k must be an integer, got {k!r}")
    if not isinstance(dims, (tuple, list)) or len(dims) != 2:
        raise ShapeError(f"rot90: dims must name two dimensions, got {dims!r}")
    ndim = a.data.ndim
    if ndim < 2:
        raise ShapeError(f"rot90: the input needs at least two dimensions, got shape {a.data.shape}")
    first, second = _dim_list("rot90", "dims", dims, ndim)
    k %= 4
    if k == 0:
        return getitem(a, (slice(None),))  # a copy that stays in the graph, as PyTorch's clone
    if k == 2:
        return flip(a, (first, second))
    order = list(range(ndim))
    order[first], order[second] = second, first
    # a quarter turn is a flip along one of the dims followed by swapping them
    return permute(flip(a, (second if k == 1 else first,)), tuple(order))


def fliplr(input):
    """``input`` (at least 2-d) with its columns, dimension 1, in reverse order."""
    a = operand(input)
    if a.data.ndim < 2:
        raise ShapeError(f"fliplr: expects a tensor with at least 2 dimensions, got shape {a.data.shape}")
    return flip(a, 1)


def flipud(input):
    """``input`` (at least 1-d) with its rows, dimension 0, in reverse order."""
    a = operand(input)
    if a.data.ndim < 1:
        raise ShapeError("flipud: expects a tensor with at least 1 dimension, got a 0-d tensor")
    return flip(a, 0)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (each slice along ``dim``) repeated ``repeats`` times in place: [1, 2] twice is
    [1, 1, 2, 2]. ``repeats`` is one integer or one count per slice (a tensor or sequence); without
    ``dim`` the input is taken flattened. Given only counts, PyTorch's ``repeat_interleave(repeats)``:
    each position repeated its count of times, as int64 indices."""
    if repeats is None:
        counts = _counts(input)
        return Tensor._wrap(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    a = operand(input)
    if dim is None:
        a, axis = reshape(a, (-1,)), 0
    else:
        axis = _one_axis("repeat_interleave", dim, max(a.data.ndim, 1))
        if a.data.ndim == 0:
            a = reshape(a, (1,))
    n = a.data.shape[axis]
    if _is_int(repeats):
        if repeats < 0:
            raise ConfigError(f"repeat_interleave: repeats must not be negative, got {repeats}")
        counts = np.full(n, int(repeats), dtype=np.int64)
    else:
        counts = _counts(repeats)
        if counts.size == 1:
            counts = np.full(n, counts.item(), dtype=np.int64)
        elif counts.size != n:
            raise ShapeError(f"repeat_interleave: {counts.size} repeats for {n} slices along dim {axis}; give one "
                             "count per slice, or one for all")
    if output_size is not None and output_size != counts.sum():
        raise ShapeError(f"repeat_interleave: output_size={output_size}, but the repeats add up to {counts.sum()}")
    index = np.repeat(np.arange(n), counts)
    return getitem(a, (slice(None),) * axis + (index,))


def _counts(repeats) -> np.ndarray:
    """The repeat counts as a vector of non-negative integers, refused otherwise."""
    counts = np.asarray(repeats.data if isinstance(repeats, Tensor) else repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise TypeError(f"repeat_interleave: repeats must be an integer or a vector of integers, got "
                        f"{'dtype ' + str(counts.dtype) if counts.ndim <= 1 else 'shape ' + str(counts.shape)}")
    if np.any(counts < 0):
        raise ConfigError("repeat_interleave: repeats must not be negative")
    return counts.reshape(-1).astype(np.int64, copy=False)
