"""Convolution, pooling and normalization against PyTorch: same inputs, same weights, same numbers.

Each case builds the deltaprop layer and its PyTorch twin from one class name and one set of
keyword arguments, then compares the output, the input's gradient and every parameter's gradient
(float64 tightly, float32 loosely). BatchNorm is also run for several training steps, comparing the
running statistics, and then in evaluation mode.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference the convolution layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from torch_twins import DTYPES, TORCH_DTYPES, forward_backward_agree, sample, twins  # noqa: E402

# PyTorch warns that 'same' padding with an even kernel pads a copy of the input: its business.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")

TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}


def compare(ours, theirs, x, dtype, seed=1):
    forward_backward_agree(ours, theirs, x, dtype, TOLERANCES[dtype], seed)


CASES = [
    ("Conv1d", dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 10)),
    ("Conv1d", dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1), (2, 3, 10)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=2, dilation=3, padding=2, bias=False), (3, 2, 9)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=4, padding="same"), (2, 2, 7)),
    ("Conv1d", dict(in_channels=1, out_channels=32, kernel_size=3, stride=2), (5, 1, 64)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3), (2, 6)),  # unbatched
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 7, 6)),
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1), (2, 3, 7, 6)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), dilation=(2, 1)), (2, 2, 7, 8)),
    ("Conv2d", dict(in_channels=2, out_channels=2, kernel_size=3, dilation=2, padding="same", bias=False), (1, 2, 6, 7)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=1, stride=2), (2, 2, 5, 5)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=3, padding="valid"), (2, 5, 5)),  # unbatched
    ("Conv1d", dict(in_channels=4, out_channels=6, kernel_size=3, groups=2), (2, 4, 10)),
    ("Conv1d", dict(in_channels=3, out_channels=6, kernel_size=3, stride=2, padding=1, groups=3), (2, 3, 10)),  # depthwise x2
    ("Conv1d", dict(in_channels=4, out_channels=4, kernel_size=2, dilation=2, padding="same", groups=4, bias=False), (4, 9)),
    ("Conv2d", dict(in_channels=4, out_channels=6, kernel_size=3, padding=1, groups=2), (2, 4, 7, 6)),
    ("Conv2d", dict(in_channels=3, out_channels=3, kernel_size=3, stride=2, padding=1, groups=3), (2, 3, 7, 6)),  # depthwise
    ("Conv2d", dict(in_channels=2, out_channels=6, kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), groups=2, bias=False),
     (2, 2, 7, 8)),  # depthwise x3
    ("Conv2d", dict(in_channels=4, out_channels=8, kernel_size=1, groups=2), (4, 5, 5)),  # unbatched
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9)),
    ("MaxPool1d", dict(kernel_size=2, dilation=2, ceil_mode=True), (2, 3, 10)),
    ("MaxPool2d", dict(kernel_size=2), (2, 3, 8, 8)),
    ("MaxPool2d", dict(kernel_size=2), (2, 3, 7, 9)),  # the last row and column are dropped
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9, 8)),
    ("MaxPool2d", dict(kernel_size=(3, 2), stride=(2, 1), dilation=(1, 2), ceil_mode=True), (2, 2, 9, 8)),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 5, 6)),  # unbatched
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (2, 3, 10)),
    ("AvgPool2d", dict(kernel_size=2), (2, 3, 8, 8)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1), (2, 3, 9, 8)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), (2, 3, 9, 8)),
    ("AvgPool2d", dict(kernel_size=(3, 2), stride=2, padding=(1, 1), ceil_mode=True), (2, 2, 8, 7)),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (2, 2, 8, 7)),
    ("AdaptiveAvgPool2d", dict(output_size=1), (2, 3, 5, 4)),
    ("AdaptiveAvgPool2d", dict(output_size=(2, 2)), (2, 3, 6, 4)),
    ("AdaptiveAvgPool2d", dict(output_size=(3, 5)), (2, 3, 7, 9)),
    ("AdaptiveAvgPool2d", dict(output_size=(None, 3)), (3, 5, 7)),  # unbatched
    ("LayerNorm", dict(normalized_shape=6), (4, 6)),
    ("LayerNorm", dict(normalized_shape=(3, 4), eps=1e-3), (2, 5, 3, 4)),
    ("LayerNorm", dict(normalized_shape=(4,), elementwise_affine=False), (3, 4)),
    ("LayerNorm", dict(normalized_shape=(4,), bias=False), (3, 4)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_matches_pytorch(name, kwargs, shape, dtype):
    compare(*twins(name, kwargs, dtype), sample(shape), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_max_pool_ties_after_relu_match_pytorch(dtype):
    """ReLU leaves whole windows of zeros: each must pass its gradient on once, to the first zero."""
    x = np.maximum(sample((2, 3, 6, 6)), 0) * (sample((2, 3, 6, 6), seed=3) > 0.5)
    x[0, 0] = 0.0
    for kwargs in (dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)):
        compare(*twins("MaxPool2d", kwargs, dtype), x, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_max_pool_over_masked_windows_matches_pytorch(dtype):
    """A window of −∞ only (masked input) passes its gradient to its first input cell, as in
    PyTorch, not to a padding cell where it was lost."""
    x = sample((2, 3, 6, 6))
    x[0, 0] = -np.inf
    x[1, 2, :3, :] = -np.inf
    for kwargs in (dict(kernel_size=2, stride=1, padding=1), dict(kernel_size=3, stride=2, padding=1),
                   dict(kernel_size=3, stride=1, padding=1, dilation=2), dict(kernel_size=2, padding=1, ceil_mode=True)):
        compare(*twins("MaxPool2d", kwargs, dtype), x, dtype)
    x1 = sample((2, 3, 7))
    x1[0, 1] = -np.inf
    compare(*twins("MaxPool1d", dict(kernel_size=3, stride=1, padding=1), dtype), x1, dtype)


BATCH_NORMS = [
    ("BatchNorm1d", dict(num_features=3), (8, 3)),
    ("BatchNorm1d", dict(num_features=3, momentum=0.3, eps=1e-3), (6, 3, 5)),
    ("BatchNorm1d", dict(num_features=3, momentum=None), (6, 3)),
    ("BatchNorm2d", dict(num_features=4), (5, 4, 3, 3)),
    ("BatchNorm2d", dict(num_features=4, affine=False), (5, 4, 3, 3)),
    ("BatchNorm2d", dict(num_features=4, track_running_stats=False), (5, 4, 3, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", BATCH_NORMS, ids=[f"{c[0]}-{i}" for i, c in enumerate(BATCH_NORMS)])
def test_batch_norm_running_statistics_and_both_modes_match_pytorch(name, kwargs, shape, dtype):
    ours, theirs = twins(name, kwargs, dtype)
    for step in range(4):
        # Shifted, scaled batches, so the running statistics travel far from 0 and 1.
        x = sample(shape, seed=step) * (1 + step) + step
        compare(ours, theirs, x, dtype, seed=step)
        for p, q in zip(ours.parameters(), theirs.parameters()):
            p.grad, q.grad = None, None
    reference = theirs.state_dict()
    state = ours.state_dict()
    assert list(state) == list(reference)
    for key in state:
        np.testing.assert_allclose(state[key], reference[key].numpy(), err_msg=key, **TOLERANCES[dtype])
        assert state[key].shape == tuple(reference[key].shape), key
    ours.eval()
    theirs.eval()
    compare(ours, theirs, sample(shape, seed=9) * 2, dtype)


def test_a_training_step_of_a_cnn_matches_pytorch():
    """A whole network trained for a few SGD steps: the losses and final weights agree."""
    def build(lib):
        return lib.Sequential(
            lib.Conv2d(1, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(), lib.MaxPool2d(2),
            lib.Conv2d(4, 6, 3, stride=2), lib.ReLU(), lib.AdaptiveAvgPool2d(1), lib.Flatten(), lib.Linear(6, 3),
        )

    dp.manual_seed(0)
    ours, theirs = build(nn).double(), build(torch.nn).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.data.copy()))
    x, y = sample((6, 1, 10, 10)), np.random.default_rng(1).integers(0, 3, 6)
    for _ in range(3):
        loss = nn.functional.cross_entropy(ours(dp.tensor(x, dtype=np.float64)), dp.tensor(y))
        expected = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        assert loss.item() == pytest.approx(expected.item(), rel=1e-10)
        loss.backward()
        expected.backward()
        with torch.no_grad():
            for p, q in zip(ours.parameters(), theirs.parameters()):
                p.data -= 0.1 * p.grad
                p.grad = None
                q -= 0.1 * q.grad
                q.grad = None
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_geometry_is_pytorchs(kind, dims):
    """Every small geometry, ceil mode included: the same output shape and values and input gradient,
    or both refuse. (Windows that hang over an input shorter than the kernel count in ceil mode; a
    padding over half the kernel is refused, the kernel's dilation aside: 41 of the 1-d max-pool
    configurations differed before.) Dilated windows with padding are left out: PyTorch can
    corrupt its heap on a window made only of padding."""
    import itertools

    from deltaprop.nn import functional as F

    ours, theirs = getattr(F, f"{kind}_pool{dims}d"), getattr(torch.nn.functional, f"{kind}_pool{dims}d")
    rng = np.random.default_rng(0)
    agreed = refused = 0
    for size, k, s, p, d, ceil in itertools.product(range(1, 6), range(1, 5), range(1, 4), range(3), (1, 2), (False, True)):
        if (kind == "avg" and d > 1) or (d > 1 and p > 0):
            continue
        x = rng.random((2, 3) + (size,) * dims)
        args = (k, s, p, d, ceil) if kind == "max" else (k, s, p, ceil)
        try:
            tx = torch.tensor(x, requires_grad=True)
            expected = theirs(tx, *args)
            expected.backward(torch.ones_like(expected))
        except RuntimeError:
            expected = None
        try:
            ox = dp.tensor(x, dtype=np.float64, requires_grad=True)
            got = ours(ox, *args)
            got.backward(np.ones(got.shape))
        except (dp.errors.ShapeError, dp.errors.ConfigError):
            got = None
        assert (expected is None) == (got is None), (size, k, s, p, d, ceil, expected is None)
        if got is None:
            refused += 1
            continue
        np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-12, err_msg=str((size, k, s, p, d, ceil)))
        np.testing.assert_allclose(ox.grad, tx.grad.numpy(), rtol=1e-12, err_msg=str((size, k, s, p, d, ceil)))
        agreed += 1
    assert agreed > 100 and refused > 50


# Grouped convolutions through the functional form: each (input channels, output channels, groups)
# against every geometry, in float64 and float32. The last rows are depthwise convolutions with a
# channel multiplier of 1, 2 and 3 (out = k · in).
GROUPINGS = [(4, 2, 2), (4, 6, 2), (6, 6, 3), (6, 3, 3), (4, 4, 4), (3, 6, 3), (2, 6, 2)]
GEOMETRIES = [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=2), dict(padding="same"),
              dict(stride=(2, 1), padding=(0, 1), dilation=(1, 2))]
FUNCTIONAL_TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("in_channels, out_channels, groups", GROUPINGS, ids=str)
def test_grouped_conv_matches_pytorch(in_channels, out_channels, groups, bias, dims, dtype):
    ours, theirs = getattr(nn.functional, f"conv{dims}d"), getattr(torch.nn.functional, f"conv{dims}d")
    tol = FUNCTIONAL_TOLERANCES[dtype]
    x, w = sample((3, in_channels) + (7, 8)[:dims]), sample((out_channels, in_channels // groups) + (3, 2)[:dims], seed=1)
    arrays = [x, w] + ([sample(out_channels, seed=2)] if bias else [])
    for geometry in GEOMETRIES:
        options = {k: (v if isinstance(v, (int, str)) or dims == 2 else v[0]) for k, v in geometry.items()}
        mine = [dp.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
        reference = [torch.tensor(a, dtype=TORCH_DTYPES[dtype], requires_grad=True) for a in arrays]
        out, expected = ours(*mine, groups=groups, **options), theirs(*reference, groups=groups, **options)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), err_msg=str(options), **tol)
        upstream = sample(out.shape, seed=3).astype(dtype)
        out.backward(upstream)
        expected.backward(torch.from_numpy(upstream))
        for name, a, b in zip("xwb", mine, reference):
            np.testing.assert_allclose(a.grad, b.grad.numpy(), err_msg=f"{name} {options}", **tol)


# Many groups, over inputs whose columns are built in several blocks of output rows (the block size
# made small here): depthwise with multipliers 1 and 2, and groups of two channels.
MANY_GROUPS = [(24, 24, 24), (12, 24, 12), (16, 8, 8)]


@pytest.mark.parametrize("block_bytes", [4 << 20, 3000], ids=["one-block", "several-blocks"])
@pytest.mark.parametrize("dims", [1, 2])
@pytest.mark.parametrize("in_channels, out_channels, groups", MANY_GROUPS, ids=str)
def test_convolutions_with_many_groups_match_pytorch(in_channels, out_channels, groups, dims, block_bytes, monkeypatch):
    from deltaprop.ops import conv
    monkeypatch.setattr(conv, "_BLOCK_BYTES", block_bytes)
    ours, theirs = getattr(nn.functional, f"conv{dims}d"), getattr(torch.nn.functional, f"conv{dims}d")
    x = sample((4, in_channels) + (11, 9)[:dims])
    w = sample((out_channels, in_channels // groups) + (3, 3)[:dims], seed=1)
    b = sample(out_channels, seed=2)
    for options in [dict(padding=1), dict(stride=2, dilation=2, padding=2), dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1))]:
        options = {k: (v if isinstance(v, int) or dims == 2 else v[0]) for k, v in options.items()}
        mine = [dp.tensor(a, requires_grad=True, dtype=np.float64) for a in (x, w, b)]
        reference = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
        out, expected = ours(*mine, groups=groups, **options), theirs(*reference, groups=groups, **options)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=str(options))
        upstream = sample(out.shape, seed=3)
        out.backward(upstream)
        expected.backward(torch.from_numpy(upstream))
        for name, a, t in zip("xwb", mine, reference):
            np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{name} {options}")


@pytest.mark.parametrize("name, kwargs", [
    ("Conv2d", dict(in_channels=8, out_channels=16, kernel_size=3, padding=1, groups=8)),
    ("Conv2d", dict(in_channels=4, out_channels=4, kernel_size=(3, 1), stride=2, groups=2, bias=False)),
    ("Conv1d", dict(in_channels=6, out_channels=3, kernel_size=5, dilation=2, groups=3)),
])
def test_grouped_layers_print_weigh_and_initialise_as_pytorchs(name, kwargs):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    for (key, p), (other, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert key == other and p.shape == tuple(q.shape)
    # Both draw from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with PyTorch's fan_in for the grouped weight.
    fan_in = torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)[0]
    assert fan_in == kwargs["in_channels"] // kwargs["groups"] * np.prod(ours.kernel_size)
    for p in ours.parameters():
        assert np.abs(p.data).max() <= 1 / np.sqrt(fan_in)
