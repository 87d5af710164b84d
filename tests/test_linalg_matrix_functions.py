"""deltaprop.linalg's functions of square matrices (det, slogdet, inv, solve, matrix_power):
values against numpy.linalg, gradients against central finite differences in float64 (batched
and broadcast too), and the refusals (the PyTorch comparison is reference/test_torch_linalg.py)."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import linalg
from deltaprop.errors import LinAlgError, ShapeError


def well_conditioned(shape, seed=0):
    X = np.random.default_rng(seed).standard_normal(shape)
    return X + shape[-1] * np.eye(shape[-1])


def leaf(array):
    return dp.tensor(array, dtype=np.float64, requires_grad=True)


def gradchecked(fn, *arrays):
    assert dp.gradcheck(fn, [leaf(a) for a in arrays], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 3, 3)])
def test_values_match_numpy(shape):
    A = well_conditioned(shape)
    t = dp.tensor(A, dtype=np.float64)
    np.testing.assert_allclose(linalg.det(t).data, np.linalg.det(A), rtol=1e-12)
    sign, logabsdet = linalg.slogdet(t)
    np.testing.assert_allclose(sign.data, np.linalg.slogdet(A)[0])
    np.testing.assert_allclose(logabsdet.data, np.linalg.slogdet(A)[1], rtol=1e-12)
    np.testing.assert_allclose(linalg.inv(t).data, np.linalg.inv(A), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(linalg.matrix_power(t, 5).data, np.linalg.matrix_power(A, 5), rtol=1e-12)
    np.testing.assert_allclose(linalg.matrix_power(t, -3).data, np.linalg.matrix_power(A, -3), rtol=1e-10,
                               atol=1e-16)


def test_slogdet_is_a_named_pair():
    result = linalg.slogdet(dp.tensor([[-2.0, 0.0], [0.0, 3.0]], dtype=np.float64))
    assert result.sign.item() == -1.0 and result.logabsdet.item() == pytest.approx(np.log(6.0))
    sign, logabsdet = result
    assert sign is result.sign and logabsdet is result.logabsdet


@pytest.mark.parametrize("name", ["det", "logabsdet", "inv"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)])
def test_gradients_match_finite_differences(name, shape):
    fn = {"det": linalg.det, "logabsdet": lambda t: linalg.slogdet(t).logabsdet, "inv": linalg.inv}[name]
    gradchecked(fn, well_conditioned(shape, seed=1))


def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix():
    A = leaf([[1.0, 2.0], [2.0, 4.0]])  # rank 1: det 0, cofactors [[4, -2], [-2, 1]]
    linalg.det(A).backward()
    np.testing.assert_allclose(A.grad, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    gradchecked(linalg.det, np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]))


def test_det_gradient_of_a_negative_determinant():
    gradchecked(linalg.det, np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [0.3, 0.1, 1.0]]))


@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 4)), ((2, 1, 3, 3), (4, 3, 2)),
    ((3, 3), (5, 3, 1)),
])
def test_solve_values_and_gradients(a_shape, b_shape):
    A, B = well_conditioned(a_shape, seed=2), np.random.default_rng(3).standard_normal(b_shape)
    X = linalg.solve(dp.tensor(A, dtype=np.float64), dp.tensor(B, dtype=np.float64)).data
    vectors = len(b_shape) == 1 or b_shape == a_shape[:-1]
    product = A @ (X[..., None] if vectors else X)
    np.testing.assert_allclose(product, np.broadcast_to(B[..., None] if vectors else B, product.shape), atol=1e-12)
    gradchecked(linalg.solve, A, B)


def test_solve_on_the_right():
    A, B = well_conditioned((2, 3, 3), seed=4), np.random.default_rng(5).standard_normal((4, 3))
    X = linalg.solve(dp.tensor(A, dtype=np.float64), dp.tensor(B, dtype=np.float64), left=False).data
    np.testing.assert_allclose(X @ A, np.broadcast_to(B, (2, 4, 3)), atol=1e-12)
    gradchecked(lambda a, b: linalg.solve(a, b, left=False), A, B)


@pytest.mark.parametrize("n", [1, 2, 3, 6, -1, -2])
def test_matrix_power_gradient(n):
    gradchecked(lambda a: linalg.matrix_power(a, n), well_conditioned((2, 3, 3), seed=6) / 3)


def test_matrix_power_zero_is_the_identity_with_a_zero_gradient():
    A = leaf(well_conditioned((2, 3, 3)))
    out = linalg.matrix_power(A, 0)
    np.testing.assert_array_equal(out.data, np.broadcast_to(np.eye(3), (2, 3, 3)))
    out.sum().backward()
    np.testing.assert_array_equal(A.grad, np.zeros((2, 3, 3)))


def test_matrix_power_one_is_a_new_tensor():
    A = leaf(well_conditioned((3, 3)))
    assert linalg.matrix_power(A, 1) is not A


@pytest.mark.parametrize("call,error,message", [
    (lambda: linalg.det(dp.ones(2, 3)), ShapeError, r"linalg.det: A must be a square matrix .* shape \(2, 3\)"),
    (lambda: linalg.slogdet(dp.ones(4, 2, 3)), ShapeError, r"linalg.slogdet: A must be a square matrix"),
    (lambda: linalg.inv(dp.ones(3)), ShapeError, r"linalg.inv: A must be a matrix .* got shape \(3,\)"),
    (lambda: linalg.inv(dp.tensor([[1, 2], [3, 4]])), TypeError, "linalg.inv: expects a float32 or float64 tensor"),
    (lambda: linalg.inv(dp.zeros(3, 3)), LinAlgError, r"linalg.inv: the matrix of shape \(3, 3\) is singular"),
    (lambda: linalg.inv(dp.tensor(np.stack([np.eye(2), np.zeros((2, 2))]))), LinAlgError,
     r"linalg.inv: a matrix of the batch of shape \(2, 2, 2\) is singular"),
    (lambda: linalg.solve(dp.zeros(3, 3), dp.ones(3)), LinAlgError, "linalg.solve: the matrix .* is singular"),
    (lambda: linalg.solve(dp.eye(3), dp.ones(2, 3)), ShapeError, r"linalg.solve: A of shape \(3, 3\) and B of shape "
                                                                 r"\(2, 3\) do not fit"),
    (lambda: linalg.solve(dp.eye(3), dp.ones(3, dtype=np.float64)), TypeError, "A and B must have one dtype"),
    (lambda: linalg.solve(dp.eye(3), dp.ones(3), left=False), ShapeError, "with left=False B must be a matrix"),
    (lambda: linalg.solve(dp.ones(2, 3, 3), dp.ones(4, 3, 1)), ShapeError, "batch dimensions .* cannot be broadcast"),
    (lambda: linalg.matrix_power(dp.ones(2, 3), 2), ShapeError, "linalg.matrix_power: A must be a square matrix"),
    (lambda: linalg.matrix_power(dp.eye(2), 1.5), TypeError, "linalg.matrix_power: n must be an integer, got 1.5"),
    (lambda: linalg.matrix_power(dp.zeros(2, 2), -1), LinAlgError, "linalg.inv: the matrix .* is singular"),
])
def test_refusals_name_the_function_and_the_shape(call, error, message):
    with pytest.raises(error, match=message):
        call()
