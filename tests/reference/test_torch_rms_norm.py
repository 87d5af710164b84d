"""RMSNorm and F.rms_norm against PyTorch: the same inputs and weights give the same outputs and
gradients (input and γ), in float64 and float32, with eps given or left to the dtype's epsilon."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these layers are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.nn import functional as F  # noqa: E402
from torch_twins import DTYPES, TOLERANCES, TORCH_DTYPES, forward_backward_agree, sample, twins  # noqa: E402

CASES = [
    (dict(normalized_shape=5), (3, 5)),
    (dict(normalized_shape=(3, 4)), (2, 3, 4)),
    (dict(normalized_shape=4, eps=1e-3), (2, 3, 4)),
    (dict(normalized_shape=[2, 3], elementwise_affine=False), (4, 2, 3)),
    (dict(normalized_shape=6), (6,)),  # one sample, no batch axis
    (dict(normalized_shape=3), (0, 3)),  # an empty batch
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("kwargs, shape", CASES, ids=[str(i) for i in range(len(CASES))])
def test_layer_matches_pytorch(kwargs, shape, dtype):
    ours, theirs = twins("RMSNorm", kwargs, dtype, check_repr=True, check_state_dict=True)
    forward_backward_agree(ours, theirs, sample(shape) * 3 + 0.5, dtype, TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_tiny_inputs_feel_the_dtype_epsilon_as_in_pytorch(dtype):
    # mean(x²) near the dtype's epsilon: the default eps decides the result, so it must be the same one
    x = sample((3, 4)) * np.sqrt(np.finfo(dtype).eps)
    w = sample(4, seed=2)
    xd, wd = dp.tensor(x, dtype=dtype, requires_grad=True), dp.tensor(w, dtype=dtype, requires_grad=True)
    xt = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    wt = torch.tensor(w, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    out, expected = F.rms_norm(xd, (4,), wd), torch.nn.functional.rms_norm(xt, (4,), wt)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOLERANCES[dtype])
    upstream = sample((3, 4), seed=5).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    # gradients of order 1/√eps: compared relative to their largest (a small entry is a difference of large ones)
    scale = np.abs(xt.grad.numpy()).max()
    np.testing.assert_allclose(xd.grad, xt.grad.numpy(), rtol=0, atol=scale * (1e-5 if dtype == np.float32 else 1e-12))
    np.testing.assert_allclose(wd.grad, wt.grad.numpy(), **TOLERANCES[dtype])
