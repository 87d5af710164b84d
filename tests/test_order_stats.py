"""Order statistics, PyTorch's: quantile and nanquantile (every interpolation, q a number or a
vector, NaN, ties, keepdim), kthvalue and mode (values, indices and their tie rules), against
PyTorch 2.13 in float64 and float32, gradients against finite differences and torch.autograd,
and the arguments both refuse."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, ShapeError

torch = pytest.importorskip("torch", reason="PyTorch is the reference these operations are compared with")

NAN = float("nan")
DTYPES = {"float64": (np.float64, torch.float64), "float32": (np.float32, torch.float32)}
TOLERANCES = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=1e-6, atol=1e-6)}
INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


def distinct(shape, seed=0):
    """Values at least 0.1 apart, so that no tie makes a finite difference jump between elements."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(-0.02, 0.02, size=n)).reshape(shape)


def with_ties(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 4, size=shape).astype(np.float64)


def agree(torch_fn, dp_fn, values, dtype, check_indices=True):
    """Run both on the same array; compare results (NaN for NaN), dtypes, and the gradient of a
    random projection of the values through both."""
    np_dtype, torch_dtype = DTYPES[dtype]
    array = np.asarray(values, dtype=np_dtype)
    theirs_in = torch.tensor(array, requires_grad=True)
    ours_in = dp.tensor(array, requires_grad=True, dtype=np_dtype)
    theirs, ours = torch_fn(theirs_in, torch_dtype), dp_fn(ours_in, np_dtype)
    pair = isinstance(theirs, tuple)
    theirs_values, ours_values = (theirs[0], ours[0]) if pair else (theirs, ours)
    assert ours_values.dtype == np_dtype
    np.testing.assert_allclose(ours_values.data, theirs_values.detach().numpy(), equal_nan=True, **TOLERANCES[dtype])
    if pair and check_indices:
        assert ours[1].dtype == np.int64
        np.testing.assert_array_equal(ours[1].data, theirs[1].numpy())
    direction = np.random.default_rng(1).standard_normal(ours_values.shape).astype(np_dtype)
    theirs_values.backward(torch.tensor(direction))
    ours_values.backward(direction)
    assert ours_in.grad.dtype == np_dtype
    np.testing.assert_allclose(ours_in.grad, theirs_in.grad.numpy(), **TOLERANCES[dtype])


# -- quantile and nanquantile -----------------------------------------------------------------

Q_VECTOR = [0.0, 0.1, 0.25, 0.5, 0.6, 0.75, 0.99, 1.0]
Q_CASES = [  # (id, dim, keepdim, q as a vector?)
    ("all", None, False, False), ("all-keepdim", None, True, False), ("all-vector", None, False, True),
    ("all-vector-keepdim", None, True, True), ("dim0", 0, False, False), ("dim1-keepdim", 1, True, False),
    ("dim-last-vector", -1, False, True), ("dim1-vector-keepdim", 1, True, True),
]


def quantile_pair(name, q, dim, keepdim, interpolation, vector):
    def theirs(x, torch_dtype):
        levels = torch.tensor(q, dtype=torch_dtype) if vector else q
        return getattr(torch, name)(x, levels, dim, keepdim, interpolation=interpolation)

    def ours(x, np_dtype):
        levels = dp.tensor(q, dtype=np_dtype) if vector else q
        return getattr(dp, name)(x, levels, dim, keepdim, interpolation=interpolation)
    return theirs, ours


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("case, dim, keepdim, vector", Q_CASES)
@pytest.mark.parametrize("recipe", [distinct, with_ties])
def test_quantile_matches_torch(recipe, case, dim, keepdim, vector, name, interpolation, dtype):
    q = Q_VECTOR if vector else 0.3
    agree(*quantile_pair(name, q, dim, keepdim, interpolation, vector), recipe((3, 5)), dtype)


# 16 elements at most: beyond, PyTorch's sort is unstable and may hand the gradient to another of
# equal elements (or NaNs) than the one a stable sort (ours, and PyTorch's on short rows) does
NAN_ROWS = [[3.0, NAN, 1.0, 2.0], [NAN, NAN, NAN, NAN], [4.0, 0.0, NAN, NAN], [1.0, 5.0, 2.0, 2.0]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("dim", [None, 1, 0])
def test_quantile_with_nan_matches_torch(dim, name, interpolation, dtype):
    agree(*quantile_pair(name, Q_VECTOR, dim, False, interpolation, True), NAN_ROWS, dtype)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 9])
def test_nearest_rounds_a_rank_halfway_to_even_as_torch(n):
    q = [(2 * i + 1) / (2 * (n - 1)) for i in range(n - 1)]  # every rank halfway between two
    agree(*quantile_pair("quantile", q, None, False, "nearest", True), np.arange(n) * 1.5, "float64")


@pytest.mark.parametrize("q", [0.3, [0.2, 0.7]])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_quantile_of_a_0d_tensor_matches_torch(q, dim):
    vector = isinstance(q, list)
    agree(*quantile_pair("quantile", q, dim, True, "linear", vector), 2.5, "float64")


def test_quantile_by_hand():
    x = dp.tensor([3.0, 1.0, 2.0, 7.0], dtype=dp.float64, requires_grad=True)
    y = dp.quantile(x, 0.5)  # sorted 1, 2, 3, 7: rank 1.5, halfway between 2 and 3
    assert float(y.data) == pytest.approx(2.5)
    y.backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.0, 0.5, 0.0])


def test_quantile_q_a_0d_tensor_gives_a_0d_result():
    x = dp.tensor([3.0, 1.0, 2.0])
    assert dp.quantile(x, dp.tensor(0.5)).shape == ()
    assert dp.quantile(x, dp.tensor([0.5])).shape == (1,)


def test_quantile_methods_are_the_functions():
    x = dp.tensor(distinct((3, 4)))
    np.testing.assert_array_equal(x.quantile([0.2, 0.8], 1, True, interpolation="midpoint").data,
                                  dp.quantile(x, [0.2, 0.8], 1, True, interpolation="midpoint").data)
    np.testing.assert_array_equal(x.nanquantile(0.4, 0).data, dp.nanquantile(x, 0.4, 0).data)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_quantile_gradcheck(dim, name, interpolation):
    x = dp.tensor(distinct((3, 4)), requires_grad=True, dtype=dp.float64)
    # ranks q·(n − 1) kept off the integers and the halves, where nearest and the picks switch elements
    q = dp.tensor([0.07, 0.41, 0.93], dtype=dp.float64)
    assert dp.gradcheck(lambda t: getattr(dp, name)(t, q, dim, interpolation=interpolation), [x])


QUANTILE_REFUSALS = [
    ("q-above-one", lambda: dp.quantile(dp.zeros(3), 1.5), ConfigError, "quantile: q must be in [0, 1], got 1.5"),
    ("q-below-zero", lambda: dp.nanquantile(dp.zeros(3), [0.5, -0.1]), ConfigError,
     "nanquantile: q must be in [0, 1], got"),
    ("q-nan", lambda: dp.quantile(dp.zeros(3), NAN), ConfigError, "q must be in [0, 1], got nan"),
    ("q-matrix", lambda: dp.quantile(dp.zeros(3), [[0.5]]), ShapeError, "q must be a number or a vector, got shape (1, 1)"),
    ("bad-interpolation", lambda: dp.quantile(dp.zeros(3), 0.5, interpolation="cubic"), ConfigError,
     "interpolation must be one of linear, lower, higher, midpoint, nearest, got 'cubic'"),
    ("empty", lambda: dp.quantile(dp.zeros(0), 0.5), ShapeError, "the input of shape (0,) is empty"),
    ("integers", lambda: dp.quantile(dp.tensor([1, 2]), 0.5), TypeError, "not implemented for int64 tensors"),
    ("float16", lambda: dp.quantile(dp.zeros(2, dtype=dp.float16), 0.5), TypeError, "float32 or float64"),
    ("dim-out-of-range", lambda: dp.quantile(dp.zeros(2, 3), 0.5, dim=2), ShapeError, "out of range"),
]


@pytest.mark.parametrize("make, error, sentence", [pytest.param(*r[1:], id=r[0]) for r in QUANTILE_REFUSALS])
def test_quantile_refusals(make, error, sentence):
    with pytest.raises(error) as caught:
        make()
    assert sentence in str(caught.value)


# -- kthvalue and mode --------------------------------------------------------------------------

def kthvalue_pair(k, *args, **kwargs):
    return (lambda x, _: torch.kthvalue(x, k, *args, **kwargs)), (lambda x, _: dp.kthvalue(x, k, *args, **kwargs))


def mode_pair(*args, **kwargs):
    return (lambda x, _: torch.mode(x, *args, **kwargs)), (lambda x, _: dp.mode(x, *args, **kwargs))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("args, kwargs", [((), {}), ((0,), {}), ((1,), dict(keepdim=True)), ((-2,), dict(keepdim=False))])
def test_kthvalue_matches_torch(args, kwargs, k, dtype):
    agree(*kthvalue_pair(k, *args, **kwargs), distinct((4, 5)), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
def test_kthvalue_with_ties_and_nan_matches_torch_values(k, dtype):
    rows = np.array([[3.0, 1.0, 2.0, 2.0, 2.0, 7.0], [NAN, 1.0, NAN, 0.0, 5.0, 5.0]], dtype=DTYPES[dtype][0])
    # among equal values PyTorch's quickselect names any of them: the values are compared, the index
    # checked to name an element of the value, and the gradient to reach that element alone
    theirs = torch.kthvalue(torch.tensor(rows), k, 1)
    x = dp.tensor(rows, requires_grad=True, dtype=DTYPES[dtype][0])
    values, indices = dp.kthvalue(x, k, 1)
    np.testing.assert_array_equal(values.data, theirs.values.numpy())
    np.testing.assert_array_equal(np.take_along_axis(rows, indices.data[:, None], 1)[:, 0], values.data)
    values.backward(np.array([2.0, 3.0], dtype=rows.dtype))
    expected = np.zeros(rows.shape, rows.dtype)
    np.put_along_axis(expected, indices.data[:, None], np.array([[2.0], [3.0]], dtype=rows.dtype), 1)
    np.testing.assert_array_equal(x.grad, expected)


def test_kthvalue_names_the_stable_sorts_kth_among_ties():
    x = dp.tensor([2.0, 1.0, 2.0, 2.0, 0.0], requires_grad=True)
    values, indices = dp.kthvalue(x, 3)  # sorted stably: 0 (at 4), 1 (at 1), 2 (at 0), 2 (at 2), 2 (at 3)
    assert (float(values.data), int(indices.data)) == (2.0, 0)
    values.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("args, kwargs", [((), {}), ((0,), {}), ((1,), dict(keepdim=True)), ((0,), dict(keepdim=True))])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mode_with_ties_matches_torch(seed, args, kwargs, dtype):
    agree(*mode_pair(*args, **kwargs), with_ties((6, 16), seed), dtype)


MODE_ROWS = [[3.0, 1.0, 2.0, 2.0, 1.0, 7.0], [1.0, 1.0, 2.0, 2.0], [2.0, 2.0, 1.0, 1.0], [5.0, 4.0, 3.0],
             [2.0, 1.0, 2.0, 1.0, 2.0, 1.0], [4.0], [-1.0, 0.0, -1.0, 0.0, 0.0]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("row", MODE_ROWS, ids=[str(r) for r in MODE_ROWS])
def test_mode_tie_rules_match_torch(row, dtype):
    """The smallest of the most frequent values, indexed at its last occurrence."""
    agree(*mode_pair(), row, dtype)


def test_mode_counts_nans_as_one_value():
    values, indices = dp.mode(dp.tensor([NAN, 1.0, NAN, NAN, 1.0]))
    assert np.isnan(values.data) and int(indices.data) == 3


@pytest.mark.parametrize("name", ["kthvalue", "mode"])
def test_selection_of_integers_matches_torch(name):
    x = [4, 1, 3, 1, 4, 4]
    theirs = torch.kthvalue(torch.tensor(x), 2) if name == "kthvalue" else torch.mode(torch.tensor(x))
    ours = dp.kthvalue(dp.tensor(x), 2) if name == "kthvalue" else dp.mode(dp.tensor(x))
    assert ours.values.dtype == np.int64 and ours.indices.dtype == np.int64
    assert int(ours.values.data) == int(theirs.values)
    if name == "mode":
        assert int(ours.indices.data) == int(theirs.indices)


@pytest.mark.parametrize("name", ["kthvalue", "mode"])
@pytest.mark.parametrize("dim", [0, -1])
def test_selection_of_a_0d_tensor_matches_torch(name, dim):
    pair = kthvalue_pair(1, dim, keepdim=True) if name == "kthvalue" else mode_pair(dim, keepdim=True)
    agree(*pair, 2.5, "float64")


def test_selection_methods_are_the_functions():
    x = dp.tensor(with_ties((3, 5)))
    for ours, reference in [(x.kthvalue(2, 0, True), dp.kthvalue(x, 2, 0, True)), (x.mode(1), dp.mode(x, 1))]:
        np.testing.assert_array_equal(ours.values.data, reference.values.data)
        np.testing.assert_array_equal(ours.indices.data, reference.indices.data)


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_kthvalue_gradcheck(dim):
    x = dp.tensor(distinct((3, 4, 2)), requires_grad=True, dtype=dp.float64)
    assert dp.gradcheck(lambda t: dp.kthvalue(t, 2, dim).values, [x])


@pytest.mark.parametrize("dim", [0, 1])
def test_mode_gradcheck(dim):
    # a repeated value moved as one (each copy a function of one input) keeps its count under ±eps
    base = dp.tensor(distinct((3, 4)), requires_grad=True, dtype=dp.float64)
    assert dp.gradcheck(lambda t: dp.mode(dp.cat([t, t[:1] if dim == 0 else t[:, :1]], dim), dim).values, [base])


SELECTION_REFUSALS = [
    ("k-zero", lambda: dp.kthvalue(dp.zeros(2, 6), 0), ShapeError,
     "kthvalue: k must be in [1, 6] for dimension 1 of size 6, got 0"),
    ("k-too-large", lambda: dp.kthvalue(dp.zeros(2, 6), 7, 1), ShapeError, "k must be in [1, 6]"),
    ("k-of-0d", lambda: dp.kthvalue(dp.tensor(1.0), 2), ShapeError, "k must be in [1, 1]"),
    ("k-float", lambda: dp.kthvalue(dp.zeros(3), 2.0), TypeError, "kthvalue: k must be an integer, got 2.0"),
    ("kthvalue-empty", lambda: dp.kthvalue(dp.zeros(0), 1), ShapeError,
     "kthvalue: dimension 0 of the input of shape (0,) is empty"),
    ("mode-empty", lambda: dp.mode(dp.zeros(2, 0)), ShapeError, "mode: dimension 1 of the input of shape (2, 0) is empty"),
    ("mode-dim", lambda: dp.mode(dp.zeros(2, 3), 2), ShapeError, "out of range"),
]


@pytest.mark.parametrize("make, error, sentence", [pytest.param(*r[1:], id=r[0]) for r in SELECTION_REFUSALS])
def test_selection_refusals(make, error, sentence):
    with pytest.raises(error) as caught:
        make()
    assert sentence in str(caught.value)
