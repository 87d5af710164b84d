"""``RowGradient``: the gradient of a lookup table that knows which of its rows a batch touched.

PyTorch's ``nn.Embedding(..., sparse=True)`` gives its table a sparse gradient: only the rows the
batch looked up are stored, and ``optim.SparseAdam`` updates those rows alone (its moments and
values elsewhere stay as they were). deltaprop's gradients are NumPy arrays, and stay so here: the
table's ``.grad`` is the full dense array, exactly what ``sparse=False`` gives, viewed as this
ndarray subclass, whose ``rows`` attribute lists the rows present (sorted, each once, as PyTorch's
coalesced gradient lists them; a row picked only at ``padding_idx`` is not among them, and a row
whose gradient sums to zero is). Every dense code path (SGD, clipping, ``.grad`` read by hand)
reads it as the array it is; only :class:`~deltaprop.optim.SparseAdam` asks for the rows.

Why a subclass rather than the rows kept on the parameter: the rows travel with the array they
describe, so a gradient set by hand (``p.grad = ...``) can never be paired with stale rows, and
the ordinary dense path pays nothing (the backward sweep's usual case tests ``type(g) is
np.ndarray`` already; only the sweep's rarer branch, :func:`deltaprop.engine._accumulate_leaf`,
asks whether a gradient carries rows).

Arithmetic on a ``RowGradient`` gives plain arrays (the result is no longer "the gradient of
these rows"), except in place (``grad *= 0.5`` keeps the rows, as scaling a sparse tensor keeps
its indices). Accumulating, as ``backward()`` twice does, follows PyTorch: rows + rows is the
union of the rows; rows + a dense gradient is dense (a table shared with a dense layer).
"""

from __future__ import annotations

import numpy as np


class RowGradient(np.ndarray):
    """A dense (rows, width) gradient array whose ``rows`` (an int64 array, sorted, unique) name the
    rows a sparse lookup touched; ``rows`` is None in a view or copy of another shape (then it is
    read as dense)."""

    rows: np.ndarray | None

    def __array_finalize__(self, obj) -> None:
        # A copy or a dtype change of the whole array keeps the rows; a slice or reshape cannot.
        rows = getattr(obj, "rows", None)
        self.rows = rows if rows is not None and getattr(obj, "shape", None) == self.shape else None

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if return_scalar:
            return array[()]
        if array is self:  # in place (grad *= s): still the same rows' gradient
            return self
        return array.view(np.ndarray) if type(array) is not np.ndarray else array


def zeros_with_rows(shape: tuple, dtype, rows: np.ndarray) -> RowGradient:
    """A new ``RowGradient`` of zeros with ``rows``, owning its memory (no ``base``), for a rule to
    fill: the backward sweep stores such an array in ``.grad`` without copying it."""
    out = np.ndarray.__new__(RowGradient, shape, dtype)
    out.fill(0)
    out.rows = np.asarray(rows, dtype=np.int64)
    return out


def touched_rows(g) -> np.ndarray | None:
    """The rows present in gradient ``g``, or None for a dense gradient."""
    return g.rows if type(g) is RowGradient else None


def add_row_gradients(previous, g: np.ndarray, dtype, handed_out: set) -> np.ndarray:
    """A leaf's ``.grad`` after ``g`` is added to ``previous`` (None for none yet), where one of the
    two is a ``RowGradient``: the rows of both if both have rows, dense otherwise (PyTorch adds a
    sparse and a dense gradient into a dense one). ``handed_out`` holds the ids of arrays already
    stored in some leaf's ``.grad``, as in the engine's sweep: such an array is copied, not shared."""
    if previous is None:
        if g.base is not None or g.dtype != dtype or id(g) in handed_out:
            g = g.astype(dtype)  # a copy that keeps the rows (same shape)
        handed_out.add(id(g))
        return g
    total = np.add(previous, g, dtype=dtype)  # a plain array
    mine, theirs = touched_rows(previous), touched_rows(g)
    if mine is None or theirs is None:
        return total
    total = total.view(RowGradient)
    total.rows = np.union1d(mine, theirs)
    return total


def forget_rows(g: np.ndarray) -> None:
    """After ``g`` was filled with zeros in place (``zero_grad(set_to_none=False)``): no row is
    present any more, as PyTorch's zeroed sparse gradient holds no entries."""
    if type(g) is RowGradient and g.rows is not None:
        g.rows = g.rows[:0]
