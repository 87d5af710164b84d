"""Tensor hooks during a sweep with create_graph=True, against PyTorch 2.13: a hook gets the gradient
as a tensor of the graph, what it returns replaces the gradient, and what it computed is
differentiated with the rest; a leaf's hooks see the sum of what reached it; every hook runs once
per sweep, also where a rule differentiates a restatement of its primitive (layer_norm)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import GradError  # noqa: E402

X = np.array([[0.5, -1.2, 0.3], [1.5, 0.7, -0.4]])
W = np.array([[0.2, -0.7, 1.1], [0.9, 0.4, -0.3]])


def interior_scaled(L, x):
    y = x * x
    y.register_hook(lambda g: g * 3.0)
    return y


def interior_through_the_graph(L, x):
    y = x.tanh()
    y.register_hook(lambda g: g * x)  # a hook that computes with a tensor requiring a gradient
    return y * x


def on_the_leaf(L, x):
    x.register_hook(lambda g: g.sin())  # sees the sum of both paths' gradients
    return x * x + x.exp()


def through_layer_norm(L, x):
    x.register_hook(lambda g: g * 2.0)
    return L.nn.functional.layer_norm(x * 1.5, (3,))


CASES = {"interior scaled": interior_scaled, "interior through the graph": interior_through_the_graph,
         "on the leaf": on_the_leaf, "through layer_norm": through_layer_norm}


def first_and_second(L, tensor, build):
    x = tensor(X)
    x.requires_grad_(True)
    (g,) = L.autograd.grad((build(L, x) * tensor(W)).sum(), x, create_graph=True)
    (h,) = L.autograd.grad((g * g).sum(), x)
    return g, h


@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_hooks_run_in_the_differentiable_sweep_as_in_pytorch(build):
    g, h = first_and_second(dp, lambda a: dp.tensor(a, dtype=np.float64), build)
    g_t, h_t = first_and_second(torch, lambda a: torch.tensor(a, dtype=torch.float64), build)
    assert g.requires_grad
    np.testing.assert_allclose(g.data, g_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h.data, h_t.numpy(), rtol=1e-12, atol=1e-14)


def test_each_hook_runs_once_and_sees_a_tensor_of_the_graph():
    seen = []
    x = dp.tensor(X, dtype=np.float64, requires_grad=True)
    x.register_hook(lambda g: seen.append(("leaf", g)))
    y = dp.nn.functional.layer_norm(x, (3,))  # a rule that differentiates a restatement, reaching x inside
    y.register_hook(lambda g: seen.append(("interior", g)))
    (g,) = dp.autograd.grad((y * dp.tensor(W, dtype=np.float64)).sum(), x, create_graph=True)
    assert [name for name, _ in seen] == ["interior", "leaf"]
    assert all(isinstance(t, dp.Tensor) for _, t in seen) and seen[1][1].requires_grad
    np.testing.assert_array_equal(seen[1][1].data, g.data)


def test_a_hook_returning_another_shape_is_refused():
    x = dp.tensor(X, dtype=np.float64, requires_grad=True)
    y = x * x
    y.register_hook(lambda g: g.sum())
    with pytest.raises(GradError, match=r"returned a gradient of shape \(\) for a tensor of shape \(2, 3\)"):
        dp.autograd.grad(y.sum(), x, create_graph=True)
