"""PyTorch's module-level function forms (``torch.max(x, 1)``, ``torch.mm``, ``torch.allclose``,
``torch.full_like``, ...) give PyTorch's results here: values, dtype and shape, and for those with
a gradient the gradient, in float64 and float32 (a few also against central differences).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these functions are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import GradcheckError, ShapeError  # noqa: E402

DTYPES = [np.float64, np.float32]
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}

A = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0], [0.5, 0.7, -1.0]])
B = np.array([[0.3, -2.0, 1.5], [1.0, 0.25, -0.5], [2.0, 1.0, 0.1]])
V = np.array([0.5, -1.5, 2.0])
W = np.array([1.25, 0.5, -0.75])


def twins(array, dtype):
    return (dp.tensor(array, dtype=dtype, requires_grad=True),
            torch.tensor(array, dtype=TORCH_DTYPES[dtype], requires_grad=True))


def outputs(result):
    """The tensors of a result: one, or the values of a (values, indices) pair."""
    return result[0] if isinstance(result, tuple) else result


# Each case: the arrays, and one lambda that serves both libraries (``lib`` is dp or torch).
GRADIENT_CASES = {
    "max": ((A,), lambda lib, a: lib.max(a)),
    "max dim": ((A,), lambda lib, a: lib.max(a, 1)),
    "max dim= keepdim": ((A,), lambda lib, a: lib.max(a, dim=0, keepdim=True)),
    "max other": ((A, B), lambda lib, a, b: lib.max(a, b)),
    "min": ((A,), lambda lib, a: lib.min(a)),
    "min dim": ((A,), lambda lib, a: lib.min(a, -1)),
    "min other": ((A, B), lambda lib, a, b: lib.min(a, b)),
    "std": ((A,), lambda lib, a: lib.std(a)),
    "std dim unbiased": ((A,), lambda lib, a: lib.std(a, 1, False)),
    "std correction keepdim": ((A,), lambda lib, a: lib.std(a, dim=0, correction=0, keepdim=True)),
    "var": ((A,), lambda lib, a: lib.var(a)),
    "var dim": ((A,), lambda lib, a: lib.var(a, dim=1)),
    "norm": ((A,), lambda lib, a: lib.norm(a)),
    "norm p dim": ((A,), lambda lib, a: lib.norm(a, 1, 1)),
    "norm fro keepdim": ((A,), lambda lib, a: lib.norm(a, p="fro", dim=0, keepdim=True)),
    "pow tensor number": ((A,), lambda lib, a: lib.pow(a, 3)),
    "pow number tensor": ((A,), lambda lib, a: lib.pow(2.0, a)),
    "pow tensor tensor": ((np.abs(A), B), lambda lib, a, b: lib.pow(a, b)),
    "neg": ((A,), lambda lib, a: lib.neg(a)),
    "negative": ((A,), lambda lib, a: lib.negative(a)),
    "absolute": ((A,), lambda lib, a: lib.absolute(a)),
    "mm": ((A, B), lambda lib, a, b: lib.mm(a, b)),
    "mv": ((A, V), lambda lib, a, v: lib.mv(a, v)),
    "dot": ((V, W), lambda lib, v, w: lib.dot(v, w)),
    "clone": ((A,), lambda lib, a: lib.clone(a) * 2),
    "broadcast_to": ((V,), lambda lib, v: lib.broadcast_to(v, (2, 3))),
    "ravel": ((A,), lambda lib, a: lib.ravel(a.t())),
    "reshape": ((A,), lambda lib, a: lib.reshape(a, (9,))),
    "t": ((A,), lambda lib, a: lib.t(a)),
    "true_divide": ((A, B), lambda lib, a, b: lib.true_divide(a, b)),
    "multiply": ((A, B), lambda lib, a, b: lib.multiply(a, b)),
    "subtract": ((A, B), lambda lib, a, b: lib.subtract(a, b)),
    "subtract alpha": ((A, B), lambda lib, a, b: lib.subtract(a, b, alpha=2)),
    "divide": ((A, B), lambda lib, a, b: lib.divide(a, b)),
    "divide floor": ((A, B), lambda lib, a, b: lib.divide(a, b, rounding_mode="floor")),
    "concat": ((A, B), lambda lib, a, b: lib.concat([a, b], dim=1)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(GRADIENT_CASES))
def test_values_and_gradients_are_pytorchs(name, dtype):
    arrays, call = GRADIENT_CASES[name]
    pairs = [twins(array, dtype) for array in arrays]
    ours = call(dp, *[p[0] for p in pairs])
    theirs = call(torch, *[p[1] for p in pairs])
    assert isinstance(ours, tuple) == isinstance(theirs, tuple)
    if isinstance(theirs, tuple):  # (values, indices)
        assert ours.indices.dtype == np.int64
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    y, expected = outputs(ours), outputs(theirs)
    assert y.shape == tuple(expected.shape) and y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y.data, expected.detach().numpy(), **TOLERANCES[dtype])
    seed = np.random.default_rng(3).standard_normal(y.shape)
    y.backward(seed.astype(dtype))
    expected.backward(torch.tensor(seed, dtype=TORCH_DTYPES[dtype]))
    for (a, ta) in pairs:
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("name", ["max dim", "std dim unbiased", "norm p dim", "pow number tensor", "mv", "dot", "subtract alpha"])
def test_gradients_match_central_differences(name):
    arrays, call = GRADIENT_CASES[name]
    inputs = [dp.tensor(array, dtype=np.float64, requires_grad=True) for array in arrays]
    assert dp.gradcheck(lambda *xs: outputs(call(dp, *xs)), inputs)


def test_the_gradient_check_catches_a_wrong_rule():
    wrong = lambda x: dp.Tensor._from_op(x.data ** 2, (x,), lambda g: (g * x.data,), "wrong")  # noqa: E731 (true: 2x)
    with pytest.raises(GradcheckError):
        dp.gradcheck(lambda x: dp.dot(wrong(x), x), [dp.tensor(V, dtype=np.float64, requires_grad=True)])


NO_GRADIENT_CASES = {
    "all": lambda lib, a: lib.all(a > 0, dim=1),
    "any keepdim": lambda lib, a: lib.any(a > 4, 0, keepdim=True),
    "greater": lambda lib, a: lib.greater(a, 2.0),
    "less": lambda lib, a: lib.less(a, a.t()),
    "greater_equal": lambda lib, a: lib.greater_equal(a, 3.0),
    "less_equal": lambda lib, a: lib.less_equal(a, 1.0),
    "not_equal": lambda lib, a: lib.not_equal(a, a.t()),
    "isclose": lambda lib, a: lib.isclose(a, a + 1e-9),
    "isclose tolerances": lambda lib, a: lib.isclose(a, a * 1.01, rtol=0.02, atol=0.0),
    "isclose relative to other": lambda lib, a: lib.isclose(a, a * 1.105, rtol=0.1, atol=0.0),  # (all true; not of input)
    "isclose equal_nan": lambda lib, a: lib.isclose(lib.where(a > 0, a, a * np.nan), a, equal_nan=True),
    "isclose nan": lambda lib, a: lib.isclose(lib.where(a > 0, a, a * np.nan), a),
    "isclose nan both": lambda lib, a: lib.isclose(lib.where(a > 0, a, a * np.nan), a * np.nan, equal_nan=True),
    "count_nonzero": lambda lib, a: lib.count_nonzero(lib.clamp(a, 0.0, 2.0) - 2.0),
    "count_nonzero dim": lambda lib, a: lib.count_nonzero(lib.clamp(a, 0.0, 2.0) - 2.0, dim=1),
    "count_nonzero dims": lambda lib, a: lib.count_nonzero(lib.clamp(a, 0.0, 2.0) - 2.0, dim=(0, 1)),
    "true_divide integers": lambda lib, a: lib.true_divide(a.long(), 2),
}


@pytest.mark.parametrize("name", list(NO_GRADIENT_CASES))
def test_results_without_gradients_are_pytorchs(name):
    call = NO_GRADIENT_CASES[name]
    ours, theirs = call(dp, dp.tensor(A)), call(torch, torch.tensor(A, dtype=torch.float32))
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("other, kwargs", [
    (A + 1e-9, {}), (A * 1.01, {}), (A * 1.01, dict(rtol=0.02)), (A + 0.5, dict(atol=0.6)),
    (np.broadcast_to(A[0], (3, 3)), {}), (A[0], {}),
])
def test_allclose_is_pytorchs(other, kwargs):
    theirs = torch.allclose(torch.tensor(A), torch.tensor(other), **kwargs)
    assert dp.allclose(dp.tensor(A), dp.tensor(other), **kwargs) is theirs
    assert dp.tensor(A).allclose(dp.tensor(other), **kwargs) is theirs


def test_allclose_and_isclose_with_nan():
    x = np.array([1.0, np.nan])
    assert dp.allclose(dp.tensor(x), dp.tensor(x)) is torch.allclose(torch.tensor(x), torch.tensor(x)) is False
    assert dp.allclose(dp.tensor(x), dp.tensor(x), equal_nan=True) is True


@pytest.mark.parametrize("a, b", [
    ([1.0, 2.0], [1.0, 2.0]), ([1.0, 2.0], [1.0, 2.5]), ([1.0, 2.0], [[1.0, 2.0]]), ([1.0, 2.0], [1.0, 2.0, 3.0]),
    ([1, 2], [1.0, 2.0]), ([[True, False]], [[True, False]]), ([], []),
])
def test_equal_is_pytorchs(a, b):
    expected = torch.equal(torch.tensor(a), torch.tensor(b))
    assert dp.equal(dp.tensor(a), dp.tensor(b)) is expected
    assert dp.tensor(a).equal(dp.tensor(b)) is expected


def test_reductions_of_the_whole_tensor_and_numbers():
    x, t = dp.tensor(A), torch.tensor(A, dtype=torch.float32)
    assert dp.numel(x) == torch.numel(t) == 9
    assert dp.max(x).item() == torch.max(t).item() and dp.min(x).item() == torch.min(t).item()
    # all() and any() of a whole tensor give a 0-d boolean tensor, as PyTorch's do
    assert dp.all(x > -2).item() is torch.all(t > -2).item() is True
    assert dp.any(x > 6).item() is torch.any(t > 6).item() is False


def test_predicates_and_the_default_dtype():
    assert dp.is_tensor(dp.tensor([1.0])) and not dp.is_tensor([1.0]) and not dp.is_tensor(np.zeros(2))
    assert dp.is_floating_point(dp.tensor([1.0])) and not dp.is_floating_point(dp.tensor([1]))
    assert dp.is_floating_point(dp.tensor([1.0], dtype=np.float16))
    with pytest.raises(TypeError, match="is_floating_point: input must be a tensor, got list"):
        dp.is_floating_point([1.0])
    assert dp.get_default_dtype() == np.float32 == dp.tensor([0.5]).dtype
    assert str(torch.get_default_dtype()) == "torch." + dp.get_default_dtype().name


@pytest.mark.parametrize("call, message", [
    (lambda: dp.mm(dp.tensor(V), dp.tensor(A)), r"mm: expects two matrices \(2 dimensions each\), got shapes \(3,\) and \(3, 3\)"),
    (lambda: dp.tensor(A).mm(dp.tensor(V)), r"mm: expects two matrices"),
    (lambda: dp.mm(dp.tensor(A), dp.zeros(2, 3)), r"mm: shapes \(3, 3\) and \(2, 3\) do not align"),
    (lambda: dp.mv(dp.tensor(A), dp.tensor(A)), r"mv: expects a matrix and a vector, got shapes \(3, 3\) and \(3, 3\)"),
    (lambda: dp.mv(dp.tensor(A), dp.zeros(2)), r"mv: shapes \(3, 3\) and \(2,\) do not align"),
    (lambda: dp.dot(dp.tensor(A), dp.tensor(V)), r"dot: expects two vectors, got shapes \(3, 3\) and \(3,\)"),
    (lambda: dp.dot(dp.tensor(V), dp.zeros(4)), r"dot: vectors of 3 and 4 elements"),
    (lambda: dp.equal(dp.tensor(V), [0.5, -1.5, 2.0]), r"equal: other must be a tensor, got list"),
])
def test_shapes_refused_in_one_sentence_as_in_pytorch(call, message):
    with pytest.raises(ShapeError if "dot:" in message or "m:" in message or "mv:" in message else TypeError,
                       match=message):
        call()


@pytest.mark.parametrize("name, args", [
    ("full_like", (2.7,)), ("empty_like", ()), ("rand_like", ()), ("randn_like", ()), ("randint_like", (5,)),
    ("randint_like", (2, 5)), ("zeros_like", ()), ("ones_like", ()),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.float16])
def test_the_like_factories_keep_the_shape_and_dtype_as_pytorchs(name, args, dtype):
    torch_dtype = getattr(torch, np.dtype(dtype).name)
    model = torch.zeros((2, 3), dtype=torch_dtype)
    try:
        theirs = getattr(torch, name)(model, *args)
    except (NotImplementedError, RuntimeError):  # rand_like and randn_like of integers
        with pytest.raises(ValueError, match=f"{name}: dtype must be a floating-point type"):
            getattr(dp, name)(dp.zeros(2, 3, dtype=dtype), *args)
        return
    ours = getattr(dp, name)(dp.zeros(2, 3, dtype=dtype), *args)
    assert ours.shape == (2, 3) and ours.dtype == np.dtype(dtype) and not ours.requires_grad
    if name in ("full_like", "zeros_like", "ones_like"):
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    if name == "randint_like":
        low, high = (0, *args) if len(args) == 1 else args
        assert ((ours.data >= low) & (ours.data < high) & (ours.data == np.floor(ours.data))).all()


def test_the_like_factories_take_a_dtype_and_requires_grad():
    x = dp.zeros(2, 3)
    full = dp.full_like(x, 2.7, dtype=np.int64)
    assert full.dtype == np.int64 and full.data.tolist() == torch.full_like(torch.zeros(2, 3), 2.7, dtype=torch.int64).tolist()
    y = dp.randn_like(x, dtype=np.float64, requires_grad=True)
    assert y.dtype == np.float64 and y.requires_grad and y.is_leaf
    assert dp.empty_like(x).shape == (2, 3) and dp.empty(2, 3).shape == (2, 3) == dp.empty((2, 3)).shape
    assert dp.empty(4, dtype=np.int64).dtype == np.int64 and dp.empty(0).shape == (0,)


def test_the_random_like_factories_draw_from_the_seeded_generator():
    x = dp.zeros(1000)
    for name, args in [("rand_like", ()), ("randn_like", ()), ("randint_like", (3, 9))]:
        dp.manual_seed(5)
        first = getattr(dp, name)(x, *args).data
        dp.manual_seed(5)
        np.testing.assert_array_equal(getattr(dp, name)(x, *args).data, first)
    dp.manual_seed(5)
    uniform = dp.rand_like(x).data
    assert 0 <= uniform.min() and uniform.max() < 1 and abs(uniform.mean() - 0.5) < 0.05
    counts = np.bincount(dp.randint_like(dp.zeros(60000, dtype=np.int64), 3, 9).data.astype(int))
    assert counts[:3].sum() == 0 and len(counts) == 9 and (abs(counts[3:] / 10000 - 1) < 0.05).all()


@pytest.mark.parametrize("array", [np.arange(6.0).reshape(2, 3), np.arange(6, dtype=np.int32), np.array([True, False]),
                                   np.arange(6.0, dtype=np.float32).reshape(3, 2).T])
def test_from_numpy_shares_memory_and_keeps_the_dtype_as_pytorchs(array):
    ours, theirs = dp.from_numpy(array), torch.from_numpy(array)
    assert ours.dtype == array.dtype and ours.shape == tuple(theirs.shape)
    assert np.shares_memory(ours.data, array)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("value, message", [
    ([1.0, 2.0], "from_numpy: expects a NumPy array, got list"),
    (np.array(["a"]), "from_numpy: cannot hold a NumPy array of dtype <U1"),
    (np.array([1 + 2j]), "from_numpy: cannot hold a NumPy array of dtype complex128"),
])
def test_from_numpy_refuses_what_no_tensor_holds(value, message):
    with pytest.raises(TypeError, match=message):
        dp.from_numpy(value)


def test_the_names_are_exported():
    names = ["max", "min", "std", "var", "norm", "pow", "neg", "negative", "mm", "mv", "dot", "clone", "all", "any",
             "numel", "is_tensor", "is_floating_point", "full_like", "empty", "empty_like", "rand_like", "randn_like",
             "randint_like", "from_numpy", "allclose", "isclose", "equal", "broadcast_to", "ravel", "true_divide",
             "multiply", "subtract", "divide", "greater", "less", "greater_equal", "less_equal", "not_equal",
             "get_default_dtype", "absolute", "concat", "count_nonzero", "reshape", "t"]
    assert [name for name in names if name not in dp.__all__ or not hasattr(torch, name)] == []
