"""The idioms of PyTorch code, written as a PyTorch user writes them, give PyTorch's results.

``dim``/``keepdim`` beside NumPy's ``axis``/``keepdims``; ``max(dim)`` as ``(values, indices)``;
in-place updates under ``no_grad()``; ``size``, ``t``, ``clone``, ``cat``, ``std``, ``long``.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these idioms are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402

X = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0], [0.5, 0.5, -1.0]])


def pair(array=X):
    return (dp.tensor(array, requires_grad=True, dtype=np.float64),
            torch.tensor(array, requires_grad=True, dtype=torch.float64))


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_and_min_along_a_dim_give_values_and_indices(name, keepdim):
    ours, theirs = pair()
    values, indices = getattr(ours, name)(1, keepdim=keepdim)
    expected = getattr(theirs, name)(1, keepdim=keepdim)
    np.testing.assert_array_equal(values.data, expected.values.detach().numpy())
    np.testing.assert_array_equal(indices.data, expected.indices.numpy())
    assert getattr(ours, name)(dim=1).indices.data.tolist() == expected.indices.numpy().reshape(-1).tolist()
    (values * 2).sum().backward()
    (expected.values * 2).sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    # NumPy's spelling keeps NumPy's meaning: the values alone (torch.amax)
    np.testing.assert_array_equal(getattr(ours, name)(axis=1).data, getattr(torch, f"a{name}")(theirs, dim=1).detach().numpy())
    assert getattr(ours, name)().item() == getattr(theirs, name)().item()


def test_the_accuracy_idiom():
    ours, theirs = pair()
    _, predicted = ours.max(1)
    assert predicted.data.tolist() == theirs.max(1)[1].tolist() == ours.max(1)[1].data.tolist() == [1, 2, 0]
    assert ours.argmax(dim=1).data.tolist() == theirs.argmax(dim=1).tolist()


@pytest.mark.parametrize("call", [
    lambda t, torch_side: t.sum(dim=1, keepdim=True),
    lambda t, torch_side: t.mean(dim=0),
    lambda t, torch_side: t.var(dim=1, unbiased=False),
    lambda t, torch_side: t.var(1),
    lambda t, torch_side: t.std(),
    lambda t, torch_side: t.std(dim=0, keepdim=True),
    lambda t, torch_side: t.softmax(dim=0),
    lambda t, torch_side: t.log_softmax(dim=1),
    lambda t, torch_side: t.unsqueeze(dim=1).squeeze(dim=1),
    lambda t, torch_side: t.t(),
    lambda t, torch_side: t.pow(3),
    lambda t, torch_side: t.clone() * 2,
    lambda t, torch_side: (torch.cat if torch_side else dp.cat)([t, t * 2], dim=1),
    lambda t, torch_side: (torch.stack if torch_side else dp.stack)([t, t], dim=2).sum(dim=(0, 2)),
], ids=["sum", "mean", "var-biased", "var", "std", "std-dim", "softmax", "log_softmax", "unsqueeze", "t", "pow",
        "clone", "cat", "stack"])
def test_pytorch_keywords_give_pytorchs_values_and_gradients(call):
    ours, theirs = pair()
    result, expected = call(ours, False), call(theirs, True)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), rtol=1e-12)
    weights = np.random.default_rng(0).normal(size=result.shape)
    (result * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_size_long_and_the_torch_names_for_shapes():
    ours, theirs = pair()
    assert ours.size() == tuple(theirs.size()) and ours.size(1) == theirs.size(1) == 3
    assert ours.long().dtype == np.int64 and ours.int().dtype == np.int32
    assert ours.eq(ours).data.all() and ours.mm(ours).shape == (3, 3)
    with pytest.raises(TypeError, match="give axis .* or dim .*, not both"):
        ours.sum(axis=0, dim=1)


def test_manual_sgd_with_in_place_updates_under_no_grad_matches_pytorch():
    """"What is torch.nn really?": with torch.no_grad(): w -= w.grad * lr; w.grad.zero_(). In-place
    operators were missing, so `p -= ...` only rebound the loop variable and nothing learned."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    dp.manual_seed(0)
    model = nn.Linear(3, 1).double()
    reference = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(model.weight.data))
        reference.bias.copy_(torch.tensor(model.bias.data))
    for _ in range(5):
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        with dp.no_grad():
            for p in model.parameters():
                p -= p.grad * 0.1
                p.grad = None
        expected = ((reference(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        expected.backward()
        with torch.no_grad():
            for p in reference.parameters():
                p -= p.grad * 0.1
                p.grad.zero_()
    np.testing.assert_allclose(model.weight.data, reference.weight.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(model.bias.data, reference.bias.detach().numpy(), rtol=1e-12)


def test_in_place_rules_are_pytorchs():
    leaf = dp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(dp.errors.GradError, match=r"-=: a leaf tensor that requires grad cannot be changed in place"):
        leaf -= 1.0
    with pytest.raises(dp.errors.GradError, match="item assignment"):
        leaf[0] = 5.0
    inner = leaf * 3  # a recorded, non-leaf tensor: += changes it in place, in the graph
    alias = inner
    inner += 1.0
    assert alias is inner
    inner.sum().backward()
    np.testing.assert_array_equal(inner.data, [4.0, 7.0])
    np.testing.assert_array_equal(leaf.grad, [3.0, 3.0])
    data = dp.tensor([1.0, 2.0, 3.0])  # no gradient: changed where it is, as NumPy and PyTorch do
    alias = data
    data[data > 1.5] = 0.0
    data += 1.0
    assert alias is data and alias.data.tolist() == [2.0, 1.0, 1.0]
    assert data.zero_().data.tolist() == [0.0, 0.0, 0.0] and data.fill_(2.0).add_(1.0, alpha=2).data.tolist() == [4.0] * 3
    assert dp.zeros(2).add_([1.0, 2.0], alpha=2).data.tolist() == [2.0, 4.0]  # a list is values, not a list to repeat


def test_a_value_that_requires_grad_written_in_place_keeps_its_gradient():
    """out += w * 3 into a plain tensor: PyTorch records it; writing only the numbers lost w's gradient."""
    ours, theirs = dp.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64), torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    out, reference = dp.zeros(2, dtype=np.float64), torch.zeros(2, dtype=torch.float64)
    out += ours * 3
    reference += theirs * 3
    (out.sum() + (ours * ours).sum()).backward()
    (reference.sum() + (theirs * theirs).sum()).backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())  # [5, 7]
    # The method forms and item assignment are recorded too, as PyTorch records them.
    found = []
    for lib, w in ((dp, ours), (torch, theirs)):
        w.grad = None
        inner = w * 1
        inner.mul_(0).add_(w, alpha=2)
        copied = lib.zeros(2, dtype=lib.float64).copy_(w * w)
        buffer = lib.zeros((2, 2), dtype=lib.float64)
        buffer[0] = w * 2
        (inner.sum() + (copied * 3).sum() + (buffer * buffer).sum()).backward()
        found.append(np.array(w.grad))
    np.testing.assert_allclose(found[0], found[1], rtol=1e-12)
    with pytest.raises(TypeError, match=r"cannot change a tensor of shape \(2,\) and dtype float32 in place with a value of shape \(3,\)"):
        dp.zeros(2).add_(np.ones(3))
    integers = dp.tensor(np.array([1, 2]), dtype=np.int64)
    assert integers.copy_(np.array([1.7, -2.7])).data.tolist() == [1, -2]  # truncated, as PyTorch does


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    ours = [dp.tensor(np.zeros_like(g), requires_grad=True, dtype=np.float64) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad, t.grad = g.copy(), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12)
    nn.utils.clip_grad_value_(ours, 0.1)
    torch.nn.utils.clip_grad_value_(theirs, 0.1)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12)
        assert np.abs(o.grad).max() <= 0.1



@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_clip_grad_norm_of_non_finite_gradients_clips_as_pytorch_does(norm_type, bad):
    """error_if_nonfinite=False clips anyway: the coefficient max_norm / (total + 1e-6) is NaN for a
    NaN total and 0 for an infinite one, and every gradient is multiplied by it, as in PyTorch (a
    NaN total once left the finite gradients unclipped, at full size)."""
    grads = [np.array([[1.0, bad], [-2.0, 0.5]]), np.array([5.0, -5.0, 3.0])]
    ours = [dp.tensor(np.zeros_like(g), requires_grad=True, dtype=np.float64) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for o, t, g in zip(ours, theirs, grads):
        o.grad, t.grad = g.copy(), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, 1.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    np.testing.assert_array_equal(total.data, expected.numpy())
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad, t.grad.numpy())



def test_freezing_a_layer_with_requires_grad_and_listing_buffers_as_pytorch_does():
    """``model[0].requires_grad_(False)`` freezes a layer (no gradient, so the optimizer skips it)
    and returns the module; ``buffers()`` lists what ``named_buffers()`` names, as in PyTorch."""
    dp.manual_seed(0)
    ours = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.BatchNorm1d(4, dtype=np.float64), nn.Tanh(),
                         nn.Linear(4, 2, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        for p_theirs, p_ours in zip(theirs.parameters(), ours.parameters(), strict=True):
            p_theirs.copy_(torch.from_numpy(p_ours.data.copy()))
    assert ours[0].requires_grad_(False) is ours[0]
    theirs[0].requires_grad_(False)
    assert [p.requires_grad for p in ours.parameters()] == [p.requires_grad for p in theirs.parameters()]
    assert len(list(ours.buffers())) == len(list(theirs.buffers())) == 3
    for buffer, (_, named) in zip(ours.buffers(), ours.named_buffers(), strict=True):
        assert buffer is named
    frozen = ours[0].weight.data.copy()
    opt_ours = dp.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    x = np.random.default_rng(0).normal(size=(6, 3))
    for _ in range(3):
        for model, opt, data in ((ours, opt_ours, dp.tensor(x, dtype=np.float64)), (theirs, opt_theirs, torch.from_numpy(x))):
            opt.zero_grad()
            (model(data) ** 2).mean().backward()
            opt.step()
    assert ours[0].weight.grad is None and theirs[0].weight.grad is None
    np.testing.assert_array_equal(ours[0].weight.data, frozen)
    for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p_ours.data, p_theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    ours.requires_grad_()
    assert all(p.requires_grad for p in ours.parameters())


def test_pytorch_constructor_forms_are_taken():
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Dropout(0.1, inplace=True), nn.LeakyReLU(0.2, True),
                          nn.ELU(inplace=True), nn.Linear(4, 2))
    x = np.ones((2, 3))
    model.eval()
    out = model(x)
    assert out.shape == (2, 2) and nn.functional.relu(dp.tensor([-1.0, 2.0]), inplace=True).data.tolist() == [0.0, 2.0]
    assert len(dp.data.DataLoader(dp.data.ArrayDataset(np.zeros((5, 2))))) == 5  # batch_size 1, as in PyTorch
    with pytest.raises(TypeError, match="requires_grad must be True or False, got 3"):
        dp.Tensor(2, 3)
    loss = (dp.tensor([1.0, 2.0], requires_grad=True) * 2).sum()
    loss.backward(retain_graph=True)


@pytest.mark.parametrize("p, dim", [
    (p, dim) for p in (2, "fro", 1, float("inf"), 3, 0.5) for dim in (None, 1, (0, 1))
    if not (p == "fro" and dim == 1)  # PyTorch's 'fro' takes no single dim
])
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm_matches_pytorch(p, dim, keepdim):
    array = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -1.0, 1.0]])  # a row of zeros: the gradient there is 0
    ours, theirs = pair(array)
    result = ours.norm(p, dim=dim, keepdim=keepdim)
    expected = theirs.norm(p, dim=dim, keepdim=keepdim)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), rtol=1e-12)
    weights = np.random.default_rng(0).normal(size=result.shape)
    (result * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name, function", [("max", "maximum"), ("min", "minimum")])
def test_max_and_min_of_another_tensor_are_elementwise_as_in_pytorch(name, function):
    # x.max(other) is torch.maximum(x, other); it was read as a dim ("axis tensor(...) is out of range")
    ours, theirs = pair()
    other = np.array([2.0, 2.0, 2.0])
    result = getattr(ours, name)(dp.tensor(other, dtype=np.float64))
    expected = getattr(theirs, name)(torch.tensor(other))
    np.testing.assert_array_equal(result.data, expected.detach().numpy())
    result.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    np.testing.assert_array_equal(getattr(ours, name)(other).data, expected.detach().numpy())  # an array too


@pytest.mark.parametrize("name", ["any", "all"])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, True), (-1, False)])
def test_any_and_all_along_a_dim_as_in_pytorch(name, dim, keepdim):
    x = np.array([[True, False, True], [True, True, True]])
    result = getattr(dp.tensor(x), name)(dim=dim, keepdim=keepdim)
    expected = getattr(torch.tensor(x), name)(dim=dim, keepdim=keepdim)
    assert result.dtype == np.bool_ and result.shape == tuple(expected.shape)
    np.testing.assert_array_equal(result.data, expected.numpy())
    np.testing.assert_array_equal(getattr(dp.tensor(x), name)(axis=dim, keepdims=keepdim).data, expected.numpy())


def test_requires_grad_cannot_be_switched_off_on_a_computed_tensor():
    # PyTorch refuses: the graph above it would be cut silently (x got only y's share, as if y were data)
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(dp.errors.GradError, match="detach"):
        y.requires_grad_(False)
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="detach"):
        torch.tensor([1.0], requires_grad=True).mul(2).requires_grad_(False)
    y.requires_grad_(True)  # switching it on is no change
    x.requires_grad_(False)  # a leaf may be switched off
    assert not x.requires_grad


def test_retain_grad_of_a_tensor_that_needs_no_gradient_is_refused_as_in_pytorch():
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        torch.tensor([1.0]).retain_grad()
    with pytest.raises(dp.errors.GradError, match="requires_grad=False"):
        dp.tensor([1.0]).retain_grad()  # it did nothing, and .grad stayed None after backward()
    x = dp.tensor([1.0], requires_grad=True)
    assert x.retain_grad() is x  # a leaf keeps its gradient anyway


@pytest.mark.parametrize("device", ["cpu", "cpu:0", torch.device("cpu")], ids=["cpu", "cpu:0", "torch.device"])
def test_moving_to_the_cpu_changes_nothing_as_in_pytorch(device):
    # PyTorch scripts write model.to(device) and x.to(device); the CPU is the one device here, so those
    # calls return the same objects (PyTorch returns the tensor itself when nothing changes too).
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    before = {k: v.copy() for k, v in model.state_dict().items()}
    x = dp.tensor(X.astype(np.float32))
    assert model.to(device) is model and model.cpu() is model and x.to(device) is x and x.cpu() is x
    assert all(np.array_equal(before[k], v) and v.dtype == np.float32 for k, v in model.state_dict().items())
    theirs = torch.tensor(X.astype(np.float32))
    assert torch.equal(theirs.to(device), theirs) and theirs.to("cpu") is theirs


def test_to_takes_pytorchs_forms_of_device_and_dtype():
    model = nn.Linear(3, 2)
    assert model.to("cpu", np.float64) is model and model.weight.dtype == np.float64
    assert model.to(dtype=np.float32, device="cpu").weight.dtype == np.float32
    ours = dp.tensor(X)  # float32 under the default policy
    assert ours.to(np.float64).dtype == np.float64 and ours.to("cpu", np.float64).dtype == np.float64
    assert ours.to(dp.tensor(X, dtype=np.float64)).dtype == np.float64  # to(other): other's dtype
    assert model.to(dp.tensor(X, dtype=np.float64)).weight.dtype == np.float64
    assert ours.to(np.int64).dtype == np.int64  # a tensor may become integers, as in PyTorch (a model may not)


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps", torch.device("meta")], ids=["cuda", "cuda:1", "mps", "meta"])
def test_another_device_is_refused_in_one_sentence(device):
    kind = str(device).split(":")[0]
    for owner, thing in (("Linear", nn.Linear(2, 2)), ("Tensor", dp.tensor([1.0]))):
        with pytest.raises(dp.errors.ConfigError, match=rf"^{owner}\.to\(\): deltaprop computes with NumPy on the CPU, "
                                                         rf"so there is no '{kind}' device"):
            thing.to(device)
    with pytest.raises(TypeError, match="unexpected keyword argument 'blocking'"):
        nn.Linear(2, 2).to(blocking=True)
