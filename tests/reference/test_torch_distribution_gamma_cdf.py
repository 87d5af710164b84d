"""Gamma.cdf against torch.distributions.Gamma.cdf (PyTorch 2.13's gammainc): values in float64 and
float32, gradients to the rate and the value (PyTorch has none to the shape α: its igamma's derivative
in α is not implemented), and the edges 0 and +inf.

The checks without PyTorch (SciPy, by hand, finite differences, draws) are in test_distribution_gamma_cdf.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the distributions")
import torch.distributions as td  # noqa: E402

# PyTorch's gammainc is itself within ~1e-9 of SciPy's (its series and asymptotic forms)
TOLERANCES = {"float64": dict(rtol=1e-9, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cdf_and_its_gradients_to_the_rate_and_the_value_match_pytorch(dtype):
    rng = np.random.default_rng(21)
    alpha = np.exp(rng.uniform(np.log(0.05), np.log(50.0), (3, 1)))
    rate = rng.uniform(0.3, 3.0, (4,))
    x = (alpha / rate * np.exp(rng.uniform(-3, 1.5, (5, 3, 4)))).astype(dtype)
    ours = [dp.tensor(v.astype(dtype), dtype=getattr(np, dtype), requires_grad=True) for v in (alpha, rate, x)]
    theirs = [torch.tensor(v.astype(dtype), requires_grad=True) for v in (alpha, rate, x)]
    theirs[0].requires_grad_(False)
    result, expected = dd.Gamma(ours[0], ours[1]).cdf(ours[2]), td.Gamma(theirs[0], theirs[1]).cdf(theirs[2])
    assert result.dtype == np.dtype(dtype) and result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **TOLERANCES[dtype])
    g = rng.standard_normal(result.shape).astype(dtype)
    result.backward(g)
    expected.backward(torch.tensor(g))
    for name, mine, reference in zip(["rate", "value"], ours[1:], theirs[1:]):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), err_msg=f"the gradient of {name}",
                                   **TOLERANCES[dtype])
    assert ours[0].grad is not None and np.isfinite(ours[0].grad).all()
    concentration = torch.tensor(alpha, requires_grad=True)
    with pytest.raises(NotImplementedError):  # (PyTorch: "the derivative for 'igamma: input' is not implemented")
        torch.autograd.grad(td.Gamma(concentration, theirs[1]).cdf(theirs[2]).sum(), [concentration])


def test_cdf_at_zero_and_infinity_matches_pytorch():
    """Values 0 and 1, and the slope in the value: +inf at 0 for α < 1, 0 for α > 1 and at +inf for α < 1;
    where PyTorch's slope is NaN (α = 1 at 0, where the density is the rate; α ≥ 1 at +inf, where it is 0),
    deltaprop gives the density's limit (docs/porting.md)."""
    alpha = np.array([0.5, 2.0, 0.5, 1.0, 1.0, 2.0])
    x = np.array([0.0, 0.0, np.inf, 0.0, np.inf, np.inf])
    ours = dp.tensor(x, dtype=np.float64, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    result = dd.Gamma(dp.tensor(alpha, dtype=np.float64), 3.0).cdf(ours)
    expected = td.Gamma(torch.tensor(alpha), 3.0).cdf(theirs)
    np.testing.assert_array_equal(result.data, expected.detach().numpy())
    result.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(ours.grad[:3], theirs.grad.numpy()[:3])
    assert np.isnan(theirs.grad.numpy()[3:]).all()
    np.testing.assert_array_equal(ours.grad[3:], [3.0, 0.0, 0.0])
