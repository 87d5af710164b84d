"""``linalg.matrix_exp``: e^A = Σ Aᵏ/k! of each square matrix of a batch, by scaling and squaring.

Each matrix is divided by 2ˢ, s the smallest whole number that brings its 1-norm to 1 or below;
the Taylor series of degree 18 is summed by Horner's rule (its remainder is below 1/19! ≈ 8e-18 of
the result there), and the sum is squared s times, e^A = (e^(A/2ˢ))^(2ˢ), each matrix its own
number of times. The arithmetic is float64 whatever A's dtype.
"""

from __future__ import annotations

import numpy as np

from ._core import record
from ._matrices import T, floating_matrices

_DEGREE = 18  # of the Taylor polynomial, for a 1-norm at most 1
_LARGEST_SCALING = 1100  # 2^1100 brings any finite float64 norm to 1 or below


def matrix_exp(A):
    """e^A of each square matrix of A, as PyTorch's ``linalg.matrix_exp``.

    Rule: the derivative of e^X in the direction E is the upper-right block of
    exp([[X, E], [0, X]]) (Van Loan's block matrix); the adjoint of E ↦ that block is the same map at
    Xᵀ, so gA = exp([[Aᵀ, ḡ], [0, Aᵀ]])'s upper-right block, computed as above (ḡ scaled to a 1-norm
    of 1 first, the map being linear in it, so that ḡ's size does not add squarings).
    """
    a = floating_matrices("linalg.matrix_exp", A, square=True)
    X = a.data
    out = expm(X).astype(X.dtype)

    def backward(g):
        return (frechet_adjoint(X, g).astype(X.dtype, copy=False),)

    return record(out, (a,), backward, "linalg.matrix_exp")


def expm(M: np.ndarray) -> np.ndarray:
    """e^M of each matrix of the batch M, in float64, by scaling and squaring."""
    M = np.asarray(M, np.float64)
    n = M.shape[-1]
    if M.size == 0:
        return M.copy()
    norm = np.abs(M).sum(axis=-2).max(axis=-1)  # each matrix's 1-norm (its largest column sum)
    with np.errstate(divide="ignore", invalid="ignore"):
        # (a norm that is inf or NaN is not scaled: its result is NaN, as PyTorch's)
        s = np.where(np.isfinite(norm) & (norm > 1), np.ceil(np.log2(norm)), 0).astype(np.int64)
    s = np.minimum(s, _LARGEST_SCALING)
    X = M / np.exp2(s.astype(np.float64))[..., None, None]
    eye = np.eye(n)
    with np.errstate(invalid="ignore", over="ignore"):  # (NaN and inf pass through, as PyTorch's)
        E = eye + X / _DEGREE
        for k in range(_DEGREE - 1, 0, -1):  # I + X/1·(I + X/2·(I + … ·(I + X/18)))
            E = eye + (X @ E) / k
        for step in range(int(s.max(initial=0))):
            E = np.where((step < s)[..., None, None], E @ E, E)
    return E


def frechet_adjoint(X: np.ndarray, G: np.ndarray) -> np.ndarray:
    """gA of e^A at A = X for the output's gradient G: the upper-right block of
    exp([[Xᵀ, G], [0, Xᵀ]]), with G scaled to a 1-norm of 1 per matrix and the block scaled back."""
    n = X.shape[-1]
    G = np.asarray(G, np.float64)
    size = np.abs(G).sum(axis=-2).max(axis=-1, initial=0.0)[..., None, None] if G.size else np.ones(())
    size = np.where((size > 0) & np.isfinite(size), size, 1.0)
    Xt = np.broadcast_to(T(np.asarray(X, np.float64)), G.shape)
    block = np.concatenate([np.concatenate([Xt, G / size], axis=-1),
                            np.concatenate([np.zeros_like(Xt), Xt], axis=-1)], axis=-2)
    return expm(block)[..., :n, n:] * size
