"""The 3-d layers against PyTorch: Conv3d, ConvTranspose3d, the 3-d poolings (max with indices,
average, adaptive), MaxUnpool3d, BatchNorm3d, InstanceNorm3d and the 3-d paddings.

As in test_torch_conv.py: the deltaprop layer and its PyTorch twin get the same weights and the
same input; outputs, the input's gradient and every parameter's gradient are compared, float64
tightly and float32 loosely. The functional forms are compared with the same weights too.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TORCH_DTYPES, forward_backward_agree, sample, twins  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")

# float32 sums over a 3-d window run longer than over a 2-d one
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}

CONVS = [
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1),
    dict(in_channels=2, out_channels=3, kernel_size=(2, 3, 1), stride=(2, 1, 2), padding=(1, 0, 1)),
    dict(in_channels=2, out_channels=2, kernel_size=2, dilation=(2, 1, 2), bias=False),
    dict(in_channels=2, out_channels=3, kernel_size=(3, 2, 3), padding="same", dilation=(1, 2, 1)),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding="valid"),
    dict(in_channels=4, out_channels=6, kernel_size=(1, 3, 2), stride=(1, 2, 1), groups=2),
    dict(in_channels=3, out_channels=3, kernel_size=3, padding="same", groups=3),  # depthwise, stride 1
    dict(in_channels=3, out_channels=6, kernel_size=3, stride=2, padding=1, groups=3),  # depthwise, strided
    dict(in_channels=4, out_channels=2, kernel_size=2, stride=(1, 2, 2), groups=2, bias=False),
]
CONV_SHAPES = [(2, 2, 5, 4, 6), (2, 2, 6, 5, 7), (2, 2, 5, 4, 6), (2, 2, 5, 6, 4), (2, 2, 4, 4, 4),
               (2, 4, 3, 6, 4), (2, 3, 4, 5, 4), (2, 3, 5, 5, 4), (2, 4, 3, 5, 5)]


def compare(ours, theirs, x, dtype, seed=1):
    forward_backward_agree(ours, theirs, x, dtype, TOLERANCES[dtype], seed)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("index", range(len(CONVS)))
def test_conv3d_matches_pytorch(index, dtype):
    ours, theirs = twins("Conv3d", CONVS[index], dtype, check_repr=True)
    compare(ours, theirs, sample(CONV_SHAPES[index]), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_conv3d_takes_an_unbatched_input_as_pytorch(dtype):
    ours, theirs = twins("Conv3d", dict(in_channels=2, out_channels=3, kernel_size=2, stride=(1, 2, 1)), dtype)
    compare(ours, theirs, sample((2, 4, 5, 3)), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("kwargs", [
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1),
    dict(in_channels=2, out_channels=2, kernel_size=(2, 3, 2), padding="same", groups=2),
    dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=(1, 2, 0)),
], ids=["p1", "same-groups", "strided"])
def test_conv3d_padding_modes_match_pytorch(kwargs, mode, dtype):
    ours, theirs = twins("Conv3d", dict(kwargs, padding_mode=mode), dtype, check_repr=True)
    compare(ours, theirs, sample((2, 2, 4, 5, 4)), dtype)


TRANSPOSED = [
    (dict(in_channels=2, out_channels=3, kernel_size=3), (2, 2, 3, 4, 2)),
    (dict(in_channels=2, out_channels=3, kernel_size=(2, 3, 2), stride=2, padding=(0, 1, 1), output_padding=(1, 0, 1)),
     (2, 2, 3, 3, 4)),
    (dict(in_channels=4, out_channels=2, kernel_size=3, stride=(1, 2, 1), groups=2, dilation=(2, 1, 1), bias=False),
     (2, 4, 2, 3, 3)),
    (dict(in_channels=3, out_channels=3, kernel_size=2, stride=2, groups=3), (3, 2, 3, 2)),  # unbatched
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("index", range(len(TRANSPOSED)))
def test_conv_transpose3d_matches_pytorch(index, dtype):
    kwargs, shape = TRANSPOSED[index]
    ours, theirs = twins("ConvTranspose3d", kwargs, dtype, check_repr=True)
    compare(ours, theirs, sample(shape), dtype)


def test_conv_transpose3d_output_size_as_pytorch():
    ours, theirs = twins("ConvTranspose3d", dict(in_channels=2, out_channels=1, kernel_size=3, stride=2, padding=1),
                         np.float64)
    x = sample((1, 2, 3, 4, 3))
    out = ours(dp.tensor(x, dtype=np.float64), output_size=(6, 8, 5))
    expected = theirs(torch.tensor(x), output_size=(6, 8, 5))
    assert out.shape == tuple(expected.shape) == (1, 1, 6, 8, 5)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[np.float64])


POOLS = [
    ("MaxPool3d", dict(kernel_size=2), (2, 3, 4, 6, 4)),
    ("MaxPool3d", dict(kernel_size=2), (2, 2, 5, 5, 7)),  # remainders dropped
    ("MaxPool3d", dict(kernel_size=3, stride=2, padding=1), (2, 2, 5, 6, 5)),
    ("MaxPool3d", dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), dilation=(2, 1, 2), ceil_mode=True), (2, 2, 6, 7, 7)),
    ("MaxPool3d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 6, 5, 6)),  # unbatched
    ("AvgPool3d", dict(kernel_size=2), (2, 3, 4, 6, 4)),
    ("AvgPool3d", dict(kernel_size=3, stride=2, padding=1), (2, 2, 5, 6, 5)),
    ("AvgPool3d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False), (2, 2, 5, 6, 5)),
    ("AvgPool3d", dict(kernel_size=(2, 3, 2), stride=(2, 1, 2), padding=(1, 1, 0), ceil_mode=True), (2, 2, 5, 6, 5)),
    ("AvgPool3d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (2, 2, 6, 5, 6)),
    ("AvgPool3d", dict(kernel_size=2, stride=1, padding=1, divisor_override=3), (2, 2, 3, 4, 3)),
    ("AvgPool3d", dict(kernel_size=(1, 2, 3), divisor_override=-2, ceil_mode=True), (2, 3, 5, 7)),  # unbatched
    ("AdaptiveAvgPool3d", dict(output_size=1), (2, 3, 4, 5, 3)),
    ("AdaptiveAvgPool3d", dict(output_size=(2, 5, 3)), (2, 3, 4, 5, 3)),  # dividing: an ordinary pooling
    ("AdaptiveAvgPool3d", dict(output_size=(3, 2, None)), (2, 2, 5, 7, 4)),  # overlapping bins
    ("AdaptiveAvgPool3d", dict(output_size=(4, 3, 2)), (2, 5, 7, 3)),  # unbatched, larger than an axis
    ("AdaptiveMaxPool3d", dict(output_size=1), (2, 3, 4, 5, 3)),
    ("AdaptiveMaxPool3d", dict(output_size=(3, 2, None)), (2, 2, 5, 7, 4)),
    ("AdaptiveMaxPool3d", dict(output_size=(4, 3, 2)), (2, 5, 7, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", POOLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(POOLS)])
def test_pool3d_matches_pytorch(name, kwargs, shape, dtype):
    # (PyTorch prints an AvgPool's kernel, stride and padding only; ours, as for AvgPool2d, all options)
    ours, theirs = twins(name, kwargs, dtype, check_repr=not name.startswith("AvgPool"))
    compare(ours, theirs, sample(shape), dtype)


LP_POOLS = [
    dict(norm_type=2, kernel_size=2),
    dict(norm_type=1.5, kernel_size=(2, 3, 1), stride=(1, 2, 1)),
    dict(norm_type=3, kernel_size=3, stride=2, ceil_mode=True),  # odd power: a window whose sum is negative is NaN in both
    dict(norm_type=float("inf"), kernel_size=(2, 1, 2), stride=1),
    dict(norm_type=1, kernel_size=2, ceil_mode=True),
]
LP_SHAPES = [(2, 3, 4, 6, 4), (2, 2, 5, 6, 5), (2, 2, 6, 5, 6), (2, 2, 3, 4, 3), (2, 5, 4, 5)]  # the last unbatched


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("index", range(len(LP_POOLS)))
def test_lp_pool3d_matches_pytorch(index, dtype):
    kwargs = LP_POOLS[index]
    ours, theirs = twins("LPPool3d", kwargs, dtype, check_repr=True)
    x = sample(LP_SHAPES[index]) * 2 + 0.5
    if kwargs["norm_type"] % 1:
        x = np.abs(x) + 0.1  # a fractional power of a negative number is NaN in both
    compare(ours, theirs, x, dtype)


def tied(x):
    """``x`` with runs of equal values along the last axis and a window of −∞, where the choice of
    index is PyTorch's rule (the first maximum in window order)."""
    x = x.copy()
    x[..., 1::3] = x[..., 0::3][..., :x[..., 1::3].shape[-1]]
    x[0, 0, :2, :2, :2] = -np.inf
    return x


INDEXED = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 1), padding=(1, 1, 0), ceil_mode=True),
    dict(kernel_size=2, dilation=(1, 2, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs", INDEXED, ids=range(len(INDEXED)))
def test_max_pool3d_indices_and_unpool_match_pytorch(kwargs, dtype):
    x = tied(sample((2, 2, 5, 6, 7)))
    ours, theirs = twins("MaxPool3d", dict(kwargs, return_indices=True), dtype, check_repr=True)
    xd = dp.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    (out, index), (expected, expected_index) = ours(xd), theirs(xt)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    np.testing.assert_array_equal(index.data, expected_index.numpy())
    assert index.dtype == np.int64 and not index.requires_grad
    if "dilation" in kwargs:  # MaxUnpool3d has no dilation
        return
    options = {key: kwargs[key] for key in ("kernel_size", "stride", "padding") if key in kwargs}
    unpooled = dp.nn.MaxUnpool3d(**options)(out, index, output_size=x.shape[2:])
    expected_unpooled = torch.nn.MaxUnpool3d(**options)(expected, expected_index, output_size=x.shape[2:])
    np.testing.assert_array_equal(unpooled.data, expected_unpooled.detach().numpy())
    upstream = sample(unpooled.shape, seed=2).astype(dtype)
    unpooled.backward(upstream)
    expected_unpooled.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_adaptive_max_pool3d_indices_match_pytorch(dtype):
    x = tied(sample((2, 2, 5, 7, 6)))
    out, index = F.adaptive_max_pool3d(dp.tensor(x, dtype=dtype), (3, 2, 4), return_indices=True)
    expected, expected_index = torch.nn.functional.adaptive_max_pool3d(
        torch.tensor(x, dtype=TORCH_DTYPES[dtype]), (3, 2, 4), return_indices=True)
    np.testing.assert_array_equal(out.data, expected.numpy())
    np.testing.assert_array_equal(index.data, expected_index.numpy())


NORMS = [
    ("BatchNorm3d", dict(num_features=3), (2, 3, 3, 4, 2)),
    ("BatchNorm3d", dict(num_features=3, affine=False, momentum=None), (3, 3, 2, 3, 2)),
    ("InstanceNorm3d", dict(num_features=3), (2, 3, 3, 4, 2)),
    ("InstanceNorm3d", dict(num_features=3, affine=True, track_running_stats=True), (2, 3, 3, 4, 2)),
    ("InstanceNorm3d", dict(num_features=2, affine=True), (2, 3, 4, 2)),  # unbatched
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", NORMS, ids=[f"{c[0]}-{i}" for i, c in enumerate(NORMS)])
def test_norm3d_matches_pytorch_in_training_and_evaluation(name, kwargs, shape, dtype):
    ours, theirs = twins(name, kwargs, dtype, check_repr=True, check_state_dict=True)
    compare(ours, theirs, sample(shape), dtype)
    for key, value in theirs.state_dict().items():  # the running statistics moved alike
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), err_msg=key, **TOLERANCES[dtype])
    ours.eval(), theirs.eval()
    x = sample(shape, seed=3)
    np.testing.assert_allclose(ours(dp.tensor(x, dtype=dtype)).data,
                               theirs(torch.tensor(x, dtype=TORCH_DTYPES[dtype])).detach().numpy(),
                               **TOLERANCES[dtype])


PADS = [
    ("ConstantPad3d", dict(padding=(1, 2, 0, 1, 2, 1), value=0.5), (2, 2, 3, 4, 3)),
    ("ConstantPad3d", dict(padding=(1, -1, 2, 0, -1, 1), value=-2.0), (2, 3, 4, 3)),  # crops too
    ("ZeroPad3d", dict(padding=1), (2, 2, 3, 4, 3)),
    ("ReflectionPad3d", dict(padding=(1, 2, 0, 1, 2, 1)), (2, 2, 3, 4, 3)),
    ("ReflectionPad3d", dict(padding=2), (2, 3, 4, 5)),  # unbatched
    ("ReplicationPad3d", dict(padding=(1, 2, 0, 1, 3, 1)), (2, 2, 3, 4, 3)),
    ("ReplicationPad3d", dict(padding=(2, 0, 1, 1, 0, 2)), (2, 3, 4, 3)),
    ("CircularPad3d", dict(padding=(1, 2, 0, 1, 2, 1)), (2, 2, 3, 4, 3)),
    ("CircularPad3d", dict(padding=(1, 0, 2, -1, 1, 1)), (2, 3, 4, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", PADS, ids=[f"{c[0]}-{i}" for i, c in enumerate(PADS)])
def test_pad3d_matches_pytorch(name, kwargs, shape, dtype):
    ours, theirs = twins(name, kwargs, dtype, check_repr=True)
    compare(ours, theirs, sample(shape), dtype)


def both(shape, dtype, seed):
    """The same array as a deltaprop and a PyTorch tensor, both requiring a gradient."""
    data = sample(shape, seed=seed)
    return (dp.tensor(data, dtype=dtype, requires_grad=True),
            torch.tensor(data, dtype=TORCH_DTYPES[dtype], requires_grad=True))


FUNCTIONS = {
    "conv3d": (lambda f, x, w, b: f.conv3d(x, w, b, stride=(2, 1, 1), padding=(1, 0, 1), dilation=(1, 1, 2)),
               (2, 2, 4, 5, 5), (3, 2, 2, 3, 2)),
    "conv3d-groups": (lambda f, x, w, b: f.conv3d(x, w, b, padding="same", groups=2), (2, 4, 3, 4, 3), (4, 2, 3, 1, 2)),
    "conv_transpose3d": (lambda f, x, w, b: f.conv_transpose3d(x, w, b, stride=2, padding=1, output_padding=(1, 0, 1)),
                         (2, 2, 3, 2, 3), (2, 3, 3, 3, 2)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_functional_3d_convolutions_match_pytorch_with_the_same_weights(name, dtype):
    fn, x_shape, w_shape = FUNCTIONS[name]
    (x, xt), (w, wt) = both(x_shape, dtype, 0), both(w_shape, dtype, 1)
    bias_size = w_shape[1] if "transpose" in name else w_shape[0]  # (the transposed one has groups=1)
    b, bt = both((bias_size,), dtype, 2)
    out, expected = fn(F, x, w, b), fn(torch.nn.functional, xt, wt, bt)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(out.shape, seed=3).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for ours, theirs, what in ((x, xt, "input"), (w, wt, "weight"), (b, bt, "bias")):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), err_msg=what, **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_functional_3d_poolings_match_pytorch(dtype):
    x, xt = both((2, 2, 5, 6, 4), dtype, 0)
    calls = [
        lambda f, a: f.max_pool3d(a, 2, stride=(1, 2, 1), padding=1, dilation=(2, 1, 1), ceil_mode=True),
        lambda f, a: f.avg_pool3d(a, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        lambda f, a: f.avg_pool3d(a, (2, 2, 1), divisor_override=3),
        lambda f, a: f.adaptive_avg_pool3d(a, (3, None, 3)),
        lambda f, a: f.adaptive_max_pool3d(a, (2, 4, 3)),
        lambda f, a: f.lp_pool3d(a, 2, (2, 3, 2), stride=(1, 2, 1), ceil_mode=True),
        lambda f, a: f.lp_pool3d(a, float("inf"), 2),
    ]
    for i, call in enumerate(calls):
        out, expected = call(F, x), call(torch.nn.functional, xt)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), err_msg=str(i), **TOLERANCES[dtype])
        upstream = sample(out.shape, seed=4 + i).astype(dtype)
        x.grad = None
        xt.grad = None
        out.backward(upstream)
        expected.backward(torch.from_numpy(upstream))
        np.testing.assert_allclose(x.grad, xt.grad.numpy(), err_msg=str(i), **TOLERANCES[dtype])
