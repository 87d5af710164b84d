"""The losses that hand back their per-sample terms beside the reduced node (what the estimators'
clipped log-loss reads): the same value, terms and gradient as the public losses give."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import ops
from deltaprop.ops.loss.classification import cross_entropy_with_values, logistic_loss_with_values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_with_values_is_cross_entropy_and_its_terms(dtype):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((7, 4)).astype(dtype)
    labels = rng.integers(0, 4, 7)
    a = dp.tensor(z, requires_grad=True, dtype=dtype)
    b = dp.tensor(z, requires_grad=True, dtype=dtype)
    loss, values = cross_entropy_with_values(a, labels)
    reference = ops.cross_entropy(b, labels)
    np.testing.assert_array_equal(values, ops.cross_entropy(dp.tensor(z, dtype=dtype), labels, reduction="none").data)
    assert loss.data == reference.data and loss.data.dtype == dtype
    loss.backward()
    reference.backward()
    np.testing.assert_array_equal(a.grad, b.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_loss_with_values_sums_outputs_and_averages_samples(dtype):
    rng = np.random.default_rng(1)
    z = (4 * rng.standard_normal((6, 3))).astype(dtype)
    y = rng.integers(0, 2, (6, 3)).astype(dtype)
    a = dp.tensor(z, requires_grad=True, dtype=dtype)
    b = dp.tensor(z, requires_grad=True, dtype=dtype)
    loss, values = logistic_loss_with_values(a, y, 6)
    terms = ops.binary_cross_entropy_with_logits(dp.tensor(z, dtype=dtype), y, reduction="none").data
    np.testing.assert_array_equal(values, terms)
    reference = ops.mul(ops.binary_cross_entropy_with_logits(b, y, reduction="sum"), 1 / 6)
    np.testing.assert_allclose(loss.data, reference.data, rtol=1e-6 if dtype == np.float32 else 1e-14)
    loss.backward()
    reference.backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-6 if dtype == np.float32 else 1e-14)
    assert a.grad.dtype == dtype
