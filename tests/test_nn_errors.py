"""Bad input and bad options get one clear sentence; dropout behaves as documented in both modes."""

import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, DataError, ShapeError
from deltaprop.nn import functional as F

# -- a Linear fed the wrong number of features --------------------------------------------------------


@pytest.mark.parametrize("shape", [(8, 10), (10,), (2, 3, 63)])
def test_linear_with_wrong_features_names_layer_and_shapes(shape):
    layer = nn.Linear(64, 32)
    with pytest.raises(ShapeError) as error:
        layer(dp.randn(*shape))
    message = str(error.value)
    assert "Linear(64 -> 32)" in message
    assert "(N, 64)" in message
    assert str(shape) in message


def test_linear_with_a_scalar_input():
    with pytest.raises(ShapeError, match=re.escape("Linear(3 -> 2)")):
        nn.Linear(3, 2)(dp.tensor(1.0))


def test_wrong_features_inside_sequential_name_the_position_and_layer():
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(32, 8))
    with pytest.raises(ShapeError) as error:
        model(dp.randn(4, 10))
    message = str(error.value)
    assert "layer 2 of Sequential" in message
    assert "Linear(32 -> 8)" in message and "(4, 64)" in message


def test_functional_linear_names_both_shapes():
    expected = "input of shape (3, 4) has 4 features, the weight of shape (2, 5) expects 5"
    with pytest.raises(ShapeError, match=re.escape(expected)):
        F.linear(dp.randn(3, 4), dp.randn(2, 5))


# -- class labels ------------------------------------------------------------------------------------

LOSSES_WITH_LABELS = [
    ("cross_entropy", lambda x, y: F.cross_entropy(x, y)),
    ("cross_entropy", lambda x, y: nn.CrossEntropyLoss(label_smoothing=0.1)(x, y)),
    ("nll_loss", lambda x, y: F.nll_loss(F.log_softmax(x, dim=1), y)),
    ("nll_loss", lambda x, y: nn.NLLLoss()(x, y)),
]


@pytest.mark.parametrize("bad_label", [5, 7, -1])
@pytest.mark.parametrize("name, loss", LOSSES_WITH_LABELS)
def test_label_outside_the_classes_names_label_and_class_count(name, loss, bad_label):
    labels = np.array([0, 4, bad_label, 1])
    with pytest.raises(DataError) as error:
        loss(dp.randn(4, 5), labels)
    message = str(error.value)
    assert name in message
    assert f"class label {bad_label}" in message
    assert "5 classes" in message


def test_label_outside_the_classes_for_spatial_input():
    with pytest.raises(DataError, match="class label 3 is outside \\[0, 3\\)"):
        F.cross_entropy(dp.randn(2, 3, 4), np.array([[0, 1, 2, 3], [0, 0, 0, 0]]))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_fractional_labels_are_refused(loss):
    with pytest.raises(DataError, match="integers"):
        loss(dp.randn(3, 4), np.array([0.0, 1.5, 2.0]))


def test_integral_float_labels_are_accepted():
    logits = dp.randn(3, 4)
    expected = F.cross_entropy(logits, np.array([0, 1, 2]))
    np.testing.assert_allclose(F.cross_entropy(logits, np.array([0.0, 1.0, 2.0])).data, expected.data)


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_a_column_of_labels_is_taken_as_the_labels_as_keras_takes_it(loss):
    logits = dp.randn(3, 4, requires_grad=True)
    expected = loss(logits, np.array([0, 3, 2]), reduction="none")
    got = loss(logits, np.array([[0.0], [3.0], [2.0]]), reduction="none")
    np.testing.assert_allclose(got.data, expected.data)
    with pytest.raises(ShapeError, match=r"target of shape \(3, 2\)"):
        loss(logits, np.zeros((3, 2)))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_label_shape_that_does_not_fit_the_input(loss):
    with pytest.raises(ShapeError) as error:
        loss(dp.randn(3, 4), np.array([0, 1]))
    assert "(2,)" in str(error.value) and "(3, 4)" in str(error.value) and "(3,)" in str(error.value)


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_class_weight_of_the_wrong_length(loss):
    with pytest.raises(ShapeError, match=re.escape("one weight per class: (4,)")):
        loss(dp.randn(3, 4), np.array([0, 1, 2]), weight=np.ones(3))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_scalar_input_to_a_class_loss(loss):
    with pytest.raises(ShapeError, match="class axis"):
        loss(dp.tensor(1.0), np.array(0))


# -- other bad input to losses ----------------------------------------------------------------------

@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.huber_loss, F.binary_cross_entropy_with_logits])
def test_input_and_target_shapes_differ(loss):
    with pytest.raises(ShapeError, match=re.escape("(4, 1)") + ".*" + re.escape("(4,)")):
        loss(dp.rand(4, 1), dp.rand(4))


@pytest.mark.parametrize("values", [[0.2, 1.5], [-0.1, 0.5]])
def test_binary_cross_entropy_refuses_values_outside_zero_one(values):
    with pytest.raises(DataError, match="with_logits"):
        F.binary_cross_entropy(dp.tensor(values), dp.tensor([0.0, 1.0]))


@pytest.mark.parametrize("loss, option", [
    (lambda x, y: F.binary_cross_entropy(x, y, weight=np.ones(4)), "weight"),
    (lambda x, y: nn.BCELoss(weight=np.ones(4))(x, y), "weight"),
    (lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=np.ones((4, 2))), "pos_weight"),
])
def test_elementwise_weight_must_fit_the_input(loss, option):
    """A weight that would enlarge the loss (shape (4,) against (4, 1)) is refused, not broadcast."""
    with pytest.raises(ShapeError, match=f"{option} of shape"):
        loss(dp.rand(4, 1), dp.rand(4, 1))


@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.huber_loss])
def test_integer_predictions_are_compared_as_floats(loss):
    """An integer input must not truncate a float target to integers (which would hide the error)."""
    out = loss(dp.tensor([1, 2]), dp.tensor([1.5, 2.5]), reduction="sum")
    assert out.dtype == np.float32
    assert out.item() >= 0.25  # two misses of 0.5 cost at least 0.25 under each of these losses


def test_register_parameter_refuses_a_plain_tensor():
    with pytest.raises(TypeError, match="Parameter"):
        nn.Module().register_parameter("weight", dp.tensor([1.0], requires_grad=True))


# -- invalid options --------------------------------------------------------------------------------

@pytest.mark.parametrize("build, option", [
    (lambda: nn.Linear(0, 3), "in_features"),
    (lambda: nn.Linear(2.5, 3), "in_features"),
    (lambda: nn.Linear(True, 3), "in_features"),
    (lambda: nn.Linear(3, -1), "out_features"),
    (lambda: nn.Linear(3, 2, dtype=np.int32), "dtype"),
    (lambda: nn.Linear(3, 2, dtype="complex64"), "dtype"),
    (lambda: nn.Dropout(-0.1), "p"),
    (lambda: nn.Dropout(1.5), "p"),
    (lambda: nn.Dropout("0.5"), "p"),
    (lambda: nn.GELU(approximate="fast"), "approximate"),
    (lambda: nn.Softplus(beta=float("nan")), "Softplus: beta must be a finite nonzero number, got nan"),
    (lambda: nn.Softplus(beta=0.0), "Softplus: beta"),
    (lambda: nn.Softplus(beta=float("inf")), "Softplus: beta"),
    (lambda: nn.Softplus(beta="1"), "Softplus: beta"),
    (lambda: nn.Softplus(threshold=float("nan")), "Softplus: threshold must be a real number, got nan"),
    (lambda: nn.CELU(alpha=0.0), "CELU: alpha must be a finite nonzero number, got 0.0"),
    (lambda: nn.CELU(alpha=float("nan")), "CELU: alpha"),
    (lambda: nn.CELU(alpha=True), "CELU: alpha"),
    (lambda: nn.Hardtanh(min_val=1.0, max_val=1.0), "Hardtanh: max_val must be greater than min_val"),
    (lambda: nn.Hardtanh(min_val=2.0, max_val=-2.0), "Hardtanh: max_val must be greater than min_val"),
    (lambda: nn.Hardtanh(min_val=float("nan")), "Hardtanh: min_val"),
    (lambda: nn.Hardtanh(max_val=None), "Hardtanh: max_val"),
    (lambda: nn.PReLU(num_parameters=0), "PReLU: num_parameters must be a positive integer, got 0"),
    (lambda: nn.PReLU(num_parameters=2.0), "PReLU: num_parameters"),
    (lambda: nn.PReLU(init=float("nan")), "PReLU: init must be a finite number, got nan"),
    (lambda: nn.PReLU(dtype=np.int64), "PReLU: dtype"),
    (lambda: nn.Softmin(dim=1.5), "Softmin: dim must be an integer"),
    (lambda: nn.Softmin(dim=None), "Softmin: dim"),
    (lambda: nn.Threshold(float("nan"), 0.0), "Threshold: threshold must be a real number, got nan"),
    (lambda: nn.Threshold(0.0, float("nan")), "Threshold: value must be a real number, got nan"),
    (lambda: nn.Threshold(0.0, "0"), "Threshold: value"),
    (lambda: nn.MSELoss(reduction="avg"), "reduction"),
    (lambda: nn.CrossEntropyLoss(reduction=None), "reduction"),
    (lambda: nn.BCEWithLogitsLoss(reduction="elementwise_mean"), "reduction"),
    (lambda: nn.HuberLoss(delta=0.0), "delta"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=1.5), "label_smoothing"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=-0.1), "label_smoothing"),
])
def test_invalid_constructor_options(build, option):
    with pytest.raises(ConfigError, match=option):
        build()


@pytest.mark.parametrize("call, option", [
    (lambda: F.mse_loss(dp.rand(2), dp.rand(2), reduction="avg"), "reduction"),
    (lambda: F.cross_entropy(dp.rand(2, 3), [0, 1], reduction="max"), "reduction"),
    (lambda: F.cross_entropy(dp.rand(2, 3), [0, 1], label_smoothing=2.0), "label_smoothing"),
    (lambda: F.huber_loss(dp.rand(2), dp.rand(2), delta=-1.0), "delta"),
    (lambda: F.dropout(dp.rand(2), p=1.5), "p"),
    (lambda: nn.init.kaiming_uniform_(dp.zeros(3, 3), mode="fan_avg"), "mode"),
    (lambda: nn.init.calculate_gain("swish"), "swish"),
    (lambda: F.softplus(dp.rand(2), beta=float("nan")), "softplus: beta must be a finite nonzero number, got nan"),
    (lambda: F.celu(dp.rand(2), alpha=0), "celu: alpha"),
    (lambda: F.hardtanh(dp.rand(2), 1.0, -1.0), "hardtanh: min_val must not exceed max_val"),
    (lambda: F.threshold(dp.rand(2), float("nan"), 1.0), "threshold: threshold"),
])
def test_invalid_functional_options(call, option):
    with pytest.raises(ConfigError, match=option):
        call()


def test_fan_based_init_needs_two_dimensions():
    with pytest.raises(ShapeError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(dp.zeros(5))


# -- dropout ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_in_eval_mode_is_the_identity(p):
    layer = nn.Dropout(p).eval()
    x = dp.randn(50, 40)
    out = layer(x)
    assert out is x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_in_training_zeroes_about_p_and_keeps_the_mean(p, dtype):
    dp.manual_seed(0)
    x = dp.ones(400, 500, dtype=dtype)
    out = nn.Dropout(p)(x).data
    assert out.dtype == dtype
    n = out.size
    dropped = np.mean(out == 0)
    # The fraction dropped is a mean of n Bernoulli(p): its spread is √(p(1 − p)/n) ≈ 0.001.
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(out[out != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(out.mean() - 1.0) < 5 * np.sqrt(p / (1 - p) / n)


@pytest.mark.parametrize("p", [0.25, 0.6])
def test_dropout_gradient_flows_only_through_kept_elements(p):
    dp.manual_seed(1)
    x = dp.tensor(np.random.default_rng(0).uniform(1, 2, (30, 20)), requires_grad=True)
    out = nn.Dropout(p)(x)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    kept = out.data != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(x.grad[kept], upstream[kept] / (1 - p), rtol=1e-6)
    np.testing.assert_array_equal(x.grad[~kept], 0)
    np.testing.assert_allclose(out.data[kept], x.data[kept] / (1 - p), rtol=1e-6)


def test_dropout_masks_are_fresh_each_call_and_repeatable_by_seed():
    layer = nn.Dropout(0.5)
    x = dp.ones(20, 30)
    dp.manual_seed(4)
    first, second = layer(x).data, layer(x).data
    assert not np.array_equal(first, second)
    dp.manual_seed(4)
    np.testing.assert_array_equal(layer(x).data, first)


def test_dropout_edge_probabilities():
    x = dp.randn(10, 10, requires_grad=True)
    assert nn.Dropout(0.0)(x) is x
    out = nn.Dropout(1.0)(x)
    np.testing.assert_array_equal(out.data, 0)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, 0)


def test_flatten_names_the_dimension_out_of_range():
    with pytest.raises(ShapeError, match=r"^flatten: end_dim 7 is out of range for a tensor with 4 dimensions \(shape \(2, 3, 4, 4\)\)$"):
        nn.Flatten(1, 7)(dp.zeros(2, 3, 4, 4))


def test_dropout_names_a_probability_that_is_not_a_number():
    with pytest.raises(ConfigError, match=r"^dropout: p must be a probability in \[0, 1\], got 'a'$"):
        F.dropout(dp.zeros(3), "a")


def test_a_convolution_takes_nested_lists_as_linear_does():
    dp.manual_seed(0)
    conv = nn.Conv1d(1, 2, 3)
    out = conv([[[1.0, 2.0, 3.0, 4.0]]])
    np.testing.assert_array_equal(out.data, conv(np.array([[[1.0, 2.0, 3.0, 4.0]]], dtype=np.float32)).data)


@pytest.mark.parametrize("first", [lambda: nn.BatchNorm1d(3), lambda: nn.LayerNorm(3)], ids=["batch_norm", "layer_norm"])
def test_float64_data_into_a_float32_normalization_layer_computes_in_float32(first):
    """As Linear and Conv do: float64 NumPy data must not turn the rest of a float32 network into float64."""
    model = nn.Sequential(first(), nn.Linear(3, 2))
    x = np.random.default_rng(0).normal(size=(4, 3))
    out = model(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, model(x.astype(np.float32)).data)
    out.sum().backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert model.double()(x.astype(np.float32)).dtype == np.float64  # and a float64 layer takes float32 data to float64


@pytest.mark.parametrize("shape, says", [
    ((2, 4), r"PReLU\(num_parameters=3\): the weight has shape \(3,\), one value or one per channel, but the input of shape \(2, 4\) has 4 channels \(dim 1\)"),
    ((3,), r"PReLU\(num_parameters=3\): .* input of shape \(3,\) has no channel axis"),
])
def test_prelu_with_one_weight_per_channel_needs_that_many_channels(shape, says):
    with pytest.raises(ShapeError, match=says):
        nn.PReLU(3)(dp.rand(*shape))
    with pytest.raises(ShapeError, match="^prelu: the weight has shape"):
        F.prelu(dp.rand(*shape), dp.ones(3))


@pytest.mark.parametrize("pool, shape", [(nn.MaxPool1d(2), (1, 2, 4)), (nn.MaxPool2d(2, return_indices=True), (2, 4, 4)),
                                         (nn.MaxPool3d(2), (1, 1, 2, 2, 2))])
def test_max_pooling_of_booleans_is_refused_in_one_sentence_as_in_pytorch(pool, shape):
    # (NumPy's own error about integer limits came out before)
    with pytest.raises(TypeError, match=r"^max_pool[123]d: not implemented for bool tensors.*\.float\(\) first\.$"):
        pool(dp.tensor(np.ones(shape, dtype=bool)))
