"""``Tensor.unfold`` against PyTorch's: the windows and the gradient, over dimensions, sizes and steps."""

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape, dimension, size, step", [
    ((7,), 0, 3, 1), ((7,), 0, 3, 2), ((7,), -1, 7, 5), ((7,), 0, 0, 2), ((2, 6, 3), 1, 2, 3),
    ((2, 6, 3), -1, 2, 1), ((4, 5), 0, 1, 1), ((), 0, 1, 1),
])
def test_unfold_is_pytorchs(shape, dimension, size, step):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    ours, theirs = dp.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = ours.unfold(dimension, size, step), theirs.unfold(dimension, size, step)
    assert a.shape == tuple(b.shape)
    np.testing.assert_array_equal(a.data, b.detach().numpy())
    weights = rng.normal(size=a.shape)
    (a * dp.tensor(weights, dtype=np.float64)).sum().backward()
    (b * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
