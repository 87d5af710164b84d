"""Upsample / interpolate, PixelShuffle, InstanceNorm, AdaptiveMaxPool, reflection and replication
padding, Unfold and Fold: finite differences, worked examples, configs and model files, a conv
autoencoder trained with fit, and the errors. (Comparisons with PyTorch: tests/reference/test_torch_spatial.py.)"""

import json
import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ModelFileError, ShapeError
from deltaprop.nn import functional as F


def tensor(array, requires_grad=True):
    return dp.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad, dtype=np.float64)


def randn(*shape, seed=0):
    return tensor(np.random.default_rng(seed).standard_normal(shape))


# -- finite differences, float64 ------------------------------------------------------------------------

FUNCTIONS = [
    ("nearest x2", lambda x: F.interpolate(x, scale_factor=2), (2, 2, 3)),
    ("nearest 2-d, down and up", lambda x: F.interpolate(x, size=(2, 7)), (1, 2, 5, 3)),
    ("nearest x1.7", lambda x: F.interpolate(x, scale_factor=1.7), (2, 1, 4, 3)),
    ("nearest-exact", lambda x: F.interpolate(x, scale_factor=0.6, mode="nearest-exact"), (2, 2, 7)),
    ("linear", lambda x: F.interpolate(x, size=9, mode="linear"), (2, 2, 4)),
    ("linear corners", lambda x: F.interpolate(x, scale_factor=1.5, mode="linear", align_corners=True), (2, 2, 4)),
    ("linear down", lambda x: F.interpolate(x, scale_factor=0.4, mode="linear"), (1, 2, 9)),
    ("bilinear", lambda x: F.interpolate(x, scale_factor=(1.5, 2.5), mode="bilinear"), (2, 2, 3, 3)),
    ("bilinear corners", lambda x: F.interpolate(x, size=(5, 2), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    ("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), (2, 8, 2, 3)),
    ("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2), (2, 2, 4, 6)),
    ("instance_norm", lambda x: F.instance_norm(x, eps=1e-3), (2, 3, 5)),
    ("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 4), (2, 3, 7)),
    ("adaptive_max_pool2d overlapping", lambda x: F.adaptive_max_pool2d(x, (3, 5)), (2, 2, 4, 3)),
    ("reflect", lambda x: F.pad(x, (2, 1, 1, 3), "reflect"), (2, 2, 4, 5)),
    ("replicate", lambda x: F.pad(x, (3, 1, 0, 2), "replicate"), (2, 2, 3, 3)),
    ("circular", lambda x: F.pad(x, (2, 3), "circular"), (2, 3, 4)),
    ("reflect, cropping", lambda x: F.pad(x, (-1, 3, 2, -4), "reflect"), (2, 2, 4, 5)),
    ("replicate, cropping", lambda x: F.pad(x, (-2, 1, 2, -1), "replicate"), (2, 2, 3, 3)),
    ("circular, cropping", lambda x: F.pad(x, (-1, 2, 1, -1), "circular"), (2, 3, 4)),
    ("unfold", lambda x: F.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), (2, 2, 5, 6)),
    ("fold", lambda x: F.fold(x, (4, 5), 2, padding=(1, 0)), (2, 8, 20)),
    ("unfold unbatched", lambda x: F.unfold(x, 2), (3, 3, 3)),
]


@pytest.mark.parametrize("name, function, shape", FUNCTIONS, ids=[case[0] for case in FUNCTIONS])
def test_gradients_match_finite_differences(name, function, shape):
    assert dp.gradcheck(function, [randn(*shape)])


@pytest.mark.parametrize("layer, shape", [
    (nn.InstanceNorm1d(3, affine=True), (2, 3, 6)),
    (nn.InstanceNorm2d(2, affine=True, bias=False), (2, 2, 3, 3)),
    (nn.InstanceNorm2d(2, affine=True), (2, 4, 3)),  # unbatched
], ids=repr)
def test_instance_norm_weight_gradients_match_finite_differences(layer, shape):
    """gradcheck with respect to the input and γ, β, handed to the layer in place of its own (as
    tests/test_nn_gradcheck.py's check_module does)."""
    layer.to(np.float64)
    layer.weight.data[...] = np.linspace(0.5, 2.0, layer.num_features)
    names = [name for name, _ in layer.named_parameters()]
    originals = [getattr(layer, name) for name in names]

    def run(x, *parameters):
        for name, value in zip(names, parameters):
            object.__setattr__(layer, name, value)
        try:
            return layer(x)
        finally:
            for name, value in zip(names, originals):
                object.__setattr__(layer, name, value)

    assert dp.gradcheck(run, [randn(*shape), *[tensor(p.data) for p in originals]])


# -- worked examples -------------------------------------------------------------------------------------

def test_nearest_upsampling_repeats_and_its_gradient_sums():
    x = tensor([[[1.0, 2.0, 3.0]]])
    out = nn.Upsample(scale_factor=2)(x)
    np.testing.assert_array_equal(out.data, [[[1, 1, 2, 2, 3, 3]]])
    out.backward(np.array([[[1.0, 10, 100, 1000, 1e4, 1e5]]]))
    np.testing.assert_array_equal(x.grad, [[[11, 1100, 110000]]])


def test_nearest_takes_the_floor_not_the_nearest_centre():
    # 3 -> 5: output j reads input floor(j * 3/5) = 0, 0, 1, 1, 2; 'nearest-exact' floor((j + 0.5) * 3/5) = 0, 0, 1, 2, 2
    x = tensor([[[10.0, 20.0, 30.0]]])
    np.testing.assert_array_equal(F.interpolate(x, size=5).data, [[[10, 10, 20, 20, 30]]])
    np.testing.assert_array_equal(F.interpolate(x, size=5, mode="nearest-exact").data, [[[10, 10, 20, 30, 30]]])


def test_linear_places_samples_by_pixel_area_or_by_corners():
    x = tensor([[[0.0, 1.0]]])
    # align_corners=False: source = (j + 0.5)/2 − 0.5 = −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to the last pixel)
    np.testing.assert_allclose(F.interpolate(x, size=4, mode="linear").data, [[[0, 0.25, 0.75, 1]]])
    # align_corners=True: source = j·(2 − 1)/(4 − 1)
    np.testing.assert_allclose(F.interpolate(x, size=4, mode="linear", align_corners=True).data, [[[0, 1 / 3, 2 / 3, 1]]])


def test_bilinear_centre_is_the_mean_of_the_corners():
    x = tensor([[[[1.0, 2.0], [3.0, 6.0]]]])
    out = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True)
    assert out.data[0, 0, 1, 1] == pytest.approx(3.0)
    np.testing.assert_allclose(out.data[0, 0, 0], [1, 1.5, 2])


def test_reflection_and_replication_padding_by_hand():
    x = tensor([[[1.0, 2.0, 3.0]]])
    np.testing.assert_array_equal(nn.ReflectionPad1d(2)(x).data, [[[3, 2, 1, 2, 3, 2, 1]]])
    np.testing.assert_array_equal(nn.ReplicationPad1d((1, 2))(x).data, [[[1, 1, 2, 3, 3, 3]]])
    out = nn.ReflectionPad1d(2)(x)
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(x.grad, [[[2, 3, 2]]])  # the edges are read once, the middle three times


def test_pixel_shuffle_puts_channel_groups_into_blocks():
    x = tensor(np.arange(8.0).reshape(1, 4, 1, 2))
    np.testing.assert_array_equal(F.pixel_shuffle(x, 2).data[0, 0], [[0, 2, 1, 3], [4, 6, 5, 7]])
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).data, x.data)


def test_adaptive_max_pool_bins_and_indices():
    x = tensor([[[1.0, 5.0, 2.0, 4.0, 3.0]]])  # 5 -> 2 bins: positions 0..2 and 2..4
    out, index = nn.AdaptiveMaxPool1d(2, return_indices=True)(x)
    np.testing.assert_array_equal(out.data, [[[5, 4]]])
    np.testing.assert_array_equal(index.data, [[[1, 3]]])
    x = tensor([[[1.0, 2.0, 9.0, 0.0, 3.0]]])  # position 2 wins both bins and gets both gradients
    out = F.adaptive_max_pool1d(x, 2)
    out.backward(np.array([[[1.0, 10.0]]]))
    np.testing.assert_array_equal(x.grad, [[[0, 0, 11, 0, 0]]])


def test_instance_norm_normalises_each_channel_of_each_sample():
    x = randn(3, 2, 4, 5) * 3 + 7
    out = nn.InstanceNorm2d(2)(x).data
    np.testing.assert_allclose(out.mean(axis=(2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(2, 3)), 1, rtol=1e-3)


def test_fold_of_unfold_counts_the_windows_over_each_position():
    x = randn(2, 3, 4, 5)
    counts = F.fold(F.unfold(tensor(np.ones((1, 1, 4, 5))), 2), (4, 5), 2).data
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 2, 2, 1], [2, 4, 4, 4, 2], [2, 4, 4, 4, 2], [1, 2, 2, 2, 1]])
    np.testing.assert_allclose(F.fold(F.unfold(x, 2), (4, 5), 2).data, x.data * counts)
    # an unfolded convolution is the convolution
    weight = randn(4, 3, 2, 2, seed=1)
    columns = F.unfold(x, 2)
    out = (weight.reshape(4, 12) @ columns).reshape(2, 4, 3, 4)
    np.testing.assert_allclose(out.data, F.conv2d(x, weight).data, rtol=1e-12)


def test_interpolate_keeps_float32_and_nearest_keeps_integers():
    x = dp.randn(1, 2, 3, 3)
    assert F.interpolate(x, scale_factor=2, mode="bilinear").dtype == np.float32
    labels = dp.tensor(np.arange(4).reshape(1, 1, 2, 2))
    out = F.interpolate(labels, scale_factor=2)
    assert out.dtype == labels.dtype and out.data[0, 0, 3, 3] == 3


@pytest.mark.parametrize("shape, options", [
    ((2, 3, 100), dict(size=300, mode="linear")),
    ((1, 1, 1000), dict(size=2500, mode="linear")),
    ((1, 1, 3000), dict(size=1000, mode="linear", align_corners=True)),
    ((1, 2, 60, 60), dict(size=(150, 150), mode="bilinear")),
    ((1, 2, 40, 50), dict(scale_factor=2.5, mode="bilinear", align_corners=True)),
], ids=lambda v: str(v))
def test_float16_interpolation_places_its_samples_as_float64_does(shape, options):
    # The source positions and weights λ of a float16 input are computed in float32, as PyTorch
    # computes them (its "opmath" type); in float16 itself a position past 2048 cannot even be
    # held, and positions of a few hundred were off by up to 0.25, so the values were wrong.
    X = np.random.default_rng(0).standard_normal(shape)
    direction = np.random.default_rng(1).standard_normal(F.interpolate(dp.zeros(shape), **options).shape)
    results = {}
    for dtype in (np.float16, np.float64):
        x = dp.tensor(X.astype(dtype), dtype=dtype, requires_grad=True)
        out = F.interpolate(x, **options)
        (out * dp.tensor(direction.astype(dtype), dtype=dtype)).sum().backward()
        assert out.dtype == dtype and x.grad.dtype == dtype
        results[dtype] = out.data.astype(np.float64), x.grad.astype(np.float64)
    for ours, exact in zip(results[np.float16], results[np.float64]):
        np.testing.assert_allclose(ours, exact, atol=3e-3 * np.abs(exact).max())
    torch = pytest.importorskip("torch")
    t = torch.tensor(X.astype(np.float16), requires_grad=True)
    theirs = torch.nn.functional.interpolate(t, **options)
    theirs.backward(torch.tensor(direction.astype(np.float16)))
    np.testing.assert_allclose(results[np.float16][0], theirs.detach().numpy().astype(np.float64),
                               atol=3e-3 * np.abs(results[np.float64][0]).max())
    np.testing.assert_allclose(results[np.float16][1], t.grad.numpy().astype(np.float64),
                               atol=3e-3 * np.abs(results[np.float64][1]).max())


# -- configs and model files -------------------------------------------------------------------------------

CONFIG_LAYERS = [
    nn.Upsample(scale_factor=2), nn.Upsample(size=(4, 5), mode="bilinear", align_corners=True),
    nn.Upsample(scale_factor=(1.5, 2), mode="nearest-exact", recompute_scale_factor=True),
    nn.Upsample(size=7, mode="linear"), nn.UpsamplingNearest2d(size=3), nn.UpsamplingBilinear2d(scale_factor=2),
    nn.PixelShuffle(3), nn.PixelUnshuffle(2), nn.ChannelShuffle(3),
    nn.Unfold((2, 3), dilation=2, padding=(1, 0), stride=2), nn.Fold((6, 7), 3, padding=1),
]


@pytest.mark.parametrize("layer", CONFIG_LAYERS, ids=repr)
def test_config_rebuilds_an_equal_layer(layer):
    config = json.loads(json.dumps(layer.config()))  # what a saved architecture holds
    rebuilt = type(layer)(**config)
    assert rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)
    assert rebuilt.state_dict() == {} == layer.state_dict()


def test_every_layer_of_the_file_is_covered():
    classes = {getattr(nn, name) for name in nn.__all__}
    assert {c for c in classes if isinstance(c, type) and c.__module__ == "deltaprop.nn.spatial"} == {
        type(layer) for layer in CONFIG_LAYERS}


def image_model():
    return nn.Sequential(
        nn.ReflectionPad2d(1), nn.Conv2d(2, 4, 3), nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
        nn.ReLU(), nn.AdaptiveMaxPool2d((3, None)), nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.ReplicationPad2d((1, 0, 0, 1)), nn.Conv2d(4, 8, 3), nn.PixelShuffle(2), nn.InstanceNorm2d(2),
        nn.PixelUnshuffle(2), nn.Upsample(size=(4, 4)), nn.Unfold(2), nn.Fold((4, 4), 2),
        nn.Flatten(), nn.Unflatten(1, (8, 16)), nn.ReflectionPad1d((2, 1)), nn.InstanceNorm1d(8),
        nn.AdaptiveMaxPool1d(5), nn.ReplicationPad1d(1), nn.Upsample(scale_factor=1.5, mode="linear", align_corners=True),
    )


def test_a_model_of_the_spatial_layers_saves_and_loads(tmp_path):
    dp.manual_seed(0)
    model = image_model()
    x = dp.randn(2, 2, 6, 5)
    model(x).sum().backward()
    dp.optim.SGD(model.parameters(), lr=0.1).step()
    model(dp.randn(2, 2, 6, 5))  # the running statistics move
    model.eval()
    dp.save(model, tmp_path / "model.safetensors")
    loaded = dp.load(tmp_path / "model.safetensors")
    assert repr(loaded) == repr(model) and list(loaded.state_dict()) == list(model.state_dict())
    assert "2.running_mean" in loaded.state_dict() and not loaded.training
    np.testing.assert_array_equal(loaded.state_dict()["2.running_var"], model.state_dict()["2.running_var"])
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


def _edited(path, edit):
    from safetensors.numpy import save_file

    from deltaprop.serialization import _read

    tensors, info = _read(path)
    edit(info)
    save_file(tensors, str(path), metadata={"deltaprop": json.dumps(info)})


@pytest.mark.parametrize("layer, change, message", [
    (nn.Upsample(size=(2, 2)), dict(size=[60000, 60000]), "asks for far more weights than the file's"),
    (nn.Upsample(scale_factor=2), dict(scale_factor=float("nan")), "scale_factor must be a positive finite number"),
    (nn.Upsample(scale_factor=2), dict(scale_factor=2.0, size=3), "give exactly one of size and scale_factor"),
    (nn.Fold((4, 4), 2), dict(output_size=[2**40, 4]), "larger than the file's own weights allow"),
    (nn.InstanceNorm2d(3, affine=True), dict(num_features=4), "the weights do not fit the architecture"),
    (nn.PixelShuffle(2), dict(upscale_factor=-1), "PixelShuffle: upscale_factor must be a positive integer"),
    (nn.ReflectionPad2d(1), dict(padding=[1, 0.5, 0, 0]), "ReflectionPad2d: padding must be an integer or a tuple of 4 integers"),
])
def test_hostile_or_damaged_configs_are_refused(tmp_path, layer, change, message):
    path = tmp_path / "model.safetensors"
    dp.save(nn.Sequential(nn.Linear(2, 2), layer), path)
    _edited(path, lambda info: info["architecture"]["children"][1]["config"].update(change))
    with pytest.raises(ModelFileError, match=re.escape(message)):
        dp.load(path)


# -- training ------------------------------------------------------------------------------------------------

def test_a_conv_autoencoder_with_upsample_learns():
    rng = np.random.default_rng(0)
    # smooth 8x8 images: a blob at a random place
    grid = np.arange(8)
    centres = rng.uniform(1, 7, size=(96, 2))
    images = np.exp(-((grid[None, :, None] - centres[:, 0, None, None]) ** 2
                      + (grid[None, None, :] - centres[:, 1, None, None]) ** 2) / 4.0)[:, None].astype(np.float32)
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(2),
        nn.Upsample(scale_factor=2, mode="bilinear"), nn.ReflectionPad2d(1), nn.Conv2d(4, 8, 3), nn.InstanceNorm2d(8, affine=True),
        nn.ReLU(), nn.Upsample(scale_factor=2), nn.Conv2d(8, 1, 3, padding=1),
    )
    history = dp.fit(model, images, images, loss="mse", optimizer=dp.optim.Adam(model.parameters(), lr=0.01),
                     epochs=12, batch_size=16, verbose=0, seed=0)
    losses = history.history["loss"]
    assert model(images[:2]).shape == (2, 1, 8, 8)
    assert losses[-1] < 0.2 * losses[0], losses


# -- errors ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("build, message", [
    (lambda: nn.Upsample(), "Upsample: give exactly one of size and scale_factor"),
    (lambda: nn.Upsample(size=2, scale_factor=2), "Upsample: give exactly one of size and scale_factor"),
    (lambda: nn.Upsample(scale_factor=0), "Upsample: scale_factor must be a positive finite number"),
    (lambda: nn.Upsample(scale_factor=(1, 2, 3, 4)), "Upsample: scale_factor must be a positive finite number or a sequence of one to three"),
    (lambda: nn.Upsample(size=2.5), "Upsample: size must be a positive integer"),
    (lambda: nn.Upsample(scale_factor=2, mode="area"), "Upsample: mode must be one of 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', got 'area'"),
    (lambda: nn.Upsample(scale_factor=2, align_corners=True), "Upsample: align_corners must be None, or True or False with mode 'linear', 'bilinear', 'bicubic' or 'trilinear'"),
    (lambda: F.interpolate(dp.ones(1, 1, 2), scale_factor=2, align_corners=False), "interpolate: align_corners can only be set"),
    (lambda: F.interpolate(dp.ones(1, 1, 2), scale_factor=2, antialias=True),
     "interpolate: antialias=True takes mode 'bilinear', 'bicubic' or 'lanczos' and input of shape (N, C, H, W), "
     "got mode='nearest' and shape (1, 1, 2)"),
    (lambda: F.interpolate(dp.ones(1, 1, 2, 2), scale_factor=(2, 2, 2)), "interpolate: scale_factor must be a number or a sequence of 2"),
    (lambda: F.interpolate(dp.ones(1, 1, 2), size=0), "interpolate: size must hold positive integers"),
    (lambda: nn.PixelShuffle(0), "PixelShuffle: upscale_factor must be a positive integer"),
    (lambda: nn.PixelUnshuffle(2.0), "PixelUnshuffle: downscale_factor must be a positive integer"),
    (lambda: nn.InstanceNorm2d(0), "InstanceNorm2d: num_features must be a positive integer"),
    (lambda: nn.InstanceNorm1d(3, momentum=2), "InstanceNorm1d: momentum must be a number in [0, 1] or None"),
    (lambda: nn.InstanceNorm1d(3, eps=-1), "InstanceNorm1d: eps must be a positive number"),
    (lambda: nn.AdaptiveMaxPool1d(None), "AdaptiveMaxPool1d: output_size must be a non-negative integer"),
    (lambda: nn.AdaptiveMaxPool2d((2, -1)), "AdaptiveMaxPool2d: output_size must be a non-negative integer or a pair"),
    (lambda: nn.AdaptiveMaxPool2d(2, return_indices="yes"), "AdaptiveMaxPool2d: return_indices must be True or False"),
    (lambda: nn.ReplicationPad2d((1, 2)), "ReplicationPad2d: padding must be an integer or a tuple of 4 integers"),
    (lambda: nn.Unfold(0), "Unfold: kernel_size must be at least 1"),
    (lambda: nn.Unfold(2, stride=(1, 2, 3)), "Unfold: stride must be an integer or a sequence of 2 integers"),
    (lambda: nn.Fold((4, 0), 2), "Fold: output_size must be at least 1"),
    (lambda: F.pad(dp.ones(1, 2, 3), (1, 1), mode="reflect", value=1.0), "pad: mode='reflect' takes no value"),
    (lambda: nn.Upsample(size=(2, 3))(dp.ones(1, 1, 4)),
     "Upsample(size=(2, 3), mode='nearest'): interpolate: size must be a number or a sequence of 1 numbers for a 1-d input"),
])
def test_bad_options_raise_config_error_naming_layer_and_option(build, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        build()


@pytest.mark.parametrize("run, message", [
    (lambda: nn.Upsample(scale_factor=2, mode="bilinear")(dp.ones(1, 2, 3)),
     "Upsample(scale_factor=2.0, mode='bilinear'): interpolate: mode='bilinear' needs input of shape (N, C, H, W), got shape (1, 2, 3)"),
    (lambda: nn.Upsample(scale_factor=2)(dp.ones(2, 3)), "interpolate: expected input of shape (N, C, L), (N, C, H, W) or (N, C, D, H, W), got shape (2, 3)"),
    (lambda: nn.Upsample(scale_factor=0.2)(dp.ones(1, 1, 4)), "interpolate: scale_factor 0.2 makes an empty output from the input's spatial size 4"),
    # (an output no array can hold: Python's OverflowError from ⌊4·1e308⌋, NumPy's "Maximum allowed size exceeded";
    # a factor that fails on any input, 1e308, the layer refuses when it is made)
    (lambda: nn.Upsample(scale_factor=2.0**40)(dp.ones(1, 1, 4, 4)),
     "interpolate: scale_factor 1099511627776.0 makes an output of size 4.39805e+12 x 4.39805e+12 from the input's "
     "spatial size 4x4, too large to hold"),
    (lambda: F.interpolate(dp.ones(1, 1, 4), scale_factor=1e300, mode="linear"),
     "interpolate: scale_factor 1e+300 makes an output of size 4e+300 from the input's spatial size 4, too large to hold"),
    (lambda: F.interpolate(dp.ones(0, 1, 4), size=10**19),
     "interpolate: size 10000000000000000000 makes an output of size 10000000000000000000 from the input's spatial size 4, too large to hold"),
    (lambda: nn.PixelShuffle(2)(dp.ones(1, 6, 2, 2)), "PixelShuffle(upscale_factor=2): pixel_shuffle: expected input of shape (*, C·4, H, W)"),
    (lambda: nn.PixelUnshuffle(2)(dp.ones(1, 1, 3, 4)), "pixel_unshuffle: expected input of shape (*, C, H·2, W·2)"),
    (lambda: nn.InstanceNorm2d(3)(dp.ones(2, 3)), "InstanceNorm2d(3) expected input of shape (N, 3, H, W) or (3, H, W), got shape (2, 3)"),
    (lambda: nn.InstanceNorm1d(3, affine=True)(dp.ones(2, 4, 5)), "InstanceNorm1d(3) expected 3 channels (axis 1), got input of shape (2, 4, 5)"),
    (lambda: nn.InstanceNorm1d(3)(dp.ones(2, 3, 1)), "InstanceNorm1d(3): instance_norm: expected more than one position per channel"),
    (lambda: nn.AdaptiveMaxPool2d(2)(dp.ones(4, 4)), "AdaptiveMaxPool2d(2) expected input of shape (N, C, H, W) or (C, H, W), got shape (4, 4)"),
    (lambda: nn.ReflectionPad1d(3)(dp.ones(1, 2, 3)), "ReflectionPad1d((3, 3)): pad: mode='reflect' needs padding amounts of at most 2 for axis 2 of length 3"),
    (lambda: nn.ReplicationPad1d(-2)(dp.ones(1, 2, 3)),
     "ReplicationPad1d((-2, -2)): pad: mode='replicate' needs at least one position left on axis 2 of length 3, but padding (-2, -2) leaves -1"),
    (lambda: nn.ReplicationPad2d(1)(dp.ones(2, 3)), "ReplicationPad2d((1, 1, 1, 1)): pad: mode='replicate' pads the last 1, 2 or 3 axes"),
    (lambda: F.pad(dp.ones(2, 2, 2, 2), (1,) * 8, mode="circular"), "pad: mode='circular' pads the last 1, 2 or 3 axes"),
    (lambda: nn.Unfold(3)(dp.ones(1, 1, 2, 5)), "Unfold(kernel_size=3, dilation=1, padding=0, stride=1): unfold: the input's spatial size 2x5 plus padding is smaller than the kernel's extent 3x3"),
    (lambda: nn.Unfold(2)(dp.ones(2, 3)), "unfold: expected input of shape (N, C, H, W) or (C, H, W), got shape (2, 3)"),
    (lambda: nn.Fold((4, 4), 2)(dp.ones(1, 4, 8)), "fold: expected columns of shape (N, C·4, 9) for kernel (2, 2) over output size (4, 4)"),
])
def test_bad_inputs_raise_shape_error_naming_layer_and_operation(run, message):
    with pytest.raises(ShapeError, match=re.escape(message)):
        run()


def test_a_channel_count_that_differs_without_weights_warns_as_in_pytorch():
    with pytest.warns(UserWarning, match="the input has 4 channels, not num_features"):
        out = nn.InstanceNorm1d(3)(dp.randn(2, 4, 5))
    assert out.shape == (2, 4, 5)


@pytest.mark.parametrize("run, shape, expected", [
    (lambda x: F.adaptive_max_pool1d(x, 3), (2, 0, 7), (2, 0, 3)),
    (lambda x: F.adaptive_max_pool2d(x, 2), (2, 0, 4, 4), (2, 0, 2, 2)),
    (lambda x: F.unfold(x, 2), (2, 0, 4, 4), (2, 0, 9)),
    (lambda x: F.fold(x, (4, 4), 2), (2, 0, 9), (2, 0, 4, 4)),
], ids=["adaptive_max_pool1d", "adaptive_max_pool2d", "unfold", "fold"])
def test_no_channels_give_an_empty_result_not_a_numpy_error(run, shape, expected):
    # (PyTorch refuses an input without channels here; interpolate and pad give an empty result too)
    x = tensor(np.zeros(shape))
    out = run(x)
    assert out.shape == expected
    out.sum().backward()
    assert x.grad.shape == shape
