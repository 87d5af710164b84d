"""PyTorch's ``linalg`` norms: ``vector_norm`` (a primitive, its rule below it), ``matrix_norm``
(composed of vector_norm, abs, sum, amax/amin and the singular values) and ``norm``, which picks
one of the two as PyTorch's ``linalg.norm`` does.

vector_norm's ord: p > 0 gives (Σ|x|^p)^(1/p); inf and -inf the largest and smallest |x|; 0 the
number of non-zero elements; p < 0 the same formula as p > 0 (0 once an element is 0).
"""

from __future__ import annotations

import numpy as np

from ..dtypes import tensor_dtype
from ..errors import ConfigError, ShapeError
from ._core import expand_reduced, normalize_axes, operand, record, reduction_axis, signs
from .decompositions import svdvals
from .elementwise import abs, astype
from .layout import movedim
from .promotion import refuse_non_floating
from .reduction import amax, amin, sum
from .shape import reshape

_MATRIX_ORDS = (1.0, -1.0, 2.0, -2.0, np.inf, -np.inf)  # with "fro" and "nuc"


def _is_number(value) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))


def _floating(op: str, x, dtype):
    """``x`` as a floating-point tensor, converted to ``dtype`` where one is given (a widening only,
    as PyTorch: float64 to float32 would lose what the norm is asked to keep)."""
    a = operand(x)
    if a.data.dtype.kind != "f":
        refuse_non_floating(op, a.data.dtype)
    if dtype is None:
        return a
    target = tensor_dtype(op, dtype, floating=True)
    if target.itemsize < a.data.dtype.itemsize:
        raise TypeError(f"{op}: dtype {target} is narrower than the input's {a.data.dtype}; PyTorch refuses a "
                        "narrowing conversion here, convert the input first")
    return astype(a, target)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all its elements by default), as PyTorch's
    ``linalg.vector_norm``; ``dtype`` converts the input first (to a wider floating type).

    The rule, with n the norm: d n / d x = sign(x)·|x|^(p−1) / n^(p−1) (x / n for p = 2, sign(x) for
    p = 1), the gradient shared equally among the elements of largest (inf) or smallest (-inf)
    magnitude, 0 for p = 0. Where n is 0 the gradient is 0, the subgradient PyTorch takes (the
    formula's 0/0); for p < 1 an element that is 0 gets 0, where |x|^(p−1) would be infinite.
    """
    if not _is_number(ord):
        raise ConfigError(f"linalg.vector_norm: ord must be a number (2, 1, inf, -inf, 0 or any p), got {ord!r}; "
                          "'fro' and 'nuc' are matrix norms, linalg.matrix_norm's")
    p = float(ord)
    a = _floating("linalg.vector_norm", x, dtype)
    X = a.data
    axis = reduction_axis(dim, X.ndim, "linalg.vector_norm")
    reduced = normalize_axes(axis, X.ndim)
    if (p < 0 or np.isinf(p)) and any(X.shape[i] == 0 for i in reduced):
        raise ShapeError(f"linalg.vector_norm: the {ord} norm of no elements is undefined (it has no identity), "
                         f"and the reduced dimensions of shape {X.shape} hold none")
    magnitude = np.abs(X)
    with np.errstate(divide="ignore", over="ignore"):  # |0|^p for p < 0 is inf, and the norm 0
        if p == np.inf:
            out = magnitude.max(axis=axis, keepdims=keepdim)
        elif p == -np.inf:
            out = magnitude.min(axis=axis, keepdims=keepdim)
        elif p == 0:
            out = (X != 0).sum(axis=axis, keepdims=keepdim).astype(X.dtype)
        elif p == 1:
            out = magnitude.sum(axis=axis, keepdims=keepdim)
        elif p == 2:
            out = np.sqrt((X * X).sum(axis=axis, keepdims=keepdim))
        else:
            out = (magnitude ** p).sum(axis=axis, keepdims=keepdim) ** (1.0 / p)
    out = np.asarray(out, dtype=X.dtype)

    def backward(g):
        g = expand_reduced(g, X.shape, axis, keepdim)
        n = expand_reduced(out, X.shape, axis, keepdim)
        sign = signs(X)  # (0 at a NaN, as PyTorch's)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 0:
                local = np.zeros_like(X)
            elif p == 1:
                local = sign
            elif p == 2:
                local = np.where(n != 0, X / n, 0)  # (a NaN norm passes NaN on, as PyTorch's)
            elif np.isinf(p):  # shared among the elements that reach the extremum
                hit = (magnitude == n) | np.isnan(magnitude)
                local = sign * hit / hit.sum(axis=axis, keepdims=True)
            elif p < 1:  # |x|^(p−1)·n^(1−p): x = 0 gets 0, and so does every element where n = 0
                local = np.where(X != 0, sign * magnitude ** (p - 1), 0) * n ** (1 - p)
            else:
                local = np.where(n != 0, sign * magnitude ** (p - 1) / n ** (p - 1), 0)
        return ((g * local).astype(X.dtype, copy=False),)

    return record(out, (a,), backward, "linalg.vector_norm")


def _matrix_dims(op: str, dim, ndim: int) -> tuple:
    """``dim`` as a pair of distinct non-negative axes of a tensor of ``ndim`` dimensions."""
    if not isinstance(dim, (tuple, list)) or len(dim) != 2 or not all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dim):
        raise ShapeError(f"{op}: dim must be a pair of dimensions (the matrices' rows and columns), got {dim!r}")
    rows, columns = (int(d) % ndim if -ndim <= d < ndim else None for d in dim)
    if rows is None or columns is None:
        raise ShapeError(f"{op}: dim {tuple(dim)} is out of range for a tensor of {ndim} dimensions")
    if rows == columns:
        raise ShapeError(f"{op}: dim {tuple(dim)} names dimension {rows} twice; the two must differ")
    return rows, columns


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The ``ord``-norm of the matrices on the dimensions ``dim`` of ``A``, as PyTorch's
    ``linalg.matrix_norm``: 'fro' (√Σ a²), 'nuc' (the sum of the singular values), 2 and -2 (the
    largest and smallest singular value), 1 and -1 (the largest and smallest column sum of |a|),
    inf and -inf (the largest and smallest row sum of |a|).

    Composed of vector_norm, abs, sum, amax/amin and svdvals, whose rules give its gradient (a tie
    between columns or rows shares it equally, as PyTorch's amax does).
    """
    op = "linalg.matrix_norm"
    if not (ord in ("fro", "nuc") if isinstance(ord, str) else _is_number(ord) and float(ord) in _MATRIX_ORDS):
        raise ConfigError(f"{op}: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got {ord!r}")
    a = _floating(op, A, dtype)
    ndim = a.data.ndim
    if ndim < 2:
        raise ShapeError(f"{op}: A must have 2 dimensions or more (a matrix or a batch of them), got shape "
                         f"{a.data.shape}")
    rows, columns = _matrix_dims(op, dim, ndim)
    if ord == "fro":
        return vector_norm(a, 2, (rows, columns), keepdim)
    over = {2: (rows, columns), -2: (rows, columns), 1: (columns,), -1: (columns,)}.get(ord, (rows,))
    if ord != "nuc" and any(a.data.shape[i] == 0 for i in over):
        # the extremum of no singular values (or column or row sums): 0 for a largest, as PyTorch's
        # (the supremum of nothing non-negative), and no smallest
        if ord < 0:
            matrix = tuple(a.data.shape[i] for i in (rows, columns))
            raise ShapeError(f"{op}: the {ord} norm of {matrix[0]} by {matrix[1]} matrices is undefined: it is the "
                             "smallest of no values")
        out = sum(abs(a), (rows, columns), keepdims=True)
    elif ord in ("nuc", 2, -2):
        values = svdvals(movedim(a, (rows, columns), (-2, -1)))
        out = sum(values, -1) if ord == "nuc" else amax(values, -1) if ord == 2 else amin(values, -1)
    else:
        # 1: the column sums (over the rows), then their extremum; inf: the row sums, then theirs
        summed, extremum = (rows, columns) if ord in (1, -1) else (columns, rows)
        sums = sum(abs(a), summed, keepdims=True)
        out = amax(sums, extremum, keepdims=True) if ord > 0 else amin(sums, extremum, keepdims=True)
    shape = tuple(1 if i in (rows, columns) else n for i, n in enumerate(a.data.shape)
                  if keepdim or i not in (rows, columns))
    return reshape(out, shape)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """PyTorch's ``linalg.norm``: a vector norm over one dimension, a matrix norm over two.

    With ``dim`` an integer or one dimension, :func:`vector_norm` (ord 2 by default); a pair,
    :func:`matrix_norm` ('fro' by default). Without ``dim``: with ``ord`` given, a vector's or a
    matrix's norm (1-d or 2-d input only); with neither, the 2-norm of all the elements.
    """
    op = "linalg.norm"
    a = operand(A)
    ndim = np.ndim(a.data)
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1:
            if isinstance(ord, str):
                raise ShapeError(f"{op}: ord {ord!r} is a matrix norm, which takes dim as a pair of dimensions, "
                                 f"got {dim!r}")
            return vector_norm(a, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(a, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise ShapeError(f"{op}: dim must name one dimension (a vector norm) or two (a matrix norm), got {dim!r}")
    if ord is None:
        return vector_norm(a, 2, None, keepdim, dtype=dtype)
    if ndim == 1:
        if isinstance(ord, str):
            raise ShapeError(f"{op}: ord {ord!r} is a matrix norm, and the input of shape {a.data.shape} is a vector")
        return vector_norm(a, ord, None, keepdim, dtype=dtype)
    if ndim == 2:
        return matrix_norm(a, ord, (-2, -1), keepdim, dtype=dtype)
    raise ShapeError(f"{op}: with ord and without dim the input must be a vector or a matrix, got shape "
                     f"{a.data.shape}; give dim")
