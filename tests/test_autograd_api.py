"""``deltaprop.autograd``: grad and backward from several outputs, Function, functional.

Gradients are checked against central finite differences in float64 (the values against
torch.autograd are in tests/reference/test_torch_autograd_api.py); ``grad`` must leave every
``.grad`` as it was; refusals are checked for their sentence.
"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import autograd
from deltaprop.errors import GradError, ShapeError


def numeric_gradient(f, x: np.ndarray, v: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d Σ v·f(x) / dx by central differences, in float64."""
    g = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        g[index] = np.sum(v * (f(up) - f(down))) / (2 * eps)
    return g


def f_numpy(x, w):
    return np.tanh(x @ w) * x.sum()


def f_tensor(x, w):
    return dp.tanh(x @ w) * x.sum()


@pytest.fixture
def xw():
    rng = np.random.default_rng(0)
    x = dp.tensor(rng.standard_normal((3, 4)), dtype=dp.float64, requires_grad=True)
    w = dp.tensor(rng.standard_normal((4, 2)), dtype=dp.float64, requires_grad=True)
    return x, w


# -- grad ------------------------------------------------------------------------------------------

def test_grad_matches_finite_differences(xw):
    x, w = xw
    v = np.random.default_rng(1).standard_normal((3, 2))
    gx, gw = autograd.grad(f_tensor(x, w), [x, w], grad_outputs=v)
    np.testing.assert_allclose(gx.data, numeric_gradient(lambda a: f_numpy(a, w.data), x.data, v), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gw.data, numeric_gradient(lambda b: f_numpy(x.data, b), w.data, v), rtol=1e-6, atol=1e-8)
    assert not gx.requires_grad and gx.dtype == np.float64 and isinstance(gx, dp.Tensor)


def test_grad_leaves_every_grad_untouched(xw):
    x, w = xw
    x.grad = np.full(x.shape, 7.0)
    hidden = x @ w
    hidden.retain_grad()
    autograd.grad((hidden * hidden).sum(), x)
    np.testing.assert_array_equal(x.grad, np.full(x.shape, 7.0))
    assert w.grad is None and hidden.grad is None


def test_grad_of_several_outputs_is_the_weighted_sum(xw):
    x, w = xw
    y1, y2 = x @ w, (x * x).sum()
    v1 = np.arange(6.0).reshape(3, 2)
    (g,) = autograd.grad([y1, y2], x, grad_outputs=[v1, None])
    np.testing.assert_allclose(g.data, v1 @ w.data.T + 2 * x.data, rtol=1e-12)


def test_grad_of_an_interior_tensor_and_the_output_itself(xw):
    x, w = xw
    h = x @ w
    gh, gx = autograd.grad((h ** 2).sum(), [h, x])
    np.testing.assert_allclose(gh.data, 2 * h.data, rtol=1e-12)
    np.testing.assert_allclose(gx.data, 2 * h.data @ w.data.T, rtol=1e-12)
    (same,) = autograd.grad(x, x, grad_outputs=np.ones(x.shape))
    np.testing.assert_array_equal(same.data, np.ones(x.shape))


def test_grad_names_an_input_twice_and_returns_it_twice(xw):
    x, _ = xw
    a, b = autograd.grad((x * x).sum(), [x, x])
    np.testing.assert_allclose(a.data, 2 * x.data)
    np.testing.assert_allclose(b.data, 2 * x.data)
    assert a.data is not b.data


def test_grad_takes_a_dict_of_inputs(xw):
    x, w = xw
    result = autograd.grad((x @ w).sum(), {"x": x, "w": w})
    assert list(result) == ["x", "w"]
    np.testing.assert_allclose(result["w"].data, np.broadcast_to(x.data.sum(0)[:, None], (4, 2)))


def test_grad_unused_inputs(xw):
    x, w = xw
    y = (x * 2).sum()
    with pytest.raises(GradError, match=r"grad: input 1 \(shape \(4, 2\)\) was not used to compute the outputs"):
        autograd.grad(y, [x, w])
    gx, gw = autograd.grad(y, [x, w], allow_unused=True)
    assert gw is None
    np.testing.assert_allclose(gx.data, np.full(x.shape, 2.0))
    gx, gw = autograd.grad(y, [x, w], materialize_grads=True)
    np.testing.assert_array_equal(gw.data, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="materialize_grads=True gives unused inputs zeros, so allow_unused must be True"):
        autograd.grad(y, [x, w], allow_unused=False, materialize_grads=True)


def test_grad_is_grads_batched_gives_the_jacobian(xw):
    x, w = xw
    y = (x @ w).reshape(-1)
    (jac,) = autograd.grad(y, x, grad_outputs=np.eye(6), is_grads_batched=True)
    assert jac.shape == (6, 3, 4)
    np.testing.assert_allclose(jac.data[1], np.outer([1, 0, 0], w.data[:, 1]), atol=1e-15)


def test_grad_keeps_the_input_dtype_in_a_mixed_computation():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    (g,) = autograd.grad((x * np.array([3.0, 4.0], dtype=np.float64)).sum(), x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.data, [3.0, 4.0])


def test_grad_runs_hooks_as_pytorch_does():
    x = dp.tensor([1.0, 2.0], dtype=dp.float64, requires_grad=True)
    seen = []
    with x.register_hook(lambda g: g * 10):
        h = x * 3
        with h.register_hook(lambda g: seen.append(g.data.copy())):
            (g,) = autograd.grad(h.sum(), x)
    np.testing.assert_allclose(g.data, [30.0, 30.0])
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    assert x.grad is None


@pytest.mark.parametrize("call, sentence", [
    (lambda x: autograd.grad(x * 2, x), r"grad: a gradient can be implied only for a scalar output; output 0 has shape \(3,\)"),
    (lambda x: autograd.grad(x * 2, x, grad_outputs=np.ones(2)), r"grad: grad_outputs\[0\] has shape \(2,\), but output 0 has shape \(3,\)"),
    (lambda x: autograd.grad([x * 2], x, grad_outputs=[np.ones(3), np.ones(3)]), "grad: 1 output"),
    (lambda x: autograd.grad(dp.ones(3).sum(), x), r"grad: output 0 \(shape \(\)\) does not require a gradient"),
    (lambda x: autograd.grad(x.sum(), dp.ones(3)), r"grad: input 0 \(shape \(3,\)\) does not require a gradient"),
    (lambda x: autograd.grad(x.sum(), []), "grad: inputs is empty"),
    (lambda x: autograd.grad(dp.distributions.Gamma(x, 1.0).rsample().sum(), x, create_graph=True),
     r"grad: create_graph=True needs the gradient of 'standard_gamma' to be differentiable"),
    (lambda x: autograd.grad((x * x).sum(), x, grad_outputs=dp.ones(1)[0], create_graph=True, is_grads_batched=True), "grad: create_graph=True with is_grads_batched=True"),
    (lambda x: autograd.backward(x.sum(), create_graph=True), r"backward: create_graph=True is not supported here, where gradients go into .grad as arrays; deltaprop.autograd.grad"),
    (lambda x: x.sum().backward(create_graph=True), r"backward: create_graph=True is not supported, as .grad holds arrays outside the graph"),
    (lambda x: autograd.backward(x * 2), "backward: a gradient can be implied only for a scalar output"),
])
def test_grad_and_backward_refusals(call, sentence):
    x = dp.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(GradError, match=sentence):
        call(x)
    assert x.grad is None


def test_grad_failed_rule_leaves_no_pending_gradient(xw):
    x, w = xw
    h = x @ w
    y = h.sum()
    with dp.no_grad():
        x.add_(1)  # matmul keeps x for w's gradient: the sweep is refused before any rule runs
    with pytest.raises(GradError, match="changed in place"):
        autograd.grad(y, w)
    assert h._pending is None and y._pending is None


# -- backward --------------------------------------------------------------------------------------

def test_backward_from_several_outputs_accumulates_once(xw):
    x, w = xw
    x.grad = np.ones(x.shape)
    autograd.backward([(x * x).sum(), x @ w], [None, np.ones((3, 2))])
    np.testing.assert_allclose(x.grad, 1 + 2 * x.data + w.data.sum(1), rtol=1e-12)
    np.testing.assert_allclose(w.grad, np.broadcast_to(x.data.sum(0)[:, None], (4, 2)), rtol=1e-12)


def test_backward_into_chosen_inputs_only(xw):
    x, w = xw
    autograd.backward((x @ w).sum(), inputs=[x])
    np.testing.assert_allclose(x.grad, np.broadcast_to(w.data.sum(1), (3, 4)))
    assert w.grad is None
    autograd.backward((x @ w).sum(), inputs=x)
    np.testing.assert_allclose(x.grad, 2 * np.broadcast_to(w.data.sum(1), (3, 4)))


def test_backward_equals_tensor_backward(xw):
    x, w = xw
    f_tensor(x, w).backward(np.ones((3, 2)))
    expected = x.grad.copy(), w.grad.copy()
    x.grad = w.grad = None
    autograd.backward(f_tensor(x, w), np.ones((3, 2)))
    np.testing.assert_allclose(x.grad, expected[0], rtol=1e-15)
    np.testing.assert_allclose(w.grad, expected[1], rtol=1e-15)


# -- Function --------------------------------------------------------------------------------------

class Exp(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = dp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class ScaledLinear(autograd.Function):
    """x @ w.T + b, times a Python number: a non-tensor argument, whose gradient is None."""

    @staticmethod
    def forward(ctx, x, w, b, scale):
        ctx.save_for_backward(x, w)
        ctx.scale = scale
        ctx.flags = ctx.needs_input_grad
        return (x @ w.T + b) * scale

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        g = g * ctx.scale
        return g @ w, g.T @ x, g.sum(0), None


class StraightThroughSign(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return dp.sign(x)

    @staticmethod
    def backward(ctx, g):
        return g


class SplitMinMax(autograd.Function):
    """Three outputs: the row minimum and maximum (differentiable) and the argmax (not)."""

    @staticmethod
    def forward(ctx, x):
        lo, hi, where = x.amin(1), x.amax(1), x.argmax(1)
        ctx.save_for_backward(x)
        ctx.mark_non_differentiable(where)
        return lo, hi, where

    @staticmethod
    def backward(ctx, g_lo, g_hi, g_where):
        (x,) = ctx.saved_tensors
        ctx.seen = (g_lo.data.copy(), g_hi.data.copy(), g_where.data.copy())
        is_lo = (x.data == x.data.min(1, keepdims=True))
        is_hi = (x.data == x.data.max(1, keepdims=True))
        return dp.Tensor._wrap(is_lo * g_lo.data[:, None] + is_hi * g_hi.data[:, None])


class SetupStyleCube(autograd.Function):
    @staticmethod
    def forward(x):
        return x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * g


def test_function_exp_passes_gradcheck_and_records_its_name():
    x = dp.tensor([[0.3, -1.2], [2.0, 0.1]], dtype=dp.float64, requires_grad=True)
    assert autograd.gradcheck(Exp.apply, [x])
    y = Exp.apply(x)
    assert y.grad_fn.name() == "ExpBackward" and y._op == "Exp" and y.requires_grad
    (g,) = autograd.grad(y.sum(), x)
    np.testing.assert_allclose(g.data, np.exp(x.data), rtol=1e-15)


def test_function_linear_equals_the_built_in_linear():
    rng = np.random.default_rng(4)
    x = dp.tensor(rng.standard_normal((5, 3)), dtype=dp.float64, requires_grad=True)
    w = dp.tensor(rng.standard_normal((2, 3)), dtype=dp.float64, requires_grad=True)
    b = dp.tensor(rng.standard_normal(2), dtype=dp.float64, requires_grad=True)
    v = rng.standard_normal((5, 2))
    ours = autograd.grad(ScaledLinear.apply(x, w, b, 1.0), [x, w, b], grad_outputs=v)
    built_in = autograd.grad(dp.nn.functional.linear(x, w, b), [x, w, b], grad_outputs=v)
    for a, e in zip(ours, built_in):
        np.testing.assert_allclose(a.data, e.data, rtol=1e-12)
    assert autograd.gradcheck(lambda *t: ScaledLinear.apply(*t, 2.5), [x, w, b])


def test_function_needs_input_grad_and_no_recording_without_a_gradient():
    x = dp.tensor(np.ones((2, 3)), requires_grad=True)
    w, b = dp.ones(4, 3), dp.zeros(4)
    captured = {}

    class Spy(ScaledLinear):
        @staticmethod
        def forward(ctx, *args):
            captured["flags"] = ctx.needs_input_grad
            captured["recording"] = dp.is_grad_enabled()
            return ScaledLinear.forward(ctx, *args)

    y = Spy.apply(x, w, b, 2.0)
    assert captured == {"flags": (True, False, False, False), "recording": False}
    assert y.requires_grad
    assert not Spy.apply(dp.ones(2, 3), w, b, 2.0).requires_grad
    with dp.no_grad():
        assert not Spy.apply(x, w, b, 2.0).requires_grad


def test_function_straight_through_estimator():
    x = dp.tensor([-2.0, 0.5, 3.0], dtype=dp.float64, requires_grad=True)
    y = StraightThroughSign.apply(x)
    np.testing.assert_array_equal(y.data, [-1.0, 1.0, 1.0])
    (y * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])


def test_function_several_outputs_one_backward_call():
    x = dp.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 0.0]], dtype=dp.float64, requires_grad=True)
    lo, hi, where = SplitMinMax.apply(x)
    assert lo.requires_grad and hi.requires_grad and not where.requires_grad
    np.testing.assert_array_equal(where.data, [1, 0])
    (2 * hi).sum().backward()  # lo unused: backward is handed zeros for it, and zeros for the argmax
    np.testing.assert_array_equal(x.grad, [[0.0, 2.0, 0.0], [2.0, 0.0, 0.0]])
    x.grad = None
    (lo * np.array([3.0, 5.0]) + hi).sum().backward()
    np.testing.assert_array_equal(x.grad, [[3.0, 1.0, 0.0], [1.0, 0.0, 5.0]])
    assert autograd.gradcheck(lambda t: SplitMinMax.apply(t)[0] * 2 + SplitMinMax.apply(t)[1], [x])


def test_function_setup_context_style():
    x = dp.tensor([1.0, -2.0], dtype=dp.float64, requires_grad=True)
    (g,) = autograd.grad(SetupStyleCube.apply(x).sum(), x)
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    assert autograd.gradcheck(SetupStyleCube.apply, [x])


def test_function_gradient_that_sums_back_to_the_input_shape():
    class Broadcasting(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return np.ones((4, 2))

    x = dp.tensor([1.0, 2.0], requires_grad=True)
    Broadcasting.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])
    assert x.grad.dtype == np.float32


class WrongShape(autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        return x * k

    @staticmethod
    def backward(ctx, g):
        return np.ones(5), None


class TooFew(WrongShape):
    @staticmethod
    def backward(ctx, g):
        return g


class GradientForNumber(WrongShape):
    @staticmethod
    def backward(ctx, g):
        return g, np.ones(1)


@pytest.mark.parametrize("function, error, sentence", [
    (WrongShape, ShapeError, r"WrongShape.backward returned a gradient of shape \(5,\) for argument 0 of forward, which has shape \(2,\)"),
    (TooFew, GradError, r"TooFew.backward returned 1 gradient\(s\) for the 2 argument\(s\) of forward"),
    (GradientForNumber, GradError, "GradientForNumber.backward returned a gradient for argument 1 of forward, which is a float"),
])
def test_function_checks_what_backward_returns(function, error, sentence):
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(error, match=sentence):
        function.apply(x, 2.0).sum().backward()
    assert x.grad is None


def test_function_refuses_a_sweep_after_a_saved_tensor_changed_in_place():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x)
    with dp.no_grad():
        y.mul_(2)
    with pytest.raises(GradError, match="changed in place"):
        y.sum().backward()


def test_function_is_not_instantiated():
    with pytest.raises(TypeError, match=r"Exp: an autograd Function is not instantiated; call Exp.apply\(...\) instead"):
        Exp()


# -- functional and the shared names ---------------------------------------------------------------

def test_jacobian_matches_finite_differences_and_vjp_jvp_agree_with_it():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    x, w = dp.tensor(a, dtype=dp.float64), dp.tensor(b, dtype=dp.float64)
    jx, jw = autograd.functional.jacobian(f_tensor, (x, w))
    assert jx.shape == (3, 2, 3, 4) and jw.shape == (3, 2, 4, 2)
    for index in np.ndindex(3, 2):
        v = np.zeros((3, 2))
        v[index] = 1
        np.testing.assert_allclose(jx.data[index], numeric_gradient(lambda t: f_numpy(t, b), a.copy(), v), atol=1e-8)
    v, u = rng.standard_normal((3, 2)), (rng.standard_normal((3, 4)), rng.standard_normal((4, 2)))
    out, (gx, gw) = autograd.functional.vjp(f_tensor, (x, w), v)
    np.testing.assert_allclose(out.data, f_numpy(a, b))
    np.testing.assert_allclose(gx.data, np.tensordot(v, jx.data, 2), rtol=1e-12)
    np.testing.assert_allclose(gw.data, np.tensordot(v, jw.data, 2), rtol=1e-12)
    _, product = autograd.functional.jvp(f_tensor, (x, w), u)
    np.testing.assert_allclose(product.data, np.tensordot(jx.data, u[0], 2) + np.tensordot(jw.data, u[1], 2), rtol=1e-12)
    assert x.grad is None and not x.requires_grad  # the caller's tensors are not the ones differentiated


@pytest.mark.parametrize("call, sentence", [
    (lambda: autograd.functional.hvp(lambda t: t ** 3, dp.ones(2), dp.ones(2)), r"hvp: func must return a single tensor with one element \(a scalar function\), got shape \(2,\)"),
    (lambda: autograd.functional.vhp(lambda t: (t ** 3).sum(), dp.ones(2), dp.ones(3)), r"vhp: v\[0\] has shape \(3,\), but it pairs with a tensor of shape \(2,\)"),
    (lambda: autograd.functional.vjp(lambda t: t * 2, dp.ones(2)), r"vjp: v can be left out only for a single one-element tensor"),
    (lambda: autograd.functional.jvp(lambda t: t * 2, dp.ones(2), np.ones(3)), r"jvp: v\[0\] has shape \(3,\), but it pairs with a tensor of shape \(2,\)"),
])
def test_functional_refusals(call, sentence):
    with pytest.raises(GradError, match=sentence):
        call()


def test_the_shared_names_are_deltaprops_own():
    assert autograd.no_grad is dp.no_grad and autograd.enable_grad is dp.enable_grad
    assert autograd.set_grad_enabled is dp.set_grad_enabled and autograd.inference_mode is dp.inference_mode
    assert autograd.gradcheck is dp.gradcheck and autograd.is_grad_enabled is dp.is_grad_enabled
