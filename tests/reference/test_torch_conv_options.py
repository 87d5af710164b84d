"""The convolution and pooling options beyond the basic ones, against PyTorch: ``padding_mode``,
MaxPool's ``return_indices`` with MaxUnpool, AvgPool's ``divisor_override``.

As in test_torch_conv.py: the deltaprop layer and its PyTorch twin get the same weights and the
same input; outputs, the input's gradient and every parameter's gradient are compared, float64
tightly and float32 loosely.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these options are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TORCH_DTYPES, sample, twins  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")

TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-5)}


def compare(ours, theirs, x, dtype, seed=1):
    """Forward and backward the same upstream gradient through both layers; compare everything."""
    tol = TOLERANCES[dtype]
    xd = dp.tensor(x, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    out, expected = ours(xd), theirs(xt)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
    upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), err_msg="input", **tol)
    reference = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)


# -- padding_mode ------------------------------------------------------------------------------------

PADDED_CONVS = [
    ("Conv1d", dict(in_channels=3, out_channels=4, kernel_size=3, padding=1), (2, 3, 9)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=2), (2, 2, 10)),
    ("Conv1d", dict(in_channels=2, out_channels=4, kernel_size=4, padding="same", groups=2), (2, 2, 7)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=2, dilation=2, padding="same", bias=False), (2, 6)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3, padding="valid"), (2, 2, 6)),
    ("Conv1d", dict(in_channels=2, out_channels=3, kernel_size=3), (2, 2, 6)),  # padding 0
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3, padding=1), (2, 3, 6, 5)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=(3, 2), padding=(2, 1), stride=(2, 1)), (2, 2, 7, 6)),
    ("Conv2d", dict(in_channels=2, out_channels=2, kernel_size=3, dilation=2, padding="same", groups=2), (2, 2, 6, 7)),
    ("Conv2d", dict(in_channels=2, out_channels=3, kernel_size=(2, 4), padding="same", bias=False), (2, 5, 6)),
    ("Conv2d", dict(in_channels=4, out_channels=4, kernel_size=3, stride=2, padding=1, groups=4), (2, 4, 7, 7)),
]
MODES = ["reflect", "replicate", "circular", "zeros"]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, kwargs, shape", PADDED_CONVS, ids=[f"{c[0]}-{i}" for i, c in enumerate(PADDED_CONVS)])
def test_padding_mode_matches_pytorch(name, kwargs, shape, mode, dtype):
    ours, theirs = twins(name, dict(kwargs, padding_mode=mode), dtype, check_repr=True)
    assert ours.padding_mode == mode
    compare(ours, theirs, sample(shape), dtype)


@pytest.mark.parametrize("name, kwargs", [
    ("Conv2d", dict(in_channels=1, out_channels=2, kernel_size=3, padding=1, padding_mode="reflect")),
    ("Conv1d", dict(in_channels=1, out_channels=2, kernel_size=3, padding="same", padding_mode="circular", bias=False)),
    ("Conv2d", dict(in_channels=2, out_channels=2, kernel_size=3, padding=(1, 0), groups=2, padding_mode="replicate")),
    ("Conv2d", dict(in_channels=1, out_channels=2, kernel_size=3, padding_mode="zeros")),
])
def test_padding_mode_prints_as_pytorch(name, kwargs):
    assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


@pytest.mark.parametrize("name", ["ConvTranspose1d", "ConvTranspose2d"])
def test_transposed_convolutions_take_zeros_padding_mode_only_as_pytorch(name):
    ours, theirs = twins(name, dict(in_channels=2, out_channels=3, kernel_size=3, padding_mode="zeros"), np.float64)
    compare(ours, theirs, sample((2, 2, 5) if name.endswith("1d") else (2, 2, 5, 4)), np.float64)
    with pytest.raises(ValueError):
        getattr(torch.nn, name)(2, 3, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=f"{name}: padding_mode must be 'zeros'"):
        getattr(nn, name)(2, 3, 3, padding_mode="reflect")


def test_a_reflect_padding_wider_than_the_input_is_refused_by_both():
    x = sample((1, 1, 2, 5))
    with pytest.raises(RuntimeError):
        torch.nn.Conv2d(1, 1, 5, padding=2, padding_mode="reflect")(torch.tensor(x))
    with pytest.raises(ValueError, match=r"Conv2d\(1 -> 1, kernel 5\): pad: mode='reflect' needs padding amounts of at most 1"):
        nn.Conv2d(1, 1, 5, padding=2, padding_mode="reflect")(dp.tensor(x))
