"""arange against PyTorch's: lengths, dtypes and values, 0-d tensors as bounds, and the ranges
PyTorch refuses refused in one sentence. Floating values are start + i·step computed in float64 and
rounded once; PyTorch's vectorised CPU kernel adds float32 steps within blocks of 8 or 16 values
(the width depends on the processor), NumPy's float32 arange adds them all along, so both may
differ from the rounded value in the last bits: compared with the exact values, and with
PyTorch's to a few float32 ulps."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError

torch = pytest.importorskip("torch", reason="PyTorch's arange is the reference")


@pytest.mark.parametrize("args", [
    (5,), (1.5,), (0, 10, 3), (-1, 1, 0.2), (0, 1, 0.1), (10, 0, -1.5), (0.0, 1.0, 1 / 3), (-3.3, 7.7, 0.37),
    (1e3, 1e3 + 1, 1e-3), (0, 0), (2, 2, 0.5),
])
def test_values_dtype_and_length_are_pytorchs(args):
    ours, theirs = dp.arange(*args), torch.arange(*args)
    assert ours.shape == tuple(theirs.shape)
    assert np.dtype(ours.dtype) == theirs.numpy().dtype
    if ours.dtype == np.int64:
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        return
    start, end, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    exact = (start + step * np.arange(len(ours.data), dtype=np.float64)).astype(np.float32)
    np.testing.assert_array_equal(ours.data, exact)
    scale = max(abs(start), abs(end))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=0, atol=4 * np.finfo(np.float32).eps * scale)


def test_zero_d_tensors_as_bounds():
    assert dp.arange(dp.tensor(3)).dtype == np.int64
    np.testing.assert_array_equal(dp.arange(dp.tensor(1), dp.tensor(7), dp.tensor(2)).data, [1, 3, 5])
    np.testing.assert_array_equal(dp.arange(dp.tensor(2.5)).data, torch.arange(torch.tensor(2.5)).numpy())


@pytest.mark.parametrize("args, message", [
    ((0, 5, 0), "step must be non-zero"),
    ((5, 0), "does not go the way of step=1"),
    ((0, -1, 0.5), "does not go the way of step=0.5"),
    ((float("nan"),), "end must be finite"),
    ((0, float("inf")), "end must be finite"),
    ((dp.ones(2),), "end must be a number or a 0-d tensor"),
    (("5",), "end must be a number"),
])
def test_ranges_pytorch_refuses_are_refused_in_one_sentence(args, message):
    with pytest.raises(ConfigError, match=message):
        dp.arange(*args)
    with pytest.raises((RuntimeError, TypeError, ValueError)):
        torch.arange(*(a.data.tolist() if isinstance(a, dp.Tensor) and a.ndim else a for a in args))
