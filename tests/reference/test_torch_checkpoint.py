"""``deltaprop.utils.checkpoint`` against PyTorch 2.13's ``torch.utils.checkpoint`` on the same
weights: outputs and gradients (inputs and closed-over weights) of ``checkpoint`` and
``checkpoint_sequential`` equal to 1e-12 in float64; dropout's mask kept by the recomputation in
both; and the one documented difference, weights' gradients when no input requires one."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")
import torch.utils.checkpoint as torch_checkpoint  # noqa: E402

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.utils import checkpoint as dp_checkpoint  # noqa: E402


def twin_networks(depth=4, width=5):
    """The same float64 MLP in both frameworks."""
    rng = np.random.default_rng(0)
    ours, theirs = [], []
    for _ in range(depth):
        w, b = rng.standard_normal((width, width)) / np.sqrt(width), rng.standard_normal(width)
        a, t = nn.Linear(width, width).double(), torch.nn.Linear(width, width).double()
        a.weight.data[...], a.bias.data[...] = w, b
        with torch.no_grad():
            t.weight.copy_(torch.tensor(w)), t.bias.copy_(torch.tensor(b))
        ours += [a, nn.Tanh()]
        theirs += [t, torch.nn.Tanh()]
    return nn.Sequential(*ours), torch.nn.Sequential(*theirs)


def close(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a.data if isinstance(a, dp.Tensor) else a), b.detach().numpy(), rtol=tol,
                               atol=tol)


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_gradients_equal_pytorchs(use_reentrant):
    ours, theirs = twin_networks()
    x = np.random.default_rng(1).standard_normal((3, 5))
    a, t = dp.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    (dp_checkpoint.checkpoint(ours, a, use_reentrant=use_reentrant) ** 2).sum().backward()
    (torch_checkpoint.checkpoint(theirs, t, use_reentrant=use_reentrant) ** 2).sum().backward()
    close(a.grad, t.grad)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad)


@pytest.mark.parametrize("segments", [1, 2, 4])
def test_checkpoint_sequential_equals_pytorchs(segments):
    ours, theirs = twin_networks()
    x = np.random.default_rng(2).standard_normal((4, 5))
    a, t = dp.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya = dp_checkpoint.checkpoint_sequential(ours, segments, a, use_reentrant=False)
    yt = torch_checkpoint.checkpoint_sequential(theirs, segments, t, use_reentrant=False)
    close(ya, yt)
    ya.sum().backward()
    yt.sum().backward()
    close(a.grad, t.grad)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad)


def test_several_outputs_non_tensor_arguments_and_keywords_as_pytorch():
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal((2, 3)) for _ in range(3)]
    ours = [dp.tensor(v, dtype=np.float64, requires_grad=True) for v in arrays]
    theirs = [torch.tensor(v, requires_grad=True) for v in arrays]

    def function(L, x, y, k, *, w):
        return (x * w).sin() * k, "tag", (x @ y.T).exp()

    for L, (x, y, w), module in ((dp, ours, dp_checkpoint), (torch, theirs, torch_checkpoint)):
        p, tag, q = module.checkpoint(function, L, x, y, 3, w=w, use_reentrant=False)
        assert tag == "tag"
        (p.sum() * q.sum()).backward()
    for a, t in zip(ours, theirs):
        close(a.grad, t.grad)


def test_dropout_inside_keeps_its_mask_in_both_frameworks():
    for L, module, Fn in ((dp, dp_checkpoint, nn.functional), (torch, torch_checkpoint, torch.nn.functional)):
        L.manual_seed(7)
        x = L.ones(2000, requires_grad=True)
        y = module.checkpoint(lambda a: Fn.dropout(a, 0.5, training=True) * 3, x, use_reentrant=False)
        y.sum().backward()
        grad = np.asarray(x.grad.data if L is dp else x.grad.numpy())
        values = np.asarray(y.data if L is dp else y.detach().numpy())
        assert np.array_equal(grad != 0, values != 0)
        np.testing.assert_allclose(grad[values != 0], 6.0)  # 3 / (1 − p)


def test_weights_get_gradients_without_an_input_that_requires_one_as_in_pytorchs_non_reentrant_form():
    ours, theirs = twin_networks(depth=2)
    x = np.random.default_rng(4).standard_normal((3, 5))
    dp_checkpoint.checkpoint(ours, dp.tensor(x, dtype=np.float64), use_reentrant=True).sum().backward()
    torch_checkpoint.checkpoint(theirs, torch.tensor(x), use_reentrant=False).sum().backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, q.grad)
    # PyTorch's reentrant form gives them none (and warns); deltaprop has only the other form
    theirs.zero_grad(set_to_none=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = torch_checkpoint.checkpoint(theirs, torch.tensor(x), use_reentrant=True)
    assert not y.requires_grad


def test_second_derivatives_equal_pytorchs():
    ours, theirs = twin_networks(depth=2, width=3)
    x = np.random.default_rng(5).standard_normal((2, 3))
    a, t = dp.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ga,) = dp.autograd.grad(dp_checkpoint.checkpoint(ours, a, use_reentrant=False).square().sum(), a,
                             create_graph=True)
    (gt,) = torch.autograd.grad(torch_checkpoint.checkpoint(theirs, t, use_reentrant=False).square().sum(), t,
                                create_graph=True)
    close(ga, gt)
    ha = dp.autograd.grad(ga.square().sum(), [a, ours[0].weight])
    ht = torch.autograd.grad(gt.square().sum(), [t, theirs[0].weight])
    for p, q in zip(ha, ht):
        close(p, q)
