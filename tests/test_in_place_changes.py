"""In-place changes to values a gradient rule saved are refused at backward(), as PyTorch's version
counters refuse them; changes that no rule depends on go through, and give PyTorch's gradients."""

import numpy as np
import pytest
import torch

import deltaprop as dp
from deltaprop.errors import GradError
from deltaprop.nn import functional as nn_f


def pair(values, requires_grad=False):
    values = np.asarray(values, dtype=np.float64)
    return dp.tensor(values, requires_grad=requires_grad, dtype=dp.float64), torch.tensor(values, requires_grad=requires_grad)


CHANGES = {
    "+=": lambda t: t.__iadd__(1.5),
    "-=": lambda t: t.__isub__(1.5),
    "*=": lambda t: t.__imul__(3.0),
    "/=": lambda t: t.__itruediv__(2.0),
    "**=": lambda t: t.__ipow__(2.0),
    "pow_": lambda t: t.pow_(2.0),
    "add_": lambda t: t.add_(1.5),
    "sub_": lambda t: t.sub_(1.5),
    "mul_": lambda t: t.mul_(3.0),
    "div_": lambda t: t.div_(2.0),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(7.0),
    "copy_": lambda t: t.copy_(torch.ones(3, dtype=torch.float64) if isinstance(t, torch.Tensor) else np.ones(3)),
    "setitem": lambda t: t.__setitem__(0, 9.0),
}


@pytest.mark.parametrize("change", CHANGES)
def test_changing_a_saved_input_is_refused_as_in_pytorch(change):
    w, tw = pair([1.0, 2.0, 3.0], requires_grad=True)
    x, tx = pair([4.0, 5.0, 6.0])
    y, ty = (w * x).sum(), (tw * tx).sum()
    CHANGES[change](x)
    CHANGES[change](tx)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    with pytest.raises(GradError, match=r"an input of 'mul' \(shape \(3,\)\) was changed in place"):
        y.backward()
    assert w.grad is None  # refused before any rule ran: nothing half-accumulated


def test_a_change_before_the_operation_is_fine():
    w, tw = pair([1.0, 2.0, 3.0], requires_grad=True)
    x, tx = pair([4.0, 5.0, 6.0])
    x += 1
    tx += 1
    (w * x).sum().backward()
    (tw * tx).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)


def test_a_rule_that_needs_only_the_shape_is_unaffected_as_in_pytorch():
    w, tw = pair([1.0, 2.0, 3.0], requires_grad=True)
    x, tx = pair([4.0, 5.0, 6.0])
    y, ty = ((w + x) * 2).sum(), ((tw + tx) * 2).sum()
    x.mul_(10)
    tx.mul_(10)
    y.backward()
    ty.backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)


def test_changing_an_output_a_rule_saved_is_refused():
    w, tw = pair([-1.0, 2.0, 3.0], requires_grad=True)
    h, th = w.exp(), tw.exp()
    with dp.no_grad():
        h += 1
    with torch.no_grad():
        th += 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        th.sum().backward()
    with pytest.raises(GradError, match=r"the output of 'exp' \(shape \(3,\)\) was changed in place"):
        h.sum().backward()


def test_changing_an_output_no_rule_saved_is_fine_as_in_pytorch():
    w, tw = pair([-1.0, 2.0, 3.0], requires_grad=True)
    x = np.array([2.0, 3.0, 4.0])
    h, th = w * x, tw * torch.tensor(x)
    with dp.no_grad():
        h += 1
    with torch.no_grad():
        th += 1
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)


def test_a_rule_that_kept_a_mask_is_unaffected():
    # relu's rule keeps its output, not its input: changing the input afterwards changes nothing.
    x, tx = pair([-1.0, 2.0, 3.0])
    w, tw = pair([1.0, 1.0, 1.0], requires_grad=True)
    a, ta = w * 1.0, tw * 1.0
    y, ty = (a + x).relu().sum(), (ta + tx).relu().sum()
    x.fill_(-5.0)
    tx.fill_(-5.0)
    y.backward()
    ty.backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)


def test_a_parameter_changed_between_forward_and_backward_is_refused():
    # A hand-written update before backward() of the graph that used the old weights.
    w = dp.tensor([1.0, 2.0], requires_grad=True, dtype=dp.float64)
    x = dp.tensor([3.0, 4.0], dtype=dp.float64)
    loss = (w * x * w).sum()
    loss.backward()
    with dp.no_grad():
        w -= 0.1 * w.grad
    with pytest.raises(GradError, match="was changed in place"):
        loss.backward()
    # the next forward pass sees the new weights and backward() works again
    w.grad = None
    (w * x * w).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * w.data * x.data, rtol=1e-12)


def test_a_training_loop_with_hand_written_updates_matches_one_without_changes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3))
    t = rng.normal(size=(16, 1))
    w0 = rng.normal(size=(3, 1))
    w, tw = pair(w0, requires_grad=True)
    for _ in range(5):
        loss = ((dp.tensor(X, dtype=dp.float64) @ w - t) ** 2).mean()
        tloss = ((torch.tensor(X) @ tw - torch.tensor(t)) ** 2).mean()
        w.grad = None
        tw.grad = None
        loss.backward()
        tloss.backward()
        with dp.no_grad():
            w -= 0.1 * dp.tensor(w.grad, dtype=dp.float64)
        with torch.no_grad():
            tw -= 0.1 * tw.grad
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-12)


def test_a_change_through_another_view_of_the_memory_is_seen():
    w, tw = pair([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x, tx = pair([[5.0, 6.0], [7.0, 8.0]])
    y, ty = (w * x).sum(), (tw * tx).sum()
    x.T[0].zero_()  # a view of a view of x's memory
    tx.T[0].zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    with pytest.raises(GradError, match="an input of 'mul'"):
        y.backward()


# Random graphs of 2 to 6 operations on four 3x4 tensors (some requiring grad), one of whose
# tensors (input or result) is then changed in place under no_grad. The property that matters:
# backward() either refuses, or gives the gradient of the computation as it ran (that of the same
# graph with no change, from PyTorch). Before the check existed 629 of 2,781 such runs (seed 0,
# 3,000 graphs) gave silently wrong gradients.
UNARY = {
    "exp": (lambda t: t.exp(), lambda t: t.exp()), "tanh": (lambda t: t.tanh(), lambda t: t.tanh()),
    "sigmoid": (lambda t: t.sigmoid(), lambda t: t.sigmoid()), "relu": (lambda t: t.relu(), lambda t: t.relu()),
    "abs": (lambda t: t.abs(), lambda t: t.abs()), "neg": (lambda t: -t, lambda t: -t),
    "sum0": (lambda t: t.sum(axis=0, keepdims=True), lambda t: t.sum(0, keepdim=True)),
    "mean1": (lambda t: t.mean(axis=1, keepdims=True), lambda t: t.mean(1, keepdim=True)),
    "max1": (lambda t: t.max(axis=1, keepdims=True), lambda t: t.amax(1, keepdim=True)),
    "transpose": (lambda t: t.T, lambda t: t.permute(*range(t.ndim - 1, -1, -1))), "square": (lambda t: t * t, lambda t: t * t),
    "pow": (lambda t: t**2, lambda t: t**2), "slice": (lambda t: t[1:], lambda t: t[1:]),
    "clone": (lambda t: t.clone(), lambda t: t.clone()), "flatten": (lambda t: t.reshape(-1), lambda t: t.reshape(-1)),
    "softmax": (lambda t: dp.nn.functional.softmax(t, -1), lambda t: torch.softmax(t, -1)),
    "silu": (dp.nn.functional.silu, torch.nn.functional.silu),
    "softplus2": (lambda t: dp.nn.functional.softplus(t, beta=2.0), lambda t: torch.nn.functional.softplus(t, beta=2.0)),
    "mish": (dp.nn.functional.mish, torch.nn.functional.mish), "selu": (dp.nn.functional.selu, torch.nn.functional.selu),
    "logsigmoid": (dp.nn.functional.logsigmoid, torch.nn.functional.logsigmoid),
    "softmin": (lambda t: dp.nn.functional.softmin(t, 0), lambda t: torch.nn.functional.softmin(t, 0)),
    "tanhshrink": (dp.nn.functional.tanhshrink, torch.nn.functional.tanhshrink),
    "hardswish": (dp.nn.functional.hardswish, torch.nn.functional.hardswish),
}
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / (b * b + 1)}
CHANGE = [lambda t: t.__iadd__(0.5), lambda t: t.__imul__(1.5), lambda t: t.zero_(),
          lambda t: t.__setitem__(0, 3.0), lambda t: t.fill_(0.25)]


NOTHING = "no result needs a gradient"


def _run(library, values, needs_grad, plan, change, changed):
    if library == "deltaprop":
        leaves = [dp.tensor(v, requires_grad=g, dtype=dp.float64) for v, g in zip(values, needs_grad)]
    else:
        leaves = [torch.tensor(v, requires_grad=g) for v, g in zip(values, needs_grad)]
    nodes = list(leaves)
    for name, i, j in plan:
        if name in UNARY:
            nodes.append(UNARY[name][library != "deltaprop"](nodes[i]))
        else:
            nodes.append(BINARY[name](nodes[i], nodes[j]))
    if change is not None:
        with dp.no_grad(), torch.no_grad():
            CHANGE[change](nodes[changed])
    results = [node.sum() for node in nodes[4:] if node.requires_grad]
    if not results:
        return NOTHING
    root = sum(results)
    try:
        root.backward()
    except (GradError, RuntimeError):
        return None
    return [None if leaf.grad is None else np.asarray(leaf.grad) for leaf in leaves]


def test_random_graphs_changed_in_place_never_give_a_wrong_gradient():
    rng = np.random.default_rng(12)
    refused = correct = 0
    while refused + correct < 400:
        values = [rng.normal(size=(3, 4)) for _ in range(4)]
        needs_grad = [True] + [bool(rng.random() < 0.5) for _ in range(3)]
        shapes = [(3, 4)] * 4
        plan = []
        for _ in range(rng.integers(2, 7)):
            i, j = (int(v) for v in rng.integers(len(shapes), size=2))
            name = str(rng.choice(list(UNARY) + list(BINARY)))
            if name in BINARY and shapes[i] != shapes[j] or name in ("sum0", "mean1", "max1", "softmax") and len(shapes[i]) != 2:
                continue
            plan.append((name, i, j))
            shapes.append({"sum0": lambda s: (1, s[1]), "mean1": lambda s: (s[0], 1), "max1": lambda s: (s[0], 1),
                           "transpose": lambda s: s[::-1], "slice": lambda s: (s[0] - 1,) + s[1:],
                           "flatten": lambda s: (int(np.prod(s)),)}.get(name, lambda s: s)(shapes[i]))
        changed, change = int(rng.integers(len(shapes))), int(rng.integers(len(CHANGE)))
        if not any(needs_grad[i] for i in range(4)) or not plan:
            continue
        expected = _run("torch", values, needs_grad, plan, None, None)
        if expected is NOTHING:
            continue
        got = _run("deltaprop", values, needs_grad, plan, change, changed)
        if got is None:
            refused += 1
            continue
        correct += 1
        for g, e in zip(got, expected):
            assert (g is None) == (e is None), (plan, changed, change)
            if g is not None:
                np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-12, err_msg=f"{plan}, change {change} of node {changed}")
    assert refused > 50 and correct > 200  # both outcomes were exercised


# Values a rule keeps that are not inputs of the graph: class labels, an index, a condition, bounds.
KEPT = {
    "index": (lambda x, k: (x[k] * dp.tensor([1.0, 2.0], dtype=dp.float64)).sum(),
              lambda x, k: (x[k] * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum(), np.array([0, 1])),
    "cross_entropy labels": (lambda x, k: nn_f.cross_entropy(x.reshape(2, 2), k),
                             lambda x, k: torch.nn.functional.cross_entropy(x.reshape(2, 2), k), np.array([0, 1])),
    "where condition": (lambda x, k: dp.where(k, x, 0.0).sum(), lambda x, k: torch.where(k, x, 0.0).sum(),
                        np.array([True, False, True, False])),
    "clip bound": (lambda x, k: x.clip(k, None).sum(), lambda x, k: x.clamp(k, None).sum(),
                   np.array([0.5, 0.5, 0.5, 0.5])),
}


@pytest.mark.parametrize("case", KEPT)
def test_a_value_the_rule_keeps_that_is_no_input_is_checked_too(case):
    forward, torch_forward, kept = KEPT[case]
    x, tx = pair([0.2, 1.0, -0.3, 0.9], requires_grad=True)
    k = dp.tensor(kept, dtype=None if kept.dtype.kind != "f" else dp.float64)
    tk = torch.tensor(kept)
    y, ty = forward(x, k), torch_forward(tx, tk)
    with dp.no_grad(), torch.no_grad():
        k[0] = k[1]
        tk[0] = tk[1]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    with pytest.raises(GradError, match="kept for its gradient"):
        y.backward()


@pytest.mark.parametrize("change", ["load_state_dict", "init"])
def test_weights_replaced_by_load_state_dict_or_init_are_seen(change):
    dp.manual_seed(0)
    layer = dp.nn.Linear(3, 2)
    hidden = dp.nn.Linear(2, 3)
    y = layer(hidden(dp.ones(4, 2))).sum()  # layer's weight is needed for hidden's gradients
    if change == "load_state_dict":
        layer.load_state_dict({"weight": np.zeros((2, 3), np.float32), "bias": np.zeros(2, np.float32)})
    else:
        dp.nn.init.zeros_(layer.weight)
    with pytest.raises(GradError, match="an input of 'linear'"):
        y.backward()


@pytest.mark.parametrize("others", ["dead", "alive"])
def test_changes_to_thousands_of_other_arrays_do_not_hide_a_change(others):
    # more than the tracker's first sweep (4,096): dead arrays are forgotten, live ones never
    w = dp.tensor([1.0, 2.0], requires_grad=True, dtype=dp.float64)
    x = dp.tensor([3.0, 4.0], dtype=dp.float64)
    y = (w * x).sum()
    x += 1
    kept = []
    for _ in range(10_000):
        other = dp.zeros(2)
        other.fill_(1.0)
        if others == "alive":
            kept.append(other)
    with pytest.raises(GradError, match="was changed in place"):
        y.backward()


def test_values_a_rule_does_not_need_may_change_as_in_pytorch():
    # linear's rule needs x (for W) and W (for x), never the bias; cross-entropy keeps its softmax.
    x, tx = pair([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], requires_grad=True)
    w, tw = pair([[0.1, 0.2, 0.3], [-0.2, 0.1, 0.4]], requires_grad=True)
    b, tb = pair([0.05, -0.05], requires_grad=True)
    weights = np.array([1.0, 3.0])
    z, tz = nn_f.linear(x, w, b), torch.nn.functional.linear(tx, tw, tb)
    y = nn_f.cross_entropy(z, np.array([1, 0]), weight=weights)
    ty = torch.nn.functional.cross_entropy(tz, torch.tensor([1, 0]), weight=torch.tensor(weights))
    with dp.no_grad(), torch.no_grad():
        b += 1
        tb += 1
        z.fill_(0.0)
        tz.fill_(0.0)
    y.backward()
    ty.backward()
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)


def _step_and_backward_again(loss, torch_loss, optimizer, torch_optimizer, message):
    """backward, an optimizer step, and backward again through the graph from before the step:
    refused by PyTorch, and by deltaprop with ``message``."""
    loss.backward()
    torch_loss.backward(retain_graph=True)
    optimizer.step()
    torch_optimizer.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        torch_loss.backward()
    with pytest.raises(GradError, match=message):
        loss.backward()


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax", "Adadelta"])
def test_an_optimizer_step_before_a_second_backward_is_refused_as_in_pytorch(name):
    dp.manual_seed(0)
    model = dp.nn.Sequential(dp.nn.Linear(3, 4), dp.nn.Tanh(), dp.nn.Linear(4, 2))
    optimizer = getattr(dp.optim, name)(model.parameters(), lr=0.1)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    torch_optimizer = getattr(torch.optim, name)(reference.parameters(), lr=0.1)
    x = np.ones((2, 3), np.float32)
    loss, torch_loss = model(x).sum(), reference(torch.tensor(x)).sum()
    _step_and_backward_again(loss, torch_loss, optimizer, torch_optimizer, "an input of 'linear'")
    # the next forward pass uses the new weights, and trains on
    optimizer.zero_grad()
    model(x).sum().backward()
    optimizer.step()


def test_a_generator_trained_through_a_discriminator_output_from_before_its_step_is_refused():
    # The GAN slip PyTorch catches: the discriminator steps, then the generator's loss is
    # backpropagated through the discriminator's output computed before that step.
    dp.manual_seed(0)
    generator, discriminator = dp.nn.Linear(2, 3), dp.nn.Sequential(dp.nn.Linear(3, 3), dp.nn.Tanh(), dp.nn.Linear(3, 1))
    d_optimizer = dp.optim.SGD(discriminator.parameters(), lr=0.1)
    fake = generator(np.ones((4, 2), np.float32))
    score = discriminator(fake)
    d_loss = (score * score).mean()
    d_loss.backward()
    d_optimizer.step()
    with pytest.raises(GradError, match="changed in place"):
        (-score).mean().backward()


VIEWS = {
    "tied, transposed": (lambda E, x: ((x @ E @ E.T) ** 2).sum()),
    "detached": (lambda E, x: ((x @ E @ E.detach().T) ** 2).sum()),
    "reshaped": (lambda E, x: (E.reshape(-1) ** 3).sum()),
}


@pytest.mark.parametrize("use", VIEWS)
def test_a_step_is_seen_through_a_view_of_the_parameter(use):
    # (the step stamped the parameter, and a view carried no stamp: a silently wrong gradient)
    rng = np.random.default_rng(0)
    E0, x0 = rng.normal(size=(5, 3)), rng.normal(size=(2, 5))
    E, tE = pair(E0, requires_grad=True)
    x, tx = pair(x0)
    E, tE = dp.nn.Parameter(E), torch.nn.Parameter(tE.detach())
    optimizer, torch_optimizer = dp.optim.SGD([E], lr=0.5), torch.optim.SGD([tE], lr=0.5)
    loss, torch_loss = VIEWS[use](E, x), VIEWS[use](tE, tx)  # (the same code in both libraries)
    _step_and_backward_again(loss, torch_loss, optimizer, torch_optimizer, "changed in place")


def test_a_first_layer_needs_no_weight_for_data_and_steps_between_two_heads_as_in_pytorch():
    # Two losses on one trunk, a step between their backward passes: the first layer's weight is
    # not needed (its input is data), so PyTorch computes, and so does deltaprop (it refused).
    rng = np.random.default_rng(1)
    X, y1, y2 = rng.normal(size=(6, 3)), rng.normal(size=(6, 1)), rng.normal(size=(6, 1))
    dp.manual_seed(0)
    trunk, head1, head2 = dp.nn.Linear(3, 4).to(np.float64), dp.nn.Linear(4, 1).to(np.float64), dp.nn.Linear(4, 1).to(np.float64)
    modules = [trunk, head1, head2]
    references = [torch.nn.Linear(3, 4).double(), torch.nn.Linear(4, 1).double(), torch.nn.Linear(4, 1).double()]
    for ours, theirs in zip(modules, references):
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    params = [p for m in modules for p in m.parameters()]
    optimizer = dp.optim.SGD(params, lr=0.1)
    torch_optimizer = torch.optim.SGD([p for m in references for p in m.parameters()], lr=0.1)
    z, tz = trunk(X), references[0](torch.tensor(X))
    losses = [((head1(z) - y1) ** 2).mean(), ((head2(z) - y2) ** 2).mean()]
    torch_losses = [((references[1](tz) - torch.tensor(y1)) ** 2).mean(), ((references[2](tz) - torch.tensor(y2)) ** 2).mean()]
    for loss, torch_loss in zip(losses, torch_losses):
        optimizer.zero_grad()
        torch_optimizer.zero_grad()
        loss.backward()
        torch_loss.backward(retain_graph=True)
        optimizer.step()
        torch_optimizer.step()
    for ours, theirs in zip(modules, references):
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12, err_msg=key)


@pytest.mark.parametrize("groups", [1, 2, 4], ids=lambda g: f"groups={g}")
@pytest.mark.parametrize("needs", ["x and w", "w only", "x only"])
@pytest.mark.parametrize("changed", ["x", "w", "b"])
def test_a_grouped_convolution_refuses_what_an_ungrouped_one_refuses_as_in_pytorch(groups, needs, changed):
    """conv2d keeps its input and weight (each group's rule views of them), never its bias."""
    rng = np.random.default_rng(0)
    arrays = {"x": rng.standard_normal((2, 4, 5, 5)), "w": rng.standard_normal((8, 4 // groups, 3, 3)),
              "b": rng.standard_normal(8)}
    grads = {"x": needs != "w only", "w": needs != "x only", "b": True}
    ours = {k: pair(v, requires_grad=grads[k]) for k, v in arrays.items()}
    y = nn_f.conv2d(*(ours[k][0] for k in "xwb"), groups=groups).sum()
    ty = torch.nn.functional.conv2d(*(ours[k][1] for k in "xwb"), groups=groups).sum()
    with dp.no_grad(), torch.no_grad():
        for t in ours[changed]:
            t.mul_(3.0)
    if changed == "b":  # the bias's values are no rule's business
        y.backward()
        ty.backward()
        for k in "xwb":
            if grads[k]:
                np.testing.assert_allclose(ours[k][0].grad, ours[k][1].grad.numpy(), rtol=1e-12, err_msg=k)
        return
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    with pytest.raises(GradError, match=r"an input of 'conv2d' \(shape .*\) was changed in place"):
        y.backward()
