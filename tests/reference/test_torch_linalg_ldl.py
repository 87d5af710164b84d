"""linalg.ldl_factor, ldl_factor_ex and ldl_solve against PyTorch 2.13: the same LD (to 1e-9) and
exactly the same pivots and info, for definite and indefinite matrices (including ones that need
2×2 pivot blocks and zero diagonals), batched; ldl_solve's solutions; PyTorch's refusals."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference the factorization is compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import linalg  # noqa: E402
from deltaprop.errors import LinAlgError, ShapeError  # noqa: E402

RNG = np.random.default_rng(23)


def symmetric(n, kind):
    A = RNG.standard_normal((n, n))
    A = A + A.T
    if kind == "small diagonal":
        A[np.arange(n), np.arange(n)] *= 0.01
    elif kind == "zero diagonal":
        A[np.arange(n), np.arange(n)] = 0.0
    elif kind == "definite":
        A = A @ A.T + n * np.eye(n)
    return A


CASES = [(n, kind) for n in (1, 2, 3, 5, 8, 12) for kind in ("random", "small diagonal", "zero diagonal", "definite")
         if not (n == 1 and kind == "zero diagonal")]


@pytest.mark.parametrize("n, kind", CASES, ids=str)
def test_ld_pivots_and_info_match_pytorch(n, kind):
    for _ in range(5):
        A = symmetric(n, kind)
        LD, pivots, info = linalg.ldl_factor_ex(A)
        tLD, tpivots, tinfo = torch.linalg.ldl_factor_ex(torch.tensor(A))
        np.testing.assert_array_equal(pivots.numpy(), tpivots.numpy())
        assert pivots.dtype == np.int32 and int(info.item()) == int(tinfo.item()) == 0
        np.testing.assert_allclose(LD.numpy(), tLD.numpy(), rtol=1e-9, atol=1e-12)


def test_two_by_two_blocks_are_exercised():
    """The zero-diagonal matrices force 2×2 blocks: PyTorch's pivots are negative there, and ours."""
    A = symmetric(6, "zero diagonal")
    pivots = linalg.ldl_factor(A).pivots.numpy()
    assert (pivots < 0).any()
    np.testing.assert_array_equal(pivots, torch.linalg.ldl_factor(torch.tensor(A)).pivots.numpy())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batches_match_pytorch_and_solve(dtype):
    A = np.stack([np.stack([symmetric(5, kind) for kind in ("random", "zero diagonal", "small diagonal")])] * 2)
    A = A.astype(dtype)
    LD, pivots = linalg.ldl_factor(A)
    tLD, tpivots = torch.linalg.ldl_factor(torch.tensor(A))
    assert LD.dtype == np.dtype(dtype) and LD.shape == (2, 3, 5, 5)
    np.testing.assert_array_equal(pivots.numpy(), tpivots.numpy())
    rtol, atol = (1e-9, 1e-12) if dtype == "float64" else (1e-4, 1e-5)
    np.testing.assert_allclose(LD.numpy(), tLD.numpy(), rtol=rtol, atol=atol)
    B = RNG.standard_normal((3, 5, 2)).astype(dtype)
    X = linalg.ldl_solve(LD, pivots, B)
    tX = torch.linalg.ldl_solve(tLD, tpivots, torch.tensor(B))
    assert X.shape == tuple(tX.shape) == (2, 3, 5, 2)
    np.testing.assert_allclose(X.numpy(), tX.numpy(), rtol=rtol * 100, atol=atol * 100)


def test_only_the_lower_triangle_is_read():
    A = symmetric(4, "random")
    messy = np.tril(A) + np.triu(RNG.standard_normal((4, 4)), 1)
    np.testing.assert_array_equal(linalg.ldl_factor(messy).LD.numpy(), linalg.ldl_factor(A).LD.numpy())
    np.testing.assert_allclose(linalg.ldl_factor(messy).LD.numpy(),
                               torch.linalg.ldl_factor(torch.tensor(messy)).LD.numpy(), rtol=1e-9, atol=1e-12)


def test_a_singular_matrix_is_reported_in_info_or_refused():
    tLD, tpivots, tinfo = torch.linalg.ldl_factor_ex(torch.zeros(3, 3, dtype=torch.float64))
    LD, pivots, info = linalg.ldl_factor_ex(np.zeros((3, 3)))
    assert int(info.item()) == int(tinfo.item()) == 1
    np.testing.assert_array_equal(pivots.numpy(), tpivots.numpy())
    with pytest.raises(RuntimeError):
        torch.linalg.ldl_factor(torch.zeros(3, 3))
    with pytest.raises(LinAlgError, match="linalg.ldl_factor: D"):
        linalg.ldl_factor(np.zeros((3, 3)))
    with pytest.raises(LinAlgError, match="linalg.ldl_factor_ex"):
        linalg.ldl_factor_ex(np.zeros((3, 3)), check_errors=True)


def test_no_gradient_for_the_factorization_as_in_pytorch():
    A = dp.tensor(symmetric(3, "random"), dtype="float64", requires_grad=True)
    LD, _ = linalg.ldl_factor(A)
    assert not LD.requires_grad
    tA = torch.tensor(symmetric(3, "random"), requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        torch.linalg.ldl_factor(tA).LD.sum().backward()


def test_non_square_input_is_refused():
    with pytest.raises(RuntimeError):
        torch.linalg.ldl_factor(torch.zeros(2, 3))
    with pytest.raises(ShapeError, match="linalg.ldl_factor: A must be square"):
        linalg.ldl_factor(np.zeros((2, 3)))
