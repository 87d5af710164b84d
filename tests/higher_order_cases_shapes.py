"""Second-derivative cases (see higher_order_cases.py for the form) of PyTorch's further shape,
indexing and layout functions (ops.sections, ops.flat_positions, ops.view_scatter, ops.combining,
ops.aminmax, ops.median's nanmedian, index_reduce): compositions of recorded operations, whose
rules differentiate again, and nanmedian, a primitive of its own. A function with several results
is given as one tensor made of them."""

import numpy as np


def index(L, *rows):
    return L.tensor(np.array(rows))


def with_nans(L, x, *rows):
    """``x`` with NaN where ``rows`` (booleans) are false."""
    return L.where(L.tensor(np.array(rows, dtype=bool)), x, float("nan"))


CASES = [
    ("tensor_split overlapping", lambda L, F, x: L.cat(L.tensor_split(x, [3, 1, 5]), 0), [(6, 2)], "real"),
    ("hsplit", lambda L, F, x: L.hsplit(x, 2)[1] * x[:, :2], [(3, 4)], "real"),
    ("split_with_sizes", lambda L, F, x: x.split_with_sizes([1, 2], dim=1)[1] * x[:, 1:], [(2, 3)], "real"),
    ("fliplr", lambda L, F, x: L.fliplr(x) * x, [(2, 3)], "real"),
    ("msort", lambda L, F, x: L.msort(x), [(4, 2)], "real"),
    ("take repeated", lambda L, F, x: L.take(x, index(L, [0, 5], [5, -1])) * x[0, :2], [(2, 3)], "real"),
    ("put", lambda L, F, x, s: x.put(index(L, 4, 0), s), [(2, 3), (2,)], "real"),
    ("put accumulate", lambda L, F, x, s: L.put(x, index(L, 4, 0, 4), s, accumulate=True), [(2, 3), (3,)], "real"),
    ("diagflat", lambda L, F, x: L.diagflat(x, -1), [(2, 2)], "real"),
    ("diag_embed", lambda L, F, x: L.diag_embed(x, 1, 0, 2), [(2, 3)], "real"),
    ("diagonal_scatter", lambda L, F, x, s: L.diagonal_scatter(x, s, 1), [(3, 4), (3,)], "real"),
    ("select_scatter", lambda L, F, x, s: L.select_scatter(x, s * s, 1, 0), [(3, 4), (3,)], "real"),
    ("slice_scatter", lambda L, F, x, s: L.slice_scatter(x, s, 0, 1, None, 2), [(5, 2), (2, 2)], "real"),
    ("block_diag", lambda L, F, a, b: L.block_diag(a, b, a.sum()), [(2, 3), (2,)], "real"),
    ("cartesian_prod", lambda L, F, a, b: L.cartesian_prod(a, b) * a[0], [(3,), (2,)], "real"),
    ("combinations", lambda L, F, x: L.combinations(x, 2, with_replacement=True), [(4,)], "real"),
    ("aminmax", lambda L, F, x: L.stack(list(L.aminmax(x, dim=1)), 0) * x[:, :1].T, [(3, 4)], "real"),
    ("nanmedian along a dim", lambda L, F, x: L.nanmedian(
        with_nans(L, x, [True, False, True, True], [False, True, True, False]), 1)[0], [(2, 4)], "real"),
    ("nanmedian of all", lambda L, F, x: L.nanmedian(with_nans(L, x, [True, False, True], [True, True, False])) * x,
     [(2, 3)], "real"),
    ("nanmedian of all tied", lambda L, F, x: L.nanmedian(x[index(L, 0, 0, 0, 1, 2)]), [(3,)], "real"),
    ("sum_to_size", lambda L, F, x: x.sum_to_size(1, 3) * x, [(2, 3)], "real"),
    ("index_reduce prod", lambda L, F, x, s: x.index_reduce(1, index(L, 0, 2, 0), s, "prod"), [(2, 4), (2, 3)], "real"),
    ("index_reduce amax exclude self", lambda L, F, x, s: x.index_reduce(0, index(L, 2, 0), s, "amax",
                                                                         include_self=False), [(3, 2), (2, 2)], "real"),
    ("index_reduce mean", lambda L, F, x, s: x.index_reduce(0, index(L, 1, 1), s, "mean"), [(3, 2), (2, 2)], "real"),
]

#: Cases PyTorch 2.13 cannot differentiate (twice): checked against finite differences only.
FINITE_DIFFERENCES_ONLY = [
    # torch.vander's backward fails: "one of the variables needed for gradient computation has been modified
    # by an inplace operation" (its cumprod, written in place)
    ("vander", lambda L, F, x: L.vander(x, 4), [(3,)], "real"),
    ("vander increasing at zero", lambda L, F, x: L.vander(x * index(L, 1, 0, 1), increasing=True), [(3,)], "real"),
]
