"""deltaprop.sparse's dense-backed COO tensors against PyTorch's sparse ones: the same values (as
``to_dense()`` shows them), products and gradients, as pytorch/examples' GCN builds and uses them."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import ShapeError  # noqa: E402

INDICES = np.array([[0, 1, 1, 3, 1], [2, 0, 0, 1, 3]], dtype=np.int32)  # (1, 0) twice: added up


def _sparse(lib, indices, values, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's note that its invariant checks are off)
        return lib.sparse_coo_tensor(indices, values, *args, **kwargs)


@pytest.mark.parametrize("size", [(4, 4), (5, 6), None])
def test_the_tensor_and_its_product_with_their_gradients_are_pytorchs(size):
    rng = np.random.default_rng(0)
    values, dense = rng.normal(size=5), rng.normal(size=(4 if size is None else size[1], 3))
    results = []
    for lib in (dp, torch):
        v = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        d = lib.tensor(dense, dtype=lib.float64, requires_grad=True)
        s = _sparse(lib, INDICES, v) if size is None else _sparse(lib, INDICES, v, size)
        out = lib.spmm(s, d) * lib.tensor(np.arange(s.shape[0] * 3.0).reshape(-1, 3))
        out.sum().backward()
        results.append((s.to_dense().detach().numpy(), out.detach().numpy(), v.grad, d.grad, tuple(s.shape)))
    (s, out, gv, gd, shape), (s_ref, out_ref, gv_ref, gd_ref, shape_ref) = results
    assert shape == shape_ref
    np.testing.assert_allclose(s, s_ref, rtol=1e-15)
    np.testing.assert_allclose(out, out_ref, rtol=1e-12)
    np.testing.assert_allclose(gv, np.asarray(gv_ref), rtol=1e-12)
    np.testing.assert_allclose(gd, np.asarray(gd_ref), rtol=1e-12)


def test_gcns_adjacency_matrix_is_pytorchs():
    # load_cora: integer ones at the edges, self-loops added by a float eye, the renormalisation
    # D^-1/2 A D^-1/2 with diag(...).to_sparse(), and the sparse @ dense products
    built = []
    for lib in (dp, torch):
        adj = _sparse(lib, INDICES, lib.ones(5), (4, 4), dtype=lib.int64)
        assert adj.dtype == lib.int64
        adj = lib.eye(4) + adj
        degree = lib.sqrt(1 / lib.sum(adj, dim=1))
        degree = lib.diag(degree).to_sparse()
        built.append((degree @ adj @ degree).to_dense().numpy())
    np.testing.assert_allclose(built[0], built[1], rtol=1e-6)


def test_to_sparse_and_to_dense_pass_the_gradient_as_pytorchs():
    x = np.arange(6.0).reshape(2, 3) - 2.5  # (no zeros: PyTorch's sparse product gives none a gradient, porting.md)
    grads = []
    for lib in (dp, torch):
        t = lib.tensor(x, requires_grad=True)
        y = lib.sparse.mm(t.to_sparse(), lib.ones(3, 2, dtype=lib.float64) * 2).to_dense()
        (y * y).sum().backward()
        grads.append(np.asarray(t.grad))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)
    t = dp.tensor(x)
    assert t.to_dense() is t and t.is_sparse is False and t.to_sparse() is not t
    assert t.to_dense(dtype=dp.float32).dtype == np.float32


def test_dense_dimensions_of_the_values_are_pytorchs():
    values = np.arange(10.0).reshape(5, 2)
    ours = _sparse(dp, INDICES, dp.tensor(values), (4, 4, 2))
    theirs = _sparse(torch, INDICES, torch.tensor(values), (4, 4, 2))
    np.testing.assert_array_equal(ours.data, theirs.to_dense().numpy())


def test_a_result_asked_to_require_grad_is_a_leaf():
    s = dp.sparse_coo_tensor(INDICES, np.ones(5), (4, 4), requires_grad=True)
    assert s.requires_grad and s.is_leaf


@pytest.mark.parametrize("call, error, message", [
    (lambda: dp.sparse_coo_tensor(INDICES, dp.ones(4), (4, 4)), ShapeError,
     r"indices give 5 positions but values has shape \(4,\)"),
    (lambda: dp.sparse_coo_tensor(INDICES[0], dp.ones(5), (4, 4)), ShapeError, r"indices must be 2-dimensional"),
    (lambda: dp.sparse_coo_tensor(INDICES, dp.ones(5, 2), (4, 4)), ShapeError, r"size \(4, 4\) does not fit 2 sparse"),
    (lambda: dp.sparse_coo_tensor(INDICES, dp.ones(5), (2, 4)), ShapeError, r"an index lies outside size \(2, 4\)"),
    (lambda: dp.sparse_coo_tensor(-INDICES, dp.ones(5), (4, 4)), ShapeError, r"an index lies outside size"),
    (lambda: dp.sparse_coo_tensor(INDICES * 1.0, dp.ones(5), (4, 4)), TypeError,
     r"indices must be integers, got dtype float64"),
    (lambda: dp.sparse_coo_tensor(INDICES, dp.ones(5), (4, 4), device="cuda"), ValueError, r"sparse_coo_tensor"),
])
def test_what_cannot_be_built_is_refused_in_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call()
