"""Gradients at the edge values where the chain rule alone gives 0·∞ or 0/0, against PyTorch.

Each case is a point where a formula meets a zero or a NaN (the standard deviation of a constant
slice, the maximum of a slice holding NaN, a zero base to a negative power). PyTorch picks a value
there; the same call here must give the same numbers, not a NaN that PyTorch does not give.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch is the reference for these edge values")


def _compare(call, x, torch_call=None, gradient=None, forward_warns=False):
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    theirs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    with np.errstate(all="ignore" if forward_warns else "raise"):  # no warning from NumPy on the way
        result = call(ours)
    expected = (torch_call or call)(theirs)
    g = np.ones(result.shape) if gradient is None else gradient
    with np.errstate(all="raise"):
        result.backward(g)
    expected.backward(torch.tensor(g))
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), rtol=1e-12, atol=1e-15, equal_nan=True)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-15, equal_nan=True)


CONSTANT = np.array([[2.0, 2.0, 2.0], [1.0, 3.0, 5.0]])


@pytest.mark.parametrize("call", [
    lambda t: t.std(),
    lambda t: t.std(dim=1),
    lambda t: t.std(dim=1, keepdim=True),
    lambda t: t.std(dim=1, unbiased=False),
    lambda t: t.std(dim=0, correction=0),
    lambda t: t[:, :1].std(dim=1, unbiased=False),  # one element, no correction: 0
], ids=["all", "dim", "keepdim", "biased", "correction0", "one-element"])
def test_std_of_a_constant_slice_has_gradient_zero_as_in_pytorch(call):
    # std = sqrt(var): the chain rule gives (1 / 2·0) · 0 = NaN for a constant row; PyTorch's
    # rule gives 0 there. One NaN gradient poisons every weight it reaches.
    _compare(call, CONSTANT)
    _compare(call, np.full((2, 3), 7.0))


def test_std_where_it_is_undefined_matches_pytorch():
    # one element with the default correction: NaN value and NaN gradient on both sides
    ours = dp.tensor([3.0], dtype=np.float64, requires_grad=True)
    theirs = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        result = ours.std()
        result.backward()
    with pytest.warns(UserWarning):
        expected = theirs.std()
    expected.backward()
    np.testing.assert_array_equal(result.data, expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_std_is_one_recorded_operation_that_refuses_a_changed_output():
    x = dp.tensor([1.0, 2.0, 4.0], requires_grad=True)
    s = x.std()
    assert s.grad_fn.name() == "StdBackward0"
    with dp.no_grad():
        s += 1.0
    with pytest.raises(dp.errors.GradError, match="output of 'std'"):
        s.backward()


@pytest.mark.parametrize("call, torch_call", [
    (lambda t: t.max(), None),
    (lambda t: t.min(), None),
    (lambda t: t.max(axis=1), lambda t: t.amax(dim=1)),  # NaN gradients along an axis, on both sides
    (lambda t: t.min(axis=0, keepdims=True), lambda t: t.amin(dim=0, keepdim=True)),
    (lambda t: t.max(dim=1).values, lambda t: t.max(dim=1).values),  # to the NaN that argmax names
], ids=["max", "min", "amax-dim", "amin-dim-keepdim", "max-values-indices"])
def test_the_gradient_of_a_maximum_that_is_nan_is_pytorchs(call, torch_call):
    # The maximum of all elements is NaN when one is; its gradient went to no element and came out
    # 0/0 = NaN for every element. PyTorch's max() sends it to the NaN elements.
    x = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 5.0], [np.nan, 0.0, np.nan]])
    _compare(call, x, torch_call)


def test_the_exponent_gradient_at_a_zero_base_matches_pytorch():
    # d(a^b)/db = a^b·ln a: at a = 0 it is 0 for b > 0 (the limit, taken already) and
    # ∞·(−∞) = −∞ for b < 0, where the rule gave NaN.
    b = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    # (the forward's 0^−1 = ∞ is NumPy's division by zero: its warning is NumPy's own)
    _compare(lambda t: 0.0 ** t, b, forward_warns=True)
    _compare(lambda t: dp.tensor(np.zeros(7), dtype=np.float64) ** t,
             b, torch_call=lambda t: torch.zeros(7, dtype=torch.float64) ** t, forward_warns=True)
    _compare(lambda t: dp.tensor([-2.0, 0.0, 3.0], dtype=np.float64) ** t[:3],  # ln of a negative: NaN
             b, torch_call=lambda t: torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64) ** t[:3], forward_warns=True)


# -- an infinite upstream gradient through a mask: 0 where the mask is 0, not ∞·0 = NaN -----------

TOLERANCES = {np.float64: dict(rtol=1e-12, atol=1e-15), np.float32: dict(rtol=1e-6, atol=1e-7)}


def _compare_in(dtype, call, x, gradient, torch_call=None):
    """``call`` at ``x`` in ``dtype`` with upstream ``gradient``, value and input gradient against PyTorch's."""
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    ours = dp.tensor(x, dtype=dtype, requires_grad=True)
    theirs = torch.tensor(x, dtype=torch_dtype, requires_grad=True)
    result, expected = call(ours), (torch_call or call)(theirs)
    with np.errstate(all="raise"):  # no ∞·0 on the way
        result.backward(np.asarray(gradient, dtype=dtype))
    expected.backward(torch.tensor(gradient, dtype=torch_dtype))
    assert ours.grad.dtype == dtype
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **TOLERANCES[dtype], equal_nan=True)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCES[dtype], equal_nan=True)


def _pool_input(shape):
    # distinct values, so that no window has a tie, and some negative (a ReLU mask of both kinds)
    return np.random.default_rng(7).permutation(np.prod(shape)).reshape(shape) - np.prod(shape) / 2.0


def _infinite_upstream(shape, sign=1.0):
    """An upstream gradient with +∞ (or −∞) in every other place and 1.5 elsewhere."""
    g = np.full(shape, 1.5)
    g.reshape(-1)[::2] = sign * np.inf
    return g


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("shape, options", [
    ((2, 3, 8), dict(kernel_size=2)),  # disjoint windows that tile the input
    ((2, 3, 9), dict(kernel_size=2)),  # disjoint, the last element in no window
    ((2, 3, 9), dict(kernel_size=3, stride=1)),  # overlapping windows
    ((2, 3, 8), dict(kernel_size=2, padding=1)),
    ((2, 3, 9), dict(kernel_size=2, stride=2, dilation=2, ceil_mode=True)),
    ((2, 2, 6, 6), dict(kernel_size=2)),
    ((2, 2, 7, 6), dict(kernel_size=3, stride=1)),
    ((2, 2, 6, 6), dict(kernel_size=(2, 3), stride=(2, 1), padding=1)),
], ids=["1d-tiled", "1d-disjoint", "1d-overlap", "1d-padded", "1d-dilated-ceil", "2d-tiled", "2d-overlap",
        "2d-padded"])
def test_an_infinite_gradient_through_max_pooling_is_zero_off_the_maxima(shape, options, dtype):
    # The backward wrote g·[offset k won] for each kernel offset k: ∞·0 = NaN at every element that
    # was not a window's maximum. PyTorch sends the gradient to the maxima and leaves 0 elsewhere.
    pool = "max_pool1d" if len(shape) == 3 else "max_pool2d"

    def call(t):
        return getattr(dp.nn.functional if isinstance(t, dp.Tensor) else torch.nn.functional, pool)(t, **options)

    x = _pool_input(shape)
    out_shape = tuple(call(torch.tensor(x)).shape)
    _compare_in(dtype, call, x, _infinite_upstream(out_shape))
    _compare_in(dtype, call, x, _infinite_upstream(out_shape, -1.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("call", [lambda t: t.max(), lambda t: t.min()], ids=["max", "min"])
def test_an_infinite_gradient_through_the_maximum_of_all_elements_is_zero_off_it(call, dtype):
    # PyTorch's max() and min() of all elements send the gradient to the extremum and 0 elsewhere
    # (its amax along a dim multiplies, and gives NaN there: see the NaN tests above).
    x = _pool_input((3, 4))
    _compare_in(dtype, call, x, np.inf)
    _compare_in(dtype, call, x, -np.inf)



@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("call", [
    lambda t: t.amax(),
    lambda t: t.amin(),
    lambda t: t.amax(()),
    lambda t: t.amax(dim=1),
    lambda t: t.amin(dim=(0, 1), keepdim=True),
    lambda t: t.amax(0, keepdim=True),
], ids=["amax", "amin", "amax-no-dims", "amax-dim", "amin-all-dims", "amax-dim-keepdim"])
def test_an_infinite_gradient_through_amax_is_nan_off_the_maximum_as_in_pytorch(call, dtype):
    # PyTorch's amax/amin, of all elements too, multiply the gradient by the share of each element
    # (0 off the extremum): ∞·0 = NaN there, unlike its max()/min() (0, see above).
    x = _pool_input((3, 4))
    x[1, 2] = x.max()  # a tie for the largest element and the largest of its column and row
    x[0, 0] = x.min()
    out_shape = tuple(call(torch.tensor(x)).shape)
    _compare_in(dtype, call, x, np.full(out_shape, np.inf))
    _compare_in(dtype, call, x, _infinite_upstream(out_shape, -1.0))
    _compare_in(dtype, call, x, np.arange(1.0, 1.0 + np.prod(out_shape)).reshape(out_shape))  # ties share


@pytest.mark.parametrize("call", [lambda t: t.amax(), lambda t: t.amin()], ids=["amax", "amin"])
@pytest.mark.parametrize("x", [np.float64(np.nan), np.float64(2.0), np.array([[1.0, np.nan], [3.0, 3.0]])],
                         ids=["nan-0d", "0d", "nan"])
def test_amax_of_all_elements_holding_nan_has_pytorchs_gradient(call, x):
    # amax is no max(): where the maximum is NaN, no element equals it and every share is 0/0
    _compare(call, x)


# -- max pooling over a window that holds NaN: the output is NaN and the gradient goes to it ----------

@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("row, options", [
    ([1.0, np.nan, 3.0, 2.0, np.nan, 0.5], dict(kernel_size=2)),  # NaN second in a window
    ([np.nan, 1.0, 3.0, 2.0, 0.5, np.nan], dict(kernel_size=2)),  # NaN first in a window
    ([1.0, 5.0, np.nan, 2.0, 7.0, 0.0], dict(kernel_size=3, stride=1)),  # one NaN in three windows
    ([1.0, np.nan, np.nan, 2.0, 7.0, 0.0], dict(kernel_size=3, stride=1)),  # two: the last in window order wins
    ([1.0, 2.0, np.nan, 4.0, 0.0, 3.0], dict(kernel_size=2, stride=1, dilation=2)),
    ([1.0, np.nan, 3.0, np.nan, 2.0, 0.0], dict(kernel_size=2, padding=1)),
    ([1.0, 2.0, 3.0, 4.0, 0.0, np.nan], dict(kernel_size=4, stride=2, ceil_mode=True)),
], ids=["second", "first", "overlap", "two-nans", "dilated", "padded", "ceil"])
def test_max_pool1d_over_nan_sends_the_gradient_to_the_nan(row, options, dtype):
    def call(t):
        return (dp.nn.functional if isinstance(t, dp.Tensor) else torch.nn.functional).max_pool1d(t, **options)

    x = np.array([[row, row[::-1]]])
    out_shape = tuple(call(torch.tensor(x)).shape)
    _compare_in(dtype, call, x, np.arange(1.0, 1.0 + np.prod(out_shape)).reshape(out_shape))
    ours = dp.nn.functional.max_pool1d(dp.tensor(x, dtype=dtype), **options, return_indices=True)[1]
    theirs = torch.nn.functional.max_pool1d(torch.tensor(x), **options, return_indices=True)[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("options", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=1),
    dict(kernel_size=2, padding=1),
    dict(kernel_size=(3, 2), stride=(1, 2), dilation=(1, 2)),
], ids=["tiled", "overlap", "padded", "dilated"])
def test_max_pool2d_over_nan_sends_the_gradient_to_the_nan(options, dtype):
    def call(t):
        return (dp.nn.functional if isinstance(t, dp.Tensor) else torch.nn.functional).max_pool2d(t, **options)

    x = _pool_input((2, 2, 6, 6))
    for n, c, h, w in [(0, 0, 1, 0), (0, 0, 2, 3), (0, 0, 3, 3), (1, 1, 0, 0), (1, 1, 5, 5), (1, 0, 2, 2), (1, 0, 2, 3)]:
        x[n, c, h, w] = np.nan
    out_shape = tuple(call(torch.tensor(x)).shape)
    _compare_in(dtype, call, x, np.arange(1.0, 1.0 + np.prod(out_shape)).reshape(out_shape))
    ours = dp.nn.functional.max_pool2d(dp.tensor(x, dtype=dtype), **options, return_indices=True)[1]
    theirs = torch.nn.functional.max_pool2d(torch.tensor(x), **options, return_indices=True)[1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- maximum and minimum of two tensors at a NaN and at ties ----------------------------------------
# PyTorch's rule: 0 to the operand that loses, half to each at a tie, the whole gradient to both
# where the result is NaN (a NaN neither wins, loses nor ties); an infinite upstream gradient gives
# the loser 0, not ∞·0.

_NAN, _INF = float("nan"), float("inf")
SELECT_A = [_NAN, 1.0, _NAN, 2.0, 2.0, _INF, -_INF, 0.0, -_INF, 5.0, _NAN]
SELECT_B = [2.0, _NAN, _NAN, 2.0, 3.0, _INF, 1.0, 0.0, -_INF, -1.0, -_INF]
SELECT_G = [1.0, 2.0, 3.0, 4.0, 5.0, _INF, -_INF, 8.0, 9.0, 10.0, _INF]
SELECTIONS = {
    "maximum": lambda L, a, b: L.maximum(a, b),
    "minimum": lambda L, a, b: L.minimum(a, b),
    "max of two": lambda L, a, b: L.max(a, b),
    "min of two": lambda L, a, b: L.min(a, b),
    "Tensor.max": lambda L, a, b: a.max(b),
    "Tensor.minimum": lambda L, a, b: a.minimum(b),
}


def _selected(L, name, A, B, G, dtype, create_graph=False):
    """(value, gradient of a, gradient of b) of the selection of ``name`` with upstream gradient G."""
    make = (lambda v: dp.tensor(v, dtype=dtype, requires_grad=True)) if L is dp else (
        lambda v: torch.tensor(v, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True))
    a, b = make(A), make(B)
    out = SELECTIONS[name](L, a, b)
    g = dp.tensor(G, dtype=dtype) if L is dp else torch.tensor(G, dtype=out.dtype)
    grad = dp.autograd.grad if L is dp else torch.autograd.grad
    grads = grad(out, [a, b], g, create_graph=create_graph)
    array = (lambda t: t.data) if L is dp else (lambda t: t.detach().numpy())
    return [array(t) for t in (out, *grads)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("create_graph", [False, True], ids=["backward", "create_graph"])
@pytest.mark.parametrize("name", list(SELECTIONS))
def test_maximum_and_minimum_at_a_nan_and_at_ties_are_pytorchs(name, create_graph, dtype):
    ours = _selected(dp, name, SELECT_A, SELECT_B, SELECT_G, dtype, create_graph)
    theirs = _selected(torch, name, SELECT_A, SELECT_B, SELECT_G, dtype, create_graph)
    for what, mine, reference in zip(("value", "gradient of a", "gradient of b"), ours, theirs):
        np.testing.assert_array_equal(mine, reference, err_msg=f"{name}: {what}")
    # where the result is NaN, both operands get the whole gradient (1, 2, 3, ∞ at places 0-2 and 10)
    np.testing.assert_array_equal(ours[1][[0, 1, 2, 10]], [1.0, 2.0, 3.0, _INF])
    np.testing.assert_array_equal(ours[2][[0, 1, 2, 10]], [1.0, 2.0, 3.0, _INF])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_broadcast_with_nans_sum_each_share_back(name):
    A = np.array([[_NAN], [1.0], [2.0]])
    B = np.array([2.0, _NAN, 1.0, 0.5])
    G = np.arange(12.0).reshape(3, 4) + 1
    ours, theirs = _selected(dp, name, A, B, G, np.float64), _selected(torch, name, A, B, G, np.float64)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == reference.shape
        np.testing.assert_array_equal(mine, reference)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_the_share_of_a_nan_is_differentiable_as_pytorchs(name):
    """y = maximum(a, b)·c: ∂y/∂a = c·share, taken with create_graph=True; its derivative along v
    with respect to c is v·share, which is 1 at a NaN result for both operands."""
    def mixed(L):
        make = (lambda v: dp.tensor(v, dtype=dp.float64, requires_grad=True)) if L is dp else (
            lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
        grad = dp.autograd.grad if L is dp else torch.autograd.grad
        a, b, c = make(SELECT_A[:5]), make(SELECT_B[:5]), make([1.5, -2.0, 0.5, 3.0, 2.0])
        ga, gb = grad((SELECTIONS[name](L, a, b) * c).sum(), [a, b], create_graph=True)
        v = [1.0, 2.0, 3.0, 4.0, 5.0]
        v = dp.tensor(v, dtype=dp.float64) if L is dp else torch.tensor(v, dtype=torch.float64)
        return [np.asarray(t.data if L is dp else t.detach().numpy())
                for t in (ga, gb, *grad((ga * v).sum() + (gb * v).sum(), [c]))]

    for mine, reference in zip(mixed(dp), mixed(torch)):
        np.testing.assert_array_equal(mine, reference)


def test_clamp_with_tensor_bounds_at_nans_is_pytorchs():
    """clamp has its own rule (not maximum's): with a NaN input or bound, the result is NaN and no
    operand gets a gradient there, as in PyTorch."""
    X = [_NAN, 1.0, 5.0, 2.0, 0.5, 3.0, _NAN, -1.0]
    LOW = [0.0, _NAN, 0.0, 3.0, 0.5, _NAN, _NAN, 0.0]
    HIGH = [4.0, 4.0, _NAN, 1.0, 2.0, _NAN, 1.0, _NAN]
    for bounds in ((LOW, HIGH), (LOW, None), (None, HIGH)):
        results = []
        for L in (dp, torch):
            make = (lambda v: dp.tensor(v, dtype=dp.float64, requires_grad=True)) if L is dp else (
                lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
            x, low, high = make(X), *(None if v is None else make(v) for v in bounds)
            out = L.clamp(x, low, high)
            out.sum().backward()
            array = (lambda t: t.data) if L is dp else (lambda t: t.detach().numpy())
            results.append([array(out)] + [np.asarray(t.grad) for t in (x, low, high) if t is not None])
        for mine, reference in zip(*results):
            np.testing.assert_array_equal(mine, reference)


@pytest.mark.parametrize("x", [[0.0, 1.0, 2.0], [-1.0, 0.0, 0.5]])
def test_log_at_zero_and_below_is_pytorchs_without_a_warning(x):
    # word_language_model's TransformerModel masks with torch.log(torch.tril(torch.ones(sz, sz))):
    # -inf above the diagonal, quietly, with PyTorch's gradient (1/0 = inf) there
    _compare(lambda t: t.log(), x)
    _compare(lambda t: (t * 1.0).log(), x)
