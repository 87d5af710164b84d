"""deltaprop.distributions on its own: gradients against finite differences (float64), draws by
their statistics and their repeatability under manual_seed, the gradient of rsample, and the
sentences that refuse bad parameters, values and shapes.

The comparisons with torch.distributions are in reference/test_torch_distributions.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd
from deltaprop.errors import ConfigError, DataError, GradcheckError, ShapeError

from distribution_cases import CASES, KL_PAIRS


def _leaves(parameters: dict) -> dict:
    return {k: dp.tensor(v, dtype=np.float64, requires_grad=True) for k, v in parameters.items()}


@pytest.mark.parametrize("quantity", ["log_prob", "entropy", "mean", "variance", "stddev"])
@pytest.mark.parametrize("case", list(CASES))
def test_gradients_match_finite_differences(case, quantity):
    build, parameters, value, differentiable = CASES[case]
    if case.startswith("Categorical") and quantity not in ("log_prob", "entropy"):
        return  # NaN moments, constant
    leaves = list(_leaves(parameters).values())
    if quantity == "log_prob" and differentiable:
        leaves.append(dp.tensor(value, dtype=np.float64, requires_grad=True))
    fixed = dp.tensor(value, dtype=np.float64 if differentiable or case.startswith("OneHot") else np.int64)

    def fn(*tensors):
        distribution = build(dd, dict(zip(parameters, tensors)))
        if quantity == "log_prob":
            return distribution.log_prob(tensors[-1] if differentiable else fixed)
        return distribution.entropy() if quantity == "entropy" else getattr(distribution, quantity)

    # a Bernoulli's value nudged by ±eps leaves the support {0, 1}: the check scores it unvalidated
    dd.Distribution.set_default_validate_args(False)
    try:
        assert dp.gradcheck(fn, leaves)
    finally:
        dd.Distribution.set_default_validate_args(True)


@pytest.mark.parametrize("case", list(KL_PAIRS))
def test_kl_gradients_match_finite_differences(case):
    build, p_parameters, _, _ = CASES[case]
    names = list(p_parameters)
    leaves = list(_leaves(p_parameters).values()) + list(_leaves(KL_PAIRS[case]).values())

    def fn(*tensors):
        p = build(dd, dict(zip(names, tensors[:len(names)])))
        q = build(dd, dict(zip(names, tensors[len(names):])))
        return dd.kl_divergence(p, q)

    assert dp.gradcheck(fn, leaves)


def test_the_check_fails_on_a_wrong_gradient():
    """The finite-difference check itself catches a rule that is off (here: KL with a term dropped)."""
    def wrong(loc, scale):
        p, q = dd.Normal(loc, scale), dd.Normal(0.0, 1.0)
        return dd.kl_divergence(p, q) + dp.tensor(np.asarray(scale.data) ** 2)  # a term the graph does not see

    with pytest.raises(GradcheckError):
        dp.gradcheck(wrong, [dp.tensor([0.3], dtype=np.float64, requires_grad=True),
                             dp.tensor([1.5], dtype=np.float64, requires_grad=True)])


def test_normal_log_prob_by_hand():
    # ln N(1; 0, 2²) = −1/8 − ln 2 − ½ ln 2π
    value = dd.Normal(0.0, 2.0).log_prob(1.0).item()
    assert value == pytest.approx(-0.125 - np.log(2) - 0.5 * np.log(2 * np.pi), rel=1e-6)


@pytest.mark.parametrize("case", list(CASES))
def test_draws_have_the_distributions_mean_and_variance(case):
    build, parameters, _, _ = CASES[case]
    distribution = build(dd, {k: dp.tensor(v[:1, :2], dtype=np.float64) for k, v in parameters.items()})
    dp.manual_seed(11)
    n = 40_000
    x = distribution.sample((n,)).data.astype(np.float64)
    if case.startswith("Categorical"):
        frequencies = (x[..., None] == np.arange(4)).mean(0)
        np.testing.assert_allclose(frequencies, distribution.probs.data, atol=0.015)
        return
    mean, variance = distribution.mean.data, distribution.variance.data
    # the sample mean is within 5 standard errors; the variance within 6% (plenty for 40,000 draws)
    assert np.all(np.abs(x.mean(0) - mean) < 5 * np.sqrt(variance / n))
    np.testing.assert_allclose(x.var(0), variance, rtol=0.06)


@pytest.mark.parametrize("case", list(CASES))
def test_draws_repeat_under_manual_seed(case):
    build, parameters, _, _ = CASES[case]
    distribution = build(dd, {k: dp.tensor(v) for k, v in parameters.items()})
    dp.manual_seed(5)
    first = distribution.sample((3,)).data.copy()
    dp.manual_seed(5)
    again = distribution.sample((3,)).data
    dp.manual_seed(6)
    other = distribution.sample((3,)).data
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("family, parameters, slopes", [
    # d x / d parameter for each reparametrised family, from the draw x itself
    ("Normal", dict(loc=[0.5, -1.0], scale=[2.0, 0.5]), lambda x, p: dict(loc=1.0, scale=(x - p["loc"]) / p["scale"])),
    ("Laplace", dict(loc=[0.5, -1.0], scale=[2.0, 0.5]), lambda x, p: dict(loc=1.0, scale=(x - p["loc"]) / p["scale"])),
    ("Exponential", dict(rate=[2.0, 0.5]), lambda x, p: dict(rate=-x / p["rate"])),
    ("Uniform", dict(low=[0.0, -1.0], high=[1.0, 3.0]),
     lambda x, p: dict(low=1 - (x - p["low"]) / (p["high"] - p["low"]), high=(x - p["low"]) / (p["high"] - p["low"]))),
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


def test_sample_carries_no_gradient_and_rsample_refused_where_there_is_none():
    loc = dp.tensor([0.0], requires_grad=True)
    assert not dd.Normal(loc, 1.0).sample().requires_grad
    with pytest.raises(NotImplementedError, match="Categorical has no rsample"):
        dd.Categorical(dp.tensor([0.5, 0.5])).rsample()


@pytest.mark.parametrize("make, error, message", [
    (lambda: dd.Normal(0.0, -1.0), ConfigError, "Normal: scale must be greater than 0, got -1.0"),
    (lambda: dd.Normal(dp.tensor([0.0, float("nan")]), 1.0), ConfigError,
     "Normal: loc must be a real number (not NaN), got nan at index (1,)"),
    (lambda: dd.Laplace(0.0, 0.0), ConfigError, "Laplace: scale must be greater than 0, got 0.0"),
    (lambda: dd.Exponential(dp.tensor([1.0, -2.0])), ConfigError,
     "Exponential: rate must be greater than 0, got -2.0 at index (1,)"),
    (lambda: dd.Uniform(1.0, 0.0), ConfigError, "Uniform: low must be less than high, got low=1.0 and high=0.0"),
    (lambda: dd.Bernoulli(probs=1.5), ConfigError, "Bernoulli: probs must be in [0, 1], got 1.5"),
    (lambda: dd.Bernoulli(), ConfigError, "Bernoulli: give exactly one of probs and logits, got neither"),
    (lambda: dd.Bernoulli(0.5, 0.0), ConfigError, "Bernoulli: give exactly one of probs and logits, got both"),
    (lambda: dd.Categorical(dp.tensor([0.5, -0.5, 1.0])), ConfigError,
     "Categorical: probs must be non-negative and summing to 1 along the last dimension, got [ 0.5 -0.5  1. ]"),
    (lambda: dd.Categorical(dp.tensor(0.3)), ShapeError,
     "Categorical: probs must have at least one dimension (the classes), got shape ()"),
    (lambda: dd.Normal(0.0, 1.0).log_prob(float("nan")), DataError,
     "Normal: value must lie in the support (a real number (not NaN)), got nan"),
    (lambda: dd.Exponential(1.0).log_prob(-1.0), DataError, "Exponential: value must lie in the support (at least 0), got -1.0"),
    (lambda: dd.Uniform(0.0, 1.0).log_prob(2.0), DataError, "Uniform: value must lie in the support (in [0, 1]), got 2.0"),
    (lambda: dd.Bernoulli(0.5).log_prob(0.5), DataError, "Bernoulli: value must lie in the support (0 or 1), got 0.5"),
    (lambda: dd.Categorical(dp.tensor([0.2, 0.8])).log_prob(2), DataError,
     "Categorical: value must lie in the support (a whole number in [0, 1]), got 2.0"),
    (lambda: dd.OneHotCategorical(dp.tensor([0.2, 0.8])).log_prob(dp.tensor([1.0, 1.0])), DataError,
     "OneHotCategorical: value must lie in the support (a one-hot vector (0s and one 1) along the last dimension), "
     "got [1. 1.]"),
    (lambda: dd.Normal(dp.zeros(3), 1.0).log_prob(dp.zeros(2)), ShapeError,
     "Normal: value of shape (2,) does not broadcast with the batch and event shape (3,)"),
    (lambda: dd.OneHotCategorical(dp.tensor([0.2, 0.8])).log_prob(dp.zeros(3)), ShapeError,
     "OneHotCategorical: the last dimensions of value (3,) must be the event shape (2,)"),
    (lambda: dd.Normal(0.0, 1.0).sample(4), ShapeError,
     "Normal.sample: sample_shape must be a tuple of non-negative integers, got 4"),
    (lambda: dd.kl_divergence(dd.Cauchy(0.0, 1.0), dd.Normal(0.0, 1.0)), NotImplementedError,
     "kl_divergence: no rule is registered for KL(Cauchy ‖ Normal); file one with register_kl"),
])
def test_bad_parameters_values_and_shapes_are_refused_in_one_sentence(make, error, message):
    with pytest.raises(error) as caught:
        make()
    assert str(caught.value) == message


def test_validate_args_false_scores_outside_the_support():
    assert dd.Uniform(0.0, 1.0, validate_args=False).log_prob(2.0).item() == -np.inf
    with np.errstate(invalid="ignore"):
        assert np.isnan(dd.Normal(0.0, -1.0, validate_args=False).entropy().item())


def test_set_default_validate_args_turns_the_checks_off_and_on():
    try:
        dd.Distribution.set_default_validate_args(False)
        assert dd.Exponential(1.0).log_prob(-1.0).item() == pytest.approx(1.0)  # ln 1 − 1·(−1)
    finally:
        dd.Distribution.set_default_validate_args(True)
    with pytest.raises(DataError):
        dd.Exponential(1.0).log_prob(-1.0)


def test_register_kl_files_a_rule_that_subclasses_inherit():
    class Wide(dd.Normal):
        pass

    @dd.register_kl(Wide, dd.Uniform)
    def _wide_uniform(p, q):
        return p.scale * 0 + 42.0

    assert dd.kl_divergence(Wide(0.0, 1.0), dd.Uniform(0.0, 1.0)).item() == 42.0
    # a subclass of Normal still finds the Normal-Normal rule
    assert dd.kl_divergence(Wide(0.0, 1.0), dd.Normal(0.0, 1.0)).item() == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(TypeError, match="register_kl: type_p must be a distribution class"):
        dd.register_kl("Normal", dd.Normal)


def test_multivariate_normal_with_a_diagonal_covariance_is_independent_normals():
    loc, scale = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.5, 2.0])
    x = dp.tensor([[0.0, 0.0, 0.0], [1.0, -2.0, 3.0]], dtype=np.float64)
    mvn = dd.MultivariateNormal(dp.tensor(loc, dtype=np.float64),
                                covariance_matrix=dp.tensor(np.diag(scale ** 2), dtype=np.float64))
    independent = dd.Independent(dd.Normal(dp.tensor(loc, dtype=np.float64), dp.tensor(scale, dtype=np.float64)), 1)
    assert mvn.batch_shape == independent.batch_shape == () and mvn.event_shape == independent.event_shape == (3,)
    np.testing.assert_allclose(mvn.log_prob(x).data, independent.log_prob(x).data, rtol=1e-13)
    np.testing.assert_allclose(mvn.entropy().data, independent.entropy().data, rtol=1e-13)
    np.testing.assert_allclose(mvn.variance.data, independent.variance.data, rtol=1e-13)
    # ln N(0; loc, diag(scale²)) by hand: Σ −½ (loc/scale)² − ln scale − ½ ln 2π
    by_hand = np.sum(-0.5 * (loc / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi))
    assert mvn.log_prob(x).data[0] == pytest.approx(by_hand, rel=1e-13)


def test_multivariate_normal_rsample_gradient_is_the_reparametrisation():
    # x = loc + L·ε, so d Σx / d loc = 1 and d Σx / d L_ij = ε_j (lower triangle)
    loc = dp.tensor([0.5, -1.0], dtype=np.float64, requires_grad=True)
    L = dp.tensor([[2.0, 0.0], [0.3, 0.5]], dtype=np.float64, requires_grad=True)
    dp.manual_seed(3)
    x = dd.MultivariateNormal(loc, scale_tril=L).rsample((6,))
    x.sum().backward()
    epsilon = np.linalg.solve(L.data, (x.data - loc.data).T).T
    np.testing.assert_allclose(loc.grad, [6.0, 6.0], rtol=1e-13)
    np.testing.assert_allclose(L.grad, np.tile(epsilon.sum(0), (2, 1)), rtol=1e-12)


def test_multivariate_normal_draws_have_the_covariance():
    covariance = np.array([[2.0, 0.8, 0.0], [0.8, 1.0, -0.3], [0.0, -0.3, 0.5]])
    dp.manual_seed(12)
    x = dd.MultivariateNormal(dp.tensor([1.0, 0.0, -2.0], dtype=np.float64),
                              precision_matrix=dp.tensor(np.linalg.inv(covariance), dtype=np.float64)).sample((50_000,))
    np.testing.assert_allclose(np.cov(x.data.T), covariance, atol=0.03)


@pytest.mark.parametrize("make, error, message", [
    (lambda: dd.MultivariateNormal(dp.zeros(2)), ConfigError,
     "MultivariateNormal: give exactly one of covariance_matrix, precision_matrix and scale_tril, got none"),
    (lambda: dd.MultivariateNormal(dp.zeros(2), dp.eye(2), scale_tril=dp.eye(2)), ConfigError,
     "MultivariateNormal: give exactly one of covariance_matrix, precision_matrix and scale_tril, got "
     "covariance_matrix and scale_tril"),
    (lambda: dd.MultivariateNormal(dp.tensor(0.0), dp.eye(1)), ShapeError,
     "MultivariateNormal: loc must have at least one dimension (the event), got shape ()"),
    (lambda: dd.MultivariateNormal(dp.zeros(2), dp.ones(2)), ShapeError,
     "MultivariateNormal: covariance_matrix must be a square matrix or a batch of them, got shape (2,)"),
    (lambda: dd.MultivariateNormal(dp.zeros(3), dp.eye(2)), ShapeError,
     "MultivariateNormal: loc has 3 elements but covariance_matrix is 2 × 2"),
    (lambda: dd.MultivariateNormal(dp.zeros(2, 2), dp.stack([dp.eye(2)] * 3)), ShapeError,
     "MultivariateNormal: the batch dimensions of loc (2, 2) and covariance_matrix (3, 2, 2) cannot be broadcast "
     "together"),
    (lambda: dd.MultivariateNormal(dp.zeros(2), dp.tensor([[1.0, 2.0], [2.0, 1.0]])), ConfigError,
     "MultivariateNormal: covariance_matrix must be symmetric and positive-definite, got [[1. 2.]\n [2. 1.]]"),
    (lambda: dd.MultivariateNormal(dp.zeros(2), precision_matrix=dp.tensor([[1.0, 0.5], [0.0, 1.0]])), ConfigError,
     "MultivariateNormal: precision_matrix must be symmetric and positive-definite, got [[1.  0.5]\n [0.  1. ]]"),
    (lambda: dd.MultivariateNormal(dp.zeros(2), scale_tril=dp.tensor([[1.0, 0.0], [0.5, -1.0]])), ConfigError,
     "MultivariateNormal: scale_tril must be lower-triangular with a positive diagonal, got [[ 1.   0. ]\n [ 0.5 -1. ]]"),
    (lambda: dd.MultivariateNormal(dp.zeros(2), dp.eye(2)).log_prob(dp.zeros(3)), ShapeError,
     "MultivariateNormal: the last dimensions of value (3,) must be the event shape (2,)"),
    (lambda: dd.kl_divergence(dd.MultivariateNormal(dp.zeros(3), dp.eye(3)), dd.MultivariateNormal(dp.zeros(2), dp.eye(2))),
     ShapeError, "kl_divergence: the two MultivariateNormals have different event shapes, (3,) and (2,)"),
    (lambda: dd.Independent(dd.Normal(dp.zeros(2, 3), 1.0), 3), ConfigError,
     "Independent: reinterpreted_batch_ndims must be a whole number from 0 to 2 (the base's batch dimensions "
     "(2, 3)), got 3"),
    (lambda: dd.Independent(dd.Normal(dp.zeros(2, 3), 1.0), -1), ConfigError,
     "Independent: reinterpreted_batch_ndims must be a whole number from 0 to 2 (the base's batch dimensions "
     "(2, 3)), got -1"),
    (lambda: dd.Independent("Normal", 1), ConfigError, "Independent: base_distribution must be a Distribution, got 'Normal'"),
    (lambda: dd.kl_divergence(dd.Independent(dd.Normal(dp.zeros(2, 3), 1.0), 1),
                              dd.Independent(dd.Normal(dp.zeros(2, 3), 1.0), 2)), NotImplementedError,
     "kl_divergence: the two Independents reinterpret different numbers of batch dimensions, 1 and 2"),
])
def test_multivariate_normal_and_independent_refuse_in_one_sentence(make, error, message):
    with pytest.raises(error) as caught:
        make()
    assert str(caught.value) == message


def test_independent_reshapes_batch_into_event():
    base = dd.Normal(dp.zeros(4, 2, 3), dp.ones(4, 2, 3))
    for n, batch, event in [(0, (4, 2, 3), ()), (1, (4, 2), (3,)), (2, (4,), (2, 3)), (3, (), (4, 2, 3))]:
        d = dd.Independent(base, n)
        assert (d.batch_shape, d.event_shape) == (batch, event)
        assert d.log_prob(dp.zeros(4, 2, 3)).shape == batch and d.entropy().shape == batch
        assert d.sample((5,)).shape == (5, 4, 2, 3) and d.has_rsample
    assert not dd.Independent(dd.Bernoulli(dp.full((2, 3), 0.5)), 1).has_rsample
    assert repr(dd.Independent(base, 1)) == "Independent(Normal(loc: (4, 2, 3), scale: (4, 2, 3)), 1)"


@pytest.mark.parametrize("make, error, message", [
    (lambda: dd.Gamma(-1.0, 1.0), ConfigError, "Gamma: concentration must be greater than 0, got -1.0"),
    (lambda: dd.Gamma(1.0, dp.tensor([1.0, 0.0])), ConfigError, "Gamma: rate must be greater than 0, got 0.0 at index (1,)"),
    (lambda: dd.Beta(1.0, 0.0), ConfigError, "Beta: concentration0 must be greater than 0, got 0.0"),
    (lambda: dd.Dirichlet(dp.tensor([1.0, -1.0])), ConfigError,
     "Dirichlet: concentration must be greater than 0 (every element along the last dimension), got [ 1. -1.]"),
    (lambda: dd.Dirichlet(dp.tensor(1.0)), ShapeError,
     "Dirichlet: concentration must have at least one dimension (the classes), got shape ()"),
    (lambda: dd.Gamma(1.0, 1.0).log_prob(-1.0), DataError, "Gamma: value must lie in the support (at least 0), got -1.0"),
    (lambda: dd.Beta(1.0, 1.0).log_prob(1.5), DataError, "Beta: value must lie in the support (in [0, 1]), got 1.5"),
    (lambda: dd.Dirichlet(dp.tensor([1.0, 2.0])).log_prob(dp.tensor([0.3, 0.3])), DataError,
     "Dirichlet: value must lie in the support (non-negative and summing to 1 along the last dimension), got [0.3 0.3]"),
    (lambda: dd.Dirichlet(dp.tensor([1.0, 2.0])).log_prob(dp.tensor([0.3, 0.3, 0.4])), ShapeError,
     "Dirichlet: the last dimensions of value (3,) must be the event shape (2,)"),
])
def test_gamma_beta_and_dirichlet_refuse_in_one_sentence(make, error, message):
    with pytest.raises(error) as caught:
        make()
    assert str(caught.value) == message


def test_gamma_beta_dirichlet_by_hand():
    # Gamma(1, β) is Exponential(β); Beta(1, 1) and Dirichlet(1, 1, 1) are uniform (densities 1 and 2! = 2)
    x = dp.tensor([0.0, 0.5, 2.0], dtype=np.float64)
    np.testing.assert_allclose(dd.Gamma(1.0, 3.0).log_prob(x).data, dd.Exponential(3.0).log_prob(x).data, rtol=1e-15)
    np.testing.assert_allclose(dd.Gamma(1.0, 3.0).entropy().data, dd.Exponential(3.0).entropy().data, rtol=1e-15)
    assert dd.Beta(1.0, 1.0).log_prob(0.3).item() == pytest.approx(0.0, abs=1e-15)
    assert dd.Dirichlet(dp.ones(3, dtype=np.float64)).log_prob(dp.tensor([0.2, 0.3, 0.5])).item() == pytest.approx(np.log(2))
    # Beta(α, β) is the first coordinate of Dirichlet(α, β)
    beta, dirichlet = dd.Beta(dp.tensor(2.5, dtype=np.float64), 0.7), dd.Dirichlet(dp.tensor([2.5, 0.7], dtype=np.float64))
    assert beta.log_prob(0.3).item() == pytest.approx(dirichlet.log_prob(dp.tensor([0.3, 0.7], dtype=np.float64)).item(),
                                                       rel=1e-12)
    assert beta.entropy().item() == pytest.approx(dirichlet.entropy().item(), rel=1e-12)


def test_gamma_sample_follows_the_generator():
    """The draws are NumPy's gamma draws from deltaprop's generator, divided by the rate."""
    dp.manual_seed(21)
    drawn = dd.Gamma(dp.tensor([0.5, 3.0], dtype=np.float64), dp.tensor([2.0, 4.0], dtype=np.float64)).sample((5,)).data
    dp.manual_seed(21)
    expected = dp.random.numpy_generator().standard_gamma(np.broadcast_to([0.5, 3.0], (5, 2)), size=(5, 2))
    np.testing.assert_allclose(drawn, expected / [2.0, 4.0], rtol=1e-15)
    dp.manual_seed(4)
    simplex = dd.Dirichlet(dp.tensor([[0.3, 1.0, 5.0]] * 2)).sample((100,)).data
    assert simplex.shape == (100, 2, 3) and simplex.dtype == np.float32
    np.testing.assert_allclose(simplex.sum(-1), 1.0, rtol=1e-6)
