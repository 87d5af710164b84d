"""take_along_dim against PyTorch 2.13: with dim=None (the flattened input at the flattened indices) and
along a dim, where the indices and the input broadcast against each other outside that dim; values,
result shapes and dtypes, gradients (repeated positions add up, a broadcast input sums back) in float64
and float32; the Tensor method; and the refusals: indices of a dtype other than int64 (PyTorch takes
int64 alone here, unlike gather), of another number of dimensions, that cannot broadcast, or outside
the input.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import DataError, ShapeError

torch = pytest.importorskip("torch", reason="PyTorch is the reference for take_along_dim")

TOLERANCES = {"float64": dict(rtol=1e-12, atol=1e-14), "float32": dict(rtol=1e-6, atol=1e-6)}

CASES = {  # name: (input shape, indices, dim)
    "flattened": ((3, 4), [0, 11, 5, 5], None),
    "flattened-2d-indices": ((3, 4), [[0, 11], [5, 0]], None),
    "flattened-0d-input": ((), [0, 0, 0], None),
    "flattened-0d-indices": ((2, 3), 4, None),
    "dim1": ((3, 4), [[0], [3], [1]], 1),
    "dim1-repeats": ((3, 4), [[0, 0, 3], [2, 2, 2], [1, 0, 1]], 1),
    "dim-1": ((3, 4), [[0], [3], [1]], -1),
    "dim0": ((3, 4), [[2, 0, 1, 1], [0, 0, 2, 1]], 0),
    "indices-broadcast-over-rows": ((3, 4), [[0, 2, 2]], 1),
    "indices-broadcast-over-columns": ((3, 4), [[0], [2]], 0),
    "input-broadcast": ((1, 4), [[0, 1], [2, 3], [3, 3]], 1),
    "both-broadcast-3d": ((2, 1, 5), [[[4, 0]], [[1, 1]]], 2),
    "input-broadcast-3d": ((1, 3, 4), [[[0], [1], [2]], [[2], [2], [0]]], 1),
    "empty-indices": ((3, 4), np.zeros((3, 0), dtype=np.int64), 1),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_pytorch(name, dtype):
    shape, indices, dim = CASES[name]
    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) / 4.0
    positions = np.asarray(indices, dtype=np.int64)
    ours = dp.tensor(x, dtype=getattr(np, dtype), requires_grad=True)
    theirs = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    result = dp.take_along_dim(ours, dp.tensor(positions, dtype=np.int64), dim)
    expected = torch.take_along_dim(theirs, torch.from_numpy(positions), dim)
    assert result.shape == tuple(expected.shape) and result.dtype == np.dtype(dtype)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **TOLERANCES[dtype])
    g = np.linspace(-1.0, 2.0, result.data.size).reshape(result.shape).astype(dtype)
    result.backward(g)
    expected.backward(torch.from_numpy(g))
    assert ours.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCES[dtype])


def test_the_method_and_an_integer_input_match_pytorch():
    x, positions = np.arange(12).reshape(3, 4), np.array([[3], [0], [2]])
    assert dp.tensor(x).take_along_dim(dp.tensor(positions), dim=1).tolist() == \
        torch.tensor(x).take_along_dim(torch.tensor(positions), dim=1).tolist() == [[3], [4], [10]]
    result = dp.tensor(x).take_along_dim(positions)  # a NumPy array of positions; the flattened input
    assert result.dtype == np.int64 and result.tolist() == [3, 0, 2]


@pytest.mark.parametrize("index_dtype", ["int32", "int16", "uint8", "bool", "float32"])
def test_indices_of_any_dtype_but_int64_are_refused_as_pytorch_refuses_them(index_dtype):
    positions = np.array([[0], [1], [1]]).astype(index_dtype)
    with pytest.raises(RuntimeError):
        torch.take_along_dim(torch.zeros(3, 4), torch.from_numpy(positions), 1)
    with pytest.raises(DataError, match=rf"^take_along_dim: indices must hold integers of dtype int64, as in PyTorch, "
                                        rf"got dtype {index_dtype} \(convert them with \.long\(\)\)$"):
        dp.take_along_dim(dp.zeros((3, 4)), dp.tensor(positions, dtype=positions.dtype), 1)


@pytest.mark.parametrize("shape, positions, dim, error, words", [
    ((3, 4), [0, 1], 1, ShapeError, r"^take_along_dim: indices of shape \(2,\) need the 2 dimensions of the input "
                                    r"\(shape \(3, 4\)\)$"),
    ((3, 4), [[[0]]], 1, ShapeError, r"^take_along_dim: indices of shape \(1, 1, 1\) need the 2 dimensions"),
    ((3, 4), [[0], [1]], 1, ShapeError, r"^take_along_dim: indices of shape \(2, 1\) cannot be broadcast with the "
                                        r"input's shape \(3, 4\) outside dim 1$"),
    ((3, 4), [[0]], 2, Exception, r"dim"),
    ((3, 4), [12], None, DataError, r"^take_along_dim: index 12 is outside \[0, 12\) for the 12 elements of the "
                                    r"flattened input$"),
    ((3, 4), [-1], None, DataError, r"^take_along_dim: index -1 is outside \[0, 12\)"),
])
def test_bad_indices_are_refused_in_one_sentence_as_pytorch_refuses_them(shape, positions, dim, error, words):
    positions = np.array(positions, dtype=np.int64)
    with pytest.raises((RuntimeError, IndexError)):
        torch.take_along_dim(torch.zeros(shape), torch.from_numpy(positions), dim)
    with pytest.raises(error, match=words):
        dp.take_along_dim(dp.zeros(shape), dp.tensor(positions, dtype=np.int64), dim)


@pytest.mark.parametrize("position", [4, -1])
def test_a_position_outside_the_dim_is_refused(position):
    # (PyTorch 2.13 reads whatever lies there, without an error: see docs/porting.md)
    with pytest.raises(DataError, match=rf"^take_along_dim: index {position} is outside \[0, 4\) for dim 1 of "
                                        r"length 4$"):
        dp.take_along_dim(dp.zeros((3, 4)), dp.tensor([[position], [0], [1]], dtype=np.int64), 1)
