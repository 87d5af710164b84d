"""The interpolation backward's scatter-add (ops/_sorted_scatter.py): against np.add.at on every route it
takes (strided slices, np.take into a zero-padded copy, np.add.reduceat for long runs), and the
interpolations that reach each route against finite differences and PyTorch, including size-1
maps, outputs smaller than their inputs, and inf and NaN in the upstream gradient."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.nn import functional as F
from deltaprop.ops._sorted_scatter import _plan, add_onto
from deltaprop.ops.resample import _linear_source, _nearest_source

try:
    import torch
except ImportError:  # the comparisons with PyTorch are skipped, the rest runs
    torch = None

# (input length, output length): factor 2, irregular factors up and down, size-1 axes at either
# end, a long run (2 -> 40: runs of 20, left to reduceat) and the copy of an unchanged length.
LENGTHS = [(32, 64), (13, 20), (64, 100), (100, 64), (9, 3), (20, 7), (7, 17), (1, 5), (5, 1), (1, 1),
           (2, 40), (3, 10), (6, 6)]


def indices():
    """(name, index array, weights or None) for every way interpolate builds them over LENGTHS."""
    for n_in, n_out in LENGTHS:
        for corners in (False, True):
            i0, i1, w0, w1 = _linear_source(n_in, n_out, None, corners, np.dtype(np.float64))
            yield f"linear {n_in}->{n_out} corners={corners} i0", i0, w0
            yield f"linear {n_in}->{n_out} corners={corners} i1", i1, w1
        for exact in (False, True):
            yield f"nearest {n_in}->{n_out} exact={exact}", _nearest_source(n_in, n_out, None, exact), None


INDICES = list(indices())


def route(index) -> str:
    plan = _plan(index)
    if plan is None:
        return "reduceat"
    return "take" if any(not isinstance(source, slice) for _, source in plan) else "slices"


def expected_scatter(shape, g, w, index, axis):
    """The rule written plainly: np.add.at of g·w onto the positions, along ``axis``."""
    c = g if w is None else g * w.reshape(-1, *(1,) * (g.ndim - axis - 1))
    gx = np.zeros(shape, dtype=c.dtype)
    np.add.at(np.moveaxis(gx, axis, 0), index, np.moveaxis(c, axis, 0))
    return gx


def test_the_cases_reach_every_route():
    assert {route(index) for _, index, _ in INDICES} == {"slices", "take", "reduceat"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("name, index, w", INDICES, ids=[case[0] for case in INDICES])
def test_add_onto_matches_add_at(name, index, w, axis, dtype):
    rng = np.random.default_rng(axis)
    n_in = int(index.max()) + 1 + axis % 2  # one position no output reads, on some axes
    shape = [3, 4, 2]
    g_shape = list(shape)
    shape[axis], g_shape[axis] = n_in, len(index)
    g = rng.standard_normal(g_shape).astype(dtype)
    weights = None if w is None else w.astype(dtype).reshape(-1, *(1,) * (2 - axis))
    gx = np.zeros(shape, dtype)
    add_onto(gx, g, weights, index, axis)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    expected = expected_scatter(shape, g, None if w is None else w.astype(dtype), index, axis)
    np.testing.assert_allclose(gx, expected, **tol)


# Interpolations whose backward takes each route (checked below), with the sizes at the edges.
RESIZES = [
    ("bilinear x2", (2, 3, 8, 8), dict(scale_factor=2, mode="bilinear")),
    ("bilinear x2 corners", (2, 3, 8, 8), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ("bilinear irregular up", (1, 2, 13, 11), dict(size=(20, 17), mode="bilinear")),
    ("bilinear irregular corners", (1, 2, 13, 11), dict(size=(20, 17), mode="bilinear", align_corners=True)),
    ("bilinear down", (2, 2, 20, 13), dict(size=(7, 9), mode="bilinear")),
    ("bilinear from 1x1", (2, 3, 1, 1), dict(size=(5, 7), mode="bilinear")),
    ("bilinear to 1x1", (2, 3, 5, 4), dict(size=(1, 1), mode="bilinear")),
    ("bilinear long runs", (1, 2, 2, 3), dict(size=(40, 31), mode="bilinear")),
    ("bilinear one axis kept", (1, 2, 6, 13), dict(size=(6, 20), mode="bilinear")),
    ("linear irregular", (2, 3, 13), dict(size=20, mode="linear")),
    ("linear down", (2, 3, 100), dict(size=64, mode="linear")),
    ("linear from 1", (2, 3, 1), dict(size=9, mode="linear", align_corners=True)),
    ("nearest irregular", (1, 2, 13, 7), dict(size=(20, 17))),
    ("nearest-exact down", (1, 2, 20, 9), dict(size=(7, 4), mode="nearest-exact")),
    ("nearest long runs", (2, 2, 3), dict(size=40)),
]


def test_the_resizes_reach_every_route():
    routes = set()
    for _, shape, resize in RESIZES:
        size = resize["size"] if "size" in resize else tuple(int(n * resize["scale_factor"]) for n in shape[2:])
        size = size if isinstance(size, tuple) else (size,)
        for n_in, n_out in zip(shape[2:], size):
            if n_in == n_out:
                continue
            if resize.get("mode", "nearest").startswith("nearest"):
                routes.add(route(_nearest_source(n_in, n_out, None, resize.get("mode") == "nearest-exact")))
            else:
                i0, i1, _, _ = _linear_source(n_in, n_out, None, bool(resize.get("align_corners")), np.dtype(np.float64))
                routes |= {route(i0), route(i1)}
    assert routes == {"slices", "take", "reduceat"}


@pytest.mark.parametrize("name, shape, resize", RESIZES, ids=[case[0] for case in RESIZES])
def test_gradients_match_finite_differences(name, shape, resize):
    x = dp.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True, dtype=np.float64)
    assert dp.gradcheck(lambda t: F.interpolate(t, **resize), [x])


@pytest.mark.skipif(torch is None, reason="PyTorch is the reference the gradients are compared with")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, shape, resize", RESIZES, ids=[case[0] for case in RESIZES])
def test_gradients_match_pytorch(name, shape, resize, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    xd = dp.tensor(x, requires_grad=True, dtype=dtype)
    xt = torch.tensor(x, requires_grad=True)
    out, expected = F.interpolate(xd, **resize), torch.nn.functional.interpolate(xt, **resize)
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(g)
    expected.backward(torch.from_numpy(g))
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), **tol)


def rule_as_before(x, resize, g):
    """The input gradient by the rule written plainly (np.add.at per axis and term, H before W), the
    order of products and sums that decides where an inf becomes a NaN."""
    n = x.ndim - 2
    sizes = resize["size"] if isinstance(resize["size"], tuple) else (resize["size"],) * n
    linear = resize.get("mode", "nearest") in ("linear", "bilinear")
    shapes = [x.shape]
    for axis in reversed(range(2, x.ndim)):  # the forward's order: the last axis first
        shape = list(shapes[-1])
        shape[axis] = sizes[axis - 2]
        shapes.append(tuple(shape))
    for axis in range(2, x.ndim):  # the backward's order: the reverse
        n_in, n_out = x.shape[axis], sizes[axis - 2]
        shape = shapes[x.ndim - axis - 1]
        if linear:
            i0, i1, w0, w1 = _linear_source(n_in, n_out, None, bool(resize.get("align_corners")), x.dtype)
            g = expected_scatter(shape, g, w0, i0, axis) + expected_scatter(shape, g, w1, i1, axis)
        else:
            g = expected_scatter(shape, g, None, _nearest_source(n_in, n_out, None, False), axis)
    return g


INF_CASES = [case for case in RESIZES if "size" in case[2] and case[2].get("mode") != "nearest-exact"]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf · 0, as the rule always did
@pytest.mark.parametrize("name, shape, resize", INF_CASES, ids=[case[0] for case in INF_CASES])
def test_inf_and_nan_in_the_upstream_gradient_land_where_they_did(name, shape, resize):
    x = np.random.default_rng(2).standard_normal(shape)
    xd = dp.tensor(x, requires_grad=True, dtype=np.float64)
    out = F.interpolate(xd, **resize)
    g = np.random.default_rng(3).standard_normal(out.shape)
    flat = g.reshape(-1)
    flat[[0, flat.size // 3]] = np.inf
    flat[flat.size // 2] = -np.inf
    flat[-1] = np.nan
    out.backward(g)
    expected = rule_as_before(x, resize, g)
    assert np.isnan(xd.grad).any() or np.isinf(xd.grad).any()
    np.testing.assert_array_equal(np.isnan(xd.grad), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(xd.grad), np.isposinf(expected))
    np.testing.assert_array_equal(np.isneginf(xd.grad), np.isneginf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(xd.grad[finite], expected[finite], rtol=1e-12, atol=1e-14)
    if torch is not None:  # and where PyTorch's puts them
        xt = torch.tensor(x, requires_grad=True)
        torch.nn.functional.interpolate(xt, **resize).backward(torch.from_numpy(g))
        theirs = xt.grad.numpy()
        np.testing.assert_array_equal(np.isnan(xd.grad), np.isnan(theirs))
        np.testing.assert_array_equal(np.isposinf(xd.grad), np.isposinf(theirs))
        np.testing.assert_array_equal(np.isneginf(xd.grad), np.isneginf(theirs))


def test_long_axes_are_planned_afresh_and_alike(monkeypatch):
    from deltaprop.ops import _sorted_scatter as _scatter

    index = _linear_source(13, 20, None, False, np.dtype(np.float64))[0]
    g = np.random.default_rng(6).standard_normal((3, 20))
    cached = np.zeros((3, 13))
    add_onto(cached, g, None, index, 1)
    monkeypatch.setattr(_scatter, "_MOST_CACHED", 8)  # every axis here counts as long now
    _scatter._cached_plan.cache_clear()
    fresh = np.zeros((3, 13))
    add_onto(fresh, g, None, index, 1)
    assert _scatter._cached_plan.cache_info().currsize == 0
    np.testing.assert_array_equal(fresh, cached)
    np.testing.assert_allclose(fresh, expected_scatter((3, 13), g, None, index, 1), rtol=1e-12)
