"""``deltaprop.func`` against PyTorch 2.13's ``torch.func``, on the same weights and data.

Per-sample gradients (``vmap(grad(loss), in_dims=(None, 0, 0))`` with ``functional_call``) against
torch.func and against a loop of ordinary backward passes; ``jacrev``/``jacfwd``/``hessian`` of
functions of several arguments and of dicts; ``vjp`` (and the vjp of a vjp); ``grad`` of ``grad``;
``vmap`` with nested ``in_dims``, ``out_dims`` and nesting; ``functional_call`` with buffers and
tied weights; ``stack_module_state`` with the ensembling recipe. Float64 throughout, to 1e-10.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")
import torch.func as tf  # noqa: E402

import deltaprop as dp  # noqa: E402
from deltaprop import func as df  # noqa: E402
from deltaprop import nn  # noqa: E402

TOL = dict(rtol=1e-10, atol=1e-12)
RNG = np.random.default_rng(7)


def ours(array):
    return dp.tensor(np.asarray(array, dtype=np.float64), dtype=np.float64)


def theirs(array):
    return torch.tensor(np.asarray(array, dtype=np.float64))


def assert_tree_close(mine, reference):
    """Two trees of tensors (tuples, lists, dicts) with the same structure and values."""
    if isinstance(reference, dict):
        assert isinstance(mine, dict) and set(mine) == set(reference)
        for key in reference:
            assert_tree_close(mine[key], reference[key])
    elif isinstance(reference, (tuple, list)):
        assert isinstance(mine, (tuple, list)) and len(mine) == len(reference)
        for a, b in zip(mine, reference):
            assert_tree_close(a, b)
    else:
        assert tuple(mine.shape) == tuple(reference.shape)
        np.testing.assert_allclose(np.asarray(mine.data), reference.detach().numpy(), **TOL)


def twin_models():
    """A 3-8-4 network in each framework with the same float64 weights."""
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4)).double()
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 4)).double()
    model.load_state_dict({k: v.detach().numpy().copy() for k, v in reference.state_dict().items()})
    return model, reference


def test_per_sample_gradients_match_torch_func_and_a_loop_of_backward_passes():
    model, reference = twin_models()
    x, y = RNG.standard_normal((6, 3)), RNG.integers(0, 4, 6)

    def loss(params, sample, target):
        logits = df.functional_call(model, params, (sample.unsqueeze(0),))
        return nn.functional.cross_entropy(logits, target.unsqueeze(0))

    def reference_loss(params, sample, target):
        logits = tf.functional_call(reference, params, (sample.unsqueeze(0),))
        return torch.nn.functional.cross_entropy(logits, target.unsqueeze(0))

    params = {k: v.detach() for k, v in model.named_parameters()}
    found = df.vmap(df.grad(loss), in_dims=(None, 0, 0))(params, ours(x), dp.tensor(y))
    expected = tf.vmap(tf.grad(reference_loss), in_dims=(None, 0, 0))(
        {k: v.detach() for k, v in reference.named_parameters()}, theirs(x), torch.tensor(y))
    assert_tree_close(found, expected)
    for i in range(len(x)):  # and each sample's ordinary backward pass
        model.zero_grad()
        nn.functional.cross_entropy(model(ours(x[i:i + 1])), dp.tensor(y[i:i + 1])).backward()
        for name, parameter in model.named_parameters():
            np.testing.assert_allclose(found[name].data[i], parameter.grad, **TOL)


def test_per_sample_gradients_with_buffers_in_a_tuple_of_dicts():
    torch.manual_seed(1)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.Linear(5, 1)).double()
    reference[1].running_mean.uniform_(-1, 1)
    reference[1].running_var.uniform_(0.5, 2)
    reference.eval()
    model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Linear(5, 1)).double()
    model.load_state_dict({k: v.detach().numpy().copy() for k, v in reference.state_dict().items()})
    model.eval()
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 1))

    def loss(params, buffers, sample, target):
        return ((df.functional_call(model, (params, buffers), (sample.unsqueeze(0),)) - target) ** 2).sum()

    def reference_loss(params, buffers, sample, target):
        return ((tf.functional_call(reference, (params, buffers), (sample.unsqueeze(0),)) - target) ** 2).sum()

    found = df.vmap(df.grad(loss), in_dims=(None, None, 0, 0))(
        {k: v.detach() for k, v in model.named_parameters()},
        {k: dp.tensor(v, dtype=np.float64) for k, v in model.named_buffers() if v.dtype.kind == "f"}, ours(x), ours(y))
    expected = tf.vmap(tf.grad(reference_loss), in_dims=(None, None, 0, 0))(
        {k: v.detach() for k, v in reference.named_parameters()},
        {k: v for k, v in reference.named_buffers() if v.is_floating_point()}, theirs(x), theirs(y))
    assert_tree_close(found, expected)


def test_functional_call_values_gradients_and_buffers_match_torch():
    torch.manual_seed(2)
    reference = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 1)).double()
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1)).double()
    model.load_state_dict({k: v.detach().numpy().copy() for k, v in reference.state_dict().items()})
    weights = {k: RNG.standard_normal(tuple(v.shape)) for k, v in reference.named_parameters()}
    x = RNG.standard_normal((5, 2))
    mine = {k: ours(v).requires_grad_() for k, v in weights.items()}
    reference_weights = {k: theirs(v).requires_grad_() for k, v in weights.items()}
    buffer, reference_buffer = ours(np.zeros(3)), theirs(np.zeros(3))
    out = df.functional_call(model, (mine, {"1.running_mean": buffer}), (ours(x),))
    expected = tf.functional_call(reference, (reference_weights, {"1.running_mean": reference_buffer}), (theirs(x),))
    assert_tree_close(out, expected)
    assert_tree_close(buffer, reference_buffer)  # updated in place by the training-mode batch norm
    out.sum().backward()
    expected.sum().backward()
    for k in weights:
        np.testing.assert_allclose(mine[k].grad, reference_weights[k].grad.numpy(), **TOL)
    assert all(p.grad is None for p in model.parameters())  # the module's own got nothing
    np.testing.assert_array_equal(model[1].running_mean, 0)  # and its buffer is its own again


@pytest.mark.parametrize("tie_weights", [True, False])
def test_tied_weights_follow_torch(tie_weights):
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(2, 2, bias=False), torch.nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    class OurTied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    reference, model = Tied().double(), OurTied().double()
    model.a.weight.data[...] = reference.a.weight.detach().numpy()
    w, x = RNG.standard_normal((2, 2)), RNG.standard_normal((1, 2))
    found = df.functional_call(model, {"a.weight": ours(w)}, (ours(x),), tie_weights=tie_weights)
    expected = tf.functional_call(reference, {"a.weight": theirs(w)}, (theirs(x),), tie_weights=tie_weights)
    assert_tree_close(found, expected)


def functions():
    """(deltaprop function, torch function, argument arrays) triples of several arguments."""
    a, b = RNG.standard_normal(3), RNG.standard_normal((2, 3))
    return [
        (lambda x, w: dp.tanh(w @ x) * x.sum(), lambda x, w: torch.tanh(w @ x) * x.sum(), (a, b)),
        (lambda x, w: (w * x).exp().sum(1), lambda x, w: (w * x).exp().sum(1), (a, b)),
        (lambda x, w: dp.sigmoid(x) ** 2 + w[0], lambda x, w: torch.sigmoid(x) ** 2 + w[0], (a, b)),
    ]


@pytest.mark.parametrize("case", range(3))
@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0)])
@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians_match_torch_func(case, argnums, transform):
    f, g, arrays = functions()[case]
    found = getattr(df, transform)(f, argnums=argnums)(*map(ours, arrays))
    expected = getattr(tf, transform)(g, argnums=argnums)(*map(theirs, arrays))
    assert_tree_close(found, expected)


def test_jacobian_of_trees_and_with_aux_matches_torch_func():
    x, w = RNG.standard_normal(3), RNG.standard_normal((2, 3))

    def f(params, x):
        y = params["w"] @ x
        return {"y": dp.sin(y), "norm": (x * x).sum()}, y

    def g(params, x):
        y = params["w"] @ x
        return {"y": torch.sin(y), "norm": (x * x).sum()}, y

    found, aux = df.jacrev(f, argnums=(0, 1), has_aux=True)({"w": ours(w)}, ours(x))
    expected, expected_aux = tf.jacrev(g, argnums=(0, 1), has_aux=True)({"w": theirs(w)}, theirs(x))
    assert_tree_close(found, expected)
    assert_tree_close(aux, expected_aux)
    assert not aux.requires_grad


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_hessian_matches_torch_func(argnums):
    x, y = RNG.standard_normal(3), RNG.standard_normal(2)

    def f(x, y, lib):
        return (lib.sin(x).sum() ** 2 * y.exp()).sum() + (x ** 3).sum() * y[0]

    found = df.hessian(lambda x, y: f(x, y, dp), argnums=argnums)(ours(x), ours(y))
    expected = tf.hessian(lambda x, y: f(x, y, torch), argnums=argnums)(theirs(x), theirs(y))
    assert_tree_close(found, expected)


def test_grad_of_grad_and_grad_and_value_match_torch_func():
    x = RNG.standard_normal(4)

    def f(x, lib):
        return (lib.tanh(x) * x ** 2).sum()

    inner = df.grad(lambda x: f(x, dp))
    reference_inner = tf.grad(lambda x: f(x, torch))
    found = df.grad_and_value(lambda x: (inner(x) ** 2).sum())(ours(x))
    expected = tf.grad_and_value(lambda x: (reference_inner(x) ** 2).sum())(theirs(x))
    assert_tree_close(found, expected)
    third = df.grad(lambda x: df.grad(lambda x: inner(x).sum())(x).sum())(ours(x))
    reference_third = tf.grad(lambda x: tf.grad(lambda x: reference_inner(x).sum())(x).sum())(theirs(x))
    assert_tree_close(third, reference_third)


def test_grad_closing_over_a_tensor_that_requires_a_gradient_stays_in_its_graph():
    x, w = RNG.standard_normal(3), RNG.standard_normal(3)
    mine_w, reference_w = ours(w).requires_grad_(), theirs(w).requires_grad_()
    found = df.grad(lambda x: (dp.sin(x * mine_w)).sum())(ours(x))
    expected = tf.grad(lambda x: (torch.sin(x * reference_w)).sum())(theirs(x))
    assert found.requires_grad and expected.requires_grad
    (found ** 2).sum().backward()
    (expected ** 2).sum().backward()
    np.testing.assert_allclose(mine_w.grad, reference_w.grad.numpy(), **TOL)


def test_vjp_and_the_vjp_of_a_vjp_match_torch_func():
    x, w, v, u = RNG.standard_normal(3), RNG.standard_normal((2, 3)), RNG.standard_normal(2), RNG.standard_normal(3)
    out, vjp_fn = df.vjp(lambda x, w: dp.tanh(w @ x), ours(x), ours(w))
    expected_out, reference_vjp_fn = tf.vjp(lambda x, w: torch.tanh(w @ x), theirs(x), theirs(w))
    assert_tree_close(out, expected_out)
    assert_tree_close(vjp_fn(ours(v)), reference_vjp_fn(theirs(v)))
    # the Jacobian-vector product through two vjps: vjp_fn is linear in its cotangent
    _, inner = df.vjp(lambda x: dp.tanh(ours(w) @ x), ours(x))
    _, outer = df.vjp(lambda c: inner(c)[0], ours(np.zeros(2)))
    _, reference_inner = tf.vjp(lambda x: torch.tanh(theirs(w) @ x), theirs(x))
    _, reference_outer = tf.vjp(lambda c: reference_inner(c)[0], theirs(np.zeros(2)))
    assert_tree_close(outer(ours(u)), reference_outer(theirs(u)))


def test_vjp_of_a_dict_output_with_aux_matches_torch_func():
    x = RNG.standard_normal(3)
    out, vjp_fn, aux = df.vjp(lambda x: ({"a": x * 2, "b": (x ** 2).sum()}, x.mean()), ours(x), has_aux=True)
    expected, reference_vjp_fn, expected_aux = tf.vjp(lambda x: ({"a": x * 2, "b": (x ** 2).sum()}, x.mean()),
                                                      theirs(x), has_aux=True)
    assert_tree_close((out, aux), (expected, expected_aux))
    cotangents = {"a": RNG.standard_normal(3), "b": np.float64(3.0)}
    expected_gradients = reference_vjp_fn({k: theirs(v) for k, v in cotangents.items()})
    assert_tree_close(vjp_fn({k: ours(v) for k, v in cotangents.items()}), expected_gradients)
    # deltaprop also takes the keys in another order (PyTorch refuses that)
    assert_tree_close(vjp_fn({k: ours(cotangents[k]) for k in ("b", "a")}), expected_gradients)


@pytest.mark.parametrize("in_dims, out_dims", [
    (0, 0), (1, 0), ((0, None), 1), ((None, 1), -1), ((-1, 0), 0), (({"a": 0, "b": None}, 1), (0, 1)),
])
def test_vmap_in_and_out_dims_match_torch_func(in_dims, out_dims):
    first, second = RNG.standard_normal((4, 4)), RNG.standard_normal((4, 4))
    if isinstance(in_dims, tuple) and isinstance(in_dims[0], dict):
        def f(d, y, lib):
            return lib.sin(d["a"]) * d["b"].sum(), d["a"] * y

        found = df.vmap(lambda d, y: f(d, y, dp), in_dims, out_dims)({"a": ours(first), "b": ours(second)}, ours(second))
        expected = tf.vmap(lambda d, y: f(d, y, torch), in_dims, out_dims)({"a": theirs(first), "b": theirs(second)},
                                                                             theirs(second))
    else:
        def f(x, y, lib):
            return lib.tanh(x) * y.sum() + x.max()

        found = df.vmap(lambda x, y: f(x, y, dp), in_dims, out_dims)(ours(first), ours(second))
        expected = tf.vmap(lambda x, y: f(x, y, torch), in_dims, out_dims)(theirs(first), theirs(second))
    assert_tree_close(found, expected)


def test_nested_vmap_and_gradients_through_vmap_match_torch_func():
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 4))
    outer_product = df.vmap(df.vmap(lambda a, b: (a * b).sum(), in_dims=(None, 0)), in_dims=(0, None))
    reference = tf.vmap(tf.vmap(lambda a, b: (a * b).sum(), in_dims=(None, 0)), in_dims=(0, None))
    mine_x, reference_x = ours(x).requires_grad_(), theirs(x).requires_grad_()
    found, expected = outer_product(mine_x, ours(y)), reference(reference_x, theirs(y))
    assert_tree_close(found, expected)
    (found ** 2).sum().backward()
    (expected ** 2).sum().backward()
    np.testing.assert_allclose(mine_x.grad, reference_x.grad.numpy(), **TOL)


def test_vmap_of_jacrev_and_hessian_match_torch_func():
    x = RNG.standard_normal((3, 4))
    assert_tree_close(df.vmap(df.jacrev(lambda v: dp.sin(v) * v.sum()))(ours(x)),
                      tf.vmap(tf.jacrev(lambda v: torch.sin(v) * v.sum()))(theirs(x)))
    assert_tree_close(df.vmap(df.hessian(lambda v: (v.exp() * v).sum()))(ours(x)),
                      tf.vmap(tf.hessian(lambda v: (v.exp() * v).sum()))(theirs(x)))


def test_the_ensembling_recipe_matches_torch_func():
    torch.manual_seed(3)
    references = [torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2)).double()
                  for _ in range(4)]
    models = []
    for reference in references:
        model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 2)).double()
        model.load_state_dict({k: v.detach().numpy().copy() for k, v in reference.state_dict().items()})
        models.append(model)
    params, buffers = df.stack_module_state(models)
    reference_params, reference_buffers = tf.stack_module_state(references)
    assert_tree_close(params, reference_params)
    assert all(p.requires_grad and p.is_leaf for p in params.values())
    x = RNG.standard_normal((5, 3))
    base, reference_base = models[0], references[0]

    def run(params, buffers, x):
        return df.functional_call(base, (params, buffers), (x,))

    def reference_run(params, buffers, x):
        return tf.functional_call(reference_base, (params, buffers), (x,))

    found = df.vmap(run, in_dims=(0, 0, None))(params, buffers, ours(x))
    expected = tf.vmap(reference_run, in_dims=(0, 0, None))(reference_params, reference_buffers, theirs(x))
    assert_tree_close(found, expected)
    for model, row in zip(models, found.data):  # each member's own forward pass
        np.testing.assert_allclose(model(ours(x)).data, row, **TOL)
    (found ** 2).sum().backward()  # gradients reach the stacked parameters, as PyTorch's
    (expected ** 2).sum().backward()
    for k in params:
        np.testing.assert_allclose(params[k].grad, reference_params[k].grad.numpy(), **TOL)


def test_vmap_randomness_same_gives_every_sample_the_same_draws_as_torch_does():
    dp.manual_seed(0)
    found = df.vmap(lambda x: x + dp.rand(3), randomness="same")(dp.zeros((4, 3)))
    expected = tf.vmap(lambda x: x + torch.rand(3), randomness="same")(torch.zeros(4, 3))
    for out in (found.data, expected.numpy()):
        np.testing.assert_array_equal(out, np.broadcast_to(out[0], out.shape))
    different = df.vmap(lambda x: x + dp.rand(3), randomness="different")(dp.zeros((4, 3)))
    assert len({tuple(row) for row in different.data}) == 4
    with pytest.raises(RuntimeError):
        tf.vmap(lambda x: x + torch.rand(3))(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="randomness='error'"):
        df.vmap(lambda x: x + dp.rand(3))(dp.zeros((4, 3)))


def test_jvp_and_the_hessian_vector_product_by_jvp_of_grad_match_torch_func():
    x, w, t, u = RNG.standard_normal(3), RNG.standard_normal((2, 3)), RNG.standard_normal(3), RNG.standard_normal((2, 3))
    found = df.jvp(lambda x, w: dp.tanh(w @ x), (ours(x), ours(w)), (ours(t), ours(u)))
    expected = tf.jvp(lambda x, w: torch.tanh(w @ x), (theirs(x), theirs(w)), (theirs(t), theirs(u)))
    assert_tree_close(found, expected)
    out, product, aux = df.jvp(lambda x: ((x ** 3).sum(), x.sum()), (ours(x),), (ours(t),), has_aux=True)
    reference = tf.jvp(lambda x: ((x ** 3).sum(), x.sum()), (theirs(x),), (theirs(t),), has_aux=True)
    assert_tree_close((out, product, aux), reference)

    def f(x, lib):
        return (lib.sin(x) * x.sum()).sum()

    hvp = df.jvp(df.grad(lambda x: f(x, dp)), (ours(x),), (ours(t),))[1]
    reference_hvp = tf.jvp(tf.grad(lambda x: f(x, torch)), (theirs(x),), (theirs(t),))[1]
    assert_tree_close(hvp, reference_hvp)
