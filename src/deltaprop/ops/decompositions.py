"""Matrix decompositions, as PyTorch's ``linalg``: ``cholesky`` (and ``cholesky_ex``), ``qr``,
``eigh``/``eigvalsh``, ``svd``/``svdvals`` and ``pinv`` (by the SVD), each batched over the leading
dimensions.

Each output is recorded as a primitive of its own with the part of the rule that its gradient
drives: a vector-Jacobian product is linear in the output gradients, so the parts, summed into A by
the backward sweep, make the whole rule, and an output that is not used costs nothing. Notation: A
the input, ᵀ the transpose of each matrix, ∘ the elementwise product, ḡX the gradient of the loss
with respect to an output X, ⟨P, Q⟩ = Σ P∘Q; sym(X) = ½(X + Xᵀ). For a symmetric input (cholesky,
eigh) the rule gives the symmetric gradient, as PyTorch's, since only symmetric changes dA exist.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ConfigError, GradError, LinAlgError
from ..tensor import Tensor
from ._core import record
from ._matrices import T, floating_matrices


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


class QRResult(NamedTuple):
    Q: object
    R: object


class CholeskyExResult(NamedTuple):
    L: object
    info: object


def _sym(X: np.ndarray) -> np.ndarray:
    return (X + T(X)) / 2


def _solve_right(B: np.ndarray, M: np.ndarray) -> np.ndarray:
    """B·M⁻¹, by solving Mᵀ·Zᵀ = Bᵀ (no inverse formed)."""
    return T(np.linalg.solve(T(M), T(B)))


def _gaps(values: np.ndarray) -> np.ndarray:
    """F with F_ij = 1 / (λ_j − λ_i) off the diagonal, 0 on it (where 1/0 would be)."""
    differences = values[..., None, :] - values[..., :, None]
    with np.errstate(divide="ignore"):
        F = 1 / np.where(np.eye(values.shape[-1], dtype=bool), np.inf, differences)
    return F


def cholesky(A, *, upper=False):
    """The lower-triangular L with L·Lᵀ = A, of a symmetric positive-definite A (only its lower
    triangle is read); ``upper`` gives U = Lᵀ, with Uᵀ·U = A.

    Rule: dA = dL·Lᵀ + L·dLᵀ, so L⁻¹·dA·L⁻ᵀ = L⁻¹dL + (L⁻¹dL)ᵀ, and L⁻¹dL being lower
    triangular, dL = L·Φ(L⁻¹·dA·L⁻ᵀ), Φ the lower triangle with its diagonal halved. Φ is its own
    adjoint, so ⟨ḡL, dL⟩ = ⟨L⁻ᵀ·Φ(Lᵀ·ḡL)·L⁻¹, dA⟩: gA = sym(L⁻ᵀ·Φ(Lᵀ·tril(ḡL))·L⁻¹).
    """
    a = floating_matrices("linalg.cholesky", A, square=True)
    L, info = _factors_and_info(a.data)
    if info.any():
        raise _not_positive_definite("linalg.cholesky", a.data.shape)
    return _recorded_cholesky(a, L, upper)


def _not_positive_definite(op: str, shape: tuple) -> LinAlgError:
    which = "a matrix of the batch" if len(shape) > 2 else "the matrix"
    return LinAlgError(f"{op}: {which} of shape {shape} is not positive-definite, so it has no Cholesky factor")


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info), as PyTorch's ``linalg.cholesky_ex``: ``info`` (int32, one per matrix) is 0 where
    the factor exists and else the order of the first leading minor that is not positive-definite,
    as LAPACK reports it. The factor of such a matrix is NaN (PyTorch's holds LAPACK's partial
    work); ``check_errors=True`` refuses one instead (LinAlgError), as :func:`cholesky`. The
    factors' gradient is :func:`cholesky`'s."""
    a = floating_matrices("linalg.cholesky_ex", A, square=True)
    L, info = _factors_and_info(a.data)
    if check_errors and info.any():
        raise _not_positive_definite("linalg.cholesky_ex", a.data.shape)
    return CholeskyExResult(_recorded_cholesky(a, L, upper), Tensor._wrap(info))


def _factors_and_info(M: np.ndarray) -> tuple:
    """(L, info) for the batch ``M``: NumPy's factors, and LAPACK's potrf ``info`` per matrix (int32);
    a matrix without a factor, NumPy's refusal or a NaN on its factor's diagonal (NumPy passes NaN
    through where LAPACK stops), gets NaN for its factor and the order of its first bad minor."""
    flat = M.reshape((-1,) + M.shape[-2:])
    try:
        L = np.linalg.cholesky(flat)
    except np.linalg.LinAlgError:  # one matrix at a time, to tell which have no factor
        L = np.full_like(flat, np.nan)
        for k, matrix in enumerate(flat):
            try:
                L[k] = np.linalg.cholesky(matrix)
            except np.linalg.LinAlgError:
                pass
    info = np.zeros(len(flat), np.int32)
    for k in np.flatnonzero(np.isnan(np.diagonal(L, axis1=-2, axis2=-1)).any(axis=-1)):
        info[k] = _first_bad_minor(flat[k])
        L[k] = np.nan
    return L.reshape(M.shape), info.reshape(M.shape[:-2])


def _first_bad_minor(M: np.ndarray) -> int:
    """The order of the first leading minor of ``M`` (its lower triangle read) that is not
    positive-definite: where the Cholesky recurrence's pivot is not positive (or is NaN), LAPACK's
    potrf ``info``; the last order where rounding left none."""
    n = len(M)
    L = np.zeros((n, n))
    for j in range(n):
        pivot = M[j, j] - L[j, :j] @ L[j, :j]
        if not pivot > 0:
            return j + 1
        L[j, j] = np.sqrt(pivot)
        L[j + 1:, j] = (M[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return n


def _recorded_cholesky(a, L: np.ndarray, upper: bool):
    """The factor ``L`` of ``a`` (or Lᵀ for ``upper``) recorded with :func:`cholesky`'s rule."""

    def backward(g):
        gL = np.tril(T(g) if upper else g)
        inner = T(L) @ gL
        inner = np.tril(inner) - np.eye(inner.shape[-1], dtype=inner.dtype) * inner / 2
        return (_sym(np.linalg.solve(T(L), T(np.linalg.solve(T(L), T(inner))))),)

    return record(np.ascontiguousarray(T(L)) if upper else L, (a,), backward, "linalg.cholesky")


def qr(A, mode="reduced"):
    """(Q, R) with A = Q·R, Q's columns orthonormal and R upper triangular: ``mode`` 'reduced'
    (Q m×k, R k×n, k = min(m, n)), 'complete' (Q m×m, R m×n) or 'r' (R alone, Q empty), as
    PyTorch's. Signs follow LAPACK's Householder reflections, as PyTorch's and NumPy's do.

    Rule (m ≥ n): QᵀQ = I makes C = Qᵀ·dQ skew, and Qᵀ·dA·R⁻¹ = C + dR·R⁻¹, the second upper
    triangular; so C is the strictly lower part of X = Qᵀ·dA·R⁻¹ minus its transpose, dR = (X − C)·R
    and dQ = dA·R⁻¹ − Q·(X − C). Collecting ⟨ḡQ, dQ⟩ + ⟨ḡR, dR⟩ as ⟨·, dA⟩ gives, with
    M = R·ḡRᵀ − ḡQᵀ·Q and copyltu(M) the symmetric matrix of M's lower triangle:
    gA = (ḡQ + Q·copyltu(M))·R⁻ᵀ. For m < n, A = [X | Y] with X square: Q, U = qr(X) and V = Qᵀ·Y,
    so gY = Q·ḡV and gX is the square rule with ḡQ + Y·ḡVᵀ in place of ḡQ. Mode 'r' (no Q) and
    'complete' with m > n (Q's last columns are not determined by A) have no gradient, as in PyTorch.
    """
    if mode not in ("reduced", "complete", "r"):
        raise ConfigError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    a = floating_matrices("linalg.qr", A)
    Q, R = np.linalg.qr(a.data, mode="complete" if mode == "complete" else "reduced")
    return qr_outputs(a, Q, R, mode)


def qr_outputs(a, Q, R, mode: str) -> QRResult:
    """Q and R of ``a`` recorded as :func:`qr`'s outputs, with their rules (also used by the
    differentiable rule of autograd/differentiable_linalg.py, which needs one output beside the other)."""
    X = a.data
    m, n = X.shape[-2:]

    def rule(gQ, gR):
        if mode == "r":
            raise GradError("linalg.qr: mode='r' computes no Q, and the gradient of R depends on it; use "
                            "mode='reduced' to differentiate through qr (as PyTorch asks)")
        if mode == "complete" and m > n:
            raise GradError(f"linalg.qr: with mode='complete' and more rows than columns ({m} > {n}) Q's last "
                            "columns are not determined by A, so qr has no gradient there (as in PyTorch); use "
                            "mode='reduced'")
        gQ = np.zeros_like(Q) if gQ is None else gQ
        gR = np.zeros_like(R) if gR is None else gR
        if m >= n:
            return (_qr_square_rule(Q, R, gQ, gR),)
        U, gU, gV = R[..., :m], gR[..., :m], gR[..., m:]
        gX = _qr_square_rule(Q, U, gQ + X[..., m:] @ T(gV), gU)
        return (np.concatenate([gX, Q @ gV], axis=-1),)

    def backward_Q(g):
        return rule(g, None)

    def backward_R(g):
        return rule(None, g)

    if mode == "r":
        return QRResult(record(np.zeros((0,), X.dtype), (), None, "linalg.qr"),
                        record(R, (a,), backward_R, "linalg.qr"))
    return QRResult(record(Q, (a,), backward_Q, "linalg.qr"), record(R, (a,), backward_R, "linalg.qr"))


def _qr_square_rule(Q, R, gQ, gR):
    """gA = (ḡQ + Q·copyltu(M))·R⁻ᵀ with M = R·ḡRᵀ − ḡQᵀ·Q, for R square (m ≥ n)."""
    M = R @ T(gR) - T(gQ) @ Q
    copyltu = np.tril(M) + T(np.tril(M, -1))
    return _solve_right(gQ + Q @ copyltu, T(R))


def eigh(A, UPLO="L"):
    """(eigenvalues, eigenvectors) of a symmetric A (its lower triangle read, or its upper for
    ``UPLO='U'``): A = V·diag(λ)·Vᵀ, λ ascending, V's columns orthonormal (each up to its sign).

    Rule: dλ = diag(Vᵀ·dA·V) and dV = V·(F ∘ Vᵀ·dA·V), F_ij = 1/(λ_j − λ_i) off the diagonal and 0
    on it; so gA = sym(V·(diag(ḡλ) + F ∘ Vᵀ·ḡV)·Vᵀ). Where two eigenvalues are equal their
    eigenvectors are not determined (any rotation of the pair will do), F is infinite, and the
    gradient of the eigenvectors undefined (infinite or NaN, as PyTorch's); the eigenvalues' is
    still defined. A loss must not depend on the eigenvectors' signs for its gradient to mean anything.
    """
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):  # (either case, as PyTorch's)
        raise ConfigError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    UPLO = UPLO.upper()
    a = floating_matrices("linalg.eigh", A, square=True)
    values, V = np.linalg.eigh(a.data, UPLO=UPLO)
    return eigh_outputs(a, values, V)


def eigh_outputs(a, values, V) -> EighResult:
    """The eigenvalues and eigenvectors of ``a`` recorded as :func:`eigh`'s outputs, with their rules."""

    def backward_values(g):
        return ((V * g[..., None, :]) @ T(V),)

    def backward_vectors(g):
        with np.errstate(invalid="ignore"):  # 0·inf for equal eigenvalues: NaN, undefined
            return (_sym(V @ (_gaps(values) * (T(V) @ g)) @ T(V)),)

    return EighResult(record(values, (a,), backward_values, "linalg.eigh"),
                      record(V, (a,), backward_vectors, "linalg.eigh"))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of a symmetric A, ascending (:func:`eigh`'s, without the eigenvectors)."""
    return eigh(A, UPLO).eigenvalues


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


def svd(A, full_matrices=True):
    """(U, S, Vh) with A = U·diag(S)·Vh, S descending and non-negative, as PyTorch's ``linalg.svd``
    (``full_matrices`` gives U m×m and Vh n×n, else m×k and k×n, k = min(m, n)); each pair of
    singular vectors is determined up to its sign.

    Rule: :func:`_svd_rule`'s, derived from dA = dU·S·Vᵀ + U·dS·Vᵀ + U·S·dVᵀ with Uᵀ·dU and Vᵀ·dV
    skew. With ``full_matrices`` the columns of U and rows of Vh past the k-th span the complement
    of A's and are not determined by it: their gradient is dropped, as PyTorch drops it. Where two
    singular values are equal (or one is 0 in a non-square A) the singular vectors' gradient is
    undefined (infinite or NaN), as PyTorch's; the singular values' is still defined. A loss must
    not depend on the vectors' signs for its gradient to mean anything.
    """
    a = floating_matrices("linalg.svd", A)
    return svd_outputs(a, *np.linalg.svd(a.data, full_matrices=bool(full_matrices)))


def svd_outputs(a, U, s, Vh) -> SVDResult:
    """U, S and Vh of ``a`` (full or reduced) recorded as :func:`svd`'s outputs, with their rules."""
    k = min(a.data.shape[-2:])
    Uk, Vhk = U[..., :k], Vh[..., :k, :]

    def backward_U(g):
        return (_svd_rule(Uk, s, Vhk, g[..., :k], None, None),)

    def backward_S(g):
        return (_svd_rule(Uk, s, Vhk, None, g, None),)

    def backward_Vh(g):
        return (_svd_rule(Uk, s, Vhk, None, None, g[..., :k, :]),)

    return SVDResult(record(U, (a,), backward_U, "linalg.svd"), record(s, (a,), backward_S, "linalg.svd"),
                     record(Vh, (a,), backward_Vh, "linalg.svd"))


def svdvals(A):
    """The singular values of A, descending; their rule is U·diag(ḡS)·Vh (the SVD's, found when
    the backward sweep needs it)."""
    a = floating_matrices("linalg.svdvals", A)
    s = np.linalg.svd(a.data, compute_uv=False)

    def backward(g):
        U, _, Vh = np.linalg.svd(a.data, full_matrices=False)
        return (_svd_rule(U, s, Vh, None, g, None),)

    return record(s, (a,), backward, "linalg.svdvals")


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudoinverse A⁺, by the SVD: V·diag(1/s)·Uᵀ over the singular values s
    above :func:`singular_value_cutoff` (the others taken as 0). ``hermitian=True`` reads A's lower
    triangle as a symmetric matrix's, as PyTorch's (whose eigenvalues' magnitudes are its singular
    values, so the SVD gives the same pseudoinverse).

    Rule (A's rank constant near A), X = A⁺: dX = −X·dA·X + X·Xᵀ·dAᵀ·(I − A·X) + (I − X·A)·dAᵀ·Xᵀ·X,
    so gA = −Xᵀ·ḡ·Xᵀ + (I − A·X)·ḡᵀ·X·Xᵀ + Xᵀ·X·ḡᵀ·(I − X·A), with A the input as given (as PyTorch's,
    also with ``hermitian``).
    """
    a = floating_matrices("linalg.pinv", A, square=bool(hermitian))
    Y = a.data
    m, n = Y.shape[-2:]
    U, s, Vh = np.linalg.svd(symmetric_from_lower(Y) if hermitian else Y, full_matrices=False)
    kept = s > singular_value_cutoff(s, (m, n), atol, rtol)
    with np.errstate(divide="ignore"):
        inverse = np.where(kept, 1 / np.where(kept, s, 1), 0).astype(Y.dtype)
    X = (T(Vh) * inverse[..., None, :]) @ T(U)

    def backward(g):
        eye_m, eye_n = np.eye(m, dtype=Y.dtype), np.eye(n, dtype=Y.dtype)
        return (-T(X) @ g @ T(X) + (eye_m - Y @ X) @ T(g) @ X @ T(X) + T(X) @ X @ T(g) @ (eye_n - X @ Y),)

    return record(X, (a,), backward, "linalg.pinv")


def symmetric_from_lower(X: np.ndarray) -> np.ndarray:
    """The symmetric matrices whose lower triangles are those of ``X`` (what a routine for
    symmetric matrices reads, as LAPACK's with UPLO='L')."""
    return np.tril(X) + T(np.tril(X, -1))


def singular_value_cutoff(s: np.ndarray, shape: tuple, atol, rtol) -> np.ndarray:
    """max(atol, rtol·s_max) for each matrix of singular values ``s`` (descending, on the last axis;
    the cutoff keeps that axis, of length 1) of matrices of ``shape`` (m, n): PyTorch's tolerance of
    ``pinv`` and ``matrix_rank``. Without either tolerance rtol is eps·max(m, n); with atol > 0
    alone it is 0. Each may be a number or a tensor that broadcasts with the batch."""
    eps = np.finfo(s.dtype).eps
    atol = np.zeros(()) if atol is None else np.asarray(getattr(atol, "data", atol), dtype=np.float64)
    if rtol is None:
        rtol = np.where(atol > 0, 0.0, eps * max(shape))
    rtol = np.asarray(getattr(rtol, "data", rtol), dtype=np.float64)
    largest = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    return np.maximum(atol[..., None], rtol[..., None] * largest)
