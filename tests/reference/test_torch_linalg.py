"""deltaprop.linalg against torch.linalg: values and gradients, in float64 and float32.

Each case is one function of the library (``lib`` is deltaprop or torch, whose ``linalg`` share
names) and of its input tensors. The gradient compared is that of Σ w·out, w fixed random weights,
for every output. Outputs with a sign ambiguity (eigenvectors, singular vectors) enter through
sign-invariant expressions: U∘U, U·diag(c)·Vh, the reconstructed A.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference deltaprop.linalg is compared with")

import deltaprop as dp  # noqa: E402

INF = np.inf
TORCH = {np.float64: torch.float64, np.float32: torch.float32}
TOLERANCES = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=2e-4, atol=2e-4)}


def general(shape, seed=0):
    """Random matrices kept well-conditioned by a diagonal shift (for square ones)."""
    X = np.random.default_rng(seed).standard_normal(shape)
    if len(shape) >= 2 and shape[-1] == shape[-2]:
        X = X + shape[-1] * np.eye(shape[-1])
    return X


def spd(shape, seed=0):
    X = np.random.default_rng(seed).standard_normal(shape)
    return X @ np.swapaxes(X, -1, -2) + shape[-1] * np.eye(shape[-1])


def with_zeros(shape, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape)
    x.flat[::3] = 0.0
    return x


def outputs(result):
    return list(result) if isinstance(result, tuple) else [result]


def agree(fn, arrays, dtype):
    """fn(dp, *tensors) and fn(torch, *tensors): the same outputs, and the same gradients of Σ w·out."""
    ours = [dp.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=TORCH[dtype], requires_grad=True) for a in arrays]
    out_ours, out_theirs = outputs(fn(dp, *ours)), outputs(fn(torch, *theirs))
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(o.shape) for o in out_theirs]
    for o, t in zip(out_ours, out_theirs):
        np.testing.assert_allclose(o.data, t.detach().numpy(), **TOLERANCES[dtype])
    loss_ours = sum((o * dp.tensor(w, dtype=dtype)).sum() for o, w in zip(out_ours, weights) if o.requires_grad)
    loss_theirs = sum((t * torch.tensor(w, dtype=TORCH[dtype])).sum() for t, w in zip(out_theirs, weights)
                      if t.requires_grad)
    loss_ours.backward()
    loss_theirs.backward()
    for o, t in zip(ours, theirs):
        assert o.grad.dtype == dtype
        expected = np.zeros(o.shape) if t.grad is None else t.grad.numpy()  # torch's "no gradient": 0
        np.testing.assert_allclose(o.grad, expected, **TOLERANCES[dtype])


def case(name, fn, *arrays):
    return pytest.param(fn, arrays, id=name)


NORMS = [
    *[case(f"vector_norm-{o}", lambda lib, x, o=o: lib.linalg.vector_norm(x, o), with_zeros((3, 4)))
      for o in [2, 1, INF, -INF, 0, 3, 0.5, -1, 1.5]],
    *[case(f"vector_norm-{o}-dim", lambda lib, x, o=o: lib.linalg.vector_norm(x, o, (0, 2), True),
           general((2, 3, 4))) for o in [2, 1, INF, -INF, 3, 0.5, -1, 1.5]],
    case("vector_norm-zeros", lambda lib, x: lib.linalg.vector_norm(x), np.zeros((2, 3))),
    case("vector_norm-ties", lambda lib, x: lib.linalg.vector_norm(x, INF, 1), np.array([[3.0, -3.0, 1.0]])),
    *[case(f"matrix_norm-{o}", lambda lib, x, o=o: lib.linalg.matrix_norm(x, o), general((2, 3, 4)))
      for o in ["fro", "nuc", 1, -1, 2, -2, INF, -INF]],
    *[case(f"matrix_norm-{o}-dim", lambda lib, x, o=o: lib.linalg.matrix_norm(x, o, (2, 0), True),
           general((3, 2, 4), seed=2)) for o in ["fro", "nuc", 1, -1, 2, -2, INF, -INF]],
    case("matrix_norm-column-tie", lambda lib, x: lib.linalg.matrix_norm(x, 1), np.array([[1.0, -2.0], [3.0, 2.0]])),
    case("norm-all", lambda lib, x: lib.linalg.norm(x), general((2, 3, 4))),
    case("norm-dim", lambda lib, x: lib.linalg.norm(x, 3, 1), general((2, 3, 4))),
    case("norm-matrix", lambda lib, x: lib.linalg.norm(x, "nuc"), general((3, 4))),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn,arrays", NORMS)
def test_norms_agree_with_torch(fn, arrays, dtype):
    agree(fn, arrays, dtype)


SQUARE = [
    case("det", lambda lib, A: lib.linalg.det(A), general((3, 3))),
    case("det-batch", lambda lib, A: lib.linalg.det(A), general((2, 4, 4))),
    case("slogdet", lambda lib, A: lib.linalg.slogdet(A), general((2, 3, 3))),
    case("slogdet-negative", lambda lib, A: lib.linalg.slogdet(A), -general((3, 3))),
    case("inv", lambda lib, A: lib.linalg.inv(A), general((2, 3, 3))),
    case("solve-vector", lambda lib, A, B: lib.linalg.solve(A, B), general((3, 3)), general((3,))),
    case("solve-batch-vectors", lambda lib, A, B: lib.linalg.solve(A, B), general((2, 3, 3)), general((2, 3))),
    case("solve-broadcast", lambda lib, A, B: lib.linalg.solve(A, B), general((2, 1, 3, 3)), general((4, 3, 2))),
    case("solve-right", lambda lib, A, B: lib.linalg.solve(A, B, left=False), general((2, 3, 3)), general((4, 3))),
    *[case(f"matrix_power-{n}", lambda lib, A, n=n: lib.linalg.matrix_power(A, n), general((2, 3, 3)) / 3)
      for n in [0, 1, 2, 5, -1, -2]],
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn,arrays", SQUARE)
def test_square_matrix_functions_agree_with_torch(fn, arrays, dtype):
    agree(fn, arrays, dtype)


def eigenvector_squares(lib, A):
    values, vectors = lib.linalg.eigh(A)
    return values, vectors * vectors


def svd_invariants(full_matrices):
    """S, U∘U and Vh∘Vh of the first k vectors, and U·diag(1..k)·Vh: blind to each pair's sign."""
    def fn(lib, A):
        U, S, Vh = lib.linalg.svd(A, full_matrices=full_matrices)
        k = S.shape[-1]
        U, Vh = U[..., :k], Vh[..., :k, :]
        scale = lib.arange(1, k + 1, dtype=A.dtype)
        return S, U * U, Vh * Vh, (U * scale) @ Vh
    return fn


DECOMPOSITIONS = [
    case("cholesky", lambda lib, A: lib.linalg.cholesky(A), spd((2, 4, 4))),
    case("cholesky-upper", lambda lib, A: lib.linalg.cholesky(A, upper=True), spd((3, 3))),
    case("qr-tall", lambda lib, A: lib.linalg.qr(A), general((2, 5, 3))),
    case("qr-square", lambda lib, A: lib.linalg.qr(A), general((4, 4))),
    case("qr-wide", lambda lib, A: lib.linalg.qr(A), general((3, 5))),
    case("qr-complete-wide", lambda lib, A: lib.linalg.qr(A, mode="complete"), general((3, 5))),
    case("eigh", eigenvector_squares, spd((2, 4, 4))),
    case("eigh-upper", lambda lib, A: lib.linalg.eigh(A, UPLO="U").eigenvalues, spd((3, 3))),
    case("eigvalsh", lambda lib, A: lib.linalg.eigvalsh(A), spd((2, 3, 3))),
    case("svd-tall", svd_invariants(False), general((2, 5, 3))),
    case("svd-wide", svd_invariants(False), general((3, 5))),
    case("svd-full", svd_invariants(True), general((5, 3))),
    case("svdvals", lambda lib, A: lib.linalg.svdvals(A), general((2, 4, 3))),
    case("pinv-tall", lambda lib, A: lib.linalg.pinv(A), general((2, 5, 3))),
    case("pinv-wide", lambda lib, A: lib.linalg.pinv(A), general((3, 4))),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn,arrays", DECOMPOSITIONS)
def test_decompositions_agree_with_torch(fn, arrays, dtype):
    agree(fn, arrays, dtype)


def test_svd_full_matrices_drops_the_gradient_of_the_extra_columns_as_torch():
    A = general((5, 3), seed=3)
    ours, theirs = dp.tensor(A, dtype=np.float64, requires_grad=True), torch.tensor(A, requires_grad=True)
    weights = np.random.default_rng(2).standard_normal((5, 5))
    (dp.linalg.svd(ours).U ** 2 * dp.tensor(weights, dtype=np.float64)).sum().backward()
    (torch.linalg.svd(theirs).U ** 2 * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-10)


PRODUCTS = [
    case("matmul", lambda lib, a, b: lib.linalg.matmul(a, b), general((2, 3, 4)), general((4, 2))),
    case("multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), general((3,)), general((3, 4)),
         general((4, 2))),
    case("vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b, dim=0), general((2, 3)), general((2, 1))),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn,arrays", PRODUCTS)
def test_products_agree_with_torch(fn, arrays, dtype):
    agree(fn, arrays, dtype)
