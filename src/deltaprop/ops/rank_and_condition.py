"""``linalg.matrix_rank`` and ``linalg.cond``, as PyTorch's: how many of a matrix's singular values
count, and how far apart the largest and smallest are."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..tensor import Tensor
from ._matrices import floating_matrices
from .arithmetic import div, mul
from .decompositions import singular_value_cutoff, svdvals, symmetric_from_lower
from .elementwise import where
from .matrix_functions import inv_ex
from .matrix_norms import _MATRIX_ORDS, _is_number, matrix_norm
from .reduction import sum
from .shape import getitem
from .unary import reciprocal


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values of each matrix of A above max(atol, rtol·s_max) (int64, no
    gradient): PyTorch's tolerance rule, that of :func:`.decompositions.singular_value_cutoff`
    (``tol``, PyTorch's older name, is ``atol``). ``hermitian=True`` reads A's lower triangle as a
    symmetric matrix's, whose singular values are its eigenvalues' magnitudes."""
    a = floating_matrices("linalg.matrix_rank", A, square=bool(hermitian))
    X = a.data
    s = np.linalg.svd(symmetric_from_lower(X) if hermitian else X, compute_uv=False)
    cutoff = singular_value_cutoff(s, X.shape[-2:], atol if tol is None else tol, rtol)
    return Tensor._wrap(np.asarray((s > cutoff).sum(axis=-1), dtype=np.int64))


def cond(A, p=None):
    """The condition number of each matrix of A for the norm ``p``: s_max/s_min for None and 2
    (any shape), s_min/s_max for −2, Σs·Σ(1/s) for 'nuc', and ‖A‖·‖A⁻¹‖ for 'fro', 1, −1, inf
    and −inf, which is +inf where A is singular (square matrices for all but None, 2 and −2); 0 for
    an empty matrix, as PyTorch's.

    Composed of svdvals, matrix_norm and inv_ex, whose rules give its gradient, 0 at a singular
    matrix for the norms through the inverse (where PyTorch 2.13's backward fails: an inverse it
    uses is changed in place).
    """
    op = "linalg.cond"
    if not (p is None or (p in ("fro", "nuc") if isinstance(p, str) else _is_number(p) and float(p) in _MATRIX_ORDS)):
        raise ConfigError(f"linalg.cond: p must be None, 2, -2, 'nuc', 'fro', 1, -1, inf or -inf, got {p!r}")
    a = floating_matrices(op, A, square=p not in (None, 2, -2))
    X = a.data
    if 0 in X.shape[-2:]:
        return Tensor._wrap(np.zeros(X.shape[:-2], X.dtype))
    with np.errstate(divide="ignore", invalid="ignore"):  # (a singular matrix: inf or NaN, as PyTorch's)
        if p in (None, 2, -2, "nuc"):
            s = svdvals(a)
            if p == "nuc":
                return mul(sum(s, -1), sum(reciprocal(s), -1))
            largest, smallest = getitem(s, (Ellipsis, 0)), getitem(s, (Ellipsis, -1))
            return div(smallest, largest) if p == -2 else div(largest, smallest)
        inverse, info = inv_ex(a)
        singular = info.data > 0
        if np.any(singular):  # (the identity in its place: a gradient of 0, not NaN, reaches A)
            inverse = where(singular[..., None, None], np.eye(X.shape[-1], dtype=X.dtype), inverse)
        value = mul(matrix_norm(a, p), matrix_norm(inverse, p))
        return where(singular, np.inf, value) if np.any(singular) else value
