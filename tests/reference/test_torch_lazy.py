"""Lazy layers against PyTorch's: after the first input, the same layer (class name, repr, state-dict
keys and shapes) and, with PyTorch's weights loaded, the same outputs and gradients."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import nn  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES  # noqa: E402

LAZY = [
    ("LazyLinear", dict(out_features=4), (2, 3)),
    ("LazyConv1d", dict(out_channels=4, kernel_size=3, padding=1), (2, 2, 6)),
    ("LazyConv2d", dict(out_channels=4, kernel_size=3, stride=2, bias=False), (2, 3, 7, 7)),
    ("LazyBatchNorm1d", dict(momentum=0.2), (5, 3, 4)),
    ("LazyBatchNorm2d", dict(), (3, 2, 4, 4)),
    ("LazyConv2d", dict(out_channels=4, kernel_size=3, groups=2), (2, 2, 5, 5)),
    ("LazyConv3d", dict(out_channels=4, kernel_size=(2, 3, 2), padding=1), (2, 3, 3, 4, 3)),
    ("LazyConv3d", dict(out_channels=2, kernel_size=2, groups=2, bias=False, padding_mode="reflect", padding=1),
     (4, 3, 3, 3)),
    ("LazyConvTranspose1d", dict(out_channels=4, kernel_size=3, stride=2, output_padding=1), (2, 2, 5)),
    ("LazyConvTranspose1d", dict(out_channels=3, kernel_size=2), (2, 5)),
    ("LazyConvTranspose2d", dict(out_channels=4, kernel_size=3, groups=2, dilation=2), (2, 6, 4, 4)),
    ("LazyConvTranspose3d", dict(out_channels=2, kernel_size=2, stride=(1, 2, 1), padding=(0, 1, 0)), (2, 3, 2, 3, 2)),
    ("LazyBatchNorm3d", dict(momentum=None), (3, 2, 2, 3, 2)),
    ("LazyInstanceNorm1d", dict(), (2, 3, 5)),
    ("LazyInstanceNorm2d", dict(affine=False, bias=False, momentum=0.3), (2, 2, 3, 4)),
    ("LazyInstanceNorm3d", dict(eps=1e-3), (2, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name, kwargs, shape", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_layers_become_what_pytorchs_become(name, kwargs, shape, dtype):
    tol = TOLERANCES[dtype]
    ours = getattr(nn, name)(**kwargs, dtype=dtype)
    theirs = getattr(torch.nn, name)(**kwargs, dtype=TORCH_DTYPES[dtype])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(0)
    first = rng.standard_normal(shape)
    ours(dp.tensor(first, dtype=dtype)), theirs(torch.tensor(first, dtype=TORCH_DTYPES[dtype]))
    assert type(ours).__name__ == type(theirs).__name__ and repr(ours) == repr(theirs)
    assert [(k, np.shape(v)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    x = rng.standard_normal(shape)
    xo, xt = dp.tensor(x, dtype=dtype, requires_grad=True), torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    a, b = ours(xo), theirs(xt)
    np.testing.assert_allclose(a.data, b.detach().numpy(), **tol)
    w = rng.standard_normal(a.shape)
    (a * dp.tensor(w, dtype=dtype)).sum().backward()
    (b * torch.tensor(w, dtype=TORCH_DTYPES[dtype])).sum().backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), **tol)
    reference = dict(theirs.named_parameters())
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, reference[key].grad.numpy(), err_msg=key, **tol)
