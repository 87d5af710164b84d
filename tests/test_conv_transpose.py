"""Transposed convolutions: finite differences, the adjoint identity, a worked example, layouts,
blocks, initialisation, model files, summaries and errors.

The comparison with PyTorch (values, gradients, reprs, initialisation, in-place changes) lives in
tests/reference/test_torch_conv_transpose.py.
"""

import json

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ModelFileError, ShapeError
from deltaprop.nn import functional as F


def tensor(array, requires_grad=True):
    return dp.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad, dtype=np.float64)


def randn(*shape, seed=0, requires_grad=True):
    return tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad)


# -- finite differences ------------------------------------------------------------------------------

OPTIONS_1D = [
    dict(),
    dict(stride=2),
    dict(stride=2, output_padding=1),
    dict(padding=1),
    dict(stride=3, padding=2, output_padding=2),
    dict(dilation=2, padding=1),
    dict(stride=2, dilation=3, output_padding=2),  # output_padding >= stride, allowed as it is < dilation
]


@pytest.mark.parametrize("options", OPTIONS_1D, ids=str)
@pytest.mark.parametrize("groups", [1, 2], ids=lambda g: f"groups={g}")
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_conv_transpose1d_gradients(options, groups, bias):
    x, w = randn(2, 4, 5), randn(4, 3, 3, seed=1)  # out_channels = 3 · groups
    inputs = [x, w] + ([randn(3 * groups, seed=2)] if bias else [])
    assert dp.gradcheck(lambda *a: F.conv_transpose1d(*a, groups=groups, **options), inputs)


OPTIONS_2D = [
    dict(),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 1), padding=(0, 1), dilation=(1, 2)),
    dict(stride=(1, 3), output_padding=(0, 2), dilation=2),
    dict(dilation=2, padding=2),
    dict(stride=3),  # windows that do not overlap in the output
]


@pytest.mark.parametrize("options", OPTIONS_2D, ids=str)
@pytest.mark.parametrize("groups", [1, 2], ids=lambda g: f"groups={g}")
def test_conv_transpose2d_gradients(options, groups):
    x, w, b = randn(2, 4, 4, 3), randn(4, 2, 2, 3, seed=1), randn(2 * groups, seed=2)
    assert dp.gradcheck(lambda *a: F.conv_transpose2d(*a, groups=groups, **options), [x, w, b])


@pytest.mark.parametrize("needs", ["x", "w", "b", "x w", "w b"])
def test_gradients_go_only_where_they_are_needed(needs):
    """Each combination runs another branch of the rule: the input's convolution alone, the weight's
    gradient alone, or both from one unfolding per block."""
    x, w, b = (randn(2, 4, 5, 4, requires_grad="x" in needs), randn(4, 3, 3, 2, seed=1, requires_grad="w" in needs),
               randn(6, seed=2, requires_grad="b" in needs))
    assert dp.gradcheck(lambda *a: F.conv_transpose2d(*a, stride=2, padding=1, groups=2), [x, w, b])
    out = F.conv_transpose2d(x, w, b, stride=2, padding=1, groups=2)
    out.backward(np.ones(out.shape))
    for name, t in zip("xwb", (x, w, b)):
        assert (t.grad is not None) == (name in needs), name


def test_layers_gradients_batched_and_unbatched():
    dp.manual_seed(0)
    for layer, shape in [(nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5)),
                         (nn.ConvTranspose1d(3, 2, 2, dilation=2), (3, 6)),
                         (nn.ConvTranspose2d(2, 4, (3, 2), stride=(2, 1), output_padding=(1, 0)), (2, 2, 3, 4)),
                         (nn.ConvTranspose2d(4, 4, 3, stride=2, groups=4, bias=False), (4, 3, 3))]:
        layer = layer.double()
        params = list(layer.parameters())

        def run(x, *values):
            for p, v in zip(params, values):
                object.__setattr__(layer, "weight" if p.ndim > 1 else "bias", v)
            try:
                return layer(x)
            finally:
                for p in params:
                    object.__setattr__(layer, "weight" if p.ndim > 1 else "bias", p)

        assert dp.gradcheck(run, [randn(*shape), *[tensor(p.data) for p in params]])


# -- what it is ----------------------------------------------------------------------------------------

ADJOINT_CASES = [
    # (dims, input shape of the convolution, weight shape, options)
    (1, (2, 4, 11), (6, 4, 3), dict()),
    (1, (2, 4, 12), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    (1, (3, 10), (4, 3, 2), dict(stride=3, dilation=2, padding=2)),
    (2, (2, 3, 9, 8), (4, 3, 3, 3), dict(stride=2, padding=1)),
    (2, (2, 4, 10, 7), (6, 2, 2, 3), dict(stride=(3, 2), dilation=(2, 1), padding=(1, 2), groups=2)),
    (2, (4, 8, 6), (4, 1, 3, 3), dict(stride=2, groups=4)),  # unbatched, depthwise
]


@pytest.mark.parametrize("dims, x_shape, w_shape, options", ADJOINT_CASES, ids=str)
def test_conv_transpose_is_the_adjoint_of_conv(dims, x_shape, w_shape, options):
    """⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩ for the same weight and options, output_padding chosen so
    that the transposed convolution gives x's size back (the sizes a strided convolution rounds)."""
    conv = F.conv1d if dims == 1 else F.conv2d
    transpose = F.conv_transpose1d if dims == 1 else F.conv_transpose2d
    x, w = randn(*x_shape, requires_grad=False), randn(*w_shape, seed=1, requires_grad=False)
    cx = conv(x, w, **options)
    y = randn(*cx.shape, seed=2, requires_grad=False)
    n = dims
    stride, padding, dilation = (np.broadcast_to(options.get(k, d), (n,)) for k, d in
                                 (("stride", 1), ("padding", 0), ("dilation", 1)))
    smallest = [(l - 1) * s - 2 * p + d * (k - 1) + 1 for l, s, p, d, k in
                zip(cx.shape[-n:], stride, padding, dilation, w_shape[2:])]
    output_padding = tuple(int(size - low) for size, low in zip(x_shape[-n:], smallest))
    ty = transpose(y, w, output_padding=output_padding, **options)
    assert ty.shape == x.shape
    np.testing.assert_allclose(np.sum(cx.data * y.data), np.sum(x.data * ty.data), rtol=1e-12)
    # and the transposed convolution's input gradient is that convolution
    y.requires_grad = True
    out = transpose(y, w, output_padding=output_padding, **options)
    out.backward(x.data)
    np.testing.assert_allclose(y.grad, cx.data, rtol=1e-12, atol=1e-12)


def test_worked_example():
    """Each input position adds its kernel, scaled, at stride 2: [1, 2] with [1, 10, 100] gives
    1·[1, 10, 100] at 0 and 2·[1, 10, 100] at 2, overlapping at position 2."""
    out = F.conv_transpose1d(tensor([[[1.0, 2.0]]]), tensor([[[1.0, 10.0, 100.0]]]), tensor([0.5]), stride=2)
    np.testing.assert_array_equal(out.data, [[[1.5, 10.5, 102.5, 20.5, 200.5]]])
    cropped = F.conv_transpose1d(tensor([[[1.0, 2.0]]]), tensor([[[1.0, 10.0, 100.0]]]), stride=2, padding=1,
                                 output_padding=1)
    np.testing.assert_array_equal(cropped.data, [[[10.0, 102.0, 20.0, 200.0]]])  # the last: no window reaches it
    padded_end = F.conv_transpose1d(tensor([[[1.0, 2.0]]]), tensor([[[1.0, 10.0, 100.0]]]), tensor([1.0]), stride=2,
                                    output_padding=1)
    np.testing.assert_array_equal(padded_end.data, [[[2.0, 11.0, 103.0, 21.0, 201.0, 1.0]]])


def test_two_groups_are_two_transposed_convolutions_side_by_side():
    x, w, b = randn(2, 4, 3, 3), randn(4, 3, 2, 2, seed=1), randn(6, seed=2)
    both = F.conv_transpose2d(x, w, b, stride=2, groups=2)
    first = F.conv_transpose2d(tensor(x.data[:, :2]), tensor(w.data[:2]), tensor(b.data[:3]), stride=2)
    second = F.conv_transpose2d(tensor(x.data[:, 2:]), tensor(w.data[2:]), tensor(b.data[3:]), stride=2)
    np.testing.assert_allclose(both.data, np.concatenate([first.data, second.data], axis=1), rtol=1e-13)


def test_output_is_batch_last_and_any_input_layout_gives_the_same_numbers():
    x, w, b = randn(3, 4, 5, 6), randn(4, 2, 3, 3, seed=1), randn(2, seed=2)
    out = F.conv_transpose2d(x, w, b, stride=2, padding=1)
    assert out.data.transpose(1, 2, 3, 0).flags.c_contiguous  # (C, H, W, N) in memory, like a convolution's
    batch_last = tensor(np.ascontiguousarray(x.data.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2))
    fortran = tensor(np.asfortranarray(x.data))
    upstream = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(upstream)
    for other in (batch_last, fortran):
        again = F.conv_transpose2d(other, w, b, stride=2, padding=1)
        np.testing.assert_allclose(again.data, out.data, rtol=1e-13)
        again.backward(np.asfortranarray(upstream))  # an upstream gradient in another order too
        np.testing.assert_allclose(other.grad, x.grad, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("block_bytes", [1, 500], ids=lambda b: f"{b}B")
def test_in_blocks_of_rows_equals_at_once(monkeypatch, block_bytes):
    """Both passes work a few rows of the input at a time; force one row (1 byte) or a short last block."""
    from deltaprop.ops import conv

    x, w, b = randn(2, 4, 5, 4), randn(4, 3, 3, 2, seed=1), randn(6, seed=2)
    options = dict(stride=2, padding=1, output_padding=1, groups=2)
    whole = F.conv_transpose2d(x, w, b, **options)
    whole.backward(np.ones(whole.shape))
    grads = [t.grad.copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    monkeypatch.setattr(conv, "_BLOCK_BYTES", block_bytes)
    blocked = F.conv_transpose2d(x, w, b, **options)
    blocked.backward(np.ones(blocked.shape))
    np.testing.assert_allclose(blocked.data, whole.data, rtol=1e-12)
    for t, expected in zip((x, w, b), grads):
        np.testing.assert_allclose(t.grad, expected, rtol=1e-12, atol=1e-12)
    assert dp.gradcheck(lambda *a: F.conv_transpose2d(*a, **options), [x, w, b])


def test_data_input_is_cast_to_the_weight_dtype_and_gets_no_gradient():
    dp.manual_seed(0)
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2)
    out = layer(np.ones((1, 2, 4, 4)))  # float64 data, a float32 layer
    assert out.dtype == np.float32 and out.shape == (1, 3, 9, 9)
    out.sum().backward()
    assert layer.weight.grad.shape == (2, 3, 3, 3) and layer.bias.grad.shape == (3,)
    np.testing.assert_allclose(layer.bias.grad, np.full(3, 81.0))


def test_a_decoder_doubles_the_size_and_trains():
    """ConvTranspose2d(k=4, s=2, p=1) and (k=3, s=2, p=1, output_padding=1) both double H and W."""
    dp.manual_seed(0)
    x = dp.rand(4, 1, 8, 8)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(),
                          nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1), nn.ReLU(),
                          nn.ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())
    assert model(x).shape == (4, 1, 16, 16)
    target = dp.tensor(np.kron(x.data, np.ones((2, 2))))
    optimizer = dp.optim.Adam(model.parameters(), lr=3e-2)
    losses = []
    for _ in range(60):
        loss = F.mse_loss(model(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]  # 0.090 -> 0.016 when written


# -- layers ------------------------------------------------------------------------------------------

def test_weight_shape_and_initial_ranges():
    """PyTorch's fan_in for a transposed convolution is the weight's second axis times the kernel:
    out_channels / groups · k. Weight and bias are drawn from U(−1/√fan_in, 1/√fan_in)."""
    dp.manual_seed(0)
    layer = nn.ConvTranspose2d(2, 256, 3, groups=2)
    assert layer.weight.shape == (2, 128, 3, 3) and layer.bias.shape == (256,)
    bound = 1 / np.sqrt(128 * 9)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.9 * bound  # the whole range is used (in_channels·k would be 3x as wide)
    np.testing.assert_allclose(layer.weight.data.std(), bound / np.sqrt(3), rtol=0.05)


def test_output_size_picks_the_output_padding():
    dp.manual_seed(0)
    layer = nn.ConvTranspose2d(3, 2, 3, stride=(2, 3), padding=1)
    x = dp.rand(2, 3, 4, 5)
    assert layer(x).shape == (2, 2, 7, 13)
    for size in [(7, 13), (8, 15), (2, 2, 8, 14), [7, 14]]:
        out = layer(x, output_size=size)
        assert out.shape[-2:] == tuple(size[-2:])
        np.testing.assert_array_equal(out.data[:, :, :7, :13], layer(x).data)  # the extra positions hold the bias
    assert nn.ConvTranspose1d(3, 2, 2, stride=2)(dp.rand(3, 4), output_size=[3, 9]).shape == (2, 9)  # unbatched
    with pytest.raises(ShapeError, match=r"ConvTranspose2d\(3 -> 2, kernel 3, stride 2x3\): output_size \(9, 13\) is "
                                         r"out of reach on spatial axis 0: an input of size 4 gives 7 to 8 there"):
        layer(x, output_size=(9, 13))
    with pytest.raises(ConfigError, match=r"output_size must have 2 or 4 elements, got \(7,\)"):
        layer(x, output_size=(7,))


CONFIG_LAYERS = [
    nn.ConvTranspose1d(3, 4, 5, stride=2, padding=1, output_padding=1, dilation=2, bias=False),
    nn.ConvTranspose2d(1, 8, (3, 2), dtype=np.float64),
    nn.ConvTranspose2d(4, 8, 3, stride=(2, 3), padding=(0, 1), output_padding=(1, 2), groups=4),
    nn.ConvTranspose1d(6, 9, 2, stride=2, dilation=3, output_padding=2, groups=3, dtype=np.float64),
    nn.ConvTranspose3d(4, 2, (3, 1, 2), stride=(2, 1, 3), padding=(1, 0, 0), output_padding=(1, 0, 2), groups=2,
                       dilation=(1, 2, 1), dtype=np.float64),
]


@pytest.mark.parametrize("layer", CONFIG_LAYERS, ids=repr)
def test_config_rebuilds_an_equal_layer(layer):
    config = json.loads(json.dumps(layer.config()))  # what a saved architecture holds
    rebuilt = type(layer)(**config)
    assert rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)
    ours, theirs = layer.state_dict(), rebuilt.state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape and ours[k].dtype == theirs[k].dtype for k in ours)


def test_every_layer_of_the_file_is_covered():
    classes = {getattr(nn, name) for name in nn.__all__}
    assert {c for c in classes if isinstance(c, type) and c.__module__ == "deltaprop.nn.conv_transpose"} == \
        {type(layer) for layer in CONFIG_LAYERS}


def test_a_model_with_transposed_convolutions_saves_and_loads(tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1, groups=2), nn.ReLU(),
        nn.ConvTranspose2d(4, 2, (2, 3), stride=(1, 2), dilation=2, output_padding=(0, 1), bias=False),
        nn.Flatten(2), nn.ConvTranspose1d(2, 3, 3, stride=3, padding=1, dtype=np.float32),
    )
    model[2].eval()
    x = dp.rand(3, 2, 6, 6)
    dp.save(model, tmp_path / "decoder.safetensors")
    loaded = dp.load(tmp_path / "decoder.safetensors")
    assert repr(loaded) == repr(model) and not loaded[2].training
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    for (key, p), (other, q) in zip(model.named_parameters(), loaded.named_parameters()):
        assert key == other
        np.testing.assert_array_equal(p.data, q.data)


def hostile_file(tmp_path, config, name="ConvTranspose2d"):
    """A model file of one small transposed convolution whose architecture says ``config``."""
    from deltaprop import serialization

    dp.manual_seed(0)
    path = tmp_path / "model.safetensors"
    dp.save(nn.Sequential(nn.ConvTranspose2d(2, 2, 2)), path)
    tensors, info = serialization._read(path)
    info["architecture"]["children"][0] = {"class": name, "config": config, "children": []}
    serialization._write(path, tensors, info)
    return path


@pytest.mark.parametrize("config, message", [
    (dict(in_channels=2, out_channels=2, kernel_size=2, stride=2, output_padding=2),
     r"cannot build layer '0' \(ConvTranspose2d\) .*output_padding must be smaller than either stride or dilation on every "
     r"axis, got output_padding=\(2, 2\), stride=\(2, 2\), dilation=\(1, 1\)"),
    (dict(in_channels=2, out_channels=2, kernel_size=2, padding="same"), r"padding must be an integer"),
    (dict(in_channels=3, out_channels=2, kernel_size=2, groups=2), r"in_channels=3 is not divisible by groups=2"),
    (dict(in_channels=4096, out_channels=4096, kernel_size=3),
     r"the architecture asks for far more weights than the file's 18 values"),
    (dict(in_channels=4096, out_channels=4096, kernel_size=[64, 64], groups=4096),  # 16.8 million weights
     r"the architecture asks for far more weights than the file's 18 values"),
])
def test_hostile_or_invalid_configs_are_refused_before_allocating(tmp_path, config, message):
    with pytest.raises(ModelFileError, match=message):
        dp.load(hostile_file(tmp_path, config))


def test_a_wide_depthwise_transposed_convolution_is_no_hostile_file(tmp_path):
    """groups divides the bound on a layer's weights, strides and output_padding only widen it."""
    dp.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(512, 512, 3, stride=2, padding=1, output_padding=1, groups=512))
    dp.save(model, tmp_path / "wide.safetensors")
    loaded = dp.load(tmp_path / "wide.safetensors")
    np.testing.assert_array_equal(loaded[0].weight.data, model[0].weight.data)


def test_summary_describes_the_layers():
    dp.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                          nn.ConvTranspose2d(2, 2, (2, 3), groups=2))
    text = str(model.summary((4, 5, 5)))
    assert "ConvTranspose2d(4 -> 2, kernel 3, stride 2)" in text and "(N, 2, 10, 10)" in text
    assert "ConvTranspose2d(2 -> 2, kernel 2x3, groups 2)" in text and "(N, 2, 11, 12)" in text
    assert f"Total parameters: {4 * 2 * 9 + 2 + 2 * 1 * 6 + 2}" in text


# -- errors --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2), ConfigError,
     r"^ConvTranspose2d: output_padding must be smaller than either stride or dilation on every axis, got "
     r"output_padding=\(2, 2\), stride=\(2, 2\), dilation=\(1, 1\)$"),
    (lambda: nn.ConvTranspose1d(2, 2, 3, output_padding=1), ConfigError,
     r"^ConvTranspose1d: output_padding must be smaller .* got output_padding=\(1,\), stride=\(1,\), dilation=\(1,\)$"),
    (lambda: nn.ConvTranspose1d(2, 2, 3, output_padding=-1), ConfigError,
     r"^ConvTranspose1d: output_padding must be at least 0, got -1$"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, padding="same"), ConfigError,
     r"^ConvTranspose2d: padding must be an integer or a sequence of 2 integers \('same' and 'valid' are for "
     r"convolutions\), got 'same'$"),
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=4), ConfigError, r"^ConvTranspose2d: out_channels=6 is not divisible by groups=4$"),
    (lambda: nn.ConvTranspose2d(0, 6, 3), ConfigError, r"^ConvTranspose2d: in_channels must be a positive integer, got 0$"),
    (lambda: nn.ConvTranspose2d(2, 2, 3)(dp.rand(1, 3, 4, 4)), ShapeError,
     r"^ConvTranspose2d\(2 -> 2, kernel 3\) expected input of shape \(N, 2, H, W\) or \(2, H, W\), got shape \(1, 3, 4, 4\)$"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, padding=3)(dp.rand(1, 2, 2, 2)), ShapeError,
     r"^ConvTranspose2d\(2 -> 2, kernel 3\): conv_transpose2d: the input's spatial size 2x2 gives an output of size "
     r"-2x-2, which is too small \(padding \(3, 3\) is too large\)$"),
    (lambda: F.conv_transpose2d(dp.rand(1, 2, 3, 3), dp.rand(2, 2, 3, 3), stride=(1, 2), output_padding=(1, 1)),
     ConfigError, r"^conv_transpose2d: output_padding must be smaller .* got output_padding=\(1, 1\), stride=\(1, 2\)"),
    (lambda: F.conv_transpose2d(dp.rand(1, 2, 3, 3), dp.rand(2, 2, 3)), ShapeError,
     r"^conv_transpose2d: weight must have shape \(in_channels, out_channels / groups, kh, kw\), got shape \(2, 2, 3\)$"),
    (lambda: F.conv_transpose1d(dp.rand(1, 3, 3), dp.rand(2, 2, 3)), ShapeError,
     r"^conv_transpose1d: expected input of shape \(N, 2, L\) or \(2, L\) \(the weight's first axis\), got shape \(1, 3, 3\)$"),
    (lambda: F.conv_transpose1d(dp.rand(1, 3, 3), dp.rand(3, 2, 3), groups=2), ShapeError,
     r"^conv_transpose1d: the weight's 3 input channels \(its first axis\) are not divisible by groups=2$"),
    (lambda: F.conv_transpose1d(dp.rand(1, 4, 3), dp.rand(4, 2, 3), dp.rand(2), groups=2), ShapeError,
     r"^conv_transpose1d: bias must have shape \(4,\), got shape \(2,\)$"),
    (lambda: F.conv_transpose1d(dp.rand(1, 4, 3), dp.rand(4, 2, 3), groups=0), ConfigError,
     r"^conv_transpose1d: groups must be a positive integer, got 0$"),
    (lambda: F.conv_transpose1d(dp.rand(1, 4, 3), dp.rand(4, 2, 3), padding="valid"), ConfigError,
     r"^conv_transpose1d: padding must be an integer or a sequence of 1 integers"),
])
def test_errors_name_the_layer_the_option_and_the_numbers(call, error, message):
    with pytest.raises(error, match=message):
        call()
