"""PyTorch's further math functions against central finite differences, in float64 (the PyTorch
comparison is reference/test_torch_more_math.py): each input drawn where the function is smooth,
broadcast operands included, so the check covers the summing back to each operand's shape."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp


def uniform(low, high):
    return lambda rng, shape: rng.uniform(low, high, size=shape)


anywhere, inside_one, above_one, positive = uniform(-2, 2), uniform(-0.9, 0.9), uniform(1.2, 3), uniform(0.5, 2)


def away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.0, size=shape)


def away_from_integers(rng, shape):
    return rng.integers(-3, 3, size=shape) + rng.uniform(0.1, 0.9, size=shape)


def gradchecked(fn, shapes, recipes, seed=0):
    rng = np.random.default_rng(seed)
    inputs = [dp.tensor(recipe(rng, shape), dtype=np.float64, requires_grad=True)
              for shape, recipe in zip(shapes, recipes)]
    assert dp.gradcheck(fn, inputs, atol=1e-6, rtol=1e-5)


def case(name, fn, shapes, *recipes):
    return pytest.param(fn, shapes, recipes or (anywhere,) * len(shapes), id=name)


CASES = [
    case("tan", dp.tan, [(3, 4)], uniform(-1.2, 1.2)),
    case("asin", dp.asin, [(3, 4)], inside_one),
    case("acos", dp.acos, [(3, 4)], inside_one),
    case("atan", dp.atan, [(3, 4)]),
    case("sinh", dp.sinh, [(3, 4)]),
    case("cosh", dp.cosh, [(3, 4)]),
    case("asinh", dp.asinh, [(3, 4)]),
    case("acosh", dp.acosh, [(3, 4)], above_one),
    case("atanh", dp.atanh, [(3, 4)], inside_one),
    case("sinc", dp.sinc, [(3, 4)]),
    case("sinc-near-zero", dp.sinc, [(3, 4)], uniform(-1e-3, 1e-3)),
    case("frac", dp.frac, [(3, 4)], away_from_integers),
    case("nan_to_num", dp.nan_to_num, [(3, 4)]),
    case("atan2", dp.atan2, [(3, 4), (4,)]),
    case("hypot", dp.hypot, [(2, 1, 3), (4, 1)], away_from_zero, away_from_zero),
    case("logaddexp", dp.logaddexp, [(3, 4), (3, 1)]),
    case("logaddexp2", dp.logaddexp2, [(3, 4), (4,)]),
    case("xlogy", dp.xlogy, [(3, 4), (4,)], anywhere, positive),
    case("fmod", dp.fmod, [(3, 4), (4,)], away_from_integers, uniform(2.5, 3.5)),
    case("copysign", dp.copysign, [(3, 4), (4,)], away_from_zero, away_from_zero),
    case("lerp", dp.lerp, [(3, 4), (4,), (3, 1)]),
    case("lerp-number-weight", lambda a, b: dp.lerp(a, b, 0.75), [(3, 4), (3, 4)]),
]


@pytest.mark.parametrize("fn, shapes, recipes", CASES)
def test_gradient_matches_finite_differences(fn, shapes, recipes):
    gradchecked(fn, shapes, recipes)


def test_sinc_slope_by_hand():
    # d/dx sin(πx)/(πx) at x = 1/2: (π/2·cos(π/2) − sin(π/2)) / (π/4) = −4/π; at 0 the limit 0
    x = dp.tensor([0.5, 0.0], dtype=np.float64, requires_grad=True)
    dp.sinc(x).sum().backward()
    np.testing.assert_allclose(x.grad, [-4 / np.pi, 0.0], atol=1e-12)


def test_logaddexp_of_large_operands_does_not_overflow():
    x = dp.tensor([1000.0, -1000.0], dtype=np.float64, requires_grad=True)
    y = dp.tensor([1000.0, -1001.0], dtype=np.float64, requires_grad=True)
    out = dp.logaddexp(x, y)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [1000 + np.log(2), -1000 + np.log1p(np.exp(-1))])
    np.testing.assert_allclose(x.grad + y.grad, [1.0, 1.0])


PRODUCTS = [
    case("addmm", lambda i, a, b: dp.addmm(i, a, b, beta=0.5, alpha=-2.0), [(4,), (2, 3), (3, 4)]),
    case("addmv", lambda i, a, b: dp.addmv(i, a, b, beta=2, alpha=0.5), [(2,), (2, 3), (3,)]),
    case("baddbmm", lambda i, a, b: dp.baddbmm(i, a, b, beta=-1, alpha=3), [(2, 1), (5, 2, 3), (5, 3, 4)]),
    case("addbmm", lambda i, a, b: dp.addbmm(i, a, b, beta=0.5), [(2, 4), (5, 2, 3), (5, 3, 4)]),
    case("addcmul", lambda i, a, b: dp.addcmul(i, a, b, value=-0.5), [(3, 1), (4,), (2, 1, 1)]),
    case("addcdiv", lambda i, a, b: dp.addcdiv(i, a, b, value=0.3), [(3, 1), (4,), (2, 1, 1)],
         anywhere, anywhere, away_from_zero),
    case("tensordot", lambda a, b: dp.tensordot(a, b, dims=([1, 2], [2, 0])), [(2, 3, 4), (4, 5, 3)]),
    case("inner", dp.inner, [(2, 3), (4, 5, 3)]),
    case("kron", dp.kron, [(2, 3, 1), (4, 2)]),
    case("cross", lambda a, b: dp.cross(a, b, dim=0), [(3, 1, 2), (3, 4, 1)]),
]


@pytest.mark.parametrize("fn, shapes, recipes", PRODUCTS)
def test_product_gradient_matches_finite_differences(fn, shapes, recipes):
    gradchecked(fn, shapes, recipes)


def test_kron_by_hand():
    out = dp.kron(dp.tensor([[1, 2], [3, 4]]), dp.tensor([[0, 1], [1, 0]]))
    assert out.tolist() == [[0, 1, 0, 2], [1, 0, 2, 0], [0, 3, 0, 4], [3, 0, 4, 0]]


def test_cross_by_hand():
    assert dp.cross(dp.tensor([1.0, 0.0, 0.0]), dp.tensor([0.0, 1.0, 0.0])).tolist() == [0.0, 0.0, 1.0]


def distinct(rng, shape):
    """Values at least 0.1 apart: no ties, and no two points at the same place."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(-0.02, 0.02, size=n)).reshape(shape)


STRUCTURE = [
    case("broadcast_tensors", lambda a, b: dp.stack(dp.broadcast_tensors(a, b)), [(2, 1), (3,)]),
    case("meshgrid-xy", lambda a, b, c: dp.stack(dp.meshgrid(a, b, c, indexing="xy")), [(2,), (3,), (4,)]),
    case("vstack", lambda a, b: dp.vstack([a, b]), [(3,), (2, 3)]),
    case("hstack", lambda a, b: dp.hstack([a, b]), [(2, 1), (2, 3)]),
    case("dstack", lambda a, b: dp.dstack([a, b]), [(3,), (1, 3)]),
    case("column_stack", lambda a, b: dp.column_stack([a, b]), [(2,), (2, 3)]),
    case("rot90", lambda x: dp.rot90(x, 3, (2, 0)), [(2, 3, 4)]),
    case("diff", lambda x, p, a: dp.diff(x, 2, 0, p, a), [(3, 4), (1, 4), (2, 4)]),
    case("repeat_interleave", lambda x: dp.repeat_interleave(x, dp.tensor([2, 0, 3]), dim=1), [(2, 3)]),
    case("cdist-p2", dp.cdist, [(2, 4, 3), (5, 3)], distinct, distinct),
    case("cdist-p1", lambda a, b: dp.cdist(a, b, p=1), [(4, 3), (5, 3)], distinct, distinct),
    case("cdist-p3", lambda a, b: dp.cdist(a, b, p=3), [(4, 3), (5, 3)], distinct, distinct),
    case("cdist-p0.7", lambda a, b: dp.cdist(a, b, p=0.7), [(4, 3), (5, 3)], distinct, distinct),
    case("cdist-pinf", lambda a, b: dp.cdist(a, b, p=float("inf")), [(4, 3), (5, 3)], distinct, distinct),
    case("cummax", lambda x: dp.cummax(x, 1).values, [(3, 5)], distinct),
    case("cummin", lambda x: dp.cummin(x, 0).values, [(5, 3)], distinct),
    case("logcumsumexp", lambda x: dp.logcumsumexp(x, 1), [(3, 5)]),
    case("median", dp.median, [(3, 5)], distinct),
    case("median-dim", lambda x: dp.median(x, 0, keepdim=True).values, [(4, 3)], distinct),
    case("nansum", lambda x: dp.nansum(x, 1), [(3, 4)]),
    case("nanmean", lambda x: dp.nanmean(x, 0), [(3, 4)]),
]


@pytest.mark.parametrize("fn, shapes, recipes", STRUCTURE)
def test_structure_gradient_matches_finite_differences(fn, shapes, recipes):
    gradchecked(fn, shapes, recipes)


def test_nanmean_skips_nans_by_hand():
    x = dp.tensor([[1.0, np.nan, 3.0], [np.nan, np.nan, 4.0]], dtype=np.float64, requires_grad=True)
    out = dp.nanmean(x, 1)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [2.0, 4.0])
    np.testing.assert_allclose(x.grad, [[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])


def test_nanmean_of_a_slice_of_nans_alone_is_nan_without_a_warning():
    # PyTorch gives NaN for the mean and its gradient there, silently; NumPy's 0/0 would warn.
    import warnings

    x = dp.tensor([[np.nan, np.nan], [1.0, 2.0]], dtype=np.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = dp.nanmean(x, 1)
        out.sum().backward()
        whole = dp.nanmean(dp.tensor([np.nan, np.nan]))
    np.testing.assert_array_equal(out.data, [np.nan, 1.5])
    np.testing.assert_array_equal(x.grad, [[np.nan, np.nan], [0.5, 0.5]])
    assert np.isnan(whole.item())


def test_logcumsumexp_of_large_values_does_not_overflow():
    x = dp.tensor([1000.0, 1000.0, -1000.0], dtype=np.float64, requires_grad=True)
    out = dp.logcumsumexp(x, 0)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [1000.0, 1000.0 + np.log(2), 1000.0 + np.log(2)])
    np.testing.assert_allclose(x.grad, [2.0, 1.0, 0.0], atol=1e-12)


def test_cummax_indices_by_hand():
    values, indices = dp.cummax(dp.tensor([1.0, 3.0, 3.0, 2.0, 5.0]), 0)
    assert values.tolist() == [1.0, 3.0, 3.0, 3.0, 5.0] and indices.tolist() == [0, 1, 2, 2, 4]


def test_bincount_weights_gradient_matches_finite_differences():
    index = dp.tensor([0, 2, 2, 4, 0])
    gradchecked(lambda w: dp.bincount(index, w, minlength=6), [(5,)], [anywhere])
