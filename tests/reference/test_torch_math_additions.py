"""PyTorch's further math against PyTorch 2.13: rad2deg, deg2rad, float_power, ldexp, frexp,
nextafter, sgn, positive, rsub, fmax/fmin (their NaN rule), heaviside, gcd, lcm, logit and i0 at the
top level, mvlgamma, igamma/igammac (special.gammainc/gammaincc), addr/ger, chain_matmul, dist,
renorm, trapezoid/trapz/cumulative_trapezoid, cov, corrcoef, histc, histogram, histogramdd and the
window functions: values, result dtypes and gradients in float64 and float32 (with the harness of
test_torch_more_math.py), edge values, and the arguments both refuse.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, DataError, ShapeError

torch = pytest.importorskip("torch", reason="PyTorch reference not installed: pip install -e '.[test]'")

from test_torch_more_math import anywhere, case, check, compare, positive, uniform  # noqa: E402

TOLERANCE64 = dict(rtol=1e-10, atol=1e-12)
INF, NAN = math.inf, math.nan


def _both(name):
    return (lambda *t: getattr(torch, name)(*t)), (lambda *t: getattr(dp, name)(*t))


def _method(name, *args, **kwargs):
    return (lambda x, *t: getattr(x, name)(*t, *args, **kwargs)), (lambda x, *t: getattr(x, name)(*t, *args, **kwargs))


def _call(name, *args, **kwargs):
    return (lambda *t: getattr(torch, name)(*t, *args, **kwargs)), (lambda *t: getattr(dp, name)(*t, *args, **kwargs))


def _rows_apart(rng, shape):
    """Rows of different scales, so that renorm scales some down and keeps others."""
    return rng.standard_normal(shape) * np.array([0.2, 1.0, 3.0]).reshape((-1,) + (1,) * (len(shape) - 1))


CASES = [
    case("rad2deg", [(3, 4)], *_both("rad2deg")),
    case("deg2rad", [(3, 4)], *_both("deg2rad"), recipe=uniform(-360, 360)),
    case("rad2deg-method", [(2, 3)], *_method("rad2deg")),
    case("float_power", [(3, 4), (4,)], *_both("float_power"), recipes=(positive, anywhere)),
    case("float_power-number", [(3, 4)], *_call("float_power", 2.5), recipe=positive),
    case("float_power-number-base", [(3, 4)], lambda y: torch.float_power(2, y), lambda y: dp.float_power(2, y)),
    case("float_power-method", [(3, 4), (3, 4)], *_method("float_power"), recipes=(positive, anywhere)),
    case("ldexp", [(3, 4), (4,)], *_both("ldexp")),
    case("ldexp-method", [(3, 4), (3, 4)], *_method("ldexp")),
    case("frexp", [(3, 4)], *_both("frexp"), recipe=uniform(-50, 50)),
    case("nextafter", [(3, 4), (3, 4)], *_both("nextafter")),
    case("nextafter-broadcast", [(3, 4), (4,)], *_both("nextafter")),
    case("positive", [(3, 4)], *_both("positive")),
    case("rsub", [(3, 4), (4,)], *_both("rsub")),
    case("rsub-alpha", [(3, 4), (3, 4)], *_call("rsub", alpha=2.5)),
    case("rsub-number", [(3, 4)], *_call("rsub", 3.0)),
    case("fmax", [(3, 4), (4,)], *_both("fmax")),
    case("fmin", [(3, 4), (3, 4)], *_both("fmin")),
    case("fmax-method", [(2, 3), (2, 3)], *_method("fmax")),
    case("logit", [(3, 4)], *_both("logit"), recipe=uniform(0.05, 0.95)),
    case("logit-eps", [(3, 4)], *_call("logit", eps=0.2), recipe=uniform(0.0, 1.0)),
    case("logit-method", [(3, 4)], *_method("logit"), recipe=uniform(0.05, 0.95)),
    case("i0", [(3, 4)], *_both("i0"), recipe=uniform(-5, 5)),
    case("i0-method", [(3, 4)], *_method("i0"), recipe=uniform(-5, 5)),
    case("mvlgamma", [(3, 4)], *_call("mvlgamma", p=3), recipe=uniform(1.2, 6.0)),
    case("mvlgamma-p1", [(3, 4)], *_call("mvlgamma", p=1), recipe=uniform(0.2, 6.0)),
    case("mvlgamma-method", [(3, 4)], *_method("mvlgamma", 4), recipe=uniform(2.0, 6.0)),
    case("special.multigammaln", [(3, 4)], lambda x: torch.special.multigammaln(x, 2),
         lambda x: dp.special.multigammaln(x, 2), recipe=uniform(1.0, 6.0)),
    case("addr", [(3, 4), (3,), (4,)], *_both("addr")),
    case("addr-broadcast-beta-alpha", [(4,), (3,), (4,)], *_call("addr", beta=0.5, alpha=-2.0)),
    case("addr-beta-0", [(3, 4), (3,), (4,)], *_call("addr", beta=0)),
    case("addr-method", [(3, 4), (3,), (4,)], *_method("addr", alpha=3.0)),
    case("ger", [(3,), (4,)], *_both("ger")),
    case("ger-method", [(3,), (4,)], *_method("ger")),
    case("dist", [(3, 4), (3, 4)], *_both("dist")),
    case("dist-broadcast", [(3, 4), (4,)], *_both("dist")),
    case("dist-p1", [(3, 4), (3, 4)], *_call("dist", p=1)),
    case("dist-p3", [(3, 4), (3, 4)], *_call("dist", p=3)),
    case("dist-p0.5", [(3, 4), (3, 4)], *_call("dist", p=0.5)),
    case("dist-inf", [(3, 4), (3, 4)], *_call("dist", p=INF)),
    case("dist-method", [(5,), (5,)], *_method("dist", 2.5)),
    case("renorm", [(3, 4)], *_call("renorm", 2, 0, 1.0), recipe=_rows_apart),
    case("renorm-p1-3d", [(3, 2, 4)], *_call("renorm", 1, 0, 2.0), recipe=_rows_apart),
    case("renorm-inf-dim1", [(4, 3)], lambda x: torch.renorm(x.T, INF, 0, 1.5).T * 1.0,
         lambda x: dp.renorm(x.T, INF, 0, 1.5).T * 1.0, recipe=lambda rng, s: _rows_apart(rng, s[::-1]).T),
    case("renorm-method-negative-dim", [(4, 3)], *_method("renorm", 2, -1, 1.0), recipe=lambda rng, s: 2 * rng.standard_normal(s)),
    case("trapezoid", [(3, 5)], *_both("trapezoid")),
    case("trapezoid-dx-dim", [(3, 5)], *_call("trapezoid", dx=0.3, dim=0)),
    case("trapezoid-x", [(3, 5), (5,)], *_both("trapezoid")),
    case("trapezoid-x-dim0", [(5, 3), (5,)], *_call("trapezoid", dim=0)),
    case("trapezoid-x-broadcast", [(2, 3, 5), (3, 5)], *_both("trapezoid")),
    case("trapz", [(3, 5), (5,)], *_both("trapz")),
    case("trapz-dx", [(3, 5)], *_call("trapz", dx=2.0)),
    case("cumulative_trapezoid", [(3, 5)], *_both("cumulative_trapezoid")),
    case("cumulative_trapezoid-x", [(3, 5), (5,)], *_both("cumulative_trapezoid")),
    case("cumulative_trapezoid-dx-dim", [(4, 3)], *_call("cumulative_trapezoid", dx=0.5, dim=0)),
    case("cov", [(3, 6)], *_both("cov")),
    case("cov-vector", [(6,)], *_both("cov")),
    case("cov-correction-0", [(3, 6)], *_call("cov", correction=0)),
    case("cov-correction-2", [(2, 6)], *_call("cov", correction=2)),
    case("cov-aweights", [(3, 6), (6,)], lambda x, a: torch.cov(x, aweights=a), lambda x, a: dp.cov(x, aweights=a),
         recipes=(anywhere, positive)),
    case("cov-method", [(3, 6)], *_method("cov")),
    case("corrcoef", [(3, 6)], *_both("corrcoef")),
    case("corrcoef-method", [(4, 5)], *_method("corrcoef")),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shapes, torch_fn, dp_fn, recipes", CASES)
def test_matches_torch(shapes, torch_fn, dp_fn, recipes, dtype):
    compare(shapes, torch_fn, dp_fn, dtype, recipes)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cov_with_frequency_and_importance_weights(dtype):
    rng = np.random.default_rng(3)
    x, a = rng.standard_normal((3, 6)).astype(dtype), rng.uniform(0.5, 2.0, 6).astype(dtype)
    f = np.array([1, 3, 0, 2, 1, 4])
    tolerance = TOLERANCE64 if dtype == np.float64 else dict(rtol=2e-4, atol=2e-5)
    check([x, a], lambda x, a: torch.cov(x, fweights=torch.tensor(f), aweights=a),
          lambda x, a: dp.cov(x, fweights=dp.tensor(f), aweights=a), tolerance)
    check([x], lambda x: torch.cov(x, correction=0, fweights=torch.tensor(f)),
          lambda x: dp.cov(x, correction=0, fweights=dp.tensor(f)), tolerance)


# -- edges, integers and dtypes --------------------------------------------------------------------


def _same(ours, theirs):
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
    tolerance = TOLERANCE64 if ours.dtype != np.float32 else dict(rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.data, theirs.numpy(), **tolerance)


def test_fmax_and_fmin_take_the_number_over_a_nan_and_give_ties_to_the_first():
    x = [1.0, -2.0, 0.0, NAN, NAN]
    y = [0.5, NAN, 0.0, 1.0, NAN]
    for name in ("fmax", "fmin"):
        a, b = dp.tensor(x, dtype=np.float64, requires_grad=True), dp.tensor(y, dtype=np.float64, requires_grad=True)
        ta, tb = torch.tensor(x, requires_grad=True, dtype=torch.float64), torch.tensor(y, requires_grad=True,
                                                                                          dtype=torch.float64)
        out, expected = getattr(dp, name)(a, b), getattr(torch, name)(ta, tb)
        np.testing.assert_array_equal(out.data, expected.detach().numpy())
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_array_equal(a.grad, ta.grad.numpy())
        np.testing.assert_array_equal(b.grad, tb.grad.numpy())
    _same(dp.fmax(dp.tensor([1, 5]), dp.tensor([3, 2])), torch.fmax(torch.tensor([1, 5]), torch.tensor([3, 2])))


def test_integer_inputs_compute_in_the_default_float_dtype():
    for name in ("rad2deg", "deg2rad", "i0"):
        _same(getattr(dp, name)(dp.tensor([1, 2, 180])), getattr(torch, name)(torch.tensor([1, 2, 180])))
    _same(dp.ldexp(dp.tensor([1, 2]), dp.tensor([3, 4])), torch.ldexp(torch.tensor([1, 2]), torch.tensor([3, 4])))
    _same(dp.float_power(dp.tensor([2, 3]), 2), torch.float_power(torch.tensor([2, 3]), 2))
    _same(dp.mvlgamma(dp.tensor([2, 3]), 2), torch.mvlgamma(torch.tensor([2, 3]), 2))
    _same(dp.trapezoid(dp.tensor([1, 2, 3])), torch.trapezoid(torch.tensor([1, 2, 3])))
    _same(dp.trapezoid(dp.tensor([1, 2, 3]), dp.tensor([1, 2, 4])),
          torch.trapezoid(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 4])))
    _same(dp.cov(dp.tensor([[1, 2, 3], [2, 1, 0]])), torch.cov(torch.tensor([[1, 2, 3], [2, 1, 0]])))
    _same(dp.addr(dp.ones((3, 4), dtype=np.int64), dp.tensor([1, 2, 3]), dp.arange(4), beta=2, alpha=3),
          torch.addr(torch.ones(3, 4, dtype=torch.int64), torch.tensor([1, 2, 3]), torch.arange(4), beta=2, alpha=3))
    _same(dp.float_power(dp.tensor([2.0], dtype=np.float32), dp.tensor([0.5], dtype=np.float32)),
          torch.float_power(torch.tensor([2.0]), torch.tensor([0.5])))


def test_frexp_edges_and_exponent_dtype():
    values = [8.0, 0.3, -5.0, 0.0, -0.0, INF, -INF, NAN, 1e-310, 1e300]
    mantissa, exponent = dp.frexp(dp.tensor(values, dtype=np.float64))
    expected = torch.frexp(torch.tensor(values, dtype=torch.float64))
    np.testing.assert_array_equal(mantissa.data, expected.mantissa.numpy())
    np.testing.assert_array_equal(exponent.data, expected.exponent.numpy())
    assert exponent.dtype == np.int32 and dp.frexp(dp.tensor([1.0])).mantissa.dtype == np.float32
    x = dp.tensor([8.0, 0.3, 0.0], dtype=np.float64, requires_grad=True)
    tx = torch.tensor([8.0, 0.3, 0.0], dtype=torch.float64, requires_grad=True)
    dp.frexp(x).mantissa.sum().backward()
    torch.frexp(tx).mantissa.sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


def test_nextafter_steps_once_and_its_gradient_stops_where_it_reached_the_target():
    x, y = [1.0, -2.0, 0.0, 3.0, 5.0, NAN], [0.5, 1.0, 0.0, INF, 5.0, 1.0]
    for dtype, torch_dtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
        a, b = dp.tensor(x, dtype=dtype, requires_grad=True), dp.tensor(y, dtype=dtype, requires_grad=True)
        ta, tb = (torch.tensor(v, dtype=torch_dtype, requires_grad=True) for v in (x, y))
        out, expected = dp.nextafter(a, b), torch.nextafter(ta, tb)
        np.testing.assert_array_equal(out.data, expected.detach().numpy())
        g = np.arange(1.0, 7.0)
        out.backward(g.astype(dtype))
        expected.backward(torch.tensor(g, dtype=torch_dtype))
        np.testing.assert_array_equal(a.grad, ta.grad.numpy())
        np.testing.assert_array_equal(b.grad, tb.grad.numpy())


def test_heaviside_gcd_and_lcm():
    x = torch.tensor([-1.5, 0.0, 2.0, NAN, 0.0])
    v = torch.tensor([0.5, 0.25, 0.5, 0.5, NAN])
    np.testing.assert_array_equal(dp.heaviside(dp.tensor(x.numpy()), dp.tensor(v.numpy())).data,
                                  torch.heaviside(x, v).numpy())
    _same(dp.heaviside(dp.tensor([1, 0, -1]), dp.tensor([5])), torch.heaviside(torch.tensor([1, 0, -1]),
                                                                               torch.tensor([5])))
    _same(dp.tensor([-1.0, 0.0]).heaviside(dp.tensor([0.5])), torch.tensor([-1.0, 0.0]).heaviside(torch.tensor([0.5])))
    a, b = np.array([12, -8, 0, 7, -2 ** 40]), np.array([18, 6, 0, -21, 3 ** 20])
    for name in ("gcd", "lcm"):
        _same(getattr(dp, name)(dp.tensor(a), dp.tensor(b)), getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
        _same(getattr(dp.tensor(a), name)(dp.tensor(b[:1])), getattr(torch.tensor(a), name)(torch.tensor(b[:1])))
    _same(dp.gcd(dp.tensor(a, dtype=np.int32), dp.tensor(b[:4].tolist() + [6])),
          torch.gcd(torch.tensor(a, dtype=torch.int32), torch.tensor(b[:4].tolist() + [6])))
    assert not dp.heaviside(dp.tensor([1.0], requires_grad=True), dp.tensor([0.5])).requires_grad


def test_sgn_is_sign_with_a_zero_gradient():
    x = np.array([-2.0, 0.0, 3.0, -0.5])
    ours, theirs = dp.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = dp.sgn(ours), torch.sgn(theirs)
    _same(out.detach(), expected.detach())
    _same(ours.sgn().detach(), theirs.sgn().detach())
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(ours.grad, np.zeros(4))
    assert theirs.grad._is_zerotensor() or not theirs.grad.any()


def test_positive_is_the_tensor_itself_and_refuses_booleans():
    x = dp.tensor([1.0, -2.0])
    assert dp.positive(x) is x and x.positive() is x
    with pytest.raises(TypeError, match="positive: not implemented for bool"):
        dp.positive(dp.tensor([True]))
    with pytest.raises(RuntimeError):
        torch.positive(torch.tensor([True]))


def test_igamma_and_igammac_against_pytorch():
    rng = np.random.default_rng(5)
    a = np.exp(rng.uniform(math.log(1e-2), math.log(200.0), 400))
    x = a * np.exp(rng.uniform(-3, 1.5, 400)) + rng.uniform(0, 2, 400)
    for ours, theirs in ((dp.igamma, torch.igamma), (dp.igammac, torch.igammac), (dp.special.gammainc,
                         torch.special.gammainc), (dp.special.gammaincc, torch.special.gammaincc)):
        got = ours(dp.tensor(a, dtype=np.float64), dp.tensor(x, dtype=np.float64))
        # (PyTorch's own are within about 1e-9 of SciPy's; deltaprop's closer: test_math_additions.py)
        np.testing.assert_allclose(got.data, theirs(torch.tensor(a), torch.tensor(x)).numpy(), rtol=1e-8, atol=1e-13)
    got = dp.igamma(dp.tensor(a[:50], dtype=np.float32), dp.tensor(x[:50], dtype=np.float32))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.data, torch.igamma(torch.tensor(a[:50], dtype=torch.float32),
                                                      torch.tensor(x[:50], dtype=torch.float32)).numpy(),
                               rtol=2e-5, atol=1e-6)


def test_igamma_edges_are_pytorchs():
    # (at a = 1e-300, x = 1 PyTorch's Q is 7.97e-301; the true one, a·E₁(1) = 2.19e-301, is SciPy's and
    # deltaprop's: test_math_additions.py)
    a = [0.0, -1.0, 1.0, 1.0, 0.0, INF, 1.0, 2.0, NAN, 0.5, 3.0]
    x = [1.0, 1.0, 0.0, -1.0, 0.0, 1.0, INF, NAN, 1.0, 1e-300, 0.0]
    for ours, theirs in ((dp.igamma, torch.igamma), (dp.igammac, torch.igammac)):
        got = ours(dp.tensor(a, dtype=np.float64), dp.tensor(x, dtype=np.float64)).data
        np.testing.assert_allclose(got, theirs(torch.tensor(a, dtype=torch.float64),
                                               torch.tensor(x, dtype=torch.float64)).numpy(), rtol=1e-12, atol=0)


def test_igamma_gradient_to_x_is_the_density_and_pytorch_has_none_to_a():
    rng = np.random.default_rng(6)
    a, x = rng.uniform(0.3, 5.0, (3, 4)), rng.uniform(0.1, 6.0, (3, 4))
    g = rng.standard_normal((3, 4))
    for name in ("igamma", "igammac"):
        ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        getattr(dp, name)(dp.tensor(a, dtype=np.float64), ours).backward(g)
        getattr(torch, name)(torch.tensor(a), theirs).backward(torch.tensor(g))
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10)
        ours = dp.tensor(x, dtype=np.float64, requires_grad=True)  # and through the method, broadcast
        getattr(dp.tensor(a[0], dtype=np.float64), name)(ours).sum().backward()
        theirs = torch.tensor(x, requires_grad=True)
        getattr(torch.tensor(a[0]), name)(theirs).sum().backward()
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10)
    with pytest.raises(NotImplementedError):  # (deltaprop gives this one: test_math_additions.py checks it)
        torch.igamma(torch.tensor(a, requires_grad=True), torch.tensor(x)).sum().backward()


def test_histc_counts_as_pytorchs():
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(1000).astype(dtype)
        for options in ({}, {"bins": 7}, {"bins": 10, "min": -1, "max": 1.5}, {"bins": 3, "min": 2, "max": 2}):
            _same(dp.histc(dp.tensor(x, dtype=dtype), **options), torch.histc(torch.tensor(x), **options))
        _same(dp.tensor(x.reshape(10, 100), dtype=dtype).histc(5), torch.tensor(x.reshape(10, 100)).histc(5))
    edges = torch.tensor([1.0, 2, 1, 2.5, 4, 0, -1, 5])
    _same(dp.histc(dp.tensor(edges.numpy()), bins=4, min=0, max=4), torch.histc(edges, bins=4, min=0, max=4))
    _same(dp.histc(dp.tensor([2.0, 2.0]), bins=4), torch.histc(torch.tensor([2.0, 2.0]), bins=4))
    _same(dp.histc(dp.tensor([]), bins=2), torch.histc(torch.tensor([]), bins=2))
    _same(dp.histc(dp.tensor([1.0, 2.0, NAN]), bins=2, min=0, max=3),
          torch.histc(torch.tensor([1.0, 2.0, NAN]), bins=2, min=0, max=3))


def _same_histogram(ours, theirs):
    _same(ours.hist, theirs.hist)
    _same(ours.bin_edges, theirs.bin_edges)


def test_histogram_as_pytorchs():
    rng = np.random.default_rng(8)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((20, 30)).astype(dtype)
        w = rng.uniform(0, 2, (20, 30)).astype(dtype)
        edges = np.array([-3.0, -1.0, 0.0, 0.5, 2.0], dtype)
        t, e, tw = torch.tensor(x), torch.tensor(edges), torch.tensor(w)
        for bins, options in ((10, {}), (6, {"range": (-1.0, 1.0)}), (5, {"density": True}),
                              (4, {"weight": w, "range": (-2.0, 2.0), "density": True})):
            torch_options = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
            options = {k: dp.tensor(v, dtype=dtype) if isinstance(v, np.ndarray) else v for k, v in options.items()}
            _same_histogram(dp.histogram(dp.tensor(x, dtype=dtype), bins, **options),
                            torch.histogram(t, bins, **torch_options))
        _same_histogram(dp.histogram(dp.tensor(x, dtype=dtype), dp.tensor(edges, dtype=dtype),
                                     weight=dp.tensor(w, dtype=dtype)), torch.histogram(t, e, weight=tw))
        _same_histogram(dp.tensor(x, dtype=dtype).histogram(dp.tensor(edges, dtype=dtype), density=True),
                        t.histogram(e, density=True))
    for values in ([], [3.0, 3.0], [1.0, 2, 1, 2.5, 4, 0, -1, 5]):
        _same_histogram(dp.histogram(dp.tensor(values), bins=4), torch.histogram(torch.tensor(values), bins=4))
    result = dp.histogram(dp.tensor([1.0, 2.0]), bins=2)
    assert type(result).__name__ == "HistogramResult" and result._fields == ("hist", "bin_edges")


def test_histogramdd_as_pytorchs():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 25, 3))
    w = rng.uniform(0, 1, (4, 25))
    edges = [np.array([-2.0, 0.0, 2.0]), np.array([-1.0, 0.0, 0.5, 1.0]), np.array([-3.0, 3.0])]
    t = torch.tensor(x)
    for bins, options in ((3, {}), ([2, 3, 4], {"density": True}), (2, {"range": [-1.0, 1.0, -2.0, 2.0, 0.0, 1.0]}),
                          ([3, 2, 2], {"weight": w})):
        torch_options = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
        options = {k: dp.tensor(v, dtype=np.float64) if isinstance(v, np.ndarray) else v for k, v in options.items()}
        ours, theirs = dp.histogramdd(dp.tensor(x, dtype=np.float64), bins, **options), torch.histogramdd(t, bins,
                                                                                                         **torch_options)
        _same(ours.hist, theirs.hist)
        assert len(ours.bin_edges) == len(theirs.bin_edges) == 3
        for mine, reference in zip(ours.bin_edges, theirs.bin_edges):
            _same(mine, reference)
    ours = dp.histogramdd(dp.tensor(x, dtype=np.float64), [dp.tensor(e, dtype=np.float64) for e in edges])
    _same(ours.hist, torch.histogramdd(t, [torch.tensor(e) for e in edges]).hist)


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows_as_pytorchs(name):
    for length in (0, 1, 2, 3, 8, 51):
        for periodic in (True, False):
            for dtype, torch_dtype, tolerance in ((None, None, 1e-6), (np.float64, torch.float64, 1e-14)):
                ours = getattr(dp, name)(length, periodic, dtype=dtype)
                theirs = getattr(torch, name)(length, periodic, dtype=torch_dtype)
                assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
                np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=tolerance, atol=tolerance)
    assert getattr(dp, name)(4, requires_grad=True).requires_grad
    with pytest.raises(ConfigError, match=f"{name}: window_length must be a non-negative integer, got -1"):
        getattr(dp, name)(-1)
    with pytest.raises(RuntimeError):
        getattr(torch, name)(-1)
    with pytest.raises(ConfigError, match=f"{name}: dtype must be a floating-point type"):
        getattr(dp, name)(4, dtype=dp.int64)
    with pytest.raises(RuntimeError):
        getattr(torch, name)(4, dtype=torch.int64)


def test_window_options():
    for options in ({"alpha": 0.5, "beta": 0.5}, {"alpha": 0.6, "beta": 0.3}):
        np.testing.assert_allclose(dp.hamming_window(9, False, **options, dtype=np.float64).data,
                                   torch.hamming_window(9, False, **options, dtype=torch.float64).numpy(), rtol=1e-14)
    for beta in (0.0, 5.0, 20.0):
        np.testing.assert_allclose(dp.kaiser_window(10, True, beta, dtype=np.float64).data,
                                   torch.kaiser_window(10, True, beta, dtype=torch.float64).numpy(), rtol=1e-12)


# -- refusals ---------------------------------------------------------------------------------------


def test_refusals_match_pytorchs_in_kind():
    x = dp.tensor(np.ones((3, 4)))
    for ours, theirs, error in [
        (lambda: dp.frexp(dp.tensor([1, 2])), lambda: torch.frexp(torch.tensor([1, 2])), TypeError),
        (lambda: dp.gcd(dp.tensor([1.0]), dp.tensor([2.0])), lambda: torch.gcd(torch.tensor([1.0]), torch.tensor([2.0])),
         TypeError),
        (lambda: dp.nextafter(dp.tensor([1, 2]), dp.tensor([3, 4])),
         lambda: torch.nextafter(torch.tensor([1, 2]), torch.tensor([3, 4])), TypeError),
        (lambda: dp.igamma(dp.tensor([1, 2]), dp.tensor([1, 2])),
         lambda: torch.igamma(torch.tensor([1, 2]), torch.tensor([1, 2])), TypeError),
        (lambda: dp.mvlgamma(x, 0), lambda: torch.mvlgamma(torch.ones(3, 4), 0), ConfigError),
        (lambda: dp.renorm(x, -1, 0, 1.0), lambda: torch.renorm(torch.ones(3, 4), -1, 0, 1.0), ConfigError),
        (lambda: dp.renorm(x, 2, 0, -1.0), lambda: torch.renorm(torch.ones(3, 4), 2, 0, -1.0), ConfigError),
        (lambda: dp.renorm(dp.ones(3), 2, 0, 1.0), lambda: torch.renorm(torch.ones(3), 2, 0, 1.0), ShapeError),
        (lambda: dp.renorm(x, 2, 2, 1.0), lambda: torch.renorm(torch.ones(3, 4), 2, 2, 1.0), ShapeError),
        (lambda: dp.addr(x, dp.ones((3, 1)), dp.ones(4)), lambda: torch.addr(torch.ones(3, 4), torch.ones(3, 1),
                                                                              torch.ones(4)), ShapeError),
        (lambda: dp.trapezoid(x, dp.ones(3)), lambda: torch.trapezoid(torch.ones(3, 4), torch.ones(3)), ShapeError),
        (lambda: dp.trapezoid(x, dp.ones(4), dx=2), lambda: torch.trapezoid(torch.ones(3, 4), torch.ones(4), dx=2),
         TypeError),
        (lambda: dp.cov(dp.ones((2, 2, 2))), lambda: torch.cov(torch.ones(2, 2, 2)), ShapeError),
        (lambda: dp.cov(x, fweights=dp.tensor([1.0, 2, 1, 3])), lambda: torch.cov(torch.ones(3, 4),
                                                                                   fweights=torch.tensor([1.0, 2, 1, 3])),
         TypeError),
        (lambda: dp.cov(x, fweights=dp.tensor([1, -2, 1, 3])), lambda: torch.cov(torch.ones(3, 4),
                                                                                 fweights=torch.tensor([1, -2, 1, 3])),
         DataError),
        (lambda: dp.cov(x, aweights=dp.tensor([1.0, 2, 1])), lambda: torch.cov(torch.ones(3, 4),
                                                                               aweights=torch.tensor([1.0, 2, 1])),
         ShapeError),
        (lambda: dp.histc(dp.tensor([1, 2])), lambda: torch.histc(torch.tensor([1, 2])), TypeError),
        (lambda: dp.histc(x, bins=0), lambda: torch.histc(torch.ones(3, 4), bins=0), ConfigError),
        (lambda: dp.histc(x, bins=3, min=3, max=1), lambda: torch.histc(torch.ones(3, 4), bins=3, min=3, max=1),
         ConfigError),
        (lambda: dp.histc(dp.tensor([1.0, INF])), lambda: torch.histc(torch.tensor([1.0, INF])), ValueError),
        (lambda: dp.histogram(x, 2, range=(3.0, 1.0)), lambda: torch.histogram(torch.ones(3, 4), 2, range=(3.0, 1.0)),
         ConfigError),
        (lambda: dp.histogram(x, 2, weight=dp.ones(3)), lambda: torch.histogram(torch.ones(3, 4), 2,
                                                                                 weight=torch.ones(3)), ShapeError),
        (lambda: dp.histogram(dp.tensor([1.0], dtype=np.float64), dp.tensor([0.0, 2.0])),
         lambda: torch.histogram(torch.tensor([1.0], dtype=torch.float64), torch.tensor([0.0, 2.0])), TypeError),
        (lambda: dp.histogramdd(dp.ones(10), 2), lambda: torch.histogramdd(torch.ones(10), 2), ShapeError),
        (lambda: dp.chain_matmul(dp.ones(3), dp.ones((3, 2))), lambda: torch.chain_matmul(torch.ones(3),
                                                                                          torch.ones(3, 2)), ShapeError),
    ]:
        with pytest.raises(error):
            ours()
        with pytest.raises(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs()


def test_chain_matmul_is_multi_dot_of_matrices():
    rng = np.random.default_rng(10)
    arrays = [rng.standard_normal(s) for s in ((2, 3), (3, 4), (4, 2))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch: chain_matmul is deprecated)
        check(arrays, torch.chain_matmul, dp.chain_matmul, TOLERANCE64)
        check(arrays[:1], torch.chain_matmul, dp.chain_matmul, TOLERANCE64)


def test_cov_warns_where_the_divisor_is_not_positive_as_pytorch():
    x = np.array([[1.0, 2, 4, 7], [3, 5, 9, 1]])
    with pytest.warns(RuntimeWarning, match="cov: the degrees of freedom"):
        ours = dp.cov(dp.tensor(x, dtype=np.float64), correction=5)
    with pytest.warns(UserWarning):
        theirs = torch.cov(torch.tensor(x), correction=5)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (a variable that does not vary: NaN, without a warning)
        np.testing.assert_array_equal(dp.corrcoef(dp.tensor([[1.0, 1, 1], [1, 2, 3]])).data,
                                      torch.corrcoef(torch.tensor([[1.0, 1, 1], [1, 2, 3]])).numpy())


SIGNAL_WINDOWS = [
    ("bartlett", {}), ("blackman", {}), ("cosine", {}), ("exponential", {}), ("exponential", {"tau": 2.5}),
    ("gaussian", {}), ("gaussian", {"std": 0.7}), ("general_cosine", {"a": [0.4, 0.3, 0.2, 0.1]}),
    ("general_hamming", {}), ("general_hamming", {"alpha": 0.6}), ("hamming", {}), ("hann", {}), ("kaiser", {}),
    ("kaiser", {"beta": 4.0}), ("nuttall", {}),
]


@pytest.mark.parametrize("name, options", SIGNAL_WINDOWS, ids=[f"{n}{o}" for n, o in SIGNAL_WINDOWS])
def test_signal_windows_as_pytorchs(name, options):
    for length in (0, 1, 2, 5, 16):
        for sym in (True, False):
            for dtype, torch_dtype, tolerance in ((None, None, 1e-6), (np.float64, torch.float64, 1e-13)):
                ours = getattr(dp.signal.windows, name)(length, sym=sym, dtype=dtype, **options)
                theirs = getattr(torch.signal.windows, name)(length, sym=sym, dtype=torch_dtype, **options)
                assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
                np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=tolerance, atol=tolerance)


def test_signal_windows_options_and_refusals():
    for length in (1, 6):
        np.testing.assert_allclose(dp.signal.windows.exponential(length, center=1.0, sym=False, dtype=np.float64).data,
                                   torch.signal.windows.exponential(length, center=1.0, sym=False,
                                                                    dtype=torch.float64).numpy(), rtol=1e-14)
    assert dp.signal.windows.hann(4, requires_grad=True).requires_grad
    for ours, theirs in [
        (lambda: dp.signal.windows.exponential(5, center=1.0), lambda: torch.signal.windows.exponential(5, center=1.0)),
        (lambda: dp.signal.windows.exponential(5, tau=0), lambda: torch.signal.windows.exponential(5, tau=0)),
        (lambda: dp.signal.windows.gaussian(5, std=-1), lambda: torch.signal.windows.gaussian(5, std=-1)),
        (lambda: dp.signal.windows.hann(-1), lambda: torch.signal.windows.hann(-1)),
        (lambda: dp.signal.windows.hann(4, dtype=dp.int64), lambda: torch.signal.windows.hann(4, dtype=torch.int64)),
    ]:
        with pytest.raises(ConfigError, match="signal.windows"):
            ours()
        with pytest.raises(ValueError):
            theirs()
