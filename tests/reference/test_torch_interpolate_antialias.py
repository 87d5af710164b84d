"""interpolate(..., antialias=True) against PyTorch: 'bilinear', 'bicubic' and 'lanczos' on (N, C, H, W)
input, align_corners True and False, sizes and scale factors (down, up, mixed, kept, recomputed), float64
and float32; values and input gradients, finite differences, and the refusals PyTorch makes too."""

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd, nn  # noqa: E402
from deltaprop.errors import ConfigError  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, compare_functions, output_size, penalty_gradients_agree, sample  # noqa: E402

TF = torch.nn.functional

SHAPES = [(2, 3, 7, 9), (1, 2, 1, 5), (2, 1, 16, 13), (1, 2, 4, 1)]
MODES = [("bilinear", None), ("bilinear", False), ("bilinear", True), ("bicubic", False), ("bicubic", True),
         ("lanczos", None)]
RESIZES = [dict(scale_factor=f) for f in (0.3, 0.5, 0.77, 1.0, 1.5, 2.0, (0.4, 1.7), (2.5, 0.6), 1.1)] + [
    dict(scale_factor=0.77, recompute_scale_factor=True), dict(scale_factor=(1.3, 0.45), recompute_scale_factor=True),
    dict(size=(3, 4)), dict(size=(1, 6)), dict(size=(12, 2)), dict(size=5), dict(size=1),
]


def pytorch_is_wrong(shape, resize) -> bool:
    """PyTorch 2.13's CPU forward gives every output row the first row's values when the output is one
    pixel wide and the height changes (its gradient is right): test_one_pixel_wide_output_is_resampled_per_row."""
    height, width = output_size(shape, resize)
    return width == 1 and height != shape[2]


def pytorch_disagrees_with_itself(shape, resize) -> bool:
    """A scale factor that keeps an axis's length (7 x 1.1): PyTorch's forward copies that axis, its backward
    resamples it by 1/1.1: test_a_kept_axis_is_copied_and_so_is_its_gradient."""
    factor = resize.get("scale_factor")
    factors = factor if isinstance(factor, tuple) else (factor, factor)
    return factor is not None and not resize.get("recompute_scale_factor") and any(
        n == int(n * f) and f != 1 for n, f in zip(shape[2:], factors))


CASES = [(shape, mode, corners, resize) for shape in SHAPES for mode, corners in MODES for resize in RESIZES
         if min(output_size(shape, resize)) >= 1 and not pytorch_is_wrong(shape, resize)
         and not pytorch_disagrees_with_itself(shape, resize)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape, mode, align_corners, resize", CASES, ids=[f"{s}-{m}-{a}-{r}" for s, m, a, r in CASES])
def test_antialiased_interpolation_matches_pytorch(shape, mode, align_corners, resize, dtype):
    assert len(CASES) > 250  # the grid is not filtered away
    options = dict(mode=mode, align_corners=align_corners, antialias=True, **resize)
    compare_functions(lambda xd: F.interpolate(xd, **options), lambda xt: TF.interpolate(xt, **options), sample(shape) * 2 + 0.5, dtype)


LARGE = [((1, 1, 3000, 2), (1999, 3)), ((1, 1, 2, 3001), (2, 7777)), ((1, 2, 1000, 50), (333, 517)),
         ((1, 1, 700, 90), (64, 65)), ((2, 1, 130, 129), (131, 63)), ((1, 1, 5, 4000), (3, 40))]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("mode, align_corners", MODES[1:], ids=[f"{m}-{a}" for m, a in MODES[1:]])
@pytest.mark.parametrize("shape, size", LARGE, ids=[f"{s}-{z}" for s, z in LARGE])
def test_long_axes_match_pytorch(shape, size, mode, align_corners, dtype):
    """Thousands of pixels: the weight matrix in many blocks, and float32 centres rounded as PyTorch rounds
    them (computed in float64 they would be off by 1e-4 of a pixel, and so would float32 values)."""
    options = dict(size=size, mode=mode, align_corners=align_corners, antialias=True)
    compare_functions(lambda xd: F.interpolate(xd, **options), lambda xt: TF.interpolate(xt, **options), sample(shape), dtype)


def test_the_downscaling_filter_is_widened_and_normalised():
    """Halving 8 pixels with the triangle filter: output pixel j centred at 2j + 1 reads the pixels within
    2 of it with weights 1 − |i + ½ − c|/2 (¼, ¾, ¾, ¼), divided by their sum; the border cuts one off."""
    x = np.arange(8.0).reshape(1, 1, 1, 8)
    out = F.interpolate(dp.tensor(x, dtype=np.float64), size=(1, 4), mode="bilinear", antialias=True).data.ravel()
    inner = [(0.25 * (2 * j - 1) + 0.75 * (2 * j) + 0.75 * (2 * j + 1) + 0.25 * (2 * j + 2)) / 2 for j in (1, 2)]
    first = (0.75 * 0 + 0.75 * 1 + 0.25 * 2) / 1.75
    last = (0.25 * 5 + 0.75 * 6 + 0.75 * 7) / 1.75
    np.testing.assert_allclose(out, [first, *inner, last], rtol=1e-14)
    # without antialias each output reads 2 pixels only
    plain = F.interpolate(dp.tensor(x, dtype=np.float64), size=(1, 4), mode="bilinear").data.ravel()
    np.testing.assert_allclose(plain, [0.5, 2.5, 4.5, 6.5])


@pytest.mark.parametrize("resize", [dict(scale_factor=2.0), dict(size=(9, 13)), dict(scale_factor=(1.5, 3.25))])
def test_upscaling_bilinear_is_the_plain_bilinear(resize):
    """When upscaling, the triangle filter keeps its width: the values are plain 'bilinear''s
    (align_corners False; with True PyTorch moves no centre onto the corners, see the grid)."""
    x = dp.tensor(sample((2, 3, 4, 5)), dtype=np.float64)
    np.testing.assert_allclose(F.interpolate(x, mode="bilinear", antialias=True, **resize).data,
                               F.interpolate(x, mode="bilinear", **resize).data, rtol=1e-13, atol=1e-14)


def test_upscaling_bicubic_takes_a_minus_one_half():
    """PyTorch's antialiased bicubic takes Keys' a = −0.5 (PIL's), its plain bicubic a = −0.75: upscaled,
    the two differ, and ours is the first."""
    x = sample((1, 1, 1, 6))
    ours = F.interpolate(dp.tensor(x, dtype=np.float64), size=(1, 15), mode="bicubic", antialias=True).data
    t = torch.tensor(x)
    np.testing.assert_allclose(ours, TF.interpolate(t, size=(1, 15), mode="bicubic", antialias=True).numpy(), rtol=1e-12)
    assert np.abs(ours - TF.interpolate(t, size=(1, 15), mode="bicubic").numpy()).max() > 1e-2
    # output pixel 7 is centred at 7.5·0.4 = 3.0, a half-pixel from pixels 2 and 3: Keys' weights at
    # distances ½ and 1½ (a = −0.5) are 0.5625 and −0.0625
    w = np.array([-0.0625, 0.5625, 0.5625, -0.0625])
    np.testing.assert_allclose(ours[0, 0, 0, 7], w @ x[0, 0, 0, 1:5], rtol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_one_pixel_wide_output_is_resampled_per_row(mode):
    """PyTorch 2.13's CPU forward to an output one pixel wide, with the height changing, repeats its first
    row (its gradient, and the transposed input, are right). Ours resamples every row: the values are
    PyTorch's on the transposed input, and the gradient PyTorch's."""
    x = sample((2, 2, 5, 3))
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    out = F.interpolate(ours, size=(7, 1), mode=mode, antialias=True)
    t = torch.tensor(x, requires_grad=True)
    theirs = TF.interpolate(t, size=(7, 1), mode=mode, antialias=True)
    transposed = TF.interpolate(t.detach().transpose(2, 3), size=(1, 7), mode=mode, antialias=True).transpose(2, 3)
    np.testing.assert_allclose(out.data, transposed.numpy(), rtol=1e-12)
    assert np.ptp(out.data[0, 0, :, 0]) > 0.1
    # (this fails once PyTorch resamples these rows: then drop pytorch_is_wrong and docs/porting.md's sentence)
    np.testing.assert_array_equal(theirs.detach().numpy(), np.broadcast_to(theirs.detach().numpy()[:, :, :1], (2, 2, 7, 1)))
    upstream = sample(out.shape, seed=3)
    out.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad, t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
def test_a_kept_axis_is_copied_and_so_is_its_gradient(mode):
    """A factor of 1.1 on 5 pixels gives 5: PyTorch's forward copies that axis (as without antialias), its
    backward resamples it by 1/1.1, so its gradient is not the one of its values. Ours copies in both."""
    x = sample((1, 2, 5, 6))
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    out = F.interpolate(ours, scale_factor=(1.1, 0.5), mode=mode, antialias=True)
    theirs = TF.interpolate(t, scale_factor=(1.1, 0.5), mode=mode, antialias=True)
    np.testing.assert_allclose(out.data, theirs.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(out.data, F.interpolate(ours, size=(5, 3), mode=mode, antialias=True).data, rtol=1e-14)
    upstream = sample(out.shape, seed=2)
    out.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    (expected,) = autograd.grad(F.interpolate(ours, size=(5, 3), mode=mode, antialias=True), ours, upstream)
    np.testing.assert_allclose(ours.grad, expected.data, rtol=1e-14)
    # (this fails once PyTorch's backward copies the axis too: then drop pytorch_disagrees_with_itself)
    assert np.abs(ours.grad - t.grad.numpy()).max() > 0.05


GRADCHECKS = [
    ((1, 2, 6, 5), dict(size=(3, 2), mode="bilinear")),
    ((2, 1, 4, 3), dict(scale_factor=(0.6, 2.5), mode="bicubic", align_corners=True)),
    ((1, 1, 3, 7), dict(size=(5, 3), mode="bicubic")),
    ((1, 2, 5, 4), dict(scale_factor=0.5, mode="bilinear", align_corners=True)),
    ((1, 1, 7, 4), dict(size=(2, 6), mode="lanczos")),
    ((1, 1, 4, 4), dict(size=1, mode="bicubic", align_corners=True)),  # reads one pixel of each axis
]


@pytest.mark.parametrize("shape, options", GRADCHECKS, ids=[str(o) for _, o in GRADCHECKS])
def test_gradients_match_finite_differences(shape, options):
    x = dp.tensor(sample(shape), dtype=np.float64, requires_grad=True)
    assert autograd.gradcheck(lambda t: F.interpolate(t, antialias=True, **options), (x,))
    assert autograd.gradgradcheck(lambda t: F.interpolate(t, antialias=True, **options) ** 2, (x,))


def test_second_derivatives_match_pytorch():
    """A gradient penalty through an antialiased downscale: ∂/∂x of ‖∂(Σ v·y²)/∂x‖²."""
    x, v = sample((2, 2, 9, 6)), sample((2, 2, 4, 8), seed=1)
    for mode, corners in MODES:
        options = dict(size=(4, 8), mode=mode, align_corners=corners, antialias=True)
        penalty_gradients_agree(lambda xd: F.interpolate(xd, **options), lambda xt: TF.interpolate(xt, **options),
                                x, v, err_msg=mode)


def test_gradients_of_unread_pixels_are_zero_on_a_used_pool():
    """A one-pixel output with align_corners reads pixel 0 only; the other pixels' gradient is zero, also
    when the arrays come from blocks of the memory pool that earlier results filled."""
    for _ in range(3):
        F.interpolate(dp.tensor(np.full((4, 16, 64, 64), 7.0), dtype=np.float64), scale_factor=2.0, mode="bilinear",
                      antialias=True)
    x = dp.tensor(sample((4, 16, 64, 64)), dtype=np.float64, requires_grad=True)
    F.interpolate(x, size=1, mode="bilinear", align_corners=True, antialias=True).sum().backward()
    expected = np.zeros((4, 16, 64, 64))
    expected[:, :, 0, 0] = 1
    np.testing.assert_array_equal(x.grad, expected)


def test_empty_batch_non_contiguous_input_and_other_dtypes():
    out = F.interpolate(dp.zeros(0, 3, 8, 8, requires_grad=True), size=3, mode="bilinear", antialias=True)
    assert out.shape == tuple(TF.interpolate(torch.zeros(0, 3, 8, 8), size=3, mode="bilinear", antialias=True).shape)
    x = sample((2, 8, 9, 3))
    view = dp.tensor(x, dtype=np.float64).permute(0, 3, 1, 2)
    np.testing.assert_allclose(F.interpolate(view, size=(4, 5), mode="bicubic", antialias=True).data,
                               TF.interpolate(torch.tensor(x).permute(0, 3, 1, 2), size=(4, 5), mode="bicubic",
                                              antialias=True).numpy(), rtol=1e-12)
    # integers are resampled in float32, as without antialias (PyTorch rounds uint8 back to uint8 and
    # refuses other integers); float16 in float16 from float32 weights (PyTorch's CPU refuses it)
    pixels = (np.random.default_rng(0).random((1, 2, 9, 7)) * 255).astype(np.uint8)
    out = F.interpolate(dp.tensor(pixels), size=(4, 3), mode="bilinear", antialias=True)
    assert out.dtype == np.float32
    expected = TF.interpolate(torch.tensor(pixels).float(), size=(4, 3), mode="bilinear", antialias=True).numpy()
    np.testing.assert_allclose(out.data, expected, rtol=1e-5)
    half = F.interpolate(dp.tensor(pixels.astype(np.float16)), size=(4, 3), mode="bilinear", antialias=True)
    assert half.dtype == np.float16
    np.testing.assert_allclose(half.data, expected, rtol=2e-3)


REFUSED = [
    (dict(mode="nearest"), (1, 1, 4, 4),
     "interpolate: antialias=True takes mode 'bilinear', 'bicubic' or 'lanczos' and input of shape (N, C, H, W), got "
     "mode='nearest' and shape (1, 1, 4, 4)"),
    (dict(mode="nearest-exact"), (1, 1, 4), "got mode='nearest-exact' and shape (1, 1, 4)"),
    (dict(mode="linear"), (1, 1, 4), "got mode='linear' and shape (1, 1, 4)"),
    (dict(mode="trilinear"), (1, 1, 4, 4, 4), "got mode='trilinear' and shape (1, 1, 4, 4, 4)"),
    (dict(mode="bilinear"), (1, 1, 4), "got mode='bilinear' and shape (1, 1, 4)"),
    (dict(mode="bilinear"), (1, 1, 4, 4, 4), "got mode='bilinear' and shape (1, 1, 4, 4, 4)"),
    (dict(mode="bicubic"), (1, 4, 4), "got mode='bicubic' and shape (1, 4, 4)"),
    (dict(mode="lanczos"), (1, 1, 4, 4, 4), "got mode='lanczos' and shape (1, 1, 4, 4, 4)"),
    (dict(mode="lanczos", align_corners=True), (1, 1, 4, 4),
     "interpolate: mode='lanczos' does not take align_corners=True (nor does PyTorch's)"),
    (dict(mode="nearest", align_corners=False), (1, 1, 4, 4), "interpolate: align_corners can only be set with the "
     "interpolating modes (linear, bilinear, bicubic, trilinear; lanczos with antialias=True), got "
     "align_corners=False with mode='nearest'"),
]


@pytest.mark.parametrize("options, shape, message", REFUSED, ids=[f"{o}-{s}" for o, s, _ in REFUSED])
def test_refusals_name_the_option_where_pytorch_refuses_too(options, shape, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        F.interpolate(dp.ones(*shape), scale_factor=0.5, antialias=True, **options)
    with pytest.raises(ValueError):
        TF.interpolate(torch.ones(*shape), scale_factor=0.5, antialias=True, **options)


def test_lanczos_needs_antialias():
    with pytest.raises(ConfigError, match=re.escape("interpolate: mode='lanczos' needs antialias=True, as in PyTorch")):
        F.interpolate(dp.ones(1, 1, 4, 4), scale_factor=0.5, mode="lanczos")
    with pytest.raises(ValueError, match="Lanczos mode requires antialias=True"):
        TF.interpolate(torch.ones(1, 1, 4, 4), scale_factor=0.5, mode="lanczos")
    with pytest.raises(ConfigError, match=re.escape("interpolate: mode='lanczos' does not take align_corners=True")):
        F.interpolate(dp.ones(1, 1, 4, 4), scale_factor=0.5, mode="lanczos", align_corners=True)
    with pytest.raises(ConfigError, match=re.escape("interpolate: mode must be one of 'nearest', 'nearest-exact', "
                                                    "'linear', 'bilinear', 'bicubic', 'trilinear', or 'lanczos' with "
                                                    "antialias=True, got 'area'")):
        F.interpolate(dp.ones(1, 1, 4, 4), scale_factor=0.5, mode="area", antialias=True)


def test_upsample_takes_no_antialias_as_in_pytorch():
    for library in (nn, torch.nn):
        with pytest.raises(TypeError, match="antialias"):
            library.Upsample(scale_factor=0.5, mode="bilinear", antialias=True)
    with pytest.raises(ConfigError, match=re.escape("Upsample: mode must be one of 'nearest', 'nearest-exact', 'linear', "
                                                    "'bilinear', 'bicubic', 'trilinear', got 'lanczos'")):
        nn.Upsample(scale_factor=0.5, mode="lanczos")
