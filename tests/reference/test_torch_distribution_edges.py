"""deltaprop.distributions against torch.distributions (PyTorch 2.13) at the edges of their parameters:
certain outcomes (probabilities of 0 and 1), the KL rules there, and the deliberate differences
(docs/porting.md) where PyTorch's number is not the divergence.

The checks without PyTorch (by hand, against the Bernoulli rule) are in test_distribution_edges.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the distributions")
import torch.distributions as td  # noqa: E402

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}


def _twins(values: dict, dtype: str):
    ours = {k: dp.tensor(np.asarray(v, dtype), dtype=getattr(np, dtype), requires_grad=True) for k, v in values.items()}
    theirs = {k: torch.tensor(np.asarray(v, dtype), requires_grad=True) for k, v in values.items()}
    return ours, theirs


def _compare_with_gradients(result, expected, ours: dict, theirs: dict, dtype: str):
    """Equal values (infinities included); then equal gradients of Σ result for every leaf."""
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **TOLERANCES[dtype])
    result.sum().backward()
    expected.sum().backward()
    for name in theirs:
        np.testing.assert_allclose(ours[name].grad, theirs[name].grad.numpy(), err_msg=f"the gradient of {name}",
                                   **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_geometric_log_prob_gradient_at_a_certain_success_matches_pytorch(dtype):
    """p = 1 draws only 0: ln P(0) = ln p has slope 1 in p (its term k·ln(1 − p) is 0 at k = 0, and so is
    that term's slope, where xlog1py's is 0/0), and ln P(2) = −inf has slope −inf, as PyTorch's."""
    ours, theirs = _twins({"probs": [1.0, 1.0, 0.3, 0.3], "value": [0.0, 2.0, 0.0, 2.0]}, dtype)
    result = dd.Geometric(ours["probs"]).log_prob(ours["value"])
    expected = td.Geometric(theirs["probs"]).log_prob(theirs["value"])
    assert np.isfinite(result.data[0]) and np.isneginf(result.data[1])
    _compare_with_gradients(result, expected, ours, theirs, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_kl_of_geometrics_from_a_certain_success_matches_pytorch(dtype):
    """q's p = 1 draws only 0: +inf from any p < 1 (which draws more), as PyTorch's; and from p = 1, 0."""
    p = dp.tensor(np.array([0.3, 1e-3, 1.0], dtype), dtype=getattr(np, dtype))
    q = dp.tensor(np.array([1.0, 1.0, 1.0], dtype), dtype=getattr(np, dtype))
    result = dd.kl_divergence(dd.Geometric(p), dd.Geometric(q))
    expected = td.kl_divergence(td.Geometric(torch.tensor(p.data)), td.Geometric(torch.tensor(q.data)))
    np.testing.assert_array_equal(result.data[:2], expected.numpy()[:2])
    assert np.isposinf(result.data[:2]).all()
    assert abs(result.data[2]) <= 1e-6  # (PyTorch's is +inf there: the two are the same point mass)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_geometric_draws_that_never_succeed_match_pytorch(dtype):
    """A logit of −800 has probability 0 (in float64 and float32): no success ever, +inf failures, as PyTorch
    draws them; a logit of 800 succeeds at once."""
    logits = np.array([-800.0, 800.0], dtype)
    drawn = dd.Geometric(logits=dp.tensor(logits, dtype=getattr(np, dtype))).sample((4,))
    expected = td.Geometric(logits=torch.tensor(logits)).sample((4,))
    assert drawn.shape == tuple(expected.shape) and str(drawn.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(drawn.data, expected.numpy())


def test_geometric_entropy_of_a_rare_success_is_exact_where_pytorchs_is_not():
    """H = (−p ln p − (1 − p) ln(1 − p))/p = softplus(−ℓ) + e^(−ℓ)·softplus(ℓ) for the logit ℓ: 41.0 at
    ℓ = −40, where PyTorch's binary cross-entropy of the logits rounds the numerator to 0 (docs/porting.md)."""
    logits = np.array([-60.0, -40.0, -16.0, 0.3, 5.0])
    exact = np.logaddexp(0, -logits) + np.exp(-logits) * np.logaddexp(0, logits)
    result = dd.Geometric(logits=dp.tensor(logits, dtype=np.float64)).entropy().data
    np.testing.assert_allclose(result, exact, rtol=1e-13)
    expected = td.Geometric(logits=torch.tensor(logits)).entropy().numpy()
    np.testing.assert_allclose(expected[2:], exact[2:], rtol=1e-7)
    assert (expected[:2] == 0).all()
