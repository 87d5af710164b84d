"""Every core operation against PyTorch: values, result dtypes and gradients, in float64 and float32.

One helper runs one expression in both frameworks (a second lambda only where the APIs differ:
``axis=``/``keepdims=`` against ``dim=``/``keepdim=``, ``concatenate`` against ``cat``, ...), then
backpropagates the same random projection of the result through both and compares every input's
gradient. Random expression trees, built from a seeded generator, check that the rules compose.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import ops
from op_inputs import (
    CONDITION, CONST, INDEX_ONCE, INDEX_REPEATS, MATMUL_SHAPES, anywhere, away_from, away_from_zero, distinct,
    high_fraction, low_fraction, positive, with_zeros,
)

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")
F = torch.nn.functional

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-4, atol=2e-5)}
DTYPES = {"float64": (np.float64, torch.float64), "float32": (np.float32, torch.float32)}


def on_kinks(*points):
    """A recipe that puts about half the elements exactly on ``points``, the rest anywhere."""

    def recipe(rng, shape):
        return np.where(rng.random(shape) < 0.5, rng.choice(points, size=shape), anywhere(rng, shape))

    return recipe


def helper_test_op(shapes, torch_fn, dp_fn=None, dtype="float64", recipes=None, seed=0):
    """Run ``torch_fn`` and ``dp_fn`` (default: the same function) on the same inputs and compare
    the results, their dtypes, and the gradients of a random projection of the result."""
    dp_fn = dp_fn or torch_fn
    np_dtype, torch_dtype = DTYPES[dtype]
    tolerance = TOLERANCES[dtype]
    rng = np.random.default_rng(seed)
    recipes = recipes or (anywhere,) * len(shapes)
    arrays = [recipe(rng, shape).astype(np_dtype) for shape, recipe in zip(shapes, recipes)]
    torch_inputs = [torch.tensor(a, dtype=torch_dtype, requires_grad=True) for a in arrays]
    dp_inputs = [dp.tensor(a, dtype=np_dtype, requires_grad=True) for a in arrays]

    expected = torch_fn(*torch_inputs)
    got = dp_fn(*dp_inputs)
    assert isinstance(got, dp.Tensor)
    assert got.shape == tuple(expected.shape)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.data, expected.detach().numpy(), **tolerance, err_msg="forward values")

    direction = rng.standard_normal(got.shape)
    expected.backward(torch.tensor(direction, dtype=expected.dtype))
    got.backward(direction)
    for i, (t, d) in enumerate(zip(torch_inputs, dp_inputs)):
        if t.grad is None:
            assert d.grad is None or not np.any(d.grad), f"input {i}: torch has no gradient"
            continue
        assert d.grad is not None, f"input {i}: deltaprop computed no gradient"
        assert d.grad.dtype == np_dtype
        np.testing.assert_allclose(d.grad, t.grad.numpy(), **tolerance, err_msg=f"gradient of input {i}")


def case(name, shapes, torch_fn, dp_fn=None, recipes=None, recipe=None):
    recipes = recipes or ((recipe,) * len(shapes) if recipe else None)
    return pytest.param(shapes, torch_fn, dp_fn, recipes, id=name)


# -- the cases: every operation of tests/test_ops_gradcheck.py ------------------------------------------

EXPONENTS = np.array([0.0, 1.0, 2.0, 3.0])
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((2, 1, 3), (4, 1)), ((), (3,)), ((2, 3), ())]
CASES = [
    case(f"{name}-{sa}-{sb}", (sa, sb), fn, recipes=recipes)
    for name, fn, recipes in [
        ("add", lambda a, b: a + b, None),
        ("sub", lambda a, b: a - b, None),
        ("mul", lambda a, b: a * b, None),
        ("div", lambda a, b: a / b, (anywhere, away_from_zero)),
        ("pow", lambda a, b: a**b, (positive, anywhere)),
    ]
    for sa, sb in BROADCAST_PAIRS
]

CASES += [
    case("add-scalar", [(3, 4)], lambda a: a + 2.5),
    case("rsub-scalar", [(3, 4)], lambda a: 1.0 - a),
    case("rmul-int", [(3, 4)], lambda a: 3 * a),
    case("rdiv-scalar", [(3, 4)], lambda a: 3.0 / a, recipe=away_from_zero),
    case("pow-int", [(3, 4)], lambda a: a**3),
    case("pow-half", [(3, 4)], lambda a: a**0.5, recipe=positive),
    case("rpow-scalar", [(3, 4)], lambda a: 2.0**a),
    # exponent 0 at base 0: a^0 = 1 for every a, so its slope is 0 (not 0·0^(−1), which is NaN)
    case("pow-zero-at-zero", [(3, 4)], lambda a: a**0.0, recipe=on_kinks(0.0)),
    case("pow-exponents-at-zero", [(3, 4)], lambda a: a ** torch.tensor(EXPONENTS), lambda a: a**EXPONENTS,
         recipe=lambda rng, shape: np.where(np.arange(shape[0])[:, None] == 1, 0.0, anywhere(rng, shape))),
    case("neg", [(3, 4)], lambda a: -a),
    case("rmul-array", [(3, 4)], lambda a: torch.tensor(CONST) * a, lambda a: CONST * a),
    case("div-array", [(3, 4)], lambda a: a / torch.tensor(CONST), lambda a: a / CONST),
    case("rpow-array", [(3, 4)], lambda a: torch.tensor(np.abs(CONST)) ** a, lambda a: np.abs(CONST) ** a),
]

CASES += [case(f"matmul-{sa}-{sb}", (sa, sb), lambda a, b: a @ b) for sa, sb in MATMUL_SHAPES]
CASES += [case("matmul-function", [(2, 3), (3, 2)], torch.matmul, dp.matmul)]


def all_axes_if_none(axis, ndim):
    return tuple(range(ndim)) if axis is None else axis


def reduction_cases():
    cases = []
    for axis in [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]:
        for keepdims in (False, True):
            tag = f"axis{axis}-keepdims{keepdims}"

            def both(torch_method, dp_method, axis=axis, keepdims=keepdims, **extra):
                return (
                    lambda a: getattr(a, torch_method)(dim=all_axes_if_none(axis, a.ndim), keepdim=keepdims, **extra),
                    lambda a: getattr(a, dp_method)(axis=axis, keepdims=keepdims, **extra),
                )

            cases += [
                case(f"sum-{tag}", [(2, 3, 4)], *both("sum", "sum")),
                case(f"mean-{tag}", [(2, 3, 4)], *both("mean", "mean")),
                case(f"var-{tag}", [(2, 3, 4)], *both("var", "var")),
                case(f"var-c0-{tag}", [(2, 3, 4)], *both("var", "var", correction=0)),
                case(f"std-{tag}", [(2, 3, 4)], *both("std", "std")),
                case(f"max-{tag}", [(2, 3, 4)], *both("amax", "max"), recipe=distinct),
                case(f"min-{tag}", [(2, 3, 4)], *both("amin", "min"), recipe=distinct),
            ]
    return cases


CASES += reduction_cases()
CASES += [
    case("sum-all", [(3, 4)], lambda a: a.sum()),
    case("mean-all", [(3, 4)], lambda a: a.mean()),
    case("var-all", [(3, 4)], lambda a: a.var()),
    case("max-all", [(3, 4)], lambda a: a.max(), recipe=distinct),
    case("min-all", [(3, 4)], lambda a: a.min(), recipe=distinct),
    # Ties: both frameworks share the gradient evenly among the elements that attain the extremum.
    case("max-ties-axis", [(3, 4)], lambda a: torch.stack([a, a]).amax(dim=0), lambda a: dp.stack([a, a]).max(axis=0)),
    case("max-ties-all", [(3, 4)], lambda a: torch.stack([a, a]).max(), lambda a: dp.stack([a, a]).max()),
    case("min-ties-all", [(2, 2)], lambda a: a.min(), recipe=lambda rng, shape: np.ones(shape)),
    case("sum-0d", [()], lambda a: a.sum()),
]

CASES += [
    case("exp", [(3, 4)], lambda a: a.exp()),
    case("log", [(3, 4)], lambda a: a.log(), recipe=positive),
    case("sqrt", [(3, 4)], lambda a: a.sqrt(), recipe=positive),
    case("abs", [(3, 4)], lambda a: a.abs(), recipe=away_from_zero),
    case("clip-min", [(4, 5)], lambda a: a.clip(min=-0.5)),
    case("clip-max", [(4, 5)], lambda a: a.clip(max=0.5)),
    case("clip-both", [(4, 5)], lambda a: a.clip(-0.5, 0.5)),
    # At the kinks, the conventions must agree with PyTorch's: the gradient passes at a clip bound,
    # relu and abs have derivative 0 at 0.
    case("clip-at-bounds", [(3, 4)], lambda a: a.clip(-0.5, 0.5), recipe=on_kinks(-0.5, 0.5, 0.0)),
    case("relu-at-zero", [(3, 4)], lambda a: a.relu(), recipe=on_kinks(0.0)),
    case("abs-at-zero", [(3, 4)], lambda a: a.abs(), recipe=on_kinks(0.0)),
]
CASES += [
    case(name, [(2, 3, 4)], fn, recipe=recipe)
    for name, fn, recipe in [
        ("log1p", lambda a: a.log1p(), lambda rng, shape: rng.uniform(-0.99, 3.0, size=shape)),
        ("log1p-tiny", lambda a: (a * 1e-12).log1p(), anywhere),
        ("expm1", lambda a: a.expm1(), anywhere),
        ("expm1-tiny", lambda a: (a * 1e-12).expm1(), anywhere),
        ("log2", lambda a: a.log2(), positive),
        ("log10", lambda a: a.log10(), positive),
        ("exp2", lambda a: a.exp2(), anywhere),
        ("sin", lambda a: (a * 3).sin(), anywhere),
        ("cos", lambda a: (a * 3).cos(), anywhere),
        ("square", lambda a: a.square(), anywhere),
        ("rsqrt", lambda a: a.rsqrt(), positive),
        ("reciprocal", lambda a: a.reciprocal(), away_from_zero),
        # the steps: gradient 0 everywhere, on the jumps too (half the elements sit on one)
        ("sign-at-zero", lambda a: a.sign() * a, on_kinks(0.0)),
        ("floor-at-integers", lambda a: a.floor() * a, on_kinks(-1.0, 0.0, 2.0)),
        ("ceil-at-integers", lambda a: a.ceil() * a, on_kinks(-1.0, 0.0, 2.0)),
        ("trunc-at-integers", lambda a: a.trunc() * a, on_kinks(-1.0, 0.0, 2.0)),
        ("round-halves-to-even", lambda a: a.round() * a, on_kinks(-2.5, -1.5, -0.5, 0.5, 1.5, 2.5)),
        ("round-decimals2", lambda a: (a * 7).round(decimals=2) * a, anywhere),
        ("round-decimals-1", lambda a: (a * 700).round(decimals=-1) * a, on_kinks(0.25 / 7, 0.35 / 7)),
        ("clamp_min", lambda a: a.clamp_min(-0.5), on_kinks(-0.5, 0.0)),
        ("clamp_max", lambda a: a.clamp_max(0.5), on_kinks(0.5, 0.0)),
    ]
]
CASES += [
    case("clamp_min-function", [(3, 4)], lambda a: torch.clamp_min(a, 0.25), lambda a: dp.clamp_min(a, 0.25)),
    case("clamp_max-tensor-bound", [(3, 4)], lambda a: a.clamp_max(torch.tensor(CONST, dtype=a.dtype)),
         lambda a: a.clamp_max(dp.tensor(CONST, dtype=a.dtype))),
    # Tensor bounds get a gradient where they are selected (and max where the bounds cross).
    case("clamp-tensor-bounds", [(3, 4), (3, 4), (4,)], lambda a, low, high: a.clamp(low, high)),
    case("clamp-tensor-min", [(2, 3, 4), (3, 1)], lambda a, low: torch.clamp(a, min=low),
         lambda a, low: dp.clamp(a, min=low)),
    case("clamp-tensor-max-broadcasts-input", [(4,), (3, 4)], lambda a, high: a.clamp(max=high)),
    case("clamp_min-tensor-0d", [(3, 4), ()], lambda a, low: a.clamp_min(low)),
    case("clamp_max-tensor", [(3, 4), (3, 4)], lambda a, high: a.clamp_max(high)),
    case("prod-all", [(3, 4)], lambda a: a.prod()),
    case("prod-0d", [()], lambda a: a.prod()),
    case("logsumexp-0d", [()], lambda a: a.logsumexp(0)),
    case("logsumexp-function", [(3, 4)], lambda a: torch.logsumexp(a, 1), lambda a: dp.logsumexp(a, 1)),
    case("cumsum-function", [(3, 4)], lambda a: torch.cumsum(a, dim=0), lambda a: dp.cumsum(a, dim=0)),
    case("cumprod-0d", [()], lambda a: a.cumprod(0)),
    case("cumsum-flattened", [(3, 4)], lambda a: a.flatten().cumsum(0), lambda a: a.cumsum()),
]
WITH_ZEROS = on_kinks(0.0)  # about half the elements 0: slices with none, one and several zeros
CASES += [
    case(f"{name}-dim{dim}-keepdim{keepdim}", [(3, 4, 5)], fn(dim, keepdim), recipe=recipe)
    for dim in [0, 1, -1]
    for keepdim in (False, True)
    for name, fn, recipe in [
        ("prod", lambda dim, keepdim: lambda a: a.prod(dim, keepdim=keepdim), anywhere),
        ("prod-zeros", lambda dim, keepdim: lambda a: a.prod(dim=dim, keepdim=keepdim), WITH_ZEROS),
        ("logsumexp", lambda dim, keepdim: lambda a: a.logsumexp(dim, keepdim=keepdim), anywhere),
        ("logsumexp-large", lambda dim, keepdim: lambda a: (a * 1e3).logsumexp(dim=dim, keepdim=keepdim), anywhere),
    ]
]
CASES += [
    case("logsumexp-dims", [(2, 3, 4)], lambda a: a.logsumexp((0, -1))),
    case("logsumexp-dims-keepdim", [(2, 3, 4)], lambda a: a.logsumexp((2, 0), keepdim=True)),
]
CASES += [
    case(f"{name}-dim{dim}", [(3, 4, 5)], lambda a, name=name.split("-")[0], dim=dim: getattr(a, name)(dim), recipe=recipe)
    for dim in [0, 1, 2, -1, -3]
    for name, recipe in [("cumsum", anywhere), ("cumprod", anywhere), ("cumprod-zeros", WITH_ZEROS)]
]
for name, tfn, dfn in [("maximum", torch.maximum, dp.maximum), ("minimum", torch.minimum, dp.minimum)]:
    CASES += [
        case(f"{name}-{sa}-{sb}", (sa, sb), tfn, dfn, recipes=(low_fraction, high_fraction))
        for sa, sb in [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (3,))]
    ]
    # Equal operands: both frameworks split the gradient evenly.
    CASES.append(case(f"{name}-ties", [(3,)], lambda a, f=tfn: f(a, a * 1.0), lambda a, f=dfn: f(a, a * 1.0)))

CASES += [
    case("where", [(3, 4), (3, 4)], lambda a, b: torch.where(torch.tensor(CONDITION), a, b),
         lambda a, b: dp.where(CONDITION, a, b)),
    case("where-broadcast", [(4,), (3, 1)], lambda a, b: torch.where(torch.tensor(CONDITION), a, b),
         lambda a, b: dp.where(CONDITION, a, b)),
    case("where-from-comparison", [(3, 4)], lambda a: torch.where(a > 0, a, a * a),
         lambda a: dp.where(a > 0, a, a * a)),
    case("astype", [(3, 4)], lambda a: a.to(torch.float32) * 3.0, lambda a: a.astype(dp.float32) * 3.0),
    case("astype-up", [(3, 4)], lambda a: a.to(torch.float64) ** 2, lambda a: a.astype(dp.float64) ** 2),
]

CASES += [
    case("reshape", [(3, 4)], lambda a: a.reshape(2, 6)),
    case("reshape-infer", [(3, 4)], lambda a: a.reshape(2, -1, 2)),
    case("reshape-tuple", [(3, 4)], lambda a: a.reshape((4, 3))),
    case("view", [(3, 4)], lambda a: a.view(-1)),
    case("permute", [(2, 3, 4)], lambda a: a.permute(2, 0, 1)),
    case("permute-negative", [(2, 3, 4)], lambda a: a.permute(-1, 0, 1)),
    case("T", [(3, 4)], lambda a: a.T),
    case("transpose", [(2, 3, 4)], lambda a: a.transpose(0, 2)),
    case("transpose-negative", [(2, 3, 4)], lambda a: a.transpose(-1, 1)),
    case("flatten", [(2, 3, 4)], lambda a: a.flatten()),
    case("flatten-1", [(2, 3, 4)], lambda a: a.flatten(1)),
    case("flatten-0-1", [(2, 3, 4)], lambda a: a.flatten(0, 1)),
    case("squeeze", [(1, 3, 1, 2)], lambda a: a.squeeze()),
    case("squeeze-axis", [(1, 3, 1, 2)], lambda a: a.squeeze(2)),
    case("unsqueeze", [(3, 4)], lambda a: a.unsqueeze(1)),
    case("unsqueeze-last", [(3, 4)], lambda a: a.unsqueeze(-1)),
]

CASES += [
    case(f"getitem-{name}", [(3, 4)], fn)
    for name, fn in [
        ("int", lambda a: a[1]),
        ("negative", lambda a: a[-1, 2]),
        ("slices", lambda a: a[1:, ::2]),
        ("ellipsis", lambda a: a[..., 1]),
        ("newaxis", lambda a: a[None, 0]),
        ("int-array-repeats", lambda a: a[[0, 2, 0, 0]]),
        ("int-array-pairs", lambda a: a[np.array([0, 1, 1, 0]), np.array([2, 2, 0, 2])]),
        ("int-array-and-slice", lambda a: a[[2, 2], 1:]),
        ("bool-mask", lambda a: a[a > 0]),
    ]
]

CASES += [
    case("concatenate-axis0", [(1, 3), (2, 3), (3, 3)], lambda *t: torch.cat(t, dim=0), lambda *t: dp.concatenate(t, axis=0)),
    case("concatenate-axis-1", [(2, 2, 3), (2, 2, 1)], lambda *t: torch.cat(t, dim=-1), lambda *t: dp.concatenate(t, axis=-1)),
    case("stack-axis0", [(2, 3), (2, 3)], lambda *t: torch.stack(t), lambda *t: dp.stack(t)),
    case("stack-axis1", [(2, 3), (2, 3), (2, 3)], lambda *t: torch.stack(t, dim=1), lambda *t: dp.stack(t, axis=1)),
    case("stack-axis-1", [(2, 3), (2, 3)], lambda *t: torch.stack(t, dim=-1), lambda *t: dp.stack(t, axis=-1)),
]

def ties(rng, shape):
    """Few distinct values (0, 1, 2), so most rows hold equal elements."""
    return rng.integers(0, 3, size=shape).astype(np.float64)


GATHER_ROWS = np.array([[0, 2, 2, 1], [1, 1, 0, 0]])
GATHER_COLS = np.array([[3, 3, 3], [0, 1, 2]])


def pieces_together(pieces):
    """The pieces of a split or chunk (in either framework), scaled by their position and flattened."""
    flat = [piece.reshape(-1) * (i + 1.0) for i, piece in enumerate(pieces)]
    return torch.cat(flat) if isinstance(flat[0], torch.Tensor) else dp.concatenate(flat)


CASES += [
    case("expand", [(3, 1)], lambda a: a.expand(2, 3, 4)),
    case("expand-keep", [(1, 2, 3)], lambda a: a.expand(5, -1, -1)),
    case("expand-tuple", [(3,)], lambda a: a.expand((2, 3))),
    case("expand-0d", [()], lambda a: a.expand(2, 2)),
    case("expand-to-empty", [(1, 3)], lambda a: a.expand(0, 3)),
    case("expand_as", [(1, 3)], lambda a: a.expand_as(torch.zeros(4, 3)), lambda a: a.expand_as(np.zeros((4, 3)))),
    case("repeat", [(3, 2)], lambda a: a.repeat(2, 3)),
    case("repeat-more-sizes", [(3, 2)], lambda a: a.repeat(2, 1, 2)),
    case("repeat-zero", [(3, 2)], lambda a: a.repeat(0, 2)),
    case("repeat-0d", [()], lambda a: a.repeat(3)),
    case("flip", [(3, 4)], lambda a: a.flip(0)),
    case("flip-list", [(2, 3, 4)], lambda a: a.flip([0, -1])),
    case("flip-function", [(2, 3)], lambda a: torch.flip(a, (1,)), lambda a: dp.flip(a, (1,))),
    case("flip-0d", [()], lambda a: a.flip(0)),
    case("split-int", [(5, 3)], lambda a: pieces_together(a.split(2))),
    case("split-int-dim", [(2, 7)], lambda a: pieces_together(a.split(3, dim=-1))),
    case("split-larger-than-dim", [(2, 3)], lambda a: pieces_together(a.split(5))),
    case("split-sections-empty-piece", [(2, 4)], lambda a: pieces_together(a.split([1, 0, 3], dim=1))),
    case("split-function", [(4, 2)], lambda a: pieces_together(torch.split(a, [3, 1])),
         lambda a: pieces_together(dp.split(a, [3, 1]))),
    case("chunk-uneven", [(5, 2)], lambda a: pieces_together(a.chunk(4))),
    case("chunk-fewer", [(2, 6)], lambda a: pieces_together(a.chunk(4, dim=1))),
    case("chunk-more-than-length", [(3,)], lambda a: pieces_together(a.chunk(5))),
    case("chunk-function", [(3, 2)], lambda a: pieces_together(torch.chunk(a, 2, -1)),
         lambda a: pieces_together(dp.chunk(a, 2, -1))),
    case("narrow", [(3, 4)], lambda a: a.narrow(1, 1, 2)),
    case("narrow-negative", [(3, 4)], lambda a: a.narrow(-2, -2, 2)),
    case("narrow-empty", [(3, 4)], lambda a: a.narrow(0, 3, 0)),
    case("gather-repeats", [(3, 4)], lambda a: a.gather(0, torch.tensor(GATHER_ROWS)), lambda a: a.gather(0, GATHER_ROWS)),
    case("gather-cols", [(3, 4)], lambda a: torch.gather(a, -1, torch.tensor(GATHER_COLS[:, :2])),
         lambda a: dp.gather(a, -1, GATHER_COLS[:, :2])),
    case("gather-empty", [(3, 4)], lambda a: a.gather(0, torch.zeros((0, 4), dtype=torch.long)),
         lambda a: a.gather(0, np.zeros((0, 4), dtype=np.int64))),
    case("masked_fill", [(3, 4)], lambda a: a.masked_fill(torch.tensor(CONDITION), -1.5),
         lambda a: a.masked_fill(CONDITION, -1.5)),
    case("masked_fill-broadcast-mask", [(2, 3, 4)], lambda a: a.masked_fill(torch.tensor(CONDITION[:, :1]), 0.0),
         lambda a: a.masked_fill(CONDITION[:, :1], 0.0)),
    case("masked_fill-mask-broadcasts-input", [(4,)], lambda a: a.masked_fill(torch.tensor(CONDITION), 2.0),
         lambda a: a.masked_fill(CONDITION, 2.0)),
    case("masked_fill-tensor-value", [(3, 4), ()], lambda a, v: a.masked_fill(torch.tensor(CONDITION), v),
         lambda a, v: a.masked_fill(dp.tensor(CONDITION), v)),
    case("masked_fill-inf", [(3, 4)], lambda a: a.masked_fill(torch.tensor(CONDITION), float("-inf")).softmax(-1),
         lambda a: a.masked_fill(CONDITION, float("-inf")).softmax(-1)),
    case("amax", [(2, 3, 4)], lambda a: a.amax(1), recipe=distinct),
    case("amax-negative-tuple", [(2, 3, 4)], lambda a: a.amax((-1, 0), keepdim=True), recipe=distinct),
    case("amax-all", [(2, 3, 4)], lambda a: a.amax(), recipe=distinct),
    case("amax-empty-dims", [(2, 3)], lambda a: a.amax(()), recipe=distinct),
    case("amin", [(2, 3, 4)], lambda a: a.amin(dim=2, keepdim=True), recipe=distinct),
    case("amax-ties", [(3, 4)], lambda a: a.amax(1), recipe=ties),
    case("amin-ties-tuple", [(2, 3, 4)], lambda a: a.amin((0, 2)), recipe=ties),
    case("sort", [(3, 4)], lambda a: a.sort().values, recipe=distinct),
    case("sort-dim0-descending", [(3, 4)], lambda a: a.sort(dim=0, descending=True)[0], recipe=distinct),
    case("sort-ties", [(3, 6)], lambda a: a.sort(stable=True).values, lambda a: a.sort().values, recipe=ties),
    case("sort-ties-descending", [(6, 3)], lambda a: a.sort(dim=0, descending=True, stable=True).values,
         lambda a: a.sort(0, descending=True).values, recipe=ties),
    case("sort-0d", [()], lambda a: a.sort().values),
    case("topk", [(3, 5)], lambda a: a.topk(2).values, recipe=distinct),
    case("topk-smallest-dim0", [(4, 3)], lambda a: a.topk(3, dim=0, largest=False)[0], recipe=distinct),
    case("topk-all", [(3, 4)], lambda a: a.topk(4).values, recipe=distinct),
    case("topk-zero", [(3, 4)], lambda a: a.topk(0).values),
    case("tril", [(3, 4)], lambda a: a.tril()),
    case("tril-above", [(3, 4)], lambda a: a.tril(1)),
    case("tril-stack-below", [(2, 4, 3)], lambda a: torch.tril(a, diagonal=-1), lambda a: dp.tril(a, diagonal=-1)),
    case("triu", [(4, 3)], lambda a: a.triu()),
    case("triu-far", [(3, 3)], lambda a: torch.triu(a, 5), lambda a: dp.triu(a, 5)),
    case("view_as", [(3, 4)], lambda a: a.view_as(torch.zeros(2, 6)), lambda a: a.view_as(np.zeros((2, 6)))),
]

# PyTorch's further shape, index and arithmetic methods (ops.layout, ops.scatter, ops.arithmetic)
SCATTER_ROWS = np.array([[2, 0, 1, 1], [0, 2, 2, 0]])  # rows of a (3, 4): scatter_add adds the repeats
SCATTER_ONCE = np.array([[2, 0, 1], [1, 2, 0]])  # each position once, so every write lands
INDEX = np.array([2, 0, 2, 1])
MASK = np.array([[True, False, True, True], [False, False, False, False], [True, True, False, True]])


def _tensor_or_array(values):
    return lambda t: torch.tensor(values) if isinstance(t, torch.Tensor) else values


def away_from_steps(rng, shape):
    """Dividends whose quotients by the divisors of ``divisors`` sit clear of integers."""
    return rng.integers(-4, 4, size=shape) * 1.0 + rng.uniform(0.2, 0.8, size=shape)


def divisors(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(1.0, 1.05, size=shape)


CASES += [
    case("movedim", [(2, 3, 4)], lambda a: a.movedim(0, -1)),
    case("movedim-tuples", [(2, 3, 4, 5)], lambda a: torch.movedim(a, (0, -1), (2, 0)),
         lambda a: dp.movedim(a, (0, -1), (2, 0))),
    case("moveaxis", [(2, 3, 4)], lambda a: a.moveaxis(-1, 1)),
    case("movedim-0d", [()], lambda a: a.movedim(0, -1)),
    case("swapaxes", [(2, 3, 4)], lambda a: a.swapaxes(0, 2)),
    case("swapdims-function", [(2, 3, 4)], lambda a: torch.swapdims(a, -1, 1), lambda a: dp.swapdims(a, -1, 1)),
    case("mT", [(2, 3, 4)], lambda a: a.mT),
    case("mT-matrix-new_tensor", [(3, 4)], lambda a: a.mT * a.new_tensor(np.arange(3.0))),
    case("tile", [(3, 2)], lambda a: a.tile(2, 3)),
    case("tile-fewer-dims", [(2, 3, 2)], lambda a: torch.tile(a, (2,)), lambda a: dp.tile(a, (2,))),
    case("tile-more-dims", [(3,)], lambda a: a.tile((2, 1, 2))),
    case("tile-0d", [()], lambda a: a.tile(3)),
    case("tile-zero", [(3, 2)], lambda a: a.tile(0, 1)),
    case("roll", [(3, 4)], lambda a: a.roll(1, 1)),
    case("roll-flattened", [(3, 4)], lambda a: a.roll(-5)),
    case("roll-dims", [(2, 3, 4)], lambda a: torch.roll(a, (2, -1), (0, -1)), lambda a: dp.roll(a, (2, -1), (0, -1))),
    case("roll-same-dim-twice", [(3, 4)], lambda a: a.roll((1, 2), (1, 1))),
    case("roll-past-length", [(3, 4)], lambda a: a.roll(7, 0)),
    case("roll-0d", [()], lambda a: a.roll(1)),
    case("roll-empty", [(2, 0)], lambda a: a.roll(1, 1)),
    case("select", [(2, 3, 4)], lambda a: a.select(1, -1)),
    case("select-function", [(3, 4)], lambda a: torch.select(a, 0, 2), lambda a: dp.select(a, 0, 2)),
    case("unbind", [(3, 4)], lambda a: pieces_together(a.unbind())),
    case("unbind-dim", [(2, 3, 4)], lambda a: pieces_together(torch.unbind(a, -1)),
         lambda a: pieces_together(dp.unbind(a, -1))),
    case("unflatten", [(2, 6)], lambda a: a.unflatten(1, (2, 3))),
    case("unflatten-infer", [(12, 2)], lambda a: torch.unflatten(a, 0, (-1, 2, 2)), lambda a: dp.unflatten(a, 0, (-1, 2, 2))),
    # (PyTorch's rules for scatter and scatter_add fail for a src larger than the index, and it has none
    # for reduce='add': those are checked by finite differences, tests/test_ops_gradcheck.py)
    case("scatter", [(3, 4), (2, 3)], lambda a, s: a.scatter(0, torch.tensor(SCATTER_ONCE[:, :3]), s),
         lambda a, s: a.scatter(0, SCATTER_ONCE[:, :3], s)),
    case("scatter-dim1", [(3, 4), (3, 2)], lambda a, s: torch.scatter(a, 1, torch.tensor(SCATTER_ONCE.T[:, :2].copy()), s),
         lambda a, s: dp.scatter(a, 1, SCATTER_ONCE.T[:, :2].copy(), s)),
    case("scatter-value", [(3, 4)], lambda a: a.scatter(0, torch.tensor(SCATTER_ONCE), 2.5),
         lambda a: a.scatter(0, SCATTER_ONCE, value=2.5)),
    case("scatter_add", [(3, 4), (2, 4)], lambda a, s: a.scatter_add(0, torch.tensor(SCATTER_ROWS), s),
         lambda a, s: a.scatter_add(0, SCATTER_ROWS, s)),
    case("scatter_add-function", [(3, 4), (2, 4)], lambda a, s: torch.scatter_add(a, 0, torch.tensor(SCATTER_ROWS), s),
         lambda a, s: dp.scatter_add(a, 0, dp.tensor(SCATTER_ROWS), s)),
    case("scatter_add-0d", [(), ()], lambda a, s: a.scatter_add(0, torch.tensor(0), s),
         lambda a, s: a.scatter_add(0, np.array(0), s)),
    case("index_select", [(3, 4)], lambda a: a.index_select(1, torch.tensor(INDEX)), lambda a: a.index_select(1, INDEX)),
    case("index_select-rows", [(3, 4)], lambda a: torch.index_select(a, 0, torch.tensor(INDEX[:3])),
         lambda a: dp.index_select(a, 0, dp.tensor(INDEX[:3]))),
    case("index_select-0d-index", [(3, 4)], lambda a: a.index_select(0, torch.tensor(1)), lambda a: a.index_select(0, np.array(1))),
    case("index_select-empty", [(3, 4)], lambda a: a.index_select(0, torch.zeros(0, dtype=torch.long)),
         lambda a: a.index_select(0, np.zeros(0, np.int64))),
    case("index_add", [(3, 4), (3, 4)], lambda a, s: a.index_add(0, torch.tensor(INDEX_REPEATS), s),
         lambda a, s: a.index_add(0, INDEX_REPEATS, s)),
    case("index_add-alpha-function", [(3, 4), (3, 2)],
         lambda a, s: torch.index_add(a, 1, torch.tensor(INDEX_ONCE), s, alpha=-2.5),
         lambda a, s: dp.index_add(a, 1, dp.tensor(INDEX_ONCE), s, alpha=-2.5)),
    case("index_add-0d-index", [(3, 4), (1, 4)], lambda a, s: a.index_add(0, torch.tensor(1), s),
         lambda a, s: a.index_add(0, np.array(1), s)),
    case("index_add-empty", [(3, 4), (0, 4)], lambda a, s: a.index_add(0, torch.zeros(0, dtype=torch.long), s),
         lambda a, s: a.index_add(0, np.zeros(0, np.int64), s)),
    case("index_copy", [(3, 4), (3, 2)], lambda a, s: a.index_copy(1, torch.tensor(INDEX_ONCE), s),
         lambda a, s: a.index_copy(1, INDEX_ONCE, s)),
    case("index_copy-function", [(3, 4), (2, 4)], lambda a, s: torch.index_copy(a, 0, torch.tensor([2, 0]), s),
         lambda a, s: dp.index_copy(a, 0, dp.tensor([2, 0]), s)),
    case("index_fill", [(3, 4)], lambda a: a.index_fill(1, torch.tensor([0, 2, 2]), -1.5),
         lambda a: a.index_fill(1, np.array([0, 2, 2]), -1.5)),
    case("index_fill-tensor-value", [(4, 2), ()], lambda a, v: torch.index_fill(a, 0, torch.tensor(INDEX_REPEATS), v),
         lambda a, v: dp.index_fill(a, 0, dp.tensor(INDEX_REPEATS), v)),
    case("index_fill-0d-index", [(3, 4)], lambda a: a.index_fill(-1, torch.tensor(3), 2.0),
         lambda a: a.index_fill(-1, np.array(3), 2.0)),
]
# scatter_reduce: PyTorch's rules for each reduction, with and without the input's own values; the
# amax and amin cases put ties among the values (a tie shares the gradient equally), the prod ones zeros
SCATTER_REDUCE_RECIPES = {"sum": anywhere, "mean": anywhere, "prod": with_zeros,
                          "amax": on_kinks(-1.0, 0.5), "amin": on_kinks(-1.0, 0.5)}
CASES += [
    case(f"scatter_reduce-{reduce}-include_self={include_self}", [(3, 4), (2, 4)],
         lambda a, s, reduce=reduce, include_self=include_self: a.scatter_reduce(
             0, _tensor_or_array(SCATTER_ROWS)(a), s, reduce, include_self=include_self), recipe=recipe)
    for reduce, recipe in SCATTER_REDUCE_RECIPES.items() for include_self in (True, False)
] + [
    case(f"scatter_reduce-{reduce}-function-dim1", [(2, 4), (2, 3)],
         lambda a, s, reduce=reduce: torch.scatter_reduce(a, 1, torch.tensor(SCATTER_ROWS[:, :3]), s, reduce),
         lambda a, s, reduce=reduce: dp.scatter_reduce(a, 1, dp.tensor(SCATTER_ROWS[:, :3]), s, reduce), recipe=recipe)
    for reduce, recipe in SCATTER_REDUCE_RECIPES.items()
]
CASES += [
    case("masked_select", [(3, 4)], lambda a: a.masked_select(torch.tensor(MASK)), lambda a: a.masked_select(MASK)),
    case("masked_select-broadcast", [(4,)], lambda a: torch.masked_select(a, torch.tensor(MASK)),
         lambda a: dp.masked_select(a, dp.tensor(MASK))),
    case("masked_select-mask-broadcasts", [(2, 3, 4)], lambda a: a.masked_select(torch.tensor(MASK[0])),
         lambda a: a.masked_select(MASK[0])),
    case("remainder", [(3, 4), (3, 4)], lambda a, b: a % b, recipes=(away_from_steps, divisors)),
    case("remainder-broadcast", [(3, 4), (4,)], lambda a, b: torch.remainder(a, b), lambda a, b: dp.remainder(a, b),
         recipes=(away_from_steps, divisors)),
    case("remainder-scalar", [(3, 4)], lambda a: a % -1.5, recipe=away_from_steps),
    # (PyTorch's rule for number % tensor is missing; number-shaped tensor % tensor has it)
    case("rmod", [(3, 4)], lambda a: torch.full_like(a, 7.25) % a, lambda a: 7.25 % a, recipe=divisors),
    # PyTorch has no rule for //; its div(rounding_mode='floor') is the same quotient, slope zero.
    case("floor_divide", [(3, 4), (4,)], lambda a, b: torch.div(a, b, rounding_mode="floor") + a, lambda a, b: a // b + a,
         recipes=(away_from_steps, divisors)),
    case("div-floor", [(3, 4), (3, 4)], lambda a, b: a.div(b, rounding_mode="floor") * a, recipes=(away_from_steps, divisors)),
    case("div-trunc", [(3, 4), (3, 4)], lambda a, b: torch.div(a, b, rounding_mode="trunc") * b,
         lambda a, b: dp.div(a, b, rounding_mode="trunc") * b, recipes=(away_from_steps, divisors)),
    case("add-alpha", [(3, 4), (4,)], lambda a, b: a.add(b, alpha=-2.5)),
    case("sub-alpha-function", [(3, 4), (3, 1)], lambda a, b: torch.sub(a, b, alpha=3), lambda a, b: dp.sub(a, b, alpha=3)),
    case("add-function", [(3, 4), (3, 4)], lambda a, b: torch.add(a, b), lambda a, b: dp.add(a, b)),
    case("mul-div-methods", [(3, 4), (3, 4)], lambda a, b: a.mul(b).div(b * b + 1)),
    case("maximum-minimum-methods", [(3, 4), (3, 4)], lambda a, b: a.maximum(b) * a.minimum(b),
         recipes=(low_fraction, high_fraction)),
    case("where-method", [(3, 4), (4,)], lambda a, b: a.where(torch.tensor(CONDITION), b),
         lambda a, b: a.where(CONDITION, b)),
    case("sum-dtype", [(3, 4)], lambda a: a.sum(dtype=torch.float64) * a.sum(1, dtype=torch.float32).sum(),
         lambda a: a.sum(dtype=dp.float64) * a.sum(1, dtype=dp.float32).sum()),
    case("mean-dtype", [(3, 4)], lambda a: torch.mean(a, 0, dtype=torch.float64), lambda a: dp.mean(a, 0, dtype=dp.float64)),
    case("cumsum-dtype", [(3, 4)], lambda a: a.cumsum(1, dtype=torch.float64), lambda a: a.cumsum(1, dtype=dp.float64)),
    case("prod-dtype", [(3, 4)], lambda a: a.prod(0, dtype=torch.float64), lambda a: a.prod(0, dtype=dp.float64)),
    case("type_as", [(3, 4), (2,)], lambda a, b: a.type_as(b) * b.sum()),
]

CASES += [
    case(name, [(2, 3, 4)], tfn, dfn, recipe=recipe)
    for name, tfn, dfn, recipe in [
        ("relu", lambda a: a.relu(), None, away_from_zero),
        ("leaky_relu", F.leaky_relu, ops.leaky_relu, away_from_zero),
        ("leaky_relu-0.2", lambda a: F.leaky_relu(a, 0.2), lambda a: a.leaky_relu(0.2), away_from_zero),
        ("sigmoid", lambda a: a.sigmoid(), None, anywhere),
        ("tanh", lambda a: a.tanh(), None, anywhere),
        ("elu", F.elu, ops.elu, away_from_zero),
        ("elu-alpha0.5", lambda a: F.elu(a, alpha=0.5), lambda a: ops.elu(a, alpha=0.5), away_from_zero),
        ("gelu", F.gelu, ops.gelu, anywhere),
        ("gelu-tanh", lambda a: F.gelu(a, approximate="tanh"), lambda a: ops.gelu(a, approximate="tanh"), anywhere),
        ("softmax", lambda a: a.softmax(-1), None, anywhere),
        ("softmax-axis0", lambda a: a.softmax(0), None, anywhere),
        ("softmax-axis1", lambda a: a.softmax(1), None, anywhere),
        ("log_softmax", lambda a: a.log_softmax(-1), None, anywhere),
        ("log_softmax-axis0", lambda a: a.log_softmax(0), None, anywhere),
        ("log_softmax-axis1", lambda a: a.log_softmax(1), None, anywhere),
        ("silu", F.silu, ops.silu, anywhere),
        ("softplus", F.softplus, ops.softplus, anywhere),
        ("softplus-beta2-threshold1", lambda a: F.softplus(a, beta=2.0, threshold=1.0),
         lambda a: ops.softplus(a, beta=2.0, threshold=1.0), away_from(0.5)),
        ("softplus-beta-negative", lambda a: F.softplus(a, beta=-1.5), lambda a: ops.softplus(a, beta=-1.5), anywhere),
        ("mish", F.mish, ops.mish, anywhere),
        ("selu", F.selu, ops.selu, away_from_zero),
        ("celu", F.celu, ops.celu, away_from_zero),
        ("celu-alpha0.5", lambda a: F.celu(a, alpha=0.5), lambda a: ops.celu(a, alpha=0.5), away_from_zero),
        ("hardtanh", F.hardtanh, ops.hardtanh, away_from(-1.0, 1.0)),
        ("hardtanh-bounds", lambda a: F.hardtanh(a, -0.5, 1.5), lambda a: ops.hardtanh(a, -0.5, 1.5),
         away_from(-0.5, 1.5)),
        ("relu6", F.relu6, ops.relu6, away_from(0.0, 6.0, low=-2.0, high=8.0)),
        ("logsigmoid", F.logsigmoid, ops.logsigmoid, anywhere),
        ("softsign", F.softsign, ops.softsign, away_from_zero),
        ("hardswish", F.hardswish, ops.hardswish, away_from(-3.0, 3.0, low=-5.0, high=5.0)),
        ("softmin", lambda a: F.softmin(a, -1), ops.softmin, anywhere),
        ("softmin-axis0", lambda a: F.softmin(a, 0), lambda a: ops.softmin(a, 0), anywhere),
        ("tanhshrink", F.tanhshrink, ops.tanhshrink, anywhere),
        ("threshold", lambda a: F.threshold(a, 0.5, -3.0), lambda a: ops.threshold(a, 0.5, -3.0), away_from(0.5)),
    ]
]
# hardsigmoid: PyTorch's float64 rule multiplies by 1/6 rounded to float32 (0.1666666716...), so it is
# compared with its definition written in PyTorch's operations (and with F.hardsigmoid in float32, at
# its kinks and extremes, in test_torch_activations.py).
CASES += [
    case("hardsigmoid", [(2, 3, 4)], lambda a: (a + 3).clamp(0, 6) / 6, ops.hardsigmoid,
         recipe=away_from(-3.0, 3.0, low=-5.0, high=5.0)),
    case("prelu-one", [(2, 3, 4), (1,)], F.prelu, ops.prelu, recipes=(away_from_zero, positive)),
    case("prelu-channels", [(2, 3, 4), (3,)], F.prelu, ops.prelu, recipes=(away_from_zero, anywhere)),
    case("prelu-channels-4d", [(2, 3, 2, 2), (3,)], F.prelu, ops.prelu, recipes=(away_from_zero, anywhere)),
    case("prelu-0d-weight", [(5, 2), ()], F.prelu, ops.prelu, recipes=(away_from_zero, anywhere)),
    case("softplus-wide", [(40,)], lambda a: F.softplus(a * 15), lambda a: ops.softplus(a * 15)),
    case("mish-wide", [(40,)], lambda a: F.mish(a * 8), lambda a: ops.mish(a * 8)),
    case("logsigmoid-wide", [(40,)], lambda a: F.logsigmoid(a * 20), lambda a: ops.logsigmoid(a * 20)),
]
CASES += [
    case("sigmoid-tails", [(2, 8)], lambda a: (a * 15).sigmoid()),
    case("gelu-wide", [(40,)], lambda a: F.gelu(a * 3), lambda a: ops.gelu(a * 3)),
    case("softmax-large-logits", [(3, 5)], lambda a: (a * 100).softmax(-1)),
    case("log_softmax-large-logits", [(3, 5)], lambda a: (a * 100).log_softmax(-1)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes, torch_fn, dp_fn, recipes", CASES)
def test_op_matches_torch(shapes, torch_fn, dp_fn, recipes, dtype):
    helper_test_op(shapes, torch_fn, dp_fn, dtype=dtype, recipes=recipes)


# -- random compositions ------------------------------------------------------------------------------

# name: (torch implementation, deltaprop implementation); both keep the (3, 4) shape and stay finite.
UNARY = {
    "neg": (lambda a: -a, lambda a: -a),
    "tanh": (torch.tanh, lambda a: a.tanh()),
    "sigmoid": (torch.sigmoid, lambda a: a.sigmoid()),
    "relu": (torch.relu, lambda a: a.relu()),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.1), lambda a: a.leaky_relu(0.1)),
    "gelu": (F.gelu, ops.gelu),
    "elu": (F.elu, ops.elu),
    "silu": (F.silu, ops.silu),
    "softplus": (F.softplus, ops.softplus),
    "mish": (F.mish, ops.mish),
    "selu": (F.selu, ops.selu),
    # an α exact in float32: PyTorch's float64 CELU rule rounds α to float32 (3e-8 off for α = 0.7)
    "celu": (lambda a: F.celu(a, 0.75), lambda a: ops.celu(a, 0.75)),
    "logsigmoid": (F.logsigmoid, ops.logsigmoid),
    "softsign": (F.softsign, ops.softsign),
    "tanhshrink": (F.tanhshrink, ops.tanhshrink),
    "softmin": (lambda a: F.softmin(a, -1), ops.softmin),
    "abs": (torch.abs, lambda a: a.abs()),
    "square": (lambda a: a * a, lambda a: a * a),
    "exp": (lambda a: a.clip(-3, 3).exp(), lambda a: a.clip(-3, 3).exp()),
    "log1p_square": (lambda a: (a * a + 1).log(), lambda a: (a * a + 1).log()),
    "sqrt1p_square": (lambda a: (a * a + 1).sqrt(), lambda a: (a * a + 1).sqrt()),
    "softmax": (lambda a: a.softmax(-1), lambda a: a.softmax(-1)),
    "log_softmax0": (lambda a: a.log_softmax(0), lambda a: a.log_softmax(0)),
    "center": (lambda a: a - a.mean(dim=-1, keepdim=True), lambda a: a - a.mean(axis=-1, keepdims=True)),
    "normalize": (
        lambda a: a / (a.var(dim=0, keepdim=True) + 1).sqrt(),
        lambda a: a / (a.var(axis=0, keepdims=True) + 1).sqrt(),
    ),
    "rowmax": (lambda a: a - a.amax(dim=1, keepdim=True), lambda a: a - a.max(axis=1, keepdims=True)),
    "transpose_roundtrip": (lambda a: a.T.reshape(4, 3).reshape(3, 4), lambda a: a.T.reshape(4, 3).reshape(3, 4)),
    "flip_rows": (lambda a: a[[2, 1, 0]], lambda a: a[[2, 1, 0]]),
    "scale": (lambda a: a * 0.5 + 0.25, lambda a: a * 0.5 + 0.25),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "maximum": (torch.maximum, dp.maximum),
    "minimum": (torch.minimum, dp.minimum),
    "where": (lambda a, b: torch.where(a > b, a, b * 2), lambda a, b: dp.where(a > b, a, b * 2)),
    "pow": (lambda a, b: (a * a + 0.5) ** b.tanh(), lambda a, b: (a * a + 0.5) ** b.tanh()),
    "stack_sum": (lambda a, b: torch.stack([a, b]).sum(dim=0), lambda a, b: dp.stack([a, b]).sum(axis=0)),
    "concat_half": (
        lambda a, b: torch.cat([a[:, :2], b[:, 2:]], dim=1),
        lambda a, b: dp.concatenate([a[:, :2], b[:, 2:]], axis=1),
    ),
}
LEAVES = ["a", "b", "c"]


def random_tree(rng: random.Random, depth: int, root: bool = True):
    """A nested tuple: a leaf name, ("matmul_w", sub), (unary, sub) or (binary, left, right)."""
    if depth == 0 or (not root and rng.random() < 0.2):
        return rng.choice(LEAVES)
    kind = rng.random()
    if kind < 0.1:
        return ("matmul_w", random_tree(rng, depth - 1, root=False))  # x @ W with a (4, 4) weight leaf
    if kind < 0.5:
        return (rng.choice(sorted(UNARY)), random_tree(rng, depth - 1, root=False))
    return (rng.choice(sorted(BINARY)), random_tree(rng, depth - 1, root=False), random_tree(rng, depth - 1, root=False))


def evaluate(tree, leaves: dict, weight, side: int):
    if isinstance(tree, str):
        return leaves[tree]
    name, *children = tree
    args = [evaluate(child, leaves, weight, side) for child in children]
    if name == "matmul_w":
        return args[0] @ weight
    table = UNARY if len(args) == 1 else BINARY
    return table[name][side](*args)


TREES = [random_tree(random.Random(seed), depth=4) for seed in range(50)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", range(len(TREES)), ids=[f"tree{i}" for i in range(len(TREES))])
def test_random_composition_matches_torch(seed, dtype):
    tree = TREES[seed]
    np_dtype, torch_dtype = DTYPES[dtype]
    rng = np.random.default_rng(seed)
    arrays = {name: rng.uniform(-2.0, 2.0, size=(3, 4)).astype(np_dtype) for name in LEAVES}
    w = rng.uniform(-0.5, 0.5, size=(4, 4)).astype(np_dtype)
    torch_leaves = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    dp_leaves = {k: dp.tensor(v, dtype=np_dtype, requires_grad=True) for k, v in arrays.items()}
    torch_w, dp_w = torch.tensor(w, requires_grad=True), dp.tensor(w, dtype=np_dtype, requires_grad=True)
    assert torch_leaves["a"].dtype == torch_dtype

    expected = evaluate(tree, torch_leaves, torch_w, side=0)
    got = evaluate(tree, dp_leaves, dp_w, side=1)
    if not isinstance(got, dp.Tensor) or not got.requires_grad:
        pytest.fail("a tree always reaches at least one leaf")
    tolerance = TOLERANCES[dtype]
    np.testing.assert_allclose(got.data, expected.detach().numpy(), **tolerance)
    direction = rng.standard_normal(got.shape)
    (expected * torch.tensor(direction, dtype=torch_dtype)).sum().backward()
    (got * direction.astype(np_dtype)).sum().backward()
    torch_leaves["W"], dp_leaves["W"] = torch_w, dp_w
    for name in [*LEAVES, "W"]:
        t, d = torch_leaves[name], dp_leaves[name]
        if t.grad is None:  # the leaf does not occur in the tree
            assert d.grad is None, f"leaf {name}: deltaprop has a gradient torch does not"
        else:
            np.testing.assert_allclose(d.grad, t.grad.numpy(), **tolerance, err_msg=f"gradient of {name}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_elu_slope_in_the_negative_tail_is_relatively_accurate(alpha, dtype):
    # α·eˣ for x <= 0: computed as out + α it cancelled (2.6% off at x = −15 in float32, 0 from −18);
    # the slopes there are far below any absolute tolerance, so they are compared relatively.
    xs = np.array([-60.0, -30.0, -18.0, -15.0, -10.0, -1.0, 0.0, 1.0], dtype=dtype)
    ours = dp.tensor(xs, dtype=dtype, requires_grad=True)
    ops.elu(ours, alpha=alpha).sum().backward()
    theirs = torch.tensor(xs, requires_grad=True)
    F.elu(theirs, alpha=alpha).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var"])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reducing_a_0d_tensor_over_its_axis_matches_pytorch(name, axis, keepdims):
    # PyTorch lets dim 0 or -1 name a scalar's only axis; the backward crashed (axis 0) or the
    # forward refused (-1).
    ours = dp.tensor(3.0, dtype=np.float64, requires_grad=True)
    theirs = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    options = {"correction": 0} if name == "var" else {}
    result = getattr(ours, name)(axis, keepdims=keepdims, **options)
    expected = getattr(theirs, name)(axis, keepdim=keepdims, **options)
    if name in ("max", "min"):  # with a dim, both give (values, indices)
        assert int(result.indices.item()) == int(expected.indices.item()) == 0
        result, expected = result.values, expected.values
    result.backward()
    expected.backward()
    assert result.shape == tuple(expected.shape) == ()
    assert result.item() == pytest.approx(expected.item())
    assert float(ours.grad) == pytest.approx(float(theirs.grad))


def test_clip_with_bounds_that_broadcast_the_input_matches_pytorch():
    x = np.array([0.5, 1.5, -1.0])
    low = np.array([[0.0, 0.0, 0.0], [0.6, -2.0, -0.5]])
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    result = ours.clip(low, dp.tensor(1.0, dtype=np.float64))  # array and tensor bounds
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.clamp(theirs, torch.tensor(low), torch.tensor(1.0, dtype=torch.float64))
    g = np.arange(6.0).reshape(2, 3)
    result.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_array_equal(result.data, expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())  # summed back to the input's shape


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_clamp_with_tensor_bounds_on_its_ties_matches_pytorch(dtype):
    """Where the input equals a bound, or the bounds equal or cross each other, the gradient goes
    where PyTorch sends it: the input keeps it on a bound, min gets it only below min and under max,
    max wherever it is selected (above max, or the bounds crossed)."""
    np_dtype, torch_dtype = DTYPES[dtype]
    x = np.array([-1.0, 0.5, 1.0, 2.0, 0.5, 0.0, 3.0, -2.0])
    low = np.array([-1.0, 0.5, 1.0, 3.0, 0.5, 1.0, 2.0, -1.0])
    high = np.array([0.0, 0.5, 1.0, 1.0, 0.5, 0.0, 2.0, 1.0])
    ours = [dp.tensor(v, dtype=np_dtype, requires_grad=True) for v in (x, low, high)]
    theirs = [torch.tensor(v, dtype=torch_dtype, requires_grad=True) for v in (x, low, high)]
    g = np.arange(1.0, 9.0)
    ours[0].clamp(ours[1], ours[2]).backward(g.astype(np_dtype))
    theirs[0].clamp(theirs[1], theirs[2]).backward(torch.tensor(g, dtype=torch_dtype))
    for name, a, b in zip(("input", "min", "max"), ours, theirs):
        assert a.grad.dtype == np_dtype
        np.testing.assert_array_equal(a.grad, b.grad.numpy(), err_msg=f"gradient of {name}")


def test_tensor_iteration_and_integer_powers_fail_clearly():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(dp.tensor(1.0))  # it yielded nothing
    rows = list(dp.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert [row.data.tolist() for row in rows] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError, match="Integers to negative integer powers are not allowed"):
        dp.tensor([2]) ** -1  # it was reported as a broadcasting error
