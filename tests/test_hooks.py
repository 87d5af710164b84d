"""Tensor.register_hook: PyTorch's gradient hooks on leaves and intermediate tensors, against torch
(the gradients each hook sees, what it changes, the order hooks run in), and the handle's remove()."""

from __future__ import annotations

import copy
import gc
import pickle

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.engine import Hooks
from deltaprop.errors import GradError

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the hooks")


def _leaves(lib):
    dtype = np.float64 if lib is dp else torch.float64
    return [lib.tensor(v, requires_grad=True, dtype=dtype) for v in ([1.0, -2.0, 3.0], [0.5, 4.0, -1.0])]


def _run(lib, name, scale):
    """Hooks on every leaf and every intermediate of graph ``name`` (a chain; branches; a leaf used
    three times), the root's too: each logs what it sees and scales it by ``scale[i]`` (None:
    returns nothing)."""
    a, b = _leaves(lib)
    seen = []
    made = []

    def hooked(tensor, label):
        i = len(made)
        made.append(label)

        def hook(g):
            seen.append((label, (g.numpy() if lib is torch else g.data).tolist()))
            return None if scale[i % len(scale)] is None else g * scale[i % len(scale)]

        tensor.register_hook(hook)
        return tensor

    hooked(a, "a")
    hooked(b, "b")
    if name == "chain":
        h1 = hooked(a * 2.0, "h1")
        h2 = hooked(h1.tanh(), "h2")
        out = hooked((h2 * 3.0).sum(), "out")
    elif name == "branches":
        p = hooked(a * b, "p")
        q = hooked(p * p, "q")
        r = hooked(a.exp() * b, "r")
        out = hooked((q + r).sum(), "out")
    else:
        c = hooked(a * a, "c")
        out = hooked((c * a + b).sum(), "out")
    out.backward()
    return seen, [np.asarray(t.grad).tolist() for t in (a, b)]


@pytest.mark.parametrize("name", ["chain", "branches", "reused"])
@pytest.mark.parametrize("scale", [[None], [2.0], [None, 0.5, -1.0]], ids=["observe", "double", "mixed"])
def test_hooks_see_and_change_gradients_as_in_pytorch(name, scale):
    seen, grads = _run(dp, name, scale)
    expected_seen, expected_grads = _run(torch, name, scale)
    assert [label for label, _ in seen] == [label for label, _ in expected_seen]  # the same order
    for (label, ours), (_, theirs) in zip(seen, expected_seen):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=label)
    for ours, theirs in zip(grads, expected_grads):  # (None for b, which the chain does not use)
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_a_leaf_hook_sees_one_pass_not_the_accumulated_grad_and_retain_grad_sees_the_change():
    for lib in (dp, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        calls = []
        w.register_hook(lambda g: calls.append(np.asarray(g.tolist())))
        h = w * 3.0
        h.register_hook(lambda g: g * 10.0)
        h.retain_grad()
        (h * h).sum().backward()
        (w * 1.0).sum().backward()
        np.testing.assert_allclose(calls[0], [180.0, 360.0])
        np.testing.assert_allclose(calls[1], [1.0, 1.0])  # this pass only
        np.testing.assert_allclose(np.asarray(w.grad), [181.0, 361.0])
        np.testing.assert_allclose(np.asarray(h.grad.tolist()), [60.0, 120.0])  # after the hook, as PyTorch's


def test_remove_and_the_with_block_take_the_hook_off():
    w = dp.tensor([1.0, 2.0], requires_grad=True)
    before = Hooks.count
    handle = w.register_hook(lambda g: g * 0.0)
    assert Hooks.count == before + 1
    (w * 2.0).sum().backward()
    assert w.grad.tolist() == [0.0, 0.0]
    handle.remove()
    handle.remove()  # a second time: nothing
    assert Hooks.count == before
    (w * 2.0).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]
    with w.register_hook(lambda g: g + 1.0):
        w.backward(np.ones(2, np.float32))  # the leaf as the root: its hook runs too
    assert w.grad.tolist() == [4.0, 4.0]
    assert Hooks.count == before


def test_a_tensor_that_goes_takes_its_hooks_off_the_count():
    gc.collect()
    before = Hooks.count
    for _ in range(3):
        h = dp.ones(2, requires_grad=True) * 2.0
        h.register_hook(lambda g: None)
        h.register_hook(lambda g: None)
    del h
    gc.collect()
    assert Hooks.count == before


def test_hook_results_are_kept_in_the_tensors_dtype_and_copied():
    w = dp.tensor([1.0, 2.0], requires_grad=True)
    replacement = np.array([5.0, 6.0])  # float64 for a float32 leaf
    w.register_hook(lambda g: replacement)
    (w * 1.0).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [5.0, 6.0]
    replacement[0] = 0.0
    assert w.grad.tolist() == [5.0, 6.0]


def test_bad_hooks_are_refused_clearly():
    with pytest.raises(GradError, match="register_hook: this tensor has requires_grad=False"):
        dp.ones(2).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="register_hook: hook must be a function of the gradient, got 3"):
        dp.ones(2, requires_grad=True).register_hook(3)
    w = dp.tensor([1.0, 2.0], requires_grad=True)
    h = w * 2.0
    with h.register_hook(lambda g: np.ones(3)):
        with pytest.raises(GradError, match=r"register_hook: the hook '<lambda>' returned a gradient of shape \(3,\) for a tensor of shape \(2,\)"):
            (h * h).sum().backward()
        assert h._pending is None and w.grad is None  # nothing half-done left behind

    def failing(g):
        raise KeyError("from the hook")

    with h.register_hook(failing):
        with pytest.raises(KeyError):
            (h * 1.0).sum().backward()
    (h * 1.0).sum().backward()  # and the graph still works once the hook is gone
    assert w.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))])
def test_a_copy_of_a_hooked_tensor_has_no_hooks_as_in_pytorch_and_the_original_keeps_its_own(duplicate):
    w = dp.tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: g * 10)
    twin = duplicate(w)
    (twin * 1.0).sum().backward()
    assert twin.grad.tolist() == [1.0, 1.0]
    (w * 1.0).sum().backward()
    assert w.grad.tolist() == [10.0, 10.0]
    theirs = torch.tensor([1.0, 2.0], requires_grad=True)
    theirs.register_hook(lambda g: g * 10)
    their_twin = copy.deepcopy(theirs)
    (their_twin * 1.0).sum().backward()
    assert their_twin.grad.tolist() == [1.0, 1.0]


def test_a_hook_registered_during_backward_on_a_leaf_still_to_come_runs_as_in_pytorch():
    """A hook that registers hooks on leaves the sweep has not finished with (x, w), and on one it
    has (v, whose only consumer ran first): PyTorch runs the first two in that same pass."""
    results = []
    for lib in (dp, torch):
        x, w, v = (lib.tensor(values, requires_grad=True, dtype=dp.float64 if lib is dp else torch.float64)
                   for values in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]))
        seen = []
        z = x * w
        u = (z * 2.0) * v

        def register(g):
            w.register_hook(lambda g2: seen.append("w") or g2 * 10.0)
            x.register_hook(lambda g2: seen.append("x") or g2 * 10.0)
            return g

        z.register_hook(register)
        u.sum().backward()
        results.append((seen, [np.asarray(t.grad.tolist()) for t in (x, w, v)]))
    (seen, grads), (expected_seen, expected_grads) = results
    assert seen == expected_seen == ["x", "w"]
    for ours, theirs in zip(grads, expected_grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
