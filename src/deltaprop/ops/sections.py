"""Pieces of a tensor along one dimension, under PyTorch's further names for them: tensor_split (a
number of nearly equal sections, or the indices where pieces begin), hsplit, vsplit and dsplit
(along the second, first and third dimension, in equal sections) and split_with_sizes (the sizes
themselves).

Consecutive pieces are split's (:func:`.shape._pieces`: views whose gradients gather in one array
of the input's shape). Indices out of order give pieces that overlap or leave gaps, as Python's
slices of a list would; each of those is a slice of its own (getitem), whose gradients add up.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..tensor import Tensor
from ._core import operand
from .shape import _one_axis, _pieces, _sizes, getitem


def _sections_or_indices(op: str, value) -> tuple:
    """``(sections, None)`` for a number of sections, ``(None, indices)`` for a list of indices:
    PyTorch takes an int, a sequence of ints, or an int64 tensor (0-d: sections, 1-d: indices)."""
    if isinstance(value, Tensor):
        array = value.data
        if array.dtype.kind != "i" or array.dtype.itemsize != 8:
            raise DataError(f"{op}: a tensor of sections or indices must hold int64 integers, got dtype {array.dtype}")
        if array.ndim > 1:
            raise ShapeError(f"{op}: a tensor of sections or indices must be 0-d (sections) or 1-d (indices), "
                             f"got shape {array.shape}")
        return (int(array), None) if array.ndim == 0 else (None, [int(i) for i in array])
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), None
    if isinstance(value, (list, tuple)) and all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                                                for i in value):
        return None, [int(i) for i in value]
    raise TypeError(f"{op}: indices_or_sections must be an integer, a sequence of integers or an int64 tensor, "
                    f"got {value!r}")


def _split(op: str, a: Tensor, sections, indices, axis: int) -> tuple:
    n = a.data.shape[axis]
    if sections is not None:
        if sections < 1:
            raise ConfigError(f"{op}: the number of sections must be a positive integer, got {sections}")
        size, longer = divmod(n, sections)  # the first n % sections pieces one longer, as PyTorch's
        return _pieces(a, axis, [size + 1] * longer + [size] * (sections - longer), op)
    bounds = [0, *indices, n]
    spans = [slice(start, stop).indices(n)[:2] for start, stop in zip(bounds, bounds[1:])]  # Python's slicing
    lengths = [max(stop - start, 0) for start, stop in spans]
    if [start for start, _ in spans] == [0, *itertools.accumulate(lengths)][:-1] and sum(lengths) == n:
        return _pieces(a, axis, lengths, op)  # (indices in order, within the dimension)
    lead = (slice(None),) * axis
    return tuple(getitem(a, lead + (slice(start, start + length),)) for (start, _), length in zip(spans, lengths))


def tensor_split(input, indices_or_sections=None, dim=0, *, sections=None, indices=None):
    """``input`` in pieces along ``dim``: ``sections`` pieces of nearly equal length (the first
    ``length % sections`` one longer, so 10 in 3 is 4, 3, 3; more sections than elements give empty
    ones), or, for a list of indices [i, j, ...], the pieces ``[:i]``, ``[i:j]``, ..., ``[k:]``,
    each read as Python reads a slice (negative indices count from the end, an index past the end
    stops there, a piece whose end comes before its start is empty). A tuple of views. PyTorch's
    keywords ``sections=`` and ``indices=`` may name the second argument."""
    given = [value for value in (indices_or_sections, sections, indices) if value is not None]
    if len(given) != 1:
        raise TypeError("tensor_split: give one of indices_or_sections, sections= or indices=")
    indices_or_sections = given[0]
    a = operand(input)
    axis = _one_axis("tensor_split", dim, a.data.ndim)
    return _split("tensor_split", a, *_sections_or_indices("tensor_split", indices_or_sections), axis)


def _in_equal_sections(op: str, input, indices_or_sections, axis: int, at_least: int) -> tuple:
    a = operand(input)
    if a.data.ndim < at_least:
        raise ShapeError(f"{op}: expects a tensor with at least {at_least} dimension{'s' * (at_least > 1)}, "
                         f"got shape {a.data.shape}")
    sections, indices = _sections_or_indices(op, indices_or_sections)
    n = a.data.shape[axis]
    if sections is not None and sections > 0 and n % sections:
        raise ShapeError(f"{op}: dimension {axis} of length {n} cannot be split into {sections} equal sections")
    return _split(op, a, sections, indices, axis)


def hsplit(input, indices_or_sections):
    """``input`` split along its second dimension (a vector's first) into equal sections, or at the
    indices given, as :func:`tensor_split` reads them."""
    a = operand(input)
    return _in_equal_sections("hsplit", a, indices_or_sections, 0 if a.data.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    """``input`` (at least 2-d) split along its first dimension into equal sections, or at the indices given."""
    return _in_equal_sections("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """``input`` (at least 3-d) split along its third dimension into equal sections, or at the indices given."""
    return _in_equal_sections("dsplit", input, indices_or_sections, 2, 3)


def split_with_sizes(input, split_sizes, dim=0):
    """``input`` in consecutive pieces along ``dim`` of the lengths ``split_sizes``, which must be
    non-negative and add up to the dimension's length (:func:`.shape.split` with a list)."""
    op = "split_with_sizes"
    if not isinstance(split_sizes, (list, tuple)):
        raise TypeError(f"{op}: split_sizes must be a sequence of integers, got {split_sizes!r}")
    a = operand(input)
    axis = _one_axis(op, dim, a.data.ndim)
    sizes = list(_sizes(op, (split_sizes,)))
    if any(n < 0 for n in sizes):
        raise ConfigError(f"{op}: split_sizes must be non-negative, got {sizes}")
    if sum(sizes) != a.data.shape[axis]:
        raise ShapeError(f"{op}: split_sizes {sizes} add up to {sum(sizes)}, but dimension {dim} has length "
                         f"{a.data.shape[axis]}")
    return _pieces(a, axis, sizes, op)
