"""The depthwise convolution's own routes to the input gradient (ops/conv.py): with stride 1 the
correlation of the padded δ with the flipped kernel (_depthwise_transposed), with a larger stride one
multiply-add per kernel offset (_depthwise_scatter). Each against finite differences in float64 and
PyTorch in float64 and float32, over paddings that grow δ, crop it (padding beyond the kernel's
extent) or are uneven ('same' with an even kernel), dilations, several blocks of rows, unbatched
inputs, and inputs or weights that need no gradient."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.nn import functional as F
from deltaprop.ops import conv

try:
    import torch
except ImportError:  # the comparisons with PyTorch are skipped, the rest runs
    torch = None

# PyTorch warns that it copies the input for 'same' with an even kernel; nothing to act on here.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

# (spatial dimensions, kernel, options, the route the input gradient takes)
GEOMETRIES = [
    (1, 3, dict(), "transposed"),
    (1, 5, dict(padding=2), "transposed"),
    (1, 3, dict(padding=4), "transposed"),  # padding beyond the kernel's extent 2: δ is cropped
    (1, 4, dict(padding="same"), "transposed"),  # 1 before, 2 after
    (1, 3, dict(dilation=2, padding=1), "transposed"),
    (1, 3, dict(stride=2, padding=1), "scatter"),
    (1, 2, dict(stride=3, dilation=2), "scatter"),
    (2, 3, dict(padding=1), "transposed"),
    (2, (2, 3), dict(padding="same"), "transposed"),
    (2, 3, dict(padding=(3, 0)), "transposed"),  # cropped along H, grown along W
    (2, 3, dict(dilation=(2, 1), padding=(1, 2)), "transposed"),
    (2, 3, dict(stride=2), "scatter"),
    (2, 3, dict(stride=(1, 2), padding=1), "scatter"),
    (2, (3, 2), dict(stride=2, dilation=2, padding=2), "scatter"),
]
SPATIAL = {1: (11,), 2: (9, 8)}


def arrays(dims, kernel, channels=4, batch=3, seed=0):
    rng = np.random.default_rng(seed)
    kernel = kernel if isinstance(kernel, tuple) else (kernel,) * dims
    x = rng.standard_normal((batch, channels, *SPATIAL[dims]))
    w = rng.standard_normal((channels, 1, *kernel))
    b = rng.standard_normal(channels)
    return x, w, b


def convolve(dims):
    return F.conv1d if dims == 1 else F.conv2d


@pytest.fixture
def routes(monkeypatch):
    """The depthwise routes taken during a test, by name."""
    taken = []
    for name, route in (("transposed", "_depthwise_transposed"), ("scatter", "_depthwise_scatter")):
        original = getattr(conv, route)

        def spy(*args, original=original, name=name):
            taken.append(name)
            return original(*args)

        monkeypatch.setattr(conv, route, spy)
    return taken


@pytest.mark.parametrize("dims, kernel, options, route", GEOMETRIES, ids=[f"{d}d-k{k}-{o}" for d, k, o, _ in GEOMETRIES])
def test_gradients_match_finite_differences(dims, kernel, options, route, routes):
    x, w, b = arrays(dims, kernel)
    inputs = [dp.tensor(a, requires_grad=True, dtype=np.float64) for a in (x, w, b)]
    assert dp.gradcheck(lambda *a: convolve(dims)(*a, groups=x.shape[1], **options), inputs)
    assert set(routes) == {route}


def compare_with_pytorch(dims, kernel, options, dtype, needs=(True, True, True), batched=True, seed=0):
    x, w, b = arrays(dims, kernel, seed=seed)
    if not batched:
        x = x[0]
    mine = [dp.tensor(a, requires_grad=need, dtype=dtype) for a, need in zip((x, w, b), needs)]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=need) for a, need in zip((x, w, b), needs)]
    out = convolve(dims)(*mine, groups=w.shape[0], **options)
    expected = getattr(torch.nn.functional, f"conv{dims}d")(*theirs, groups=w.shape[0], **options)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(seed + 1).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for name, a, t, need in zip("xwb", mine, theirs, needs):
        if need:
            np.testing.assert_allclose(a.grad, t.grad.numpy(), err_msg=name, **tol)
        else:
            assert a.grad is None


@pytest.mark.skipif(torch is None, reason="PyTorch is the reference")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
@pytest.mark.parametrize("dims, kernel, options, route", GEOMETRIES, ids=[f"{d}d-k{k}-{o}" for d, k, o, _ in GEOMETRIES])
def test_gradients_match_pytorch(dims, kernel, options, route, dtype, routes):
    compare_with_pytorch(dims, kernel, options, dtype)
    assert set(routes) == {route}


@pytest.mark.skipif(torch is None, reason="PyTorch is the reference")
@pytest.mark.parametrize("dims, kernel, options, route", GEOMETRIES, ids=[f"{d}d-k{k}-{o}" for d, k, o, _ in GEOMETRIES])
def test_several_blocks_of_rows_match_pytorch(dims, kernel, options, route, monkeypatch):
    monkeypatch.setattr(conv, "_BLOCK_BYTES", 200)  # a block of one output row each
    compare_with_pytorch(dims, kernel, options, np.float64, seed=4)


@pytest.mark.skipif(torch is None, reason="PyTorch is the reference")
@pytest.mark.parametrize("needs", [(True, False, False), (False, True, True), (True, True, False)],
                         ids=["input only", "weights only", "no bias"])
@pytest.mark.parametrize("options", [dict(padding=1), dict(stride=2, padding=1)], ids=["stride 1", "stride 2"])
def test_only_the_gradients_asked_for(needs, options):
    compare_with_pytorch(2, 3, options, np.float64, needs=needs)


@pytest.mark.skipif(torch is None, reason="PyTorch is the reference")
@pytest.mark.parametrize("options", [dict(padding=1), dict(stride=2)], ids=["stride 1", "stride 2"])
@pytest.mark.parametrize("dims", [1, 2])
def test_unbatched_inputs_match_pytorch(dims, options):
    compare_with_pytorch(dims, 3, options, np.float64, batched=False)


@pytest.mark.skipif(torch is None, reason="PyTorch is the reference")
def test_an_upstream_gradient_in_either_memory_order():
    """δ arrives batch-last from the layers after a convolution, and C-ordered from a user."""
    x, w, b = arrays(2, 3)
    for order in ("C", "batch-last"):
        xd = dp.tensor(x, requires_grad=True, dtype=np.float64)
        xt = torch.tensor(x, requires_grad=True)
        out = F.conv2d(xd, dp.tensor(w, dtype=np.float64), padding=1, groups=4)
        expected = torch.nn.functional.conv2d(xt, torch.tensor(w), padding=1, groups=4)
        upstream = np.random.default_rng(5).standard_normal(out.shape)
        if order == "batch-last":
            upstream = np.ascontiguousarray(upstream.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        out.backward(upstream)
        expected.backward(torch.from_numpy(np.ascontiguousarray(upstream)))
        np.testing.assert_allclose(xd.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=order)
