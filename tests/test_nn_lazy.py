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
    (lambda: nn.LazyConv2d(4, 3, groups=2), lambda: nn.Conv2d(2, 4, 3, groups=2), (2, 2, 5, 5)),
    (lambda: nn.LazyConv3d(4, (2, 3, 2), padding=1), lambda: nn.Conv3d(3, 4, (2, 3, 2), padding=1), (2, 3, 3, 4, 3)),
    (lambda: nn.LazyConv3d(2, 2, groups=2, bias=False), lambda: nn.Conv3d(4, 2, 2, groups=2, bias=False), (4, 3, 3, 3)),
    (lambda: nn.LazyConvTranspose1d(4, 3, stride=2, output_padding=1), lambda: nn.ConvTranspose1d(2, 4, 3, stride=2, output_padding=1),
     (2, 2, 5)),
    (lambda: nn.LazyConvTranspose1d(3, 2), lambda: nn.ConvTranspose1d(2, 3, 2), (2, 5)),
    (lambda: nn.LazyConvTranspose2d(4, 3, groups=2, dilation=2), lambda: nn.ConvTranspose2d(6, 4, 3, groups=2, dilation=2),
     (2, 6, 4, 4)),
    (lambda: nn.LazyConvTranspose3d(2, 2, stride=(1, 2, 1)), lambda: nn.ConvTranspose3d(3, 2, 2, stride=(1, 2, 1)),
     (2, 3, 2, 3, 2)),
    (lambda: nn.LazyBatchNorm3d(momentum=None), lambda: nn.BatchNorm3d(2, momentum=None), (3, 2, 2, 3, 2)),
    (lambda: nn.LazyInstanceNorm1d(), lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (2, 3, 5)),
    (lambda: nn.LazyInstanceNorm1d(), lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), (3, 5)),
    (lambda: nn.LazyInstanceNorm2d(affine=False, bias=False), lambda: nn.InstanceNorm2d(2, track_running_stats=True),
     (2, 2, 3, 4)),
    (lambda: nn.LazyInstanceNorm2d(affine=False, track_running_stats=False), lambda: nn.InstanceNorm2d(2), (2, 3, 4)),
    (lambda: nn.LazyInstanceNorm3d(eps=1e-3), lambda: nn.InstanceNorm3d(2, eps=1e-3, affine=True, track_running_stats=True),
     (2, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("lazy, direct, shape", LAZY, ids=range(len(LAZY)))
def test_the_first_input_makes_the_layer_it_stands_for(lazy, direct, shape):
    dp.manual_seed(3)
    layer = lazy()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out = layer(x)
    after = dp.random.state_dict()
    dp.manual_seed(3)
    expected_layer = direct()
    assert dp.random.state_dict() == after  # the placeholders drew nothing; the weights drew the same
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
    (lambda: nn.LazyConv1d(4, 3, groups=3), np.ones((1, 2, 5)), ConfigError, "LazyConv1d: out_channels=4 is not divisible by groups=3"),
    (lambda: nn.LazyConv1d(6, 3, groups=3), np.ones((1, 2, 5)), ConfigError,
     "LazyConv1d: in_channels=2 (axis 1 of the input of shape (1, 2, 5)) is not divisible by groups=3"),
    (lambda: nn.LazyConvTranspose2d(4, 3, groups=2), np.ones((3, 4, 4)), ConfigError,
     "LazyConvTranspose2d: in_channels=3 (axis 0 of the input of shape (3, 4, 4)) is not divisible by groups=2"),
    (lambda: nn.LazyConv3d(4, 3), np.ones((2, 3, 4)), ShapeError,
     "LazyConv3d expected input of shape (N, C, D, H, W) or (C, D, H, W), got shape (2, 3, 4)"),
    (lambda: nn.LazyConvTranspose1d(4, 3), np.ones((1, 2, 3, 4)), ShapeError,
     "LazyConvTranspose1d expected input of shape (N, C, L) or (C, L), got shape (1, 2, 3, 4)"),
    (lambda: nn.LazyBatchNorm3d(), np.ones((2, 3, 4, 4)), ShapeError,
     "LazyBatchNorm3d expected input of shape (N, C, D, H, W), got shape (2, 3, 4, 4)"),
    (lambda: nn.LazyInstanceNorm2d(), np.ones((2, 3)), ShapeError,
     "LazyInstanceNorm2d expected input of shape (N, C, H, W) or (C, H, W), got shape (2, 3)"),
    (lambda: nn.LazyInstanceNorm3d(), np.ones((1, 0, 2, 2, 2)), ShapeError,
     "LazyInstanceNorm3d expected at least one channel, got input of shape (1, 0, 2, 2, 2)"),
])
def test_a_first_input_that_does_not_fit_is_refused(build, x, error, message):
    with pytest.raises(error) as caught:
        layer = build()
        layer(x)
    assert message in str(caught.value)
    if "in_channels=" in message:  # refused before the layer changed: still lazy, and a fitting input works
        assert type(layer).__name__.startswith("Lazy") and layer.has_uninitialized_params()
        fitting = list(x.shape)
        fitting[1 if len(fitting) in layer._batched else 0] = 6  # divisible by the groups (2, 3)
        assert layer(np.ones(fitting, np.float32)).ndim == len(fitting) and not type(layer).__name__.startswith("Lazy")


def test_bad_arguments_are_refused_at_once_naming_the_lazy_layer():
    with pytest.raises(ConfigError, match=r"^LazyLinear: out_features must be a positive integer, got 0$"):
        nn.LazyLinear(0)
    with pytest.raises(ConfigError, match="^LazyConv2d: "):
        nn.LazyConv2d(4, 0)
    with pytest.raises(ConfigError, match=r"^LazyConvTranspose2d: out_channels=3 is not divisible by groups=2$"):
        nn.LazyConvTranspose2d(3, 2, groups=2)
    with pytest.raises(ConfigError, match="^LazyConvTranspose1d: "):
        nn.LazyConvTranspose1d(2, 3, padding_mode="reflect")
    with pytest.raises(ConfigError, match="^LazyInstanceNorm3d: eps must be a positive number"):
        nn.LazyInstanceNorm3d(eps=-1.0)


def test_the_new_lazy_layers_save_after_their_first_input_as_the_layers_they_became(tmp_path):
    model = nn.Sequential(nn.LazyConv3d(4, 2), nn.LazyBatchNorm3d(), nn.LazyInstanceNorm3d(), nn.LazyConvTranspose3d(2, 2),
                          nn.Flatten(2), nn.LazyInstanceNorm1d(), nn.Unflatten(2, (5, 5, 5)), nn.Flatten(1, 2),
                          nn.LazyConvTranspose2d(3, 2, groups=1), nn.LazyInstanceNorm2d(), nn.Flatten(1, 2),
                          nn.LazyConvTranspose1d(2, 3))
    with pytest.raises(ConfigError, match=r"^save: the layer '0' \(LazyConv3d\) has no weights until its first input"):
        dp.save(model, tmp_path / "m.dp")
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5, 5)).astype(np.float32)
    model(x)
    model.eval()
    expected = model(x).data
    dp.save(model, tmp_path / "m.dp")
    back = dp.load(tmp_path / "m.dp")
    assert [type(layer).__name__ for layer in back] == [
        "Conv3d", "BatchNorm3d", "InstanceNorm3d", "ConvTranspose3d", "Flatten", "InstanceNorm1d", "Unflatten", "Flatten",
        "ConvTranspose2d", "InstanceNorm2d", "Flatten", "ConvTranspose1d"]
    assert repr(back) == repr(model)
    np.testing.assert_array_equal(back(x).data, expected)
