"""``deltaprop.func`` on its own: derivatives against central finite differences in float64,
``vmap`` against a loop, and every refusal in one sentence (PyTorch's comparisons are in
tests/reference/test_torch_func.py)."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import func, nn
from deltaprop.errors import ConfigError, GradError, ShapeError, StateDictError

RNG = np.random.default_rng(11)


def f64(array, requires_grad=False):
    return dp.tensor(np.asarray(array, dtype=np.float64), dtype=np.float64, requires_grad=requires_grad)


def numeric_gradient(function, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function of an array."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        g[i] = (function(x + step) - function(x - step)) / (2 * eps)
    return g


def test_the_names_are_reached_from_the_package_and_from_nn_utils():
    assert dp.vmap is func.vmap
    assert nn.utils.stateless.functional_call is func.functional_call
    assert set(func.__all__) == {"functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
                                 "stack_module_state", "vjp", "vmap"}


def test_grad_of_a_dict_matches_finite_differences():
    w, b, x = RNG.standard_normal((2, 3)), RNG.standard_normal(2), RNG.standard_normal(3)

    def loss(params, x):
        return (dp.tanh(params["w"] @ x + params["b"]) ** 2).sum()

    found = func.grad(loss)({"w": f64(w), "b": f64(b)}, f64(x))
    assert set(found) == {"w", "b"} and not found["w"].requires_grad
    np.testing.assert_allclose(found["w"].data, numeric_gradient(lambda a: loss({"w": f64(a), "b": f64(b)}, f64(x)).item(), w),
                               rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(found["b"].data, numeric_gradient(lambda a: loss({"w": f64(w), "b": f64(a)}, f64(x)).item(), b),
                               rtol=1e-7, atol=1e-9)


def test_second_derivatives_by_grad_of_grad_and_hessian_match_finite_differences_of_the_gradient():
    x = RNG.standard_normal(4)

    def f(v):
        return (dp.sin(v) * v.sum() + v ** 3).sum()

    first = func.grad(f)
    second = func.grad(lambda v: first(v)[1])(f64(x))
    np.testing.assert_allclose(second.data, numeric_gradient(lambda a: first(f64(a)).data[1], x), rtol=1e-6, atol=1e-8)
    hessian = func.hessian(f)(f64(x))
    rows = np.stack([numeric_gradient(lambda a: first(f64(a)).data[i], x) for i in range(4)])
    np.testing.assert_allclose(hessian.data, rows, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(func.jacfwd(func.jacrev(f))(f64(x)).data, hessian.data, rtol=1e-12)


def test_a_jacobian_is_one_row_per_output_element_and_zeros_for_an_unused_input():
    x, y = RNG.standard_normal(3), RNG.standard_normal(2)
    jx, jy = func.jacrev(lambda x, y: dp.exp(x) * 2, argnums=(0, 1))(f64(x), f64(y))
    np.testing.assert_allclose(jx.data, np.diag(np.exp(x) * 2), rtol=1e-12)
    np.testing.assert_array_equal(jy.data, np.zeros((3, 2)))
    assert func.jacrev(lambda x: x.sum())(f64(x)).shape == (3,)
    assert func.jacrev(lambda x: x[:0])(f64(x)).shape == (0, 3)  # (an empty output: an empty Jacobian)


def test_vjp_returns_one_gradient_per_primal_and_can_be_called_again():
    x, w = RNG.standard_normal(3), RNG.standard_normal((2, 3))
    out, vjp_fn = func.vjp(lambda x, w: w @ x, f64(x), f64(w))
    assert not out.requires_grad
    v = RNG.standard_normal(2)
    for _ in range(2):
        gx, gw = vjp_fn(f64(v))
        np.testing.assert_allclose(gx.data, w.T @ v, rtol=1e-12)
        np.testing.assert_allclose(gw.data, np.outer(v, x), rtol=1e-12)


def test_grad_and_value_with_aux_detaches_what_needs_no_outer_derivative():
    grads, (value, aux) = func.grad_and_value(lambda x: ((x ** 2).sum(), {"double": x * 2}), has_aux=True)(f64([1.0, 2.0]))
    np.testing.assert_allclose(grads.data, [2.0, 4.0])
    assert value.item() == 5.0 and not value.requires_grad
    assert not aux["double"].requires_grad
    g, aux = func.grad(lambda x: ((x ** 2).sum(), 7), has_aux=True)(f64([1.0]))
    assert aux == 7


@pytest.mark.parametrize("transform", [func.grad, func.jacrev, func.jacfwd])
def test_bad_argnums_are_refused(transform):
    x = f64([1.0, 2.0])
    with pytest.raises(ConfigError, match="argnums names argument 2, but the function was called with 1"):
        transform(lambda x: x.sum(), argnums=2)(x)
    with pytest.raises(ConfigError, match="more than once"):
        transform(lambda x, y: x.sum(), argnums=(0, -2))(x, x)
    with pytest.raises(ConfigError, match="at least one"):
        transform(lambda x: x.sum(), argnums=())(x)
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints, got 1.0"):
        transform(lambda x: x.sum(), argnums=1.0)(x)


def test_what_grad_cannot_differentiate_is_refused():
    x = f64([1.0, 2.0])
    with pytest.raises(GradError, match=r"grad: func must return a 0-d tensor .* got a tensor of shape \(2,\)"):
        func.grad(lambda x: x * 2)(x)
    with pytest.raises(GradError, match="got a float"):
        func.grad(lambda x: 1.0)(x)
    with pytest.raises(GradError, match=r"has_aux=True, func must return a pair \(output, aux\)"):
        func.grad(lambda x: x.sum(), has_aux=True)(x)
    with pytest.raises(TypeError, match="argument 0 holds a float"):
        func.grad(lambda x: x)(1.0)
    with pytest.raises(GradError, match="dtype int64; only floating-point"):
        func.grad(lambda x: x.sum())(dp.tensor([1, 2]))
    with pytest.raises(TypeError, match="has_aux must be True or False"):
        func.grad(lambda x: x.sum(), has_aux="yes")
    with pytest.raises(GradError, match="vjp: func must return tensors"):
        func.vjp(lambda x: 3.0, x)
    with pytest.raises(ConfigError, match="jacrev: chunk_size must be None or a positive integer, got 0"):
        func.jacrev(lambda x: x, chunk_size=0)
    with pytest.raises(ConfigError, match="jacfwd: randomness"):
        func.jacfwd(lambda x: x, randomness="sometimes")


def test_an_output_that_does_not_depend_on_the_input_has_a_zero_gradient():
    np.testing.assert_array_equal(func.grad(lambda x: dp.tensor(2.0))(f64([1.0, 2.0])).data, [0.0, 0.0])


def test_vjp_fn_refuses_cotangents_of_another_structure_or_shape():
    _, vjp_fn = func.vjp(lambda x: (x * 2, x.sum()), f64([1.0, 2.0]))
    with pytest.raises(GradError, match=r"the cotangents \(\*,\) must have the structure of func's output, \(\*, \*\)"):
        vjp_fn((f64([1.0, 1.0]),))
    with pytest.raises(GradError, match=r"cotangent 0 must be a tensor of its output's shape \(2,\), got shape \(3,\)"):
        vjp_fn((f64([1.0, 1.0, 1.0]), f64(1.0)))


def test_vmap_is_a_loop_over_the_mapped_dimension():
    x, y = RNG.standard_normal((5, 3)), RNG.standard_normal((3, 5))
    found = func.vmap(lambda a, b, scale=1.0: dp.outer(a, b) * scale, in_dims=(0, 1))(f64(x), f64(y), scale=2.0)
    np.testing.assert_allclose(found.data, np.stack([np.outer(x[i], y[:, i]) * 2 for i in range(5)]), rtol=1e-12)
    assert func.vmap(lambda a: a.sum(), out_dims=-1)(f64(x)).shape == (5,)


def test_vmap_over_an_empty_batch_gives_empty_outputs_of_the_right_shape():
    out, total = func.vmap(lambda a: (a * 2, a.sum()))(dp.zeros((0, 3)))
    assert out.shape == (0, 3) and total.shape == (0,)
    assert func.vmap(lambda a: a[:2], out_dims=1)(dp.zeros((0, 3))).shape == (2, 0)


def test_an_output_with_out_dim_none_must_be_the_same_for_every_sample():
    x = f64(np.arange(6.0).reshape(3, 2))
    mapped, fixed = func.vmap(lambda a: (a * 2, dp.ones(2)), out_dims=(0, None))(x)
    assert mapped.shape == (3, 2) and fixed.shape == (2,)
    with pytest.raises(ShapeError, match="output 1 has out_dim None but differs from sample to sample"):
        func.vmap(lambda a: (a, a.sum()), out_dims=(0, None))(x)


def test_vmap_refuses_what_it_cannot_map_in_one_sentence():
    x = dp.ones((3, 2))
    with pytest.raises(ConfigError, match=r"vmap\(<lambda>\): in_dims \(0, 0\) does not match the structure it stands "
                                          r"for, \(\*,\)"):
        func.vmap(lambda a: a, in_dims=(0, 0))(x)
    with pytest.raises(ConfigError, match="in_dim 0 asks to map over a float; only tensors"):
        func.vmap(lambda a, s: a * s)(x, 2.0)
    with pytest.raises(ShapeError, match=r"the mapped dimensions must all have one size, got sizes \[3, 4\]"):
        func.vmap(lambda a, b: a)(x, dp.ones(4))
    with pytest.raises(ConfigError, match="no argument is mapped over"):
        func.vmap(lambda a: a, in_dims=(None,))(x)
    with pytest.raises(ConfigError, match="in_dims must be an int or a tuple"):
        func.vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(ShapeError, match="in_dim 2 is out of range for a tensor with 2 dimensions"):
        func.vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ShapeError, match="out_dim 2 is out of range for output 0"):
        func.vmap(lambda a: a, out_dims=2)(x)
    with pytest.raises(ConfigError, match="must return tensors, got a float as output 0"):
        func.vmap(lambda a: 1.0)(x)
    with pytest.raises(ConfigError, match=r"out_dims \(0, 0\) is a tuple, but the function returns \*"):
        func.vmap(lambda a: a, out_dims=(0, 0))(x)
    with pytest.raises(ConfigError, match="vmap: randomness must be 'error', 'different' or 'same', got 'foo'"):
        func.vmap(lambda a: a, randomness="foo")
    with pytest.raises(ConfigError, match="vmap: chunk_size must be None or a positive integer, got 0"):
        func.vmap(lambda a: a, chunk_size=0)


def test_vmap_randomness_leaves_the_generator_as_a_loop_would():
    dp.manual_seed(5)
    func.vmap(lambda a: a * 2)(dp.ones((3, 2)))  # no draw: nothing refused, the generator untouched
    after_none = dp.rand(2).data
    dp.manual_seed(5)
    same = func.vmap(lambda a: a + dp.rand(2), randomness="same")(dp.zeros((3, 2)))
    dp.manual_seed(5)
    np.testing.assert_array_equal(same.data[0], dp.rand(2).data)
    np.testing.assert_array_equal(after_none, same.data[0])
    dp.manual_seed(5)
    different = func.vmap(lambda a: a + dp.rand(2), randomness="different")(dp.zeros((3, 2)))
    dp.manual_seed(5)
    np.testing.assert_array_equal(different.data, np.stack([dp.rand(2).data for _ in range(3)]))


def test_per_sample_gradients_of_a_convolutional_network_match_a_loop_of_backward_passes():
    dp.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3)).double()
    x, y = RNG.standard_normal((4, 1, 4, 4)), RNG.integers(0, 3, 4)

    def loss(params, sample, target):
        out = func.functional_call(model, params, (sample.unsqueeze(0),))
        return nn.functional.cross_entropy(out, target.unsqueeze(0))

    found = func.vmap(func.grad(loss), in_dims=(None, 0, 0))({k: v.detach() for k, v in model.named_parameters()},
                                                             f64(x), dp.tensor(y))
    for i in range(4):
        model.zero_grad()
        nn.functional.cross_entropy(model(f64(x[i:i + 1])), dp.tensor(y[i:i + 1])).backward()
        for name, parameter in model.named_parameters():
            np.testing.assert_allclose(found[name].data[i], parameter.grad, rtol=1e-10, atol=1e-12)


class Failing(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(np.ones(2))
        self.register_buffer("count", np.zeros(()))

    def forward(self, x):
        raise ValueError("the forward pass failed")


def test_functional_call_puts_the_module_s_own_tensors_back_even_when_the_call_fails():
    module = Failing()
    w, count = module.w, module.count
    with pytest.raises(ValueError, match="the forward pass failed"):
        func.functional_call(module, {"w": dp.zeros(2), "count": dp.ones(()), "extra": dp.ones(1)}, (dp.ones(2),))
    assert module.w is w and module._parameters["w"] is w
    assert module.count is count and module._buffers["count"] is count
    assert not hasattr(module, "extra")
    assert [name for name, _ in module.named_parameters()] == ["w"]


def test_functional_call_takes_args_as_one_argument_and_kwargs():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.ones(2))

        def forward(self, x, scale=1.0):
            return self.w * x * scale

    module = Scaled()
    out = func.functional_call(module, {"w": dp.full((2,), 3.0)}, dp.ones(2), {"scale": 2.0})
    np.testing.assert_array_equal(out.data, [6.0, 6.0])
    np.testing.assert_array_equal(module(dp.ones(2)).data, [1.0, 1.0])


def test_functional_call_refuses_ambiguous_or_incomplete_weights():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    x = dp.ones((1, 2))
    with pytest.raises(ConfigError, match=r"\['0.bias'\] appear in more than one of the dicts"):
        func.functional_call(model, ({"0.bias": dp.zeros(2)}, {"0.bias": dp.zeros(2)}), (x,))
    with pytest.raises(ConfigError, match="each entry of a tuple of parameters and buffers must be a dict"):
        func.functional_call(model, [("0.bias", dp.zeros(2))], (x,))
    with pytest.raises(TypeError, match="'0.bias' must be given a tensor, got a float"):
        func.functional_call(model, {"0.bias": 1.0}, (x,))
    with pytest.raises(StateDictError, match=r"missing \['0.weight', '1.bias', '1.weight'\], unexpected \['nope'\]"):
        func.functional_call(model, {"0.bias": dp.zeros(2), "nope": dp.zeros(1)}, (x,), strict=True)
    with pytest.raises(AttributeError, match="has no sub-module '5'"):
        func.functional_call(model, {"5.weight": dp.zeros(1)}, (x,))


def test_tied_weights_given_two_tensors_are_refused_unless_untied():
    model = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    model[1].weight = model[0].weight
    x, a, b = dp.ones((1, 2)), dp.eye(2) * 2, dp.eye(2) * 3
    with pytest.raises(ConfigError, match=r"\['0.weight', '1.weight'\] are one weight shared by Sequential"):
        func.functional_call(model, {"0.weight": a, "1.weight": b}, (x,))
    np.testing.assert_array_equal(func.functional_call(model, {"0.weight": a, "1.weight": b}, (x,),
                                                       tie_weights=False).data, [[6.0, 6.0]])
    np.testing.assert_array_equal(func.functional_call(model, {"0.weight": a}, (x,)).data, [[4.0, 4.0]])
    func.functional_call(model, {"0.weight": a}, (x,), strict=True)  # the tied name counts as given


def test_a_parametrized_weight_is_given_through_its_original():
    layer = nn.utils.parametrizations.weight_norm(nn.Linear(2, 1))
    with pytest.raises(ConfigError, match="'weight' is computed each time it is read"):
        func.functional_call(layer, {"weight": dp.ones((1, 2))}, (dp.ones((1, 2)),))
    names = dict(layer.named_parameters())
    out = func.functional_call(layer, {**{k: v.detach() for k, v in names.items()}, "bias": dp.zeros(1)},
                               (dp.ones((1, 2)),))
    assert out.shape == (1, 1)


def test_stack_module_state_refuses_models_that_do_not_stack():
    with pytest.raises(ConfigError, match="needs at least one model"):
        func.stack_module_state([])
    with pytest.raises(ConfigError, match="of one class, got Linear and Conv1d"):
        func.stack_module_state([nn.Linear(2, 3), nn.Conv1d(2, 3, 1)])
    with pytest.raises(ConfigError, match="all be in training mode or all in evaluation mode"):
        func.stack_module_state([nn.Linear(2, 3), nn.Linear(2, 3).eval()])
    with pytest.raises(ShapeError, match=r"'weight' has different shapes in different models: \[\(3, 2\), \(4, 2\)\]"):
        func.stack_module_state([nn.Linear(2, 3), nn.Linear(2, 4)])
    frozen = nn.Linear(2, 3)
    frozen.weight.requires_grad_(False)
    with pytest.raises(ConfigError, match="'weight' requires a gradient in some models and not in others"):
        func.stack_module_state([nn.Linear(2, 3), frozen])


def test_stacked_buffers_are_tensors_and_the_models_are_left_alone():
    models = [nn.BatchNorm1d(3) for _ in range(2)]
    params, buffers = func.stack_module_state(models)
    assert buffers["running_var"].shape == (2, 3) and not buffers["running_var"].requires_grad
    params["weight"].data[...] = 5
    assert all((m.weight.data == 1).all() for m in models)


def test_jvp_is_the_jacobian_times_the_tangent():
    x, w, t = RNG.standard_normal(3), RNG.standard_normal((4, 3)), RNG.standard_normal(3)
    out, product = func.jvp(lambda x: dp.sin(f64(w) @ x), (f64(x),), (f64(t),))
    jacobian = func.jacrev(lambda x: dp.sin(f64(w) @ x))(f64(x))
    np.testing.assert_allclose(product.data, jacobian.data @ t, rtol=1e-12)
    assert not out.requires_grad and not product.requires_grad
    _, zero = func.jvp(lambda x: dp.ones(2), (f64(x),), (f64(t),))
    np.testing.assert_array_equal(zero.data, [0.0, 0.0])
    with pytest.raises(TypeError, match="primals and tangents must be tuples"):
        func.jvp(lambda x: x, f64(x), (f64(t),))
    with pytest.raises(GradError, match="tangents must be tensors of the primals' structure and shapes"):
        func.jvp(lambda x: x, (f64(x),), (f64([1.0]),))
