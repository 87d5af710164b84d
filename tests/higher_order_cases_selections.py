"""Second-derivative cases (see higher_order_cases.py for the form) of the rules in
autograd/differentiable_selections.py and autograd/differentiable_products.py: shape and layout
operations, gathering and scattering, running and ordering operations, and products.

Inputs are standard normal draws, so sorts, maxima and quantiles meet no ties except where a case
makes them (repeated elements picked by an index), and a scatter that writes without adding is
given no repeated index (PyTorch leaves which write wins unspecified; the forwards would differ).
"""

import numpy as np


def index(L, *rows):
    return L.tensor(np.array(rows))


def mask(L, *rows):
    return L.tensor(np.array(rows, dtype=bool))


def reduced(L, x, dim, rows, s, how, **options):
    """x.scatter_reduce along ``dim`` of the values ``s`` sent by the index of ``rows``."""
    return x.scatter_reduce(dim, index(L, *rows), s, how, **options)


def constant(like, values):
    return like.new_tensor(np.asarray(values, dtype=np.float64))


CASES = [
    # shape and layout
    ("repeat", lambda L, F, x: x.repeat(2, 1, 3), [(2, 3)], "real"),
    ("flip", lambda L, F, x: L.flip(x, (0, 2)) * x, [(2, 3, 2)], "real"),
    ("roll", lambda L, F, x: L.roll(x, (1, -2), (0, 1)) * x, [(3, 4)], "real"),
    ("roll flattened", lambda L, F, x: L.roll(x, 5), [(3, 4)], "real"),
    ("diag of a vector", lambda L, F, x: L.diag(x, 1), [(3,)], "real"),
    ("diag of a matrix", lambda L, F, x: L.diag(x, -1), [(3, 4)], "real"),
    ("diagonal", lambda L, F, x: L.diagonal(x, 1, 0, 2), [(3, 2, 4)], "real"),
    ("tril", lambda L, F, x: L.tril(x, -1) @ x.T, [(3, 4)], "real"),
    ("triu", lambda L, F, x: L.triu(x, 1), [(2, 3, 3)], "real"),
    ("trace", lambda L, F, x: L.trace(x) * x, [(3, 4)], "real"),
    # gathering
    ("gather", lambda L, F, x: L.gather(x, 1, index(L, [0, 2, 2], [1, 0, 1])), [(2, 4)], "real"),
    ("gather dim 0", lambda L, F, x: x.gather(0, index(L, [[2, 0]], [[1, 1]])), [(3, 2, 2)], "real"),
    ("take_along_dim broadcast", lambda L, F, x: L.take_along_dim(x, index(L, [1, 1, 3]), dim=1), [(3, 4)], "real"),
    ("take_along_dim flattened", lambda L, F, x: L.take_along_dim(x, index(L, 0, 5, 5, 7)), [(2, 4)], "real"),
    # scattering: the input and the source both differentiated
    ("scatter", lambda L, F, x, s: x.scatter(1, index(L, [2, 0], [1, 3]), s), [(2, 4), (2, 2)], "real"),
    ("scatter_add", lambda L, F, x, s: x.scatter_add(0, index(L, [0, 2, 0], [0, 0, 1]), s), [(3, 3), (2, 3)], "real"),
    ("scatter_reduce sum", lambda L, F, x, s: reduced(L, x, 0, ([0, 2, 0], [0, 0, 1]), s, "sum"), [(3, 3), (2, 3)],
     "real"),
    ("scatter_reduce mean exclude self", lambda L, F, x, s: reduced(L, x, 1, ([0, 0, 2], [1, 3, 1]), s, "mean",
                                                                    include_self=False), [(2, 4), (2, 3)], "real"),
    ("scatter_reduce amax", lambda L, F, x, s: reduced(L, x, 0, ([0, 2, 0], [0, 0, 1]), s, "amax"), [(3, 3), (2, 3)],
     "real"),
    ("scatter_reduce amin exclude self", lambda L, F, x, s: reduced(L, x, 0, ([0, 2, 0], [0, 0, 1]), s, "amin",
                                                                    include_self=False), [(3, 3), (2, 3)], "real"),
    # equal values sent to one place share its gradient
    ("scatter_reduce amax tied", lambda L, F, x, s: reduced(L, x, 0, ([0, 2, 1], [0, 1, 1]), s.repeat(2, 1), "amax",
                                                            include_self=False), [(3, 3), (1, 3)], "real"),
    ("scatter_reduce prod", lambda L, F, x, s: reduced(L, x, 0, ([0, 2, 0], [0, 0, 1], [0, 1, 1]), s, "prod"),
     [(3, 3), (3, 3)], "real"),
    ("scatter_reduce prod exclude self", lambda L, F, x, s: reduced(L, x, 1, ([0, 0, 3], [1, 1, 1]), s, "prod",
                                                                    include_self=False), [(2, 4), (2, 3)], "real"),
    ("index_add alpha", lambda L, F, x, s: x.index_add(0, index(L, 2, 0, 2), s, alpha=-1.5), [(3, 2), (3, 2)], "real"),
    ("index_copy", lambda L, F, x, s: x.index_copy(1, index(L, 3, 0), s), [(2, 4), (2, 2)], "real"),
    ("index_fill", lambda L, F, x, v: x.index_fill(1, index(L, 0, 2, 0), v.sum()), [(2, 3), (1,)], "real"),
    ("index_put", lambda L, F, x, v: L.index_put(x, (index(L, 2, 0),), v), [(3, 2), (2, 2)], "real"),
    ("index_put broadcast values", lambda L, F, x, v: L.index_put(x, (index(L, 0, 1), index(L, 2, 0)), v),
     [(2, 3), (1,)], "real"),
    ("index_put accumulate", lambda L, F, x, v: L.index_put(x, (index(L, 0, 0, 2),), v, accumulate=True),
     [(3, 2), (3, 2)], "real"),
    ("masked_scatter", lambda L, F, x, s: x.masked_scatter(mask(L, [True, False, True], [False, True, True]), s),
     [(2, 3), (6,)], "real"),
    ("nansum", lambda L, F, x: L.nansum(L.where(mask(L, [True, False, True], [True, True, False]), x, float("nan")),
                                        dim=1), [(2, 3)], "real"),
    ("nanmean", lambda L, F, x: L.nanmean(L.where(mask(L, [True, False, True], [True, True, False]), x, float("nan"))),
     [(2, 3)], "real"),
    ("nan_to_num", lambda L, F, x: L.nan_to_num(L.where(mask(L, [True, False, True], [True, True, False]), x,
                                                        float("inf")), posinf=2.0) * x, [(2, 3)], "real"),
    # running and ordering
    ("cumsum", lambda L, F, x: L.cumsum(x, dim=1) * x, [(3, 4)], "real"),
    ("cumsum 0-d", lambda L, F, x: L.cumsum(x.sum(), dim=0), [(3,)], "real"),
    ("cummax", lambda L, F, x: L.cummax(x, 1)[0], [(3, 5)], "real"),
    ("cummin", lambda L, F, x: L.cummin(x, 0)[0], [(4, 3)], "real"),
    ("sort descending", lambda L, F, x: L.sort(x, 1, descending=True)[0] * x, [(3, 4)], "real"),
    ("topk smallest", lambda L, F, x: L.topk(x, 2, dim=0, largest=False)[0], [(4, 3)], "real"),
    ("kthvalue keepdim", lambda L, F, x: L.kthvalue(x, 2, 1, keepdim=True)[0] * x, [(3, 4)], "real"),
    ("median along a dim", lambda L, F, x: L.median(x, 0)[0], [(4, 3)], "real"),
    ("median of all", lambda L, F, x: L.median(x) * x, [(3, 4)], "real"),
    ("median of all tied", lambda L, F, x: L.median(x[index(L, 0, 0, 0, 1, 2)]), [(3,)], "real"),
    ("mode tied", lambda L, F, x: L.mode(x[:, index(L, 0, 1, 0, 2, 1, 0)], 1)[0], [(2, 3)], "real"),
    ("quantile", lambda L, F, x: L.quantile(x, 0.3, dim=1), [(3, 5)], "real"),
    ("quantile levels keepdim", lambda L, F, x: L.quantile(x, constant(x, [0.2, 0.5, 0.9]), dim=0, keepdim=True),
     [(6, 2)], "real"),
    ("quantile of all midpoint", lambda L, F, x: L.quantile(x, 0.4, interpolation="midpoint") * x, [(2, 3)], "real"),
    ("quantile nearest", lambda L, F, x: L.quantile(x, 0.7, dim=1, interpolation="nearest"), [(2, 6)], "real"),
    ("nanquantile", lambda L, F, x: L.nanquantile(L.where(mask(L, [True, False, True, True], [True, True, True, True]),
                                                          x, float("nan")), 0.6, dim=1), [(2, 4)], "real"),
    # products
    ("einsum matrix product", lambda L, F, x, y: L.einsum("ij,jk->ik", x, y), [(3, 4), (4, 2)], "real"),
    ("einsum three operands", lambda L, F, x, y, z: L.einsum("bi,bj,ij->b", x, y, z), [(3, 2), (3, 4), (2, 4)], "real"),
    ("einsum diagonal", lambda L, F, x, y: L.einsum("ii,ij->j", x, y), [(3, 3), (3, 2)], "real"),
    ("einsum trace", lambda L, F, x: L.einsum("ii", x) * x, [(3, 3)], "real"),
    ("einsum own letter", lambda L, F, x, y: L.einsum("ij,k->ik", x, y), [(2, 3), (4,)], "real"),
    ("einsum ellipsis broadcast", lambda L, F, x, y: L.einsum("...ij,...jk->...ik", x, y), [(2, 1, 3, 2), (1, 3, 2, 2)],
     "real"),
    ("einsum one operand twice", lambda L, F, x: L.einsum("i,i->", x, x), [(4,)], "real"),
    # a letter every other operand carries at size 1 only: the gradient is at the letter's full size
    ("einsum letter broadcast from 1", lambda L, F, x, y: L.einsum("a,a->", x, y), [(1,), (3,)], "real"),
    ("einsum letters broadcast both ways", lambda L, F, x, y: L.einsum("ce,bce->e", x, y), [(2, 1), (3, 1, 2)],
     "real"),
    ("einsum transpose", lambda L, F, x: L.einsum("ijk->kij", x) * 2.0, [(2, 3, 2)], "real"),
    ("addmm", lambda L, F, i, x, y: L.addmm(i, x, y, beta=0.5, alpha=2.0), [(4,), (3, 2), (2, 4)], "real"),
    ("addmm beta 0", lambda L, F, i, x, y: L.addmm(i, x, y, beta=0), [(3, 4), (3, 2), (2, 4)], "real"),
    ("addmv", lambda L, F, i, x, y: L.addmv(i, x, y, alpha=-1.0), [(3,), (3, 2), (2,)], "real"),
    ("addbmm", lambda L, F, i, x, y: L.addbmm(i, x, y, beta=1.5), [(3, 4), (2, 3, 2), (2, 2, 4)], "real"),
    ("baddbmm", lambda L, F, i, x, y: L.baddbmm(i, x, y, beta=0.5, alpha=0.25), [(1, 3, 4), (2, 3, 2), (2, 2, 4)],
     "real"),
    ("outer", lambda L, F, x, y: L.outer(x, y), [(3,), (4,)], "real"),
    ("bilinear", lambda L, F, x, y, w, b: F.bilinear(x, y, w, b), [(2, 3), (2, 4), (5, 3, 4), (5,)], "real"),
    ("bilinear 3-d input", lambda L, F, x, y, w: F.bilinear(x, y, w), [(2, 2, 3), (2, 2, 2), (2, 3, 2)], "real"),
    ("cross", lambda L, F, x, y: L.cross(x, y, dim=1), [(2, 3), (2, 3)], "real"),
    ("cross broadcast", lambda L, F, x, y: L.cross(x, y, dim=-1), [(2, 4, 3), (1, 4, 3)], "real"),
    # a small model: embedding rows gathered, a batched product, a contraction
    ("gather einsum baddbmm model", lambda L, F, x, w, b: L.einsum(
        "bij,j->bi", L.baddbmm(b, L.gather(x, 1, index(L, [[0] * 3, [2] * 3], [[1] * 3, [1] * 3])), w).tanh(), x[0, 0]),
     [(2, 3, 3), (2, 3, 3), (2, 2, 3)], "real"),
]

#: Cases PyTorch 2.13 cannot differentiate twice, or forms it does not have: checked against finite
#: differences only.
FINITE_DIFFERENCES_ONLY = [
    # "derivative for aten::bincount is not implemented" (its weights get no gradient in PyTorch at all)
    ("bincount weights", lambda L, F, w: L.bincount(index(L, 0, 2, 2, 4).reshape(-1), weights=w * w, minlength=6),
     [(4,)], "real"),
    # "the derivative for '_embedding_bag_backward' is not implemented", nor for per_sample_weights' backward
    ("embedding_bag sum per_sample_weights", lambda L, F, w, p: F.embedding_bag(
        index(L, [0, 2, 2], [1, 3, 0]), w, mode="sum", per_sample_weights=p), [(4, 3), (2, 3)], "real"),
    ("embedding_bag mean offsets padding_idx", lambda L, F, w: F.embedding_bag(
        index(L, 0, 2, 1, 1, 3, 2), w, index(L, 0, 2, 2, 5), mode="mean", padding_idx=1), [(4, 3)], "real"),
    ("embedding_bag max", lambda L, F, w: F.embedding_bag(index(L, [0, 2, 3], [1, 3, 0]), w, mode="max") * w[0],
     [(4, 3)], "real"),
    # PyTorch's second derivatives of scatter, scatter_add and scatter_reduce fail where src is larger than
    # the index ("ScatterBackward0 returned an invalid gradient at index 1 - got [2, 2] but expected shape
    # compatible with [2, 3]"; for 'prod', "The size of tensor a (3) must match the size of tensor b (2)")
    ("scatter src larger than index", lambda L, F, x, s: x.scatter(1, index(L, [2, 0], [1, 3]), s), [(2, 4), (2, 3)],
     "real"),
    ("scatter_add src larger than index", lambda L, F, x, s: x.scatter_add(0, index(L, [0, 2], [0, 0]), s),
     [(3, 3), (3, 3)], "real"),
    ("scatter_reduce prod src larger than index", lambda L, F, x, s: x.scatter_reduce(
        0, index(L, [0, 2], [0, 0]), s, "prod", include_self=False), [(3, 3), (3, 3)], "real"),
    # deltaprop's NumPy form, without a dim: the flattened input's running sum (PyTorch asks for a dim)
    ("cumsum flattened", lambda L, F, x: L.cumsum(x) * x.reshape(-1), [(2, 3)], "real"),
]
