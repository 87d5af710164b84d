"""The functions deltaprop.linalg added for ported code (solve_triangular, matrix_exp, inv_ex,
cholesky_ex, lstsq, cond, matrix_rank, pinv(hermitian=True)) and the edges fixed beside them:
values against NumPy (and SciPy's expm where installed) and closed forms, gradients against
central finite differences in float64, and the refusals. PyTorch comparisons:
tests/reference/test_torch_linalg_additions.py."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import linalg
from deltaprop.errors import ConfigError, LinAlgError, ShapeError

SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


def well_conditioned(shape, seed=0):
    X = np.random.default_rng(seed).standard_normal(shape)
    return X + shape[-1] * np.eye(shape[-1]) if shape[-1] == shape[-2] else X


def T(array, grad=False):
    return dp.tensor(array, dtype=np.float64, requires_grad=grad)


def gradchecked(fn, *arrays):
    assert dp.gradcheck(fn, [T(a, True) for a in arrays], atol=1e-6, rtol=1e-5)


# -- solve_triangular ----------------------------------------------------------------------------------


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_solve_triangular_solves_with_one_triangle_and_its_gradient(upper, left, unitriangular):
    A = well_conditioned((2, 3, 3))
    B = np.random.default_rng(1).standard_normal((2, 3, 2) if left else (2, 2, 3))
    triangle = (np.triu(A, 1) if upper else np.tril(A, -1)) + (np.eye(3) if unitriangular else
                                                              A * np.eye(3))
    X = linalg.solve_triangular(T(A), T(B), upper=upper, left=left, unitriangular=unitriangular).data
    np.testing.assert_allclose(triangle @ X if left else X @ triangle, B, rtol=1e-12, atol=1e-12)
    gradchecked(lambda a, b: linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unitriangular),
                A, B)


def test_solve_triangular_broadcasts_batches_and_is_exact_where_lu_is_not():
    gradchecked(lambda a, b: linalg.solve_triangular(a, b, upper=True), well_conditioned((2, 1, 3, 3)),
                np.random.default_rng(1).standard_normal((4, 3, 2)))
    # the unit lower triangle of −1s: condition number ~2ⁿ, yet substitution is exact on integers
    n = 60
    L = np.tril(-np.ones((n, n)), -1) + np.eye(n)
    x = np.random.default_rng(2).integers(-3, 4, (n, 1)).astype(float)
    np.testing.assert_array_equal(linalg.solve_triangular(T(L), T(L @ x), upper=False).data, x)


def test_solve_triangular_refusals():
    with pytest.raises(TypeError, match=r"linalg.solve_triangular: upper must be True or False"):
        linalg.solve_triangular(T(np.eye(2)), T(np.ones((2, 1))), upper=None)
    with pytest.raises(ShapeError, match=r"linalg.solve_triangular: B must be a matrix"):
        linalg.solve_triangular(T(np.eye(2)), T(np.ones(2)), upper=True)
    with pytest.raises(ShapeError, match=r"B's rows \(3\) must number 2"):
        linalg.solve_triangular(T(np.eye(2)), T(np.ones((3, 1))), upper=True)


# -- matrix_exp ---------------------------------------------------------------------------------------


def test_matrix_exp_closed_forms():
    t = 0.7
    rotation = linalg.matrix_exp(T([[0.0, t], [-t, 0.0]])).data
    np.testing.assert_allclose(rotation, [[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]], rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(linalg.matrix_exp(T(np.diag([1.0, -30.0, 40.0]))).data,
                               np.diag(np.exp([1.0, -30.0, 40.0])), rtol=1e-13)
    nilpotent = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]])  # e^N = I + N + N²/2
    np.testing.assert_allclose(linalg.matrix_exp(T(nilpotent)).data, np.eye(3) + nilpotent + nilpotent @ nilpotent / 2,
                               rtol=1e-15)
    assert linalg.matrix_exp(T(np.zeros((2, 0, 0)))).shape == (2, 0, 0)


def test_matrix_exp_matches_scipy_across_scales():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(3)
    batch = np.stack([rng.standard_normal((4, 4)) * scale for scale in (1e-6, 0.3, 2.0, 15.0)])
    ours = linalg.matrix_exp(T(batch)).data
    # (the squarings of a large norm cost digits, scipy's and PyTorch's too: 1.3e-12 at the last)
    for a, e, tolerance in zip(batch, ours, [1e-15, 1e-15, 1e-14, 3e-12]):
        expected = scipy_linalg.expm(a)
        np.testing.assert_allclose(e, expected, rtol=0, atol=tolerance * np.abs(expected).max())


@pytest.mark.parametrize("scale", [0.2, 3.0])
def test_matrix_exp_gradient(scale):
    gradchecked(linalg.matrix_exp, np.random.default_rng(4).standard_normal((2, 3, 3)) * scale)


# -- inv_ex, cholesky_ex ------------------------------------------------------------------------------


def test_inv_ex_reports_singular_matrices_in_info_and_gives_nan_for_them():
    good = well_conditioned((3, 3))
    inverse, info = linalg.inv_ex(T(np.stack([SINGULAR, good, np.zeros((3, 3))])))
    assert info.dtype == np.int32 and info.data.tolist() == [3, 0, 1]
    assert np.isnan(inverse.data[[0, 2]]).all()
    np.testing.assert_allclose(inverse.data[1], np.linalg.inv(good), rtol=1e-13)
    with pytest.raises(LinAlgError, match=r"linalg.inv_ex: a matrix of the batch of shape \(2, 3, 3\) is singular"):
        linalg.inv_ex(T(np.stack([SINGULAR, good])), check_errors=True)
    gradchecked(lambda a: linalg.inv_ex(a).inverse, well_conditioned((2, 3, 3)))


def test_cholesky_ex_reports_the_first_bad_minor_and_cholesky_refuses_a_nan():
    indefinite = np.array([[4.0, 2.0, 1.0], [2.0, -3.0, 1.0], [1.0, 1.0, 5.0]])
    spd = well_conditioned((3, 3)) @ well_conditioned((3, 3)).T
    L, info = linalg.cholesky_ex(T(np.stack([indefinite, spd, np.diag([1.0, 1.0, np.nan])])))
    assert info.dtype == np.int32 and info.data.tolist() == [2, 0, 3]
    assert np.isnan(L.data[[0, 2]]).all()
    np.testing.assert_allclose(L.data[1], np.linalg.cholesky(spd), rtol=1e-13)
    with pytest.raises(LinAlgError, match=r"linalg.cholesky: the matrix of shape \(3, 3\) is not positive-definite"):
        linalg.cholesky(T(np.diag([1.0, 1.0, np.nan])))  # (NumPy passes NaN through; LAPACK, PyTorch stop)
    with pytest.raises(LinAlgError, match=r"linalg.cholesky_ex: the matrix .* is not positive-definite"):
        linalg.cholesky_ex(T(indefinite), check_errors=True)
    gradchecked(lambda a: linalg.cholesky_ex(a @ a.mT + dp.eye(3, dtype=np.float64), upper=True).L,
                well_conditioned((3, 3)))


# -- lstsq, matrix_rank, cond, pinv(hermitian) ------------------------------------------------------


@pytest.mark.parametrize("shapes", [((5, 3), (5, 2)), ((5, 3), (5,)), ((3, 5), (3, 2)), ((2, 5, 3), (2, 5))])
def test_lstsq_solution_is_the_least_norm_least_squares_one_and_its_gradient(shapes):
    A, B = (np.random.default_rng(k).standard_normal(s) for k, s in enumerate(shapes))
    solution = linalg.lstsq(T(A), T(B)).solution.data
    expected = np.linalg.pinv(A) @ (B[..., None] if B.ndim < A.ndim else B)
    np.testing.assert_allclose(solution, expected[..., 0] if B.ndim < A.ndim else expected, rtol=1e-10, atol=1e-12)
    gradchecked(lambda a, b: linalg.lstsq(a, b).solution, A, B)


def test_lstsq_outputs_by_driver():
    A, B = well_conditioned((5, 3)), np.random.default_rng(1).standard_normal((5, 2))
    result = linalg.lstsq(T(A), T(B), driver="gelsd")
    np.testing.assert_allclose(result.residuals.data, ((A @ result.solution.data - B) ** 2).sum(0), rtol=1e-12)
    np.testing.assert_allclose(result.singular_values.data, np.linalg.svd(A, compute_uv=False), rtol=1e-13)
    assert result.rank.data.tolist() == 3 and result.rank.dtype == np.int64
    default = linalg.lstsq(T(A), T(B))  # gelsy: the rank only
    assert default.residuals.shape == (0,) and default.singular_values.shape == (0,) and default.rank.data == 3
    assert linalg.lstsq(T(A), T(B), driver="gels").rank.shape == (0,)
    gradchecked(lambda a, b: linalg.lstsq(a, b, driver="gelsd").residuals, A, B)
    with pytest.raises(ConfigError, match=r"linalg.lstsq: driver must be one of"):
        linalg.lstsq(T(A), T(B), driver="gelsx")
    with pytest.raises(ShapeError, match=r"linalg.lstsq: A of shape \(5, 3\) and B of shape \(4, 2\) do not fit"):
        linalg.lstsq(T(A), T(B[:4]))


def test_matrix_rank_tolerances():
    s = np.diag([5.0, 0.3, 1e-17])
    assert linalg.matrix_rank(T(s)).data == 2  # default rtol eps·n
    assert linalg.matrix_rank(T(s), atol=0.5).data == 1 and linalg.matrix_rank(T(s), tol=0.5).data == 1
    assert linalg.matrix_rank(T(s), rtol=0.1).data == 1 and linalg.matrix_rank(T(s), atol=0.01, rtol=0.1).data == 1
    lower_only = np.tril(np.ones((3, 3))) + np.triu(np.full((3, 3), 7.0), 1)  # its lower triangle: all ones, rank 1
    assert linalg.matrix_rank(T(lower_only), hermitian=True).data == 1 and linalg.matrix_rank(T(lower_only)).data == 3
    assert linalg.matrix_rank(T(np.zeros((2, 0, 3)))).data.tolist() == [0, 0]


@pytest.mark.parametrize("p", [None, 2, -2, "nuc", "fro", 1, -1, np.inf, -np.inf])
def test_cond_values_and_gradients(p):
    A = np.random.default_rng(5).standard_normal((2, 3, 3))
    np.testing.assert_allclose(linalg.cond(T(A), p).data, np.linalg.cond(A, p), rtol=1e-12)
    gradchecked(lambda a: linalg.cond(a, p), A)
    singular = linalg.cond(T(np.stack([SINGULAR, A[0]]), True), p)
    if p in ("fro", 1, -1, np.inf, -np.inf):
        assert singular.data[0] == np.inf
        singular.sum().backward()  # (0 for the singular matrix, where PyTorch's backward fails)


def test_cond_refusals():
    with pytest.raises(ConfigError, match=r"linalg.cond: p must be None, 2, -2, 'nuc', 'fro'"):
        linalg.cond(T(np.eye(2)), 3)
    with pytest.raises(ShapeError, match=r"linalg.cond: A must be a square matrix"):
        linalg.cond(T(np.ones((2, 3))), "fro")


def test_pinv_hermitian_reads_the_lower_triangle():
    A = well_conditioned((4, 4), seed=6)
    symmetric = np.tril(A) + np.tril(A, -1).T
    np.testing.assert_allclose(linalg.pinv(T(A), hermitian=True).data, np.linalg.pinv(symmetric), rtol=1e-12)
    gradchecked(lambda a: linalg.pinv(a @ a.mT, hermitian=True), np.random.default_rng(7).standard_normal((3, 3)))


# -- the edges fixed beside them -------------------------------------------------------------------


@pytest.mark.parametrize("shape, undefined", [((0, 3), (-2, -np.inf)), ((3, 0), (-2, -1)),
                                              ((2, 0, 0), (-2, -1, -np.inf))])
def test_matrix_norm_of_empty_matrices(shape, undefined):
    """0 for the largest singular value, column or row sum of none (PyTorch's); no smallest: refused
    where the values it is the smallest of are none, 0 where they are sums of nothing."""
    for ord in (2, 1, np.inf, "nuc", "fro", -2, -1, -np.inf):
        if ord in undefined:
            with pytest.raises(ShapeError, match=rf"linalg.matrix_norm: the {ord} norm of .* matrices is undefined"):
                linalg.matrix_norm(T(np.zeros(shape)), ord)
            continue
        x = T(np.zeros(shape), True)
        out = linalg.matrix_norm(x, ord)
        assert out.shape == shape[:-2] and not out.data.any()
        out.sum().backward()


@pytest.mark.parametrize("ord", [1, np.inf, -np.inf])
def test_norm_gradients_at_a_nan_are_0_as_torchs(ord):
    values = np.array([[1.0, np.nan, -2.0], [1.0, 2.0, -3.0]])
    for norm in (lambda x: linalg.vector_norm(x, ord, -1), lambda x: x.norm(p=ord, dim=-1)):
        x = T(values, True)
        norm(x).sum().backward()
        assert x.grad[0, 1] == 0.0 and not np.isnan(x.grad[1]).any()


def test_tensor_norm_takes_the_orders_torch_norm_takes():
    x = np.array([[0.5, 0.0, -2.0], [1.0, -3.0, 0.25]])
    for p in (0, -1, -np.inf, -0.5):
        np.testing.assert_allclose(T(x).norm(p=p, dim=1).data, linalg.vector_norm(T(x), p, 1).data, rtol=1e-15)
    with pytest.raises(ConfigError, match=r"norm: p must be a number, inf, -inf or 'fro', got nan"):
        T(x).norm(p=float("nan"))


def test_vecdot_refuses_integers_as_torch():
    with pytest.raises(TypeError, match=r"linalg.vecdot: not implemented for int64 tensors"):
        linalg.vecdot(dp.tensor([1, 2]), dp.tensor([3, 4]))


def test_eigh_takes_uplo_in_either_case_as_torch():
    A = np.tril(well_conditioned((3, 3))) + np.triu(np.full((3, 3), 9.0), 1)  # its two triangles differ
    for lower, upper in (("l", "L"), ("u", "U")):
        np.testing.assert_array_equal(linalg.eigvalsh(T(A), UPLO=lower).data, linalg.eigvalsh(T(A), UPLO=upper).data)
    assert not np.allclose(linalg.eigvalsh(T(A), "l").data, linalg.eigvalsh(T(A), "u").data)
