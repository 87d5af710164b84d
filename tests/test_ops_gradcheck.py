"""Every primitive of deltaprop.ops (linear and the losses aside) against finite differences.

Each case is a function of tensors and the recipe of its inputs. Inputs are built so that no
element sits on a kink (relu and abs at 0, a tie in max or maximum, a clip bound), where the
derivative is a convention and finite differences see the average of two slopes.

A second test runs every rule once more in float32 and checks what it hands back: one gradient per
parent, of the parent's shape and dtype (a rule that silently promotes to float64 doubles the cost
of everything upstream).
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import ops
from deltaprop.engine import topological_order
from op_inputs import (
    CONDITION, CONST, INDEX_ONCE, INDEX_REPEATS, MATMUL_SHAPES, anywhere, away_from, away_from_zero, distinct,
    high_fraction, low_fraction, positive, with_zeros,
)

# -- input recipes: each maps (rng, shape) to a float64 array (the common ones in op_inputs.py) ------


def away_from_half(rng, shape):
    """|x| in [0, 0.4] or [0.6, 1.5]: clear of the clip bounds ±0.5 used below."""
    inner = rng.uniform(-0.4, 0.4, size=shape)
    outer = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.6, 1.5, size=shape)
    return np.where(rng.random(shape) < 0.5, inner, outer)


def case(name, fn, *shapes, recipe=anywhere, recipes=None, eps=1e-6):
    """A gradcheck case: ``fn`` applied to tensors of ``shapes`` drawn with ``recipe`` (or ``recipes``)."""
    return pytest.param(fn, shapes, recipes or (recipe,) * len(shapes), eps, id=name)


def make_inputs(shapes, recipes, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [dp.tensor(recipe(rng, shape), requires_grad=True, dtype=dtype) for shape, recipe in zip(shapes, recipes)]


# -- the cases -------------------------------------------------------------------------------------

BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((2, 1, 3), (4, 1)),
    ((3, 1), (1, 5)),
    ((), (3,)),
    ((2, 3), ()),
    ((), ()),
    ((1,), (2, 3)),
]

BINARY = [
    ("add", lambda a, b: a + b, anywhere, anywhere),
    ("sub", lambda a, b: a - b, anywhere, anywhere),
    ("mul", lambda a, b: a * b, anywhere, anywhere),
    ("div", lambda a, b: a / b, anywhere, away_from_zero),
    ("pow", lambda a, b: a**b, positive, anywhere),
]

CASES = [
    case(f"{name}-{sa}-{sb}", fn, sa, sb, recipes=(ra, rb))
    for name, fn, ra, rb in BINARY
    for sa, sb in BROADCAST_PAIRS
]

# One operand a constant (a Python number or a NumPy array), on either side.
CASES += [
    case("add-scalar", lambda a: a + 2.5, (3, 4)),
    case("radd-scalar", lambda a: 2.5 + a, (3, 4)),
    case("rsub-scalar", lambda a: 1.0 - a, (3, 4)),
    case("rmul-array", lambda a: CONST * a, (3, 4)),
    case("rdiv-scalar", lambda a: 3.0 / a, (3, 4), recipe=away_from_zero),
    case("div-array", lambda a: a / CONST, (2, 4)),
    case("pow-int", lambda a: a**3, (3, 4)),
    case("pow-half", lambda a: a**0.5, (3, 4), recipe=positive),
    case("pow-negative", lambda a: a**-2.0, (3, 4), recipe=away_from_zero),
    case("rpow-scalar", lambda a: 2.0**a, (3, 4)),
    case("rpow-array", lambda a: np.array([0.5, 1.5, 2.0, 3.0]) ** a, (3, 4)),
    case("neg", lambda a: -a, (3, 4)),
    case("neg-0d", lambda a: ops.neg(a), ()),
]

CASES += [case(f"matmul-{sa}-{sb}", lambda a, b: a @ b, sa, sb) for sa, sb in MATMUL_SHAPES]

AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2), ()]
REDUCTIONS = [
    ("sum", lambda a, axis, keepdims: a.sum(axis=axis, keepdims=keepdims), anywhere),
    ("mean", lambda a, axis, keepdims: a.mean(axis=axis, keepdims=keepdims), anywhere),
    ("var", lambda a, axis, keepdims: a.var(axis=axis, keepdims=keepdims), anywhere),
    ("var-c0", lambda a, axis, keepdims: a.var(axis=axis, keepdims=keepdims, correction=0), anywhere),
    ("std", lambda a, axis, keepdims: a.std(axis=axis, keepdims=keepdims), anywhere),
    ("max", lambda a, axis, keepdims: a.max(axis=axis, keepdims=keepdims), distinct),
    ("min", lambda a, axis, keepdims: a.min(axis=axis, keepdims=keepdims), distinct),
]


def reduce_with(fn, axis, keepdims):
    def reduced(a):
        return fn(a, axis, keepdims)

    return reduced


CASES += [
    case(f"{name}-axis{axis}-keepdims{keepdims}", reduce_with(fn, axis, keepdims), (2, 3, 4), recipe=recipe)
    for name, fn, recipe in REDUCTIONS
    for axis in AXES
    if not (name.startswith(("var", "std")) and axis == ())  # one element per group: no variance to take
    for keepdims in (False, True)
]
CASES += [
    case(f"{name}-1d", reduce_with(fn, None, False), (5,), recipe=recipe) for name, fn, recipe in REDUCTIONS
]
CASES += [
    case("sum-0d", lambda a: a.sum(), ()),
    case("mean-0d", lambda a: a.mean(), ()),
    case("max-0d", lambda a: a.max(), ()),
    case("var-correction2", lambda a: a.var(axis=1, correction=2), (2, 5)),
    case("dp.sum", lambda a: dp.sum(a, axis=0), (3, 4)),
    case("dp.mean", lambda a: dp.mean(a, axis=-1, keepdims=True), (3, 4)),
]

CASES += [
    case("exp", lambda a: a.exp(), (3, 4)),
    case("log", lambda a: a.log(), (3, 4), recipe=positive),
    case("sqrt", lambda a: a.sqrt(), (3, 4), recipe=positive),
    case("abs", lambda a: a.abs(), (3, 4), recipe=away_from_zero),
    case("abs-operator", lambda a: abs(a), (2, 3), recipe=away_from_zero),
    case("exp-0d", lambda a: dp.exp(a), ()),
    case("clip-min", lambda a: a.clip(min=-0.5), (4, 5), recipe=away_from_half),
    case("clip-max", lambda a: a.clip(max=0.5), (4, 5), recipe=away_from_half),
    case("clip-both", lambda a: a.clip(-0.5, 0.5), (4, 5), recipe=away_from_half),
    case("clamp", lambda a: a.clamp(-0.5, 0.5), (4, 5), recipe=away_from_half),
    # Tensor bounds get a gradient where they are selected, as in PyTorch; drawn anywhere, the
    # bounds also cross (min > max, where max wins) in about half the places.
    case("clip-tensor-bounds", lambda a, low, high: a.clip(low, high), (3, 4), (3, 4), (4,)),
    case("clip-tensor-min", lambda a, low: a.clip(min=low), (2, 3, 4), (3, 1)),
    case("clamp-tensor-max-broadcasts-input", lambda a, high: dp.clamp(a, max=high), (4,), (3, 4)),
    case("clamp_min-tensor-0d", lambda a, low: a.clamp_min(low), (3, 4), ()),
    case("clamp_max-tensor", lambda a, high: dp.clamp_max(a, high), (3, 4), (3, 4)),
]


def between_steps(rng, shape):
    """An integer plus [0.1, 0.4] or [0.6, 0.9]: clear of the jumps of floor, ceil, trunc and round."""
    return rng.integers(-3, 3, size=shape) + rng.choice([0.1, 0.6], size=shape) + rng.uniform(0.0, 0.3, size=shape)


def with_zeros(rng, shape):
    """About a third of the elements exactly 0: products are linear in each element, so finite
    differences are exact there too (one zero in a slice, two, or none)."""
    return np.where(rng.random(shape) < 0.35, 0.0, anywhere(rng, shape))


CASES += [
    case(name, fn, (3, 4), recipe=recipe)
    for name, fn, recipe in [
        ("log1p", lambda a: a.log1p(), lambda rng, shape: rng.uniform(-0.9, 2.0, size=shape)),
        ("expm1", lambda a: a.expm1(), anywhere),
        ("log2", lambda a: a.log2(), positive),
        ("log10", lambda a: dp.log10(a), positive),
        ("exp2", lambda a: a.exp2(), anywhere),
        ("sin", lambda a: a.sin(), anywhere),
        ("cos", lambda a: dp.cos(a), anywhere),
        ("square", lambda a: a.square(), anywhere),
        ("rsqrt", lambda a: a.rsqrt(), positive),
        ("reciprocal", lambda a: a.reciprocal(), away_from_zero),
        ("sign", lambda a: a.sign() * a, away_from_zero),
        ("floor", lambda a: a.floor() * a, between_steps),
        ("ceil", lambda a: dp.ceil(a) + a, between_steps),
        ("trunc", lambda a: a.trunc(), between_steps),
        ("round", lambda a: a.round() * a, between_steps),
        ("round-decimals1", lambda a: (a * 0.1).round(decimals=1) * a, between_steps),
        ("round-decimals-1", lambda a: (a * 10.0).round(-1) + a, between_steps),
        ("clamp_min", lambda a: a.clamp_min(-0.5), away_from_half),
        ("clamp_max", lambda a: dp.clamp_max(a, 0.5), away_from_half),
    ]
]
CASES += [
    case(f"{name}-axis{axis}-keepdims{keepdims}", reduce_with(fn, axis, keepdims), (2, 3, 4), recipe=recipe)
    for name, fn, recipe in [
        ("prod", lambda a, axis, keepdims: a.prod(axis=axis, keepdims=keepdims), anywhere),
        ("prod-zeros", lambda a, axis, keepdims: a.prod(axis=axis, keepdims=keepdims), with_zeros),
        ("logsumexp", lambda a, axis, keepdims: a.logsumexp(axis=axis, keepdims=keepdims), anywhere),
    ]
    for axis in [None, 0, -1, (0, 2)]
    for keepdims in (False, True)
]
CASES += [
    case("prod-dim", lambda a: a.prod(dim=1, keepdim=True), (3, 4)),
    case("prod-0d", lambda a: a.prod(), ()),
    case("logsumexp-large", lambda a: (a * 300.0).logsumexp(dim=-1), (3, 4)),
    case("logsumexp-0d", lambda a: dp.logsumexp(a, 0), ()),
]
CASES += [
    case(f"{name}-{axis}", lambda a, f=fn, axis=axis: getattr(a, f)(dim=axis) if axis is not None else getattr(a, f)(),
         (2, 3, 4), recipe=recipe)
    for name, fn, recipe in [("cumsum", "cumsum", anywhere), ("cumprod", "cumprod", anywhere),
                             ("cumprod-zeros", "cumprod", with_zeros)]
    for axis in [0, 1, -1, None]
]
CASES += [
    case("cumsum-axis", lambda a: dp.cumsum(a, axis=1), (3, 4)),
    case("cumprod-0d", lambda a: a.cumprod(0), ()),
    case("cumprod-one-zero-first", lambda a: (a * np.array([0.0, 1.0, 1.0, 1.0])).cumprod(-1), (3, 4)),
]


SELECT_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((2, 1, 3), (4, 1)), ((), (3,))]
CASES += [
    case(f"{name}-{sa}-{sb}", fn, sa, sb, recipes=(low_fraction, high_fraction))
    for name, fn in [("maximum", dp.maximum), ("minimum", dp.minimum)]
    for sa, sb in SELECT_SHAPES
]
CASES += [
    # (a constant as a 0-d tensor: maximum and minimum refuse a Python number, as PyTorch's do)
    case("maximum-constant", lambda a: dp.maximum(a, dp.tensor(0.0, dtype=np.float64)), (3, 4), recipe=away_from_zero),
    case("minimum-constant-left", lambda a: dp.minimum(dp.tensor(0.0, dtype=np.float64), a), (3, 4),
         recipe=away_from_zero),
    case("maximum-array", lambda a: ops.maximum(np.full(4, 0.25), a), (3, 4), recipe=high_fraction),
]

CASES += [
    case("where-same", lambda a, b: dp.where(CONDITION, a, b), (3, 4), (3, 4)),
    case("where-broadcast", lambda a, b: dp.where(CONDITION, a, b), (4,), (3, 1)),
    case("where-0d", lambda a, b: dp.where(CONDITION, a, b), (), (3, 4)),
    case("where-condition-broadcast", lambda a, b: dp.where(CONDITION[0], a, b), (3, 4), (2, 3, 4)),
    case("where-tensor-condition", lambda a: dp.where(dp.tensor(CONDITION), a, -a), (3, 4)),
    case("where-scalar-branch", lambda a: dp.where(CONDITION, a, 0.0), (3, 4)),
    # float64 -> float32 -> float64: float32 rounding needs a wider step than the default
    case("astype-float32", lambda a: a.astype(dp.float32) * 3.0, (3, 4), eps=1e-2),
    case("astype-roundtrip", lambda a: a.astype(dp.float32).astype(dp.float64) ** 2, (3, 4), eps=1e-2),
    case("astype-same", lambda a: a.astype(dp.float64) * a, (3, 4)),
    case("double", lambda a: a.double() * 2.0, (2, 2)),
]

CASES += [
    case("reshape", lambda a: a.reshape(2, 6) * np.arange(12.0).reshape(2, 6), (3, 4)),
    case("reshape-tuple", lambda a: a.reshape((4, 3)), (3, 4)),
    case("reshape-infer", lambda a: a.reshape(2, -1, 2), (3, 4)),
    case("reshape-0d", lambda a: a.reshape(1, 1), ()),
    case("view", lambda a: a.view(-1), (3, 4)),
    case("permute", lambda a: a.permute(2, 0, 1), (2, 3, 4)),
    case("permute-tuple", lambda a: a.permute((1, 2, 0)), (2, 3, 4)),
    case("permute-negative", lambda a: a.permute(-1, 0, 1), (2, 3, 4)),
    case("T", lambda a: a.T, (3, 4)),
    case("T-3d", lambda a: a.T, (2, 3, 4)),
    case("transpose-all", lambda a: a.transpose(), (2, 3, 4)),
    case("transpose-0-2", lambda a: a.transpose(0, 2), (2, 3, 4)),
    case("transpose-negative", lambda a: a.transpose(-1, 0), (2, 3, 4)),
    case("flatten", lambda a: a.flatten(), (2, 3, 4)),
    case("flatten-1", lambda a: a.flatten(1), (2, 3, 4)),
    case("flatten-0-1", lambda a: a.flatten(0, 1), (2, 3, 4)),
    case("flatten-0d", lambda a: a.flatten(), ()),
    case("squeeze", lambda a: a.squeeze(), (1, 3, 1, 2)),
    case("squeeze-axis", lambda a: a.squeeze(2), (1, 3, 1, 2)),
    case("squeeze-negative", lambda a: a.squeeze(-2), (1, 3, 1, 2)),
    case("unsqueeze-0", lambda a: a.unsqueeze(0), (3, 4)),
    case("unsqueeze-last", lambda a: a.unsqueeze(-1), (3, 4)),
    case("unsqueeze-middle", lambda a: a.unsqueeze(1), (3, 4)),
]

GETITEM = [
    ("int", lambda a: a[1]),
    ("negative-int", lambda a: a[-1, 2]),
    ("slices", lambda a: a[1:, ::2]),
    ("ellipsis", lambda a: a[..., 1]),
    ("newaxis", lambda a: a[None, 0]),
    ("int-array-repeats", lambda a: a[[0, 2, 0, 0]]),
    ("int-array-pairs", lambda a: a[np.array([0, 1, 1, 0]), np.array([2, 2, 0, 2])]),
    ("int-array-and-slice", lambda a: a[[2, 2], 1:]),
    ("int-array-2d", lambda a: a[np.array([[0, 0], [1, 2]])]),
    ("tensor-index", lambda a: a[dp.tensor([1, 1, 0])]),
    ("bool-mask", lambda a: a[np.array([[True, False, True, False]] * 3)]),
    ("bool-rows", lambda a: a[np.array([True, False, True])]),
    ("bool-tensor-mask", lambda a: a[a > 0]),
]
CASES += [case(f"getitem-{name}", fn, (3, 4)) for name, fn in GETITEM]

CASES += [
    case("concatenate-axis0", lambda a, b, c: dp.concatenate([a, b, c], axis=0), (1, 3), (2, 3), (3, 3)),
    case("concatenate-axis1", lambda a, b: dp.concatenate([a, b], axis=1), (2, 3), (2, 1)),
    case("concatenate-axis-1", lambda a, b: dp.concatenate([a, b], axis=-1), (2, 2, 3), (2, 2, 2)),
    case("concatenate-same-tensor", lambda a: dp.concatenate([a, a * 2.0, a], axis=0), (2, 3)),
    case("concatenate-with-constant", lambda a: dp.concatenate([a, np.ones((1, 3))], axis=0), (2, 3)),
    case("stack-axis0", lambda a, b, c: dp.stack([a, b, c]), (2, 3), (2, 3), (2, 3)),
    case("stack-axis1", lambda a, b: dp.stack([a, b], axis=1), (2, 3), (2, 3)),
    case("stack-axis-1", lambda a, b: dp.stack([a, b], axis=-1), (2, 3), (2, 3)),
    case("stack-axis2", lambda a, b: dp.stack([a, b], axis=2), (2, 3), (2, 3)),
    case("stack-0d", lambda a, b: dp.stack([a, b]), (), ()),
]

GATHER_ROWS = np.array([[0, 2, 2, 1], [1, 1, 0, 0]])  # picks rows of a (3, 4): repeats accumulate
GATHER_COLS = np.array([[3, 3], [0, 1], [2, 3]])  # picks columns, a narrower index than the input


def weighted_pieces(pieces):
    """The pieces of a split, each scaled differently and put back together: every piece counts."""
    return dp.concatenate([piece.flatten() * (i + 1.0) for i, piece in enumerate(pieces)])


CASES += [
    case("expand-ones", lambda a: a.expand(2, 3, 4), (3, 1)),
    case("expand-keep", lambda a: a.expand(5, -1, -1), (1, 2, 3)),
    case("expand-lead", lambda a: a.expand(2, 3) * np.arange(6.0).reshape(2, 3), (3,)),
    case("expand-0d", lambda a: a.expand(2, 2), ()),
    case("expand_as", lambda a: a.expand_as(np.zeros((4, 3))), (1, 3)),
    case("repeat", lambda a: a.repeat(2, 3) * np.arange(36.0).reshape(6, 6), (3, 2)),
    case("repeat-more-sizes", lambda a: a.repeat(2, 1, 2), (3, 2)),
    case("repeat-ones", lambda a: a.repeat(1, 1), (3, 2)),
    case("flip-0", lambda a: a.flip(0) * CONST, (3, 4)),
    case("flip-both", lambda a: dp.flip(a, (0, -1)) * CONST, (3, 4)),
    case("split-int", lambda a: weighted_pieces(a.split(2)), (5, 3)),
    case("split-sections", lambda a: weighted_pieces(dp.split(a, [1, 0, 3], dim=-1)), (2, 4)),
    case("chunk", lambda a: weighted_pieces(a.chunk(4, dim=1)), (2, 5)),
    case("chunk-function", lambda a: weighted_pieces(dp.chunk(a, 2)), (3, 2)),
    case("narrow", lambda a: a.narrow(1, 1, 2), (3, 4)),
    case("narrow-negative-start", lambda a: a.narrow(-2, -2, 2), (3, 4)),
    case("gather-rows", lambda a: a.gather(0, GATHER_ROWS), (3, 4)),
    case("gather-cols", lambda a: dp.gather(a, -1, dp.tensor(GATHER_COLS)), (3, 4)),
    case("masked_fill", lambda a: a.masked_fill(CONDITION, 0.5), (3, 4)),
    case("masked_fill-broadcast", lambda a: a.masked_fill(CONDITION[0], -1.0), (2, 3, 4)),
    case("masked_fill-tensor-value", lambda a, v: a.masked_fill(CONDITION, v), (3, 4), ()),
    case("amax", lambda a: a.amax(1), (2, 3, 4), recipe=distinct),
    case("amax-tuple-keepdim", lambda a: a.amax((0, -1), keepdim=True), (2, 3, 4), recipe=distinct),
    case("amin-all", lambda a: a.amin(), (2, 3, 4), recipe=distinct),
    case("amin-axis", lambda a: a.amin(axis=0, keepdims=True), (2, 3, 4), recipe=distinct),
    case("sort", lambda a: a.sort()[0] * CONST, (3, 4), recipe=distinct),
    case("sort-descending-dim0", lambda a: a.sort(dim=0, descending=True).values, (3, 4), recipe=distinct),
    case("topk", lambda a: a.topk(2)[0], (3, 4), recipe=distinct),
    case("topk-smallest-dim0", lambda a: a.topk(2, dim=0, largest=False).values, (3, 4), recipe=distinct),
    case("tril", lambda a: a.tril(), (3, 4)),
    case("tril-stack-diagonal", lambda a: dp.tril(a, diagonal=-1), (2, 3, 3)),
    case("triu", lambda a: a.triu(1), (4, 3)),
    case("view_as", lambda a: a.view_as(np.zeros((2, 6))), (3, 4)),
]

SCATTER_ROWS = np.array([[2, 0, 1, 1], [0, 2, 2, 0]])  # rows of a (3, 4), with repeats
SCATTER_ONCE = np.array([[2, 0, 1], [1, 2, 0]])  # each row once per column
MASK = CONDITION


def away_from_steps(rng, shape):
    """Dividends whose quotients by ``divisors`` sit clear of integers (floor's steps)."""
    return rng.integers(-4, 4, size=shape) * 1.0 + rng.uniform(0.2, 0.8, size=shape)


def divisors(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(1.0, 1.05, size=shape)


CASES += [
    case("movedim", lambda a: a.movedim((0, 2), (1, 0)), (2, 3, 4)),
    case("moveaxis-function", lambda a: dp.moveaxis(a, -1, 0), (2, 3, 4)),
    case("swapaxes", lambda a: a.swapaxes(0, -1), (2, 3, 4)),
    case("swapdims-0d", lambda a: dp.swapdims(a, 0, -1), ()),
    case("mT", lambda a: a.mT, (2, 3, 4)),
    case("tile", lambda a: a.tile(2, 1, 3), (3, 2)),
    case("tile-fewer", lambda a: dp.tile(a, (2,)), (3, 2)),
    case("roll", lambda a: a.roll(1, 0) * np.arange(12.0).reshape(3, 4), (3, 4)),
    case("roll-flat", lambda a: dp.roll(a, -3) * np.arange(12.0).reshape(3, 4), (3, 4)),
    case("roll-two-dims", lambda a: a.roll((2, -1), (0, 1)), (3, 4)),
    case("select", lambda a: a.select(1, 2), (2, 3, 4)),
    case("select-negative", lambda a: dp.select(a, -1, -4), (2, 3, 4)),
    case("unbind", lambda a: weighted_pieces(a.unbind(1)), (3, 4)),
    case("unbind-function", lambda a: weighted_pieces(dp.unbind(a)), (3, 2)),
    case("unflatten", lambda a: a.unflatten(-1, (2, -1)) * np.arange(12.0).reshape(3, 2, 2), (3, 4)),
    case("scatter", lambda a, s: a.scatter(0, SCATTER_ONCE, s), (3, 4), (2, 3)),
    case("scatter-src-larger", lambda a, s: dp.scatter(a, 0, SCATTER_ONCE[:, :2], s), (3, 4), (3, 4)),
    case("scatter-value", lambda a: a.scatter(1, SCATTER_ONCE.T[:, :1].copy(), value=-1.0), (3, 4)),
    case("scatter-reduce-add", lambda a, s: a.scatter(0, SCATTER_ROWS, s, reduce="add"), (3, 4), (2, 4)),
    case("scatter_add", lambda a, s: a.scatter_add(0, SCATTER_ROWS, s), (3, 4), (2, 4)),
    case("scatter_add-src-larger", lambda a, s: dp.scatter_add(a, 1, SCATTER_ROWS[:, :3], s), (2, 4), (3, 5)),
    case("index_select", lambda a: a.index_select(1, np.array([3, 0, 3])), (3, 4)),
    case("index_select-function", lambda a: dp.index_select(a, 0, dp.tensor([2, 2])), (3, 4)),
    case("masked_select", lambda a: a.masked_select(MASK), (3, 4)),
    case("masked_select-broadcast", lambda a: dp.masked_select(a, MASK), (4,)),
    case("remainder", lambda a, b: a % b, (3, 4), (4,), recipes=(away_from_steps, divisors)),
    case("remainder-function", lambda a, b: dp.remainder(a, b), (3, 4), (3, 4), recipes=(away_from_steps, divisors)),
    case("rmod-scalar", lambda a: 6.5 % a, (3, 4), recipe=divisors),
    case("floor_divide", lambda a, b: a // b * a + b, (3, 4), (3, 4), recipes=(away_from_steps, divisors)),
    case("rfloordiv", lambda a: 7.5 // a + a, (3, 4), recipe=divisors),
    case("div-trunc", lambda a, b: a.div(b, rounding_mode="trunc") * b, (3, 4), (4,), recipes=(away_from_steps, divisors)),
    case("add-alpha", lambda a, b: a.add(b, alpha=2.5), (3, 4), (4,)),
    case("sub-alpha", lambda a, b: dp.sub(a, b, alpha=-3), (3, 4), (3, 1)),
    case("where-method", lambda a, b: a.where(CONDITION, b), (3, 4), (4,)),
    case("index_add", lambda a, s: a.index_add(0, INDEX_REPEATS, s), (3, 4), (3, 4)),
    case("index_add-alpha-function", lambda a, s: dp.index_add(a, 1, INDEX_ONCE, s, alpha=-2.5), (3, 4), (3, 2)),
    case("index_add-0d", lambda a, s: a.index_add(0, np.array([0]), s), (), ()),
    case("index_copy", lambda a, s: a.index_copy(1, INDEX_ONCE, s), (3, 4), (3, 2)),
    case("index_copy-function", lambda a, s: dp.index_copy(a, 0, dp.tensor([1]), s), (3, 4), (1, 4)),
    case("index_fill", lambda a: a.index_fill(1, np.array([0, 2, 2]), -1.5), (3, 4)),
    case("index_fill-tensor-value", lambda a, v: dp.index_fill(a, 0, INDEX_REPEATS, v), (4, 2), ()),
    case("sum-dtype", lambda a: a.sum(1, dtype=dp.float32), (3, 4), eps=1e-2),
    case("mean-dtype", lambda a: dp.mean(a, dtype=dp.float64), (3, 4)),
    case("cumsum-dtype", lambda a: a.cumsum(0, dtype=dp.float64), (3, 4)),
    case("prod-dtype", lambda a: a.prod(dim=1, dtype=dp.float64), (3, 4)),
]

# scatter_reduce: amax and amin on values without ties (the gradient at a tie is shared, a convention
# finite differences cannot see), prod with exact zeros among the values
SCATTER_REDUCE_RECIPES = {"sum": anywhere, "mean": anywhere, "prod": with_zeros, "amax": distinct, "amin": distinct}
CASES += [
    case(f"scatter_reduce-{reduce}-include_self={include_self}",
         lambda a, s, reduce=reduce, include_self=include_self: a.scatter_reduce(0, SCATTER_ROWS, s, reduce,
                                                                                 include_self=include_self),
         (3, 4), (2, 4), recipe=recipe)
    for reduce, recipe in SCATTER_REDUCE_RECIPES.items() for include_self in (True, False)
] + [
    case(f"scatter_reduce-{reduce}-src-larger-function",
         lambda a, s, reduce=reduce: dp.scatter_reduce(a, 1, SCATTER_ROWS[:, :3], s, reduce=reduce, include_self=False),
         (2, 4), (3, 5), recipe=recipe)
    for reduce, recipe in SCATTER_REDUCE_RECIPES.items()
]

ACTIVATIONS = [
    ("relu", lambda a: a.relu(), away_from_zero),
    ("dp.relu", lambda a: dp.relu(a), away_from_zero),
    ("leaky_relu", lambda a: a.leaky_relu(), away_from_zero),
    ("leaky_relu-0.2", lambda a: ops.leaky_relu(a, 0.2), away_from_zero),
    ("sigmoid", lambda a: a.sigmoid(), anywhere),
    ("tanh", lambda a: a.tanh(), anywhere),
    ("elu", lambda a: ops.elu(a), away_from_zero),
    ("elu-alpha0.5", lambda a: ops.elu(a, alpha=0.5), away_from_zero),
    ("gelu", lambda a: ops.gelu(a), anywhere),
    ("gelu-tanh", lambda a: ops.gelu(a, approximate="tanh"), anywhere),
    ("softmax", lambda a: a.softmax(), anywhere),
    ("softmax-axis0", lambda a: a.softmax(axis=0), anywhere),
    ("softmax-axis1", lambda a: dp.softmax(a, axis=1), anywhere),
    ("log_softmax", lambda a: a.log_softmax(), anywhere),
    ("log_softmax-axis0", lambda a: a.log_softmax(axis=0), anywhere),
    ("log_softmax-axis1", lambda a: dp.log_softmax(a, axis=1), anywhere),
    ("silu", ops.silu, anywhere),
    ("softplus", ops.softplus, anywhere),
    ("softplus-beta2-threshold1", lambda a: ops.softplus(a, beta=2.0, threshold=1.0), away_from(0.5)),
    ("softplus-beta-negative", lambda a: ops.softplus(a, beta=-1.5), anywhere),
    ("softplus-past-threshold", ops.softplus, away_from(20.0, low=-30.0, high=30.0)),
    ("mish", ops.mish, anywhere),
    ("mish-wide", ops.mish, lambda rng, shape: rng.uniform(-15.0, 15.0, size=shape)),
    ("selu", ops.selu, away_from_zero),
    ("celu", ops.celu, away_from_zero),
    ("celu-alpha0.5", lambda a: ops.celu(a, alpha=0.5), away_from_zero),
    ("hardtanh", ops.hardtanh, away_from(-1.0, 1.0)),
    ("hardtanh-bounds", lambda a: ops.hardtanh(a, -0.5, 1.5), away_from(-0.5, 1.5)),
    ("relu6", ops.relu6, away_from(0.0, 6.0, low=-2.0, high=8.0)),
    ("logsigmoid", ops.logsigmoid, anywhere),
    ("logsigmoid-wide", ops.logsigmoid, lambda rng, shape: rng.uniform(-40.0, 40.0, size=shape)),
    ("softsign", ops.softsign, away_from_zero),
    ("hardswish", ops.hardswish, away_from(-3.0, 3.0, low=-5.0, high=5.0)),
    ("hardsigmoid", ops.hardsigmoid, away_from(-3.0, 3.0, low=-5.0, high=5.0)),
    ("softmin", ops.softmin, anywhere),
    ("softmin-axis0", lambda a: ops.softmin(a, 0), anywhere),
    ("softmin-dim1", lambda a: ops.softmin(a, dim=1), anywhere),
    ("tanhshrink", ops.tanhshrink, anywhere),
    ("threshold", lambda a: ops.threshold(a, 0.5, -3.0), away_from(0.5)),
]
CASES += [case(name, fn, (2, 3, 4), recipe=recipe) for name, fn, recipe in ACTIVATIONS]
# The activations added with silu on a 0-d input, where NumPy's ufuncs give scalars rather than arrays.
CASES += [case(f"{name}-0d", fn, (), recipe=recipe) for name, fn, recipe in ACTIVATIONS[ACTIVATIONS.index(
    next(a for a in ACTIVATIONS if a[0] == "silu")):] if name != "softmin-dim1"]
CASES += [
    # PReLU's weight is the second input: one value for every element, or one per channel (axis 1).
    case("prelu-one", ops.prelu, (2, 3, 4), (1,), recipes=(away_from_zero, positive)),
    case("prelu-0d", ops.prelu, (5, 2), (), recipes=(away_from_zero, anywhere)),
    case("prelu-channels", ops.prelu, (2, 3, 4), (3,), recipes=(away_from_zero, anywhere)),
    case("prelu-channels-2d", ops.prelu, (4, 3), (3,), recipes=(away_from_zero, anywhere)),
    case("prelu-channels-4d", ops.prelu, (2, 3, 2, 2), (3,), recipes=(away_from_zero, anywhere)),
]
CASES += [
    case("gelu-wide", lambda a: ops.gelu(a), (20,), recipe=lambda rng, shape: rng.uniform(-5.0, 5.0, size=shape)),
    case("sigmoid-tails", lambda a: a.sigmoid(), (6,), recipe=lambda rng, shape: np.linspace(-12.0, 12.0, 6)),
    case("softmax-large", lambda a: (a * 50.0).softmax(), (2, 3)),
]


@pytest.mark.parametrize("fn, shapes, recipes, eps", CASES)
def test_gradcheck(fn, shapes, recipes, eps):
    inputs = make_inputs(shapes, recipes, seed=len(shapes) * 101 + sum(len(s) for s in shapes))
    assert dp.gradcheck(fn, inputs, eps=eps)


@pytest.mark.parametrize("fn, shapes, recipes, eps", CASES)
def test_rules_keep_shape_and_dtype(fn, shapes, recipes, eps):
    """In float32, every rule gives each parent a gradient of that parent's shape and dtype.

    Where an operation promotes (a float32 tensor with a float64 array constant) only the shape is
    checked here; the engine casts the gradient back (tests/test_engine.py).
    """
    inputs = make_inputs(shapes, recipes, seed=5, dtype=np.float32)
    out = fn(*inputs)
    assert out.requires_grad
    nodes = topological_order(out)
    assert nodes, "the function recorded no operation"
    for node in nodes:
        g = np.ones(node.shape, dtype=node.dtype)
        grads = node._backward(g)
        assert len(grads) == len(node._parents), node._op
        for parent, pg in zip(node._parents, grads):
            if pg is None and node._op == "split" and parent._pending is not None:
                # a split's pieces write their gradients into their whole's (engine.fill_pending)
                pg, parent._pending = parent._pending, None
            if not parent.requires_grad:
                assert pg is None, f"{node._op} computed a gradient for an input that needs none"
                continue
            assert np.shape(pg) == parent.shape, f"{node._op}: gradient shape {np.shape(pg)} for input {parent.shape}"
            if node.dtype != parent.dtype and node._op != "astype":
                continue  # mixed dtypes (a float64 array constant) promote; the engine casts back
            assert pg.dtype == parent.dtype, f"{node._op}: gradient dtype {pg.dtype} for input {parent.dtype}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "sa, sb, path",
    [((20, 1), (1, 16), "dot"), ((4, 1), (1, 5), "dot"), ((1, 1), (1, 7), "dot"),
     ((2, 20, 1), (1, 16), "broadcast"), ((20, 1), (3, 1, 16), "broadcast"),
     ((2, 4, 1), (1, 5), "matmul"), ((3, 4), (4, 5), "matmul")],
)
def test_mm_equals_matmul_exactly(sa, sb, path, dtype):
    """ops._core.mm computes outer products by np.dot (2-D) or broadcasting (large stacks): the same
    single product per entry as matmul's."""
    from deltaprop.ops._core import _OUTER_MIN, mm

    # The cases cover each of mm's paths (a changed threshold must move them, not empty one).
    outer = sa[-1] == 1
    expected = "matmul" if not outer else "dot" if len(sa) == len(sb) == 2 else "broadcast" if sa[-2] * sb[-1] >= _OUTER_MIN else "matmul"
    assert expected == path
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    a[0, ...] = -a[0, ...]  # negative products too
    out = mm(a, b)
    np.testing.assert_array_equal(out, a @ b)
    assert out.dtype == (a @ b).dtype and out.shape == (a @ b).shape
    if outer:  # strided operands (a column of a larger array) too
        wide = rng.standard_normal(sa[:-1] + (3,)).astype(dtype)
        np.testing.assert_array_equal(mm(wide[..., 1:2], b), wide[..., 1:2] @ b)


def test_mm_refuses_what_matmul_refuses():
    """An inner dimension of 1 against a mismatched one must not broadcast silently."""
    from deltaprop.ops._core import mm

    with pytest.raises(ValueError):
        mm(np.ones((300, 1)), np.ones((300, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "layout",
    ["small", "c-order", "batch-last", "strided", "larger-again"],
)
def test_relu_equals_numpy_maximum_on_every_path(layout, dtype):
    """relu compares large arrays with a buffer of zeros (NumPy's maximum has no vector loop for a
    scalar): the result, its memory order and its gradient must be those of np.maximum(A, 0)."""
    from deltaprop.ops import activation

    rng = np.random.default_rng(1)
    if layout == "small":
        A = rng.standard_normal((3, 4))
    elif layout == "c-order":
        A = rng.standard_normal((64, 40))
    elif layout == "batch-last":  # a convolution's activations: (N, C, H, W) stored with N innermost
        A = rng.standard_normal((6, 8, 8, 16)).transpose(3, 0, 1, 2)
    elif layout == "strided":  # every other row of a batch
        A = rng.standard_normal((200, 30))[::2]
    else:  # more numbers than any earlier call: the buffer grows
        A = rng.standard_normal((activation._RECTIFY_MIN * 9 + 5,))
    A = A.astype(dtype)
    A.flat[:4] = [np.nan, -0.0, np.inf, -np.inf]
    expected = np.maximum(A, 0)

    x = dp.tensor(A, dtype=dtype, requires_grad=True)
    out = x.relu()
    np.testing.assert_array_equal(out.data, expected)  # NaN where NaN, as np.maximum
    assert out.dtype == dtype
    if layout != "strided":
        assert out.data.strides == A.strides  # the input's memory order, as np.maximum keeps it
    g = rng.standard_normal(A.shape).astype(dtype)
    out.backward(g)
    np.testing.assert_array_equal(x.grad, g * (expected > 0))
    for zeros in activation._zeros.values():
        assert not zeros.flags.writeable and not zeros.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", [0.01, 0.3, 1.0, 0.0, 1.5, -0.2])
def test_leaky_relu_equals_the_selection_on_every_path(slope, dtype):
    """leaky_relu computes max(x, s·x) for slopes in (0, 1] and selects otherwise: both must give
    exactly where(x > 0, x, s·x), and the gradient where(x > 0, g, s·g), infinities included."""
    rng = np.random.default_rng(2)
    A = rng.standard_normal((40, 30)).astype(dtype)
    A.flat[:5] = [np.nan, -0.0, 0.0, np.inf, -np.inf]
    g = rng.standard_normal(A.shape).astype(dtype)
    g.flat[3], g.flat[6], g.flat[7] = np.inf, -np.inf, np.inf  # through x = inf and two ordinary x
    x = dp.tensor(A, dtype=dtype, requires_grad=True)
    with np.errstate(invalid="ignore"):
        out = ops.leaky_relu(x, slope)
        out.backward(g)
        expected, expected_grad = np.where(A > 0, A, A * slope), np.where(A > 0, g, g * slope)
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(x.grad, expected_grad)
    assert out.dtype == dtype and x.grad.dtype == dtype


@pytest.mark.parametrize("dtype, limit", [(np.float32, 110.0), (np.float64, 800.0)])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_sigmoid_is_accurate_in_both_tails(dtype, limit, layout):
    """σ(x) = e^min(x, 0) / (1 + e^−|x|): within 4 ulp of a long-double reference over the whole
    range where σ is a normal number (down to σ(−87) ≈ 1.6e−38 in float32), denormals where the
    true value is one, and 0, 1, NaN at the ends, on both of min(x, 0)'s paths (large arrays
    compare with a buffer of zeros, strided ones with the scalar)."""
    from deltaprop.ops.activation import logistic

    x = np.linspace(-limit, limit, 40_001).astype(dtype)
    if layout == "strided":
        x = np.repeat(x, 2)[::2]
    out = ops.sigmoid(dp.tensor(x, dtype=dtype)).data
    reference = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    assert out.dtype == dtype
    normal = reference > np.finfo(dtype).tiny
    relative = np.abs(out[normal] / reference[normal] - 1)
    assert float(relative.max()) <= 4 * np.finfo(dtype).eps  # about 2 here; NumPy's exp varies by CPU
    assert np.all(out[~normal] <= np.finfo(dtype).tiny)  # the denormal tail, not 1 or NaN
    assert out[0] == 0 and out[-1] == 1
    specials = logistic(np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype))
    np.testing.assert_array_equal(specials, np.array([0.5, 0.5, 1.0, 0.0, np.nan], dtype))
    assert logistic(dtype(0.0)).dtype == dtype  # a 0-d input keeps its dtype


@pytest.mark.parametrize("dtype, limit", [(np.float32, 110.0), (np.float64, 800.0)])
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_in_place_sigmoid_is_accurate_down_to_the_denormals(dtype, limit, layout):
    """logistic_ (the recurrent layers' gates, 1 / (1 + e^−x) in place): within 4 ulp of a
    long-double reference wherever σ is a normal number, the same array back, and where e^−x
    overflows (σ(x) denormal or smaller) 0, without a warning under np.errstate(over="ignore")."""
    import warnings

    from deltaprop.ops.activation import logistic_

    x = np.linspace(-limit, limit, 40_001).astype(dtype)
    if layout == "strided":
        x = np.repeat(x, 2)[::2]
    reference = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("error")
        out = logistic_(x)
    assert out is x and out.dtype == dtype
    normal = reference > np.finfo(dtype).tiny
    relative = np.abs(out[normal] / reference[normal] - 1)
    assert float(relative.max()) <= 4 * np.finfo(dtype).eps
    assert np.all(out[~normal] <= np.finfo(dtype).tiny) and out[0] == 0 and out[-1] == 1
    specials = logistic_(np.array([0.0, -0.0, np.inf, np.nan], dtype))
    np.testing.assert_array_equal(specials, np.array([0.5, 0.5, 1.0, np.nan], dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
@pytest.mark.parametrize("shape", [(40, 30), (64, 48)])  # below and above the zeros buffer's size
def test_elu_equals_the_selection(shape, alpha, dtype):
    """elu computes max(x, 0) + α·expm1(min(x, 0)) and, for α = 1, the gradient as g·e^min(x, 0):
    both exactly where(x > 0, x, α·expm1(x)) and where(x > 0, g, g·α·eˣ), specials included."""
    rng = np.random.default_rng(4)
    A = (rng.standard_normal(shape) * 3).astype(dtype)
    A.flat[:5] = [np.nan, -0.0, 0.0, np.inf, -np.inf]
    g = rng.standard_normal(shape).astype(dtype)
    g.flat[5:7] = [np.inf, -np.inf]
    x = dp.tensor(A, dtype=dtype, requires_grad=True)
    with np.errstate(invalid="ignore"):
        out = ops.elu(x, alpha)
        out.backward(g)
        expected = np.where(A > 0, A, alpha * np.expm1(np.minimum(A, 0)))
        expected_grad = np.where(A > 0, g, g * (alpha * np.exp(np.minimum(A, 0))))
    np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(x.grad, expected_grad)
    assert out.dtype == dtype and x.grad.dtype == dtype


def test_an_infinite_gradient_does_not_become_nan_where_clip_or_maximum_passes_none():
    """sqrt at 0 sends an infinite gradient back; where clip or maximum/minimum pass no gradient
    that must be 0 (PyTorch's answer), not inf · 0 = NaN spreading to every weight before it."""
    from deltaprop import ops

    x = dp.tensor([0.0, -1.0, 4.0], requires_grad=True, dtype=np.float64)
    with np.errstate(divide="ignore"):
        x.clip(0.0, None).sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, 0.0, 0.25])
    y = dp.tensor([-1.0, 4.0], requires_grad=True, dtype=np.float64)
    z = dp.tensor([-3.0, 9.0], requires_grad=True, dtype=np.float64)
    with np.errstate(divide="ignore"):
        zero = dp.tensor(0.0, dtype=np.float64)
        (ops.maximum(y, zero).sqrt().sum() + ops.minimum(z, zero).neg().sqrt().sum()).backward()
    np.testing.assert_array_equal(y.grad, [0.0, 0.25])
    assert z.grad[1] == 0.0 and z.grad[0] == pytest.approx(-1 / (2 * np.sqrt(3)))


def test_an_empty_list_selects_nothing():
    x = dp.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, dtype=np.float64)
    picked = x[[]]
    assert picked.shape == (0, 2)
    picked.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 2)))
