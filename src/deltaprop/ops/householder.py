"""``linalg.householder_product`` (``Tensor.orgqr``): the matrix with orthonormal columns that a
product of Householder reflections gives, as LAPACK's orgqr forms it from the output of geqrf.

Column i of A holds, below its diagonal, the reflector vᵢ (whose element i is an implicit 1 and
whose earlier elements are zero); Hᵢ = I − τᵢ·vᵢ·vᵢᵀ and the result is the first n columns of
H₁·H₂·…·H_k. It is built from the reflectors one at a time, from the last, by matmul, mul and
subtraction, whose rules give its gradients, first and second.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._core import operand
from ._matrices import floating_matrices
from .arithmetic import add, matmul, mul, sub
from .indexing import tril
from .layout import swapaxes


def householder_product(A, tau):
    """The first n columns of H₁·…·H_k for the reflectors stored below the diagonal of A (m×n, m ≥ n,
    batched) and their scales ``tau`` (k ≤ n of them, batched as A)."""
    a = floating_matrices("linalg.householder_product", A)
    t = operand(tau)
    shape, scales = a.data.shape, np.shape(t.data)
    m, n = shape[-2:]
    if m < n:
        raise ShapeError(f"linalg.householder_product: A must have at least as many rows as columns, got shape "
                         f"{shape}")
    if len(scales) != len(shape) - 1 or scales[:-1] != shape[:-2]:
        raise ShapeError(f"linalg.householder_product: tau must have A's batch shape and one more dimension, "
                         f"{shape[:-2]} + (k,), got shape {scales}")
    k = scales[-1]
    if k > n:
        raise ShapeError(f"linalg.householder_product: tau must hold at most as many scales as A has columns, {n}, "
                         f"got {k}")
    if np.asarray(t.data).dtype != a.data.dtype:
        raise TypeError(f"linalg.householder_product: A and tau must have one dtype, got {a.data.dtype} and "
                        f"{np.asarray(t.data).dtype}")
    eye = np.eye(m, n, dtype=a.data.dtype)
    V = add(tril(a, -1), Tensor._wrap(eye))  # the reflectors, their implicit ones on the diagonal
    Q = Tensor._wrap(np.broadcast_to(eye, shape).copy())
    for i in reversed(range(k)):
        v = V[..., :, i:i + 1]
        # Hᵢ·Q = Q − τᵢ·vᵢ·(vᵢᵀ·Q)
        Q = sub(Q, mul(t[..., i:i + 1, None], matmul(v, matmul(swapaxes(v, -1, -2), Q))))
    return Q
