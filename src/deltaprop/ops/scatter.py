"""Writing and picking by index: scatter, scatter_add, index_select, masked_select, nonzero.

scatter is gather's mirror: ``out[..., index[i], ...] = src[i]`` along ``dim``. Its rules read the
output's gradient back at the positions written (a gather), and send the input the rest: all of it
for scatter_add, which adds to the input, and none at the positions scatter overwrote. Positions
(indices, masks) carry no gradient.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..tensor import Tensor
from ._core import operand, record
from .indexing import _axis
from .shape import expand, getitem


def _index_array(op: str, index) -> np.ndarray:
    index = np.asarray(index.data if isinstance(index, Tensor) else index)
    if index.dtype.kind not in "iu":
        raise DataError(f"{op}: index must hold integers, got dtype {index.dtype}")
    return index


def _in_range(op: str, index: np.ndarray, n: int, dim) -> None:
    if index.size and not (index.min() >= 0 and index.max() < n):
        bad = index.min() if index.min() < 0 else index.max()
        raise DataError(f"{op}: index {bad} is outside [0, {n}) for dim {dim} of length {n}")


def _positions(index: np.ndarray, axis: int) -> tuple:
    """The positions ``index`` names along ``axis``, its own positions along every other axis."""
    where = list(np.indices(index.shape, sparse=True))
    where[axis] = index
    return tuple(where)


def _scatter(op: str, input, dim, index, src, adds: bool) -> Tensor:
    a = operand(input)
    X = a.data
    ndim = X.ndim
    axis = _axis(op, dim, ndim)
    index = _index_array(op, index)
    if isinstance(src, Tensor):
        if src.data.dtype != X.dtype:
            raise DataError(f"{op}: src has dtype {src.data.dtype}, the input {X.dtype}; they must be the same")
        source = src
    elif np.ndim(src) == 0 and not isinstance(src, np.ndarray):  # a number: PyTorch's value=
        source = Tensor._wrap(np.full(index.shape, src, dtype=X.dtype))
    else:
        source = Tensor._wrap(np.asarray(src, dtype=X.dtype))
    S = source.data
    if index.ndim != ndim or S.ndim != ndim:
        raise ShapeError(f"{op}: index of shape {index.shape} and src of shape {S.shape} need the {ndim} dimensions "
                         f"of the input (shape {X.shape})")
    sizes = X.shape or (1,)
    if any(k > s for k, s in zip(index.shape, S.shape or (1,))) or any(
            i != axis and k > n for i, (k, n) in enumerate(zip(index.shape, sizes))):
        raise ShapeError(f"{op}: index of shape {index.shape} must be no larger than src (shape {S.shape}) and, "
                         f"outside dim {dim}, than the input (shape {X.shape})")
    _in_range(op, index, sizes[axis], dim)
    index = index.astype(np.intp, copy=False).reshape(index.shape or (1,))
    where = _positions(index, axis)
    part = tuple(slice(0, k) for k in index.shape)  # the part of src that is written
    out = X.reshape(sizes).copy()
    if adds:
        np.add.at(out, where, S.reshape(S.shape or (1,))[part])
    else:
        out[where] = S.reshape(S.shape or (1,))[part]
    shape, src_shape = X.shape, S.shape

    def backward(g):
        g = g.reshape(sizes)
        grad_input = grad_src = None
        if a.requires_grad:
            if adds:
                grad_input = g.reshape(shape)
            else:
                grad_input = g.copy()
                grad_input[where] = 0
                grad_input = grad_input.reshape(shape)
        if source.requires_grad:
            grad_src = np.zeros(src_shape or (1,), dtype=g.dtype)
            grad_src[part] = g[where]
            grad_src = grad_src.reshape(src_shape)
        return grad_input, grad_src

    return record(out.reshape(shape), (a, source), backward, op)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of ``input`` with ``src[i]`` written at position ``index[i]`` along ``dim`` (``src`` a
    tensor of at least index's size, or a number; PyTorch's ``value=`` too). ``reduce='add'`` adds
    instead of writing (:func:`scatter_add`). Where an index repeats, one of the writes wins; the
    gradient of src is read back at every position written, as PyTorch's."""
    if (src is None) == (value is None):
        raise TypeError("scatter: give src (a tensor) or value (a number), one of them")
    if reduce not in (None, "add"):
        raise ConfigError(f"scatter: reduce must be None or 'add' here, got {reduce!r} (for 'multiply' and the "
                          "others, PyTorch's scatter_reduce, there is no gradient rule)")
    return _scatter("scatter", input, dim, index, value if src is None else src, adds=reduce == "add")


def scatter_add(input, dim, index, src):
    """A copy of ``input`` with ``src[i]`` added at position ``index[i]`` along ``dim``; repeated
    indices add up. The gradient of ``input`` is the output's; of ``src``, read back at ``index``."""
    return _scatter("scatter_add", input, dim, index, src, adds=True)


def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the positions in ``index`` (a vector of integers; a
    position may repeat, and its slice's gradient adds up)."""
    a = operand(input)
    axis = _axis("index_select", dim, a.data.ndim)
    index = _index_array("index_select", index)
    if index.ndim > 1:
        raise ShapeError(f"index_select: index must be a vector (or one integer), got shape {index.shape}")
    X = a.data
    if X.ndim == 0:
        if index.size != 1:
            raise ShapeError(f"index_select: a 0-d input takes one index, got {index.size}")
        _in_range("index_select", index, 1, dim)
        return getitem(a, ())
    _in_range("index_select", index, X.shape[axis], dim)
    return getitem(a, (slice(None),) * axis + (index.reshape(-1).astype(np.intp, copy=False),))


def masked_select(input, mask):
    """The elements of ``input`` where the boolean ``mask`` is true, as a vector; the two are
    broadcast against each other first, as in PyTorch."""
    a = operand(input)
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != np.bool_:
        raise DataError(f"masked_select: mask must be boolean, got dtype {mask.dtype}")
    try:
        shape = np.broadcast_shapes(mask.shape, a.data.shape)
    except ValueError:
        raise ShapeError(f"masked_select: mask of shape {mask.shape} cannot be broadcast with the input's shape "
                         f"{a.data.shape}") from None
    if shape != a.data.shape:
        a = expand(a, shape)
    return getitem(a, np.broadcast_to(mask, shape))


def nonzero(input, *, as_tuple=False):
    """The positions of the non-zero (true) elements: an int64 tensor of shape (count, dims), or with
    ``as_tuple`` one int64 vector per dimension (NumPy's ``nonzero``; a 0-d input counts as 1-d)."""
    X = np.asarray(input.data if isinstance(input, Tensor) else input)
    if as_tuple:
        return tuple(Tensor._wrap(p.astype(np.int64)) for p in np.nonzero(np.atleast_1d(X)))
    return Tensor._wrap(np.argwhere(X).astype(np.int64))


def argwhere(input):
    """PyTorch's ``argwhere``: :func:`nonzero`'s (count, dims) positions."""
    return nonzero(input)
