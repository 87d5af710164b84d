"""Lazy layers: the input size read from the first input, the layer they stand for afterwards (same
weights as that layer built directly under the same seed, same speed, same files), gradients of
the first forward pass (float64 finite differences), and the refusals before it.
(PyTorch comparisons: tests/reference/test_torch_lazy.py.)"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ShapeError

LAZY = [
    (lambda: nn.LazyLinear(4), lambda: nn.Linear(3, 4), (2, 3)),
    (lambda: nn.LazyLinear(4, bias=False), lambda: nn.Linear(3, 4, bias=False), (2, 5, 3)),
    (lambda: nn.LazyConv1d(4, 3, padding=1), lambda: nn.Conv1d(2, 4, 3, padding=1), (2, 2, 6)),
    (lambda: nn.LazyConv1d(4, 3), lambda: nn.Conv1d(2, 4, 3), (2, 6)),
    (lambda: nn.LazyConv2d(4, 3, stride=2), lambda: nn.Conv2d(3, 4, 3, stride=2), (2, 3, 7, 7)),
    (lambda: nn.LazyBatchNorm1d(momentum=0.2), lambda: nn.BatchNorm1d(3, momentum=0.2), (5, 3)),
    (lambda: nn.LazyBatchNorm1d(affine=False), lambda: nn.BatchNorm1d(3, affine=False), (5, 3, 4)),
    (lambda: nn.LazyBatchNorm2d(), lambda: nn.BatchNorm2d(2), (3, 2, 4, 4)),
]


@pytest.mark.parametrize("lazy, direct, shape", LAZY, ids=range(len(LAZY)))
def test_the_first_input_makes_the_layer_it_stands_for(lazy, direct, shape):
    dp.manual_seed(3)
    layer = lazy()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out = layer(x)
    after = dp.random.get_rng_state()
    dp.manual_seed(3)
    expected_layer = direct()
    assert dp.random.get_rng_state() == after  # the placeholders drew nothing; the weights drew the same
    assert type(layer) is type(expected_layer) and repr(layer) == repr(expected_layer)
    assert list(layer.state_dict()) == list(expected_layer.state_dict())
    for key, value in expected_layer.state_dict().items():
        if key != "num_batches_tracked":
            np.testing.assert_array_equal(layer.state_dict()[key] if "running" not in key else value, value, err_msg=key)
    np.testing.assert_allclose(out.data, expected_layer(x).data, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(layer(x).data, expected_layer(x).data)


@pytest.mark.parametrize("lazy, direct, shape", LAZY, ids=range(len(LAZY)))
def test_gradients_of_the_first_forward_pass(lazy, direct, shape):
    x = dp.tensor(np.random.default_rng(1).standard_normal(shape), dtype=np.float64, requires_grad=True)

    def first(x):  # a new lazy layer each time, with the same weights
        dp.manual_seed(0)
        return lazy().double()(x)

    assert dp.gradcheck(first, [x])


def test_placeholders_until_the_first_input_in_the_dtype_given():
    layer = nn.LazyLinear(4)
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.has_uninitialized_params()
    assert layer.weight.shape == (0,) and layer.num_parameters() == 0
    layer.double()
    layer(np.ones((1, 3)))
    assert layer.weight.dtype == np.float64 and layer.weight.shape == (4, 3)
    layer = nn.LazyConv2d(2, 3, dtype=np.float64).eval()
    layer(np.ones((1, 3, 4, 4)))
    assert layer.weight.dtype == np.float64 and not layer.training


def test_an_optimizer_built_before_the_first_input_is_refused():
    model = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(1))
    with pytest.raises(ConfigError) as caught:
        dp.optim.Adam(model.parameters())
    assert str(caught.value) == ("Adam: the parameter at position 0 of parameter group 0 is LazyLinear(out_features=4, "
                                 "bias=True)'s weight, which has no values until the layer's first input; run one "
                                 "forward pass before building the optimizer")
    model(np.ones((2, 3), dtype=np.float32))
    optimizer = dp.optim.Adam(model.parameters(), lr=0.01)
    x, y = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32), np.ones((16, 1), dtype=np.float32)
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 2


def test_saving_before_the_first_input_is_refused_and_after_it_round_trips(tmp_path):
    model = nn.Sequential(nn.LazyConv1d(2, 3), nn.Flatten(), nn.LazyLinear(1))
    with pytest.raises(ConfigError, match=r"^save: the layer '0' \(LazyConv1d\) has no weights until its first "
                                          r"input; run one forward pass before saving$"):
        dp.save(model, tmp_path / "m.dp")
    assert not (tmp_path / "m.dp").exists()
    x = np.ones((2, 4, 5), dtype=np.float32)
    expected = model(x).data
    dp.save(model, tmp_path / "m.dp")
    back = dp.load(tmp_path / "m.dp")
    assert type(back[0]) is nn.Conv1d and type(back[2]) is nn.Linear
    np.testing.assert_array_equal(back(x).data, expected)


@pytest.mark.parametrize("build, x, error, message", [
    (lambda: nn.LazyConv2d(4, 3), np.ones((5, 5)), ShapeError,
     "LazyConv2d expected input of shape (N, C, H, W) or (C, H, W), got shape (5, 5)"),
    (lambda: nn.LazyBatchNorm1d(), np.ones(3), ShapeError,
     "LazyBatchNorm1d expected input of shape (N, C) or (N, C, L), got shape (3,)"),
    (lambda: nn.LazyLinear(2), np.ones((2, 0)), ShapeError,
     "LazyLinear expected input of shape (N, in_features) with in_features at least 1, got shape (2, 0)"),
    (lambda: nn.LazyConv1d(4, 3, groups=3), np.ones((1, 2, 5)), ConfigError, "in_channels"),
])
def test_a_first_input_that_does_not_fit_is_refused(build, x, error, message):
    with pytest.raises(error) as caught:
        build()(x)
    assert message in str(caught.value)


def test_bad_arguments_are_refused_at_once_naming_the_lazy_layer():
    with pytest.raises(ConfigError, match=r"^LazyLinear: out_features must be a positive integer, got 0$"):
        nn.LazyLinear(0)
    with pytest.raises(ConfigError, match="^LazyConv2d: "):
        nn.LazyConv2d(4, 0)
