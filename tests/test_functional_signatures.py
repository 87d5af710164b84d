"""nn.functional as PyTorch's callers use it: the first argument is `input` by keyword too, the
regression losses take `weight=` (per element, with PyTorch's means), softmax and its kin take
`dtype=`; layers' reprs match PyTorch's."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn
from deltaprop.errors import ShapeError
import deltaprop.nn.functional as F

torch = pytest.importorskip("torch", reason="PyTorch's functional API is the reference")
TF = torch.nn.functional

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("name, options", [("sigmoid", {}), ("tanh", {}), ("glu", {"dim": -1}), ("glu", {"dim": 0})])
def test_input_by_keyword(name, options):
    x = RNG.standard_normal((4, 6))
    ours = getattr(F, name)(input=dp.tensor(x, dtype=np.float64), **options)
    theirs = getattr(TF, name)(input=torch.tensor(x), **options)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_regression_losses_follow_pytorch(name, reduction):
    x, t, w = RNG.standard_normal((5, 3)) * 2, RNG.standard_normal((5, 3)), RNG.uniform(0.1, 2.0, (5, 3))
    ours = [dp.tensor(a, dtype=np.float64, requires_grad=True) for a in (x, w)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    out = getattr(F, name)(ours[0], dp.tensor(t, dtype=np.float64), reduction=reduction, weight=ours[1])
    expected = getattr(TF, name)(theirs[0], torch.tensor(t), reduction=reduction, weight=theirs[1])
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    g = RNG.standard_normal(expected.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    for mine, reference in zip(ours, theirs):  # the input's gradient and the weight's
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_a_weight_of_another_shape_is_refused_in_one_sentence():
    x = dp.ones((4, 2))
    with pytest.raises(ShapeError, match=r"mse_loss: weight of shape \(4,\) must have the input's shape \(4, 2\)"):
        F.mse_loss(x, x, weight=dp.ones(4))
    with pytest.raises(ValueError, match="reduction"):
        F.l1_loss(x, x, reduction="average", weight=dp.ones((4, 2)))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_dtype_casts_first_and_returns_the_gradient_in_the_inputs_dtype(name):
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    ours = dp.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = getattr(F, name)(ours, dim=1, dtype=dp.float64)
    expected = getattr(TF, name)(theirs, dim=1, dtype=torch.float64)
    assert out.dtype == np.float64 and expected.dtype == torch.float64
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    g = RNG.standard_normal((3, 5))
    out.backward(g)
    expected.backward(torch.tensor(g))
    assert ours.grad.dtype == np.float32
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("options", [{}, {"bias": False}, {"elementwise_affine": False}])
def test_layer_norm_repr_is_pytorchs(options):
    assert repr(nn.LayerNorm(3, **options)) == repr(torch.nn.LayerNorm(3, **options))
