"""Empty tensors (a batch of no samples, an axis of size 0) and undefined statistics against PyTorch.

An empty batch reaches the operations more often than one would think (a filter that kept no rows,
the last slice of an uneven split), so each operation must give PyTorch's answer: an empty result
of the right shape, NaN for a mean over nothing, an empty gradient, and no warning from NumPy on
the way. Where PyTorch refuses (the maximum of nothing), deltaprop refuses too, with a sentence.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import ops
from deltaprop.errors import ShapeError

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")
F = torch.nn.functional

LABELS = np.zeros(0, dtype=np.int64)

CASES = {
    # name: (deltaprop, PyTorch, input shapes; an integer array is passed as it is, without a gradient)
    "relu": (ops.relu, torch.relu, [(0, 3)]),
    "sigmoid": (ops.sigmoid, torch.sigmoid, [(2, 0)]),
    "silu": (ops.silu, F.silu, [(0, 3)]),
    "softplus": (ops.softplus, F.softplus, [(0, 3)]),
    "hardtanh": (ops.hardtanh, F.hardtanh, [(0, 3)]),
    "prelu of no samples": (ops.prelu, F.prelu, [(0, 3), (3,)]),
    "softmin of no samples": (lambda x: ops.softmin(x, axis=-1), lambda x: F.softmin(x, -1), [(0, 3)]),
    "softmin over the empty axis": (lambda x: ops.softmin(x, axis=0), lambda x: F.softmin(x, 0), [(0, 3)]),
    "sum": (ops.sum, torch.sum, [(0, 3)]),
    "sum over the empty axis": (lambda x: ops.sum(x, axis=0), lambda x: x.sum(0), [(0, 3)]),
    "mean": (ops.mean, torch.mean, [(0, 3)]),
    "mean over the empty axis": (lambda x: ops.mean(x, axis=0), lambda x: x.mean(0), [(0, 3)]),
    "mean over the other axis": (lambda x: ops.mean(x, axis=1), lambda x: x.mean(1), [(0, 3)]),
    "var": (lambda x: ops.var(x, correction=0), lambda x: x.var(correction=0), [(0, 3)]),
    "var over the empty axis": (lambda x: ops.var(x, axis=0), lambda x: x.var(0), [(0, 3)]),
    "max over the other axis": (lambda x: ops.max(x, axis=1), lambda x: x.amax(1), [(0, 3)]),
    "softmax of no samples": (lambda x: ops.softmax(x, axis=-1), lambda x: x.softmax(-1), [(0, 3)]),
    "softmax over the empty axis": (lambda x: ops.softmax(x, axis=0), lambda x: x.softmax(0), [(0, 3)]),
    "log_softmax over the empty axis": (lambda x: ops.log_softmax(x, axis=-1), lambda x: x.log_softmax(-1), [(3, 0)]),
    "linear of no samples": (ops.linear, F.linear, [(0, 3), (2, 3), (2,)]),
    "linear of no features": (ops.linear, F.linear, [(4, 0), (2, 0), (2,)]),
    "matmul, inner size 0": (ops.matmul, torch.matmul, [(2, 0), (0, 3)]),
    "concatenate": (lambda a, b: ops.concatenate([a, b]), lambda a, b: torch.cat([a, b]), [(0, 3), (2, 3)]),
    "mse_loss": (ops.mse_loss, F.mse_loss, [(0, 3), (0, 3)]),
    "mse_loss, sum": (lambda a, b: ops.mse_loss(a, b, reduction="sum"), lambda a, b: F.mse_loss(a, b, reduction="sum"), [(0,), (0,)]),
    "l1_loss": (ops.l1_loss, F.l1_loss, [(0,), (0,)]),
    "huber_loss": (ops.huber_loss, F.huber_loss, [(3, 0), (3, 0)]),
    "binary_cross_entropy": (ops.binary_cross_entropy, F.binary_cross_entropy, [(0, 2), (0, 2)]),
    "binary_cross_entropy_with_logits": (ops.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, [(0, 2), (0, 2)]),
    "cross_entropy, labels": (ops.cross_entropy, F.cross_entropy, [(0, 3), LABELS]),
    "cross_entropy, labels, sum": (lambda z, y: ops.cross_entropy(z, y, reduction="sum"), lambda z, y: F.cross_entropy(z, y, reduction="sum"), [(0, 3), LABELS]),
    "cross_entropy, probabilities": (ops.cross_entropy, F.cross_entropy, [(0, 3), (0, 3)]),
    "nll_loss": (ops.nll_loss, F.nll_loss, [(0, 3), LABELS]),
    "conv2d of no samples": (ops.conv2d, F.conv2d, [(0, 2, 6, 6), (3, 2, 3, 3)]),
    "max_pool2d of no samples": (lambda x: ops.max_pool2d(x, 2), lambda x: F.max_pool2d(x, 2), [(0, 2, 6, 6)]),
}


@pytest.mark.parametrize("name", CASES)
def test_empty_input_gives_pytorchs_result_and_gradient_without_warnings(name):
    dp_fn, torch_fn, specs = CASES[name]
    rng = np.random.default_rng(0)
    arrays = [spec if isinstance(spec, np.ndarray) else rng.uniform(0.2, 0.8, size=spec) for spec in specs]
    assert any(a.size == 0 for a in arrays)
    differentiable = [a.dtype.kind == "f" for a in arrays]

    theirs = [torch.tensor(a, requires_grad=d) for a, d in zip(arrays, differentiable)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's own, about a variance's degrees of freedom
        expected = torch_fn(*theirs)
    expected.sum().backward()

    ours = [dp.tensor(a, dtype=a.dtype, requires_grad=d) for a, d in zip(arrays, differentiable)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's "Mean of empty slice", "invalid value", ... fail here
        result = dp_fn(*ours)
        ops.sum(result).backward()

    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), rtol=1e-12, equal_nan=True)
    for mine, reference, d in zip(ours, theirs, differentiable):
        if d:
            expected_grad = reference.grad.numpy() if reference.grad is not None else np.zeros(mine.shape)
            assert mine.grad is not None and mine.grad.shape == expected_grad.shape
            np.testing.assert_allclose(mine.grad, expected_grad, rtol=1e-12, equal_nan=True)


def test_a_mean_over_nothing_is_nan_not_zero():
    """The pointwise losses used to divide by max(n, 1) and report 0 for an empty batch: a loss of
    0 would tell a training loop that all is well."""
    for loss in (ops.mse_loss, ops.l1_loss, ops.huber_loss, ops.binary_cross_entropy_with_logits):
        empty = dp.tensor(np.zeros((0, 2)))
        assert np.isnan(loss(empty, empty).item())


def test_weights_that_sum_to_zero_give_nan_like_pytorch():
    z = np.array([[0.2, -0.4, 1.0], [1.5, 0.3, -0.2]])
    labels = np.array([1, 1])
    class_weight = np.array([1.0, 0.0, 2.0])  # both samples are of the class weighted 0
    expected = F.cross_entropy(torch.tensor(z, requires_grad=True), torch.tensor(labels), weight=torch.tensor(class_weight))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = ops.cross_entropy(dp.tensor(z, dtype=np.float64), labels, weight=class_weight)
    assert np.isnan(expected.item()) and np.isnan(result.item())


def test_variance_of_one_element_and_its_gradient_are_nan_like_pytorch():
    """Unbiased variance of one number: 0/0. Its backward used to raise ZeroDivisionError."""
    x = np.array([3.0, 4.0, 5.0])
    theirs = torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about the degrees of freedom
        expected = theirs[:1].var()
    expected.backward()
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = ops.var(ours[:1])
        result.backward()
    assert np.isnan(result.item()) and np.isnan(expected.item())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())  # [nan, 0, 0]


@pytest.mark.parametrize("reduce", [ops.max, ops.min])
@pytest.mark.parametrize("shape, axis", [((0,), None), ((0, 3), 0), ((3, 0), None), ((3, 0), 1)])
def test_the_extremum_of_nothing_is_a_clear_error(reduce, shape, axis):
    with pytest.raises(ShapeError, match=rf"{reduce.__name__}: the input of shape \({shape[0]},"):
        reduce(dp.tensor(np.zeros(shape)), axis=axis)


# -- adaptive pooling: an empty spatial axis has no position to average or maximise --------------------

ADAPTIVE = {
    "adaptive_avg_pool1d": (ops.adaptive_avg_pool1d, F.adaptive_avg_pool1d),
    "adaptive_max_pool1d": (ops.adaptive_max_pool1d, F.adaptive_max_pool1d),
    "adaptive_avg_pool2d": (ops.adaptive_avg_pool2d, F.adaptive_avg_pool2d),
    "adaptive_max_pool2d": (ops.adaptive_max_pool2d, F.adaptive_max_pool2d),
}


# (an average into one bin is the global average, NaN over an empty plane, as PyTorch's: the last test)
@pytest.mark.parametrize("name, output_size", [(name, size) for name in ADAPTIVE for size in (1, 2)
                                               if size == 2 or "max" in name])
def test_adaptive_pooling_of_an_empty_spatial_axis_is_refused_naming_it(name, output_size):
    ours, theirs = ADAPTIVE[name]
    shapes = [(1, 3, 0), (3, 0)] if name.endswith("1d") else [(1, 3, 0, 4), (1, 3, 4, 0), (3, 0, 4)]
    for shape in shapes:
        with pytest.raises(RuntimeError, match="being empty"):
            theirs(torch.zeros(shape), output_size)
        empty = shape.index(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ShapeError, match=rf"^{name}: the input of shape \({', '.join(map(str, shape))}\) "
                                                 rf"is empty along dimension {empty}, .*\.$"):
                ours(dp.tensor(np.zeros(shape)), output_size)


@pytest.mark.parametrize("name", list(ADAPTIVE))
def test_adaptive_pooling_of_an_empty_batch_gives_pytorchs_empty_result(name):
    ours, theirs = ADAPTIVE[name]
    shape = (0, 3, 5) if name.endswith("1d") else (0, 3, 5, 4)
    expected = theirs(torch.zeros(shape), 2)
    x = dp.tensor(np.zeros(shape), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ours(x, 2)
        out.sum().backward()
    assert out.shape == tuple(expected.shape) and x.grad.shape == shape


@pytest.mark.parametrize("name, shape", [("adaptive_avg_pool1d", (1, 3, 0)), ("adaptive_avg_pool1d", (3, 0)),
                                         ("adaptive_avg_pool2d", (1, 3, 0, 4)), ("adaptive_avg_pool2d", (3, 4, 0))])
def test_the_global_adaptive_average_of_an_empty_plane_is_nan_as_pytorch(name, shape):
    ours, theirs = ADAPTIVE[name]
    t = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    expected = theirs(t, 1)
    expected.sum().backward()
    x = dp.tensor(np.zeros(shape), dtype=np.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ours(x, 1)
        out.sum().backward()
    assert out.shape == tuple(expected.shape) and out.dtype == np.float64
    assert np.isnan(out.numpy()).all() and np.isnan(expected.detach().numpy()).all()
    assert x.grad.shape == tuple(t.grad.shape) == shape
