"""The dense benchmark's training step (Linear, ReLU, cross-entropy, backward, SGD with momentum)
against the same step written out by hand in NumPy, for hundreds of steps.

The hand-written step is the seeds' algorithm with no autodiff: forward, softmax + cross-entropy's
δ = (ŷ − y)/N, δ passed down through Wᵀ and g'(a) = [o > 0], momentum buffers, w ← w − r·b. It
does the same floating-point operations in the same order as the library (for a batch size that
is a power of two, dividing by N and multiplying by 1/N round alike), so the two agree to the
last bit; the tolerance check first tells how far apart they are if they ever do not. The
library's per-step overhead is tuned on this path, and a faster step must not be a different one.
"""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim

LR, MOMENTUM = 0.01, 0.9


def _data(sizes, n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], n)
    return X, y


def _model(sizes, dtype):
    dp.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1], dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _train_deltaprop(model, X, y, batch):
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for i in range(0, len(X), batch):
        loss = loss_fn(model(X[i : i + batch]), y[i : i + batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return [p.data for p in model.parameters()], losses


def _train_by_hand(W, b, X, y, batch):
    """The seeds' step in NumPy: W[k] of shape (out, in), b[k] of shape (out,), updated in place."""
    dtype = W[0].dtype
    lr, momentum = dtype.type(LR), dtype.type(MOMENTUM)
    velocity_W, velocity_b = [None] * len(W), [None] * len(W)
    losses = []
    for i in range(0, len(X), batch):
        x, t = X[i : i + batch].astype(dtype), y[i : i + batch]
        outputs = [x]
        for k in range(len(W)):
            a = x @ W[k].T
            a += b[k]
            x = np.maximum(a, 0) if k < len(W) - 1 else a
            outputs.append(x)
        shifted = x - x.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1)
        losses.append(float(np.mean(np.log(s) - shifted[np.arange(len(t)), t])))
        delta = e / s[:, None]
        delta[np.arange(len(t)), t] -= 1  # δ = ŷ − y ...
        delta /= len(t)  # ... over N
        for k in reversed(range(len(W))):
            grad_W = delta.T @ outputs[k]
            grad_b = delta.sum(axis=0)
            if k > 0:
                delta = delta @ W[k]
                delta *= outputs[k] > 0
            # b ← μ·b + g (the first step starts b at g), w ← w − r·b
            if velocity_W[k] is None:
                velocity_W[k], velocity_b[k] = grad_W, grad_b
            else:
                velocity_W[k] *= momentum
                velocity_W[k] += grad_W
                velocity_b[k] *= momentum
                velocity_b[k] += grad_b
            W[k] -= velocity_W[k] * lr
            b[k] -= velocity_b[k] * lr
    return [array for pair in zip(W, b) for array in pair], losses


@pytest.mark.parametrize("sizes, batch, n", [
    ((2, 8, 2), 1, 400),  # the benchmark's "tiny" network, one sample per step
    ((2, 8, 2), 4, 400),
    ((64, 64, 10), 32, 640),  # "small"
    ((20, 16, 12, 5), 8, 320),  # two hidden layers
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_steps_match_the_hand_written_numpy_step(sizes, batch, n, dtype):
    X, y = _data(sizes, n)
    model = _model(sizes, dtype)
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    W = [layer.weight.data.copy() for layer in linears]
    b = [layer.bias.data.copy() for layer in linears]
    ours, our_losses = _train_deltaprop(model, X, y, batch)
    theirs, their_losses = _train_by_hand(W, b, X, y, batch)
    assert len(our_losses) == n // batch
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(our_losses, their_losses, rtol=tolerance, atol=tolerance)
    for mine, reference in zip(ours, theirs):
        assert mine.dtype == dtype
        np.testing.assert_allclose(mine, reference, rtol=tolerance, atol=tolerance)
        np.testing.assert_array_equal(mine, reference)  # the same operations in the same order
    # the parameters moved: hundreds of steps of a real descent, not a no-op on both sides
    start = _model(sizes, dtype)
    moved = max(float(np.abs(mine - p.data).max()) for mine, p in zip(ours, start.parameters()))
    assert moved > 0.01
