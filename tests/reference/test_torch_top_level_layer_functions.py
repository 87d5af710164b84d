"""PyTorch's top-level forms of its layer functions (``torch.conv2d``, ``torch.batch_norm(...)``,
``torch.dropout(x, p, train)``, ``torch.lstm_cell``, ...; deltaprop/torch_functions.py) against
PyTorch 2.13: values and gradients in float64, called with PyTorch's positional arguments, and the
refusals of bad options (reductions and modes as numbers, hidden states of the wrong shape).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these top-level forms are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import ConfigError, ShapeError  # noqa: E402

rng = np.random.default_rng(7)


def _r(*shape):
    return rng.standard_normal(shape)


X1, X2, X3 = _r(2, 4, 9), _r(2, 4, 6, 6), _r(1, 2, 4, 4, 4)
LOGITS, PROBS = _r(4, 5), rng.uniform(0.1, 0.9, (4, 5))
SIGNS = np.array([1.0, -1.0, 1.0, -1.0])
GRID = rng.uniform(-1, 1, (2, 3, 3, 2))
THETA = np.array([[[1.0, 0.2, 0.1], [-0.1, 0.9, 0.0]]] * 2)
HX = _r(3, 5)
CTC_LOG_PROBS = np.log(rng.dirichlet(np.ones(4), size=(6, 2)))

# name -> (arrays (each a float64 leaf that wants a gradient, but those in NO_GRAD), call(lib, *tensors)).
# Every call is written with PyTorch's positional top-level arguments.
CASES = {
    "conv1d": ([X1, _r(3, 4, 3), _r(3)], lambda lib, x, w, b: lib.conv1d(x, w, b, 2, 1)),
    "conv2d": ([X2, _r(6, 2, 3, 3)], lambda lib, x, w: lib.conv2d(x, w, None, 1, 1, 1, 2)),
    "conv3d": ([X3, _r(3, 2, 2, 2, 2)], lambda lib, x, w: lib.conv3d(x, w)),
    "conv_transpose1d": ([X1, _r(4, 2, 3)], lambda lib, x, w: lib.conv_transpose1d(x, w, None, 2, 1, 1)),
    "conv_transpose2d": ([X2, _r(4, 3, 2, 2)], lambda lib, x, w: lib.conv_transpose2d(x, w, None, 2)),
    "conv_transpose3d": ([X3, _r(2, 2, 2, 2, 2)], lambda lib, x, w: lib.conv_transpose3d(x, w)),
    "convolution": ([X2, _r(3, 4, 3, 3), _r(3)],
                    lambda lib, x, w, b: lib.convolution(x, w, b, [1, 1], [1, 1], [1, 1], False, [0, 0], 1)),
    "convolution transposed": ([X1, _r(4, 3, 3)],
                               lambda lib, x, w: lib.convolution(x, w, None, [2], [1], [1], True, [1], 1)),
    "max_pool1d": ([X1], lambda lib, x: lib.max_pool1d(x, 3, 2, 1)),
    "max_pool1d empty stride": ([X1], lambda lib, x: lib.max_pool1d(x, [3], [], [0], [1], True)),
    "max_pool2d": ([X2], lambda lib, x: lib.max_pool2d(x, 2)),
    "max_pool3d": ([X3], lambda lib, x: lib.max_pool3d(x, 2, 1)),
    "max_pool1d_with_indices": ([X1], lambda lib, x: lib.max_pool1d_with_indices(x, 2)),
    "avg_pool1d": ([X1], lambda lib, x: lib.avg_pool1d(x, 3, 2, 1, False, False)),
    "adaptive_avg_pool1d": ([X1], lambda lib, x: lib.adaptive_avg_pool1d(x, 4)),
    "adaptive_max_pool1d": ([X1], lambda lib, x: lib.adaptive_max_pool1d(x, 3)),
    "batch_norm": ([X2, _r(4), _r(4)],
                   lambda lib, x, w, b: lib.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False)),
    "batch_norm running": ([X2, _r(4)], lambda lib, x, w: lib.batch_norm(
        x, w, None, lib.tensor(np.arange(4.0)), lib.tensor(np.ones(4) * 2), False, 0.1, 1e-3, True)),
    "instance_norm": ([X1, _r(4), _r(4)],
                      lambda lib, x, w, b: lib.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, False)),
    "layer_norm": ([X1, _r(9), _r(9)], lambda lib, x, w, b: lib.layer_norm(x, [9], w, b, 1e-5, True)),
    "group_norm": ([X2, _r(4)], lambda lib, x, w: lib.group_norm(x, 2, w, None, 1e-5, True)),
    "rms_norm": ([X1, _r(9)], lambda lib, x, w: lib.rms_norm(x, [9], w, 1e-6)),
    "dropout not training": ([X1], lambda lib, x: lib.dropout(x, 0.5, False)),
    "alpha_dropout p=0": ([X1], lambda lib, x: lib.alpha_dropout(x, 0.0, True)),
    "feature_dropout not training": ([X1], lambda lib, x: lib.feature_dropout(x, 0.3, False)),
    "feature_alpha_dropout p=0": ([X1], lambda lib, x: lib.feature_alpha_dropout(x, 0.0, True)),
    "embedding": ([_r(6, 3)], lambda lib, w: lib.embedding(w, lib.tensor([[0, 5, 2], [5, 5, 1]]))),
    "embedding padding_idx": ([_r(6, 3)], lambda lib, w: lib.embedding(w, lib.tensor([0, 5, 2, 5]), 5)),
    "embedding negative padding_idx": ([_r(6, 3)], lambda lib, w: lib.embedding(w, lib.tensor([0, 5, 5]), -1)),
    "bilinear": ([_r(3, 4), _r(3, 2), _r(5, 4, 2), _r(5)], lambda lib, a, b, w, c: lib.bilinear(a, b, w, c)),
    "binary_cross_entropy_with_logits": ([LOGITS], lambda lib, x: lib.binary_cross_entropy_with_logits(
        x, lib.tensor(PROBS), lib.tensor(PROBS + 1), lib.tensor(np.arange(1.0, 6.0)), 2)),
    "binary_cross_entropy_with_logits none": ([LOGITS], lambda lib, x: lib.binary_cross_entropy_with_logits(
        x, lib.tensor(PROBS), None, None, 0)),
    "celu": ([X1], lambda lib, x: lib.celu(x, 0.7)),
    "selu": ([X1], lambda lib, x: lib.selu(x)),
    "rrelu not training": ([X1], lambda lib, x: lib.rrelu(x, 0.1, 0.3)),
    "threshold": ([X1], lambda lib, x: lib.threshold(x, 0.2, -3.0)),
    "prelu": ([X1, _r(4)], lambda lib, x, w: lib.prelu(x, w)),
    "hardshrink": ([X1], lambda lib, x: lib.hardshrink(x, 0.4)),
    "pixel_shuffle": ([X2], lambda lib, x: lib.pixel_shuffle(x, 2)),
    "pixel_unshuffle": ([X2], lambda lib, x: lib.pixel_unshuffle(x, 3)),
    "channel_shuffle": ([X2], lambda lib, x: lib.channel_shuffle(x, 2)),
    "native_channel_shuffle": ([X2], lambda lib, x: lib.native_channel_shuffle(x, 2)),
    "cosine_similarity": ([_r(3, 5), _r(3, 5)], lambda lib, a, b: lib.cosine_similarity(a, b, 1, 1e-8)),
    "pairwise_distance": ([_r(3, 5), _r(3, 5)], lambda lib, a, b: lib.pairwise_distance(a, b, 3.0, 1e-6, True)),
    "pdist": ([_r(4, 3)], lambda lib, x: lib.pdist(x, 1.5)),
    "cosine_embedding_loss": ([_r(4, 3), _r(4, 3)], lambda lib, a, b: lib.cosine_embedding_loss(
        a, b, lib.tensor(SIGNS), 0.1, 2)),
    "hinge_embedding_loss": ([_r(4)], lambda lib, x: lib.hinge_embedding_loss(x, lib.tensor(SIGNS), 0.5, 1)),
    "kl_div": ([LOGITS], lambda lib, x: lib.kl_div(x, lib.tensor(PROBS), 0)),
    "kl_div log_target": ([LOGITS], lambda lib, x: lib.kl_div(x, lib.tensor(np.log(PROBS)), 1, log_target=True)),
    "margin_ranking_loss": ([_r(4), _r(4)], lambda lib, a, b: lib.margin_ranking_loss(a, b, lib.tensor(SIGNS), 0.2, 1)),
    # (left out, PyTorch's reduction is 'none' in practice, whatever its schema's default of 1 says)
    "margin_ranking_loss default": ([_r(4), _r(4)], lambda lib, a, b: lib.margin_ranking_loss(a, b, lib.tensor(SIGNS))),
    "kl_div default": ([LOGITS], lambda lib, x: lib.kl_div(x, lib.tensor(PROBS))),
    "triplet_margin_loss default": ([_r(4, 3), _r(4, 3), _r(4, 3)], lambda lib, *a: lib.triplet_margin_loss(*a)),
    "binary_cross_entropy_with_logits default": ([LOGITS], lambda lib, x: lib.binary_cross_entropy_with_logits(
        x, lib.tensor(PROBS))),
    "poisson_nll_loss": ([LOGITS], lambda lib, x: lib.poisson_nll_loss(x, lib.tensor(PROBS * 3), True, True, 1e-8, 1)),
    "poisson_nll_loss rates": ([PROBS], lambda lib, x: lib.poisson_nll_loss(x, lib.tensor(PROBS), False, False, 1e-4,
                                                                             2)),
    "triplet_margin_loss": ([_r(4, 3), _r(4, 3), _r(4, 3)],
                            lambda lib, a, p, n: lib.triplet_margin_loss(a, p, n, 0.5, 2.0, 1e-6, True, 0)),
    "ctc_loss": ([CTC_LOG_PROBS], lambda lib, x: lib.ctc_loss(x, lib.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2], 0, 2)),
    "constant_pad_nd": ([X1], lambda lib, x: lib.constant_pad_nd(x, [1, -2, 2, 0], 0.5)),
    "grid_sampler": ([_r(2, 3, 4, 5), GRID], lambda lib, x, g: lib.grid_sampler(x, g, 0, 1, False)),
    "grid_sampler_2d nearest": ([_r(2, 3, 4, 5)], lambda lib, x: lib.grid_sampler_2d(x, lib.tensor(GRID), 1, 2, True)),
    "affine_grid_generator": ([THETA], lambda lib, t: lib.affine_grid_generator(t, [2, 3, 4, 5], False)),
    "lstm_cell": ([_r(3, 4), HX, HX + 1, _r(20, 4), _r(20, 5), _r(20), _r(20)],
                  lambda lib, x, h, c, wi, wh, bi, bh: lib.lstm_cell(x, (h, c), wi, wh, bi, bh)),
    "gru_cell": ([_r(3, 4), HX, _r(15, 4), _r(15, 5), _r(15), _r(15)],
                 lambda lib, x, h, wi, wh, bi, bh: lib.gru_cell(x, h, wi, wh, bi, bh)),
    "gru_cell without biases": ([_r(3, 4), HX, _r(15, 4), _r(15, 5)], lambda lib, *a: lib.gru_cell(*a)),
    "rnn_tanh_cell": ([_r(3, 4), HX, _r(5, 4), _r(5, 5), _r(5), _r(5)], lambda lib, *a: lib.rnn_tanh_cell(*a)),
    "rnn_relu_cell": ([_r(3, 4), HX, _r(5, 4), _r(5, 5), _r(5)], lambda lib, *a: lib.rnn_relu_cell(*a)),
}


@pytest.fixture(autouse=True)
def _float64(torch_float64):
    """Both libraries make float64 tensors from the arrays, so values compare to a few ulps."""
    before = dp.get_default_dtype()
    dp.set_default_dtype(dp.float64)
    yield
    dp.set_default_dtype(before)


# PyTorch's celu takes its gradient with 1/alpha rounded to float32 (1e-8 off in float64); PyTorch has
# no gradient of native_channel_shuffle (its values are compared, and deltaprop's gradient is channel_shuffle's).
GRADIENT_TOLERANCES = {"celu": dict(rtol=1e-7, atol=1e-9)}
VALUES_ONLY = {"native_channel_shuffle"}


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_pytorch(name):
    arrays, call = CASES[name]
    ours = [dp.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=name not in VALUES_ONLY) for a in arrays]
    got, expected = _outputs(call(dp, *ours)), _outputs(call(torch, *theirs))
    assert len(got) == len(expected)
    floating = []
    for g, e in zip(got, expected):
        assert tuple(g.shape) == tuple(e.shape)
        np.testing.assert_allclose(np.asarray(g.data), e.detach().numpy(), rtol=1e-9, atol=1e-11)
        if e.dtype.is_floating_point:
            floating.append((g, e))
    if name in VALUES_ONLY:
        return
    # The gradient of a weighted sum of every floating output (weights fixed, so every element counts).
    weights = [rng.standard_normal(tuple(e.shape)) for _, e in floating]
    dp.sum(dp.stack([(g * dp.tensor(w)).sum() for (g, _), w in zip(floating, weights)])).backward()
    torch.stack([(e * torch.tensor(w)).sum() for (_, e), w in zip(floating, weights)]).sum().backward()
    for o, t in zip(ours, theirs):
        assert (o.grad is None) == (t.grad is None), name
        if t.grad is not None:
            tolerance = GRADIENT_TOLERANCES.get(name, dict(rtol=1e-8, atol=1e-10))
            np.testing.assert_allclose(np.asarray(o.grad), t.grad.numpy(), **tolerance)


def test_dropout_takes_train_positionally_with_no_default():
    x = dp.ones((400, 50), dtype=dp.float32)
    with pytest.raises(TypeError):
        dp.dropout(x, 0.5)  # pylint: disable=no-value-for-parameter
    with pytest.raises(TypeError):
        torch.dropout(torch.ones(3), 0.5)
    dp.manual_seed(0)
    y = np.asarray(dp.dropout(x, 0.25, True).data)
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02


def test_feature_dropout_drops_whole_channels():
    dp.manual_seed(1)
    y = np.asarray(dp.feature_dropout(dp.ones((300, 4, 5)), 0.5, True).data)
    assert np.all(y == y[:, :, :1])  # one draw per (sample, channel)
    assert set(np.unique(y)) <= {0.0, 2.0} and abs((y == 0).mean() - 0.5) < 0.05
    a = np.asarray(dp.feature_alpha_dropout(dp.ones((300, 4, 5)), 0.5, True).data)
    assert np.all(a == a[:, :, :1])
    for lib, error in ((dp, ShapeError), (torch, RuntimeError)):
        with pytest.raises(error):
            lib.feature_dropout(lib.ones(5), 0.5, True)


def test_rrelu_training_draws_slopes_in_its_bounds():
    dp.manual_seed(2)
    x = -dp.ones(1000)
    slopes = -np.asarray(dp.rrelu(x, 0.1, 0.3, True).data)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    with pytest.raises(ConfigError, match="generator"):
        dp.rrelu(x, 0.1, 0.3, True, dp.Generator())


@pytest.mark.parametrize("call", [
    lambda lib: lib.binary_cross_entropy_with_logits(lib.zeros(3), lib.zeros(3), None, None, 3),
    lambda lib: lib.kl_div(lib.zeros(3), lib.zeros(3), "mean"),
    lambda lib: lib.margin_ranking_loss(lib.zeros(3), lib.zeros(3), lib.ones(3), 0.0, -1),
    lambda lib: lib.grid_sampler(lib.zeros((1, 1, 2, 2)), lib.zeros((1, 1, 1, 2)), 3, 0, False),
    lambda lib: lib.grid_sampler_2d(lib.zeros((1, 1, 2, 2)), lib.zeros((1, 1, 1, 2)), 0, "zeros", False),
])
def test_numbered_options_out_of_range_are_refused(call):
    with pytest.raises(ConfigError):
        call(dp)


def test_grid_sampler_2d_refuses_a_volume():
    with pytest.raises(ShapeError, match="grid_sampler_2d"):
        dp.grid_sampler_2d(dp.zeros((1, 1, 2, 2, 2)), dp.zeros((1, 1, 1, 1, 3)), 0, 0, False)


@pytest.mark.parametrize("call, message", [
    (lambda lib: lib.lstm_cell(lib.zeros((2, 3)), (lib.zeros((2, 4)),), lib.zeros((16, 3)), lib.zeros((16, 4))),
     "pair"),
    (lambda lib: lib.gru_cell(lib.zeros((2, 3)), lib.zeros((2, 5)), lib.zeros((12, 3)), lib.zeros((12, 4))),
     "hidden state"),
    (lambda lib: lib.rnn_tanh_cell(lib.zeros((2, 3)), lib.zeros((2, 4)), lib.zeros((4, 2)), lib.zeros((4, 4))),
     "w_ih"),
    (lambda lib: lib.rnn_relu_cell(lib.zeros((2, 3)), lib.zeros((2, 4)), lib.zeros((4, 3)), lib.zeros((4, 4)),
                                   lib.zeros(3)), "b_ih"),
])
def test_cells_refuse_states_and_weights_of_the_wrong_shape(call, message):
    with pytest.raises(ShapeError, match=message):
        call(dp)
    with pytest.raises((RuntimeError, IndexError)):
        call(torch)


def test_convolution_refuses_a_weight_without_spatial_axes():
    with pytest.raises(ShapeError, match="convolution"):
        dp.convolution(dp.zeros((1, 2)), dp.zeros((3, 2)), None, [1], [0], [1], False, [0], 1)
