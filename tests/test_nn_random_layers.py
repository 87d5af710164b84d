"""RReLU, FeatureAlphaDropout and F.gumbel_softmax: random in training, so tested by their
statistics, by reproducibility under deltaprop.manual_seed, and exactly in evaluation."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError
from deltaprop.nn import functional as F
from deltaprop.random import numpy_generator


def normal(*shape, seed=0, dtype=np.float64):
    return dp.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype, requires_grad=True)


# -- RReLU ---------------------------------------------------------------------------------------------


def test_rrelu_training_slopes_are_uniform_between_the_bounds():
    x = dp.tensor(-np.ones(200_000), dtype=np.float64, requires_grad=True)
    dp.manual_seed(0)
    out = nn.RReLU(0.1, 0.3)(x)
    slopes = -out.data
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    # U(0.1, 0.3): mean 0.2, variance 0.2² / 12; 200 000 draws put both within a few standard errors
    assert abs(slopes.mean() - 0.2) < 5 * np.sqrt(0.04 / 12 / 200_000)
    assert abs(slopes.var() - 0.04 / 12) < 0.02 * 0.04 / 12
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, slopes)  # the gradient is each element's own slope


def test_rrelu_keeps_positive_inputs_and_uses_the_mean_slope_in_eval():
    x = normal(50, 4)
    layer = nn.RReLU(0.1, 0.3)
    positive = x.data > 0
    dp.manual_seed(1)
    np.testing.assert_array_equal(layer(x).data[positive], x.data[positive])
    out = layer.eval()(x)
    np.testing.assert_array_equal(out.data, np.where(positive, x.data, 0.2 * x.data))
    np.testing.assert_array_equal(out.data, layer(x).data)  # no draws: the same every time
    np.testing.assert_array_equal(F.rrelu(x, 0.1, 0.3).data, out.data)  # the function's default: evaluation


def test_rrelu_is_reproducible_under_a_seed():
    x = normal(30, 5)
    dp.manual_seed(7)
    first = F.rrelu(x, training=True).data
    second = F.rrelu(x, training=True).data
    dp.manual_seed(7)
    np.testing.assert_array_equal(F.rrelu(x, training=True).data, first)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rrelu_keeps_the_dtype(dtype):
    assert F.rrelu(normal(4, dtype=dtype), training=True).dtype == dtype


# -- FeatureAlphaDropout -------------------------------------------------------------------------------


def test_feature_alpha_dropout_keeps_mean_zero_and_variance_one():
    x = dp.tensor(np.random.default_rng(0).standard_normal((400, 250, 8)), dtype=np.float64)
    dp.manual_seed(0)
    out = nn.FeatureAlphaDropout(0.2)(x).data
    assert abs(out.mean()) < 0.02 and abs(out.var() - 1) < 0.03
    # whole channels dropped: a dropped channel holds one value at all its positions
    dropped = np.ptp(out, axis=2) == 0
    assert abs(dropped.mean() - 0.2) < 0.01


def test_feature_alpha_dropout_gradient_is_the_kept_scale_and_zero_where_dropped():
    x = normal(40, 30, 3)
    dp.manual_seed(2)
    out = F.feature_alpha_dropout(x, 0.5, training=True)
    out.sum().backward()
    a = 1.0 / np.sqrt((1.7580993408473766 ** 2 * 0.5 + 1) * 0.5)
    kept = np.ptp(out.data, axis=2) != 0
    np.testing.assert_allclose(x.grad[kept], a, rtol=1e-12)
    np.testing.assert_array_equal(x.grad[~kept], 0)


def test_feature_alpha_dropout_is_reproducible_and_the_identity_in_eval():
    x = normal(6, 5, 4)
    layer = nn.FeatureAlphaDropout(0.4)
    dp.manual_seed(3)
    first = layer(x).data
    dp.manual_seed(3)
    np.testing.assert_array_equal(layer(x).data, first)
    assert layer.eval()(x) is x
    assert F.feature_alpha_dropout(x, 0.4) is x  # the function's default: evaluation
    np.testing.assert_array_equal(F.feature_alpha_dropout(x, 1.0, training=True).data, np.zeros((6, 5, 4)))


# -- gumbel_softmax ------------------------------------------------------------------------------------


def test_gumbel_softmax_is_softmax_of_the_logits_plus_the_seeded_gumbel_draws():
    logits = normal(3, 5)
    dp.manual_seed(4)
    gumbels = -np.log(numpy_generator().standard_exponential(size=(3, 5)))
    dp.manual_seed(4)
    out = F.gumbel_softmax(logits, tau=0.7)
    z = (logits.data + gumbels) / 0.7
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out.data, expected / expected.sum(axis=1, keepdims=True), rtol=1e-12)


def test_gumbel_softmax_samples_follow_the_softmax_probabilities():
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    dp.manual_seed(5)
    out = F.gumbel_softmax(dp.tensor(np.tile(logits, (100_000, 1)), dtype=np.float64), hard=True)
    frequencies = out.data.mean(axis=0)
    # the Gumbel-max trick: argmax(logits + G) is a draw of the categorical distribution
    np.testing.assert_allclose(frequencies, [0.5, 0.3, 0.15, 0.05], atol=0.006)
    assert set(np.unique(out.data)) == {0.0, 1.0} and (out.data.sum(axis=1) == 1).all()


def test_hard_gumbel_softmax_passes_the_soft_gradient():
    upstream = np.random.default_rng(1).standard_normal((4, 6))
    grads = []
    for hard in (False, True):
        logits = normal(4, 6, seed=2)
        dp.manual_seed(6)
        F.gumbel_softmax(logits, tau=0.5, hard=hard, dim=1).backward(upstream)
        grads.append(logits.grad)
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-10, atol=1e-12)


def test_gumbel_softmax_along_another_axis_and_reproducibly():
    logits = normal(5, 3, 2)
    dp.manual_seed(8)
    first = F.gumbel_softmax(logits, dim=0)
    np.testing.assert_allclose(first.data.sum(axis=0), 1.0, rtol=1e-12)
    dp.manual_seed(8)
    np.testing.assert_array_equal(F.gumbel_softmax(logits, dim=0).data, first.data)


@pytest.mark.parametrize("call, message", [
    (lambda: F.gumbel_softmax(normal(3), tau=0), "gumbel_softmax: tau must be a nonzero number"),
    (lambda: F.gumbel_softmax(normal(3), hard=1), "gumbel_softmax: hard must be True or False"),
    (lambda: F.rrelu(normal(3), 0.4, 0.1), "rrelu: lower must not exceed upper"),
    (lambda: F.feature_alpha_dropout(normal(2, 3), -0.1, True), r"feature_alpha_dropout: p must be a probability"),
])
def test_bad_options_name_the_function(call, message):
    with pytest.raises(ConfigError, match="^" + message):
        call()
