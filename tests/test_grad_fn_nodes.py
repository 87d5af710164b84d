"""``tensor.grad_fn``'s node objects (deltaprop.nodes): identity, lifetime, hooks and their refusals."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.engine import Hooks
from deltaprop.errors import GradError


def test_a_tensors_node_is_one_object_and_a_leaf_has_none():
    a = dp.tensor([1.0, 2.0], requires_grad=True)
    y = a * 3
    assert y.grad_fn is y.grad_fn
    assert a.grad_fn is None and dp.tensor([1.0]).grad_fn is None
    assert y.grad_fn.next_functions[0][0] is y.grad_fn.next_functions[0][0]
    assert y.grad_fn.next_functions[0][0].variable is a
    assert repr(y) == "tensor([3., 6.], grad_fn=<MulBackward0>)"
    assert repr(y.grad_fn).startswith("<MulBackward0 object at 0x")


def test_a_node_outlives_the_tensor_it_came_from():
    a = dp.tensor([1.0, 2.0], requires_grad=True)
    node = (a.exp() * 2).sum().grad_fn  # the sum's tensor is gone after this line
    gc.collect()
    assert node.name() == "SumBackward0"
    mul = node.next_functions[0][0]
    exp = mul.next_functions[0][0]
    assert (mul.name(), exp.name()) == ("MulBackward0", "ExpBackward0")
    (grad,) = exp(dp.ones(2))
    np.testing.assert_allclose(grad.data, np.exp([1.0, 2.0]), rtol=1e-6)


def test_a_tensor_and_its_node_make_no_reference_cycle():
    a = dp.tensor([1.0], requires_grad=True)
    y = a * 2
    node = y.grad_fn
    gc.collect()
    gc.disable()
    try:
        import weakref

        gone = weakref.ref(y)
        del y
        assert gone() is None  # freed by its reference count alone
        assert node.name() == "MulBackward0"
    finally:
        gc.enable()


def test_metadata_is_kept_on_the_node():
    y = dp.tensor([1.0], requires_grad=True) * 2
    y.grad_fn.metadata["label"] = "double"
    assert y.grad_fn.metadata == {"label": "double"}


def test_a_custom_functions_node_is_named_as_pytorch_names_it():
    class Cube(dp.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    y = Cube.apply(dp.tensor([2.0], requires_grad=True))
    assert y.grad_fn.name() == "CubeBackward"


def test_node_hooks_run_in_autograd_grad_and_come_off_with_their_handle():
    a = dp.tensor([1.0, 2.0], requires_grad=True)
    y = a * a
    count = Hooks.count
    handle = y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0] * 0, grad_inputs[1] * 0))
    assert Hooks.count == count + 1
    (g,) = dp.autograd.grad(y.sum(), a)
    np.testing.assert_array_equal(g.data, [0.0, 0.0])
    handle.remove()
    assert Hooks.count == count
    (g,) = dp.autograd.grad(y.sum(), a)
    np.testing.assert_array_equal(g.data, [2.0, 4.0])


def test_a_dropped_nodes_hooks_stop_counting():
    count = Hooks.count
    y = dp.tensor([1.0], requires_grad=True) * 2
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: None)
    assert Hooks.count == count + 1
    del y
    gc.collect()
    assert Hooks.count == count


def test_a_hook_on_a_node_stays_with_it_when_the_tensor_changes_shape_in_place():
    a = dp.tensor([1.0, 2.0], requires_grad=True)
    y = a * 2
    old = y.grad_fn
    old.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0] + 1, None))
    y.unsqueeze_(0)
    assert y.grad_fn is not old and old.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [3.0, 3.0])  # 2 per element, plus the hook's 1


def test_hooks_that_return_the_wrong_gradients_are_refused_in_one_sentence():
    a = dp.tensor([1.0, 2.0], requires_grad=True)
    y = a * 2
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (dp.ones(3), None))
    with pytest.raises(GradError, match="shape \\(3,\\) for an input of shape \\(2,\\)"):
        y.sum().backward()
    z = a * 2
    z.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0],))
    with pytest.raises(GradError, match="returned 1 gradients for its 2 inputs"):
        z.sum().backward()
    with pytest.raises(TypeError, match="must be a function"):
        z.grad_fn.register_hook("not a function")
    with pytest.raises(TypeError, match="takes one gradient"):
        z.grad_fn(dp.ones(2), dp.ones(2))


def test_a_leafs_node_refuses_what_it_cannot_do():
    a = dp.tensor([1.0], requires_grad=True)
    accumulator = (a * 2).grad_fn.next_functions[0][0]
    with pytest.raises(GradError, match="Tensor.register_post_accumulate_grad_hook"):
        accumulator.register_hook(lambda *args: None)
    with pytest.raises(GradError, match="no rule to call"):
        accumulator(dp.ones(1))
    # its pre-hook is the leaf's gradient hook
    accumulator.register_prehook(lambda grad_outputs: (grad_outputs[0] * 5,))
    (a * 2).sum().backward()
    np.testing.assert_array_equal(a.grad, [10.0])


def test_an_optimizer_refusing_a_computed_tensor_names_its_operation():
    w = dp.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(Exception, match="computed by an operation \\('mul'\\)"):
        dp.optim.SGD([w], lr=0.1)
