"""RMSNorm and F.rms_norm: the formula by hand, finite differences in float64, the default eps,
a model file and back, and errors that name the layer and the option."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ShapeError
from deltaprop.nn import functional as F


def test_a_hand_worked_row():
    # x = (3, 4): mean(x²) = 12.5, so y = x / √12.5 (eps 0 in effect at this scale)
    out = F.rms_norm(dp.tensor([[3.0, 4.0]], dtype=np.float64), (2,), eps=1e-12)
    np.testing.assert_allclose(out.data, [[3 / np.sqrt(12.5), 4 / np.sqrt(12.5)]], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eps_none_is_the_dtype_machine_epsilon(dtype):
    x = dp.tensor(np.full((1, 4), 1e-4), dtype=dtype)
    expected = 1e-4 / np.sqrt(1e-8 + np.finfo(dtype).eps)
    np.testing.assert_allclose(F.rms_norm(x, 4).data, np.full((1, 4), expected), rtol=1e-5)
    assert nn.RMSNorm(4).eps is None


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape, normalized", [((3, 5), (5,)), ((2, 3, 4), (3, 4)), ((4,), (4,))])
def test_gradients_match_finite_differences(shape, normalized, affine):
    rng = np.random.default_rng(0)
    x = dp.tensor(rng.standard_normal(shape), dtype=np.float64, requires_grad=True)
    args = [x]
    if affine:
        args.append(dp.tensor(rng.standard_normal(normalized), dtype=np.float64, requires_grad=True))
    assert dp.gradcheck(lambda x, w=None: F.rms_norm(x, normalized, w, eps=1e-5), args)
    assert dp.gradcheck(lambda x, w=None: F.rms_norm(x, normalized, w), args)


def test_the_gradient_is_more_than_the_scaled_upstream():
    """The projection term −x̂·mean(ĝ·x̂) matters: r·g alone would be far off."""
    x = dp.tensor(np.random.default_rng(1).standard_normal((3, 4)), dtype=np.float64, requires_grad=True)
    out = F.rms_norm(x, 4, eps=1e-6)
    out.backward(np.ones((3, 4)))
    r = 1 / np.sqrt(np.mean(x.data ** 2, axis=-1, keepdims=True) + 1e-6)
    assert np.abs(x.grad - r).max() > 1e-2  # the true gradient is not r·g


def test_layer_and_function_agree_and_weight_gets_its_gradient():
    layer = nn.RMSNorm((2, 3), dtype=np.float64)
    layer.weight.data[...] = np.arange(1.0, 7.0).reshape(2, 3)
    x = dp.tensor(np.random.default_rng(2).standard_normal((4, 2, 3)), dtype=np.float64)
    out = layer(x)
    np.testing.assert_array_equal(out.data, F.rms_norm(x, (2, 3), layer.weight).data)
    out.sum().backward()
    xhat = x.data / np.sqrt(np.mean(x.data ** 2, axis=(1, 2), keepdims=True) + np.finfo(np.float64).eps)
    np.testing.assert_allclose(layer.weight.grad, xhat.sum(axis=0), rtol=1e-12)


def test_parameters_repr_and_state_dict_follow_pytorch():
    layer = nn.RMSNorm(4)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    np.testing.assert_array_equal(layer.weight.data, np.ones(4, np.float32))
    assert repr(layer) == "RMSNorm((4,), eps=None, elementwise_affine=True)"
    bare = nn.RMSNorm([2, 3], eps=1e-5, elementwise_affine=False)
    assert bare.weight is None and list(bare.state_dict()) == []
    assert repr(bare) == "RMSNorm((2, 3), eps=1e-05, elementwise_affine=False)"


@pytest.mark.parametrize("build", [
    lambda: nn.RMSNorm(5), lambda: nn.RMSNorm((3, 5), eps=1e-4, elementwise_affine=False),
    lambda: nn.RMSNorm(5, dtype=np.float64),
], ids=["default", "bare", "float64"])
def test_a_model_file_round_trips(build, tmp_path):
    dp.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 15), nn.Unflatten(1, (3, 5)), build())
    model.to(model[2]._dtype)
    if model[2].weight is not None:
        model[2].weight.data[...] = np.random.default_rng(3).standard_normal(model[2].weight.shape)
    dp.save(model, tmp_path / "m.safetensors")
    again = dp.load(tmp_path / "m.safetensors")
    assert repr(again) == repr(model) and again[2].config() == model[2].config()
    x = dp.tensor(np.random.default_rng(4).standard_normal((2, 5)), dtype=model[2]._dtype)
    np.testing.assert_array_equal(again(x).data, model(x).data)


@pytest.mark.parametrize("make, option", [
    (lambda: nn.RMSNorm(()), "normalized_shape"),
    (lambda: nn.RMSNorm(0), "normalized_shape"),
    (lambda: nn.RMSNorm(4, eps=-1.0), "eps"),
    (lambda: nn.RMSNorm(4, eps="small"), "eps"),
])
def test_bad_options_name_the_layer_and_option(make, option):
    with pytest.raises(ConfigError, match=rf"^RMSNorm: {option} must be"):
        make()


def test_a_wrong_input_shape_names_the_layer_and_both_shapes():
    with pytest.raises(ShapeError, match=r"RMSNorm\(\(4,\)\) expected input of shape \(\.\.\., 4\), got shape \(2, 3\)"):
        nn.RMSNorm(4)(dp.randn(2, 3))
    with pytest.raises(ShapeError, match=r"rms_norm: weight must have shape \(3,\), got shape \(4,\)"):
        F.rms_norm(dp.randn(2, 3), 3, dp.randn(4))
