"""interpolate(..., mode='bicubic') without antialias, and nn.Upsample(mode='bicubic'), against PyTorch:
Keys' cubic with a = −0.75 on the 4 x 4 nearest pixels, indices clamped at the borders, output not
clamped. Sizes and scale factors (down, up, mixed, kept, recomputed), align_corners True and False,
float64 and float32; values and input gradients, finite differences, the layer and its repr, and the
refusals (3-d and 5-d input) PyTorch makes too."""

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd, nn  # noqa: E402
from deltaprop.errors import ShapeError  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, compare_functions, output_size, penalty_gradients_agree, sample  # noqa: E402

TF = torch.nn.functional

SHAPES = [(2, 3, 7, 9), (1, 2, 1, 5), (2, 1, 13, 4), (1, 1, 1, 1)]
RESIZES = [dict(scale_factor=f) for f in (0.3, 0.5, 0.77, 1.0, 1.5, 2.0, 3.3, (0.4, 1.7), (2.5, 0.6), 1.1)] + [
    dict(scale_factor=0.77, recompute_scale_factor=True), dict(scale_factor=(1.3, 0.45), recompute_scale_factor=True),
    dict(scale_factor=3.3, recompute_scale_factor=False),
    dict(size=(3, 4)), dict(size=(1, 6)), dict(size=(12, 2)), dict(size=5), dict(size=1),
]


def pytorch_disagrees_with_itself(shape, resize, align_corners) -> bool:
    """Scale factors that keep every axis's length (7 x 9 by 1.1): PyTorch's forward resamples the axes by
    1/1.1 (the other modes copy them), its backward copies them: test_axes_whose_lengths_a_scale_factor_keeps."""
    factor = resize.get("scale_factor")
    factors = factor if isinstance(factor, tuple) else (factor, factor)
    return (factor is not None and not resize.get("recompute_scale_factor") and not align_corners
            and output_size(shape, resize) == shape[2:] and any(n > 1 and f != 1 for n, f in zip(shape[2:], factors)))


CASES = [(shape, corners, resize) for shape in SHAPES for corners in (None, False, True) for resize in RESIZES
         if min(output_size(shape, resize)) >= 1 and not pytorch_disagrees_with_itself(shape, resize, corners)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape, align_corners, resize", CASES, ids=[f"{s}-{a}-{r}" for s, a, r in CASES])
def test_bicubic_interpolation_matches_pytorch(shape, align_corners, resize, dtype):
    assert len(CASES) > 150  # the grid is not filtered away
    options = dict(mode="bicubic", align_corners=align_corners, **resize)
    compare_functions(lambda xd: F.interpolate(xd, **options), lambda xt: TF.interpolate(xt, **options), sample(shape) * 2 + 0.5, dtype)


LARGE = [((8, 3, 112, 112), (224, 224)), ((1, 1, 3000, 2), (1999, 3)), ((1, 2, 5, 2501), (7, 7777)),
         ((1, 2, 700, 50), (333, 517))]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("shape, size", LARGE, ids=[f"{s}-{z}" for s, z in LARGE])
def test_long_axes_match_pytorch(shape, size, align_corners, dtype):
    """Thousands of pixels: the weight matrices in many blocks, and float32 positions rounded as PyTorch's
    forward rounds them, (j + ½)·r − ½ in one fused multiply-add (rounded twice, a position past 1000 moves
    by up to 1.2e-4 of a pixel, and the values by 1e-4). PyTorch's backward rounds twice: its float32
    gradient there is not quite the transpose of its forward, and differs from ours (the transpose) by as
    much. In float64 the two roundings agree to an ulp."""
    options = dict(size=size, mode="bicubic", align_corners=align_corners)
    loose = dict(rtol=1e-5, atol=4e-4) if dtype == np.float32 and max(shape[2:]) > 1000 else None
    compare_functions(lambda xd: F.interpolate(xd, **options), lambda xt: TF.interpolate(xt, **options), sample(shape), dtype,
            grad_tol=loose)


def test_the_weights_are_keys_cubic_with_a_minus_three_quarters():
    """Doubling 6 pixels: output pixel 5 reads from (5 + ½)/2 − ½ = 2.25, so pixels 1..4 at distances
    1.25, 0.25, 0.75, 1.75, whose weights (a = −0.75) are −0.10546875, 0.87890625, 0.26171875 and
    −0.03515625; output pixel 0 reads from −0.25, its taps −2..1 clamped to pixels 0, 0, 0, 1."""
    x = sample((1, 1, 1, 6))
    out = F.interpolate(dp.tensor(x, dtype=np.float64), size=(1, 12), mode="bicubic").data[0, 0, 0]
    a = -0.75

    def keys(d):
        d = abs(d)
        return ((a + 2) * d - (a + 3)) * d * d + 1 if d <= 1 else ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    w = np.array([keys(d) for d in (1.25, 0.25, 0.75, 1.75)])
    np.testing.assert_allclose(w, [-0.10546875, 0.87890625, 0.26171875, -0.03515625], rtol=1e-15)
    np.testing.assert_allclose(out[5], w @ x[0, 0, 0, 1:5], rtol=1e-13)
    first = [keys(d) for d in (1.75, 0.75, 0.25, 1.25)]  # pixels −2, −1, 0, 1
    np.testing.assert_allclose(out[0], sum(first[:3]) * x[0, 0, 0, 0] + first[3] * x[0, 0, 0, 1], rtol=1e-13)


def test_the_output_overshoots_the_input_as_pytorchs():
    """A step from 0 to 1 upscaled: values below 0 and above 1 (no clamping), equal to PyTorch's."""
    step = np.repeat(np.array([[0.0] * 4 + [1.0] * 4]), 3, axis=0).reshape(1, 1, 3, 8)
    out = F.interpolate(dp.tensor(step, dtype=np.float64), scale_factor=3.3, mode="bicubic").data
    assert out.min() < -0.05 and out.max() > 1.05
    np.testing.assert_allclose(out, TF.interpolate(torch.tensor(step), scale_factor=3.3, mode="bicubic").numpy(),
                               rtol=1e-12, atol=1e-14)


def test_an_axis_whose_length_a_scale_factor_keeps_is_resampled():
    """5 x 1.1 gives 5 rows, read by 1/1.1 (not copied, unlike bilinear and the antialiased modes), in PyTorch's
    values and gradient where the other axis changes its length; with no scale factor, or with
    align_corners, an axis that keeps its length is the identity."""
    x = sample((1, 2, 5, 6))
    out, _ = compare_functions(lambda xd: F.interpolate(xd, scale_factor=(1.1, 2.0), mode="bicubic"),
                  lambda xt: TF.interpolate(xt, scale_factor=(1.1, 2.0), mode="bicubic"), x, np.float64)
    assert np.abs(out.data - F.interpolate(dp.tensor(x, dtype=np.float64), size=(5, 12), mode="bicubic").data).max() > 0.1
    for options in (dict(size=(5, 6)), dict(scale_factor=1.1, align_corners=True), dict(scale_factor=1.0)):
        kept = F.interpolate(dp.tensor(x, dtype=np.float64), mode="bicubic", **options)
        np.testing.assert_array_equal(kept.data, x)
        np.testing.assert_array_equal(kept.data, TF.interpolate(torch.tensor(x), mode="bicubic", **options).numpy())


@pytest.mark.parametrize("shape, factor", [((1, 2, 5, 6), (1.1, 1.0)), ((2, 1, 7, 9), 1.1), ((1, 1, 1, 5), 1.1)])
def test_axes_whose_lengths_a_scale_factor_keeps(shape, factor):
    """Every axis keeps its length and a factor moves the samples: PyTorch's forward resamples, as ours does,
    but its backward copies the upstream gradient as if the forward had copied. Ours is the gradient of
    the values (the transposed weights: finite differences agree), so there the gradients differ."""
    x = sample(shape)
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    out = F.interpolate(ours, scale_factor=factor, mode="bicubic")
    theirs = TF.interpolate(t, scale_factor=factor, mode="bicubic")
    np.testing.assert_allclose(out.data, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert np.abs(out.data - x).max() > 0.1
    upstream = sample(out.shape, seed=2)
    out.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    assert autograd.gradcheck(lambda v: F.interpolate(v, scale_factor=factor, mode="bicubic"),
                              (dp.tensor(x, dtype=np.float64, requires_grad=True),))
    # (this fails once PyTorch's backward resamples too: then drop pytorch_disagrees_with_itself and
    # docs/porting.md's sentence)
    np.testing.assert_array_equal(t.grad.numpy(), upstream)
    assert np.abs(ours.grad - upstream).max() > 0.1


GRADCHECKS = [
    ((1, 2, 5, 4), dict(size=(3, 7))),
    ((2, 1, 4, 3), dict(scale_factor=(0.6, 2.5), align_corners=True)),
    ((1, 1, 3, 7), dict(scale_factor=1.5)),
    ((1, 1, 6, 2), dict(scale_factor=(0.5, 1.1))),  # W keeps its length and is resampled
    ((1, 1, 4, 4), dict(size=1, align_corners=True)),  # reads one pixel of each axis
]


@pytest.mark.parametrize("shape, options", GRADCHECKS, ids=[str(o) for _, o in GRADCHECKS])
def test_gradients_match_finite_differences(shape, options):
    x = dp.tensor(sample(shape), dtype=np.float64, requires_grad=True)
    assert autograd.gradcheck(lambda t: F.interpolate(t, mode="bicubic", **options), (x,))
    assert autograd.gradgradcheck(lambda t: F.interpolate(t, mode="bicubic", **options) ** 2, (x,))


def test_second_derivatives_match_pytorch():
    """A gradient penalty through a bicubic upscale: ∂/∂x of ‖∂(Σ v·y²)/∂x‖²."""
    x, v = sample((2, 2, 5, 6)), sample((2, 2, 9, 13), seed=1)
    for corners in (False, True):
        options = dict(size=(9, 13), mode="bicubic", align_corners=corners)
        penalty_gradients_agree(lambda xd: F.interpolate(xd, **options), lambda xt: TF.interpolate(xt, **options),
                                x, v, err_msg=str(corners))


def test_non_contiguous_input_empty_batch_and_integers():
    x = sample((2, 8, 9, 3))
    view = dp.tensor(x, dtype=np.float64).permute(0, 3, 1, 2)
    np.testing.assert_allclose(F.interpolate(view, size=(4, 11), mode="bicubic").data,
                               TF.interpolate(torch.tensor(x).permute(0, 3, 1, 2), size=(4, 11), mode="bicubic").numpy(),
                               rtol=1e-12)
    out = F.interpolate(dp.zeros(0, 3, 8, 8, requires_grad=True), size=3, mode="bicubic")
    assert out.shape == tuple(TF.interpolate(torch.zeros(0, 3, 8, 8), size=3, mode="bicubic").shape)
    # integers are resampled in float32, as by the other interpolating modes (PyTorch rounds uint8 back
    # to uint8 and refuses other integers)
    pixels = (np.random.default_rng(0).random((1, 2, 5, 4)) * 255).astype(np.uint8)
    out = F.interpolate(dp.tensor(pixels), scale_factor=2, mode="bicubic")
    assert out.dtype == np.float32
    expected = TF.interpolate(torch.tensor(pixels).float(), scale_factor=2, mode="bicubic").numpy()
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("options", [dict(scale_factor=2), dict(size=(3, 7), align_corners=True),
                                     dict(scale_factor=(0.5, 1.5), recompute_scale_factor=True)])
def test_upsample_layer_and_repr_match_pytorch(options):
    ours, theirs = nn.Upsample(mode="bicubic", **options), torch.nn.Upsample(mode="bicubic", **options)
    assert repr(ours) == repr(theirs)
    compare_functions(ours, theirs, sample((2, 3, 6, 4)), np.float64)


def test_refusals_name_the_option_where_pytorch_refuses_too():
    """Bicubic takes (N, C, H, W) only, in both libraries (PyTorch says NotImplementedError)."""
    for shape in ((1, 2, 4), (1, 2, 3, 4, 4)):
        message = f"interpolate: mode='bicubic' needs input of shape (N, C, H, W), got shape {shape}"
        with pytest.raises(ShapeError, match=re.escape(message)):
            F.interpolate(dp.ones(*shape), scale_factor=2, mode="bicubic")
        with pytest.raises(ShapeError, match=re.escape(f"Upsample(scale_factor=2.0, mode='bicubic'): {message}")):
            nn.Upsample(scale_factor=2, mode="bicubic")(dp.ones(*shape))
        with pytest.raises(NotImplementedError, match="got bicubic"):
            TF.interpolate(torch.ones(*shape), scale_factor=2, mode="bicubic")
