"""``autograd.functional`` with ``create_graph=True`` against PyTorch 2.13, float64: each result
(vjp, jacobian, jvp, hessian, hvp, vhp) must be a tensor of the graph whose own gradient with
respect to the caller's inputs equals PyTorch's, as must the result itself."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402

RNG = np.random.default_rng(5)
X, W = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))
V_OUT, V_IN = RNG.standard_normal((3, 2)), (RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2)))


def const(L, a):
    """A float64 constant (deltaprop's default dtype is float32, PyTorch keeps NumPy's float64)."""
    return dp.tensor(a, dtype=np.float64) if L is dp else torch.tensor(a)


def network(L):
    """(x, w) ↦ tanh(x·w)·x[:, :2]: a vector function, and its sum squared (a scalar one)."""
    vector = lambda x, w: (x @ w).tanh() * x[:, :2]  # noqa: E731
    return vector, lambda x, w: (vector(x, w) ** 2).sum()


CALLS = {
    "vjp": lambda L, fs, xs: L.autograd.functional.vjp(fs[0], xs, const(L, V_OUT), create_graph=True)[1],
    "jacobian": lambda L, fs, xs: L.autograd.functional.jacobian(fs[0], xs, create_graph=True),
    "jvp": lambda L, fs, xs: (L.autograd.functional.jvp(fs[0], xs, tuple(const(L, v) for v in V_IN), create_graph=True)[1],),
    "hessian": lambda L, fs, xs: sum(L.autograd.functional.hessian(fs[1], xs, create_graph=True), ()),
    "hvp": lambda L, fs, xs: L.autograd.functional.hvp(fs[1], xs, tuple(const(L, v) for v in V_IN), create_graph=True)[1],
    "vhp": lambda L, fs, xs: L.autograd.functional.vhp(fs[1], xs, tuple(const(L, v) for v in V_IN), create_graph=True)[1],
}


def results_and_their_gradients(L, name):
    make = (lambda a: dp.tensor(a, dtype=np.float64, requires_grad=True)) if L is dp else (
        lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True))
    xs = (make(X), make(W))
    results = CALLS[name](L, network(L), xs)
    rng = np.random.default_rng(6)
    weights = [const(L, rng.standard_normal(tuple(r.shape))) for r in results]
    total = sum((r * c).sum() for r, c in zip(results, weights))
    grads = (autograd.grad if L is dp else torch.autograd.grad)(total, xs)
    as_array = (lambda t: t.data) if L is dp else (lambda t: t.detach().numpy())
    return [as_array(r) for r in results], [as_array(g) for g in grads]


@pytest.mark.parametrize("name", list(CALLS))
def test_functional_results_are_differentiable_as_pytorchs(name):
    ours, theirs = results_and_their_gradients(dp, name), results_and_their_gradients(torch, name)
    for kind, mine, reference in zip(("result", "gradient of the result"), ours, theirs):
        assert len(mine) == len(reference)
        for a, b in zip(mine, reference):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}: {kind}")


def test_without_create_graph_the_results_are_constants():
    x = dp.tensor(X, dtype=np.float64, requires_grad=True)
    jac = autograd.functional.jacobian(lambda t: t.tanh(), x)
    assert not jac.requires_grad
    jac = autograd.functional.jacobian(lambda t: t.tanh(), x, create_graph=True)
    assert jac.requires_grad
