"""Writing and picking by index: scatter, scatter_add, index_add, index_copy, index_fill, index_select,
masked_select, nonzero (scatter_reduce, on the same checks, in scatter_reduce.py).

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
from .arithmetic import _alpha
from .indexing import _axis, integer_index
from .promotion import fitted
from .shape import expand, getitem


def _in_range(op: str, index: np.ndarray, n: int, dim) -> None:
    if index.size and not (index.min() >= 0 and index.max() < n):
        bad = index.min() if index.min() < 0 else index.max()
        raise DataError(f"{op}: index {bad} is outside [0, {n}) for dim {dim} of length {n}")


def _positions(index: np.ndarray, axis: int) -> tuple:
    """The positions ``index`` names along ``axis``, its own positions along every other axis."""
    where = list(np.indices(index.shape, sparse=True))
    where[axis] = index
    return tuple(where)


def _same_dtype(op: str, src, dtype, what: str) -> Tensor:
    """``src`` (a tensor or a NumPy array) as a tensor, refused where its dtype is not ``dtype``, as
    PyTorch refuses it: casting it would round or truncate without a word (1.7 into int64 as 1)."""
    given = src.data.dtype if isinstance(src, Tensor) else src.dtype
    if given != dtype:
        raise DataError(f"{op}: {what} has dtype {given} and the input {dtype}; they must be the same, as in PyTorch "
                        f"(convert {what} with .to(input.dtype))")
    return src if isinstance(src, Tensor) else Tensor._wrap(src)


def _placement(op: str, input, dim, index, src) -> tuple:
    """The checked operands of a scatter along ``dim``: the input and src tensors, the positions the
    index names (at least 1-d), the part of src they take, and the input's shape (1-d for a 0-d one)."""
    a = operand(input)
    X = a.data
    ndim = X.ndim
    axis = _axis(op, dim, ndim)
    index = integer_index(op, index)
    if isinstance(src, (Tensor, np.ndarray)):
        source = _same_dtype(op, src, X.dtype, "src")
    elif np.ndim(src) == 0:  # a number: PyTorch's value=
        source = Tensor._wrap(np.full(index.shape, src, dtype=X.dtype))
    else:  # a list: no dtype of its own
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
    part = tuple(slice(0, k) for k in index.shape)  # the part of src that is written
    return a, source, _positions(index, axis), part, sizes


def _scatter(op: str, input, dim, index, src, adds: bool) -> Tensor:
    a, source, where, part, sizes = _placement(op, input, dim, index, src)
    X, S = a.data, source.data
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
                grad_input = _zero_where_written(g, where, shape)
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


# -- index_add, index_copy, index_fill: whole slices along dim, at the positions of a vector ----------------


def _index_vector(op: str, index, n: int, dim) -> np.ndarray:
    """``index`` as a vector of positions in [0, n) (one integer counts as a vector of one); int64
    alone for index_copy and index_fill, as PyTorch's, int32 too for index_add and index_reduce."""
    index = integer_index(op, index, int32=op in ("index_add", "index_reduce"))
    if index.ndim > 1:
        raise ShapeError(f"{op}: index must be a vector (or one integer), got shape {index.shape}")
    _in_range(op, index, n, dim)
    return index.reshape(-1).astype(np.intp, copy=False)


def _slices(op: str, input, dim, index, source) -> tuple:
    """The checked operands of index_add and index_copy: the input and source tensors, the
    input's shape (1-d for a 0-d one) and the positions of the slices the index names in it."""
    a = operand(input)
    X = a.data
    axis = _axis(op, dim, X.ndim)
    sizes = X.shape or (1,)
    index = _index_vector(op, index, sizes[axis], dim)
    if isinstance(source, (Tensor, np.ndarray)):
        source = _same_dtype(op, source, X.dtype, "source")
    else:  # a list (or a number): no dtype of its own
        source = Tensor._wrap(np.asarray(source, dtype=X.dtype))
    expected = X.shape[:axis] + (len(index),) + X.shape[axis + 1:] if X.ndim else ()
    if source.data.shape != expected or (not X.ndim and len(index) != 1):
        raise ShapeError(f"{op}: source must have shape {expected} (the input's {X.shape} with dim {dim} as long as "
                         f"the index, {len(index)}), got {source.data.shape}")
    return a, source, sizes, (slice(None),) * axis + (index,)


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of ``input`` with ``alpha * source[..., i, ...]`` added to its slice ``index[i]`` along
    ``dim`` (repeated positions add up). The gradient of ``input`` is the output's; of ``source``,
    the output's slices at ``index`` times ``alpha``."""
    alpha = _alpha("index_add", input, source, alpha)
    a, src, sizes, at = _slices("index_add", input, dim, index, source)
    shape, src_shape = a.data.shape, src.data.shape
    S = src.data.reshape(-1) if not shape else src.data  # (a 0-d input and source: one element each)
    out = a.data.reshape(sizes).copy()
    np.add.at(out, at, S if alpha == 1 else (S * alpha).astype(out.dtype, copy=False))

    def backward(g):
        grad_src = None
        if src.requires_grad:
            grad_src = g.reshape(sizes)[at].reshape(src_shape)
            grad_src = grad_src if alpha == 1 else grad_src * alpha
        return (g if a.requires_grad else None), grad_src

    return record(out.reshape(shape), (a, src), backward, "index_add")


def _zero_where_written(g, written, shape):
    """The input's gradient of a write into its copy: ``g`` with the places written zeroed (what
    was there before the write no longer reaches the output), in the input's ``shape``."""
    grad = g.copy()
    grad[written] = 0
    return grad.reshape(shape)


def index_copy(input, dim, index, source):
    """A copy of ``input`` whose slices ``index[i]`` along ``dim`` are ``source[..., i, ...]``. Where a
    position repeats, one of the writes wins; the gradient of ``source`` is read back at every
    position written and the input's is 0 there, as PyTorch's."""
    a, src, sizes, at = _slices("index_copy", input, dim, index, source)
    shape, src_shape = a.data.shape, src.data.shape
    out = a.data.reshape(sizes).copy()
    out[at] = src.data.reshape(-1) if not shape else src.data

    def backward(g):
        g = g.reshape(sizes)
        grad_input = grad_src = None
        if a.requires_grad:
            grad_input = _zero_where_written(g, at, shape)
        if src.requires_grad:
            grad_src = g[at].reshape(src_shape)
        return grad_input, grad_src

    return record(out.reshape(shape), (a, src), backward, "index_copy")


def index_fill(input, dim, index, value):
    """A copy of ``input`` whose slices ``index[i]`` along ``dim`` hold ``value`` (a number, or a 0-d
    tensor, whose gradient is the sum of the output's over the filled places; the input's is 0 there)."""
    a = operand(input)
    X = a.data
    axis = _axis("index_fill", dim, X.ndim)
    sizes = X.shape or (1,)
    index = _index_vector("index_fill", index, sizes[axis], dim)
    if isinstance(value, Tensor) and value.data.ndim:
        raise ShapeError(f"index_fill: value must be a number or a 0-d tensor, got a tensor of shape {value.data.shape}")
    at = (slice(None),) * axis + (index,)
    out = X.reshape(sizes).copy()
    out[at] = value.data if isinstance(value, Tensor) else fitted("index_fill", value, X.dtype)
    filled = (slice(None),) * axis + (np.unique(index),)  # each place once, however often the index names it
    shape = X.shape  # (the rule reads no values: a later in-place change of the input changes no gradient)

    def backward(g):
        g = g.reshape(sizes)
        grad_input = grad_value = None
        if a.requires_grad:
            grad_input = _zero_where_written(g, at, shape)
        if isinstance(value, Tensor) and value.requires_grad:
            grad_value = np.asarray(g[filled].sum(), dtype=value.data.dtype)
        return (grad_input, grad_value) if isinstance(value, Tensor) else (grad_input,)

    parents = (a, value) if isinstance(value, Tensor) else (a,)
    return record(out.reshape(X.shape), parents, backward, "index_fill")


def index_select(input, dim, index):
    """The slices of ``input`` along ``dim`` at the positions in ``index`` (a vector of integers; a
    position may repeat, and its slice's gradient adds up)."""
    a = operand(input)
    axis = _axis("index_select", dim, a.data.ndim)
    index = integer_index("index_select", index)
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
    a, mask = broadcast_mask("masked_select", operand(input), mask)
    return getitem(a, mask)


def broadcast_mask(op: str, a: Tensor, mask) -> tuple:
    """(``a``, the boolean ``mask``) broadcast against each other, ``a`` through ``expand`` (whose rule
    sums the broadcast gradient back), the mask as a read-only NumPy view."""
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != np.bool_:
        raise DataError(f"{op}: mask must be boolean, got dtype {mask.dtype}")
    try:
        shape = np.broadcast_shapes(mask.shape, a.data.shape)
    except ValueError:
        raise ShapeError(f"{op}: mask of shape {mask.shape} cannot be broadcast with the input's shape "
                         f"{a.data.shape}") from None
    if shape != a.data.shape:
        a = expand(a, shape)
    return a, np.broadcast_to(mask, shape)


def nonzero(input, *, as_tuple=False):
    """The positions of the non-zero (true) elements: an int64 tensor of shape (count, dims), or with
    ``as_tuple`` one int64 vector per dimension (NumPy's ``nonzero``; a 0-d input counts as 1-d)."""
    X = np.asarray(input.data if isinstance(input, Tensor) else input)
    if as_tuple:
        return tuple(Tensor._wrap(p.astype(np.int64)) for p in np.nonzero(np.atleast_1d(X)))
    return Tensor._wrap(np.argwhere(X).astype(np.int64))


def nonzero_static(input, *, size, fill_value=-1):
    """:func:`nonzero`'s (count, dims) positions with exactly ``size`` rows, as PyTorch's
    ``nonzero_static``: the first ``size`` positions, the rows after the last one filled with
    ``fill_value``."""
    for name, number in (("size", size), ("fill_value", fill_value)):
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)):
            raise TypeError(f"nonzero_static: {name} must be an integer, got {number!r}")
    if size < 0:
        raise ConfigError(f"nonzero_static: size must be a non-negative integer, got {size}")
    positions = nonzero(input).data
    out = np.full((int(size), positions.shape[1]), fill_value, dtype=np.int64)
    kept = min(int(size), positions.shape[0])
    out[:kept] = positions[:kept]
    return Tensor._wrap(out)


def argwhere(input):
    """PyTorch's ``argwhere``: :func:`nonzero`'s (count, dims) positions."""
    return nonzero(input)
