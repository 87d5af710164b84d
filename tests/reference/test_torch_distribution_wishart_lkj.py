"""Wishart, LKJCholesky and ExponentialFamily against torch.distributions (PyTorch 2.13): log_prob,
entropy, mean, mode and variance with their gradients for each way of giving the matrix, the KL of
two Wisharts (PyTorch's exponential-family rule), the base's entropy, the families PyTorch derives from
ExponentialFamily, LKJCholesky's log_prob, and the module names of torch.distributions.

PyTorch's LKJCholesky sampler (2.13) draws row i ≥ 2 with a Beta(i − ½, ·) where the onion method
needs Beta(i/2, ·): its correlations' variance is off for dim ≥ 3 (see test_lkj_pytorchs_draws_differ).
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the distributions")
import torch.distributions as td  # noqa: E402

from distribution_checks import compare_with_pytorch  # noqa: E402

SIGMA = np.array([[2.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 0.5]])
X = np.array([[[3.0, 0.5, 0.1], [0.5, 2.0, -0.3], [0.1, -0.3, 1.0]], [[1.0, 0.2, 0.0], [0.2, 0.8, 0.1],
                                                                      [0.0, 0.1, 0.6]]])
MATRICES = {"covariance_matrix": SIGMA, "precision_matrix": np.linalg.inv(SIGMA),
            "scale_tril": np.linalg.cholesky(SIGMA)}


def _pair(dtype, given, df=(4.5, 7.0)):
    df = np.array(df)
    ours = {"df": dp.tensor(df.astype(dtype), dtype=getattr(np, dtype), requires_grad=True),
            given: dp.tensor(MATRICES[given].astype(dtype), dtype=getattr(np, dtype), requires_grad=True)}
    theirs = {"df": torch.tensor(df.astype(dtype), requires_grad=True),
              given: torch.tensor(MATRICES[given].astype(dtype), requires_grad=True)}
    return ours, theirs


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("given", list(MATRICES))
@pytest.mark.parametrize("quantity", ["log_prob", "entropy", "mean", "mode", "variance"])
def test_wishart_matches_pytorch(quantity, given, dtype):
    ours, theirs = _pair(dtype, given)
    # (scale_tril as the lower triangle of a leaf: its upper triangle is no parameter, PyTorch's
    # log_prob nevertheless gives it a gradient)
    tril = lambda kw: {k: v.tril() if k == "scale_tril" else v for k, v in kw.items()}  # noqa: E731
    a, b = dd.Wishart(**tril(ours)), td.Wishart(**tril(theirs))
    if quantity == "log_prob":
        result, expected = a.log_prob(dp.tensor(X.astype(dtype), dtype=getattr(np, dtype))), b.log_prob(torch.tensor(X.astype(dtype)))
    elif quantity == "entropy":
        result, expected = a.entropy(), b.entropy()
    else:
        result, expected = getattr(a, quantity), getattr(b, quantity)
    tolerance = dict(rtol=1e-9, atol=1e-11) if dtype == "float64" else dict(rtol=5e-5, atol=5e-5)
    compare_with_pytorch(result, expected, ours, theirs, dtype, tolerance)


@pytest.mark.parametrize("given", list(MATRICES))
def test_wishart_kl_and_the_bases_entropy_match_pytorch(given):
    # one p at a time: PyTorch's rule sums the scalar natural parameter's term over the batch too
    ours, theirs = _pair("float64", given, df=4.5)
    q_ours = dd.Wishart(dp.tensor(5.0, dtype=np.float64), covariance_matrix=dp.tensor(2 * SIGMA, dtype=np.float64))
    q_theirs = td.Wishart(torch.tensor(5.0, dtype=torch.float64), covariance_matrix=torch.tensor(2 * SIGMA))
    tolerance = dict(rtol=1e-9, atol=1e-11)
    # values only: PyTorch's rule detaches p's natural parameters, so its gradient to p misses the
    # terms through ∇F(θp); ours is checked against finite differences instead
    np.testing.assert_allclose(dd.kl_divergence(dd.Wishart(**ours), q_ours).data,
                               td.kl_divergence(td.Wishart(**theirs), q_theirs).detach().numpy(), **tolerance)
    dd.Distribution.set_default_validate_args(False)
    try:
        # (each matrix from its lower triangle, the one entry of each symmetric pair that is read)
        lower = (lambda m: m.tril()) if given == "scale_tril" else (lambda m: m.tril() + m.tril(-1).mT)
        assert dp.gradcheck(lambda df, m: dd.kl_divergence(dd.Wishart(df, **{given: lower(m)}), q_ours),
                            (ours["df"], ours[given]))
    finally:
        dd.Distribution.set_default_validate_args(True)
    a, b = dd.Wishart(**_pair("float64", given)[0]), td.Wishart(**_pair("float64", given)[1])
    np.testing.assert_allclose(dd.ExponentialFamily.entropy(a).data, td.ExponentialFamily.entropy(b).detach().numpy(),
                               **tolerance)
    np.testing.assert_allclose(a._log_normalizer(*a._natural_params).data,
                               b._log_normalizer(*b._natural_params).detach().numpy(), **tolerance)


def test_the_same_families_are_exponential_families():
    theirs = sorted(n for n in td.__all__ if isinstance(getattr(td, n), type)
                    and issubclass(getattr(td, n), td.ExponentialFamily))
    ours = sorted(n for n in dd.__all__ if isinstance(getattr(dd, n), type)
                  and issubclass(getattr(dd, n), dd.ExponentialFamily))
    assert ours == theirs


def test_every_module_of_torch_distributions_has_a_path_here():
    import importlib

    theirs = [n for n in dir(td) if type(getattr(td, n)).__name__ == "module"]
    for name in theirs:
        importlib.import_module(f"deltaprop.distributions.{name}")
        assert getattr(dd, name).__name__.startswith("deltaprop.distributions")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("dim", [2, 3, 5])
def test_lkj_log_prob_matches_pytorch(dim, dtype):
    dp.manual_seed(dim)
    eta = np.array([0.4, 1.0, 2.5])
    values = dd.LKJCholesky(dim, dp.tensor(eta, dtype=np.float64)).sample((4,)).data.astype(dtype)
    ours = {"concentration": dp.tensor(eta.astype(dtype), dtype=getattr(np, dtype), requires_grad=True)}
    theirs = {"concentration": torch.tensor(eta.astype(dtype), requires_grad=True)}
    result = dd.LKJCholesky(dim, **ours).log_prob(dp.tensor(values, dtype=getattr(np, dtype)))
    expected = td.LKJCholesky(dim, **theirs).log_prob(torch.tensor(values))
    tolerance = dict(rtol=1e-9, atol=1e-10) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    compare_with_pytorch(result, expected, ours, theirs, dtype, tolerance)
    d, t = dd.LKJCholesky(dim, ours["concentration"]), td.LKJCholesky(dim, theirs["concentration"])
    assert d.batch_shape == tuple(t.batch_shape) and d.event_shape == tuple(t.event_shape)
    assert d.has_rsample == t.has_rsample and d.expand((2, 3)).batch_shape == tuple(t.expand((2, 3)).batch_shape)


def test_lkj_pytorchs_draws_differ():
    # the correlation R_21 of dim 3, η = 1 has variance 1/(2η + d − 1) = 1/4: ours has it, PyTorch's not
    torch.manual_seed(0)
    dp.manual_seed(0)
    L_theirs = td.LKJCholesky(3, torch.tensor(1.0, dtype=torch.float64)).sample((40000,)).numpy()
    L_ours = dd.LKJCholesky(3, 1.0).sample((40000,)).data
    variance = lambda L: (L @ np.swapaxes(L, -1, -2))[:, 2, 1].var()  # noqa: E731
    assert abs(variance(L_ours) - 0.25) < 0.01
    assert abs(variance(L_theirs) - 0.25) > 0.03
