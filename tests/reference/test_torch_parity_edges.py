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


# -- creation functions under the default dtype -------------------------------------------------

@pytest.fixture(params=["float32", "float64"])
def default_dtype(request):
    ours, theirs = dp.get_default_dtype(), torch.get_default_dtype()
    dp.set_default_dtype(np.dtype(request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    try:
        yield request.param
    finally:
        dp.set_default_dtype(ours)
        torch.set_default_dtype(theirs)


MADE = [  # (id, a call that serves both libraries)
    ("full-float", lambda m: m.full((2, 3), 1.5)),
    ("full-int", lambda m: m.full((2,), 3)),
    ("full-negative-int", lambda m: m.full((2,), -7)),
    ("full-bool", lambda m: m.full((2,), True)),
    ("full-numpy-int", lambda m: m.full((2,), np.int32(4))),
    ("full-numpy-float", lambda m: m.full((2,), np.float64(0.1))),
    ("full-int-given-float", lambda m: m.full((2,), 3, dtype=m.float64)),
    ("linspace", lambda m: m.linspace(-1, 2, 7)),
    ("logspace", lambda m: m.logspace(-1, 2, 7)),
    ("logspace-base-2", lambda m: m.logspace(0, 3, 4, base=2)),
    ("logspace-base-float", lambda m: m.logspace(0.5, -1.5, 5, base=3.5)),
    ("logspace-one", lambda m: m.logspace(1, 2, 1)),
    ("logspace-none", lambda m: m.logspace(1, 2, 0)),
    ("logspace-float64", lambda m: m.logspace(-2, 2, 9, dtype=m.float64)),
    ("logspace-int64", lambda m: m.logspace(0, 2, 3, dtype=m.int64)),
    ("arange-floats", lambda m: m.arange(0, 1, 0.25)),
    ("eye", lambda m: m.eye(2, 3)),
]


@pytest.mark.parametrize("make", [pytest.param(m[1], id=m[0]) for m in MADE])
def test_creation_functions_give_pytorchs_dtype_and_values(make, default_dtype):
    ours, theirs = make(dp), make(torch)
    _same(ours, theirs, rtol=2e-7 if ours.dtype == np.float32 else 1e-15)


def test_full_of_an_integer_cannot_require_a_gradient():
    with pytest.raises(dp.errors.GradError, match="only floating-point tensors can require a gradient"):
        dp.full((2,), 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        torch.full((2,), 3, requires_grad=True)
