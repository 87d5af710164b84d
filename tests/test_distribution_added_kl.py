"""The KL rules for the families added with the transforms (kl_added.py), on their own: gradients
against finite differences, each finite divergence against the mean log-ratio of many draws of p,
the infinite ones, and the refusals. The comparisons with PyTorch are in
reference/test_torch_distribution_added_kl.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd
from deltaprop.errors import ShapeError

from distribution_checks import unvalidated_gradcheck
from distribution_cases_kl_added import FINITE, INFINITE, KL_ADDED


def _tensors(parameters: dict, grad=False, first=False) -> dict:
    """The parameters as float64 tensors; with ``first``, each 2-d one's first row's first two elements."""
    return {k: dp.tensor(v[:1, :2] if first and v.ndim == 2 else v, dtype=np.float64, requires_grad=grad)
            for k, v in parameters.items()}


@pytest.mark.parametrize("case", FINITE)
def test_gradients_match_finite_differences(case):
    pair, parameters = KL_ADDED[case]
    leaves = _tensors(parameters, grad=True)
    names = list(leaves)
    assert unvalidated_gradcheck(lambda *t: dd.kl_divergence(*pair(dd, dict(zip(names, t)))), list(leaves.values()))


@pytest.mark.parametrize("case", FINITE)
def test_kl_is_the_mean_log_ratio_of_draws(case):
    """KL(p ‖ q) = E_p[ln p − ln q], estimated from 200,000 draws of p to within 5 standard errors."""
    pair, parameters = KL_ADDED[case]
    p, q = pair(dd, _tensors(parameters, first=not case.startswith(("LowRank", "Multivariate"))))
    dp.manual_seed(8)
    x = p.sample((200_000,))
    ratio = (p.log_prob(x) - q.log_prob(x)).data
    kl = dd.kl_divergence(p, q).data
    assert kl.shape == ratio.shape[1:] and np.all(kl >= 0)
    assert np.all(np.abs(ratio.mean(0) - kl) < 5 * ratio.std(0) / math.sqrt(len(ratio)) + 1e-12)


@pytest.mark.parametrize("case", INFINITE)
def test_divergences_where_p_draws_what_q_cannot_are_infinite(case):
    pair, parameters = KL_ADDED[case]
    p, q = pair(dd, _tensors(parameters))
    kl = dd.kl_divergence(p, q)
    assert kl.shape == p.batch_shape and np.all(np.isposinf(kl.data))


def test_the_edges_of_the_pareto_and_uniform_rules():
    f = lambda v: dp.tensor(v, dtype=np.float64)  # noqa: E731
    # a Pareto p reaching below q's scale, and moments q needs that p lacks (α ≤ 1, α ≤ 2)
    kl = dd.kl_divergence(dd.Pareto(f([1.0, 3.0]), f([2.0, 2.0])), dd.Pareto(f([2.0, 2.0]), f([1.0, 1.0]))).data
    assert np.isposinf(kl[0]) and np.isfinite(kl[1])
    assert np.isposinf(dd.kl_divergence(dd.Pareto(f(1.0), f(0.9)), dd.Exponential(f(1.0))).item())
    assert np.isposinf(dd.kl_divergence(dd.Pareto(f(1.0), f(1.5)), dd.Normal(f(0.0), 1.0)).item())
    assert np.isfinite(dd.kl_divergence(dd.Pareto(f(1.0), f(1.5)), dd.Gamma(f(2.0), 1.0)).item())
    assert np.isposinf(dd.kl_divergence(dd.Uniform(f(0.5), f(2.0)), dd.Pareto(f(1.0), f(2.0))).item())
    assert np.isposinf(dd.kl_divergence(dd.Uniform(f(-0.5), f(0.5)), dd.ContinuousBernoulli(f(0.3))).item())
    assert np.isposinf(dd.kl_divergence(dd.ContinuousBernoulli(f(0.3)), dd.Uniform(f(0.1), f(2.0))).item())
    # the same distribution: 0
    g = dd.Gumbel(f([0.3, -1.0]), f([2.0, 0.5]))
    np.testing.assert_allclose(dd.kl_divergence(g, g).data, 0.0, atol=1e-15)
    cb = dd.ContinuousBernoulli(f([0.2, 0.4995, 0.5, 0.8]))
    np.testing.assert_allclose(dd.kl_divergence(cb, cb).data, 0.0, atol=1e-15)
    # the chi-squared is a gamma: its divergence is the gamma rule's
    np.testing.assert_allclose(dd.kl_divergence(dd.Chi2(f(3.0)), dd.Chi2(f(5.0))).data,
                               dd.kl_divergence(dd.Gamma(f(1.5), 0.5), dd.Gamma(f(2.5), 0.5)).data, rtol=1e-14)


def test_transformed_distributions_need_equal_transforms():
    f = lambda v: dp.tensor(v, dtype=np.float64)  # noqa: E731
    p = dd.TransformedDistribution(dd.Normal(f(0.0), 1.0), [dd.ExpTransform()])
    q = dd.TransformedDistribution(dd.Normal(f(1.0), 2.0), [dd.ExpTransform()])
    np.testing.assert_allclose(dd.kl_divergence(p, q).data, dd.kl_divergence(p.base_dist, q.base_dist).data)
    with pytest.raises(NotImplementedError, match="transforms are equal"):
        dd.kl_divergence(p, dd.TransformedDistribution(dd.Normal(f(1.0), 2.0), [dd.SigmoidTransform()]))
    r = dd.TransformedDistribution(dd.Normal(f(np.zeros((2, 3))), 1.0), [dd.ReshapeTransform((3,), (3, 1))])
    assert r.event_shape == (3, 1) and dd.kl_divergence(r, r).shape == (2,)
    vectors = dd.TransformedDistribution(dd.Independent(dd.Normal(f(np.zeros(3)), 1.0), 1), [dd.ExpTransform()])
    numbers = dd.TransformedDistribution(dd.Normal(f(np.zeros(3)), 1.0), [dd.ExpTransform()])
    with pytest.raises(ShapeError, match=r"different event shapes, \(3,\) and \(\)"):
        dd.kl_divergence(vectors, numbers)
