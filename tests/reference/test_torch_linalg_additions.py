"""The functions deltaprop.linalg added for ported code against torch.linalg, float64 and float32:
solve_triangular, matrix_exp, inv_ex, cholesky_ex, lstsq (each driver's outputs), cond, matrix_rank,
pinv(hermitian=True); values and the gradients of Σ w·out, as tests/reference/test_torch_linalg.py
compares the others (its helpers are used here)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference deltaprop.linalg is compared with")

import deltaprop as dp  # noqa: E402
from test_torch_linalg import TORCH, agree, case, general, spd  # noqa: E402

INF = np.inf
SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2: a zero pivot at the third step
INDEFINITE = np.array([[4.0, 2.0, 1.0], [2.0, -3.0, 1.0], [1.0, 1.0, 5.0]])  # its second leading minor is negative


def rank_deficient(seed=2):
    A = general((5, 3), seed)
    A[:, 2] = A[:, 0] + A[:, 1]
    return A


def triangular_solves():
    cases = []
    for upper in (False, True):
        for left in (True, False):
            for unitriangular in (False, True):
                name = f"solve_triangular-{'upper' if upper else 'lower'}-{'left' if left else 'right'}" + (
                    "-unit" if unitriangular else "")
                B = general((2, 3, 2) if left else (2, 2, 3), seed=1)
                cases.append(case(name, lambda lib, A, B, u=upper, le=left, un=unitriangular:
                                  lib.linalg.solve_triangular(A, B, upper=u, left=le, unitriangular=un),
                                  general((2, 3, 3)), B))
    return cases + [case("solve_triangular-broadcast", lambda lib, A, B: lib.linalg.solve_triangular(A, B, upper=True),
                         general((2, 1, 3, 3)), general((4, 3, 2), seed=1))]


ADDITIONS = triangular_solves() + [
    case("matrix_exp", lambda lib, A: lib.linalg.matrix_exp(A), general((3, 3)) / 4),
    case("matrix_exp-squared-batch", lambda lib, A: lib.linalg.matrix_exp(A),
         np.stack([general((3, 3)) / 100, np.random.default_rng(3).standard_normal((3, 3)) * 3])),
    case("inv_ex", lambda lib, A: lib.linalg.inv_ex(A).inverse, general((2, 3, 3))),
    case("cholesky_ex", lambda lib, A: lib.linalg.cholesky_ex(A).L, spd((2, 3, 3))),
    case("cholesky_ex-upper", lambda lib, A: lib.linalg.cholesky_ex(A, upper=True).L, spd((3, 3))),
    case("pinv-hermitian", lambda lib, A: lib.linalg.pinv(A, hermitian=True), general((4, 4), seed=5)),
    *[case(f"cond-{p}", lambda lib, A, p=p: lib.linalg.cond(A, p), np.random.default_rng(4).standard_normal((2, 3, 3)))
      for p in [None, 2, -2, "nuc"]],
    case("cond-wide", lambda lib, A: lib.linalg.cond(A), general((3, 5))),
    *[case(f"lstsq-{driver}", lambda lib, A, B, d=driver: lib.linalg.lstsq(A, B, driver=d)[:2], general((2, 5, 3)),
           general((2, 5, 2), seed=1)) for driver in [None, "gels", "gelsd", "gelss"]],
    case("lstsq-vector", lambda lib, A, B: lib.linalg.lstsq(A, B, driver="gelsd")[:2], general((5, 3)),
         general((5,), seed=1)),
    case("lstsq-wide", lambda lib, A, B: lib.linalg.lstsq(A, B).solution, general((3, 5)), general((3, 2), seed=1)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn,arrays", ADDITIONS)
def test_additions_agree_with_torch(fn, arrays, dtype):
    agree(fn, arrays, dtype)


def both(fn, *arrays, dtype=np.float64):
    """fn(dp, ...) and fn(torch, ...) as arrays (outputs without gradients: counts, infos, norms)."""
    ours = fn(dp, *[dp.tensor(a, dtype=dtype) for a in arrays])
    theirs = fn(torch, *[torch.tensor(a, dtype=TORCH[dtype]) for a in arrays])
    return np.asarray(ours.data), theirs.numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_info_of_the_ex_forms_as_torch(dtype):
    batch = np.stack([SINGULAR, general((3, 3)), np.zeros((3, 3))])
    ours, theirs = both(lambda lib, A: lib.linalg.inv_ex(A).info, batch, dtype=dtype)
    assert ours.dtype == np.int32 and ours.tolist() == theirs.tolist() == [3, 0, 1]
    batch = np.stack([INDEFINITE, spd((3, 3)), -np.eye(3), np.diag([1.0, 1.0, np.nan])])
    ours, theirs = both(lambda lib, A: lib.linalg.cholesky_ex(A).info, batch, dtype=dtype)
    assert ours.dtype == np.int32 and ours.tolist() == theirs.tolist() == [2, 0, 1, 3]


@pytest.mark.parametrize("options", [{}, {"atol": 1.0}, {"rtol": 0.5}, {"atol": 0.1, "rtol": 0.2},
                                     {"hermitian": True}, {"tol": 1.0}])
def test_matrix_rank_as_torch(options):
    batch = np.stack([SINGULAR, general((3, 3)), np.zeros((3, 3)), np.diag([5.0, 0.3, 0.0])])
    ours, theirs = both(lambda lib, A: lib.linalg.matrix_rank(A, **options), batch)
    assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()


def test_matrix_rank_with_a_tolerance_per_matrix_as_torch():
    ours = dp.linalg.matrix_rank(dp.tensor(np.stack([SINGULAR, SINGULAR]), dtype=np.float64),
                                 atol=dp.tensor([0.1, 10.0], dtype=np.float64))
    theirs = torch.linalg.matrix_rank(torch.tensor(np.stack([SINGULAR, SINGULAR])), atol=torch.tensor([0.1, 10.0]))
    assert ours.data.tolist() == theirs.tolist() == [2, 0]


@pytest.mark.parametrize("p", [None, 2, -2, "nuc", "fro", 1, -1, INF, -INF])
def test_cond_values_as_torch_singular_and_empty_matrices_too(p):
    ours, theirs = both(lambda lib, A: lib.linalg.cond(A, p), np.stack([general((3, 3)), SINGULAR]))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    if p == -2:  # s_min/s_max
        assert ours[1] < 1e-15 and theirs[1] < 1e-15
    else:  # +inf through the inverse; 1/s_min from the SVD
        assert ours[1] > 1e15 and theirs[1] > 1e15
    ours, theirs = both(lambda lib, A: lib.linalg.cond(A, p), np.zeros((0, 0)))
    assert ours.tolist() == theirs.tolist() == 0.0


@pytest.mark.parametrize("driver", [None, "gelsy", "gels", "gelsd", "gelss"])
def test_lstsq_fills_the_outputs_each_driver_fills_as_torch(driver):
    # (gels takes A as of full rank: of a rank-deficient one, PyTorch's solution and residuals are
    # rounding noise, and deltaprop's the truncated SVD's)
    for A in (general((2, 5, 3)),) + (() if driver == "gels" else (np.stack([general((5, 3)), rank_deficient()]),)):
        ours = dp.linalg.lstsq(dp.tensor(A, dtype=np.float64), dp.tensor(general((2, 5, 2), 1), dtype=np.float64),
                               driver=driver)
        theirs = torch.linalg.lstsq(torch.tensor(A), torch.tensor(general((2, 5, 2), 1)), driver=driver)
        for name in ("residuals", "rank", "singular_values"):
            mine, reference = getattr(ours, name), getattr(theirs, name).numpy()
            assert mine.shape == reference.shape and mine.dtype == reference.dtype, name
            # (a rank-deficient matrix's zero singular value is rounding noise, 5e-16 or 6e-16 as LAPACK's
            # path goes: compared to the largest one's rounding, not relatively)
            atol = 1e-13 * float(np.abs(reference).max()) if name == "singular_values" and reference.size else 0
            np.testing.assert_allclose(mine.data, reference, rtol=1e-10, atol=atol, err_msg=name)
        if driver in ("gelsd", "gelss"):  # the truncated SVD's solution, theirs too
            np.testing.assert_allclose(ours.solution.data, theirs.solution.numpy(), rtol=1e-10, atol=1e-12)


def test_solve_triangular_reads_one_triangle_and_divides_by_a_zero_pivot_as_torch():
    A = general((3, 3))
    A[1, 1] = 0.0
    ours, theirs = both(lambda lib, A, B: lib.linalg.solve_triangular(A, B, upper=False), A, general((3, 2), 1))
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(theirs))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
