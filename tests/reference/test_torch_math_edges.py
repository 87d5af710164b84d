"""The math operations added for ported PyTorch code, at the values where formulas meet zeros,
infinities, NaN and large magnitudes: values and gradients against PyTorch's, NaN for NaN.

(NumPy's own warnings for a log of 0 or a division by 0 are allowed; the numbers are what count.)
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch", reason="PyTorch is the reference for these edge values")

INF, NAN = np.inf, np.nan


def _compare(call, x, torch_call=None, gradient=None):
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    theirs = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    with np.errstate(all="ignore"):
        result = call(ours)
        g = np.ones(result.shape) if gradient is None else gradient
        result.backward(g)
    expected = (torch_call or call)(theirs)
    expected.backward(torch.tensor(g))
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), rtol=1e-12, atol=1e-300, equal_nan=True)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-300, equal_nan=True)


SPECIALS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e-300, 1e300, -1e300, 1e-8, INF, -INF, NAN, 700.0, -745.0]


@pytest.mark.parametrize("name", ["log1p", "expm1", "log2", "log10", "exp2", "sin", "cos", "square", "rsqrt",
                                  "reciprocal", "sign", "floor", "ceil", "round", "trunc"])
def test_elementwise_functions_at_special_values_match_pytorch(name):
    _compare(lambda t: getattr(t, name)(), SPECIALS)


@pytest.mark.parametrize("decimals", [1, 3, -2])
def test_round_with_decimals_at_special_values_matches_pytorch(decimals):
    _compare(lambda t: t.round(decimals=decimals), SPECIALS + [0.125, 0.135, 250.0, 350.0, -150.0])


@pytest.mark.parametrize("rows", [
    [[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.5, -2.0, 4.0]],  # one zero, two zeros, none
    [[0.0, 0.0, 0.0], [INF, 0.0, 2.0], [INF, 1.0, 2.0]],  # all zeros; inf times 0 (NaN); inf
    [[NAN, 1.0, 2.0], [NAN, 0.0, 2.0], [-INF, -INF, 1.0]],
    [[1e200, 1e200, 1e-300], [1e-200, 1e-200, 0.0], [1.0, 1.0, 1.0]],  # overflow, underflow
], ids=["zeros", "inf", "nan", "magnitudes"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_prod_with_zeros_and_infinities_matches_pytorch(rows, dim):
    if dim is None:
        _compare(lambda t: t.prod(), rows)
    else:
        _compare(lambda t: t.prod(dim), rows)
        _compare(lambda t: t.prod(dim, keepdim=True), rows, gradient=np.arange(3.0).reshape((1, 3) if dim == 0 else (3, 1)))


@pytest.mark.parametrize("rows", [
    [[-INF, -INF, -INF], [1.0, -INF, 2.0], [1000.0, 1000.0, -1000.0]],  # all -inf; some; large
    [[INF, 1.0, 2.0], [INF, INF, -INF], [NAN, 1.0, 2.0]],
    [[1e308, 1e308, 0.0], [-1e308, -1e308, -1e308], [0.0, 0.0, 0.0]],  # the sum of exps would overflow
], ids=["minus-inf", "plus-inf-nan", "huge"])
@pytest.mark.parametrize("dim", [0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_at_infinities_and_large_values_matches_pytorch(rows, dim, keepdim):
    _compare(lambda t: t.logsumexp(dim, keepdim=keepdim), rows)


@pytest.mark.parametrize("rows", [
    [[0.0, 2.0, 3.0, 4.0], [2.0, 0.0, 3.0, 4.0], [2.0, 3.0, 4.0, 0.0]],  # the zero first, inside, last
    [[2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]],  # two zeros, all zeros
    [[1.0, INF, 2.0, 0.0], [1.0, -INF, 0.0, 3.0], [NAN, 1.0, 2.0, 3.0]],
    [[1e200, 1e200, 1.0, 1e-300], [-1.0, 1.0, -1.0, 1.0], [0.5, 0.5, 0.5, 0.5]],
], ids=["one-zero", "zeros", "inf-nan", "magnitudes"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_and_cumsum_at_zeros_and_infinities_match_pytorch(rows, dim):
    g = np.random.default_rng(dim + 5).standard_normal((3, 4))
    _compare(lambda t: t.cumprod(dim), rows, gradient=g)
    _compare(lambda t: t.cumsum(dim), rows, gradient=g)


def test_clamp_min_and_max_at_their_bounds_and_infinities_match_pytorch():
    values = [-INF, -1.0, 0.0, 0.5, 1.0, INF, NAN]
    _compare(lambda t: t.clamp_min(0.5), values)
    _compare(lambda t: t.clamp_max(0.5), values)
    _compare(lambda t: dp.clamp(t, -1.0, 1.0), values, torch_call=lambda t: torch.clamp(t, -1.0, 1.0))


@pytest.mark.parametrize("values", [[NAN, 1.0, -2.0], [INF, 1.0, 0.0], [0.0, 0.0], [3.0, -4.0]])
def test_the_two_norm_passes_nan_and_inf_on_as_pytorch(values):
    # Its gradient x / ‖x‖ was 0 wherever the norm was not positive, a NaN norm included.
    _compare(lambda t: t.norm(), values, torch_call=lambda t: torch.linalg.vector_norm(t))


def test_the_inf_norm_of_no_elements_is_refused_and_of_empty_rows_is_empty():
    with pytest.raises(dp.errors.ShapeError, match=r"norm: the inf norm .* of shape \(3, 0\) hold none"):
        dp.zeros((3, 0)).norm(INF, 1)
    with pytest.raises(dp.errors.ShapeError, match="inf norm"):
        dp.zeros((0,)).norm(INF)
    with pytest.raises(RuntimeError):
        torch.linalg.vector_norm(torch.zeros(3, 0), ord=INF, dim=1)
    # reducing the non-empty axis of a (3, 0) tensor leaves its 0 columns: an empty result, as PyTorch's
    assert dp.zeros((3, 0)).norm(INF, 0).shape == tuple(torch.linalg.vector_norm(torch.zeros(3, 0), ord=INF, dim=0).shape) == (0,)
