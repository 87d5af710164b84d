"""The backward sweep: order, accumulation, memory ownership, misuse, and one example by hand."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.engine import topological_order
from deltaprop.errors import GradError


def test_deep_chain_needs_no_recursion():
    """100,000 operations in a row: the sort is iterative, so no RecursionError, and freeing is safe."""
    x = dp.tensor(1.0, requires_grad=True, dtype=dp.float64)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert x.grad == pytest.approx(1.00001**100_000, rel=1e-9)
    del y  # dropping the whole chain must not blow the C stack either


def test_gradients_accumulate_across_backward_calls():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    for calls in range(1, 4):
        (x * x).sum().backward()
        np.testing.assert_allclose(x.grad, calls * 2 * x.data)


def test_backward_twice_on_the_same_graph():
    x = dp.tensor([1.0, -3.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    first = x.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-6)
    np.testing.assert_allclose(first, np.exp(x.data) * (1 + x.data), rtol=1e-6)


def test_intermediate_grads_are_dropped_unless_retained():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    kept = (x + 1).retain_grad()
    loss = (h * kept).sum()
    loss.backward()
    assert h.grad is None and loss.grad is None
    np.testing.assert_allclose(kept.grad, h.data)
    assert x.grad is not None


def test_retained_grad_accumulates_like_a_leaf():
    x = dp.tensor([1.0], requires_grad=True)
    h = (x * 3).retain_grad()
    y = h * h
    y.backward()
    y.backward()
    np.testing.assert_allclose(h.grad, 2 * 2 * h.data)


def test_retain_grad_on_the_root():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).retain_grad()
    y.backward(np.array([3.0, 4.0]))
    np.testing.assert_allclose(y.grad, [3.0, 4.0])


def test_non_scalar_backward_needs_a_gradient():
    y = dp.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(GradError, match=r"only for a scalar.*shape \(2,\).*backward\(gradient=\.\.\.\)"):
        y.backward()


def test_gradient_of_the_wrong_shape_is_refused():
    y = dp.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(GradError, match=r"gradient has shape \(3,\), the tensor has shape \(2,\)"):
        y.backward(np.ones(3))


def test_one_element_tensor_implies_its_gradient():
    x = dp.tensor([[2.0]], requires_grad=True)
    (x * x).backward()
    np.testing.assert_allclose(x.grad, [[4.0]])


@pytest.mark.parametrize(
    "make",
    [
        lambda: dp.tensor([1.0, 2.0]).sum(),
        lambda: dp.tensor(3.0),
        lambda: dp.tensor([1.0], requires_grad=True).detach().sum(),
    ],
    ids=["constant-graph", "constant-leaf", "detached"],
)
def test_backward_without_grad_raises(make):
    with pytest.raises(GradError, match="does not require a gradient"):
        make().backward()


def test_backward_on_result_made_under_no_grad_raises():
    x = dp.tensor([1.0], requires_grad=True)
    with dp.no_grad():
        y = (x * 2).sum()
    with pytest.raises(GradError, match="no_grad"):
        y.backward()


@pytest.mark.parametrize("dtype", [dp.int64, dp.int32, dp.bool_])
def test_integer_tensor_cannot_require_grad(dtype):
    with pytest.raises(GradError, match=f"only floating-point tensors.*{np.dtype(dtype).name}"):
        dp.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(GradError):
        dp.tensor([1, 0], dtype=dtype).requires_grad_()
    with pytest.raises(GradError):
        dp.zeros(2, dtype=dtype, requires_grad=True)


def test_no_graph_for_inputs_without_grad():
    a, b = dp.tensor([1.0, 2.0]), dp.tensor([3.0, 4.0])
    for out in (a + b, a * b, (a @ b), a.exp(), a.sum(), a[0], dp.stack([a, b]), a.softmax()):
        assert not out.requires_grad and out._parents == () and out._backward is None and out.is_leaf


def test_graph_records_only_parents_needed():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    c = dp.tensor([3.0, 4.0])
    y = x * c
    assert y.requires_grad and y._parents == (x, c)
    y.sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad, c.data)


def test_leaf_grads_never_alias():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    y = dp.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()
    assert x.grad is not y.grad and not np.shares_memory(x.grad, y.grad)
    x.grad *= 10  # an in-place change (an optimizer's, say) must not leak into y.grad
    np.testing.assert_allclose(y.grad, [1.0, 1.0])


def test_leaf_grads_never_alias_through_views():
    """add hands one array to both parents; reshape's rule returns a view of it."""
    x = dp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = dp.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    gradient = np.array([1.0, 2.0, 3.0, 4.0])
    (x.reshape(4) + y).backward(gradient)
    assert not np.shares_memory(x.grad, y.grad)
    assert not np.shares_memory(y.grad, gradient)
    y.grad *= 0
    np.testing.assert_allclose(x.grad, [[1.0, 2.0], [3.0, 4.0]])


def test_leaf_grads_own_their_memory():
    x = dp.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = dp.tensor([4.0], requires_grad=True)
    dp.concatenate([x, y]).backward(np.arange(4.0))
    for leaf in (x, y):
        assert leaf.grad.flags.owndata and leaf.grad.flags.writeable
    x.sum().backward()  # a broadcast (read-only) gradient from sum
    x.grad += 1
    np.testing.assert_allclose(x.grad, [2.0, 3.0, 4.0])


@pytest.mark.parametrize("dtype", [dp.float32, dp.float64])
def test_leaf_grad_has_the_leaf_dtype(dtype):
    x = dp.tensor([1.0, 3.0, 2.0], requires_grad=True, dtype=dtype)
    other = np.array([1.0, 2.0, 3.0])  # float64 constant: x * other computes in float64
    for _ in range(2):  # the first backward stores, the second accumulates
        ((x * other).sum() + x.max() + (2.0**x).sum()).backward()
        assert x.grad.dtype == dtype


def test_intermediate_grad_keeps_its_dtype_under_promotion():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 2).retain_grad()
    (h * np.array([1.0, 2.0])).sum().backward()  # the product is float64
    assert h.grad.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_leaf_as_root():
    x = dp.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0
    x.backward(np.array(2.0))
    assert x.grad == 3.0


def test_diamond_sums_both_paths():
    """y = (2x)·(x²): x reaches y along two paths; dy/dx = 2x² + 2x·2x = 6x²."""
    x = dp.tensor([1.0, -2.0, 0.5], requires_grad=True, dtype=dp.float64)
    a = x * 2
    b = x * x
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data**2)


def test_shared_subexpression_is_differentiated_once():
    """h feeds three consumers; its rule must run once with the summed gradient."""
    x = dp.tensor([2.0], requires_grad=True, dtype=dp.float64)
    h = x.exp()
    calls = []
    rule = h._backward

    def counting(g):
        calls.append(g.copy())
        return rule(g)

    h._backward = counting
    (h + h * 3 + h * h).sum().backward()
    assert len(calls) == 1
    e = np.exp(2.0)
    np.testing.assert_allclose(calls[0], [1 + 3 + 2 * e])
    np.testing.assert_allclose(x.grad, [(1 + 3 + 2 * e) * e])


def test_topological_order_puts_consumers_first():
    x = dp.tensor([1.0], requires_grad=True)
    a = x * 2
    b = a + x
    c = b * a
    order = topological_order(c)
    assert order[0] is c
    position = {id(node): i for i, node in enumerate(order)}
    assert position[id(b)] < position[id(a)]
    assert all(node._backward is not None for node in order)  # leaves are not in the order


def test_branch_without_grad_gets_nothing():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    frozen = dp.tensor([5.0, 6.0])
    y = (x * frozen + frozen.exp()).sum()
    y.backward()
    assert frozen.grad is None
    np.testing.assert_allclose(x.grad, frozen.data)


def test_hand_worked_example():
    """One sigmoid neuron with squared error, worked on paper.

    w = [0.5, -1], x = [2, 1], b = 0.25:  a = w·x + b = 1 - 1 + 0.25 = 0.25
    o = σ(0.25) = 0.5621765009;  E = ½(o − 1)² = 0.0958447
    δ = ∂E/∂a = (o − 1)·σ'(a) = (o − 1)·o·(1 − o) = −0.4378235 · 0.2461340 = −0.1077633
    ∂E/∂w = δ·x = [−0.2155266, −0.1077633];  ∂E/∂b = δ = −0.1077633
    """
    w = dp.tensor([0.5, -1.0], requires_grad=True, dtype=dp.float64)
    b = dp.tensor(0.25, requires_grad=True, dtype=dp.float64)
    x = np.array([2.0, 1.0])
    o = ((w * x).sum() + b).sigmoid()
    error = 0.5 * (o - 1.0) ** 2
    error.backward()
    assert o.item() == pytest.approx(0.5621765009, abs=1e-9)
    assert error.item() == pytest.approx(0.0958447, abs=1e-7)
    np.testing.assert_allclose(w.grad, [-0.2155266, -0.1077633], atol=1e-7)
    assert b.grad == pytest.approx(-0.1077633, abs=1e-7)


def test_gradient_seed_is_not_aliased():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([1.0, 1.0], dtype=np.float32)
    (x + 0).backward(seed)
    seed[0] = 100.0
    np.testing.assert_allclose(x.grad, [1.0, 1.0])
