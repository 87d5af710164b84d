"""Matrices assembled from the elements of other tensors, PyTorch's: block_diag (matrices along a
diagonal), cartesian_prod (every tuple of one element from each vector), combinations (every
r-element subset of a vector's elements) and vander (a vector's powers).

All are composed of differentiable operations (pad and concatenate; meshgrid and stack; indexing;
concatenate and cumprod), whose rules carry the gradients back and differentiate again.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor, get_default_dtype
from ._core import operand
from .cumulative import cumprod
from .elementwise import astype
from .promotion import promote_types
from .shape import concatenate, expand, flip, getitem, pad, reshape, stack
from .stacking import meshgrid


def block_diag(*tensors):
    """The matrices (a vector counts as one row, a 0-d tensor as a 1×1 matrix) along the diagonal of
    one matrix, zeros elsewhere, in the dtype they promote to."""
    if not tensors:
        return Tensor._wrap(np.zeros((1, 0), get_default_dtype()))  # PyTorch's block_diag() is 1×0
    blocks = []
    for i, t in enumerate(tensors):
        t = operand(t)
        if np.ndim(t.data) > 2:
            raise ShapeError(f"block_diag: takes tensors of at most 2 dimensions, got shape {np.shape(t.data)} at "
                             f"position {i}")
        blocks.append(reshape(t, np.shape(t.data) if np.ndim(t.data) == 2 else (1, np.size(t.data))))
    dtype = functools.reduce(promote_types, (b.data.dtype for b in blocks))
    width, start, rows = sum(b.data.shape[1] for b in blocks), 0, []
    for b in blocks:
        columns = b.data.shape[1]
        rows.append(pad(b if b.data.dtype == dtype else astype(b, dtype), (start, width - start - columns)))
        start += columns
    return concatenate(rows, 0)


def _vectors(op: str, tensors) -> list:
    vectors = [operand(t) for t in tensors]
    for i, v in enumerate(vectors):
        if np.ndim(v.data) != 1:
            raise ShapeError(f"{op}: expects vectors (1-d tensors), got shape {np.shape(v.data)} at position {i}")
    return vectors


def cartesian_prod(*tensors):
    """Every tuple of one element from each vector, in row-major order, as the rows of a matrix (a
    single vector is returned as it is)."""
    if not tensors:
        raise ValueError("cartesian_prod: needs at least one vector")
    vectors = _vectors("cartesian_prod", tensors)
    if len(vectors) == 1:
        return vectors[0]
    return stack([reshape(grid, (-1,)) for grid in meshgrid(*vectors, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):
    """Every choice of ``r`` of the vector's elements (by position, in increasing order of
    positions; ``with_replacement`` lets a position repeat), as the rows of a matrix, in
    lexicographic order of positions. ``r`` = 0 gives an empty vector."""
    (a,) = _vectors("combinations", (input,))
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 0:
        raise ConfigError(f"combinations: r must be a non-negative integer, got {r!r}")
    if r == 0:
        return getitem(a, slice(0, 0))
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    positions = np.fromiter(itertools.chain.from_iterable(choose(range(a.data.size), int(r))), dtype=np.intp)
    return getitem(a, positions.reshape(-1, int(r)))


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the vector ``x``: column j holds ``x ** (N - 1 - j)`` (``x ** j``
    with ``increasing``), ``N`` columns (``len(x)`` by default). Integers and booleans give int64.

    The powers are a running product of [1, x, x, ...], so the gradient of x ** 0 is 0, and of x ** k
    at x = 0 the exact k·x^(k−1), not the 0·0^(−1) of a power's rule."""
    (a,) = _vectors("vander", (x,))
    n = a.data.size
    if N is None:
        N = n
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)):
        raise TypeError(f"vander: N must be an integer, got {N!r}")
    if N < 0:
        raise ConfigError(f"vander: N must be non-negative, got {N}")
    if a.data.dtype.kind != "f":
        a = astype(a, np.int64)
    column = reshape(a, (n, 1))
    if N == 0:
        return getitem(column, (slice(None), slice(0, 0)))
    ones = Tensor._wrap(np.ones((n, 1), a.data.dtype))
    powers = cumprod(concatenate([ones, expand(column, n, int(N) - 1)], 1), 1)
    return powers if increasing else flip(powers, 1)
