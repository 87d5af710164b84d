"""PyTorch's further shape, indexing and layout functions (tensor_split, hsplit, take, put,
diag_embed, the *_scatter functions, block_diag, combinations, vander, index_reduce, aminmax,
nanmedian, unique_consecutive, ...) against PyTorch 2.13: values, dtypes and gradients in float64 and
float32 (through test_torch_more_functions.compare), the integer results, and the arguments both
refuse, ours in one sentence."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, DataError, DeltapropError, ShapeError
from op_inputs import distinct

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")
from test_torch_more_functions import compare  # noqa: E402


def L(t):
    """The library ``t`` belongs to: PyTorch for its tensors, deltaprop for ours."""
    return torch if isinstance(t, torch.Tensor) else dp


def index(t, values):
    """An int64 index of ``t``'s library."""
    return L(t).tensor(np.array(values, dtype=np.int64))


def mask(t, values):
    return L(t).tensor(np.array(values, dtype=bool))


def case(name, shapes, fn, dp_fn=None, recipe=None):
    return pytest.param(shapes, fn, dp_fn, None if recipe is None else [recipe] * len(shapes), id=name)


def powers(x, n, increasing=False):
    """The Vandermonde matrix by powers, the reference for vander's gradient (PyTorch 2.13's vander
    fails in its backward: its cumprod is changed in place)."""
    columns = [x ** k for k in range(n)]
    return torch.stack(columns if increasing else columns[::-1], 1)


CASES = [
    case("tensor_split sections", [(2, 7)], lambda x: L(x).tensor_split(x, 3, dim=1)),
    case("tensor_split more sections than elements", [(3, 2)], lambda x: x.tensor_split(5)),
    case("tensor_split indices", [(8, 2)], lambda x: L(x).tensor_split(x, [1, 5])),
    case("tensor_split indices out of order and past the end", [(10,)], lambda x: x.tensor_split([3, 1, 12])),
    case("tensor_split negative indices", [(10,)], lambda x: x.tensor_split((-3, 8))),
    case("tensor_split a tensor of sections", [(2, 6)], lambda x: x.tensor_split(index(x, 4), dim=-1)),
    case("tensor_split a tensor of indices", [(6, 2)], lambda x: x.tensor_split(index(x, [2, 2, 4]))),
    case("tensor_split sections=", [(5, 2)], lambda x: x.tensor_split(sections=2)),
    case("tensor_split indices=", [(5, 2)], lambda x: L(x).tensor_split(x, indices=[3], dim=0)),
    case("hsplit", [(2, 6, 2)], lambda x: L(x).hsplit(x, 3)),
    case("hsplit a vector at indices", [(6,)], lambda x: x.hsplit([2, 3])),
    case("vsplit", [(4, 3)], lambda x: L(x).vsplit(x, 2)),
    case("dsplit at indices", [(2, 2, 6)], lambda x: x.dsplit([1, 4])),
    case("split_with_sizes", [(5, 3)], lambda x: x.split_with_sizes([2, 0, 3])),
    case("split_with_sizes dim", [(2, 5)], lambda x: L(x).split_with_sizes(x, (4, 1), dim=-1)),
    case("fliplr", [(3, 4, 2)], lambda x: L(x).fliplr(x)),
    case("flipud", [(3,)], lambda x: x.flipud()),
    case("msort", [(4, 3)], lambda x: L(x).msort(x), recipe=distinct),
    case("atleast_1d of a 0-d tensor", [()], lambda x: L(x).atleast_1d(x)),
    case("atleast_2d of a vector", [(3,)], lambda x: L(x).atleast_2d(x)),
    case("atleast_3d of a vector and a matrix", [(3,), (2, 3)], lambda x, y: L(x).atleast_3d(x, y)),
    case("atleast_3d of a list", [(), (2, 3, 1, 2)], lambda x, y: L(x).atleast_3d([x, y])),
    case("row_stack", [(3,), (2, 3)], lambda x, y: L(x).row_stack((x, y))),
    case("take", [(2, 3)], lambda x: L(x).take(x, index(x, [[0, 5], [-1, 2], [2, 2]]))),
    case("put", [(2, 3), (3,)], lambda x, s: x.put(index(x, [0, 5, -2]), s)),
    case("put accumulate repeated", [(2, 3), (2, 2)], lambda x, s: L(x).put(x, index(x, [[0, 5], [0, 0]]), s, True)),
    case("diagflat", [(2, 2)], lambda x: L(x).diagflat(x, 1)),
    case("diagflat below", [(3,)], lambda x: x.diagflat(-2)),
    case("diag_embed", [(2, 3)], lambda x: L(x).diag_embed(x)),
    case("diag_embed offset and dims", [(2, 3)], lambda x: x.diag_embed(1, 0, 2)),
    case("diag_embed dims reversed", [(2, 3)], lambda x: L(x).diag_embed(x, -1, 2, 0)),
    case("diag_embed of a vector", [(3,)], lambda x: x.diag_embed(dim1=-1, dim2=0)),
    case("diagonal_scatter", [(3, 4), (3,)], lambda x, s: L(x).diagonal_scatter(x, s)),
    case("diagonal_scatter offset", [(3, 4), (3,)], lambda x, s: x.diagonal_scatter(s, 1)),
    case("diagonal_scatter 3-d", [(2, 3, 4), (3, 2)], lambda x, s: L(x).diagonal_scatter(x, s, 0, 0, 2)),
    case("diagonal_scatter dims reversed", [(2, 3, 4), (2, 3)], lambda x, s: x.diagonal_scatter(s, -1, 2, 1)),
    case("select_scatter", [(3, 4), (4,)], lambda x, s: L(x).select_scatter(x, s, 0, 1)),
    case("select_scatter last", [(3, 4), (3,)], lambda x, s: x.select_scatter(s, 1, -1)),
    case("slice_scatter step", [(4, 5), (4, 2)], lambda x, s: L(x).slice_scatter(x, s, 1, 1, 5, 2)),
    case("slice_scatter negative start", [(4, 5), (1, 5)], lambda x, s: x.slice_scatter(s, start=-1)),
    case("slice_scatter all", [(4, 5), (4, 5)], lambda x, s: L(x).slice_scatter(x, s)),
    case("block_diag", [(2, 3), (), (2,)], lambda a, b, c: L(a).block_diag(a, b, c)),
    case("block_diag one", [(2, 2)], lambda a: L(a).block_diag(a)),
    case("cartesian_prod", [(3,), (2,)], lambda a, b: L(a).cartesian_prod(a, b)),
    case("cartesian_prod of three", [(2,), (2,), (3,)], lambda a, b, c: L(a).cartesian_prod(a, b, c)),
    case("combinations", [(4,)], lambda x: L(x).combinations(x)),
    case("combinations with replacement", [(3,)], lambda x: L(x).combinations(x, 3, with_replacement=True)),
    case("combinations of one", [(3,)], lambda x: L(x).combinations(x, r=1)),
    case("vander", [(3,)], lambda x: powers(x, 3), lambda x: dp.vander(x)),
    case("vander N increasing", [(4,)], lambda x: powers(x, 5, increasing=True), lambda x: dp.vander(x, 5, True)),
    case("aminmax", [(3, 4)], lambda x: L(x).aminmax(x), recipe=distinct),
    case("aminmax dim keepdim", [(3, 4)], lambda x: x.aminmax(dim=1, keepdim=True), recipe=distinct),
    case("aminmax keepdim of all", [(3, 4)], lambda x: L(x).aminmax(x, keepdim=True), recipe=distinct),
    case("nanmedian", [(3, 4)], lambda x: L(x).nanmedian(x), recipe=distinct),
    case("nanmedian dim", [(4, 3)], lambda x: x.nanmedian(0), recipe=distinct),
    case("nanmedian dim keepdim with NaNs", [(3, 4)], lambda x: L(x).where(
        mask(x, [[True, False, True, True], [False, False, False, True], [True, True, True, True]]), x,
        float("nan")).nanmedian(1, keepdim=True), recipe=distinct),
    case("nanmedian with NaNs", [(2, 3)], lambda x: L(x).where(mask(x, [[True, False, True], [True, False, False]]),
                                                                x, float("nan")).nanmedian(), recipe=distinct),
    case("sum_to_size", [(2, 3, 4)], lambda x: x.sum_to_size(3, 1)),
    case("sum_to_size of a tuple", [(2, 3, 4)], lambda x: x.sum_to_size((1, 1, 4))),
]
CASES += [
    case(f"index_reduce {how}{'' if include_self else ' exclude self'}", [(4, 2), (4, 2)],
         lambda x, s, how=how, include_self=include_self: x.index_reduce(0, index(x, [0, 2, 0, 1]), s, how,
                                                                         include_self=include_self),
         recipe=distinct)
    for how in ("prod", "mean", "amax", "amin") for include_self in (True, False)
]


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes, torch_fn, dp_fn, recipes", CASES)
def test_values_dtypes_and_gradients_match_pytorch(shapes, torch_fn, dp_fn, recipes, dtype):
    compare(shapes, torch_fn, dp_fn, dtype=dtype, recipes=recipes)


@pytest.mark.parametrize("values, dtype", [([1.0, 2.0, 3.0], np.float32), ([1.5, -2.0], np.float64),
                                          ([2, 3, -1], np.int32), ([2, 3], np.int64), ([True, False], np.bool_),
                                          ([], np.float32)])
@pytest.mark.parametrize("options", [{}, {"N": 2, "increasing": True}, {"N": 0}, {"N": 4}])
def test_vander_values_and_dtypes_are_pytorchs(values, dtype, options):
    array = np.array(values, dtype=dtype)
    ours, theirs = dp.vander(dp.tensor(array, dtype=dtype), **options), torch.vander(torch.from_numpy(array), **options)
    assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_a_vander_gradient_at_zero_is_exact():
    x = dp.tensor([0.0, 2.0], dtype=dp.float64, requires_grad=True)
    dp.vander(x, 4).sum().backward()  # d/dx (x³ + x² + x + 1) = 3x² + 2x + 1
    np.testing.assert_array_equal(x.grad, [1.0, 17.0])


@pytest.mark.parametrize("values", [[1, 1, 2, 2, 3, 1, 1, 2], [[1, 1, 2], [1, 1, 2], [2, 2, 3], [1, 1, 2]],
                                    [np.nan, np.nan, 1.0, 1.0], 5, [], [[1.0, np.nan], [1.0, np.nan]]])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_unique_consecutive_is_pytorchs(values, dim):
    array = np.array(values)
    if dim is not None and array.ndim == 0:
        return
    ours = dp.unique_consecutive(dp.from_numpy(array), return_inverse=True, return_counts=True, dim=dim)
    theirs = torch.unique_consecutive(torch.from_numpy(array), return_inverse=True, return_counts=True, dim=dim)
    for o, t in zip(ours, theirs):
        assert o.shape == tuple(t.shape) and o.dtype.name == str(t.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(o.data, t.numpy())
    alone = dp.from_numpy(array).unique_consecutive(dim=dim)
    np.testing.assert_array_equal(alone.data, torch.from_numpy(array).unique_consecutive(dim=dim).numpy())


def test_the_integer_results_are_pytorchs():
    x, t = dp.tensor(np.arange(12).reshape(3, 4)), torch.arange(12).reshape(3, 4)
    pairs = [
        (x.take(dp.tensor([0, -1])), t.take(torch.tensor([0, -1]))),
        (dp.aminmax(x, dim=0).max, torch.aminmax(t, dim=0).max),
        (dp.aminmax(dp.tensor([True, False])).min, torch.aminmax(torch.tensor([True, False])).min),
        (x.nanmedian(1).indices, t.nanmedian(1).indices),
        (x.nanmedian(1).values, t.nanmedian(1).values),
        (dp.block_diag(dp.tensor([1]), dp.tensor([[2.5]], dtype=dp.float64)),
         torch.block_diag(torch.tensor([1]), torch.tensor([[2.5]], dtype=torch.float64))),
        (dp.block_diag(dp.zeros((0, 2)), dp.zeros((2, 0)), dp.tensor([])),
         torch.block_diag(torch.zeros(0, 2), torch.zeros(2, 0), torch.tensor([]))),
        (dp.block_diag(), torch.block_diag()),
        (dp.combinations(dp.tensor([1, 2, 3])), torch.combinations(torch.tensor([1, 2, 3]))),
        (dp.combinations(dp.tensor([1.0, 2.0]), 0), torch.combinations(torch.tensor([1.0, 2.0]), 0)),
        (dp.combinations(dp.tensor([1.0, 2.0]), 3), torch.combinations(torch.tensor([1.0, 2.0]), 3)),
        (dp.combinations(dp.tensor([], dtype=dp.float32), with_replacement=True),
         torch.combinations(torch.tensor([]), with_replacement=True)),
        (dp.cartesian_prod(dp.tensor([1, 2]), dp.tensor([3])), torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3]))),
        (x.index_reduce(0, dp.tensor([0, 0]), x[:2] - 7, "mean"), t.index_reduce(0, torch.tensor([0, 0]), t[:2] - 7, "mean")),
        (x.index_reduce(1, dp.tensor([3, 1], dtype=dp.int32), x[:, :2], "prod", include_self=False),
         t.index_reduce(1, torch.tensor([3, 1], dtype=torch.int32), t[:, :2], "prod", include_self=False)),
        (x.put(dp.tensor([1, 1]), dp.tensor([5, 6]), accumulate=True), t.put(torch.tensor([1, 1]), torch.tensor([5, 6]),
                                                                            accumulate=True)),
        (x.diag_embed(), t.diag_embed()), (x.diagflat(), t.diagflat()), (x.msort(), t.msort()),
        (x.fliplr(), t.fliplr()), (x.sum_to_size(1, 4), t.sum_to_size(1, 4)),
        (dp.diagonal_scatter(x, dp.tensor([9.7, 8.2, 7.1], dtype=dp.float64)),
         torch.diagonal_scatter(t, torch.tensor([9.7, 8.2, 7.1], dtype=torch.float64))),
    ]
    for ours, theirs in pairs:
        assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.data, theirs.numpy())


# (what is wrong, the call on a (3, 4) float tensor of either library, deltaprop's error class, words of its message)
BAD = [
    ("tensor_split: no sections", lambda t: t.tensor_split(0), ConfigError, "positive integer, got 0"),
    ("tensor_split: negative sections", lambda t: L(t).tensor_split(t, -1), ConfigError, "positive integer"),
    ("tensor_split: a float", lambda t: t.tensor_split(2.0), TypeError, "indices_or_sections must be an integer"),
    ("tensor_split: a 0-d tensor", lambda t: t.sum().tensor_split(2), ShapeError, "0-d tensor"),
    ("tensor_split: a 2-d tensor of indices", lambda t: t.tensor_split(index(t, [[1]])), ShapeError, "0-d (sections)"),
    ("tensor_split: a float tensor of indices", lambda t: t.tensor_split(t[0]), DataError, "int64"),
    ("tensor_split: dim out of range", lambda t: t.tensor_split(2, dim=2), ShapeError, "tensor_split: axis 2"),
    ("hsplit: sections do not divide", lambda t: L(t).hsplit(t, 3), ShapeError, "cannot be split into 3 equal"),
    ("hsplit: a 0-d tensor", lambda t: t.sum().hsplit(1), ShapeError, "at least 1 dimension"),
    ("vsplit: a vector", lambda t: t[0].vsplit(2), ShapeError, "at least 2 dimensions"),
    ("dsplit: a matrix", lambda t: L(t).dsplit(t, 2), ShapeError, "at least 3 dimensions"),
    ("hsplit: no sections", lambda t: t.hsplit(0), ConfigError, "positive integer"),
    ("split_with_sizes: do not add up", lambda t: t.split_with_sizes([1, 1]), ShapeError, "add up to 2"),
    ("split_with_sizes: negative", lambda t: t.split_with_sizes([4, -1]), ConfigError, "non-negative"),
    ("split_with_sizes: an int", lambda t: t.split_with_sizes(2), TypeError, "sequence of integers"),
    ("fliplr: a vector", lambda t: L(t).fliplr(t[0]), ShapeError, "at least 2 dimensions"),
    ("flipud: a 0-d tensor", lambda t: t.sum().flipud(), ShapeError, "at least 1 dimension"),
    ("take: out of range", lambda t: t.take(index(t, [12])), IndexError, "position 12 is outside [-12, 12)"),
    ("take: below the start", lambda t: L(t).take(t, index(t, [-13])), IndexError, "position -13"),
    ("take: a float index", lambda t: t.take(t[0]), DataError, "int64"),
    ("take: an int32 index", lambda t: t.take(index(t, [0]).int()), DataError, "int64"),
    ("put: counts differ", lambda t: t.put(index(t, [0, 1]), t[0, :1].clone()), ShapeError, "1 elements and index 2"),
    ("put: out of range", lambda t: t.put(index(t, [12]), t[0, :1].clone()), IndexError, "position 12"),
    ("put: source of another dtype", lambda t: t.put(index(t, [1]), t[0, :1].int()), DataError, "dtype int32"),
    ("put: a number", lambda t: t.put(index(t, [1]), 1.0), TypeError, "source must be a tensor"),
    ("put: an int32 index", lambda t: t.put(index(t, [1]).int(), t[0, :1].clone()), DataError, "int64"),
    ("diag_embed: same dims", lambda t: t.diag_embed(0, 1, 1), ShapeError, "name the same dimension"),
    ("diag_embed: dim out of range", lambda t: L(t).diag_embed(t, 0, 3, 0), ShapeError, "axis 3 is out of range"),
    ("diag_embed: a 0-d tensor", lambda t: t.sum().diag_embed(), ShapeError, "at least one dimension"),
    ("diag_embed: a float offset", lambda t: t.diag_embed(1.5), TypeError, "offset must be an integer"),
    ("diagonal_scatter: src too long", lambda t: L(t).diagonal_scatter(t, t[0]), ShapeError, "src must have the shape (3,)"),
    ("diagonal_scatter: same dims", lambda t: t.diagonal_scatter(t[0, :3], 0, 0, 0), ShapeError, "same dimension"),
    ("diagonal_scatter: a vector", lambda t: t[0].diagonal_scatter(t[0], 0, 0, 0), ShapeError, "at least 2"),
    ("select_scatter: src of the wrong shape", lambda t: L(t).select_scatter(t, t[:, 0], 0, 0), ShapeError,
     "src must have the shape (4,)"),
    ("select_scatter: index out of range", lambda t: t.select_scatter(t[0], 0, 3), IndexError, "index 3 is out of range"),
    ("select_scatter: dim out of range", lambda t: t.select_scatter(t[0], 2, 0), ShapeError, "axis 2"),
    ("select_scatter: a 0-d tensor", lambda t: t.sum().select_scatter(t.sum(), 0, 0), ShapeError, "0-d"),
    ("slice_scatter: src of the wrong shape", lambda t: t.slice_scatter(t[:, :3], 1, 1, 3), ShapeError,
     "shape (3, 2)"),
    ("slice_scatter: step 0", lambda t: L(t).slice_scatter(t, t[:, :2], 1, 0, 4, 0), ShapeError, "step must be a positive"),
    ("slice_scatter: negative step", lambda t: t.slice_scatter(t[:, :2], 1, 0, 4, -1), ShapeError, "positive"),
    ("slice_scatter: end before start", lambda t: t.slice_scatter(t[:, :2], 1, 3, 1), ShapeError, "shape (3, 0)"),
    ("block_diag: 3-d", lambda t: L(t).block_diag(t, t.reshape(1, 3, 4)), ShapeError, "at most 2 dimensions"),
    ("cartesian_prod: a matrix", lambda t: L(t).cartesian_prod(t), ShapeError, "expects vectors"),
    ("cartesian_prod: a 0-d tensor", lambda t: L(t).cartesian_prod(t.sum(), t[0]), ShapeError, "position 0"),
    ("cartesian_prod: nothing", lambda t: L(t).cartesian_prod(), ValueError, "at least one vector"),
    ("combinations: a matrix", lambda t: L(t).combinations(t), ShapeError, "expects vectors"),
    ("combinations: negative r", lambda t: L(t).combinations(t[0], -1), ConfigError, "non-negative integer, got -1"),
    ("vander: a matrix", lambda t: L(t).vander(t), ShapeError, "expects vectors"),
    ("vander: negative N", lambda t: L(t).vander(t[0], -1), ConfigError, "non-negative, got -1"),
    ("vander: a float N", lambda t: L(t).vander(t[0], 2.0), TypeError, "N must be an integer"),
    ("aminmax: empty", lambda t: L(t).aminmax(t[:0]), ShapeError, "is empty"),
    ("aminmax: an empty dim", lambda t: t[:0].aminmax(dim=0), ShapeError, "dimension 0 of length 0"),
    ("aminmax: a tuple of dims", lambda t: t.aminmax(dim=(0, 1)), TypeError, "dim must be an integer"),
    ("aminmax: dim out of range", lambda t: t.aminmax(dim=2), ShapeError, "axis 2"),
    ("nanmedian: an empty dim", lambda t: t[:0].nanmedian(0), ShapeError, "is empty"),
    ("nanmedian: dim out of range", lambda t: t.nanmedian(2), ShapeError, "axis 2"),
    ("sum_to_size: does not broadcast", lambda t: t.sum_to_size(4, 1), ShapeError,
     "does not broadcast"),
    ("sum_to_size: too many dims", lambda t: t.sum_to_size(1, 1, 4), ShapeError, "does not broadcast"),
    ("index_reduce: sum", lambda t: t.index_reduce(0, index(t, [0]), t[:1].clone(), "sum"), ConfigError,
     "'prod', 'mean', 'amax' or 'amin', got 'sum'"),
    ("index_reduce: out of range", lambda t: t.index_reduce(0, index(t, [3]), t[:1].clone(), "prod"), DataError,
     "index_reduce: index 3 is outside [0, 3)"),
    ("index_reduce: negative index", lambda t: t.index_reduce(0, index(t, [-1]), t[:1].clone(), "prod"), DataError,
     "index -1"),
    ("index_reduce: counts differ", lambda t: t.index_reduce(0, index(t, [0, 1]), t[:1].clone(), "mean"), ShapeError,
     "source must have shape (2, 4)"),
    ("index_reduce: source of another dtype", lambda t: t.index_reduce(0, index(t, [0]), t[:1].int(), "amax"),
     DataError, "dtype int32"),
    ("index_reduce: 2-d index", lambda t: t.index_reduce(0, index(t, [[0]]), t[:1].clone(), "amin"), ShapeError,
     "index must be a vector"),
    ("index_reduce: a float index", lambda t: t.index_reduce(0, t[0, :1], t[:1].clone(), "amin"), DataError,
     "must hold integers"),
    ("fill_diagonal_: a vector", lambda t: t.detach()[0].fill_diagonal_(1.0), ShapeError, "expects a matrix"),
    ("fill_diagonal_: unequal dims", lambda t: t.detach().reshape(3, 2, 2).fill_diagonal_(1.0), ShapeError,
     "dimensions are all of one length"),
    ("fill_diagonal_: a vector value", lambda t: t.detach().fill_diagonal_(t.detach()[0]), ShapeError,
     "must be a number"),
    ("unique_consecutive: dim out of range", lambda t: t.unique_consecutive(dim=2), ShapeError, "axis 2"),
]


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
@pytest.mark.parametrize("call, error, words", [pytest.param(*case[1:], id=case[0]) for case in BAD])
def test_bad_arguments_are_refused_as_pytorch_refuses_them_with_one_clear_sentence(call, error, words):
    X = np.arange(12.0).reshape(3, 4)
    with pytest.raises((RuntimeError, IndexError, ValueError, TypeError)):
        call(torch.tensor(X, requires_grad=True))
    with pytest.raises(error) as caught:
        call(dp.tensor(X, requires_grad=True))
    assert isinstance(caught.value, DeltapropError) or error in (TypeError, IndexError, ValueError)
    message = str(caught.value)
    assert words in message and message.count(". ") == 0 and "\n" not in message


def test_fill_diagonal_is_pytorchs():
    for shape, value, wrap in [((7, 3), 5, True), ((7, 3), 5, False), ((3, 5), 2.5, True), ((2, 2, 2), 1, False),
                               ((4, 4), -1, False)]:
        ours, theirs = dp.zeros(shape), torch.zeros(shape)
        assert ours.fill_diagonal_(value, wrap=wrap) is ours
        theirs.fill_diagonal_(value, wrap=wrap)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    ours, theirs = dp.zeros((2, 2), dtype=dp.int64), torch.zeros(2, 2, dtype=torch.int64)
    np.testing.assert_array_equal(ours.fill_diagonal_(2.7).data, theirs.fill_diagonal_(2.7).numpy())  # truncated


def test_in_place_put_and_index_reduce_are_pytorchs():
    X = np.arange(6.0).reshape(2, 3)
    ours, theirs = dp.tensor(X), torch.tensor(X, dtype=torch.float32)
    assert ours.put_(dp.tensor([4, 0]), dp.tensor([9.0, 8.0]), accumulate=True) is ours
    theirs.put_(torch.tensor([4, 0]), torch.tensor([9.0, 8.0]), accumulate=True)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.index_reduce_(1, dp.tensor([2, 2]), dp.tensor([[2.0, 3.0], [1.0, 0.5]]), "amin") is ours
    theirs.index_reduce_(1, torch.tensor([2, 2]), torch.tensor([[2.0, 3.0], [1.0, 0.5]]), "amin")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_nanmedian_of_nothing_but_nans_and_of_no_elements_is_nan_as_in_pytorch():
    nan = float("nan")
    for values in ([nan, nan], [], [[nan, 1.0], [nan, nan]]):
        ours, theirs = dp.nanmedian(dp.tensor(values)), torch.nanmedian(torch.tensor(values))
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    ours, theirs = dp.tensor([[nan, 1.0], [nan, nan]]).nanmedian(1), torch.tensor([[nan, 1.0], [nan, nan]]).nanmedian(1)
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    assert ours.indices.data[0] == theirs.indices[0] == 1  # (PyTorch's index for a row of NaNs alone is its own)
    empty, expected = dp.zeros((0, 3)).nanmedian(1), torch.zeros(0, 3).nanmedian(1)
    assert empty.values.shape == tuple(expected.values.shape) == (0,)
    # median as nanmedian of floats: NaN of no elements, an empty result along a dimension that is not empty
    assert np.isnan(dp.zeros(0).median().data) and torch.isnan(torch.zeros(0).median())
    for dtype, torch_dtype in ((np.float32, torch.float32), (np.int64, torch.int64)):
        ours, theirs = dp.zeros((3, 0), dtype=dtype).median(0), torch.zeros(3, 0, dtype=torch_dtype).median(0)
        assert ours.values.shape == tuple(theirs.values.shape) == (0,) and ours.values.dtype == dtype
        assert ours.indices.shape == (0,)
    # a NaN median of all elements sends its gradient to the NaNs, shared, as PyTorch's
    y, u = dp.tensor([nan, nan], requires_grad=True), torch.tensor([nan, nan], requires_grad=True)
    y.nanmedian().backward()
    u.nanmedian().backward()
    np.testing.assert_array_equal(y.grad, u.grad.numpy())


def test_the_split_pieces_are_views_and_their_gradients_add_where_they_overlap():
    x = dp.tensor(np.arange(10.0), requires_grad=True)
    pieces = x.tensor_split([3, 1, 12])  # [0:3], [3:1], [1:10], [10:]: the first and third overlap
    assert [p.shape for p in pieces] == [(3,), (0,), (9,), (0,)]
    assert all(np.shares_memory(p.data, x.data) for p in pieces if p.data.size)
    sum(p.sum() for p in pieces).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 2.0] + [1.0] * 7)
