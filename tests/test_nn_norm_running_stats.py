"""What batch and instance normalization share: their options, checks, buffers, resets and text.

The layers' arithmetic is compared with PyTorch elsewhere (tests/reference/test_torch_nn.py,
tests/reference/test_torch_spatial.py); these tests pin down the construction both kinds have in
common, each kind with its own defaults.
"""

import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError

# (layer class, an input of its shape, its defaults for affine and track_running_stats)
KINDS = [
    (nn.BatchNorm1d, (4, 3, 5), True),
    (nn.BatchNorm2d, (4, 3, 2, 2), True),
    (nn.InstanceNorm1d, (4, 3, 5), False),
    (nn.InstanceNorm2d, (4, 3, 2, 2), False),
]
IDS = [kind[0].__name__ for kind in KINDS]


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
def test_defaults_differ_by_kind(layer_class, shape, on_by_default):
    layer = layer_class(3)
    assert layer.affine is on_by_default
    assert layer.track_running_stats is on_by_default
    assert (layer.weight is not None) is on_by_default
    assert (layer.running_mean is not None) is on_by_default


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
@pytest.mark.parametrize("options, message", [
    (dict(num_features=0), "num_features must be a positive integer, got 0"),
    (dict(num_features=True), "num_features must be a positive integer, got True"),
    (dict(num_features=2.5), "num_features must be a positive integer, got 2.5"),
    (dict(num_features=3, momentum=1.5), "momentum must be a number in [0, 1] or None, got 1.5"),
    (dict(num_features=3, momentum=False), "momentum must be a number in [0, 1] or None, got False"),
    (dict(num_features=3, momentum="0.1"), "momentum must be a number in [0, 1] or None, got '0.1'"),
    (dict(num_features=3, eps=0), "eps must be a positive number, got 0"),
    (dict(num_features=3, device="cuda"), "device"),
    # the first bad option is the one named: num_features before momentum before eps
    (dict(num_features=0, momentum=2, eps=-1), "num_features must be a positive integer, got 0"),
    (dict(num_features=3, momentum=2, eps=-1), "momentum must be a number in [0, 1] or None, got 2"),
])
def test_bad_options_name_the_layer_and_the_option(layer_class, shape, on_by_default, options, message):
    with pytest.raises(ConfigError, match=re.escape(f"{layer_class.__name__}: ") + ".*" + re.escape(message)):
        layer_class(**options)


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
def test_integer_dtype_is_refused(layer_class, shape, on_by_default):
    with pytest.raises(Exception, match=re.escape(layer_class.__name__)):
        layer_class(3, dtype=np.int32)


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_running_statistics_start_at_zero_mean_unit_variance(layer_class, shape, on_by_default, dtype):
    layer = layer_class(3, track_running_stats=True, affine=True, dtype=dtype)
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))
    np.testing.assert_array_equal(layer.running_var, np.ones(3))
    assert layer.running_mean.dtype == dtype and layer.running_var.dtype == dtype
    assert layer.num_batches_tracked.dtype == np.int64 and layer.num_batches_tracked.shape == ()
    assert int(layer.num_batches_tracked) == 0
    assert sorted(layer.state_dict()) == ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
def test_without_running_statistics_the_buffers_are_none(layer_class, shape, on_by_default):
    layer = layer_class(3, track_running_stats=False, affine=False)
    assert layer.running_mean is None and layer.running_var is None and layer.num_batches_tracked is None
    assert layer.weight is None and layer.bias is None
    assert layer.state_dict() == {}


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
def test_bias_false_keeps_only_gamma(layer_class, shape, on_by_default):
    layer = layer_class(3, affine=True, bias=False)
    np.testing.assert_array_equal(layer.weight.data, np.ones(3))
    assert layer.bias is None


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
def test_resets_put_statistics_and_parameters_back(layer_class, shape, on_by_default):
    dp.manual_seed(0)
    layer = layer_class(3, affine=True, track_running_stats=True)
    x = dp.tensor(np.random.default_rng(1).normal(2.0, 3.0, size=shape).astype(np.float32))
    layer(x).sum().backward()
    layer.weight.data[...] = 5.0
    layer.bias.data[...] = -2.0
    assert not np.allclose(layer.running_var, 1.0)
    layer.reset_running_stats()
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))
    np.testing.assert_array_equal(layer.running_var, np.ones(3))
    assert int(layer.num_batches_tracked) == 0
    np.testing.assert_array_equal(layer.weight.data, np.full(3, 5.0))  # untouched by reset_running_stats
    running_mean = layer.running_mean
    layer(x)
    layer.reset_parameters()
    assert layer.running_mean is running_mean  # reset in place: the buffer stays the same array
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))
    np.testing.assert_array_equal(layer.weight.data, np.ones(3))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(3))


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
def test_reset_running_stats_without_statistics_does_nothing(layer_class, shape, on_by_default):
    layer = layer_class(3, track_running_stats=False)
    layer.reset_running_stats()
    layer.reset_parameters()
    assert layer.running_mean is None


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
def test_describe_and_repr(layer_class, shape, on_by_default):
    name = layer_class.__name__
    layer = layer_class(3, eps=1e-3, momentum=None, affine=True, track_running_stats=False, bias=False)
    assert layer.describe() == f"{name}(3)"
    assert layer.extra_repr() == (
        "3, eps=0.001, momentum=None, affine=True, bias=False, track_running_stats=False"
    )
    plain = layer_class(4, affine=False, track_running_stats=True)
    assert plain.extra_repr() == "4, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True"
    assert repr(plain) == f"{name}({plain.extra_repr()})"


@pytest.mark.parametrize("layer_class, shape, on_by_default", KINDS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_config_rebuilds_the_same_layer(layer_class, shape, on_by_default, dtype):
    for affine, track, bias in [(True, True, True), (True, False, False), (False, True, True), (False, False, True)]:
        layer = layer_class(3, eps=1e-4, momentum=0.2, affine=affine, track_running_stats=track, bias=bias,
                            dtype=dtype)
        config = layer.config()
        rebuilt = layer_class(**config)
        assert rebuilt.config() == config
        assert rebuilt.extra_repr() == layer.extra_repr()
        assert config["dtype"] == np.dtype(dtype).name  # also for a layer with no parameter or buffer
