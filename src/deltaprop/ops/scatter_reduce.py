"""scatter_reduce: each position of the input combined with the src values that ``index`` sends to
it, by a sum, product, mean, maximum (amax) or minimum (amin); with ``include_self=False`` the
input's own value takes no part where src sends anything.

The rules are PyTorch's. sum and mean hand each value the output's gradient (divided, for the mean,
by the count at its position). prod hands each value the product of the others: out / value where
the position holds no zero, the product of the others at its one zero, and 0 where it holds two.
amax and amin share each position's gradient equally among the values equal to the result; the
input's own value counts among them wherever it equals the result, even with include_self=False
(where it then gets no share), as PyTorch counts it.

index_reduce is scatter_reduce of whole slices: the index vector sent along every other dimension.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ._core import record
from .scatter import _placement, _slices

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
_COMBINE = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """A copy of ``input`` with the values ``src[i]`` combined, by ``reduce`` ('sum', 'prod', 'mean',
    'amax' or 'amin'), into position ``index[i]`` along ``dim``, with the input's own value there
    unless ``include_self`` is false (a position nothing is sent to keeps the input's value). The
    mean of integers rounds down, as PyTorch's."""
    if reduce not in REDUCTIONS:
        # PyTorch's old names 'max' and 'min' pass its forward but not its autograd: refused here always
        hint = f" (use 'a{reduce}')" if reduce in ("max", "min") else ""
        raise ConfigError(f"scatter_reduce: reduce must be one of 'sum', 'prod', 'mean', 'amax' or 'amin', "
                          f"got {reduce!r}{hint}")
    a, source, where, part, sizes = _placement("scatter_reduce", input, dim, index, src)
    X, shape, src_shape = a.data.reshape(-1), a.data.shape, source.data.shape
    # Everything on flat arrays: targets[k] is the flat position in the input of the k-th value sent.
    targets = np.ravel_multi_index(np.broadcast_arrays(*where), sizes).reshape(-1)
    values = source.data.reshape(src_shape or (1,))[part].reshape(-1)
    counts = np.bincount(targets, minlength=X.size)
    own = include_self | (counts == 0)  # where the input's own value takes part
    if reduce in ("amax", "amin"):
        out = X.copy()
        out[targets] = values  # (where own is false: any one value sent there to start from)
        out[own] = X[own]
    else:
        out = np.where(own, X, X.dtype.type(1 if reduce == "prod" else 0))
    _COMBINE[reduce].at(out, targets, values)
    if reduce == "mean":
        n = (counts + own).astype(X.dtype)
        out = out // n if X.dtype.kind in "iub" else out / n

    def backward(g):
        g = g.reshape(-1)
        grad_self, grad_values = _RULES[reduce](g, X, values, out, targets, counts, own)
        grad_input = grad_src = None
        if a.requires_grad:
            grad_input = np.where(own, grad_self, 0).astype(g.dtype, copy=False).reshape(shape)
        if source.requires_grad:
            grad_src = np.zeros(src_shape or (1,), dtype=g.dtype)
            grad_src[part] = grad_values.reshape(grad_src[part].shape)
            grad_src = grad_src.reshape(src_shape)
        return grad_input, grad_src

    return record(out.reshape(shape), (a, source), backward, "scatter_reduce")


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """A copy of ``input`` with each slice ``source[..., i, ...]`` along ``dim`` combined, by
    ``reduce`` ('prod', 'mean', 'amax' or 'amin'), into the input's slice ``index[i]``, with the
    input's own slice there unless ``include_self`` is false (:func:`scatter_reduce`'s rules)."""
    if reduce not in REDUCTIONS[1:]:
        raise ConfigError(f"index_reduce: reduce must be one of 'prod', 'mean', 'amax' or 'amin', got {reduce!r}")
    a, src, _, at = _slices("index_reduce", input, dim, index, source)
    axis = len(at) - 1
    along = [1] * a.data.ndim
    if along:
        along[axis] = -1
    spread = np.broadcast_to(at[axis].reshape(along), src.data.shape)  # the index sent along every other dim
    return scatter_reduce(a, dim, spread, src, reduce, include_self=include_self)


# -- the rules: (g, input, values sent, output, their targets, counts, own) -> (input's, values') gradients --


def _sum_rule(g, X, values, out, targets, counts, own):
    return g, g[targets]


def _mean_rule(g, X, values, out, targets, counts, own):
    share = g / (counts + own).astype(g.dtype)
    return share, share[targets]


def _extreme_rule(g, X, values, out, targets, counts, own):
    self_tied = X == out  # (counted whether or not the input's value took part, as PyTorch counts it)
    sent_tied = values == out[targets]
    ties = self_tied + np.bincount(targets, weights=sent_tied, minlength=X.size)
    with np.errstate(divide="ignore", invalid="ignore"):  # (a NaN result equals nothing: NaN, as PyTorch's)
        share = g / ties.astype(g.dtype)
    return share * self_tied, share[targets] * sent_tied


def _prod_rule(g, X, values, out, targets, counts, own):
    self_zero = own & (X == 0)
    sent_zero = values == 0
    zeros = self_zero + np.bincount(targets, weights=sent_zero, minlength=X.size).astype(np.intp)
    others = np.where(self_zero | ~own, 1, X)  # the product of the nonzero values at each position
    np.multiply.at(others, targets, np.where(sent_zero, 1, values))
    gout = g * out
    with np.errstate(divide="ignore", invalid="ignore"):
        grad_self = np.where(X == 0, np.where(zeros == 1, g * others, 0), gout / np.where(X == 0, 1, X))
        single = zeros[targets] == 1
        grad_values = np.where(sent_zero, np.where(single, (g * others)[targets], 0),
                               gout[targets] / np.where(sent_zero, 1, values))
    return grad_self, grad_values


_RULES = {"sum": _sum_rule, "mean": _mean_rule, "prod": _prod_rule, "amax": _extreme_rule, "amin": _extreme_rule}
