"""The dtypes an index may have, against PyTorch: int64 and int32 for gather, the scatters,
index_select, index_add and embedding, int64 alone for index_copy and index_fill; every other dtype
(int8, int16, uint8 and the wider unsigned ones, bool, float) is refused in one sentence naming the
function and the dtype, as PyTorch refuses it. And a source or src of another dtype than the input's
is refused by every function that writes one into a copy of the input, as PyTorch refuses it.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import DataError

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the index dtypes")

X = np.arange(1.0, 13.0).reshape(3, 4)
ROWS = np.array([[2, 0, 1, 0], [1, 1, 0, 2]])  # positions along dim 0, for the scatters and gather
PICK = np.array([2, 0, 2])  # positions along dim 0, for index_select and the embedding


def _lib(t):
    return dp if isinstance(t, dp.Tensor) else torch


def _src(t, shape):
    values = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape) / 8.0
    return dp.tensor(values, dtype=t.dtype) if isinstance(t, dp.Tensor) else torch.tensor(values, dtype=t.dtype)


CALLS = {
    "gather": (lambda t, i: _lib(t).gather(t, 0, i), ROWS),
    "scatter": (lambda t, i: _lib(t).scatter(t, 0, i, _src(t, (2, 4))), np.array([[2, 0, 1, 0], [1, 2, 0, 2]])),
    "scatter_add": (lambda t, i: _lib(t).scatter_add(t, 0, i, _src(t, (2, 4))), ROWS),
    "scatter_reduce": (lambda t, i: _lib(t).scatter_reduce(t, 0, i, _src(t, (2, 4)), "amax"), ROWS),
    "index_select": (lambda t, i: _lib(t).index_select(t, 0, i), PICK),
    "index_add": (lambda t, i: _lib(t).index_add(t, 0, i, _src(t, (3, 4))), PICK),
    "index_copy": (lambda t, i: _lib(t).index_copy(t, 0, i, _src(t, (2, 4))), np.array([2, 0])),
    "index_fill": (lambda t, i: _lib(t).index_fill(t, 0, i, -1.0), PICK),
    "embedding": (lambda t, i: (dp.nn.functional if isinstance(t, dp.Tensor) else torch.nn.functional).embedding(i, t), PICK),
}
ACCEPTED = ["int64", "int32"]
REFUSED = ["int8", "int16", "uint8", "uint16", "uint32", "uint64", "bool", "float32", "float64"]
INT64_ONLY = ("index_copy", "index_fill")  # PyTorch's take no int32 index
TOLERANCES = {"float64": dict(rtol=1e-12, atol=1e-14), "float32": dict(rtol=1e-6, atol=1e-6)}


@pytest.mark.parametrize("value_dtype", ["float64", "float32"])
@pytest.mark.parametrize("index_dtype", ACCEPTED)
@pytest.mark.parametrize("name", list(CALLS))
def test_an_int64_or_int32_index_gives_pytorchs_values_and_gradients(name, index_dtype, value_dtype):
    call, positions = CALLS[name]
    if name in INT64_ONLY and index_dtype == "int32":
        return  # (refused: the test below)
    ours = dp.tensor(X, dtype=getattr(np, value_dtype), requires_grad=True)
    theirs = torch.tensor(X, dtype=getattr(torch, value_dtype), requires_grad=True)
    result = call(ours, dp.tensor(positions.astype(index_dtype), dtype=getattr(np, index_dtype)))
    expected = call(theirs, torch.tensor(positions, dtype=getattr(torch, index_dtype)))
    g = np.linspace(-1.0, 2.0, result.data.size).reshape(result.shape)
    result.backward(g.astype(value_dtype))
    expected.backward(torch.tensor(g, dtype=getattr(torch, value_dtype)))
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **TOLERANCES[value_dtype])
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCES[value_dtype])


@pytest.mark.parametrize("index_dtype", REFUSED)
@pytest.mark.parametrize("name", list(CALLS))
def test_any_other_index_dtype_is_refused_naming_function_and_dtype_as_pytorch_refuses_it(name, index_dtype):
    call, positions = CALLS[name]
    index = positions.astype(index_dtype)
    with pytest.raises(RuntimeError if name != "index_fill" else IndexError):
        call(torch.tensor(X), torch.from_numpy(index))
    for given in (dp.tensor(index, dtype=index.dtype), index):  # a tensor or a NumPy array
        words = (rf"^{name}: \w+ must hold integers of dtype int64 or int32( \([^)]*\))?, got dtype {index_dtype}$"
                 if name not in INT64_ONLY else rf"^{name}: index must hold integers of dtype int64, as in PyTorch")
        with pytest.raises(DataError, match=words):
            call(dp.tensor(X), given)


@pytest.mark.parametrize("index_dtype", ["int32"] + REFUSED)
@pytest.mark.parametrize("name", INT64_ONLY)
def test_index_copy_and_index_fill_take_int64_alone_as_pytorch(name, index_dtype):
    call, positions = CALLS[name]
    index = positions.astype(index_dtype)
    with pytest.raises((RuntimeError, IndexError)):
        call(torch.tensor(X), torch.from_numpy(index))
    for given in (dp.tensor(index, dtype=index.dtype), index):
        with pytest.raises(DataError, match=rf"^{name}: index must hold integers of dtype int64, as in PyTorch, got "
                                            rf"dtype {index_dtype} \(convert them with \.long\(\)\)$"):
            call(dp.tensor(X), given)


SOURCES = {  # the functions that write a source into a copy of the input: (call, source shape)
    "scatter": (lambda t, s: _lib(t).scatter(t, 0, _i(t, [[2, 0, 1, 0]]), s), (1, 4)),
    "scatter_add": (lambda t, s: _lib(t).scatter_add(t, 0, _i(t, [[2, 0, 1, 0]]), s), (1, 4)),
    "scatter_reduce": (lambda t, s: _lib(t).scatter_reduce(t, 0, _i(t, [[2, 0, 1, 0]]), s, "sum"), (1, 4)),
    "index_add": (lambda t, s: _lib(t).index_add(t, 0, _i(t, [2, 0]), s), (2, 4)),
    "index_copy": (lambda t, s: _lib(t).index_copy(t, 0, _i(t, [2, 0]), s), (2, 4)),
}


def _i(t, positions):
    return dp.tensor(positions) if isinstance(t, dp.Tensor) else torch.tensor(positions)


@pytest.mark.parametrize("source_dtype", ["float64", "float16", "int64", "int32"])
@pytest.mark.parametrize("name", list(SOURCES))
def test_a_source_of_another_dtype_is_refused_as_pytorch_refuses_it(name, source_dtype):
    call, shape = SOURCES[name]
    source = np.ones(shape, dtype=source_dtype)
    with pytest.raises(RuntimeError, match="dtype|scalar type"):
        call(torch.tensor(X, dtype=torch.float32), torch.from_numpy(source))
    what = "src" if name.startswith("scatter") else "source"
    with pytest.raises(DataError, match=rf"^{name}: {what} has dtype {source_dtype} and the input float32; they must "
                                        rf"be the same, as in PyTorch \(convert {what} with \.to\(input\.dtype\)\)$"):
        call(dp.tensor(X, dtype=np.float32), dp.tensor(source, dtype=source.dtype))


@pytest.mark.parametrize("index_dtype", REFUSED[:4])
def test_the_embedding_layer_refuses_a_narrow_index_naming_itself(index_dtype):
    layer = dp.nn.Embedding(3, 2)
    with pytest.raises(DataError, match=rf"^Embedding\(3, 2\): embedding: indices must hold integers of dtype "
                                        rf"int64 or int32, got dtype {index_dtype}$"):
        layer(dp.tensor(PICK.astype(index_dtype), dtype=getattr(np, index_dtype)))
    with pytest.raises(RuntimeError):
        torch.nn.Embedding(3, 2)(torch.tensor(PICK.astype(index_dtype)))


def test_a_list_of_positions_is_still_taken():
    # a Python list becomes int64 (NumPy's default integer here), as torch.tensor([...]) would be
    x = dp.tensor(X)
    np.testing.assert_array_equal(dp.index_select(x, 0, [2, 0]).numpy(), X[[2, 0]])
    np.testing.assert_array_equal(dp.gather(x, 0, [[2, 0, 1, 0]]).numpy(), [[9.0, 2.0, 7.0, 4.0]])


@pytest.mark.parametrize("dtype", [np.longlong, np.intc, np.intp], ids=["longlong", "intc", "intp"])
def test_each_numpy_spelling_of_int64_and_int32_is_taken(dtype):
    # NumPy has two int64 dtypes on some platforms (long and long long): both are int64
    index = PICK.astype(dtype)
    np.testing.assert_array_equal(dp.index_select(dp.tensor(X), 0, index).numpy(), X[PICK])
    np.testing.assert_array_equal(dp.nn.functional.embedding(index, dp.tensor(X)).numpy(), X[PICK])


# -- max unpooling: int64 positions only, as max pooling returns them and PyTorch takes them ---------------

UNPOOLS = {  # name: (input shape, the pooling that made the indices)
    "max_unpool1d": ((1, 2, 8), "max_pool1d"),
    "max_unpool2d": ((1, 2, 4, 4), "max_pool2d"),
}


@pytest.mark.parametrize("name", list(UNPOOLS))
@pytest.mark.parametrize("index_dtype", ["int64", "int32", "int16", "uint8", "bool", "float32"])
def test_max_unpool_takes_int64_indices_only_as_pytorch(name, index_dtype):
    shape, pool = UNPOOLS[name]
    values = np.arange(float(np.prod(shape))).reshape(shape)[..., ::-1].copy()
    pooled, where = getattr(torch.nn.functional, pool)(torch.tensor(values), 2, return_indices=True)
    index = where.numpy().astype(index_dtype)
    unpool = getattr(torch.nn.functional, name)
    ours = getattr(dp.nn.functional, name)
    if index_dtype == "int64":
        expected = unpool(pooled, torch.from_numpy(index), 2).numpy()
        for given in (dp.tensor(index, dtype=index.dtype), index):
            np.testing.assert_array_equal(ours(dp.tensor(pooled.numpy(), dtype="float64"), given, 2).numpy(), expected)
        return
    with pytest.raises(RuntimeError, match="should be type int64"):
        unpool(pooled, torch.from_numpy(index), 2)
    for given in (dp.tensor(index, dtype=index.dtype), index):
        with pytest.raises(DataError, match=rf"^{name}: indices must be integers of dtype int64, as max pooling "
                                            rf"returns them, got dtype {index_dtype}$"):
            ours(dp.tensor(pooled.numpy()), given, 2)
