"""PyTorch's views by hand: ``as_strided`` (a view of a tensor's memory with the sizes, strides and
storage offset given) and ``as_strided_scatter`` (a copy of the input with values written where
that view would read).

PyTorch counts strides and offsets in elements of the tensor's storage, the memory its base owns,
not of the tensor itself: ``x.t().as_strided((2, 2), (1, 2))`` reads the untransposed memory. A
deltaprop tensor holds a NumPy array, often a view of another one, so the storage here is the memory
of the array at the root of its ``base`` chain, counted in the tensor's elements from its first
byte; :meth:`Tensor.stride` and :meth:`Tensor.storage_offset` count the same way, so
``x.as_strided(x.size(), x.stride(), x.storage_offset())`` is ``x`` for any tensor. Two exceptions,
both where PyTorch itself would hold a fresh tensor: a view with a negative stride (deltaprop's
``flip`` is a NumPy view; PyTorch's copies) and an array whose layout is not in whole elements of
its memory are read as their own row-major storage, from offset 0.

Every position read must be an element of the input: PyTorch also reads memory of the base that
the view does not cover (and passes it no gradient), which is refused here in one sentence.

``as_strided`` is a primitive that returns a view of the input's memory, read-only where two of its
elements share memory, writeable otherwise (as the input is). Its gradient adds the output's
gradient up at each position read; where elements of the input share one position (an expanded
tensor), they share its gradient equally, as PyTorch divides it. ``as_strided_scatter`` is composed
of index_put on the flattened input.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._core import operand, record
from .elementwise import astype
from .index_put import index_put
from .shape import getitem, reshape


class _Layout:
    """Where the input's elements lie in its storage, and which of them a view reads.

    The input's distinct storage positions are numbered 0, 1, ... in increasing order; ``inverse``
    gives each element's number (row-major), ``first`` one element at each, ``counts`` how many
    share each (None where none is shared), and ``read``, set by :func:`_geometry`, the number of
    each element of the view. For an input whose positions are offset, offset + 1, ... (a
    contiguous one) the numbers are the elements' own indices, and the arrays are left out."""

    def __init__(self, positions: np.ndarray, shape: tuple, contiguous: bool):
        self.shape, self.read = shape, None
        if contiguous:
            self.distinct = self.inverse = self.first = self.counts = None
            self.size = positions.size
            return
        self.distinct, inverse, counts = np.unique(positions, return_inverse=True, return_counts=True)
        self.inverse, self.size = inverse.reshape(-1), self.distinct.size
        self.first = np.empty(self.size, np.int64)
        self.first[self.inverse[::-1]] = np.arange(self.inverse.size)[::-1]  # (the lowest index wins)
        self.counts = counts if counts.size and counts.max() > 1 else None

    def find(self, wanted: np.ndarray) -> np.ndarray:
        """The number of each wanted position among the input's; -1 where no element lies there
        (for an input that is not contiguous: a contiguous one's are read by offset)."""
        found = np.searchsorted(self.distinct, wanted)
        inside = found < self.size
        found = np.where(inside, found, 0)
        hit = inside & (self.distinct[found] == wanted) if self.size else np.zeros(wanted.shape, bool)
        return np.where(hit, found, -1)

    def gather(self, v: np.ndarray) -> np.ndarray:
        """The view read from an array ``v`` of the input's shape, the elements sharing a position
        averaged: the linear map whose transpose is :meth:`scatter`."""
        flat = v.reshape(-1)
        if self.counts is None:
            return flat[self.read if self.first is None else self.first[self.read]]
        means = np.bincount(self.inverse, flat, minlength=self.size) / self.counts
        return means[self.read].astype(v.dtype, copy=False)

    def scatter(self, g: np.ndarray) -> np.ndarray:
        """The input's gradient from the view's: ``g`` added up at each position read, and shared
        equally by the elements of the input that lie there."""
        totals = np.bincount(self.read.reshape(-1), g.reshape(-1), minlength=self.size) if g.size else np.zeros(self.size)
        if self.counts is not None:
            totals = totals / self.counts
        flat = totals if self.inverse is None else totals[self.inverse]
        return flat.astype(g.dtype, copy=False).reshape(self.shape)


def _root(array: np.ndarray) -> np.ndarray:
    """The array at the root of ``array``'s ``base`` chain, through NumPy's stride-tricks views too
    (whose base is an interface object holding the array they view)."""
    while True:
        base = array.base
        if not isinstance(base, np.ndarray):
            base = getattr(base, "base", None) if hasattr(base, "__array_interface__") else None
        if not isinstance(base, np.ndarray):
            return array
        array = base


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def storage_of(X: np.ndarray) -> tuple:
    """(memory, offset, positions, contiguous): the array whose memory is X's storage, where X's
    first element lies in it, the storage position of each of X's elements (row-major, flattened),
    and whether those are offset, offset + 1, ... . A view with a negative stride, or a layout not in
    whole elements, is read as its own row-major storage: a contiguous copy, from 0."""
    size, itemsize = X.size, X.itemsize
    memory = _root(X)
    start = _address(X) - _address(memory)
    usable = (memory.flags.c_contiguous or memory.flags.f_contiguous) and start % itemsize == 0
    if not usable or any(s < 0 or s % itemsize for s in X.strides):
        return np.ascontiguousarray(X), 0, np.arange(size, dtype=np.int64), True
    offset = start // itemsize
    if X.flags.c_contiguous:
        return memory, offset, np.arange(offset, offset + size, dtype=np.int64), True
    positions = np.full((), offset, np.int64)
    for n, step in zip(X.shape, X.strides):
        positions = positions[..., None] + np.arange(n, dtype=np.int64) * (step // itemsize)
    return memory, offset, positions.reshape(-1), False


def _integers(op: str, name: str, values) -> tuple:
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = (values,)
    try:
        values = tuple(values)
    except TypeError:
        raise TypeError(f"{op}: {name} must be a sequence of integers, got {values!r}") from None
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in values):
        raise TypeError(f"{op}: {name} must be a sequence of integers, got {values!r}")
    return tuple(int(n) for n in values)


def _geometry(op: str, X: np.ndarray, size, stride, storage_offset) -> tuple:
    """(memory, layout, offset, size, stride), checked: the layout's ``read`` holds the view's
    positions, each an element of X."""
    size, stride = _integers(op, "size", size), _integers(op, "stride", stride)
    if len(size) != len(stride):
        raise ShapeError(f"{op}: size {size} has {len(size)} dimensions and stride {stride} {len(stride)}; give one "
                         "stride per dimension")
    if any(n < 0 for n in size):
        raise ShapeError(f"{op}: sizes must be non-negative, got {size}")
    if any(s < 0 for s in stride):
        raise ShapeError(f"{op}: strides must be non-negative (PyTorch takes no negative strides), got {stride}")
    memory, start, positions, contiguous = storage_of(X)
    if storage_offset is None:
        offset = start
    elif isinstance(storage_offset, bool) or not isinstance(storage_offset, (int, np.integer)):
        raise TypeError(f"{op}: storage_offset must be an integer or None, got {storage_offset!r}")
    elif storage_offset < 0:
        raise ShapeError(f"{op}: storage_offset must be non-negative, got {storage_offset}")
    else:
        offset = int(storage_offset)
    layout = _Layout(positions, X.shape, contiguous)
    wanted = np.full((), offset, np.int64)
    for n, step in zip(size, stride):
        wanted = wanted[..., None] + np.arange(n, dtype=np.int64) * step
    if contiguous:
        read = wanted - start
        missing = (read < 0) | (read >= X.size)
    else:
        read = layout.find(wanted)
        missing = read < 0
    if missing.any():
        where = wanted[missing].flat[0]
        span = "holds none" if not X.size else (
            f"lie at positions {start} to {start + X.size - 1}" if contiguous else "lie elsewhere")
        raise ShapeError(f"{op}: size {size}, stride {stride} and storage offset {offset} reach position {where} of the "
                         f"input's storage, which is not an element of the input (its {X.size} elements {span})")
    layout.read = read
    return memory, layout, offset, size, stride


def _overlaps(size: tuple, stride: tuple, read: np.ndarray) -> bool:
    """Whether two elements of a view of ``size`` and ``stride`` lie at one position: surely not
    where each stride, from the smallest, steps past all the smaller ones span (the common
    layouts); otherwise the positions ``read`` are compared."""
    reach = 0
    for n, step in sorted(((n, step) for n, step in zip(size, stride) if n > 1), key=lambda pair: pair[1]):
        if step <= reach:
            return math.prod(size) > np.unique(read).size
        reach += (n - 1) * step
    return False


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s memory of shape ``size``, whose element (i, j, ...) is the one at
    storage position ``storage_offset`` + i·stride[0] + j·stride[1] + ... (the offset of ``input``
    itself when None), as PyTorch's ``as_strided`` (see the module's docstring for the storage)."""
    op = "as_strided"
    a = operand(input)
    X = a.data
    memory, layout, offset, size, stride = _geometry(op, X, size, stride, storage_offset)
    itemsize = X.itemsize
    if 0 in size:
        out = np.empty(size, X.dtype)
    else:
        out = np.ndarray(size, X.dtype, buffer=memory, offset=offset * itemsize,
                         strides=tuple(s * itemsize for s in stride))
        if _overlaps(size, stride, layout.read) or not X.flags.writeable:
            out.flags.writeable = False  # (elements sharing memory, as expand's: written, one would overwrite another)

    def backward(g):
        return (layout.scatter(g),)

    return record(out, (a,), backward, op)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of ``input`` with the elements of ``src`` (of shape ``size``) written at the positions
    ``as_strided(input, size, stride, storage_offset)`` reads, as PyTorch's ``as_strided_scatter``.
    Where two elements of ``src`` go to one position, the later one (in row-major order) is written,
    and it alone gets that position's gradient; elements of ``input`` that share a position (an
    expanded input) are all written. ``src`` is converted to ``input``'s dtype."""
    op = "as_strided_scatter"
    a = operand(input)
    X = a.data
    _, layout, _, size, _ = _geometry(op, X, size, stride, storage_offset)
    s = src if isinstance(src, Tensor) else operand(np.asarray(src))
    if tuple(np.shape(s.data)) != size:
        raise ShapeError(f"{op}: src must have the shape {size} of the view it fills, got {tuple(np.shape(s.data))}")
    if s.data.dtype != X.dtype:
        s = astype(s, X.dtype)
    read = layout.read.reshape(-1)
    writer = np.full(layout.size, -1, np.int64)
    writer[read] = np.arange(read.size)  # (NumPy keeps the last of repeated writes)
    owner = writer if layout.inverse is None else writer[layout.inverse]  # each element's writer, or -1
    targets = np.flatnonzero(owner >= 0)
    values = getitem(reshape(s, (-1,)), owner[targets])
    return reshape(index_put(reshape(a, (-1,)), (targets,), values), X.shape)
