"""The operators and methods added for ported PyTorch code that tests/reference/test_torch_ops.py cannot
compare through gradients: & | ^ ~ on boolean and integer tensors, // and % with PyTorch's floor
semantics on integers and floats, comparisons and isnan/isinf, nonzero and one-argument where,
type_as and new_*, dtype= on reductions; values and dtypes against PyTorch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, ShapeError

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")

INTEGERS = np.array([[7, -7, 0, 5], [-3, 2, 9, -1], [4, -8, 1, 6]])
DIVISORS = np.array([3, -2, 5, -4])  # no zero: PyTorch refuses an integer division by zero
BOOLS = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, True]])


def both(values, dtype=None):
    """The same values as a tensor of either framework (``dtype`` a NumPy dtype name)."""
    values = np.asarray(values, dtype=dtype)
    return dp.tensor(values, dtype=values.dtype), torch.tensor(values)


def same(got, expected):
    """Equal values, shape and dtype (NaN equal to NaN)."""
    assert isinstance(got, dp.Tensor)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch."), (got.dtype, expected.dtype)
    np.testing.assert_array_equal(got.data, expected.numpy())


OPERATORS = {
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b,
}


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int16"])
@pytest.mark.parametrize("op", OPERATORS)
def test_integer_operators_match_pytorch_with_broadcasting_and_numbers_on_either_side(op, dtype):
    fn = OPERATORS[op]
    values = np.abs(INTEGERS) if dtype == "uint8" else INTEGERS
    divisor = np.abs(DIVISORS) if dtype == "uint8" else DIVISORS
    (a, ta), (b, tb) = both(values, dtype), both(divisor, dtype)
    same(fn(a, b), fn(ta, tb))
    same(fn(b, a[2:3]), fn(tb, ta[2:3]))  # (a row without a zero, which // and % refuse)
    same(fn(a, 3), fn(ta, 3))  # a Python number keeps the tensor's dtype
    same(fn(11, b), fn(11, tb))
    same(getattr(a, {"&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor", "//": "floor_divide",
                     "%": "remainder"}[op])(b), fn(ta, tb))


@pytest.mark.parametrize("op", ["&", "|", "^"])
def test_boolean_operators_are_logical_and_match_pytorch(op):
    fn = OPERATORS[op]
    (a, ta), (b, tb) = both(BOOLS), both(BOOLS[0])
    same(fn(a, b), fn(ta, tb))
    same(fn(a, True), fn(ta, True))
    same(fn(False, a), fn(False, ta))
    same(fn(a, 1), fn(ta, 1))  # a bool tensor with an integer: int64 in both
    same(fn(a, both(INTEGERS)[0]), fn(ta, both(INTEGERS)[1]))


@pytest.mark.parametrize("values", [BOOLS, INTEGERS, INTEGERS.astype(np.int32), np.abs(INTEGERS).astype(np.uint8)],
                         ids=["bool", "int64", "int32", "uint8"])
def test_invert_matches_pytorch(values):
    a, ta = both(values)
    same(~a, ~ta)
    same(dp.bitwise_not(a), torch.bitwise_not(ta))


def test_the_function_forms_of_the_bitwise_operators():
    (a, ta), (b, tb) = both(INTEGERS), both(DIVISORS)
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "floor_divide", "remainder"):
        same(getattr(dp, name)(a, b), getattr(torch, name)(ta, tb))


LOGICAL_OPERANDS = {  # any dtype: nonzero is true (NaN and -0.0 among them)
    "bool": BOOLS, "int64": INTEGERS, "int32": INTEGERS.astype(np.int32), "uint8": np.abs(INTEGERS).astype(np.uint8),
    "float32": np.array([[0.0, -0.0, np.nan, 2.5], [np.inf, 0.0, -1.0, 0.0], [1e-30, -np.inf, 0.0, 3.0]], np.float32),
    "float64": np.array([[0.0, 1.0, 0.0, -2.0], [0.0, np.nan, 0.0, 1e-300], [-0.0, 0.0, 7.0, 0.0]]),
}


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("left", LOGICAL_OPERANDS)
@pytest.mark.parametrize("right", ["bool", "float32", "int64"])
def test_logical_operations_take_any_dtypes_and_give_booleans_as_pytorch(name, left, right):
    (a, ta), (b, tb) = both(LOGICAL_OPERANDS[left]), both(LOGICAL_OPERANDS[right][1])  # a row: broadcast
    expected = getattr(torch, name)(ta, tb)
    assert expected.dtype == torch.bool
    same(getattr(dp, name)(a, b), expected)
    same(getattr(a, name)(b), getattr(ta, name)(tb))
    same(getattr(dp, name)(b, a), getattr(torch, name)(tb, ta))


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_operations_with_a_python_number_or_an_array(name):
    a, ta = both(LOGICAL_OPERANDS["float64"])
    for other in (0, 2, 0.0, True):
        same(getattr(dp, name)(a, other), getattr(torch, name)(ta, torch.tensor(other)))
    same(getattr(dp, name)(a, np.array([0, 1, 0, 1])), getattr(torch, name)(ta, torch.tensor([0, 1, 0, 1])))


@pytest.mark.parametrize("operand", LOGICAL_OPERANDS)
def test_logical_not_takes_any_dtype_and_gives_booleans_as_pytorch(operand):
    a, ta = both(LOGICAL_OPERANDS[operand])
    same(dp.logical_not(a), torch.logical_not(ta))
    same(a.logical_not(), ta.logical_not())


def test_logical_operations_carry_no_gradient_and_refuse_shapes_that_do_not_broadcast():
    x = dp.tensor([0.0, 1.5, -2.0], requires_grad=True)
    for out in (dp.logical_and(x, x), dp.logical_or(x, 0), dp.logical_xor(1, x), dp.logical_not(x)):
        assert out.dtype == np.bool_ and not out.requires_grad
    with pytest.raises(ShapeError, match=r"^logical_and: .*\(3,\).*\(2,\)"):
        dp.logical_and(x, dp.tensor([1.0, 0.0]))


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor"])
def test_bitwise_operations_with_a_python_number_keep_the_dtype_and_refuse_shapes_that_do_not_broadcast(name):
    a, ta = both(INTEGERS, "int8")
    same(getattr(dp, name)(a, 3), getattr(torch, name)(ta, 3))
    same(getattr(dp, name)(a, a[0]), getattr(torch, name)(ta, ta[0]))
    with pytest.raises(ShapeError, match=rf"^{name}: shapes \(3, 4\) and \(3, 2\) cannot be broadcast together$"):
        getattr(dp, name)(a, a[:, :2])
    with pytest.raises(TypeError, match=rf"^{name}: takes boolean and integer tensors only, got dtype float32$"):
        getattr(dp, name)(a, dp.tensor([1.5]))


FLOATS = np.array([7.5, -7.5, 0.0, -0.0, 5.25, np.inf, -np.inf, np.nan, 1e-30, -3.0])
FLOAT_DIVISORS = np.array([2.0, 2.0, -3.0, 3.0, -0.5, 2.0, 3.0, 1.0, -1.0, 0.0])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_float_floor_division_and_remainder_match_pytorch_at_signs_zeros_and_infinities(dtype):
    (a, ta), (b, tb) = both(FLOATS, dtype), both(FLOAT_DIVISORS, dtype)
    with np.errstate(all="raise"):  # no NumPy warning leaks out: x // 0.0 and x % 0.0 give inf and NaN quietly
        same(a // b, ta // tb)
        same(a % b, ta % tb)
        same(a // 0.0, ta // 0.0)
        same(a % 0.0, ta % 0.0)
        same(a.div(b, rounding_mode="floor"), ta.div(tb, rounding_mode="floor"))
        same(dp.div(a, b, rounding_mode="trunc"), torch.div(ta, tb, rounding_mode="trunc"))
    same(-7.5 // a[:3], -7.5 // ta[:3])
    same(4.0 % a[:3], 4.0 % ta[:3])


def test_integer_trunc_division_rounds_toward_zero_as_pytorch():
    (a, ta), (b, tb) = both(INTEGERS), both(DIVISORS)
    same(a.div(b, rounding_mode="trunc"), ta.div(tb, rounding_mode="trunc"))
    same(a.div(b, rounding_mode="floor"), ta.div(tb, rounding_mode="floor"))


@pytest.mark.parametrize("call", [
    lambda a, z: a // z, lambda a, z: a % z, lambda a, z: 5 // z, lambda a, z: a.div(z, rounding_mode="trunc"),
    lambda a, z: a.div(z, rounding_mode="floor"), lambda a, z: a.remainder(0),
], ids=["//", "%", "number //", "div trunc", "div floor", "remainder 0"])
def test_an_integer_division_by_zero_is_refused_as_in_pytorch(call):
    zero_d, zero_t = both([2, 0, 1, 3])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(torch.tensor(INTEGERS), zero_t)
    with pytest.raises(ZeroDivisionError, match=r"integer division by zero \(the divisor holds a 0\)"):
        call(dp.tensor(INTEGERS), zero_d)


def test_remainder_passes_the_gradient_to_the_dividend_and_floor_division_passes_none():
    a = dp.tensor([7.5, -7.5, 2.25], dtype=dp.float64, requires_grad=True)
    b = dp.tensor([2.0, 2.0, -1.0], dtype=dp.float64, requires_grad=True)
    (a % b).backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(a.grad, [1.0, 10.0, 100.0])
    np.testing.assert_array_equal(b.grad, [-3.0, 40.0, 300.0])  # -g * floor(a / b): floors 3, -4, -3
    a.grad = b.grad = None
    quotient = a // b
    assert quotient.requires_grad
    quotient.backward(np.ones(3))
    np.testing.assert_array_equal(a.grad, np.zeros(3))
    np.testing.assert_array_equal(b.grad, np.zeros(3))


COMPARISONS = ["lt", "le", "gt", "ge", "eq", "ne"]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparison_methods_and_functions_match_pytorch_and_carry_no_gradient(name):
    values = np.array([[1.0, 2.0, np.nan], [3.0, 2.0, -1.0]])
    a = dp.tensor(values, dtype=dp.float64, requires_grad=True)
    ta = torch.tensor(values, requires_grad=True)
    (b, tb) = both([2.0, 2.0, 2.0])
    for got, expected in [(getattr(a, name)(b), getattr(ta, name)(tb)), (getattr(dp, name)(a, 2.0), getattr(torch, name)(ta, 2.0)),
                          (getattr(a, name)(np.array([1.0])), getattr(ta, name)(torch.tensor([1.0])))]:
        same(got, expected)
        assert not got.requires_grad and not expected.requires_grad


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_isnan_isinf_isfinite_match_pytorch_for_floats_and_integers(name):
    for values in (FLOATS, FLOATS.astype(np.float32), INTEGERS, BOOLS):
        a, ta = both(values)
        same(getattr(a, name)(), getattr(ta, name)())
        same(getattr(dp, name)(a), getattr(torch, name)(ta))


@pytest.mark.parametrize("values", [BOOLS, INTEGERS, np.zeros((2, 0, 3)), np.array(0.0), np.array(2.5), FLOATS],
                         ids=["bool", "int", "empty", "0-d zero", "0-d", "floats"])
def test_nonzero_argwhere_and_where_of_a_condition_alone_match_pytorch(values):
    a, ta = both(values)
    same(a.nonzero(), ta.nonzero())
    same(dp.argwhere(a), torch.argwhere(ta))
    got, expected = dp.nonzero(a, as_tuple=True), torch.nonzero(ta, as_tuple=True)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        same(g, e)
    for g, e in zip(dp.where(a), torch.where(ta)):
        same(g, e)


def test_where_with_one_of_input_and_other_is_refused_in_one_sentence():
    with pytest.raises(TypeError, match="give the condition with both input and other, or the condition alone"):
        dp.where(dp.tensor(BOOLS), dp.tensor(1.0))


def test_type_as_and_the_new_factories_take_the_tensors_dtype_as_pytorch():
    a, ta = both(np.ones((2, 3)), "float64")
    pairs = [
        (a.new_zeros(2, 3), ta.new_zeros(2, 3)), (a.new_zeros((4,)), ta.new_zeros((4,))),
        (a.new_ones(3), ta.new_ones(3)), (a.new_ones((2, 0), dtype=dp.int32), ta.new_ones((2, 0), dtype=torch.int32)),
        (a.new_full((2,), 7), ta.new_full((2,), 7)), (a.new_full([], 1.5), ta.new_full([], 1.5)),
        (a.new_tensor([1, 2]), ta.new_tensor([1, 2])), (a.new_tensor([[1.5]], dtype=dp.float32),
                                                       ta.new_tensor([[1.5]], dtype=torch.float32)),
        (a.new_empty(2, 2).zero_(), ta.new_empty(2, 2).zero_()),
        (both(INTEGERS)[0].type_as(a), both(INTEGERS)[1].type_as(ta)), (a.type_as(both(BOOLS)[0]), ta.type_as(both(BOOLS)[1])),
    ]
    for got, expected in pairs:
        same(got, expected)
        assert not got.requires_grad
    grown = a.new_zeros(2, requires_grad=True)
    assert grown.requires_grad and grown.is_leaf and grown.dtype == np.float64
    with pytest.raises(TypeError, match="type_as: other must be a tensor"):
        a.type_as(np.float32)


def test_type_as_keeps_the_gradient_flowing_back_in_the_original_dtype():
    a = dp.tensor([1.5, -2.0], dtype=dp.float32, requires_grad=True)
    (a.type_as(dp.tensor([0.0], dtype=dp.float64)) * 3.0).sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_array_equal(a.grad, [3.0, 3.0])


REDUCTIONS_WITH_DTYPE = {
    "sum": lambda x, t: x.sum(dtype=t), "sum-dim": lambda x, t: x.sum(1, dtype=t),
    "mean": lambda x, t: x.mean(dtype=t), "mean-dim-keepdim": lambda x, t: x.mean(0, True, dtype=t),
    "prod": lambda x, t: x.prod(1, dtype=t), "cumsum": lambda x, t: x.cumsum(0, dtype=t),
    "cumprod": lambda x, t: x.cumprod(dim=1, dtype=t),
}


@pytest.mark.parametrize("name", REDUCTIONS_WITH_DTYPE)
@pytest.mark.parametrize("values", [INTEGERS, BOOLS, np.arange(12.0).reshape(3, 4) / 7], ids=["int", "bool", "float"])
def test_reductions_with_dtype_convert_the_input_first_as_pytorch(values, name):
    fn = REDUCTIONS_WITH_DTYPE[name]
    a, ta = both(values)
    for ours, theirs in ((dp.float64, torch.float64), (dp.float32, torch.float32)):
        got, expected = fn(a, ours), fn(ta, theirs)
        assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-6)


def test_reduction_functions_take_dtype_too():
    a, ta = both(INTEGERS)
    same(dp.sum(a, 0, dtype=dp.float64), torch.sum(ta, 0, dtype=torch.float64))
    same(dp.cumsum(a, dim=1, dtype=dp.float32), torch.cumsum(ta, dim=1, dtype=torch.float32))
    same(dp.prod(a, 1, dtype=dp.int32), torch.prod(ta, 1, dtype=torch.int32))


def test_add_and_sub_with_alpha_match_pytorch_for_integers():
    (a, ta), (b, tb) = both(INTEGERS), both(DIVISORS)
    same(a.add(b, alpha=3), ta.add(tb, alpha=3))
    same(dp.sub(a, b, alpha=-2), torch.sub(ta, tb, alpha=-2))
    same(dp.add(a, 1, alpha=5), torch.add(ta, 1, alpha=5))
    with pytest.raises(TypeError, match="add: alpha must be a number"):
        a.add(b, alpha="2")


def test_scatter_with_reduce_add_is_scatter_add_and_other_reductions_are_refused():
    x = dp.tensor(np.arange(12.0).reshape(3, 4), dtype=dp.float64)
    index = np.array([[2, 0, 1, 1], [2, 2, 0, 0]])
    src = dp.tensor(np.arange(1.0, 9.0).reshape(2, 4), dtype=dp.float64)
    expected = torch.tensor(x.data).scatter_add(0, torch.tensor(index), torch.tensor(src.data))
    same(x.scatter(0, index, src, reduce="add"), expected)
    same(dp.scatter(x, 0, index, src, reduce="add"), expected)
    with pytest.raises(ConfigError, match="reduce must be None or 'add'"):
        x.scatter(0, index, src, reduce="multiply")
    with pytest.raises(TypeError, match="give src .* or value"):
        dp.scatter(x, 0, index)


def test_scatter_with_a_repeated_index_writes_one_of_the_values_and_reads_every_gradient_back():
    x = dp.tensor(np.zeros((2, 3)), dtype=dp.float64, requires_grad=True)
    src = dp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=dp.float64, requires_grad=True)
    index = np.array([[1, 0, 1], [1, 1, 0]])
    out = x.scatter(0, index, src)
    assert out.data[1, 0] in (1.0, 4.0) and out.data[0, 1] == 2.0 and out.data[1, 1] == 5.0
    out.backward(np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]]))
    np.testing.assert_array_equal(x.grad, [[10.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # every written place gets none
    np.testing.assert_array_equal(src.grad, [[40.0, 20.0, 60.0], [40.0, 50.0, 30.0]])  # as PyTorch's gather of g


NAMES = [  # PyTorch's tensor methods and functions that ported code reaches for
    "movedim", "moveaxis", "tile", "roll", "select", "scatter", "scatter_add", "index_select", "unflatten", "swapaxes",
    "swapdims", "masked_select", "nonzero", "argwhere", "unbind", "add", "sub", "mul", "div", "lt", "le", "gt", "ge",
    "eq", "ne", "minimum", "maximum", "where", "isnan", "isinf", "isfinite", "floor_divide", "remainder",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and", "logical_or", "logical_xor", "logical_not",
]
METHODS_ONLY = ["type_as", "new_zeros", "new_ones", "new_full", "new_tensor", "new_empty", "mT", "T"]


@pytest.mark.parametrize("name", NAMES + METHODS_ONLY)
def test_pytorchs_methods_and_functions_are_there(name):
    assert hasattr(torch.Tensor, name) and hasattr(dp.Tensor, name)
    if name in NAMES:
        assert hasattr(torch, name) and callable(getattr(dp, name))
