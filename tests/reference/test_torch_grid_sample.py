"""``F.affine_grid`` and ``F.grid_sample`` against PyTorch's: values and the gradients of the input,
the grid and theta, in float64, for both modes, the three padding modes and both corner rules, on
grids that reach outside the image."""

import itertools
import warnings

import numpy as np
import pytest

import deltaprop as dp

torch = pytest.importorskip("torch")

F = dp.nn.functional


def _pair(array):
    return dp.tensor(array, dtype=np.float64, requires_grad=True), torch.tensor(array, requires_grad=True)


@pytest.mark.parametrize("mode, padding_mode, align_corners",
                         list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True])))
def test_grid_sample_is_pytorchs(mode, padding_mode, align_corners):
    rng = np.random.default_rng(1)
    ours_x, their_x = _pair(rng.normal(size=(2, 3, 5, 6)))
    ours_g, their_g = _pair(rng.uniform(-1.7, 1.7, size=(2, 4, 7, 2)))  # some points beyond the edges
    weights = rng.normal(size=(2, 3, 4, 7))
    options = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    ours = F.grid_sample(ours_x, ours_g, **options)
    theirs = torch.nn.functional.grid_sample(their_x, their_g, **options)
    (ours * dp.tensor(weights, dtype=np.float64)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours_x.grad, their_x.grad.numpy(), rtol=1e-10, atol=1e-12)
    if mode == "bilinear":
        np.testing.assert_allclose(ours_g.grad, their_g.grad.numpy(), rtol=1e-9, atol=1e-11)
    else:  # nearest: PyTorch's grid gradient is zeros; deltaprop's grid is not reached (docs/porting.md)
        assert ours_g.grad is None and not their_g.grad.numpy().any()


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 5), (2, 1, 1, 6)])
def test_affine_grid_is_pytorchs(size, align_corners):
    rows = len(size) - 2
    ours_t, their_t = _pair(np.random.default_rng(2).normal(size=(2, rows, rows + 1)))
    with warnings.catch_warnings(record=True) as their_warnings:
        warnings.simplefilter("always")  # both warn about unit-size grids with align_corners=True
        theirs = torch.nn.functional.affine_grid(their_t, size, align_corners=align_corners)
    with warnings.catch_warnings(record=True) as our_warnings:
        warnings.simplefilter("always")
        ours = F.affine_grid(ours_t, size, align_corners=align_corners)
    assert len(our_warnings) == len(their_warnings)  # (in its own words: the same occasions)
    weights = np.random.default_rng(3).normal(size=theirs.shape)
    (ours * dp.tensor(weights, dtype=np.float64)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    assert ours.shape == tuple(theirs.shape)
    # (deltaprop's float64 base positions were float32 ones, off by a few 1e-8, until they kept theta's dtype)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours_t.grad, their_t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_a_spatial_transformer_step_is_pytorchs_in_float32():
    """The tutorial's calls, float32, default align_corners (both warn): theta from a layer, the grid
    sampled, the gradients of the image and of the layer's weights."""
    rng = np.random.default_rng(4)
    image = rng.random((3, 1, 9, 9)).astype(np.float32)
    weight = (rng.normal(size=(6, 81)) * 0.05).astype(np.float32)
    bias = np.float32([1, 0.1, 0, -0.1, 1, 0.05])
    results = []
    for lib in (dp, torch):
        x = lib.tensor(image, requires_grad=True)
        w = lib.tensor(weight, requires_grad=True)
        theta = lib.nn.functional.linear(x.view(3, 81), w, lib.tensor(bias)).view(-1, 2, 3)
        with pytest.warns(UserWarning, match="align_corners"):
            grid = lib.nn.functional.affine_grid(theta, x.size())
        with pytest.warns(UserWarning, match="align_corners"):
            out = lib.nn.functional.grid_sample(x, grid)
        (out ** 2).sum().backward()
        results.append([np.asarray(out.detach().numpy()), np.asarray(x.grad), np.asarray(w.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_points_at_nan_or_infinity_read_what_pytorchs_read(mode, padding_mode, align_corners):
    """Zeros (or NaN, through a NaN weight) outside; folded by a padding mode, the first pixel for a NaN
    and the far edge for an infinity; without NumPy's warnings."""
    image = np.arange(6.0).reshape(1, 1, 2, 3)
    points = np.array([[[[np.nan, 0.0], [np.inf, 0.2], [-np.inf, 0.5], [0.3, np.nan], [0.1, -np.inf]]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = F.grid_sample(dp.tensor(image, dtype=np.float64), dp.tensor(points, dtype=np.float64), mode=mode,
                             padding_mode=padding_mode, align_corners=align_corners)
    theirs = torch.nn.functional.grid_sample(torch.tensor(image), torch.tensor(points), mode=mode,
                                             padding_mode=padding_mode, align_corners=align_corners)
    np.testing.assert_allclose(ours.data, theirs.numpy(), equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_an_identity_grid_is_differentiated_as_pytorchs(align_corners, padding_mode, dtype):
    """A spatial transformer starts from θ = identity: every point on a pixel's centre, the edge points on
    the image's edges. PyTorch rounds (g + 1)·W/2 − ½ once (a fused multiply-add); rounded twice, a
    position fell an ulp short of its pixel, was floored to the pixel before, and took the slope of the
    other side (grid gradients off by up to 1e3 at 100 pixels); and PyTorch gives the clipped border
    and reflection edges no gradient, where deltaprop's clip had passed it (off by a pixel difference)."""
    rng = np.random.default_rng(7)
    image = rng.normal(size=(2, 3, 48, 51)).astype(dtype)
    theta = torch.tensor(np.tile(np.eye(2, 3), (2, 1, 1)).astype(dtype))
    points = torch.nn.functional.affine_grid(theta, (2, 3, 48, 51), align_corners=align_corners).numpy()
    ours_g = dp.tensor(points, dtype=dtype, requires_grad=True)
    their_g = torch.tensor(points, requires_grad=True)
    upstream = rng.normal(size=(2, 3, 48, 51)).astype(dtype)
    options = dict(padding_mode=padding_mode, align_corners=align_corners)
    ours = F.grid_sample(dp.tensor(image, dtype=dtype), ours_g, **options)
    theirs = torch.nn.functional.grid_sample(torch.tensor(image), their_g, **options)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=0, atol=1e-6 if dtype == np.float32 else 1e-14)
    # (float32: PyTorch fuses the multiply-adds of its sums too, so an ulp or two of the sums apart)
    tol = dict(rtol=1e-4, atol=1e-3) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(ours_g.grad, their_g.grad.numpy(), **tol)


@pytest.mark.parametrize("padding_mode", ["border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_points_on_the_edges_and_folds_get_pytorchs_grid_gradient(align_corners, padding_mode):
    """Points whose position lands exactly on the first or last pixel, or is reflected there: PyTorch
    counts them as clipped (zero gradient); and points on every other pixel and half-pixel, in float64."""
    rng = np.random.default_rng(8)
    image = rng.normal(size=(1, 2, 4, 5))
    pixels = np.arange(-6.0, 11.0, 0.5)  # pixel positions along x, many folded back by reflection
    xs = pixels * 2 / 4 - 1 if align_corners else (2 * pixels + 1) / 5 - 1
    points = np.stack([xs, np.full_like(xs, 0.1)], axis=-1)[None, None]
    ours_g, their_g = _pair(points)
    options = dict(padding_mode=padding_mode, align_corners=align_corners)
    ours = F.grid_sample(dp.tensor(image, dtype=np.float64), ours_g, **options)
    theirs = torch.nn.functional.grid_sample(torch.tensor(image), their_g, **options)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours_g.grad, their_g.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_an_infinite_pixel_outside_the_points_reach_stays_out_of_zeros_padding(mode):
    """A point beyond the image reads zeros, as PyTorch's masked gather: not the first pixel times a zero
    weight, which an infinite first pixel turned into NaN."""
    image = np.arange(12.0).reshape(1, 1, 3, 4)
    image[0, 0, 0, 0] = np.inf
    points = np.array([[[[-3.0, -3.0], [2.5, 0.0], [0.5, 0.5]]]])
    ours = F.grid_sample(dp.tensor(image, dtype=np.float64), dp.tensor(points, dtype=np.float64), mode=mode,
                         align_corners=False)
    theirs = torch.nn.functional.grid_sample(torch.tensor(image), torch.tensor(points), mode=mode, align_corners=False)
    np.testing.assert_allclose(ours.data, theirs.numpy())
    assert ours.data[0, 0, 0, :2].tolist() == [0.0, 0.0]
