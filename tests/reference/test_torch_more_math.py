"""PyTorch's further math functions (ops.trigonometric, ops.binary_math, frac and nan_to_num) against
PyTorch 2.13: values, result dtypes and gradients in float64 and float32, broadcasting, integer
inputs, the edge values where a formula reads 0/0 or ±inf, and the arguments both refuse.

Each case runs one expression in both frameworks (a second lambda where the APIs differ),
backpropagates the same random projection of the result through both, and compares every input's
gradient, NaN for NaN.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-4, atol=2e-5)}
DTYPES = {"float64": (np.float64, torch.float64), "float32": (np.float32, torch.float32)}


def uniform(low, high):
    def recipe(rng, shape):
        return rng.uniform(low, high, size=shape)
    recipe.__name__ = f"uniform({low}, {high})"
    return recipe


anywhere, inside_one, above_one = uniform(-2.0, 2.0), uniform(-0.9, 0.9), uniform(1.2, 3.0)
positive = uniform(0.5, 2.0)


def away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.0, size=shape)


def compare(shapes, torch_fn, dp_fn=None, dtype="float64", recipes=None, seed=0):
    """Run both functions on the same inputs; compare results, dtypes and input gradients."""
    dp_fn = dp_fn or torch_fn
    np_dtype, torch_dtype = DTYPES[dtype]
    tolerance = TOLERANCES[dtype]
    rng = np.random.default_rng(seed)
    recipes = recipes or (anywhere,) * len(shapes)
    arrays = [recipe(rng, shape).astype(np_dtype) for shape, recipe in zip(shapes, recipes)]
    check(arrays, torch_fn, dp_fn, tolerance, rng)


def check(arrays, torch_fn, dp_fn, tolerance, rng=None):
    """Both functions on tensors of ``arrays`` (floating ones require a gradient): the results' values
    and dtypes, and the gradients of a random projection (NaN where PyTorch's is NaN)."""
    rng = rng or np.random.default_rng(0)
    learns = [a.dtype.kind == "f" for a in arrays]
    torch_inputs = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, learns)]
    dp_inputs = [dp.tensor(a, dtype=a.dtype, requires_grad=r) for a, r in zip(arrays, learns)]
    expected, got = torch_fn(*torch_inputs), dp_fn(*dp_inputs)
    assert isinstance(got, dp.Tensor)
    assert got.shape == tuple(expected.shape)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.data, expected.detach().numpy(), **tolerance, err_msg="forward values")
    if not expected.requires_grad:
        return
    direction = rng.standard_normal(got.shape)
    (expected * torch.tensor(direction, dtype=expected.dtype)).sum().backward()
    (got * direction.astype(got.dtype)).sum().backward()
    for i, (t, d) in enumerate(zip(torch_inputs, dp_inputs)):
        if not learns[i]:
            continue
        if t.grad is None:
            assert d.grad is None or not np.any(d.grad), f"input {i}: torch has no gradient"
            continue
        assert d.grad is not None and d.grad.dtype == arrays[i].dtype, f"input {i}: no gradient, or the wrong dtype"
        np.testing.assert_allclose(d.grad, t.grad.numpy(), **tolerance, err_msg=f"gradient of input {i}")


def case(name, shapes, torch_fn, dp_fn=None, recipes=None, recipe=None):
    recipes = recipes or ((recipe,) * len(shapes) if recipe else None)
    return pytest.param(shapes, torch_fn, dp_fn, recipes, id=name)


# (name, recipe) of the functions of one tensor, called by the same name in both frameworks
UNARY = [
    ("tan", uniform(-1.2, 1.2)), ("asin", inside_one), ("acos", inside_one), ("atan", anywhere),
    ("sinh", anywhere), ("cosh", anywhere), ("asinh", anywhere), ("acosh", above_one), ("atanh", inside_one),
    ("arcsin", inside_one), ("arccos", inside_one), ("arctan", anywhere), ("arcsinh", anywhere),
    ("arccosh", above_one), ("arctanh", inside_one), ("sinc", anywhere), ("frac", anywhere), ("nan_to_num", anywhere),
]
# (name, recipes) of the functions of two tensors
BINARY = [
    ("atan2", (anywhere, away_from_zero)), ("arctan2", (anywhere, anywhere)), ("hypot", (anywhere, anywhere)),
    ("logaddexp", (anywhere, anywhere)), ("logaddexp2", (anywhere, anywhere)), ("xlogy", (anywhere, positive)),
    ("fmod", (anywhere, away_from_zero)), ("copysign", (away_from_zero, anywhere)),
]
BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (2, 3))]


def _function(name):
    return (lambda *t: getattr(torch, name)(*t)), (lambda *t: getattr(dp, name)(*t))


def _method(name):
    return (lambda x, *t: getattr(x, name)(*t)), (lambda x, *t: getattr(x, name)(*t))


CASES = [case(name, [(3, 4)], *_function(name), recipe=recipe) for name, recipe in UNARY]
CASES += [case(f"{name}-method", [(2, 3)], *_method(name), recipe=recipe) for name, recipe in UNARY]
CASES += [case(f"{name}-{a}-{b}", [a, b], *_function(name), recipes=recipes)
          for name, recipes in BINARY for a, b in BROADCASTS]
CASES += [case(f"{name}-method", [(3, 4), (4,)], *_method(name), recipes=recipes) for name, recipes in BINARY]
CASES += [
    case("lerp-tensor-weight", [(3, 4), (4,), (3, 1)], torch.lerp, dp.lerp),
    case("lerp-weight-beyond-half", [(3, 4), (3, 4), (3, 4)], torch.lerp, dp.lerp, recipe=uniform(0.5, 1.5)),
    case("lerp-number-weight-low", [(3, 4), (3, 4)], lambda a, b: torch.lerp(a, b, 0.3),
         lambda a, b: dp.lerp(a, b, 0.3)),
    case("lerp-number-weight-high", [(3, 4), (4,)], lambda a, b: torch.lerp(a, b, 0.8),
         lambda a, b: dp.lerp(a, b, 0.8)),
    case("lerp-method", [(2, 3), (2, 3), (2, 3)], lambda a, b, w: a.lerp(b, w), lambda a, b, w: a.lerp(b, w)),
    case("nan_to_num-replacements", [(3, 4)], lambda x: torch.nan_to_num(x, 1.0, 2.0, -3.0),
         lambda x: dp.nan_to_num(x, 1.0, 2.0, -3.0)),
    case("xlogy-number-input", [(3, 4)], lambda y: torch.xlogy(2.0, y), lambda y: dp.xlogy(2.0, y), recipe=positive),
    case("xlogy-number-other", [(3, 4)], lambda x: torch.xlogy(x, 3.0), lambda x: dp.xlogy(x, 3.0)),
    case("fmod-number", [(3, 4)], lambda x: torch.fmod(x, 0.7), lambda x: dp.fmod(x, 0.7)),
    case("copysign-number", [(3, 4)], lambda x: torch.copysign(x, -1.0), lambda x: dp.copysign(x, -1.0),
         recipe=away_from_zero),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes, torch_fn, dp_fn, recipes", CASES)
def test_matches_torch(shapes, torch_fn, dp_fn, recipes, dtype):
    compare(shapes, torch_fn, dp_fn, dtype, recipes)


# -- integer and boolean inputs: the result dtype PyTorch gives ------------------------------------

INTEGRAL = [np.array([0, 1, 2, 3]), np.array([True, False, True, True]), np.array([1, 2, 0, 1], dtype=np.int32)]
FLOATING_OF_INTEGERS = ["tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "sinc",
                        "nan_to_num"]


@pytest.mark.parametrize("values", INTEGRAL, ids=["int64", "bool", "int32"])
@pytest.mark.parametrize("name", FLOATING_OF_INTEGERS)
def test_integer_input_of_one_tensor(name, values):
    check([values], getattr(torch, name), getattr(dp, name), TOLERANCES["float32"])


INTEGER_PAIRS = [
    (np.array([1, -2, 3]), np.array([3, 2, -1])),
    (np.array([True, False, True]), np.array([True, True, False])),
    (np.array([1, 2, 3], dtype=np.int32), np.array(2.5)),
    (np.array([1.5, -2.0, 3.0], dtype=np.float32), np.array([2.0, 1.0, -1.0], dtype=np.float64)),
    (np.array([1, 2, 5], dtype=np.int32), np.array([2, 3, 4], dtype=np.int64)),
]


@pytest.mark.parametrize("pair", INTEGER_PAIRS, ids=["int64", "bool", "int32-with-0d-float64", "float32-float64",
                                                      "int32-int64"])
@pytest.mark.parametrize("name", ["atan2", "xlogy", "copysign", "fmod", "hypot", "logaddexp", "logaddexp2"])
def test_promotion_of_two_tensors(name, pair):
    refused = None
    try:
        getattr(torch, name)(*(torch.tensor(v) for v in pair))
    except (RuntimeError, ZeroDivisionError) as error:
        refused = error
    if refused is not None:
        with pytest.raises((TypeError, ZeroDivisionError)):
            getattr(dp, name)(*(dp.tensor(v, dtype=v.dtype) for v in pair))
        return
    check(list(pair), getattr(torch, name), getattr(dp, name), TOLERANCES["float32"])


@pytest.mark.parametrize("number", [2, 2.5, True])
@pytest.mark.parametrize("name", ["xlogy", "copysign", "fmod"])
def test_python_number_operand(name, number):
    values = np.array([3, -4, 5])
    if name == "fmod" and number is True:
        pytest.skip("PyTorch refuses fmod of booleans")
    expected = getattr(torch, name)(torch.tensor(values), number)
    got = getattr(dp, name)(dp.tensor(values), number)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.data, expected.numpy(), rtol=1e-6)


# -- edge values: the gradients where the formulas read 0/0 or ±inf --------------------------------

NAN, INF = float("nan"), float("inf")
EDGES = [
    ("atan2-origin", torch.atan2, dp.atan2, [[0.0, 0.0, -0.0, 1.0], [0.0, -0.0, 0.0, 0.0]]),
    ("hypot-origin", torch.hypot, dp.hypot, [[0.0, 0.0, 3.0], [0.0, -0.0, 0.0]]),
    ("xlogy-zeros", torch.xlogy, dp.xlogy, [[0.0, 0.0, 0.0, 1.0, 2.0, 0.0], [0.0, -1.0, NAN, 0.0, -1.0, INF]]),
    ("acosh-one", torch.acosh, dp.acosh, [[1.0, 0.5, 2.0]]),
    ("asin-ends", torch.asin, dp.asin, [[1.0, -1.0, 1.5]]),
    ("acos-ends", torch.acos, dp.acos, [[1.0, -1.0]]),
    ("atanh-ends", torch.atanh, dp.atanh, [[1.0, -1.0, 2.0]]),
    ("sinc-zero-and-integers", torch.sinc, dp.sinc, [[0.0, 1.0, -2.0, 1e-30]]),
    ("nan_to_num-replaced", torch.nan_to_num, dp.nan_to_num, [[NAN, INF, -INF, 1.0, -0.0]]),
    ("copysign-zeros", torch.copysign, dp.copysign, [[0.0, -0.0, 2.0, -2.0, 3.0], [-1.0, 1.0, -0.0, 0.0, NAN]]),
    ("fmod-by-zero", torch.fmod, dp.fmod, [[5.0, -5.0, 5.0, 0.0], [3.0, 3.0, 0.0, 0.0]]),
    ("logaddexp-infinities", torch.logaddexp, dp.logaddexp, [[-INF, INF, -INF, 1000.0], [-INF, INF, 0.0, -1000.0]]),
    ("logaddexp2-infinities", torch.logaddexp2, dp.logaddexp2, [[-INF, INF, -INF, 1000.0], [-INF, INF, 0.0, -1000.0]]),
    ("frac-negative", torch.frac, dp.frac, [[-1.5, 2.25, -0.0, 3.0]]),
    ("tan-of-large", torch.tan, dp.tan, [[1.5, -1.55, 0.0]]),
    ("lerp-weight-one-and-zero", torch.lerp, dp.lerp, [[1.0, 2.0], [3.0, -4.0], [1.0, 0.0]]),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("torch_fn, dp_fn, values", [pytest.param(*e[1:], id=e[0]) for e in EDGES])
def test_edge_values(torch_fn, dp_fn, values, dtype):
    np_dtype = DTYPES[dtype][0]
    with np.errstate(all="ignore"):
        check([np.array(v, dtype=np_dtype) for v in values], torch_fn, dp_fn, TOLERANCES[dtype])


def test_lerp_weight_one_gives_end_exactly():
    start, end = dp.tensor([0.1, 1e8], dtype=np.float32), dp.tensor([0.3, 1.0], dtype=np.float32)
    np.testing.assert_array_equal(dp.lerp(start, end, 1.0).data, end.data)


def test_nan_to_num_keeps_integer_tensors():
    for values in (np.array([1, -2]), np.array([True, False])):
        out = dp.nan_to_num(dp.tensor(values))
        expected = torch.nan_to_num(torch.tensor(values))
        assert out.dtype.name == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(out.data, expected.numpy())


def test_nan_to_num_float16_bounds():
    values = np.array([NAN, INF, -INF], dtype=np.float16)
    np.testing.assert_array_equal(dp.nan_to_num(dp.tensor(values, dtype=np.float16)).data,
                                  torch.nan_to_num(torch.tensor(values)).numpy())


# -- what both refuse ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hypot", "logaddexp", "logaddexp2"])
def test_integer_operands_refused_by_floating_only_functions(name):
    with pytest.raises(TypeError, match=name):
        getattr(dp, name)(dp.tensor([1, 2]), dp.tensor([3, 4]))


def test_frac_of_integers_refused():
    with pytest.raises(TypeError, match="frac"):
        dp.frac(dp.tensor([1, 2]))


def test_fmod_integer_division_by_zero_refused():
    with pytest.raises(ZeroDivisionError, match="fmod"):
        dp.fmod(dp.tensor([5, 3]), dp.tensor([2, 0]))


def test_fmod_of_booleans_refused():
    with pytest.raises(TypeError, match="fmod"):
        dp.fmod(dp.tensor([True]), dp.tensor([True]))


def test_lerp_of_two_dtypes_refused():
    with pytest.raises(TypeError, match="same dtype"):
        dp.lerp(dp.tensor([1.0]), dp.tensor([2.0], dtype=np.float64), 0.5)


def test_lerp_shapes_that_do_not_broadcast_refused():
    with pytest.raises(dp.DeltapropError, match=r"lerp: .*\(3,\).*\(4,\)"):
        dp.lerp(dp.zeros(3), dp.zeros(4), 0.5)


@pytest.mark.parametrize("name", ["atan2", "hypot", "xlogy", "fmod", "copysign", "logaddexp"])
def test_shapes_that_do_not_broadcast_refused(name):
    with pytest.raises(dp.DeltapropError, match=rf"{name}: .*\(3,\).*\(4,\)"):
        getattr(dp, name)(dp.zeros(3), dp.zeros(4))
