"""F.linear_cross_entropy and nn.LinearCrossEntropyLoss on their own: gradients against finite
differences, the composition they are, the module's saved configuration, and refusals."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, ShapeError
from deltaprop.nn import functional as F

R = np.random.default_rng(3)


def tensor(array, requires_grad=True):
    return dp.tensor(np.asarray(array, dtype=np.float64), dtype="float64", requires_grad=requires_grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("w_shape", [(5, 4), (5, 3, 4)])
def test_gradients_match_finite_differences(w_shape, reduction):
    labels = R.integers(0, 5, (6,) + w_shape[1:-1])
    labels.flat[0] = 1
    weight = R.uniform(0.5, 2, 5)

    def loss(x, W, b):
        return F.linear_cross_entropy(x, W, labels, linear_bias=b, weight=weight, reduction=reduction,
                                      ignore_index=1, label_smoothing=0.1)

    arrays = [R.standard_normal((6, 4)), R.standard_normal(w_shape), R.standard_normal(w_shape[:-1])]
    assert dp.gradcheck(loss, [tensor(a) for a in arrays])


def test_probability_targets_get_gradients_matching_finite_differences():
    p = np.exp(R.standard_normal((6, 5)))
    p /= p.sum(axis=1, keepdims=True)
    arrays = [R.standard_normal((6, 4)), R.standard_normal((5, 4)), p]
    assert dp.gradcheck(lambda x, W, t: F.linear_cross_entropy(x, W, t, label_smoothing=0.2),
                        [tensor(a) for a in arrays])


def test_it_is_cross_entropy_of_the_linear_logits():
    x, W, b = R.standard_normal((6, 4)), R.standard_normal((5, 4)), R.standard_normal(5)
    t = R.integers(0, 5, 6)
    got = F.linear_cross_entropy(tensor(x), tensor(W), t, linear_bias=tensor(b), reduction="none")
    logits = x @ W.T + b
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(got.numpy(), -logp[np.arange(6), t], rtol=1e-12)


def test_options_change_nothing():
    x, W, t = R.standard_normal((6, 4)), R.standard_normal((5, 4)), R.integers(0, 5, 6)
    plain = F.linear_cross_entropy(x, W, t)
    chunked = F.linear_cross_entropy(x, W, t, options=nn.LinearCrossEntropyOptions(batch_chunk_size=2))
    assert plain.item() == chunked.item()


def test_the_module_rebuilds_from_its_config_and_trains():
    loss = nn.LinearCrossEntropyLoss(4, 3, out_features=(2,), bias=True, weight=[1.0, 2.0, 3.0], ignore_index=0,
                                     label_smoothing=0.1, reduction="sum")
    again = nn.LinearCrossEntropyLoss(**{k: v for k, v in loss.config().items()})
    assert again.config() == loss.config()
    assert loss.linear.weight.shape == (6, 4) and loss.linear.bias.shape == (6,)
    x, t = R.standard_normal((8, 4)), R.integers(0, 3, (8, 2))
    optimizer = dp.optim.SGD(loss.parameters(), lr=0.05)
    before = loss(x, t).item()
    for _ in range(20):
        optimizer.zero_grad()
        loss(x, t).backward()
        optimizer.step()
    assert loss(x, t).item() < before


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.linear_cross_entropy(np.ones((2, 4)), np.ones((3, 5)), [0, 1]), ShapeError, "linear_weight"),
    (lambda: F.linear_cross_entropy(np.ones(4), np.ones((3, 2, 4)), [0, 1]), ShapeError, "batched"),
    (lambda: F.linear_cross_entropy(np.ones((2, 4)), np.ones((3, 4)), [0, 1], linear_bias=np.ones(4)), ShapeError,
     "linear_bias"),
    (lambda: F.linear_cross_entropy(np.ones((2, 2, 4)), np.ones((3, 4)), [0, 1]), ShapeError, "input"),
    (lambda: F.linear_cross_entropy(np.ones((2, 4)), np.ones((3, 4)), [0, 1], reduction="avg"), ConfigError,
     "reduction"),
    (lambda: nn.LinearCrossEntropyLoss(4, 3, out_features=(0,)), ConfigError, "out_features"),
    (lambda: nn.LinearCrossEntropyLoss(4, 3, label_smoothing=1.5), ConfigError, "label_smoothing"),
    (lambda: nn.LinearCrossEntropyLoss(4, 3, ignore_index=1.5), ConfigError, "ignore_index"),
])
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("arguments, words", [
    ((0, 4), "in_features must be a positive integer, got 0"),
    ((3, True), "num_classes must be a positive integer, got True"),
    (("3", 4), "in_features must be a positive integer, got '3'"),
])
def test_the_sizes_are_refused_naming_the_loss(arguments, words):
    with pytest.raises(ConfigError, match=f"^LinearCrossEntropyLoss: {words}$"):
        nn.LinearCrossEntropyLoss(*arguments)
