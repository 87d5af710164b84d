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
