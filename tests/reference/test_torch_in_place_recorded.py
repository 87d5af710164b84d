"""In-place changes of tensors the graph records (y.add_(w), y[0] = w, y += w, y.relu_()), against
PyTorch: the tensor becomes the node of the change and earlier operations keep what it was
(deltaprop/versions.py). Gradients are compared in float64; refusals are compared with PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference for in-place changes in the graph")

import deltaprop as dp  # noqa: E402
from torch_twins import as_array  # noqa: E402
from deltaprop.errors import GradError  # noqa: E402

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))
W = RNG.standard_normal((3, 4))
ROW = RNG.standard_normal(4)


def _run(program, lib):
    """(loss, a.grad, w.grad, r.grad) for ``program(lib, a, w, r)``, or the error it raised."""
    a = lib.tensor(A, dtype=lib.float64, requires_grad=True)
    w = lib.tensor(W, dtype=lib.float64, requires_grad=True)
    r = lib.tensor(ROW, dtype=lib.float64, requires_grad=True)
    try:
        loss = program(lib, a, w, r)
        loss.backward()
    except (RuntimeError, GradError) as error:
        return error
    return [float(loss.detach())] + [None if t.grad is None else as_array(t.grad) for t in (a, w, r)]


def _same_as_pytorch(program):
    theirs, ours = _run(program, torch), _run(program, dp)
    assert not isinstance(theirs, Exception), theirs
    assert not isinstance(ours, Exception), ours
    _agree(ours, theirs)


def _agree(ours, theirs):
    for mine, reference in zip(ours, theirs):
        assert (mine is None) == (reference is None)
        if mine is not None:
            np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=1e-12)


PROGRAMS = {
    "add_": lambda lib, a, w, r: ((y := a * 2).add_(w), (y * y).sum())[1],
    "add_ alpha": lambda lib, a, w, r: ((y := a * 2).add_(w, alpha=-0.5), (y * y).sum())[1],
    "sub_ alpha": lambda lib, a, w, r: ((y := a * 3).sub_(r, alpha=3), (y * a).sum())[1],
    # mul_ and div_ by a value that requires grad: their rules need what the tensor was
    "mul_": lambda lib, a, w, r: ((y := a * 1).mul_(w), (y * y).sum())[1],
    "div_": lambda lib, a, w, r: ((y := a + 0).div_(w.abs() + 1), (y * y).sum())[1],
    "+= then -= then *=": lambda lib, a, w, r: _augmented(a, w, r),
    "an alias sees +=": lambda lib, a, w, r: _alias(a, w),
    "a use before the change keeps the old value": lambda lib, a, w, r: _before_and_after(a, w),
    "changed twice, used between": lambda lib, a, w, r: _twice(a, w),
    "the tensor itself as operand": lambda lib, a, w, r: ((y := a * w).add_(y), (y * a).sum())[1],
    "an operand sharing its memory": lambda lib, a, w, r: ((y := (a[:, :3] * w[:, :3])).add_(y.T.T), (y * y).sum())[1],
    "item assignment, basic": lambda lib, a, w, r: _written(lib, a, w, r, lambda y, v: y.__setitem__((0, slice(1, 3)), v[0, :2] * 3)),
    "item assignment, broadcast": lambda lib, a, w, r: _written(lib, a, w, r, lambda y, v: y.__setitem__(slice(None), r)),
    "item assignment, mask": lambda lib, a, w, r: _written(lib, a, w, r, lambda y, v: y.__setitem__(y > 0, 0.5)),
    "item assignment, integer array": lambda lib, a, w, r: _written(
        lib, a, w, r, lambda y, v: y.__setitem__(lib.tensor([2, 0]), v[1] * v[2])),
    "item assignment, integers apart": lambda lib, a, w, r: _written(
        lib, a, w, r, lambda y, v: y.__setitem__((1, slice(None), ), r * 2)),
    "a buffer filled row by row": lambda lib, a, w, r: _buffer(lib, a, w),
    "relu_": lambda lib, a, w, r: ((y := a * w).relu_(), (y * a).sum())[1],
    "clamp_ then masked_fill_": lambda lib, a, w, r: ((y := a * w).clamp_(max=0.7), y.masked_fill_(y < 0.1, -1.0),
                                                     (y * a).sum())[2],
    "tanh_ and sigmoid_": lambda lib, a, w, r: ((y := a + w).tanh_(), (z := a * 1).sigmoid_(), (y * z).sum())[2],
    "zero_ then add_": lambda lib, a, w, r: ((y := a * w).zero_().add_(a), (y * y).sum())[1],
    "fill_ by a 0-d tensor": lambda lib, a, w, r: ((y := a * 1).fill_((w * w).sum()), (y * a).sum())[1],
    "fill_diagonal_": lambda lib, a, w, r: ((y := a * w).fill_diagonal_(2.0), (y * y).sum())[1],
    "copy_": lambda lib, a, w, r: ((y := a * 1).copy_(r * 2), (y * a).sum())[1],
    "index_add_ and scatter_": lambda lib, a, w, r: (
        (y := a * 1).index_add_(0, lib.tensor([2, 2]), w[:2]),
        y.scatter_(1, lib.tensor([[0], [1], [3]]), w[:, :1] * 5), (y * y).sum())[2],
    "ReLU(inplace=True) after a linear layer": lambda lib, a, w, r: _relu_layer(lib, a, w),
    # a piece cut by indexing changes the tensor it was cut from (PyTorch's CopySlices)
    "a row filled, the whole used": lambda lib, a, w, r: ((y := a * w)[0].fill_(3.0), (y * y).sum())[1],
    "a column scaled, both used": lambda lib, a, w, r: _piece(a, w, r),
    "a piece of a piece": lambda lib, a, w, r: ((y := a * 2)[1:][:, 2:].add_(w[0, :2]), (y * a).sum())[1],
    "a piece used before and after": lambda lib, a, w, r: _piece_before_and_after(a, w),
}


def _piece(a, w, r):
    y = a * 1
    column = y[:, 1]
    column.mul_(w[:, 0])
    return (y * y).sum() + (column * 3).sum()


def _piece_before_and_after(a, w):
    y = a * 1.5
    piece = y[1:, :2]
    early = (piece.roll(1) * 2).sum()
    piece.mul_(w[:2, :2])
    return early + (piece * piece).sum() + (y * a).sum()


def _augmented(a, w, r):
    y = a * 1
    y += w
    y -= r
    y *= a
    return (y * y).sum()


def _alias(a, w):
    y = a * 2
    alias = y
    y += w
    return (alias * alias).sum()


def _before_and_after(a, w):
    y = a * 2
    before = (y * 3).sum()  # (3·y keeps nothing of y: the change is allowed, as in PyTorch)
    y.mul_(w)
    return before + (y * y).sum()


def _twice(a, w):
    y = a * 2
    first = (y * 1).sum()
    y.add_(w)
    second = (y * 1).exp().sum()
    y.mul_(w)
    return first + second + (y * y).sum()


def _written(lib, a, w, r, write):
    y = a * a
    write(y, w)
    return (y * y * a).sum()


def _buffer(lib, a, w):
    out = lib.zeros((3, 4), dtype=lib.float64)
    h = a[0] * 0
    for t in range(3):
        h = (h + a[t]).tanh() * w[t]
        out[t] = h
    return (out * out).sum()


def _relu_layer(lib, a, w):
    linear = lib.nn.Linear(4, 4).double()
    with lib.no_grad():
        linear.weight.copy_(lib.tensor(W[:, :4].repeat(2, axis=0)[:4], dtype=lib.float64))
        linear.bias.fill_(0.1)
    hidden = lib.nn.ReLU(inplace=True)(linear(a))
    return (hidden * w[:, :4]).sum()


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_gradients_through_an_in_place_change_are_pytorchs(name):
    _same_as_pytorch(PROGRAMS[name])


REFUSED_BY_BOTH = {
    # the change overwrites a value an earlier operation's rule needs
    "an input needed": (lambda lib, a, w, r: ((y := a * 2), (z := (y * w).sum()), y.add_(1), z + y.sum())[3],
                        "changed in place after the operation used it"),
    "an output needed": (lambda lib, a, w, r: ((y := a.exp()), y.add_(1), y.sum())[2], "its gradient rule needs that output"),
    "an output needed, a piece changed": (lambda lib, a, w, r: ((y := a.tanh()), y[1:, :2].mul_(w[:2, :2]), y.sum())[2],
                                          "its gradient rule needs that output"),
    "a leaf that requires grad": (lambda lib, a, w, r: (a.add_(1), a.sum())[1], "a leaf tensor that requires grad"),
    "a view of such a leaf": (lambda lib, a, w, r: (a[0].mul_(3), a.sum())[1], "view of a leaf tensor that requires grad"),
}


@pytest.mark.parametrize("name", list(REFUSED_BY_BOTH))
def test_what_pytorch_refuses_is_refused(name):
    program, message = REFUSED_BY_BOTH[name]
    assert isinstance(_run(program, torch), RuntimeError)
    error = _run(program, dp)
    assert isinstance(error, GradError) and message in str(error)


def test_the_tensor_itself_as_its_factor_computes_where_pytorch_refuses():
    # (docs/porting.md, Gradients: y.mul_(y) reads y as if copied first; PyTorch's saved operand is
    # the tensor it changes, which its version counter then refuses; the gradient is that of y = y * y)
    assert isinstance(_run(lambda lib, a, w, r: ((y := a * w).mul_(y), (y * a).sum())[1], torch), RuntimeError)
    theirs = _run(lambda lib, a, w, r: ((y := a * w), (y := y * y), (y * a).sum())[2], torch)
    ours = _run(lambda lib, a, w, r: ((y := a * w).mul_(y), (y * a).sum())[1], dp)
    _agree(ours, theirs)


def test_a_refused_change_leaves_the_tensor_as_it_was():
    a = dp.tensor(A, requires_grad=True)
    y = a * 2
    node, values = y.grad_fn, y.data.copy()
    with pytest.raises(dp.errors.ShapeError, match=r"add_: the result has shape \(2, 3, 4\), the tensor \(3, 4\)"):
        y.add_(dp.ones(2, 3, 4))
    with pytest.raises(TypeError, match="cannot take in place its float32 result"):
        dp.tensor([1, 2]).mul_(dp.tensor([0.5, 1.0], requires_grad=True))
    assert y.grad_fn is node and np.array_equal(y.data, values)
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, np.full((3, 4), 2.0))


def test_a_piece_changed_in_place_becomes_a_piece_of_the_changed_tensor():
    a = dp.tensor(A, requires_grad=True)
    y = a * 2
    row = y[0]
    memory = row.data
    row.mul_(3)
    assert row.data is memory and np.shares_memory(row.data, y.data)
    assert y.grad_fn.name() == "SetitemBackward0" and row.grad_fn.name() == "IndexBackward0"
    assert row.grad_fn.next_functions[0][0] is y.grad_fn


def test_a_view_made_before_the_change_and_used_after_it_is_refused_where_pytorch_tracks_views():
    # (docs/porting.md, Gradients: PyTorch's view tracking rebuilds v from the changed y; deltaprop
    # records no views, and refuses rather than send the gradient to y's old value)
    def program(lib, a, w, r):
        y = a * 2
        v = y[0]
        y.mul_(w)
        return (v * 1).sum() + y.sum()

    assert not isinstance(_run(program, torch), Exception)
    with pytest.raises(GradError, match="whose memory was changed in place afterwards through another tensor sharing it"):
        program(dp, dp.tensor(A, requires_grad=True), dp.tensor(W, requires_grad=True), None).backward()


def test_a_view_changed_in_place_and_used_alone_agrees_with_pytorch():
    _same_as_pytorch(lambda lib, a, w, r: ((v := (a * 2)[1]).mul_(r), (v * v).sum())[1])


def test_the_tensor_keeps_its_memory_and_views_of_it_see_the_change():
    a = dp.tensor(A, requires_grad=True)
    y = a * 2
    memory, view = y.data, y.detach()[0]
    y.add_(1)
    assert y.data is memory and np.array_equal(view.data, y.data[0])
    assert y.grad_fn.name() == "AddBackward0" and not y.is_leaf


def test_a_plain_tensor_written_with_a_value_that_requires_grad_joins_the_graph():
    w = dp.tensor(W, requires_grad=True)
    out = dp.zeros(3, 4)
    assert out.is_leaf and not out.requires_grad
    out[1] = w[1] * 2
    assert out.requires_grad and not out.is_leaf and out.grad_fn.name() == "SetitemBackward0"


def test_hooks_registered_before_the_change_get_the_old_values_gradient_as_in_pytorch():
    found = []
    for lib in (dp, torch):
        a = lib.tensor(A, dtype=lib.float64, requires_grad=True)
        seen = []
        y = a * 2
        y.register_hook(lambda g: seen.append(as_array(g)))
        y.mul_(3)
        y.retain_grad()
        (y * y).sum().backward()
        found.append((seen[0], as_array(y.grad), as_array(a.grad)))
    for ours, theirs in zip(*found):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_autograd_grad_and_second_derivatives_go_through_the_change():
    found = []
    for lib in (dp, torch):
        a = lib.tensor(A, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(W, dtype=lib.float64, requires_grad=True)
        y = a * a
        early = (y * 3).sum()
        y[0] = w[0] * w[1]
        y.mul_(a)
        loss = early + (y ** 3).sum()
        (grad_y,) = lib.autograd.grad(loss, [y], retain_graph=True)
        ga, gw = lib.autograd.grad(loss, [a, w], create_graph=True)
        (ga.sum() + (gw * gw).sum()).backward()
        found.append([as_array(grad_y), as_array(a.grad), as_array(w.grad)])
    for ours, theirs in zip(*found):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_a_checkpointed_function_that_changes_a_tensor_in_place_agrees_with_pytorch():
    import torch.utils.checkpoint

    def function(x):
        y = x * 2
        early = (y * y).sum()
        y.add_(1)
        y[0] = 5.0
        return early + (y * x).sum()

    found = []
    for lib, checkpoint in ((dp, dp.utils.checkpoint.checkpoint), (torch, torch.utils.checkpoint.checkpoint)):
        x = lib.tensor(ROW, dtype=lib.float64, requires_grad=True)
        checkpoint(function, x, use_reentrant=False).backward()
        found.append(as_array(x.grad))
    np.testing.assert_allclose(found[0], found[1], rtol=1e-12)


@pytest.mark.parametrize("draw", ["normal_", "uniform_", "bernoulli_", "random_"])
def test_a_random_fill_of_a_recorded_tensor_passes_no_gradient_to_its_old_value(draw):
    a = dp.tensor(A, requires_grad=True)
    y = a * 2
    arguments = (5,) if draw == "random_" else ()
    assert getattr(y, draw)(*arguments) is y and y.requires_grad
    (y * a).sum().backward()
    np.testing.assert_allclose(a.grad, y.data, rtol=1e-6)  # (only a's own factor: y's old value gets 0)
