"""nn.utils.prune against PyTorch's on the same weights: masks, pruned weights, forward values and
gradients, state-dict keys and values (loaded both ways), iterative pruning (PruningContainer),
global pruning across layers of different sizes, structured pruning along each dim of Linear and
Conv2d weights, removal, training with an optimizer, and the exceptions bad amounts raise.
The random methods draw from other generators: only what they prune (how many, whole channels) is
compared. The weights are random normals, so no two scores tie (ties are broken differently)."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these functions are compared with")

import torch.nn.utils.prune as tprune  # noqa: E402

import deltaprop as dp  # noqa: E402
from deltaprop.nn.utils import prune  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, forward_backward_agree, twins  # noqa: E402

LAYERS = [
    ("Linear", dict(in_features=5, out_features=4), (3, 5)),
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=2), (2, 3, 4, 4)),
]


def agree(ours, theirs, dtype, names=("weight",)):
    """The same state dict (keys in order, values), masks and pruned tensors."""
    expected = theirs.state_dict()
    got = ours.state_dict()
    assert list(got) == list(expected)
    for key, value in got.items():
        np.testing.assert_allclose(value, expected[key].numpy(), err_msg=key, **TOLERANCES[dtype])
    for name in names:
        np.testing.assert_array_equal(getattr(ours, name + "_mask"), getattr(theirs, name + "_mask").numpy())
        np.testing.assert_allclose(getattr(ours, name).data, getattr(theirs, name).detach().numpy(), err_msg=name,
                                   **TOLERANCES[dtype])
    assert [k for k, _ in ours.named_parameters()] == [k for k, _ in theirs.named_parameters()]
    assert prune.is_pruned(ours) == tprune.is_pruned(theirs)


CALLS = [("l1_unstructured", dict(amount=0.3)), ("l1_unstructured", dict(amount=7)),
         ("l1_unstructured", dict(amount=0.0)), ("l1_unstructured", dict(amount=1.0)),
         ("identity", dict())]
CALLS += [("ln_structured", dict(amount=amount, n=n, dim=dim)) for amount, n, dim in [
    (0.5, 2, 0), (1, 1, 0), (2, float("inf"), 1), (0.34, 1, -1), (1, "fro", 1), (1, float("-inf"), 0), (2, 3, -1),
    (0.5, 0.5, 0)]]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function,kwargs", CALLS)
@pytest.mark.parametrize("layer,options,shape", LAYERS)
def test_one_pruning_agrees(layer, options, shape, function, kwargs, dtype):
    ours, theirs = twins(layer, options, dtype)
    getattr(prune, function)(ours, "weight", **kwargs)
    # PyTorch's "fro" norm is over at most two dimensions (a Conv2d filter has three): there it is the L2 norm
    reference = dict(kwargs, n=2) if kwargs.get("n") == "fro" and layer == "Conv2d" else kwargs
    getattr(tprune, function)(theirs, "weight", **reference)
    agree(ours, theirs, dtype)
    forward_backward_agree(ours, theirs, np.random.default_rng(3).standard_normal(shape), dtype, TOLERANCES[dtype])
    # the gradient of weight_orig is zero at every pruned entry
    assert not ours.weight_orig.grad[ours.weight_mask == 0].any()


@pytest.mark.parametrize("layer,options,shape", LAYERS)
def test_structured_pruning_along_every_dim(layer, options, shape):
    for dim in range(len(twins(layer, options, np.float64)[0].weight.shape)):
        ours, theirs = twins(layer, options, np.float64)
        prune.ln_structured(ours, "weight", amount=0.5, n=2, dim=dim)
        tprune.ln_structured(theirs, "weight", amount=0.5, n=2, dim=dim)
        agree(ours, theirs, np.float64)


@pytest.mark.parametrize("layer,options,shape", LAYERS)
def test_importance_scores_and_custom_masks(layer, options, shape):
    ours, theirs = twins(layer, options, np.float64)
    scores = np.random.default_rng(5).standard_normal(ours.weight.shape)
    prune.l1_unstructured(ours, "weight", amount=0.4, importance_scores=dp.tensor(scores))
    tprune.l1_unstructured(theirs, "weight", amount=0.4, importance_scores=torch.from_numpy(scores))
    agree(ours, theirs, np.float64)
    mask = (np.random.default_rng(6).random(ours.bias.shape) > 0.5).astype(np.float64)
    prune.custom_from_mask(ours, "bias", mask=dp.tensor(mask))
    tprune.custom_from_mask(theirs, "bias", mask=torch.from_numpy(mask))
    agree(ours, theirs, np.float64, names=("weight", "bias"))
    forward_backward_agree(ours, theirs, np.random.default_rng(3).standard_normal(shape), np.float64,
                           TOLERANCES[np.float64])


STEPS = [("l1_unstructured", dict(amount=0.3)), ("ln_structured", dict(amount=1, n=2, dim=0)),
         ("l1_unstructured", dict(amount=3)), ("ln_structured", dict(amount=0.5, n=1, dim=-1)),
         ("custom_from_mask", None), ("identity", dict()), ("l1_unstructured", dict(amount=0.5))]


@pytest.mark.parametrize("layer,options,shape", LAYERS)
def test_iterative_pruning_agrees(layer, options, shape):
    ours, theirs = twins(layer, options, np.float64)
    for step, (function, kwargs) in enumerate(STEPS):
        if kwargs is None:
            mask = (np.random.default_rng(step).random(ours.weight.shape) > 0.3).astype(np.float64)
            kwargs = dict(mask=mask)
            prune.custom_from_mask(ours, "weight", **kwargs)
            tprune.custom_from_mask(theirs, "weight", mask=torch.from_numpy(mask))
        else:
            getattr(prune, function)(ours, "weight", **kwargs)
            getattr(tprune, function)(theirs, "weight", **kwargs)
        agree(ours, theirs, np.float64)
        [hook] = [h for h, _ in ours._forward_pre_hooks.values()]
        [reference] = list(theirs._forward_pre_hooks.values())
        assert type(hook).__name__ == type(reference).__name__
        if step:
            assert [type(m).__name__ for m in hook] == [type(m).__name__ for m in reference]
    forward_backward_agree(ours, theirs, np.random.default_rng(3).standard_normal(shape), np.float64,
                           TOLERANCES[np.float64])


def global_layers():
    pairs = [twins("Linear", dict(in_features=6, out_features=5), np.float64),
             twins("Linear", dict(in_features=5, out_features=2), np.float64),
             twins("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=3), np.float64)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


@pytest.mark.parametrize("amount", [0.4, 17, 0.0])
def test_global_pruning_across_layers(amount):
    ours, theirs = global_layers()
    # the layers' weights on different scales, so that one loses more than another
    for index, (a, b) in enumerate(zip(ours, theirs)):
        a.weight.data *= 3.0 ** index
        with torch.no_grad():
            b.weight.mul_(3.0 ** index)
    prune.l1_unstructured(ours[0], "weight", amount=0.2)  # one of them pruned before: its pruned entries stay out
    tprune.l1_unstructured(theirs[0], "weight", amount=0.2)
    scores = {(ours[1], "weight"): dp.tensor(np.random.default_rng(2).standard_normal(ours[1].weight.shape))}
    reference_scores = {(theirs[1], "weight"): torch.from_numpy(scores[(ours[1], "weight")].data)}
    prune.global_unstructured([(m, "weight") for m in ours] + [(ours[2], "bias")], pruning_method=prune.L1Unstructured,
                              importance_scores=scores, amount=amount)
    tprune.global_unstructured([(m, "weight") for m in theirs] + [(theirs[2], "bias")],
                               pruning_method=tprune.L1Unstructured, importance_scores=reference_scores, amount=amount)
    for index, (a, b) in enumerate(zip(ours, theirs)):
        agree(a, b, np.float64, names=("weight", "bias") if index == 2 else ("weight",))
    lost = [float((m.weight_mask == 0).mean()) for m in ours]
    if amount:
        assert len(set(lost)) == 3  # each layer lost a share of its own


def test_global_random_pruning_prunes_as_many():
    ours, theirs = global_layers()
    dp.manual_seed(3)
    prune.global_unstructured([(m, "weight") for m in ours], pruning_method=prune.RandomUnstructured, amount=0.45)
    tprune.global_unstructured([(m, "weight") for m in theirs], pruning_method=tprune.RandomUnstructured, amount=0.45)
    assert sum(int((m.weight_mask == 0).sum()) for m in ours) == sum(int((m.weight_mask == 0).sum()) for m in theirs)


@pytest.mark.parametrize("amount", [0.25, 0.5, 3, 0.0])
@pytest.mark.parametrize("layer,options,shape", LAYERS)
def test_random_methods_prune_as_many(layer, options, shape, amount):
    dims = range(len(twins(layer, options, np.float64)[0].weight.shape))
    for function, kwargs in [("random_unstructured", {})] + [("random_structured", dict(dim=d)) for d in dims]:
        ours, theirs = twins(layer, options, np.float64)
        size = ours.weight.shape[kwargs["dim"]] if "dim" in kwargs else ours.weight.data.size
        if isinstance(amount, int) and amount > size:  # more channels than there are: both refuse
            with pytest.raises(ValueError):
                getattr(tprune, function)(theirs, "weight", amount=amount, **kwargs)
            with pytest.raises(ValueError, match="amount=3"):
                getattr(prune, function)(ours, "weight", amount=amount, **kwargs)
            continue
        getattr(prune, function)(ours, "weight", amount=amount, **kwargs)
        getattr(tprune, function)(theirs, "weight", amount=amount, **kwargs)
        assert int((ours.weight_mask == 0).sum()) == int((theirs.weight_mask == 0).sum())
        assert list(ours.state_dict()) == list(theirs.state_dict())
        if "dim" in kwargs:  # whole channels: each slice along dim is all kept or all pruned
            slices = np.moveaxis(ours.weight_mask, kwargs["dim"], 0).reshape(ours.weight_mask.shape[kwargs["dim"]], -1)
            assert all(len(set(row)) == 1 for row in slices.tolist())


@pytest.mark.parametrize("layer,options,shape", LAYERS)
def test_remove_agrees(layer, options, shape):
    ours, theirs = twins(layer, options, np.float64)
    prune.l1_unstructured(ours, "weight", amount=0.5)
    tprune.l1_unstructured(theirs, "weight", amount=0.5)
    prune.ln_structured(ours, "weight", amount=1, n=2, dim=0)
    tprune.ln_structured(theirs, "weight", amount=1, n=2, dim=0)
    original = ours.weight_orig
    prune.remove(ours, "weight")
    tprune.remove(theirs, "weight")
    assert ours.weight is original and not prune.is_pruned(ours) and not ours.__dict__.get("_forward_pre_hooks")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())
    forward_backward_agree(ours, theirs, np.random.default_rng(3).standard_normal(shape), np.float64,
                           TOLERANCES[np.float64])


@pytest.mark.parametrize("layer,options,shape", LAYERS)
def test_state_dicts_load_both_ways(layer, options, shape):
    ours, theirs = twins(layer, options, np.float64)
    prune.l1_unstructured(ours, "weight", amount=0.4)
    prune.ln_structured(ours, "weight", amount=1, n=1, dim=1)
    tprune.identity(theirs, "weight")
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(3).standard_normal(shape)
    np.testing.assert_allclose(ours(dp.tensor(x, dtype=np.float64)).data, theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-12)
    np.testing.assert_array_equal(theirs.weight_mask.numpy(), ours.weight_mask)

    ours, theirs = twins(layer, options, np.float64)
    tprune.l1_unstructured(theirs, "weight", amount=0.4)
    prune.identity(ours, "weight")
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_allclose(ours(dp.tensor(x, dtype=np.float64)).data, theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-12)
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())


@pytest.mark.parametrize("optimizer,kwargs", [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
                                              ("Adam", dict(lr=0.05, weight_decay=0.1))])
def test_training_a_pruned_model_agrees(optimizer, kwargs):
    ours = dp.nn.Sequential(dp.nn.Linear(4, 6), dp.nn.Tanh(), dp.nn.Linear(6, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2)).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    prune.l1_unstructured(ours[0], "weight", amount=0.5)
    tprune.l1_unstructured(theirs[0], "weight", amount=0.5)
    prune.ln_structured(ours[2], "weight", amount=2, n=2, dim=1)
    tprune.ln_structured(theirs[2], "weight", amount=2, n=2, dim=1)
    step_ours = getattr(dp.optim, optimizer)(ours.parameters(), **kwargs)
    step_theirs = getattr(torch.optim, optimizer)(theirs.parameters(), **kwargs)
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 2))
        loss = ((ours(dp.tensor(x, dtype=np.float64)) - dp.tensor(y, dtype=np.float64)) ** 2).mean()
        expected = ((theirs(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
        np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-10)
        step_ours.zero_grad(), step_theirs.zero_grad()
        loss.backward(), expected.backward()
        step_ours.step(), step_theirs.step()
    # the pruned weights recomputed from the stepped originals
    ours(dp.tensor(x, dtype=np.float64)), theirs(torch.from_numpy(x))
    for a, b in [(ours[0], theirs[0]), (ours[2], theirs[2])]:
        agree(a, b, np.float64)
        assert not a.weight.data[a.weight_mask == 0].any()


def test_copies_and_amount_rounding_agree():
    # a fraction is rounded half to even, as PyTorch's round: 0.5 of 5 entries prunes 2
    ours, theirs = twins("Linear", dict(in_features=5, out_features=1), np.float64)
    prune.l1_unstructured(ours, "weight", amount=0.5)
    tprune.l1_unstructured(theirs, "weight", amount=0.5)
    agree(ours, theirs, np.float64)
    assert int((ours.weight_mask == 0).sum()) == 2
    twin = copy.deepcopy(ours)
    prune.l1_unstructured(twin, "weight", amount=1)
    assert int((twin.weight_mask == 0).sum()) == 3 and int((ours.weight_mask == 0).sum()) == 2


BAD = [(dict(amount=-1), ValueError), (dict(amount=1.5), ValueError), (dict(amount=-0.1), ValueError),
       (dict(amount=21), ValueError), (dict(amount="0.3"), TypeError), (dict(amount=None), TypeError),
       (dict(amount=True), TypeError)]


@pytest.mark.parametrize("kwargs,error", BAD)
@pytest.mark.parametrize("function", ["l1_unstructured", "random_unstructured"])
def test_bad_amounts_are_refused_as_pytorch_refuses_them(function, kwargs, error):
    ours, theirs = twins("Linear", dict(in_features=5, out_features=4), np.float64)
    with pytest.raises(error):
        getattr(tprune, function)(theirs, "weight", **kwargs)
    with pytest.raises(error, match="amount"):
        getattr(prune, function)(ours, "weight", **kwargs)
    # nothing changed: the weight is still a parameter, unpruned
    assert [k for k, _ in ours.named_parameters()] == ["weight", "bias"] and not prune.is_pruned(ours)


@pytest.mark.parametrize("call,error", [
    (lambda p, m: p.ln_structured(m, "bias", amount=1, n=2, dim=0), ValueError),
    (lambda p, m: p.ln_structured(m, "weight", amount=1, n=2, dim=2), IndexError),
    (lambda p, m: p.random_structured(m, "weight", amount=5, dim=0), ValueError),
    (lambda p, m: p.ln_structured(m, "weight", amount=1.2, n=2, dim=0), ValueError),
    (lambda p, m: p.remove(m, "weight"), ValueError),
    (lambda p, m: p.global_unstructured([(m, "weight")], pruning_method=p.RandomStructured, amount=1), TypeError),
    (lambda p, m: p.global_unstructured(3, pruning_method=p.L1Unstructured, amount=1), TypeError),
    (lambda p, m: p.global_unstructured([(m, "weight")], pruning_method=p.L1Unstructured, amount=21), ValueError),
    (lambda p, m: p.global_unstructured([(m, "weight")], pruning_method=p.L1Unstructured, importance_scores=[1],
                                        amount=1), TypeError),
    (lambda p, m: p.l1_unstructured(m, "nothing", amount=1), AttributeError),
])
def test_bad_calls_raise_pytorchs_exception_types(call, error):
    ours, theirs = twins("Linear", dict(in_features=5, out_features=4), np.float64)
    with pytest.raises(error):
        call(tprune, theirs)
    with pytest.raises(error):
        call(prune, ours)
