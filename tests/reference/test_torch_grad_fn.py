"""``tensor.grad_fn`` as PyTorch's node objects, against PyTorch: names, the graph that
``next_functions`` walks, calling a node, and the hooks put on nodes."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the graph's nodes")

# Operations whose node PyTorch names after the operation itself, as deltaprop does.
UNARY = ["exp", "tanh", "sigmoid", "relu", "sum", "mean", "abs", "neg", "sqrt", "log", "sin", "cos"]
BINARY = [
    ("mul", lambda a, b: a * b),
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("div", lambda a, b: a / b),
]


def _pair(values, requires_grad=True):
    array = np.asarray(values, dtype=np.float64)
    return dp.tensor(array, dtype=np.float64, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


@pytest.mark.parametrize("name", UNARY)
def test_a_unary_operations_node_has_pytorchs_name(name):
    ours, theirs = _pair([0.5, 2.0])
    node, expected = getattr(ours, name)().grad_fn, getattr(theirs, name)().grad_fn
    assert node.name() == expected.name() == type(node).__name__


def test_a_power_by_a_number_is_named_as_pytorchs():
    ours, theirs = _pair([0.5, 2.0])
    assert (ours ** 3).grad_fn.name() == (theirs ** 3).grad_fn.name() == "PowBackward0"


@pytest.mark.parametrize("name, op", BINARY, ids=[name for name, _ in BINARY])
def test_a_binary_operations_node_has_pytorchs_name_and_edges(name, op):
    a, ta = _pair([1.0, 2.0])
    b, tb = _pair([3.0, 4.0], requires_grad=False)
    node, expected = op(a, b).grad_fn, op(ta, tb).grad_fn
    assert node.name() == expected.name()
    assert [_edge_name(e) for e in node.next_functions] == [_edge_name(e) for e in expected.next_functions]


def _edge_name(edge):
    fn, number = edge
    assert number == 0
    return None if fn is None else type(fn).__name__


def _walk(fn):
    """The nodes reachable from ``fn`` (each object once, by identity as graph drawers keep them)
    and the edges between them, as (producer name, consumer name) pairs."""
    nodes, edges, stack = {}, [], [fn]
    while stack:
        node = stack.pop()
        if id(node) in nodes:
            continue
        nodes[id(node)] = node
        for child, _ in node.next_functions:
            if child is not None:
                edges.append((type(child).__name__, type(node).__name__))
                stack.append(child)
    return sorted(type(n).__name__ for n in nodes.values()), sorted(edges)


def test_walking_next_functions_finds_pytorchs_graph_with_shared_nodes_once():
    a, ta = _pair([0.3, -1.2, 2.0])
    b, tb = _pair([1.5, 0.5, -0.7])

    def graph(x, y):
        p = x * y
        return (p + p.exp() - x.tanh()).sum()

    ours, theirs = _walk(graph(a, b).grad_fn), _walk(graph(ta, tb).grad_fn)
    assert ours == theirs
    # the leaves' nodes: one AccumulateGrad per leaf, whichever path reaches it
    assert ours[0].count("AccumulateGrad") == 2


def test_calling_a_node_applies_its_rule_as_pytorchs():
    a, ta = _pair([1.0, 2.0])
    b, tb = _pair([3.0, 4.0], requires_grad=False)
    g = np.array([0.5, -2.0])
    ours = (a * b).grad_fn(dp.tensor(g, dtype=np.float64))
    theirs = (ta * tb).grad_fn(torch.tensor(g))
    assert len(ours) == len(theirs) == 2
    np.testing.assert_allclose(ours[0].data, theirs[0].numpy(), rtol=1e-15)
    assert ours[1] is None and theirs[1] is None


def test_a_nodes_hook_sees_and_replaces_the_inputs_gradients_as_pytorchs():
    def run(lib, a, b):
        seen = []

        def hook(grad_inputs, grad_outputs):
            seen.append([None if g is None else np.array(g.detach().numpy() if lib is torch else g.data)
                         for g in grad_inputs + grad_outputs])
            return (grad_inputs[0] * 10, grad_inputs[1])

        y = a * b
        y.grad_fn.register_hook(hook)
        (y * y).sum().backward()
        return seen, a.grad

    a, ta = _pair([1.0, 2.0])
    b, tb = _pair([3.0, -1.0])
    ours, our_grad = run(dp, a, b)
    theirs, their_grad = run(torch, ta, tb)
    assert len(ours) == len(theirs) == 1
    for mine, expected in zip(ours[0], theirs[0]):
        np.testing.assert_allclose(mine, expected, rtol=1e-15)
    np.testing.assert_allclose(our_grad, their_grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-15)


def test_a_nodes_prehook_replaces_its_output_gradient_as_pytorchs():
    def run(a):
        y = a.exp()
        y.grad_fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 3,))
        y.sum().backward()
        return a.grad

    a, ta = _pair([0.1, -0.4])
    np.testing.assert_allclose(run(a), run(ta).numpy(), rtol=1e-15)


def test_a_small_networks_graph_ends_in_the_parameters_accumulators():
    dp.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    loss = nn.MSELoss()(net(dp.randn(5, 3)), dp.zeros(5, 2))
    names, _ = _walk(loss.grad_fn)
    # deltaprop's dense layer is one fused node (PyTorch records addmm and a transpose per layer)
    assert names == sorted(["MseLossBackward0", "LinearBackward0", "TanhBackward0", "LinearBackward0"]
                           + ["AccumulateGrad"] * 4)
    variables = set()
    stack = [loss.grad_fn]
    while stack:
        node = stack.pop()
        if hasattr(node, "variable"):
            variables.add(id(node.variable))
        stack.extend(child for child, _ in node.next_functions if child is not None)
    assert variables == {id(p) for p in net.parameters()}


def test_get_gradient_edge_names_the_node_as_pytorchs():
    a, ta = _pair([1.0])
    ours, theirs = dp.autograd.graph.get_gradient_edge(a), torch.autograd.graph.get_gradient_edge(ta)
    assert type(ours.node).__name__ == type(theirs.node).__name__ == "AccumulateGrad"
    assert ours.node.variable is a and ours.output_nr == theirs.output_nr == 0
    y = a * 2
    assert dp.autograd.graph.get_gradient_edge(y).node is y.grad_fn
    assert isinstance(y.grad_fn, dp.autograd.graph.Node) and a.grad_fn is None
