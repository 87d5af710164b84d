"""A dtype a tensor cannot have is refused in one sentence naming the function and the argument.

NumPy's own refusal ("data type 'banana' not understood") names neither, and NumPy happily makes
object or string arrays that no operation of deltaprop can use; every public entry point that
takes a dtype says instead which call and which argument were wrong.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError


def _x():
    return dp.tensor([1.0, 2.0], requires_grad=True)


# (the name the message starts with, the call with a dtype)
ENTRY_POINTS = [
    ("zeros", lambda d: dp.zeros(3, dtype=d)),
    ("ones", lambda d: dp.ones(3, dtype=d)),
    ("full", lambda d: dp.full((2,), 1.0, dtype=d)),
    ("zeros_like", lambda d: dp.zeros_like(_x(), dtype=d)),
    ("ones_like", lambda d: dp.ones_like(_x(), dtype=d)),
    ("arange", lambda d: dp.arange(3, dtype=d)),
    ("rand", lambda d: dp.rand(3, dtype=d)),
    ("randn", lambda d: dp.randn(3, dtype=d)),
    ("linspace", lambda d: dp.linspace(0, 1, 3, dtype=d)),
    ("eye", lambda d: dp.eye(2, dtype=d)),
    ("randint", lambda d: dp.randint(0, 3, (2,), dtype=d)),
    ("randperm", lambda d: dp.randperm(3, dtype=d)),
    ("tensor", lambda d: dp.tensor([1.0], dtype=d)),
    ("as_tensor", lambda d: dp.as_tensor([1.0], dtype=d)),
    ("astype", lambda d: _x().astype(d)),
    ("astype", lambda d: dp.ops.astype(_x(), d)),
    ("Tensor.to()", lambda d: _x().to(d)),
    ("Tensor.to()", lambda d: _x().to("cpu", d)),
    ("Tensor.to()", lambda d: _x().to(dtype=d)),
    ("sum", lambda d: _x().sum(dtype=d)),
    ("sum", lambda d: dp.sum(_x(), dtype=d)),
    ("mean", lambda d: _x().mean(dtype=d)),
    ("prod", lambda d: _x().prod(dtype=d)),
    ("cumsum", lambda d: _x().cumsum(0, dtype=d)),
    ("cumprod", lambda d: _x().cumprod(0, dtype=d)),
    ("new_tensor", lambda d: _x().new_tensor([1], dtype=d)),
    ("new_full", lambda d: _x().new_full((2,), 1, dtype=d)),
    ("new_zeros", lambda d: _x().new_zeros(2, dtype=d)),
    ("new_ones", lambda d: _x().new_ones(2, dtype=d)),
    ("summary", lambda d: dp.nn.Linear(2, 1).summary((2,), dtype=d)),
]
BAD = ["banana", object, "U3", 3.5, np.dtype("datetime64[s]"), complex]


@pytest.mark.parametrize("name, call", ENTRY_POINTS, ids=[f"{i}-{n}" for i, (n, _) in enumerate(ENTRY_POINTS)])
@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_a_bad_dtype_is_refused_naming_function_and_argument(name, call, bad):
    with pytest.raises(ConfigError) as caught:
        call(bad)
    message = str(caught.value)
    assert message.startswith(f"{name}: dtype must be "), message
    assert repr(bad) in message
    assert "not understood" not in message and "Cannot interpret" not in message
    assert message.count(". ") == 0 and "\n" not in message  # one sentence


@pytest.mark.parametrize("name, call", ENTRY_POINTS, ids=[f"{i}-{n}" for i, (n, _) in enumerate(ENTRY_POINTS)])
@pytest.mark.parametrize("good", ["float64", np.float64, dp.float64])
def test_good_dtypes_still_work(name, call, good):
    if name == "summary":
        return  # a summary has no dtype of its own (it runs the model on float64 zeros)
    assert call(good).dtype == np.float64


@pytest.mark.parametrize("good, kind", [("int32", "i"), (np.int64, "i"), (bool, "b"), ("float16", "f")])
def test_integer_and_boolean_dtypes_are_still_taken(good, kind):
    assert dp.zeros(2, dtype=good).dtype.kind == kind
    assert dp.tensor([1, 0], dtype=good).dtype.kind == kind
    assert dp.tensor([1.0, 0.0]).astype(good).dtype.kind == kind


def test_a_bad_dtype_error_is_a_library_error_and_a_value_error():
    with pytest.raises(ValueError):
        dp.zeros(3, dtype="banana")
    with pytest.raises(dp.errors.DeltapropError):
        dp.tensor([1.0]).astype("banana")


@pytest.mark.parametrize("bad", ["banana", 3.5, "float33"])
def test_the_tensor_constructor_refuses_a_dtype_numpy_cannot_read(bad):
    # (the constructor is a hot path: it checks the dtype only when NumPy fails, so it leaves
    # refusing object or string dtypes, which NumPy takes, to tensor() and as_tensor())
    with pytest.raises(ConfigError, match=f"^Tensor: dtype must be .*got {re.escape(repr(bad))}$"):
        dp.Tensor([1.0], dtype=bad)


def test_data_that_cannot_take_a_good_dtype_keeps_numpys_refusal():
    # the dtype is fine, the data is not: not blamed on the dtype
    with pytest.raises(ValueError, match="could not convert"):
        dp.tensor(["abc"], dtype="float32")


def test_to_with_dtype_none_changes_nothing_as_in_pytorch():
    # (NumPy reads a dtype of None as float64: to(dtype=None) once converted to float64)
    x = dp.tensor([1.0, 2.0])
    assert x.to(dtype=None) is x and x.to("cpu", dtype=None) is x
