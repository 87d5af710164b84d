"""Two PyTorch forms of cat and narrow that NumPy has no word for: cat skips a 1-d empty tensor of
shape (0,) whatever the others' shapes (PyTorch's legacy rule, still there in 2.13), and narrow
takes its start (and length) as a 0-d integer tensor. Values, shapes and gradients against PyTorch
in float64 and float32, finite differences in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ShapeError

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")

DTYPES = {"float64": (np.float64, torch.float64), "float32": (np.float32, torch.float32)}
TOLERANCES = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=1e-6, atol=1e-6)}


def agree(theirs_fn, ours_fn, arrays, dtype):
    """The same function of the same arrays (each in ``dtype``, requiring a gradient) in both
    frameworks: shape, dtype, values and the gradients of a random projection."""
    np_dtype, torch_dtype = DTYPES[dtype]
    theirs = [torch.tensor(a, dtype=torch_dtype, requires_grad=True) for a in arrays]
    ours = [dp.tensor(a, dtype=np_dtype, requires_grad=True) for a in arrays]
    expected, got = theirs_fn(*theirs), ours_fn(*ours)
    assert got.shape == tuple(expected.shape) and got.dtype == np_dtype
    np.testing.assert_allclose(got.data, expected.detach().numpy(), **TOLERANCES[dtype])
    direction = np.random.default_rng(5).standard_normal(got.shape).astype(np_dtype)
    expected.backward(torch.tensor(direction))
    got.backward(direction)
    for t, d in zip(theirs, ours):
        assert d.grad.shape == tuple(t.grad.shape) and d.grad.dtype == np_dtype
        np.testing.assert_allclose(d.grad, t.grad.numpy(), **TOLERANCES[dtype])
    if dtype == "float64":
        assert dp.gradcheck(ours_fn, [dp.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays])


rng = np.random.default_rng(21)
M, V, E = rng.uniform(-2, 2, (3, 4)), rng.uniform(-2, 2, (5,)), np.zeros(0)
CATS = {  # (arrays, dim)
    "empty, matrix": ([E, M], 0),
    "matrix, empty, matrix along dim 1": ([M, E, M], 1),
    "empty, matrix along dim -1": ([E, M], -1),
    "matrix, empty": ([M, E], 0),
    "empty, vector, empty": ([E, V, E], 0),
    "empty, empty": ([E, E], 0),
    "empty alone": ([E], 0),
    "empty, empty along dim 3": ([E, E], 3),
    "empty, 3-d along dim 2": ([E, rng.uniform(-2, 2, (2, 3, 2)), rng.uniform(-2, 2, (2, 3, 1))], 2),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CATS.values(), ids=CATS.keys())
def test_cat_skips_a_1d_empty_tensor_as_pytorch_does(case, dtype):
    # dp.cat([zeros(0), x2d]) was refused ("shapes (0,), (3, 4) differ outside axis 0"); PyTorch
    # leaves the (0,) tensors out (each gets an empty gradient) and checks dim against the others.
    arrays, dim = case
    agree(lambda *t: torch.cat(t, dim), lambda *t: dp.cat(t, dim), arrays, dtype)
    agree(lambda *t: torch.cat(t, dim=dim), lambda *t: dp.concatenate(t, dim=dim), arrays, dtype)


def test_a_skipped_empty_tensor_still_takes_part_in_the_result_dtype():
    # (PyTorch: cat([float64 (0,), float32 (3, 4)]) is float64)
    got = dp.cat([dp.zeros(0, dtype=np.float64), dp.tensor(M, dtype=np.float32)])
    assert got.dtype == np.float64 and got.shape == (3, 4)
    assert torch.cat([torch.zeros(0, dtype=torch.float64), torch.tensor(M, dtype=torch.float32)]).dtype == torch.float64


@pytest.mark.parametrize("arrays, dim, words", [
    ([E, M], 2, r"concatenate: axis 2 is out of range for a tensor with 2 dimensions"),
    ([E, np.zeros((0, 3)), M], 0, r"concatenate: shapes \(0, 3\), \(3, 4\) differ outside axis 0"),
    ([np.zeros((0, 0)), M], 0, r"concatenate: shapes \(0, 0\), \(3, 4\) differ outside axis 0"),
])
def test_only_the_1d_empty_shape_is_skipped_and_dim_is_checked_against_the_others(arrays, dim, words):
    with pytest.raises(Exception):
        torch.cat([torch.tensor(a) for a in arrays], dim)
    with pytest.raises(ShapeError, match=words):
        dp.cat([dp.tensor(a) for a in arrays], dim)



@pytest.mark.parametrize("arrays, dim, position", [
    ([np.float64(1.0), np.float64(2.0)], 0, 0),
    ([np.ones(2), np.float64(2.0)], 0, 1),
    ([E, np.ones(2), np.ones(2), np.float64(3.0)], 0, 3),  # the position counts the skipped empty tensor
    ([np.float64(1.0)], 5, 0),  # before dim is checked
    ([np.ones((2, 2)), np.float64(1.0)], 1, 1),
], ids=["both", "second", "after-empty", "dim-out-of-range", "dim-1"])
def test_a_zero_dimensional_tensor_is_refused_naming_its_position(arrays, dim, position):
    with pytest.raises(RuntimeError, match=rf"^zero-dimensional tensor \(at position {position}\) cannot be concatenated$"):
        torch.cat([torch.tensor(a) for a in arrays], dim)
    with pytest.raises(ShapeError, match=rf"^concatenate: the tensor at position {position} is zero-dimensional, "
                                         rf"and a 0-d tensor has no dimension to join along \(stack gives each "
                                         rf"tensor a new one\)$"):
        dp.cat([dp.tensor(a) for a in arrays], dim)


NARROWS = {  # (dim, start, length) with start (and perhaps length) a 0-d tensor
    "dim 0, start 1": (0, 1, 2),
    "dim 1, start 3": (1, 3, 1),
    "negative start": (0, -2, 2),
    "empty": (1, 4, 0),
    "length a tensor too": (-1, 1, "2"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("int_dtype", [np.int64, np.int32])
@pytest.mark.parametrize("case", NARROWS.values(), ids=NARROWS.keys())
def test_narrow_takes_its_start_as_a_0d_integer_tensor(case, int_dtype, dtype):
    dim, start, length = case
    n = int(length)
    T = {torch: lambda v: torch.tensor(v, dtype=torch.int64 if int_dtype == np.int64 else torch.int32),
         dp: lambda v: dp.tensor(v, dtype=int_dtype)}
    given = {m: (T[m](start), T[m](n) if isinstance(length, str) else n) for m in T}
    agree(lambda t: t.narrow(dim, *given[torch]), lambda t: t.narrow(dim, *given[dp]), [M], dtype)
    agree(lambda t: torch.narrow(t, dim, *given[torch]), lambda t: dp.narrow(t, dim, *given[dp]), [M], dtype)


@pytest.mark.parametrize("start, words", [
    (lambda: dp.tensor([1]), r"narrow: start must be an integer or a 0-d integer tensor, got a tensor of shape \(1,\)"),
    (lambda: dp.tensor(1.0), r"narrow: start must be an integer or a 0-d integer tensor, got a tensor of dtype float32"),
    (lambda: dp.tensor(True), r"narrow: start must be an integer or a 0-d integer tensor, got a tensor of dtype bool"),
    (lambda: 1.0, r"narrow: start must be an integer or a 0-d integer tensor, got 1.0"),
    (lambda: True, r"narrow: start must be an integer or a 0-d integer tensor, got True"),
])
def test_narrow_refuses_a_start_pytorch_refuses_in_one_sentence(start, words):
    theirs = start()
    theirs = torch.tensor(theirs.data) if isinstance(theirs, dp.Tensor) else theirs
    with pytest.raises((RuntimeError, TypeError)):
        torch.tensor(M).narrow(0, theirs, 1)
    with pytest.raises(TypeError, match=words):
        dp.tensor(M).narrow(0, start(), 1)
