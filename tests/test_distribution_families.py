"""deltaprop.distributions' later families (Poisson, Geometric, Binomial, Cauchy, HalfNormal,
LogNormal, StudentT), cdf and icdf, expand, and the later KL rules, on their own: gradients against
finite differences (float64), draws by their statistics, values by hand, and the sentences that
refuse bad parameters, values and shapes.

The comparisons with torch.distributions are in reference/test_torch_distribution_families.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import deltaprop as dp
import deltaprop.distributions as dd
from deltaprop.errors import ConfigError, DataError, ShapeError

from distribution_cases import CASES
from distribution_cases_more import (KL_CASES, NEW_CASES, NOT_DIFFERENTIATED, PROBABILITIES, QUANTITIES,
                                     WITH_CDF)


def _leaves(parameters: dict) -> dict:
    return {k: dp.tensor(v, dtype=np.float64, requires_grad=k not in NOT_DIFFERENTIATED)
            for k, v in parameters.items()}


def _unvalidated_gradcheck(fn, leaves):
    # a nudged count leaves the support of the discrete families: the check scores it unvalidated
    dd.Distribution.set_default_validate_args(False)
    try:
        return dp.gradcheck(fn, leaves)
    finally:
        dd.Distribution.set_default_validate_args(True)


QUANTITY_CASES = [(case, q) for case in NEW_CASES for q in QUANTITIES[case] + (["entropy"] if case.startswith(
    "Binomial") else []) if not (q == "entropy" and case.startswith("Binomial") and q in QUANTITIES[case][1:2])]


@pytest.mark.parametrize("case, quantity", sorted(set(QUANTITY_CASES)))
def test_gradients_match_finite_differences(case, quantity):
    build, parameters, value, _ = NEW_CASES[case]
    leaves = _leaves(parameters)
    names = list(leaves)
    inputs = list(leaves.values()) + [dp.tensor(value, dtype=np.float64, requires_grad=True)]

    def fn(*tensors):
        distribution = build(dd, dict(zip(names, tensors)))
        if quantity == "log_prob":
            return distribution.log_prob(tensors[-1])
        return distribution.entropy() if quantity == "entropy" else getattr(distribution, quantity)

    assert _unvalidated_gradcheck(fn, inputs)


@pytest.mark.parametrize("method", ["cdf", "icdf"])
@pytest.mark.parametrize("case", list(WITH_CDF))
def test_cdf_and_icdf_gradients_match_finite_differences(case, method):
    build, parameters, value, _ = WITH_CDF[case]
    names = list(parameters)
    argument = value if method == "cdf" else PROBABILITIES
    inputs = list(_leaves(parameters).values()) + [dp.tensor(argument, dtype=np.float64, requires_grad=True)]

    def fn(*tensors):
        return getattr(build(dd, dict(zip(names, tensors))), method)(tensors[-1])

    assert dp.gradcheck(fn, inputs)


@pytest.mark.parametrize("case", list(WITH_CDF))
def test_icdf_inverts_cdf_and_cdf_is_the_integral_of_the_density(case):
    build, parameters, value, _ = WITH_CDF[case]
    d = build(dd, {k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})
    x = d.icdf(dp.tensor(PROBABILITIES, dtype=np.float64))
    np.testing.assert_allclose(d.cdf(x).data, PROBABILITIES, rtol=1e-12)
    # dF/dx is the density: the gradient of Σ cdf with respect to the value is e^(log_prob)
    x = dp.tensor(value, dtype=np.float64, requires_grad=True)
    d.cdf(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.exp(d.log_prob(dp.tensor(value, dtype=np.float64)).data), rtol=1e-10)


@pytest.mark.parametrize("case", sorted(KL_CASES))
def test_kl_gradients_match_finite_differences(case):
    pair, parameters = KL_CASES[case]
    leaves = _leaves(parameters)
    names = list(leaves)

    def fn(*tensors):
        return dd.kl_divergence(*pair(dd, dict(zip(names, tensors))))

    assert dp.gradcheck(fn, list(leaves.values()))


@pytest.mark.parametrize("case", sorted(KL_CASES))
def test_kl_is_the_mean_log_ratio_of_draws(case):
    """KL(p ‖ q) = E_p[ln p − ln q], estimated from 200,000 draws of p to within 5 standard errors."""
    pair, parameters = KL_CASES[case]
    p, q = pair(dd, {k: dp.tensor(v[:1, :2], dtype=np.float64) for k, v in parameters.items()})
    dp.manual_seed(8)
    x = p.sample((200_000,))
    ratio = (p.log_prob(x) - q.log_prob(x)).data
    kl = dd.kl_divergence(p, q).data
    assert np.all(np.abs(ratio.mean(0) - kl) < 5 * ratio.std(0) / math.sqrt(len(ratio)) + 1e-12)


@pytest.mark.parametrize("case", [c for c in NEW_CASES if c != "Cauchy"])
def test_draws_have_the_distributions_mean_and_variance(case):
    build, parameters, _, _ = NEW_CASES[case]
    if case == "StudentT":  # (the sample variance settles only with a finite fourth moment, ν > 4)
        parameters = {**parameters, "df": np.array([[6.0, 9.0, 30.0], [5.0, 12.0, 8.0]])}
    if case == "LogNormal":  # (likewise its sample variance, only for a narrow scale: its fourth moment grows as e^(8σ²))
        parameters = {**parameters, "scale": parameters["scale"] / 4}
    distribution = build(dd, {k: dp.tensor(v[:1, :2], dtype=np.float64) for k, v in parameters.items()})
    dp.manual_seed(11)
    n = 40_000
    x = distribution.sample((n,)).data
    mean, variance = distribution.mean.data, distribution.variance.data
    assert np.all(np.abs(x.mean(0) - mean) < 5 * np.sqrt(variance / n))
    np.testing.assert_allclose(x.var(0), variance, rtol=0.06)
    if case.split("(")[0] in ("Poisson", "Geometric", "Binomial"):
        assert np.all(x == np.round(x)) and np.all(x >= 0)


@pytest.mark.parametrize("case", list(WITH_CDF))
def test_draws_fall_below_each_quantile_as_often_as_its_probability(case):
    build, parameters, _, _ = WITH_CDF[case]
    d = build(dd, {k: dp.tensor(v[:1, :2], dtype=np.float64) for k, v in parameters.items()})
    levels = np.array([0.1, 0.25, 0.5, 0.75, 0.9])[:, None, None]
    quantiles = d.icdf(dp.tensor(np.broadcast_to(levels, (5, 1, 2)), dtype=np.float64)).data
    dp.manual_seed(13)
    n = 40_000
    x = d.sample((n,)).data
    below = (x[None] <= quantiles[:, None]).mean(1)
    # each a binomial proportion: within 5 standard errors √(q(1 − q)/n)
    assert np.all(np.abs(below - levels) < 5 * np.sqrt(levels * (1 - levels) / n))


@pytest.mark.parametrize("case", list(NEW_CASES))
def test_draws_repeat_under_manual_seed(case):
    build, parameters, _, _ = NEW_CASES[case]
    distribution = build(dd, {k: dp.tensor(v) for k, v in parameters.items()})
    dp.manual_seed(5)
    first = distribution.sample((3,)).data.copy()
    dp.manual_seed(5)
    again = distribution.sample((3,)).data
    dp.manual_seed(6)
    other = distribution.sample((3,)).data
    assert first.shape == (3, 2, 3) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("family, parameters, slopes", [
    # d x / d parameter for each reparametrised family, from the draw x itself
    ("Cauchy", dict(loc=[0.5, -1.0], scale=[2.0, 0.5]), lambda x, p: dict(loc=1.0, scale=(x - p["loc"]) / p["scale"])),
    ("HalfNormal", dict(scale=[2.0, 0.5]), lambda x, p: dict(scale=x / p["scale"])),
    ("LogNormal", dict(loc=[0.5, -1.0], scale=[2.0, 0.5]),
     lambda x, p: dict(loc=x, scale=x * (np.log(x) - p["loc"]) / p["scale"])),
])
def test_rsample_gradient_is_the_reparametrisation(family, parameters, slopes):
    leaves = {k: dp.tensor(v, dtype=np.float64, requires_grad=True) for k, v in parameters.items()}
    dp.manual_seed(2)
    x = getattr(dd, family)(**leaves).rsample((7,))
    assert x.requires_grad and x.shape == (7, 2)
    x.backward(np.ones(x.shape))
    expected = slopes(x.data, {k: np.asarray(v) for k, v in parameters.items()})
    for name, slope in expected.items():
        np.testing.assert_allclose(leaves[name].grad, np.broadcast_to(slope, x.shape).sum(0), rtol=1e-12)


def test_values_by_hand():
    f = lambda v: dp.tensor(v, dtype=np.float64)  # noqa: E731
    # Poisson(2): P(3) = 2³e⁻²/3!; a rate of 0 puts everything on 0
    assert dd.Poisson(f(2.0)).log_prob(3.0).item() == pytest.approx(math.log(8 * math.exp(-2) / 6), rel=1e-14)
    assert dd.Poisson(f(0.0)).log_prob(0.0).item() == 0.0
    # Geometric(¼): P(2) = (¾)²·¼; p = 1 puts everything on 0
    assert dd.Geometric(f(0.25)).log_prob(2.0).item() == pytest.approx(math.log(9 / 64), rel=1e-14)
    assert dd.Geometric(f(1.0)).log_prob(0.0).item() == 0.0
    # Binomial(4, ⅓): P(1) = 4·⅓·(⅔)³; and its entropy as SciPy sums it
    assert dd.Binomial(4, f(1 / 3)).log_prob(1.0).item() == pytest.approx(math.log(32 / 81), rel=1e-13)
    # Cauchy(0, 1): F(1) = ¾; HalfNormal(1): F(x) = 2Φ(x) − 1; LogNormal(0, 1): median 1
    assert dd.Cauchy(f(0.0), 1.0).cdf(1.0).item() == pytest.approx(0.75, rel=1e-15)
    assert dd.HalfNormal(f(1.0)).cdf(1.0).item() == pytest.approx(2 * stats.norm.cdf(1.0) - 1, rel=1e-14)
    assert dd.LogNormal(f(0.0), 1.0).icdf(0.5).item() == pytest.approx(1.0, rel=1e-15)
    # StudentT(1) is Cauchy(0, 1); StudentT(ν → ∞) approaches N(0, 1)
    x = f([-3.0, 0.0, 0.7, 5.0])
    np.testing.assert_allclose(dd.StudentT(f(1.0)).log_prob(x).data, dd.Cauchy(f(0.0), 1.0).log_prob(x).data, rtol=1e-14)
    np.testing.assert_allclose(dd.StudentT(f(1.0)).entropy().data, dd.Cauchy(f(0.0), 1.0).entropy().data, rtol=1e-14)
    np.testing.assert_allclose(dd.StudentT(f(1e7)).log_prob(x).data, dd.Normal(f(0.0), 1.0).log_prob(x).data, rtol=2e-6)
    # the normal cdf at familiar points, and the exponential and Laplace icdf at ½ (the median)
    np.testing.assert_allclose(dd.Normal(f(0.0), 1.0).cdf(f([-1.96, 0.0])).data, [0.024997895148220435, 0.5], rtol=1e-14)
    assert dd.Exponential(f(2.0)).icdf(0.5).item() == pytest.approx(math.log(2) / 2, rel=1e-15)
    assert dd.Laplace(f(1.5), 3.0).icdf(0.5).item() == 1.5


def test_perplexity_by_hand():
    """e^entropy: K for K equally likely classes, the width of a uniform density, σ√(2πe) for a normal one."""
    f = lambda v: dp.tensor(v, dtype=np.float64)  # noqa: E731
    assert dd.Categorical(f([1.0, 1.0, 1.0, 1.0])).perplexity().item() == pytest.approx(4.0, rel=1e-14)
    assert dd.Uniform(f(1.0), 4.0).perplexity().item() == pytest.approx(3.0, rel=1e-14)
    assert dd.Normal(f(0.0), 2.0).perplexity().item() == pytest.approx(2 * math.sqrt(2 * math.pi * math.e), rel=1e-14)


@pytest.mark.parametrize("family, scipy_family, parameters", [
    ("Poisson", stats.poisson, dict(rate=[0.3, 4.0])),
    ("Geometric", lambda p: stats.geom(p, loc=-1), dict(probs=[0.3, 0.8])),
    ("Binomial", stats.binom, dict(total_count=[3.0, 12.0], probs=[0.3, 0.8])),
    ("Cauchy", stats.cauchy, dict(loc=[0.3, -1.0], scale=[0.5, 2.0])),
    ("HalfNormal", lambda s: stats.halfnorm(scale=s), dict(scale=[0.5, 2.0])),
    ("LogNormal", lambda m, s: stats.lognorm(s, scale=np.exp(m)), dict(loc=[0.3, -1.0], scale=[0.5, 2.0])),
    ("StudentT", stats.t, dict(df=[0.7, 3.5], loc=[0.3, -1.0], scale=[0.5, 2.0])),
])
def test_log_prob_entropy_and_cdf_match_scipy(family, scipy_family, parameters):
    """Against SciPy too, which computes by its own routes (Binomial's entropy: every total count at once)."""
    d = getattr(dd, family)(**{k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})
    reference = scipy_family(*[np.asarray(v) for v in parameters.values()])
    discrete = family in ("Poisson", "Geometric", "Binomial")
    x = np.array([[0.0, 1.0], [2.0, 3.0], [3.0, 0.0]]) if discrete else np.array([[0.2, 1.5], [2.0, 0.7], [9.0, 0.05]])
    score = reference.logpmf(x) if discrete else reference.logpdf(x)
    np.testing.assert_allclose(d.log_prob(dp.tensor(x, dtype=np.float64)).data, score, rtol=1e-12)
    if family != "Poisson":
        np.testing.assert_allclose(d.entropy().data, reference.entropy(), rtol=1e-11)
    if hasattr(type(d), "cdf") and type(d).cdf is not dd.Distribution.cdf:
        np.testing.assert_allclose(d.cdf(dp.tensor(x, dtype=np.float64)).data, reference.cdf(x), rtol=1e-12)
        np.testing.assert_allclose(d.icdf(dp.tensor([[0.1, 0.6]], dtype=np.float64)).data, reference.ppf([[0.1, 0.6]]),
                                   rtol=1e-12)


ALL_CASES = {**CASES, **NEW_CASES}


@pytest.mark.parametrize("case", list(ALL_CASES))
def test_expand_broadcasts_the_parameters_and_keeps_their_gradients(case):
    build, parameters, value, _ = ALL_CASES[case]
    # a batch of (1, 3), expanded to (4, 2, 3) (an Independent's (1,) to (4, 2))
    leaves = {k: dp.tensor(v[:1], dtype=np.float64, requires_grad=k not in NOT_DIFFERENTIATED)
              for k, v in parameters.items()}
    d = build(dd, leaves)
    target = (4, 2) + d.batch_shape[1:]
    wide = d.expand(target)
    assert wide.batch_shape == target and wide.event_shape == d.event_shape and type(wide) is type(d)
    assert wide.sample((5,)).shape == (5,) + target + d.event_shape
    x = dp.tensor(np.broadcast_to(value[:1, :1], (4, 2) + value.shape[2:]), dtype=value.dtype)
    narrow = d.log_prob(x[:, :1])
    np.testing.assert_allclose(wide.log_prob(x).data, np.broadcast_to(narrow.data, target), rtol=1e-15)
    wide.log_prob(x).sum().backward()
    # every element of the expanded batch adds its gradient to the one parameter it was broadcast from
    grads = {k: leaf.grad.copy() for k, leaf in leaves.items() if leaf.requires_grad}
    for leaf in leaves.values():
        leaf.grad = None
    (2 * narrow).sum().backward()  # (x[:, :1] is half of x, whose halves are equal)
    for k, grad in grads.items():
        np.testing.assert_allclose(grad, leaves[k].grad, rtol=1e-12, err_msg=k)


@pytest.mark.parametrize("make, error, message", [
    (lambda: dd.Normal(dp.zeros(2), 1.0).expand((3,)), ShapeError,
     "Normal.expand: the batch shape (2,) cannot be expanded to (3,) (each of its dimensions must equal the new "
     "one's or be 1)"),
    (lambda: dd.Categorical(dp.ones(2, 3, 4) / 4).expand((3,)), ShapeError,
     "Categorical.expand: the batch shape (2, 3) cannot be expanded to (3,) (each of its dimensions must equal the "
     "new one's or be 1)"),
    (lambda: dd.Poisson(1.0).expand(3), ShapeError,
     "Poisson.expand: batch_shape must be a tuple of non-negative integers, got 3"),
    (lambda: dd.Normal(0.0, 1.0).expand((2, -1)), ShapeError,
     "Normal.expand: batch_shape must be a tuple of non-negative integers, got (2, -1)"),
    (lambda: dd.Poisson(-1.0), ConfigError, "Poisson: rate must be at least 0, got -1.0"),
    (lambda: dd.Poisson(2.0).log_prob(1.5), DataError,
     "Poisson: value must lie in the support (a whole number at least 0), got 1.5"),
    (lambda: dd.Geometric(dp.tensor([0.5, 0.0])), ConfigError, "Geometric: probs must be in (0, 1], got 0.0 at index (1,)"),
    (lambda: dd.Geometric(), ConfigError, "Geometric: give exactly one of probs and logits, got neither"),
    (lambda: dd.Geometric(0.5).log_prob(-1.0), DataError,
     "Geometric: value must lie in the support (a whole number at least 0), got -1.0"),
    (lambda: dd.Binomial(2.5, 0.5), ConfigError, "Binomial: total_count must be a whole number at least 0, got 2.5"),
    (lambda: dd.Binomial(3, 1.5), ConfigError, "Binomial: probs must be in [0, 1], got 1.5"),
    (lambda: dd.Binomial(3, 0.5, 0.0), ConfigError, "Binomial: give exactly one of probs and logits, got both"),
    (lambda: dd.Binomial(dp.tensor([3.0, 5.0]), 0.5).log_prob(4.0), DataError,
     "Binomial: value must lie in the support (a whole number from 0 to total_count), got 4.0 at index (0,)"),
    (lambda: dd.Cauchy(0.0, -1.0), ConfigError, "Cauchy: scale must be greater than 0, got -1.0"),
    (lambda: dd.HalfNormal(0.0), ConfigError, "HalfNormal: scale must be greater than 0, got 0.0"),
    (lambda: dd.HalfNormal(1.0).log_prob(-0.5), DataError, "HalfNormal: value must lie in the support (at least 0), got -0.5"),
    (lambda: dd.LogNormal(0.0, 1.0).cdf(0.0), DataError,
     "LogNormal: value must lie in the support (greater than 0), got 0.0"),
    (lambda: dd.StudentT(-1.0), ConfigError, "StudentT: df must be greater than 0, got -1.0"),
    (lambda: dd.StudentT(3.0, 0.0, 0.0), ConfigError, "StudentT: scale must be greater than 0, got 0.0"),
    (lambda: dd.Normal(0.0, 1.0).icdf(1.5), DataError,
     "Normal: the argument of icdf must be a probability in [0, 1], got 1.5"),
    (lambda: dd.Laplace(0.0, 1.0).icdf(dp.tensor([0.5, -0.5])), DataError,
     "Laplace: the argument of icdf must be a probability in [0, 1], got -0.5 at index (1,)"),
    (lambda: dd.Exponential(1.0).cdf(-1.0), DataError, "Exponential: value must lie in the support (at least 0), got -1.0"),
    (lambda: dd.Bernoulli(0.5).cdf(1.0), NotImplementedError, "Bernoulli does not define cdf"),
    (lambda: dd.Poisson(1.0).entropy(), NotImplementedError, "Poisson does not define entropy"),
    (lambda: dd.kl_divergence(dd.Binomial(dp.tensor([3.0, 5.0]), 0.5), dd.Binomial(4, 0.5)), NotImplementedError,
     "kl_divergence: KL(Binomial ‖ Binomial) is computed only where p.total_count is at least q.total_count, as in "
     "PyTorch"),
])
def test_bad_parameters_values_and_shapes_are_refused_in_one_sentence(make, error, message):
    with pytest.raises(error) as caught:
        make()
    assert str(caught.value) == message


def test_expand_keeps_validate_args_and_the_family_of_composites():
    d = dd.Exponential(dp.tensor([1.0]), validate_args=False).expand((3,))
    assert d.log_prob(-1.0).shape == (3,)  # unvalidated, as the original
    with pytest.raises(DataError):
        dd.Exponential(dp.tensor([1.0])).expand((3,)).log_prob(-1.0)
    independent = dd.Independent(dd.Normal(dp.zeros(1, 3), 1.0), 1).expand((4,))
    assert (independent.batch_shape, independent.event_shape, independent.base_dist.batch_shape) == ((4,), (3,), (4, 3))
    one_hot = dd.OneHotCategorical(dp.tensor([0.2, 0.8])).expand((3,))
    assert one_hot.batch_shape == (3,) and one_hot.sample((2,)).shape == (2, 3, 2) and one_hot.probs.shape == (3, 2)


def test_student_t_and_cauchy_moments_where_they_do_not_exist():
    t = dd.StudentT(dp.tensor([0.5, 1.0, 1.5, 2.0, 2.5], dtype=np.float64), dp.tensor(1.0, dtype=np.float64))
    np.testing.assert_array_equal(t.mean.data, [np.nan, np.nan, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(t.variance.data, [np.nan, np.nan, np.inf, np.inf, 5.0])
    c = dd.Cauchy(dp.zeros(2), 1.0)
    assert np.isnan(c.mean.data).all() and np.isinf(c.variance.data).all() and c.mean.shape == (2,)


def test_binomial_entropy_sums_each_elements_own_support():
    # total counts 0, 1 and 7 in one batch: each entropy as SciPy gives it for that count alone
    n, p = np.array([0.0, 1.0, 7.0]), np.array([0.4, 0.4, 0.9])
    d = dd.Binomial(dp.tensor(n, dtype=np.float64), dp.tensor(p, dtype=np.float64))
    np.testing.assert_allclose(d.entropy().data, stats.binom(n, p).entropy(), rtol=1e-12, atol=1e-15)


def test_a_derived_parameter_first_computed_inside_sample_keeps_its_gradient():
    """sample() runs without gradients; the Cholesky factor (or the probabilities of logits) that it
    computes first is kept with its graph, so a later log_prob still reaches the given parameter."""
    covariance = dp.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=np.float64, requires_grad=True)
    d = dd.MultivariateNormal(dp.zeros(2, dtype=np.float64), covariance)
    d.sample((2,))
    d.log_prob(dp.tensor([0.5, -0.2], dtype=np.float64)).backward()
    assert covariance.grad is not None and np.abs(covariance.grad).sum() > 0
    logits = dp.tensor([0.3, -1.0], dtype=np.float64, requires_grad=True)
    b = dd.Bernoulli(logits=logits)
    b.sample()
    b.mean.sum().backward()
    np.testing.assert_allclose(logits.grad, b.variance.data, rtol=1e-15)  # dσ(ℓ)/dℓ = σ(1 − σ)


def test_sign_of_a_zero_dimensional_tensor():
    # (used by the Laplace cdf and icdf of a single number)
    assert dp.tensor(-0.5).sign().item() == -1.0 and dp.tensor(float("nan")).sign().item() == 0.0
