"""Layer bugs scripts/fuzz_layers.py found, each checked against PyTorch."""

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch")


def test_identity_takes_and_ignores_any_arguments():
    # PyTorch's Identity ignores its arguments (a layer picked by a flag: Identity(dim) for LayerNorm(dim))
    x = np.arange(6.0).reshape(2, 3)
    ours = dp.nn.Identity(3, k=2)(dp.tensor(x, dtype=dp.float64))
    theirs = torch.nn.Identity(3, k=2)(torch.tensor(x))
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("p, training", [(0.3, False), (0.0, True), (1.0, True)])
def test_feature_alpha_dropout_of_a_vector_where_nothing_is_drawn(p, training):
    # PyTorch checks for (N, C, *) only where it draws a mask: in evaluation, or with p of 0 or 1,
    # any shape passes (the input, or zeros for p = 1)
    x = np.array([0.5, -1.0, 2.0])
    ours = dp.nn.FeatureAlphaDropout(p).train(training)(dp.tensor(x, dtype=dp.float64))
    theirs = torch.nn.FeatureAlphaDropout(p).train(training)(torch.tensor(x))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=0, atol=0)


def test_feature_alpha_dropout_of_a_vector_that_draws_is_refused():
    with pytest.raises(RuntimeError):
        torch.nn.FeatureAlphaDropout(0.3).train()(torch.ones(3))
    with pytest.raises(dp.errors.ShapeError, match="at least two axes"):
        dp.nn.FeatureAlphaDropout(0.3).train()(dp.ones(3))


def test_embedding_bag_max_with_scale_grad_by_freq_is_refused_at_the_call():
    index = np.array([[0, 1], [1, 1]])
    theirs = torch.nn.EmbeddingBag(3, 2, mode="max", scale_grad_by_freq=True)  # built: refused when called
    with pytest.raises(ValueError, match="frequency"):
        theirs(torch.tensor(index))
    ours = dp.nn.EmbeddingBag(3, 2, mode="max", scale_grad_by_freq=True)
    with pytest.raises(dp.errors.ConfigError, match="scale_grad_by_freq"):
        ours(dp.tensor(index))
