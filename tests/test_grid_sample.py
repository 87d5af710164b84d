"""``F.affine_grid`` and ``F.grid_sample``: hand-worked values, finite differences of the first and
second derivatives in float64, and the refusals (tests/reference/test_torch_grid_sample.py compares
with PyTorch)."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, ShapeError

F = dp.nn.functional


def test_the_identity_theta_gives_back_the_image():
    image = dp.tensor(np.arange(12.0).reshape(1, 1, 3, 4))
    theta = dp.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    for align_corners in (False, True):
        grid = F.affine_grid(theta, image.size(), align_corners=align_corners)
        out = F.grid_sample(image, grid, align_corners=align_corners)
        np.testing.assert_allclose(out.data, image.data, atol=1e-5)


def test_a_point_between_four_pixels_reads_their_weighted_mean():
    image = dp.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    # align_corners=True: (x, y) = (-0.5, 0) is pixel position (0.25, 0.5)
    out = F.grid_sample(image, dp.tensor([[[[-0.5, 0.0]]]]), align_corners=True)
    expected = 0.5 * (0.75 * 0 + 0.25 * 1) + 0.5 * (0.75 * 2 + 0.25 * 3)
    assert out.item() == pytest.approx(expected)
    # zeros padding: half a pixel beyond the left edge (align_corners=False: x = -1 is the edge's outer side)
    outside = F.grid_sample(image, dp.tensor([[[[-1.0, -0.5]]]]), align_corners=False, padding_mode="zeros")
    assert outside.item() == pytest.approx(0.5 * 0.0)
    border = F.grid_sample(image, dp.tensor([[[[-1.0, -0.5]]]]), align_corners=False, padding_mode="border")
    assert border.item() == pytest.approx(0.0)
    row = dp.tensor([[[[0.0, 1.0, 2.0, 3.0]]]])
    # x = 1.5 on 4 pixels is position 4.5, a pixel beyond the outer edge at 3.5: reflected to 2.5
    reflected = F.grid_sample(row, dp.tensor([[[[1.5, 0.0]]]]), align_corners=False, padding_mode="reflection")
    assert reflected.item() == pytest.approx(2.5)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_passes_gradcheck_and_gradgradcheck(padding_mode, align_corners):
    rng = np.random.default_rng(0)
    x = dp.tensor(rng.normal(size=(1, 2, 3, 4)), dtype=np.float64, requires_grad=True)
    # points away from pixel edges and reflection folds, where the surface has kinks
    grid = dp.tensor(rng.uniform(-1.4, 1.4, size=(1, 2, 3, 2)), dtype=np.float64, requires_grad=True)

    def sample(x, grid):
        return F.grid_sample(x, grid, padding_mode=padding_mode, align_corners=align_corners)

    assert dp.gradcheck(sample, (x, grid))
    assert dp.gradgradcheck(sample, (x, grid))


def test_affine_grid_passes_gradcheck():
    theta = dp.tensor(np.random.default_rng(1).normal(size=(2, 2, 3)), dtype=np.float64, requires_grad=True)
    assert dp.gradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False), (theta,))


def test_nearest_rounds_half_way_to_even():
    image = dp.tensor([[[[10.0, 20.0, 30.0]]]])
    # align_corners=True: x = -0.5 is position 0.5 (to pixel 0), x = 0.5 is 1.5 (to pixel 2)
    out = F.grid_sample(image, dp.tensor([[[[-0.5, 0.0], [0.5, 0.0]]]]), mode="nearest", align_corners=True)
    np.testing.assert_allclose(out.data.ravel(), [10.0, 30.0])


@pytest.mark.parametrize("call, error, words", [
    (lambda: F.grid_sample(dp.zeros(1, 1, 2, 2), dp.zeros(1, 1, 1, 2), mode="area", align_corners=False),
     ConfigError, "grid_sample: mode must be 'bilinear', 'nearest' or 'bicubic', got 'area'"),
    (lambda: F.grid_sample(dp.zeros(1, 1, 2, 2), dp.zeros(1, 1, 1, 2), padding_mode="wrap", align_corners=False),
     ConfigError, "padding_mode must be"),
    (lambda: F.grid_sample(dp.zeros(2, 1, 2, 2), dp.zeros(1, 1, 1, 2), align_corners=False),
     ShapeError, "same batch size"),
    (lambda: F.grid_sample(dp.zeros(1, 1, 2, 2), dp.zeros(1, 1, 1, 3), align_corners=False),
     ShapeError, "grid \\(N, H_out, W_out, 2\\)"),
    (lambda: F.grid_sample(dp.zeros(1, 1, 2, 2, 2), dp.zeros(1, 1, 1, 1, 3), align_corners=False),
     ShapeError, "volumetric"),
    (lambda: F.grid_sample(dp.zeros(1, 1, 2, 2, dtype=np.float64), dp.zeros(1, 1, 1, 2), align_corners=False),
     ConfigError, "same dtype"),
    (lambda: F.affine_grid(dp.zeros(1, 2, 3), (1, 1, 4), align_corners=False), ShapeError, "4 \\(N, C, H, W\\)"),
    (lambda: F.affine_grid(dp.zeros(1, 3, 3), (1, 1, 4, 4), align_corners=False), ShapeError, "theta of shape"),
    (lambda: F.affine_grid(dp.zeros(1, 2, 3, dtype=np.int64), (1, 1, 4, 4), align_corners=False),
     ConfigError, "floating point"),
    (lambda: F.affine_grid(dp.zeros(2, 2, 3), (1, 1, 4, 4), align_corners=False), ShapeError, "2 matrices"),
    (lambda: F.affine_grid(dp.zeros(1, 2, 3), (1, 1, 0, 4), align_corners=False), ShapeError, "positive"),
])
def test_bad_arguments_are_refused_in_one_sentence(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_the_default_align_corners_warns_as_pytorch():
    with pytest.warns(UserWarning, match="^align_corners was not given, so it is False"):
        F.affine_grid(dp.zeros(1, 2, 3), (1, 1, 2, 2))


def test_a_unit_size_grid_with_align_corners_warns_as_pytorch_and_sits_at_zero():
    theta = dp.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    with pytest.warns(UserWarning, match="with align_corners=True an axis of one pixel has no corners to align"):
        grid = F.affine_grid(theta, (1, 1, 1, 3), align_corners=True)
    np.testing.assert_allclose(grid.data[0, 0], [[-1, 0], [0, 0], [1, 0]])


@pytest.mark.parametrize("mode, padding_mode", [("bilinear", "zeros"), ("bilinear", "border"), ("nearest", "zeros")])
def test_the_differentiable_rule_gives_the_primitives_gradient(mode, padding_mode):
    """Bilinear and nearest sampling are one primitive whose NumPy rule training uses; with create_graph
    its rule restates the sampling as the composition of gathers and products. Both give one gradient,
    on the identity grid too (its points on pixel centres and on the border's edges)."""
    rng = np.random.default_rng(3)
    x = dp.tensor(rng.normal(size=(2, 3, 5, 6)), dtype=np.float64, requires_grad=True)
    theta = dp.tensor(np.tile(np.eye(2, 3), (2, 1, 1)), dtype=np.float64)
    identity = F.affine_grid(theta, (2, 3, 5, 6), align_corners=False).data
    points = np.concatenate([identity, rng.uniform(-1.3, 1.3, size=(2, 5, 6, 2))], axis=1)
    grid = dp.tensor(points, dtype=np.float64, requires_grad=True)
    upstream = dp.tensor(rng.normal(size=(2, 3, 10, 6)), dtype=np.float64)
    wanted = [x, grid] if mode == "bilinear" else [x]
    out = F.grid_sample(x, grid, mode=mode, padding_mode=padding_mode, align_corners=False)
    restated = dp.autograd.grad((out * upstream).sum(), wanted, create_graph=True)
    (out * upstream).sum().backward()
    for tensor, gradient in zip(wanted, restated):
        np.testing.assert_allclose(gradient.data, tensor.grad, rtol=1e-12, atol=1e-12)
