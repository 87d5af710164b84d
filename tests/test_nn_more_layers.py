"""Embedding, GroupNorm, Unflatten, channel dropout, adaptive 1-d pooling, padding, SmoothL1Loss,
KLDivLoss and the ModuleDict / ParameterList / ParameterDict containers: gradients against finite
differences (float64), behaviour, errors, model files. (PyTorch comparisons: tests/reference/.)"""

import json
import re
from collections import OrderedDict

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, DataError, GradError, ModelFileError, ShapeError
from deltaprop.nn import functional as F


def randn(*shape, seed=0):
    return dp.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=np.float64, requires_grad=True)


def check_module(layer, x):
    """gradcheck of ``layer`` with respect to its input (when it is a tensor) and every parameter."""
    names = [name for name, _ in layer.named_parameters(recurse=False)]
    originals = [getattr(layer, name) for name in names]
    copies = [dp.tensor(p.data, dtype=np.float64, requires_grad=True) for p in originals]
    differentiable_input = isinstance(x, dp.Tensor) and x.requires_grad

    def run(*args):
        inputs, parameters = (args[0], args[1:]) if differentiable_input else (x, args)
        for name, value in zip(names, parameters):
            object.__setattr__(layer, name, value)
        try:
            return layer(inputs)
        finally:
            for name, value in zip(names, originals):
                object.__setattr__(layer, name, value)

    assert dp.gradcheck(run, ([x] if differentiable_input else []) + copies)


# -- gradients ------------------------------------------------------------------------------------------

INDICES = np.array([[1, 3, 3], [0, 4, 1]])  # row 3 twice, row 1 twice: repeats must add


@pytest.mark.parametrize("scale", [False, True], ids=["plain", "scale_grad_by_freq"])
def test_embedding_gradients(scale):
    if scale:  # the scaled gradient is no derivative: it is the derivative with each row's sum divided by its count
        counts = np.maximum(np.bincount(INDICES.ravel(), minlength=5), 1)[:, None]
        table = randn(5, 4)
        F.embedding(INDICES, table, scale_grad_by_freq=True).backward(np.cos(np.arange(24.0)).reshape(2, 3, 4))
        plain = randn(5, 4)
        F.embedding(INDICES, plain).backward(np.cos(np.arange(24.0)).reshape(2, 3, 4))
        np.testing.assert_allclose(table.grad, plain.grad / counts, rtol=1e-14)
        return
    assert dp.gradcheck(lambda w: F.embedding(INDICES, w), [randn(5, 4)])


@pytest.mark.parametrize("padding_idx, row", [(0, 0), (3, 3), (-1, 4), (1, 1)])
def test_embedding_padding_row_gets_no_gradient_and_the_others_theirs(padding_idx, row):
    """The padding row's gradient is 0 by design (the output does depend on it), every other row's is
    the derivative: the gradient without padding_idx, that row zeroed."""
    upstream = np.sin(np.arange(24.0)).reshape(2, 3, 4)
    padded, plain = randn(5, 4), randn(5, 4)
    F.embedding(INDICES, padded, padding_idx).backward(upstream)
    F.embedding(INDICES, plain).backward(upstream)
    expected = plain.grad.copy()
    expected[row] = 0
    np.testing.assert_array_equal(padded.grad, expected)


def test_embedding_gradient_adds_repeats_and_skips_the_padding_row():
    table = dp.tensor(np.arange(10.0).reshape(5, 2), dtype=np.float64, requires_grad=True)
    out = F.embedding(np.array([[1, 1, 0], [1, 4, 0]]), table, padding_idx=0)
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out.data[0, 0], [2.0, 3.0])
    upstream = np.arange(12.0).reshape(2, 3, 2)
    out.backward(upstream)
    expected = np.zeros((5, 2))
    expected[1] = upstream[0, 0] + upstream[0, 1] + upstream[1, 0]
    expected[4] = upstream[1, 1]
    np.testing.assert_array_equal(table.grad, expected)  # row 0 (padding) gets nothing, though picked twice


def test_embedding_of_no_indices_and_of_a_single_index():
    layer = nn.Embedding(4, 3)
    empty = layer(np.zeros((2, 0), dtype=np.int64))
    assert empty.shape == (2, 0, 3)
    empty.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, np.zeros((4, 3)))
    one = layer(np.int64(2))
    assert one.shape == (3,)
    np.testing.assert_array_equal(one.data, layer.weight.data[2])


def test_embedding_layer_initialises_like_pytorch_and_zeroes_the_padding_row():
    dp.manual_seed(0)
    layer = nn.Embedding(2000, 8, padding_idx=5)
    weights = np.delete(layer.weight.data, 5, axis=0)
    assert abs(weights.mean()) < 0.02 and abs(weights.std() - 1) < 0.02  # N(0, 1)
    np.testing.assert_array_equal(layer.weight.data[5], 0)
    assert layer.weight.dtype == np.float32 and nn.Embedding(3, 2, dtype=np.float64).weight.dtype == np.float64


def test_embedding_padding_row_stays_zero_through_training():
    dp.manual_seed(0)
    layer = nn.Embedding(6, 3, padding_idx=0)
    optimizer = dp.optim.SGD(layer.parameters(), lr=0.5, momentum=0.9)
    for _ in range(3):
        optimizer.zero_grad()
        ((layer(np.array([[0, 1, 2], [0, 0, 5]])) - 1.0) ** 2).sum().backward()
        optimizer.step()
    np.testing.assert_array_equal(layer.weight.data[0], 0)
    assert not np.allclose(layer.weight.data[1], 0)


def test_from_pretrained_keeps_the_table_and_freezes_it():
    table = np.arange(6.0).reshape(3, 2)
    frozen = nn.Embedding.from_pretrained(table, padding_idx=1)
    assert not frozen.weight.requires_grad and frozen.padding_idx == 1
    np.testing.assert_array_equal(frozen.weight.data, table)  # the padding row as given, as in PyTorch
    assert list(frozen.parameters()) == [frozen.weight]
    trainable = nn.Embedding.from_pretrained(dp.tensor(table), freeze=False)
    assert trainable.weight.requires_grad and repr(trainable) == "Embedding(3, 2)"
    with pytest.raises(ShapeError, match=re.escape("Embedding.from_pretrained: embeddings must be a 2-d table")):
        nn.Embedding.from_pretrained(np.ones(3))


@pytest.mark.parametrize("groups, channels", [(1, 4), (2, 4), (4, 4)])
@pytest.mark.parametrize("shape", [(3, None, 5), (2, None), (2, None, 2, 3)], ids=["NCL", "NC", "NCHW"])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_group_norm_gradients(groups, channels, shape, affine):
    shape = tuple(channels if n is None else n for n in shape)
    parameters = {"both": [randn(channels, seed=1), randn(channels, seed=2)], "weight": [randn(channels, seed=1)],
                  "none": []}[affine]
    assert dp.gradcheck(lambda x, *p: F.group_norm(x, groups, *p), [randn(*shape) * 2 + 1, *parameters])


def test_group_norm_statistics_are_per_sample_and_group():
    x = np.random.default_rng(3).standard_normal((2, 6, 5)) * 3 + 2
    out = nn.GroupNorm(3, 6, dtype=np.float64)(dp.tensor(x, dtype=np.float64)).data
    groups = out.reshape(2, 3, 10)
    np.testing.assert_allclose(groups.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(groups.var(axis=-1), 1, rtol=1e-4)
    layer = nn.GroupNorm(3, 6)
    x32 = dp.tensor(x.astype(np.float32))
    np.testing.assert_array_equal(layer(x32).data, layer.eval()(x32).data)  # no running statistics
    assert nn.GroupNorm(2, 4)(dp.randn(0, 4, 3)).shape == (0, 4, 3)  # an empty batch


LAYERS = [
    (nn.GroupNorm(2, 4, dtype=np.float64), (3, 4, 5)),
    (nn.GroupNorm(1, 3, bias=False, dtype=np.float64), (2, 3, 2, 2)),
    (nn.Unflatten(1, (2, 3)), (4, 6)),
    (nn.Unflatten(-1, (-1, 2)), (2, 3, 4)),
    (nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    (nn.AdaptiveAvgPool1d(4), (3, 8)),
    (nn.AdaptiveAvgPool1d(1), (2, 2, 5)),
    (nn.AdaptiveAvgPool1d(5), (2, 2, 3)),  # more outputs than inputs: bins share inputs
    (nn.ZeroPad2d((1, 2, 0, 3)), (2, 3, 4, 4)),
    (nn.ZeroPad1d(2), (2, 3, 4)),
    (nn.ConstantPad1d((2, -1), 3.5), (2, 3, 4)),  # a negative amount crops
    (nn.ConstantPad2d((-1, 1, 2, -2), -1.0), (2, 5, 4)),
    (nn.Dropout1d(0.5).eval(), (2, 3, 4)),
    (nn.Dropout2d(0.5).eval(), (2, 3, 4, 4)),
]


@pytest.mark.parametrize("layer, shape", LAYERS, ids=lambda v: repr(v) if isinstance(v, nn.Module) else str(v))
def test_layer_gradients(layer, shape):
    check_module(layer, randn(*shape))


def test_embedding_layer_gradients():
    check_module(nn.Embedding(6, 3, dtype=np.float64), np.array([[0, 2, 5, 5], [1, 1, 2, 3]]))


@pytest.mark.parametrize("function", ["dropout1d", "dropout2d"])
def test_channel_dropout_in_training_mode_gradients(function):
    """With a fixed mask (the same seed for every call) the layer is linear: its gradient is the mask."""

    def run(x):
        dp.manual_seed(5)
        return getattr(F, function)(x, 0.4, training=True)

    assert dp.gradcheck(run, [randn(3, 4, 5) if function == "dropout1d" else randn(3, 4, 2, 3)])


@pytest.mark.parametrize("layer, shape, channels", [
    (nn.Dropout1d(0.5), (40, 30, 7), 2), (nn.Dropout1d(0.5), (30, 7), 1), (nn.Dropout2d(0.5), (40, 30, 3, 4), 2),
])
def test_channel_dropout_zeroes_whole_channels_and_rescales(layer, shape, channels):
    dp.manual_seed(1)
    out = layer(dp.ones(*shape)).data
    per_channel = out.reshape(shape[:channels] + (-1,))
    assert np.all((per_channel == 0).all(axis=-1) | (per_channel == 2).all(axis=-1))  # all or nothing, scaled by 2
    assert 0.4 < (per_channel[..., 0] == 0).mean() < 0.6
    assert np.array_equal(layer.eval()(dp.ones(*shape)).data, np.ones(shape))
    assert np.array_equal(F.dropout1d(dp.ones(2, 3, 4), 1.0).data, np.zeros((2, 3, 4)))


def test_channel_dropout_repeats_with_the_seed_and_warns_on_3d_dropout2d():
    dp.manual_seed(3)
    first = nn.Dropout1d()(dp.ones(8, 8, 2)).data
    dp.manual_seed(3)
    assert np.array_equal(first, nn.Dropout1d()(dp.ones(8, 8, 2)).data)
    with pytest.warns(UserWarning, match=r"dropout2d: a 3-d input is taken as \(N, C, L\)"):
        out = F.dropout2d(dp.ones(6, 5, 4), 0.5).data
    assert np.all((out == 0).all(axis=-1) | (out == 2).all(axis=-1))


# -- losses -----------------------------------------------------------------------------------------------

REDUCTIONS = ["mean", "sum", "none"]
INPUT = np.random.default_rng(1).standard_normal((4, 3)) * 2
TARGET = np.random.default_rng(2).standard_normal((4, 3)) * 2
LOG_P = np.log(np.random.default_rng(3).dirichlet(np.ones(3), 4))
Q = np.random.default_rng(4).dirichlet(np.ones(3), 4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 3.0, 0.0])
def test_smooth_l1_loss_gradients(beta, reduction):
    assert dp.gradcheck(lambda x, y: F.smooth_l1_loss(x, y, reduction, beta),
                        [dp.tensor(INPUT, dtype=np.float64, requires_grad=True), dp.tensor(TARGET, dtype=np.float64, requires_grad=True)])


@pytest.mark.parametrize("beta", [1.0, 0.3, 2.5])
def test_smooth_l1_loss_is_huber_over_beta(beta):
    x, y = dp.tensor(INPUT, dtype=np.float64), dp.tensor(TARGET, dtype=np.float64)
    np.testing.assert_allclose(F.smooth_l1_loss(x, y, "none", beta).data, F.huber_loss(x, y, "none", beta).data / beta,
                               rtol=1e-14)
    np.testing.assert_array_equal(F.smooth_l1_loss(x, y, "none", 0.0).data, F.l1_loss(x, y, "none").data)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_gradients(reduction, log_target):
    target = np.log(Q) if log_target else Q
    assert dp.gradcheck(lambda x, y: F.kl_div(x, y, reduction, log_target),
                        [dp.tensor(LOG_P, dtype=np.float64, requires_grad=True), dp.tensor(target, dtype=np.float64, requires_grad=True)])


def test_kl_div_values_and_reductions():
    x, q = dp.tensor(LOG_P, dtype=np.float64), dp.tensor(Q, dtype=np.float64)
    per_element = Q * (np.log(Q) - LOG_P)
    np.testing.assert_allclose(F.kl_div(x, q, "none").data, per_element, rtol=1e-13)
    np.testing.assert_allclose(F.kl_div(x, q).data, per_element.mean(), rtol=1e-13)  # every element
    np.testing.assert_allclose(F.kl_div(x, q, "batchmean").data, per_element.sum() / 4, rtol=1e-13)  # per sample
    np.testing.assert_allclose(F.kl_div(x, np.log(Q), "sum", log_target=True).data, per_element.sum(), rtol=1e-13)
    zero = F.kl_div(dp.tensor([[-1.0, -0.5]], dtype=np.float64, requires_grad=True), np.array([[0.0, 1.0]]), "none")
    np.testing.assert_array_equal(zero.data, [[0.0, 0.5]])  # 0·log 0 counts as 0
    assert np.isnan(F.kl_div(dp.zeros(0, 3), np.zeros((0, 3)), "batchmean").item())  # a mean over no samples


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_loss_modules_equal_their_functions(reduction):
    x, q = dp.tensor(LOG_P), dp.tensor(Q)
    np.testing.assert_array_equal(nn.KLDivLoss(reduction=reduction)(x, q).data, F.kl_div(x, q, reduction).data)
    if reduction != "batchmean":
        np.testing.assert_array_equal(nn.SmoothL1Loss(reduction=reduction, beta=0.4)(x, q).data,
                                      F.smooth_l1_loss(x, q, reduction, 0.4).data)


# -- the functional forms, and the layers' plain behaviour ------------------------------------------------

def test_pad_values_and_crops():
    x = dp.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(F.pad(x, (1, 0), value=9.0).data, [[9, 0, 1, 2], [9, 3, 4, 5]])
    np.testing.assert_array_equal(F.pad(x, (0, 0, 1, 0)).data, [[0, 0, 0], [0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(F.pad(x, (-1, 1)).data, [[1, 2, 0], [4, 5, 0]])
    assert F.pad(x, ()).shape == (2, 3)


def test_unflatten_is_flattens_inverse():
    x = dp.randn(4, 2, 3, 5)
    assert np.array_equal(nn.Unflatten(1, (2, 3, 5))(nn.Flatten()(x)).data, x.data)
    assert nn.Unflatten(0, (-1, 2))(x).shape == (2, 2, 2, 3, 5)


def test_adaptive_avg_pool1d_bins():
    x = dp.tensor(np.arange(5.0)[None, None])
    np.testing.assert_allclose(F.adaptive_avg_pool1d(x, 2).data, [[[1.0, 3.0]]])  # bins 0..2 and 2..4 share 2
    np.testing.assert_allclose(F.adaptive_avg_pool1d(x, 1).data, [[[2.0]]])


# -- containers -------------------------------------------------------------------------------------------

class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleDict({"key": nn.Sequential(nn.Linear(2, 3)), "other": nn.Linear(3, 1)})
        self.scales = nn.ParameterList([dp.ones(3), np.zeros(1)])
        self.extra = nn.ParameterDict({"shift": dp.zeros(1), "gain": dp.ones(1)})

    def forward(self, x):
        h = self.blocks["key"](x) * self.scales[0]
        return self.blocks["other"](h) * self.extra["gain"] + self.extra["shift"] + self.scales[1]


def test_containers_register_their_contents():
    dp.manual_seed(0)
    model = Heads()
    assert [name for name, _ in model.named_modules()] == ["", "blocks", "blocks.key", "blocks.key.0", "blocks.other",
                                                           "scales", "extra"]
    assert [name for name, _ in model.named_parameters()] == [
        "blocks.key.0.weight", "blocks.key.0.bias", "blocks.other.weight", "blocks.other.bias", "scales.0", "scales.1",
        "extra.gain", "extra.shift"]  # a plain dict into a ParameterDict: sorted keys, as in PyTorch
    assert list(model.state_dict()) == [name for name, _ in model.named_parameters()]
    assert [name for name, _ in model.named_children()] == ["blocks", "scales", "extra"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    model.eval()
    assert not model.blocks.training and not model.scales.training and not model.blocks["key"][0].training
    # an optimizer sees and steps every one of them
    optimizer = dp.optim.SGD(model.parameters(), lr=0.1)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    ((model(dp.randn(4, 2)) - 1.0) ** 2).mean().backward()
    optimizer.step()
    assert all(not np.array_equal(before[k], v) for k, v in model.state_dict().items())
    fresh = Heads()
    fresh.load_state_dict(model.state_dict())
    x = dp.randn(3, 2)
    np.testing.assert_array_equal(fresh(x).data, model(x).data)


def test_module_dict_behaves_as_a_dict():
    layers = nn.ModuleDict([("b", nn.ReLU()), ("a", nn.Tanh())])
    assert list(layers) == ["b", "a"] and list(layers.keys()) == ["b", "a"] and len(layers) == 2 and "a" in layers
    layers.update({"z": nn.Identity(), "c": nn.ReLU()})  # a plain dict keeps its order here (PyTorch's rule)
    layers["b"] = nn.Sigmoid()  # a key set again keeps its place
    assert list(layers) == ["b", "a", "z", "c"] and isinstance(layers["b"], nn.Sigmoid)
    assert [type(m).__name__ for m in layers.values()] == ["Sigmoid", "Tanh", "Identity", "ReLU"]
    assert isinstance(layers.pop("z"), nn.Identity) and "z" not in layers and not hasattr(layers, "z")
    del layers["a"]
    assert [k for k, _ in layers.items()] == ["b", "c"]
    layers.update(nn.ModuleDict({"d": nn.ReLU()}))
    assert list(layers) == ["b", "c", "d"]
    layers.clear()
    assert len(layers) == 0 and list(layers.named_modules()) == [("", layers)]


def test_parameter_list_behaves_as_a_list():
    values = nn.ParameterList([dp.ones(1), dp.ones(2), dp.ones(3)])
    assert [p.shape for p in values] == [(1,), (2,), (3,)] and values[-1].shape == (3,) and len(values) == 3
    tail = values[1:]
    assert isinstance(tail, nn.ParameterList) and tail[0] is values[1]
    assert [name for name, _ in tail.named_parameters()] == ["0", "1"]
    values.append(dp.ones(4)).extend([np.ones(5)])
    values += [dp.ones(6)]
    assert [name for name, _ in values.named_parameters()] == [str(i) for i in range(6)]
    values[0] = dp.zeros(7)
    assert values[0].shape == (7,) and isinstance(values[0], nn.Parameter)
    shared = dp.zeros(2)
    values.append(shared)
    assert values[-1].data is shared.data  # wrapped, not copied, as nn.Parameter(t) shares t's memory
    with pytest.raises(IndexError, match="ParameterList: index 10 is out of range for 7 parameters"):
        values[10]


def test_parameter_dict_behaves_as_a_dict():
    weights = nn.ParameterDict(OrderedDict([("w", dp.ones(2)), ("b", dp.zeros(3))]))
    assert list(weights) == ["w", "b"]  # an OrderedDict keeps its order
    weights.update({"z": dp.ones(1), "c": dp.ones(1)})  # a plain dict: sorted keys
    weights["a"] = np.ones(1)
    assert list(weights.keys()) == ["w", "b", "c", "z", "a"] and "a" in weights and len(weights) == 5
    assert weights.pop("z").shape == (1,) and "z" not in weights
    assert weights.get("nope") is None and weights.get("w") is weights["w"]
    assert weights.setdefault("n", dp.ones(4)).shape == (4,) and weights.setdefault("n", dp.ones(9)).shape == (4,)
    assert [k for k, _ in weights.items()] == ["w", "b", "c", "a", "n"] == [k for k, _ in weights.named_parameters()]
    weights.clear()
    assert len(weights) == 0 and list(weights.parameters()) == []


def test_parameter_dict_has_the_rest_of_a_dicts_methods():
    weights = nn.ParameterDict(OrderedDict([("w", dp.ones(2)), ("b", dp.zeros(3))]))
    copied = weights.copy()
    assert isinstance(copied, nn.ParameterDict) and list(copied) == ["w", "b"] and copied["w"] is weights["w"]
    assert list(reversed(weights)) == ["b", "w"]
    shared = nn.Parameter(np.zeros(2))
    made = weights.fromkeys(["x", "y"], shared)
    assert list(made) == ["x", "y"] and made["x"] is made["y"] is shared and list(weights) == ["w", "b"]
    merged = weights | {"z": dp.ones(1), "a": dp.ones(1)}
    assert isinstance(merged, nn.ParameterDict) and list(merged) == ["w", "b", "a", "z"] and list(weights) == ["w", "b"]
    plain = {"z": nn.Parameter(np.ones(1))} | weights  # a dict's own kind, as in PyTorch
    assert type(plain) is dict and list(plain) == ["z", "w", "b"]
    weights |= nn.ParameterDict({"c": dp.ones(1)})
    assert list(weights) == ["w", "b", "c"]
    assert weights.popitem()[0] == "c" and list(weights) == ["w", "b"]
    weights.clear()
    with pytest.raises(KeyError, match="ParameterDict.popitem: the dict is empty"):
        weights.popitem()


def test_container_reprs_as_pytorch_prints_them():
    assert repr(nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.ReLU()})) == (
        "ModuleDict(\n  (b): Linear(in_features=2, out_features=2, bias=True)\n  (a): ReLU()\n)")
    assert repr(nn.ParameterList([dp.ones(2, 3), dp.zeros(4, dtype=np.float64)])) == (
        "ParameterList(\n    (0): Parameter containing: [deltaprop.float32 of size 2x3]\n"
        "    (1): Parameter containing: [deltaprop.float64 of size 4]\n)")
    # PyTorch's ParameterDict prints a parameter's legacy type name (torch.FloatTensor), its ParameterList the dtype
    assert repr(nn.ParameterDict({"g": dp.ones(3)})) == "ParameterDict(  (g): Parameter containing: [deltaprop.FloatTensor of size 3])"
    assert repr(nn.ParameterList()) == "ParameterList()" and repr(nn.ModuleDict()) == "ModuleDict()"


@pytest.mark.parametrize("build, error, message", [
    (lambda: nn.ModuleDict({"a": 3}), TypeError, "ModuleDict: item 'a' is a int, not a Module"),
    (lambda: nn.ModuleDict({"a.b": nn.ReLU()}), KeyError, "without '.'"),
    (lambda: nn.ModuleDict({"keys": nn.ReLU()}), KeyError, "attribute 'keys' already exists"),
    (lambda: nn.ModuleDict({1: nn.ReLU()}), TypeError, "a module name must be a string"),
    (lambda: nn.ModuleDict([("a",)]), ValueError, "item 0 of the sequence is not a (key, value) pair"),
    (lambda: nn.ModuleDict()["missing"], KeyError, "missing"),
    (lambda: nn.ParameterList(["w"]), TypeError, "ParameterList: item 0 is a str, not a Parameter, tensor or array"),
    (lambda: nn.ParameterDict({"a.b": dp.ones(1)}), KeyError, "without '.'"),
    (lambda: nn.ParameterDict({"update": dp.ones(1)}), KeyError, "attribute 'update' already exists"),
    (lambda: nn.ParameterDict({"w": [1.0]}), TypeError, "ParameterDict: item 'w' is a list"),
])
def test_container_errors(build, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build()


# -- configs, model files ---------------------------------------------------------------------------------

CONFIG_LAYERS = [
    nn.Embedding(7, 3), nn.Embedding(7, 3, padding_idx=-2, scale_grad_by_freq=True, dtype=np.float64),
    nn.Embedding(4, 2, norm_type=1.0), nn.ZeroPad1d(2), nn.ZeroPad2d((1, 0, 2, 3)), nn.ConstantPad1d((1, -1), 2),
    nn.ConstantPad2d(1, -0.5), nn.ReflectionPad1d((2, 0)), nn.ReflectionPad2d(1), nn.ReplicationPad1d(3),
    nn.ReplicationPad2d((0, 1, 2, 3)), nn.ModuleDict(), nn.CircularPad1d((2, 1)), nn.CircularPad2d(1),
    nn.ZeroPad3d((1, 0, 2, 3, 0, 1)), nn.ConstantPad3d(1, -0.5), nn.ReflectionPad3d((2, 0, 1, 1, 0, 1)),
    nn.ReplicationPad3d(2), nn.CircularPad3d((1, 2, 0, 0, 1, -1)),
    nn.EmbeddingBag(7, 3), nn.EmbeddingBag(5, 2, scale_grad_by_freq=True, mode="max", include_last_offset=True,
                                         padding_idx=-1, dtype=np.float64),
]


@pytest.mark.parametrize("layer", CONFIG_LAYERS, ids=repr)
def test_config_rebuilds_an_equal_layer(layer):
    config = json.loads(json.dumps(layer.config()))  # what a saved architecture holds
    rebuilt = type(layer)(**config)
    assert rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)
    ours, theirs = layer.state_dict(), rebuilt.state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape and ours[k].dtype == theirs[k].dtype for k in ours)


def test_every_layer_of_the_new_files_is_covered():
    mine = {"deltaprop.nn.sparse", "deltaprop.nn.padding"}
    classes = {getattr(nn, name) for name in nn.__all__}
    assert {c for c in classes if isinstance(c, type) and c.__module__ in mine} == {type(layer) for layer in CONFIG_LAYERS} - {nn.ModuleDict}


def test_a_model_of_the_new_layers_saves_and_loads(tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Embedding(10, 4, padding_idx=0), nn.Flatten(), nn.Unflatten(1, (2, 12)), nn.GroupNorm(2, 2),
        nn.Dropout1d(0.2), nn.ConstantPad1d((1, 2), 0.5), nn.AdaptiveAvgPool1d(5), nn.ZeroPad1d(1),
        nn.Unflatten(2, (1, 7)), nn.ZeroPad2d((0, 1, 1, 0)), nn.Dropout2d(0.1), nn.ConstantPad2d(1, 1.0), nn.Flatten(),
        nn.Linear(80, 3),
        nn.ModuleDict({"loss": nn.SmoothL1Loss(beta=0.5), "kl": nn.KLDivLoss(reduction="batchmean")}),
    )
    x = np.array([[1, 2, 0, 3, 4, 5], [0, 0, 1, 1, 9, 8]])
    trunk = model[:-1]
    loss = model[-1]["loss"](trunk(x), np.zeros((2, 3), np.float32))
    loss.backward()
    dp.optim.SGD(model.parameters(), lr=0.1).step()
    model.eval()
    dp.save(model, tmp_path / "model.safetensors")
    loaded = dp.load(tmp_path / "model.safetensors")
    assert repr(loaded) == repr(model) and list(loaded.state_dict()) == list(model.state_dict())
    assert not loaded.training and not loaded[4].training
    np.testing.assert_array_equal(loaded[:-1](x).data, trunk(x).data)
    assert list(loaded[-1]) == ["loss", "kl"]


def test_a_custom_model_with_containers_saves_its_weights(tmp_path):
    dp.manual_seed(0)
    model = Heads()
    dp.save(model, tmp_path / "heads.safetensors")
    with pytest.raises(ModelFileError, match="the model is of a custom class"):
        dp.load(tmp_path / "heads.safetensors")
    loaded = dp.load(tmp_path / "heads.safetensors", model=Heads())
    x = dp.randn(2, 2)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    # a ModuleDict whose keys are 0, 1, ... is still a ModuleDict when loaded
    numbered = nn.ModuleDict({"0": nn.Linear(2, 2), "1": nn.ReLU()})
    dp.save(numbered, tmp_path / "numbered.safetensors")
    again = dp.load(tmp_path / "numbered.safetensors")
    assert isinstance(again, nn.ModuleDict) and list(again) == ["0", "1"]


def _edited(path, edit):
    from safetensors.numpy import load_file, save_file

    from deltaprop.serialization import _read

    tensors, info = _read(path)
    edit(info)
    save_file(tensors, str(path), metadata={"deltaprop": json.dumps(info)})


def test_a_hostile_embedding_size_is_refused_before_allocating(tmp_path):
    path = tmp_path / "embedding.safetensors"
    dp.save(nn.Sequential(nn.Embedding(100, 8)), path)

    def huge(info):
        info["architecture"]["children"][0]["config"].update(num_embeddings=60000, embedding_dim=60000)

    _edited(path, huge)
    with pytest.raises(ModelFileError, match="the architecture asks for far more weights than the file's"):
        dp.load(path)


def test_padding_idx_and_num_groups_are_no_sizes_for_the_file_bound(tmp_path):
    # 60000 rows with padding row 59999: the product of the arguments would be 2e10 "weights"
    path = tmp_path / "vocab.safetensors"
    model = nn.Sequential(nn.Embedding(60000, 2, padding_idx=-1), nn.GroupNorm(64, 64))
    dp.save(model, path)
    loaded = dp.load(path)
    assert loaded[0].padding_idx == 59999 and loaded[1].num_groups == 64


def test_hostile_module_dict_names_are_refused(tmp_path):
    path = tmp_path / "dict.safetensors"
    dp.save(nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()}), path)
    for names, message in ((["a", "a"], "malformed names"), (["a.x", "b"], "malformed names"),
                           (["keys", "b"], "attribute 'keys' already exists")):
        _edited(path, lambda info: info["architecture"].update(names=names))
        with pytest.raises(ModelFileError, match=re.escape(message)):
            dp.load(path)


# -- argument and input errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("build, option", [
    (lambda: nn.Embedding(0, 3), "Embedding: num_embeddings must be a positive integer"),
    (lambda: nn.Embedding(3, 2.5), "Embedding: embedding_dim must be a positive integer"),
    (lambda: nn.Embedding(3, 2, padding_idx=3), "Embedding: padding_idx must be an integer in [-3, 3)"),
    (lambda: nn.Embedding(3, 2, max_norm="1"), "Embedding: max_norm must be a number or None, got '1'"),
    (lambda: nn.Embedding(3, 2, max_norm=1.0, norm_type="fro"), "Embedding: norm_type must be a number, got 'fro'"),
    (lambda: nn.Embedding(3, 2, sparse=1), "Embedding: sparse must be True or False, got 1"),
    (lambda: F.embedding(np.array([0]), dp.ones(3, 2), max_norm=True), "embedding: max_norm must be a number or None"),
    (lambda: nn.GroupNorm(2, 3), "GroupNorm: num_channels (3) must be divisible by num_groups (2)"),
    (lambda: nn.GroupNorm(0, 3), "GroupNorm: num_groups must be a positive integer"),
    (lambda: nn.GroupNorm(1, 3, eps=0), "GroupNorm: eps must be a positive number"),
    (lambda: nn.Unflatten(1, (2, 2.5)), "Unflatten: unflattened_size must be a non-empty tuple of sizes"),
    (lambda: nn.Unflatten(1, (-1, -1)), "Unflatten: unflattened_size"),
    (lambda: nn.Unflatten(1.0, (2,)), "Unflatten: dim must be an integer"),
    (lambda: nn.Dropout1d(1.5), "Dropout1d: p must be a probability"),
    (lambda: F.dropout2d(dp.ones(2, 2, 2, 2), -0.1), "dropout2d: p must be a probability"),
    (lambda: nn.AdaptiveAvgPool1d(-1), "AdaptiveAvgPool1d: output_size must be a non-negative integer"),
    (lambda: nn.ZeroPad2d((1, 2)), "ZeroPad2d: padding must be an integer or a tuple of 4 integers"),
    (lambda: nn.ConstantPad1d(1, "x"), "ConstantPad1d: value must be a number"),
    (lambda: F.pad(dp.ones(2), (1, 1), mode="symmetric"), "pad: mode must be one of 'constant', 'reflect'"),
    (lambda: F.pad(dp.ones(2), (1, 1, 1, 1)), "pad: pad must be a tuple of (before, after) integer pairs"),
    (lambda: nn.SmoothL1Loss(beta=-1.0), "SmoothL1Loss: beta must be a non-negative number"),
    (lambda: F.smooth_l1_loss(dp.ones(2), dp.ones(2), beta=-1), "smooth_l1_loss: beta must be a non-negative number"),
    (lambda: nn.KLDivLoss(reduction="batch"), "KLDivLoss: reduction must be one of mean, batchmean, sum, none"),
    (lambda: F.kl_div(dp.ones(2), dp.ones(2), reduction="avg"), "kl_div: reduction must be one of"),
])
def test_bad_options_raise_config_error_naming_layer_and_option(build, option):
    with pytest.raises(ConfigError, match=re.escape(option)):
        build()


@pytest.mark.parametrize("run, error, message", [
    (lambda: nn.Embedding(4, 2)(np.array([1, 4])), DataError, "Embedding(4, 2): embedding: index 4 is outside [0, 4)"),
    (lambda: nn.Embedding(4, 2)(np.array([-1])), DataError, "index -1 is outside [0, 4)"),
    (lambda: nn.Embedding(4, 2)(dp.tensor([1.0, 2.0])), DataError, "embedding: indices must hold integers of dtype int64 or int32, got dtype float32"),
    (lambda: F.embedding(np.array([0]), dp.ones(4)), ShapeError, "embedding: weight must be a table"),
    (lambda: nn.GroupNorm(2, 4)(dp.ones(2, 6, 3)), ShapeError, "GroupNorm(2, 4) expected input of shape (N, 4, ...), got shape (2, 6, 3)"),
    (lambda: F.group_norm(dp.ones(2, 6), 4), ShapeError, "group_norm: num_groups must be a positive integer that divides the 6 channels"),
    (lambda: nn.Unflatten(1, (3, 2))(dp.ones(3, 4)), ShapeError, "Unflatten(dim=1, unflattened_size=(3, 2)): the sizes (3, 2) do not multiply up to the length 4"),
    (lambda: nn.Unflatten(2, (2, 2))(dp.ones(3, 4)), ShapeError, "dim 2 is out of range for input of shape (3, 4)"),
    (lambda: nn.Dropout1d()(dp.ones(2, 3, 4, 5)), ShapeError, "dropout1d: expected input of shape (N, C, L) or (C, L), got shape (2, 3, 4, 5)"),
    (lambda: nn.Dropout2d()(dp.ones(2, 3)), ShapeError, "dropout2d: expected input of shape (N, C, H, W) or (C, H, W)"),
    (lambda: nn.AdaptiveAvgPool1d(2)(dp.ones(4)), ShapeError, "AdaptiveAvgPool1d(2) expected input of shape (N, C, L) or (C, L)"),
    (lambda: nn.ConstantPad1d(-3, 0.0)(dp.ones(2, 4)), ShapeError, "pad: padding (-3, -3) of axis 1 (length 4) crops more than it holds"),
    (lambda: F.kl_div(dp.ones(2, 3), dp.ones(3, 2)), ShapeError, "kl_div: input of shape (2, 3) and target of shape (3, 2) differ"),
])
def test_bad_inputs_name_the_layer_or_operation(run, error, message):
    with pytest.raises(error, match=re.escape(message)):
        run()


# -- in-place changes ---------------------------------------------------------------------------------------

def test_changing_the_indices_after_an_embedding_is_refused():
    table = dp.randn(5, 2, requires_grad=True)
    index = dp.tensor([0, 1, 1])
    out = F.embedding(index, table)
    index[0] = 4
    with pytest.raises(GradError, match="a value that 'embedding' kept for its gradient"):
        out.sum().backward()


def test_changing_the_table_after_an_embedding_is_fine_as_in_pytorch():
    """The rule reads only which rows were picked, never the table's values."""
    table = dp.randn(5, 2, requires_grad=True)
    out = F.embedding(np.array([0, 1, 1]), table)
    with dp.no_grad():
        table.mul_(2.0)
    out.sum().backward()
    np.testing.assert_array_equal(table.grad, [[1, 1], [2, 2], [0, 0], [0, 0], [0, 0]])


def test_changing_group_norms_weight_after_the_forward_pass_is_refused():
    x = randn(2, 4, 3)
    layer = nn.GroupNorm(2, 4, dtype=np.float64)
    out = layer(x)
    dp.nn.init.constant_(layer.weight, 2.0)
    with pytest.raises(GradError, match="'group_norm'"):
        out.sum().backward()
