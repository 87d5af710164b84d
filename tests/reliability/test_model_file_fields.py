"""Every argument a model file gives a layer is checked when the file is loaded.

For each layer class a model file can hold, a small model with that layer is saved; then each
argument of each layer in the file's architecture (the children of a Transformer too) is broken in
turn: a value of the wrong type, a negative one, NaN, a huge one (in a list, each element in turn).
Loading must then either refuse in one sentence that names the file, the layer's place in the model
and the argument, leaving nothing changed, or give the layer a directly built one would have: the
value was a legal one. A wrong type is never legal, nor is NaN for a number (only a fill value, a
ConstantPad's ``value``, may be NaN, as in PyTorch).
"""

from __future__ import annotations

import copy
import json
import math
import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, serialization
from deltaprop import random as dp_random
from deltaprop.errors import ModelFileError

from corruption import join, split

# A layer of each class, with arguments away from their defaults where that puts more in the file.
EXAMPLES = {
    "AdaptiveLogSoftmaxWithLoss": lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True),
    "AdaptiveAvgPool2d": lambda: nn.AdaptiveAvgPool2d((2, 3)),
    "AvgPool2d": lambda: nn.AvgPool2d(2, divisor_override=3),
    "BatchNorm1d": lambda: nn.BatchNorm1d(3, bias=False),
    "Bilinear": lambda: nn.Bilinear(2, 3, 4),
    "ConstantPad1d": lambda: nn.ConstantPad1d(1, 0.5),
    "ConstantPad2d": lambda: nn.ConstantPad2d(1, 0.5),
    "Conv2d": lambda: nn.Conv2d(2, 4, 3, groups=2, padding=1, padding_mode="reflect"),
    "ConvTranspose2d": lambda: nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1),
    "Embedding": lambda: nn.Embedding(5, 3, padding_idx=0, max_norm=1.5, norm_type=3.0, sparse=True),
    "EmbeddingBag": lambda: nn.EmbeddingBag(5, 3, max_norm=1.5, norm_type=1.0, mode="sum", sparse=True, padding_idx=0,
                                            include_last_offset=True),
    "LPPool1d": lambda: nn.LPPool1d(2.0, 3, stride=2, ceil_mode=True),
    "LPPool2d": lambda: nn.LPPool2d(1.5, (2, 3), stride=(1, 2)),
    "LocalResponseNorm": lambda: nn.LocalResponseNorm(3, alpha=0.5, beta=0.6, k=2.0),
    "RMSNorm": lambda: nn.RMSNorm((2, 3), eps=1e-5),
    "RReLU": lambda: nn.RReLU(0.1, 0.2),
    "Fold": lambda: nn.Fold((4, 4), 2),
    "GRU": lambda: nn.GRU(3, 4, num_layers=2, dropout=0.1),
    "GroupNorm": lambda: nn.GroupNorm(1, 3, bias=False),
    "Hardtanh": lambda: nn.Hardtanh(-2.0, 2.0),
    "InstanceNorm1d": lambda: nn.InstanceNorm1d(3, affine=True),
    "InstanceNorm2d": lambda: nn.InstanceNorm2d(3, track_running_stats=True),
    "LSTM": lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2),
    "LayerNorm": lambda: nn.LayerNorm((2, 3), bias=False),
    "MaxPool2d": lambda: nn.MaxPool2d(2, ceil_mode=True),
    "MultiheadAttention": lambda: nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True),
    "PReLU": lambda: nn.PReLU(3),
    "ParameterDict": lambda: nn.ParameterDict({"b": np.ones((2, 3), np.float32), "a": np.zeros(4)}),
    "ParameterList": lambda: nn.ParameterList([np.ones((2, 3), np.float32), np.zeros(4)]),
    "RNN": lambda: nn.RNN(3, 4, nonlinearity="relu"),
    "Softplus": lambda: nn.Softplus(2.0, 10.0),
    "Threshold": lambda: nn.Threshold(0.1, 0.0),
    "Transformer": lambda: nn.Transformer(4, 2, 1, 1, 8),
    "TransformerDecoder": lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8), 1),
    "TransformerDecoderLayer": lambda: nn.TransformerDecoderLayer(4, 2, 8),
    "TransformerEncoder": lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 2, norm=nn.LayerNorm(4)),
    "TransformerEncoderLayer": lambda: nn.TransformerEncoderLayer(4, 2, 8),
    "Unflatten": lambda: nn.Unflatten(1, (2, 2)),
    "Upsample": lambda: nn.Upsample(scale_factor=2.0),
    "UpsamplingBilinear2d": lambda: nn.UpsamplingBilinear2d(scale_factor=2.0),
    "UpsamplingNearest2d": lambda: nn.UpsamplingNearest2d(size=(3, 4)),
    "AdaptiveAvgPool3d": lambda: nn.AdaptiveAvgPool3d((2, None, 3)),
    "AdaptiveMaxPool3d": lambda: nn.AdaptiveMaxPool3d((2, 1, 3), return_indices=True),
    "AvgPool3d": lambda: nn.AvgPool3d((2, 1, 2), stride=1, padding=(1, 0, 0), divisor_override=3),
    "BatchNorm3d": lambda: nn.BatchNorm3d(3, momentum=None),
    "ConstantPad3d": lambda: nn.ConstantPad3d((1, 0, 2, 1, 0, 1), 0.5),
    "Conv3d": lambda: nn.Conv3d(2, 4, (3, 1, 2), groups=2, padding=1, dilation=(1, 1, 2), padding_mode="replicate"),
    "ConvTranspose3d": lambda: nn.ConvTranspose3d(2, 4, 3, stride=(2, 1, 2), output_padding=(1, 0, 1), groups=2),
    "InstanceNorm3d": lambda: nn.InstanceNorm3d(3, affine=True, track_running_stats=True),
    "MaxPool3d": lambda: nn.MaxPool3d((2, 3, 2), stride=(1, 2, 1), padding=1, dilation=(1, 1, 2), ceil_mode=True),
    "MaxUnpool3d": lambda: nn.MaxUnpool3d((2, 1, 2), stride=(2, 1, 1), padding=(1, 0, 0)),
    "LPPool3d": lambda: nn.LPPool3d(1.5, (2, 1, 3), stride=(1, 2, 1), ceil_mode=True),
    "CrossMapLRN2d": lambda: nn.CrossMapLRN2d(3, alpha=0.5, beta=0.6, k=2.0),
    "FractionalMaxPool2d": lambda: nn.FractionalMaxPool2d((2, 3), output_size=(4, 3), return_indices=True,
                                                          _random_samples=np.full((1, 2, 2), 0.25, np.float32)),
    "FractionalMaxPool3d": lambda: nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.75, 0.5)),
}
# Arguments with no default: the smallest layer.
REQUIRED = {
    "AdaptiveAvgPool1d": (2,), "ChannelShuffle": (2,), "CircularPad1d": (1,), "CircularPad2d": (1,), "AdaptiveMaxPool1d": (2,), "AdaptiveMaxPool2d": (2,), "AvgPool1d": (2,),
    "BatchNorm2d": (3,), "SyncBatchNorm": (3,), "Conv1d": (2, 4, 3), "ConvTranspose1d": (2, 4, 3), "GRUCell": (3, 4), "LSTMCell": (3, 4),
    "Linear": (2, 3), "MaxPool1d": (2,), "MaxUnpool1d": (2,), "MaxUnpool2d": (2,), "PixelShuffle": (2,),
    "PixelUnshuffle": (2,), "RNNCell": (3, 4), "ReflectionPad1d": (1,), "ReflectionPad2d": (1,),
    "ReplicationPad1d": (1,), "ReplicationPad2d": (1,), "Unfold": (2,), "ZeroPad1d": (1,), "ZeroPad2d": (1,),
    "CircularPad3d": (1,), "ReflectionPad3d": (1,), "ReplicationPad3d": (1,), "ZeroPad3d": (1,),
}
FILL_VALUES = {("ConstantPad1d", "value"), ("ConstantPad2d", "value"), ("ConstantPad3d", "value")}
# Layers whose files hold fields that the example of their class leaves out: a Transformer's
# custom_encoder and custom_decoder, with the custom parts' own layers.
MORE_EXAMPLES = {
    "Transformer custom_encoder": lambda: nn.Transformer(
        4, 2, 1, 1, 8, custom_encoder=nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 2, norm=nn.LayerNorm(4))),
    "Transformer custom_decoder": lambda: nn.Transformer(
        4, 2, 1, 1, 8, custom_decoder=nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 6, norm_first=True), 1)),
    "Transformer custom_encoder custom_decoder": lambda: nn.Transformer(
        4, 2, 1, 1, 8, custom_encoder=nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 1, 6), 1),
        custom_decoder=nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8), 1, norm=nn.LayerNorm(4))),
}


def _layer(name):
    if name in EXAMPLES:
        return EXAMPLES[name]()
    return getattr(nn, name)(*REQUIRED.get(name, ()))


def _corruptions(value):
    """(kind, broken value) pairs for one argument."""
    if isinstance(value, bool):
        yield "wrong type", "yes"
        yield "wrong type", 2
    elif isinstance(value, str):
        yield "wrong type", 7
    elif value is None:
        yield from [("wrong type", "seven"), ("negative", -3), ("nan", math.nan), ("huge", 1e300)]
    elif isinstance(value, (int, float)):
        yield "wrong type", "seven"
        yield "negative", -abs(value) if value else (-1.5 if isinstance(value, float) else -2)
        yield "nan", math.nan
        yield "huge", 1e300 if isinstance(value, float) else 2**62
    elif isinstance(value, list):
        yield "wrong type", "seven"
        for i, item in enumerate(value):
            for kind, bad in _corruptions(item):
                if kind != "wrong type" or i == 0:
                    yield f"{kind} at [{i}]", value[:i] + [bad] + value[i + 1:]


def _layers_in(spec, path=""):
    """(path in the model, architecture entry) of every layer the entry describes."""
    yield path, spec
    names = spec.get("names") or [str(i) for i in range(len(spec["children"]))]
    for name, child in zip(names, spec["children"]):
        if "class" in child:
            yield from _layers_in(child, f"{path}.{name}" if path else name)


def _entry(document, path):
    node = document["architecture"]
    for part in path.split(".") if path else []:
        names = node.get("names") or [str(i) for i in range(len(node["children"]))]
        node = node["children"][names.index(part)]
    return node


def _same(a, b) -> bool:
    """Equal configs (NaN equal to NaN, a tuple to a list, 2 to 2.0 but True to nothing but True)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return (isinstance(a, bool) == isinstance(b, bool)) and a == b


def _state():
    return (json.dumps(dp_random.state_dict(), default=repr), repr(np.random.get_state()), dp.get_default_dtype())


def _problems(make, folder):
    """What went wrong loading each broken copy of a saved model holding the layer ``make()``
    builds, and how many cases there were."""
    dp.manual_seed(0)
    path = folder / "good.safetensors"
    dp.save(nn.Sequential(nn.Identity(), make()), path)
    header, body = split(path.read_bytes())
    document = json.loads(header["__metadata__"]["deltaprop"])
    problems, cases = [], 0
    for where, entry in list(_layers_in(document["architecture"])):
        for field, value in entry["config"].items():
            for kind, bad in _corruptions(value):
                cases += 1
                broken = copy.deepcopy(document)
                _entry(broken, where)["config"][field] = bad
                metadata = {**header["__metadata__"], "deltaprop": json.dumps(broken)}
                target = folder / "broken.safetensors"
                target.write_bytes(join({**header, "__metadata__": metadata}, body))
                case = f"{where} ({entry['class']}) {field}={bad!r} ({kind})"
                before, files = _state(), sorted(folder.iterdir())
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        model = dp.load(target)
                except ModelFileError as error:
                    # (the config a "cannot build" sentence quotes does not count as naming the argument)
                    text = str(error).replace(serialization._short(_entry(broken, where)["config"]), "{...}")
                    named = f"layer '{where}' ({entry['class']})" in text and field in text.split(f"({entry['class']})", 1)[1]
                    # (or the state name of a buffer the argument makes, which the file's weights lack; or,
                    # for a composite, the stored layer inside it that its broken argument no longer fits)
                    inside = f"layer '{where}." in text and f"fit layer '{where}' ({entry['class']})" in text
                    if not (text.startswith(f"{target}: ") and (named or inside or f"{where}.{field}" in text)
                            and "\n" not in text):
                        problems.append(f"{case}: refused without naming the layer and argument: {text}")
                    if _state() != before or sorted(folder.iterdir()) != files:
                        problems.append(f"{case}: the refused load changed the random state or the folder")
                    continue
                except Exception as error:  # noqa: BLE001 - anything but ModelFileError is the problem
                    problems.append(f"{case}: {type(error).__name__}: {error}")
                    continue
                if kind.startswith("wrong type") or (kind.startswith("nan") and (entry["class"], field) not in FILL_VALUES):
                    problems.append(f"{case}: accepted")
                    continue
                got = model.get_submodule(where).config()
                if not entry["children"]:  # a layer of no layers: the same as one built directly
                    config = _entry(broken, where)["config"]
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        cls = getattr(nn, entry["class"])
                        direct = cls._from_config(**config) if hasattr(cls, "_from_config") else cls(**config)
                    expected = direct.config()
                    if not _same(got, expected):
                        problems.append(f"{case}: loaded as {got}, built directly as {expected}")
                    shapes = {k: v.shape for k, v in model.get_submodule(where).state_dict().items()}
                    if shapes != {k: v.shape for k, v in direct.state_dict().items()}:
                        problems.append(f"{case}: loaded with weights {shapes}, unlike one built directly")
                elif not _same(got.get(field), bad):
                    problems.append(f"{case}: loaded as {field}={got.get(field)!r}")
    return problems, cases


LAYER_NAMES = sorted(serialization._layer_classes())


def test_every_layer_class_has_an_example():
    for name in LAYER_NAMES:
        assert serialization.architecture_of(nn.Sequential(_layer(name))) is not None, name


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_each_broken_argument_is_refused_naming_the_layer_and_argument_or_is_legal(name, tmp_path):
    problems, cases = _problems(lambda: _layer(name), tmp_path)
    assert not problems, f"{len(problems)} of {cases} cases:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("name", MORE_EXAMPLES)
def test_the_fields_other_examples_hold_are_refused_broken_too(name, tmp_path):
    make = MORE_EXAMPLES[name]
    config = make().config()
    assert all(config.get(field) is True for field in name.split()[1:])  # the fields the example is for
    problems, cases = _problems(make, tmp_path)
    assert not problems, f"{len(problems)} of {cases} cases:\n" + "\n".join(problems[:20])



def _saved_with(tmp_path, model, change):
    """The path of ``model`` saved, its architecture changed by ``change``."""
    path = tmp_path / "model.safetensors"
    dp.save(model, path)
    header, body = split(path.read_bytes())
    document = json.loads(header["__metadata__"]["deltaprop"])
    change(document["architecture"])
    path.write_bytes(join({**header, "__metadata__": {**header["__metadata__"], "deltaprop": json.dumps(document)}}, body))
    return path


@pytest.mark.parametrize("factor", [1e300, [1e10, 1e10], 2.0**61])
def test_a_scale_factor_no_array_could_hold_the_output_of_is_refused_at_load(tmp_path, factor):
    def change(architecture):
        architecture["children"][1]["config"]["scale_factor"] = factor

    path = _saved_with(tmp_path, nn.Sequential(nn.Identity(), nn.Upsample(scale_factor=2.0)), change)
    with pytest.raises(ModelFileError, match=r"layer '1' \(Upsample\).*scale_factor .*too large for any array"):
        dp.load(path)


@pytest.mark.parametrize("div_value", [1e-12, 1e-300])
def test_an_adaptive_softmax_whose_div_value_asks_for_huge_hidden_layers_is_refused_at_load(tmp_path, div_value):
    def change(architecture):
        architecture["children"][0]["config"]["div_value"] = div_value  # hidden width in_features // div_value

    path = _saved_with(tmp_path, nn.Sequential(nn.AdaptiveLogSoftmaxWithLoss(6, 9, [2, 5], div_value=2.0)), change)
    with pytest.raises(ModelFileError, match=r"asks for far more weights than the file's \d+ values "
                                             r"\(at layer '0' \(AdaptiveLogSoftmaxWithLoss\)"):
        dp.load(path)


@pytest.mark.parametrize("factor", [1e300, (2.0**31, 2.0**30), float(2**61)])
def test_an_upsample_refuses_a_scale_factor_no_output_could_hold(factor):
    with pytest.raises(dp.errors.ConfigError, match=r"Upsample: scale_factor .* makes .*too large for any array"):
        nn.Upsample(scale_factor=factor)


@pytest.mark.parametrize("factor", [1e6, (2.0**20, 2.0**20), 3.5])
def test_a_large_but_possible_scale_factor_is_kept(tmp_path, factor):
    layer = nn.Upsample(scale_factor=factor)
    path = tmp_path / "up.safetensors"
    dp.save(nn.Sequential(layer), path)
    assert dp.load(path)[0].scale_factor == layer.scale_factor
    x = dp.tensor(np.ones((1, 1, 1, 1), dtype=np.float32))
    if factor == 3.5:
        assert nn.Upsample(scale_factor=factor)(x).shape == (1, 1, 3, 3)
