"""The forms a small training step's gradients take through ReLU and cross-entropy on class labels,
against PyTorch (float64 and float32) and central differences (float64).

Those two compute small arrays with 0-d constants of the array's dtype (NumPy converts a Python
number operand anew at every call), and cross-entropy's backward takes the upstream gradient as a
0-d array when it is one and otherwise the general way: every form is checked here, the
constants' edge included (a batch larger than float16 counts exactly).
"""

import numpy as np
import pytest

from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, torch

import deltaprop as dp
from deltaprop import nn
from deltaprop.gradcheck import gradcheck
from deltaprop.ops._core import constant

# How the loss reaches backward(): as it is (a 0-d upstream gradient), scaled (a NumPy scalar
# arrives), used twice (the engine sums two upstream gradients), or reduced by the caller.
UPSTREAM = {
    "plain": lambda loss: loss,
    "scaled": lambda loss: loss * 3.0,
    "twice": lambda loss: loss + loss * 0.5,
}


def _labels(n, classes, seed=1):
    return np.random.default_rng(seed).integers(0, classes, n)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("upstream", list(UPSTREAM))
@pytest.mark.parametrize("n, classes", [(1, 2), (5, 3), (32, 10), (600, 4)])  # (600: past ufunc.at's batches)
def test_cross_entropy_on_labels_matches_pytorch(dtype, reduction, upstream, n, classes):
    logits = np.random.default_rng(0).standard_normal((n, classes)).astype(dtype)
    labels = _labels(n, classes)
    ours = dp.tensor(logits, requires_grad=True, dtype=dtype)
    loss = nn.functional.cross_entropy(ours, labels, reduction=reduction)
    theirs = torch.tensor(logits, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    reference = torch.nn.functional.cross_entropy(theirs, torch.tensor(labels), reduction=reduction)
    if reduction == "none":  # a weighted sum makes the upstream gradient an array of its own
        weights = np.linspace(0.5, 2.0, n).astype(dtype)
        loss, reference = (loss * weights).sum(), (reference * torch.tensor(weights)).sum()
    UPSTREAM[upstream](loss).backward()
    UPSTREAM[upstream](reference).backward()
    np.testing.assert_allclose(loss.item(), reference.item(), **TOLERANCES[dtype])
    assert ours.grad.dtype == dtype
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("upstream", list(UPSTREAM))
def test_cross_entropy_on_labels_gradcheck(reduction, upstream):
    logits = dp.tensor(np.random.default_rng(2).standard_normal((4, 3)), requires_grad=True, dtype=np.float64)
    labels = _labels(4, 3)
    assert gradcheck(lambda z: UPSTREAM[upstream](nn.functional.cross_entropy(z, labels, reduction=reduction)), [logits])


def test_a_batch_that_float16_cannot_count_exactly_takes_the_general_division():
    n = 2049  # float16 holds 2048 and 2050, not 2049: the mean's 1/N is the one NumPy computes for N
    assert constant(n, np.float16) is None and constant(2048, np.float16) is not None
    logits = np.random.default_rng(3).standard_normal((n, 3))
    labels = _labels(n, 3)
    half = dp.tensor(logits, requires_grad=True, dtype=np.float16)
    nn.functional.cross_entropy(half, labels).backward()
    exact = dp.tensor(logits.astype(np.float16), requires_grad=True, dtype=np.float64)
    nn.functional.cross_entropy(exact, labels).backward()
    assert half.grad.dtype == np.float16
    np.testing.assert_allclose(half.grad.astype(np.float64), exact.grad, rtol=0, atol=2e-6)
    assert np.abs(half.grad).max() > 1e-5  # not a gradient flushed to zero


def test_constant_is_a_shared_read_only_0d_array_of_the_dtype():
    zero = constant(0, np.dtype(np.float32))  # (the callers pass an array's dtype)
    assert zero.shape == () and zero.dtype == np.float32 and zero == 0
    assert constant(0, np.zeros(2, np.float32).dtype) is zero  # made once
    with pytest.raises(ValueError):
        zero[()] = 1  # shared by every caller: it must never change
    assert constant(1, np.float64) == 1 and constant(1, np.float64).dtype == np.float64
    assert constant(2**24 + 1, np.float32) is None and constant(2**24 + 1, np.float64) == 2**24 + 1


# ReLU on both sides of the size at which its forward pass switches to comparing with an array of
# zeros, with exact zeros, negative zeros and the float extremes in the input.
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 8), (32, 31), (40, 64)])
def test_relu_matches_pytorch(dtype, shape):
    a = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    a.flat[:4] = [0.0, -0.0, np.finfo(dtype).max, -np.finfo(dtype).max]
    g = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    ours = dp.tensor(a, requires_grad=True, dtype=dtype)
    out = dp.relu(ours)
    out.backward(g)
    theirs = torch.tensor(a, requires_grad=True)
    reference = torch.relu(theirs)
    reference.backward(torch.tensor(g))
    assert out.dtype == dtype and ours.grad.dtype == dtype
    np.testing.assert_array_equal(out.data, reference.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    np.testing.assert_array_equal(ours.grad, g * (a > 0))  # subgradient 0 at 0


def test_relu_keeps_integers_and_nan():
    assert dp.relu(dp.tensor(np.array([-2, 0, 3]))).data.tolist() == [0, 0, 3]
    out = dp.relu(dp.tensor([np.nan, -1.0, 2.0], dtype=np.float32)).data
    assert np.isnan(out[0]) and out[1:].tolist() == [0.0, 2.0]


@pytest.mark.parametrize("shape", [(1, 8), (40, 64)])
def test_relu_gradcheck(shape):
    a = np.random.default_rng(6).standard_normal(shape)
    a[np.abs(a) < 0.05] = 0.5  # away from the kink, where differences are not a derivative
    assert gradcheck(lambda x: (dp.relu(x) * dp.relu(x)).sum(), [dp.tensor(a, requires_grad=True, dtype=np.float64)])


# The labels are checked for negatives by a Python min below 32 of them, by NumPy's above.
@pytest.mark.parametrize("n", [1, 31, 32, 40])
@pytest.mark.parametrize("bad", [-1, -3, 3])
def test_a_label_outside_the_classes_is_refused_at_any_batch_size(n, bad):
    labels = np.zeros(n, dtype=np.int64)
    labels[n // 2] = bad
    with pytest.raises(dp.errors.DataError, match=rf"^cross_entropy: class label {bad} is outside \[0, 3\) for 3 classes$"):
        nn.functional.cross_entropy(dp.randn(n, 3, requires_grad=True), labels)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.uint64])
@pytest.mark.parametrize("n", [1, 40])
def test_labels_of_every_integer_type_pick_the_same_loss(dtype, n):
    logits = dp.tensor(np.random.default_rng(7).standard_normal((n, 3)), dtype=np.float64)
    labels = _labels(n, 3)
    reference = torch.nn.functional.cross_entropy(torch.tensor(logits.data), torch.tensor(labels))
    loss = nn.functional.cross_entropy(logits, labels.astype(dtype))
    np.testing.assert_allclose(loss.item(), reference.item(), **TOLERANCES[np.float64])


# Linear's bias gradient: a batch of one row is summed as NumPy sums it (0 + δ), by a faster route.
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 3])
def test_linear_gradients_match_pytorch_for_a_batch_of_one_and_more(dtype, n):
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((n, 5)), rng.standard_normal((4, 5)), rng.standard_normal(4)
    g = rng.standard_normal((n, 4))
    g[0, :2] = [0.0, -0.0]  # δ of a unit that did not fire arrives as a zero of either sign
    ours = [dp.tensor(a, requires_grad=True, dtype=dtype) for a in (x, w, b)]
    out = nn.functional.linear(*ours)
    out.backward(g.astype(dtype))
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in (x, w, b)]
    torch.nn.functional.linear(*theirs).backward(torch.tensor(g.astype(dtype)))
    for mine, reference in zip(ours, theirs):
        assert mine.grad.dtype == dtype
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), **TOLERANCES[dtype])
    summed = np.add.reduce(g.astype(dtype), axis=0)
    np.testing.assert_array_equal(ours[2].grad.view(np.uint8), summed.view(np.uint8))  # bit for bit, signed zeros too


def test_linear_gradcheck_for_a_batch_of_one():
    rng = np.random.default_rng(9)
    x, w, b = (dp.tensor(rng.standard_normal(shape), requires_grad=True, dtype=np.float64) for shape in [(1, 3), (2, 3), (2,)])
    assert gradcheck(lambda x, w, b: nn.functional.linear(x, w, b) ** 2, [x, w, b])


# Linear's products go to np.dot for contiguous float32/float64 matrices of one dtype: the same
# BLAS call as matmul makes, so x·Wᵀ + b and its gradients must equal the @ forms bit for bit.
PRODUCT_SIZES = [1, 2, 3, 8, 17, 64, 100]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["C", "F", "strided", "rows of a larger array"])
@pytest.mark.parametrize("n", PRODUCT_SIZES)
def test_linear_products_equal_matmul_bit_for_bit(dtype, layout, n):
    rng = np.random.default_rng(n)
    for k in PRODUCT_SIZES:
        for m in PRODUCT_SIZES:
            if layout == "strided":
                x = rng.standard_normal((n, 2 * k)).astype(dtype)[:, ::2]
            elif layout == "rows of a larger array":  # a batch sliced from the data set, as fit takes it
                x = rng.standard_normal((n + 3, k)).astype(dtype)[2 : 2 + n]
            else:
                x = rng.standard_normal((n, k)).astype(dtype, order=layout)
            w, b, g = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal(m).astype(dtype), rng.standard_normal((n, m))
            # A tensor holds its own copy (C or F order); data passed as an array is used as it is,
            # a strided view or a batch sliced from a data set, and then gets no gradient.
            as_data = layout in ("strided", "rows of a larger array")
            ours = [x if as_data else dp.tensor(x, requires_grad=True, dtype=dtype)]
            ours += [dp.tensor(a, requires_grad=True, dtype=dtype) for a in (w, b)]
            x = x if as_data else ours[0].data
            out = nn.functional.linear(*ours)
            out.backward(g.astype(dtype))
            g = g.astype(dtype)
            expected = x @ w.T
            expected += b
            np.testing.assert_array_equal(out.data, expected)
            np.testing.assert_array_equal(ours[1].grad, g.T @ x)
            if not as_data:
                # (a column-major input gets δ·W as (Wᵀ·δᵀ)ᵀ, in its own memory order: see linear's backward)
                gx = (w.T @ g.T).T if x.strides[0] < x.strides[1] else g @ w
                np.testing.assert_array_equal(ours[0].grad, gx)
