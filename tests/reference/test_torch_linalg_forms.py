"""PyTorch's top-level linear-algebra names and the LU factorization against PyTorch 2.13: det,
slogdet, logdet, inverse, pinverse, matrix_power, matrix_exp, cholesky, cholesky_solve,
cholesky_inverse, qr, svd (old API), triangular_solve, lu, lu_unpack, lu_solve, and linalg.lu_factor,
lu_factor_ex, lu, lu_solve; functions and Tensor methods, values and gradients in float64 and
float32 (the harness of test_torch_linalg.py), second derivatives of the LU factorization, pivots
and infos, and the refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference deltaprop.linalg is compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import ConfigError, LinAlgError, ShapeError  # noqa: E402
from test_torch_linalg import agree, case, general, spd  # noqa: E402


def lower(shape, seed=0):
    """Well-conditioned lower-triangular matrices (a positive diagonal)."""
    return np.tril(general(shape, seed)) + 2 * np.eye(shape[-1])


def _V_squared(lib, x, **options):
    """svd's V enters through V∘V, free of the singular vectors' signs; S as it is."""
    u, s, v = lib.svd(x, **options)
    return s, v * v, u * u


CASES = [
    case("det", lambda lib, x: lib.det(x), general((2, 3, 3))),
    case("det-method", lambda lib, x: x.det(), general((3, 3))),
    case("slogdet", lambda lib, x: lib.slogdet(x)[1], general((2, 3, 3))),
    case("slogdet-method", lambda lib, x: x.slogdet()[1], general((3, 3))),
    case("logdet", lambda lib, x: lib.logdet(x), spd((2, 3, 3))),
    case("logdet-method", lambda lib, x: x.logdet(), spd((4, 4))),
    case("inverse", lambda lib, x: lib.inverse(x), general((2, 3, 3))),
    case("inverse-method", lambda lib, x: x.inverse(), general((3, 3))),
    case("pinverse", lambda lib, x: lib.pinverse(x), general((4, 3))),
    case("pinverse-rcond-method", lambda lib, x: x.pinverse(1e-3), general((2, 3, 5))),
    case("matrix_power", lambda lib, x: lib.matrix_power(x, 3), general((3, 3))),
    case("matrix_power-negative-method", lambda lib, x: x.matrix_power(-2), general((2, 3, 3))),
    case("matrix_exp", lambda lib, x: lib.matrix_exp(x * 0.3), general((3, 3))),
    case("matrix_exp-method", lambda lib, x: (x * 0.2).matrix_exp(), general((2, 3, 3))),
    case("cholesky", lambda lib, x: lib.cholesky(x), spd((2, 3, 3))),
    case("cholesky-upper-method", lambda lib, x: x.cholesky(upper=True), spd((3, 3))),
    # (the factor comes from linalg.cholesky of a symmetric positive-definite leaf: PyTorch's gradient of
    # cholesky_solve and cholesky_inverse reaches the triangle of L they do not read, deltaprop's does not;
    # through cholesky, whose rule reads the one triangle, the two agree)
    case("cholesky_solve", lambda lib, b, a: lib.cholesky_solve(b, lib.linalg.cholesky(a)), general((3, 2)),
         spd((3, 3))),
    case("cholesky_solve-upper-broadcast", lambda lib, b, a: lib.cholesky_solve(b, lib.linalg.cholesky(a, upper=True),
                                                                               upper=True),
         general((2, 3, 2)), spd((3, 3))),
    case("cholesky_solve-method", lambda lib, b, a: b.cholesky_solve(lib.linalg.cholesky(a)), general((2, 4, 1)),
         spd((2, 4, 4))),
    case("cholesky_inverse", lambda lib, a: lib.cholesky_inverse(lib.linalg.cholesky(a)), spd((3, 3))),
    case("cholesky_inverse-upper-batched", lambda lib, a: lib.cholesky_inverse(lib.linalg.cholesky(a, upper=True),
                                                                               upper=True), spd((2, 3, 3))),
    case("cholesky_inverse-method", lambda lib, a: lib.linalg.cholesky(a).cholesky_inverse(), spd((4, 4))),
    case("qr", lambda lib, x: lib.qr(x), general((4, 3))),
    case("qr-some-false-square", lambda lib, x: lib.qr(x, some=False), general((3, 3))),
    case("qr-method-wide", lambda lib, x: x.qr(), general((2, 3, 5))),
    case("svd", lambda lib, x: _V_squared(lib, x), general((4, 3))),
    case("svd-wide-batched", lambda lib, x: _V_squared(lib, x), general((2, 3, 5))),
    case("svd-method", lambda lib, x: (lambda u, s, v: (u * s.unsqueeze(-2)) @ v.mT)(*x.svd()), general((3, 4))),
    case("triangular_solve", lambda lib, b, a: lib.triangular_solve(b, a), general((3, 2)), lower((3, 3)).T.copy()),
    case("triangular_solve-lower-transpose", lambda lib, b, a: lib.triangular_solve(b, a, upper=False, transpose=True),
         general((2, 3, 2)), lower((3, 3))),
    case("triangular_solve-unitriangular-method", lambda lib, b, a: b.triangular_solve(a, unitriangular=True),
         general((3, 4)), lower((2, 3, 3)).swapaxes(-1, -2).copy()),
    case("linalg.lu_factor", lambda lib, x: lib.linalg.lu_factor(x)[0], general((3, 3))),
    case("linalg.lu_factor-batched", lambda lib, x: lib.linalg.lu_factor(x)[0], general((2, 4, 4), seed=3)),
    case("linalg.lu_factor-tall", lambda lib, x: lib.linalg.lu_factor(x)[0], general((5, 3))),
    case("linalg.lu_factor-wide", lambda lib, x: lib.linalg.lu_factor(x)[0], general((2, 3, 5))),
    case("linalg.lu_factor_ex", lambda lib, x: lib.linalg.lu_factor_ex(x)[0], general((4, 4), seed=4)),
    case("linalg.lu", lambda lib, x: lib.linalg.lu(x), general((2, 3, 3))),
    case("linalg.lu-tall", lambda lib, x: lib.linalg.lu(x), general((4, 2))),
    case("linalg.lu-wide", lambda lib, x: lib.linalg.lu(x), general((3, 5))),
    case("lu", lambda lib, x: lib.lu(x)[0], general((3, 3))),
    case("lu-method", lambda lib, x: x.lu()[0], general((2, 3, 3))),
    case("lu_unpack", lambda lib, x: lib.lu_unpack(*lib.linalg.lu_factor(x)), general((2, 4, 4))),
    case("lu_unpack-tall", lambda lib, x: lib.lu_unpack(*lib.linalg.lu_factor(x)), general((4, 3))),
    case("linalg.lu_solve", lambda lib, x, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(x), b),
         general((3, 3)), general((3, 2))),
    case("linalg.lu_solve-broadcast", lambda lib, x, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(x), b),
         general((3, 3)), general((2, 3, 2))),
    case("linalg.lu_solve-adjoint", lambda lib, x, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(x), b, adjoint=True),
         general((2, 3, 3)), general((2, 3, 1))),
    case("linalg.lu_solve-right", lambda lib, x, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(x), b, left=False),
         general((3, 3)), general((2, 3))),
    case("linalg.lu_solve-right-adjoint", lambda lib, x, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(x), b,
                                                                                left=False, adjoint=True),
         general((4, 4)), general((2, 4))),
    case("lu_solve", lambda lib, b, x: lib.lu_solve(b, *lib.lu(x)), general((3, 2)), general((3, 3))),
    case("lu_solve-method", lambda lib, b, x: b.lu_solve(*lib.linalg.lu_factor(x)), general((2, 4, 3)),
         general((2, 4, 4))),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn,arrays", CASES)
def test_agrees_with_torch(fn, arrays, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's deprecation warnings of its older names)
        agree(fn, arrays, dtype)


def test_triangular_solve_returns_the_solution_and_a_copy_of_A():
    b, a = general((3, 2)), lower((3, 3)).T.copy()
    ours = dp.triangular_solve(dp.tensor(b, dtype=np.float64), dp.tensor(a, dtype=np.float64, requires_grad=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.triangular_solve(torch.tensor(b), torch.tensor(a))
    assert ours._fields == ("solution", "cloned_coefficient")
    np.testing.assert_allclose(ours.solution.data, theirs.solution.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ours.cloned_coefficient.data, theirs.cloned_coefficient.numpy())
    assert ours.cloned_coefficient.requires_grad


def test_svd_shapes_and_compute_uv_false():
    x = general((2, 5, 3))
    for options in ({}, {"some": False}, {"compute_uv": False}, {"some": False, "compute_uv": False}):
        ours, theirs = dp.svd(dp.tensor(x, dtype=np.float64), **options), torch.svd(torch.tensor(x), **options)
        assert ours._fields == ("U", "S", "V")
        for mine, reference in zip(ours, theirs):
            assert mine.shape == tuple(reference.shape)
        np.testing.assert_allclose(ours.S.data, theirs.S.numpy(), rtol=1e-12)
        if options.get("compute_uv") is False:
            np.testing.assert_array_equal(ours.U.data, theirs.U.numpy())
            np.testing.assert_array_equal(ours.V.data, theirs.V.numpy())


def test_cholesky_solve_and_inverse_values_from_a_factor():
    a, b = spd((2, 3, 3)), general((2, 3, 2))
    factor = np.linalg.cholesky(a)
    np.testing.assert_allclose(dp.cholesky_solve(dp.tensor(b, dtype=np.float64), dp.tensor(factor, dtype=np.float64)).data,
                               torch.cholesky_solve(torch.tensor(b), torch.tensor(factor)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(dp.cholesky_inverse(dp.tensor(factor, dtype=np.float64)).data,
                               torch.cholesky_inverse(torch.tensor(factor)).numpy(), rtol=1e-12)


def test_logdet_of_negative_and_zero_determinants():
    for a in ([[0.0, 1.0], [1.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]], [[2.0, 0.0], [0.0, 3.0]]):
        ours, theirs = dp.tensor(a, dtype=np.float64, requires_grad=True), torch.tensor(a, requires_grad=True,
                                                                                         dtype=torch.float64)
        out, expected = dp.logdet(ours), torch.logdet(theirs)
        np.testing.assert_array_equal(out.data, expected.detach().numpy())
        if np.isfinite(expected.item()):
            out.backward()
            expected.backward()
            np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)
    x = dp.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=np.float64, requires_grad=True)
    dp.logdet(x).backward()  # NaN for a negative determinant; no gradient through it, as PyTorch's
    np.testing.assert_array_equal(x.grad, np.zeros((2, 2)))


def test_pivots_and_infos_match_lapacks():
    matrices = [general((4, 4)), np.array([[1.0, 2.0], [2.0, 4.0]]), np.zeros((3, 3)),
                np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 1.0], [0.0, 1.0, 1.0]]), general((2, 5, 3)), general((3, 2, 4))]
    for a in matrices:
        ours = dp.linalg.lu_factor_ex(dp.tensor(a, dtype=np.float64))
        theirs = torch.linalg.lu_factor_ex(torch.tensor(a))
        np.testing.assert_allclose(ours.LU.data, theirs.LU.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(ours.pivots.data, theirs.pivots.numpy())
        np.testing.assert_array_equal(ours.info.data, theirs.info.numpy())
        assert ours.pivots.dtype == ours.info.dtype == np.int32
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = torch.lu(torch.tensor(a), get_infos=True)
        mine = dp.lu(dp.tensor(a, dtype=np.float64), get_infos=True)
        np.testing.assert_array_equal(mine[2].data, old[2].numpy())
        P, L, U = dp.linalg.lu(dp.tensor(a, dtype=np.float64))
        np.testing.assert_allclose((P @ L @ U).data, a, atol=1e-14)


def test_lu_second_derivatives_equal_pytorchs():
    rng = np.random.default_rng(3)
    for shape in ((3, 3), (4, 3), (2, 5), (2, 3, 3)):
        a, w, v = general(shape, seed=5), rng.standard_normal(shape), rng.standard_normal(shape)
        results = []
        for lib in (dp, torch):
            x = dp.tensor(a, dtype=np.float64, requires_grad=True) if lib is dp else torch.tensor(a, requires_grad=True)
            const = (lambda t: dp.tensor(t, dtype=np.float64)) if lib is dp else torch.tensor
            grad = dp.autograd.grad if lib is dp else torch.autograd.grad
            lu = lib.linalg.lu_factor(x)[0]
            (g,) = grad((const(w) * lu * lu).sum(), x, create_graph=True)
            (h,) = grad((g * const(v)).sum(), x)
            results.append([t.data if lib is dp else t.detach().numpy() for t in (g, h)])
        for mine, reference in zip(*results):
            np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_refusals():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(LinAlgError, match=r"linalg.lu_factor: U\[1, 1\] of the matrix of shape \(2, 2\) is zero"):
        dp.linalg.lu_factor(dp.tensor(singular))
    with pytest.raises(RuntimeError):
        torch.linalg.lu_factor(torch.tensor(singular))
    with pytest.raises(LinAlgError):
        dp.lu(dp.tensor(singular))
    with pytest.raises(ConfigError, match="linalg.lu_factor: pivot=False"):
        dp.linalg.lu_factor(dp.ones((2, 2)), pivot=False)
    with pytest.raises(RuntimeError):
        torch.linalg.lu_factor(torch.ones(2, 2), pivot=False)
    with pytest.raises(TypeError, match="linalg.lu_factor: expects a float32 or float64 tensor, got int64"):
        dp.linalg.lu_factor(dp.tensor([[1, 2], [3, 4]]))
    with pytest.raises(ShapeError, match=r"linalg.lu_factor: A must be a matrix"):
        dp.linalg.lu_factor(dp.ones(3))
    with pytest.raises(ShapeError, match="linalg.lu_solve: LU must be a square matrix"):
        dp.linalg.lu_solve(*dp.linalg.lu_factor(dp.randn(3, 2)), dp.ones((3, 1)))
    with pytest.raises(ShapeError, match=r"linalg.lu_solve: LU of shape \(3, 3\) and B of shape \(2, 1\)"):
        dp.linalg.lu_solve(*dp.linalg.lu_factor(dp.eye(3)), dp.ones((2, 1)))
    with pytest.raises(ShapeError, match="lu_unpack: LU_pivots must be integers of shape"):
        dp.lu_unpack(dp.eye(3), dp.tensor([1, 2]))
    with pytest.raises(ShapeError, match="cholesky_solve: B must be a matrix"):
        dp.cholesky_solve(dp.ones(3), dp.eye(3))
    with pytest.raises(RuntimeError):
        torch.cholesky_solve(torch.ones(3), torch.eye(3))
    with pytest.raises(ShapeError, match="cholesky_inverse: the factor must be a square matrix"):
        dp.cholesky_inverse(dp.ones((2, 3)))
    with pytest.raises(ShapeError, match="triangular_solve: A must be a square matrix"):
        dp.triangular_solve(dp.ones((3, 1)), dp.ones((3, 2)))
