"""nn.init against the formulas in its docstrings (tests/reference compares the same draws with PyTorch)."""

import math

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError

SHAPE = (200, 300)  # fan_in 300, fan_out 200
CONV_SHAPE = (32, 16, 5, 5)  # fan_in 16·25 = 400, fan_out 32·25 = 800

# (function, kwargs, shape, expected bound (uniform) or None, expected standard deviation)
CASES = [
    ("uniform_", dict(a=-2.0, b=2.0), SHAPE, 2.0, 4 / math.sqrt(12)),
    ("normal_", dict(std=0.3), SHAPE, None, 0.3),
    ("xavier_uniform_", {}, SHAPE, math.sqrt(6 / 500), math.sqrt(6 / 500) / math.sqrt(3)),
    ("xavier_uniform_", dict(gain=3.0), CONV_SHAPE, 3 * math.sqrt(6 / 1200), 3 * math.sqrt(6 / 1200) / math.sqrt(3)),
    ("xavier_normal_", {}, SHAPE, None, math.sqrt(2 / 500)),
    ("kaiming_uniform_", dict(nonlinearity="relu"), SHAPE, math.sqrt(6 / 300), math.sqrt(2 / 300)),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu"), CONV_SHAPE, math.sqrt(6 / 800), math.sqrt(2 / 800)),
    ("kaiming_normal_", dict(nonlinearity="relu"), CONV_SHAPE, None, math.sqrt(2 / 400)),
    ("kaiming_normal_", dict(a=0.2), SHAPE, None, math.sqrt(2 / (1 + 0.04)) / math.sqrt(300)),
]


@pytest.mark.parametrize("name, kwargs, shape, bound, std", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_init_follows_its_formula(name, kwargs, shape, bound, std):
    dp.manual_seed(0)
    tensor = dp.zeros(shape)
    assert getattr(nn.init, name)(tensor, **kwargs) is tensor  # in place, returning the tensor
    values = tensor.data.astype(np.float64)
    assert values.std() == pytest.approx(std, rel=0.02)
    assert abs(values.mean()) < 5 * std / math.sqrt(values.size)
    if bound is not None:
        assert np.abs(values).max() <= bound * (1 + 1e-6)
        assert np.abs(values).max() > 0.99 * bound


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_keeps_the_dtype_and_is_repeatable(dtype):
    tensor = dp.zeros(10, 20, dtype=dtype)
    dp.manual_seed(3)
    first = nn.init.xavier_normal_(tensor).data.copy()
    assert tensor.dtype == dtype
    dp.manual_seed(3)
    np.testing.assert_array_equal(nn.init.xavier_normal_(tensor).data, first)


@pytest.mark.parametrize("name, args, value", [("zeros_", (), 0.0), ("ones_", (), 1.0), ("constant_", (0.5,), 0.5)])
def test_constant_inits(name, args, value):
    np.testing.assert_array_equal(getattr(nn.init, name)(dp.randn(3, 4), *args).data, value)


def test_linear_init_is_repeatable_and_in_bounds():
    dp.manual_seed(11)
    first = nn.Linear(50, 20)
    dp.manual_seed(11)
    second = nn.Linear(50, 20)
    np.testing.assert_array_equal(first.weight.data, second.weight.data)
    np.testing.assert_array_equal(first.bias.data, second.bias.data)
    bound = 1 / math.sqrt(50)
    assert np.abs(first.weight.data).max() <= bound and np.abs(first.bias.data).max() <= bound
    first.reset_parameters()
    assert not np.array_equal(first.weight.data, second.weight.data)


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv3d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / 1.0001)), ("leaky_relu", 0.5, math.sqrt(2 / 1.25)),
    ("selu", None, 0.75),
])
def test_calculate_gain(nonlinearity, param, gain):
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-12)


def test_calculate_gain_refuses_a_slope_that_is_not_a_number():
    for slope in (True, "0.1"):
        with pytest.raises(ConfigError, match="negative slope of leaky_relu must be a number"):
            nn.init.calculate_gain("leaky_relu", slope)


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_"])
@pytest.mark.parametrize("shape", [(3, 0), (0, 3), (0, 0), (4, 0, 3)])
def test_fan_based_inits_leave_a_zero_element_tensor_alone(name, shape):
    # Its fans may be 0 (a ZeroDivisionError before); there is nothing to draw. Kaiming warns, as in PyTorch.
    p = nn.Parameter(np.zeros(shape))
    if name.startswith("kaiming"):
        with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
            assert getattr(nn.init, name)(p) is p
    else:
        assert getattr(nn.init, name)(p) is p
    assert p.shape == shape
