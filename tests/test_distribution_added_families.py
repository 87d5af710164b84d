"""deltaprop.distributions' families added with the transforms, on their own: gradients against
finite differences (float64), draws by their statistics, values against SciPy and by hand, the
distribution functions against the densities, and the sentences that refuse bad parameters,
values and shapes.

The comparisons with torch.distributions are in reference/test_torch_distribution_added_families.py.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import special, stats

import deltaprop as dp
import deltaprop.distributions as dd
from deltaprop.errors import ConfigError, DataError, ShapeError

from distribution_checks import assert_draws_repeat_under_manual_seed, unvalidated_gradcheck
from distribution_cases_added import (ADDED_CASES, NOT_DIFFERENTIATED, PROBABILITIES, QUANTITIES, WITH_CDF,
                                      WITH_ICDF)


def _leaves(parameters: dict) -> dict:
    return {k: dp.tensor(v, dtype=np.float64, requires_grad=k not in NOT_DIFFERENTIATED) for k, v in parameters.items()}


_GRADIENT_CASES = sorted({(case, q) for case in ADDED_CASES for q in QUANTITIES[case]}
                         | {(case, "cdf") for case in WITH_CDF} | {(case, "icdf") for case in WITH_ICDF})


@pytest.mark.parametrize("case, quantity", _GRADIENT_CASES)
def test_gradients_match_finite_differences(case, quantity):
    build, parameters, value, differentiable = ADDED_CASES[case]
    leaves = _leaves(parameters)
    names = list(leaves)
    argument = PROBABILITIES if quantity == "icdf" else value
    inputs = list(leaves.values()) + [dp.tensor(argument, dtype=np.float64, requires_grad=differentiable)]

    def fn(*tensors):
        d = build(dd, dict(zip(names, tensors)))
        if quantity in ("log_prob", "cdf", "icdf"):
            return getattr(d, quantity)(tensors[-1])
        return d.entropy() if quantity == "entropy" else getattr(d, quantity)

    assert unvalidated_gradcheck(fn, inputs)


@pytest.mark.parametrize("case", list(ADDED_CASES))
def test_second_derivatives_of_log_prob_match_finite_differences(case):
    """Every family is written with deltaprop's differentiable operations: its log-density's gradient
    has gradients too (for variational objectives and second-order methods)."""
    build, parameters, value, differentiable = ADDED_CASES[case]
    leaves = _leaves(parameters)
    names = list(leaves)
    inputs = list(leaves.values()) + [dp.tensor(value, dtype=np.float64, requires_grad=differentiable)]
    assert unvalidated_gradcheck(lambda *t: build(dd, dict(zip(names, t[:-1]))).log_prob(t[-1]), inputs,
                                 dp.autograd.gradgradcheck)


def _small(parameters: dict, **changes) -> dict:
    """The first row's first two elements of each parameter (scalars kept), with ``changes``."""
    picked = {k: (v[:1, :2] if v.ndim >= 2 else v) for k, v in parameters.items()}
    return {k: dp.tensor(v, dtype=np.float64) for k, v in {**picked, **changes}.items()}


# the cases whose sample variance settles (finite fourth moments), with the parameters that make it so
_STATISTICS = {
    "Gumbel": {}, "Weibull": {}, "Chi2": {}, "Kumaraswamy": {}, "ContinuousBernoulli(probs)": {},
    "ContinuousBernoulli(logits)": {}, "NegativeBinomial(probs)": {}, "NegativeBinomial(logits)": {},
    "Pareto": {"alpha": np.array([[4.5, 6.0]])},
    "FisherSnedecor": {"df2": np.array([[10.0, 14.0]])},
    "InverseGamma": {"concentration": np.array([[4.5, 6.0]])},
    "GeneralizedPareto": {"concentration": np.array([[-0.3, 0.2]])},
    "Multinomial": {}, "LowRankMultivariateNormal": {}, "MixtureSameFamily": {}, "MixtureSameFamily(vectors)": {},
}


@pytest.mark.parametrize("case", list(_STATISTICS))
def test_draws_have_the_distributions_mean_and_variance(case):
    build, parameters, _, _ = ADDED_CASES[case]
    d = build(dd, _small(parameters, **_STATISTICS[case]))
    dp.manual_seed(11)
    n = 40_000
    x = d.sample((n,)).data
    mean, variance = d.mean.data, d.variance.data
    assert x.shape == (n,) + d.batch_shape + d.event_shape
    assert np.all(np.abs(x.mean(0) - mean) < 5 * np.sqrt(variance / n))
    np.testing.assert_allclose(x.var(0), variance, rtol=0.06)
    if d.support.is_discrete:
        assert np.all(x == np.round(x)) and np.all(x >= 0)
    assert d.support.check(x).all()


def test_low_rank_draws_have_the_covariance_and_agree_with_the_full_normal():
    build, parameters, value, _ = ADDED_CASES["LowRankMultivariateNormal"]
    d = build(dd, {k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})
    full = dd.MultivariateNormal(d.loc, covariance_matrix=d.covariance_matrix)
    x = dp.tensor(value, dtype=np.float64)
    np.testing.assert_allclose(d.log_prob(x).data, full.log_prob(x).data, rtol=1e-12)
    np.testing.assert_allclose(d.entropy().data, full.entropy().data, rtol=1e-12)
    np.testing.assert_allclose(d.precision_matrix.data, np.linalg.inv(d.covariance_matrix.data), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d.scale_tril.data, np.linalg.cholesky(d.covariance_matrix.data), rtol=1e-12)
    dp.manual_seed(3)
    draws = d.sample((40_000,)).data[:, 0]
    np.testing.assert_allclose(np.cov(draws.T), d.covariance_matrix.data[0], atol=0.06)


def test_von_mises_draws_wrap_around_and_have_the_circular_moments():
    d = dd.VonMises(dp.tensor([3.0, -1.0, 0.5], dtype=np.float64), dp.tensor([4.0, 0.5, 30.0], dtype=np.float64))
    assert not d.has_rsample
    dp.manual_seed(2)
    x = d.sample((40_000,)).data
    assert np.all((x >= -np.pi) & (x < np.pi))
    # E[cos(x − μ)] = I₁(κ)/I₀(κ) = 1 − the circular variance, and E[sin(x − μ)] = 0
    c, s = np.cos(x - d.loc.data), np.sin(x - d.loc.data)
    assert np.all(np.abs(c.mean(0) - (1 - d.variance.data)) < 5 * c.std(0) / 200)
    assert np.all(np.abs(s.mean(0)) < 5 * s.std(0) / 200)
    kappa = np.array([4.0, 0.5, 30.0])
    np.testing.assert_allclose(d.log_prob(dp.tensor(x[:5], dtype=np.float64)).data,
                               stats.vonmises.logpdf(x[:5], kappa, loc=d.loc.data), rtol=1e-12)


def test_relaxed_draws_choose_like_the_discrete_ones():
    """The argmax of a Concrete draw is a categorical draw at any temperature (the Gumbel-max trick);
    a relaxed Bernoulli draw exceeds ½ with probability p."""
    probs = np.array([0.2, 0.5, 0.3])
    d = dd.RelaxedOneHotCategorical(dp.tensor(2.0, dtype=np.float64), dp.tensor(probs, dtype=np.float64))
    dp.manual_seed(5)
    x = d.sample((40_000,)).data
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    frequencies = np.bincount(x.argmax(-1), minlength=3) / len(x)
    assert np.all(np.abs(frequencies - probs) < 5 * np.sqrt(probs * (1 - probs) / len(x)))
    b = dd.RelaxedBernoulli(0.5, dp.tensor([0.1, 0.7], dtype=np.float64))
    y = b.sample((40_000,)).data
    assert np.all((y > 0) & (y < 1))
    assert np.all(np.abs((y > 0.5).mean(0) - [0.1, 0.7]) < 5 * np.sqrt(0.25 / len(y)))
    # the rsample gradient reaches the logits
    logits = dp.tensor([0.3, -0.2], dtype=np.float64, requires_grad=True)
    dd.RelaxedBernoulli(0.5, logits=logits).rsample((3,)).sum().backward()
    assert np.all(logits.grad > 0)


def test_logistic_normal_draws_are_stick_broken_normals():
    d = dd.LogisticNormal(dp.tensor([0.3, -1.0, 0.5], dtype=np.float64), dp.tensor([1.0, 0.5, 2.0], dtype=np.float64))
    assert (d.batch_shape, d.event_shape) == ((), (4,))
    dp.manual_seed(6)
    y = d.sample((20_000,))
    np.testing.assert_allclose(y.data.sum(-1), 1.0, rtol=1e-12)
    z = dd.StickBreakingTransform().inv(y).data
    assert np.all(np.abs(z.mean(0) - [0.3, -1.0, 0.5]) < 5 * np.array([1.0, 0.5, 2.0]) / math.sqrt(len(z)))
    np.testing.assert_allclose(z.std(0), [1.0, 0.5, 2.0], rtol=0.03)
    one = dd.LogisticNormal(dp.tensor(0.0, dtype=np.float64), 1.0)
    assert (one.batch_shape, one.event_shape) == ((), (2,))


@pytest.mark.parametrize("case", WITH_CDF)
def test_cdf_is_the_integral_of_the_density_and_icdf_inverts_it(case):
    build, parameters, value, _ = ADDED_CASES[case]
    d = build(dd, {k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})
    x = dp.tensor(value, dtype=np.float64, requires_grad=True)
    d.cdf(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.exp(d.log_prob(dp.tensor(value, dtype=np.float64)).data), rtol=1e-9)
    if case in WITH_ICDF:
        p = dp.tensor(PROBABILITIES, dtype=np.float64)
        np.testing.assert_allclose(d.cdf(d.icdf(p)).data, PROBABILITIES, rtol=1e-10)


@pytest.mark.parametrize("case", WITH_ICDF + ["HalfCauchy"])
def test_draws_fall_below_each_quantile_as_often_as_its_probability(case):
    build, parameters, _, _ = ADDED_CASES[case]
    d = build(dd, _small(parameters))
    levels = np.array([0.1, 0.25, 0.5, 0.75, 0.9])[:, None, None]
    quantiles = d.icdf(dp.tensor(np.broadcast_to(levels, (5, 1, 2)), dtype=np.float64)).data
    dp.manual_seed(13)
    n = 40_000
    below = (d.sample((n,)).data[None] <= quantiles[:, None]).mean(1)
    assert np.all(np.abs(below - levels) < 5 * np.sqrt(levels * (1 - levels) / n))


@pytest.mark.parametrize("case", list(ADDED_CASES))
def test_draws_repeat_under_manual_seed(case):
    build, parameters, _, _ = ADDED_CASES[case]
    assert_draws_repeat_under_manual_seed(build(dd, {k: dp.tensor(v) for k, v in parameters.items()}))


@pytest.mark.parametrize("family, parameters, slopes", [
    # d x / d parameter for reparametrised families, from the draw x itself
    ("Gumbel", dict(loc=[0.5, -1.0], scale=[2.0, 0.5]), lambda x, p: dict(loc=1.0, scale=(x - p["loc"]) / p["scale"])),
    ("Weibull", dict(scale=[2.0, 0.5], concentration=[1.5, 3.0]),
     lambda x, p: dict(scale=x / p["scale"], concentration=-x * np.log(x / p["scale"]) / p["concentration"])),
    ("Pareto", dict(scale=[2.0, 0.5], alpha=[1.5, 3.0]),
     lambda x, p: dict(scale=x / p["scale"], alpha=-x * np.log(x / p["scale"]) / p["alpha"])),
    ("HalfCauchy", dict(scale=[2.0, 0.5]), lambda x, p: dict(scale=x / p["scale"])),
])
def test_rsample_gradient_is_the_reparametrisation(family, parameters, slopes):
    leaves = {k: dp.tensor(v, dtype=np.float64, requires_grad=True) for k, v in parameters.items()}
    dp.manual_seed(2)
    x = getattr(dd, family)(**leaves).rsample((7,))
    assert x.requires_grad and x.shape == (7, 2)
    x.backward(np.ones(x.shape))
    for name, slope in slopes(x.data, {k: np.asarray(v) for k, v in parameters.items()}).items():
        np.testing.assert_allclose(leaves[name].grad, np.broadcast_to(slope, x.shape).sum(0), rtol=1e-10)


def _f(v):
    return dp.tensor(v, dtype=np.float64)


def test_values_against_scipy():
    x = np.array([0.3, 1.0, 2.5])
    checks = [
        (dd.Gumbel(_f(0.5), 2.0), stats.gumbel_r(0.5, 2.0)),
        (dd.Weibull(_f(2.0), 1.5), stats.weibull_min(1.5, scale=2.0)),
        (dd.Pareto(_f(0.2), 3.0), stats.pareto(3.0, scale=0.2)),
        (dd.HalfCauchy(_f(1.5)), stats.halfcauchy(scale=1.5)),
        (dd.Chi2(_f(3.0)), stats.chi2(3.0)),
        (dd.FisherSnedecor(_f(3.0), 7.0), stats.f(3.0, 7.0)),
        (dd.InverseGamma(_f(3.0), 2.0), stats.invgamma(3.0, scale=2.0)),
        (dd.GeneralizedPareto(_f(0.1), 1.5, 0.3), stats.genpareto(0.3, loc=0.1, scale=1.5)),
        (dd.GeneralizedPareto(_f(0.1), 1.5, -0.25), stats.genpareto(-0.25, loc=0.1, scale=1.5)),
        (dd.GeneralizedPareto(_f(0.1), 1.5, 0.0), stats.genpareto(0.0, loc=0.1, scale=1.5)),
    ]
    for mine, reference in checks:
        name = type(mine).__name__
        np.testing.assert_allclose(mine.log_prob(_f(x)).data, reference.logpdf(x), rtol=1e-12, err_msg=name)
        if name != "FisherSnedecor":  # (no cdf, as in PyTorch)
            np.testing.assert_allclose(mine.cdf(_f(x)).data, reference.cdf(x), rtol=1e-10, err_msg=name)
        np.testing.assert_allclose(mine.mean.data, reference.mean(), rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(mine.variance.data, reference.var(), rtol=1e-12, err_msg=name)
        if name != "FisherSnedecor":
            np.testing.assert_allclose(mine.entropy().data, reference.entropy(), rtol=1e-12, err_msg=name)
        if name not in ("Chi2", "FisherSnedecor", "InverseGamma"):
            np.testing.assert_allclose(mine.icdf(_f([0.1, 0.5, 0.9])).data, reference.ppf([0.1, 0.5, 0.9]), rtol=1e-12,
                                       err_msg=name)
    # the negative binomial counts successes before r failures: SciPy's nbinom(r, 1 − p) counts failures before r successes
    k = np.array([0.0, 1.0, 4.0, 9.0])
    nb = dd.NegativeBinomial(_f(2.5), probs=_f(0.35))
    np.testing.assert_allclose(nb.log_prob(_f(k)).data, stats.nbinom.logpmf(k, 2.5, 0.65), rtol=1e-12)
    np.testing.assert_allclose([nb.mean.item(), nb.variance.item()], stats.nbinom.stats(2.5, 0.65), rtol=1e-12)
    # a total count of 0 puts everything on 0
    assert dd.NegativeBinomial(_f(0.0), probs=_f(0.35)).log_prob(0.0).item() == 0.0
    assert dd.NegativeBinomial(_f(0.0), probs=_f(0.35)).log_prob(2.0).item() == -np.inf
    counts = np.array([[1.0, 2.0, 3.0], [6.0, 0.0, 0.0]])
    probs = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(dd.Multinomial(6, _f(probs)).log_prob(_f(counts)).data,
                               stats.multinomial.logpmf(counts, 6, probs), rtol=1e-12)


def test_entropies_and_modes_by_hand():
    # the multinomial's entropy against the sum over every outcome
    probs = np.array([0.2, 0.3, 0.5])
    total = -sum(math.exp(stats.multinomial.logpmf(x, 5, probs)) * stats.multinomial.logpmf(x, 5, probs)
                 for x in itertools.product(range(6), repeat=3) if sum(x) == 5)
    assert dd.Multinomial(5, _f(probs)).entropy().item() == pytest.approx(total, rel=1e-13)
    assert dd.Multinomial(0, _f(probs)).entropy().item() == 0.0
    # the Kumaraswamy's and the Weibull's modes are where their densities peak (0 for a Weibull with k ≤ 1)
    grid = np.linspace(1e-6, 1 - 1e-6, 200_001)
    k = dd.Kumaraswamy(_f([2.0, 3.0, 0.5]), _f([4.0, 1.5, 2.0]))
    density = k.log_prob(_f(grid[:, None])).data
    np.testing.assert_allclose(k.mode.data[:2], grid[density.argmax(0)][:2], atol=1e-5)
    assert np.isnan(k.mode.data[2])
    w = dd.Weibull(_f([2.0, 1.0]), _f([3.0, 0.7]))
    grid = np.linspace(1e-6, 5, 500_001)
    assert w.mode.data[0] == pytest.approx(grid[w.log_prob(_f(grid[:, None])).data[:, 0].argmax()], abs=1e-4)
    assert w.mode.data[1] == 0.0
    # the Kumaraswamy's entropy by quadrature
    a, b = 2.0, 3.0
    xs = np.linspace(1e-9, 1 - 1e-9, 400_001)
    p = a * b * xs ** (a - 1) * (1 - xs ** a) ** (b - 1)
    assert dd.Kumaraswamy(_f(a), _f(b)).entropy().item() == pytest.approx(-np.trapezoid(p * np.log(p), xs), rel=1e-6)
    # a continuous Bernoulli at ½ is the uniform; its density integrates to 1 elsewhere
    half = dd.ContinuousBernoulli(_f(0.5))
    assert half.log_prob(0.3).item() == pytest.approx(0.0, abs=1e-15) and half.entropy().item() == pytest.approx(0.0)
    cb = dd.ContinuousBernoulli(_f([0.1, 0.45, 0.4999, 0.93]))
    xs = np.linspace(0, 1, 200_001)
    density = np.exp(cb.log_prob(_f(xs[:, None])).data)
    np.testing.assert_allclose(np.trapezoid(density, xs, axis=0), 1.0, rtol=1e-9)
    np.testing.assert_allclose(np.trapezoid(xs[:, None] * density, xs, axis=0), cb.mean.data, rtol=1e-9)
    # the von Mises density integrates to 1 over a turn
    v = dd.VonMises(_f([0.3, 2.0]), _f([0.01, 700.0]))
    xs = np.linspace(-np.pi, np.pi, 400_001)
    np.testing.assert_allclose(np.trapezoid(np.exp(v.log_prob(_f(xs[:, None])).data), xs, axis=0), 1.0, rtol=1e-8)
    np.testing.assert_allclose(v.variance.data, 1 - special.i1e([0.01, 700.0]) / special.i0e([0.01, 700.0]),
                               rtol=1e-12)


def test_mixture_same_family_by_hand():
    weights = np.array([0.3, 0.7])
    d = dd.MixtureSameFamily(dd.Categorical(_f(weights)), dd.Normal(_f([-1.0, 2.0]), _f([0.5, 1.5])))
    x = np.array([-1.2, 0.0, 3.0])
    expected = np.log(weights @ np.array([stats.norm.pdf(x, -1.0, 0.5), stats.norm.pdf(x, 2.0, 1.5)]))
    np.testing.assert_allclose(d.log_prob(_f(x)).data, expected, rtol=1e-13)
    np.testing.assert_allclose(d.cdf(_f(x)).data, weights @ np.array([stats.norm.cdf(x, -1.0, 0.5),
                                                                      stats.norm.cdf(x, 2.0, 1.5)]), rtol=1e-13)
    assert d.mean.item() == pytest.approx(0.3 * -1.0 + 0.7 * 2.0)
    second = 0.3 * (0.25 + 1.0) + 0.7 * (2.25 + 4.0)
    assert d.variance.item() == pytest.approx(second - d.mean.item() ** 2, rel=1e-13)
    assert not d.has_rsample and d.batch_shape == () and d.mixture_distribution.probs.shape == (2,)
    # a mixture of a broadcast batch: one mixture for three batches of components
    wide = dd.MixtureSameFamily(dd.Categorical(_f(weights)), dd.Normal(_f(np.zeros((3, 2))), 1.0))
    assert wide.batch_shape == (3,) and wide.sample((4,)).shape == (4, 3)
    assert wide.expand((5, 3)).sample().shape == (5, 3)


def test_straight_through_draws_and_their_gradient():
    probs = dp.tensor([0.2, 0.5, 0.3], dtype=np.float64, requires_grad=True)
    d = dd.OneHotCategoricalStraightThrough(probs)
    dp.manual_seed(0)
    x = d.rsample((4,))
    np.testing.assert_array_equal(x.data.sum(-1), 1.0)
    (x * dp.tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum().backward()
    # x = onehot + p − p̄: the gradient of Σ w·x reaches probs through p = probs / Σ probs (4 draws)
    p = probs.data / probs.data.sum()
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(probs.grad, 4 * (w - w @ p) / probs.data.sum(), rtol=1e-12)


@pytest.mark.parametrize("make, error, words", [
    (lambda: dd.Gumbel(_f(0.0), -1.0), ConfigError, "Gumbel: scale must be greater than 0, got -1.0"),
    (lambda: dd.Weibull(_f(1.0), 0.0), ConfigError, "Weibull: concentration must be greater than 0"),
    (lambda: dd.Pareto(_f(-1.0), 2.0), ConfigError, "Pareto: scale must be greater than 0"),
    (lambda: dd.HalfCauchy(_f([1.0, -2.0])), ConfigError, r"HalfCauchy: scale must be greater than 0, got -2.0 at index \(1,\)"),
    (lambda: dd.Chi2(_f(-3.0)), ConfigError, "Chi2: df must be greater than 0"),
    (lambda: dd.FisherSnedecor(_f(1.0), -2.0), ConfigError, "FisherSnedecor: df2 must be greater than 0"),
    (lambda: dd.InverseGamma(_f(-1.0), 2.0), ConfigError, "InverseGamma: concentration must be greater than 0"),
    (lambda: dd.Kumaraswamy(_f(1.0), float("nan")), ConfigError, "Kumaraswamy: concentration0 must be greater than 0"),
    (lambda: dd.VonMises(_f(0.0), 0.0), ConfigError, "VonMises: concentration must be greater than 0"),
    (lambda: dd.ContinuousBernoulli(_f(1.5)), ConfigError, r"ContinuousBernoulli: probs must be in \[0, 1\]"),
    (lambda: dd.ContinuousBernoulli(), ConfigError, "give exactly one of probs and logits"),
    (lambda: dd.GeneralizedPareto(_f(0.0), -1.0, 0.1), ConfigError, "GeneralizedPareto: scale must be greater than 0"),
    (lambda: dd.NegativeBinomial(_f(2.0), probs=_f(1.0)), ConfigError, r"NegativeBinomial: probs must be in \[0, 1\)"),
    (lambda: dd.NegativeBinomial(_f(-2.0), probs=_f(0.5)), ConfigError, "total_count must be at least 0"),
    (lambda: dd.LogisticNormal(_f([0.0]), _f([-1.0])), ConfigError, "LogisticNormal: scale must be greater than 0"),
    (lambda: dd.RelaxedBernoulli(0.5, probs=_f(2.0)), ConfigError, r"RelaxedBernoulli: probs must be in \[0, 1\]"),
    (lambda: dd.Multinomial(2.5, _f([0.5, 0.5])), NotImplementedError, "one whole number for the whole batch"),
    (lambda: dd.Multinomial(-1, _f([0.5, 0.5])), ConfigError, "total_count must be at least 0, got -1"),
    (lambda: dd.LowRankMultivariateNormal(_f([0.0, 0.0]), _f(np.ones((3, 1))), _f([1.0, 1.0])), ShapeError,
     "cov_factor must be n × r with n = 2"),
    (lambda: dd.LowRankMultivariateNormal(_f([0.0, 0.0]), _f(np.ones((2, 1))), _f([1.0, 1.0, 1.0])), ShapeError,
     "cov_diag must have n = 2 elements"),
    (lambda: dd.LowRankMultivariateNormal(_f([0.0, 0.0]), _f(np.ones((2, 1))), _f([1.0, -1.0])), ConfigError,
     "cov_diag must be greater than 0"),
    (lambda: dd.MixtureSameFamily(dd.Normal(_f(0.0), 1.0), dd.Normal(_f([0.0]), 1.0)), ConfigError,
     "mixture_distribution must be a Categorical"),
    (lambda: dd.MixtureSameFamily(dd.Categorical(_f([0.5, 0.5])), dd.Normal(_f([0.0, 1.0, 2.0]), 1.0)), ShapeError,
     "weighs 2 components but component_distribution has 3"),
    (lambda: dd.MixtureSameFamily(dd.Categorical(_f(np.ones((2, 2)))), dd.Normal(_f(np.zeros((3, 2))), 1.0)),
     ShapeError, r"batch shape \(2,\) does not match the components' \(3,\)"),
    (lambda: dd.Pareto(_f(2.0), 3.0).log_prob(1.0), DataError, r"Pareto: value must lie in the support \(at least scale\)"),
    (lambda: dd.Kumaraswamy(_f(2.0), 3.0).log_prob(1.5), DataError, "Kumaraswamy: value must lie in the support"),
    (lambda: dd.GeneralizedPareto(_f(0.0), 1.0, -0.5).log_prob(2.5), DataError, "GeneralizedPareto: value must lie"),
    (lambda: dd.Multinomial(3, _f([0.5, 0.5])).log_prob(_f([1.0, 1.0])), DataError, "summing to total_count"),
    (lambda: dd.NegativeBinomial(_f(2.0), probs=_f(0.5)).log_prob(1.5), DataError, "a whole number at least 0"),
    (lambda: dd.LogisticNormal(_f([0.0]), _f([1.0])).log_prob(_f([0.5, 0.6])), DataError, "summing to 1"),
])
def test_bad_arguments_are_refused_in_one_sentence(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_outside_the_support_without_validation():
    gp = dd.GeneralizedPareto(_f([0.0, 0.0]), 1.0, _f([-0.5, 0.5]), validate_args=False)
    np.testing.assert_array_equal(gp.log_prob(_f([3.0, -1.0])).data, [-np.inf, -np.inf])
    np.testing.assert_array_equal(gp.cdf(_f([3.0, -1.0])).data, [1.0, 0.0])
    assert dd.HalfCauchy(_f(1.0), validate_args=False).log_prob(-1.0).item() == -np.inf
    cb = dd.ContinuousBernoulli(_f(0.3), validate_args=False)
    np.testing.assert_array_equal(cb.cdf(_f([-0.5, 1.5])).data, [0.0, 1.0])
