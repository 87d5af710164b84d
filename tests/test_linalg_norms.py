"""deltaprop.linalg's norms (vector_norm, matrix_norm, norm): values against numpy.linalg, gradients
against central finite differences in float64, the subgradients at 0, and the refusals (the
PyTorch comparison is reference/test_torch_linalg.py)."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import linalg
from deltaprop.errors import ConfigError, ShapeError

INF = np.inf


def away_from_zero(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.0, size=shape)


def leaf(array):
    return dp.tensor(array, dtype=np.float64, requires_grad=True)


@pytest.mark.parametrize("ord", [2, 1, INF, -INF, 0, 3, 0.5, -1, 1.5])
@pytest.mark.parametrize("dim", [None, 1, (0, 2), -1])
def test_vector_norm_values_match_numpy(ord, dim):
    x = away_from_zero((2, 3, 4))
    x[0, 1, 2] = 0.0  # a zero: the count for ord 0, the 0 of a negative p along its slice
    out = linalg.vector_norm(dp.tensor(x, dtype=np.float64), ord, dim)
    axes = tuple(range(3)) if dim is None else (dim,) if isinstance(dim, int) else dim
    moved = np.moveaxis(x, axes, tuple(range(-len(axes), 0))).reshape(out.shape + (-1,))
    with np.errstate(divide="ignore"):
        expected = np.linalg.norm(moved, ord, axis=-1)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ord", [2, 1, INF, -INF, 3, 0.5, -1, 1.5, -2.5])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, True), ((0, 2), False), ((), True)])
def test_vector_norm_gradient_matches_finite_differences(ord, dim, keepdim):
    x = leaf(away_from_zero((2, 3, 4), seed=1))
    assert dp.gradcheck(lambda t: linalg.vector_norm(t, ord, dim, keepdim), [x], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("ord", [2, 1, 0.5, -1, 3, 1.5, INF])
def test_vector_norm_gradient_is_zero_at_zero(ord):
    x = leaf(np.zeros(4))
    linalg.vector_norm(x, ord).backward()
    np.testing.assert_array_equal(x.grad, np.zeros(4))


def test_vector_norm_of_order_zero_counts_and_passes_no_gradient():
    x = leaf([0.0, 2.0, -3.0, 0.0])
    out = linalg.vector_norm(x, 0)
    assert out.item() == pytest.approx(2.0)
    out.backward()
    np.testing.assert_array_equal(x.grad, np.zeros(4))


def test_vector_norm_inf_shares_the_gradient_among_ties():
    x = leaf([3.0, -3.0, 1.0])
    linalg.vector_norm(x, INF).backward()
    np.testing.assert_allclose(x.grad, [0.5, -0.5, 0.0])


def test_vector_norm_dtype_widens_and_keeps_the_gradient_in_the_input_dtype():
    x = dp.tensor([3.0, 4.0], dtype=np.float32, requires_grad=True)
    out = linalg.vector_norm(x, dtype=np.float64)
    assert out.dtype == np.float64 and out.item() == pytest.approx(5.0)
    out.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [0.6, 0.8], rtol=1e-6)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, INF, -INF])
@pytest.mark.parametrize("dim,keepdim", [((-2, -1), False), ((0, 2), True), ((2, 0), False)])
def test_matrix_norm_values_match_numpy(ord, dim, keepdim):
    A = away_from_zero((3, 2, 4), seed=2)
    out = linalg.matrix_norm(dp.tensor(A, dtype=np.float64), ord, dim, keepdim)
    expected = np.linalg.norm(A, ord, axis=dim, keepdims=keepdim)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, INF, -INF])
def test_matrix_norm_gradient_matches_finite_differences(ord):
    A = leaf(away_from_zero((2, 3, 4), seed=3))
    assert dp.gradcheck(lambda t: linalg.matrix_norm(t, ord), [A], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("ord,dim,expected", [
    (None, None, lambda x: np.sqrt((x * x).sum())),
    (None, 1, lambda x: np.linalg.norm(x, axis=1)),
    (1, (1,), lambda x: np.abs(x).sum(axis=1)),
    (None, (0, 2), lambda x: np.linalg.norm(x, "fro", axis=(0, 2))),
    ("nuc", (2, 1), lambda x: np.linalg.norm(x, "nuc", axis=(2, 1))),
])
def test_norm_dispatches_as_pytorch(ord, dim, expected):
    x = away_from_zero((2, 3, 4), seed=4)
    out = linalg.norm(dp.tensor(x, dtype=np.float64), ord, dim)
    np.testing.assert_allclose(out.data, expected(x), rtol=1e-12)


def test_norm_with_ord_and_no_dim_takes_a_vector_or_a_matrix():
    v, M = away_from_zero((5,)), away_from_zero((3, 4))
    assert linalg.norm(dp.tensor(v, dtype=np.float64), 3).item() == pytest.approx(np.linalg.norm(v, 3))
    assert linalg.norm(dp.tensor(M, dtype=np.float64), 2).item() == pytest.approx(np.linalg.norm(M, 2))


@pytest.mark.parametrize("call,error,message", [
    (lambda: linalg.vector_norm(dp.ones(3), "fro"), ConfigError, "linalg.vector_norm: ord must be a number"),
    (lambda: linalg.vector_norm(dp.tensor([1, 2])), TypeError, "linalg.vector_norm: not implemented for int64"),
    (lambda: linalg.vector_norm(dp.zeros(0), -1), ShapeError, "the -1 norm of no elements is undefined"),
    (lambda: linalg.vector_norm(dp.ones(3, dtype=np.float64), dtype=np.float32), TypeError,
     "dtype float32 is narrower than the input's float64"),
    (lambda: linalg.matrix_norm(dp.ones(3, 3), 3), ConfigError,
     "linalg.matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got 3"),
    (lambda: linalg.matrix_norm(dp.ones(3), "fro"), ShapeError, "A must have 2 dimensions or more"),
    (lambda: linalg.matrix_norm(dp.ones(3, 3), dim=(0, 0)), ShapeError, "names dimension 0 twice"),
    (lambda: linalg.matrix_norm(dp.ones(3, 3), dim=(0, 2)), ShapeError, "dim (0, 2) is out of range"),
    (lambda: linalg.norm(dp.ones(2, 3, 4), 2), ShapeError, "with ord and without dim the input must be a vector"),
    (lambda: linalg.norm(dp.ones(2, 3, 4), dim=(0, 1, 2)), ShapeError, "dim must name one dimension"),
    (lambda: linalg.norm(dp.ones(2, 3), "fro", dim=1), ShapeError, "ord 'fro' is a matrix norm"),
    (lambda: linalg.norm(dp.ones(3), "nuc"), ShapeError, "ord 'nuc' is a matrix norm"),
])
def test_norms_refuse_in_one_sentence(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
