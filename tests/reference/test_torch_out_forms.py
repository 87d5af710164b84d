"""``out=`` as PyTorch's: the same functions write the same values into ``out`` (seen through a
NumPy alias of its memory), resize it the same way, and refuse the same cases."""

import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import GradError

torch = pytest.importorskip("torch")

A = np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32)
B = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)


def _run(lib, name, out_shape, out_dtype, *args, **kwargs):
    tensors = [[lib.tensor(a) for a in arg] if isinstance(arg, list) else lib.tensor(arg) for arg in args]
    out = lib.zeros(*out_shape, dtype=out_dtype)
    fits = tuple(getattr(lib, name)(*tensors, **kwargs).shape) == out_shape
    alias = out.numpy() if fits else None  # (PyTorch cannot resize memory NumPy shares)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            returned = getattr(lib, name)(*tensors, **kwargs, out=out)
        except (RuntimeError, TypeError):  # the products refuse an out of another dtype
            return "refused"
    assert returned is out
    return alias, out.numpy(), len(caught)


@pytest.mark.parametrize("name, args, kwargs, out_shape", [
    ("matmul", (A, B), {}, (2, 4)), ("matmul", (A, B), {}, (5,)), ("matmul", (A, B), {}, (0,)),
    ("mm", (A, B), {}, (2, 4)), ("bmm", (A[None], B[None]), {}, (1, 2, 4)), ("mul", (A, A), {}, (2, 3)),
    ("add", (A, A), {"alpha": 3}, (2, 3)), ("sub", (A, A), {"alpha": 0.5}, (2, 3)),
    ("div", (A, A + 3), {"rounding_mode": "trunc"}, (2, 3)), ("cat", ([A, A],), {"dim": 1}, (2, 6)),
    ("stack", ([A, A],), {"dim": 1}, (2, 2, 3)),
])
@pytest.mark.parametrize("out_dtype", ["float32", "float64"])
def test_out_is_written_as_pytorch_writes_it(name, args, kwargs, out_shape, out_dtype):
    ours = _run(dp, name, out_shape, getattr(dp, out_dtype), *args, **kwargs)
    theirs = _run(torch, name, out_shape, getattr(torch, out_dtype), *args, **kwargs)
    assert (ours == "refused") == (theirs == "refused")
    if ours == "refused":
        return
    if ours[0] is not None:  # written in place: the alias sees it
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, atol=1e-6)
    assert ours[1].dtype == theirs[1].dtype and ours[2] == theirs[2]  # the resizing warning, or none


@pytest.mark.parametrize("make_args", [
    lambda lib: (lib.tensor([1.5]), 2, lib.tensor([0])),
    lambda lib: (lib.tensor([1.5], requires_grad=True), 2, lib.zeros(1)),
    lambda lib: (lib.tensor([1.5]), 2, lib.zeros(1, requires_grad=True)),
])
def test_both_refuse(make_args):
    with pytest.raises(RuntimeError):
        torch.mul(*make_args(torch)[:2], out=make_args(torch)[2])
    with pytest.raises((TypeError, GradError)):
        dp.mul(*make_args(dp)[:2], out=make_args(dp)[2])
