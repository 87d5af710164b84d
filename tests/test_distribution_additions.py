"""deltaprop.distributions' mode, enumerate_support and the KL rules between families, on their
own: the mode against the log-probability around it, gradients against finite differences
(float64), supports against the distributions' own probabilities, divergences against the mean
log-ratio of draws, and the sentences that refuse what cannot be computed.

The comparisons with torch.distributions are in reference/test_torch_distribution_additions.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd
from deltaprop.distributions.implicit_gamma import standard_gamma_slope

from distribution_cases import CASES
from distribution_cases_kl import BETWEEN, FINITE, INFINITE, NOT_DIFFERENTIATED
from distribution_cases_more import NEW_CASES

ALL_CASES = {**CASES, **NEW_CASES}
DISCRETE = ("Bernoulli", "Poisson", "Geometric", "Binomial")


def _built(case):
    build, parameters, _, _ = ALL_CASES[case]
    return build(dd, {k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c != "Uniform"])  # (a Uniform's mode is NaN)
def test_mode_scores_at_least_its_neighbours(case):
    """No value beside the mode is more probable: ±1 for the counts, ±10⁻³ (kept in the support)
    for the densities, the other classes for the categorical families."""
    d = _built(case)
    mode = d.mode
    assert mode.shape == d.batch_shape + d.event_shape
    top = d.log_prob(mode).data
    if case.startswith(("Categorical", "OneHotCategorical")):
        np.testing.assert_allclose(top, np.max(d.logits.data, -1), rtol=1e-15)
        return
    if case.startswith(DISCRETE):
        steps = [-1.0, 1.0]
    elif case == "Dirichlet":
        steps = [np.array([1e-3, -1e-3, 0, 0]), np.array([0, 0, -1e-3, 1e-3])]
    elif case.startswith("MultivariateNormal"):
        steps = [np.array([1e-3, 0, 0]), np.array([0, -1e-3, 1e-3])]
    else:
        steps = [-1e-3, 1e-3]
    compared = 0
    for step in steps:
        x = mode.data + step
        inside = d.support.check(x)  # (a neighbour outside the support is replaced by the mode itself)
        inside = np.broadcast_to(inside[..., None] if d.support.event_dim else inside, x.shape)
        neighbour = d.log_prob(dp.tensor(np.where(inside, x, mode.data), dtype=np.float64)).data
        assert np.all(top >= neighbour), (step, top, neighbour)
        compared += inside.sum()
    assert compared >= mode.data.size // 2  # (every mode has a neighbour; all but the Binomial's n on both sides)


@pytest.mark.parametrize("case", ["Gamma", "Beta", "Dirichlet", "LogNormal"])
def test_mode_gradients_match_finite_differences(case):
    build, parameters, _, _ = ALL_CASES[case]
    names = list(parameters)
    # shapes above 1 (a peak inside the support, away from the kink of the clamp at 1)
    leaves = [dp.tensor(v + (1.0 if case != "LogNormal" else 0.0), dtype=np.float64, requires_grad=True)
              for v in parameters.values()]
    assert dp.gradcheck(lambda *t: build(dd, dict(zip(names, t))).mode, leaves)


def test_mode_by_hand():
    f = lambda v: dp.tensor(v, dtype=np.float64)  # noqa: E731
    np.testing.assert_allclose(dd.Gamma(f([3.0, 0.5]), f([2.0, 2.0])).mode.data, [1.0, 0.0], rtol=1e-15)
    assert dd.Beta(f(3.0), f(2.0)).mode.item() == pytest.approx(2 / 3, rel=1e-15)
    np.testing.assert_allclose(dd.Dirichlet(f([2.0, 3.0, 5.0])).mode.data, [1 / 7, 2 / 7, 4 / 7], rtol=1e-15)
    assert dd.LogNormal(f(1.0), f(0.5)).mode.item() == pytest.approx(np.exp(0.75), rel=1e-15)
    np.testing.assert_array_equal(dd.Binomial(f([10.0, 4.0]), f([0.35, 1.0])).mode.data, [3.0, 4.0])
    np.testing.assert_array_equal(dd.Poisson(f([3.7, 0.2])).mode.data, [3.0, 0.0])
    assert dd.Categorical(f([0.1, 0.6, 0.3])).mode.item() == 1 and dd.Categorical(f([0.5, 0.5])).mode.dtype == np.int64
    independent = dd.Independent(dd.Gamma(f([[3.0, 5.0]]), 2.0), 1)
    np.testing.assert_allclose(independent.mode.data, [[1.0, 2.0]], rtol=1e-15)


def test_a_distribution_without_a_mode_says_so():
    class Unpeaked(dd.Distribution):
        pass

    with pytest.raises(NotImplementedError) as caught:
        Unpeaked().mode
    assert str(caught.value) == "Unpeaked does not define mode"


@pytest.mark.parametrize("make, size", [
    (lambda f: dd.Bernoulli(f([[0.2, 0.7, 1.0]])), 2),
    (lambda f: dd.Categorical(logits=f([[0.3, -1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0]])), 4),
    (lambda f: dd.OneHotCategorical(f([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])), 3),
    (lambda f: dd.Binomial(f([6.0, 6.0]), logits=f([0.4, -2.0])), 7),
    (lambda f: dd.Binomial(0, f([0.4])), 1),
    (lambda f: dd.Independent(dd.Bernoulli(f([0.3, 0.6])), 0), 2),
])
def test_the_enumerated_support_carries_all_the_probability(make, size):
    """Each value once, in the support, their probabilities summing to 1 for every element of the
    batch; unexpanded, the same values with the batch dimensions kept at 1."""
    d = make(lambda v: dp.tensor(v, dtype=np.float64))
    assert d.has_enumerate_support
    values = d.enumerate_support()
    assert values.shape == (size,) + d.batch_shape + d.event_shape
    assert d.support.check(values.data).all()
    np.testing.assert_allclose(d.log_prob(values).exp().sum(0).data, np.ones(d.batch_shape), rtol=1e-13)
    narrow = d.enumerate_support(expand=False)
    assert narrow.shape == (size,) + (1,) * len(d.batch_shape) + d.event_shape
    np.testing.assert_array_equal(np.broadcast_to(narrow.data, values.shape), values.data)
    assert len(np.unique(narrow.data.reshape(size, -1), axis=0)) == size


@pytest.mark.parametrize("make, message", [
    (lambda: dd.Binomial(dp.tensor([3.0, 5.0]), 0.5), "Binomial: enumerate_support needs one total_count for the "
     "whole batch, as in PyTorch, got counts from 3 to 5"),
    (lambda: dd.Independent(dd.Bernoulli(dp.tensor([[0.5, 0.2]])), 2), "Independent: enumerate_support over the "
     "product of 2 reinterpreted batch dimensions is not implemented, as in PyTorch"),
    (lambda: dd.Poisson(2.0), "Poisson has no enumerate_support (its support is not a finite set)"),
    (lambda: dd.Normal(0.0, 1.0), "Normal has no enumerate_support (its support is not a finite set)"),
])
def test_enumerate_support_is_refused_in_one_sentence(make, message):
    d = make()
    assert d.has_enumerate_support == isinstance(d, dd.Binomial)  # (a Binomial's flag is its family's, as PyTorch's)
    with pytest.raises(NotImplementedError) as caught:
        d.enumerate_support()
    assert str(caught.value) == message


def _kl_leaves(parameters: dict) -> dict:
    return {k: dp.tensor(v, dtype=np.float64, requires_grad=k not in NOT_DIFFERENTIATED) for k, v in parameters.items()}


@pytest.mark.parametrize("case", FINITE)
def test_kl_between_families_gradients_match_finite_differences(case):
    pair, parameters = BETWEEN[case]
    leaves = _kl_leaves(parameters)
    names = list(leaves)
    assert dp.gradcheck(lambda *t: dd.kl_divergence(*pair(dd, dict(zip(names, t)))), list(leaves.values()))


@pytest.mark.parametrize("case", FINITE)
def test_kl_between_families_is_the_mean_log_ratio_of_draws(case):
    """KL(p ‖ q) = E_p[ln p − ln q], estimated from 200,000 draws of p to within 5 standard errors."""
    pair, parameters = BETWEEN[case]
    p, q = pair(dd, {k: dp.tensor(v[:1, :2], dtype=np.float64) for k, v in parameters.items()})
    dp.manual_seed(9)
    x = p.sample((200_000,))
    ratio = (p.log_prob(x) - q.log_prob(x)).data
    kl = dd.kl_divergence(p, q).data
    assert np.all(np.abs(ratio.mean(0) - kl) < 5 * ratio.std(0) / np.sqrt(len(ratio)) + 1e-12)


@pytest.mark.parametrize("case", INFINITE)
def test_kl_is_infinite_where_p_draws_what_q_cannot(case):
    pair, parameters = BETWEEN[case]
    result = dd.kl_divergence(*pair(dd, _kl_leaves(parameters)))
    assert result.shape == (2, 3) and np.isposinf(result.data).all() and not result.requires_grad


def test_kl_of_a_beta_has_the_exact_slope_of_its_entropy():
    """d KL(Beta(α, β) ‖ Uniform(a, b))/dα = −dH/dα = (α − 1)ψ′(α) − (α + β − 2)ψ′(α + β), with SciPy's
    trigamma ψ′ (PyTorch's is 2e-8 off here, after the cancellation)."""
    from scipy.special import polygamma

    pair, parameters = BETWEEN["Beta-Uniform"]
    leaves = _kl_leaves(parameters)
    dd.kl_divergence(*pair(dd, leaves)).sum().backward()
    a, b = parameters["p.concentration1"], parameters["p.concentration0"]
    np.testing.assert_allclose(leaves["p.concentration1"].grad,
                               (a - 1) * polygamma(1, a) - (a + b - 2) * polygamma(1, a + b), rtol=1e-13)
    np.testing.assert_allclose(leaves["p.concentration0"].grad,
                               (b - 1) * polygamma(1, b) - (a + b - 2) * polygamma(1, a + b), rtol=1e-13)
    np.testing.assert_allclose(leaves["q.high"].grad, 1 / (parameters["q.high"] - parameters["q.low"]), rtol=1e-14)


def test_kl_of_a_poisson_of_rate_zero_is_minus_the_log_probability_of_zero():
    rate = dp.tensor([[0.0], [2.0]], dtype=np.float64)
    logits = dp.tensor([0.4, -1.0], dtype=np.float64, requires_grad=True)
    result = dd.kl_divergence(dd.Poisson(rate), dd.Binomial(3, logits=logits))
    assert result.shape == (2, 2) and np.isposinf(result.data[1]).all()
    np.testing.assert_allclose(result.data[0], 3 * np.log1p(np.exp(logits.data)), rtol=1e-14)  # −3 ln(1 − σ(ℓ))
    result[0].sum().backward()
    np.testing.assert_allclose(logits.grad, 3 / (1 + np.exp(-logits.data)), rtol=1e-14)


def _gamma_cdf_slope(alpha, z, step):
    """dz/dα = −(∂P(α, z)/∂α)/p(z; α), ∂P/∂α by central differences of SciPy's gammainc."""
    from scipy.special import gammainc, gammaln

    dp_da = (gammainc(alpha + step, z) - gammainc(alpha - step, z)) / (2 * step)
    return -dp_da / np.exp((alpha - 1) * np.log(z) - z - gammaln(alpha))


@pytest.mark.parametrize("alpha", [0.1, 0.7, 1.0, 3.0, 30.0, 500.0])
def test_gamma_draws_slope_matches_finite_differences_of_the_distribution_function(alpha):
    from scipy.stats import gamma

    z = gamma(alpha).ppf([0.001, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999])
    z = np.concatenate([z, [alpha + 1 - 1e-9, alpha + 1 + 1e-9]])  # (either side of the switch of expansions)
    a = np.full(z.shape, alpha)
    np.testing.assert_allclose(standard_gamma_slope(a, z), _gamma_cdf_slope(a, z, 1e-5 * alpha), rtol=1e-6)


def test_gamma_draws_slope_in_the_far_tails_matches_mpmath():
    """To 1e-12 where central differences lose their digits (probabilities 10⁻¹² from either end)."""
    mp = pytest.importorskip("mpmath", reason="mpmath gives the slope to 30 digits")
    from scipy.stats import gamma

    mp.mp.dps = 30
    for alpha in [0.05, 1.0, 40.0]:
        z = gamma(alpha).ppf([1e-12, 1e-6, 1 - 1e-6, 1 - 1e-12])
        exact = [float(-mp.diff(lambda t: mp.gammainc(t, 0, mp.mpf(v), regularized=True), alpha)
                       / mp.exp((alpha - 1) * mp.log(v) - v - mp.loggamma(alpha))) for v in z]
        np.testing.assert_allclose(standard_gamma_slope(np.full(4, alpha), z), exact, rtol=1e-12)


def _mean_gradient(make, f, parameters: dict, n: int = 20_000):
    """Per-draw gradients of f(x) for n draws (each with its own copy of the parameters, so that each
    gradient is one draw's): their means and standard errors, per parameter."""
    leaves = {k: dp.tensor(np.broadcast_to(v, (n,) + np.shape(v)).copy(), dtype=np.float64, requires_grad=True)
              for k, v in parameters.items()}
    dp.manual_seed(21)
    f(make(**leaves).rsample()).sum().backward()
    return {k: (leaf.grad.mean(0), leaf.grad.std(0) / np.sqrt(n)) for k, leaf in leaves.items()}


@pytest.mark.parametrize("family, parameters, f, expected", [
    # the gradient of E[f(x)] in closed form, for f(x) = x and others that the gamma draws' slopes reach
    ("Gamma", dict(concentration=0.6, rate=2.0), lambda x: x, dict(concentration=1 / 2.0, rate=-0.6 / 4.0)),
    ("Gamma", dict(concentration=4.0, rate=0.5), lambda x: x.log(),  # E[ln x] = ψ(α) − ln β
     dict(concentration=0.28382295573711532, rate=-2.0)),  # ψ′(4) = π²/6 − 1 − 1/4 − 1/9
    ("Beta", dict(concentration1=0.8, concentration0=2.5), lambda x: x,
     dict(concentration1=2.5 / 3.3 ** 2, concentration0=-0.8 / 3.3 ** 2)),
    ("Dirichlet", dict(concentration=np.array([0.5, 2.0, 1.5])), lambda x: x[:, 0],
     dict(concentration=np.array([3.5, -0.5, -0.5]) / 16)),
    # E[(x − loc)²] = σ²ν/(ν − 2): its slope is −2σ²/(ν − 2)² in ν and 2σν/(ν − 2) in σ
    ("StudentT", dict(df=9.0, loc=1.0, scale=0.5), lambda x: (x - 1.0) ** 2,
     dict(df=-2 * 0.25 / 49, loc=0.0, scale=2 * 0.5 * 9 / 7)),
])
def test_rsample_gradients_average_to_the_gradient_of_the_expectation(family, parameters, f, expected):
    """Implicit reparametrisation is unbiased: the mean of the per-draw gradients is ∂E[f(x)]/∂θ,
    here to within 5 standard errors of 20,000 draws."""
    found = _mean_gradient(getattr(dd, family), f, parameters)
    for name, value in expected.items():
        mean, error = found[name]
        assert np.all(np.abs(mean - value) < 5 * error + 1e-12), (name, mean, value, error)


@pytest.mark.parametrize("make", [
    lambda f: dd.Gamma(f([0.5, 3.0]), f([1.0, 2.0])),
    lambda f: dd.Beta(f([0.5, 3.0]), f([1.0, 2.0])),
    lambda f: dd.Dirichlet(f([[0.5, 3.0, 1.0]])),
    lambda f: dd.StudentT(f([2.5, 30.0]), f([0.0, 1.0]), f([1.0, 2.0])),
])
def test_rsample_draws_what_sample_draws_and_reaches_every_parameter(make):
    leaves = []

    def f(v):
        leaves.append(dp.tensor(v, dtype=np.float64, requires_grad=True))
        return leaves[-1]

    d = make(f)
    dp.manual_seed(4)
    x = d.rsample((5,))
    dp.manual_seed(4)
    np.testing.assert_array_equal(x.data, d.sample((5,)).data)
    assert d.has_rsample and x.requires_grad and x.shape == (5,) + d.batch_shape + d.event_shape
    (x * dp.tensor(np.random.default_rng(0).standard_normal(x.shape))).sum().backward()
    assert all(leaf.grad is not None and np.isfinite(leaf.grad).all() and (leaf.grad != 0).all() for leaf in leaves)
