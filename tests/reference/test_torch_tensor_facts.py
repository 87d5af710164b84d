"""The small utilities taken from PyTorch: Size, asarray, scalar_tensor, broadcast_shapes,
unravel_index, tril_indices/triu_indices, empty_strided, the constants, the predicates (is_nonzero,
is_same_size, is_signed, is_complex, isreal, isposinf, isneginf, signbit) and the facts a tensor
tells of its memory (stride, storage_offset, nbytes, itemsize, retains_grad), against PyTorch 2.13."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, GradError, ShapeError

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")


def same(ours, theirs):
    """A deltaprop tensor that holds PyTorch's values in PyTorch's dtype and shape."""
    assert isinstance(ours, dp.Tensor)
    assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


# -- Size -------------------------------------------------------------------------------------------------


def test_size_is_a_tuple_that_prints_under_deltaprops_name():
    size, theirs = dp.Size([2, 3]), torch.Size([2, 3])
    assert repr(size) == str(size) == repr(theirs).replace("torch", "deltaprop") == "deltaprop.Size([2, 3])"
    assert size == (2, 3) == theirs and isinstance(size, tuple) and hash(size) == hash((2, 3))
    assert size.numel() == theirs.numel() == 6 and dp.Size().numel() == torch.Size().numel() == 1
    assert repr(dp.Size()) == "deltaprop.Size([])" and dp.Size((np.int64(4), dp.tensor(5))) == (4, 5)
    for ours, expected in [(size[1:], theirs[1:]), (size + (4,), theirs + (4,)), ((1,) + size, (1,) + theirs),
                           (size * 2, theirs * 2), (2 * size, 2 * theirs), (size + size, theirs + theirs)]:
        assert type(ours) is dp.Size and ours == expected and type(expected) is torch.Size
    assert size[0] == 2 and type(size[0]) is int and np.zeros(size).shape == (2, 3)
    assert pickle.loads(pickle.dumps(size)) == size and type(pickle.loads(pickle.dumps(size))) is dp.Size
    assert type(copy.deepcopy(size)) is dp.Size


@pytest.mark.parametrize("bad", [[2.0], 3, ["a"], [dp.tensor(1.5)]])
def test_size_refuses_what_is_not_a_sequence_of_integers_as_pytorch_does(bad):
    with pytest.raises(TypeError):
        torch.Size(bad)
    with pytest.raises(TypeError, match="Size: takes a sequence of integers"):
        dp.Size(bad)


def test_shapes_stay_plain_tuples_that_compare_equal_to_a_size():
    x = dp.zeros((2, 3))
    assert type(x.shape) is tuple and type(x.size()) is tuple
    assert x.shape == dp.Size([2, 3]) == torch.zeros(2, 3).shape


# -- asarray ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.int64, np.bool_, np.uint8])
def test_asarray_shares_a_numpy_arrays_memory_and_keeps_its_dtype(dtype):
    array = np.arange(4).astype(dtype)
    ours, theirs = dp.asarray(array), torch.asarray(array)
    same(ours, theirs)
    assert np.shares_memory(ours.data, array) and np.shares_memory(theirs.numpy(), array)
    copied = dp.asarray(array, copy=True)
    assert not np.shares_memory(copied.data, array)
    strided = array[::2]
    assert np.shares_memory(dp.asarray(strided).data, array)


def test_asarray_converts_or_refuses_as_pytorch():
    array = np.arange(3.0)
    same(dp.asarray(array, dtype=dp.float32), torch.asarray(array, dtype=torch.float32))
    assert not np.shares_memory(dp.asarray(array, dtype=dp.float32).data, array)
    with pytest.raises(ValueError):
        torch.asarray(array, dtype=torch.float32, copy=False)
    with pytest.raises(ConfigError, match="asarray: copy=False cannot share the memory of a NumPy array of dtype "
                                          "float64 while converting it to float32"):
        dp.asarray(array, dtype=dp.float32, copy=False)
    for obj in ([1, 2], [1.0, 2.0], 3.5, True, [[1, 0], [0, 1]], np.float64(2.0), np.int32(3), [True, False]):
        same(dp.asarray(obj), torch.asarray(obj))
    same(dp.asarray([1, 2], dtype=dp.float64), torch.asarray([1, 2], dtype=torch.float64))
    same(dp.asarray([dp.tensor(1.0), dp.tensor(2.0)]), torch.asarray([torch.tensor(1.0), torch.tensor(2.0)]))
    for obj in ([1, 2], np.float64(1.0)):
        with pytest.raises((ValueError, RuntimeError)):
            torch.asarray(obj, copy=False)
        with pytest.raises(ConfigError, match="asarray: copy=False asks to share memory"):
            dp.asarray(obj, copy=False)
    with pytest.raises(TypeError):
        torch.asarray(np.array(["a"]))
    with pytest.raises(TypeError, match="asarray: cannot hold a NumPy array of dtype <U1"):
        dp.asarray(np.array(["a"]))


def test_asarray_reads_a_buffer_as_bytes_grouped_by_dtype():
    data = bytearray(np.arange(4, dtype=np.float32).tobytes())
    same(dp.asarray(data), torch.asarray(data))
    same(dp.asarray(data, dtype=dp.uint8), torch.asarray(data, dtype=torch.uint8))
    ours = dp.asarray(data)
    data[0:4] = np.float32(7.0).tobytes()  # the memory is shared
    assert ours.data[0] == 7.0


@pytest.mark.filterwarnings("ignore:torch.asarray. unspecified requires_grad")
def test_asarray_of_a_tensor_is_the_tensor_or_stays_in_its_graph():
    leaf = dp.tensor([1.0, 2.0], requires_grad=True)
    assert dp.asarray(leaf) is leaf and torch.asarray(torch.ones(2, requires_grad=True)).requires_grad
    y = leaf * 2
    assert dp.asarray(y) is y
    for options in ({"copy": True}, {"dtype": dp.float64}):
        out = dp.asarray(y, **options)
        assert out.requires_grad and out.grad_fn is not None and not np.shares_memory(out.data, y.data)
        out.sum().backward()
        np.testing.assert_array_equal(leaf.grad, [2.0, 2.0])
        leaf.grad = None
    t = torch.ones(2, requires_grad=True) * 2
    assert torch.asarray(t, copy=True).grad_fn is not None and torch.asarray(t, dtype=torch.float64).grad_fn is not None
    cut = dp.asarray(y, requires_grad=False)
    assert not cut.requires_grad and cut.is_leaf and np.shares_memory(cut.data, y.data)
    assert not torch.asarray(t, requires_grad=False).requires_grad
    data = dp.tensor([1.0, 2.0])
    made = dp.asarray(data, requires_grad=True)
    assert made.requires_grad and made.is_leaf and np.shares_memory(made.data, data.data)
    assert not data.requires_grad  # (the tensor given is left as it is)
    assert dp.asarray([1.0], requires_grad=True).requires_grad
    with pytest.raises(RuntimeError):
        torch.asarray([1, 2], requires_grad=True)
    with pytest.raises(GradError, match="only floating-point tensors can require a gradient"):
        dp.asarray([1, 2], requires_grad=True)
    with pytest.raises(ConfigError, match="copy=False cannot share the memory of a tensor"):
        dp.asarray(data, dtype=dp.float64, copy=False)


def test_asarray_takes_the_cpu_only():
    assert dp.asarray([1.0], device="cpu").device == dp.device("cpu")
    with pytest.raises(Exception, match="asarray"):
        dp.asarray([1.0], device="cuda")


# -- scalar_tensor, broadcast_shapes, unravel_index, tril_indices, empty_strided, constants -----------------------


def test_scalar_tensor_is_pytorchs():
    for s, options in [(3, {}), (True, {}), (2.5, {"dtype": dp.float64}), (7, {"dtype": dp.int64}), (float("inf"), {})]:
        theirs_options = {"dtype": getattr(torch, np.dtype(options["dtype"]).name)} if options else {}
        same(dp.scalar_tensor(s, **options), torch.scalar_tensor(s, **theirs_options))
    same(dp.scalar_tensor(dp.tensor(2)), torch.scalar_tensor(torch.tensor(2)))
    assert dp.scalar_tensor(1, requires_grad=True).requires_grad
    for bad in ([1.0], dp.tensor([1.0, 2.0]), "a"):
        with pytest.raises(TypeError, match="scalar_tensor: s must be a number"):
            dp.scalar_tensor(bad)


def test_broadcast_shapes_is_pytorchs():
    for shapes in [((2, 1), (3,), ()), (3, (2, 1)), (), ((0, 1), (3,)), (dp.Size([4, 1]), [1, 5])]:
        ours = dp.broadcast_shapes(*shapes)
        assert ours == torch.broadcast_shapes(*[tuple(s) if isinstance(s, dp.Size) else s for s in shapes])
        assert type(ours) is dp.Size
    for shapes, error, words in [(((2,), (3,)), ShapeError, "shapes (2,), (3,) cannot be broadcast together"),
                                 (((2.0,),), TypeError, "a shape must be an integer or a sequence of integers"),
                                 (((-1,),), ConfigError, "cannot hold negative sizes")]:
        with pytest.raises((RuntimeError, TypeError, ValueError)):
            torch.broadcast_shapes(*shapes)
        with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
            dp.broadcast_shapes(*shapes)


@pytest.mark.parametrize("indices, shape", [([4, 1, -1], (2, 3)), (4, (2, 3)), (4, 6), ([[4]], (2, 3)),
                                            ([0, 23, -24], (2, 3, 4)), ([0], ())])
def test_unravel_index_is_pytorchs(indices, shape):
    ours = dp.unravel_index(dp.tensor(indices), shape)
    theirs = torch.unravel_index(torch.tensor(indices), shape)
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        same(o, t)
    if shape:  # int64 coordinates of int32 positions, as PyTorch's
        assert dp.unravel_index(dp.tensor(indices, dtype=dp.int32), shape)[0].dtype == np.int64


@pytest.mark.parametrize("indices, shape, error, words", [
    ([6], (2, 3), IndexError, "position 6 is outside [-6, 6)"),
    ([-7], (2, 3), IndexError, "position -7"),
    ([1.0], (2, 3), TypeError, "indices must be integers, got dtype float32"),
    ([True], (2,), TypeError, "indices must be integers, got dtype bool"),
    ([1], (2, -3), ConfigError, "must not hold negative sizes"),
    ([1], (2.0,), TypeError, "shape must be an integer or a sequence"),
])
def test_unravel_index_refuses_what_is_out_of_range_or_not_an_integer(indices, shape, error, words):
    """PyTorch refuses all but a position out of range, which it wraps around (6 in (2, 3) as 0)."""
    with pytest.raises(error, match=words.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        dp.unravel_index(dp.tensor(indices), shape)


@pytest.mark.parametrize("row, col, offset", [(3, 3, 0), (3, 4, 1), (4, 3, -1), (0, 3, 0), (3, 3, 5), (3, 3, -5),
                                              (1, 1, 0), (5, 2, 1)])
@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_triangle_indices_are_pytorchs(name, row, col, offset):
    same(getattr(dp, name)(row, col, offset), getattr(torch, name)(row, col, offset))
    same(getattr(dp, name)(row, col, offset, dtype=dp.int32), getattr(torch, name)(row, col, offset, dtype=torch.int32))


@pytest.mark.parametrize("call, error, words", [
    (lambda L: L.tril_indices(-1, 3), ConfigError, "row and col must be non-negative"),
    (lambda L: L.triu_indices(3.0, 3), TypeError, "row must be an integer"),
    (lambda L: L.tril_indices(3, 3, 0.5), TypeError, "offset must be an integer"),
    (lambda L: L.tril_indices(3, 3, dtype=L.float32), ConfigError, "dtype must be int64 or int32"),
    (lambda L: L.triu_indices(3, 3, dtype=L.int16), ConfigError, "dtype must be int64 or int32"),
])
def test_triangle_indices_refuse_bad_arguments_as_pytorch(call, error, words):
    with pytest.raises((RuntimeError, TypeError, ValueError)):
        call(torch)
    with pytest.raises(error, match=words):
        call(dp)


@pytest.mark.parametrize("size, stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((2, 3, 4), (12, 1, 3)), ((3,), (0,)),
                                          ((0, 3), (3, 1)), ((), ())])
def test_empty_strided_has_the_strides_asked_for(size, stride):
    ours, theirs = dp.empty_strided(size, stride), torch.empty_strided(size, stride)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32
    assert ours.stride() == theirs.stride() == stride
    made = dp.zeros((2, 2), dtype=dp.int64).new_empty_strided(size, stride)
    expected = torch.zeros(2, 2, dtype=torch.int64).new_empty_strided(size, stride)
    assert made.shape == tuple(expected.shape) and made.dtype == np.int64 and made.stride() == expected.stride()
    assert dp.empty_strided((2,), (1,), dtype=dp.float64, requires_grad=True).requires_grad
    with pytest.raises(ConfigError, match="empty_strided: stride must be a sequence of"):
        dp.empty_strided((2, 3), (1,))


def test_the_constants_are_pytorchs():
    assert (dp.pi, dp.e, dp.inf, dp.newaxis) == (torch.pi, torch.e, torch.inf, torch.newaxis)
    assert math.isnan(dp.nan) and math.isnan(torch.nan)
    assert all(isinstance(c, float) for c in (dp.pi, dp.e, dp.inf, dp.nan))
    x = dp.zeros((2, 3))
    assert x[:, dp.newaxis].shape == tuple(torch.zeros(2, 3)[:, torch.newaxis].shape) == (2, 1, 3)


# -- predicates ----------------------------------------------------------------------------------------


VALUES = [0.0, -0.0, 1.0, -2.0, float("inf"), float("-inf"), float("nan"), -float("nan")]


@pytest.mark.parametrize("name", ["isposinf", "isneginf", "signbit", "isreal"])
@pytest.mark.parametrize("values, dtype", [(VALUES, np.float32), (VALUES, np.float64), ([-1, 0, 2], np.int64),
                                           ([3, 0], np.uint8), ([True, False], np.bool_), ([], np.float32)])
def test_value_tests_are_pytorchs(name, values, dtype):
    array = np.array(values, dtype=dtype)
    same(getattr(dp, name)(dp.tensor(array, dtype=dtype)), getattr(torch, name)(torch.from_numpy(array)))
    same(getattr(dp.tensor(array, dtype=dtype), name)(), getattr(torch.from_numpy(array), name)())
    if dtype == np.float64:  # no gradient, as PyTorch's
        assert not getattr(dp, name)(dp.tensor(array, dtype=dtype, requires_grad=True)).requires_grad


@pytest.mark.parametrize("values, dtype", [([1.0], np.float32), ([0.0], np.float64), ([[0]], np.int64), (2, np.int32),
                                           ([True], np.bool_), ([False], np.bool_), ([float("nan")], np.float32)])
def test_is_nonzero_is_pytorchs(values, dtype):
    array = np.array(values, dtype=dtype)
    assert dp.is_nonzero(dp.tensor(array, dtype=dtype)) is torch.is_nonzero(torch.from_numpy(array))
    assert dp.tensor(array, dtype=dtype).is_nonzero() is torch.from_numpy(array).is_nonzero()


@pytest.mark.parametrize("values", [[1.0, 2.0], []])
def test_is_nonzero_refuses_other_than_one_element(values):
    with pytest.raises(RuntimeError):
        torch.is_nonzero(torch.tensor(values))
    with pytest.raises(ShapeError, match="is_nonzero: only a one-element tensor is true or false"):
        dp.is_nonzero(dp.tensor(values))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"])
def test_is_signed_and_is_complex_are_pytorchs(dtype):
    ours, theirs = dp.zeros(2, dtype=getattr(dp, dtype)), torch.zeros(2, dtype=getattr(torch, dtype))
    assert dp.is_signed(ours) is torch.is_signed(theirs) and ours.is_signed() is theirs.is_signed()
    assert dp.is_complex(ours) is torch.is_complex(theirs) is False and ours.is_complex() is False


def test_is_same_size_is_pytorchs():
    a, b = dp.zeros((2, 3)), dp.ones((2, 3), dtype=dp.int64)
    assert dp.is_same_size(a, b) and a.is_same_size(b) and not a.is_same_size(a.T)
    assert torch.is_same_size(torch.zeros(2, 3), torch.ones(2, 3, dtype=torch.int64))
    for call in (lambda L: L.is_same_size(L.zeros(2), 1), lambda L: L.is_nonzero(1.0), lambda L: L.is_signed(1),
                 lambda L: L.is_complex([1.0])):
        with pytest.raises(TypeError):
            call(torch)
        with pytest.raises(TypeError, match="must be a tensor"):
            call(dp)


# -- stride, storage_offset, nbytes, itemsize, retains_grad ------------------------------------------------


VIEWS = {
    "new": lambda L: L.zeros((2, 3, 4)),
    "transposed": lambda L: L.zeros((2, 3, 4)).transpose(0, 2),
    "sliced": lambda L: L.zeros((2, 3, 4))[:, 1:, ::2],
    "an element's row": lambda L: L.zeros((2, 3, 4))[1, 2],
    "expanded": lambda L: L.zeros((3, 1)).expand(3, 4),
    "permuted": lambda L: L.zeros((2, 3, 4)).permute(1, 2, 0),
    "a column": lambda L: L.zeros((4, 5))[:, 3],
    "narrowed": lambda L: L.zeros((4, 5)).narrow(1, 2, 2),
    "a split's piece": lambda L: L.zeros((6, 2)).split(2)[2],
    "0-d": lambda L: L.zeros(()),
    "empty": lambda L: L.zeros((2, 0, 3)),
    "float64": lambda L: L.zeros((3, 2), dtype=L.float64),
    "int8": lambda L: L.zeros((5,), dtype=L.int8),
}


@pytest.mark.parametrize("view", VIEWS)
def test_stride_storage_offset_nbytes_and_itemsize_are_pytorchs(view):
    ours, theirs = VIEWS[view](dp), VIEWS[view](torch)
    assert ours.stride() == theirs.stride()
    assert ours.storage_offset() == theirs.storage_offset()
    assert ours.nbytes == theirs.nbytes and ours.itemsize == theirs.itemsize
    for dim in range(-ours.ndim, ours.ndim):
        assert ours.stride(dim) == theirs.stride(dim)


def test_stride_of_a_dimension_refuses_one_that_is_not_there():
    for call, error, words in [(lambda L: L.zeros((2, 3)).stride(2), ShapeError, "stride: axis 2 is out of range"),
                               (lambda L: L.zeros(()).stride(0), ShapeError, "a 0-d tensor has no dimension 0"),
                               (lambda L: L.zeros((2, 3)).stride(1.0), TypeError, "a dim must be an integer")]:
        with pytest.raises((IndexError, TypeError)):
            call(torch)
        with pytest.raises(error, match=words):
            call(dp)


def test_retains_grad_is_pytorchs_and_cannot_be_set():
    leaf, theirs = dp.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    middle, their_middle = leaf * 2, theirs * 2
    assert middle.retains_grad is their_middle.retains_grad is False
    middle.retain_grad()
    their_middle.retain_grad()
    assert middle.retains_grad is their_middle.retains_grad is True
    leaf.retain_grad()
    theirs.retain_grad()
    assert leaf.retains_grad is theirs.retains_grad is False
    with pytest.raises(AttributeError):
        theirs.retains_grad = True
    with pytest.raises(AttributeError):
        leaf.retains_grad = True
