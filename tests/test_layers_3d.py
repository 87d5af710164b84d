"""The 3-d layers (volumes (N, C, D, H, W)): hand-worked values, finite differences in float64,
channel dropout, model files, and errors naming the layer and the option. PyTorch comparisons are
in tests/reference/test_torch_layers_3d.py."""

import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, DataError, ShapeError
from deltaprop.nn import functional as F


def rand(*shape, seed=0):
    return dp.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=np.float64, requires_grad=True)


def test_conv3d_by_hand():
    # a kernel of ones sums each 2x2x2 block; the bias adds one
    x = dp.tensor(np.arange(27.0).reshape(1, 1, 3, 3, 3), dtype=np.float64)
    out = F.conv3d(x, np.ones((1, 1, 2, 2, 2)), np.array([1.0]))
    a = np.arange(27.0).reshape(3, 3, 3)
    expected = [[[a[d:d + 2, h:h + 2, w:w + 2].sum() + 1 for w in range(2)] for h in range(2)] for d in range(2)]
    np.testing.assert_allclose(out.data[0, 0], expected, rtol=1e-12)
    assert out.data[0, 0, 0, 0, 0] == 0 + 1 + 3 + 4 + 9 + 10 + 12 + 13 + 1


def test_pool3d_by_hand():
    x = dp.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2), dtype=np.float64)
    assert F.max_pool3d(x, 2).data.ravel().tolist() == [7.0]
    assert F.avg_pool3d(x, 2).data.ravel().tolist() == [3.5]
    assert F.avg_pool3d(x, 2, divisor_override=4).data.ravel().tolist() == [7.0]
    _, index = F.max_pool3d(x, 2, return_indices=True)
    assert index.data.ravel().tolist() == [7]  # (d·H + h)·W + w = (1·2 + 1)·2 + 1
    unpooled = F.max_unpool3d(F.max_pool3d(x, 2), index, 2)
    np.testing.assert_array_equal(unpooled.data.ravel(), [0, 0, 0, 0, 0, 0, 0, 7])


def test_trilinear_by_hand():
    # with align_corners the middle of a 2x2x2 cube resized to 3x3x3 is the mean of its corners, an
    # edge's middle the mean of its two ends; nearest at scale 2 repeats each voxel in a 2x2x2 block
    x = dp.tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2), dtype=np.float64, requires_grad=True)
    out = F.interpolate(x, size=3, mode="trilinear", align_corners=True)
    assert out.shape == (1, 1, 3, 3, 3)
    np.testing.assert_allclose(out.data[0, 0, 1, 1, 1], 3.5, rtol=1e-12)
    np.testing.assert_allclose(out.data[0, 0, 0, 0, 1], 0.5, rtol=1e-12)  # between x[0,0,0]=0 and x[0,0,1]=1
    np.testing.assert_allclose(out.data[0, 0, 2, 1, 2], 6.0, rtol=1e-12)  # between x[1,0,1]=5 and x[1,1,1]=7
    out.sum().backward()
    # the 27 outputs' weights sum to 27 over the 8 corners, shared equally by symmetry
    np.testing.assert_allclose(x.grad, np.full((1, 1, 2, 2, 2), 27 / 8), rtol=1e-12)
    nearest = F.interpolate(x, scale_factor=2).data[0, 0]
    np.testing.assert_array_equal(nearest, np.arange(8.0).reshape(2, 2, 2).repeat(2, 0).repeat(2, 1).repeat(2, 2))


def test_lp_pool3d_by_hand():
    # a 2x2x2 window of 1..8: p=2 the root of the sum of squares, p=1 the sum, inf the largest |x|
    x = dp.tensor(np.arange(1.0, 9.0).reshape(1, 1, 2, 2, 2), dtype=np.float64)
    np.testing.assert_allclose(F.lp_pool3d(x, 2, 2).data.ravel(), [np.sqrt(204.0)], rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool3d(x, 1, 2).data.ravel(), [36.0], rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool3d(-x, float("inf"), 2).data.ravel(), [8.0], rtol=1e-12)
    np.testing.assert_allclose(F.lp_pool3d(x, 2, (1, 2, 2)).data.ravel(), [np.sqrt(30.0), np.sqrt(174.0)], rtol=1e-12)


def test_conv_transpose3d_is_the_adjoint_of_conv3d():
    # <conv3d(x), y> = <x, conv_transpose3d(y)> with the same weight and options
    x, y, w = rand(2, 3, 5, 4, 6, seed=1), rand(2, 2, 3, 2, 2, seed=2), rand(2, 3, 2, 3, 2, seed=3)
    options = dict(stride=2, padding=(1, 1, 0), dilation=(1, 1, 2))
    forward = (F.conv3d(x, w, **options).data * y.data).sum()
    backward = (x.data * F.conv_transpose3d(y, w, output_padding=1, **options).data).sum()
    np.testing.assert_allclose(forward, backward, rtol=1e-12)


GRADCHECKS = {
    "conv3d": (lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1)),
               [(2, 2, 4, 5, 3), (3, 2, 2, 2, 2), (3,)]),
    "conv3d-same": (lambda x, w: F.conv3d(x, w, padding="same"), [(1, 2, 3, 4, 3), (2, 2, 2, 3, 2)]),
    "conv3d-groups": (lambda x, w, b: F.conv3d(x, w, b, groups=2, stride=2, padding=1), [(2, 4, 3, 4, 3), (4, 2, 2, 2, 2), (4,)]),
    "conv3d-depthwise": (lambda x, w: F.conv3d(x, w, padding=1, groups=3), [(2, 3, 3, 3, 4), (3, 1, 3, 3, 3)]),
    "conv3d-depthwise-strided": (lambda x, w: F.conv3d(x, w, stride=(2, 1, 2), groups=3), [(2, 3, 4, 3, 5), (3, 1, 2, 2, 2)]),
    "conv_transpose3d": (lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, padding=(1, 0, 1), output_padding=(1, 1, 0)),
                         [(2, 2, 2, 3, 2), (2, 3, 3, 2, 3), (3,)]),
    "conv_transpose3d-groups": (lambda x, w: F.conv_transpose3d(x, w, groups=2, dilation=(1, 2, 1)),
                                [(1, 4, 2, 2, 3), (4, 1, 2, 2, 2)]),
    "max_pool3d": (lambda x: F.max_pool3d(x, 2, stride=1, padding=1, dilation=(1, 2, 1), ceil_mode=True), [(2, 2, 3, 5, 4)]),
    "avg_pool3d": (lambda x: F.avg_pool3d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                   [(2, 2, 4, 5, 4)]),
    "avg_pool3d-divisor": (lambda x: F.avg_pool3d(x, (2, 1, 2), stride=1, divisor_override=3), [(1, 2, 3, 3, 3)]),
    "adaptive_avg_pool3d": (lambda x: F.adaptive_avg_pool3d(x, (2, 3, None)), [(2, 2, 5, 4, 3)]),
    "adaptive_avg_pool3d-global": (lambda x: F.adaptive_avg_pool3d(x, 1), [(2, 2, 3, 2, 3)]),
    "adaptive_max_pool3d": (lambda x: F.adaptive_max_pool3d(x, (3, 2, 2)), [(2, 2, 5, 4, 3)]),
    "max_unpool3d": (lambda x: F.max_unpool3d(x, np.array([[[[[0, 7]]]]], dtype=np.int64), 2, output_size=(2, 2, 4)),
                     [(1, 1, 1, 1, 2)]),
    "batch_norm3d": (nn.BatchNorm3d(2, dtype=np.float64), [(3, 2, 2, 3, 2)]),
    "instance_norm3d": (nn.InstanceNorm3d(2, affine=True, dtype=np.float64), [(2, 2, 3, 2, 2)]),
    "reflection_pad3d": (nn.ReflectionPad3d((1, 2, 0, 1, 2, -1)), [(2, 2, 3, 3, 3)]),
    "replication_pad3d": (nn.ReplicationPad3d((2, 0, 1, 1, 0, 2)), [(2, 3, 2, 2)]),
    "circular_pad3d": (nn.CircularPad3d((1, 1, 2, 0, 1, 2)), [(1, 2, 3, 2, 3)]),
    "constant_pad3d": (nn.ConstantPad3d((1, -1, 0, 2, 1, 0), 0.5), [(2, 2, 2, 3)]),
    "interpolate3d-nearest": (lambda x: F.interpolate(x, scale_factor=(2, 0.6, 1.5)), [(1, 2, 2, 5, 3)]),
    "interpolate3d-nearest-exact": (lambda x: F.interpolate(x, size=(3, 2, 5), mode="nearest-exact"), [(2, 1, 2, 3, 3)]),
    "interpolate3d-trilinear": (lambda x: F.interpolate(x, scale_factor=(1.5, 2, 0.7), mode="trilinear"), [(1, 2, 2, 3, 4)]),
    "interpolate3d-trilinear-corners": (lambda x: F.interpolate(x, size=(4, 2, 3), mode="trilinear", align_corners=True),
                                        [(2, 1, 3, 3, 2)]),
}


@pytest.mark.parametrize("name", GRADCHECKS)
def test_gradients_match_finite_differences(name):
    fn, shapes = GRADCHECKS[name]
    assert dp.gradcheck(fn, [rand(*shape, seed=i) for i, shape in enumerate(shapes)])


@pytest.mark.parametrize("call, shape", [
    (lambda x: F.lp_pool3d(x, 2, (2, 3, 2), stride=(1, 2, 1), ceil_mode=True), (2, 2, 3, 5, 4)),
    (lambda x: F.lp_pool3d(x, 3, 2), (1, 2, 2, 4, 2)),
    (lambda x: F.lp_pool3d(x, 1.5, (1, 2, 2), stride=1), (1, 2, 2, 3, 3)),
    (lambda x: F.lp_pool3d(x, float("inf"), 2, stride=1), (1, 2, 3, 3, 2)),
    (nn.LPPool3d(2, 2, ceil_mode=True), (2, 3, 3, 3)),  # unbatched
], ids=["p2", "p3", "p1.5", "inf", "layer"])
def test_lp_pool3d_gradients_match_finite_differences(call, shape):
    # positive inputs: a window whose sum of x^p is 0 or negative has no derivative (x^(1/p) at 0)
    x = dp.tensor(np.abs(np.random.default_rng(3).standard_normal(shape)) + 0.2, dtype=np.float64, requires_grad=True)
    assert dp.gradcheck(call, [x])


def test_conv3d_layer_gradients_match_finite_differences_through_its_padding_mode():
    layer = nn.Conv3d(2, 2, 2, padding=1, padding_mode="reflect", dtype=np.float64)
    w, b = rand(*layer.weight.shape, seed=5), rand(2, seed=6)

    def fn(x, w, b):  # the layer's own path: F.pad in its mode, then conv3d without padding
        layer.weight, layer.bias = nn.Parameter(w.data), nn.Parameter(b.data)
        return F.conv3d(F.pad(x, layer._fill_amounts, mode="reflect"), w, b)

    x = rand(1, 2, 3, 2, 3, seed=4)
    assert dp.gradcheck(fn, [x, w, b])
    np.testing.assert_allclose(layer(x).data, fn(x, w, b).data, rtol=1e-12)


def test_dropout3d_zeroes_whole_volumes_and_scales_the_rest():
    dp.manual_seed(0)
    layer = nn.Dropout3d(0.25)
    out = layer(dp.ones(16, 8, 2, 3, 2)).data.reshape(16, 8, -1)
    assert np.all(out.min(axis=-1) == out.max(axis=-1))  # one draw per channel of each sample
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert 0.1 < (out[..., 0] == 0).mean() < 0.4
    unbatched = layer(dp.ones(6, 2, 2, 2)).data.reshape(6, -1)
    assert np.all(unbatched.min(axis=-1) == unbatched.max(axis=-1))
    layer.eval()
    x = dp.randn(2, 3, 2, 2, 2)
    assert layer(x) is x


def test_dropout3d_passes_the_gradient_through_the_kept_volumes():
    dp.manual_seed(1)
    x = rand(4, 5, 2, 2, 2)
    out = F.dropout3d(x, 0.5, training=True)
    out.backward(np.ones(out.shape))
    kept = out.data != 0
    np.testing.assert_allclose(x.grad, kept * 2.0)
    assert F.dropout3d(x, 1.0).data.max() == 0 and F.dropout3d(x, 0.0) is x


LAYERS = [
    (lambda: nn.Conv3d(2, 4, (3, 1, 2), stride=(1, 2, 1), padding=1, dilation=(1, 1, 2), groups=2,
                       padding_mode="replicate"), (2, 2, 4, 5, 6)),
    (lambda: nn.Conv3d(2, 3, 3, padding="same", bias=False), (2, 3, 4, 3)),
    (lambda: nn.ConvTranspose3d(2, 4, 3, stride=(2, 1, 2), output_padding=(1, 0, 1), groups=2), (2, 2, 3, 2, 3)),
    (lambda: nn.MaxPool3d((2, 3, 2), stride=(1, 2, 1), padding=1, ceil_mode=True), (2, 2, 4, 5, 6)),
    (lambda: nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False, divisor_override=5), (2, 2, 4, 5, 6)),
    (lambda: nn.AdaptiveAvgPool3d((2, None, 3)), (2, 2, 4, 5, 6)),
    (lambda: nn.AdaptiveMaxPool3d(2), (2, 4, 5, 6)),
    (lambda: nn.BatchNorm3d(2, momentum=None), (3, 2, 2, 3, 2)),
    (lambda: nn.InstanceNorm3d(2, affine=True, track_running_stats=True), (3, 2, 2, 3, 2)),
    (lambda: nn.Dropout3d(0.3), (2, 2, 2, 3, 2)),
    (lambda: nn.ConstantPad3d((1, 0, 2, 1, 0, 1), -1.5), (2, 2, 2, 3, 2)),
    (lambda: nn.ZeroPad3d(1), (2, 2, 3, 2)),
    (lambda: nn.ReflectionPad3d((1, 1, 0, 1, 1, 0)), (2, 2, 2, 3, 2)),
    (lambda: nn.ReplicationPad3d(2), (2, 2, 2, 3, 2)),
    (lambda: nn.CircularPad3d((1, 2, 0, 0, 1, -1)), (2, 2, 2, 3, 3)),
    (lambda: nn.LPPool3d(1.5, (2, 1, 2), stride=(1, 2, 1), ceil_mode=True), (2, 2, 4, 5, 6)),
    (lambda: nn.Upsample(scale_factor=(1.5, 2.0, 0.5), mode="trilinear", align_corners=True), (2, 2, 2, 3, 4)),
    (lambda: nn.Upsample(size=(3, 2, 5), mode="nearest-exact"), (2, 2, 2, 3, 4)),
]


@pytest.mark.parametrize("index", range(len(LAYERS)), ids=lambda i: repr(LAYERS[i][0]()))
def test_a_model_of_each_3d_layer_saves_and_loads_and_computes_the_same(index, tmp_path):
    make, shape = LAYERS[index]
    dp.manual_seed(0)
    model = nn.Sequential(nn.Identity(), make())
    if isinstance(model[1], (nn.BatchNorm3d, nn.InstanceNorm3d)):
        model(dp.randn(*shape))  # running statistics away from their start
    model.eval()
    path = tmp_path / "model.safetensors"
    dp.save(model, path)
    loaded = dp.load(path)
    assert type(loaded[1]) is type(model[1]) and loaded[1].config() == model[1].config()
    assert repr(loaded) == repr(model)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value, err_msg=key)
    x = dp.randn(*shape)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)


def test_a_max_pool3d_with_indices_and_its_unpooling_save_and_load(tmp_path):
    pool, unpool = nn.MaxPool3d(2, return_indices=True), nn.MaxUnpool3d(2)
    dp.save(nn.ModuleList([pool, unpool]), tmp_path / "m.safetensors")
    loaded = dp.load(tmp_path / "m.safetensors")
    x = dp.randn(1, 2, 4, 4, 6)
    np.testing.assert_array_equal(loaded[1](*loaded[0](x)).data, unpool(*pool(x)).data)


def message(layer_or_call, error):
    with pytest.raises(error) as raised:
        layer_or_call()
    return str(raised.value)


@pytest.mark.parametrize("call, error, text", [
    # the wrong number of input axes
    (lambda: nn.Conv3d(2, 4, 3)(dp.ones(2, 2, 4)), ShapeError,
     "Conv3d(2 -> 4, kernel 3) expected input of shape (N, 2, D, H, W) or (2, D, H, W), got shape (2, 2, 4)"),
    (lambda: nn.ConvTranspose3d(2, 4, 3)(dp.ones(2, 3, 4, 4, 4)), ShapeError,
     "ConvTranspose3d(2 -> 4, kernel 3) expected input of shape (N, 2, D, H, W) or (2, D, H, W), got shape (2, 3, 4, 4, 4)"),
    (lambda: nn.MaxPool3d(2)(dp.ones(2, 3, 4)), ShapeError,
     "MaxPool3d(kernel 2) expected input of shape (N, C, D, H, W) or (C, D, H, W), got shape (2, 3, 4)"),
    (lambda: nn.AvgPool3d(2)(dp.ones(1, 2, 3, 4, 4, 4)), ShapeError,
     "AvgPool3d(kernel 2) expected input of shape (N, C, D, H, W) or (C, D, H, W), got shape (1, 2, 3, 4, 4, 4)"),
    (lambda: nn.AdaptiveAvgPool3d(2)(dp.ones(2, 4, 5)), ShapeError,
     "AdaptiveAvgPool3d(2) expected input of shape (N, C, D, H, W) or (C, D, H, W), got shape (2, 4, 5)"),
    (lambda: nn.AdaptiveMaxPool3d(2)(dp.ones(2, 4, 5)), ShapeError,
     "AdaptiveMaxPool3d(2) expected input of shape (N, C, D, H, W) or (C, D, H, W), got shape (2, 4, 5)"),
    (lambda: nn.BatchNorm3d(2)(dp.ones(2, 2, 4, 5)), ShapeError,
     "BatchNorm3d(2) expected input of shape (N, 2, D, H, W), got shape (2, 2, 4, 5)"),
    (lambda: nn.InstanceNorm3d(2)(dp.ones(2, 4, 5)), ShapeError,
     "InstanceNorm3d(2) expected input of shape (N, 2, D, H, W) or (2, D, H, W), got shape (2, 4, 5)"),
    (lambda: nn.Dropout3d()(dp.ones(2, 4, 5)), ShapeError,
     "dropout3d: expected input of shape (N, C, D, H, W) or (C, D, H, W), got shape (2, 4, 5)"),
    (lambda: nn.ReplicationPad3d(1)(dp.ones(2, 4, 5)), ShapeError, "ReplicationPad3d((1, 1, 1, 1, 1, 1)): pad: mode='replicate'"),
    (lambda: nn.ConstantPad3d(1, 0.0)(dp.ones(4, 5)), ConfigError,
     "ConstantPad3d((1, 1, 1, 1, 1, 1)): pad: pad must be a tuple of (before, after) integer pairs"),
    (lambda: nn.MaxUnpool3d(2)(dp.ones(2, 3, 4), np.zeros((2, 3, 4), np.int64)), ShapeError,
     "MaxUnpool3d(kernel 2): max_unpool3d: expected input of shape (N, C, D, H, W) or (C, D, H, W), got shape (2, 3, 4)"),
    (lambda: nn.LPPool3d(2, 2)(dp.ones(2, 3, 4)), ShapeError,
     "LPPool3d(kernel 2) expected input of shape (N, C, D, H, W) or (C, D, H, W), got shape (2, 3, 4)"),
    (lambda: nn.LPPool3d(2, 3)(dp.ones(1, 1, 2, 4, 4)), ShapeError,
     "LPPool3d(kernel 3): lp_pool3d: the input's spatial size 2x4x4 plus padding is smaller than the kernel's extent 3x3x3"),
    (lambda: nn.Upsample(scale_factor=2, mode="trilinear")(dp.ones(1, 2, 3, 4)), ShapeError,
     "Upsample(scale_factor=2.0, mode='trilinear'): interpolate: mode='trilinear' needs input of shape (N, C, D, H, W), "
     "got shape (1, 2, 3, 4)"),
    (lambda: F.interpolate(dp.ones(1, 2, 3, 4, 4), scale_factor=2, mode="bilinear"), ShapeError,
     "interpolate: mode='bilinear' needs input of shape (N, C, H, W), got shape (1, 2, 3, 4, 4)"),
    (lambda: F.interpolate(dp.ones(1, 1, 2, 2, 2, 2), scale_factor=2), ShapeError,
     "interpolate: expected input of shape (N, C, L), (N, C, H, W) or (N, C, D, H, W), got shape (1, 1, 2, 2, 2, 2)"),
    # a kernel larger than the padded input
    (lambda: nn.Conv3d(1, 1, (3, 2, 2), padding=(0, 1, 1))(dp.ones(1, 1, 2, 4, 4)), ShapeError,
     "Conv3d(1 -> 1, kernel 3x2x2): conv3d: the input's spatial size 2x4x4 plus padding is smaller than the kernel's "
     "extent 3x2x2"),
    (lambda: nn.MaxPool3d(3, padding=1, dilation=2)(dp.ones(1, 1, 2, 9, 9)), ShapeError,
     "MaxPool3d(kernel 3): max_pool3d: the input's spatial size 2x9x9 plus padding is smaller than the kernel's "
     "extent 5x5x5"),
    (lambda: nn.AvgPool3d(4)(dp.ones(1, 1, 4, 3, 4)), ShapeError,
     "AvgPool3d(kernel 4): avg_pool3d: the input's spatial size 4x3x4 plus padding is smaller than the kernel's "
     "extent 4x4x4"),
    (lambda: nn.ReflectionPad3d((1, 1, 1, 1, 3, 0))(dp.ones(1, 1, 3, 4, 4)), ShapeError,
     "ReflectionPad3d((1, 1, 1, 1, 3, 0)): pad: mode='reflect' needs padding amounts of at most 2 for axis 2 of length 3"),
    (lambda: nn.ConvTranspose3d(1, 1, 2, padding=(0, 2, 0))(dp.ones(1, 1, 2, 2, 2)), ShapeError,
     "ConvTranspose3d(1 -> 1, kernel 2): conv_transpose3d: the input's spatial size 2x2x2 gives an output of size "
     "3x-1x3, which is too small"),
    # groups
    (lambda: nn.Conv3d(4, 6, 3, groups=4), ConfigError, "Conv3d: out_channels=6 is not divisible by groups=4"),
    (lambda: nn.Conv3d(3, 6, 3, groups=0), ConfigError, "Conv3d: groups must be a positive integer, got 0"),
    (lambda: nn.ConvTranspose3d(3, 4, 3, groups=2), ConfigError, "ConvTranspose3d: in_channels=3 is not divisible by groups=2"),
    (lambda: F.conv3d(dp.ones(1, 4, 3, 3, 3), dp.ones(3, 2, 1, 1, 1), groups=2), ShapeError,
     "conv3d: the weight's 3 output channels (its first axis) are not divisible by groups=2"),
    (lambda: F.conv3d(dp.ones(1, 4, 3, 3, 3), dp.ones(4, 2, 1, 1, 1), groups=4), ShapeError,
     "conv3d: expected input of shape (N, 8, D, H, W) or (8, D, H, W) (2 input channels per group, as the weight has, "
     "times groups=4), got shape (1, 4, 3, 3, 3)"),
    # options
    (lambda: nn.Conv3d(2, 2, (3, 3)), ConfigError, "Conv3d: kernel_size must be an integer or a sequence of 3 integers, got (3, 3)"),
    (lambda: nn.Conv3d(2, 2, 3, stride=2, padding="same"), ConfigError, "Conv3d: padding='same' needs stride 1"),
    (lambda: nn.Conv3d(2, 2, 3, padding_mode="mirror"), ConfigError, "Conv3d: padding_mode must be one of"),
    (lambda: F.conv3d(dp.ones(1, 2, 3, 3, 3), dp.ones(4, 2, 3, 3)), ShapeError,
     "conv3d: weight must have shape (out_channels, in_channels, kd, kh, kw), got shape (4, 2, 3, 3)"),
    (lambda: nn.ConvTranspose3d(2, 2, 3, stride=2, output_padding=2), ConfigError,
     "ConvTranspose3d: output_padding must be smaller than either stride or dilation"),
    (lambda: nn.MaxPool3d(3, padding=2), ConfigError, "MaxPool3d: padding must be at most half the kernel size"),
    (lambda: nn.MaxPool3d((2, 2)), ConfigError, "MaxPool3d: kernel_size must be an integer or a sequence of 3 integers"),
    (lambda: nn.AvgPool3d(2, divisor_override=0), ConfigError, "AvgPool3d: divisor_override must be a nonzero integer or None"),
    (lambda: F.avg_pool3d(dp.ones(1, 1, 2, 2, 2), 2, divisor_override=1.5), ConfigError,
     "avg_pool3d: divisor_override must be a nonzero integer or None"),
    (lambda: nn.AdaptiveAvgPool3d((2, 2)), ConfigError,
     "AdaptiveAvgPool3d: output_size must be a non-negative integer or a triple of them (None keeps an axis), got (2, 2)"),
    (lambda: nn.AdaptiveMaxPool3d((2, -1, 2)), ConfigError, "AdaptiveMaxPool3d: output_size must be a non-negative integer"),
    (lambda: F.adaptive_avg_pool3d(dp.ones(1, 1, 2, 2, 2), (1, 1)), ConfigError,
     "adaptive_avg_pool3d: output_size must be an integer or a sequence of 3, got (1, 1)"),
    (lambda: F.adaptive_avg_pool3d(dp.ones(1, 1, 2, 0, 2), 2), ShapeError,
     "adaptive_avg_pool3d: the input of shape (1, 1, 2, 0, 2) is empty along dimension 3"),
    (lambda: F.max_pool3d(dp.ones(1, 1, 2, 2, 2), 2, return_indices="yes"), ConfigError,
     "max_pool3d: return_indices must be True or False"),
    (lambda: nn.BatchNorm3d(0), ConfigError, "BatchNorm3d: num_features must be a positive integer, got 0"),
    (lambda: nn.InstanceNorm3d(2, affine=True)(dp.ones(1, 3, 2, 2, 2)), ShapeError,
     "InstanceNorm3d(2) expected 2 channels (axis 1), got input of shape (1, 3, 2, 2, 2)"),
    (lambda: nn.Dropout3d(1.5), ConfigError, "Dropout3d: p must be a probability in [0, 1], got 1.5"),
    (lambda: nn.ZeroPad3d((1, 2)), ConfigError, "ZeroPad3d: padding must be an integer or a tuple of 6 integers, got (1, 2)"),
    (lambda: nn.LPPool3d(0, 2), ConfigError, "LPPool3d: norm_type must be a nonzero number"),
    (lambda: nn.LPPool3d(2, (2, 2)), ConfigError, "LPPool3d: kernel_size must be an integer or a sequence of 3 integers"),
    (lambda: F.lp_pool3d(dp.ones(1, 1, 2, 2, 2), 2, 2, stride=(1, 1)), ConfigError,
     "lp_pool3d: stride must be an integer or a sequence of 3 integers"),
    (lambda: nn.Upsample(size=(2, 3, 4, 5)), ConfigError,
     "Upsample: size must be a positive integer or a sequence of one to three, got (2, 3, 4, 5)"),
    (lambda: nn.Upsample(scale_factor=2, align_corners=True), ConfigError,
     "Upsample: align_corners must be None, or True or False with mode 'linear', 'bilinear', 'bicubic' or 'trilinear', "
     "got align_corners=True with mode='nearest'"),
    (lambda: F.interpolate(dp.ones(1, 1, 2, 2, 2), size=(3, 3)), ConfigError,
     "interpolate: size must be a number or a sequence of 3 numbers for a 3-d input, got (3, 3)"),
    (lambda: F.interpolate(dp.ones(1, 1, 2, 2, 2), scale_factor=2, align_corners=False), ConfigError,
     "interpolate: align_corners can only be set with the interpolating modes (linear, bilinear, bicubic, trilinear; "
     "lanczos with antialias=True), got align_corners=False with mode='nearest'"),
    (lambda: F.interpolate(dp.ones(1, 1, 4, 4, 4), scale_factor=(1, 0.2, 1)), ShapeError,
     "interpolate: scale_factor (1, 0.2, 1) makes an empty output from the input's spatial size 4x4x4"),
    (lambda: nn.MaxUnpool3d(2)(dp.ones(1, 1, 1, 1, 2), np.array([[[[[0, 99]]]]])), DataError,
     "MaxUnpool3d(kernel 2): max_unpool3d: index 99 in indices is outside the output plane of 2x2x4 (0 to 15)"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None)
def test_errors_name_the_layer_and_the_option(call, error, text):
    assert text in message(call, error)


def test_a_3d_error_is_one_sentence():
    text = message(lambda: nn.Conv3d(2, 4, 3)(dp.ones(2, 2, 4)), ShapeError)
    assert "\n" not in text and re.match(r"Conv3d\(2 -> 4, kernel 3\) ", text)


def test_a_small_3d_network_learns_where_the_bright_blob_is():
    # volumes with a bright 2x2x2 blob in the front half (class 0) or the back half (class 1)
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 64)
    x = rng.standard_normal((64, 1, 6, 6, 6)).astype(np.float32) * 0.3
    for volume, label, (h, w) in zip(x, labels, rng.integers(0, 5, (64, 2))):
        d = rng.integers(0, 2) + 3 * label
        volume[0, d:d + 2, h:h + 2, w:w + 2] += 2.0
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.MaxPool3d(2), nn.Dropout3d(0.1),
        nn.ConvTranspose3d(4, 4, 2, stride=2), nn.ReLU(), nn.AvgPool3d(2), nn.AdaptiveMaxPool3d((2, 1, 1)),
        nn.Flatten(), nn.Linear(8, 2),
    )
    optimizer = dp.optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(dp.tensor(x)), labels)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.data))
    model.eval()
    accuracy = (model(dp.tensor(x)).data.argmax(axis=1) == labels).mean()
    assert losses[-1] < 0.5 * losses[0] and accuracy > 0.9, (losses[0], losses[-1], accuracy)
