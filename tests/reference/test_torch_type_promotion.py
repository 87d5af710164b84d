"""Type promotion against PyTorch: the dtype every operation of two operands computes and returns in,
over a grid of operand kinds (tensors and 0-d tensors of each dtype, Python and NumPy numbers), the
values it computes there, and the gradients' dtypes and values (finite differences in float64,
PyTorch in float32 and float64)."""

import operator

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch's type promotion is the reference")

import deltaprop as dp  # noqa: E402
from deltaprop.ops.promotion import promote_types, result_type  # noqa: E402

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = [True, 2, 1.5, np.bool_(True), np.uint8(2), np.int32(2), np.int64(2), np.float16(1.5), np.float32(1.5),
           np.float64(1.5)]


def _array(dtype, zero_d):
    value = np.array(True) if dtype == "bool" else np.array(2)
    return value.astype(dtype) if zero_d else np.broadcast_to(value, (3,)).astype(dtype)


def _operands():
    """(name, deltaprop operand maker, torch operand maker) for each kind of operand."""
    kinds = []
    for zero_d in (False, True):
        for dtype in DTYPES:
            array = _array(dtype, zero_d)
            kinds.append((f"{'0-d ' if zero_d else ''}{dtype} tensor", lambda a=array: dp.tensor(a, dtype=a.dtype),
                          lambda a=array: torch.from_numpy(a.copy())))
    for number in NUMBERS:
        # PyTorch reads np.bool_ as a float (its own quirk); deltaprop as the bool it holds: compare with that
        theirs = bool(number) if isinstance(number, np.bool_) else number
        kinds.append((f"{type(number).__name__} {number!r}", lambda n=number: n, lambda n=theirs: n))
    return kinds


OPERANDS = _operands()
TENSORS = [kind for kind in OPERANDS if "tensor" in kind[0]]
PAIRS = [(a, b) for a in OPERANDS for b in OPERANDS if "tensor" in a[0] or "tensor" in b[0]]


def _torch_dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def _outcome(fn, make):
    """(dtype name, values) of ``fn`` on fresh operands, or the exception it raised."""
    try:
        out = fn(*(m() for m in make))
    except Exception as error:  # noqa: BLE001 (any refusal counts as one)
        return error
    values = out.detach().numpy() if isinstance(out, torch.Tensor) else out.numpy()
    return _torch_dtype_name(out.dtype), values


def _tolerance(dtype_name):
    return {"float16": 2e-3, "float32": 1e-6}.get(dtype_name, 1e-12)


def _disagreements(ours, theirs, pairs):
    """Where the two computations differ: in dtype, in values (beyond the dtype's rounding), or in
    that one computes and the other refuses. Pairs PyTorch refuses are left out (see the tests of
    what deltaprop does there)."""
    found = []
    for a, b in pairs:
        expected = _outcome(theirs, (a[2], b[2]))
        if isinstance(expected, Exception):
            continue
        got = _outcome(ours, (a[1], b[1]))
        if isinstance(got, Exception):
            found.append(f"{a[0]} with {b[0]}: PyTorch gives {expected[0]}, deltaprop raises {got!r}")
        elif got[0] != expected[0]:
            found.append(f"{a[0]} with {b[0]}: PyTorch gives {expected[0]}, deltaprop {got[0]}")
        elif not np.allclose(got[1].astype(np.float64), expected[1].astype(np.float64), rtol=_tolerance(got[0]),
                             atol=0, equal_nan=True):
            found.append(f"{a[0]} with {b[0]}: values {got[1]} against PyTorch's {expected[1]}")
    return found


BINARY = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "//": operator.floordiv,
    "%": operator.mod, "**": operator.pow,
}


@pytest.mark.parametrize("symbol", list(BINARY))
def test_operators_promote_as_pytorch(symbol):
    fn = BINARY[symbol]
    assert _disagreements(fn, fn, PAIRS) == []


INTEGRAL = [kind for kind in OPERANDS if "float" not in kind[0]]


@pytest.mark.parametrize("symbol", ["&", "|", "^"])
def test_bitwise_operators_promote_as_pytorch(symbol):
    fn = {"&": operator.and_, "|": operator.or_, "^": operator.xor}[symbol]
    pairs = [(a, b) for a in INTEGRAL for b in INTEGRAL if "tensor" in a[0] or "tensor" in b[0]]
    assert _disagreements(fn, fn, pairs) == []


def _flat(x):
    return x.reshape(-1)


TENSOR_PAIRS = [(a, b) for a in TENSORS for b in TENSORS]
TENSOR_FUNCTIONS = {
    "maximum": (dp.maximum, torch.maximum),
    "minimum": (dp.minimum, torch.minimum),
    "where": (lambda a, b: dp.where(dp.tensor([True, False, True]), a, b),
              lambda a, b: torch.where(torch.tensor([True, False, True]), a, b)),
    "clamp min": (lambda a, b: dp.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b)),
    "clamp max": (lambda a, b: dp.clamp(a, max=b), lambda a, b: torch.clamp(a, max=b)),
    "clamp both": (lambda a, b: dp.clamp(a, min=b, max=b + 1), lambda a, b: torch.clamp(a, min=b, max=b + 1)),
    "cat": (lambda a, b: dp.cat([_flat(a), _flat(b)]), lambda a, b: torch.cat([_flat(a), _flat(b)])),
    "stack": (lambda a, b: dp.stack([a, b]), lambda a, b: torch.stack([a, b])),
    "add alpha": (lambda a, b: dp.add(a, b, alpha=2), lambda a, b: torch.add(a, b, alpha=2)),
    "sub alpha": (lambda a, b: dp.sub(a, b, alpha=2), lambda a, b: torch.sub(a, b, alpha=2)),
}


@pytest.mark.parametrize("name", list(TENSOR_FUNCTIONS))
def test_functions_of_two_tensors_promote_as_pytorch(name):
    ours, theirs = TENSOR_FUNCTIONS[name]
    assert _disagreements(ours, theirs, TENSOR_PAIRS) == []


TENSOR_NUMBER_PAIRS = [(a, b) for a in TENSORS for b in OPERANDS if "tensor" not in b[0]]
NUMBER_FUNCTIONS = {
    "where": TENSOR_FUNCTIONS["where"],
    "clamp min": TENSOR_FUNCTIONS["clamp min"],
    "clamp max": TENSOR_FUNCTIONS["clamp max"],
    "add alpha": TENSOR_FUNCTIONS["add alpha"],
    "sub alpha": TENSOR_FUNCTIONS["sub alpha"],
}


@pytest.mark.parametrize("name", list(NUMBER_FUNCTIONS))
def test_functions_of_a_tensor_and_a_number_promote_as_pytorch(name):
    ours, theirs = NUMBER_FUNCTIONS[name]
    assert _disagreements(ours, theirs, TENSOR_NUMBER_PAIRS) == []


def test_result_type_is_pytorchs():
    """The one rule, against torch.result_type, for pairs and for triples (clamp's three operands)."""
    found = []
    for a, b in PAIRS:
        ours, theirs = result_type(a[1](), b[1]()), torch.result_type(a[2](), b[2]())
        if ours.name != _torch_dtype_name(theirs):
            found.append(f"{a[0]} with {b[0]}: {ours.name}, PyTorch {theirs}")
    for a, b, c in [(a, b, c) for a in TENSORS[::3] for b in TENSORS for c in TENSORS[::2]]:
        try:  # torch.result_type takes two operands; clamp's result is the three's
            theirs = torch.clamp(a[2](), min=b[2](), max=c[2]()).dtype
        except RuntimeError:  # (booleans, which PyTorch does not clamp)
            continue
        ours = result_type(a[1](), b[1](), c[1]())
        if ours.name != _torch_dtype_name(theirs):
            found.append(f"{a[0]}, {b[0]}, {c[0]}: {ours.name}, PyTorch {theirs}")
    assert found == []


def test_promote_types_is_pytorchs():
    for first in DTYPES:
        for second in DTYPES:
            theirs = torch.promote_types(getattr(torch, first), getattr(torch, second))
            assert promote_types(first, second).name == _torch_dtype_name(theirs), (first, second)


def test_the_examples_of_the_porting_guide():
    a = dp.ones(3)
    assert (a * dp.tensor([1, 2, 3])).dtype == np.float32
    assert (a + dp.tensor(2.0, dtype="float64")).dtype == np.float32
    assert dp.cat([a, dp.tensor([1, 2], dtype="int32")]).dtype == np.float32
    assert (dp.tensor([1, 2, 3]) / 2).dtype == np.float32
    assert (dp.tensor([1, 2, 3]) * 1.5).dtype == np.float32
    assert (a * np.int64(2)).dtype == (a * 2).dtype == (a * dp.tensor([True, False, True])).dtype == np.float32
    assert (dp.tensor([1, 2, 3]) * np.float64(1.5)).dtype == np.float32  # a NumPy float counts as a Python float
    assert dp.result_type(a, dp.tensor([1, 2, 3])) == np.float32 and dp.promote_types("int64", "float16") == np.float16


@pytest.mark.parametrize("symbol", ["==", "!=", "<", "<=", ">", ">="])
@pytest.mark.parametrize("narrow, wide", [("float32", "float64"), ("float16", "float32"), ("float16", "float64")])
def test_comparisons_compare_in_the_promoted_dtype(symbol, narrow, wide):
    """0.1 in float32 equals a float64 0.1 once both are float32, which PyTorch compares in."""
    fn = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
          ">=": operator.ge}[symbol]
    values = np.array([0.1, 0.2, 0.3])
    for other in (0.1, getattr(np, wide)(0.1), "0-d"):
        ours_other = dp.tensor(0.1, dtype=wide) if other == "0-d" else other
        theirs_other = torch.tensor(0.1, dtype=getattr(torch, wide)) if other == "0-d" else other
        expected = fn(torch.tensor(values, dtype=getattr(torch, narrow)), theirs_other).numpy()
        for got in (fn(dp.tensor(values, dtype=narrow), ours_other),
                    getattr(dp, {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[symbol])(
                        dp.tensor(values, dtype=narrow), ours_other)):
            assert got.dtype == np.bool_
            assert got.numpy().tolist() == expected.tolist(), (narrow, other)


# -- in place: the result is the tensor's own dtype, computed in the promoted one; refused where
#    the promoted dtype is of a higher category than the tensor's -----------------------------------

IN_PLACE = {
    "add_": lambda x, y: x.add_(y), "sub_": lambda x, y: x.sub_(y), "mul_": lambda x, y: x.mul_(y),
    "div_": lambda x, y: x.div_(y), "add_ alpha": lambda x, y: x.add_(y, alpha=2),
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "pow_": lambda x, y: x.pow_(y), "**=": operator.ipow,
}


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_in_place_forms_compute_and_refuse_as_pytorch(name):
    fn = IN_PLACE[name]
    found = []
    for a in TENSORS:
        for b in OPERANDS:
            if ("sub" in name or "-" in name) and ("bool" in a[0] or "bool" in b[0]):
                continue  # PyTorch refuses subtraction with booleans outright (left as NumPy takes it)
            try:
                theirs = fn(a[2](), b[2]())
            except RuntimeError as error:
                if "can't be cast" in str(error):
                    with pytest.raises(TypeError, match=r"in place"):
                        fn(a[1](), b[1]())
                continue
            try:
                ours = fn(a[1](), b[1]())
            except Exception as error:  # noqa: BLE001
                found.append(f"{a[0]} {name} {b[0]}: PyTorch gives {theirs.dtype}, deltaprop raises {error!r}")
                continue
            if ours.dtype.name != _torch_dtype_name(theirs.dtype):
                found.append(f"{a[0]} {name} {b[0]}: {ours.dtype}, PyTorch {theirs.dtype}")
            elif not np.allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=_tolerance(ours.dtype.name)):
                found.append(f"{a[0]} {name} {b[0]}: {ours.numpy()}, PyTorch {theirs.numpy()}")
    assert found == []


def test_in_place_refusal_is_one_sentence_naming_the_dtypes():
    x = dp.tensor([1, 2, 3])
    with pytest.raises(TypeError, match=r"^add_: .*int64.*float32.*\.$"):
        x.add_(1.5)
    assert x.tolist() == [1, 2, 3]


def test_in_place_uint8_takes_integers_and_wraps_as_pytorch():
    x = dp.tensor([250, 2], dtype="uint8")
    x += dp.tensor([10, 1])
    assert x.dtype == np.uint8 and x.tolist() == [4, 3]


# -- matmul: PyTorch refuses mixed dtypes; deltaprop computes in the promoted dtype ----------------------


@pytest.mark.parametrize("first, second", [("float32", "float64"), ("int64", "float32"), ("float16", "float32"),
                                           ("int32", "int64"), ("bool", "float32")])
def test_matmul_of_mixed_dtypes_computes_in_the_promoted_dtype(first, second):
    a = np.arange(6).reshape(2, 3).astype(first)
    b = np.arange(12).reshape(3, 4).astype(second)
    with pytest.raises(RuntimeError):
        torch.from_numpy(a) @ torch.from_numpy(b)  # what deltaprop decides differently
    expected = torch.result_type(torch.from_numpy(a), torch.from_numpy(b))
    out = dp.tensor(a, dtype=first) @ dp.tensor(b, dtype=second)
    assert out.dtype.name == _torch_dtype_name(expected)
    reference = torch.from_numpy(a).to(expected) @ torch.from_numpy(b).to(expected)
    np.testing.assert_allclose(out.numpy().astype(float), reference.numpy().astype(float), rtol=1e-3)


# -- gradients: each input's in its own dtype, the values PyTorch's ------------------------------------

GRADIENT_CASES = {
    "mul": lambda x, y: x * y,
    "add": lambda x, y: x + y,
    "sub": lambda x, y: y - x,
    "div": lambda x, y: x / y,
    "rdiv": lambda x, y: y / x,
    "pow": lambda x, y: x ** y,
    "rpow": lambda x, y: y ** x,
    "maximum": lambda x, y: x.maximum(y),
    "where": lambda x, y: x.where(x > 0.5, y),
    "clamp": lambda x, y: x.clamp(min=y),
    "cat": lambda x, y: dp.cat([x.reshape(-1), y.reshape(1)]) if isinstance(x, dp.Tensor) else torch.cat(
        [x.reshape(-1), y.reshape(1)]),
    "add alpha": lambda x, y: x.add(y, alpha=3),
}


def _leaves(first, second, library):
    x = np.array([[0.9, 1.7, 0.4], [1.2, 0.6, 2.1]])
    y = np.array(1.3)
    if library == "torch":
        return (torch.tensor(x, dtype=getattr(torch, first), requires_grad=True),
                torch.tensor(y, dtype=getattr(torch, second), requires_grad=True))
    return dp.tensor(x, dtype=first, requires_grad=True), dp.tensor(y, dtype=second, requires_grad=True)


@pytest.mark.parametrize("name", list(GRADIENT_CASES))
@pytest.mark.parametrize("first, second", [("float32", "float64"), ("float64", "float32"), ("float32", "float32"),
                                           ("float64", "float64")])
def test_gradients_come_back_in_each_inputs_dtype_with_pytorchs_values(name, first, second):
    """A dimensioned tensor with a 0-d one: the result is the dimensioned tensor's dtype (PyTorch's
    rule; for cat both are dimensioned), and each leaf's .grad its own dtype, equal to PyTorch's."""
    fn = GRADIENT_CASES[name]
    x, y = _leaves(first, second, "dp")
    tx, ty = _leaves(first, second, "torch")
    out, expected = fn(x, y), fn(tx, ty)
    assert out.dtype.name == _torch_dtype_name(expected.dtype) == (first if name != "cat" else out.dtype.name)
    weights = np.linspace(-1.0, 2.0, out.numel()).reshape(out.shape)
    (out * dp.tensor(weights, dtype=first)).sum().backward()
    (expected * torch.tensor(weights, dtype=expected.dtype)).sum().backward()
    tolerance = dict(rtol=1e-5, atol=1e-6) if "float32" in (first, second) else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **tolerance)
    for ours, theirs, dtype in ((x, tx, first), (y, ty, second)):
        assert ours.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **tolerance)


def test_a_float32_leaf_times_a_float64_scalar_tensor_gets_a_float32_grad():
    w = dp.ones(3, requires_grad=True)
    scale = dp.tensor(0.5, dtype="float64", requires_grad=True)
    out = w * scale
    assert out.dtype == np.float32
    out.sum().backward()
    assert w.grad.dtype == np.float32 and scale.grad.dtype == np.float64
    np.testing.assert_allclose(w.grad, [0.5, 0.5, 0.5])
    np.testing.assert_allclose(scale.grad, 3.0)


FLOAT64_CASES = {
    "mul by int tensor": lambda x, n: x * n,
    "div by int tensor": lambda x, n: x / n,
    "int tensor over": lambda x, n: n / x,
    "pow int tensor": lambda x, n: x ** n,
    "int tensor pow": lambda x, n: n ** x,
    "maximum": lambda x, n: dp.maximum(x, n),
    "where": lambda x, n: dp.where(n > 1, x, n),
    "clamp": lambda x, n: dp.clamp(n, min=x),
    "cat": lambda x, n: dp.cat([x.reshape(1) * n, n]),
    "stack": lambda x, n: dp.stack([x * n, n]),
    "matmul": lambda x, n: (x * dp.ones((2, 3), dtype="float64")) @ n.reshape(3, 1),
}


@pytest.mark.parametrize("name", list(FLOAT64_CASES))
def test_mixed_float64_gradients_match_finite_differences(name):
    """A 0-d float64 leaf with an int32 tensor computes in float64: checked by finite differences."""
    n = dp.tensor([1, 2, 3], dtype="int32")
    x = dp.tensor(1.37, dtype="float64", requires_grad=True)
    assert FLOAT64_CASES[name](x, n).dtype == np.float64
    assert dp.gradcheck(lambda x: FLOAT64_CASES[name](x, n), [x])
