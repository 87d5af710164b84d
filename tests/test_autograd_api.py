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
    (lambda x: autograd.grad(x.sum(), x, create_graph=True), r"grad: create_graph=True \(gradients of gradients\) is not supported"),
    (lambda x: autograd.backward(x.sum(), create_graph=True), r"backward: create_graph=True \(gradients of gradients\) is not supported"),
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
