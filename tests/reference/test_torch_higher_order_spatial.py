"""Second and third derivatives through convolutions and pooling against PyTorch 2.13's: a WGAN-GP
step of a convolutional critic (whose input gradient is differentiated with respect to the
convolutions' weights), a Hessian-vector product of a small CNN's loss, third derivatives through a
convolution and a transposed convolution (the rules of the rules of the rules), and max unpooling
onto shared places. The cases of every spatial rule are in tests/higher_order_cases_spatial.py."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402
from test_torch_higher_order import assert_products_equal, loss_hessian_vector_products  # noqa: E402


def _copy(reference, ours, np_dtype):
    """``ours`` with ``reference``'s parameters, in ``np_dtype``."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    ours.to(dtype=np_dtype)
    return ours


def _critic(L):
    nn = L.nn
    return nn.Sequential(nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(4, 3, 3, padding=1, groups=1),
                         nn.Flatten(), nn.Linear(3 * 4 * 4, 1))


def test_a_gradient_penalty_step_of_a_convolutional_critic_equals_pytorchs():
    """WGAN-GP: the critic's loss plus λ·(‖∂D/∂x̂‖₂ − 1)² at points between real and fake images,
    differentiated with respect to the critic's parameters."""
    torch.manual_seed(3)
    reference = _critic(torch).double()
    ours = _copy(reference, _critic(dp), np.float64)
    rng = np.random.default_rng(7)
    real, fake = rng.standard_normal((5, 2, 8, 8)), rng.standard_normal((5, 2, 8, 8)) + 0.5
    mix = rng.uniform(size=(5, 1, 1, 1))
    between = mix * real + (1 - mix) * fake

    def step(L, critic):
        tensor = (lambda a: dp.tensor(a, dtype=np.float64)) if L is dp else torch.tensor
        grad = autograd.grad if L is dp else torch.autograd.grad
        x = tensor(between)
        x.requires_grad_(True)
        (gx,) = grad(critic(x).sum(), x, create_graph=True)
        penalty = ((gx.reshape(5, -1).norm(2, dim=1) - 1) ** 2).mean()
        loss = critic(tensor(fake)).mean() - critic(tensor(real)).mean() + 10.0 * penalty
        return loss, grad(loss, list(critic.parameters()))

    loss, grads = step(dp, ours)
    loss_t, grads_t = step(torch, reference)
    np.testing.assert_allclose(loss.data, loss_t.detach().numpy(), rtol=1e-12)
    assert len(grads) == len(grads_t) == 6
    for a, b in zip(grads, grads_t):
        np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-10, atol=1e-12)


def _cnn(L):
    nn = L.nn
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(3, 2, 2, groups=1),
                         nn.ReLU(), nn.AvgPool2d(2, stride=1), nn.Flatten(), nn.Linear(2 * 2 * 2, 3))


@pytest.mark.parametrize("np_dtype, torch_dtype, tolerance", [(np.float64, torch.float64, 1e-10),
                                                              (np.float32, torch.float32, 1e-4)], ids=["float64", "float32"])
def test_hessian_vector_product_of_a_cnns_loss(np_dtype, torch_dtype, tolerance):
    torch.manual_seed(4)
    reference = _cnn(torch).to(torch_dtype)
    ours = _copy(reference, _cnn(dp), np_dtype)
    rng = np.random.default_rng(8)
    X, labels = rng.standard_normal((6, 1, 8, 8)), rng.integers(0, 3, 6)
    vs = [rng.standard_normal(tuple(p.shape)) for p in reference.parameters()]
    assert_products_equal(*loss_hessian_vector_products(ours, reference, X, labels, vs, np_dtype, torch_dtype), 6,
                          tolerance)


@pytest.mark.parametrize("name, function, shapes", [
    ("conv2d", lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2), [(2, 4, 5, 5), (4, 2, 3, 3), (4,)]),
    # (without output_padding: PyTorch 2.13's third derivative of one raises "output_padding is not
    # supported for non-transposed convolutions"; see the finite-difference test below)
    ("conv_transpose1d", lambda F, x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, dilation=2),
     [(2, 3, 4), (3, 2, 3), (2,)]),
])
def test_third_derivatives_through_a_convolution_equal_pytorchs(name, function, shapes):
    """The gradient of Σ u·∇(Σ v·∇ Σ w·y³), y a convolution of x with W and b: each derivative is
    taken with create_graph=True, so the rules of the input and weight gradients are themselves
    differentiated (the triple of bilinear maps is closed), with respect to all three inputs."""
    rng = np.random.default_rng(9)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    vs, us = [rng.standard_normal(shape) for shape in shapes], [rng.standard_normal(shape) for shape in shapes]

    def thirds(L):
        tensor = (lambda a: dp.tensor(a, dtype=np.float64)) if L is dp else torch.tensor
        grad = autograd.grad if L is dp else torch.autograd.grad
        xs = [tensor(a).requires_grad_(True) for a in arrays]
        y = function(L.nn.functional, *xs)
        w = tensor(rng_w.standard_normal(tuple(y.shape)))
        first = grad((w * y ** 3).sum(), xs, create_graph=True)
        second = grad(sum((g * tensor(v)).sum() for g, v in zip(first, vs)), xs, create_graph=True)
        third = grad(sum((h * tensor(u)).sum() for h, u in zip(second, us)), xs)
        as_array = (lambda t: t.data) if L is dp else (lambda t: t.detach().numpy())
        return [[as_array(t) for t in order] for order in (first, second, third)]

    rng_w = np.random.default_rng(10)
    ours = thirds(dp)
    rng_w = np.random.default_rng(10)
    theirs = thirds(torch)
    for order, (mine, reference) in enumerate(zip(ours, theirs), 1):
        for i, (a, b) in enumerate(zip(mine, reference)):
            assert np.abs(b).max() > 1e-3  # every order reaches every input
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10, err_msg=f"{name}: order {order}, input {i}")


def test_third_derivatives_through_a_transposed_convolution_with_output_padding_by_finite_differences():
    """What PyTorch cannot take (above): the third derivative of Σ w·y³, y a transposed convolution
    with stride, output padding and groups, as central differences of the second (t = Σ v·∇s)."""
    rng = np.random.default_rng(12)
    shapes = [(2, 4, 3), (4, 1, 3), (2,)]
    arrays = [rng.standard_normal(shape) for shape in shapes]
    w = rng.standard_normal((2, 2, 6))
    vs, us = [rng.standard_normal(shape) for shape in shapes], [rng.standard_normal(shape) for shape in shapes]

    def second(values, create_graph):
        xs = [dp.tensor(a, dtype=np.float64, requires_grad=True) for a in values]
        y = dp.nn.functional.conv_transpose1d(*xs, stride=2, padding=1, output_padding=1, groups=2)
        first = autograd.grad((dp.tensor(w) * y ** 3).sum(), xs, create_graph=True)
        t = sum((g * dp.tensor(v)).sum() for g, v in zip(first, vs))
        return xs, autograd.grad(t, xs, create_graph=create_graph)

    xs, seconds = second(arrays, True)
    third = autograd.grad(sum((h * dp.tensor(u)).sum() for h, u in zip(seconds, us)), xs)
    eps = 1e-6
    for i, a in enumerate(arrays):
        numeric = np.zeros(a.size)
        for k in range(a.size):
            values = []
            for step in (eps, -eps):
                moved = [b.copy() for b in arrays]
                moved[i].reshape(-1)[k] += step
                values.append(sum(float((h.data * u).sum()) for h, u in zip(second(moved, False)[1], us)))
            numeric[k] = (values[0] - values[1]) / (2 * eps)
        assert np.abs(numeric).max() > 1e-3
        # (central differences of values in the hundreds: an absolute error of about 1e-6 everywhere)
        np.testing.assert_allclose(third[i].data.reshape(-1), numeric, rtol=1e-6, atol=1e-8 * np.abs(numeric).max(),
                                   err_msg=f"input {i}")


def test_max_unpooling_onto_shared_places_equals_pytorch():
    """Overlapping windows give two values the same place: the forward keeps the last, the rule
    (PyTorch's) gathers the place's gradient for both, and the second derivative follows the rule.
    (Not in the finite-difference cases: this rule is not the derivative of the forward there.)"""
    rng = np.random.default_rng(11)
    x0, w, v = rng.standard_normal((2, 2, 6)), rng.standard_normal((2, 2, 6)), rng.standard_normal((2, 2, 6))

    def second(L):
        F = L.nn.functional
        tensor = (lambda a: dp.tensor(a, dtype=np.float64)) if L is dp else torch.tensor
        grad = autograd.grad if L is dp else torch.autograd.grad
        x = tensor(x0).requires_grad_(True)
        pooled, where = F.max_pool1d(x, 3, stride=1, return_indices=True)
        assert len(np.unique(np.asarray(where[0, 0]))) < where.shape[-1]  # places are shared
        y = F.max_unpool1d(pooled, where, 3, stride=1)
        (g,) = grad((tensor(w) * y * y).sum(), x, create_graph=True)
        (h,) = grad((g * tensor(v)).sum(), x)
        return (g.data, h.data) if L is dp else (g.detach().numpy(), h.numpy())

    for a, b in zip(second(dp), second(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
