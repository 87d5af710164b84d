"""LocalResponseNorm, LPPool1d/2d, ChannelShuffle, CircularPad1d/2d, RReLU in eval mode and the
pooling functions that return indices against PyTorch: values and input gradients, float64 and
float32, with the same reprs."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, forward_backward_agree, sample, twins  # noqa: E402

CASES = [
    ("LocalResponseNorm", dict(size=2), (2, 5, 3)),
    ("LocalResponseNorm", dict(size=3, alpha=0.5, beta=0.6, k=2.0), (2, 4, 3, 3)),
    ("LocalResponseNorm", dict(size=5, alpha=1.0), (1, 3, 2, 2, 2)),  # window wider than the channels
    ("LocalResponseNorm", dict(size=1), (2, 3, 4)),
    ("LPPool1d", dict(norm_type=2, kernel_size=3), (2, 3, 7)),
    ("LPPool1d", dict(norm_type=3.5, kernel_size=2, stride=1), (3, 6)),  # unbatched
    ("LPPool1d", dict(norm_type=1, kernel_size=3, stride=2, ceil_mode=True), (2, 2, 8)),
    ("LPPool1d", dict(norm_type=float("inf"), kernel_size=2), (2, 2, 6)),
    ("LPPool2d", dict(norm_type=2, kernel_size=2), (2, 3, 4, 5)),
    ("LPPool2d", dict(norm_type=1.5, kernel_size=(2, 3), stride=(1, 2)), (2, 2, 5, 7)),
    ("LPPool2d", dict(norm_type=2, kernel_size=3, stride=2, ceil_mode=True), (1, 2, 6, 6)),
    ("ChannelShuffle", dict(groups=2), (2, 6, 3)),
    ("ChannelShuffle", dict(groups=3), (2, 6, 2, 2)),
    ("ChannelShuffle", dict(groups=1), (1, 4, 3)),
    ("CircularPad1d", dict(padding=2), (2, 3, 4)),
    ("CircularPad1d", dict(padding=(3, 0)), (3, 3)),
    ("CircularPad1d", dict(padding=(-1, 1)), (1, 2, 3)),
    ("CircularPad2d", dict(padding=1), (2, 3, 4, 4)),
    ("CircularPad2d", dict(padding=(1, 2, 0, 3)), (2, 4, 5)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_layer_matches_pytorch(name, kwargs, shape, dtype):
    ours, theirs = twins(name, kwargs, dtype, check_repr=True)
    x = sample(shape) * 2 + 0.5
    if name.startswith("LPPool") and kwargs["norm_type"] % 1:
        x = np.abs(x) + 0.1  # a fractional power of a negative number is NaN in both
    forward_backward_agree(ours, theirs, x, dtype, TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs", [
    ("LPPool1d", dict(norm_type=2, kernel_size=2)),
    ("LPPool1d", dict(norm_type=3, kernel_size=3, stride=2, ceil_mode=True)),
    ("LPPool2d", dict(norm_type=1.5, kernel_size=2)),
    ("LPPool3d", dict(norm_type=2, kernel_size=(1, 2, 2))),
])
def test_lp_pool_gives_a_window_of_zeros_the_gradient_zero_as_pytorch_does(name, kwargs, dtype):
    """A window of zeros (after a ReLU, say): the root's slope there is infinite, and PyTorch's relu in
    its composition stops it, so those inputs get 0, not NaN; the other windows as before."""
    ours, theirs = twins(name, kwargs, dtype, check_repr=True)
    x = np.abs(sample((2, 3) + (4,) * int(name[-2]))) + 0.1
    x[0] = 0.0
    x[1, 1, :2] = 0.0
    forward_backward_agree(ours, theirs, x, dtype, TOLERANCES[dtype])
    out = ours(dp.tensor(x, dtype=dtype, requires_grad=True))
    assert not np.isnan(out.data).any()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs", [dict(), dict(lower=0.05, upper=0.4), dict(lower=0.2, upper=0.2)])
def test_rrelu_in_eval_mode_matches_pytorch(kwargs, dtype):
    ours, theirs = twins("RReLU", kwargs, dtype, check_repr=True)
    x = sample((3, 4))
    x[0, 0] = 0.0  # the slope at 0: the mean slope in both
    forward_backward_agree(ours.eval(), theirs.eval(), x, dtype, TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_rrelu_in_training_passes_its_drawn_slope_as_gradient_as_pytorch_does(dtype):
    """The draws differ between the libraries; what must agree is the rule: output = slope·x with the
    slope in [lower, upper] where x ≤ 0 and 1 elsewhere, and the gradient equal to that slope."""
    x = sample((200,))
    x[:5] = 0.0
    for rrelu, make in ((F.rrelu, lambda v: dp.tensor(v, dtype=dtype, requires_grad=True)),
                        (torch.nn.functional.rrelu, lambda v: torch.tensor(v, dtype=TORCH_DTYPES[dtype], requires_grad=True))):
        t = make(x)
        out = rrelu(t, 0.1, 0.3, training=True)
        out.sum().backward()
        grad = np.asarray(t.grad)
        slope = grad[x <= 0]
        assert ((slope >= 0.1) & (slope <= 0.3)).all() and np.ptp(slope) > 0.1
        np.testing.assert_array_equal(grad[x > 0], 1)
        data = out.detach().numpy() if isinstance(out, torch.Tensor) else out.data
        np.testing.assert_allclose(data, x.astype(dtype) * grad, **TOLERANCES[dtype])


WITH_INDICES = [
    ("max_pool1d_with_indices", (2, 3, 7), dict(kernel_size=3, stride=2, padding=1)),
    ("max_pool2d_with_indices", (2, 2, 5, 5), dict(kernel_size=2, ceil_mode=True)),
    ("adaptive_max_pool1d_with_indices", (2, 3, 7), dict(output_size=3)),
    ("adaptive_max_pool2d_with_indices", (2, 2, 5, 6), dict(output_size=(2, 4))),
    ("max_pool3d_with_indices", (2, 2, 4, 5, 5), dict(kernel_size=2, stride=(1, 2, 2), ceil_mode=True)),
    ("adaptive_max_pool3d_with_indices", (2, 2, 4, 5, 6), dict(output_size=(3, 2, 4))),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, shape, kwargs", WITH_INDICES, ids=[c[0] for c in WITH_INDICES])
def test_pooling_with_indices_matches_pytorch(name, shape, kwargs, dtype):
    x = sample(shape)
    xd = dp.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    (values, indices), (expected, expected_indices) = (getattr(F, name)(xd, **kwargs),
                                                       getattr(torch.nn.functional, name)(xt, **kwargs))
    np.testing.assert_array_equal(indices.data, expected_indices.numpy())
    assert indices.dtype == np.int64
    np.testing.assert_allclose(values.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample(values.shape, seed=3).astype(dtype)
    values.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, args", [
    ("relu_", ()), ("elu_", (0.7,)), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.8)), ("selu_", ()),
    ("celu_", (1.3,)), ("threshold_", (0.1, -2.0)), ("rrelu_", (0.1, 0.3)),
])
def test_in_place_forms_match_pytorch(name, args, dtype):
    x = sample((3, 5))
    ours, theirs = dp.tensor(x, dtype=dtype), torch.tensor(x, dtype=TORCH_DTYPES[dtype])
    assert getattr(F, name)(ours, *args) is ours
    getattr(torch.nn.functional, name)(theirs, *args)
    np.testing.assert_allclose(ours.data, theirs.numpy(), **TOLERANCES[dtype])
