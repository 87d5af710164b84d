"""PyTorch's type promotion beyond the operators of two tensors: functions of one integer or
boolean tensor, operations on two Python numbers, Python integers out of an integer tensor's range,
subtraction with booleans, einsum and linear. Each table is checked against PyTorch
(dtype and values, or that both refuse); gradients in each input's own dtype, with PyTorch's values
(float32 and float64) and finite differences (float64)."""

import operator

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch's type promotion is the reference")
F = torch.nn.functional

import deltaprop as dp  # noqa: E402
import deltaprop.nn.functional as DF  # noqa: E402

INTEGRAL = ["bool", "uint8", "int8", "int32", "int64"]
DTYPES = INTEGRAL + ["float16", "float32", "float64"]


def _name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def _pair(values, dtype):
    """The same values as a deltaprop and a PyTorch tensor of ``dtype``."""
    array = np.asarray(values).astype(dtype)
    return dp.tensor(array, dtype=dtype), torch.from_numpy(array.copy())


def _tolerance(dtype_name):
    return {"float16": 2e-3, "float32": 2e-6}.get(dtype_name, 1e-12)


def _same_outcome(ours, theirs):
    """Run both: equal dtypes and values, or both refuse. Returns a description of a difference, or None."""
    try:
        expected = theirs()
    except Exception:  # noqa: BLE001 (PyTorch refuses: deltaprop must refuse too)
        try:
            got = ours()
        except Exception:  # noqa: BLE001
            return None
        return f"PyTorch refuses, deltaprop gives {got.dtype}"
    try:
        got = ours()
    except Exception as error:  # noqa: BLE001
        return f"PyTorch gives {expected.dtype}, deltaprop raises {error!r}"
    if got.dtype.name != _name(expected.dtype):
        return f"PyTorch gives {expected.dtype}, deltaprop {got.dtype}"
    mine, reference = np.asarray(got.numpy()), expected.detach().numpy()
    if not np.allclose(mine.astype(np.float64), reference.astype(np.float64), rtol=_tolerance(got.dtype.name),
                       atol=0, equal_nan=True):
        return f"values {mine} against PyTorch's {reference}"
    return None


# -- functions of one integer or boolean tensor: the default float dtype, as PyTorch --------------------

FLOAT_FUNCTIONS = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "rsqrt", "log1p", "expm1", "log2", "log10",
                   "exp2", "reciprocal"]


def _one_tensor_differences(name: str, methods: bool) -> list:
    """Where dp.<name> (and, with ``methods``, Tensor.<name>()) of each dtype differs from PyTorch's."""
    found = []
    for dtype in DTYPES:
        ours, theirs = _pair([0, 1, 2, 3] if dtype != "bool" else [True, False, True, True], dtype)
        difference = _same_outcome(lambda: getattr(dp, name)(ours), lambda: getattr(torch, name)(theirs))
        if difference:
            found.append(f"{name} of {dtype}: {difference}")
        method = methods and _same_outcome(lambda: getattr(ours, name)(), lambda: getattr(theirs, name)())
        if method:
            found.append(f".{name}() of {dtype}: {method}")
    return found


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # the inputs hold 0 (log 0 = -inf, as in PyTorch)
@pytest.mark.parametrize("name", FLOAT_FUNCTIONS)
def test_float_functions_of_integers_and_booleans_give_the_default_float(name):
    assert _one_tensor_differences(name, methods=True) == []


@pytest.mark.parametrize("name", ["square", "sign"])
def test_square_and_sign_of_every_dtype_as_pytorch(name):
    assert _one_tensor_differences(name, methods=False) == []


@pytest.mark.parametrize("name", ["sum", "prod", "cumsum", "cumprod"])
def test_sums_and_products_of_integers_are_int64_as_pytorch(name):
    found = []
    for dtype in INTEGRAL:
        ours, theirs = _pair([3, 1, 2, 200] if dtype != "bool" else [True, False, True, True], dtype)
        if name.startswith("cum"):
            difference = _same_outcome(lambda: getattr(dp, name)(ours, 0), lambda: getattr(torch, name)(theirs, 0))
        else:
            difference = _same_outcome(lambda: getattr(dp, name)(ours), lambda: getattr(torch, name)(theirs))
        if difference:
            found.append(f"{name} of {dtype}: {difference}")
    assert found == []


# -- two Python numbers: the result PyTorch's 0-d tensor of the promoted dtype ---------------------------

NUMBER_PAIRS = [(2, 3), (2, 3.5), (2.5, 3.5), (True, 2), (True, False), (7, -2)]
TWO_NUMBER_FUNCTIONS = {
    "add": (dp.add, torch.add), "sub": (dp.sub, torch.sub), "mul": (dp.mul, torch.mul), "div": (dp.div, torch.div),
    "where": (lambda a, b: dp.where(dp.tensor([True, False]), a, b),
              lambda a, b: torch.where(torch.tensor([True, False]), a, b)),
}


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # the inputs hold 0 (log 0 = -inf, as in PyTorch)
@pytest.mark.parametrize("name", list(TWO_NUMBER_FUNCTIONS))
def test_functions_of_two_python_numbers_as_pytorch(name):
    ours, theirs = TWO_NUMBER_FUNCTIONS[name]
    found = []
    for a, b in NUMBER_PAIRS:
        difference = _same_outcome(lambda: ours(a, b), lambda: theirs(a, b))
        if difference:
            found.append(f"{name}({a!r}, {b!r}): {difference}")
    assert found == []


def test_div_of_two_integers_is_a_float32_tensor():
    out = dp.div(2, 3)
    assert isinstance(out, dp.Tensor) and out.dtype == np.float32 and out.shape == ()
    np.testing.assert_allclose(out.item(), 2 / 3, rtol=1e-7)


# -- a Python integer beyond an integer tensor's range: wrapped into the dtype, as PyTorch ---------------

WRAPPING = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod,
    "&": operator.and_, "|": operator.or_, "^": operator.xor, "<": operator.lt, "==": operator.eq,
    "add_": lambda x, n: x.add_(n) if hasattr(x, "add_") else x + n,
}
OUT_OF_RANGE = [("uint8", 300), ("uint8", -1), ("uint8", 256), ("int8", 200), ("int8", -129), ("int32", 2**40),
                ("int32", -(2**31) - 5), ("int64", 2**70)]


@pytest.mark.parametrize("symbol", list(WRAPPING))
def test_python_integers_out_of_range_wrap_as_pytorch(symbol):
    fn = WRAPPING[symbol]
    found = []
    for dtype, number in OUT_OF_RANGE:
        ours, theirs = _pair([1, 5, 7], dtype)
        difference = _same_outcome(lambda: fn(ours, number), lambda: fn(theirs, number))
        if difference:
            found.append(f"{dtype} {symbol} {number}: {difference}")
        if symbol != "add_":
            ours, theirs = _pair([1, 5, 7], dtype)
            difference = _same_outcome(lambda: fn(number, ours), lambda: fn(number, theirs))
            if difference:
                found.append(f"{number} {symbol} {dtype}: {difference}")
    assert found == []


def test_uint8_plus_300_is_uint8_wrapped():
    out = dp.tensor([1, 5], dtype="uint8") + 300
    assert out.dtype == np.uint8 and out.tolist() == [45, 49]


# -- subtraction with a boolean tensor: refused, as PyTorch refuses it -----------------------------------

BOOL_SUBTRACTIONS = {
    "bool - bool": lambda t, b, i: t - b,
    "bool - True": lambda t, b, i: t - True,
    "bool - int tensor": lambda t, b, i: t - i,
    "int tensor - bool": lambda t, b, i: i - t,
    "1 - bool": lambda t, b, i: 1 - t,
    "1.5 - bool": lambda t, b, i: 1.5 - t,
    "bool - 2": lambda t, b, i: t - 2,
    "int tensor - True": lambda t, b, i: i - True,
    "sub alpha": lambda t, b, i: (dp if isinstance(t, dp.Tensor) else torch).sub(t, b, alpha=True),
}


@pytest.mark.parametrize("name", list(BOOL_SUBTRACTIONS))
def test_subtraction_with_a_bool_tensor_is_refused_as_pytorch(name):
    fn = BOOL_SUBTRACTIONS[name]
    with pytest.raises(RuntimeError, match="Subtraction"):
        fn(torch.tensor([True, False]), torch.tensor([True, True]), torch.tensor([1, 2]))
    with pytest.raises(TypeError, match=r"^sub: .*bool.*\.$") as refusal:
        fn(dp.tensor([True, False]), dp.tensor([True, True]), dp.tensor([1, 2]))
    assert "numpy" not in str(refusal.value).lower()


def test_boolean_arithmetic_that_pytorch_takes_still_works():
    t = dp.tensor([True, False])
    assert (t + t).dtype == np.bool_ and (t * 2).dtype == np.int64 and (1.0 * t - 1).dtype == np.float32
    assert (t * 2 - 1).tolist() == [1, -1]


# -- einsum and linear: computed in the promoted dtype (where PyTorch refuses mixed dtypes) -----------


@pytest.mark.parametrize("first, second", [("float32", "float64"), ("float32", "int64"), ("int64", "float32"),
                                           ("float16", "float32"), ("int32", "int64"), ("bool", "float32")])
def test_einsum_computes_in_the_promoted_dtype(first, second):
    a, ta = _pair(np.arange(6).reshape(2, 3), first)
    b, tb = _pair(np.arange(12).reshape(3, 4), second)
    expected = torch.result_type(ta, tb)
    out = dp.einsum("ij,jk->ik", a, b)
    assert out.dtype.name == _name(expected)
    reference = torch.einsum("ij,jk->ik", ta.to(expected), tb.to(expected))
    np.testing.assert_allclose(out.numpy().astype(float), reference.numpy().astype(float), rtol=1e-3)


@pytest.mark.parametrize("x_dtype, w_dtype, b_dtype, expected", [
    ("float32", "int64", None, "float32"),     # integer weights: promoted, never truncated
    ("int64", "int64", "float32", "float32"),  # an integer product with a float bias
    ("int32", "int64", None, "int64"),
    ("float32", "float32", "float64", "float64"),
    ("float64", "float32", None, "float32"),   # data takes the layer's floating dtype (deltaprop's choice)
])
def test_linear_computes_in_the_promoted_dtype(x_dtype, w_dtype, b_dtype, expected):
    x = np.array([[0.5, 1.5], [2.5, -1.0]]).astype(x_dtype)
    w = np.array([[1, 2], [3, -4], [2, 0]]).astype(w_dtype)
    b = None if b_dtype is None else np.array([0.25, -1, 2]).astype(b_dtype)
    out = DF.linear(x, dp.tensor(w, dtype=w_dtype), None if b is None else dp.tensor(b, dtype=b_dtype))
    assert out.dtype == np.dtype(expected)
    reference = x.astype(expected) @ w.astype(expected).T + (0 if b is None else b.astype(expected))
    np.testing.assert_allclose(out.numpy(), reference, rtol=1e-6)


@pytest.mark.parametrize("x_dtype, w_dtype", [("float32", "float64"), ("float64", "float32"), ("float32", "float32"),
                                              ("float64", "float64")])
def test_linear_gradients_of_mixed_dtypes_in_each_inputs_dtype(x_dtype, w_dtype):
    rng = np.random.default_rng(0)
    x0, w0, b0 = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    x, w = dp.tensor(x0, dtype=x_dtype, requires_grad=True), dp.tensor(w0, dtype=w_dtype, requires_grad=True)
    b = dp.tensor(b0, dtype="float64", requires_grad=True)
    tx = torch.tensor(x0, dtype=getattr(torch, x_dtype), requires_grad=True)
    tw = torch.tensor(w0, dtype=getattr(torch, w_dtype), requires_grad=True)
    tb = torch.tensor(b0, dtype=torch.float64, requires_grad=True)
    common = torch.promote_types(torch.promote_types(tx.dtype, tw.dtype), tb.dtype)
    expected = F.linear(tx.to(common), tw.to(common), tb.to(common))  # PyTorch refuses mixed dtypes: promote first
    out = DF.linear(x, w, b)
    assert out.dtype.name == _name(expected.dtype)
    weights = np.linspace(-1, 1, 8).reshape(4, 2)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights, dtype=expected.dtype)).sum().backward()
    tolerance = dict(rtol=1e-5, atol=1e-6) if "float32" in (x_dtype, w_dtype) else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **tolerance)
    for ours, theirs, dtype in ((x, tx, x_dtype), (w, tw, w_dtype), (b, tb, "float64")):
        assert ours.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **tolerance)


def test_linear_of_a_float32_node_and_float64_weights_matches_finite_differences():
    x = dp.tensor([[0.3, -1.2, 0.7]], dtype="float64", requires_grad=True)
    w = dp.tensor([[0.5, 0.1, -0.4], [1.1, 0.2, 0.3]], dtype="float64", requires_grad=True)
    b = dp.tensor([0.2, -0.1], dtype="float32", requires_grad=True)
    assert DF.linear(x, w, b).dtype == np.float64
    assert dp.gradcheck(lambda x, w: DF.linear(x, w, b), [x, w])
