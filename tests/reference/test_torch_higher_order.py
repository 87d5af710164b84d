"""Second derivatives (``autograd.grad(..., create_graph=True)``, ``functional.hessian``, ``hvp``,
``vhp``) against PyTorch 2.13's, float64 to 1e-10 and float32 to 1e-4, on every case of
tests/higher_order_cases.py and on the uses second derivatives are taken for: a Hessian-vector
product of a network's loss, a gradient penalty on a critic's input gradient (WGAN-GP), and the
Hessian of logistic regression (Newton's method)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402
from higher_order_cases import CASES, draw  # noqa: E402

DTYPES = [(np.float64, torch.float64, 1e-10), (np.float32, torch.float32, 1e-4)]


def second_derivatives(L, function, arrays, w, vs, dtype):
    """(the gradient of s = Σ w·y², the gradient of Σ v·that gradient) in library ``L``."""
    make = (lambda a: dp.tensor(a, dtype=dtype, requires_grad=True)) if L is dp else (
        lambda a: torch.tensor(a, dtype=dtype, requires_grad=True))
    grad = autograd.grad if L is dp else torch.autograd.grad
    xs = [make(a) for a in arrays]
    y = function(L, L.nn.functional, *xs)
    s = ((dp.tensor(w, dtype=dtype) if L is dp else torch.tensor(w, dtype=dtype)) * y * y).sum()
    gs = grad(s, xs, create_graph=True, allow_unused=True)
    t = sum((g * (dp.tensor(v, dtype=dtype) if L is dp else torch.tensor(v, dtype=dtype))).sum()
            for g, v in zip(gs, vs) if g is not None and g.requires_grad)
    hs = grad(t, xs, allow_unused=True)
    as_array = (lambda g: None if g is None else g.data) if L is dp else (
        lambda g: None if g is None else g.detach().numpy())
    return [as_array(g) for g in gs], [as_array(h) for h in hs]


@pytest.mark.parametrize("np_dtype, torch_dtype, tolerance", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name, function, shapes, kind", CASES, ids=[case[0] for case in CASES])
def test_second_derivatives_equal_pytorchs(name, function, shapes, kind, np_dtype, torch_dtype, tolerance):
    arrays = draw(shapes, kind)
    rng = np.random.default_rng(1)
    y = function(torch, torch.nn.functional, *[torch.tensor(a) for a in arrays])
    w, vs = rng.standard_normal(tuple(y.shape)), [rng.standard_normal(a.shape) for a in arrays]
    ours = second_derivatives(dp, function, arrays, w, vs, np_dtype)
    theirs = second_derivatives(torch, function, arrays, w, vs, torch_dtype)
    for kind_, mine, reference in zip(("first", "second"), ours, theirs):
        for i, (a, b) in enumerate(zip(mine, reference)):
            if b is None:  # PyTorch: no path (the second derivative of a linear function)
                assert a is None or not np.any(a), f"{name}: {kind_} derivative of input {i}"
                continue
            assert a is not None, f"{name}: {kind_} derivative of input {i} missing"
            assert a.dtype == np_dtype
            np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=f"{name}: {kind_}, input {i}")


def _f64(values):
    return dp.tensor(values, dtype=np.float64)


def test_hessian_hvp_and_vhp_equal_pytorchs():
    rng = np.random.default_rng(2)
    x0, y0, v0, u0 = rng.standard_normal(3), rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal((2, 3))

    def f(L):
        return lambda x, y: ((y @ x).tanh() ** 2).sum() + (x.exp() * x).sum()

    ours = autograd.functional.hessian(f(dp), (_f64(x0), _f64(y0)))
    theirs = torch.autograd.functional.hessian(f(torch), (torch.tensor(x0), torch.tensor(y0)))
    for row_ours, row_theirs in zip(ours, theirs):
        for a, b in zip(row_ours, row_theirs):
            np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-10, atol=1e-12)
    for name in ("hvp", "vhp"):
        value, product = getattr(autograd.functional, name)(f(dp), (_f64(x0), _f64(y0)), (_f64(v0), _f64(u0)))
        value_t, product_t = getattr(torch.autograd.functional, name)(f(torch), (torch.tensor(x0), torch.tensor(y0)),
                                                                       (torch.tensor(v0), torch.tensor(u0)))
        np.testing.assert_allclose(value.data, value_t.numpy(), rtol=1e-12)
        for a, b in zip(product, product_t):
            np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-10, atol=1e-12)


def _copy_network(seed, dtype):
    torch.manual_seed(seed)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Sigmoid(),
                                    torch.nn.Linear(8, 3)).to(dtype)
    ours = dp.nn.Sequential(dp.nn.Linear(4, 8), dp.nn.Tanh(), dp.nn.Linear(8, 8), dp.nn.Sigmoid(), dp.nn.Linear(8, 3))
    ours.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    ours.to(dtype=np.float64 if dtype == torch.float64 else np.float32)
    return ours, reference


def loss_hessian_vector_products(ours, reference, X, labels, vs, np_dtype, torch_dtype):
    """(gradients, H·v) of the cross-entropy of ``ours`` (deltaprop) and of ``reference`` (PyTorch, the
    same network and weights) on (X, labels), with respect to the parameters, v given per parameter."""
    params = list(ours.parameters())
    loss = dp.nn.functional.cross_entropy(ours(dp.tensor(X, dtype=np_dtype)), dp.tensor(labels))
    grads = autograd.grad(loss, params, create_graph=True)
    hv = autograd.grad(sum((g * dp.tensor(v, dtype=np_dtype)).sum() for g, v in zip(grads, vs)), params)

    params_t = list(reference.parameters())
    loss_t = torch.nn.functional.cross_entropy(reference(torch.tensor(X, dtype=torch_dtype)), torch.tensor(labels))
    grads_t = torch.autograd.grad(loss_t, params_t, create_graph=True)
    hv_t = torch.autograd.grad(sum((g * torch.tensor(v, dtype=torch_dtype)).sum() for g, v in zip(grads_t, vs)), params_t)
    return (grads, hv), (grads_t, hv_t)


def assert_products_equal(ours, theirs, count, tolerance):
    """The (gradients, H·v) pairs of :func:`loss_hessian_vector_products` agree, one per parameter."""
    (grads, hv), (grads_t, hv_t) = ours, theirs
    assert len(hv) == len(hv_t) == count
    for a, g, b, g_t in zip(hv, grads, hv_t, grads_t):
        np.testing.assert_allclose(g.data, g_t.detach().numpy(), rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(a.data, b.numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("np_dtype, torch_dtype, tolerance", DTYPES, ids=["float64", "float32"])
def test_hessian_vector_product_of_a_networks_loss(np_dtype, torch_dtype, tolerance):
    ours, reference = _copy_network(0, torch_dtype)
    rng = np.random.default_rng(4)
    X, labels = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    vs = [rng.standard_normal(p.shape) for p in reference.parameters()]
    (_, hv), (_, hv_t) = loss_hessian_vector_products(ours, reference, X, labels, vs, np_dtype, torch_dtype)
    for a, b in zip(hv, hv_t):
        np.testing.assert_allclose(a.data, b.numpy(), rtol=tolerance, atol=tolerance)


def test_a_gradient_penalty_step_equals_pytorchs():
    """WGAN-GP: the critic's loss plus λ·(‖∂D/∂x̂‖₂ − 1)² at points between real and fake samples,
    differentiated with respect to the critic's parameters, which needs second derivatives."""
    torch.manual_seed(1)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.LeakyReLU(0.2), torch.nn.Linear(6, 1)).double()
    ours = dp.nn.Sequential(dp.nn.Linear(3, 6), dp.nn.LeakyReLU(0.2), dp.nn.Linear(6, 1))
    ours.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    ours.to(dtype=np.float64)
    rng = np.random.default_rng(5)
    real, fake, mix = rng.standard_normal((8, 3)), rng.standard_normal((8, 3)) + 1.0, rng.uniform(size=(8, 1))
    between = mix * real + (1 - mix) * fake

    def step(L, critic, tensor):
        x = tensor(between)
        x.requires_grad_(True)
        score = critic(x)
        grad = (autograd.grad if L is dp else torch.autograd.grad)(score.sum(), x, create_graph=True)[0]
        penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
        loss = critic(tensor(fake)).mean() - critic(tensor(real)).mean() + 10.0 * penalty
        return loss, (autograd.grad if L is dp else torch.autograd.grad)(loss, list(critic.parameters()))

    loss, grads = step(dp, ours, lambda a: dp.tensor(a, dtype=np.float64))
    loss_t, grads_t = step(torch, reference, lambda a: torch.tensor(a, dtype=torch.float64))
    np.testing.assert_allclose(loss.data, loss_t.detach().numpy(), rtol=1e-12)
    for a, b in zip(grads, grads_t):
        np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-10, atol=1e-12)


def test_the_hessian_of_logistic_regression_equals_pytorchs_and_the_closed_form():
    rng = np.random.default_rng(6)
    X, y, w0 = rng.standard_normal((30, 3)), rng.integers(0, 2, 30).astype(np.float64), rng.standard_normal(3) * 0.1

    def loss(L):
        data, target = (_f64(X), _f64(y)) if L is dp else (torch.tensor(X), torch.tensor(y))
        return lambda w: (-(target * (data @ w).sigmoid().log()) - (1 - target) * (1 - (data @ w).sigmoid()).log()).mean()

    H = autograd.functional.hessian(loss(dp), _f64(w0)).data
    H_t = torch.autograd.functional.hessian(loss(torch), torch.tensor(w0)).numpy()
    np.testing.assert_allclose(H, H_t, rtol=1e-10)
    # the exact Hessian of the mean log-loss: Xᵀ·diag(p(1 − p))·X / n
    p = 1 / (1 + np.exp(-X @ w0))
    np.testing.assert_allclose(H, X.T @ (X * (p * (1 - p))[:, None]) / len(X), rtol=1e-10)
