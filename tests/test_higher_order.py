"""Second derivatives (``autograd.grad(..., create_graph=True)``) checked against finite differences
of first derivatives, float64. Each case of tests/higher_order_cases.py is made into the scalar
s = Σ w·y² (so the gradient that reaches the primitive depends on the inputs too); its gradient
g(x) is taken with create_graph=True, then t = Σ v·g(x) is differentiated again. The second
gradient must equal the central differences of t computed with first derivatives only (the
primitives' NumPy rules), input element by input element. tests/reference/ compares the same
against PyTorch."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import autograd
from deltaprop.errors import GradError
from higher_order_cases import CASES, FINITE_DIFFERENCES_ONLY, draw

F = dp.nn.functional


def T(values, **options):
    """A float64 tensor (deltaprop's default dtype is float32)."""
    return dp.tensor(values, dtype=options.pop("dtype", np.float64), **options)


def scalar(function, xs, w):
    y = function(dp, F, *xs)
    return (T(w) * y * y).sum()


def directions(function, arrays, seed=1):
    xs = [T(a, requires_grad=True) for a in arrays]
    y = function(dp, F, *xs)
    rng = np.random.default_rng(seed)
    return rng.standard_normal(y.shape), [rng.standard_normal(a.shape) for a in arrays]


def first_order_t(function, arrays, w, vs) -> float:
    """t = Σ v·∇s at ``arrays``, by the ordinary (array) sweep."""
    xs = [T(a, requires_grad=True) for a in arrays]
    grads = autograd.grad(scalar(function, xs, w), xs, allow_unused=True)
    return sum(float(np.sum(v * (0 if g is None else g.data))) for v, g in zip(vs, grads))


@pytest.mark.parametrize("name, function, shapes, kind", CASES + FINITE_DIFFERENCES_ONLY,
                         ids=[case[0] for case in CASES + FINITE_DIFFERENCES_ONLY])
def test_second_derivative_against_finite_differences(name, function, shapes, kind):
    arrays = draw(shapes, kind)
    w, vs = directions(function, arrays)
    xs = [T(a, requires_grad=True) for a in arrays]
    grads = autograd.grad(scalar(function, xs, w), xs, create_graph=True, allow_unused=True)
    # the first derivatives equal the ordinary sweep's
    leaves = [T(a, requires_grad=True) for a in arrays]
    plain = autograd.grad(scalar(function, leaves, w), leaves, allow_unused=True)
    for g, p in zip(grads, plain):
        assert (g is None) == (p is None)
        if g is not None:
            assert g.data.shape == p.data.shape, f"{name}: the gradient's shape {g.data.shape}, not {p.data.shape}"
            np.testing.assert_allclose(g.data, p.data, rtol=1e-12, atol=1e-14)
    t = sum((g * T(v)).sum() for g, v in zip(grads, vs) if g is not None and g.requires_grad)
    second = autograd.grad(t, xs, allow_unused=True)
    eps = 1e-6
    for i, a in enumerate(arrays):
        numeric = np.zeros(a.size)
        for k in range(a.size):
            up, down = [b.copy() for b in arrays], [b.copy() for b in arrays]
            up[i].reshape(-1)[k] += eps
            down[i].reshape(-1)[k] -= eps
            numeric[k] = (first_order_t(function, up, w, vs) - first_order_t(function, down, w, vs)) / (2 * eps)
        analytic = np.zeros(a.size) if second[i] is None else second[i].data.reshape(-1)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6, err_msg=f"{name}: input {i}")


def test_third_derivative_of_tanh():
    """d³/dx³ tanh x = −2 sech²x (1 − 3 tanh²x), through the rules of the rules."""
    x = T(np.array([-0.7, 0.1, 1.3]), requires_grad=True)
    (g,) = autograd.grad(x.tanh().sum(), x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x, create_graph=True)
    (third,) = autograd.grad(h.sum(), x)
    t = np.tanh(x.data)
    np.testing.assert_allclose(third.data, -2 * (1 - t * t) * (1 - 3 * t * t), rtol=1e-12)


def test_third_derivative_through_linear_maps():
    """sum, reshape and indexing passed three times: d³/dx³ of Σ x[::2]⁴ is 24·x at those places."""
    x = T(np.array([0.5, -1.0, 2.0, 0.25]), requires_grad=True)
    y = (x.reshape(2, 2)[:, 0] ** 4).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    (h,) = autograd.grad(g.sum(), x, create_graph=True)
    (third,) = autograd.grad(h.sum(), x)
    np.testing.assert_allclose(third.data, [12.0, 0.0, 48.0, 0.0], rtol=1e-12)


def test_hessian_of_a_quadratic_form():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 4))
    x0 = rng.standard_normal(4)
    H = autograd.functional.hessian(lambda x: (x @ T(A) @ x) * 0.5 + x.exp().sum(), T(x0))
    np.testing.assert_allclose(H.data, (A + A.T) / 2 + np.diag(np.exp(x0)), rtol=1e-12)
    v = rng.standard_normal(4)
    value, product = autograd.functional.hvp(lambda x: (x @ T(A) @ x) * 0.5 + x.exp().sum(), T(x0), T(v))
    np.testing.assert_allclose(product.data, H.data @ v, rtol=1e-12)
    np.testing.assert_allclose(value.data, 0.5 * x0 @ A @ x0 + np.exp(x0).sum(), rtol=1e-12)
    assert not value.requires_grad and not product.requires_grad


def test_hessian_blocks_of_two_inputs_and_of_a_linear_function():
    x0, y0 = np.array([0.3, -0.2]), np.array([1.5])
    blocks = autograd.functional.hessian(lambda x, y: (x * x * y).sum(), (T(x0), T(y0)))
    np.testing.assert_allclose(blocks[0][0].data, np.diag(2 * y0.repeat(2)), rtol=1e-12)
    np.testing.assert_allclose(blocks[0][1].data, (2 * x0).reshape(2, 1), rtol=1e-12)
    np.testing.assert_allclose(blocks[1][0].data, (2 * x0).reshape(1, 2), rtol=1e-12)
    np.testing.assert_allclose(blocks[1][1].data, np.zeros((1, 1)))
    linear = autograd.functional.hessian(lambda x: (x * 3.0).sum(), T(x0))
    np.testing.assert_array_equal(linear.data, np.zeros((2, 2)))


def test_grad_outputs_that_require_a_gradient_are_differentiated():
    x = T(np.array([1.0, 2.0]), requires_grad=True)
    u = T(np.array([0.5, -1.0]), requires_grad=True)
    (g,) = autograd.grad(x * x, x, grad_outputs=u, create_graph=True)  # g = 2·x·u
    (gu,) = autograd.grad(g.sum(), u)
    np.testing.assert_allclose(gu.data, 2 * x.data)


def test_a_gradient_that_depends_on_nothing_needs_none():
    x = T(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = autograd.grad((x * 3.0).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [3.0, 3.0])
    assert not g.requires_grad
    with pytest.raises(GradError, match="does not require a gradient"):
        autograd.grad(g.sum(), x)


def test_a_float32_parameter_in_a_float64_computation_keeps_float32_gradients():
    w = T(np.array([0.5, -0.25]), dtype=np.float32, requires_grad=True)
    x = T(np.array([1.0, 2.0]))  # float64 data
    (g,) = autograd.grad(((w * x) ** 2).sum(), w, create_graph=True)
    assert g.dtype == np.float32
    (h,) = autograd.grad(g.sum(), w)
    np.testing.assert_allclose(h.data, 2 * x.data ** 2, rtol=1e-6)
    assert h.dtype == np.float32


class Cube(autograd.Function):
    """x³ as a user's Function: its rule is the user's code, which the sweep cannot restate."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


def test_operations_without_a_differentiable_rule_are_named():
    x = T(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    with pytest.raises(GradError, match=r"create_graph=True needs the gradient of 'Cube' to be differentiable"):
        (g,) = autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        autograd.grad(g.sum(), x)


def test_an_unlisted_operation_is_refused_before_any_rule_runs():
    x = T(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    y = Cube.apply(x).sum() + (x * x).sum()
    with pytest.raises(GradError, match="needs the gradient of 'Cube' to be differentiable, which it is not in "):
        autograd.grad(y, x, create_graph=True)
