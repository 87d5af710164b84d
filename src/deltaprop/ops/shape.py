"""Shape and indexing: reshape, permute, flatten, squeeze, unsqueeze, indexing, concatenate, stack,
expand, repeat, flip, split, chunk, narrow.

None of these changes a value, so each gradient rule only moves the gradient back into place.
"""

from __future__ import annotations

import functools

import numpy as np

from ..engine import fill_pending
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from . import _memory
from ._core import normalize_axes, operand, record, unbroadcast
from .index_forms import index_error, read_index
from .promotion import promote_types


def reshape(a, shape):
    a = operand(a)
    try:
        out = a.data.reshape(shape)
    except ValueError:
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {a.data.shape} ({a.data.size} elements) into {tuple(shape)}") from None

    def backward(g):
        return (g.reshape(a.data.shape),)

    return record(out, (a,), backward, "reshape")


def permute(a, axes=None):
    """Reorder the axes (all reversed when ``axes`` is None, as ``.T`` does)."""
    a = operand(a)
    if axes is not None:
        ndim = a.data.ndim
        if not all(-ndim <= int(x) < ndim for x in axes) or sorted(int(x) % ndim for x in axes) != list(range(ndim)):
            raise ShapeError(f"permute: {tuple(axes)} is not a permutation of the {ndim} axes of shape {a.data.shape}")
        axes = tuple(int(x) % ndim for x in axes)  # non-negative, so argsort below inverts the permutation
    out = np.transpose(a.data, axes)

    def backward(g):
        return (np.transpose(g, None if axes is None else np.argsort(axes)),)

    return record(out, (a,), backward, "permute")


def flatten(a, start_dim=0, end_dim=-1):
    """Merge the axes ``start_dim`` .. ``end_dim`` (inclusive) into one, as PyTorch's ``flatten``."""
    a = operand(a)
    shape = a.data.shape
    if not shape:
        return reshape(a, (1,))
    for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
        if not -len(shape) <= d < len(shape):
            raise ShapeError(f"flatten: {name} {d} is out of range for a tensor with {len(shape)} dimensions (shape {shape})")
    start, end = (normalize_axes(d, len(shape))[0] for d in (start_dim, end_dim))
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    if start == end:  # nothing to merge: the input itself, as PyTorch returns it (hooks and retain_grad see one tensor)
        return a
    merged = int(np.prod(shape[start : end + 1]))
    return reshape(a, shape[:start] + (merged,) + shape[end + 1 :])


def squeeze(a, axis=None, *, dim=None):
    """Drop axes of length 1 (all of them, or only ``axis``)."""
    axis = axis if dim is None else dim
    a = operand(a)
    if axis is None:
        new_shape = tuple(n for n in a.data.shape if n != 1)
    else:
        axes = normalize_axes(axis, a.data.ndim)
        new_shape = tuple(n for i, n in enumerate(a.data.shape) if not (i in axes and n == 1))
    return reshape(a, new_shape)


def unsqueeze(a, axis=None, *, dim=None):
    """Insert an axis of length 1 at ``axis`` (negative counts from the end of the new shape)."""
    axis = axis if dim is None else dim
    if axis is None:
        raise TypeError("unsqueeze: give the position of the new axis (axis or dim)")
    a = operand(a)
    ndim = a.data.ndim + 1
    if not -ndim <= axis < ndim:
        raise ShapeError(f"unsqueeze: axis {axis} is out of range for a result with {ndim} dimensions")
    axis %= ndim
    return reshape(a, a.data.shape[:axis] + (1,) + a.data.shape[axis:])


def _is_basic(index) -> bool:
    """True when ``index`` only slices (ints, slices, None, ...): no element can be picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


def _vector_along(index):
    """The axis of the one integer vector in an index of full slices otherwise (``x[:, i]``), or None."""
    if type(index) is not tuple:
        return None
    along = None
    for k, part in enumerate(index):
        if isinstance(part, np.ndarray) and part.ndim == 1 and part.dtype.kind in "iu" and along is None:
            along = k
        elif not (type(part) is slice and part == slice(None)):
            return None
    return along


def getitem(a, index):
    """Indexing and slicing: basic, integer-array and boolean, as NumPy defines them except where
    PyTorch reads the index differently (see :mod:`.index_forms`)."""
    a = operand(a)
    index, parts = read_index(index, a.data.ndim, "index")
    along = _vector_along(index) if parts is None else None
    try:
        if along is not None:  # x[:, i] (index_select's form): np.take, row-major and ~3x faster
            out = np.take(a.data, index[along], axis=along)
        else:
            out = a.data[index] if parts is None else a.data[parts[0]][parts[1]]
    except IndexError as error:
        raise index_error("index", index, error, a.data.shape) from None
    basic = _is_basic(index)
    if basic and type(out) is not np.ndarray:
        # An integer for every axis: NumPy returns the element as a scalar, a copy. PyTorch returns a
        # 0-d view, through which x[0, 1].add_(5) or .zero_() writes into x; the same index followed by
        # an Ellipsis gives NumPy's 0-d view.
        out = a.data[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
    elif not basic and not out.flags.c_contiguous:
        # NumPy lays an array index after a slice (x[:, i]) out in another order; PyTorch's result,
        # a new tensor too, is row-major: is_contiguous(), stride() and contiguous() (the tensor
        # itself, which retain_grad() and hooks see) answer as PyTorch's.
        out = np.ascontiguousarray(out)

    def backward(g):
        grad = _memory.zeros(a.data.shape, g.dtype)
        if parts is not None:
            np.add.at(grad[parts[0]], parts[1], g)  # a view: add.at writes into grad
        elif basic:
            grad[index] = g
        else:
            # An integer array may name an element more than once; add.at accumulates repeats.
            np.add.at(grad, index, g)
        return (grad,)

    return record(out, (a,), backward, "index")


def assign(array: np.ndarray, index, value, shape: tuple, owner: str = "item assignment"):
    """``array[index] = value`` in place, the index read as :func:`getitem` reads it (``shape``:
    the tensor's, for the refusal); returns the index as read, ``(index, parts)``."""
    index, parts = read_index(index, array.ndim, owner)
    target, where = (array, index) if parts is None else (array[parts[0]], parts[1])  # (a view)
    try:
        target[where] = value
    except IndexError as error:
        raise index_error(owner, index, error, shape) from None
    except ValueError as error:  # NumPy's broadcasting (or conversion) refusal
        kind = ShapeError if "broadcast" in str(error) else ValueError
        raise kind(f"{owner}: cannot write a value of shape {np.shape(value)} into the elements selected in a "
                   f"tensor of shape {shape} ({error})") from None
    return index, parts


def setitem(a, index, value):
    """A copy of ``a`` with ``value`` written where ``a[index]`` reads: ``x[index] = value`` where the
    graph sees it (it is recorded as this operation, whose input is what ``x`` was; PyTorch's
    ``CopySlices``). The gradient is 0 where ``value`` was written, and ``value`` gets the gradient
    read there, summed over the axes it was broadcast along."""
    a, v = operand(a), operand(value)
    out = a.data.copy()
    index, parts = assign(out, index, v.data, a.data.shape)
    shape = np.shape(v.data)

    def backward(g):
        grad = np.array(g)  # (a copy: it is written below)
        view, where = (grad, index) if parts is None else (grad[parts[0]], parts[1])
        picked = None
        if v.requires_grad:
            picked = np.array(view[where])
            if picked.ndim < len(shape):  # (a value with leading axes of length 1 that NumPy drops)
                picked = picked.reshape((1,) * (len(shape) - picked.ndim) + picked.shape)
            picked = unbroadcast(picked, shape)
        view[where] = 0
        return grad, picked

    return record(out, (a, v), backward, "setitem")


def concatenate(tensors, axis=0, *, dim=None):
    """``tensors`` joined along ``axis``. As in PyTorch (a legacy rule it keeps), a 1-d empty tensor,
    of shape (0,), is left out whatever the others' shapes, its dtype still counting in the
    result's; ``axis`` is checked against the first tensor kept."""
    axis = axis if dim is None else dim
    tensors = [operand(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    kept = [t.data for t in tensors if t.data.shape != (0,)]
    dtype = _joined_dtype(tensors)
    if not kept:
        out = np.zeros(0, dtype or tensors[0].data.dtype)
    else:
        try:
            normalize_axes(axis, np.ndim(kept[0]))
        except ShapeError as error:
            raise _joining_error(tensors, f"concatenate: {error}") from None
        try:
            out = np.concatenate(kept, axis=axis, dtype=dtype)
        except ValueError:
            shapes = ", ".join(str(k.shape) for k in kept)
            raise _joining_error(tensors, f"concatenate: shapes {shapes} differ outside axis {axis}") from None
    ends = np.cumsum([k.shape[axis] for k in kept])[:-1]
    pieces_kept = bool(kept)  # (the rule keeps no input array: a later in-place change cannot falsify it)

    def backward(g):
        pieces = iter(np.split(g, ends, axis=axis) if pieces_kept else ())
        grads = []
        for t in tensors:
            piece = np.zeros(0, g.dtype) if t.data.shape == (0,) else next(pieces)
            grads.append(piece if t.requires_grad else None)
        return tuple(grads)

    return record(out, tuple(tensors), backward, "concatenate")


def _joining_error(tensors, otherwise: str) -> ShapeError:
    """Why ``tensors`` cannot be concatenated: the first 0-d one, by its position among all given
    (PyTorch's first check, before dim's), else ``otherwise``. Only looked for once NumPy refused."""
    position = next((i for i, t in enumerate(tensors) if t.data.ndim == 0), None)
    if position is None:
        return ShapeError(otherwise)
    return ShapeError(f"concatenate: the tensor at position {position} is zero-dimensional, and a 0-d tensor has "
                      f"no dimension to join along (stack gives each tensor a new one)")


def _joined_dtype(tensors):
    """The dtype of tensors joined into one, PyTorch's: each counts as a dimensioned tensor (stack
    gives each a dimension first), so the wider dtype of the highest category among them (int64 with
    float16 is float16, where NumPy's is float64). None when they share one (NumPy's fast path)."""
    first = np.asarray(tensors[0].data).dtype
    if all(np.asarray(t.data).dtype == first for t in tensors):
        return None
    return functools.reduce(promote_types, (np.asarray(t.data).dtype for t in tensors))


def stack(tensors, axis=0, *, dim=None):
    axis = axis if dim is None else dim
    tensors = [operand(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    normalize_axes(axis, np.ndim(tensors[0].data) + 1)  # the new axis may go after the last one
    try:
        out = np.stack([t.data for t in tensors], axis=axis, dtype=_joined_dtype(tensors))
    except ValueError:
        shapes = ", ".join(str(t.data.shape) for t in tensors)
        raise ShapeError(f"stack: all tensors need the same shape, got {shapes}") from None

    def backward(g):
        return tuple(piece if t.requires_grad else None for t, piece in zip(tensors, np.moveaxis(g, axis, 0)))

    return record(out, tuple(tensors), backward, "stack")


# -- PyTorch's further shape operations: expand, repeat, flip, and pieces along a dimension -------


def distinct_axes(op: str, dims, ndim: int) -> tuple:
    """``dims`` (an int or a sequence, negatives allowed) as sorted non-negative axes, each once."""
    given = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    try:
        axes = normalize_axes(given, ndim)
    except ShapeError as error:
        raise ShapeError(f"{op}: {error}") from None
    repeated = sorted({a for a in axes if axes.count(a) > 1})
    if repeated:
        raise ShapeError(f"{op}: dims {given} name dimension {repeated[0]} more than once")
    return axes


def reduced_axes(op: str, dims, ndim: int):
    """The axes a reduction such as PyTorch's ``amax`` runs over: None (all) for None or ()."""
    if dims is None or (not isinstance(dims, (int, np.integer)) and len(tuple(dims)) == 0):
        return None
    return distinct_axes(op, dims, ndim)


def _one_axis(op: str, dim, ndim: int) -> int:
    """``dim`` checked against a tensor of at least one dimension, as a non-negative axis."""
    if ndim == 0:
        raise ShapeError(f"{op}: expects a tensor with at least one dimension, got a 0-d tensor")
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an integer, got {dim!r}")
    return distinct_axes(op, dim, ndim)[0]


def _sizes(op: str, sizes: tuple) -> tuple:
    """Sizes given one by one (``x.expand(2, 3)``) or as one sequence (``x.expand((2, 3))``)."""
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        sizes = tuple(sizes[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"{op}: sizes must be integers, got {sizes!r}")
    return tuple(int(n) for n in sizes)


def expand(a, *sizes):
    """A view of ``a`` broadcast to ``sizes`` (PyTorch's ``expand``): -1 keeps a dimension, new ones
    go in front, and only dimensions of size 1 can grow. No copy is made; the view is read-only
    where a dimension grew (its elements share memory)."""
    a = operand(a)
    shape, sizes = a.data.shape, _sizes("expand", sizes)
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise ShapeError(f"expand: {len(sizes)} sizes {sizes} for a tensor of shape {shape}; give at least one size per dimension")
    target = []
    for i, n in enumerate(sizes):
        old = shape[i - lead] if i >= lead else None
        if n == -1 and old is None:
            raise ConfigError(f"expand: size -1 (keep) at position {i} names a new leading dimension, which has no size to keep")
        n = old if n == -1 else n
        if n < 0:
            raise ConfigError(f"expand: sizes must be non-negative (or -1 to keep a dimension), got {n} at position {i}")
        if old not in (None, 1, n):
            raise ShapeError(f"expand: size {n} at position {i} does not match the size {old} of that dimension in shape {shape}; only dimensions of size 1 can grow")
        target.append(n)
    if all(n == (1 if i < lead else shape[i - lead]) for i, n in enumerate(target)):
        # Nothing grows, so no two elements share memory: a writable view, as PyTorch's (an
        # in-place change of it reaches ``a``); broadcast_to's views are always read-only.
        out = a.data[(None,) * lead + (Ellipsis,)]  # (a view, also of a 0-d array)
    else:
        out = np.broadcast_to(a.data, tuple(target))

    def backward(g):
        return (unbroadcast(g, shape),)

    return record(out, (a,), backward, "expand")


def repeat(a, *sizes):
    """``a`` tiled ``sizes[i]`` times along each dimension (PyTorch's ``repeat``, NumPy's ``tile``);
    more sizes than dimensions add leading ones."""
    a = operand(a)
    shape, reps = a.data.shape, _sizes("repeat", sizes)
    if len(reps) < len(shape):
        raise ShapeError(f"repeat: {len(reps)} repeat counts {reps} for a tensor of shape {shape}; give at least one per dimension")
    if any(r < 0 for r in reps):
        raise ConfigError(f"repeat: repeat counts must be non-negative, got {reps}")
    padded = (1,) * (len(reps) - len(shape)) + shape
    out = np.tile(a.data.reshape(padded), reps)

    def backward(g):
        # Along each axis the output is reps[i] copies of padded[i] elements: add up the copies.
        copies = g.reshape([n for pair in zip(reps, padded) for n in pair])
        return (copies.sum(axis=tuple(range(0, 2 * len(reps), 2))).reshape(shape),)

    return record(out, (a,), backward, "repeat")


def flip(a, dims):
    """``a`` with the order of its elements reversed along ``dims`` (PyTorch's ``flip``)."""
    a = operand(a)
    axes = distinct_axes("flip", dims, a.data.ndim)
    if a.data.ndim == 0:
        axes = ()  # a 0-d tensor's dim 0 (or -1) has nothing to reverse
    out = np.flip(a.data, axes)

    def backward(g):
        return (np.flip(g, axes),)

    return record(out, (a,), backward, "flip")


def _piece(a: Tensor, axis: int, start: int, length: int) -> Tensor:
    """``length`` elements of ``a`` from ``start`` along ``axis``: a view, through getitem."""
    return getitem(a, (slice(None),) * axis + (slice(start, start + length),))


def _pieces(a: Tensor, axis: int, sizes: list, caller: str = "split") -> tuple:
    """Consecutive pieces of ``a`` along ``axis`` of the given sizes, views of its data.

    The pieces hang from one node, ``whole`` (``a`` as it is), and each piece's rule writes its
    gradient into the part of whole's pending gradient it covers (engine.fill_pending): k pieces
    cost one array of ``a``'s size in the backward pass, not k arrays of zeros summed k − 1 times
    (attention's packed query/key/value: three). A piece that got no gradient leaves its part zero.

    All are "split" operations (their grad_fn); each rule's ``label`` tells draw_graph which is
    which: the whole, and each piece by its place along the axis, named after ``caller``.
    """

    def pass_on(g):  # whole's rule: the pieces' gradients, gathered in one array, are a's
        return (g,)

    pass_on.label = f"{caller} ({len(sizes)} pieces along dim {axis})"
    whole = record(a.data, (a,), pass_on, "split")
    start, count, pieces = 0, len(sizes), []
    for i, n in enumerate(sizes):
        index = (slice(None),) * axis + (slice(start, start + n),)

        def backward(g, index=index):
            fill_pending(whole, index, g)
            return (None,)  # sent through whole's pending gradient, above

        backward.label = f"{caller} piece {i} of {count}: [{start}:{start + n}] along dim {axis}"
        pieces.append(record(a.data[index], (whole,), backward, "split"))
        start += n
    return tuple(pieces)


def _even(n: int, size: int) -> list:
    """Pieces of ``size`` for a length ``n``, the last one shorter if need be."""
    return [size] * (n // size) + ([n % size] if n % size else [])


def split(a, split_size_or_sections, dim=0):
    """Pieces of ``a`` along ``dim``: of ``split_size`` each (the last one shorter if need be), or
    of the sizes in a list, which must add up to the dimension's length (PyTorch's ``split``)."""
    a = operand(a)
    axis = _one_axis("split", dim, a.data.ndim)
    n = a.data.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0:
            raise ConfigError(f"split: split_size must be non-negative, got {size}")
        if size == 0 and n:
            raise ConfigError(f"split: split_size 0 can only split a dimension of length 0; dimension {dim} has length {n}")
        if size == 0 or n == 0:  # one empty piece, as in PyTorch
            return _pieces(a, axis, [n])
        return _pieces(a, axis, _even(n, size))
    if isinstance(split_size_or_sections, str) or not hasattr(split_size_or_sections, "__iter__"):
        raise TypeError(f"split: split_size_or_sections must be an integer or a list of integers, "
                        f"got {split_size_or_sections!r}")
    sizes = list(_sizes("split", (split_size_or_sections,)))
    if any(s < 0 for s in sizes):
        raise ConfigError(f"split: section sizes must be non-negative, got {sizes}")
    if sum(sizes) != n:
        raise ShapeError(f"split: section sizes {sizes} add up to {sum(sizes)}, but dimension {dim} has length {n}")
    return _pieces(a, axis, sizes)


def chunk(a, chunks, dim=0):
    """``a`` in ``chunks`` pieces along ``dim`` of ceil(length / chunks) each, as PyTorch's ``chunk``:
    the last may be shorter, and there may be fewer pieces than asked for (5 in 4 chunks: 2, 2, 1)."""
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise ConfigError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    a = operand(a)
    axis = _one_axis("chunk", dim, a.data.ndim)
    n = a.data.shape[axis]
    if n == 0:  # an empty dimension gives `chunks` empty pieces, as in PyTorch
        return _pieces(a, axis, [0] * int(chunks), "chunk")
    return _pieces(a, axis, _even(n, -(-n // int(chunks))), "chunk")


def _integer(op: str, name: str, value) -> int:
    """``value``, an integer or a 0-d integer tensor (PyTorch takes either for narrow's start), as an int."""
    if isinstance(value, Tensor):
        if value.data.ndim:
            raise TypeError(f"{op}: {name} must be an integer or a 0-d integer tensor, got a tensor of shape {value.data.shape}")
        if value.data.dtype.kind not in "iu":
            raise TypeError(f"{op}: {name} must be an integer or a 0-d integer tensor, got a tensor of dtype {value.data.dtype}")
        return int(value.data)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an integer or a 0-d integer tensor, got {value!r}")
    return int(value)


def narrow(a, dim, start, length):
    """The ``length`` elements of ``a`` from ``start`` along ``dim`` (PyTorch's ``narrow``; a view);
    ``start`` and ``length`` may be 0-d integer tensors, as in PyTorch."""
    a = operand(a)
    axis = _one_axis("narrow", dim, a.data.ndim)
    start, length = _integer("narrow", "start", start), _integer("narrow", "length", length)
    n = a.data.shape[axis]
    if not -n <= start <= n:
        raise ShapeError(f"narrow: start {start} is out of range for dimension {dim} of length {n}")
    if length < 0:
        raise ConfigError(f"narrow: length must be non-negative, got {length}")
    start = start + n if start < 0 else start
    if start + length > n:
        raise ShapeError(f"narrow: start {start} plus length {length} runs past the end of dimension {dim} (length {n})")
    return _piece(a, axis, start, length)


def pad(input, pad, mode="constant", value=None):
    """Pad the last axes PyTorch's way: ``pad`` lists (before, after) amounts from the last axis
    backwards, so (1, 2) pads the last axis with 1 value before and 2 after, and (1, 1, 2, 0) also
    the axis before it with 2 before.

    ``mode='constant'`` fills with ``value`` (0 by default). The other modes fill from the input
    itself, over the last 1, 2 or 3 axes of a batched or unbatched input, as PyTorch allows:
    'reflect' mirrors about the edge without repeating it (amounts below the axis length),
    'replicate' repeats the edge value, 'circular' wraps around (once at most). In every mode a
    negative amount crops instead, as in PyTorch. The gradient is the output's with the padding cut off, plus,
    for the filling modes, the padding's gradient added back onto the positions it copied.
    """
    op = "pad"
    if mode not in _PAD_MODES:
        raise ConfigError(f"{op}: mode must be one of {', '.join(map(repr, _PAD_MODES))}, got mode={mode!r}")
    a = operand(input)
    X = np.asarray(a.data)
    amounts = tuple(pad) if isinstance(pad, (tuple, list)) else None
    if (amounts is None or len(amounts) % 2 or len(amounts) // 2 > X.ndim
            or any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in amounts)):
        raise ConfigError(f"{op}: pad must be a tuple of (before, after) integer pairs, one pair per padded axis "
                          f"(at most {X.ndim} for an input of shape {X.shape}), got {pad!r}")
    if mode != "constant":
        return _pad_from_input(op, a, X, tuple(int(p) for p in amounts), mode, value)
    pairs = [(0, 0)] * (X.ndim - len(amounts) // 2) + [(int(amounts[i]), int(amounts[i + 1]))
                                                       for i in range(len(amounts) - 2, -1, -2)]
    for axis, ((before, after), size) in enumerate(zip(pairs, X.shape)):
        if size + min(before, 0) + min(after, 0) < 0:
            raise ShapeError(f"{op}: padding {before, after} of axis {axis} (length {size}) crops more than it holds")
    crop = tuple(slice(-min(before, 0), size + min(after, 0)) for (before, after), size in zip(pairs, X.shape))
    grow = [(max(before, 0), max(after, 0)) for before, after in pairs]
    fill = 0 if value is None else value
    out = np.pad(X[crop], grow, mode="constant", constant_values=fill)
    shape = X.shape
    inner = tuple(slice(lo, lo + (s.stop - s.start)) for (lo, _), s in zip(grow, crop))

    def backward(g):
        if inner and all(s.start == 0 and s.stop == n for s, n in zip(crop, shape)):
            return (g[inner],)
        grad = np.zeros(shape, dtype=g.dtype)
        grad[crop] = g[inner]
        return (grad,)

    return record(out, (a,), backward, op)


# PyTorch's padding modes and NumPy's names for them
_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_from_input(op, a, X, amounts, mode, value):
    """'reflect', 'replicate' or 'circular' padding (see :func:`pad`): np.pad forward; backward, per
    padded axis from the first, the interior of the gradient plus each border folded back onto the
    positions it was read from (a few slices per axis, no loop over positions).

    Negative amounts crop, in PyTorch's order: 'reflect' and 'replicate' pad from the whole input
    and crop the result (so a crop may reach into the padding), 'circular' crops the input and wraps
    around what is left.
    """
    k = len(amounts) // 2
    if value is not None and value != 0:
        raise ConfigError(f"{op}: mode={mode!r} takes no value (it fills from the input), got value={value!r}")
    if k not in (1, 2, 3) or X.ndim not in (k + 1, k + 2):
        raise ShapeError(f"{op}: mode={mode!r} pads the last 1, 2 or 3 axes of a batched or unbatched input, "
                         f"with one (before, after) pair per axis; got {k} pairs for an input of shape {X.shape}")
    first = X.ndim - k
    pairs = [(amounts[i], amounts[i + 1]) for i in range(len(amounts) - 2, -1, -2)]
    for axis, (before, after) in enumerate(pairs, first):
        _check_fill_amounts(op, mode, axis, X.shape, before, after)
    grow = [(max(before, 0), max(after, 0)) for before, after in pairs]
    crops = any(min(pair) < 0 for pair in pairs)
    def cropped(sizes):  # the index that cuts the negative amounts off axes of these sizes
        return (Ellipsis,) + tuple(slice(-min(before, 0), n + min(after, 0)) for (before, after), n in zip(pairs, sizes))

    if mode == "circular":  # crop the input, then wrap
        cut = cropped(X.shape[first:])
        out = np.pad(X[cut] if crops else X, [(0, 0)] * first + grow, mode="wrap")
    else:  # pad, then crop the result
        padded = np.pad(X, [(0, 0)] * first + grow, mode=_PAD_MODES[mode])
        cut = cropped(padded.shape[first:])
        out = padded[cut] if crops else padded
        padded_shape = padded.shape
        del padded

    def backward(g):
        if crops and mode != "circular":  # the cropped-off padding got no gradient
            full = np.zeros(padded_shape, dtype=g.dtype)
            full[cut] = g
            g = full
        for axis, (before, after) in enumerate(grow, first):
            g = np.moveaxis(g, axis, -1)
            size = g.shape[-1] - before - after
            gx = g[..., before:before + size].copy()
            head, tail = g[..., :before], g[..., before + size:]
            if mode == "reflect":  # output i < before read input before − i; the tail mirrors about size − 1
                gx[..., 1:before + 1] += head[..., ::-1]
                gx[..., size - 1 - after:size - 1] += tail[..., ::-1]
            elif mode == "replicate":
                gx[..., 0] += head.sum(axis=-1)
                gx[..., -1] += tail.sum(axis=-1)
            else:  # circular: the head is the input's last ``before`` values, the tail its first ``after``
                gx[..., size - before:] += head
                gx[..., :after] += tail
            g = np.moveaxis(gx, -1, axis)
        if crops and mode == "circular":  # the cropped-off input got no gradient
            full = np.zeros(X.shape, dtype=g.dtype)
            full[cut] = g
            g = full
        return (g,)

    return record(out, (a,), backward, op)


def _check_fill_amounts(op, mode, axis, shape, before, after):
    """Refuse, as PyTorch does, the amounts a filling mode cannot pad ``axis`` of ``shape`` by."""
    size = shape[axis]
    left = size + min(before, 0) + min(after, 0)  # what cropping leaves of the input
    if size == 0:
        raise ShapeError(f"{op}: mode={mode!r} cannot fill from axis {axis} of length 0 (input of shape {shape})")
    if mode == "reflect" and max(before, after) >= size:
        raise ShapeError(f"{op}: mode='reflect' needs padding amounts of at most {size - 1} for axis {axis} of "
                         f"length {size}, got {before, after} (input of shape {shape})")
    if mode == "circular" and (left < 0 or max(before, after) > left):
        raise ShapeError(f"{op}: mode='circular' wraps around once at most, so padding {before, after} of axis {axis} "
                         f"(length {size}) may add at most the {max(left, 0)} positions its cropping leaves "
                         f"(input of shape {shape})")
    if mode != "circular" and size + before + after < 1:
        raise ShapeError(f"{op}: mode={mode!r} needs at least one position left on axis {axis} of length {size}, "
                         f"but padding {before, after} leaves {size + before + after} (input of shape {shape})")
