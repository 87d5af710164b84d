"""Each normalization layer, in float64, through a model file and back: the file records the layer's
own dtype (also for a layer with no parameters or buffers to show it), and the layer it rebuilds has
the same config, the same dtypes and computes the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn

LAYERS = {
    "BatchNorm1d": (lambda **k: nn.BatchNorm1d(3, **k), (4, 3, 5)),
    "BatchNorm1d-no-affine": (lambda **k: nn.BatchNorm1d(3, affine=False, **k), (4, 3)),
    "BatchNorm1d-bare": (lambda **k: nn.BatchNorm1d(3, affine=False, track_running_stats=False, **k), (4, 3)),
    "BatchNorm2d-no-bias": (lambda **k: nn.BatchNorm2d(3, bias=False, **k), (2, 3, 4, 4)),
    "BatchNorm2d-bare": (lambda **k: nn.BatchNorm2d(3, affine=False, track_running_stats=False, **k), (2, 3, 4, 4)),
    "InstanceNorm1d": (lambda **k: nn.InstanceNorm1d(3, **k), (2, 3, 6)),
    "InstanceNorm1d-stats": (lambda **k: nn.InstanceNorm1d(3, track_running_stats=True, **k), (2, 3, 6)),
    "InstanceNorm2d-affine": (lambda **k: nn.InstanceNorm2d(3, affine=True, **k), (2, 3, 4, 4)),
    "LayerNorm": (lambda **k: nn.LayerNorm((3, 5), **k), (2, 3, 5)),
    "LayerNorm-bare": (lambda **k: nn.LayerNorm(5, elementwise_affine=False, **k), (2, 3, 5)),
    "GroupNorm": (lambda **k: nn.GroupNorm(1, 3, **k), (2, 3, 4)),
    "GroupNorm-bare": (lambda **k: nn.GroupNorm(3, 3, affine=False, **k), (2, 3, 4)),
}
BUILDS = {
    "dtype=float64": lambda build: build(dtype=np.float64),
    "double()": lambda build: build().double(),
    "to(float64)": lambda build: build().to(dp.float64),
}


def _arrays(layer):
    return {name: np.asarray(a.data if isinstance(a, dp.Tensor) else a) for name, a in layer.state_dict().items()}


@pytest.mark.parametrize("how", BUILDS)
@pytest.mark.parametrize("name", LAYERS)
def test_a_float64_norm_layer_round_trips_with_its_dtype(name, how, tmp_path):
    build, shape = LAYERS[name]
    layer = BUILDS[how](build)
    assert layer.config()["dtype"] == "float64"
    x = dp.tensor(np.random.default_rng(3).standard_normal(shape), dtype=np.float64)
    layer(x)  # a training step: running statistics (where kept) leave their defaults
    path = tmp_path / "norm.safetensors"
    dp.save(layer, path)
    again = dp.load(path)
    assert type(again) is type(layer) and again.config() == layer.config()
    for key, array in _arrays(layer).items():
        got = _arrays(again)[key]
        assert got.dtype == array.dtype
        np.testing.assert_array_equal(got, array)
    for mode in ("train", "eval"):
        getattr(layer, mode)(), getattr(again, mode)()
        ours, theirs = layer(x), again(x)
        assert theirs.dtype == np.float64
        np.testing.assert_allclose(theirs.data, ours.data, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name", LAYERS)
def test_a_default_norm_layer_records_float32(name):
    build, _ = LAYERS[name]
    assert build().config()["dtype"] == "float32"
    assert build().double().float().config()["dtype"] == "float32"
