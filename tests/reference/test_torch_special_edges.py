"""deltaprop.special at its edges against PyTorch 2.13, float64: logit's gradient outside [0, 1],
log_ndtr and ndtri deep in the tails (where the erfc and erfinv forms ran out of range), erfcx
(new), and softmax's dtype=. Accuracy beyond PyTorch's own is checked against mpmath in
tests/test_special_tails.py."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these functions are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop import special  # noqa: E402


def values_and_gradients(name, x, direction, *args):
    ours_in = dp.tensor(x, dtype=np.float64, requires_grad=True)
    theirs_in = torch.tensor(x, requires_grad=True)
    ours, theirs = getattr(special, name)(ours_in, *args), getattr(torch.special, name)(theirs_in, *args)
    ours.backward(direction)
    theirs.backward(torch.tensor(direction))
    return (ours.data, theirs.detach().numpy()), (ours_in.grad, theirs_in.grad.numpy())


def test_logit_gradient_is_nan_outside_the_unit_interval_and_infinite_at_its_ends_as_torch():
    x = np.array([-0.5, 0.0, 1.0, 1.5, 0.3, np.nan])
    direction = np.array([1.0, 2.0, -1.0, 1.0, 1.0, 1.0])
    _, (ours, theirs) = values_and_gradients("logit", x, direction)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, equal_nan=True)
    assert np.isnan(ours[[0, 3, 5]]).all() and ours[1] == np.inf and ours[2] == -np.inf


def test_log_ndtr_deep_in_the_left_tail_as_torch():
    """ln Φ(x) was −inf below x ≈ −38 (erfc underflowed); now ln(erfcx(z)/2) − z², and its slope
    √(2/π)/erfcx(z), z = −x/√2, as far as z² is finite."""
    x = np.array([-1e3, -300.0, -50.0, -38.5, -20.0, -2.5, -2.1, -1.0, 3.0])
    (ours, theirs), (gours, gtheirs) = values_and_gradients("log_ndtr", x, np.ones_like(x))
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)
    # PyTorch's slope is e^(ln φ − ln Φ), whose two logarithms cancel out there: 1e-11 off at −1e3
    np.testing.assert_allclose(gours, gtheirs, rtol=1e-10)


def test_ndtri_in_both_tails_as_torch():
    """√2·erfinv(2p − 1) gave −inf below p ≈ 1e-16 (2p − 1 rounded to −1): now Newton's method on
    ln Φ in the tails."""
    p = np.array([1e-300, 1e-100, 1e-30, 1e-17, 1e-8, 1e-3, 0.1, 0.3, 0.5, 0.8, 0.99, 1 - 1e-12])
    (ours, theirs), (gours, gtheirs) = values_and_gradients("ndtri", p, np.ones_like(p))
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gours, gtheirs, rtol=1e-11)


def test_erfcx_and_its_gradient_as_torch():
    x = np.array([-26.0, -5.0, -1.0, -1e-3, 0.0, 0.7, 1.4999, 1.5, 2.0, 6.0, 30.0])
    (ours, theirs), (gours, gtheirs) = values_and_gradients("erfcx", x, np.linspace(-1, 1, x.size))
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)
    np.testing.assert_allclose(gours, gtheirs, rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_takes_dtype_as_torch(name):
    x = np.array([[1.0, 2.0, 3.5], [0.5, -1.0, 0.0]], dtype=np.float32)
    ours_in, theirs_in = dp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = getattr(special, name)(ours_in, 1, dtype=dp.float64)
    theirs = getattr(torch.special, name)(theirs_in, 1, dtype=torch.float64)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
    ours.backward(np.arange(6.0).reshape(2, 3))
    theirs.backward(torch.arange(6.0, dtype=torch.float64).reshape(2, 3))
    assert ours_in.grad.dtype == np.float32
    np.testing.assert_allclose(ours_in.grad, theirs_in.grad.numpy(), rtol=1e-6)
