"""Upsample / interpolate, PixelShuffle, InstanceNorm, AdaptiveMaxPool, reflection and replication
padding, Unfold and Fold against PyTorch: same inputs and weights, the same values, input and weight
gradients, running statistics, indices and reprs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import ShapeError  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, compare_functions, sample, twins  # noqa: E402

TF = torch.nn.functional


def compare(ours, theirs, x, dtype):
    compare_functions(ours, theirs, x, dtype)
    reference = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **TOLERANCES[dtype])


# -- interpolate: a grid of sizes, scale factors, modes and align_corners ------------------------------------

RESIZES = [
    dict(scale_factor=2), dict(scale_factor=3), dict(scale_factor=0.5), dict(scale_factor=1 / 3),
    dict(scale_factor=1.7), dict(scale_factor=0.6), dict(scale_factor=2.5, recompute_scale_factor=True),
    dict(scale_factor=1.4, recompute_scale_factor=False),
    dict(size=9), dict(size=4), dict(size=2), dict(size=1), dict(size=5),  # 5: the input's own length
]
SHAPES_1D = [(2, 3, 5), (1, 2, 8), (3, 1, 1)]
SHAPES_2D = [(2, 3, 5, 4), (1, 2, 1, 6), (2, 1, 6, 3)]
MODES_1D = [("nearest", None), ("nearest-exact", None), ("linear", False), ("linear", True)]
MODES_2D = [("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True)]


def as_2d(resize):
    """A resize for 2-d inputs: sizes and factors that differ per axis."""
    if "size" in resize:
        return dict(resize, size=(resize["size"], resize["size"] + 2))
    return dict(resize, scale_factor=(resize["scale_factor"], 1.5))


def empty(shape, resize) -> bool:
    """Whether a scale factor leaves an axis of ``shape`` with no position (an error, tested elsewhere)."""
    factor = resize.get("scale_factor", 1)
    factors = factor if isinstance(factor, tuple) else (factor,) * (len(shape) - 2)
    return any(int(n * f) < 1 for n, f in zip(shape[2:], factors))


def interpolation_cases():
    for shape in SHAPES_1D:
        for mode, corners in MODES_1D:
            for resize in RESIZES:
                yield shape, mode, corners, resize
    for shape in SHAPES_2D:
        for mode, corners in MODES_2D:
            for resize in RESIZES:
                yield shape, mode, corners, as_2d(resize)
                if "scale_factor" in resize:  # the same factor on both axes, given once
                    yield shape, mode, corners, resize


def pytorch_disagrees_with_itself(shape, mode, resize) -> bool:
    """PyTorch's 1-d nearest forward resamples an axis whose length a scale factor keeps (5 x 1.1), where
    its backward and its 2-d forward copy it: see test_an_axis_whose_length_stays_is_copied."""
    factor = resize.get("scale_factor")
    return mode == "nearest" and len(shape) == 3 and factor is not None and int(shape[-1] * factor) == shape[-1]


CASES = [case for case in interpolation_cases()
         if not empty(case[0], case[3]) and not pytorch_disagrees_with_itself(case[0], case[1], case[3])]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape, mode, align_corners, resize", CASES,
                         ids=[f"{s}-{m}-{a}-{r}" for s, m, a, r in CASES])
def test_interpolate_matches_pytorch(shape, mode, align_corners, resize, dtype):
    x = sample(shape) * 2 + 0.5

    def ours(xd):
        return F.interpolate(xd, mode=mode, align_corners=align_corners, **resize)

    def reference(xt):
        return TF.interpolate(xt, mode=mode, align_corners=align_corners, **resize)

    compare_functions(ours, reference, x, dtype)


def test_an_axis_whose_length_stays_is_copied():
    """A factor of 1.1 on 5 positions gives 5: PyTorch's 2-d nearest and linear kernels, and the 1-d
    nearest backward, copy such an axis; its 1-d nearest forward alone resamples it (and then
    disagrees with its own gradient). deltaprop copies it everywhere."""
    x = torch.arange(5.0).reshape(1, 1, 5).requires_grad_()
    TF.interpolate(x, scale_factor=1.1).backward(torch.ones(1, 1, 5))
    np.testing.assert_array_equal(x.grad.numpy().ravel(), np.ones(5))  # the backward: a copy
    xd = dp.tensor(np.arange(5.0).reshape(1, 1, 5), requires_grad=True)
    out = F.interpolate(xd, scale_factor=1.1)
    np.testing.assert_array_equal(out.data.ravel(), np.arange(5.0))
    expected = TF.interpolate(torch.arange(5.0).reshape(1, 1, 1, 5), scale_factor=1.1)
    np.testing.assert_array_equal(F.interpolate(xd.reshape(1, 1, 1, 5), scale_factor=1.1).data, expected.numpy())
    for mode in ("linear", "nearest-exact"):
        np.testing.assert_allclose(F.interpolate(xd, scale_factor=1.1, mode=mode).data,
                                   TF.interpolate(x.detach(), scale_factor=1.1, mode=mode).numpy())


def test_interpolate_of_a_float32_input_stays_float32_and_matches_bitwise_for_nearest():
    x = sample((2, 3, 7, 5)).astype(np.float32)
    for resize in (dict(scale_factor=1.3), dict(size=(4, 11)), dict(scale_factor=(0.7, 2.0))):
        out = F.interpolate(dp.tensor(x), **resize)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out.data, TF.interpolate(torch.tensor(x), **resize).numpy())


LONG_AXES = [((2, 3, 1500), dict(size=3001, mode="linear")), ((2, 3, 1500), dict(scale_factor=2.0007, mode="linear")),
             ((2, 3, 3000), dict(size=1100, mode="linear")), ((2, 3, 3000), dict(scale_factor=0.3667, mode="linear")),
             ((1, 2, 7, 1500), dict(size=(9, 3001), mode="bilinear")),
             ((1, 1, 2, 3, 1500), dict(scale_factor=(1.5, 1, 1.7), mode="trilinear"))]


@pytest.mark.parametrize("shape, options", LONG_AXES, ids=[f"{s}-{o}" for s, o in LONG_AXES])
def test_float32_positions_past_a_thousand_pixels_are_rounded_as_pytorchs(shape, options):
    """(j + ½)·s − ½ rounded once, as PyTorch's compiled forward and backward both compute it (a fused
    multiply-add): rounded twice, positions past 1,000 pixels moved by an ulp, the values of 1500 -> 3001
    by up to 2e-4 and the input gradient by 8e-5. What is left is PyTorch fusing its sum λ0·x0 + λ1·x1 too
    (and adding the gradient in another order): an ulp or two of values about 1."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=shape).astype(np.float32)
    options = dict(options, align_corners=False)
    ours_x, their_x = dp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = F.interpolate(ours_x, **options), TF.interpolate(their_x, **options)
    upstream = rng.normal(size=tuple(theirs.shape)).astype(np.float32)
    ours.backward(upstream)
    theirs.backward(torch.from_numpy(upstream))
    for mine, reference in ((ours.data, theirs.detach().numpy()), (ours_x.grad, their_x.grad.numpy())):
        # two ulps of the largest value (rounded twice: up to 2e-4 for the values, some 400 such ulps)
        assert np.abs(mine - reference).max() <= 2 * np.spacing(np.abs(reference).max())


# -- layers ------------------------------------------------------------------------------------------------

LAYERS = [
    ("Upsample", dict(scale_factor=2), (2, 3, 4)),
    ("Upsample", dict(scale_factor=2), (2, 3, 4, 3)),
    ("Upsample", dict(size=(5, 7), mode="bilinear"), (2, 2, 3, 4)),
    ("Upsample", dict(scale_factor=1.5, mode="bilinear", align_corners=True), (1, 2, 4, 4)),
    ("Upsample", dict(scale_factor=(0.5, 2.0), mode="bilinear"), (2, 1, 6, 3)),
    ("Upsample", dict(size=11, mode="linear", align_corners=False), (2, 3, 4)),
    ("Upsample", dict(scale_factor=0.4, mode="nearest-exact"), (2, 3, 12)),
    ("UpsamplingNearest2d", dict(scale_factor=3), (1, 2, 2, 3)),
    ("UpsamplingBilinear2d", dict(size=(4, 5)), (2, 2, 3, 3)),
    ("PixelShuffle", dict(upscale_factor=2), (2, 8, 3, 4)),
    ("PixelShuffle", dict(upscale_factor=3), (9, 2, 2)),  # unbatched
    ("PixelShuffle", dict(upscale_factor=2), (2, 3, 4, 2, 2)),  # two leading axes
    ("PixelUnshuffle", dict(downscale_factor=2), (2, 3, 4, 6)),
    ("PixelUnshuffle", dict(downscale_factor=3), (1, 3, 3)),
    ("InstanceNorm1d", dict(num_features=3), (2, 3, 5)),
    ("InstanceNorm1d", dict(num_features=3, affine=True), (3, 6)),  # unbatched
    ("InstanceNorm2d", dict(num_features=4, affine=True, eps=1e-3), (2, 4, 3, 5)),
    ("InstanceNorm2d", dict(num_features=2, affine=True, bias=False), (3, 2, 4, 4)),
    ("InstanceNorm2d", dict(num_features=2), (2, 3, 3)),  # unbatched
    ("AdaptiveMaxPool1d", dict(output_size=3), (2, 3, 7)),
    ("AdaptiveMaxPool1d", dict(output_size=5), (2, 3)),  # more bins than positions: bins share them
    ("AdaptiveMaxPool1d", dict(output_size=(4,)), (3, 2, 8)),
    ("AdaptiveMaxPool2d", dict(output_size=(2, 3)), (2, 3, 5, 7)),
    ("AdaptiveMaxPool2d", dict(output_size=(None, 2)), (2, 4, 5)),  # unbatched, None keeps H
    ("AdaptiveMaxPool2d", dict(output_size=1), (2, 3, 4, 4)),
    ("AdaptiveMaxPool2d", dict(output_size=4), (1, 2, 3, 3)),
    ("ReflectionPad1d", dict(padding=2), (2, 3, 4)),
    ("ReflectionPad1d", dict(padding=(3, 0)), (3, 5)),
    ("ReflectionPad2d", dict(padding=(1, 2, 3, 0)), (2, 3, 4, 5)),
    ("ReflectionPad2d", dict(padding=1), (2, 3, 3)),
    ("ReplicationPad1d", dict(padding=(4, 1)), (2, 3, 3)),
    ("ReplicationPad2d", dict(padding=(0, 3, 2, 1)), (2, 2, 3, 4)),
    ("ReplicationPad2d", dict(padding=2), (1, 2, 2)),
    # negative amounts crop, as in PyTorch
    ("ReflectionPad1d", dict(padding=(-1, 2)), (2, 3, 5)),
    ("ReflectionPad1d", dict(padding=-1), (3, 5)),
    ("ReflectionPad2d", dict(padding=(1, -2, -1, 2)), (2, 3, 4, 5)),
    ("ReplicationPad1d", dict(padding=(-2, 4)), (2, 3, 3)),
    ("ReplicationPad2d", dict(padding=(3, -1, -2, 0)), (1, 2, 4, 3)),
    ("Unfold", dict(kernel_size=2), (2, 3, 4, 5)),
    ("Unfold", dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2), (2, 2, 5, 7)),
    ("Unfold", dict(kernel_size=3, padding=1), (3, 4, 4)),  # unbatched
    ("Fold", dict(output_size=(4, 5), kernel_size=2), (2, 12, 12)),
    ("Fold", dict(output_size=(5, 7), kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=2), (2, 12, 9)),
    ("Fold", dict(output_size=4, kernel_size=3, padding=1), (18, 16)),  # unbatched
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", LAYERS, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAYERS)])
def test_layer_matches_pytorch(name, kwargs, shape, dtype):
    compare(*twins(name, kwargs, dtype, check_repr=True, check_state_dict=True), sample(shape) * 2 + 0.5, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs, shape", [
    (dict(kernel_size=2), (2, 3, 4, 5)),
    (dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), dilation=2), (2, 2, 6, 7)),
    (dict(kernel_size=2, stride=2), (1, 3, 4, 6)),  # windows tile the input: fold undoes unfold
])
def test_fold_of_unfold_matches_pytorch(kwargs, shape, dtype):
    size = shape[-2:]

    def ours(x):
        return nn.Fold(size, **kwargs)(nn.Unfold(**kwargs)(x))

    def theirs(x):
        return torch.nn.Fold(size, **kwargs)(torch.nn.Unfold(**kwargs)(x))

    out, _ = compare_functions(ours, theirs, sample(shape), dtype)
    if kwargs.get("stride") == 2:
        np.testing.assert_allclose(out.data, sample(shape).astype(dtype), **TOLERANCES[dtype])


@pytest.mark.parametrize("name, shape", [("InstanceNorm1d", (4, 3, 6)), ("InstanceNorm2d", (4, 3, 3, 5))])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_instance_norm_running_statistics_match_pytorch(name, shape, momentum):
    ours, theirs = twins(name, dict(num_features=3, affine=True, track_running_stats=True, momentum=momentum), np.float64,
                          check_repr=True, check_state_dict=True)
    for step in range(3):  # training: batch statistics, running ones updated
        compare(ours, theirs, sample(shape, seed=step) * (step + 1) + step, np.float64)
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-12, atol=1e-14, err_msg=key)
    ours.eval(), theirs.eval()  # evaluation: the running statistics
    compare(ours, theirs, sample(shape, seed=9), np.float64)
    unbatched = sample(shape[1:], seed=10)
    np.testing.assert_allclose(ours(dp.tensor(unbatched, dtype=np.float64)).data,
                               theirs(torch.tensor(unbatched)).detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize("name, output_size, shape", [
    ("AdaptiveMaxPool1d", 3, (2, 3, 7)),
    ("AdaptiveMaxPool1d", 6, (2, 4)),
    ("AdaptiveMaxPool2d", (2, 3), (2, 3, 5, 7)),
    ("AdaptiveMaxPool2d", (None, 4), (3, 4, 6)),
])
def test_adaptive_max_pool_indices_match_pytorch(name, output_size, shape):
    x = sample(shape)
    x[..., 0] = x[..., 1]  # ties: the first maximum of a bin wins, as in PyTorch
    out, index = getattr(nn, name)(output_size, return_indices=True)(dp.tensor(x, dtype=np.float64))
    expected, expected_index = getattr(torch.nn, name)(output_size, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.data, expected.numpy())
    np.testing.assert_array_equal(index.data, expected_index.numpy())
    assert index.data.dtype == np.int64 and not index.requires_grad
    function = getattr(F, name.replace("AdaptiveMaxPool", "adaptive_max_pool"))
    np.testing.assert_array_equal(function(dp.tensor(x), output_size).data, expected.numpy().astype(np.float32))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad, shape", [
    ((2, 1), (2, 3, 5)), ((0, 3), (3, 4)), ((1, 2, 3, 0), (2, 3, 4, 5)), ((2, 2, 1, 1), (3, 4, 5)),
    ((1, 0, 2, 1, 1, 2), (1, 2, 3, 4, 5)), ((3, 3), (2, 3, 4)),
])
def test_pad_modes_match_pytorch(mode, pad, shape, dtype):
    compare_functions(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode=mode), sample(shape), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad, shape", [
    ((-1, 2), (2, 3, 5)), ((2, -1), (3, 5)), ((-2, -2), (2, 3, 5)), ((1, -2, -1, 2), (2, 3, 4, 5)),
    ((-1, 0, 2, -3), (3, 5, 4)), ((-1, 1, 0, -2, 1, -1), (1, 2, 3, 4, 5)), ((-3, 2), (2, 3, 5)),
])
def test_pad_modes_crop_for_negative_amounts_as_in_pytorch(mode, pad, shape, dtype):
    compare_functions(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode=mode), sample(shape), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("mode, pad", [
    ("reflect", (-6, 4)), ("reflect", (4, -7)), ("replicate", (-6, 4)), ("replicate", (3, -7)),
])
def test_reflect_and_replicate_may_crop_past_the_input_as_in_pytorch(mode, pad, dtype):
    """PyTorch pads from the whole input first and crops afterwards: a crop longer than the input
    keeps part of the padding only."""
    compare_functions(lambda x: F.pad(x, pad, mode), lambda x: TF.pad(x, pad, mode=mode), sample((2, 3, 5)), dtype)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_refuse_the_amounts_pytorch_refuses(mode):
    """Every pair of amounts from -7 to 5 on an axis of length 4: where PyTorch raises, deltaprop
    raises one sentence; where it pads, the values are PyTorch's. Circular padding may wrap once
    around what is left after cropping: beyond that PyTorch reads memory it never wrote (or trips
    on its own overlap check), and deltaprop refuses."""
    x = sample((1, 2, 4))
    refused_by_us_only = 0
    for before in range(-7, 6):
        for after in range(-7, 6):
            try:
                expected = TF.pad(torch.tensor(x), (before, after), mode=mode).numpy()
            except RuntimeError:
                expected = None
            try:
                got = F.pad(dp.tensor(x, dtype=np.float64), (before, after), mode).data
            except ShapeError as error:
                assert str(error).startswith(f"pad: mode={mode!r}") and str(error).count(". ") == 0, str(error)
                if expected is not None:
                    assert mode == "circular" and max(before, after) > 4 + min(before, 0) + min(after, 0), (before, after)
                    refused_by_us_only += 1
                continue
            assert expected is not None, f"PyTorch refuses padding {(before, after)}, deltaprop padded"
            np.testing.assert_array_equal(got, expected, err_msg=str((before, after)))
    assert (refused_by_us_only > 0) == (mode == "circular")


def test_pixel_unshuffle_inverts_pixel_shuffle_as_in_pytorch():
    x = sample((2, 12, 3, 5))
    shuffled = F.pixel_shuffle(dp.tensor(x, dtype=np.float64), 2)
    np.testing.assert_array_equal(shuffled.data, TF.pixel_shuffle(torch.tensor(x), 2).numpy())
    np.testing.assert_array_equal(F.pixel_unshuffle(shuffled, 2).data, x)


def test_instance_norm_function_matches_pytorch():
    x, weight, bias = sample((3, 4, 5)), sample(4, seed=1), sample(4, seed=2)
    ours = F.instance_norm(dp.tensor(x, dtype=np.float64), weight=dp.tensor(weight, dtype=np.float64),
                           bias=dp.tensor(bias, dtype=np.float64), eps=1e-3)
    theirs = TF.instance_norm(torch.tensor(x), weight=torch.tensor(weight), bias=torch.tensor(bias), eps=1e-3)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ours, theirs, shape", [
    (lambda x: F.adaptive_max_pool1d(x, 3), lambda x: TF.adaptive_max_pool1d(x, 3), (0, 2, 7)),
    (lambda x: F.adaptive_max_pool2d(x, (2, 3)), lambda x: TF.adaptive_max_pool2d(x, (2, 3)), (0, 2, 5, 4)),
    (lambda x: F.adaptive_max_pool2d(x, 2), lambda x: TF.adaptive_max_pool2d(x, 2), (0, 5, 4)),
    (lambda x: F.unfold(x, 2, padding=1), lambda x: TF.unfold(x, 2, padding=1), (0, 2, 4, 3)),
    (lambda x: F.fold(x, (3, 3), 2), lambda x: TF.fold(x, (3, 3), 2), (0, 8, 4)),
], ids=["adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool2d unbatched", "unfold", "fold"])
def test_an_empty_batch_gives_an_empty_result_as_in_pytorch(ours, theirs, shape):
    compare_functions(ours, theirs, sample(shape), np.float32)
