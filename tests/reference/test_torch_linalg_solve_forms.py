"""deltaprop.linalg's solve_ex, tensorsolve, tensorinv, householder_product, vander and diagonal
against PyTorch 2.13's torch.linalg: values, infos and first-order gradients, float64, to 1e-10."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402

RNG = np.random.default_rng(17)
TOL = dict(rtol=1e-10, atol=1e-12)


def both(fn_ours, fn_theirs, *arrays):
    """Values and the gradients of Σ w·output, for a fixed random w, from deltaprop and PyTorch."""
    ours = [dp.tensor(a, dtype=dp.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_o, out_t = fn_ours(*ours), fn_theirs(*theirs)
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), **TOL)
    w = RNG.normal(size=out_o.shape)
    (out_o * dp.tensor(w, dtype=dp.float64)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(o.grad), t.grad.numpy(), **TOL)


@pytest.mark.parametrize("left", [True, False])
def test_solve_ex_matches_torch(left):
    A, B = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3), RNG.normal(size=(4, 1, 3, 3))
    both(lambda a, b: dp.linalg.solve_ex(a, b, left=left).result,
         lambda a, b: torch.linalg.solve_ex(a, b, left=left).result, A, B)


def test_solve_ex_infos_match_torch():
    A = np.stack([np.eye(3), np.zeros((3, 3)), [[1.0, 2, 3], [2, 4, 6], [1, 0, 1]], [[1.0, 1, 0], [1, 1, 0], [0, 0, 1]]])
    B = RNG.normal(size=(2, 1, 3, 2))
    ours = dp.linalg.solve_ex(dp.tensor(A, dtype=dp.float64), dp.tensor(B, dtype=dp.float64))
    theirs = torch.linalg.solve_ex(torch.tensor(A), torch.tensor(B))
    np.testing.assert_array_equal(ours.info.data, theirs.info.numpy())
    assert ours.info.dtype == np.int32 and ours.result.shape == tuple(theirs.result.shape)
    np.testing.assert_allclose(ours.result.data[:, 0], theirs.result.numpy()[:, 0], **TOL)


def test_tensorinv_and_tensorsolve_match_torch():
    A = (RNG.normal(size=(6, 6)) + 4 * np.eye(6)).reshape(2, 3, 6)
    both(lambda a: dp.linalg.tensorinv(a, ind=2), lambda a: torch.linalg.tensorinv(a, ind=2), A)
    moved, B = np.moveaxis(A, -1, 0), RNG.normal(size=(2, 3))
    both(lambda a, b: dp.linalg.tensorsolve(a, b, dims=(0,)),
         lambda a, b: torch.linalg.tensorsolve(a, b, dims=(0,)), moved, B)
    both(dp.linalg.tensorsolve, torch.linalg.tensorsolve, A, B)


@pytest.mark.parametrize("shape, k", [((5, 3), 2), ((2, 4, 4), 4), ((4, 3), 1)])
def test_householder_product_matches_torch(shape, k):
    A, tau = RNG.normal(size=shape), RNG.normal(size=shape[:-2] + (k,))
    both(dp.linalg.householder_product, torch.linalg.householder_product, A, tau)


def test_householder_product_without_reflectors_is_the_identity_as_in_torch():
    A, tau = RNG.normal(size=(4, 3)), np.zeros(0)
    ours = dp.linalg.householder_product(dp.tensor(A, dtype=dp.float64), dp.tensor(tau, dtype=dp.float64))
    np.testing.assert_array_equal(ours.data, torch.linalg.householder_product(torch.tensor(A), torch.tensor(tau)))


def test_householder_product_of_geqrf_is_q():
    A = RNG.normal(size=(5, 3))
    a, tau = torch.geqrf(torch.tensor(A))
    ours = dp.tensor(a.numpy(), dtype=dp.float64).orgqr(dp.tensor(tau.numpy(), dtype=dp.float64))
    np.testing.assert_allclose(ours.data, torch.linalg.qr(torch.tensor(A)).Q.numpy(), **TOL)


def test_vander_and_diagonal_match_torch():
    x = np.array([[0.0, 2.0, -1.5], [1.0, 0.5, 3.0]])
    both(lambda v: dp.linalg.vander(v, N=5), lambda v: torch.linalg.vander(v, N=5), x)
    both(dp.linalg.vander, torch.linalg.vander, x)
    assert dp.linalg.vander(dp.tensor([1, 2, 3])).tolist() == torch.linalg.vander(torch.tensor([1, 2, 3])).tolist()
    A = RNG.normal(size=(2, 3, 4))
    both(lambda a: dp.linalg.diagonal(a, offset=-1), lambda a: torch.linalg.diagonal(a, offset=-1), A)
    both(lambda a: dp.linalg.diagonal(a, dim1=0, dim2=1), lambda a: torch.linalg.diagonal(a, dim1=0, dim2=1), A)
