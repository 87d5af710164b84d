"""Index forms where NumPy's reading and PyTorch 2.13's part: each either gives PyTorch's values,
shape and gradient (float64 and float32, and finite differences in float64), or is refused in one
sentence where the two frameworks would give different answers to the same code.

- a uint8 index: PyTorch reads it as a boolean mask (deprecated), NumPy as positions: refused;
- a negative slice step: PyTorch refuses it, NumPy reverses; kept (a superset), its gradient checked
  against PyTorch's reading of the same positions (index_select);
- an Ellipsis that stands for no dimension between two arrays: PyTorch drops it (the arrays stay
  adjacent), NumPy counts it as a separator (the arrays' axis goes first);
- a list of lists as the whole index: PyTorch 2.13 reads it as a tuple (deprecated), NumPy as one
  array: refused; a float index and a repeated Ellipsis: refused.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")

DTYPES = {"float64": (np.float64, torch.float64), "float32": (np.float32, torch.float32)}
TOLERANCES = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=1e-6, atol=1e-6)}
X = np.random.default_rng(11).uniform(-2, 2, (2, 3, 4))


def agree(theirs_fn, ours_fn, dtype, x=X):
    """``theirs_fn`` on a PyTorch tensor and ``ours_fn`` on a deltaprop one, both holding ``x`` in
    ``dtype``: the same shape, dtype and values, and the same gradient of a random projection."""
    np_dtype, torch_dtype = DTYPES[dtype]
    theirs = torch.tensor(x, dtype=torch_dtype, requires_grad=True)
    ours = dp.tensor(x, dtype=np_dtype, requires_grad=True)
    expected, got = theirs_fn(theirs), ours_fn(ours)
    assert got.shape == tuple(expected.shape) and got.dtype == np_dtype
    np.testing.assert_allclose(got.data, expected.detach().numpy(), **TOLERANCES[dtype])
    direction = np.random.default_rng(3).standard_normal(got.shape).astype(np_dtype)
    expected.backward(torch.tensor(direction))
    got.backward(direction)
    assert ours.grad.dtype == np_dtype
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCES[dtype])
    if dtype == "float64":
        assert dp.gradcheck(ours_fn, [dp.tensor(x, dtype=np.float64, requires_grad=True)])


# -- uint8: a mask to PyTorch, positions to NumPy --------------------------------------------------

UINT8 = {
    "NumPy array": lambda: np.array([1, 0], np.uint8),
    "tensor": lambda: dp.tensor(np.array([1, 0, 1], np.uint8)),
    "0-d array": lambda: np.array(1, np.uint8),
    "in a tuple": lambda: (slice(None), np.array([1, 1, 0], np.uint8)),
    "tensor in a tuple with an integer": lambda: (0, slice(None), dp.tensor(np.array([1, 0, 0, 1], np.uint8))),
}


@pytest.mark.parametrize("index", UINT8.values(), ids=UINT8.keys())
def test_a_uint8_index_is_refused_in_one_sentence_pointing_to_bool(index):
    # PyTorch took [1, 0] as a mask (row 0), NumPy as positions (rows 1 and 0): both differ silently.
    with pytest.raises(IndexError, match=r"^index: a uint8 index .* PyTorch reads it as a boolean mask .* NumPy as "
                                         r"positions; convert it with \.bool\(\) .* or \.long\(\)"):
        dp.tensor(X)[index()]


@pytest.mark.parametrize("index", UINT8.values(), ids=UINT8.keys())
def test_assigning_through_a_uint8_index_is_refused_too(index):
    x = dp.tensor(X, dtype=np.float64)
    with pytest.raises(IndexError, match=r"^item assignment: a uint8 index"):
        x[index()] = 0.0
    np.testing.assert_array_equal(x.data, X)


def test_pytorch_reads_uint8_as_the_mask_that_bool_gives_us():
    # what the refusal's advice leads to is what PyTorch computed (and warned about)
    mask = np.array([1, 0, 1], np.uint8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = torch.tensor(X)[:, torch.tensor(mask)]
    assert any("uint8" in str(w.message) and "deprecated" in str(w.message) for w in caught)
    got = dp.tensor(X, dtype=np.float64)[:, dp.tensor(mask).bool()]
    assert got.shape == tuple(expected.shape)
    np.testing.assert_array_equal(got.data, expected.numpy())
    np.testing.assert_array_equal(dp.tensor(X, dtype=np.float64)[dp.tensor(mask[:2]).long()].data, X[[1, 0]])


def test_a_numpy_uint8_scalar_is_an_integer_as_in_pytorch():
    for dtype in DTYPES:
        agree(lambda t: t[np.uint8(1)], lambda t: t[np.uint8(1)], dtype)
        agree(lambda t: t[:, np.uint8(2), [0, 3]], lambda t: t[:, np.uint8(2), [0, 3]], dtype)


def test_other_unsigned_integer_arrays_are_positions_as_in_pytorch():
    index = np.array([1, 0, 1], np.uint16)
    for dtype in DTYPES:
        agree(lambda t: t[index], lambda t: t[index], dtype)


def test_bool_converts_a_tensor_to_booleans_outside_the_graph():
    b = dp.tensor(np.array([[2.0, 0.0], [-0.5, 0.0]]), requires_grad=True).bool()
    assert b.dtype == np.bool_ and not b.requires_grad
    np.testing.assert_array_equal(b.data, [[True, False], [True, False]])


# -- negative steps: PyTorch refuses them; we reverse, as NumPy does, with the gradient put back -----

MASK3 = np.array([True, False, True])
BACKWARDS = {  # our index with a negative step, and PyTorch's way to the same positions
    "::-1": ((slice(None, None, -1),), lambda t: t.flip(0)),
    "-1:-3:-1": ((slice(-1, -3, -1),), lambda t: t.flip(0)),
    ":, :, 3:0:-2": ((slice(None), slice(None), slice(3, 0, -2)), lambda t: t[:, :, [3, 1]]),
    "1, ::-2, ::-1": ((1, slice(None, None, -2), slice(None, None, -1)), lambda t: t[1][[2, 0]].flip(-1)),
    "..., ::-3": ((Ellipsis, slice(None, None, -3)), lambda t: t[..., [3, 0]]),
    "empty 0:2:-1": ((slice(0, 2, -1),), lambda t: t[:0]),
    "::-1, :, list": ((slice(None, None, -1), slice(None), [0, 2, 2]), lambda t: t.flip(0)[:, :, [0, 2, 2]]),
    "0, ::-1, list": ((0, slice(None, None, -1), [3, 1]), lambda t: t[0].flip(0)[:, [3, 1]]),
    "::-1, mask": ((slice(None, None, -1), MASK3), lambda t: t.flip(0)[:, torch.tensor(MASK3)]),
    "list, ::-1, list": (([1, 0], slice(None, None, -1), [3, 3]), lambda t: t.flip(1)[[1, 0], :, [3, 3]]),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", BACKWARDS.values(), ids=BACKWARDS.keys())
def test_a_negative_step_reverses_with_the_gradient_pytorch_gives_for_the_same_positions(case, dtype):
    index, theirs = case
    with pytest.raises(ValueError, match="step must be greater than zero"):  # why this is a superset
        torch.tensor(X)[index]
    agree(theirs, lambda t: t[index], dtype)


@pytest.mark.parametrize("case", BACKWARDS.values(), ids=BACKWARDS.keys())
def test_assigning_through_a_negative_step_writes_where_it_reads(case):
    index, _ = case
    x = dp.tensor(X, dtype=np.float64)
    shape = x[index].shape
    x[index] = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    flat = np.arange(X.size).reshape(X.shape)  # which element went where, read through the same index
    expected = X.copy()
    expected.reshape(-1)[dp.tensor(flat)[index].data.reshape(-1)] = np.arange(1.0, 1.0 + np.prod(shape))
    np.testing.assert_array_equal(x.data, expected)


# -- an Ellipsis that stands for no dimension ------------------------------------------------------

X4 = np.random.default_rng(12).uniform(-2, 2, (2, 3, 4, 5))
EMPTY_ELLIPSIS = {  # (index in either framework's form, the array it indexes)
    "2-d: list, ..., list": (lambda T: ([0, 1], Ellipsis, [1, 2]), X[0]),
    "slice, list, ..., list": (lambda T: (slice(None), [0, 1], Ellipsis, [1, 2]), X),
    "slice, mask, ..., list": (lambda T: (slice(None), T(MASK3), Ellipsis, [1, 2]), X),
    "slice, tensor, ..., 2-d tensor": (lambda T: (slice(None), T([0, 2]), Ellipsis, T([[1, 3], [0, 0]])), X),
    "None, slice, list, ..., list": (lambda T: (None, slice(None), [0, 2], Ellipsis, [1, 3]), X),
    "int, slice, list, ..., list": (lambda T: (1, slice(1, None), [0, 2], Ellipsis, [1, 3]), X4),
    "slice, list, ..., list, slice": (lambda T: (slice(None), [0, 1], Ellipsis, [1, 2], slice(None)), X4),
    "slice, list, list, ..., slice": (lambda T: (slice(None), [0, 1], [1, 2], Ellipsis, slice(None, 2)), X4),
    "..., slice, list, list, slice": (lambda T: (Ellipsis, slice(None), [0, 1], [1, 2], slice(None, 2)), X4),
    "not empty: list, ..., list": (lambda T: ([0, 1], Ellipsis, [1, 2]), X),
    "not empty: slice, list, ..., list": (lambda T: (slice(None), [0, 1], Ellipsis, [1, 2]), X4),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", EMPTY_ELLIPSIS.values(), ids=EMPTY_ELLIPSIS.keys())
def test_an_ellipsis_standing_for_no_dimension_keeps_the_arrays_adjacent_as_in_pytorch(case, dtype):
    # x[:, [0, 1], ..., [1, 2]] of shape (2, 3, 4): NumPy put the arrays' axis first ([[x[0, 0, 1],
    # x[1, 0, 1]], ...]); PyTorch drops the empty Ellipsis and keeps that axis after dim 0.
    index, x = case
    agree(lambda t: t[index(torch.tensor)], lambda t: t[index(dp.tensor)], dtype, x)
    agree(lambda t: t[index(torch.tensor)], lambda t: t[index(np.asarray)], dtype, x)


@pytest.mark.parametrize("case", EMPTY_ELLIPSIS.values(), ids=EMPTY_ELLIPSIS.keys())
def test_assigning_through_an_empty_ellipsis_writes_where_pytorch_does(case):
    index, x = case
    theirs, ours = torch.tensor(x), dp.tensor(x, dtype=np.float64)
    shape = tuple(theirs[index(torch.tensor)].shape)
    value = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    theirs[index(torch.tensor)] = torch.tensor(value)
    ours[index(dp.tensor)] = value
    np.testing.assert_array_equal(ours.data, theirs.numpy())


# -- a list of lists as the whole index, floats, a second Ellipsis ----------------------------------

TUPLE_LIKE_LISTS = {
    "list of lists": [[0, 1], [1, 0]],
    "list holding a tensor": [dp.tensor(1), 0],
    "list holding an array": [np.array([0, 1]), 2],
    "list holding a slice": [0, slice(None)],
    "list holding None": [0, None],
    "list holding ...": [Ellipsis, 1],
}


@pytest.mark.parametrize("index", TUPLE_LIKE_LISTS.values(), ids=TUPLE_LIKE_LISTS.keys())
def test_a_list_pytorch_reads_as_a_tuple_is_refused_in_one_sentence(index):
    # PyTorch 2.13 read x[[[0, 1], [1, 0]]] as x[[0, 1], [1, 0]] (2 elements, with a deprecation
    # warning); NumPy, and deltaprop before, as one 2-d array (2 x 2 rows).
    words = r"a list holding lists, .* read by PyTorch as a tuple .* and by NumPy as one array; write x\[tuple\(index\)\]"
    with pytest.raises(IndexError, match="^index: " + words):
        dp.tensor(X)[index]
    x = dp.tensor(X, dtype=np.float64)
    with pytest.raises(IndexError, match="^item assignment: " + words):
        x[index] = 0.0
    np.testing.assert_array_equal(x.data, X)


def test_the_two_readings_the_refusal_offers_match_pytorch():
    index = [[0, 1], [1, 0]]
    for dtype in DTYPES:
        agree(lambda t: t[tuple(index)], lambda t: t[tuple(index)], dtype)
        agree(lambda t: t[torch.tensor(index)], lambda t: t[dp.tensor(index)], dtype)


def test_a_long_list_of_lists_is_one_array_in_both_frameworks():
    # (from 32 items on PyTorch stops reading a list as a tuple, as NumPy's old rule did)
    index = [[i % 2, (i + 1) % 2] for i in range(32)]
    for dtype in DTYPES:
        agree(lambda t: t[index], lambda t: t[index], dtype)


FLOATS = {
    "float": lambda: 1.0,
    "NumPy float": lambda: np.float64(1.0),
    "float in a tuple": lambda: (0, 1.0),
    "list of floats": lambda: [1.0, 0.0],
    "float array in a tuple": lambda: (slice(None), np.array([1.0, 0.0])),
    "float tensor": lambda: dp.tensor([1.0, 0.0]),
}


@pytest.mark.parametrize("index", FLOATS.values(), ids=FLOATS.keys())
def test_a_float_index_is_refused_in_one_sentence_naming_it(index):
    # (PyTorch refuses a float and a float tensor; it truncates a list of floats, which we refuse)
    with pytest.raises(IndexError, match=r"^index: a float index \(.*\) is not a position; use an integer"):
        dp.tensor(X)[index()]
    x = dp.tensor(X)
    with pytest.raises(IndexError, match=r"^item assignment: a float index"):
        x[index()] = 0.0


@pytest.mark.parametrize("index", [(Ellipsis, Ellipsis), (Ellipsis, 0, Ellipsis), ([0, 1], Ellipsis, Ellipsis, [1, 2])],
                         ids=["..., ...", "..., 0, ...", "list, ..., ..., list"])
def test_a_second_ellipsis_is_refused_in_one_sentence(index):
    # (NumPy refuses it; PyTorch 2.13 takes it its own undocumented way: x[..., 1, ..., 2] on a
    # 3-d tensor fails with "index 2 is out of bounds for dimension 3 with size 0")
    with pytest.raises(IndexError, match=r"^index: an index can hold one Ellipsis \(\.\.\.\) at most, this one holds 2$"):
        dp.tensor(X)[index]
    x = dp.tensor(X)
    with pytest.raises(IndexError, match=r"^item assignment: an index can hold one Ellipsis"):
        x[index] = 0.0
