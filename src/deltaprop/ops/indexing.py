"""Picking elements by position: gather, take_along_dim, sort, argsort, msort, topk, masked_fill, tril, triu,
diagonal, diag, trace.

The values picked are differentiable; positions (indices, masks) carry no gradient. Each rule puts
the gradient back at the positions the forward pass read, adding where a position was read twice.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..changes import Changes
from ..errors import ConfigError, DataError, ShapeError
from ..row_gradient import zeros_with_rows
from ..tensor import MaxMin, Tensor
from .elementwise import astype, where
from ._core import operand, record
from .promotion import fitted
from .shape import distinct_axes, expand


def _axis(op: str, dim, ndim: int) -> int:
    """``dim`` as a non-negative axis; a 0-d tensor's dim 0 (or -1) is axis 0 of its one element."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an integer, got {dim!r}")
    return distinct_axes(op, dim, ndim)[0]


def integer_index(op: str, index, what: str = "index", int32: bool = True) -> np.ndarray:
    """``index`` (a tensor, array or list) as an array of int64 or int32, the dtypes PyTorch's
    gather, scatter, index_select and embedding take, else a DataError naming ``op`` and the dtype.
    Without ``int32``, int64 alone, as PyTorch's index_copy, index_fill and take_along_dim take."""
    index = np.asarray(index.data if isinstance(index, Tensor) else index)
    if int32 and index.dtype.char not in "ilq":  # C's int, long and long long: int32 and int64 on every platform
        raise DataError(f"{op}: {what} must hold integers of dtype int64 or int32, got dtype {index.dtype}")
    if not int32 and (index.dtype.kind != "i" or index.dtype.itemsize != 8):
        raise DataError(f"{op}: {what} must hold integers of dtype int64, as in PyTorch, got dtype {index.dtype} "
                        "(convert them with .long())")
    return index


def _along(op: str, a: Tensor, index: np.ndarray, axis: int, repeats: bool) -> Tensor:
    """``out[..., i, ...] = a[..., index[..., i, ...], ...]`` along ``axis``, ``index`` having ``a``'s
    number of dimensions and at most its size elsewhere. ``repeats``: ``index`` may name an element
    twice (gather), so the rule must add rather than assign."""
    shape = a.data.shape
    data = a.data.reshape(1) if a.data.ndim == 0 else a.data
    where_read = list(np.indices(index.shape, sparse=True)) if index.ndim else []
    where_read = tuple(where_read[:axis] + [index] + where_read[axis + 1:])
    out, read_shape = data[where_read], data.shape  # the rule keeps shapes and positions, no values

    def backward(g):
        grad = np.zeros(read_shape, dtype=g.dtype)
        if repeats:
            np.add.at(grad, where_read, g)
        else:
            grad[where_read] = g
        return (grad.reshape(shape),)

    return record(out, (a,), backward, op)


def gather(a, dim, index):
    """``out[i][j] = a[index[i][j]][j]`` for ``dim`` 0, and likewise along any ``dim`` (PyTorch's
    ``gather``): ``index`` has ``a``'s number of dimensions and at most its size outside ``dim``."""
    a = operand(a)
    index = integer_index("gather", index)
    axis = _axis("gather", dim, a.data.ndim)
    if index.ndim != a.data.ndim:
        raise ShapeError(f"gather: index of shape {index.shape} needs the {a.data.ndim} dimensions of the input (shape {a.data.shape})")
    sizes = a.data.shape or (1,)
    if any(i != axis and k > n for i, (k, n) in enumerate(zip(index.shape, sizes))):
        raise ShapeError(f"gather: index of shape {index.shape} is larger than the input's shape {a.data.shape} outside dim {dim}")
    n = sizes[axis]
    if index.size and not (0 <= index.min() and index.max() < n):
        bad = index.min() if index.min() < 0 else index.max()
        raise DataError(f"gather: index {bad} is outside [0, {n}) for dim {dim} of length {n}")
    return _along("gather", a, index.astype(np.intp, copy=False), axis, repeats=True)


def take_along_dim(input, indices, dim=None):
    """PyTorch's ``take_along_dim``: with ``dim`` None, the flattened input at the flattened
    ``indices``; along ``dim``, :func:`gather` of the input and ``indices`` broadcast against each
    other outside ``dim`` (``indices`` of shape (1, k) picks k columns of every row). The indices
    are int64, as PyTorch's; a position read twice gets both gradients, a broadcast input their sum."""
    a = operand(input)
    index = integer_index("take_along_dim", indices, "indices", int32=False)
    if dim is None:
        n = a.data.size
        if index.size and not (0 <= index.min() and index.max() < n):
            bad = index.min() if index.min() < 0 else index.max()
            raise DataError(f"take_along_dim: index {bad} is outside [0, {n}) for the {n} elements of the flattened input")
        flat = a.reshape(-1)
        return _along("take_along_dim", flat, index.reshape(-1).astype(np.intp, copy=False), 0, repeats=True)
    if index.ndim != a.data.ndim:
        raise ShapeError(f"take_along_dim: indices of shape {index.shape} need the {a.data.ndim} dimensions of the "
                         f"input (shape {a.data.shape})")
    axis = _axis("take_along_dim", dim, a.data.ndim)
    if a.data.ndim == 0:
        raise ShapeError(f"take_along_dim: dim {dim} is out of range for a 0-d input, as in PyTorch (give dim=None)")
    try:  # PyTorch's rule: both broadcast outside dim, each keeping its own length along it
        shape = list(np.broadcast_shapes(a.data.shape[:axis] + index.shape[axis:axis + 1] + a.data.shape[axis + 1:],
                                         index.shape))
    except ValueError:
        raise ShapeError(f"take_along_dim: indices of shape {index.shape} cannot be broadcast with the input's "
                         f"shape {a.data.shape} outside dim {dim}") from None
    n = a.data.shape[axis]
    if index.size and not (0 <= index.min() and index.max() < n):
        bad = index.min() if index.min() < 0 else index.max()
        raise DataError(f"take_along_dim: index {bad} is outside [0, {n}) for dim {dim} of length {n}")
    index = np.broadcast_to(index, shape).astype(np.intp, copy=False)
    shape[axis] = n
    if tuple(shape) != a.data.shape:
        a = expand(a, tuple(shape))  # (its rule sums the broadcast gradient back)
    return _along("take_along_dim", a, index, axis, repeats=True)


def _order(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``axis``: equal values keep their order, NaN counts as the largest."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    # Sorting the reversed array and reading the result backwards puts equal values in their
    # original order (negating would not: it breaks unsigned integers and NaN's place).
    backwards = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return x.shape[axis] - 1 - np.flip(backwards, axis)


def _positions(op: str, a: Tensor, dim, descending: bool, k=None) -> tuple:
    """(axis, indices of the first ``k`` of ``a``'s values along ``dim`` in order: all by default)."""
    axis = _axis(op, dim, a.data.ndim)
    if a.data.ndim == 0:  # one element: itself, at index 0 (for either k PyTorch allows)
        return axis, np.zeros((), np.intp)
    order = _order(a.data, axis, descending)
    return axis, order if k is None else order[(slice(None),) * axis + (slice(0, k),)]


def _ordered(op: str, a, dim, descending: bool, k=None) -> MaxMin:
    a = operand(a)
    axis, order = _positions(op, a, dim, descending, k)
    values = _along(op, a, order, axis, repeats=False)  # each element read at most once
    return MaxMin(values, Tensor._wrap(order.astype(np.int64)))


def sort(a, dim=-1, descending=False, *, stable=False):
    """``(values, indices)`` of ``a`` sorted along ``dim`` (PyTorch's ``sort``). The sort is always
    stable (``stable`` is taken for PyTorch's signature): ties keep their order, NaN sorts last."""
    return _ordered("sort", a, dim, descending)


def argsort(a, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``a`` along ``dim`` (stable, as :func:`sort`); they carry no gradient."""
    return Tensor._wrap(_positions("argsort", operand(a), dim, descending)[1].astype(np.int64))


def msort(input):
    """The values of ``input`` sorted along its first dimension (``sort(input, 0).values``)."""
    return sort(input, 0)[0]


def topk(a, k, dim=-1, largest=True, sorted=True):
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``, always in
    order (PyTorch leaves the order unspecified for ``sorted=False``); among equal values the first
    ones win."""
    a = operand(a)
    n = a.data.shape[_axis("topk", dim, a.data.ndim)] if a.data.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk: k must be an integer, got {k!r}")
    if not 0 <= k <= n:
        raise ConfigError(f"topk: k={k} is outside [0, {n}] for dim {dim} of length {n}")
    return _ordered("topk", a, dim, largest, int(k))


def masked_fill(a, mask, value):
    """``a`` with ``value`` where the boolean ``mask`` (broadcast against ``a``) is true. The gradient
    is 0 there; a 0-d tensor ``value`` gets the sum of the gradient over the filled positions."""
    a = operand(a)
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != np.bool_:
        raise DataError(f"masked_fill: mask must be boolean, got dtype {mask.dtype}")
    try:
        np.broadcast_shapes(mask.shape, a.data.shape)
    except ValueError:
        raise ShapeError(f"masked_fill: mask of shape {mask.shape} cannot be broadcast with the tensor's shape {a.data.shape}") from None
    if isinstance(value, Tensor):
        if value.data.ndim:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got a tensor of shape {value.data.shape}")
        fitted("masked_fill", value.data.item(), a.data.dtype)  # (checked as PyTorch checks it)
        value = astype(value, a.data.dtype)  # the result keeps the input's dtype, as in PyTorch
    else:
        value = np.asarray(fitted("masked_fill", value, a.data.dtype)).astype(a.data.dtype)
    return where(mask, value, a)


def _triangle(op: str, a, diagonal, keep) -> Tensor:
    a = operand(a)
    if a.data.ndim < 2:
        raise ShapeError(f"{op}: expects a matrix or a stack of matrices (at least 2 dimensions), got shape {a.data.shape}")
    if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"{op}: diagonal must be an integer, got {diagonal!r}")
    diagonal = int(diagonal)

    def backward(g):
        return (keep(g, diagonal),)

    return record(keep(a.data, diagonal), (a,), backward, op)


def tril(a, diagonal=0):
    """The lower triangle of the last two dimensions: elements on and below the ``diagonal``-th
    diagonal (0 the main one, positive above it, negative below), zeros elsewhere."""
    return _triangle("tril", a, diagonal, np.tril)


def triu(a, diagonal=0):
    """The upper triangle of the last two dimensions: on and above the ``diagonal``-th diagonal."""
    return _triangle("triu", a, diagonal, np.triu)


# -- diagonals: diagonal, diag, trace --------------------------------------------------------------


def _diagonal(op: str, a, offset, dim1, dim2) -> Tensor:
    """The ``offset``-th diagonal of the planes spanned by ``dim1`` and ``dim2``, as a new last axis."""
    a = operand(a)
    ndim = a.data.ndim
    if ndim < 2:
        raise ShapeError(f"{op}: expects at least 2 dimensions, got shape {a.data.shape}")
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
        raise TypeError(f"{op}: the diagonal's offset must be an integer, got {offset!r}")
    axis1, axis2 = (_axis(op, d, ndim) for d in (dim1, dim2))
    if axis1 == axis2:
        raise ShapeError(f"{op}: dim1 {dim1} and dim2 {dim2} name the same dimension; a diagonal needs two")
    offset, shape = int(offset), a.data.shape
    out = np.diagonal(a.data, offset, axis1, axis2).copy()  # NumPy's view is read-only

    def backward(g):
        # Zeros, with g written on the diagonal it was read from: fancy indexing on a view whose
        # last two axes are the diagonal's plane writes into ``grad`` itself.
        grad = np.zeros(shape, dtype=g.dtype)
        plane = np.moveaxis(grad, (axis1, axis2), (-2, -1))
        steps = np.arange(g.shape[-1])
        plane[..., steps + max(-offset, 0), steps + max(offset, 0)] = g
        return (grad,)

    return record(out, (a,), backward, op)


def diagonal(a, offset=0, dim1=0, dim2=1):
    """The ``offset``-th diagonal (0 the main one, positive above it, negative below) of the planes
    spanned by ``dim1`` and ``dim2``, as PyTorch's ``diagonal``: those two dimensions are removed and
    the diagonal becomes the last one."""
    return _diagonal("diagonal", a, offset, dim1, dim2)


def diag(a, diagonal=0):
    """PyTorch's ``diag``: of a vector, the square matrix with the vector on its ``diagonal``-th
    diagonal and zeros elsewhere; of a matrix, that diagonal as a vector."""
    a = operand(a)
    if a.data.ndim == 2:
        return _diagonal("diag", a, diagonal, 0, 1)
    if a.data.ndim != 1:
        raise ShapeError(f"diag: expects a vector or a matrix, got shape {a.data.shape} (for a stack of matrices, "
                         "use diagonal(x, offset, dim1, dim2))")
    if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"diag: diagonal must be an integer, got {diagonal!r}")
    k = int(diagonal)

    def backward(g):
        return (np.diagonal(g, k),)

    return record(np.diag(a.data, k), (a,), backward, "diag")


def trace(a):
    """The sum of a matrix's main diagonal (of a non-square one, its min(rows, columns) elements).
    Integers and booleans sum as int64, as in PyTorch."""
    a = operand(a)
    if a.data.ndim != 2:
        raise ShapeError(f"trace: expects a matrix, got shape {a.data.shape}")
    X = a.data
    out = np.trace(X, dtype=np.int64 if X.dtype.kind in "iub" else None)
    rows, columns = X.shape  # the rule keeps the shape, not the values

    def backward(g):
        return (np.eye(rows, columns, dtype=g.dtype) * g,)

    return record(out, (a,), backward, "trace")


# -- embedding: rows of a table picked by integer indices ---------------------------------------------


def _row_index(op: str, padding_idx, rows: int):
    """``padding_idx`` as a row of a table of ``rows`` rows (a negative one counts from the end, as
    in PyTorch), or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) or not -rows <= padding_idx < rows:
        raise ConfigError(f"{op}: padding_idx must be an integer in [-{rows}, {rows}) for {rows} rows, got {padding_idx!r}")
    return int(padding_idx) % rows


def _sum_rows(rows: int, index: np.ndarray, values: np.ndarray, dtype, grad=None) -> np.ndarray:
    """A (rows, width) array whose row r is the sum of the rows of ``values`` that ``index`` sends to
    r (0 where none does): np.add.at's result (which adds every repeat, where grad[index] += would
    keep one), computed by sorting the indices and summing each run of equal ones with
    np.add.reduceat, 4-5x faster than add.at for a sentence batch's lookups (640 of 8 rows, 32 wide:
    155 against 28 µs) and faster for large vocabularies too. A stable sort adds each row's values
    in the order add.at does. ``grad``, if given, is the array of zeros to fill."""
    if grad is None:
        grad = np.zeros((rows, values.shape[1]), dtype=dtype)
    if not index.size:
        return grad
    order = np.argsort(index, kind="stable")
    ordered = index[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    grad[ordered[starts]] = np.add.reduceat(values[order], starts, axis=0)
    return grad


_RENORM_EPS = 1e-7  # added to a row's norm before dividing by it, as PyTorch's embedding_renorm_ adds it


def embedding_norm_options(owner: str, max_norm, norm_type) -> tuple:
    """``max_norm`` (None, or a number: PyTorch takes any, 0 and negative ones included) and
    ``norm_type`` (a number: 2 the Euclidean norm, 1, inf, 0, any p) as floats, else a ConfigError
    naming ``owner``. A 0-d tensor counts as its number, as PyTorch reads one."""
    if isinstance(max_norm, Tensor) and max_norm.data.ndim == 0 and max_norm.data.dtype.kind in "iuf":
        max_norm = max_norm.data.item()
    if max_norm is not None and (isinstance(max_norm, (bool, np.bool_)) or not isinstance(max_norm, numbers.Real)):
        raise ConfigError(f"{owner}: max_norm must be a number or None, got {max_norm!r}")
    if isinstance(norm_type, (bool, np.bool_)) or not isinstance(norm_type, numbers.Real):
        raise ConfigError(f"{owner}: norm_type must be a number, got {norm_type!r}")
    return (None if max_norm is None else float(max_norm)), float(norm_type)


def renorm_rows(op: str, table: Tensor, index: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's ``embedding_renorm_``, in place: each row of ``table`` that ``index`` (already checked
    to lie in the table) names, each once however often it is named, whose ``norm_type``-norm exceeds
    ``max_norm`` is multiplied by max_norm / (norm + 1e-7). No gradient is recorded through it (the
    rows change as an optimizer's step changes them). The table's memory is noted as changed whether
    or not a row was over the bound, as PyTorch advances the table's version counter at every call:
    ``backward()`` then refuses a rule recorded earlier that needs the table's old values."""
    from .matrix_norms import vector_norm  # (late: matrix_norms imports modules that import this one)

    W = table.data
    if W.dtype.kind != "f":
        raise DataError(f"{op}: max_norm rescales rows of the table, which needs a floating-point table, got dtype "
                        f"{W.dtype}")
    rows = np.unique(index)  # (sorted, each once: PyTorch's kernel skips the repeats of its sorted indices)
    if rows.size:
        # each row's norm in the table's dtype, the scale in float64 (PyTorch's .item<double>()), and the
        # product in the precision PyTorch's CPU kernel multiplies a tensor by a scalar (float for half)
        norms = vector_norm(W[rows], norm_type, dim=1).data.astype(np.float64)
        over = norms > max_norm  # (a NaN norm or bound is never over it)
        if over.any():
            picked = rows[over]
            work = np.float32 if W.dtype.itemsize < 4 else W.dtype
            scale = (max_norm / (norms[over] + _RENORM_EPS)).astype(work)
            W[picked] = (W[picked].astype(work, copy=False) * scale[:, None]).astype(W.dtype, copy=False)
    Changes.mark(W)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """PyTorch's ``torch.embedding_renorm_(weight, indices, max_norm, norm_type)``: the rows of the 2-d
    tensor ``input`` that ``indices`` name (each once) whose ``norm_type``-norm exceeds ``max_norm``
    rescaled in place to that norm, times max_norm / (norm + 1e-7); returns ``input``. It is what
    ``nn.Embedding(max_norm=...)`` does before each lookup. Refused on a tensor the graph records, as
    PyTorch refuses it (use it on data, or under ``no_grad()`` as the lookups do)."""
    op = "embedding_renorm_"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expects a deltaprop tensor to change in place, got {type(input).__name__}")
    for name, value in (("max_norm", max_norm), ("norm_type", norm_type)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    if input._graph_sees():
        input._refuse(op)
    if input.data.ndim != 2:
        raise ShapeError(f"{op}: expects a 2-d table (num_embeddings, embedding_dim), got shape {input.data.shape}")
    if not isinstance(indices, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: indices must be a tensor, got {type(indices).__name__}")
    index = integer_index(op, indices, "indices")
    rows = input.data.shape[0]
    if index.size and (index.min() < 0 or index.max() >= rows):
        bad = index[(index < 0) | (index >= rows)].flat[0]
        raise DataError(f"{op}: index {bad} is outside [0, {rows}) for a table of {rows} rows")
    renorm_rows(op, input, index, float(max_norm), float(norm_type))
    return input


def embedding(input, weight, padding_idx=None, scale_grad_by_freq=False, sparse=False, max_norm=None, norm_type=2.0):
    """Look up rows of ``weight`` (V, D) by the integer indices in ``input`` (any shape S): the
    output, of shape S + (D,), holds row i of the table at each position where the index is i.

    A lookup is a product with a one-hot vector, onehot(i)·W, so its gradient is the transposed
    product: row r of the table gets the sum of the output gradients at every position that picked
    r (an index used twice gets both), and rows nobody picked get 0. The row ``padding_idx`` gets no
    gradient at all (it stays what it is: a zero vector for padding). ``scale_grad_by_freq`` divides
    each row's sum by the number of times the row was picked in this batch.

    ``sparse=True`` (PyTorch's sparse gradient) gives the table the same dense gradient, as a
    :class:`~deltaprop.row_gradient.RowGradient` that lists the rows picked (``padding_idx`` left
    out), so that :class:`~deltaprop.optim.SparseAdam` updates those rows only.

    ``max_norm`` (a number; None for none): first, as PyTorch's, every row the input names whose
    ``norm_type``-norm exceeds it is rescaled in place to that norm (:func:`renorm_rows`); the lookup
    reads the rescaled rows, and its gradient is the plain lookup's (none flows through the rescaling).
    """
    op = "embedding"
    table = operand(weight)
    W = table.data
    if W.ndim != 2:
        raise ShapeError(f"{op}: weight must be a table of shape (num_embeddings, embedding_dim), got shape {W.shape}")
    index = integer_index(op, input, "indices")
    rows, width = W.shape
    if index.size and (index.min() < 0 or index.max() >= rows):
        bad = index[(index < 0) | (index >= rows)].flat[0]
        raise DataError(f"{op}: index {bad} is outside [0, {rows}) for a table of {rows} rows")
    padding = _row_index(op, padding_idx, rows)
    if max_norm is not None:
        renorm_rows(op, table, index, max_norm, norm_type)
    out = W[index]
    flat = index.reshape(-1)  # (a view of the indices where it can be: a change to them is seen)
    dtype = W.dtype

    def backward(g):
        touched = None
        if sparse:
            touched = np.unique(flat)
            if padding is not None:
                touched = touched[touched != padding]
            touched = zeros_with_rows((rows, width), dtype, touched)
        grad = _sum_rows(rows, flat, g.reshape(flat.size, width), dtype, touched)  # (rows of width 0 too)
        if scale_grad_by_freq:
            grad /= np.maximum(np.bincount(flat, minlength=rows), 1).astype(dtype)[:, None]
        if padding is not None:
            grad[padding] = 0
        return (grad,)

    return record(out, (table,), backward, op)
