"""The activations added after the first eight (SiLU .. Threshold) against PyTorch where they are
easiest to get wrong: huge and infinite inputs, NaN, the kinks of the piecewise ones (where the slope
is a convention and PyTorch's is the one to follow), the printed form of each layer, and the two
places where PyTorch's float64 gradient is itself rounded to float32 (deltaprop keeps the exact one).

Values and gradients are compared element by element, NaN against NaN; the upstream gradient is 1
everywhere, so each element's gradient is the slope itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, ops

torch = pytest.importorskip("torch", reason="PyTorch is the reference deltaprop's activations are compared with")
F = torch.nn.functional

INF, NAN = math.inf, math.nan
# Every kink of the cases below (0, ±1, ±3, 6, the threshold 0.5, softplus's 20 and βx = 1), the tails
# where exponentials overflow or underflow in float32 (±100, ±1e4) and in float64 (±1e3), ±inf, NaN.
EDGES = [-INF, -1e4, -1e3, -100.0, -30.0, -20.0, -3.0, -2.5, -1.0, -0.5, -1e-8, -0.0, 0.0, 1e-8, 0.5, 1.0, 2.5,
         3.0, 6.0, 10.0, 20.0, 20.5, 30.0, 100.0, 1e3, 1e4, INF, NAN]
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-300), np.float32: dict(rtol=1e-5, atol=1e-37)}
DTYPES = {np.float64: torch.float64, np.float32: torch.float32}

# name: (PyTorch, deltaprop). Every one at every edge, in both dtypes.
CASES = {
    "silu": (F.silu, ops.silu),
    "softplus": (F.softplus, ops.softplus),
    "softplus-beta2-threshold1": (lambda a: F.softplus(a, 2.0, 1.0), lambda a: ops.softplus(a, 2.0, 1.0)),
    "softplus-beta-negative": (lambda a: F.softplus(a, -1.5), lambda a: ops.softplus(a, -1.5)),
    "mish": (F.mish, ops.mish),
    "selu": (F.selu, ops.selu),
    "celu": (F.celu, ops.celu),
    "celu-alpha0.5": (lambda a: F.celu(a, 0.5), lambda a: ops.celu(a, 0.5)),
    "celu-alpha2": (lambda a: F.celu(a, 2.0), lambda a: ops.celu(a, 2.0)),
    "hardtanh": (F.hardtanh, ops.hardtanh),
    "hardtanh-bounds": (lambda a: F.hardtanh(a, -3.0, 6.0), lambda a: ops.hardtanh(a, -3.0, 6.0)),
    "relu6": (F.relu6, ops.relu6),
    "logsigmoid": (F.logsigmoid, ops.logsigmoid),
    "softsign": (F.softsign, ops.softsign),
    "hardswish": (F.hardswish, ops.hardswish),
    "tanhshrink": (F.tanhshrink, ops.tanhshrink),
    "threshold": (lambda a: F.threshold(a, 0.5, -2.0), lambda a: ops.threshold(a, 0.5, -2.0)),
    "threshold-to-inf": (lambda a: F.threshold(a, -1.0, INF), lambda a: ops.threshold(a, -1.0, INF)),
    "prelu": (lambda a: F.prelu(a, torch.tensor([0.25], dtype=a.dtype)),
              lambda a: ops.prelu(a, np.array([0.25], a.dtype))),
}


def both(torch_fn, dp_fn, values, dtype):
    """(ours, theirs): each a pair of the values and the slopes at ``values``."""
    theirs = torch.tensor(values, dtype=DTYPES[dtype], requires_grad=True)
    out = torch_fn(theirs)
    out.backward(torch.ones_like(out))
    ours = dp.tensor(np.asarray(values, dtype=dtype), dtype=dtype, requires_grad=True)
    with np.errstate(all="ignore"):  # inf − inf and 0·inf at ±inf, as in PyTorch (NaN either way)
        result = dp_fn(ours)
        result.backward(np.ones(result.shape, dtype))
    assert result.dtype == dtype and ours.grad.dtype == dtype
    return (result.data, ours.grad), (out.detach().numpy(), theirs.grad.numpy())


# Where deltaprop's answer differs from PyTorch's on purpose: (case, "value" or "slope", x) -> ours.
# PyTorch's softsign is the composite x / (1 + |x|), whose autograd slope at ±inf is inf/inf = NaN;
# deltaprop's rule 1/(1 + |x|)² gives the limit, 0 (the value stays NaN there in both).
DIFFERENT = {("softsign", "slope", -INF): 0.0, ("softsign", "slope", INF): 0.0}
# PyTorch's tanhshrink slope is autograd's 1 − (1 − tanh²x), which cancels for small x (0 or 1.1e-16 at
# x = 1e-8, where tanh²x = 1e-16); deltaprop's is tanh²x itself. So the slope is compared to within
# one unit of rounding of 1 there.
SLOPE_ATOL = {"tanhshrink": {np.float64: np.finfo(np.float64).eps, np.float32: np.finfo(np.float32).eps}}
# PyTorch's softsign slope, autograd's 1/(1 + |x|) − |x|/(1 + |x|)², cancels for large |x| in float32
# (8e-5 off at x = ±1e4); deltaprop's 1/(1 + |x|)² does not, see test_softsign_slope_is_accurate_far_out.
SLOPE_RTOL = {"softsign": {np.float64: 1e-10, np.float32: 1e-4}}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", CASES)
def test_values_and_slopes_at_the_edges_match_torch(name, dtype):
    (value, slope), (expected_value, expected_slope) = both(*CASES[name], EDGES, dtype)
    for what, mine, theirs in (("value", value, expected_value), ("slope", slope, expected_slope)):
        tolerance = dict(TOLERANCES[dtype])
        if what == "slope" and name in SLOPE_ATOL:
            tolerance["atol"] = SLOPE_ATOL[name][dtype]
        if what == "slope" and name in SLOPE_RTOL:
            tolerance["rtol"] = SLOPE_RTOL[name][dtype]
        for x, m, t in zip(EDGES, mine, theirs):
            t = DIFFERENT.get((name, what, x), t)
            np.testing.assert_allclose(m, t, equal_nan=True, **tolerance, err_msg=f"{name} {what} at {x}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
def test_softsign_slope_is_accurate_far_out(dtype):
    x = np.array([-1e4, -1e3, -30.0, 2.5, 1e3, 1e4])
    ours = dp.tensor(x.astype(dtype), dtype=dtype, requires_grad=True)
    ops.softsign(ours).sum().backward()
    np.testing.assert_allclose(ours.grad, 1 / (1 + np.abs(x)) ** 2, rtol=4 * np.finfo(dtype).eps)


def test_tanhshrink_slope_is_relatively_accurate_near_zero():
    x = np.array([1e-8, -1e-5, 1e-3, 0.1], dtype=np.float64)
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    ops.tanhshrink(ours).sum().backward()
    np.testing.assert_allclose(ours.grad, np.tanh(x) ** 2, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", CASES)
def test_huge_inputs_give_no_numpy_warning(name, dtype):
    """±1e4 (and every finite edge): no overflow or invalid-value warning on the way, in either pass."""
    finite = [x for x in EDGES if math.isfinite(x)]
    x = dp.tensor(np.array(finite, dtype), dtype=dtype, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = CASES[name][1](x)
        out.backward(np.ones(out.shape, dtype))
    assert np.isfinite(x.grad).all()
    assert np.isfinite(out.data).all() or name == "threshold-to-inf"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
def test_softmin_at_the_edges_matches_torch(dtype):
    rows = np.array([[-1e4, 0.0, 1e4], [-INF, 1.0, 2.0], [3.0, 3.0, 3.0], [1e3, 1e3 + 1, -1e3]])
    g = np.array([[1.0, -2.0, 0.5]] * 4)
    theirs = torch.tensor(rows, dtype=DTYPES[dtype], requires_grad=True)
    out = F.softmin(theirs, dim=1)
    out.backward(torch.tensor(g, dtype=DTYPES[dtype]))
    ours = dp.tensor(rows, dtype=dtype, requires_grad=True)
    with np.errstate(invalid="ignore"):  # the row with −inf: inf − inf, NaN in PyTorch too
        result = ops.softmin(ours, dim=1)
        result.backward(g.astype(dtype))
    np.testing.assert_allclose(result.data, out.detach().numpy(), equal_nan=True, **TOLERANCES[dtype])
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), equal_nan=True, **TOLERANCES[dtype])


def test_hardsigmoid_matches_torch_in_float32_and_the_exact_slope_in_float64():
    """PyTorch's hardsigmoid rule multiplies by 1/6 rounded to float32 even for float64 (its slope is
    0.16666667163...); deltaprop's float64 slope is 1/6 to float64's precision. Values agree."""
    (value, slope), (expected_value, expected_slope) = both(F.hardsigmoid, ops.hardsigmoid, EDGES, np.float32)
    np.testing.assert_allclose(value, expected_value, equal_nan=True, **TOLERANCES[np.float32])
    np.testing.assert_array_equal(slope, expected_slope)
    (value, slope), (expected_value, expected_slope) = both(F.hardsigmoid, ops.hardsigmoid, EDGES, np.float64)
    np.testing.assert_allclose(value, expected_value, equal_nan=True, **TOLERANCES[np.float64])
    inside = np.array([-3 < x < 3 for x in EDGES])
    np.testing.assert_array_equal(slope, np.where(inside, 1 / 6, 0.0))
    np.testing.assert_allclose(slope, expected_slope, rtol=1e-7)  # PyTorch's, to float32's precision
    assert expected_slope[inside][0] != 1 / 6  # (the rounding this test is about is still there)


def test_celu_slope_is_exact_where_pytorchs_float64_rule_rounds_alpha():
    """For an α that float32 cannot hold (0.7), PyTorch's float64 CELU slope e^(x/α) is off by up to
    3e-8 (α passes through float32); deltaprop's is e^(x/α) in float64."""
    x = np.array([-2.0, -1.2, -0.5, -1e-3, 0.0])
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    ops.celu(ours, 0.7).sum().backward()
    np.testing.assert_allclose(ours.grad, np.exp(x / 0.7), rtol=1e-15)
    theirs = torch.tensor(x, requires_grad=True)
    F.celu(theirs, 0.7).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-7)


def test_softplus_with_a_huge_threshold_stays_finite_where_torch_overflows():
    """threshold=1e9 keeps the curve up to βx = 1e9; PyTorch computes log1p(e^x) there and gives inf
    at x = 1e4 and a NaN slope (inf/inf); the stable form gives x and 1, which PyTorch gives at the
    default threshold."""
    x = dp.tensor([1e4, 100.0], dtype=np.float64, requires_grad=True)
    with np.errstate(over="raise", invalid="raise"):
        out = ops.softplus(x, threshold=1e9)
        out.sum().backward()
    np.testing.assert_array_equal(out.data, [1e4, 100.0])
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    theirs = torch.tensor([1e4, 100.0], dtype=torch.float64, requires_grad=True)
    F.softplus(theirs, threshold=1e9).sum().backward()
    assert math.isinf(F.softplus(theirs, threshold=1e9)[0].item()) and math.isnan(theirs.grad[0].item())


# -- the layers' printed forms -----------------------------------------------------------------------

REPRS = [
    ("SiLU", {}), ("Softplus", {}), ("Softplus", dict(beta=2.0, threshold=10.0)), ("Mish", {}), ("SELU", {}),
    ("CELU", {}), ("CELU", dict(alpha=0.5)), ("Hardtanh", {}), ("Hardtanh", dict(min_val=-2.0, max_val=3.0)),
    ("ReLU6", {}), ("PReLU", {}), ("PReLU", dict(num_parameters=3, init=0.1)), ("LogSigmoid", {}), ("Softsign", {}),
    ("Hardswish", {}), ("Hardsigmoid", {}), ("Softmin", dict(dim=1)), ("Softmin", dict(dim=-1)), ("Tanhshrink", {}),
    ("Threshold", dict(threshold=0.1, value=20.0)), ("Threshold", dict(threshold=-1.5, value=0.0)),
]


@pytest.mark.parametrize("name, kwargs", REPRS, ids=lambda v: str(v))
def test_repr_matches_torch(name, kwargs):
    assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


@pytest.mark.parametrize("name, kwargs", [
    ("SiLU", {}), ("Mish", {}), ("SELU", {}), ("CELU", dict(alpha=0.5)), ("Hardtanh", dict(min_val=-2.0, max_val=2.0)),
    ("ReLU6", {}), ("Hardswish", {}), ("Hardsigmoid", {}), ("Threshold", dict(threshold=0.1, value=-1.0)),
], ids=lambda v: str(v))
def test_inplace_is_taken_and_changes_nothing(name, kwargs):
    """PyTorch code passes inplace=True; deltaprop computes the same result and leaves the input as
    it was (its repr, like ReLU's here, does not mention the flag)."""
    data = np.random.default_rng(0).standard_normal((3, 4)) * 3
    x = dp.tensor(data, dtype=np.float64)
    out = getattr(nn, name)(**kwargs, inplace=True)(x)
    np.testing.assert_array_equal(x.data, data)
    expected = getattr(torch.nn, name)(**kwargs, inplace=True)(torch.tensor(data))
    np.testing.assert_allclose(out.data, expected.numpy(), **TOLERANCES[np.float64])
    assert repr(getattr(nn, name)(**kwargs, inplace=True)) == repr(getattr(torch.nn, name)(**kwargs))
