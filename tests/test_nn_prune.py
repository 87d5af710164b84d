"""nn.utils.prune on its own: gradients of a pruned layer (finite differences, second derivatives),
ties, the random methods' seeding, a pruning method of one's own, the classes' API, model files
that keep the pruning, and the one-sentence errors. (Against PyTorch: tests/reference/test_torch_prune.py.)"""

import copy

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ModelFileError, ShapeError
from deltaprop.nn.utils import prune, stateless


def pruned_conv():
    dp.manual_seed(0)
    layer = nn.Conv2d(2, 3, 2).double()
    prune.l1_unstructured(layer, "weight", amount=0.4)
    prune.ln_structured(layer, "weight", amount=1, n=2, dim=0)
    return layer


def test_first_and_second_derivatives_reach_the_original():
    layer = pruned_conv()

    def forward(original, x):
        return stateless.functional_call(layer, {"weight_orig": original}, (x,))

    original = dp.tensor(layer.weight_orig.data.copy(), dtype=np.float64, requires_grad=True)
    x = dp.randn(2, 2, 4, 4, dtype=dp.float64, requires_grad=True)
    assert dp.autograd.gradcheck(forward, (original, x))
    assert dp.autograd.gradgradcheck(forward, (original, x))
    (gradient,) = dp.autograd.grad(forward(original, x).sum(), original)
    assert not gradient.data[layer.weight_mask == 0].any() and gradient.data[layer.weight_mask == 1].all()


def test_the_mechanism():
    layer = nn.Linear(4, 3)
    weight = layer.weight
    prune.l1_unstructured(layer, "weight", amount=5)
    assert layer.weight_orig is weight and "weight" not in layer._parameters
    assert layer.weight_mask.dtype == weight.data.dtype and int((layer.weight_mask == 0).sum()) == 5
    np.testing.assert_array_equal(layer.weight.data, weight.data * layer.weight_mask)
    # the pruned weight is recomputed before each forward pass, from the original as it is then
    weight.data += 1.0
    layer(dp.randn(2, 4))
    np.testing.assert_array_equal(layer.weight.data, weight.data * layer.weight_mask)
    # converting the layer converts the mask too
    layer.double()
    layer(dp.randn(2, 4, dtype=dp.float64))
    assert layer.weight_mask.dtype == np.float64 and layer.weight.dtype == np.float64


def test_ties_prune_the_lower_index_first():
    layer = nn.Linear(3, 2)
    layer.weight.data[...] = [[1.0, -2.0, 1.0], [-1.0, 3.0, 2.0]]
    prune.l1_unstructured(layer, "weight", amount=2)
    np.testing.assert_array_equal(layer.weight_mask, [[0, 1, 0], [1, 1, 1]])
    other = nn.Linear(3, 2)
    other.weight.data[...] = [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]  # three columns of L1 norm 1, 2, 1
    prune.ln_structured(other, "weight", amount=1, n=1, dim=1)
    np.testing.assert_array_equal(other.weight_mask, [[0, 1, 1], [0, 1, 1]])


@pytest.mark.parametrize("function,kwargs", [("random_unstructured", dict(amount=0.5)),
                                             ("random_structured", dict(amount=2, dim=0))])
def test_random_methods_follow_the_seed(function, kwargs):
    masks = []
    for seed in (1, 1, 2, 3, 4):
        layer = nn.Linear(6, 5)
        dp.manual_seed(seed)
        getattr(prune, function)(layer, "weight", **kwargs)
        masks.append(layer.weight_mask)
    np.testing.assert_array_equal(masks[0], masks[1])
    assert any(not np.array_equal(masks[0], other) for other in masks[2:])


class EverySecond(prune.BasePruningMethod):
    """A method of one's own, written as PyTorch's tutorial writes one (tensor methods on the mask)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def test_a_method_of_ones_own():
    layer = nn.Linear(3, 2)
    EverySecond.apply(layer, "weight")
    np.testing.assert_array_equal(layer.weight_mask.reshape(-1), [0, 1, 0, 1, 0, 1])
    EverySecond.apply(layer, "weight")  # again: every second one of those still kept
    np.testing.assert_array_equal(layer.weight_mask.reshape(-1), [0, 0, 0, 1, 0, 0])
    assert [type(m).__name__ for m in layer._forward_pre_hooks[next(iter(layer._forward_pre_hooks))][0]] == \
        ["EverySecond", "EverySecond"]


def test_the_classes_api():
    method = prune.L1Unstructured(amount=0.5)
    pruned = method.prune(dp.tensor([3.0, -1.0, 2.0, 0.5]))
    np.testing.assert_array_equal(pruned.data, [3.0, 0.0, 2.0, 0.0])
    np.testing.assert_array_equal(method.prune(dp.tensor([3.0, -1.0, 2.0, 0.5]), importance_scores=[0, 1, 2, 3]).data,
                                  [0.0, 0.0, 2.0, 0.5])
    assert vars(method) == {"amount": 0.5} and vars(prune.LnStructured(2, n=1, dim=0)) == {"amount": 2, "n": 1, "dim": 0}
    layer = nn.Linear(3, 2)
    container = prune.PruningContainer(prune.L1Unstructured.apply(layer, "weight", amount=1))
    assert len(container) == 1 and isinstance(container[0], prune.L1Unstructured) and list(container) == [container[0]]
    with pytest.raises(TypeError, match="pruning method"):
        container.add_pruning_method(3)
    other = prune.Identity()
    other._tensor_name = "bias"
    with pytest.raises(ConfigError, match="'weight'.*'bias'"):
        container.add_pruning_method(other)
    with pytest.raises(ConfigError, match="no pruning method"):
        prune.PruningContainer().compute_mask(dp.ones(2), dp.ones(2))
    with pytest.raises(ConfigError, match="prunes no tensor"):
        prune.Identity().apply_mask(layer)
    with pytest.raises(TypeError):
        prune.BasePruningMethod()  # abstract: compute_mask is each method's own


def test_remove_keeps_the_parameter_an_optimizer_holds():
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 1))
    optimizer = dp.optim.SGD(model.parameters(), lr=0.1)
    prune.l1_unstructured(model[0], "weight", amount=0.6)
    mask = model[0].weight_mask.copy()
    for _ in range(3):
        optimizer.zero_grad()
        model(dp.randn(8, 4)).pow(2).mean().backward()
        optimizer.step()
    prune.remove(model[0], "weight")
    assert not prune.is_pruned(model) and model[0].weight is optimizer.param_groups[0]["params"][0]
    assert not model[0].weight.data[mask == 0].any()
    with pytest.raises(ConfigError, match="not pruned"):
        prune.remove(model[0], "weight")


def test_model_files_keep_the_pruning(tmp_path):
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    prune.ln_structured(model[2], "weight", amount=2, n=1, dim=1)
    prune.random_unstructured(model[2], "bias", amount=1)
    dp.save(model, tmp_path / "pruned.safetensors")
    loaded = dp.load(tmp_path / "pruned.safetensors")
    assert list(loaded.state_dict()) == list(model.state_dict()) and prune.is_pruned(loaded)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)
    np.testing.assert_array_equal(loaded[2].weight.data, model[2].weight.data)  # recomputed on load
    x = dp.randn(3, 4)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    prune.l1_unstructured(loaded[0], "weight", amount=2)  # pruning further starts from the loaded mask
    assert int((loaded[0].weight_mask == 0).sum()) == int((model[0].weight_mask == 0).sum()) + 2
    # into a model built and pruned by hand, and not into an unpruned one
    built = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    prune.identity(built[0], "weight"), prune.identity(built[2], "weight"), prune.identity(built[2], "bias")
    np.testing.assert_array_equal(dp.load(tmp_path / "pruned.safetensors", model=built)(x).data, model(x).data)
    with pytest.raises(ModelFileError, match="weight_orig"):
        dp.load(tmp_path / "pruned.safetensors", model=nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)))
    # a copy is pruned on its own
    twin = copy.deepcopy(model)
    prune.remove(twin[0], "weight")
    assert prune.is_pruned(model[0]) and not prune.is_pruned(twin[0])


def test_errors_are_one_sentence_naming_the_value():
    layer = nn.Linear(3, 2)
    for amount, error, words in [(-2, ConfigError, "amount must be a non-negative count, got -2"),
                                 (1.5, ConfigError, r"fraction in \[0, 1\].*got 1.5"),
                                 (7, ConfigError, "amount=7 is more than the 6 entries"),
                                 ("half", TypeError, "got 'half'")]:
        with pytest.raises(error, match=words):
            prune.l1_unstructured(layer, "weight", amount=amount)
    assert not prune.is_pruned(layer) and [k for k, _ in layer.named_parameters()] == ["weight", "bias"]
    with pytest.raises(ConfigError, match="n must be a number.*'nuc'"):
        prune.ln_structured(layer, "weight", amount=1, n="nuc", dim=0)
    with pytest.raises(ConfigError, match=r"two or more dimensions, got shape \(2,\)"):
        prune.random_structured(layer, "bias", amount=1, dim=0)
    with pytest.raises(IndexError, match="dim=-3 is out of range"):
        prune.ln_structured(layer, "weight", amount=1, n=2, dim=-3)
    with pytest.raises(ShapeError, match=r"importance_scores has shape \(3,\)"):
        prune.l1_unstructured(layer, "weight", amount=1, importance_scores=dp.ones(3))
    with pytest.raises(ShapeError, match=r"mask has shape \(3, 2\)"):
        prune.custom_from_mask(layer, "weight", mask=np.ones((3, 2)))
    layer.register_buffer("scale", np.ones(3))
    with pytest.raises(ConfigError, match="'scale' is not a parameter"):
        prune.identity(layer, "scale")
    with pytest.raises(TypeError, match="must be unstructured, got LnStructured"):
        prune.global_unstructured([(layer, "weight")], prune.LnStructured, amount=1, n=2, dim=0)
    assert not prune.is_pruned(layer)


def test_global_pruning_takes_a_generator_of_pairs():
    layers = [nn.Linear(4, 3), nn.Linear(3, 2)]
    prune.global_unstructured(((m, "weight") for m in layers), pruning_method=prune.L1Unstructured, amount=9)
    assert sum(int((m.weight_mask == 0).sum()) for m in layers) == 9
    kept = min(np.abs(m.weight.data[m.weight_mask == 1]).min() for m in layers)
    dropped = max(np.abs(m.weight_orig.data[m.weight_mask == 0]).max() for m in layers)
    assert dropped <= kept


@pytest.mark.parametrize("pruned", ["weight", ["scale"], ["weight", 3], [["weight"]]])
def test_a_model_file_naming_pruned_tensors_the_layer_lacks_is_refused(tmp_path, pruned):
    import json
    import struct

    layer = nn.Linear(2, 2)
    prune.identity(layer, "weight")
    dp.save(layer, tmp_path / "pruned.safetensors")
    data = (tmp_path / "pruned.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    info = json.loads(header["__metadata__"]["deltaprop"])
    info["architecture"]["pruned"] = pruned
    header["__metadata__"]["deltaprop"] = json.dumps(info)
    text = json.dumps(header).encode()
    (tmp_path / "broken.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + data[8 + length:])
    with pytest.raises(ModelFileError, match="lists pruned parameters it does not have"):
        dp.load(tmp_path / "broken.safetensors")


def test_fit_trains_through_the_mask():
    from deltaprop.training.trainer import fit

    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    before = model[0].weight_orig.data.copy()
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 4)).astype(np.float32), rng.integers(0, 3, 64)
    fit(model, X, y, loss=nn.CrossEntropyLoss(), optimizer=dp.optim.Adam(model.parameters(), lr=0.05), epochs=2,
        batch_size=16, verbose=0)
    pruned = model[0].weight_mask == 0
    # no gradient reached the pruned entries (Adam moves every entry a gradient reaches)
    np.testing.assert_array_equal(model[0].weight_orig.data[pruned], before[pruned])
    assert (model[0].weight_orig.data[~pruned] != before[~pruned]).all()
