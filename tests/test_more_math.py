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
