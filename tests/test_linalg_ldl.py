"""linalg.ldl_factor and ldl_solve on their own: P·A·Pᵀ = L·D·Lᵀ rebuilt from the compact form,
solutions of A·X = B against SciPy, ldl_solve's gradient in B against finite differences, refusals."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import linalg
from deltaprop.errors import ConfigError, ShapeError

R = np.random.default_rng(7)


def symmetric(n, zero_diagonal=False):
    A = R.standard_normal((n, n))
    A = A + A.T
    if zero_diagonal:
        A[np.arange(n), np.arange(n)] = 0.0
    return A


@pytest.mark.parametrize("n", [1, 2, 4, 7, 10])
@pytest.mark.parametrize("zero_diagonal", [False, True])
def test_solutions_match_scipy(n, zero_diagonal):
    scipy_linalg = pytest.importorskip("scipy.linalg")
    if n == 1 and zero_diagonal:
        zero_diagonal = False  # (a 1×1 zero is singular)
    A = symmetric(n, zero_diagonal)
    B = R.standard_normal((n, 3))
    LD, pivots = linalg.ldl_factor(A)
    X = linalg.ldl_solve(LD, pivots, B)
    np.testing.assert_allclose(X.numpy(), scipy_linalg.solve(A, B, assume_a="sym"), rtol=1e-8, atol=1e-10)


def test_the_blocks_are_those_of_scipy_ldl():
    """SciPy's ldl (the same sytrf) gives D; ours has the same diagonal blocks."""
    scipy_linalg = pytest.importorskip("scipy.linalg")
    A = symmetric(6, zero_diagonal=True)
    LD = linalg.ldl_factor(A).LD.numpy()
    pivots = linalg.ldl_factor(A).pivots.numpy()
    _, D, _ = scipy_linalg.ldl(A, lower=True)
    # the subdiagonal of D is LD's only at the first row of a 2×2 block
    first = np.zeros(6, dtype=bool)
    k = 0
    while k < 6:
        first[k] = pivots[k] < 0
        k += 2 if pivots[k] < 0 else 1
    sub = np.where(first[:-1], np.diag(LD, -1), 0.0)
    blocks = np.diag(np.diag(LD)) + np.diag(sub, -1) + np.diag(sub, 1)
    np.testing.assert_allclose(blocks, D, rtol=1e-10, atol=1e-12)


def test_ldl_solve_gradient_in_b_matches_finite_differences():
    A = symmetric(5, zero_diagonal=True)
    LD, pivots = linalg.ldl_factor(A)
    B = dp.tensor(R.standard_normal((5, 2)), dtype="float64", requires_grad=True)
    assert dp.gradcheck(lambda b: linalg.ldl_solve(LD, pivots, b), [B])


@pytest.mark.parametrize("call, error, match", [
    (lambda: linalg.ldl_factor(np.ones(3)), ShapeError, "matrix"),
    (lambda: linalg.ldl_factor(np.eye(3), hermitian="yes"), ConfigError, "hermitian"),
    (lambda: linalg.ldl_factor(np.eye(3, dtype=np.int64)), TypeError, "float32 or float64"),
    (lambda: linalg.ldl_solve(np.eye(3), np.array([1, 2, 3], np.int32), np.ones((2, 1))), ShapeError, "B must"),
    (lambda: linalg.ldl_solve(np.eye(3), np.array([1, 2], np.int32), np.ones((3, 1))), ShapeError, "pivots"),
    (lambda: linalg.ldl_solve(np.eye(3), np.array([1, 0, 3], np.int32), np.ones((3, 1))), ValueError, "pivots"),
])
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()
