"""The four adaptive pooling layers (average and maximum, 1-d and 2-d), which share their checks:
outputs and gradients against PyTorch (float64 and float32) and finite differences (float64), reprs,
configs and model files, and the sentences that refuse a bad output_size or input."""

from __future__ import annotations

import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ShapeError

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the adaptive pools")

LAYERS = ["AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]
SIZES = {  # output_size, input shape
    "AdaptiveAvgPool1d": [(3, (2, 3, 7)), ((2,), (3, 5)), (1, (2, 2, 4)), (5, (1, 2, 5))],
    "AdaptiveMaxPool1d": [(3, (2, 3, 7)), ((2,), (3, 5)), (1, (2, 2, 4)), (4, (1, 2, 9))],
    "AdaptiveAvgPool2d": [(3, (2, 3, 7, 5)), ((2, 3), (3, 5, 7)), ((None, 2), (2, 2, 4, 6)), (None, (1, 2, 3, 4)),
                          (1, (2, 3, 4, 4))],
    "AdaptiveMaxPool2d": [(3, (2, 3, 7, 5)), ((2, 3), (3, 5, 7)), ((None, 2), (2, 2, 4, 6)), (None, (1, 2, 3, 4)),
                          (1, (2, 3, 4, 4))],
}
CASES = [(name, size, shape) for name in LAYERS for size, shape in SIZES[name]]
IDS = [f"{name}-{size}-{'x'.join(map(str, shape))}" for name, size, shape in CASES]
TOLERANCES = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-6, atol=1e-6)}


def _input(shape):
    # distinct values, so that no bin has a tie for its maximum
    return np.random.default_rng(1).permutation(np.prod(shape)).reshape(shape) / 7.0 - 1.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, size, shape", CASES, ids=IDS)
def test_values_and_gradients_are_pytorchs(name, size, shape, dtype):
    x = _input(shape)
    ours = dp.tensor(x, dtype=dtype, requires_grad=True)
    theirs = torch.tensor(x, dtype=torch.float64 if dtype == np.float64 else torch.float32, requires_grad=True)
    result = getattr(nn, name)(size)(ours)
    expected = getattr(torch.nn, name)((None, None) if size is None else size)(theirs)  # (PyTorch's for None)
    g = np.linspace(-1.0, 1.5, result.data.size).reshape(result.shape)
    result.backward(g.astype(dtype))
    expected.backward(torch.tensor(g, dtype=expected.dtype))
    assert result.shape == tuple(expected.shape) and result.dtype == dtype
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **TOLERANCES[dtype])
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("name, size, shape", CASES, ids=IDS)
def test_gradients_match_finite_differences(name, size, shape):
    layer = getattr(nn, name)(size)
    assert dp.gradcheck(layer, dp.tensor(_input(shape), dtype=np.float64, requires_grad=True))


@pytest.mark.parametrize("name", ["AdaptiveMaxPool1d", "AdaptiveMaxPool2d"])
def test_return_indices_gives_pytorchs_indices(name):
    size, shape = SIZES[name][0]
    x = _input(shape)
    out, where = getattr(nn, name)(size, return_indices=True)(dp.tensor(x, dtype=np.float64))
    expected, expected_where = getattr(torch.nn, name)(size, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    np.testing.assert_array_equal(where.numpy(), expected_where.numpy())


DESCRIPTIONS = [  # layer, output_size as given, repr, describe(), config()
    (nn.AdaptiveAvgPool1d(3), "AdaptiveAvgPool1d(output_size=3)", "AdaptiveAvgPool1d(3)", {"output_size": 3}),
    (nn.AdaptiveAvgPool1d([3]), "AdaptiveAvgPool1d(output_size=(3,))", "AdaptiveAvgPool1d((3,))",
     {"output_size": (3,)}),
    (nn.AdaptiveMaxPool1d((2,)), "AdaptiveMaxPool1d(output_size=(2,))", "AdaptiveMaxPool1d((2,))",
     {"output_size": (2,), "return_indices": False}),
    (nn.AdaptiveMaxPool1d(4, return_indices=True), "AdaptiveMaxPool1d(output_size=4)", "AdaptiveMaxPool1d(4)",
     {"output_size": 4, "return_indices": True}),
    (nn.AdaptiveAvgPool2d(1), "AdaptiveAvgPool2d(output_size=1)", "AdaptiveAvgPool2d(1)", {"output_size": 1}),
    (nn.AdaptiveAvgPool2d([None, 2]), "AdaptiveAvgPool2d(output_size=(None, 2))", "AdaptiveAvgPool2d((None, 2))",
     {"output_size": (None, 2)}),
    (nn.AdaptiveAvgPool2d(None), "AdaptiveAvgPool2d(output_size=None)", "AdaptiveAvgPool2d(None)",
     {"output_size": None}),
    (nn.AdaptiveMaxPool2d((2, 3)), "AdaptiveMaxPool2d(output_size=(2, 3))", "AdaptiveMaxPool2d((2, 3))",
     {"output_size": (2, 3), "return_indices": False}),
    (nn.AdaptiveMaxPool2d(None), "AdaptiveMaxPool2d(output_size=None)", "AdaptiveMaxPool2d(None)",
     {"output_size": None, "return_indices": False}),
]


@pytest.mark.parametrize("layer, text, described, config", DESCRIPTIONS, ids=[d[1] for d in DESCRIPTIONS])
def test_repr_describe_config_and_model_file(layer, text, described, config, tmp_path):
    assert repr(layer) == text and layer.describe() == described and layer.config() == config
    dp.save(layer, tmp_path / "pool.safetensors")
    again = dp.load(tmp_path / "pool.safetensors")
    assert type(again) is type(layer) and repr(again) == text and again.config() == config
    x = dp.tensor(_input((2, 3, 6) if "1d" in text else (2, 3, 6, 5)), dtype=np.float64)
    ours, theirs = layer(x), again(x)
    for a, b in zip(ours if isinstance(ours, tuple) else (ours,), theirs if isinstance(theirs, tuple) else (theirs,)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


ONE = "must be a non-negative integer, got {}"
TWO = "must be a non-negative integer or a pair of them (None keeps an axis), got {}"


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("size", [0, -1, True, "ab", None, (2, 3), (None, 2), (2,), (2, None, 1), [0, 2], (2, 2.5)],
                         ids=repr)
def test_a_bad_output_size_is_one_sentence_naming_the_layer(name, size):
    two = name.endswith("2d")
    accepted = [None, (2, 3), (None, 2), 0, [0, 2]] if two else [(2,), 0]  # (0: an empty output, as in PyTorch)
    if any(size == good and type(size) is type(good) for good in accepted):
        getattr(nn, name)(size)
        return
    words = (TWO if two else ONE).format(repr(size))
    with pytest.raises(ConfigError, match=f"^{re.escape(name)}: output_size {re.escape(words)}$"):
        getattr(nn, name)(size)


@pytest.mark.parametrize("name", LAYERS)
def test_a_float_output_size_is_refused_in_one_sentence(name):
    # (AdaptiveAvgPool2d took len() of it and failed with Python's TypeError)
    words = (TWO if name.endswith("2d") else ONE).format("2.5")
    with pytest.raises(ConfigError, match=f"^{re.escape(name)}: output_size {re.escape(words)}$"):
        getattr(nn, name)(2.5)


@pytest.mark.parametrize("name, shape, expected", [
    ("AdaptiveAvgPool1d", (5,), "AdaptiveAvgPool1d(2) expected input of shape (N, C, L) or (C, L), got shape (5,)"),
    ("AdaptiveMaxPool1d", (1, 2, 3, 4), "AdaptiveMaxPool1d(2) expected input of shape (N, C, L) or (C, L), "
                                        "got shape (1, 2, 3, 4)"),
    ("AdaptiveAvgPool2d", (2, 3), "AdaptiveAvgPool2d(2) expected input of shape (N, C, H, W) or (C, H, W), "
                                  "got shape (2, 3)"),
    ("AdaptiveMaxPool2d", (1, 2, 3, 4, 5), "AdaptiveMaxPool2d(2) expected input of shape (N, C, H, W) or "
                                           "(C, H, W), got shape (1, 2, 3, 4, 5)"),
    ("AdaptiveMaxPool1d", (2, 3, 0), "AdaptiveMaxPool1d(2): adaptive_max_pool1d: the input of shape (2, 3, 0) is "
                                     "empty along dimension 2, a spatial one, where each bin of the output needs at "
                                     "least one position."),
])
def test_an_input_of_the_wrong_shape_is_one_sentence_naming_the_layer(name, shape, expected):
    with pytest.raises(ShapeError, match=f"^{re.escape(expected)}$"):
        getattr(nn, name)(2)(dp.ones(*shape))
