"""deltaprop.distributions' mode, enumerate_support and the KL rules between families against
torch.distributions (PyTorch 2.13): values (NaN where PyTorch gives NaN) and gradients in float64
and float32, shapes and dtypes.

The checks without PyTorch (finite differences, values by hand, error sentences) are in
test_distribution_additions.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the distributions")
import torch.distributions as td  # noqa: E402

from distribution_cases import CASES  # noqa: E402
from distribution_cases_kl import BETWEEN, FINITE, INFINITE, THROUGH_DIGAMMA  # noqa: E402
from distribution_cases_more import NEW_CASES, NOT_DIFFERENTIATED  # noqa: E402

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}
ALL_CASES = {**CASES, **NEW_CASES}


def _twins(parameters: dict, dtype: str):
    ours = {k: dp.tensor(v.astype(dtype), dtype=getattr(np, dtype), requires_grad=k not in NOT_DIFFERENTIATED)
            for k, v in parameters.items()}
    theirs = {k: torch.tensor(v.astype(dtype), requires_grad=k not in NOT_DIFFERENTIATED) for k, v in parameters.items()}
    return ours, theirs


def _compare(result, expected, ours: dict, theirs: dict, tolerance: dict):
    """Equal values (NaN where PyTorch has NaN), dtypes and shapes; a gradient exactly where PyTorch's
    result has one, and then equal gradients of Σ g·result for one fixed g (NaN where PyTorch's is)."""
    assert result.shape == tuple(expected.shape)
    assert str(result.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **tolerance)
    assert result.requires_grad == expected.requires_grad
    if not expected.requires_grad:
        return
    g = np.random.default_rng(1).standard_normal(result.shape).astype(result.dtype)
    result.backward(g)
    expected.backward(torch.tensor(g))
    for name in theirs:
        if not theirs[name].requires_grad:
            continue
        expected_grad = np.zeros(theirs[name].shape) if theirs[name].grad is None else theirs[name].grad.numpy()
        got = np.zeros(ours[name].shape) if ours[name].grad is None else ours[name].grad
        np.testing.assert_allclose(got, expected_grad, err_msg=f"the gradient of {name}", **tolerance)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(ALL_CASES))
def test_mode_matches_pytorch(case, dtype):
    build, parameters, _, _ = ALL_CASES[case]
    ours, theirs = _twins(parameters, dtype)
    _compare(build(dd, ours).mode, build(td, theirs).mode, ours, theirs, TOLERANCES[dtype])


@pytest.mark.parametrize("family, parameters", [
    # α or β at, below and above 1: a peak inside, at an edge, at both edges (1, as PyTorch), none (NaN)
    ("Beta", dict(concentration1=[0.5, 0.5, 1.0, 1.0, 2.0, 0.5, 3.0, 1.0, 0.3],
                  concentration0=[0.5, 2.0, 1.0, 2.0, 0.5, 1.0, 3.0, 0.5, 0.7])),
    ("Dirichlet", dict(concentration=[[0.5, 0.7, 0.2], [1.0, 1.0, 1.0], [0.5, 1.0, 2.0], [2.0, 3.0, 4.0],
                                      [1.0, 0.5, 0.5], [1.5, 0.2, 1.0]])),
    ("Gamma", dict(concentration=[0.5, 1.0, 2.5], rate=[2.0, 2.0, 0.5])),
    ("Bernoulli", dict(probs=[0.2, 0.5, 0.7, 0.0, 1.0])),
    ("Bernoulli", dict(logits=[0.0, 1.0, -3.0])),
    ("Binomial", dict(total_count=[5.0, 5.0, 5.0, 0.0, 4.0, 9.0], probs=[0.5, 1.0, 0.0, 0.3, 0.2, 0.1])),
    ("Poisson", dict(rate=[0.0, 2.5, 3.0, 0.4])),
    ("Geometric", dict(probs=[1.0, 0.3])),
    ("Uniform", dict(low=[0.0, 1.0], high=[1.0, 3.0])),
    ("StudentT", dict(df=[0.5, 1.0, 3.0], loc=[1.0, -2.0, 0.5], scale=[2.0, 1.0, 0.5])),
    ("Categorical", dict(probs=[[0.3, 0.3, 0.4], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])),
    ("OneHotCategorical", dict(logits=[[0.3, 0.3, 0.4], [2.0, 2.0, -1.0]])),
])
def test_mode_at_the_edges_matches_pytorch(family, parameters):
    """Ties, peaks at the edge of the support and densities without one peak: PyTorch's values,
    NaNs and gradients (NaN where its 0/0 gives NaN)."""
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in parameters.items()}
    ours, theirs = _twins(arrays, "float64")
    mine = getattr(dd, family)(**ours)
    reference = getattr(td, family)(**theirs)
    with np.errstate(divide="ignore", invalid="ignore"):
        _compare(mine.mode, reference.mode, ours, theirs, dict(rtol=1e-15, atol=0))


SUPPORTED = {
    **{case: CASES[case] for case in CASES if case.startswith(("Bernoulli", "Categorical", "OneHotCategorical"))},
    # one total count for the batch, as PyTorch's enumerate_support requires
    **{f"Binomial({keyword})": (lambda m, t, k=keyword: m.Binomial(t["total_count"], **{k: t[k]}),
                                {"total_count": np.full((2, 3), 4.0), keyword: NEW_CASES[f"Binomial({keyword})"][1][keyword]},
                                None, None) for keyword in ("probs", "logits")},
    "Independent(Bernoulli, 0)": (lambda m, t: m.Independent(m.Bernoulli(t["probs"]), 0),
                                  {"probs": CASES["Bernoulli(probs)"][1]["probs"]}, None, None),
}


@pytest.mark.parametrize("case", list({**ALL_CASES, **SUPPORTED}))
def test_has_enumerate_support_matches_pytorch(case):
    build, parameters, _, _ = {**ALL_CASES, **SUPPORTED}[case]
    ours, theirs = _twins(parameters, "float64")
    assert build(dd, ours).has_enumerate_support == build(td, theirs).has_enumerate_support == (case in SUPPORTED)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("expand", [True, False])
@pytest.mark.parametrize("case", list(SUPPORTED))
def test_enumerate_support_matches_pytorch(case, expand, dtype):
    """The same values, shape and dtype, with and without expansion over the batch; and the same
    log-probabilities of them."""
    build, parameters, _, _ = SUPPORTED[case]
    ours, theirs = _twins(parameters, dtype)
    mine, reference = build(dd, ours), build(td, theirs)
    values, expected = mine.enumerate_support(expand), reference.enumerate_support(expand)
    assert values.shape == tuple(expected.shape) and str(values.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(values.data, expected.numpy())
    assert not values.requires_grad
    np.testing.assert_allclose(mine.log_prob(values).data, reference.log_prob(expected).detach().numpy(),
                               **TOLERANCES[dtype])


def test_enumerate_support_refusals_match_pytorch():
    """PyTorch raises NotImplementedError for these three; so does deltaprop, with a sentence."""
    for make in [lambda m, t: m.Binomial(t([3.0, 4.0]), t([0.2, 0.3])),
                 lambda m, t: m.Independent(m.Bernoulli(t([0.2, 0.3])), 1),
                 lambda m, t: m.Poisson(t([1.0]))]:
        for module, tensor in ((dd, lambda v: dp.tensor(v, dtype=np.float64)), (td, torch.tensor)):
            with pytest.raises(NotImplementedError):
                make(module, tensor).enumerate_support()


# through digamma's slope, where PyTorch's polygamma(1, ·) is up to ~5e-10 off (see test_torch_distributions.py),
# 1.8e-8 after the cancellations of KL(Beta ‖ Uniform)'s (deltaprop's agrees with SciPy's polygamma to 1e-14:
# test_distribution_additions.py)
THROUGH_TRIGAMMA = dict(rtol=5e-8, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", FINITE)
def test_kl_between_families_matches_pytorch(case, dtype):
    pair, parameters = BETWEEN[case]
    ours, theirs = _twins(parameters, dtype)
    result, expected = dd.kl_divergence(*pair(dd, ours)), td.kl_divergence(*pair(td, theirs))
    assert np.isfinite(result.data).all()
    slopes = THROUGH_TRIGAMMA if case in THROUGH_DIGAMMA and dtype == "float64" else TOLERANCES[dtype]
    _compare_kl(result, expected, ours, theirs, TOLERANCES[dtype], slopes)


def _compare_kl(result, expected, ours, theirs, values, slopes, nan_as_zero=False):
    """As _compare; with ``nan_as_zero``, a NaN in PyTorch's gradient where the divergence is +inf is
    compared as 0 (see below)."""
    assert result.shape == tuple(expected.shape) and result.dtype == np.dtype(str(expected.dtype)[6:])
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **values)
    assert result.requires_grad == expected.requires_grad
    if not expected.requires_grad:
        return
    g = np.random.default_rng(1).standard_normal(result.shape).astype(result.dtype)
    result.backward(g)
    expected.backward(torch.tensor(g))
    for name in theirs:
        if theirs[name].requires_grad:
            expected_grad = np.zeros(theirs[name].shape) if theirs[name].grad is None else theirs[name].grad.numpy()
            if nan_as_zero:  # (only where the divergence is +inf; the parameters have the result's shape)
                expected_grad = np.where(np.isinf(result.data), np.nan_to_num(expected_grad, nan=0.0), expected_grad)
            got = np.zeros(ours[name].shape) if ours[name].grad is None else ours[name].grad
            np.testing.assert_allclose(got, expected_grad, err_msg=f"the gradient of {name}", **slopes)


@pytest.mark.parametrize("case", INFINITE)
def test_kl_is_infinite_where_pytorch_says_so_for_every_element(case):
    pair, parameters = BETWEEN[case]
    ours, theirs = _twins(parameters, "float64")
    result, expected = dd.kl_divergence(*pair(dd, ours)), td.kl_divergence(*pair(td, theirs))
    assert np.isposinf(expected.numpy()).all()
    _compare_kl(result, expected, ours, theirs, dict(rtol=0), {})


@pytest.mark.parametrize("family_p, p, family_q, q", [
    # q's support does not cover p's for some elements: +inf there, with a zero gradient, and the others finite
    ("Beta", dict(concentration1=[2.0, 0.7, 1.5], concentration0=[3.0, 1.2, 0.8]),
     "Uniform", dict(low=[-0.5, 0.1, 0.0], high=[1.0, 1.5, 0.9])),
    ("Uniform", dict(low=[-0.1, 0.2, 0.0, 0.3], high=[0.5, 1.2, 1.0, 0.6]),
     "Beta", dict(concentration1=[2.0, 0.7, 1.5, 3.0], concentration0=[3.0, 1.2, 0.8, 0.5])),
    ("Uniform", dict(low=[-0.1, 0.2, 0.5], high=[0.5, 1.2, 3.0]), "Exponential", dict(rate=[2.0, 0.7, 1.5])),
    ("Uniform", dict(low=[-0.1, 0.2, 0.5], high=[0.5, 1.2, 3.0]), "Gamma", dict(concentration=[2.0, 0.7, 1.5],
                                                                                 rate=[1.0, 3.0, 0.5])),
])
def test_kl_between_families_at_the_edge_of_the_support_matches_pytorch(family_p, p, family_q, q):
    parameters = {**{"p." + k: np.array(v) for k, v in p.items()}, **{"q." + k: np.array(v) for k, v in q.items()}}
    ours, theirs = _twins(parameters, "float64")

    def pair(module, t):
        return (getattr(module, family_p)(**{k[2:]: v for k, v in t.items() if k.startswith("p.")}),
                getattr(module, family_q)(**{k[2:]: v for k, v in t.items() if k.startswith("q.")}))

    result, expected = dd.kl_divergence(*pair(dd, ours)), td.kl_divergence(*pair(td, theirs))
    assert np.isinf(expected.detach().numpy()).any() and np.isfinite(expected.detach().numpy()).any()
    slopes = THROUGH_TRIGAMMA if family_p == "Beta" else TOLERANCES["float64"]
    # where the divergence is +inf (a constant) deltaprop's gradient is 0; PyTorch's is NaN where a
    # Uniform reaches below 0 (its x·ln x of a negative bound, times 0)
    _compare_kl(result, expected, ours, theirs, TOLERANCES["float64"], slopes, nan_as_zero=True)
    assert all((leaf.grad[np.isinf(result.data)] == 0).all() for leaf in ours.values())


def test_kl_of_a_poisson_of_rate_zero_from_a_bounded_family_differs_from_pytorch_on_purpose():
    """Poisson(0) is the point 0, which a Bernoulli or a Binomial can draw: its divergence is
    −ln q(0), finite; PyTorch gives +inf for every rate."""
    rate = dp.tensor([0.0, 1.5], dtype=np.float64)
    for q, expected in [(dd.Bernoulli(dp.tensor(0.3, dtype=np.float64)), -np.log(0.7)),
                        (dd.Binomial(4, dp.tensor(0.3, dtype=np.float64)), -4 * np.log(0.7))]:
        result = dd.kl_divergence(dd.Poisson(rate), q).data
        np.testing.assert_allclose(result, [expected, np.inf], rtol=1e-14)
    reference = td.kl_divergence(td.Poisson(torch.tensor([0.0, 1.5])), td.Bernoulli(torch.tensor(0.3)))
    assert np.isposinf(reference.numpy()).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gamma_rsample_gradient_matches_pytorchs_on_the_same_draws(dtype):
    """dx/dα against PyTorch's own slope of the same draws (torch._standard_gamma_grad, what its rsample's
    backward uses). PyTorch approximates it: on these draws it is within 4.6e-4 of deltaprop's (median
    5e-6), and 3.6e-3 off at worst in the far tails, measured against mpmath, where deltaprop's agrees
    to 2e-14 (test_distribution_additions.py); dx/dβ = −x/β exactly."""
    alpha = np.repeat([0.05, 0.3, 1.0, 2.5, 10.0, 100.0, 1000.0], 40).astype(dtype)
    rate = np.tile([0.5, 2.0], len(alpha) // 2).astype(dtype)
    ours = {k: dp.tensor(v, dtype=getattr(np, dtype), requires_grad=True) for k, v in (("concentration", alpha), ("rate", rate))}
    dp.manual_seed(3)
    x = dd.Gamma(**ours).rsample()
    assert x.requires_grad and x.dtype == np.dtype(dtype)
    x.backward(np.ones(x.shape, dtype=dtype))
    z = torch.tensor(x.data * rate)
    expected = torch._standard_gamma_grad(torch.tensor(alpha), z).numpy() / rate
    np.testing.assert_allclose(ours["concentration"].grad, expected, rtol=1e-3, atol=0)
    np.testing.assert_allclose(ours["rate"].grad, -x.data / rate, rtol=1e-6 if dtype == "float32" else 1e-14)
