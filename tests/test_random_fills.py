"""The in-place random fills of a tensor, PyTorch's ``normal_``, ``uniform_``, ``bernoulli_``,
``exponential_``, ``geometric_``, ``cauchy_``, ``log_normal_`` and ``random_``: drawn from the
library's generator (repeatable under ``manual_seed``), of the right distribution (checked over
100,000 draws), in the tensor's own dtype, and refusing arguments PyTorch refuses.
"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, GradError

N = 100_000

# name: (arguments, expected mean, expected standard deviation)
CONTINUOUS = {
    "normal_": ((2.0, 3.0), 2.0, 3.0),
    "normal_ default": ((), 0.0, 1.0),
    "uniform_": ((-1.0, 3.0), 1.0, 4.0 / np.sqrt(12)),
    "uniform_ default": ((), 0.5, 1.0 / np.sqrt(12)),
    "exponential_": ((2.0,), 0.5, 0.5),
    "exponential_ default": ((), 1.0, 1.0),
    "bernoulli_": ((0.3,), 0.3, np.sqrt(0.3 * 0.7)),
    "bernoulli_ default": ((), 0.5, 0.5),
    "geometric_": ((0.25,), 4.0, np.sqrt(0.75) / 0.25),
    "log_normal_": ((0.2, 0.3), np.exp(0.2 + 0.3**2 / 2), np.sqrt((np.exp(0.3**2) - 1) * np.exp(0.4 + 0.3**2))),
}


def fill(name, tensor):
    args = CONTINUOUS[name][0]
    return getattr(tensor, name.split()[0])(*args)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("name", list(CONTINUOUS))
def test_the_draws_have_the_distributions_mean_and_spread_and_the_tensors_dtype(name, dtype):
    dp.manual_seed(1)
    x = dp.zeros(N, dtype=dtype)
    assert fill(name, x) is x and x.dtype == np.dtype(dtype)
    _, mean, std = CONTINUOUS[name]
    values = x.data.astype(np.float64)
    tolerance = 0.02 * max(std, 1.0) + (0.01 * abs(mean) if dtype == np.float16 else 0.0)
    assert abs(values.mean() - mean) < tolerance
    assert abs(values.std() - std) < tolerance


def test_the_supports_are_the_distributions():
    dp.manual_seed(2)
    x = dp.zeros(N, dtype=np.float64)
    assert (x.uniform_(-1.0, 3.0).data >= -1.0).all() and (x.data < 3.0).all()
    assert set(np.unique(x.bernoulli_(0.3).data)) == {0.0, 1.0}
    assert (x.exponential_().data >= 0).all()
    assert x.geometric_(0.25).data.min() == 1 and (x.data == np.round(x.data)).all()
    assert (x.log_normal_().data > 0).all()


def test_cauchy_has_its_median_and_quartiles():
    dp.manual_seed(3)
    values = dp.zeros(N, dtype=np.float64).cauchy_(1.0, 2.0).data
    assert np.quantile(values, [0.25, 0.5, 0.75]) == pytest.approx([-1.0, 1.0, 3.0], abs=0.1)
    assert np.median(dp.zeros(N).cauchy_().data) == pytest.approx(0.0, abs=0.05)


def test_log_normal_is_the_exponential_of_a_normal():
    dp.manual_seed(4)
    logs = np.log(dp.zeros(N, dtype=np.float64).log_normal_(0.5, 0.4).data)
    assert logs.mean() == pytest.approx(0.5, abs=0.01) and logs.std() == pytest.approx(0.4, abs=0.01)


def test_bernoulli_takes_a_probability_per_element():
    dp.manual_seed(5)
    p = np.array([0.0, 0.2, 0.9, 1.0])
    x = dp.zeros(N, 4).bernoulli_(dp.tensor(p))
    assert x.data.mean(axis=0) == pytest.approx(p, abs=0.01)
    assert dp.zeros(N, 4, dtype=np.int64).bernoulli_(p).data.sum(axis=0)[[0, 3]].tolist() == [0, N]


@pytest.mark.parametrize("dtype, args, low, high", [
    (np.int64, (3, 9), 3, 9), (np.int64, (10,), 0, 10), (np.float32, (-4, 4), -4, 4), (np.uint8, (), 0, 256),
    (np.int8, (), 0, 128), (np.bool_, (), 0, 2), (np.float16, (), 0, 2**11 + 1), (np.float32, (), 0, 2**24 + 1),
    (np.int16, (), 0, 2**15), (np.int32, (5, None), 5, 2**31), (np.float64, (), 0, 2**53 + 1),
])
def test_random_draws_the_integers_of_its_range_in_the_tensors_dtype(dtype, args, low, high):
    dp.manual_seed(6)
    x = dp.zeros(N, dtype=dtype)
    assert x.random_(*args) is x and x.dtype == np.dtype(dtype)
    values = x.data.astype(np.float64)
    assert values.min() >= low and values.max() < high and (values == np.round(values)).all()
    if high - low <= 256:  # each integer of a small range is drawn, about equally often
        counts = np.bincount((values - low).astype(int), minlength=high - low)
        assert len(counts) == high - low and counts.min() > 0.8 * N / (high - low)
    else:  # a wide range is spread over it
        assert abs(values.mean() - (low + high - 1) / 2) < 0.02 * (high - low)


@pytest.mark.parametrize("call", [
    lambda x: x.normal_(), lambda x: x.uniform_(-1, 1), lambda x: x.bernoulli_(0.4), lambda x: x.exponential_(),
    lambda x: x.geometric_(0.3), lambda x: x.cauchy_(), lambda x: x.log_normal_(), lambda x: x.random_(0, 50),
], ids=["normal_", "uniform_", "bernoulli_", "exponential_", "geometric_", "cauchy_", "log_normal_", "random_"])
def test_the_draws_are_repeatable_under_manual_seed_and_differ_without_it(call):
    dp.manual_seed(11)
    first = call(dp.zeros(3, 4)).data.copy()
    second = call(dp.zeros(3, 4)).data.copy()
    dp.manual_seed(11)
    np.testing.assert_array_equal(call(dp.zeros(3, 4)).data, first)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("name, init, args", [
    ("normal_", nn.init.normal_, (0.5, 2.0)), ("uniform_", nn.init.uniform_, (-0.3, 0.7)),
])
def test_the_methods_draw_what_nn_init_draws(name, init, args):
    dp.manual_seed(12)
    weight = nn.Parameter(dp.zeros(4, 5))
    init(weight, *args)
    dp.manual_seed(12)
    with dp.no_grad():
        again = getattr(nn.Parameter(dp.zeros(4, 5)), name)(*args)
    np.testing.assert_array_equal(again.data, weight.data)


def test_a_custom_weight_init_under_no_grad_keeps_parameters_as_they_were():
    dp.manual_seed(13)
    model = nn.Sequential(nn.Linear(200, 300), nn.ReLU(), nn.Linear(300, 2))
    with dp.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                module.weight.normal_(0.0, 0.02)
                module.bias.uniform_(-0.1, 0.1)
    first = model[0]
    assert first.weight.std().item() == pytest.approx(0.02, abs=0.001) and first.weight.requires_grad
    assert first.weight.dtype == np.float32 and abs(first.bias.data).max() <= 0.1
    model(dp.randn(5, 200)).sum().backward()
    assert first.weight.grad.shape == (300, 200)


@pytest.mark.parametrize("call, message", [
    (lambda x: x.normal_(0.0, -1.0), r"normal_: std must be at least 0, got -1.0"),
    (lambda x: x.uniform_(1.0, 0.0), r"uniform_: from must be at most to \(the range is \[from, to\)\), got from=1.0, to=0.0"),
    (lambda x: x.bernoulli_(1.5), r"bernoulli_: p must be a probability in \[0, 1\], got 1.5"),
    (lambda x: x.bernoulli_(dp.tensor([0.5, -0.1])), r"bernoulli_: p must hold probabilities in \[0, 1\], got a value of -0.1"),
    (lambda x: x.exponential_(0.0), r"exponential_: lambd must be above 0, got 0.0"),
    (lambda x: x.geometric_(1.0), r"geometric_: p must be in \(0, 1\), got 1.0"),
    (lambda x: x.geometric_(0.0), r"geometric_: p must be in \(0, 1\), got 0.0"),
    (lambda x: x.cauchy_(0.0, 0.0), r"cauchy_: sigma must be above 0, got 0.0"),
    (lambda x: x.log_normal_(1.0, 0.0), r"log_normal_: std must be above 0, got 0.0"),
    (lambda x: x.random_(5, 2), r"random_: from must be below to \(the range is \[from, to\)\), got from=5, to=2"),
])
def test_arguments_pytorch_refuses_are_refused_in_one_sentence(call, message):
    x = dp.zeros(2)
    with pytest.raises(ConfigError, match=message):
        call(x)
    assert x.data.tolist() == [0.0, 0.0]


def test_random_takes_integers_only():
    with pytest.raises(TypeError, match=r"random_: to must be an integer, got 0.5"):
        dp.zeros(2).random_(0.5)
    with pytest.raises(TypeError, match=r"random_: takes \(to\) or \(from, to\), got 3 arguments"):
        dp.zeros(2).random_(0, 1, 2)


@pytest.mark.parametrize("dtype, args, message", [
    (np.uint8, (-1, 3), r"random_: the range \[-1, 3\) reaches outside what uint8 holds \[0, 255\]"),
    (np.int8, (0, 300), r"random_: the range \[0, 300\) reaches outside what int8 holds \[-128, 127\]"),
])
def test_random_refuses_a_range_the_dtype_cannot_hold(dtype, args, message):
    with pytest.raises(ConfigError, match=message):
        dp.zeros(2, dtype=dtype).random_(*args)


@pytest.mark.parametrize("name", ["normal_", "uniform_", "exponential_", "cauchy_", "log_normal_"])
def test_continuous_draws_refuse_an_integer_tensor_as_pytorch_does(name):
    with pytest.raises(TypeError, match=f"{name}: draws of a continuous distribution need a floating-point tensor; "
                                        "this one is int64"):
        getattr(dp.zeros(3, dtype=np.int64), name)()


def test_discrete_draws_fill_integer_tensors_as_pytorchs_do():
    dp.manual_seed(14)
    assert set(dp.zeros(1000, dtype=np.int64).bernoulli_(0.5).data.tolist()) == {0, 1}
    assert dp.zeros(1000, dtype=np.int32).geometric_(0.5).data.min() == 1


def test_a_read_only_view_is_refused():
    with pytest.raises(TypeError, match="normal_: this tensor of shape \\(2, 3\\) is read-only"):
        dp.zeros(3).expand(2, 3).normal_()


def test_a_fill_is_refused_on_a_leaf_that_requires_grad_outside_no_grad():
    with pytest.raises(GradError, match="uniform_: a leaf tensor that requires grad cannot be changed in place"):
        nn.Parameter(dp.zeros(3)).uniform_()
