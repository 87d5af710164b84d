"""nn.AdaptiveLogSoftmaxWithLoss against PyTorch's: with the same weights (a state_dict ported by
name), the same output, loss, log_prob and predict, and the same gradients for the input and every
parameter, in float64 and float32."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference this layer is compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, sample  # noqa: E402

CONFIGS = [
    dict(in_features=8, n_classes=10, cutoffs=[3, 6], div_value=2.0),
    dict(in_features=16, n_classes=10, cutoffs=[3, 6], head_bias=True),
    dict(in_features=6, n_classes=7, cutoffs=[1, 4, 5], div_value=1.0, head_bias=True),
    dict(in_features=5, n_classes=9, cutoffs=[4], div_value=0.5),
]


def twins(config, dtype, seed=0):
    """Our layer and PyTorch's, with PyTorch's weights (drawn from a seed) loaded into ours by name."""
    torch.manual_seed(seed)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(**config).to(TORCH_DTYPES[dtype])
    ours = nn.AdaptiveLogSoftmaxWithLoss(**config, dtype=dtype)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    return ours, theirs


def targets(config, n=12, seed=1):
    """Class indices with every cluster and the shortlist among them."""
    rng = np.random.default_rng(seed)
    bounds = [0, *config["cutoffs"], config["n_classes"]]
    firsts = [rng.integers(low, high) for low, high in zip(bounds, bounds[1:])]
    return np.array(firsts + list(rng.integers(0, config["n_classes"], n - len(firsts))))


def inputs(shape, dtype):
    x = sample(shape, seed=2)
    return (dp.tensor(x, dtype=dtype, requires_grad=True),
            torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True))


def assert_gradients_agree(ours, theirs, x_ours, x_theirs, dtype):
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), err_msg="input", **TOLERANCES[dtype])
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        if b.grad is None:  # a cluster no target fell in: left out of the graph in both
            assert a.grad is None, name
        else:
            np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=name, **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("config", CONFIGS, ids=[str(i) for i in range(len(CONFIGS))])
def test_output_and_loss_match_pytorch(config, dtype):
    ours, theirs = twins(config, dtype)
    y = targets(config)
    x_ours, x_theirs = inputs((len(y), config["in_features"]), dtype)
    got, expected = ours(x_ours, y), theirs(x_theirs, torch.tensor(y))
    assert got._fields == expected._fields == ("output", "loss")
    np.testing.assert_allclose(got.output.data, expected.output.detach().numpy(), **TOLERANCES[dtype])
    np.testing.assert_allclose(got.loss.data, expected.loss.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(len(y), seed=5)
    (got.loss * 2 + (got.output * dp.tensor(upstream, dtype=dtype)).sum()).backward()
    (expected.loss * 2 + (expected.output * torch.tensor(upstream, dtype=TORCH_DTYPES[dtype])).sum()).backward()
    assert_gradients_agree(ours, theirs, x_ours, x_theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("config", CONFIGS, ids=[str(i) for i in range(len(CONFIGS))])
def test_log_prob_matches_pytorch(config, dtype):
    ours, theirs = twins(config, dtype, seed=3)
    x_ours, x_theirs = inputs((5, config["in_features"]), dtype)
    got, expected = ours.log_prob(x_ours), theirs.log_prob(x_theirs)
    assert got.shape == tuple(expected.shape) == (5, config["n_classes"])
    np.testing.assert_allclose(got.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(got.shape, seed=6)
    got.backward(upstream.astype(dtype))
    expected.backward(torch.tensor(upstream, dtype=TORCH_DTYPES[dtype]))
    assert_gradients_agree(ours, theirs, x_ours, x_theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("config", CONFIGS, ids=[str(i) for i in range(len(CONFIGS))])
def test_predict_matches_pytorch_in_the_shortlist_and_in_the_clusters(config, dtype):
    ours, theirs = twins(config, dtype, seed=4)
    with torch.no_grad():  # the clusters' head scores made large for half the rows: their classes win there
        theirs.head.weight[config["cutoffs"][0]:] *= 6
    ours.load_state_dict({name: value.detach().numpy() for name, value in theirs.state_dict().items()})
    x = sample((40, config["in_features"]), seed=7)
    got, expected = ours.predict(x), theirs.predict(torch.tensor(x, dtype=TORCH_DTYPES[dtype]))
    assert got.dtype == np.int64 and not got.requires_grad
    np.testing.assert_array_equal(got.data, expected.numpy())
    assert (got.data < config["cutoffs"][0]).any() and (got.data >= config["cutoffs"][0]).any()
    np.testing.assert_array_equal(got.data, np.argmax(ours.log_prob(x).data, axis=1))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_one_row_and_one_target_match_pytorch(dtype):
    config = CONFIGS[0]
    ours, theirs = twins(config, dtype, seed=5)
    x_ours, x_theirs = inputs((config["in_features"],), dtype)
    got, expected = ours(x_ours, np.array(8)), theirs(x_theirs, torch.tensor(8))
    assert got.output.shape == tuple(expected.output.shape) == ()
    np.testing.assert_allclose(got.output.data, expected.output.detach().numpy(), **TOLERANCES[dtype])
    got.loss.backward()
    expected.loss.backward()
    assert_gradients_agree(ours, theirs, x_ours, x_theirs, dtype)
