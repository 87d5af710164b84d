"""``linalg.lstsq``: the least-squares solution of A·X ≈ B, as PyTorch's, by the pseudoinverse.

X = A⁺·B is the solution of least norm among those of least residual, which every one of LAPACK's
drivers returns for a matrix of full rank, and gelsy, gelsd and gelss for any rank (A's rank read
from its singular values, those at most rcond·s_max taken as 0). It is composed of ``pinv`` and
``matmul``, whose rules give its gradients (of every order), which are PyTorch's: PyTorch's rule
is the pseudoinverse's too. ``driver`` only chooses which of the other outputs are filled, as in
PyTorch (its gels solves by QR, which assumes full rank; here every driver solves by the SVD).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._core import operand
from ._matrices import floating_matrices
from .arithmetic import matmul, mul, sub
from .decompositions import pinv, singular_value_cutoff
from .reduction import sum
from .shape import squeeze, unsqueeze

#: driver: (rank, singular values, residuals) filled; PyTorch's default on the CPU is gelsy
_FILLED = {"gelsy": (True, False, False), "gels": (False, False, True), "gelsd": (True, True, True),
           "gelss": (True, True, True)}


class LstsqResult(NamedTuple):
    solution: object
    residuals: object
    rank: object
    singular_values: object


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of A·X ≈ B, A of shape (*, m, n) and B of shape
    (*, m, k), or a batch of vectors (*, m); the batch dimensions broadcast.

    ``rank`` (int64, one per matrix) is given by gelsy (the default), gelsd and gelss;
    ``singular_values`` (A's, descending) by gelsd and gelss; ``residuals``, the squared norm of
    each column of A·X − B, by gels, gelsd and gelss where m > n (for the last two, where every
    matrix of A has full rank too). What is not given is an empty tensor, as in PyTorch. Only
    ``solution`` and ``residuals`` carry gradients.
    """
    op = "linalg.lstsq"
    name = "gelsy" if driver is None else driver
    if name not in _FILLED:
        raise ConfigError(f"{op}: driver must be one of 'gels', 'gelsy', 'gelsd' and 'gelss' (or None: 'gelsy'), "
                          f"got {driver!r}")
    a, b = floating_matrices(op, A), operand(B)
    M, Y = a.data, np.asarray(b.data)
    if Y.dtype != M.dtype:
        raise TypeError(f"{op}: A and B must have one dtype, as in PyTorch, got {M.dtype} and {Y.dtype}")
    m, n = M.shape[-2:]
    vectors = Y.ndim == 1 or (Y.ndim == M.ndim - 1 and Y.shape == M.shape[:-1])
    columns = unsqueeze(b, -1) if vectors else b
    if columns.data.ndim < 2 or columns.data.shape[-2] != m:
        raise ShapeError(f"{op}: A of shape {M.shape} and B of shape {Y.shape} do not fit A·X ≈ B (B needs {m} rows, "
                         f"or to be a vector of {m} elements)")
    if name == "gels":  # (no rank to find: LAPACK's gels takes no rcond, and PyTorch ignores it)
        rcond = None
    solution = matmul(pinv(a, rtol=rcond), columns)
    with_rank, with_values, with_residuals = _FILLED[name]
    s = np.linalg.svd(M, compute_uv=False)
    rank = (s > singular_value_cutoff(s, (m, n), None, rcond)).sum(axis=-1)
    empty = Tensor._wrap(np.zeros((0,), M.dtype))
    residuals = empty
    if with_residuals and m > n and (name == "gels" or np.all(rank == n)):  # (gels takes A as of full rank)
        difference = sub(matmul(a, solution), columns)
        residuals = sum(mul(difference, difference), -2)
    return LstsqResult(squeeze(solution, -1) if vectors else solution, residuals,
                       Tensor._wrap(rank.astype(np.int64) if with_rank else np.zeros((0,), np.int64)),
                       Tensor._wrap(s) if with_values else empty)
