"""Differentiable gradient rules of the shape, selection, scatter and ordering primitives, registered
in :data:`.differentiable_rules.RULES` (see that module for what a rule is; the products are in
:mod:`.differentiable_products`).

Every primitive here is linear in each input it differentiates, once the positions its forward
chose are fixed: a tiling, a reversal, a diagonal, the elements a gather, a sort, a running
maximum, a median or a quantile read (and, for a quantile, the weights of the two it blends), the
places a scatter writes to. Its NumPy rule B(g) = Jᵀg is then linear in g and keeps those
positions, so the differentiable rule is B recorded as a :func:`.linear_map` whose transpose
(B's adjoint, J) is the forward selection applied to v, restated here from what B keeps. With the
positions fixed, a second derivative with respect to the input is zero except through g, as in
PyTorch (whose rules are the same gathers and scatters).

An input whose rule is a mask of g (the places a write kept, the numbers among NaNs) is its own
adjoint: the transpose is the NumPy rule itself. Where a position was written twice (a scatter or
an index_put with a repeated index, without adding), the rule reads g back at every position
written, as PyTorch's does, so its transpose adds at them.

scatter_reduce with 'prod' is not linear in its values: its rule restates the product as the
input's values times one column of sent values after the other (:func:`_scatter_prod`), whose
gradient is differentiated as a composition.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import Tensor
from .differentiable_layers import by_composition_of
from .differentiable_rules import _by_own_rule, closure, kept, rule


def _linear(node, g, transposes: dict):
    """The rule of a primitive linear in its inputs: for each parent ``i`` that needs a gradient, the
    primitive's NumPy rule as a linear map of g, its transpose ``transposes[i]``; None for the others."""
    return tuple(_by_own_rule(node, g, i, transposes[i]) if parent.requires_grad and i in transposes else None
                 for i, parent in enumerate(node._parents))


def _mask(node, i: int = 0):
    """The transpose of a rule that multiplies g by a constant mask (the places kept, the numbers): the
    rule itself."""
    own = node._backward
    return lambda v: own(v)[i]


def _identity(v):
    return v


# -- shape and layout --------------------------------------------------------------------------------


@rule("repeat")
def _repeat(node, g):
    """The rule adds the copies up; its transpose tiles v again."""
    values = kept(node)
    padded, reps = values["padded"], values["reps"]
    return _linear(node, g, {0: lambda v: np.tile(v.reshape(padded), reps)})


@rule("flip")
def _flip(node, g):
    axes = kept(node)["axes"]
    return _linear(node, g, {0: lambda v: np.flip(v, axes)})


@rule("roll")
def _roll(node, g):
    """The rule rolls g back; its transpose rolls v forward again."""
    values = kept(node)
    back, axes = values["back"], values["axes"]
    forward = -back if axes is None else [-s for s in back]
    return _linear(node, g, {0: lambda v: np.roll(v, forward, axis=axes)})


@rule("tril", "triu")
def _triangle(node, g):
    values = kept(node)
    keep, diagonal = values["keep"], values["diagonal"]
    return _linear(node, g, {0: lambda v: keep(v, diagonal)})


@rule("diagonal", "diag")
def _diagonal(node, g):
    """A diagonal read (the rule writes g onto it) or, for diag of a vector, one written (the rule
    reads it back): each one's transpose is the other."""
    values = kept(node)
    if "k" in values:  # diag of a vector: the matrix with it on the k-th diagonal
        k = values["k"]
        return _linear(node, g, {0: lambda v: np.diag(v, k)})
    offset, axis1, axis2 = values["offset"], values["axis1"], values["axis2"]
    return _linear(node, g, {0: lambda v: np.diagonal(v, offset, axis1, axis2).copy()})


@rule("as_strided")
def _as_strided(node, g):
    """The rule adds g up at each position read (shared by the elements there); its transpose reads
    v back at those positions."""
    layout = kept(node)["layout"]
    return _linear(node, g, {0: lambda v: layout.gather(v).reshape(node.data.shape)})


@rule("trace")
def _trace(node, g):
    return _linear(node, g, {0: lambda v: np.asarray(np.trace(v), dtype=v.dtype)})


# -- gathering ---------------------------------------------------------------------------------------


@rule("gather", "take_along_dim", "sort", "topk")
def _along(node, g):
    """The rule adds g at the positions read (ops.indexing._along); its transpose reads v there."""
    values = kept(node)
    where_read, read_shape = values["where_read"], values["read_shape"]
    return _linear(node, g, {0: lambda v: v.reshape(read_shape)[where_read]})


@rule("cummax", "cummin")
def _running_extremum(node, g):
    """The rule adds each g where the extreme so far stood; its transpose reads v there."""
    values = kept(node)
    if "indices" not in values:  # a 0-d input: itself
        return _linear(node, g, {0: _identity})
    indices, axis = values["indices"], values["axis"]
    return _linear(node, g, {0: lambda v: np.take_along_axis(v, indices, axis)})


@rule("cumsum")
def _cumsum(node, g):
    """The rule is the running sum from the end; its transpose, the running sum (the forward)."""
    values = kept(node)
    if "rule" not in values:  # a 0-d input: itself
        return _linear(node, g, {0: _identity})
    # (without a dim, the output is the flattened input's running sum: v is flattened first)
    axis, shape = closure(values["rule"])["axis"], node.data.shape
    return _linear(node, g, {0: lambda v: np.cumsum(v.reshape(shape), axis=axis)})


@rule("median", "nanmedian")
def _median(node, g):
    values = kept(node)
    shape = node.data.shape
    if "indices" in values:  # along a dim: the element a stable sort put in the middle
        indices, axis, keepdim = values["indices"], values["axis"], values["keepdim"]
        at = indices if keepdim else np.expand_dims(indices, axis)
        return _linear(node, g, {0: lambda v: np.take_along_axis(v, at, axis).reshape(shape)})
    if "value" in values:  # of all elements: g shared among the elements equal to the median
        reached = values["hit"] if values["hit"] is not None else values["X"] == values["value"]
        count = reached.sum()
        return _linear(node, g, {0: lambda v: np.asarray(v[reached].sum() / count, dtype=v.dtype)})
    return _linear(node, g, {0: _identity})  # a 0-d input along its dim


@rule("kthvalue", "mode")
def _picked(node, g):
    """The rule puts g at the picked element of each slice; its transpose reads v there."""
    values = kept(node)
    input_shape, axis, picked, shape = values["input_shape"], values["axis"], values["picked"], node.data.shape

    def read(v):
        rows = np.moveaxis(v.reshape(input_shape or (1,)), axis, -1)
        return np.take_along_axis(rows, picked, axis=-1).reshape(shape)

    return _linear(node, g, {0: read})


@rule("quantile", "nanquantile")
def _quantile(node, g):
    """The rule shares g between the two order statistics blended, (1 − w) and w; its transpose blends
    v's elements at those places with the same weights."""
    values = kept(node)
    X, axis, rows = values["X"], values["axis"], values["rows"]
    first, second, weight, shape = values["first"], values["second"], values["weight"], node.data.shape

    def blend(v):
        if axis is None:
            lines = v.reshape(rows.shape)
        else:
            lines = np.moveaxis(v.reshape(X.shape or (1,)), axis, -1).reshape(rows.shape)
        mixed = (np.take_along_axis(lines, first, axis=1) * (1 - weight)
                 + np.take_along_axis(lines, second, axis=1) * weight)  # (slices, levels)
        return np.moveaxis(mixed, 1, 0).reshape(shape)

    return _linear(node, g, {0: blend})


# -- scattering: the input's gradient a mask of g, the source's read back where it went ---------------


def _added_at(shape, where, dtype, values, then=None):
    """Zeros of ``shape`` with ``values`` added at ``where`` (repeated places adding up), reshaped to
    ``then``: the transpose of reading g at ``where``."""
    out = np.zeros(shape, dtype)
    np.add.at(out, where, values)
    return out if then is None else out.reshape(then)


@rule("scatter", "scatter_add")
def _scatter(node, g):
    values = kept(node)
    where, part, sizes, shape = values["where"], values["part"], values["sizes"], values["shape"]
    src_shape = values["src_shape"] or (1,)
    return _linear(node, g, {
        0: (lambda v: v.reshape(shape)) if values["adds"] else _mask(node, 0),
        1: lambda v: _added_at(sizes, where, v.dtype, v.reshape(src_shape)[part], shape),
    })


@rule("index_add", "index_copy")
def _index_add(node, g):
    """The input's rule is g (index_add) or g with the slices written zeroed (index_copy); the
    source's reads g's slices at the index (times alpha), so its transpose adds v's slices there."""
    values = kept(node)
    at, sizes, shape = values["at"], values["sizes"], node.data.shape
    alpha = values.get("alpha", 1)
    selected = np.zeros(sizes, bool)[at].shape

    def added(v):
        v = v.reshape(selected)
        return _added_at(sizes, at, v.dtype, v if alpha == 1 else v * alpha, shape)

    return _linear(node, g, {0: _identity if node._op == "index_add" else _mask(node, 0), 1: added})


@rule("index_fill")
def _index_fill(node, g):
    """The input's rule zeroes the filled slices; a 0-d value's sums g over them, so its transpose
    fills them with v."""
    values = kept(node)
    sizes, filled, shape = values["sizes"], values["filled"], node.data.shape

    def fill(v):
        out = np.zeros(sizes, node.data.dtype)
        out[filled] = v
        return out.reshape(shape)

    return _linear(node, g, {0: _mask(node, 0), 1: fill})


@rule("index_put")
def _index_put(node, g):
    values = kept(node)
    where, shape = values["where"], node.data.shape
    selected = np.zeros(shape, bool)[where].shape
    return _linear(node, g, {
        0: _identity if values["accumulate"] else _mask(node, 0),
        1: lambda v: _added_at(shape, where, v.dtype, np.broadcast_to(v, selected)),
    })


@rule("setitem")
def _setitem(node, g):
    """x[index] = v recorded (``ops.setitem``): the input's rule zeroes the places written, a mask;
    the value's reads g there, summed over the axes it was broadcast along, so its transpose writes v
    there, broadcast."""
    values = kept(node)
    index, parts, shape = values["index"], values["parts"], node.data.shape

    def place(v):
        out = np.zeros(shape, v.dtype)
        target, where = (out, index) if parts is None else (out[parts[0]], parts[1])
        target[where] = v
        return out

    return _linear(node, g, {0: _mask(node, 0), 1: place})


@rule("masked_scatter")
def _masked_scatter(node, g):
    """The source's rule reads g where the mask is true into its first elements; its transpose writes
    them back there."""
    values = kept(node)
    mask, count, shape = values["mask"], values["count"], node.data.shape

    def place(v):
        out = np.zeros(shape, v.dtype)
        out[mask] = v.reshape(-1)[:count]
        return out

    return _linear(node, g, {0: _mask(node, 0), 1: place})


@rule("nan_as_zero", "nan_to_num")
def _numbers(node, g):
    """g where the input was a number (nan_as_zero) or finite (nan_to_num): a mask."""
    return _linear(node, g, {0: _mask(node, 0)})


@rule("bincount")
def _bincount(node, g):
    """The weights' rule reads each element's bin; its transpose adds v into the bins."""
    X, bins = kept(node)["X"], node.data.shape[0]
    return _linear(node, g, {0: lambda v: np.bincount(X, weights=v, minlength=bins).astype(v.dtype, copy=False)})


@rule("embedding_bag")
def _embedding_bag(node, g):
    """(The bags' sums, ops.embedding_bag._bag_sum.) The rule hands each row its bag's g; its
    transpose sums v's rows by bag."""
    bag, shape = kept(node)["bag"], node.data.shape
    return _linear(node, g, {0: lambda v: _added_at(shape, bag, v.dtype, v)})


def _scatter_reduce(node, g):
    """sum, mean, amax and amin: the input's rule is g times a constant (1, 1/count, its share of a
    tie, 0 where it took no part), its own adjoint; the values' rule reads g at the place each went,
    times a constant f (the same), so its transpose adds v·f at those places."""
    values = kept(node)
    targets, part, shape = values["targets"], values["part"], values["shape"]
    src_shape, size = values["src_shape"] or (1,), values["X"].size
    source = node._parents[1]
    transposes = {0: _mask(node, 0)}
    if source.requires_grad:
        with np.errstate(divide="ignore", invalid="ignore"):
            f = node._backward(np.ones(node.data.shape, node.data.dtype))[1].reshape(src_shape)[part].reshape(-1)

        def added(v):
            return _added_at(size, targets, v.dtype, v.reshape(src_shape)[part].reshape(-1) * f, shape)

        transposes[1] = added
    return _linear(node, g, transposes)


def _scatter_prod(node, a, source):
    """The product restated: the input's value where it takes part (1 elsewhere) times, for j = 0, 1,
    ..., the column of the j-th values sent to each place (1 where fewer were sent)."""
    values = kept(node)
    targets, part, own, shape = values["targets"], values["part"], values["own"], values["shape"]
    sent = ops.reshape(ops.getitem(ops.reshape(source, values["src_shape"] or (1,)), part), (-1,))
    out = ops.where(own, ops.reshape(a, (-1,)), 1.0)
    order = np.argsort(targets, kind="stable")
    ranked = targets[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]]) if ranked.size else np.zeros(0, np.intp)
    occurrence = np.empty(targets.size, np.intp)  # the how-manieth value sent to its place each one is
    occurrence[order] = np.arange(ranked.size) - np.repeat(starts, np.diff(np.r_[starts, ranked.size]))
    ones = Tensor._wrap(np.ones(out.data.shape, node.data.dtype))
    for j in range(int(occurrence.max()) + 1 if occurrence.size else 0):
        chosen = np.flatnonzero(occurrence == j)
        column = ops.index_put(ones, (targets[chosen],), ops.getitem(sent, chosen))
        out = ops.mul(out, column)
    return ops.reshape(out, shape)


_scatter_prod_rule = by_composition_of(_scatter_prod)


@rule("scatter_reduce")
def _scatter_reduce_rule(node, g):
    """By reduce mode: the product differentiated as its restatement, the others as linear maps."""
    if kept(node)["reduce"] == "prod":
        return _scatter_prod_rule(node, g)
    return _scatter_reduce(node, g)
