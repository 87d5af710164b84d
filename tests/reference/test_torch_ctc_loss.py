"""F.ctc_loss and nn.CTCLoss against PyTorch: the same log-probabilities, targets and lengths give
the same losses and the same gradients (with respect to log_probs, and through log_softmax to the
logits), in float64 and float32: random lengths, repeated labels, a blank other than 0, padded and
concatenated targets, every reduction, and impossible alignments with and without zero_infinity."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference this loss is compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TORCH_DTYPES  # noqa: E402

TF = torch.nn.functional
# The recursion adds T frames of log-probabilities: float32 sums drift a little further than one op's.
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=2e-5)}


def problem(seed, T=12, N=5, C=6, S=5, blank=0, repeats=False):
    """Logits (T, N, C), padded targets (N, S) with no blank among them, and random lengths: each
    target no longer than its input, some inputs shorter than T, one target empty."""
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((T, N, C))
    input_lengths = rng.integers(T // 2, T + 1, N)
    input_lengths[0] = T
    target_lengths = np.array([rng.integers(0, min(S, n // 2) + 1) for n in input_lengths])
    target_lengths[0], target_lengths[-1] = S, 0
    labels = rng.integers(0, C - 1, (N, S))
    labels[labels >= blank] += 1  # every class but the blank
    if repeats:
        labels[:, 1] = labels[:, 0]  # a label twice in a row: the alignment needs a blank between
        labels[1] = labels[1, 0]
    return logits, labels, input_lengths, target_lengths


def concatenated(labels, target_lengths):
    return np.concatenate([row[:n] for row, n in zip(labels, target_lengths)])


def compare(logits, targets, input_lengths, target_lengths, dtype, through_softmax=True, **options):
    """Loss and gradients of ours and PyTorch's on the same numbers, compared (NaN where PyTorch's is)."""
    x_ours = dp.tensor(logits, dtype=dtype, requires_grad=True)
    x_theirs = torch.tensor(logits, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    if through_softmax:
        lp_ours, lp_theirs = F.log_softmax(x_ours, -1), x_theirs.log_softmax(-1)
        lp_ours.retain_grad()
        lp_theirs.retain_grad()
    else:  # log_probs given directly (already normalised): the gradient PyTorch defines for them
        lp_ours, lp_theirs = x_ours, x_theirs
    out = F.ctc_loss(lp_ours, targets, input_lengths, target_lengths, **options)
    expected = TF.ctc_loss(lp_theirs, torch.tensor(targets), torch.tensor(input_lengths), torch.tensor(target_lengths),
                           **options)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = np.random.default_rng(3).uniform(0.5, 1.5, out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(lp_ours.grad, lp_theirs.grad.numpy(), err_msg="log_probs", **TOLERANCES[dtype])
    if through_softmax:
        np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), err_msg="logits", **TOLERANCES[dtype])
    return out


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
@pytest.mark.parametrize("blank", [0, 3, 5])
@pytest.mark.parametrize("repeats", [False, True], ids=["distinct", "repeated"])
def test_ctc_loss_matches_pytorch(dtype, reduction, layout, blank, repeats):
    logits, labels, input_lengths, target_lengths = problem(blank + 10 * repeats, blank=blank, repeats=repeats)
    targets = labels if layout == "padded" else concatenated(labels, target_lengths)
    out = compare(logits, targets, input_lengths, target_lengths, dtype, blank=blank, reduction=reduction)
    assert np.all(np.isfinite(out.data))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_ctc_loss_of_normalised_log_probs_given_directly_matches_pytorch(dtype):
    logits, labels, input_lengths, target_lengths = problem(4, T=9, N=3, C=4, S=3)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    compare(log_probs, labels, input_lengths, target_lengths, dtype, through_softmax=False, reduction="sum")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_impossible_alignments_match_pytorch(dtype, reduction, zero_infinity):
    # sequence 0: four labels in three frames; sequence 1: "1 1 1" needs 5 frames, has 4; sequence 2
    # and 3 are possible, 3 with an input shorter than T; sequence 4: an empty input and target (loss 0)
    logits = np.random.default_rng(5).standard_normal((6, 5, 4))
    labels = np.array([[1, 2, 3, 1], [1, 1, 1, 0], [3, 3, 2, 0], [2, 0, 0, 0], [0, 0, 0, 0]])
    input_lengths, target_lengths = np.array([3, 4, 6, 3, 0]), np.array([4, 3, 3, 1, 0])
    out = compare(logits, labels, input_lengths, target_lengths, dtype, blank=0, reduction=reduction,
                  zero_infinity=zero_infinity)
    if reduction == "none":
        expected_first_two = [0.0, 0.0] if zero_infinity else [np.inf, np.inf]
        np.testing.assert_array_equal(out.data[:2], expected_first_two)
        assert out.data[4] == 0
    else:
        assert np.isfinite(out.item()) == zero_infinity


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_one_unbatched_sequence_matches_pytorch(dtype, reduction):
    logits, labels, _, _ = problem(6, T=8, N=1, C=5, S=3)
    x_ours = dp.tensor(logits[:, 0], dtype=dtype, requires_grad=True)
    x_theirs = torch.tensor(logits[:, 0], dtype=TORCH_DTYPES[dtype], requires_grad=True)
    out = F.ctc_loss(F.log_softmax(x_ours, -1), labels[0], np.array(7), np.array(3), blank=0, reduction=reduction)
    expected = TF.ctc_loss(x_theirs.log_softmax(-1), torch.tensor(labels[0]), torch.tensor(7), torch.tensor(3),
                           reduction=reduction)
    assert out.shape == tuple(expected.shape) == ()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    out.backward()
    expected.backward()
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_the_module_matches_pytorchs(dtype):
    logits, labels, input_lengths, target_lengths = problem(7, blank=2)
    ours = nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
    theirs = torch.nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    x_ours = dp.tensor(lp, dtype=dtype, requires_grad=True)
    x_theirs = torch.tensor(lp, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    out = ours(x_ours, dp.tensor(labels), dp.tensor(input_lengths), dp.tensor(target_lengths))
    expected = theirs(x_theirs, torch.tensor(labels), torch.tensor(input_lengths), torch.tensor(target_lengths))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    out.backward()
    expected.backward()
    np.testing.assert_allclose(x_ours.grad, x_theirs.grad.numpy(), **TOLERANCES[dtype])
    assert repr(ours) == "CTCLoss(reduction='sum')"
