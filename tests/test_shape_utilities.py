"""PyTorch's further shape, indexing and layout functions against central finite differences, in
float64 (the PyTorch comparison is reference/test_torch_shape_utilities.py), and what they promise
beyond PyTorch's numbers: views that share memory, gradients that add where pieces overlap, the
input left untouched by the out-of-place forms, and second derivatives by composition."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import autograd
from deltaprop.errors import GradError
from op_inputs import distinct


def anywhere(rng, shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def index(values):
    return dp.tensor(np.array(values, dtype=np.int64))


def case(name, fn, shapes, recipe=anywhere):
    return pytest.param(fn, shapes, recipe, id=name)


CASES = [
    case("tensor_split", lambda x: dp.tensor_split(x, 3, dim=1), [(2, 7)]),
    case("tensor_split overlapping", lambda x: x.tensor_split([3, 1, 12]), [(10, 2)]),
    case("hsplit", lambda x: dp.hsplit(x, [1, 3]), [(2, 4)]),
    case("vsplit", lambda x: x.vsplit(2), [(4, 3)]),
    case("dsplit", lambda x: dp.dsplit(x, 2), [(1, 2, 4)]),
    case("split_with_sizes", lambda x: x.split_with_sizes([1, 3], dim=1), [(2, 4)]),
    case("fliplr", dp.fliplr, [(3, 4)]),
    case("flipud", lambda x: x.flipud() * x, [(3, 2)]),
    case("msort", dp.msort, [(4, 3)], distinct),
    case("atleast_3d", lambda x, y: dp.atleast_3d(x, y), [(3,), ()]),
    case("row_stack", lambda x, y: dp.row_stack([x, y]), [(3,), (2, 3)]),
    case("take", lambda x: dp.take(x, index([[0, 5], [5, -1]])), [(2, 3)]),
    case("put", lambda x, s: x.put(index([4, 0]), s), [(2, 3), (2,)]),
    case("put accumulate", lambda x, s: dp.put(x, index([4, 0, 4]), s, accumulate=True), [(2, 3), (3,)]),
    case("diagflat", lambda x: dp.diagflat(x, -1), [(2, 2)]),
    case("diag_embed", lambda x: x.diag_embed(2, 0, 2), [(2, 3)]),
    case("diagonal_scatter", lambda x, s: dp.diagonal_scatter(x, s, -1, 1, 0), [(3, 4), (3,)]),
    case("select_scatter", lambda x, s: x.select_scatter(s, 1, 2), [(3, 4), (3,)]),
    case("slice_scatter", lambda x, s: dp.slice_scatter(x, s, 0, 1, None, 2), [(5, 2), (2, 2)]),
    case("block_diag", lambda a, b: dp.block_diag(a, b, a), [(2, 3), (1,)]),
    case("cartesian_prod", lambda a, b: dp.cartesian_prod(a, b), [(3,), (2,)]),
    case("combinations", lambda x: dp.combinations(x, 2, with_replacement=True) ** 2, [(3,)]),
    case("vander", lambda x: dp.vander(x, 4), [(3,)]),
    case("vander increasing", lambda x: dp.vander(x, increasing=True), [(4,)]),
    case("aminmax", lambda x: dp.aminmax(x, dim=0), [(3, 4)], distinct),
    case("nanmedian", lambda x: dp.nanmedian(x.where(dp.tensor([[True, False, True]] * 2), float("nan")), 1),
         [(2, 3)], distinct),
    case("nanmedian of all", lambda x: x.nanmedian() * x, [(2, 3)], distinct),
    case("sum_to_size", lambda x: x.sum_to_size(1, 3, 1), [(2, 3, 4)]),
    case("index_reduce prod", lambda x, s: x.index_reduce(1, index([0, 2, 0]), s, "prod"), [(2, 4), (2, 3)]),
    case("index_reduce mean", lambda x, s: dp.index_reduce(x, 0, index([1, 1]), s, "mean", include_self=False),
         [(3, 2), (2, 2)]),
    case("index_reduce amax", lambda x, s: x.index_reduce(0, index([2, 0]), s, "amax"), [(3, 2), (2, 2)], distinct),
]


@pytest.mark.parametrize("fn, shapes, recipe", CASES)
def test_gradients_match_finite_differences(fn, shapes, recipe):
    rng = np.random.default_rng(0)
    inputs = [dp.tensor(recipe(rng, shape), dtype=np.float64, requires_grad=True) for shape in shapes]
    assert dp.gradcheck(fn, inputs, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("fn, shapes, recipe", [c for c in CASES if c.id in (
    "tensor_split overlapping", "put accumulate", "diag_embed", "diagonal_scatter", "block_diag", "vander",
    "combinations", "index_reduce prod", "nanmedian", "sum_to_size")])
def test_second_derivatives_match_finite_differences(fn, shapes, recipe):
    rng = np.random.default_rng(1)
    inputs = [dp.tensor(recipe(rng, shape), dtype=np.float64, requires_grad=True) for shape in shapes]

    def squared(*args):  # (a square, so that the second derivative is not zero)
        out = fn(*args)
        outs = out if isinstance(out, tuple) else (out,)
        return sum((o * o).sum() for o in outs if o.dtype == np.float64)

    assert dp.gradgradcheck(squared, inputs, atol=1e-5, rtol=1e-4)


def test_the_pieces_and_the_views_share_the_inputs_memory():
    x = dp.tensor(np.arange(12.0).reshape(3, 4))
    for piece in (*x.tensor_split(2, 1), *dp.hsplit(x, 2), *x.vsplit([1]), *x.split_with_sizes([1, 2])):
        assert np.shares_memory(piece.data, x.data)
    row = x[0]
    assert dp.atleast_2d(x) is x and dp.atleast_1d(row) is row and np.shares_memory(dp.atleast_3d(row).data, x.data)
    assert np.shares_memory(dp.fliplr(x).data, x.data)


def test_the_out_of_place_writes_leave_their_input_as_it_was():
    X = np.arange(12.0).reshape(3, 4)
    x = dp.tensor(X)
    outs = [x.put(index([0]), dp.tensor([9.0])), x.diagonal_scatter(dp.ones(3)), x.select_scatter(dp.ones(4), 0, 1),
            x.slice_scatter(dp.ones((3, 2)), 1, 0, 2), x.index_reduce(0, index([1]), dp.ones((1, 4)), "amax")]
    np.testing.assert_array_equal(x.data, X)
    assert all(not np.shares_memory(out.data, x.data) for out in outs)


def test_a_written_value_of_another_dtype_is_converted_and_its_gradient_comes_back_in_its_own():
    x = dp.zeros((2, 3))
    src = dp.tensor([1.5, 2.5], dtype=dp.float64, requires_grad=True)
    out = dp.diagonal_scatter(x, src)
    assert out.dtype == np.float32
    (out * dp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert src.grad.dtype == np.float64
    np.testing.assert_array_equal(src.grad, [1.0, 5.0])


def test_an_in_place_write_of_a_tensor_the_graph_records_is_recorded():
    x = dp.ones((2, 2), requires_grad=True)
    y = x * 2
    y.fill_diagonal_(0.0)
    y.put_(index([1]), dp.tensor([3.0]))
    y.index_reduce_(0, index([1]), dp.full((1, 2), 2.0), "prod")
    np.testing.assert_array_equal(y.data, [[0.0, 3.0], [4.0, 0.0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [4.0, 0.0]])  # (written over but [1, 0], doubled twice)
    with pytest.raises(GradError, match="fill_diagonal_: a leaf tensor that requires grad"):
        x.fill_diagonal_(0.0)
    with dp.no_grad():
        x.fill_diagonal_(5.0)
    np.testing.assert_array_equal(x.data, [[5.0, 1.0], [1.0, 5.0]])


def test_aminmax_names_its_pair_and_unpacks():
    pair = dp.tensor([[3.0, 1.0], [2.0, 4.0]]).aminmax(dim=1)
    low, high = pair
    assert pair.min is low and pair.max is high and isinstance(pair, tuple)
    np.testing.assert_array_equal(low.data, [1.0, 2.0])
    np.testing.assert_array_equal(high.data, [3.0, 4.0])


def test_a_second_derivative_through_vander_at_zero_is_exact():
    x = dp.tensor([0.0, 1.5], dtype=dp.float64, requires_grad=True)
    (g,) = autograd.grad(dp.vander(x, 4).sum(), x, create_graph=True)  # 3x² + 2x + 1
    (h,) = autograd.grad(g.sum(), x)  # 6x + 2
    np.testing.assert_allclose(g.data, 3 * x.data ** 2 + 2 * x.data + 1)
    np.testing.assert_allclose(h.data, 6 * x.data + 2)
