"""How convolution and transposed-convolution layers name themselves, and the input-shape error
both kinds raise before any arithmetic (the arithmetic is compared with PyTorch in tests/reference)."""

import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ShapeError


@pytest.mark.parametrize("layer, text", [
    (nn.Conv1d(2, 4, 5), "Conv1d(2 -> 4, kernel 5)"),
    (nn.Conv2d(1, 2, (3, 5)), "Conv2d(1 -> 2, kernel 3x5)"),
    (nn.Conv2d(4, 4, 3, stride=2, groups=2), "Conv2d(4 -> 4, kernel 3, groups 2)"),  # no stride in a conv's
    (nn.ConvTranspose1d(2, 4, 5), "ConvTranspose1d(2 -> 4, kernel 5)"),
    (nn.ConvTranspose2d(4, 2, 3, stride=2), "ConvTranspose2d(4 -> 2, kernel 3, stride 2)"),
    (nn.ConvTranspose2d(4, 2, (2, 3), stride=(2, 1), groups=2), "ConvTranspose2d(4 -> 2, kernel 2x3, stride 2x1, groups 2)"),
    (nn.ConvTranspose2d(4, 2, (3, 3), stride=(1, 1)), "ConvTranspose2d(4 -> 2, kernel 3)"),
])
def test_describe(layer, text):
    assert layer.describe() == text


@pytest.mark.parametrize("layer", [nn.Conv1d(2, 4, 3), nn.ConvTranspose1d(2, 4, 3)], ids=["Conv1d", "ConvTranspose1d"])
@pytest.mark.parametrize("shape", [(8, 3, 10), (3, 10), (10,), (1, 1, 2, 10)])
def test_1d_input_of_the_wrong_shape_is_refused_naming_layer_and_shape(layer, shape):
    expected = f"{layer.describe()} expected input of shape (N, 2, L) or (2, L), got shape {shape}"
    with pytest.raises(ShapeError, match="^" + re.escape(expected) + "$"):
        layer(dp.tensor(np.zeros(shape, dtype=np.float32)))


@pytest.mark.parametrize("layer", [nn.Conv2d(3, 4, 3), nn.ConvTranspose2d(3, 4, 3)], ids=["Conv2d", "ConvTranspose2d"])
@pytest.mark.parametrize("shape", [(2, 1, 5, 5), (1, 5, 5), (5, 5), (3, 5, 5, 5, 5)])
def test_2d_input_of_the_wrong_shape_is_refused_naming_layer_and_shape(layer, shape):
    expected = f"{layer.describe()} expected input of shape (N, 3, H, W) or (3, H, W), got shape {shape}"
    with pytest.raises(ShapeError, match="^" + re.escape(expected) + "$"):
        layer(dp.tensor(np.zeros(shape, dtype=np.float32)))


@pytest.mark.parametrize("layer", [nn.Conv2d(3, 4, 3), nn.ConvTranspose2d(3, 4, 3)], ids=["Conv2d", "ConvTranspose2d"])
def test_a_nested_list_is_checked_by_its_shape_too(layer):
    with pytest.raises(ShapeError, match=re.escape("got shape (2, 5, 5)")):
        layer(np.zeros((2, 5, 5)).tolist())
