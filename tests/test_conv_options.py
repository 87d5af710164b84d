"""The convolution and pooling options beyond the basic ones: ``padding_mode``, MaxPool's
``return_indices`` with MaxUnpool, AvgPool's ``divisor_override``, ``device``, and the options of
PyTorch's that deltaprop refuses.

Finite differences (float64) for every gradient, worked examples, model-file round trips, hostile
values in files, and the error sentences; the comparison with PyTorch lives in
tests/reference/test_torch_conv_options.py.
"""

import json

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ModelFileError
from deltaprop.nn import functional as F
from deltaprop.serialization import load, save


def randn(*shape, seed=0, requires_grad=True):
    array = np.random.default_rng(seed).standard_normal(shape)
    return dp.tensor(array, dtype=np.float64, requires_grad=requires_grad)


def set_first_layers_argument(path, key, value):
    """Rewrite a saved Sequential's file so that its first layer's config has ``key`` = ``value``
    (what a damaged or hostile file may hold): the JSON header is rebuilt, the tensors kept."""
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    info = json.loads(header["__metadata__"]["deltaprop"])
    info["architecture"]["children"][0]["config"][key] = value
    header["__metadata__"]["deltaprop"] = json.dumps(info)
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + size:])


def check_layer(layer, x):
    """gradcheck of ``layer`` (in float64) with respect to its input and its weights."""
    layer = layer.to(np.float64)
    names = [name for name, _ in layer.named_parameters()]

    def run(x, *parameters):
        saved = {name: getattr(layer, name) for name in names}
        for name, value in zip(names, parameters):
            object.__setattr__(layer, name, value)
        try:
            return layer(x)
        finally:
            for name, value in saved.items():
                object.__setattr__(layer, name, value)

    weights = [dp.tensor(p.data, dtype=np.float64, requires_grad=True) for _, p in layer.named_parameters()]
    assert dp.gradcheck(run, [x, *weights])


# -- padding_mode ------------------------------------------------------------------------------------

MODES = ["reflect", "replicate", "circular"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("options", [dict(padding=1), dict(padding=2, stride=2), dict(padding="same", dilation=2),
                                     dict(padding="same", kernel_size=4, groups=2)], ids=str)
def test_conv1d_padding_mode_gradients(mode, options):
    options = dict(dict(kernel_size=3), **options)
    dp.manual_seed(0)
    check_layer(nn.Conv1d(2, 4, padding_mode=mode, **options), randn(2, 2, 7))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("options", [dict(padding=1), dict(padding=(2, 1), stride=(2, 1)), dict(padding="same"),
                                     dict(padding=1, groups=2, bias=False)], ids=str)
def test_conv2d_padding_mode_gradients(mode, options):
    dp.manual_seed(0)
    check_layer(nn.Conv2d(2, 2, 3, padding_mode=mode, **options), randn(2, 2, 5, 4))


@pytest.mark.parametrize("mode, padded", [
    ("reflect", [2, 1, 2, 3, 2]),
    ("replicate", [1, 1, 2, 3, 3]),
    ("circular", [3, 1, 2, 3, 1]),
    ("zeros", [0, 1, 2, 3, 0]),
])
def test_padding_mode_worked_example(mode, padded):
    """A kernel of ones sums each window of three: the padded row [p, 1, 2, 3, q], summed."""
    conv = nn.Conv1d(1, 1, 3, padding=1, bias=False, padding_mode=mode)
    conv.weight.data[...] = 1.0
    out = conv(dp.tensor([[[1.0, 2.0, 3.0]]]))
    expected = [sum(padded[i:i + 3]) for i in range(3)]
    np.testing.assert_allclose(out.data[0, 0], expected)


def test_a_zeros_padding_mode_is_the_plain_convolution():
    dp.manual_seed(0)
    plain = nn.Conv2d(2, 3, 3, padding=1)
    zeros = nn.Conv2d(2, 3, 3, padding=1, padding_mode="zeros")
    zeros.load_state_dict(plain.state_dict())
    x = randn(2, 2, 5, 5, requires_grad=False).float()
    assert np.array_equal(plain(x).data, zeros(x).data)
    assert plain.config() == zeros.config() and "padding_mode" not in plain.config()


@pytest.mark.parametrize("value", ["zero", "Reflect", "", 0, None, ["reflect"]])
@pytest.mark.parametrize("name", ["Conv1d", "Conv2d"])
def test_a_bad_padding_mode_is_one_sentence_naming_it(name, value):
    with pytest.raises(ConfigError) as error:
        getattr(nn, name)(1, 1, 3, padding_mode=value)
    message = str(error.value)
    assert message.startswith(f"{name}: padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got ")
    assert "\n" not in message


def test_a_huge_padding_mode_is_cut_in_the_error():
    with pytest.raises(ConfigError) as error:
        nn.Conv2d(1, 1, 3, padding_mode="x" * 100_000)
    assert len(str(error.value)) < 200


@pytest.mark.parametrize("name", ["ConvTranspose1d", "ConvTranspose2d"])
@pytest.mark.parametrize("value", ["reflect", "circular", 0, None])
def test_a_transposed_convolution_takes_only_zeros_padding(name, value):
    assert getattr(nn, name)(1, 1, 3, padding_mode="zeros").config() == getattr(nn, name)(1, 1, 3).config()
    with pytest.raises(ConfigError, match=f"^{name}: padding_mode must be 'zeros' .*, got {value!r}$"):
        getattr(nn, name)(1, 1, 3, padding_mode=value)


def test_a_reflect_padding_too_wide_for_the_input_names_the_layer():
    with pytest.raises(ValueError, match=r"^Conv1d\(1 -> 1, kernel 5\): pad: mode='reflect' needs padding amounts"):
        nn.Conv1d(1, 1, 5, padding=2, padding_mode="reflect")(dp.randn(1, 1, 2))


@pytest.mark.parametrize("layer", [
    nn.Conv1d(2, 3, 3, padding=1, padding_mode="circular"),
    nn.Conv2d(2, 4, 3, padding="same", groups=2, padding_mode="reflect", bias=False),
    nn.Conv2d(2, 4, 3, padding=(1, 2), padding_mode="replicate", dtype=np.float64),
], ids=repr)
def test_padding_mode_is_in_the_config_and_repr(layer):
    config = json.loads(json.dumps(layer.config()))
    assert config["padding_mode"] == layer.padding_mode
    rebuilt = type(layer)(**config)
    assert rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)
    assert repr(layer).endswith(f"padding_mode={layer.padding_mode})")


def test_a_model_with_padding_modes_round_trips(tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, padding_mode="reflect"), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding="same", padding_mode="circular", groups=2), nn.ReLU(),
        nn.Conv2d(4, 2, 3, padding=1, padding_mode="replicate"), nn.Flatten(1),
    )
    save(model, tmp_path / "modes.safetensors")
    loaded = load(tmp_path / "modes.safetensors")
    assert [getattr(m, "padding_mode", None) for m in loaded] == ["reflect", None, "circular", None, "replicate", None]
    assert repr(loaded) == repr(model)
    x = dp.randn(3, 1, 6, 6)
    with dp.no_grad():
        assert np.array_equal(loaded(x).data, model(x).data)


@pytest.mark.parametrize("value, message", [
    ('"mirror"', "padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got 'mirror'"),
    ("7", "padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got 7"),
    ("null", "padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', got None"),
    ('"' + "x" * 50_000 + '"', "padding_mode must be one of"),
])
def test_a_file_with_a_bad_padding_mode_is_one_sentence(tmp_path, value, message):
    save(nn.Sequential(nn.Conv2d(1, 1, 3, padding_mode="reflect")), tmp_path / "model.safetensors")
    set_first_layers_argument(tmp_path / "model.safetensors", "padding_mode", json.loads(value))
    with pytest.raises(ModelFileError) as error:
        load(tmp_path / "model.safetensors")
    assert message in str(error.value) and "\n" not in str(error.value) and len(str(error.value)) < 600


# -- device ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"])
def test_convolutions_take_the_cpu_as_device_and_refuse_another(name):
    assert getattr(nn, name)(1, 2, 3, device="cpu").config() == getattr(nn, name)(1, 2, 3).config()
    with pytest.raises(ConfigError, match=f"^{name}: .*cuda"):
        getattr(nn, name)(1, 2, 3, device="cuda")


def test_a_file_giving_a_layer_a_huge_device_is_one_short_sentence(tmp_path):
    save(nn.Sequential(nn.Conv2d(1, 1, 3)), tmp_path / "model.safetensors")
    set_first_layers_argument(tmp_path / "model.safetensors", "device", "x" * 50_000)
    with pytest.raises(ModelFileError, match="is not a device") as error:
        load(tmp_path / "model.safetensors")
    assert len(str(error.value)) < 600


# -- MaxPool's return_indices and MaxUnpool ----------------------------------------------------------


def test_max_pool_indices_worked_example():
    """Flat positions h·W + w in the unpadded plane; a padded window's maximum is a real cell."""
    x = dp.tensor([[[[1.0, 5.0, 2.0],
                     [7.0, 3.0, 9.0],
                     [4.0, 8.0, 6.0]]]])
    out, index = nn.MaxPool2d(2, stride=1, return_indices=True)(x)
    np.testing.assert_array_equal(out.data[0, 0], [[7.0, 9.0], [8.0, 9.0]])
    np.testing.assert_array_equal(index.data[0, 0], [[3, 5], [7, 5]])
    out, index = F.max_pool2d(x, 2, 2, 1, return_indices=True)  # windows of the padded 5x5 plane
    np.testing.assert_array_equal(out.data[0, 0], [[1.0, 5.0], [7.0, 9.0]])
    np.testing.assert_array_equal(index.data[0, 0], [[0, 1], [3, 5]])
    out, index = F.max_pool1d(dp.tensor([[3.0, 1.0, 4.0, 1.0, 5.0]]), 2, 2, 0, 1, True, True)  # ceil mode
    np.testing.assert_array_equal(index.data, [[0, 2, 4]])
    assert index.dtype == np.int64


@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                     dict(kernel_size=2, dilation=2, ceil_mode=True)], ids=str)
@pytest.mark.parametrize("dims", [1, 2])
def test_max_pool_with_indices_gradients_and_output_equal_the_plain_ones(options, dims):
    x = randn(2, 3, *(7,) * dims)
    layer = getattr(nn, f"MaxPool{dims}d")
    out, index = layer(**options, return_indices=True)(x)
    assert np.array_equal(out.data, layer(**options)(x).data)
    assert not index.requires_grad and index.dtype == np.int64
    assert dp.gradcheck(lambda x: layer(**options, return_indices=True)(x)[0], [x])
    # each index points at the value it reports
    planes = x.data.reshape(6, -1)
    np.testing.assert_array_equal(np.take_along_axis(planes, index.data.reshape(6, -1), axis=1),
                                  out.data.reshape(6, -1))


@pytest.mark.parametrize("dims", [1, 2])
def test_max_unpool_gradients(dims):
    """Unpooling after a pooling of disjoint windows: every value has its own place."""
    dp.manual_seed(0)
    shape = (2, 3, *(6,) * dims)
    _, index = getattr(nn, f"MaxPool{dims}d")(2, return_indices=True)(randn(*shape))
    values = randn(*index.shape, seed=1)
    unpool = getattr(F, f"max_unpool{dims}d")
    assert dp.gradcheck(lambda v: unpool(v, index, 2), [values])
    assert dp.gradcheck(lambda x: getattr(nn, f"MaxUnpool{dims}d")(2)(
        *getattr(nn, f"MaxPool{dims}d")(2, return_indices=True)(x)), [randn(*shape, seed=2)])


def test_max_unpool_worked_example():
    values = dp.tensor([[[7.0, 9.0]]], requires_grad=True)
    out = nn.MaxUnpool1d(2)(values, dp.tensor(np.array([[[1, 2]]])))
    np.testing.assert_array_equal(out.data, [[[0.0, 7.0, 9.0, 0.0]]])
    out.backward(np.array([[[10.0, 20.0, 30.0, 40.0]]]))
    np.testing.assert_array_equal(values.grad, [[[20.0, 30.0]]])
    out = F.max_unpool2d(dp.tensor([[[5.0]]]), np.array([[[4]]]), 2, output_size=(3, 3))
    np.testing.assert_array_equal(out.data, [[[0, 0, 0], [0, 5, 0], [0, 0, 0]]])


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.MaxUnpool2d(2)(dp.zeros(1, 1, 2, 2), dp.tensor(np.zeros((1, 1, 2, 3), np.int64))), ValueError,
     r"^MaxUnpool2d\(kernel 2\): max_unpool2d: indices must have the input's shape \(1, 1, 2, 2\), got shape \(1, 1, 2, 3\)$"),
    (lambda: nn.MaxUnpool2d(2)(dp.zeros(1, 1, 2, 2), dp.zeros(1, 1, 2, 2)), ValueError,
     r"^MaxUnpool2d\(kernel 2\): max_unpool2d: indices must be integers .*got dtype float32$"),
    (lambda: nn.MaxUnpool1d(2)(dp.zeros(1, 1, 2), dp.tensor(np.array([[[0, 4]]]))), ValueError,
     r"^MaxUnpool1d\(kernel 2\): max_unpool1d: index 4 in indices is outside the output plane of 4 \(0 to 3\)$"),
    (lambda: nn.MaxUnpool1d(2)(dp.zeros(1, 1, 2), dp.tensor(np.array([[[-1, 0]]]))), ValueError,
     r"index -1 in indices is outside"),
    (lambda: nn.MaxUnpool1d(2)(dp.zeros(1, 1, 2), dp.tensor(np.array([[[0, 1]]])), output_size=(6,)), ValueError,
     r"^MaxUnpool1d\(kernel 2\): max_unpool1d: output_size \(6,\) is out of reach on spatial axis 0: "
     r"an input of size 2 unpools to 3 to 5 there$"),
    (lambda: nn.MaxUnpool1d(2)(dp.zeros(1, 1, 2), dp.tensor(np.array([[[0, 1]]])), output_size="4"), ValueError,
     r"output_size must be a sequence of 1 or 3 integers, got '4'"),
    (lambda: nn.MaxUnpool2d(2)(dp.zeros(2, 2), dp.tensor(np.zeros((2, 2), np.int64))), ValueError,
     r"expected input of shape \(N, C, H, W\) or \(C, H, W\), got shape \(2, 2\)"),
    (lambda: nn.MaxUnpool2d(0), ValueError, r"^MaxUnpool2d: kernel_size must be at least 1, got 0$"),
    (lambda: nn.MaxUnpool1d(2, stride=(1, 2)), ValueError, r"^MaxUnpool1d: stride must be an integer or a sequence of 1"),
    (lambda: nn.MaxPool2d(2, return_indices="yes"), ValueError, r"^MaxPool2d: return_indices must be True or False, got 'yes'$"),
    (lambda: F.max_pool1d(dp.zeros(1, 1, 4), 2, return_indices=1), ValueError, r"^max_pool1d: return_indices must be True or False"),
])
def test_pooling_index_errors_are_one_sentence(call, error, message):
    with pytest.raises(error, match=message) as raised:
        call()
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("layer", [
    nn.MaxPool2d(3, 2, 1, return_indices=True), nn.MaxPool1d(2, return_indices=True),
    nn.MaxUnpool1d(3, stride=2, padding=1), nn.MaxUnpool2d((2, 3)),
], ids=repr)
def test_indices_options_are_in_the_config(layer):
    config = json.loads(json.dumps(layer.config()))
    rebuilt = type(layer)(**config)
    assert rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)
    assert "return_indices" not in repr(layer)  # PyTorch does not print it
    assert "return_indices" not in nn.MaxPool2d(2).config()  # a plain layer's file stays what it was


def test_a_max_pool_returning_indices_round_trips(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2, return_indices=True))
    save(model, tmp_path / "pool.safetensors")
    loaded = load(tmp_path / "pool.safetensors")
    assert loaded[1].return_indices is True
    x = dp.randn(2, 1, 6, 6)
    (out, index), (expected, expected_index) = loaded(x), model(x)
    assert np.array_equal(out.data, expected.data) and np.array_equal(index.data, expected_index.data)


@pytest.mark.parametrize("key, value, message", [
    ("return_indices", "yes", "return_indices must be True or False, got 'yes'"),
    ("return_indices", 1, "return_indices must be True or False, got 1"),
])
def test_a_file_with_a_bad_return_indices_is_one_sentence(tmp_path, key, value, message):
    save(nn.Sequential(nn.MaxPool2d(2, return_indices=True)), tmp_path / "model.safetensors")
    set_first_layers_argument(tmp_path / "model.safetensors", key, value)
    with pytest.raises(ModelFileError, match=message):
        load(tmp_path / "model.safetensors")


# -- AvgPool2d's divisor_override --------------------------------------------------------------------


@pytest.mark.parametrize("options", [dict(kernel_size=2, divisor_override=3),
                                     dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=-2)],
                         ids=str)
def test_divisor_override_gradients(options):
    assert dp.gradcheck(lambda x: nn.AvgPool2d(**options)(x), [randn(2, 2, 5, 6)])


def test_divisor_override_worked_example():
    x = dp.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    out = F.avg_pool2d(x, 2, divisor_override=2)  # the sums of the four 2x2 windows, halved
    np.testing.assert_array_equal(out.data[0, 0], [[5.0, 9.0], [21.0, 25.0]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 4, 4), 0.5))


def test_divisor_override_is_in_the_config_only_when_given(tmp_path):
    layer = nn.AvgPool2d(3, stride=2, padding=1, divisor_override=4)
    assert layer.config()["divisor_override"] == 4 and "divisor_override=4" in repr(layer)
    assert "divisor_override" not in nn.AvgPool2d(2).config()
    save(nn.Sequential(layer), tmp_path / "pool.safetensors")
    loaded = load(tmp_path / "pool.safetensors")
    assert loaded[0].divisor_override == 4
    x = dp.randn(2, 3, 6, 6)
    assert np.array_equal(loaded(x).data, layer(x).data)
    set_first_layers_argument(tmp_path / "pool.safetensors", "divisor_override", 0)
    with pytest.raises(ModelFileError, match="divisor_override must be a nonzero integer or None, got 0"):
        load(tmp_path / "pool.safetensors")
    with pytest.raises(ConfigError, match="^avg_pool2d: divisor_override must be a nonzero integer or None, got 1.5$"):
        F.avg_pool2d(x, 2, divisor_override=1.5)


# -- BatchNorm's bias ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (5, 3)), ("BatchNorm2d", (4, 3, 2, 2))])
def test_batch_norm_without_bias_gradients(name, shape):
    layer = getattr(nn, name)(3, bias=False)
    assert layer.bias is None and list(layer.state_dict())[:2] == ["weight", "running_mean"]
    layer.weight.data[...] = np.random.default_rng(3).standard_normal(3)
    check_layer(layer, randn(*shape))


def test_batch_norm_without_bias_is_gamma_times_the_normalized_input():
    x = randn(6, 2, requires_grad=False)
    layer = nn.BatchNorm1d(2, bias=False, dtype=np.float64)
    layer.weight.data[...] = [2.0, -1.0]
    normalized = (x.data - x.data.mean(0)) / np.sqrt(x.data.var(0) + 1e-5)
    np.testing.assert_allclose(layer(x).data, normalized * [2.0, -1.0], rtol=1e-12)


def test_batch_norm_bias_is_in_the_config_only_when_left_out(tmp_path):
    assert "bias" not in nn.BatchNorm2d(3).config() and "bias" not in nn.BatchNorm2d(3, affine=False).config()
    dp.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3, bias=False))
    model(dp.randn(4, 1, 5, 5))  # move the running statistics
    save(model.eval(), tmp_path / "norm.safetensors")
    loaded = load(tmp_path / "norm.safetensors")
    assert loaded[1].bias is None and repr(loaded) == repr(model)
    assert "bias=False, track_running_stats=True" in repr(loaded[1])
    x = dp.randn(2, 1, 5, 5)
    assert np.array_equal(loaded(x).data, model(x).data)


@pytest.mark.parametrize("make", [
    lambda **o: nn.Linear(2, 3, **o), lambda **o: nn.Bilinear(2, 2, 3, **o), lambda **o: nn.Embedding(5, 3, **o),
    lambda **o: nn.BatchNorm1d(3, **o), lambda **o: nn.LayerNorm(3, **o), lambda **o: nn.GroupNorm(1, 3, **o),
    lambda **o: nn.InstanceNorm2d(3, **o), lambda **o: nn.LSTM(3, 4, **o), lambda **o: nn.GRUCell(3, 4, **o),
    lambda **o: nn.RNNCell(3, 4, **o), lambda **o: nn.RNN(3, 4, **o), lambda **o: nn.GRU(3, 4, **o),
    lambda **o: nn.LSTMCell(3, 4, **o),
])
def test_layers_take_the_cpu_as_device_and_refuse_another(make):
    dp.manual_seed(0)
    plain = make()
    dp.manual_seed(0)
    on_cpu = make(device="cpu")
    assert repr(on_cpu) == repr(plain) and on_cpu.config() == plain.config()
    name = type(plain).__name__
    with pytest.raises(ConfigError, match=f"^{name}: deltaprop computes with NumPy on the CPU, so there is no 'mps' device"):
        make(device="mps")
    with pytest.raises(ConfigError, match=f"^{name}: 'gpu' is not a device"):
        make(device="gpu")


@pytest.mark.parametrize("build", [
    lambda: nn.MaxPool2d(np.int64(2), stride=np.int64(1), padding=np.int64(1)),
    lambda: nn.AvgPool1d(np.int32(2), padding=[np.int64(1)]),
    lambda: nn.AvgPool2d((np.int64(2), 3), divisor_override=np.int64(3)),
    lambda: nn.LPPool2d(2, np.int64(2), stride=np.int64(1)),
    lambda: nn.AdaptiveAvgPool2d((np.int64(2), None)),
    lambda: nn.AdaptiveMaxPool1d(np.int64(3)),
    lambda: nn.Unfold(np.int64(2), stride=np.int64(1)),
    lambda: nn.Fold(np.int64(4), np.int64(2)),
    lambda: nn.Flatten(np.int64(1), np.int64(-1)),
    lambda: nn.Softmax(dim=np.int64(1)),
    lambda: nn.LogSoftmax(dim=np.int64(1)),
])
def test_layers_given_numpy_integers_save_and_load(build, tmp_path):
    """Sizes from NumPy (a sweep over np.arange, say): the file's JSON once refused them (int64 is not
    JSON serializable); they are kept as Python's."""
    layer = build()
    save(nn.Sequential(layer), tmp_path / "layer.safetensors")
    loaded = load(tmp_path / "layer.safetensors")[0]
    assert loaded.config() == layer.config() and repr(loaded) == repr(layer)
    assert "np." not in repr(layer)


@pytest.mark.parametrize("pool", [F.max_pool1d, F.avg_pool1d])
def test_a_pooling_takes_a_numpy_integer_stride(pool):
    x = dp.randn(2, 3, 9)
    assert np.array_equal(pool(x, 3, stride=np.int64(2)).data, pool(x, 3, stride=2).data)
