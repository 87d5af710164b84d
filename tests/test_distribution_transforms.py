"""deltaprop.distributions' transforms, TransformedDistribution and constraint registry on their
own: gradients against finite differences (float64), each log-determinant against the logarithm of
the determinant of the Jacobian itself, inverses, caches, equality, draws by their statistics and
the sentences that refuse bad arguments.

The comparisons with PyTorch are in reference/test_torch_distribution_transforms.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd
from deltaprop.autograd.functional import jacobian
from deltaprop.distributions import constraints
from deltaprop.distributions import transforms as T
from deltaprop.errors import ConfigError, DataError, ShapeError

from transform_cases import CASES


def _leaves(case: str):
    build, parameters, x, kind = CASES[case]
    names = list(parameters)
    tensors = [dp.tensor(v, dtype=np.float64, requires_grad=True) for v in parameters.values()]
    return build, names, tensors + [dp.tensor(x, dtype=np.float64, requires_grad=True)], kind


@pytest.mark.parametrize("method", ["forward", "inverse", "log_abs_det_jacobian"])
@pytest.mark.parametrize("case", list(CASES))
def test_gradients_match_finite_differences(case, method):
    build, names, inputs, kind = _leaves(case)
    if method == "log_abs_det_jacobian" and kind != "bijective":
        with pytest.raises(NotImplementedError, match="log_abs_det_jacobian"):
            build(T, dict(zip(names, inputs[:-1]))).log_abs_det_jacobian(inputs[-1], inputs[-1])
        return

    if method == "inverse":  # (differentiated at y = t(x), an input of its own)
        t = build(T, dict(zip(names, inputs[:-1])))
        inputs[-1] = dp.tensor(t(inputs[-1]).data, dtype=np.float64, requires_grad=True)

    def fn(*tensors):
        t = build(T, dict(zip(names, tensors[:-1])))
        x = tensors[-1]
        if method == "forward":
            return t(x)
        if method == "inverse":
            if case == "PositiveDefinite":  # (a symmetric input: cholesky reads one triangle, its gradient both)
                return t.inv((x + x.mT) / 2)
            return t.inv(x)
        return t.log_abs_det_jacobian(x, t(x))

    assert dp.gradcheck(fn, inputs)


@pytest.mark.parametrize("case", list(CASES))
def test_second_derivatives_match_finite_differences(case):
    """Every transform is a composition of deltaprop operations, so gradients of gradients flow (the
    Hessian-vector products of Σ y² + Σ ln |det J| against finite differences of the gradient)."""
    build, names, inputs, kind = _leaves(case)

    def fn(*tensors):
        t = build(T, dict(zip(names, tensors[:-1])))
        y = t(tensors[-1])
        total = (y * y).sum()
        return total + t.log_abs_det_jacobian(tensors[-1], y).sum() if kind == "bijective" else total

    assert dp.autograd.gradgradcheck(fn, inputs)


def _one_event_jacobian(t, x):
    """∂y/∂x of one event, as a square matrix of the event's numbers."""
    J = jacobian(lambda v: t(v), dp.tensor(x, dtype=np.float64)).data
    return J.reshape(np.prod(J.shape[:J.ndim - x.ndim], dtype=int), x.size)


@pytest.mark.parametrize("case", ["Exp", "Exp.inv", "Affine(numbers)", "Affine(tensors)", "Affine(event_dim=1)",
                                  "Sigmoid", "Sigmoid.inv", "Tanh", "Softplus", "Power(number)", "Power(tensor)",
                                  "Compose", "Independent", "Reshape", "Cat", "Stack"])
def test_log_abs_det_jacobian_is_that_of_the_jacobian(case):
    """For a map of one row (4 numbers) onto 4 numbers: ln |det J| of the whole row equals the
    log-determinant summed over the row."""
    build, parameters, x, _ = CASES[case]
    t = build(T, {k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})
    row = x[0]
    _, expected = np.linalg.slogdet(_one_event_jacobian(t, row))
    ladj = t.log_abs_det_jacobian(dp.tensor(row, dtype=np.float64), t(dp.tensor(row, dtype=np.float64))).data
    total = ladj.sum() if case == "Cat" else ladj.sum()  # (summed over the elements it leaves apart)
    assert total == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_stick_breaking_log_determinant_is_that_of_its_first_coordinates():
    # the K − 1 inputs determine the first K − 1 outputs (the last is 1 minus their sum)
    t = T.StickBreakingTransform()
    x = np.array([0.3, -1.2, 2.0, 0.1])
    J = _one_event_jacobian(t, x)[:-1]
    ladj = t.log_abs_det_jacobian(dp.tensor(x, dtype=np.float64), t(dp.tensor(x, dtype=np.float64))).item()
    assert ladj == pytest.approx(np.linalg.slogdet(J)[1], rel=1e-12)
    y = t(dp.tensor(x, dtype=np.float64)).data
    assert y.sum() == pytest.approx(1.0, rel=1e-15) and (y > 0).all()
    # x = 0 is the uniform vector
    np.testing.assert_allclose(t(dp.tensor(np.zeros(4), dtype=np.float64)).data, np.full(5, 0.2), rtol=1e-15)


def test_corr_cholesky_log_determinant_is_that_of_its_strictly_lower_entries():
    t = T.CorrCholeskyTransform()
    x = np.array([0.3, -1.2, 2.0, 0.1, 0.7, -0.4])
    J = _one_event_jacobian(t, x)
    rows, columns = np.tril_indices(4, -1)
    ladj = t.log_abs_det_jacobian(dp.tensor(x, dtype=np.float64), t(dp.tensor(x, dtype=np.float64))).item()
    assert ladj == pytest.approx(np.linalg.slogdet(J[rows * 4 + columns])[1], rel=1e-12)
    L = t(dp.tensor(x, dtype=np.float64)).data
    correlation = L @ L.T
    np.testing.assert_allclose(np.diag(correlation), np.ones(4), rtol=1e-14)
    assert constraints.corr_cholesky.check(L) and np.all(np.linalg.eigvalsh(correlation) > 0)


@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][3] == "bijective"])
def test_inverse_undoes_the_forward_map(case):
    build, parameters, x, _ = CASES[case]
    t = build(T, {k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})
    y = t(dp.tensor(x, dtype=np.float64))
    np.testing.assert_allclose(t.inv(dp.tensor(y.data, dtype=np.float64)).data, x, rtol=1e-10, atol=1e-12)
    assert t.inv.inv is t and t.inv is t.inv
    # the inverse's log-determinant is minus the forward one's at the same pair
    np.testing.assert_allclose(t.inv.log_abs_det_jacobian(y, dp.tensor(x, dtype=np.float64)).data,
                               -t.log_abs_det_jacobian(dp.tensor(x, dtype=np.float64), y).data, rtol=1e-14)


def test_a_cache_of_one_remembers_the_last_pair():
    t = T.TanhTransform(cache_size=1)
    x = dp.tensor([20.0, -20.0, 0.5], dtype=np.float64)
    y = t(x)
    assert t(x) is y
    assert t.inv(y) is x  # (atanh of y, which rounds to ±1, would be ±inf)
    assert np.isinf(T.TanhTransform().inv(y).data[:2]).all()
    fresh = dp.tensor(y.data.copy(), dtype=np.float64)
    assert t.inv(fresh) is not x  # (another tensor with the same numbers is computed anew)
    # a transform without a cache computes every time
    plain = T.ExpTransform()
    assert plain(x) is not plain(x)
    assert T.ExpTransform().with_cache(1)._cache_size == 1 and plain.with_cache(0) is plain
    composed = T.ComposeTransform([T.AffineTransform(0.0, 2.0), T.TanhTransform()], cache_size=1)
    assert all(part._cache_size == 1 for part in composed.parts)
    y = composed(x)
    assert composed.inv(y) is x


def test_equality_and_representations():
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.SigmoidTransform()
    assert T.ExpTransform().inv == T.ExpTransform().inv and T.ExpTransform().inv != T.ExpTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.PowerTransform(2.0) == T.PowerTransform(2.0) != T.PowerTransform(3.0)
    assert T.ComposeTransform([T.ExpTransform()]) == T.ComposeTransform([T.ExpTransform()])
    assert "ExpTransform" in repr(T.ComposeTransform([T.ExpTransform()]).inv)
    assert T.identity_transform(dp.tensor([1.5])).item() == 1.5 and T.identity_transform.bijective
    assert T.identity_transform.sign == 1 and T.identity_transform.inv == T.identity_transform
    # the chain's sign is the product of its parts'
    assert T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, -1.0)]).sign == -1
    np.testing.assert_array_equal(T.AffineTransform(0.0, dp.tensor([-2.0, 0.0, 3.0])).sign.data, [-1, 0, 1])


def test_domains_codomains_and_event_dims():
    assert T.ExpTransform().codomain is constraints.positive and T.ExpTransform().event_dim == 0
    assert T.StickBreakingTransform().event_dim == 1 and T.StickBreakingTransform().codomain is constraints.simplex
    chain = T.ComposeTransform([T.ExpTransform(), T.StickBreakingTransform()])
    assert chain.domain.event_dim == 1 and chain.codomain.event_dim == 1  # (the exp is read over whole vectors)
    reshape = T.ReshapeTransform((2, 3), (6,))
    assert (reshape.domain.event_dim, reshape.codomain.event_dim) == (2, 1)
    with pytest.raises(ConfigError, match="domain's event_dim"):
        reshape.event_dim
    assert T.IndependentTransform(T.ExpTransform(), 2).domain.event_dim == 2
    assert T.CorrCholeskyTransform().forward_shape((5, 6)) == (5, 4, 4)
    assert T.CorrCholeskyTransform().inverse_shape((4, 4)) == (6,)


@pytest.mark.parametrize("make, error, words", [
    (lambda: T.ExpTransform(cache_size=2), ConfigError, "cache_size must be 0 or 1, got 2"),
    (lambda: T.ComposeTransform([T.ExpTransform(), "exp"]), TypeError, "every part must be a Transform"),
    (lambda: T.ReshapeTransform((2, 3), (5,)), ShapeError, "different numbers of elements"),
    (lambda: T.ReshapeTransform((2, 3), (6,)).forward_shape((3, 2)), ShapeError, r"must be \(2, 3\)"),
    (lambda: T.CatTransform([T.ExpTransform()], lengths=[1, 2]), ConfigError, "one length per transform"),
    (lambda: T.CatTransform([T.ExpTransform()], dim=0)(dp.tensor([1.0, 2.0])), ShapeError, "must have 1 elements"),
    (lambda: T.StackTransform([T.ExpTransform()], dim=0)(dp.tensor([1.0, 2.0])), ShapeError, "one per transform"),
    (lambda: T.CorrCholeskyTransform()(dp.tensor([1.0, 2.0])), ShapeError, r"D\(D − 1\)/2"),
    (lambda: T.StickBreakingTransform().forward_shape(()), ShapeError, "at least one dimension"),
    (lambda: T.LowerCholeskyTransform()(dp.tensor([[1.0, 2.0]])), ShapeError, "square matrix"),
    (lambda: T.AbsTransform().sign, NotImplementedError, "not a monotone elementwise map"),
    (lambda: T.SoftmaxTransform().log_abs_det_jacobian(dp.tensor([1.0]), dp.tensor([1.0])), NotImplementedError,
     "does not define log_abs_det_jacobian"),
    (lambda: T.AffineTransform(0.0, 1.0, event_dim=-1), TypeError, "event_dim must be a non-negative integer"),
    (lambda: dd.TransformedDistribution(dd.Normal(0.0, 1.0), [T.ExpTransform(), 3]), ConfigError,
     "transforms must be a Transform or a list of Transforms"),
    (lambda: dd.TransformedDistribution("normal", [T.ExpTransform()]), ConfigError, "must be a Distribution"),
    (lambda: dd.TransformedDistribution(dd.Normal(0.0, 1.0), [T.StickBreakingTransform()]), ShapeError,
     "events of 1 dimensions"),
    (lambda: dd.biject_to(constraints.lower_cholesky), NotImplementedError, "no transform is registered"),
    (lambda: dd.biject_to.register("positive", lambda c: None), TypeError, "must be a Constraint subclass"),
])
def test_bad_arguments_are_refused_in_one_sentence(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_the_tanh_squashed_normal_policy():
    """a = tanh(μ + σ·ε): its gradient to μ is 1 − a², to σ (1 − a²)·ε, and ln π(a) is the normal's
    at the pre-tanh value less ln(1 − a²), from the cache even where a rounds to ±1."""
    mu = dp.tensor([[0.5, -1.0, 21.0]], dtype=np.float64, requires_grad=True)
    std = dp.tensor([[1.0, 0.3, 2.0]], dtype=np.float64, requires_grad=True)
    policy = dd.TransformedDistribution(dd.Normal(mu, std), [T.TanhTransform(cache_size=1)])
    assert policy.has_rsample and (policy.batch_shape, policy.event_shape) == ((1, 3), ())
    dp.manual_seed(4)
    a = policy.rsample((500,))
    u = policy.transforms[0]._cached_x_y[0].data
    a.sum().backward()
    slope = 1 - np.tanh(u) ** 2
    np.testing.assert_allclose(mu.grad, slope.sum(0), rtol=1e-12)
    np.testing.assert_allclose(std.grad, (slope * (u - mu.data) / std.data).sum(0), rtol=1e-12)
    log_pi = policy.log_prob(a).data
    normal = -0.5 * ((u - mu.data) / std.data) ** 2 - np.log(std.data) - 0.5 * math.log(2 * math.pi)
    expected = normal - 2 * (math.log(2) - u - np.logaddexp(0, -2 * u))
    np.testing.assert_allclose(log_pi, expected, rtol=1e-12)
    assert np.isfinite(log_pi).all() and (np.abs(a.data[:, 0, 2]) == 1).any()  # (μ = 21 rounds to 1)
    assert policy.sample((2,)).requires_grad is False
    assert constraints.interval(-1.0, 1.0).check(a.data).all()


def test_a_transformed_density_integrates_to_one_and_its_cdf_is_its_integral():
    # the logit-normal on (0, 1), by the trapezoid rule on a fine grid
    d = dd.TransformedDistribution(dd.Normal(dp.tensor(0.3, dtype=np.float64), 0.8), [T.SigmoidTransform()])
    y = np.linspace(1e-6, 1 - 1e-6, 200_001)
    density = np.exp(d.log_prob(dp.tensor(y, dtype=np.float64)).data)
    assert np.trapezoid(density, y) == pytest.approx(1.0, abs=1e-6)
    cumulative = np.concatenate([[0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(y))])
    np.testing.assert_allclose(d.cdf(dp.tensor(y[::20000], dtype=np.float64)).data, cumulative[::20000], atol=1e-6)
    p = dp.tensor([0.1, 0.5, 0.9], dtype=np.float64)
    np.testing.assert_allclose(d.cdf(d.icdf(p)).data, p.data, rtol=1e-12)


def test_a_falling_transform_turns_the_distribution_function_around():
    # y = 1 − 2x for x ~ Exp(1): P(Y ≤ y) = P(X ≥ (1 − y)/2) = e^(−(1 − y)/2)
    d = dd.TransformedDistribution(dd.Exponential(dp.tensor(1.0, dtype=np.float64)), T.AffineTransform(1.0, -2.0))
    y = np.array([-3.0, 0.0, 0.9])
    np.testing.assert_allclose(d.cdf(dp.tensor(y, dtype=np.float64)).data, np.exp(-(1 - y) / 2), rtol=1e-14)
    np.testing.assert_allclose(d.icdf(dp.tensor(np.exp(-(1 - y) / 2), dtype=np.float64)).data, y, rtol=1e-12)
    assert d.support.check(np.array([1.5]))  # (the codomain of an affine map is the real line)


def test_transformed_distributions_agree_with_the_families_they_build():
    loc, scale = dp.tensor([0.3, -1.0], dtype=np.float64), dp.tensor([0.5, 2.0], dtype=np.float64)
    d = dd.TransformedDistribution(dd.Normal(loc, scale), [T.ExpTransform()])
    x = dp.tensor([[0.5, 2.0], [1.5, 0.1]], dtype=np.float64)
    np.testing.assert_allclose(d.log_prob(x).data, dd.LogNormal(loc, scale).log_prob(x).data, rtol=1e-14)
    np.testing.assert_allclose(d.cdf(x).data, dd.LogNormal(loc, scale).cdf(x).data, rtol=1e-14)
    # the stick-breaking of a batch of normals: events are vectors, the base's last batch dimension read as its event
    v = dd.TransformedDistribution(dd.Normal(dp.tensor(np.zeros((2, 3)), dtype=np.float64), 1.0),
                                   T.StickBreakingTransform())
    assert (v.batch_shape, v.event_shape) == ((2,), (4,)) and isinstance(v.base_dist, dd.Independent)
    assert v.support.event_dim == 1 and v.sample((5,)).shape == (5, 2, 4)
    np.testing.assert_allclose(v.sample((5,)).data.sum(-1), 1.0, rtol=1e-14)
    # a transform whose parameters have a larger batch widens the base's
    w = dd.TransformedDistribution(dd.Normal(dp.tensor(0.0, dtype=np.float64), 1.0),
                                   T.AffineTransform(dp.tensor([1.0, 2.0, 3.0], dtype=np.float64), 2.0))
    assert w.batch_shape == (3,) and w.base_dist.batch_shape == (3,)
    assert w.expand((4, 3)).sample().shape == (4, 3) and w.expand((4, 3)).base_dist.batch_shape == (4, 3)


def test_draws_have_the_statistics_of_the_transformed_variable_and_repeat_under_manual_seed():
    d = dd.TransformedDistribution(dd.Normal(dp.tensor([0.0, 1.0], dtype=np.float64), 0.5),
                                   [T.AffineTransform(2.0, 3.0), T.ExpTransform()])
    dp.manual_seed(9)
    x = d.sample((40_000,)).data
    # e^(2 + 3z) for z ~ N(μ, ¼) is log-normal with log-mean 2 + 3μ, log-sd 1.5: the median e^(2 + 3μ)
    median = np.exp(2 + 3 * np.array([0.0, 1.0]))
    below = (x <= median).mean(0)
    assert np.all(np.abs(below - 0.5) < 5 * math.sqrt(0.25 / len(x)))
    dp.manual_seed(9)
    np.testing.assert_array_equal(d.sample((40_000,)).data, x)
    with pytest.raises(DataError, match="value must lie in the support"):
        d.log_prob(dp.tensor([-1.0, 2.0], dtype=np.float64))


@pytest.mark.parametrize("constraint", [
    constraints.real, constraints.real_vector, constraints.positive, constraints.nonnegative,
    constraints.greater_than(-2.0), constraints.greater_than_eq(3.0), constraints.less_than(1.0),
    constraints.unit_interval, constraints.interval(-1.0, 4.0), constraints.half_open_interval(0.0, 2.0),
    constraints.simplex, constraints.corr_cholesky, constraints.independent(constraints.positive, 1),
    constraints.interval(np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 5.0, 2.5, 9.0])),
], ids=lambda c: c.words[:30])
def test_biject_to_lands_in_the_constraint_and_back(constraint):
    x = dp.tensor(np.random.default_rng(0).standard_normal((6, 4)) * 3, dtype=np.float64, requires_grad=True)
    if constraint is constraints.corr_cholesky:
        x = dp.tensor(np.random.default_rng(0).standard_normal((6, 3)), dtype=np.float64, requires_grad=True)
    t = dd.biject_to(constraint)
    assert t.bijective
    y = t(x)
    assert constraint.check(y.data).all()
    np.testing.assert_allclose(t.inv(dp.tensor(y.data, dtype=np.float64)).data, x.data, rtol=1e-8, atol=1e-8)
    assert dp.gradcheck(lambda v: t(v), [x])


@pytest.mark.parametrize("constraint", [constraints.simplex, constraints.lower_cholesky, constraints.positive_definite])
def test_transform_to_lands_in_the_constraint(constraint):
    shape = (6, 4) if constraint is constraints.simplex else (2, 4, 4)
    x = dp.tensor(np.random.default_rng(1).standard_normal(shape), dtype=np.float64, requires_grad=True)
    y = dd.transform_to(constraint)(x)
    assert constraint.check(y.data).all()
    assert dp.gradcheck(lambda v: dd.transform_to(constraint)(v), [x])


def test_a_registered_rule_is_used():
    class Odd(constraints.Constraint):
        pass

    odd = Odd("an odd thing", lambda x: x == x)
    dd.transform_to.register(Odd, lambda c: T.AffineTransform(0.0, 5.0))
    assert dd.transform_to(odd) == T.AffineTransform(0.0, 5.0)
    with pytest.raises(NotImplementedError, match="an odd thing"):
        dd.biject_to(odd)
