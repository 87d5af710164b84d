"""``deltaprop.testing`` against PyTorch 2.13's ``torch.testing``: ``assert_close`` and
``assert_allclose`` decide pass or fail as PyTorch's do, with the same kind of exception, on a grid
of dtypes, values at the edge of the default tolerances, NaN and infinity, shapes and dtypes that
differ, numbers, arrays and nested containers; ``make_tensor`` draws within PyTorch's ranges."""

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import testing  # noqa: E402

DTYPES = {"float16": (np.float16, torch.float16), "float32": (np.float32, torch.float32),
          "float64": (np.float64, torch.float64), "int64": (np.int64, torch.int64), "int32": (np.int32, torch.int32),
          "uint8": (np.uint8, torch.uint8), "bool": (np.bool_, torch.bool)}


class T:
    """A tensor in either library: its values and dtype name."""

    def __init__(self, values, dtype="float32"):
        self.values, self.dtype = values, dtype

    def build(self, lib):
        numpy_dtype, torch_dtype = DTYPES[self.dtype]
        array = np.array(self.values, dtype=numpy_dtype)
        return dp.tensor(array, dtype=numpy_dtype) if lib == "dp" else torch.tensor(array, dtype=torch_dtype)


class Param(T):
    def build(self, lib):
        return dp.nn.Parameter(super().build(lib)) if lib == "dp" else torch.nn.Parameter(super().build(lib))


class Transposed(T):
    def build(self, lib):
        return super().build(lib).t() if lib == "torch" else dp.tensor(np.array(self.values, np.float32)).t()


def build(spec, lib):
    if isinstance(spec, T):
        return spec.build(lib)
    if isinstance(spec, dict):
        return {k: build(v, lib) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return type(spec)(build(v, lib) for v in spec)
    return spec  # numbers, arrays, None, strings: the same object for both


NEAR32 = 1.0 + 1e-5 + 1.3e-6  # the edge of float32's default tolerance around 1
CASES = {
    "equal float32": (T([1.0, 2.0]), T([1.0, 2.0]), {}),
    "within float32's tolerance": (T([1.0, 100.0]), T([1.0 + 1e-5, 100.0 + 1e-4]), {}),
    "beyond float32's tolerance": (T([1.0, 100.0]), T([1.0, 100.001]), {}),
    "at float32's edge": (T([NEAR32 - 3e-7]), T([1.0]), {}),
    "just past float32's edge": (T([1.0 + 3e-5]), T([1.0]), {}),
    "within float64's tolerance": (T([1.0], "float64"), T([1.0 + 1.5e-7], "float64"), {}),
    "beyond float64's tolerance": (T([1.0], "float64"), T([1.0 + 3e-7], "float64"), {}),
    "float16 within": (T([1.0], "float16"), T([1.0009765625], "float16"), {}),
    "float16 beyond": (T([1.0], "float16"), T([1.00390625], "float16"), {}),
    "int64 equal": (T([1, 2], "int64"), T([1, 2], "int64"), {}),
    "int64 off by one": (T([1, 2], "int64"), T([1, 3], "int64"), {}),
    "int64 within a given tolerance": (T([10, 20], "int64"), T([11, 20], "int64"), {"rtol": 0.1, "atol": 0}),
    "uint8 off by one": (T([1], "uint8"), T([2], "uint8"), {}),
    "bool differ": (T([True], "bool"), T([False], "bool"), {}),
    "bool equal": (T([True, False], "bool"), T([True, False], "bool"), {}),
    "nan against nan": (T([math.nan]), T([math.nan]), {}),
    "nan against nan, equal_nan": (T([math.nan, 1.0]), T([math.nan, 1.0]), {"equal_nan": True}),
    "nan against a number, equal_nan": (T([math.nan]), T([1.0]), {"equal_nan": True}),
    "inf against inf": (T([math.inf, -math.inf]), T([math.inf, -math.inf]), {}),
    "inf against -inf": (T([math.inf]), T([-math.inf]), {}),
    "inf against a large number": (T([math.inf]), T([1e38]), {}),
    "a given tolerance": (T([1.0]), T([1.1]), {"rtol": 0.0, "atol": 0.2}),
    "a given tolerance, too small": (T([1.0]), T([1.1]), {"rtol": 0.0, "atol": 0.05}),
    "shapes differ": (T([1.0]), T([1.0, 1.0]), {}),
    "0-d against 1-d": (T(1.0), T([1.0]), {}),
    "dtypes differ": (T([1.0]), T([1.0], "float64"), {}),
    "dtypes differ, unchecked": (T([1.0]), T([1.0 + 5e-7], "float64"), {"check_dtype": False}),
    "int against float, unchecked": (T([1, 2], "int64"), T([1.0, 2.0]), {"check_dtype": False}),
    "int32 against int64": (T([1], "int32"), T([1], "int64"), {}),
    "a tensor and an array": (T([1.0]), np.array([1.0], np.float32), {}),
    "an array and a tensor": (np.array([1.0], np.float32), T([1.0]), {}),
    "a tensor and a list": (T([1.0]), [1.0], {}),
    "a tensor and a number": (T(1.0), 1.0, {}),
    "arrays equal": (np.array([1.0, 2.0]), np.array([1.0, 2.0]), {}),
    "arrays beyond": (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-6]), {}),
    "arrays of ints": (np.array([1, 2]), np.array([1, 2]), {}),
    "floats close": (0.1 + 0.2, 0.3, {}),
    "floats apart": (1.0, 1.1, {}),
    "int and float": (1, 1.0, {}),
    "int and float, unchecked": (1, 1.0, {"check_dtype": False}),
    "big ints one apart": (2 ** 60, 2 ** 60 + 1, {}),
    "nan scalars": (math.nan, math.nan, {}),
    "nan scalars, equal_nan": (math.nan, math.nan, {"equal_nan": True}),
    "inf scalars": (math.inf, math.inf, {}),
    "complex scalars": (1 + 1j, 1 + 1j, {}),
    "bools": (True, False, {}),
    "numpy scalars of two widths": (np.float32(1.0), np.float64(1.0), {}),
    "a numpy scalar and a float": (np.float32(1.0), 1.0, {}),
    "a numpy int and an int": (np.int64(1), 1, {}),
    "None and None": (None, None, {}),
    "strings": ("a", "a", {}),
    "a tuple and a list": ((T([1.0]), 2), [T([1.0]), 2], {}),
    "lists of different lengths": ([T([1.0])], [T([1.0]), T([2.0])], {}),
    "dicts with other keys": ({"a": T([1.0])}, {"b": T([1.0])}, {}),
    "dicts equal, keys in another order": ({"a": T([1.0]), "b": 2.0}, {"b": 2.0, "a": T([1.0])}, {}),
    "nested, a difference deep inside": ([{"a": T([1.0, 2.0])}], [{"a": T([1.0, 2.1])}], {}),
    "nested, equal": ([{"a": (T([1.0]), 3)}], [{"a": (T([1.0]), 3)}], {}),
    "a dict and a list": ({"a": 1}, [1], {}),
    "a parameter and a tensor": (Param([1.0]), T([1.0]), {}),
    "a parameter and a tensor, no subclasses": (Param([1.0]), T([1.0]), {"allow_subclasses": False}),
    "strides differ, unchecked": (Transposed([[1.0, 2.0], [3.0, 4.0]]), T([[1.0, 3.0], [2.0, 4.0]]), {}),
    "strides differ, checked": (Transposed([[1.0, 2.0], [3.0, 4.0]]), T([[1.0, 3.0], [2.0, 4.0]]),
                                {"check_stride": True}),
    "rtol without atol": (T([1.0]), T([1.0]), {"rtol": 1e-3}),
    "empty tensors": (T([]), T([]), {}),
}


def outcome(function, actual, expected, options):
    """None when the comparison passes, else the kind of exception it raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            function(actual, expected, **options)
    except AssertionError:
        return AssertionError
    except TypeError:
        return TypeError
    except ValueError:
        return ValueError
    return None


ALLCLOSE_CASES = {
    "float32 within the old tolerance": (T([1.0]), T([1.00005]), {}),
    "float32 beyond the old tolerance": (T([1.0]), T([1.0002]), {}),
    "float64 within": (T([1.0], "float64"), T([1.000005], "float64"), {}),
    "float64 beyond": (T([1.0], "float64"), T([1.00005], "float64"), {}),
    "float64 against float32": (T([1.0], "float64"), T([1.0000005]), {}),
    "float16 within": (T([1.0], "float16"), T([1.0009765625], "float16"), {}),
    "a tensor and a list": (T([1.0, 2.0]), [1.0, 2.0], {}),
    "two lists": ([1.0, 2.0], [1.0, 2.0000001], {}),
    "nan by default equal": (T([math.nan]), T([math.nan]), {}),
    "nan unequal when asked": (T([math.nan]), T([math.nan]), {"equal_nan": False}),
    "ints and floats": (T([1], "int64"), T([1.4]), {}),
    "a given tolerance": (T([1.0]), T([1.1]), {"rtol": 0.2, "atol": 0}),
    "shapes differ": (T([1.0]), T([1.0, 2.0]), {}),
    "numbers": (1.0, 1, {}),
}


@pytest.mark.parametrize("function, name", [("assert_close", name) for name in CASES] +
                         [("assert_allclose", name) for name in ALLCLOSE_CASES])
def test_the_comparisons_decide_as_pytorch_s(function, name):
    actual, expected, options = (CASES if function == "assert_close" else ALLCLOSE_CASES)[name]
    ours = outcome(getattr(testing, function), build(actual, "dp"), build(expected, "dp"), options)
    theirs = outcome(getattr(torch.testing, function), build(actual, "torch"), build(expected, "torch"), options)
    assert ours is theirs


def test_the_message_gives_the_count_and_the_greatest_differences_with_their_indices():
    with pytest.raises(AssertionError) as caught:
        testing.assert_close(dp.tensor([[1.0, 2.0], [3.0, 4.0]]), dp.tensor([[1.0, 2.5], [3.0, 4.01]]))
    message = str(caught.value)
    assert "2 of 4 elements (50.0%)" in message
    assert "greatest absolute difference is 0.5 at index (0, 1)" in message
    assert "greatest relative difference 0.2 at index (0, 1)" in message
    with pytest.raises(AssertionError, match=r"at item \[0\]\['a'\]"):
        testing.assert_close([{"a": dp.tensor([1.0])}], [{"a": dp.tensor([2.0])}])
    with pytest.raises(AssertionError, match="^custom$"):
        testing.assert_close(dp.tensor(1.0), dp.tensor(2.0), msg="custom")
    with pytest.raises(AssertionError, match="^seen: assert_close"):
        testing.assert_close(dp.tensor(1.0), dp.tensor(2.0), msg=lambda text: "seen: " + text)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "uint8", "bool"])
def test_make_tensor_draws_within_pytorch_s_default_ranges(dtype):
    numpy_dtype, torch_dtype = DTYPES[dtype]
    dp.manual_seed(0)
    ours = testing.make_tensor(40, 50, dtype=numpy_dtype, device="cpu").data
    theirs = torch.testing.make_tensor(40, 50, dtype=torch_dtype, device="cpu").numpy()
    assert ours.shape == theirs.shape == (40, 50) and ours.dtype == theirs.dtype
    # both cover the same range: the extremes of 2,000 draws land in the same places
    assert abs(float(ours.min()) - float(theirs.min())) <= 0.1 and abs(float(ours.max()) - float(theirs.max())) <= 0.1
    assert float(ours.max()) < (9 if dtype.startswith("float") else 10 if dtype != "bool" else 2)


def test_make_tensor_options_behave_as_pytorch_s():
    for lib, dtype in ((dp, np.float32), (torch, torch.float32)):
        x = lib.testing.make_tensor((3, 4), dtype=dtype, device="cpu", noncontiguous=True, requires_grad=True)
        assert not x.is_contiguous() and x.requires_grad and tuple(x.shape) == (3, 4)
        clamped = lib.testing.make_tensor(50, dtype=lib.int8, device="cpu", low=-1000, high=1000)
        values = np.asarray(clamped.data if lib is dp else clamped.numpy())
        assert values.min() >= -128 and values.max() <= 127
        nonzero = lib.testing.make_tensor(200, dtype=lib.int64, device="cpu", low=-1, high=2, exclude_zero=True)
        assert 0 not in np.asarray(nonzero.data if lib is dp else nonzero.numpy())
        for bad in (dict(low=2, high=1), dict(low=math.nan), dict(requires_grad=True, dtype=lib.int64)):
            options = {"dtype": dtype, **bad}
            with pytest.raises(ValueError):
                lib.testing.make_tensor(3, device="cpu", **options)
