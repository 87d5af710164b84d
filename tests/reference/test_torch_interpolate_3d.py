"""interpolate and Upsample on volumes (N, C, D, H, W) against PyTorch: 'nearest', 'nearest-exact' and
'trilinear' (both align_corners), sizes and scale factors per axis, recompute_scale_factor; values and
input gradients in float64 and float32, the layer's repr too."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, compare_functions, sample  # noqa: E402

TF = torch.nn.functional

SHAPES = [(2, 3, 3, 4, 5), (1, 2, 1, 5, 2), (2, 1, 4, 1, 3)]
MODES = [("nearest", None), ("nearest-exact", None), ("trilinear", False), ("trilinear", True)]
RESIZES = [
    dict(scale_factor=2), dict(scale_factor=0.5), dict(scale_factor=1.7), dict(scale_factor=(3, 0.6, 1.5)),
    dict(scale_factor=(2.5, 1.3, 0.7), recompute_scale_factor=True),
    dict(scale_factor=(1.4, 2.0, 1.6), recompute_scale_factor=False),
    dict(size=(2, 7, 3)), dict(size=6), dict(size=1), dict(size=(4, 1, 9)),
]


def empty(shape, resize) -> bool:
    """Whether a scale factor leaves an axis of ``shape`` with no position (an error, tested elsewhere)."""
    factor = resize.get("scale_factor", 1)
    factors = factor if isinstance(factor, tuple) else (factor,) * 3
    return any(int(n * f) < 1 for n, f in zip(shape[2:], factors))


def pytorch_disagrees_with_itself(shape, mode, resize) -> bool:
    """PyTorch's 3-d nearest forward, as its 1-d one, resamples an axis whose length a scale factor keeps
    (5 x 1.1), where its backward copies it: test_a_kept_axis_is_copied_where_pytorch_copies_it shows it."""
    factor = resize.get("scale_factor")
    if mode != "nearest" or factor is None:
        return False
    factors = factor if isinstance(factor, tuple) else (factor,) * 3
    return any(int(n * f) == n and f != 1 for n, f in zip(shape[2:], factors))


CASES = [(shape, mode, corners, resize) for shape in SHAPES for mode, corners in MODES for resize in RESIZES
         if not empty(shape, resize) and not pytorch_disagrees_with_itself(shape, mode, resize)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape, mode, align_corners, resize", CASES, ids=[f"{s}-{m}-{a}-{r}" for s, m, a, r in CASES])
def test_interpolate_of_a_volume_matches_pytorch(shape, mode, align_corners, resize, dtype):
    assert len(CASES) > 100  # the grid is not filtered away
    compare_functions(lambda xd: F.interpolate(xd, mode=mode, align_corners=align_corners, **resize),
            lambda xt: TF.interpolate(xt, mode=mode, align_corners=align_corners, **resize),
            sample(shape) * 2 + 0.5, dtype)


def test_nearest_of_a_float32_volume_matches_bitwise():
    x = sample((2, 3, 5, 7, 4)).astype(np.float32)
    for resize in (dict(scale_factor=1.3), dict(size=(3, 4, 11)), dict(scale_factor=(0.7, 2.0, 1.6))):
        for mode in ("nearest", "nearest-exact"):
            out = F.interpolate(dp.tensor(x), mode=mode, **resize)
            assert out.dtype == np.float32
            np.testing.assert_array_equal(out.data, TF.interpolate(torch.tensor(x), mode=mode, **resize).numpy())


def test_a_kept_axis_is_copied_where_pytorch_copies_it():
    """A factor of 1.1 on 5 positions gives 5: PyTorch's 3-d nearest backward copies that axis, its forward
    resamples it ([0, 0, 1, 2, 3]) and so disagrees with its own gradient; deltaprop copies it, as PyTorch's
    'trilinear' and 'nearest-exact' do."""
    x = torch.arange(5.0).reshape(1, 1, 1, 1, 5).requires_grad_()
    TF.interpolate(x, scale_factor=1.1).backward(torch.ones(1, 1, 1, 1, 5))
    np.testing.assert_array_equal(x.grad.numpy().ravel(), np.ones(5))
    xd = dp.tensor(np.arange(5.0).reshape(1, 1, 1, 1, 5), requires_grad=True)
    np.testing.assert_array_equal(F.interpolate(xd, scale_factor=1.1).data.ravel(), np.arange(5.0))
    for mode in ("trilinear", "nearest-exact"):
        np.testing.assert_allclose(F.interpolate(xd, scale_factor=1.1, mode=mode).data,
                                   TF.interpolate(x.detach(), scale_factor=1.1, mode=mode).numpy())


LAYERS = [
    (dict(scale_factor=2), (2, 2, 2, 3, 2)),
    (dict(scale_factor=(1.0, 2.0, 3.0), mode="trilinear"), (1, 2, 3, 2, 2)),
    (dict(size=(3, 4, 5), mode="trilinear", align_corners=True), (2, 1, 2, 3, 3)),
    (dict(size=4, mode="nearest-exact"), (1, 3, 2, 5, 3)),
    (dict(scale_factor=1.5, mode="trilinear", recompute_scale_factor=True), (2, 2, 3, 3, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs, shape", LAYERS, ids=[str(k) for k, _ in LAYERS])
def test_upsample_of_a_volume_matches_pytorch(kwargs, shape, dtype):
    ours, theirs = nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    assert repr(ours) == repr(theirs)
    compare_functions(ours, theirs, sample(shape) * 2 + 0.5, dtype)
