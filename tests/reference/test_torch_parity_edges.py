"""Small edges where deltaprop now answers as PyTorch 2.13 does: whole-tensor all()/any() as 0-d
tensors, creation functions in the default dtype, the dtypes of losses of two dtypes, comparisons
with Python integers beyond an integer dtype's range, and a few functions at their borders.
Values, dtypes and gradients against PyTorch's, in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch is the reference for these edges")

TORCH_DTYPE = {np.dtype(n): getattr(torch, n) for n in ("bool", "uint8", "int8", "int16", "int32", "int64",
                                                         "float32", "float64")}


def _same(ours, theirs, rtol=0.0):
    assert isinstance(ours, dp.Tensor)
    assert ours.shape == tuple(theirs.shape)
    assert TORCH_DTYPE[ours.dtype] == theirs.dtype
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, equal_nan=True)


# -- all() and any() ---------------------------------------------------------------------------

TRUTH_INPUTS = [
    np.array([[1, 0], [1, 1]], dtype=np.int64),
    np.array([[1.5, 0.0, -2.0]], dtype=np.float32),
    np.array([[True, True], [False, True]]),
    np.array([3, 0, 7], dtype=np.uint8),  # PyTorch keeps uint8 for all/any of uint8
    np.zeros((0, 3), dtype=np.float64),
    np.array(2.0, dtype=np.float64),
]
TRUTH_ARGS = [{}, {"dim": 0}, {"dim": -1, "keepdim": True}, {"keepdim": True}, {"dim": (0,)}]


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("array", TRUTH_INPUTS, ids=lambda a: f"{a.dtype}{a.shape}")
@pytest.mark.parametrize("kwargs", TRUTH_ARGS, ids=str)
def test_all_and_any_give_pytorchs_tensor(name, array, kwargs):
    if array.ndim == 0 and "dim" in kwargs and isinstance(kwargs["dim"], tuple):
        kwargs = {"dim": 0}
    theirs = getattr(torch, name)(torch.from_numpy(array.copy()), **kwargs)
    _same(getattr(dp, name)(dp.tensor(array, dtype=array.dtype), **kwargs), theirs)
    _same(getattr(dp.tensor(array, dtype=array.dtype), name)(**kwargs), theirs)
