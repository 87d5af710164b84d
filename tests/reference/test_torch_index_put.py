"""``index_put``/``index_put_`` (``x[indices] = values`` as a function, ``accumulate=True`` adding) and
``masked_scatter``/``masked_scatter_``, against PyTorch: values and gradients in float64 and float32,
gradients against finite differences in float64, the refusals in one sentence, and the in-place
forms under deltaprop's in-place rules (refused where the graph records the tensor or the values).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these operations are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import DataError, GradError, ShapeError  # noqa: E402

DTYPES = [np.float64, np.float32]
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}

X = np.random.default_rng(0).standard_normal((3, 4, 2))

# name -> (indices as lists (a tuple; booleans for masks), the shape of the values)
INDEX_PUTS = {
    "one vector, whole rows": (([0, 2],), (2, 4, 2)),
    "one vector, values broadcast": (([0, 2],), (2,)),
    "a repeated row": (([1, 1, 0],), (3, 4, 2)),
    "two vectors": (([0, 2, 0], [1, 3, 1]), (3, 2)),
    "two vectors broadcast": (([[0], [2]], [1, 3]), (2, 2, 2)),
    "negative positions": (([-1, 0], [-4, 3], [1, -2]), (2,)),
    "three vectors, one value": (([0, 1, 0], [2, 2, 2], [1, 1, 1]), ()),
    "a mask of the first dimension": (([True, False, True],), (4, 2)),
    "a mask of two dimensions": (([[True, False, False, True], [False] * 4, [False, True, True, False]],), (4, 1)),
    "a mask, then a vector": (([True, False, True], [3, 0]), (2, 2)),
    "an empty index": (([],), (2,)),
}


def _indices(spec, lib):
    return tuple(lib.tensor(np.array(i, dtype=bool if np.array(i).dtype == bool else np.int64)) for i in spec)


def _values(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("accumulate", [False, True], ids=["write", "accumulate"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(INDEX_PUTS))
def test_index_put_values_and_gradients_are_pytorchs(name, dtype, accumulate):
    spec, shape = INDEX_PUTS[name]
    V = _values(shape)
    x, v = dp.tensor(X, dtype=dtype, requires_grad=True), dp.tensor(V, dtype=dtype, requires_grad=True)
    tx = torch.tensor(X, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    tv = torch.tensor(V, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    ours, theirs = x.index_put(_indices(spec, dp), v, accumulate), tx.index_put(_indices(spec, torch), tv, accumulate)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **TOLERANCES[dtype])
    G = np.random.default_rng(2).standard_normal(X.shape)
    ours.backward(G)
    theirs.backward(torch.tensor(G, dtype=TORCH_DTYPES[dtype]))
    assert x.grad.dtype == np.dtype(dtype) and v.grad.shape == V.shape
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), **TOLERANCES[dtype])
    np.testing.assert_allclose(v.grad, tv.grad.numpy(), **TOLERANCES[dtype])


REPEATS = {"a repeated row", "two vectors", "three vectors, one value"}  # index a position twice


@pytest.mark.parametrize("accumulate", [False, True], ids=["write", "accumulate"])
@pytest.mark.parametrize("name", list(INDEX_PUTS))
def test_index_put_gradients_match_finite_differences(name, accumulate):
    if name in REPEATS and not accumulate:
        pytest.skip("one of two writes to a position wins: PyTorch's gradient is a choice, not a derivative")
    spec, shape = INDEX_PUTS[name]
    x = dp.tensor(X, dtype=dp.float64, requires_grad=True)
    v = dp.tensor(_values(shape), dtype=dp.float64, requires_grad=True)
    assert dp.gradcheck(lambda a, b: dp.index_put(a, _indices(spec, dp), b, accumulate=accumulate), (x, v))


def test_accumulate_adds_every_repeat_as_a_hand_count_says():
    x = dp.zeros(3)
    out = x.index_put((dp.tensor([0, 2, 0, 0]),), dp.tensor([1.0, 10.0, 100.0, 1000.0]), accumulate=True)
    np.testing.assert_allclose(out.data, [1101.0, 0.0, 10.0])
    np.testing.assert_array_equal(x.data, [0.0, 0.0, 0.0])  # the out-of-place form leaves the input as it was


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("accumulate", [False, True], ids=["write", "accumulate"])
def test_index_put_in_place_changes_the_tensor_as_pytorchs_does(dtype, accumulate):
    x, t = dp.tensor(X, dtype=dtype), torch.tensor(X, dtype=TORCH_DTYPES[dtype])
    V = _values((3, 2))
    view = x.data
    assert x.index_put_(_indices(([0, 2, 0], [1, 3, 1]), dp), dp.tensor(V, dtype=dtype), accumulate) is x
    t.index_put_(_indices(([0, 2, 0], [1, 3, 1]), torch), torch.tensor(V, dtype=TORCH_DTYPES[dtype]), accumulate)
    assert x.data is view
    np.testing.assert_allclose(x.data, t.numpy(), **TOLERANCES[dtype])
    y = dp.tensor(X, dtype=dtype)
    assert dp.index_put_(y, _indices(([0, 2, 0], [1, 3, 1]), dp), dp.tensor(V, dtype=dtype), accumulate) is y
    np.testing.assert_allclose(y.data, t.numpy(), **TOLERANCES[dtype])


def test_index_put_of_an_integer_tensor_accumulates_in_its_dtype():
    x, t = dp.zeros(3, dtype=dp.int64), torch.zeros(3, dtype=torch.int64)
    x.index_put_((dp.tensor([0, 0, 2]),), dp.tensor([2, 3, 4]), accumulate=True)
    t.index_put_((torch.tensor([0, 0, 2]),), torch.tensor([2, 3, 4]), accumulate=True)
    assert x.dtype == np.int64 and x.data.tolist() == t.tolist() == [5, 0, 4]


def test_index_put_takes_a_number_as_values_where_pytorch_asks_for_a_tensor():
    out = dp.zeros(2, 2).index_put((dp.tensor([1]),), 7.5)
    np.testing.assert_array_equal(out.data, [[0.0, 0.0], [7.5, 7.5]])
    with pytest.raises(TypeError):
        torch.zeros(2, 2).index_put((torch.tensor([1]),), 7.5)


INDEX_PUT_REFUSALS = [
    (lambda lib: lib.zeros(3, 4).index_put(lib.tensor([0, 2]), lib.tensor(1.0)),
     TypeError, r"index_put: indices must be a tuple of index tensors, one per leading dimension, got a Tensor"),
    (lambda lib: lib.zeros(3, 4).index_put((lib.tensor([0, 2]),), lib.tensor([1.0, 2.0, 3.0])),
     ShapeError, r"index_put: values of shape \(3,\) cannot be broadcast to the shape \(2, 4\) of the elements the "),
    (lambda lib: lib.zeros(3, 4).index_put((lib.tensor([0, 5]),), lib.tensor(1.0)),
     IndexError, r"index_put: index 5 is outside \[-3, 3\) for dimension 0 of length 3"),
    (lambda lib: lib.zeros(3, 4).index_put((lib.tensor([0, -4]),), lib.tensor(1.0)),
     IndexError, r"index_put: index -4 is outside \[-3, 3\) for dimension 0 of length 3"),
    (lambda lib: lib.zeros(3, 4).index_put((lib.tensor([0, 1]),) * 3, lib.tensor(1.0)),
     IndexError, r"index_put: 3 index tensors are too many for an input of shape \(3, 4\)"),
    (lambda lib: lib.zeros(3, 4).index_put((lib.tensor([0, 1]), lib.tensor([0, 1, 2])), lib.tensor(1.0)),
     ShapeError, r"index_put: index tensors of shapes \[\(2,\), \(3,\)\] cannot be broadcast together"),
    (lambda lib: lib.zeros(3, 4).index_put((lib.tensor([0.0, 1.0]),), lib.tensor(1.0)),
     DataError, r"index_put: an index must hold integers of dtype int64 or int32, or booleans, got dtype float32"),
    (lambda lib: lib.zeros(3, 4).index_put((lib.tensor([True, False]),), lib.tensor(1.0)),
     ShapeError, r"index_put: a mask of shape \(2,\) at dimension 0 does not match the input's shape \(3, 4\) there"),
    (lambda lib: lib.zeros(3, 4).index_put((lib.tensor([0, 2]),), lib.tensor(1.0, dtype=lib.float64)),
     DataError, r"index_put: values has dtype float64 and the input float32; they must be the same, as in PyTorch"),
]


@pytest.mark.parametrize("call, error, message", INDEX_PUT_REFUSALS)
def test_index_put_refuses_what_pytorch_refuses_in_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call(dp)
    with pytest.raises((RuntimeError, IndexError, TypeError)):
        call(torch)


def test_index_put_refuses_a_numpy_array_of_another_dtype_and_a_uint8_index():
    with pytest.raises(DataError, match=r"index_put: values has dtype float64 and the input float32"):
        dp.zeros(3).index_put((dp.tensor([0]),), np.array([1.0]))
    with pytest.raises(DataError, match=r"got dtype uint8 \(a uint8 mask: convert it with \.bool\(\)\)"):
        dp.zeros(3).index_put((np.array([1, 0, 1], dtype=np.uint8),), dp.tensor(1.0))


# -- masked_scatter --------------------------------------------------------------------------------

MASKS = {
    "same shape": (np.array([[True, False, True], [False, True, True]]), (2, 4)),
    "a row, broadcast": (np.array([True, False, True]), (6,)),
    "a column, broadcast": (np.array([[True], [False]]), (2, 3)),
    "all false": (np.zeros((2, 3), dtype=bool), (3,)),
    "more source than needed": (np.array([True, True, False]), (3, 4)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(MASKS))
def test_masked_scatter_values_and_gradients_are_pytorchs(name, dtype):
    mask, shape = MASKS[name]
    A, S = _values((2, 3), seed=3), _values(shape, seed=4)
    a, s = dp.tensor(A, dtype=dtype, requires_grad=True), dp.tensor(S, dtype=dtype, requires_grad=True)
    ta = torch.tensor(A, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    ts = torch.tensor(S, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    ours, theirs = a.masked_scatter(dp.tensor(mask), s), ta.masked_scatter(torch.tensor(mask), ts)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **TOLERANCES[dtype])
    G = _values((2, 3), seed=5)
    ours.backward(G)
    theirs.backward(torch.tensor(G, dtype=TORCH_DTYPES[dtype]))
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), **TOLERANCES[dtype])
    np.testing.assert_allclose(s.grad, ts.grad.numpy(), **TOLERANCES[dtype])


def test_masked_scatter_broadcasts_the_input_against_the_mask_as_pytorch():
    A, S = _values((3,), seed=6), _values((2, 3), seed=7)
    mask = np.array([[True, False, True], [True, True, True]])
    a, s = dp.tensor(A, dtype=dp.float64, requires_grad=True), dp.tensor(S, dtype=dp.float64, requires_grad=True)
    ta, ts = torch.tensor(A, requires_grad=True), torch.tensor(S, requires_grad=True)
    ours, theirs = dp.masked_scatter(a, dp.tensor(mask), s), torch.masked_scatter(ta, torch.tensor(mask), ts)
    assert ours.shape == tuple(theirs.shape) == (2, 3)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(s.grad, ts.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", list(MASKS))
def test_masked_scatter_gradients_match_finite_differences(name):
    mask, shape = MASKS[name]
    a = dp.tensor(_values((2, 3), seed=3), dtype=dp.float64, requires_grad=True)
    s = dp.tensor(_values(shape, seed=4), dtype=dp.float64, requires_grad=True)
    assert dp.gradcheck(lambda x, y: x.masked_scatter(dp.tensor(mask), y), (a, s))


def test_masked_scatter_fills_in_row_major_order_of_the_mask():
    out = dp.zeros(2, 3).masked_scatter(dp.tensor([[False, True, True], [True, False, True]]), dp.tensor([[1.0, 2.0],
                                                                                                        [3.0, 4.0]]))
    np.testing.assert_array_equal(out.data, [[0.0, 1.0, 2.0], [3.0, 0.0, 4.0]])


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_masked_scatter_in_place_changes_the_tensor_as_pytorchs_does(dtype):
    mask = np.array([True, False, True])
    x, t = dp.tensor(_values((2, 3)), dtype=dtype), torch.tensor(_values((2, 3)), dtype=TORCH_DTYPES[dtype])
    view = x.data
    assert x.masked_scatter_(dp.tensor(mask), dp.arange(1.0, 7.0, dtype=dtype)) is x
    t.masked_scatter_(torch.tensor(mask), torch.arange(1.0, 7.0, dtype=TORCH_DTYPES[dtype]))
    assert x.data is view
    np.testing.assert_allclose(x.data, t.numpy(), **TOLERANCES[dtype])


MASKED_SCATTER_REFUSALS = [
    (lambda lib: lib.zeros(2, 3).masked_scatter(lib.tensor([1, 0, 1]), lib.arange(1.0, 7.0)),
     DataError, r"masked_scatter: mask must be boolean, got dtype int64"),
    (lambda lib: lib.zeros(2, 3).masked_scatter(lib.tensor([True, True]), lib.arange(1.0, 7.0)),
     ShapeError, r"masked_scatter: mask of shape \(2,\) cannot be broadcast with the input's shape \(2, 3\)"),
    (lambda lib: lib.zeros(2, 3).masked_scatter(lib.tensor([True, True, True]), lib.arange(1.0, 3.0)),
     ShapeError, r"masked_scatter: the mask has 6 true elements and source \(shape \(2,\)\) only 2"),
    (lambda lib: lib.zeros(2, 3).masked_scatter(lib.tensor([True, True, True]), lib.arange(1.0, 7.0, dtype=lib.float64)),
     DataError, r"masked_scatter: source has dtype float64 and the input float32; they must be the same"),
    (lambda lib: lib.zeros(3).masked_scatter_(lib.tensor([[True, False, True], [True, True, True]]), lib.arange(1.0, 7.0)),
     ShapeError, r"masked_scatter_: the result has shape \(2, 3\), the tensor \(3,\); an in-place change keeps"),
]


@pytest.mark.parametrize("call, error, message", MASKED_SCATTER_REFUSALS)
def test_masked_scatter_refuses_what_pytorch_refuses_in_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call(dp)
    with pytest.raises(RuntimeError):
        call(torch)


# -- the in-place forms and the graph --------------------------------------------------------------

IN_PLACE = {
    "index_put_": (lambda x, v, lib: x.index_put_((lib.tensor([0, 1]),), v), lambda lib, g: lib.tensor([1.0, 2.0], requires_grad=g)),
    "masked_scatter_": (lambda x, v, lib: x.masked_scatter_(lib.tensor([True, False]), v),
                        lambda lib, g: lib.tensor([1.0, 2.0, 3.0], requires_grad=g)),
}


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_in_place_forms_are_refused_on_a_leaf_that_requires_grad_as_pytorch_does(name):
    call, values = IN_PLACE[name]
    leaf = dp.zeros(2, requires_grad=True)
    with pytest.raises(GradError, match=f"{name}: a leaf tensor that requires grad cannot be changed in place"):
        call(leaf, values(dp, False), dp)
    np.testing.assert_array_equal(leaf.data, [0.0, 0.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        call(torch.zeros(2, requires_grad=True), values(torch, False), torch)


@pytest.mark.parametrize("name", list(IN_PLACE))
@pytest.mark.parametrize("recorded", ["values", "tensor"])
def test_in_place_forms_record_values_that_require_grad_and_a_tensor_the_graph_records(name, recorded):
    call, values = IN_PLACE[name]
    found = []
    for lib in (dp, torch):
        leaf = lib.tensor([3.0, -1.0], dtype=lib.float64, requires_grad=True)
        written = values(lib, False).to(lib.float64).requires_grad_(recorded == "values")
        x = lib.zeros(2, dtype=lib.float64) if recorded == "values" else leaf * 2
        assert call(x, written, lib) is x and x.requires_grad
        (x * leaf).sum().backward()
        found.append([None if t.grad is None else np.asarray(t.grad) if lib is dp else t.grad.numpy()
                      for t in (leaf, written)])
        found[-1].append(x.data if lib is dp else x.detach().numpy())
    for ours, theirs in zip(*found):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_in_place_forms_work_on_a_parameter_under_no_grad(name):
    call, values = IN_PLACE[name]
    weight = dp.nn.Parameter(dp.zeros(2))
    with dp.no_grad():
        assert call(weight, values(dp, False), dp) is weight
    np.testing.assert_array_equal(weight.data, [1.0, 2.0] if name == "index_put_" else [1.0, 0.0])
    assert weight.requires_grad and weight.is_leaf


def test_backward_after_the_values_are_changed_in_place_is_allowed_as_in_pytorch():
    # Neither rule keeps the values written, so changing them afterwards changes no gradient.
    for lib in (dp, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        v = lib.tensor([5.0, 6.0], requires_grad=True)
        y = x.index_put((lib.tensor([0, 2]),), v) * lib.tensor([1.0, 10.0, 100.0])
        z = x.masked_scatter(lib.tensor([True, False, True]), v)
        with lib.no_grad():
            v.mul_(3.0)
        (y.sum() + z.sum()).backward()
        np.testing.assert_allclose(np.asarray(v.grad), [2.0, 101.0])
        np.testing.assert_allclose(np.asarray(x.grad), [0.0, 11.0, 0.0])
