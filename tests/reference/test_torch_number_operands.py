"""A Python number given with an integer or boolean tensor, against PyTorch 2.13: where, masked_fill,
clamp, index_fill and threshold convert it for the tensor's dtype by PyTorch's checked rule (an int
beyond the dtype's range refused, a negative one wrapped into an unsigned dtype down to −max, a float
truncated where the dtype holds it and refused where it does not, NaN and ±inf refused), and
threshold keeps an integer tensor's dtype; maximum and minimum take tensors only, as PyTorch's do.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError

torch = pytest.importorskip("torch", reason="PyTorch is the reference for numbers with integer tensors")

VALUES = np.array([1, 5, 0, 3, 2, 7])
CONDITION = np.array([True, False, True, False, False, True])
ROWS = np.array([0, 3])


def _lib(t):
    return dp if isinstance(t, dp.Tensor) else torch


def _functional(t):
    return dp.nn.functional if isinstance(t, dp.Tensor) else torch.nn.functional


def _condition(t):
    return dp.tensor(CONDITION) if isinstance(t, dp.Tensor) else torch.from_numpy(CONDITION)


def _rows(t):
    return dp.tensor(ROWS) if isinstance(t, dp.Tensor) else torch.from_numpy(ROWS)


CALLS = {
    "where-other": lambda t, n: _lib(t).where(_condition(t), t, n),
    "where-input": lambda t, n: _lib(t).where(_condition(t), n, t),
    "masked_fill": lambda t, n: t.masked_fill(_condition(t), n),
    "clamp-min": lambda t, n: _lib(t).clamp(t, min=n),
    "clamp-max": lambda t, n: _lib(t).clamp(t, max=n),
    "index_fill": lambda t, n: _lib(t).index_fill(t, 0, _rows(t), n),
    "threshold-value": lambda t, n: _functional(t).threshold(t, 2, n),
    "threshold-threshold": lambda t, n: _functional(t).threshold(t, n, 6),
}
DTYPES = ["uint8", "int8", "int16", "int32", "int64", "bool"]
NUMBERS = [300, -1, 255, 256, -255, -256, 127, 128, -128, -129, 2 ** 63, 2 ** 64, 1.5, -1.5, -0.5, 300.0, -1.0,
           255.5, 127.9, -128.9, float("nan"), float("inf"), True]


def _differs_on_purpose(name, dtype, number) -> bool:
    """The cases where deltaprop differs from PyTorch (test_the_known_differences pins them)."""
    return number is True and (name.startswith("threshold") or (name.startswith("clamp") and dtype == "bool"))


@pytest.mark.parametrize("name, dtype, number", [
    pytest.param(name, dtype, number, id=f"{name}-{dtype}-{number!r}")
    for name in CALLS for dtype in DTYPES for number in NUMBERS if not _differs_on_purpose(name, dtype, number)
])
def test_a_number_with_an_integer_tensor_is_taken_or_refused_as_in_pytorch(name, dtype, number):
    call = CALLS[name]
    values = VALUES.astype(dtype)
    function = {"clamp": "clip"}.get(name.split("-")[0], name.split("-")[0])  # (clamp is clip, by its name)
    try:
        expected = call(torch.from_numpy(values), number)
    except (RuntimeError, OverflowError, NotImplementedError):
        with pytest.raises((ConfigError, TypeError), match=rf"^{function}: "):
            call(dp.tensor(values, dtype=values.dtype), number)
        return
    result = call(dp.tensor(values, dtype=values.dtype), number)
    assert result.dtype.name == str(expected.dtype).removeprefix("torch.").replace("bool", "bool")
    np.testing.assert_array_equal(result.data, expected.numpy())


@pytest.mark.parametrize("call, words", [
    (lambda t: dp.where(CONDITION, t, 300), r"^where: the number 300 does not fit the tensor's dtype uint8 \(0 to 255; "
                                            r"-255 to -1 wrap\), as in PyTorch; give a number in that range, or convert "
                                            r"the tensor with \.long\(\) or \.float\(\) first\.$"),
    (lambda t: t.masked_fill(CONDITION, -1.0), r"^masked_fill: the number -1\.0 does not fit the tensor's dtype uint8 "
                                               r"\(0 to 255\), as in PyTorch;"),
    (lambda t: dp.clamp(t, max=-256), r"^clip: the number -256 does not fit the tensor's dtype uint8"),
    (lambda t: dp.index_fill(t, 0, ROWS, float("nan")), r"^index_fill: the number nan does not fit"),
    (lambda t: dp.nn.functional.threshold(t, 2, 256), r"^threshold: the number 256 does not fit"),
])
def test_the_refusal_is_one_sentence_naming_function_number_dtype_and_fix(call, words):
    with pytest.raises(ConfigError, match=words):
        call(dp.tensor(VALUES.astype("uint8"), dtype=np.uint8))


def test_threshold_of_a_0d_tensor_value_and_of_floats_are_unchanged():
    x = np.array([0.5, 2.5, -1.0])
    np.testing.assert_array_equal(dp.nn.functional.threshold(dp.tensor(x), 1.0, 9.5).data,
                                  torch.nn.functional.threshold(torch.tensor(x, dtype=torch.float32), 1.0, 9.5).numpy())
    layer = dp.nn.Threshold(2, 7)
    assert layer(dp.tensor(VALUES)).dtype == np.int64 and layer(dp.tensor(VALUES)).tolist() == \
        torch.nn.Threshold(2, 7)(torch.from_numpy(VALUES)).tolist()


def test_masked_fill_with_a_0d_tensor_value_is_checked_as_pytorch_checks_it():
    u = VALUES.astype("uint8")
    with pytest.raises(RuntimeError):
        torch.from_numpy(u).masked_fill(torch.from_numpy(CONDITION), torch.tensor(300))
    with pytest.raises(ConfigError, match=r"^masked_fill: the number 300 does not fit the tensor's dtype uint8"):
        dp.tensor(u, dtype=np.uint8).masked_fill(CONDITION, dp.tensor(300))
    expected = torch.from_numpy(u).masked_fill(torch.from_numpy(CONDITION), torch.tensor(-3))
    assert dp.tensor(u, dtype=np.uint8).masked_fill(CONDITION, dp.tensor(-3)).tolist() == expected.tolist()


# -- maximum and minimum take tensors only -----------------------------------------------------------------


@pytest.mark.parametrize("number", [2.0, 2, True, np.float32(2.0), np.int64(2)], ids=repr)
@pytest.mark.parametrize("name, remedy", [("maximum", "min"), ("minimum", "max")])
def test_maximum_and_minimum_refuse_a_number_as_pytorch_does(name, remedy, number):
    x = np.array([1.0, 2.5, 3.0], dtype=np.float32)
    for args in ((torch.from_numpy(x), number), (number, torch.from_numpy(x))):
        with pytest.raises(TypeError):
            getattr(torch, name)(*args)
    words = "^" + re.escape(f"{name}: expected two tensors, got a number ({number!r}), as PyTorch does; use "
                            f"clamp({remedy}=number) for a number bound, or wrap the number in a tensor: "
                            "dp.tensor(number).") + "$"
    for args in ((dp.tensor(x), number), (number, dp.tensor(x))):
        with pytest.raises(TypeError, match=words):
            getattr(dp, name)(*args)
    with pytest.raises(TypeError, match=rf"^{name}: expected two tensors"):
        getattr(dp.tensor(x), name)(number)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_still_take_a_0d_tensor_and_an_array(name):
    x = np.array([1.0, 2.5, 3.0], dtype=np.float32)
    expected = getattr(torch, name)(torch.from_numpy(x), torch.tensor(2.0)).numpy()
    np.testing.assert_array_equal(getattr(dp, name)(dp.tensor(x), dp.tensor(2.0)).data, expected)
    np.testing.assert_array_equal(getattr(dp, name)(dp.tensor(x), np.full(3, 2.0, dtype=np.float32)).data, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_known_differences(dtype):
    values = VALUES.astype(dtype)
    # threshold refuses a bool threshold or value (PyTorch reads True as 1)
    for name in ("threshold-value", "threshold-threshold"):
        with pytest.raises(ConfigError, match=r"^threshold: "):
            CALLS[name](dp.tensor(values, dtype=values.dtype), True)
        if dtype != "bool":  # PyTorch takes True as 1 there
            assert CALLS[name](torch.from_numpy(values), True).tolist() == CALLS[name](torch.from_numpy(values), 1).tolist()
    if dtype == "bool":  # clamp of booleans by a bool: PyTorch has no kernel for it, deltaprop keeps bool
        for name, expected in (("clamp-min", values | True), ("clamp-max", values)):
            with pytest.raises(RuntimeError):
                CALLS[name](torch.from_numpy(values), True)
            result = CALLS[name](dp.tensor(values, dtype=values.dtype), True)
            assert result.dtype == np.bool_
            np.testing.assert_array_equal(result.data, expected)
