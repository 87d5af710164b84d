"""LocalResponseNorm, LPPool1d/2d, ChannelShuffle and CircularPad1d/2d, the pooling functions with
indices and the functional in-place activations: hand-worked values, finite differences in float64,
model files, and errors naming the layer and the option."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, GradError, ShapeError
from deltaprop.nn import functional as F


def rand(*shape, seed=0, positive=False):
    data = np.random.default_rng(seed).standard_normal(shape)
    return dp.tensor(np.abs(data) + 0.2 if positive else data, dtype=np.float64, requires_grad=True)


def test_local_response_norm_by_hand():
    # size 2: channel c sees c − 1 and c (n//2 = 1 before, 0 after); α = 2, β = 1, k = 1
    x = dp.tensor(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1), dtype=np.float64)
    out = F.local_response_norm(x, 2, alpha=2.0, beta=1.0, k=1.0)
    np.testing.assert_allclose(out.data.ravel(), [1 / (1 + 1), 2 / (1 + 5), 3 / (1 + 13)], rtol=1e-12)


def test_lp_pool_by_hand():
    x = dp.tensor([[[3.0, 4.0, 1.0, 1.0]]], dtype=np.float64)
    np.testing.assert_allclose(F.lp_pool1d(x, 2, 2).data.ravel(), [5.0, np.sqrt(2.0)], rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool1d(x, 1, 2).data.ravel(), [7.0, 2.0], rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool1d(x, float("inf"), 2).data.ravel(), [4.0, 1.0], rtol=1e-12)


def test_channel_shuffle_by_hand():
    x = dp.tensor(np.arange(6.0).reshape(1, 6, 1))
    np.testing.assert_array_equal(F.channel_shuffle(x, 2).data.ravel(), [0, 3, 1, 4, 2, 5])
    np.testing.assert_array_equal(F.channel_shuffle(x, 3).data.ravel(), [0, 2, 4, 1, 3, 5])


def test_circular_padding_by_hand():
    x = dp.tensor([[[1.0, 2.0, 3.0]]])
    np.testing.assert_array_equal(nn.CircularPad1d(2)(x).data.ravel(), [2, 3, 1, 2, 3, 1, 2])


GRADCHECKS = {
    "local_response_norm": (lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.5), (2, 4, 3)),
    "local_response_norm-4d": (lambda x: F.local_response_norm(x, 2, alpha=1.0), (1, 3, 2, 2)),
    "lp_pool1d": (lambda x: F.lp_pool1d(x, 2, 3, stride=2, ceil_mode=True), (2, 2, 8)),
    "lp_pool1d-p3.5": (lambda x: F.lp_pool1d(x, 3.5, 2), (2, 2, 6)),
    "lp_pool2d": (lambda x: F.lp_pool2d(x, 1.5, (2, 3), stride=1), (1, 2, 4, 5)),
    "lp_pool2d-inf": (lambda x: F.lp_pool2d(x, float("inf"), 2), (1, 2, 4, 4)),
    "channel_shuffle": (lambda x: F.channel_shuffle(x, 2), (2, 4, 3)),
    "circular_pad2d": (nn.CircularPad2d((1, 2, 2, 0)), (2, 3, 3)),
    "rrelu-eval": (nn.RReLU(0.1, 0.3).eval(), (3, 4)),
}


@pytest.mark.parametrize("name", GRADCHECKS)
def test_gradients_match_finite_differences(name):
    fn, shape = GRADCHECKS[name]
    assert dp.gradcheck(fn, [rand(*shape, positive=name.startswith("lp_pool"))])


@pytest.mark.parametrize("layer, shape", [
    (nn.LocalResponseNorm(3, alpha=0.5, beta=0.6, k=2.0), (2, 4, 3)),
    (nn.LPPool1d(2, 3), (2, 3, 7)),
    (nn.LPPool1d(float("inf"), 2, stride=1), (2, 3, 7)),
    (nn.LPPool2d(1.5, (2, 3), stride=(1, 2), ceil_mode=True), (2, 2, 5, 7)),
    (nn.ChannelShuffle(3), (2, 6, 3)),
    (nn.CircularPad1d((2, 1)), (2, 3, 4)),
    (nn.CircularPad2d(1), (2, 3, 4, 4)),
    (nn.RReLU(0.1, 0.2).eval(), (3, 4)),
    (nn.FeatureAlphaDropout(0.3).eval(), (3, 4, 2)),
], ids=repr)
def test_a_model_file_round_trips(layer, shape, tmp_path):
    model = nn.Sequential(nn.Identity(), layer)
    dp.save(model, tmp_path / "m.safetensors")
    again = dp.load(tmp_path / "m.safetensors")
    assert repr(again) == repr(model) and again[1].config() == layer.config() and again[1].training == layer.training
    x = rand(*shape, positive=True)
    np.testing.assert_array_equal(again(x).data, model(x).data)


@pytest.mark.parametrize("name, shape, kwargs", [
    ("max_pool1d", (2, 3, 7), dict(kernel_size=3, stride=2)),
    ("max_pool2d", (2, 2, 5, 5), dict(kernel_size=2)),
    ("adaptive_max_pool1d", (2, 3, 7), dict(output_size=3)),
    ("adaptive_max_pool2d", (2, 2, 5, 6), dict(output_size=(2, 4))),
    ("max_pool3d", (2, 2, 4, 5, 4), dict(kernel_size=2, padding=1)),
    ("adaptive_max_pool3d", (2, 2, 4, 5, 4), dict(output_size=(2, 3, 3))),
])
def test_the_with_indices_forms_always_return_both(name, shape, kwargs):
    x = rand(*shape)
    values, indices = getattr(F, name + "_with_indices")(x, **kwargs)
    expected, expected_indices = getattr(F, name)(x, **kwargs, return_indices=True)
    np.testing.assert_array_equal(values.data, expected.data)
    np.testing.assert_array_equal(indices.data, expected_indices.data)
    assert len(getattr(F, name + "_with_indices")(x, **kwargs, return_indices=False)) == 2


def test_in_place_forms_change_their_input_and_refuse_a_leaf_that_requires_grad():
    x = dp.tensor([-2.0, 0.5, 3.0])
    assert F.relu_(x) is x
    np.testing.assert_array_equal(x.data, [0.0, 0.5, 3.0])
    y = dp.tensor([-2.0, 0.5], requires_grad=True)
    with pytest.raises(GradError, match="^leaky_relu_: a leaf tensor that requires grad cannot be changed in place"):
        F.leaky_relu_(y, 0.1)
    computed = y * 1  # (a computed tensor: recorded, as in PyTorch)
    assert F.leaky_relu_(computed, 0.1) is computed and computed.grad_fn.name() == "LeakyReluBackward0"
    computed.sum().backward()
    np.testing.assert_allclose(y.grad, [0.1, 1.0])
    with dp.no_grad():
        F.hardtanh_(y, -1.0, 0.25)
    np.testing.assert_array_equal(y.data, [-1.0, 0.25])
    with pytest.raises(TypeError, match="^elu_: expects a deltaprop tensor"):
        F.elu_(np.zeros(3))


@pytest.mark.parametrize("make, message", [
    (lambda: nn.LocalResponseNorm(0), "LocalResponseNorm: size must be a positive integer, got 0"),
    (lambda: nn.LocalResponseNorm(2, beta="x"), "LocalResponseNorm: beta must be a real number"),
    (lambda: nn.LPPool2d(0, 2), "LPPool2d: norm_type must be a nonzero number"),
    (lambda: nn.LPPool1d(2, 0), "LPPool1d: kernel_size"),
    (lambda: nn.ChannelShuffle(0), "ChannelShuffle: groups must be a positive integer, got 0"),
    (lambda: nn.CircularPad2d((1, 2)), "CircularPad2d: padding must be an integer or a tuple of 4 integers"),
    (lambda: nn.RReLU(0.5, 0.2), "RReLU: lower must not exceed upper, got lower=0.5 and upper=0.2"),
    (lambda: nn.FeatureAlphaDropout(1.5), r"FeatureAlphaDropout: p must be a probability in \[0, 1\]"),
])
def test_bad_options_name_the_layer_and_option(make, message):
    with pytest.raises(ConfigError, match="^" + message):
        make()


@pytest.mark.parametrize("layer, shape, message", [
    (nn.LocalResponseNorm(2), (2, 3), r"LocalResponseNorm\(2\): local_response_norm: expected input of shape \(N, C, \*\)"),
    (nn.ChannelShuffle(4), (2, 6, 3), r"ChannelShuffle\(groups=4\): channel_shuffle: the 6 channels of an input of shape "
                                      r"\(2, 6, 3\) do not divide into 4 groups"),
    (nn.ChannelShuffle(2), (6, 3), r"ChannelShuffle\(groups=2\): channel_shuffle: expected input of shape \(N, C, \*\)"),
    (nn.LPPool2d(2, 2), (2, 3), r"LPPool2d\(kernel 2\) expected input of shape \(N, C, H, W\) or \(C, H, W\)"),
    (nn.LPPool2d(2, 3), (1, 1, 2, 4), r"LPPool2d\(kernel 3\): lp_pool2d: the input's spatial size 2x4 plus padding is "
                                      r"smaller than the kernel's extent 3x3"),
    (nn.LPPool1d(float("inf"), 3), (1, 1, 2), r"LPPool1d\(kernel 3\): lp_pool1d: the input's spatial size 2 plus padding"),
    (nn.CircularPad1d(4), (1, 2, 3), r"CircularPad1d\(\(4, 4\)\): pad: mode='circular' wraps around once at most"),
    (nn.FeatureAlphaDropout(), (5,), r"feature_alpha_dropout: expected input of shape \(N, C, \*\)"),
])
def test_bad_input_names_the_layer_and_shape(layer, shape, message):
    with pytest.raises(ShapeError, match="^" + message):
        layer(dp.randn(*shape))
