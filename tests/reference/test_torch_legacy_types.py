"""PyTorch's legacy tensor types (``torch.LongTensor(indexes)``, ``isinstance(x, torch.FloatTensor)``,
``x.type(torch.DoubleTensor)``), as the name-generation tutorial and its kin use them, compared with
PyTorch's."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ConfigError

torch = pytest.importorskip("torch")

NAMES = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor", "LongTensor",
         "ShortTensor"]

DATA = {  # what each call is given: data of every kind a tutorial passes
    "list of ints": lambda: ([3, 1, 4, 1, 5],),
    "list of floats": lambda: ([1.5, 2.7, 0.25],),  # truncated towards zero by the integer types
    "negative floats": lambda: ([-1.5, -0.25],),  # (-1 for a uint8 is refused by both)
    "nested lists": lambda: ([[1, 0], [0, 2]],),
    "tuple as data": lambda: ((2, 3),),  # a tuple is data, not a size, in PyTorch too
    "int32 array": lambda: (np.array([[7, 8, 9]], dtype=np.int32),),
    "float64 array": lambda: (np.array([0.5, 1.0, 2.0]),),
    "empty list": lambda: ([],),
    "nothing": lambda: (),
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("case", sorted(DATA))
def test_a_legacy_type_makes_pytorchs_tensor_from_data(name, case):
    args = DATA[case]()
    if case == "negative floats" and name == "ByteTensor":
        for lib in (torch, dp):
            with pytest.raises((RuntimeError, OverflowError)):
                getattr(lib, name)(*args)
        return
    ours, theirs = getattr(dp, name)(*args), getattr(torch, name)(*args)
    assert isinstance(ours, dp.Tensor) and not ours.requires_grad
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")) == getattr(dp, name).dtype
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("sizes", [(3,), (2, 4), (np.int64(2), 1), (0, 5)])
def test_sizes_make_a_tensor_of_that_shape(name, sizes):
    ours, theirs = getattr(dp, name)(*sizes), getattr(torch, name)(*sizes)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == getattr(dp, name).dtype
    assert not ours.data.any()  # zeros here (PyTorch's memory is whatever it held)


def test_isinstance_asks_for_the_dtype_as_pytorchs():
    values = {"int64": [1, 2], "float32": [1.0], "float64": [1.0], "bool": [True], "uint8": [1], "int32": [1],
              "int16": [1], "int8": [1], "float16": [1.0]}
    for dtype, data in values.items():
        ours, theirs = dp.tensor(data, dtype=dtype), torch.tensor(data, dtype=getattr(torch, dtype))
        assert [isinstance(ours, getattr(dp, n)) for n in NAMES] == [isinstance(theirs, getattr(torch, n)) for n in NAMES]
    assert isinstance(nn.Parameter(dp.ones(2)), dp.FloatTensor)
    assert isinstance(torch.nn.Parameter(torch.ones(2)), torch.FloatTensor)
    assert not isinstance(np.ones(2, dtype=np.float32), dp.FloatTensor)  # an array is no tensor
    assert not issubclass(dp.LongTensor, dp.Tensor) and not issubclass(torch.LongTensor, torch.Tensor)


@pytest.mark.parametrize("name", NAMES)
def test_type_converts_to_a_legacy_type(name):
    ours = dp.tensor([1.75, -2.5, 0.0]).type(getattr(dp, name))
    theirs = torch.tensor([1.75, -2.5, 0.0]).type(getattr(torch, name))
    assert ours.type() == theirs.type().replace("torch.", "deltaprop.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_a_module_converts_to_a_legacy_type():
    layer = nn.Linear(2, 3).type(dp.DoubleTensor)
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64


def test_a_tensor_of_the_types_dtype_is_taken_as_it_is():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    y = dp.FloatTensor(x)
    assert y is x  # PyTorch gives an alias: the same values, and the gradient flows back to x
    (dp.FloatTensor(x) * 3).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_what_pytorch_refuses_is_refused_in_one_sentence():
    for lib in (torch, dp):
        for call in (lambda: lib.LongTensor(lib.tensor([1.0, 2.0])), lambda: lib.FloatTensor(3.5),
                     lambda: lib.FloatTensor(True), lambda: lib.LongTensor("ab"), lambda: lib.LongTensor(2, "a")):
            with pytest.raises(TypeError):
                call()
    with pytest.raises(TypeError, match=r"^LongTensor: expected a tensor of dtype int64, got one of float32; convert it"):
        dp.LongTensor(dp.tensor([1.0]))
    with pytest.raises(TypeError, match=r"^FloatTensor: data must be a sequence or an array, got float \(3.5\)"):
        dp.FloatTensor(3.5)
    with pytest.raises(TypeError, match=r"^LongTensor: expected data \(a sequence or an array\), sizes"):
        dp.LongTensor(2, "a")
    with pytest.raises(ConfigError, match=r"^LongTensor: size \(2, -1\) has a negative dimension"):
        dp.LongTensor(2, -1)
    with pytest.raises(OverflowError, match=r"^ByteTensor: .*300"):
        dp.ByteTensor([1, 300])


def test_device_can_only_be_the_cpu():
    np.testing.assert_array_equal(dp.LongTensor([1, 2], device="cpu").data, torch.LongTensor([1, 2], device="cpu").numpy())
    with pytest.raises(RuntimeError):
        torch.FloatTensor(2, device="cuda")
    with pytest.raises(ConfigError, match=r"^FloatTensor: .*'cuda'"):
        dp.FloatTensor(2, device="cuda")


def test_the_types_name_themselves_as_pytorchs():
    for name in NAMES:
        assert getattr(dp, name).__name__ == getattr(torch, name).__name__ == name
        assert repr(getattr(dp, name)) == repr(getattr(torch, name)).replace("torch.", "deltaprop.")
