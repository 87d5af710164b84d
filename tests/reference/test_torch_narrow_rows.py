"""softmax, log_softmax and cross-entropy on batches of many short rows (the logits of a few classes),
whose row maxima are taken through the transpose (ops/activation.py's _row_max): values and
gradients against PyTorch, with infinities and NaN in some rows."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import deltaprop as dp  # noqa: E402
from deltaprop.ops.activation import _row_max  # noqa: E402


def _logits(shape, dtype, specials):
    z = np.random.default_rng(7).standard_normal(shape).astype(dtype) * 3
    if specials:
        z[3, 1] = np.inf
        z[5] = -np.inf
        z[6, 0] = np.nan
        z[8, -1] = -np.inf
    return z


@pytest.mark.parametrize("shape", [(200, 10), (64, 2), (112, 3), (70, 64), (63, 10), (80, 65)])
def test_row_max_is_numpys(shape):
    z = _logits(shape, np.float32, specials=True)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(_row_max(z, 1), z.max(axis=1, keepdims=True))
        np.testing.assert_array_equal(_row_max(z, -1), z.max(axis=1, keepdims=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("specials", [False, True])
def test_softmax_of_many_short_rows_against_pytorch(dtype, name, specials):
    z = _logits((200, 10), dtype, specials)
    g = np.random.default_rng(8).standard_normal(z.shape).astype(dtype)
    ours = dp.tensor(z, dtype=dtype, requires_grad=True)
    theirs = torch.tensor(z, requires_grad=True)
    with np.errstate(invalid="ignore"):  # (inf − inf in a row holding +inf: NaN, as in PyTorch)
        out, expected = getattr(dp, name)(ours, dim=1), getattr(torch, name)(theirs, dim=1)
        out.backward(g)
    expected.backward(torch.from_numpy(g))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_of_many_short_rows_against_pytorch(dtype):
    z = _logits((150, 4), dtype, specials=False)
    z[10] = [80, -80, 0, 1]  # a confident row: exp would overflow without the shift
    labels = np.random.default_rng(9).integers(0, 4, 150)
    ours = dp.tensor(z, dtype=dtype, requires_grad=True)
    theirs = torch.tensor(z, requires_grad=True)
    loss = dp.nn.functional.cross_entropy(ours, labels)
    expected = torch.nn.functional.cross_entropy(theirs, torch.from_numpy(labels))
    loss.backward()
    expected.backward()
    tol = dict(rtol=1e-5, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(loss.data, expected.item(), **tol)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **tol)
