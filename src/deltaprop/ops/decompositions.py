"""Matrix decompositions, as PyTorch's ``linalg``: ``svdvals`` (the others to come), batched over
the leading dimensions.

Each output is recorded as a primitive of its own with the part of the rule that its gradient
drives: a vector-Jacobian product is linear in the output gradients, so the parts, summed into A by
the backward sweep, make the whole rule, and an output that is not used costs nothing. Notation: A
the input, ᵀ the transpose of each matrix, ∘ the elementwise product, ḡX the gradient of the loss
with respect to an output X, ⟨P, Q⟩ = Σ P∘Q; sym(X) = ½(X + Xᵀ). For a symmetric input (cholesky,
eigh) the rule gives the symmetric gradient, as PyTorch's, since only symmetric changes dA exist.
"""

from __future__ import annotations

import numpy as np

from ._core import record
from ._matrices import T, floating_matrices


def _gaps(values: np.ndarray) -> np.ndarray:
    """F with F_ij = 1 / (λ_j − λ_i) off the diagonal, 0 on it (where 1/0 would be)."""
    differences = values[..., None, :] - values[..., :, None]
    with np.errstate(divide="ignore"):
        F = 1 / np.where(np.eye(values.shape[-1], dtype=bool), np.inf, differences)
    return F


def _svd_rule(U, s, Vh, gU, gS, gVh):
    """gA of the reduced SVD A = U·diag(s)·Vh, from whichever of ḡU, ḡS, ḡVh is given.

    With V = Vhᵀ, F_ij = 1/(s_j² − s_i²) off the diagonal, J = F ∘ (Uᵀ·ḡU − ḡUᵀ·U) and
    K = F ∘ (Vᵀ·ḡV − ḡVᵀ·V):
    gA = U·(J·diag(s) + diag(ḡS) + diag(s)·K)·Vᵀ + (I − U·Uᵀ)·ḡU·diag(s)⁻¹·Vᵀ + U·diag(s)⁻¹·ḡVᵀ·(I − V·Vᵀ),
    the last two terms the parts of ḡU and ḡV outside the spans of U and V (there when A is not square).
    """
    if gS is not None:
        return (U * gS[..., None, :]) @ Vh
    F = _gaps(s * s)
    with np.errstate(divide="ignore", invalid="ignore"):  # equal or zero singular values: undefined
        if gU is not None:
            inner = (F * (T(U) @ gU - T(gU) @ U)) * s[..., None, :]
            outside = (gU - U @ (T(U) @ gU)) / s[..., None, :]
            return U @ inner @ Vh + outside @ Vh
        V, gV = T(Vh), T(gVh)
        inner = s[..., :, None] * (F * (T(V) @ gV - T(gV) @ V))
        outside = (gVh - (gVh @ V) @ Vh) / s[..., :, None]
        return U @ inner @ Vh + U @ outside


def svdvals(A):
    """The singular values of A, descending; their rule is U·diag(ḡS)·Vh (the SVD's, found when
    the backward sweep needs it)."""
    a = floating_matrices("linalg.svdvals", A)
    s = np.linalg.svd(a.data, compute_uv=False)

    def backward(g):
        U, _, Vh = np.linalg.svd(a.data, full_matrices=False)
        return (_svd_rule(U, s, Vh, None, g, None),)

    return record(s, (a,), backward, "linalg.svdvals")
