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
from deltaprop.errors import ConfigError, ShapeError

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
    expected = tuple(expected) if isinstance(expected, (tuple, list)) else (expected,)
    got = tuple(got) if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    torch_loss = dp_loss = 0.0
    for e, o in zip(expected, got):  # (several results: cummax's values and indices, meshgrid's grids)
        assert isinstance(o, dp.Tensor)
        assert o.shape == tuple(e.shape)
        assert o.dtype.name == str(e.dtype).removeprefix("torch.")
        np.testing.assert_allclose(o.data, e.detach().numpy(), **tolerance, err_msg="forward values")
        if e.requires_grad:
            direction = rng.standard_normal(o.shape)
            torch_loss = torch_loss + (e * torch.tensor(direction, dtype=e.dtype)).sum()
            dp_loss = dp_loss + (o * direction.astype(o.dtype)).sum()
    if not isinstance(torch_loss, torch.Tensor):
        return
    torch_loss.backward()
    dp_loss.backward()
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
    with np.errstate(all="ignore"):  # asin(2), atanh(1), ...: NaN and inf, as PyTorch gives them
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


# -- fused products, tensordot, inner, kron, cross ----------------------------------------------------

PRODUCTS = [
    case("addmm", [(2, 4), (2, 3), (3, 4)], torch.addmm, dp.addmm),
    case("addmm-broadcast-input", [(4,), (2, 3), (3, 4)], torch.addmm, dp.addmm),
    case("addmm-beta-alpha", [(2, 1), (2, 3), (3, 4)], lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=-2.0),
         lambda i, a, b: dp.addmm(i, a, b, beta=0.5, alpha=-2.0)),
    case("addmm-beta-zero", [(2, 4), (2, 3), (3, 4)], lambda i, a, b: torch.addmm(i, a, b, beta=0),
         lambda i, a, b: dp.addmm(i, a, b, beta=0)),
    case("addmm-method", [(2, 4), (2, 3), (3, 4)], lambda i, a, b: i.addmm(a, b, alpha=3),
         lambda i, a, b: i.addmm(a, b, alpha=3)),
    case("addmv", [(2,), (2, 3), (3,)], torch.addmv, dp.addmv),
    case("addmv-beta-alpha-0d-input", [(), (2, 3), (3,)], lambda i, a, b: torch.addmv(i, a, b, beta=2, alpha=0.5),
         lambda i, a, b: dp.addmv(i, a, b, beta=2, alpha=0.5)),
    case("addmv-method", [(2,), (2, 3), (3,)], lambda i, a, b: i.addmv(a, b), lambda i, a, b: i.addmv(a, b)),
    case("baddbmm", [(5, 2, 4), (5, 2, 3), (5, 3, 4)], torch.baddbmm, dp.baddbmm),
    case("baddbmm-broadcast-beta-alpha", [(2, 1), (5, 2, 3), (5, 3, 4)],
         lambda i, a, b: torch.baddbmm(i, a, b, beta=-1.5, alpha=0.25),
         lambda i, a, b: dp.baddbmm(i, a, b, beta=-1.5, alpha=0.25)),
    case("baddbmm-method", [(5, 2, 4), (5, 2, 3), (5, 3, 4)], lambda i, a, b: i.baddbmm(a, b),
         lambda i, a, b: i.baddbmm(a, b)),
    case("addbmm", [(2, 4), (5, 2, 3), (5, 3, 4)], torch.addbmm, dp.addbmm),
    case("addbmm-beta-alpha", [(4,), (5, 2, 3), (5, 3, 4)], lambda i, a, b: torch.addbmm(i, a, b, beta=3, alpha=0.5),
         lambda i, a, b: dp.addbmm(i, a, b, beta=3, alpha=0.5)),
    case("addbmm-method", [(2, 4), (5, 2, 3), (5, 3, 4)], lambda i, a, b: i.addbmm(a, b),
         lambda i, a, b: i.addbmm(a, b)),
    case("addcmul", [(3, 4), (3, 4), (3, 4)], torch.addcmul, dp.addcmul),
    case("addcmul-broadcast-value", [(3, 1), (4,), (2, 1, 1)], lambda i, a, b: torch.addcmul(i, a, b, value=-0.5),
         lambda i, a, b: dp.addcmul(i, a, b, value=-0.5)),
    case("addcmul-method", [(3, 4), (3, 4), (4,)], lambda i, a, b: i.addcmul(a, b, value=2),
         lambda i, a, b: i.addcmul(a, b, value=2)),
    case("addcdiv", [(3, 4), (3, 4), (3, 4)], torch.addcdiv, dp.addcdiv, recipes=(anywhere, anywhere, away_from_zero)),
    case("addcdiv-broadcast-value", [(3, 1), (4,), (2, 1, 1)], lambda i, a, b: torch.addcdiv(i, a, b, value=0.3),
         lambda i, a, b: dp.addcdiv(i, a, b, value=0.3), recipes=(anywhere, anywhere, away_from_zero)),
    case("addcdiv-method", [(3, 4), (3, 4), (4,)], lambda i, a, b: i.addcdiv(a, b, value=-2),
         lambda i, a, b: i.addcdiv(a, b, value=-2), recipes=(anywhere, anywhere, away_from_zero)),
    case("tensordot-2", [(2, 3, 4), (3, 4, 5)], torch.tensordot, dp.tensordot),
    case("tensordot-0", [(2, 3), (4,)], lambda a, b: torch.tensordot(a, b, dims=0),
         lambda a, b: dp.tensordot(a, b, dims=0)),
    case("tensordot-1", [(2, 3), (3, 4)], lambda a, b: torch.tensordot(a, b, dims=1),
         lambda a, b: dp.tensordot(a, b, dims=1)),
    case("tensordot-lists", [(2, 3, 4), (4, 5, 3)], lambda a, b: torch.tensordot(a, b, dims=([1, 2], [2, 0])),
         lambda a, b: dp.tensordot(a, b, dims=([1, 2], [2, 0]))),
    case("tensordot-ints", [(2, 3), (3, 5)], lambda a, b: torch.tensordot(a, b, dims=([1], [0])),
         lambda a, b: dp.tensordot(a, b, dims=([1], [0]))),
    case("tensordot-negative", [(2, 3, 4), (4, 3)], lambda a, b: torch.tensordot(a, b, dims=([-1, -2], [0, 1])),
         lambda a, b: dp.tensordot(a, b, dims=([-1, -2], [0, 1]))),
    case("inner-vectors", [(3,), (3,)], torch.inner, dp.inner),
    case("inner-nd", [(2, 3), (4, 5, 3)], torch.inner, dp.inner),
    case("inner-0d", [(), (2, 3)], torch.inner, dp.inner),
    case("inner-method", [(2, 3), (4, 3)], lambda a, b: a.inner(b), lambda a, b: a.inner(b)),
    case("kron-matrices", [(2, 3), (4, 2)], torch.kron, dp.kron),
    case("kron-ranks-differ", [(2, 3, 1), (4,)], torch.kron, dp.kron),
    case("kron-vectors", [(3,), (2,)], torch.kron, dp.kron),
    case("kron-method", [(2, 2), (2, 3)], lambda a, b: a.kron(b), lambda a, b: a.kron(b)),
    case("cross-dim", [(4, 3), (4, 3)], lambda a, b: torch.cross(a, b, dim=1), lambda a, b: dp.cross(a, b, dim=1)),
    case("cross-dim-0-broadcast", [(3, 1, 2), (3, 4, 1)], lambda a, b: torch.cross(a, b, dim=0),
         lambda a, b: dp.cross(a, b, dim=0)),
    case("cross-method", [(2, 3), (2, 3)], lambda a, b: a.cross(b, dim=-1), lambda a, b: a.cross(b, dim=-1)),
    case("linalg-cross", [(2, 3), (1, 3)], torch.linalg.cross, dp.linalg.cross),
    case("linalg-cross-dim", [(3, 5), (3, 5)], lambda a, b: torch.linalg.cross(a, b, dim=0),
         lambda a, b: dp.linalg.cross(a, b, dim=0)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes, torch_fn, dp_fn, recipes", PRODUCTS)
def test_products_match_torch(shapes, torch_fn, dp_fn, recipes, dtype):
    compare(shapes, torch_fn, dp_fn, dtype, recipes)


def test_cross_without_dim_takes_the_first_dimension_of_size_3():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 3))
    with pytest.warns(UserWarning):  # PyTorch's deprecation of the default
        expected = torch.cross(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(dp.cross(dp.tensor(a, dtype=np.float64), dp.tensor(b, dtype=np.float64)).data,
                               expected.numpy(), rtol=1e-12)


def test_addmm_beta_zero_ignores_nan_in_input_and_gives_it_a_zero_gradient():
    values = np.array([[np.nan, 1.0], [2.0, 3.0]])
    m1, m2 = np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(3, 2)
    i = dp.tensor(values, dtype=np.float64, requires_grad=True)
    out = dp.addmm(i, dp.tensor(m1, dtype=np.float64), dp.tensor(m2, dtype=np.float64), beta=0)
    out.sum().backward()
    np.testing.assert_allclose(out.data, m1 @ m2)
    np.testing.assert_array_equal(i.grad, np.zeros((2, 2)))


def test_integer_products_stay_integers():
    i, a, b = np.zeros((2, 2), dtype=np.int64), np.arange(6).reshape(2, 3), np.arange(6).reshape(3, 2)
    expected = torch.addmm(torch.tensor(i), torch.tensor(a), torch.tensor(b), beta=2, alpha=3)
    got = dp.addmm(dp.tensor(i), dp.tensor(a), dp.tensor(b), beta=2, alpha=3)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.data, expected.numpy())
    np.testing.assert_array_equal(dp.kron(dp.tensor([1, 2]), dp.tensor([1, 10])).data, [1, 10, 2, 20])
    got = dp.cross(dp.tensor([1, 0, 0]), dp.tensor([0, 1, 0]), dim=0)
    assert got.dtype == np.int64 and got.tolist() == [0, 0, 1]


PRODUCT_REFUSALS = [
    ("addmm-not-matrices", lambda: dp.addmm(dp.zeros(2), dp.zeros(2, 3, 1), dp.zeros(3, 2)), "addmm: mat1"),
    ("addmm-input-too-large", lambda: dp.addmm(dp.zeros(3, 2), dp.zeros(2, 3), dp.zeros(3, 2)), r"\(3, 2\)"),
    ("addmm-not-aligned", lambda: dp.addmm(dp.zeros(2, 2), dp.zeros(2, 3), dp.zeros(4, 2)), "matmul"),
    ("addmm-beta-not-a-number", lambda: dp.addmm(dp.zeros(2, 2), dp.zeros(2, 3), dp.zeros(3, 2), beta="1"), "beta"),
    ("addmv-not-a-vector", lambda: dp.addmv(dp.zeros(2), dp.zeros(2, 3), dp.zeros(3, 1)), "addmv: vec"),
    ("addbmm-not-aligned", lambda: dp.addbmm(dp.zeros(2, 2), dp.zeros(4, 2, 3), dp.zeros(5, 3, 2)), "batch 4"),
    ("addcdiv-integers", lambda: dp.addcdiv(dp.zeros(2), dp.tensor([1, 2]), dp.tensor([1, 2])), "addcdiv"),
    ("tensordot-dims-count", lambda: dp.tensordot(dp.zeros(2, 3), dp.zeros(3, 2), dims=([0, 1], [0])), "paired"),
    ("tensordot-sizes", lambda: dp.tensordot(dp.zeros(2, 3), dp.zeros(2, 3), dims=1), "does not match"),
    ("tensordot-too-many", lambda: dp.tensordot(dp.zeros(2, 3), dp.zeros(3), dims=2), "dims=2"),
    ("inner-last-dims", lambda: dp.inner(dp.zeros(2, 3), dp.zeros(2)), "inner"),
    ("cross-size", lambda: dp.cross(dp.zeros(4, 2), dp.zeros(4, 2), dim=1), "size 3"),
    ("cross-no-size-3", lambda: dp.cross(dp.zeros(4, 2), dp.zeros(4, 2)), "no dimension of size 3"),
    ("linalg-cross-last", lambda: dp.linalg.cross(dp.zeros(3, 2), dp.zeros(3, 2)), "size 3"),
]


@pytest.mark.parametrize("call, message", [pytest.param(c, m, id=n) for n, c, m in PRODUCT_REFUSALS])
def test_products_refuse_in_one_sentence(call, message):
    with pytest.raises((dp.DeltapropError, TypeError), match=message):
        call()


# -- structure: joining, grids, rotations, differences, repeats, distances, running extremes, medians ---


def distinct(rng, shape):
    """Values at least 0.1 apart: no ties for cummax, cummin or median to break."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(-0.02, 0.02, size=n)).reshape(shape)


def _list_of(name):
    return (lambda *t: getattr(torch, name)(list(t))), (lambda *t: getattr(dp, name)(list(t)))


STRUCTURE = [
    case("broadcast_tensors", [(2, 1), (3,), ()], torch.broadcast_tensors, dp.broadcast_tensors),
    case("meshgrid-ij", [(2,), (3,), (4,)], lambda *t: torch.meshgrid(*t, indexing="ij"),
         lambda *t: dp.meshgrid(*t, indexing="ij")),
    case("meshgrid-xy", [(2,), (3,), (4,)], lambda *t: torch.meshgrid(*t, indexing="xy"),
         lambda *t: dp.meshgrid(*t, indexing="xy")),
    case("meshgrid-list-0d", [(2,), ()], lambda *t: torch.meshgrid(list(t), indexing="xy"),
         lambda *t: dp.meshgrid(list(t), indexing="xy")),
    case("vstack", [(3,), (2, 3)], *_list_of("vstack")),
    case("vstack-0d", [(), ()], *_list_of("vstack")),
    case("hstack-vectors", [(), (2,)], *_list_of("hstack")),
    case("hstack-matrices", [(2, 1), (2, 3)], *_list_of("hstack")),
    case("dstack", [(3,), (3,)], *_list_of("dstack")),
    case("dstack-matrices-3d", [(2, 3), (2, 3, 2)], *_list_of("dstack")),
    case("column_stack", [(2,), (2, 3), (2,)], *_list_of("column_stack")),
    case("column_stack-0d", [(), ()], *_list_of("column_stack")),
    case("rot90", [(2, 3)], torch.rot90, dp.rot90),
    case("rot90-k2", [(2, 3, 4)], lambda x: torch.rot90(x, 2, [1, 2]), lambda x: dp.rot90(x, 2, [1, 2])),
    case("rot90-k3-reversed-dims", [(2, 3, 4)], lambda x: torch.rot90(x, 3, [2, 0]), lambda x: dp.rot90(x, 3, [2, 0])),
    case("rot90-negative", [(2, 3)], lambda x: torch.rot90(x, -1), lambda x: dp.rot90(x, -1)),
    case("rot90-k0", [(2, 3)], lambda x: torch.rot90(x, 4), lambda x: dp.rot90(x, 4)),
    case("rot90-method", [(2, 3)], lambda x: x.rot90(1, [1, 0]), lambda x: x.rot90(1, [1, 0])),
    case("diff", [(3, 5)], torch.diff, dp.diff),
    case("diff-n2-dim0", [(5, 3)], lambda x: torch.diff(x, n=2, dim=0), lambda x: dp.diff(x, n=2, dim=0)),
    case("diff-prepend-append", [(3, 4), (3, 1), (3, 2)], lambda x, p, a: torch.diff(x, 2, -1, p, a),
         lambda x, p, a: dp.diff(x, 2, -1, p, a)),
    case("diff-n-beyond-length", [(2, 2)], lambda x: torch.diff(x, n=3), lambda x: dp.diff(x, n=3)),
    case("diff-method", [(3, 4)], lambda x: x.diff(dim=0), lambda x: x.diff(dim=0)),
    case("repeat_interleave-flat", [(2, 3)], lambda x: torch.repeat_interleave(x, 2),
         lambda x: dp.repeat_interleave(x, 2)),
    case("repeat_interleave-dim", [(2, 3)], lambda x: torch.repeat_interleave(x, 3, dim=1),
         lambda x: dp.repeat_interleave(x, 3, dim=1)),
    case("repeat_interleave-counts", [(3, 2)], lambda x: torch.repeat_interleave(x, torch.tensor([2, 0, 1]), dim=0),
         lambda x: dp.repeat_interleave(x, dp.tensor([2, 0, 1]), dim=0)),
    case("repeat_interleave-one-count", [(3, 2)], lambda x: x.repeat_interleave(torch.tensor([2]), dim=-1),
         lambda x: x.repeat_interleave(dp.tensor([2]), dim=-1)),
    case("cdist-p2", [(4, 3), (5, 3)], torch.cdist, dp.cdist),
    case("cdist-batched", [(2, 1, 4, 3), (3, 5, 3)], torch.cdist, dp.cdist),
    case("cdist-p1", [(4, 3), (5, 3)], lambda a, b: torch.cdist(a, b, p=1), lambda a, b: dp.cdist(a, b, p=1)),
    case("cdist-p3", [(4, 3), (5, 3)], lambda a, b: torch.cdist(a, b, p=3), lambda a, b: dp.cdist(a, b, p=3)),
    case("cdist-p1.5", [(4, 3), (5, 3)], lambda a, b: torch.cdist(a, b, p=1.5), lambda a, b: dp.cdist(a, b, p=1.5)),
    case("cdist-p0.5", [(4, 3), (5, 3)], lambda a, b: torch.cdist(a, b, p=0.5), lambda a, b: dp.cdist(a, b, p=0.5)),
    case("cdist-pinf", [(4, 3), (5, 3)], lambda a, b: torch.cdist(a, b, p=float("inf")),
         lambda a, b: dp.cdist(a, b, p=float("inf"))),
    case("cdist-p0", [(4, 3), (5, 3)], lambda a, b: torch.cdist(a, b, p=0), lambda a, b: dp.cdist(a, b, p=0)),
    case("cummax", [(3, 5)], lambda x: torch.cummax(x, 1), lambda x: dp.cummax(x, 1), recipe=distinct),
    case("cummax-dim0", [(5, 3)], lambda x: torch.cummax(x, 0), lambda x: dp.cummax(x, 0), recipe=distinct),
    case("cummin", [(3, 5)], lambda x: torch.cummin(x, -1), lambda x: dp.cummin(x, -1), recipe=distinct),
    case("cummax-method-0d", [()], lambda x: x.cummax(0), lambda x: x.cummax(0)),
    case("cummin-method", [(2, 4, 3)], lambda x: x.cummin(1), lambda x: x.cummin(1), recipe=distinct),
    case("logcumsumexp", [(3, 5)], lambda x: torch.logcumsumexp(x, 1), lambda x: dp.logcumsumexp(x, 1)),
    case("logcumsumexp-large", [(4, 3)], lambda x: torch.logcumsumexp(x * 500, 0),
         lambda x: dp.logcumsumexp(x * 500, 0)),
    case("logcumsumexp-method", [(2, 3, 4)], lambda x: x.logcumsumexp(-1), lambda x: x.logcumsumexp(-1)),
    case("median-all", [(3, 5)], torch.median, dp.median, recipe=distinct),
    case("median-all-even", [(2, 3)], torch.median, dp.median, recipe=distinct),
    case("median-dim", [(3, 4)], lambda x: torch.median(x, 1), lambda x: dp.median(x, 1), recipe=distinct),
    case("median-dim-keepdim", [(3, 5, 2)], lambda x: torch.median(x, 1, keepdim=True),
         lambda x: dp.median(x, 1, keepdim=True), recipe=distinct),
    case("median-method-0d", [()], lambda x: x.median(0), lambda x: x.median(0)),
    case("median-method", [(4, 3)], lambda x: x.median(), lambda x: x.median(), recipe=distinct),
    case("nansum", [(3, 4)], torch.nansum, dp.nansum),
    case("nansum-dim", [(3, 4)], lambda x: torch.nansum(x, 1, keepdim=True), lambda x: dp.nansum(x, 1, keepdim=True)),
    case("nanmean", [(3, 4)], torch.nanmean, dp.nanmean),
    case("nanmean-dims", [(3, 4, 2)], lambda x: torch.nanmean(x, (0, 2)), lambda x: dp.nanmean(x, (0, 2))),
    case("nanmean-method", [(3, 4)], lambda x: x.nanmean(0), lambda x: x.nanmean(0)),
    case("nansum-method", [(3, 4)], lambda x: x.nansum(-1), lambda x: x.nansum(-1)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes, torch_fn, dp_fn, recipes", STRUCTURE)
def test_structure_matches_torch(shapes, torch_fn, dp_fn, recipes, dtype):
    compare(shapes, torch_fn, dp_fn, dtype, recipes)


STRUCTURE_EDGES = [
    ("cummax-ties", lambda x: torch.cummax(x, 0), lambda x: dp.cummax(x, 0), [[1.0, 3.0, 3.0, 2.0, 5.0, 5.0]]),
    ("cummin-ties", lambda x: torch.cummin(x, 0), lambda x: dp.cummin(x, 0), [[3.0, 1.0, 1.0, 2.0, 0.0, 0.0]]),
    ("cummax-nan", lambda x: torch.cummax(x, 0), lambda x: dp.cummax(x, 0), [[1.0, NAN, 3.0, NAN, 2.0]]),
    ("cummin-nan", lambda x: torch.cummin(x, 0), lambda x: dp.cummin(x, 0), [[1.0, NAN, 0.0, NAN, -2.0]]),
    ("median-ties", torch.median, dp.median, [[3.0, 1.0, 2.0, 2.0, 2.0, 5.0]]),
    ("median-nan", torch.median, dp.median, [[3.0, NAN, 1.0, NAN]]),
    ("median-dim-ties", lambda x: torch.median(x, 1), lambda x: dp.median(x, 1),
     [[[3.0, 1.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0]]]),
    ("median-dim-nan", lambda x: torch.median(x, 1), lambda x: dp.median(x, 1),
     [[[3.0, NAN, 1.0, NAN], [1, 2, 3, 4]]]),
    ("logcumsumexp-infinities", lambda x: torch.logcumsumexp(x, 0), lambda x: dp.logcumsumexp(x, 0),
     [[-INF, 0.0, 1.0, -INF]]),
    ("nansum-nan", torch.nansum, dp.nansum, [[1.0, NAN, 3.0]]),
    ("nanmean-all-nan-row", lambda x: torch.nanmean(x, 1), lambda x: dp.nanmean(x, 1), [[[NAN, NAN], [1.0, 2.0]]]),
]
for p in (2, 1, 0, 3, 0.5, 1.5, INF):
    STRUCTURE_EDGES.append((f"cdist-equal-points-p{p}", lambda a, b, p=p: torch.cdist(a, b, p=p),
                            lambda a, b, p=p: dp.cdist(a, b, p=p),
                            [[[0.0, 0.0], [1.0, 1.0]], [[0.0, 0.0], [1.0, 2.0]]]))
STRUCTURE_EDGES.append(("cdist-pinf-ties", lambda a, b: torch.cdist(a, b, p=INF), lambda a, b: dp.cdist(a, b, p=INF),
                        [[[0.0, 0.0], [2.0, -1.0]], [[1.0, -1.0], [0.0, 1.0]]]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("torch_fn, dp_fn, values", [pytest.param(*e[1:], id=e[0]) for e in STRUCTURE_EDGES])
def test_structure_edge_values(torch_fn, dp_fn, values, dtype):
    np_dtype = DTYPES[dtype][0]
    check([np.array(v, dtype=np_dtype) for v in values], torch_fn, dp_fn, TOLERANCES[dtype])


INTEGER_STRUCTURE = [
    ("diff-int", lambda x: torch.diff(x, n=2), lambda x: dp.diff(x, n=2), [1, 3, 6, 10, 15]),
    ("diff-bool", torch.diff, dp.diff, [True, False, False, True]),
    ("cummax-int", lambda x: torch.cummax(x, 0), lambda x: dp.cummax(x, 0), [2, 1, 4, 4, 3]),
    ("median-int", torch.median, dp.median, [4, 1, 3, 2]),
    ("median-int-dim", lambda x: torch.median(x, 0), lambda x: dp.median(x, 0), [4, 1, 3, 2]),
    ("nansum-int", torch.nansum, dp.nansum, [1, 2, 3]),
    ("nansum-bool", torch.nansum, dp.nansum, [True, True, False]),
    ("rot90-int", torch.rot90, dp.rot90, [[1, 2], [3, 4]]),
    ("repeat_interleave-counts-alone", torch.repeat_interleave, dp.repeat_interleave, [2, 0, 1]),
    ("hstack-promotes", lambda x: torch.hstack([x, x.double()]), lambda x: dp.hstack([x, x.double()]), [1, 2]),
]


@pytest.mark.parametrize("torch_fn, dp_fn, values", [pytest.param(*e[1:], id=e[0]) for e in INTEGER_STRUCTURE])
def test_structure_of_integers(torch_fn, dp_fn, values):
    check([np.array(values)], torch_fn, dp_fn, TOLERANCES["float64"])


STRUCTURE_REFUSALS = [
    ("rot90-1d", lambda: dp.rot90(dp.zeros(3)), ShapeError, "at least two dimensions"),
    ("rot90-same-dims", lambda: dp.rot90(dp.zeros(2, 3), 1, [1, 1]), ShapeError, "more than once"),
    ("diff-0d", lambda: dp.diff(dp.tensor(1.0)), ShapeError, "0-d"),
    ("diff-negative-n", lambda: dp.diff(dp.zeros(3), n=-1), ValueError, "n must"),
    ("repeat_interleave-negative", lambda: dp.repeat_interleave(dp.zeros(2), dp.tensor([1, -1])), ConfigError,
     "negative"),
    ("repeat_interleave-count-mismatch", lambda: dp.repeat_interleave(dp.zeros(2), dp.tensor([1, 1, 1])), ShapeError,
     "3 repeats for 2"),
    ("repeat_interleave-float-counts", lambda: dp.repeat_interleave(dp.zeros(2), dp.tensor([1.0, 2.0])), TypeError,
     "integers"),
    ("cdist-1d", lambda: dp.cdist(dp.zeros(4), dp.zeros(2, 4)), ShapeError, "x1 must have at least 2"),
    ("cdist-columns", lambda: dp.cdist(dp.zeros(3, 4), dp.zeros(2, 5)), ShapeError, "same number of columns"),
    ("cdist-negative-p", lambda: dp.cdist(dp.zeros(3, 4), dp.zeros(2, 4), p=-1), ConfigError, "non-negative"),
    ("cdist-integers", lambda: dp.cdist(dp.tensor([[1, 2]]), dp.tensor([[1, 2]])), TypeError, "cdist"),
    ("cummax-no-dim", lambda: dp.cummax(dp.zeros(3), None), TypeError, "give dim"),
    ("logcumsumexp-int", lambda: dp.logcumsumexp(dp.tensor([1, 2]), 0), TypeError, "logcumsumexp"),
    ("median-empty-integers", lambda: dp.median(dp.zeros(0, dtype=np.int64)), ShapeError, "median of no integers"),
    ("median-empty-dim", lambda: dp.median(dp.zeros(0, 3), 0), ShapeError, "median of no elements"),
    ("nanmean-int", lambda: dp.nanmean(dp.tensor([1, 2])), TypeError, "nanmean"),
    ("meshgrid-2d", lambda: dp.meshgrid(dp.zeros(2, 2), dp.zeros(2)), ShapeError, "0-d or 1-d"),
    ("meshgrid-indexing", lambda: dp.meshgrid(dp.zeros(2), indexing="ji"), ConfigError, "indexing"),
    ("broadcast_tensors", lambda: dp.broadcast_tensors(dp.zeros(2), dp.zeros(3)), ShapeError, r"\(2,\), \(3,\)"),
    ("vstack-not-a-list", lambda: dp.vstack(dp.zeros(2)), TypeError, "tuple or list"),
]


@pytest.mark.parametrize("call, error, message", [pytest.param(c, e, m, id=n) for n, c, e, m in STRUCTURE_REFUSALS])
def test_structure_refuses_in_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- integer and boolean results: unique, bincount, searchsorted, bucketize, isin, count_nonzero -------


def same(expected, got):
    """Results equal in number, shapes, dtypes and values (NaN for NaN)."""
    expected = tuple(expected) if isinstance(expected, (tuple, list)) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    for e, o in zip(expected, got):
        assert isinstance(o, dp.Tensor)
        assert o.shape == tuple(e.shape)
        assert o.dtype.name == str(e.dtype).removeprefix("torch.")
        np.testing.assert_allclose(o.data, e.numpy(), rtol=1e-6)


SEQUENCE = np.array([1, 3, 5, 7, 9])
LOOKUPS = [
    ("unique-float-nan", "unique", [np.array([3.0, 1.0, NAN, 2.0, 1.0, NAN])], {}),
    ("unique-inverse-counts", "unique", [np.array([[3, 1], [1, 2]])], dict(return_inverse=True, return_counts=True)),
    ("unique-unsorted", "unique", [np.array([3, 1, 2, 1, 3])], dict(sorted=False, return_inverse=True)),
    ("unique-dim0", "unique", [np.array([[1, 2], [1, 2], [0, 5]])], dict(dim=0, return_inverse=True,
                                                                          return_counts=True)),
    ("unique-dim1", "unique", [np.array([[1, 1, 2], [0, 0, 5]])], dict(dim=1, return_inverse=True)),
    ("unique-0d", "unique", [np.array(5)], dict(return_inverse=True)),
    ("unique-bool", "unique", [np.array([True, False, True])], dict(return_counts=True)),
    ("unique-float32", "unique", [np.array([2.5, -1.0, 2.5], dtype=np.float32)], dict(return_counts=True)),
    ("bincount", "bincount", [np.array([0, 1, 1, 3])], {}),
    ("bincount-minlength", "bincount", [np.array([0, 1, 1, 3])], dict(minlength=6)),
    ("bincount-weights-float32", "bincount", [np.array([0, 1, 1, 3]), np.array([0.5, 1.0, 1.0, 2.0], np.float32)],
     {}),
    ("bincount-weights-float64", "bincount", [np.array([0, 1, 1, 3]), np.array([0.5, 1.0, 1.0, 2.0])], {}),
    ("bincount-weights-int", "bincount", [np.array([0, 1]), np.array([1, 2])], {}),
    ("bincount-empty", "bincount", [np.zeros(0, np.int64)], {}),
    ("searchsorted-left", "searchsorted", [SEQUENCE, np.array([3, 6, 9, 0, 10])], {}),
    ("searchsorted-right", "searchsorted", [SEQUENCE, np.array([3, 6, 9])], dict(right=True)),
    ("searchsorted-side", "searchsorted", [SEQUENCE, np.array([[3, 6], [9, 0]])], dict(side="right")),
    ("searchsorted-int32", "searchsorted", [SEQUENCE, np.array([3, 6])], dict(out_int32=True)),
    ("searchsorted-rows", "searchsorted", [np.array([[1, 3, 5], [2, 4, 6]]), np.array([[3, 6], [1, 5]])], {}),
    ("searchsorted-rows-right", "searchsorted", [np.array([[1, 3, 5], [2, 4, 6]]), np.array([[3, 6], [2, 5]])],
     dict(right=True)),
    ("searchsorted-float", "searchsorted", [np.array([0.5, 1.5, 2.5]), np.array([1.5, 2.0, -1.0])], {}),
    ("bucketize", "bucketize", [np.array([3, 6, 9, 0]), SEQUENCE], {}),
    ("bucketize-right", "bucketize", [np.array([[3, 6], [9, 10]]), SEQUENCE], dict(right=True)),
    ("isin", "isin", [np.array([1, 2, 3, 4]), np.array([2, 4])], {}),
    ("isin-invert", "isin", [np.array([1, 2]), np.array([2.0, 1.5])], dict(invert=True)),
    ("isin-nan", "isin", [np.array([1.0, NAN]), np.array([NAN, 1.0])], {}),
    ("isin-2d", "isin", [np.array([[1, 5], [2, 7]]), np.array([[7, 1]])], {}),
    ("count_nonzero", "count_nonzero", [np.array([[0, 1], [2, 0]])], {}),
    ("count_nonzero-dim", "count_nonzero", [np.array([[0, 1], [2, 0], [3, 3]])], dict(dim=0)),
    ("count_nonzero-dims-nan", "count_nonzero", [np.array([[0.0, NAN], [2.0, 0.0]])], dict(dim=(0, 1))),
    ("count_nonzero-bool", "count_nonzero", [np.array([True, False, True])], {}),
]


@pytest.mark.parametrize("name, arrays, options", [pytest.param(*e[1:], id=e[0]) for e in LOOKUPS])
def test_lookups_match_torch(name, arrays, options):
    expected = getattr(torch, name)(*(torch.tensor(a) for a in arrays), **options)
    got = getattr(dp, name)(*(dp.tensor(a, dtype=a.dtype) for a in arrays), **options)
    same(expected, got)


@pytest.mark.parametrize("number_first", [True, False])
def test_lookups_with_a_number(number_first):
    if number_first:
        same(torch.isin(2, torch.tensor([1, 2])), dp.isin(2, dp.tensor([1, 2])))
        same(torch.bucketize(5, torch.tensor(SEQUENCE)), dp.bucketize(5, dp.tensor(SEQUENCE)))
    else:
        same(torch.isin(torch.tensor([1, 2]), 2), dp.isin(dp.tensor([1, 2]), 2))
        same(torch.searchsorted(torch.tensor(SEQUENCE), 5), dp.searchsorted(dp.tensor(SEQUENCE), 5))


def test_searchsorted_with_a_sorter():
    sequence, sorter, values = np.array([5, 1, 3]), np.array([1, 2, 0]), np.array([2, 4, 6])
    same(torch.searchsorted(torch.tensor(sequence), torch.tensor(values), sorter=torch.tensor(sorter)),
         dp.searchsorted(dp.tensor(sequence), dp.tensor(values), sorter=dp.tensor(sorter)))


def test_method_forms_of_lookups():
    x = np.array([[3, 0, 1], [1, 0, 3]])
    same(torch.tensor(x).unique(return_counts=True), dp.tensor(x).unique(return_counts=True))
    same(torch.tensor(x).count_nonzero(dim=1), dp.tensor(x).count_nonzero(dim=1))
    same(torch.tensor(x[0]).bincount(minlength=5), dp.tensor(x[0]).bincount(minlength=5))


def test_lookups_carry_no_gradient():
    x = dp.tensor([2.0, 1.0, 2.0], requires_grad=True)
    assert not dp.unique(x).requires_grad
    assert not dp.isin(x, dp.tensor([1.0])).requires_grad
    assert not dp.searchsorted(dp.tensor([0.0, 1.5]), x).requires_grad


def test_bincount_weights_get_a_gradient():
    weights = dp.tensor([0.5, 1.0, 1.0, 2.0], dtype=np.float64, requires_grad=True)
    out = dp.bincount(dp.tensor([0, 1, 1, 3]), weights)
    (out * dp.tensor([1.0, 10.0, 100.0, 1000.0], dtype=np.float64)).sum().backward()
    np.testing.assert_allclose(weights.grad, [1.0, 10.0, 10.0, 1000.0])


LOOKUP_REFUSALS = [
    ("bincount-negative", lambda: dp.bincount(dp.tensor([-1, 2])), ValueError, "the value -1"),
    ("bincount-2d", lambda: dp.bincount(dp.tensor([[1]])), ShapeError, "shape"),
    ("bincount-float", lambda: dp.bincount(dp.tensor([1.0])), ValueError, "dtype float32"),
    ("bincount-weights-shape", lambda: dp.bincount(dp.tensor([1, 2]), dp.tensor([1.0])), ShapeError, "weights"),
    ("searchsorted-sides", lambda: dp.searchsorted(dp.tensor(SEQUENCE), dp.tensor([3]), right=True, side="left"),
     ConfigError, "opposite"),
    ("searchsorted-side-name", lambda: dp.searchsorted(dp.tensor(SEQUENCE), dp.tensor([3]), side="up"),
     ConfigError, "side"),
    ("searchsorted-rows", lambda: dp.searchsorted(dp.tensor([[1, 3], [2, 4]]), dp.tensor([[3, 6]])), ShapeError,
     "leading"),
    ("bucketize-2d", lambda: dp.bucketize(dp.tensor([3]), dp.tensor([[1, 2]])), ShapeError, "vector"),
    ("unique-dim", lambda: dp.unique(dp.zeros(2, 3), dim=2), ShapeError, "unique"),
]


@pytest.mark.parametrize("call, error, message", [pytest.param(c, e, m, id=n) for n, c, e, m in LOOKUP_REFUSALS])
def test_lookups_refuse_in_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_fmod_of_an_integer_tensor_by_a_boolean_tensor_as_torch():
    x, y = np.array([3, -4, 5]), np.array([True, True, True])
    same(torch.fmod(torch.tensor(x), torch.tensor(y)), dp.fmod(dp.tensor(x), dp.tensor(y)))
