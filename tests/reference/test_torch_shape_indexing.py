"""The shape and indexing methods taken from PyTorch (expand, repeat, split, chunk, gather, sort, topk,
...): what tests/reference/test_torch_ops.py cannot compare (indices, piece counts, views, refusals
of bad arguments, in-place changes), against PyTorch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, DataError, DeltapropError, GradError, ShapeError

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")

X = np.arange(12.0).reshape(3, 4)

# (what is wrong, the call on a tensor of either framework, deltaprop's error class, words of its message)
BAD = [
    ("expand: fewer sizes than dims", lambda t: t.expand(4), ShapeError, "expand: 1 sizes"),
    ("expand: a non-singleton dim grows", lambda t: t.expand(3, 5), ShapeError, "only dimensions of size 1"),
    ("expand: -1 for a new dim", lambda t: t.expand(-1, 3, 4), ConfigError, "new leading dimension"),
    ("expand: negative size", lambda t: t.reshape(3, 4, 1).expand(3, 4, -2), ConfigError, "non-negative"),
    ("repeat: fewer sizes than dims", lambda t: t.repeat(2), ShapeError, "at least one per dimension"),
    ("repeat: negative count", lambda t: t.repeat(-1, 1), ConfigError, "non-negative"),
    ("flip: dim out of range", lambda t: t.flip(2), ShapeError, "flip: axis 2 is out of range"),
    ("flip: no dims", lambda t: t.flip(), TypeError, "give the dims"),
    ("flip: dim repeated", lambda t: t.flip((0, -2)), ShapeError, "more than once"),
    ("split: negative size", lambda t: t.split(-1), ConfigError, "split_size must be non-negative"),
    ("split: size 0", lambda t: t.split(0), ConfigError, "split_size 0"),
    ("split: sections do not add up", lambda t: t.split([1, 1]), ShapeError, "add up to 2"),
    ("split: negative section", lambda t: t.split([4, -1]), ConfigError, "non-negative"),
    ("split: dim out of range", lambda t: t.split(1, dim=2), ShapeError, "split: axis 2"),
    ("split: a 0-d tensor", lambda t: t.sum().split(1), ShapeError, "0-d tensor"),
    ("chunk: zero chunks", lambda t: t.chunk(0), ConfigError, "chunks must be a positive integer"),
    ("chunk: dim out of range", lambda t: t.chunk(2, dim=-3), ShapeError, "chunk: axis -3"),
    ("narrow: start past the end", lambda t: t.narrow(0, 4, 0), ShapeError, "start 4 is out of range"),
    ("narrow: runs past the end", lambda t: t.narrow(1, 2, 3), ShapeError, "runs past the end"),
    ("narrow: negative length", lambda t: t.narrow(1, 0, -1), ConfigError, "length must be non-negative"),
    ("gather: index out of range", lambda t: t.gather(0, _index(t, [[0, 3]])), DataError, "index 3 is outside [0, 3)"),
    ("gather: negative index", lambda t: t.gather(1, _index(t, [[-1]])), DataError, "index -1 is outside"),
    ("gather: index of fewer dims", lambda t: t.gather(0, _index(t, [0, 1])), ShapeError, "needs the 2 dimensions"),
    ("gather: index too large elsewhere", lambda t: t.gather(0, _index(t, [[0] * 5])), ShapeError, "larger than the input"),
    ("gather: float index", lambda t: t.gather(0, t[:1].floor() if isinstance(t, torch.Tensor) else t[:1]),
     DataError, "must hold integers"),
    ("gather: dim out of range", lambda t: t.gather(2, _index(t, [[0]])), ShapeError, "gather: axis 2"),
    ("masked_fill: integer mask", lambda t: t.masked_fill(_index(t, [1, 0, 1, 0]), 0.0), DataError, "mask must be boolean"),
    ("masked_fill: mask does not broadcast", lambda t: t.masked_fill(_mask(t, [True, False]), 0.0), ShapeError,
     "cannot be broadcast"),
    ("masked_fill: 1-d value", lambda t: t.masked_fill(_mask(t, [True] * 4), t[0]), ShapeError, "a 0-d tensor"),
    ("amax: dim repeated", lambda t: t.amax((0, 0)), ShapeError, "more than once"),
    ("amax: dim out of range", lambda t: t.amax(3), ShapeError, "amax: axis 3"),
    ("amin: dim out of range", lambda t: t.amin(-3), ShapeError, "amin: axis -3"),
    ("sort: dim out of range", lambda t: t.sort(dim=2), ShapeError, "sort: axis 2"),
    ("argsort: dim out of range", lambda t: t.argsort(dim=-3), ShapeError, "argsort: axis -3"),
    ("topk: k too large", lambda t: t.topk(5), ConfigError, "k=5 is outside [0, 4]"),
    ("topk: negative k", lambda t: t.topk(-1, dim=0), ConfigError, "k=-1 is outside [0, 3]"),
    ("tril: a vector", lambda t: t[0].tril(), ShapeError, "at least 2 dimensions"),
    ("triu: a 0-d tensor", lambda t: t.sum().triu(), ShapeError, "at least 2 dimensions"),
    ("movedim: source out of range", lambda t: t.movedim(2, 0), ShapeError, "movedim: source axis 2 is out of range"),
    ("movedim: destination repeated", lambda t: t.movedim((0, 1), (1, 1)), ShapeError, "more than once"),
    ("movedim: lengths differ", lambda t: t.movedim((0, 1), 0), ShapeError, "give as many of each"),
    ("movedim: float dim", lambda t: t.movedim(0.0, 1), TypeError, "source must be an integer"),
    ("swapaxes: dim out of range", lambda t: t.swapaxes(0, 2), ShapeError, "swapaxes: dim1 axis 2 is out of range"),
    ("swapdims: dim out of range", lambda t: t.swapdims(-3, 0), ShapeError, "swapdims: dim0 axis -3"),
    ("mT: a vector", lambda t: t[0].mT, ShapeError, "at least 2 dimensions"),
    ("tile: negative count", lambda t: t.tile(-1, 2), ConfigError, "tile: dims must be non-negative"),
    ("tile: float count", lambda t: t.tile(2.0), TypeError, "tile: dims must be a tuple of integers"),
    ("roll: shifts and dims differ in length", lambda t: t.roll((1, 2), 0), ShapeError, "give one dim per shift"),
    ("roll: two shifts without dims", lambda t: t.roll((1, 2)), ShapeError, "without dims"),
    ("roll: dim out of range", lambda t: t.roll(1, 2), ShapeError, "roll: dims axis 2 is out of range"),
    ("roll: no shifts", lambda t: t.roll((), ()), TypeError, "non-empty tuple"),
    ("roll: a 0-d tensor along a dim", lambda t: t.sum().roll(1, 0), ShapeError, "0-d tensor has no dimension"),
    ("select: index out of range", lambda t: t.select(1, 4), ShapeError, "select: index 4 is out of range"),
    ("select: negative index out of range", lambda t: t.select(0, -4), ShapeError, "index -4 is out of range"),
    ("select: dim out of range", lambda t: t.select(2, 0), ShapeError, "select: axis 2"),
    ("select: a 0-d tensor", lambda t: t.sum().select(0, 0), ShapeError, "0-d tensor"),
    ("unbind: a 0-d tensor", lambda t: t.sum().unbind(), ShapeError, "0-d tensor"),
    ("unbind: dim out of range", lambda t: t.unbind(-3), ShapeError, "unbind: axis -3"),
    ("unflatten: sizes do not fit", lambda t: t.unflatten(1, (3, 2)), ShapeError, "multiply up to 6, not to the length 4"),
    ("unflatten: -1 cannot fit", lambda t: t.unflatten(1, (3, -1)), ShapeError, "cannot multiply up to the length 4"),
    ("unflatten: no sizes", lambda t: t.unflatten(1, ()), ConfigError, "sizes must be a non-empty tuple"),
    ("unflatten: two -1", lambda t: t.unflatten(1, (-1, -1)), ConfigError, "one of them may be -1"),
    ("unflatten: dim out of range", lambda t: t.unflatten(2, (2, 2)), ShapeError, "unflatten: axis 2"),
    ("scatter: index out of range", lambda t: t.scatter(0, _index(t, [[0, 3]]), t[:1, :2].clone()), DataError,
     "scatter: index 3 is outside [0, 3)"),
    ("scatter: negative index", lambda t: t.scatter(1, _index(t, [[-1]]), 1.0), DataError, "index -1 is outside"),
    ("scatter: index of fewer dims", lambda t: t.scatter(0, _index(t, [0, 1]), t[0, :2].clone()), ShapeError,
     "need the 2 dimensions"),
    ("scatter: index larger than src", lambda t: t.scatter(0, _index(t, [[0, 1, 2]]), t[:1, :2].clone()), ShapeError,
     "no larger than src"),
    ("scatter: index larger than input elsewhere", lambda t: t.scatter(0, _index(t, [[0] * 5]), 1.0), ShapeError,
     "than the input"),
    ("scatter: src of another dtype", lambda t: t.scatter(0, _index(t, [[0]]), t[:1, :1].int()), DataError,
     "src has dtype int32"),
    ("scatter: float index", lambda t: t.scatter(0, t[:1].floor(), 1.0), DataError, "must hold integers"),
    ("scatter_add: index out of range", lambda t: t.scatter_add(1, _index(t, [[4]]), t[:1, :1].clone()), DataError,
     "scatter_add: index 4 is outside [0, 4)"),
    ("scatter_add: dim out of range", lambda t: t.scatter_add(2, _index(t, [[0]]), t[:1, :1].clone()), ShapeError,
     "scatter_add: axis 2"),
    ("index_select: index out of range", lambda t: t.index_select(0, _index(t, [0, 3])), DataError,
     "index_select: index 3 is outside [0, 3)"),
    ("index_select: negative index", lambda t: t.index_select(1, _index(t, [-1])), DataError, "index -1 is outside"),
    ("index_select: 2-d index", lambda t: t.index_select(0, _index(t, [[0]])), ShapeError, "index must be a vector"),
    ("index_select: float index", lambda t: t.index_select(0, t[0]), DataError, "must hold integers"),
    ("index_select: dim out of range", lambda t: t.index_select(2, _index(t, [0])), ShapeError, "index_select: axis 2"),
    ("index_add: index out of range", lambda t: t.index_add(0, _index(t, [3]), t[:1].clone()), DataError,
     "index_add: index 3 is outside [0, 3)"),
    ("index_add: 2-d index", lambda t: t.index_add(0, _index(t, [[0]]), t[:1].clone()), ShapeError,
     "index_add: index must be a vector"),
    ("index_add: float index", lambda t: t.index_add(0, t[0, :1], t[:1].clone()), DataError,
     "index_add: index must hold integers"),
    ("index_add: source of the wrong shape", lambda t: t.index_add(1, _index(t, [0, 1]), t[:, :3].clone()), ShapeError,
     "index_add: source must have shape (3, 2)"),
    ("index_add: source of another dtype", lambda t: t.index_add(0, _index(t, [0]), t[:1].int()), DataError,
     "index_add: source has dtype int32"),
    ("index_add: dim out of range", lambda t: t.index_add(2, _index(t, [0]), t[:1].clone()), ShapeError,
     "index_add: axis 2"),
    ("index_copy: negative index", lambda t: t.index_copy(1, _index(t, [-1]), t[:, :1].clone()), DataError,
     "index_copy: index -1 is outside [0, 4)"),
    ("index_copy: source of the wrong shape", lambda t: t.index_copy(0, _index(t, [0, 1]), t[:1].clone()), ShapeError,
     "index_copy: source must have shape (2, 4)"),
    ("index_fill: 1-d value", lambda t: t.index_fill(0, _index(t, [0]), t[0]), ShapeError,
     "index_fill: value must be a number or a 0-d tensor"),
    ("index_fill: index out of range", lambda t: t.index_fill(1, _index(t, [4]), 0.0), DataError,
     "index_fill: index 4 is outside [0, 4)"),
    ("scatter_reduce: unknown reduce", lambda t: t.scatter_reduce(0, _index(t, [[0]]), t[:1, :1].clone(), "multiply"),
     ConfigError, "scatter_reduce: reduce must be one of 'sum', 'prod', 'mean', 'amax' or 'amin', got 'multiply'"),
    ("index_add: alpha a string", lambda t: t.index_add(0, _index(t, [0]), t[:1].clone(), alpha="2"), TypeError,
     "index_add: alpha must be a number, got '2'"),
    ("scatter_reduce: index out of range", lambda t: t.scatter_reduce(1, _index(t, [[4]]), t[:1, :1].clone(), "sum"),
     DataError, "scatter_reduce: index 4 is outside [0, 4)"),
    ("scatter_reduce: src of another dtype", lambda t: t.scatter_reduce(0, _index(t, [[0]]), t[:1, :1].int(), "sum"),
     DataError, "scatter_reduce: src has dtype int32"),
    ("scatter_reduce: index of fewer dims", lambda t: t.scatter_reduce(0, _index(t, [0]), t[0].clone(), "amax"),
     ShapeError, "scatter_reduce: index of shape (1,) and src of shape (4,) need the 2 dimensions"),
    ("masked_select: integer mask", lambda t: t.masked_select(_index(t, [1, 0, 1, 0])), DataError, "mask must be boolean"),
    ("masked_select: mask does not broadcast", lambda t: t.masked_select(_mask(t, [True, False])), ShapeError,
     "cannot be broadcast"),
    ("add: fractional alpha for integers", lambda t: t.long().add(t.long(), alpha=0.5), TypeError,
     "alpha must be an integer for integer operands"),
    ("add: boolean alpha for floats", lambda t: t.add(t, alpha=True), TypeError,
     "add: alpha must be a number, not a boolean, for tensors that are not boolean"),
    ("sub: boolean alpha for floats", lambda t: t.sub(t, alpha=True), TypeError,
     "sub: alpha must be a number, not a boolean, for tensors that are not boolean"),
    ("mean: integer dtype", lambda t: t.mean(dtype=_int32(t)), ConfigError, "mean: dtype must be a floating-point type"),
    ("mean: integer dtype over dims", lambda t: t.mean(1, dtype=_int64(t)), ConfigError,
     "mean: dtype must be a floating-point type"),
    ("sum: a dim that is a string", lambda t: t.sum(dim="a"), TypeError, "sum: dim must be an integer or a list"),
    ("sum: a float among the dims", lambda t: t.sum(dim=[0.5]), TypeError, "sum: dim must be an integer or a list"),
    ("mean: a string among the dims", lambda t: t.mean(dim=[0, "b"]), TypeError, "mean: dim must be an integer"),
    ("split: a fractional split_size", lambda t: t.split(1.5, 0), TypeError,
     "split: split_size_or_sections must be an integer or a list of integers"),
    ("split: a float among the sizes", lambda t: t.split([1.0, 2], 0), TypeError, "split: sizes must be integers"),
    ("div: unknown rounding_mode", lambda t: t.div(2.0, rounding_mode="round"), ConfigError, "rounding_mode must be None"),
    ("bitwise and of floats", lambda t: t & t, TypeError, "bitwise_and: takes boolean and integer tensors only"),
    ("bitwise or with a float", lambda t: t.long() | 1.5, TypeError, "bitwise_or: takes boolean and integer"),
    ("bitwise not of floats", lambda t: ~t, TypeError, "bitwise_not: takes boolean and integer"),
    ("// of booleans", lambda t: (t > 1) // (t > 2), TypeError, "floor_divide: takes numbers, not two booleans"),
    ("% of booleans", lambda t: (t > 1) % (t > 2), TypeError, "remainder: takes numbers, not two booleans"),
    ("comparison shapes", lambda t: t.lt(t[:, :2]), ShapeError, "lt: shapes (3, 4) and (3, 2) cannot be broadcast"),
]


def _index(t, values):
    return torch.tensor(values) if isinstance(t, torch.Tensor) else dp.tensor(values)


def _int32(t):
    return torch.int32 if isinstance(t, torch.Tensor) else dp.int32


def _int64(t):
    return torch.int64 if isinstance(t, torch.Tensor) else dp.int64


def _mask(t, values):
    return torch.tensor(values) if isinstance(t, torch.Tensor) else np.array(values)


@pytest.mark.parametrize("call, error, words", [pytest.param(*case[1:], id=case[0]) for case in BAD])
def test_bad_arguments_are_refused_as_pytorch_refuses_them_with_one_clear_sentence(call, error, words):
    with pytest.raises((RuntimeError, IndexError, ValueError, TypeError)):
        call(torch.tensor(X, requires_grad=True))
    with pytest.raises(error) as caught:
        call(dp.tensor(X, requires_grad=True))
    assert isinstance(caught.value, DeltapropError) or error is TypeError
    message = str(caught.value)
    assert words in message and message.count(". ") == 0 and "\n" not in message


@pytest.mark.parametrize("n", range(0, 9))
@pytest.mark.parametrize("chunks", [1, 2, 3, 4, 5, 9])
def test_chunk_and_split_give_pytorchs_pieces_for_every_length(n, chunks):
    theirs, ours = torch.zeros(2, n), dp.zeros((2, n))
    assert [p.shape for p in ours.chunk(chunks, dim=1)] == [tuple(p.shape) for p in theirs.chunk(chunks, dim=1)]
    assert [p.shape for p in dp.chunk(ours, chunks, -1)] == [tuple(p.shape) for p in torch.chunk(theirs, chunks, -1)]
    assert [p.shape for p in ours.split(chunks, dim=1)] == [tuple(p.shape) for p in theirs.split(chunks, dim=1)]


def test_split_of_an_empty_dimension_and_split_size_zero_there_are_pytorchs():
    theirs, ours = torch.zeros(0, 2), dp.zeros((0, 2))
    for size in (0, 2):
        assert [p.shape for p in ours.split(size)] == [tuple(p.shape) for p in theirs.split(size)] == [(0, 2)]


# Pieces used once, twice or not at all, and an input with other uses besides its pieces: the split
# writes every piece's gradient into one array of the input's shape, zero where no gradient came.
SPLIT_USES = {
    "one piece of three": (lambda t: t.split(2)[1].sum(), (5, 3)),
    "first and last, the last twice": (lambda t: (lambda p: (p[0] * 2).sum() + (p[2] * p[2]).sum() + p[2].sum())(
        t.chunk(3, dim=-1)), (2, 3, 7)),
    "the empty piece only": (lambda t: t.split([1, 0, 3], dim=1)[1].sum() + 0.0, (2, 4)),
    "an input used besides": (lambda t: (lambda y: y.split(2)[0].sum() * 3 + (y * y).sum())(t * 2.0), (5, 3)),
    "pieces of pieces": (lambda t: t.chunk(2, dim=1)[1].split(1, dim=1)[0].sum(), (3, 6)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("use", SPLIT_USES)
def test_split_gradients_with_unused_and_reused_pieces_match_pytorch(use, dtype):
    fn, shape = SPLIT_USES[use]
    values = np.random.default_rng(2).standard_normal(shape)
    ours = dp.tensor(values, dtype=dtype, requires_grad=True)
    theirs = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    fn(ours).backward()
    fn(theirs).backward()
    assert ours.grad.dtype == np.dtype(dtype) and ours.grad.shape == shape
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6 if dtype == "float32" else 1e-12)


def test_split_gradients_accumulate_over_two_backward_passes_as_in_pytorch():
    values = np.random.default_rng(3).standard_normal((4, 6))
    ours, theirs = dp.tensor(values, dtype=dp.float64, requires_grad=True), torch.tensor(values, requires_grad=True)
    loss, expected = (ours.split(4, dim=1)[1] ** 2).sum(), (theirs.split(4, dim=1)[1] ** 2).sum()
    loss.backward()
    loss.backward()
    expected.backward(retain_graph=True)
    expected.backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)


def test_a_backward_pass_that_fails_after_the_pieces_leaves_nothing_behind():
    """A hook that raises once the pieces' gradients are in (on the split itself, reached through a
    piece's graph): the next pass starts from zeros, not from the failed pass's partial sum."""
    x = dp.tensor(np.arange(6.0).reshape(2, 3), dtype=dp.float64, requires_grad=True)
    first, second = x.split(1)
    loss = (first * 2).sum() + (second * 3).sum()
    (whole,) = {piece._parents[0] for piece in (first, second)}  # the node the pieces write into
    assert whole.shape == x.shape

    def fail(g):
        raise RuntimeError("stop")

    handle = whole.register_hook(fail)
    with pytest.raises(RuntimeError, match="stop"):
        loss.backward()
    handle.remove()
    assert x.grad is None
    loss.backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 2.0, 2.0], [3.0, 3.0, 3.0]])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_argsort_indices_are_pytorchs_stable_ones_with_ties_and_nan(dim, descending):
    values = np.array([[2.0, 1.0, 2.0, np.nan, 1.0], [0.0, 0.0, np.nan, 3.0, 0.0], [1.0, 2.0, 1.0, 2.0, 1.0]])
    expected = torch.tensor(values).sort(dim=dim, descending=descending, stable=True)
    got = dp.tensor(values, dtype=dp.float64).sort(dim, descending)
    np.testing.assert_array_equal(got.values.data, expected.values.numpy())
    np.testing.assert_array_equal(got.indices.data, expected.indices.numpy())
    assert got.indices.dtype == np.int64
    argsorted = dp.tensor(values).argsort(dim=dim, descending=descending)
    np.testing.assert_array_equal(argsorted.data, expected.indices.numpy())
    assert not argsorted.requires_grad


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [0, 1, 3, 5])
def test_topk_indices_are_pytorchs_and_with_ties_pick_equal_values(k, largest):
    rng = np.random.default_rng(k)
    distinct = rng.permutation(20).reshape(4, 5).astype(np.float64)
    expected = torch.tensor(distinct).topk(k, largest=largest)
    got = dp.tensor(distinct, dtype=dp.float64).topk(k, largest=largest)
    np.testing.assert_array_equal(got.indices.data, expected.indices.numpy())
    # With ties PyTorch's choice among equal values is its own; the values must agree, and ours are
    # the first of the equal ones (those of a stable sort).
    ties = np.array([[1.0, 2.0, 1.0, 2.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    got = dp.tensor(ties, dtype=dp.float64).topk(k, largest=largest)
    np.testing.assert_array_equal(got.values.data, torch.tensor(ties).topk(k, largest=largest).values.numpy())
    stable = torch.tensor(ties).sort(descending=largest, stable=True).indices[:, :k]
    np.testing.assert_array_equal(got.indices.data, stable.numpy())


def test_a_gradient_through_sort_or_topk_follows_the_indices_at_ties():
    x = dp.tensor([[3.0, 1.0, 3.0, 2.0]], requires_grad=True, dtype=dp.float64)
    values, indices = x.topk(2)
    values.backward(np.array([[10.0, 20.0]]))
    np.testing.assert_array_equal(indices.data, [[0, 2]])
    np.testing.assert_array_equal(x.grad, [[10.0, 0.0, 20.0, 0.0]])


def test_amax_shares_the_gradient_among_ties_as_pytorch():
    values = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    ours, theirs = dp.tensor(values, requires_grad=True, dtype=dp.float64), torch.tensor(values, requires_grad=True)
    ours.amax(1).sum().backward()
    theirs.amax(1).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy())
    np.testing.assert_allclose(ours.grad, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_expand_is_a_view_and_refuses_writes_into_it():
    x = dp.tensor([[1.0], [2.0]])
    y = x.expand(2, 1000)
    assert np.shares_memory(y.data, x.data) and y.data.strides[1] == 0
    with pytest.raises(TypeError, match="in place"):
        y += 1.0  # many elements share one memory location: PyTorch refuses this too
    with pytest.raises(RuntimeError):
        torch.ones(2, 1).expand(2, 3).add_(1.0)


@pytest.mark.parametrize("write", [
    lambda y: y.zero_(), lambda y: y.fill_(3.0), lambda y: y.add_(1.0), lambda y: y.copy_(np.ones((2, 4))),
    lambda y: y.__setitem__((0, 1), 5.0),
])
def test_the_method_forms_of_a_write_into_an_expanded_view_say_why_they_are_refused(write):
    x = dp.tensor([[1.0], [2.0]])
    with pytest.raises(TypeError, match=r"read-only .*expand\(\).*clone\(\)"):
        write(x.expand(2, 4))
    np.testing.assert_array_equal(x.data, [[1.0], [2.0]])  # nothing written


@pytest.mark.parametrize("call", [
    lambda t: t.flip(dims=(0, 1)), lambda t: t.flip(dims=[1]), lambda t: t.split(split_size=3, dim=1)[1],
    lambda t: t.expand(size=(2, 3, 4)), lambda t: t.repeat(repeats=(2, 1)),
], ids=["flip dims tuple", "flip dims list", "split split_size", "expand size", "repeat repeats"])
def test_the_keyword_forms_of_pytorchs_shape_methods(call):
    np.testing.assert_array_equal(call(dp.tensor(X)).data, call(torch.tensor(X)).numpy())


def test_dim_view_as_and_the_method_forms_match_pytorch():
    x, t = dp.tensor(X), torch.tensor(X)
    assert x.dim() == t.dim() == 2 and dp.tensor(1.0).dim() == 0
    assert x.view_as(dp.zeros((6, 2))).shape == tuple(t.view_as(torch.zeros(6, 2)).shape)
    assert x.expand_as(dp.zeros((2, 3, 4))).shape == tuple(t.expand_as(torch.zeros(2, 3, 4)).shape)
    np.testing.assert_array_equal(x.flip(0, 1).data, t.flip(0, 1).numpy())
    np.testing.assert_array_equal(x.repeat((2, 1)).data, t.repeat((2, 1)).numpy())
    np.testing.assert_array_equal(dp.tensor(np.arange(3)).masked_fill(np.array([True, False, True]), 1.7).data,
                                  torch.arange(3).masked_fill(torch.tensor([True, False, True]), 1.7).numpy())


# An in-place change after the operation: these rules keep no values of their input (only an index,
# for gather), so the change is harmless and the gradient is that of the computation as it ran.
# PyTorch refuses the change for three of them (split and chunk, whose outputs are views it cannot
# track singly, and gather, whose rule saves its input for the shape), so its gradient is taken from
# the same graph with no change: the rules here need no more, so they are not stricter than that.
KEEP_NOTHING = {
    "expand": lambda t: t.reshape(3, 1).expand(3, 4),
    "repeat": lambda t: t.repeat(2),
    "flip": lambda t: t.flip(0),
    "split": lambda t: t.split(2)[1],
    "chunk": lambda t: t.chunk(2)[0],
    "narrow": lambda t: t.narrow(0, 1, 2),
    "tril": lambda t: t.reshape(1, 3).tril(),
    "sort": lambda t: t.sort()[0],
    "topk": lambda t: t.topk(2)[0],
    "gather": lambda t: t.gather(0, torch.tensor([2, 2]) if isinstance(t, torch.Tensor) else dp.tensor([2, 2])),
    "masked_fill": lambda t: t.masked_fill(torch.tensor([True, False, False]) if isinstance(t, torch.Tensor)
                                           else np.array([True, False, False]), 0.0),
}


@pytest.mark.parametrize("name", KEEP_NOTHING)
def test_changing_the_input_after_the_operation_is_fine_as_in_pytorch(name):
    values = np.array([0.5, -1.0, 2.0])
    w, tw = dp.tensor(values, requires_grad=True, dtype=dp.float64), torch.tensor(values, requires_grad=True)
    x, tx = w * 1.0, tw * 1.0
    y, ty = KEEP_NOTHING[name](x), KEEP_NOTHING[name](tx)
    scale = np.arange(1.0, y.data.size + 1).reshape(y.shape)
    with dp.no_grad(), torch.no_grad():
        x.mul_(3.0)
        if name not in ("split", "chunk", "gather"):
            tx.mul_(3.0)
    (y * scale).sum().backward()
    (ty * torch.tensor(scale)).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy())


def test_changing_the_index_gather_kept_is_refused_as_in_pytorch():
    w, tw = dp.tensor([1.0, 2.0, 3.0], requires_grad=True), torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    index, tindex = dp.tensor([0, 2]), torch.tensor([0, 2])
    y, ty = w.gather(0, index).sum(), tw.gather(0, tindex).sum()
    index[0] = 1
    tindex[0] = 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    with pytest.raises(GradError, match="kept for its gradient"):
        y.backward()


def test_scatter_reduce_shares_the_gradient_among_ties_including_the_inputs_own_value():
    # position 0: the input's 5 and two 5s of src tie (a third each); position 1: the input's 1 and
    # src's 1 (a half each). With include_self=False PyTorch still counts the input's value among the
    # ties where it equals the result, though it gives it no share (src gets a third and a half, not
    # a half and all): its rule, which deltaprop follows.
    for include_self in (True, False):
        for reduce in ("amax", "amin"):
            x = dp.tensor([5.0, 1.0], dtype=dp.float64, requires_grad=True)
            src = dp.tensor([5.0, 5.0, 1.0], dtype=dp.float64, requires_grad=True)
            tx = torch.tensor([5.0, 1.0], dtype=torch.float64, requires_grad=True)
            tsrc = torch.tensor([5.0, 5.0, 1.0], dtype=torch.float64, requires_grad=True)
            out = x.scatter_reduce(0, np.array([0, 0, 1]), src, reduce, include_self=include_self)
            expected = tx.scatter_reduce(0, torch.tensor([0, 0, 1]), tsrc, reduce, include_self=include_self)
            np.testing.assert_array_equal(out.data, expected.detach().numpy())
            out.backward(np.array([6.0, 1.0]))
            expected.backward(torch.tensor([6.0, 1.0], dtype=torch.float64))
            np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-15)
            np.testing.assert_allclose(src.grad, tsrc.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(src.grad, [2.0, 2.0, 0.5])  # (the last one: include_self=False, amin)
    np.testing.assert_allclose(x.grad, [0.0, 0.0])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_scatter_reduce_of_integers_matches_pytorch_mean_rounding_down(reduce, include_self, dtype):
    x = np.array([[-1, 2, 3, 0], [4, -5, 6, 7]], dtype=dtype)
    src = np.array([[-3, 3, 4, 1], [2, -2, 5, -7], [1, 1, 1, 1]], dtype=dtype)
    index = np.array([[0, 0, 1, 1], [0, 0, 0, 1], [1, 0, 1, 1]])
    got = dp.tensor(x, dtype=x.dtype).scatter_reduce(0, index, dp.tensor(src, dtype=src.dtype), reduce,
                                                      include_self=include_self)
    expected = torch.tensor(x).scatter_reduce(0, torch.tensor(index), torch.tensor(src), reduce, include_self=include_self)
    assert got.dtype.name == dtype and not got.requires_grad
    np.testing.assert_array_equal(got.data, expected.numpy())


def test_index_copy_with_a_repeated_index_reads_every_gradient_back_as_pytorch():
    x = dp.tensor(np.zeros((3, 2)), dtype=dp.float64, requires_grad=True)
    src = dp.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=dp.float64, requires_grad=True)
    out = x.index_copy(0, np.array([0, 2, 0]), src)
    assert out.data[0].tolist() in ([1.0, 2.0], [5.0, 6.0]) and out.data[2].tolist() == [3.0, 4.0]
    out.backward(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_array_equal(src.grad, [[1.0, 2.0], [5.0, 6.0], [1.0, 2.0]])


def test_the_index_writes_leave_the_input_as_it_was():
    x = dp.tensor(X)
    for out in (x.index_add(0, np.array([1]), dp.ones(1, 4)), x.index_copy(0, np.array([1]), dp.ones(1, 4)),
                x.index_fill(0, np.array([1]), 9.0), x.scatter_reduce(0, np.array([[1]]), dp.ones(1, 1), "sum")):
        assert not np.array_equal(out.data, X)
    np.testing.assert_array_equal(x.data, X)


def test_the_function_forms_match_pytorchs():
    values = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 4.0]])
    ours, theirs = dp.tensor(values, dtype=dp.float64), torch.tensor(values)
    mask = values > 2
    pairs = [
        (dp.sort(ours, 1, descending=True).values, torch.sort(theirs, 1, descending=True).values),
        (dp.topk(ours, 2).values, torch.topk(theirs, 2).values),
        (dp.argsort(ours, dim=0), torch.argsort(theirs, dim=0)),
        (dp.amax(ours, 1), torch.amax(theirs, 1)),
        (dp.amin(ours, (0, 1)), torch.amin(theirs, (0, 1))),
        (dp.narrow(ours, 1, 1, 2), torch.narrow(theirs, 1, 1, 2)),
        (dp.masked_fill(ours, mask, -1.0), torch.masked_fill(theirs, torch.tensor(mask), -1.0)),
    ]
    for mine, reference in pairs:
        np.testing.assert_array_equal(np.asarray(mine.data), reference.numpy())
