"""deltaprop.linalg's decompositions (cholesky, qr, eigh, eigvalsh, svd, svdvals, pinv): values
against numpy.linalg (and the defining identities), gradients against central finite differences
in float64, batched, through sign-invariant expressions of the vectors, and the refusals (the
PyTorch comparison is reference/test_torch_linalg.py)."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import linalg
from deltaprop.errors import ConfigError, GradError, LinAlgError, ShapeError


def sample(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(array):
    return dp.tensor(array, dtype=np.float64, requires_grad=True)


def gradchecked(fn, *arrays):
    assert dp.gradcheck(fn, [leaf(a) for a in arrays], atol=1e-6, rtol=1e-5)


def spd(X):
    """X·Xᵀ + n·I: symmetric positive-definite, from any X (so finite differences may move X freely)."""
    return X @ X.mT + X.shape[-1] * dp.eye(X.shape[-1], dtype=np.float64)


def symmetric(X):
    return X + X.mT


WEIGHTS = sample((4, 4), seed=99)


def weighted_squares(V):
    """Σ-ready V∘V∘w (w fixed): blind to each column's sign, as a loss of eigen/singular vectors must be."""
    return V * V * dp.tensor(WEIGHTS[: V.shape[-2], : V.shape[-1]], dtype=np.float64)


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
def test_cholesky_values_and_gradient(shape):
    X = sample(shape)
    A = X @ np.swapaxes(X, -1, -2) + shape[-1] * np.eye(shape[-1])
    L = linalg.cholesky(dp.tensor(A, dtype=np.float64)).data
    np.testing.assert_allclose(L, np.linalg.cholesky(A), rtol=1e-12)
    np.testing.assert_allclose(linalg.cholesky(dp.tensor(A, dtype=np.float64), upper=True).data,
                               np.swapaxes(L, -1, -2))
    gradchecked(lambda x: linalg.cholesky(spd(x)), X)
    gradchecked(lambda x: linalg.cholesky(spd(x), upper=True), X)


def test_cholesky_gradient_is_symmetric():
    A = leaf(np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]))
    (linalg.cholesky(A) * dp.tensor(WEIGHTS[:3, :3], dtype=np.float64)).sum().backward()
    np.testing.assert_allclose(A.grad, A.grad.T, atol=1e-14)


@pytest.mark.parametrize("shape,mode", [((5, 3), "reduced"), ((3, 3), "reduced"), ((3, 5), "reduced"),
                                        ((2, 4, 3), "reduced"), ((3, 5), "complete"), ((4, 4), "complete")])
def test_qr_values_and_gradient(shape, mode):
    X = sample(shape, seed=1)
    Q, R = linalg.qr(dp.tensor(X, dtype=np.float64), mode)
    Qn, Rn = np.linalg.qr(X, mode=mode)
    np.testing.assert_allclose(Q.data, Qn, atol=1e-12)
    np.testing.assert_allclose(R.data, Rn, atol=1e-12)
    gradchecked(lambda x: linalg.qr(x, mode).Q, X)
    gradchecked(lambda x: linalg.qr(x, mode).R, X)


def test_qr_mode_r_gives_r_alone_and_no_gradient():
    X = leaf(sample((4, 3)))
    Q, R = linalg.qr(X, "r")
    assert Q.shape == (0,)
    np.testing.assert_allclose(R.data, np.linalg.qr(X.data, mode="r"), atol=1e-12)
    with pytest.raises(GradError, match="linalg.qr: mode='r' computes no Q"):
        R.sum().backward()


def test_qr_complete_of_a_tall_matrix_has_no_gradient():
    X = leaf(sample((4, 3)))
    with pytest.raises(GradError, match=r"mode='complete' and more rows than columns \(4 > 3\)"):
        linalg.qr(X, "complete").Q.sum().backward()


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
@pytest.mark.parametrize("UPLO", ["L", "U"])
def test_eigh_values_and_gradients(shape, UPLO):
    X = sample(shape, seed=2)
    A = X + np.swapaxes(X, -1, -2)
    values, vectors = linalg.eigh(dp.tensor(A, dtype=np.float64), UPLO)
    np.testing.assert_allclose(values.data, np.linalg.eigvalsh(A), rtol=1e-12, atol=1e-12)
    reconstructed = (vectors.data * values.data[..., None, :]) @ np.swapaxes(vectors.data, -1, -2)
    np.testing.assert_allclose(reconstructed, A, atol=1e-12)
    np.testing.assert_allclose(linalg.eigvalsh(dp.tensor(A, dtype=np.float64), UPLO).data, values.data)
    gradchecked(lambda x: linalg.eigh(symmetric(x), UPLO).eigenvalues, X)
    gradchecked(lambda x: weighted_squares(linalg.eigh(symmetric(x), UPLO).eigenvectors), X)
    gradchecked(lambda x: linalg.eigvalsh(symmetric(x), UPLO), X)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 4, 3)])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_svd_values_and_gradients(shape, full_matrices):
    X = sample(shape, seed=3)
    U, S, Vh = linalg.svd(dp.tensor(X, dtype=np.float64), full_matrices)
    np.testing.assert_allclose(S.data, np.linalg.svd(X, compute_uv=False), rtol=1e-12)
    k = min(shape[-2:])
    np.testing.assert_allclose((U.data[..., :k] * S.data[..., None, :]) @ Vh.data[..., :k, :], X, atol=1e-12)
    assert U.shape[-1] == (shape[-2] if full_matrices else k) and Vh.shape[-2] == (shape[-1] if full_matrices else k)
    np.testing.assert_allclose(linalg.svdvals(dp.tensor(X, dtype=np.float64)).data, S.data, rtol=1e-12)
    gradchecked(lambda x: linalg.svd(x, full_matrices).S, X)
    gradchecked(lambda x: linalg.svdvals(x), X)
    if not full_matrices:  # the extra columns of the full U and Vh are not functions of A
        gradchecked(lambda x: weighted_squares(linalg.svd(x, False).U), X)
        gradchecked(lambda x: weighted_squares(linalg.svd(x, False).Vh), X)
        # U·diag(c)·Vh: the signs of each pair cancel
        gradchecked(lambda x: (lambda r: (r.U * dp.tensor(np.arange(1.0, k + 1), dtype=np.float64)) @ r.Vh)(
            linalg.svd(x, False)), X)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 4, 3)])
def test_pinv_values_and_gradient(shape):
    X = sample(shape, seed=4)
    np.testing.assert_allclose(linalg.pinv(dp.tensor(X, dtype=np.float64)).data, np.linalg.pinv(X), atol=1e-12)
    gradchecked(linalg.pinv, X)


def test_pinv_of_a_rank_deficient_matrix_cuts_the_zero_singular_value():
    X = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])  # rank 1
    np.testing.assert_allclose(linalg.pinv(dp.tensor(X, dtype=np.float64)).data, np.linalg.pinv(X), atol=1e-12)
    np.testing.assert_allclose(linalg.pinv(dp.tensor(X, dtype=np.float64), atol=100.0).data, np.zeros((2, 3)))


def test_eigh_vector_gradient_of_repeated_eigenvalues_is_undefined_not_silently_finite():
    A = leaf(np.eye(3))
    linalg.eigh(A).eigenvectors.sum().backward()
    assert not np.isfinite(A.grad).all()


@pytest.mark.parametrize("call,error,message", [
    (lambda: linalg.cholesky(-dp.eye(3)), LinAlgError,
     r"linalg.cholesky: the matrix of shape \(3, 3\) is not positive-definite"),
    (lambda: linalg.cholesky(dp.ones(2, 3)), ShapeError, r"linalg.cholesky: A must be a square matrix .* \(2, 3\)"),
    (lambda: linalg.eigh(dp.ones(2, 3)), ShapeError, r"linalg.eigh: A must be a square matrix"),
    (lambda: linalg.eigh(dp.eye(2), "X"), ConfigError, "linalg.eigh: UPLO must be 'L' or 'U', got 'X'"),
    (lambda: linalg.qr(dp.eye(2), "x"), ConfigError, "linalg.qr: mode must be 'reduced', 'complete' or 'r'"),
    (lambda: linalg.svd(dp.ones(3)), ShapeError, r"linalg.svd: A must be a matrix .* got shape \(3,\)"),
    (lambda: linalg.svdvals(dp.tensor([[1, 2]])), TypeError, "linalg.svdvals: expects a float32 or float64 tensor"),
    (lambda: linalg.pinv(dp.ones((2, 3)), hermitian=True), ShapeError, r"linalg.pinv: A must be a square matrix"),
])
def test_refusals_name_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call()
