"""PyTorch's top-level linear-algebra names and the LU factorization without PyTorch (the comparison
with it is reference/test_torch_linalg_forms.py): A = P·L·U with LAPACK's pivots, gradients against
central finite differences in float64 (square, tall, wide and batched LU, lu_solve in LU and B, the
triangle-only gradients of cholesky_solve and cholesky_inverse), second derivatives by
gradgradcheck, and the forms each old name takes."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import LinAlgError


def _f(values, requires_grad=False):
    return dp.tensor(values, dtype=np.float64, requires_grad=requires_grad)


def _general(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    if shape[-1] == shape[-2]:
        x = x + 2 * np.eye(shape[-1])
    return x


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 4), (3, 2, 3), (1, 1)])
def test_lu_reconstructs_its_matrix_with_partial_pivoting(shape):
    a = np.random.default_rng(1).standard_normal(shape)
    P, L, U = dp.linalg.lu(_f(a))
    k = min(shape[-2:])
    assert P.shape == shape[:-1] + (shape[-2],) and L.shape == shape[:-1] + (k,) and U.shape == shape[:-2] + (k, shape[-1])
    np.testing.assert_allclose((P @ L @ U).data, a, atol=1e-13)
    np.testing.assert_array_equal(np.triu(L.data, 1), 0)
    np.testing.assert_array_equal(np.diagonal(L.data, axis1=-2, axis2=-1), 1)
    assert np.all(np.abs(L.data) <= 1 + 1e-15)  # each pivot the largest of its column
    LU, pivots = dp.linalg.lu_factor(_f(a))
    P2, L2, U2 = dp.lu_unpack(LU, pivots)
    for mine, again in zip((P, L, U), (P2, L2, U2)):
        np.testing.assert_array_equal(mine.data, again.data)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 3)])
def test_lu_factor_gradient_matches_finite_differences(shape):
    assert dp.gradcheck(lambda x: dp.linalg.lu_factor(x).LU, [_f(_general(shape), True)], atol=1e-7, rtol=1e-6)
    assert dp.gradcheck(lambda x: dp.linalg.lu(x)[1:], [_f(_general(shape, 1), True)], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_lu_factor_second_derivatives_match_finite_differences(shape):
    assert dp.gradgradcheck(lambda x: dp.linalg.lu_factor(x).LU, [_f(_general(shape, 2), True)], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("left, adjoint", [(True, False), (True, True), (False, False), (False, True)])
def test_lu_solve_solves_and_its_gradients_reach_lu_and_b(left, adjoint):
    a, b = _general((2, 3, 3), 3), np.random.default_rng(4).standard_normal((2, 3, 2) if left else (2, 2, 3))
    LU, pivots = dp.linalg.lu_factor(_f(a))
    x = dp.linalg.lu_solve(LU, pivots, _f(b), left=left, adjoint=adjoint).data
    matrix = np.swapaxes(a, -1, -2) if adjoint else a
    np.testing.assert_allclose(matrix @ x if left else x @ matrix, b, atol=1e-12)

    def solve(lu, rhs):
        return dp.linalg.lu_solve(lu, pivots, rhs, left=left, adjoint=adjoint)

    assert dp.gradcheck(solve, [_f(LU.data, True), _f(b, True)], atol=1e-7, rtol=1e-6)
    assert dp.gradgradcheck(lambda m, rhs: dp.linalg.lu_solve(*dp.linalg.lu_factor(m), rhs, left=left, adjoint=adjoint),
                            [_f(a[0], True), _f(b[0], True)], atol=1e-6, rtol=1e-5)


def test_lu_solve_old_order_and_lu_with_infos():
    a, b = _general((3, 3), 5), np.random.default_rng(6).standard_normal((3, 2))
    x = dp.lu_solve(_f(b), *dp.lu(_f(a)))
    np.testing.assert_allclose(a @ x.data, b, atol=1e-12)
    np.testing.assert_allclose(_f(b).lu_solve(*_f(a).lu()).data, x.data)
    LU, pivots, info = dp.lu(_f([[1.0, 2.0], [2.0, 4.0]]), get_infos=True)
    assert info.data == 2 and pivots.data.tolist() == [2, 2]
    with pytest.raises(LinAlgError, match="U\\[1, 1\\]"):
        dp.lu(_f([[1.0, 2.0], [2.0, 4.0]]))
    ex = dp.linalg.lu_factor_ex(_f(np.zeros((2, 3, 3))))
    np.testing.assert_array_equal(ex.info.data, [1, 1])
    with pytest.raises(LinAlgError, match="a matrix of the batch"):
        dp.linalg.lu_factor_ex(_f(np.zeros((2, 3, 3))), check_errors=True)


def _spd(n, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, n))
    return x @ x.T + n * np.eye(n)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse_use_and_differentiate_only_the_factors_triangle(upper):
    a, b = _spd(3, 7), np.random.default_rng(8).standard_normal((3, 2))
    factor = np.linalg.cholesky(a)
    factor = factor.T.copy() if upper else factor
    np.testing.assert_allclose(dp.cholesky_solve(_f(b), _f(factor), upper=upper).data, np.linalg.solve(a, b),
                               rtol=1e-12)
    np.testing.assert_allclose(dp.cholesky_inverse(_f(factor), upper=upper).data, np.linalg.inv(a), rtol=1e-12)
    noise = np.triu(np.ones((3, 3)), 1) if not upper else np.tril(np.ones((3, 3)), -1)  # the other triangle
    np.testing.assert_allclose(dp.cholesky_inverse(_f(factor + 5 * noise), upper=upper).data, np.linalg.inv(a),
                               rtol=1e-12)
    leaf = _f(factor, True)
    dp.cholesky_inverse(leaf, upper=upper).sum().backward()
    np.testing.assert_array_equal(leaf.grad * noise, 0)
    assert dp.gradcheck(lambda l, r: dp.cholesky_solve(r, l, upper=upper), [_f(factor, True), _f(b, True)],
                        atol=1e-7, rtol=1e-6)
    assert dp.gradcheck(lambda l: dp.cholesky_inverse(l, upper=upper), [_f(factor, True)], atol=1e-7, rtol=1e-6)


def test_old_names_are_linalgs_functions():
    a = _general((3, 3), 9)
    t = _f(a)
    np.testing.assert_allclose(dp.det(t).data, np.linalg.det(a))
    np.testing.assert_allclose(t.logdet().data, np.log(np.linalg.det(a)))
    np.testing.assert_allclose(dp.inverse(t).data, np.linalg.inv(a))
    np.testing.assert_allclose(t.pinverse().data, np.linalg.pinv(a), atol=1e-14)
    np.testing.assert_allclose(dp.matrix_power(t, 3).data, np.linalg.matrix_power(a, 3))
    np.testing.assert_allclose(t.matrix_exp().data, dp.linalg.matrix_exp(t).data)
    s = _f(_spd(3))
    np.testing.assert_allclose(s.cholesky(upper=True).data, np.linalg.cholesky(_spd(3)).T)
    q, r = dp.qr(_f(_general((4, 3))), some=False)
    assert q.shape == (4, 4) and r.shape == (4, 3)
    u, s_, v = _f(_general((4, 3))).svd()
    np.testing.assert_allclose(((u * s_.unsqueeze(-2)) @ v.mT).data, _general((4, 3)), atol=1e-13)
    solution, copy = dp.triangular_solve(_f(np.ones((3, 1))), _f(np.triu(a)), transpose=True)
    np.testing.assert_allclose(np.triu(a).T @ solution.data, np.ones((3, 1)), atol=1e-13)
    np.testing.assert_array_equal(copy.data, np.triu(a))
    chain = dp.chain_matmul(_f(a), _f(a), _f(a))
    np.testing.assert_allclose(chain.data, a @ a @ a)


def test_second_derivatives_through_the_old_forms():
    a, b = _spd(3, 10), np.random.default_rng(11).standard_normal((3, 2))
    assert dp.gradgradcheck(lambda x: dp.logdet(x @ x.mT + dp.eye(3, dtype=dp.float64)), [_f(a, True)])
    assert dp.gradgradcheck(lambda x, r: dp.cholesky_solve(r, dp.linalg.cholesky(x @ x.mT + 3 * dp.eye(3, dtype=dp.float64))),
                            [_f(a, True), _f(b, True)], atol=1e-6, rtol=1e-5)
    assert dp.gradgradcheck(lambda x: dp.svd(x)[1], [_f(_general((4, 3), 12), True)])
