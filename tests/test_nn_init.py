"""nn.init against the formulas in its docstrings (tests/reference compares the same draws with PyTorch)."""

import math

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ShapeError

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


@pytest.mark.parametrize("mean, std, a, b", [
    (0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0), (1.0, 1.0, -0.5, 0.5), (0.0, 1.0, 2.0, 3.0), (0.0, 3.0, 0.0, 0.5),
])
def test_trunc_normal_stays_in_its_bounds_with_the_truncated_mean(mean, std, a, b):
    dp.manual_seed(0)
    tensor = dp.zeros(200, 300, dtype=np.float64)
    assert nn.init.trunc_normal_(tensor, mean, std, a, b) is tensor
    values = tensor.data
    assert a <= values.min() and values.max() <= b
    # The mean of N(μ, σ²) truncated to [a, b]: μ + σ(φ(α) − φ(β))/(Φ(β) − Φ(α)), α, β the standardized bounds.
    alpha, beta = (a - mean) / std, (b - mean) / std
    density = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    mass = (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2))) / 2
    expected = mean + std * (density(alpha) - density(beta)) / mass
    assert values.mean() == pytest.approx(expected, abs=5 * values.std() / math.sqrt(values.size))
    dp.manual_seed(0)
    np.testing.assert_array_equal(nn.init.trunc_normal_(dp.zeros(200, 300, dtype=np.float64), mean, std, a, b).data, values)


def test_trunc_normal_checks_its_arguments_and_warns_far_from_its_bounds():
    with pytest.raises(ConfigError, match="trunc_normal_: std must be above 0, got 0"):
        nn.init.trunc_normal_(dp.zeros(3), std=0)
    with pytest.raises(ConfigError, match="trunc_normal_: the bounds must have a <= b, got a=1, b=0"):
        nn.init.trunc_normal_(dp.zeros(3), a=1, b=0)
    with pytest.warns(UserWarning, match="more than 2 std from"):
        values = nn.init.trunc_normal_(dp.zeros(1000), mean=5.0, a=-1.0, b=1.0).data
    assert values.min() >= -1 and values.max() <= 1 and values.mean() > 0.5


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3), (1, 7), (6, 6), (8, 2, 3, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_the_gain(shape):
    dp.manual_seed(1)
    values = nn.init.orthogonal_(dp.zeros(shape, dtype=np.float64), gain=2.0).data.reshape(shape[0], -1)
    gram = values @ values.T if values.shape[0] <= values.shape[1] else values.T @ values
    np.testing.assert_allclose(gram, 4 * np.eye(len(gram)), atol=1e-12)


def test_orthogonal_is_uniform_over_the_orthogonal_matrices():
    # Haar-distributed: an entry of a random n×n orthogonal matrix has mean 0 and variance 1/n, the
    # diagonal included (without the sign correction of QR the diagonal would be positive).
    dp.manual_seed(2)
    diagonals = np.stack([np.diag(nn.init.orthogonal_(dp.zeros(4, 4, dtype=np.float64)).data) for _ in range(2000)])
    assert abs(diagonals.mean()) < 0.03
    assert diagonals.var() == pytest.approx(1 / 4, rel=0.1)


def test_sparse_zeroes_the_same_share_of_every_column():
    dp.manual_seed(3)
    values = nn.init.sparse_(dp.zeros(10, 400), sparsity=0.35, std=2.0).data
    np.testing.assert_array_equal((values == 0).sum(axis=0), 4)  # ⌈0.35 · 10⌉
    assert values[values != 0].std() == pytest.approx(2.0, rel=0.05)
    assert len({tuple(np.flatnonzero(column == 0)) for column in values.T}) > 100  # at random rows
    with pytest.raises(ShapeError, match=r"sparse_: needs a 2-dimensional tensor, got shape \(2, 3, 4\)"):
        nn.init.sparse_(dp.zeros(2, 3, 4), 0.5)
    with pytest.raises(ConfigError, match="sparse_: sparsity must be a fraction in \\[0, 1\\], got 1.5"):
        nn.init.sparse_(dp.zeros(2, 3), 1.5)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye_fills_the_identity(shape):
    np.testing.assert_array_equal(nn.init.eye_(dp.randn(*shape)).data, np.eye(*shape))


def test_eye_and_dirac_refuse_other_shapes():
    with pytest.raises(ShapeError, match=r"eye_: needs a 2-dimensional tensor, got shape \(3,\)"):
        nn.init.eye_(dp.zeros(3))
    with pytest.raises(ShapeError, match=r"dirac_: needs a convolution weight with 3, 4 or 5 dimensions"):
        nn.init.dirac_(dp.zeros(3, 3))
    with pytest.raises(ShapeError, match=r"dirac_: 6 output channels do not divide into groups=4"):
        nn.init.dirac_(dp.zeros(6, 2, 3), groups=4)


def test_dirac_makes_a_convolution_the_identity():
    weight = nn.init.dirac_(dp.randn(4, 4, 3, 3, dtype=np.float64))
    x = dp.randn(2, 4, 7, 7, dtype=np.float64)
    np.testing.assert_allclose(nn.functional.conv2d(x, weight, padding=1).data, x.data, atol=1e-12)
    grouped = nn.init.dirac_(dp.randn(6, 2, 3, 3, dtype=np.float64), groups=3)
    y = dp.randn(2, 6, 5, 5, dtype=np.float64)
    np.testing.assert_allclose(nn.functional.conv2d(y, grouped, padding=1, groups=3).data, y.data, atol=1e-12)


_ON_ARRAYS = [  # (function, arguments after the tensor, shape)
    ("uniform_", (-0.5, 0.5), (4, 6)), ("normal_", (1.0, 0.02), (4, 6)), ("constant_", (0.25,), (4, 6)),
    ("zeros_", (), (4, 6)), ("ones_", (), (4, 6)), ("eye_", (), (4, 6)), ("dirac_", (), (4, 2, 3, 3)),
    ("xavier_uniform_", (), (4, 6)), ("xavier_normal_", (2.0,), (4, 2, 3)), ("kaiming_uniform_", (), (4, 6)),
    ("kaiming_normal_", (0.2,), (4, 2, 3)), ("trunc_normal_", (0.0, 1.0, -1.0, 1.0), (4, 6)),
    ("orthogonal_", (), (4, 6)), ("sparse_", (0.5,), (4, 6)),
]


@pytest.mark.parametrize("name, args, shape", _ON_ARRAYS, ids=[case[0] for case in _ON_ARRAYS])
def test_init_fills_a_parameters_data_array_in_place(name, args, shape):
    """The DCGAN tutorial's nn.init.normal_(m.weight.data, 0.0, 0.02): .data is the parameter's
    array here, which nn.init now fills in place (it failed on the array's missing attributes),
    drawing what it draws into the tensor itself."""
    parameter = nn.Parameter(dp.full(shape, 7.0, dtype=np.float64))
    array = parameter.data
    dp.manual_seed(5)
    assert getattr(nn.init, name)(array, *args) is array
    assert parameter.data is array and parameter.dtype == np.float64
    dp.manual_seed(5)
    np.testing.assert_array_equal(getattr(nn.init, name)(dp.full(shape, 7.0, dtype=np.float64), *args).data, array)
    assert not np.any(array == 7.0)


def test_init_refuses_what_is_neither_a_tensor_nor_an_array():
    for name, args in [("normal_", ()), ("zeros_", ()), ("xavier_uniform_", ()), ("eye_", ())]:
        with pytest.raises(TypeError, match=rf"^{name}: expected a tensor \(or a NumPy array\) to fill, got list$"):
            getattr(nn.init, name)([[0.0, 0.0], [0.0, 0.0]], *args)
    with pytest.raises(TypeError, match="normal_: draws of a continuous distribution need a floating-point tensor"):
        nn.init.normal_(np.zeros(3, np.int64))
