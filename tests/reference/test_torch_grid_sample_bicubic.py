"""grid_sample(..., mode='bicubic') against PyTorch: Keys' cubic (a = −0.75) on the 4 x 4 pixels around
each point, the padding mode ('zeros', 'border', 'reflection') applied to each of the sixteen, both
corner rules, float64 and float32, random grids with points far outside; values and the gradients of
the input and the grid (theta's through affine_grid), finite differences of the first and second
derivatives, and the refusal PyTorch makes too (5-d input)."""

import itertools
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402
from deltaprop.errors import ShapeError  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, sample  # noqa: E402

TF = torch.nn.functional

PADDINGS = ["zeros", "border", "reflection"]
SHAPES = [(2, 3, 5, 6), (1, 2, 1, 5), (2, 1, 9, 4), (1, 1, 1, 1)]
# points on the corners, the centre and far outside (beyond the reach of any pixel, and folded many times
# by reflection), besides random ones around the image
FAR = [(1.0, 1.0), (-1.0, -1.0), (0.0, 0.0), (30.0, -7.5), (-1e4, 0.3), (0.1, -3e5), (1e6, 0.2), (-2.5, 2.5)]


# The grid's gradient is the slope of the cubic surface times (size − 1)/2 or size/2 pixels per unit:
# float32 positions, rounded, move it by ~1e-4 of itself, in PyTorch as in deltaprop (each ~1e-3 away
# from the float64 gradient on a 40 x 33 image, and as far from each other).
GRID_TOLERANCES = {np.float64: TOLERANCES[np.float64], np.float32: dict(rtol=1e-4, atol=1e-4)}


def grid(n, seed=1):
    points = np.random.default_rng(seed).uniform(-1.8, 1.8, size=(n, 4, 9, 2))
    points[0, 0, :len(FAR)] = FAR
    return points


def compare(x, points, dtype, tol=None, grid_tol=None, **options):
    tol = tol or TOLERANCES[dtype]
    xd, gd = dp.tensor(x, dtype=dtype, requires_grad=True), dp.tensor(points, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    gt = torch.tensor(points, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    out, expected = F.grid_sample(xd, gd, mode="bicubic", **options), TF.grid_sample(xt, gt, mode="bicubic", **options)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(2).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), err_msg="input", **tol)
    np.testing.assert_allclose(gd.grad, gt.grad.numpy(), err_msg="grid", **(grid_tol or GRID_TOLERANCES[dtype]))
    return out


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("padding_mode, align_corners", list(itertools.product(PADDINGS, [False, True])))
def test_bicubic_grid_sample_matches_pytorch(padding_mode, align_corners, shape, dtype):
    compare(sample(shape), grid(shape[0]), dtype, padding_mode=padding_mode, align_corners=align_corners)


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_a_larger_image_and_grid_in_float32(padding_mode):
    compare(sample((2, 3, 40, 33)), np.random.default_rng(5).uniform(-1.3, 1.3, size=(2, 25, 31, 2)), np.float32,
            grid_tol=dict(rtol=1e-4, atol=2e-3), padding_mode=padding_mode, align_corners=False)


def test_the_taps_outside_the_image_read_zero_the_border_or_the_mirror_image():
    """A point half a pixel right of pixel 0 of the row [10, 20, 30, 40, 50] (t = ½) reads pixels −1..2 with
    weights −0.09375, 0.59375, 0.59375, −0.09375. Pixel −1 is 0 ('zeros'), pixel 0 ('border'), pixel 0
    mirrored about the outer edge −½ ('reflection', align_corners=False) or pixel 1 mirrored about pixel 0's
    centre (align_corners=True)."""
    row = np.array([[[[10.0, 20.0, 30.0, 40.0, 50.0]]]])
    w = np.array([-0.09375, 0.59375, 0.59375, -0.09375])
    expected = {"zeros": w @ [0, 10, 20, 30], "border": w @ [10, 10, 20, 30]}
    for align_corners, mirrored in ((False, 10.0), (True, 20.0)):
        x = 0.5 / 4 * 2 - 1 if align_corners else (2 * 0.5 + 1) / 5 - 1  # pixel position 0.5
        for padding_mode, value in {**expected, "reflection": w @ [mirrored, 10, 20, 30]}.items():
            out = F.grid_sample(dp.tensor(row, dtype=np.float64), dp.tensor([[[[x, 0.0]]]], dtype=np.float64),
                                mode="bicubic", padding_mode=padding_mode, align_corners=align_corners)
            theirs = TF.grid_sample(torch.tensor(row), torch.tensor([[[[x, 0.0]]]], dtype=torch.float64), mode="bicubic",
                                    padding_mode=padding_mode, align_corners=align_corners)
            assert out.item() == pytest.approx(value, rel=1e-12), (padding_mode, align_corners)
            assert theirs.item() == pytest.approx(value, rel=1e-12), (padding_mode, align_corners)


@pytest.mark.parametrize("align_corners", [False, True])
def test_the_identity_grid_reads_the_pixels_back(align_corners):
    """At pixel centres (t = 0) the weights are 0, 1, 0, 0: the image itself, whatever the padding."""
    image = sample((2, 3, 4, 5))
    theta = dp.tensor(np.tile([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], (2, 1, 1)), dtype=np.float64)
    points = F.affine_grid(theta, (2, 3, 4, 5), align_corners=align_corners)
    for padding_mode in PADDINGS:
        out = F.grid_sample(dp.tensor(image, dtype=np.float64), points, mode="bicubic", padding_mode=padding_mode,
                            align_corners=align_corners)
        np.testing.assert_allclose(out.data, image, atol=1e-12)


@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_a_spatial_transformer_step_matches_pytorch(padding_mode):
    """theta (a rotation, a zoom, a shift) to a grid to a bicubic sample: the gradients of the image and of theta."""
    angle, zoom = 0.4, 1.3
    theta = np.array([[[zoom * np.cos(angle), -zoom * np.sin(angle), 0.1], [zoom * np.sin(angle), zoom * np.cos(angle), -0.2]],
                      [[0.8, 0.1, 0.0], [-0.1, 0.9, 0.3]]])
    image, upstream = sample((2, 2, 7, 8)), sample((2, 2, 6, 9), seed=3)
    results = []
    for lib in (dp, torch):
        x = lib.tensor(image, dtype=lib.float64, requires_grad=True)
        t = lib.tensor(theta, dtype=lib.float64, requires_grad=True)
        points = lib.nn.functional.affine_grid(t, (2, 2, 6, 9), align_corners=False)
        out = lib.nn.functional.grid_sample(x, points, mode="bicubic", padding_mode=padding_mode, align_corners=False)
        (out * lib.tensor(upstream, dtype=lib.float64)).sum().backward()
        results.append([np.asarray(out.detach().numpy()), np.asarray(x.grad), np.asarray(t.grad)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_points_at_nan_or_infinity_give_nan_as_pytorchs(padding_mode, align_corners):
    """A NaN or infinite coordinate makes NaN weights (t = ∞ − ∞), so NaN whatever the padding, in both;
    without NumPy's warnings."""
    image = np.arange(6.0).reshape(1, 1, 2, 3)
    points = np.array([[[[np.nan, 0.0], [np.inf, 0.2], [-np.inf, 0.5], [0.3, np.nan], [0.1, -np.inf], [0.2, 0.1]]]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = F.grid_sample(dp.tensor(image, dtype=np.float64), dp.tensor(points, dtype=np.float64), mode="bicubic",
                             padding_mode=padding_mode, align_corners=align_corners)
    theirs = TF.grid_sample(torch.tensor(image), torch.tensor(points), mode="bicubic", padding_mode=padding_mode,
                            align_corners=align_corners)
    assert np.isnan(ours.data[..., :5]).all() and np.isfinite(ours.data[..., 5]).all()
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [False, True])
def test_gradients_match_finite_differences(padding_mode, align_corners):
    rng = np.random.default_rng(0)
    x = dp.tensor(rng.normal(size=(1, 2, 3, 4)), dtype=np.float64, requires_grad=True)
    points = dp.tensor(rng.uniform(-1.6, 1.6, size=(1, 2, 3, 2)), dtype=np.float64, requires_grad=True)

    def sampled(x, points):
        return F.grid_sample(x, points, mode="bicubic", padding_mode=padding_mode, align_corners=align_corners)

    assert autograd.gradcheck(sampled, (x, points))
    assert autograd.gradgradcheck(sampled, (x, points))


def test_the_numbered_grid_sampler_takes_bicubic_as_2():
    x, points = sample((2, 3, 4, 5)), grid(2)
    ours = dp.grid_sampler(dp.tensor(x, dtype=np.float64), dp.tensor(points, dtype=np.float64), 2, 2, True)
    theirs = torch.grid_sampler(torch.tensor(x), torch.tensor(points), 2, 2, True)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_volumetric_input_is_refused_as_by_pytorch():
    message = "grid_sample: mode='bicubic' takes 4-d input (N, C, H, W) only, as in PyTorch; got shape (1, 1, 2, 2, 2)"
    with pytest.raises(ShapeError, match=re.escape(message)):
        F.grid_sample(dp.zeros(1, 1, 2, 2, 2), dp.zeros(1, 1, 1, 1, 3), mode="bicubic", align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        TF.grid_sample(torch.zeros(1, 1, 2, 2, 2), torch.zeros(1, 1, 1, 1, 3), mode="bicubic", align_corners=False)
