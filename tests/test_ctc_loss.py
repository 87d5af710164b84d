"""F.ctc_loss and nn.CTCLoss: hand-worked alignments, finite differences in float64 (through
log_softmax, and PyTorch's convention for the gradient with respect to log_probs themselves), model
files, and errors naming the option and the sequence."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError, DataError, ShapeError
from deltaprop.nn import functional as F


def log_probs(rows):
    return dp.tensor(np.log(np.array(rows)), dtype=np.float64, requires_grad=True)


def test_every_alignment_of_one_label_in_two_frames_by_hand():
    # blank 0, label 1, two frames: the paths 1 1, 0 1 and 1 0 all read "1"
    y = [[0.4, 0.6], [0.3, 0.7]]
    lp = log_probs(y)
    loss = F.ctc_loss(lp, np.array([1]), np.array(2), np.array(1), reduction="sum")
    p = 0.6 * 0.7 + 0.4 * 0.7 + 0.6 * 0.3  # 0.88
    np.testing.assert_allclose(loss.item(), -np.log(p), rtol=1e-12)
    loss.backward()
    # y_t(c) − (paths through c at frame t)/p: frame 0 is "1" in the paths 1 1 and 1 0, blank in 0 1
    through = np.array([[0.4 * 0.7, 0.6 * 0.7 + 0.6 * 0.3], [0.6 * 0.3, 0.6 * 0.7 + 0.4 * 0.7]])
    np.testing.assert_allclose(lp.grad, np.array(y) - through / p, rtol=1e-12)


def test_a_repeated_label_needs_a_blank_between_by_hand():
    # "1 1" from three frames: the only path is 1 0 1; from two frames there is none
    y = np.array([[0.2, 0.8], [0.5, 0.5], [0.1, 0.9]])
    loss = F.ctc_loss(dp.tensor(np.log(y), dtype=np.float64), np.array([1, 1]), np.array(3), np.array(2))
    np.testing.assert_allclose(loss.item(), -np.log(0.8 * 0.5 * 0.9) / 2, rtol=1e-12)  # 'mean': over 2 labels
    short = F.ctc_loss(dp.tensor(np.log(y[:2])), np.array([1, 1]), np.array(2), np.array(2), reduction="sum")
    assert short.item() == np.inf
    assert F.ctc_loss(dp.tensor(np.log(y[:2])), np.array([1, 1]), np.array(2), np.array(2), zero_infinity=True).item() == 0


def test_mean_divides_each_sequence_by_its_target_length_then_averages():
    rng = np.random.default_rng(0)
    lp = F.log_softmax(dp.tensor(rng.standard_normal((7, 3, 4)), dtype=np.float64), -1)
    labels, lengths_in, lengths_out = np.array([[1, 2, 3], [2, 2, 0], [1, 0, 0]]), np.array([7, 6, 5]), np.array([3, 2, 0])
    each = F.ctc_loss(lp, labels, lengths_in, lengths_out, reduction="none").data
    mean = F.ctc_loss(lp, labels, lengths_in, lengths_out).item()
    np.testing.assert_allclose(mean, np.mean(each / np.array([3, 2, 1])), rtol=1e-12)  # an empty target: by 1


def random_problem(seed=0, T=7, N=3, C=5, blank=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(1, C, (N, 3))
    labels[labels == blank] = 0 if blank else 1
    labels[0, 1] = labels[0, 0]  # a repeat
    return rng.standard_normal((T, N, C)), labels, np.array([T, T - 2, T - 1])[:N], np.array([3, 2, 1])[:N]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("blank", [0, 2])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_gradient_through_log_softmax_matches_finite_differences(reduction, blank, layout):
    logits, labels, lengths_in, lengths_out = random_problem(blank, blank=blank)
    targets = labels if layout == "padded" else np.concatenate([r[:n] for r, n in zip(labels, lengths_out)])
    x = dp.tensor(logits, dtype=np.float64, requires_grad=True)

    def loss(x):
        return F.ctc_loss(F.log_softmax(x, -1), targets, lengths_in, lengths_out, blank=blank, reduction=reduction)

    assert dp.gradcheck(loss, [x])


def test_the_gradient_for_log_probs_is_the_exact_one_plus_the_probabilities():
    """PyTorch's convention, kept: ∂E/∂log_probs reported = ∂E/∂log_probs exact + exp(log_probs),
    which log_softmax's backward cancels (see the previous test)."""
    logits, labels, lengths_in, lengths_out = random_problem(3)
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    x = dp.tensor(lp, dtype=np.float64, requires_grad=True)
    F.ctc_loss(x, labels, lengths_in, lengths_out, reduction="sum").backward()
    eps, exact = 1e-6, np.zeros_like(lp)
    for index in np.ndindex(lp.shape):
        up, down = lp.copy(), lp.copy()
        up[index] += eps
        down[index] -= eps
        exact[index] = (F.ctc_loss(up, labels, lengths_in, lengths_out, reduction="sum").item()
                        - F.ctc_loss(down, labels, lengths_in, lengths_out, reduction="sum").item()) / (2 * eps)
    frames = np.arange(lp.shape[0])[:, None, None] < lengths_in[None, :, None]
    np.testing.assert_allclose(x.grad, np.where(frames, exact + np.exp(lp), 0.0), atol=1e-7)


def test_frames_after_an_input_end_get_no_gradient_and_change_nothing():
    logits, labels, lengths_in, lengths_out = random_problem(4)
    x = dp.tensor(logits, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(x, -1), labels, lengths_in, lengths_out, reduction="sum")
    loss.backward()
    assert np.all(x.grad[lengths_in[1]:, 1] == 0) and np.any(x.grad[: lengths_in[1], 1] != 0)
    changed = logits.copy()
    changed[lengths_in[1]:, 1] += 5.0
    again = F.ctc_loss(F.log_softmax(dp.tensor(changed), -1), labels, lengths_in, lengths_out, reduction="sum")
    np.testing.assert_allclose(again.item(), loss.item(), rtol=1e-6)


def test_an_impossible_sequence_has_nan_gradients_or_none_with_zero_infinity():
    logits, labels, _, lengths_out = random_problem(5)
    lengths_in = np.array([7, 1, 6])  # sequence 1: two labels in one frame
    for zero_infinity, expected in ((False, np.nan), (True, 0.0)):
        x = dp.tensor(logits, requires_grad=True)
        loss = F.ctc_loss(F.log_softmax(x, -1), labels, lengths_in, lengths_out, reduction="none",
                          zero_infinity=zero_infinity)
        assert loss.data[1] == (0 if zero_infinity else np.inf) and np.all(np.isfinite(loss.data[[0, 2]]))
        loss.sum().backward()
        np.testing.assert_array_equal(x.grad[:1, 1], np.full((1, 5), expected))  # its one frame
        assert np.all(x.grad[1:, 1] == 0)  # the frames after it
        assert np.all(np.isfinite(x.grad[:, [0, 2]]))


def test_float32_stays_float32():
    logits, labels, lengths_in, lengths_out = random_problem(6)
    x = dp.tensor(logits.astype(np.float32), requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(x, -1), labels, lengths_in, lengths_out)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


def test_the_module_is_the_function_and_survives_a_model_file(tmp_path):
    logits, labels, lengths_in, lengths_out = random_problem(7, blank=3)
    lp = F.log_softmax(dp.tensor(logits), -1)
    layer = nn.CTCLoss(blank=3, reduction="none", zero_infinity=True)
    np.testing.assert_array_equal(layer(lp, labels, lengths_in, lengths_out).data,
                                  F.ctc_loss(lp, labels, lengths_in, lengths_out, 3, "none", True).data)
    path = tmp_path / "ctc.safetensors"
    dp.save(nn.Sequential(nn.Identity(), layer), path)
    loaded = dp.load(path)[1]
    assert type(loaded) is nn.CTCLoss and loaded.config() == {"blank": 3, "reduction": "none", "zero_infinity": True}
    assert repr(nn.CTCLoss()) == "CTCLoss()"


def problem_arguments(**changes):
    logits, labels, lengths_in, lengths_out = random_problem(8)
    arguments = dict(log_probs=dp.tensor(logits), targets=labels, input_lengths=lengths_in,
                     target_lengths=lengths_out)
    arguments.update(changes)
    return arguments


@pytest.mark.parametrize("changes, error, sentence", [
    (dict(target_lengths=np.array([4, 2, 1])), DataError,
     "ctc_loss: target length 4 of sequence 0 is longer than the 3 labels a row of the padded targets holds"),
    (dict(targets=np.array([1, 2, 3, 4]), target_lengths=np.array([3, 2, 1])), ShapeError,
     r"ctc_loss: the concatenated targets hold 4 labels, but target_lengths add up to 6"),
    (dict(input_lengths=np.array([8, 5, 6])), DataError,
     "ctc_loss: input length 8 is longer than log_probs' 7 time steps"),
    (dict(input_lengths=np.array([7, -1, 6])), DataError, "ctc_loss: input_lengths must not be negative, got -1"),
    (dict(target_lengths=np.array([3, -2, 1])), DataError, "ctc_loss: target_lengths must not be negative, got -2"),
    (dict(input_lengths=np.array([7, 5])), ShapeError,
     r"ctc_loss: input_lengths must hold one length per sequence, \(3,\), got shape \(2,\)"),
    (dict(input_lengths=np.array([7.0, 5.0, 6.0])), DataError, "ctc_loss: input_lengths must be integers, got dtype float64"),
    (dict(blank=5), ConfigError, r"ctc_loss: blank must be a class index in \[0, 5\) for 5 classes, got 5"),
    (dict(blank=-1), ConfigError, r"ctc_loss: blank must be a class index in \[0, 5\) for 5 classes, got -1"),
    (dict(targets=np.array([[1, 2, 7], [1, 1, 0], [4, 0, 0]])), DataError,
     r"ctc_loss: target label 7 is outside \[0, 5\) for 5 classes"),
    (dict(targets=np.array([[[1, 2, 3]]] * 3)), ShapeError,
     r"ctc_loss: targets must be padded \(3, S\) or concatenated \(Σ target_lengths,\), got shape \(3, 1, 3\)"),
    (dict(log_probs=dp.zeros(7, 3, 5, 1)), ShapeError,
     r"ctc_loss: log_probs must have shape \(T, N, C\) or \(T, C\) for one sequence, got shape \(7, 3, 5, 1\)"),
    (dict(log_probs=dp.zeros(0, 3, 5)), ShapeError, r"ctc_loss: log_probs must not be empty, got shape \(0, 3, 5\)"),
    (dict(reduction="avg"), ConfigError, "ctc_loss: reduction must be one of 'mean', 'sum', 'none', got 'avg'"),
    (dict(zero_infinity=1), ConfigError, "ctc_loss: zero_infinity must be True or False, got 1"),
])
def test_bad_arguments_are_one_sentence(changes, error, sentence):
    with pytest.raises(error, match=f"^{sentence}$"):
        F.ctc_loss(**problem_arguments(**changes))


def test_labels_in_the_padding_are_not_checked():
    # past each target's length the padded row may hold anything (PyTorch's padding is often −1 or 0)
    arguments = problem_arguments()
    padded = arguments["targets"].copy()
    padded[2, 1:] = -1
    np.testing.assert_array_equal(F.ctc_loss(**{**arguments, "targets": padded}).data, F.ctc_loss(**arguments).data)


@pytest.mark.parametrize("kwargs, sentence", [
    (dict(blank=-1), r"CTCLoss: blank must be a class index \(a non-negative integer\), got -1"),
    (dict(blank=True), r"CTCLoss: blank must be a class index \(a non-negative integer\), got True"),
    (dict(zero_infinity="yes"), "CTCLoss: zero_infinity must be True or False, got 'yes'"),
    (dict(reduction="batchmean"), "CTCLoss: reduction must be one of mean, sum, none, got 'batchmean'"),
])
def test_the_module_refuses_bad_options_in_one_sentence(kwargs, sentence):
    with pytest.raises(ConfigError, match=f"^{sentence}$"):
        nn.CTCLoss(**kwargs)
