"""Bugs found by scripts/fuzz_autograd.py (random autograd programs against PyTorch), each as the
smallest program that showed it, compared with PyTorch 2.13."""

import numpy as np
import pytest
import torch

import deltaprop as dp

C = np.array([[0.5, -1.0], [2.0, 0.3]])
G = np.array([[0.7, 1.5], [-0.2, 0.9]])
WEIGHTS = np.array([[1.0, -2.0], [0.5, 3.0]])


def _after_change(T, program):
    """Run ``program(c, g)``, then triple the constant ``c`` in place, then backward; g's gradient."""
    c = T.tensor(C, dtype=T.float64)
    g = T.tensor(G, dtype=T.float64, requires_grad=True)
    out = program(T, c, g)
    c.mul_(3.0)
    (out * T.tensor(np.resize(WEIGHTS, tuple(out.shape)), dtype=T.float64)).sum().backward()
    return np.asarray(g.grad)


# The gradient rules of these operations need no value of the tensor changed in place afterwards
# (their gradients move the output's gradient to positions), so PyTorch's backward goes through;
# deltaprop refused it, reading the rule's hold on its input tensor (or on the list of arrays it
# concatenated) as a need for the values.
NO_VALUES_NEEDED = {
    "scatter input": lambda T, c, g: T.scatter(c, 0, T.tensor([[1, 0]]), g[:1]),
    "scatter src": lambda T, c, g: T.scatter(g, 0, T.tensor([[1, 0]]), c[:1]),
    "scatter_add input": lambda T, c, g: c.scatter_add(0, T.tensor([[1, 0]]), g[:1]),
    "scatter_add src": lambda T, c, g: g.scatter_add(0, T.tensor([[1, 0]]), c[:1]),
    "index_add input": lambda T, c, g: c.index_add(0, T.tensor([1]), g[:1]),
    "index_add source": lambda T, c, g: g.index_add(0, T.tensor([1]), c[:1], alpha=2.0),
    "index_copy input": lambda T, c, g: c.index_copy(0, T.tensor([1]), g[:1]),
    "cat": lambda T, c, g: T.cat([c, g]) * 2,
    "lerp end": lambda T, c, g: T.lerp(g, c, 0.3),
}


@pytest.mark.parametrize("name", sorted(NO_VALUES_NEEDED))
def test_backward_goes_through_an_in_place_change_the_rule_does_not_read(name):
    program = NO_VALUES_NEEDED[name]
    np.testing.assert_allclose(_after_change(dp, program), _after_change(torch, program), rtol=1e-12, atol=0)


def test_lerp_still_refuses_a_weight_changed_in_place():
    for T, error in ((torch, RuntimeError), (dp, dp.errors.GradError)):
        g = T.tensor(G, dtype=T.float64, requires_grad=True)
        w = T.tensor(C, dtype=T.float64)
        out = T.lerp(g, g * 2, w)
        w.mul_(3.0)
        with pytest.raises(error):
            out.sum().backward()


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_augmented_assignment_on_a_recorded_tensor_keeps_its_dtype(op):
    # x *= y on a float32 tensor in the graph with a float64 y: PyTorch writes float32 in place;
    # deltaprop's x = x * y (the name bound to a new tensor) was float64.
    results = []
    for T in (torch, dp):
        x = T.tensor(G, dtype=T.float64, requires_grad=True)
        names = {"y": x.float().clone(), "x": x}
        exec(f"y {op} (x + 3)", names)  # (a namespace: deltaprop's y += binds y to a new tensor)
        y = names["y"]
        (y * T.tensor(WEIGHTS, dtype=T.float64)).sum().backward()
        results.append((str(y.dtype).rsplit(".", 1)[-1], np.asarray(y.detach()), np.asarray(x.grad)))
    assert results[0][0] == results[1][0] == "float32"
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-6)
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-6)


def test_augmented_assignment_refuses_a_result_of_a_higher_category():
    index = dp.tensor([1, 2])
    with pytest.raises(TypeError, match=r"\+=: a int64 tensor cannot take in place its float64 result"):
        index += dp.tensor(G[0], dtype=dp.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch_index = torch.tensor([1, 2])
        torch_index += torch.tensor(G[0], requires_grad=True)


@pytest.mark.parametrize("shape, sizes", [((), ()), ((), (1,)), ((2, 1), (1, 2, 1)), ((2, 1), (-1, 1))])
def test_an_expand_that_grows_nothing_can_be_changed_in_place(shape, sizes):
    # No two elements share memory, so PyTorch writes through the view into its base; deltaprop's
    # expand was always a read-only broadcast_to view and refused the write.
    results = []
    for T in (torch, dp):
        x = T.tensor(np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape), dtype=T.float64)
        view = x.expand(sizes)
        view.mul_(3.0)
        view += 1.0
        results.append((np.asarray(view), np.asarray(x)))
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])


def test_an_expand_that_grows_is_still_read_only():
    x = dp.tensor([[1.0], [2.0]], dtype=dp.float64)
    with pytest.raises(TypeError, match="read-only"):
        x.expand(2, 3).mul_(3.0)


@pytest.mark.parametrize("shape, dims", [((3,), ()), ((3, 2), (0, 0)), ((3, 2), (1, -1)), ((2, 3, 2), (1, 1))])
def test_flatten_that_merges_nothing_is_the_tensor_itself(shape, dims):
    # PyTorch returns the input object, so a retain_grad() (or a hook) on the result sees every use
    # of the input; deltaprop made a new node, whose .grad held its own uses only.
    grads = []
    for T in (torch, dp):
        x = T.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape), dtype=T.float64, requires_grad=True)
        y = x * 2
        flat = y.flatten(*dims)
        assert flat is y
        flat.retain_grad()
        ((y * 3).sum() + (flat ** 2).sum()).backward()
        grads.append(np.asarray(flat.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


@pytest.mark.parametrize("pick", [
    lambda T, x: x[:, T.tensor([0, 2, 2])],
    lambda T, x: x.index_select(1, T.tensor([1, 0])),
    lambda T, x: x[..., T.tensor([[0], [1]])],
    lambda T, x: x[1:, T.tensor([True, False, True])],
])
def test_an_array_index_after_a_slice_is_contiguous(pick):
    # NumPy returned x[:, i] in column-major order: is_contiguous() was False, so contiguous() made
    # a new node and a retain_grad() on it missed the index's other uses; PyTorch's is row-major.
    seen = []
    for T in (torch, dp):
        x = T.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=T.float64, requires_grad=True)
        picked = pick(T, x)
        same = picked.contiguous()
        same.retain_grad()
        ((picked * 3).sum() + (same ** 2).sum()).backward()
        strides = tuple(s for s, n in zip(picked.stride(), picked.shape) if n > 1)  # (a length-1 axis's is free)
        seen.append((picked.is_contiguous(), strides, np.asarray(same.grad)))
    assert seen[1][:2] == seen[0][:2] == (True, seen[0][1])
    np.testing.assert_allclose(seen[1][2], seen[0][2], rtol=1e-12)


EINSUM_AFTER_A_CHANGE = {
    # a single operand's gradient reads no values (and 'a->a' is a view of the operand, so the
    # change reaches the output too); nor does the gradient of an operand the others need not
    "one operand, its view changed": ("a->a", lambda T, c, g: (g[0], )),
    "one operand, summed": ("abc->bc", lambda T, c, g: (g.reshape(1, 2, 2),)),
    "the constant's gradient is not asked for": ("ab,bc->ac", lambda T, c, g: (g, c)),
}


@pytest.mark.parametrize("name", sorted(EINSUM_AFTER_A_CHANGE))
def test_einsum_backward_goes_through_a_change_it_does_not_read(name):
    equation, operands = EINSUM_AFTER_A_CHANGE[name]
    grads = []
    for T in (torch, dp):
        c = T.tensor(C, dtype=T.float64)
        g = T.tensor(G, dtype=T.float64, requires_grad=True)
        out = T.einsum(equation, *operands(T, c, g))
        g.detach().mul_(2.0)  # (g's memory, whose values no gradient asked for reads)
        (out * T.tensor(np.resize(WEIGHTS, tuple(out.shape)), dtype=T.float64)).sum().backward()
        grads.append(np.asarray(g.grad))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_einsum_still_refuses_a_change_of_a_value_a_gradient_reads():
    for T, error in ((torch, RuntimeError), (dp, dp.errors.GradError)):
        c = T.tensor(C, dtype=T.float64)
        g = T.tensor(G, dtype=T.float64, requires_grad=True)
        out = T.einsum("ab,bc->ac", c, g)
        c.mul_(3.0)
        with pytest.raises(error):
            out.sum().backward()


def _divided_then_changed(T, change):
    """a / b with b requiring grad, then ``change(a, out)`` in place; b's gradient, or the error."""
    a = T.tensor(C, dtype=T.float64)
    b = T.tensor(G, dtype=T.float64, requires_grad=True)
    out = a / b
    change(a, out)
    try:
        (out * T.tensor(WEIGHTS, dtype=T.float64)).sum().backward()
    except (RuntimeError, dp.errors.GradError):
        return "refused"
    return np.asarray(b.grad)


@pytest.mark.parametrize("name, change", [
    ("the output, through detach()", lambda a, out: out.detach().mul_(2.0)),
    ("the numerator", lambda a, out: a.mul_(2.0)),
    ("nothing", lambda a, out: None),
])
def test_division_keeps_its_numerator_not_its_output(name, change):
    # PyTorch's rule for b, -a/b², keeps a: changing a is refused, changing the output is not.
    # deltaprop's -out/b kept the output, and refused and allowed the other way round.
    ours, theirs = _divided_then_changed(dp, change), _divided_then_changed(torch, change)
    if isinstance(theirs, str):
        assert ours == theirs
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=0)


@pytest.mark.parametrize("equation, shape", [("a->a", (3,)), ("ab->ba", (2, 3)), ("ii->i", (3, 3)), ("ab->a", (2, 3))])
def test_einsum_result_can_be_changed_in_place_as_pytorch_s(equation, shape):
    # deltaprop's operands went through broadcast_to, so a permuting einsum was a read-only view
    # and in-place changes of its result were refused; PyTorch's is a writable view of the operand
    # (a reduction is a new tensor in both).
    results = []
    for T in (torch, dp):
        x = T.tensor(np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape), dtype=T.float64)
        y = T.einsum(equation, x)
        y.mul_(2.0)
        results.append((np.asarray(y), np.asarray(x)))
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])


@pytest.mark.parametrize("expression", ["x.mT.view(-1)", "x[:, ::2].view(-1)", "x.expand(2, 2, 3).view(4, 3)",
                                        "x.mT.view(-1, 1)"])
def test_view_refuses_strides_it_cannot_keep_as_pytorch_s(expression):
    # view was reshape, which copies such a tensor silently: a write into the "view" then missed x.
    torch_x = torch.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        eval(expression, {"x": torch_x})
    with pytest.raises(dp.errors.ShapeError, match=r"view: shape .* without copying"):
        eval(expression, {"x": dp.tensor(np.arange(6.0).reshape(2, 3), dtype=dp.float64)})


@pytest.mark.parametrize("expression", ["x.mT.view(3, 1, 2)", "x[:1].view(-1)", "x.unsqueeze(1).mT.view(2, 3)",
                                        "x[:, 1].view(2, 1)"])
def test_view_keeps_the_memory_where_the_strides_allow(expression):
    results = []
    for T in (torch, dp):
        x = T.tensor(np.arange(6.0).reshape(2, 3), dtype=T.float64)
        y = eval(expression, {"x": x})
        y.mul_(10.0)  # reaches x through the view
        results.append((np.asarray(y), np.asarray(x)))
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])


@pytest.mark.parametrize("pick", [
    lambda x: x.kthvalue(2, dim=-2)[0], lambda x: x.mode(dim=0)[0], lambda x: x.max(dim=1)[0],
    lambda x: x.sort(dim=0)[0], lambda x: x.topk(2, dim=1)[0], lambda x: x.median(dim=0)[0],
])
def test_values_picked_by_order_keep_positions_not_values(pick):
    # kthvalue and mode kept (a view of) the input in their rule, so a change of it through
    # detach() refused backward(); PyTorch's keep the indices and go through.
    grads = []
    for T in (torch, dp):
        x = T.tensor(np.array([[0.3, -1.2, 2.5], [1.7, 0.4, -0.6], [-2.2, 0.9, 1.1]]), dtype=T.float64,
                     requires_grad=True)
        out = pick(x)
        x.detach().mul_(-1.0)
        (out * T.tensor(np.resize([1.0, -2.0, 0.5, 3.0], tuple(out.shape)), dtype=T.float64)).sum().backward()
        grads.append(np.asarray(x.grad))
    np.testing.assert_array_equal(grads[1], grads[0])


@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_a_remainder_by_a_number_reads_no_values_for_its_gradient(name):
    # The dividend's gradient is 1, so PyTorch's backward goes through a change of it; deltaprop's
    # rule, which reads x and y for the divisor's gradient only, refused it all the same.
    results = []
    for T in (torch, dp):
        x = T.tensor(C, dtype=T.float64, requires_grad=True)
        out = getattr(x, name)(0.7)
        x.detach().mul_(1.5)
        (out * T.tensor(WEIGHTS, dtype=T.float64)).sum().backward()
        results.append(np.asarray(x.grad))
    np.testing.assert_array_equal(results[1], results[0])
    for T, error in ((torch, RuntimeError), (dp, dp.errors.GradError)):  # a divisor that needs its gradient
        x = T.tensor(C, dtype=T.float64)
        y = T.tensor(G, dtype=T.float64, requires_grad=True)
        out = getattr(x, name)(y)
        x.mul_(1.5)
        with pytest.raises(error):
            out.sum().backward()


@pytest.mark.parametrize("changed", ["output", "input"])
def test_leaky_relu_keeps_its_input_not_its_output(changed):
    # PyTorch's rule keeps the input: a change of the output (through detach()) leaves backward()
    # free, one of the input refuses it. deltaprop's compared the output, the other way round.
    outcomes = []
    for T in (torch, dp):
        x = T.tensor(C[0] - 0.2, dtype=T.float64, requires_grad=True)
        h = x * 2
        out = T.nn.functional.leaky_relu(h, 0.1)
        (out if changed == "output" else h).detach().mul_(-1.0)
        try:
            (out * T.tensor([1.0, -2.0], dtype=T.float64)).sum().backward()
            outcomes.append(np.asarray(x.grad).tolist())
        except (RuntimeError, dp.errors.GradError):
            outcomes.append("refused")
    assert outcomes[1] == outcomes[0]
