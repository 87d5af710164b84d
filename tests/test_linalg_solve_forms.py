"""deltaprop.linalg's solve_ex, tensorsolve, tensorinv, householder_product (Tensor.orgqr, torch.orgqr),
vander and diagonal: values against NumPy and closed forms, first derivatives against central finite
differences and second ones by gradgradcheck (all are compositions of differentiable operations),
in float64, and the refusals. PyTorch comparisons: tests/reference/test_torch_linalg_solve_forms.py."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import linalg
from deltaprop.errors import ConfigError, LinAlgError, ShapeError

RNG = np.random.default_rng(3)


def T(array, grad=False):
    return dp.tensor(np.asarray(array, dtype=np.float64), dtype=np.float64, requires_grad=grad)


def derivatives_checked(fn, *arrays):
    inputs = [T(a, True) for a in arrays]
    assert dp.gradcheck(fn, inputs, atol=1e-6, rtol=1e-5)
    assert dp.gradgradcheck(fn, inputs, atol=1e-5, rtol=1e-4)


def test_solve_ex_solves_and_reports_zero_info():
    A, B = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3), RNG.normal(size=(2, 3, 2))
    X, info = linalg.solve_ex(T(A), T(B))
    np.testing.assert_allclose(X.data, np.linalg.solve(A, B), rtol=1e-12)
    assert info.dtype == np.int32 and info.tolist() == [0, 0]
    derivatives_checked(lambda a, b: linalg.solve_ex(a, b, left=False).result, A, B.swapaxes(-1, -2))


def test_solve_ex_marks_singular_matrices_with_nan_and_their_pivot():
    A = np.stack([np.eye(3) * 2, np.zeros((3, 3)), [[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]])
    B = RNG.normal(size=(3, 3))
    a = T(A, True)
    X, info = linalg.solve_ex(a, T(B))
    assert info.tolist() == [0, 1, 3]
    np.testing.assert_allclose(X.data[0], B[0] / 2, rtol=1e-12)
    assert np.isnan(X.data[1:]).all()
    X[0].sum().backward()  # the invertible matrix still has its gradient, the others none
    grad = np.asarray(a.grad)
    np.testing.assert_allclose(grad[0], -np.outer(np.ones(3) / 2, B[0] / 2), rtol=1e-12)
    assert not grad[1:].any()
    with pytest.raises(LinAlgError, match="singular"):
        linalg.solve_ex(T(A), T(B), check_errors=True)


def test_tensorinv_inverts_a_tensor_read_as_a_matrix():
    A = (RNG.normal(size=(4, 4)) + 4 * np.eye(4)).reshape(2, 2, 4)
    inverse = linalg.tensorinv(T(A), ind=2)
    assert inverse.shape == (4, 2, 2)
    np.testing.assert_allclose(np.tensordot(inverse.data, A, 2), np.eye(4), atol=1e-12)
    np.testing.assert_allclose(inverse.data, np.linalg.tensorinv(A, 2), rtol=1e-12)
    derivatives_checked(lambda a: linalg.tensorinv(a, ind=1), A.reshape(4, 2, 2))
    with pytest.raises(ConfigError, match="ind must be a positive integer"):
        linalg.tensorinv(T(A), ind=0)
    with pytest.raises(ShapeError, match="equal products"):
        linalg.tensorinv(T(RNG.normal(size=(2, 3, 4))), ind=2)


def test_tensorsolve_with_and_without_dims():
    A, B = RNG.normal(size=(2, 3, 6)) + np.eye(6).reshape(2, 3, 6) * 3, RNG.normal(size=(2, 3))
    X = linalg.tensorsolve(T(A), T(B))
    np.testing.assert_allclose(X.data, np.linalg.tensorsolve(A, B), rtol=1e-12)
    moved = np.moveaxis(A, -1, 0)
    np.testing.assert_allclose(linalg.tensorsolve(T(moved), T(B), dims=(0,)).data, X.data, rtol=1e-12)
    derivatives_checked(lambda a, b: linalg.tensorsolve(a, b, dims=0), moved, B)
    with pytest.raises(ShapeError, match="must begin with B's shape"):
        linalg.tensorsolve(T(A), T(RNG.normal(size=(3, 2))))


def householder_reference(A, tau):
    m, n = A.shape
    Q = np.eye(m)
    for i, t in enumerate(tau):
        v = np.concatenate([np.zeros(i), [1.0], A[i + 1:, i]])
        Q = Q @ (np.eye(m) - t * np.outer(v, v))
    return Q[:, :n]


def test_householder_product_rebuilds_q_of_a_qr_factorization():
    A, tau = RNG.normal(size=(2, 5, 3)), RNG.normal(size=(2, 2))
    Q = linalg.householder_product(T(A), T(tau))
    for k in range(2):
        np.testing.assert_allclose(Q.data[k], householder_reference(A[k], tau[k]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(T(A).orgqr(T(tau)).data, Q.data, rtol=0)
    np.testing.assert_allclose(dp.orgqr(T(A), T(tau)).data, Q.data, rtol=0)
    # reflectors with τ = 2/‖v‖² are orthogonal, so Q has orthonormal columns
    V = np.tril(A[0], -1) + np.eye(5, 3)
    ortho = linalg.householder_product(T(A[0]), T(2 / (V ** 2).sum(0)))
    np.testing.assert_allclose(ortho.data.T @ ortho.data, np.eye(3), atol=1e-12)
    derivatives_checked(linalg.householder_product, A[0], tau[0])


@pytest.mark.parametrize("A_shape, tau_shape, match", [
    ((3, 5), (2,), "at least as many rows"),
    ((5, 3), (4,), "at most as many scales"),
    ((5, 3), (3, 2), "batch shape"),
])
def test_householder_product_refuses_bad_shapes(A_shape, tau_shape, match):
    with pytest.raises(ShapeError, match=match):
        linalg.householder_product(T(RNG.normal(size=A_shape)), T(RNG.normal(size=tau_shape)))


def test_vander_and_diagonal():
    x = np.array([[0.0, 2.0, -1.5], [1.0, 0.5, 3.0]])
    np.testing.assert_allclose(linalg.vander(T(x), N=4).data, np.stack([np.vander(r, 4, increasing=True) for r in x]))
    assert linalg.vander(dp.tensor([1, 2, 3])).tolist() == [[1, 1, 1], [1, 2, 4], [1, 3, 9]]
    derivatives_checked(lambda v: linalg.vander(v, N=4), x)  # finite at zero
    for bad in (1, 0, 2.0):
        with pytest.raises(ShapeError, match="N must be an integer greater than 1"):
            linalg.vander(T(x), N=bad)
    with pytest.raises(ShapeError, match="at least one dimension"):
        linalg.vander(T(2.0))
    A = RNG.normal(size=(2, 3, 4))
    np.testing.assert_allclose(linalg.diagonal(T(A), offset=1).data, np.diagonal(A, 1, -2, -1))
    np.testing.assert_allclose(linalg.diagonal(T(A), dim1=0, dim2=2).data, np.diagonal(A, 0, 0, 2))
