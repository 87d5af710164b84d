"""Properties that hold for every shape: hypothesis draws the shapes, NumPy the values.

Each property is a law of the mathematics (the gradient of a sum is ones; softmax rows sum to 1)
or of broadcasting (an operand's gradient has the operand's shape), so a failure names a bug, not
a tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import deltaprop as dp

SETTINGS = settings(max_examples=40, deadline=None)

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def broadcastable_pairs(draw):
    """Two shapes that broadcast together, each possibly shorter or with 1s where the other is not."""
    a, b = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)).input_shapes
    return a, b


def values(seed, shape, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


@SETTINGS
@given(pair=broadcastable_pairs(), seed=seeds, name=st.sampled_from(sorted(BINARY)))
def test_broadcast_binary_gradients_match_finite_differences(pair, seed, name):
    sa, sb = pair
    a = values(seed, sa, 0.5, 2.0)  # positive: a valid base for pow
    b = values(seed + 1, sb, 0.5, 2.0)  # away from 0: a valid divisor
    inputs = [dp.tensor(a, requires_grad=True, dtype=dp.float64), dp.tensor(b, requires_grad=True, dtype=dp.float64)]
    assert dp.gradcheck(BINARY[name], inputs)


@SETTINGS
@given(pair=broadcastable_pairs(), seed=seeds, name=st.sampled_from(sorted(BINARY)))
def test_broadcast_gradients_have_the_operand_shape(pair, seed, name):
    sa, sb = pair
    a = dp.tensor(values(seed, sa, 0.5, 2.0), requires_grad=True)
    b = dp.tensor(values(seed + 1, sb, 0.5, 2.0), requires_grad=True)
    out = BINARY[name](a, b)
    assert out.shape == np.broadcast_shapes(sa, sb)
    out.sum().backward()
    assert a.grad.shape == sa and b.grad.shape == sb
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


@SETTINGS
@given(pair=broadcastable_pairs())
def test_addition_gradient_counts_broadcast_copies(pair):
    """d(sum(a + b))/da = how many output elements each element of a reached."""
    sa, sb = pair
    a, b = dp.zeros(sa, requires_grad=True), dp.zeros(sb, requires_grad=True)
    (a + b).sum().backward()
    out_size = int(np.prod(np.broadcast_shapes(sa, sb)))
    np.testing.assert_array_equal(a.grad, np.full(sa, out_size // max(int(np.prod(sa)), 1)))
    np.testing.assert_array_equal(b.grad, np.full(sb, out_size // max(int(np.prod(sb)), 1)))


@SETTINGS
@given(shape=shapes)
def test_gradient_of_sum_is_ones(shape):
    x = dp.tensor(np.zeros(shape) + 0.5, requires_grad=True)
    x.sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_array_equal(x.grad, np.ones(shape))


@SETTINGS
@given(shape=shapes, data=st.data())
def test_mean_gradient_is_one_over_count(shape, data):
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    keepdims = data.draw(st.booleans())
    x = dp.tensor(np.ones(shape), requires_grad=True, dtype=dp.float64)
    x.mean(axis=axis, keepdims=keepdims).sum().backward()
    count = np.prod(shape) if axis is None else shape[axis]
    np.testing.assert_allclose(x.grad, np.full(shape, 1.0 / count))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), seed=seeds, data=st.data())
def test_softmax_sums_to_one_and_log_softmax_is_its_log(shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    scale = data.draw(st.sampled_from([1.0, 30.0, 300.0]))  # large logits must not overflow
    x = dp.tensor(values(seed, shape) * scale, dtype=dp.float64)
    s = x.softmax(axis)
    assert np.all(s.data >= 0) and np.all(np.isfinite(s.data))
    np.testing.assert_allclose(s.data.sum(axis=axis), 1.0, rtol=1e-12)
    log_s = x.log_softmax(axis)
    assert np.all(np.isfinite(log_s.data))
    with np.errstate(divide="ignore"):
        finite = s.data > 1e-300  # log of an underflowed probability is -inf; log_softmax stays finite
        np.testing.assert_allclose(log_s.data[finite], np.log(s.data)[finite], rtol=1e-10, atol=1e-12)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), seed=seeds)
def test_softmax_is_shift_invariant_and_its_gradient_sums_to_zero(shape, seed):
    x = dp.tensor(values(seed, shape), requires_grad=True, dtype=dp.float64)
    s = x.softmax(-1)
    np.testing.assert_allclose((x + 7.0).softmax(-1).data, s.data, rtol=1e-12)
    s.backward(np.random.default_rng(seed).standard_normal(shape))
    # softmax is unchanged by adding a constant to a row, so any gradient is orthogonal to ones.
    np.testing.assert_allclose(x.grad.sum(axis=-1), 0.0, atol=1e-12)


@SETTINGS
@given(shape=shapes, seed=seeds)
def test_elementwise_rules_against_closed_forms(shape, seed):
    x0 = values(seed, shape)
    for fn, derivative in [
        (lambda t: t.tanh(), lambda v: 1 - np.tanh(v) ** 2),
        (lambda t: t.sigmoid(), lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2),
        (lambda t: t.exp(), np.exp),
        (lambda t: t * t * t, lambda v: 3 * v * v),
        (lambda t: t.sin(), np.cos),
        (lambda t: t.cos(), lambda v: -np.sin(v)),
        (lambda t: t.expm1(), np.exp),
        (lambda t: t.square(), lambda v: 2 * v),
        (lambda t: (t * t + 1).log1p(), lambda v: 2 * v / (v * v + 2)),
        (lambda t: dp.ops.silu(t), lambda v: (1 + np.exp(-v) + v * np.exp(-v)) / (1 + np.exp(-v)) ** 2),
        (lambda t: dp.ops.softplus(t), lambda v: 1 / (1 + np.exp(-v))),
        (lambda t: dp.ops.logsigmoid(t), lambda v: 1 / (1 + np.exp(v))),
        (lambda t: dp.ops.softsign(t), lambda v: 1 / (1 + np.abs(v)) ** 2),
        (lambda t: dp.ops.tanhshrink(t), lambda v: np.tanh(v) ** 2),
        (lambda t: dp.ops.mish(t), lambda v: np.tanh(np.log1p(np.exp(v)))
         + v / (1 + np.exp(-v)) * (1 - np.tanh(np.log1p(np.exp(v))) ** 2)),
    ]:
        x = dp.tensor(x0, requires_grad=True, dtype=dp.float64)
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad, derivative(x0), rtol=1e-12, atol=1e-14)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=seeds, data=st.data())
def test_shape_ops_only_move_the_gradient(shape, seed, data):
    """reshape, permute, flatten, getitem: the gradient is the seed moved back into place."""
    x0 = values(seed, shape)
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    x = dp.tensor(x0, requires_grad=True, dtype=dp.float64)
    out = x.permute(*axes).flatten().reshape(-1, 1)[::-1]
    seed_grad = np.arange(out.data.size, dtype=np.float64).reshape(out.shape)
    out.backward(seed_grad)
    expected = np.transpose(x0, axes).ravel().reshape(-1, 1)[::-1]
    np.testing.assert_array_equal(out.data, expected)
    # Each input element receives exactly the seed value that sits where it went.
    moved = np.empty(x0.size)
    moved[np.transpose(np.arange(x0.size).reshape(shape), axes).ravel()[::-1]] = seed_grad.ravel()
    np.testing.assert_array_equal(x.grad, moved.reshape(shape))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), seed=seeds, data=st.data())
def test_integer_indexing_accumulates_repeats(shape, seed, data):
    n = shape[0]
    index = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8))
    x = dp.tensor(values(seed, shape), requires_grad=True)
    x[index].sum().backward()
    counts = np.bincount(index, minlength=n).astype(np.float32)
    np.testing.assert_array_equal(x.grad, np.broadcast_to(counts.reshape((n,) + (1,) * (len(shape) - 1)), shape))


@SETTINGS
@given(
    sa=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3),
    inner=st.integers(1, 3),
    cols=st.integers(1, 3),
    b_batch=st.booleans(),
    seed=seeds,
)
def test_matmul_gradients_match_finite_differences(sa, inner, cols, b_batch, seed):
    a_shape = sa[:-1] + (inner,)
    b_shape = (sa[:-2] if b_batch and len(sa) > 2 else ()) + (inner, cols)
    a = dp.tensor(values(seed, a_shape), requires_grad=True, dtype=dp.float64)
    b = dp.tensor(values(seed + 1, b_shape), requires_grad=True, dtype=dp.float64)
    assert dp.gradcheck(lambda a, b: a @ b, [a, b])


@SETTINGS
@given(shape=shapes, seed=seeds, reduction=st.sampled_from(["sum", "mean", "max", "min", "var", "prod", "logsumexp"]), data=st.data())
def test_reduction_gradients_match_finite_differences(shape, seed, reduction, data):
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    keepdims = data.draw(st.booleans())
    size = int(np.prod(shape))
    if reduction == "var" and (size if axis is None else shape[axis]) < 2:
        return  # no variance of a single element
    # Distinct values (a permutation of a grid) so max and min have no ties.
    x0 = (np.random.default_rng(seed).permutation(size) * 0.25).reshape(shape)
    x = dp.tensor(x0, requires_grad=True, dtype=dp.float64)
    assert dp.gradcheck(lambda t: getattr(t, reduction)(axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("op", ["maximum", "minimum"])
@SETTINGS
@given(pair=broadcastable_pairs(), seed=seeds)
def test_select_gradients_partition_the_upstream_gradient(op, pair, seed):
    """maximum/minimum send each output's gradient to exactly one operand (ties excluded)."""
    sa, sb = pair
    a = dp.tensor(values(seed, sa), requires_grad=True, dtype=dp.float64)
    b = dp.tensor(values(seed + 1, sb) + 1e-3, requires_grad=True, dtype=dp.float64)
    out = getattr(dp, op)(a, b)
    out.sum().backward()
    total = np.prod(out.shape)
    assert a.grad.sum() + b.grad.sum() == pytest.approx(total)
    assert set(np.unique(np.concatenate([a.grad.ravel(), b.grad.ravel()]))) <= set(np.arange(total + 1.0))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6), seed=seeds, data=st.data())
def test_split_and_chunk_pieces_put_back_together_are_the_input_and_its_gradient(shape, seed, data):
    """Pieces along a dim (a split size, sections, or chunks) cover it once, in order; the gradient
    of each piece lands where that piece came from."""
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    how = data.draw(st.sampled_from(["size", "sections", "chunks"]))
    x = dp.tensor(values(seed, shape), requires_grad=True, dtype=dp.float64)
    if how == "size":
        pieces = x.split(data.draw(st.integers(1 if n else 0, max(n, 1) + 1)), dim)
    elif how == "sections":
        cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))
        pieces = dp.split(x, np.diff([0, *cuts, n]).tolist(), dim)
    else:
        pieces = x.chunk(data.draw(st.integers(1, 8)), dim)
    together = dp.concatenate(pieces, axis=dim)
    np.testing.assert_array_equal(together.data, x.data)
    together.backward(np.arange(together.data.size, dtype=np.float64).reshape(shape))
    np.testing.assert_array_equal(x.grad, np.arange(x.data.size, dtype=np.float64).reshape(shape))


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), data=st.data())
def test_repeat_and_expand_gradients_count_the_copies(shape, data):
    """Each element of the input appears prod(repeats) times in repeat's output; in expand's, once per
    element of the dims it was stretched along. The gradient of a sum counts those copies."""
    reps = data.draw(st.lists(st.integers(0, 3), min_size=len(shape), max_size=len(shape) + 2))
    x = dp.tensor(np.ones(shape), requires_grad=True, dtype=dp.float64)
    x.repeat(*reps).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(shape, float(np.prod(reps))))
    ones = dp.tensor(np.ones((1,) * len(shape)), requires_grad=True, dtype=dp.float64)
    target = tuple(reps)
    ones.expand(*target).sum().backward()
    assert ones.grad.shape == (1,) * len(shape)
    np.testing.assert_array_equal(ones.grad, np.full(ones.shape, float(np.prod(reps))))
