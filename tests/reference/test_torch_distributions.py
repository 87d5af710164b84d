"""deltaprop.distributions against torch.distributions (PyTorch 2.13): log_prob, entropy, mean,
variance, stddev and kl_divergence, their values and their gradients with respect to the
parameters (and to the value, for log_prob), in float64 and float32; the shapes and dtypes of
sample(sample_shape); and the edges where a divergence is +inf.

Finite-difference checks, sample statistics and error messages are in test_distributions.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the distributions")
import torch.distributions as td  # noqa: E402

from distribution_cases import CASES, IMPLICITLY_REPARAMETRISED, KL_PAIRS  # noqa: E402

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}
QUANTITIES = ["log_prob", "entropy", "mean", "variance", "stddev"]
# the gradients of these families' entropies and divergences go through digamma's slope, for which PyTorch
# uses its polygamma(1, ·), up to ~5e-10 off (tests/test_gamma_functions.py) and more after the
# cancellations of a Dirichlet's entropy (8.6e-9 seen): in float64 they are compared to 2e-8
THROUGH_TRIGAMMA = dict(rtol=2e-8, atol=1e-12)


def _twins(parameters: dict, dtype: str):
    ours = {k: dp.tensor(v.astype(dtype), dtype=getattr(np, dtype), requires_grad=True) for k, v in parameters.items()}
    theirs = {k: torch.tensor(v.astype(dtype), requires_grad=True) for k, v in parameters.items()}
    return ours, theirs


def _compare(result, expected, ours: dict, theirs: dict, dtype: str, slopes: dict | None = None):
    """Values equal; then the gradients of Σ g·result with one fixed g, for every leaf (to ``slopes``
    where given, else to the dtype's tolerance)."""
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **TOLERANCES[dtype])
    if not expected.requires_grad:
        return
    g = np.random.default_rng(1).standard_normal(result.shape).astype(dtype)
    result.backward(g)
    expected.backward(torch.tensor(g))
    for name in theirs:
        expected_grad = theirs[name].grad
        expected_grad = np.zeros(theirs[name].shape) if expected_grad is None else expected_grad.numpy()
        got = np.zeros(ours[name].shape) if ours[name].grad is None else ours[name].grad
        np.testing.assert_allclose(got, expected_grad, err_msg=f"the gradient of {name}",
                                   **(slopes or TOLERANCES[dtype]))


# a categorical's mean and variance are NaN: test_categorical_moments_are_nan
SCORED = [(case, quantity) for case in CASES for quantity in QUANTITIES
          if not (case.startswith("Categorical") and quantity not in ("log_prob", "entropy"))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case, quantity", SCORED)
def test_values_and_gradients_match_pytorch(case, quantity, dtype):
    build, parameters, value, differentiable = CASES[case]
    ours, theirs = _twins(parameters, dtype)
    mine, reference = build(dd, ours), build(td, theirs)
    if quantity == "log_prob":
        ours["value"] = dp.tensor(value.astype(dtype), dtype=getattr(np, dtype), requires_grad=differentiable)
        theirs["value"] = torch.tensor(value.astype(dtype), requires_grad=differentiable)
        if not differentiable:
            ours["value"], theirs["value"] = dp.tensor(value, dtype=np.int64), torch.tensor(value, dtype=torch.int64)
            if case.startswith("OneHot"):
                ours["value"], theirs["value"] = dp.tensor(value.astype(dtype)), torch.tensor(value.astype(dtype))
        result, expected = mine.log_prob(ours["value"]), reference.log_prob(theirs["value"])
        if not differentiable:
            del ours["value"], theirs["value"]
    elif quantity == "entropy":
        result, expected = mine.entropy(), reference.entropy()
    else:
        result, expected = getattr(mine, quantity), getattr(reference, quantity)
    assert result.dtype == np.dtype(dtype)
    trigamma = case in IMPLICITLY_REPARAMETRISED and quantity == "entropy" and dtype == "float64"
    _compare(result, expected, ours, theirs, dtype, THROUGH_TRIGAMMA if trigamma else None)


def test_categorical_moments_are_nan():
    mine, reference = dd.Categorical(dp.tensor([[0.2, 0.8]] * 3)), td.Categorical(torch.tensor([[0.2, 0.8]] * 3))
    for quantity in ("mean", "variance"):
        assert getattr(mine, quantity).shape == tuple(getattr(reference, quantity).shape) == (3,)
        assert np.isnan(getattr(mine, quantity).data).all() and torch.isnan(getattr(reference, quantity)).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(KL_PAIRS))
def test_kl_divergence_matches_pytorch(case, dtype):
    build, p_parameters, _, _ = CASES[case]
    p_ours, p_theirs = _twins(p_parameters, dtype)
    q_ours, q_theirs = _twins(KL_PAIRS[case], dtype)
    result = dd.kl_divergence(build(dd, p_ours), build(dd, q_ours))
    expected = td.kl_divergence(build(td, p_theirs), build(td, q_theirs))
    assert result.dtype == np.dtype(dtype)
    ours = {**{"p." + k: v for k, v in p_ours.items()}, **{"q." + k: v for k, v in q_ours.items()}}
    theirs = {**{"p." + k: v for k, v in p_theirs.items()}, **{"q." + k: v for k, v in q_theirs.items()}}
    trigamma = case in IMPLICITLY_REPARAMETRISED and dtype == "float64"
    _compare(result, expected, ours, theirs, dtype, THROUGH_TRIGAMMA if trigamma else None)


@pytest.mark.parametrize("family, p, q", [
    ("Uniform", dict(low=[0.0, 0.0, -1.0], high=[1.0, 2.0, 1.0]), dict(low=[0.5, -1.0, -1.0], high=[2.0, 1.0, 1.0])),
    ("Bernoulli", dict(probs=[0.0, 1.0, 0.3, 0.3]), dict(probs=[0.5, 0.5, 0.0, 1.0])),
    ("Categorical", dict(probs=[[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]]), dict(probs=[[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])),
])
def test_kl_divergence_is_infinite_where_pytorch_says_so(family, p, q):
    def build(module, tensor, parameters):
        return getattr(module, family)(**{k: tensor(v) for k, v in parameters.items()})

    result = dd.kl_divergence(build(dd, lambda v: dp.tensor(v, dtype=np.float64), p),
                              build(dd, lambda v: dp.tensor(v, dtype=np.float64), q))
    expected = td.kl_divergence(build(td, lambda v: torch.tensor(v, dtype=torch.float64), p),
                                build(td, lambda v: torch.tensor(v, dtype=torch.float64), q))
    assert np.isinf(expected.numpy()).any()
    np.testing.assert_allclose(result.data, expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("case", list(CASES))
def test_sample_shapes_and_dtypes_match_pytorch(case, sample_shape):
    build, parameters, _, _ = CASES[case]
    ours, theirs = _twins(parameters, "float32")
    mine, reference = build(dd, ours), build(td, theirs)
    assert mine.batch_shape == tuple(reference.batch_shape)
    assert mine.event_shape == tuple(reference.event_shape)
    drawn, expected = mine.sample(sample_shape), reference.sample(sample_shape)
    assert drawn.shape == tuple(expected.shape)
    assert str(drawn.dtype) == str(expected.dtype).replace("torch.", "")
    assert not drawn.requires_grad
    assert mine.has_rsample == reference.has_rsample
    if mine.has_rsample:
        assert mine.rsample(sample_shape).shape == tuple(reference.rsample(sample_shape).shape)


@pytest.mark.parametrize("make", [
    lambda m, t: m.Normal(t([0.0, 1.0, 2.0]), t([[1.0], [2.0]])),
    lambda m, t: m.Normal(0.0, t([1.0, 2.0])),
    lambda m, t: m.Laplace(t([[0.0], [1.0]]), 2.0),
    lambda m, t: m.Bernoulli(probs=0.25),
    lambda m, t: m.Exponential(3.0),
])
def test_parameters_broadcast_as_in_pytorch(make):
    mine = make(dd, lambda v: dp.tensor(v))
    reference = make(td, lambda v: torch.tensor(v))
    assert mine.batch_shape == tuple(reference.batch_shape)
    assert mine.sample((4,)).shape == tuple(reference.sample((4,)).shape)
    assert mine.entropy().dtype == np.float32 and reference.entropy().dtype == torch.float32


@pytest.mark.parametrize("make, value", [
    (lambda m, t: m.Gamma(t([0.5, 1.0, 2.0]), t([3.0, 3.0, 3.0])), [0.0, 0.0, 0.0]),
    (lambda m, t: m.Beta(t([0.5, 1.0, 2.0, 1.0]), t([2.0, 2.0, 2.0, 1.0])), [0.0, 0.0, 0.0, 1.0]),
    (lambda m, t: m.Dirichlet(t([[1.0, 2.0, 0.5], [1.0, 1.0, 3.0]])), [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]),
])
def test_log_prob_at_the_edge_of_the_support_matches_pytorch(make, value):
    """0 · ln 0 counts as 0: a concentration of 1 scores the edge finitely, below 1 as +inf, above as −inf."""
    mine = make(dd, lambda v: dp.tensor(v, dtype=np.float64)).log_prob(dp.tensor(value, dtype=np.float64))
    reference = make(td, lambda v: torch.tensor(v, dtype=torch.float64)).log_prob(torch.tensor(value, dtype=torch.float64))
    np.testing.assert_allclose(mine.data, reference.numpy(), rtol=1e-12)


@pytest.mark.parametrize("keyword", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_multivariate_normal_gradient_reaches_the_matrix_given_as_in_pytorch(keyword):
    """The matrix itself as the leaf (not a factor): PyTorch's gradient is symmetric for the two
    positive-definite matrices and lower-triangular for scale_tril, and so is ours."""
    matrix = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, -0.3], [0.1, -0.3, 0.8]])
    matrix = np.linalg.cholesky(matrix) if keyword == "scale_tril" else matrix
    x = np.array([[0.3, -1.0, 0.5], [1.2, 0.1, -0.4]])
    ours = dp.tensor(matrix, dtype=np.float64, requires_grad=True)
    theirs = torch.tensor(matrix, requires_grad=True)
    mine = dd.MultivariateNormal(dp.tensor([0.1, 0.0, -0.2], dtype=np.float64), **{keyword: ours})
    reference = td.MultivariateNormal(torch.tensor([0.1, 0.0, -0.2], dtype=torch.float64), **{keyword: theirs})
    (mine.log_prob(dp.tensor(x, dtype=np.float64)).sum() + mine.entropy()).backward()
    (reference.log_prob(torch.tensor(x)).sum() + reference.entropy()).backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make, n", [
    (lambda m, t: m.Normal(t(np.zeros((2, 3, 4))), t(np.ones((2, 3, 4)))), 2),
    (lambda m, t: m.Exponential(t(np.ones((2, 3)))), 1),
    (lambda m, t: m.Uniform(t(np.zeros((2, 3))), t(np.arange(1.0, 4.0))), 1),
    (lambda m, t: m.Dirichlet(t(np.ones((2, 3, 4)))), 1),
    (lambda m, t: m.Bernoulli(t(np.full((2, 3), 0.5))), 0),
])
def test_independent_support_checks_whole_events_as_in_pytorch(make, n):
    """The support of an Independent is the base's over events of n more dimensions: one verdict per
    element of the batch (an event with one value outside fails), and event_dim counts them."""
    mine = dd.Independent(make(dd, lambda v: dp.tensor(v, dtype=np.float64)), n)
    reference = td.Independent(make(td, lambda v: torch.tensor(v, dtype=torch.float64)), n)
    assert mine.support.event_dim == reference.support.event_dim
    x = np.abs(np.random.default_rng(0).standard_normal((5,) + mine.batch_shape + mine.event_shape))
    x = x / x.sum(-1, keepdims=True) if mine.base_dist.event_shape else np.minimum(np.round(x), 1.0)
    x[0, ..., -1] = np.nan  # (outside every support: each event of the first draw that holds one fails)
    verdict = mine.support.check(x)
    assert verdict.shape == (5,) + mine.batch_shape
    np.testing.assert_array_equal(verdict, reference.support.check(torch.tensor(x)).numpy())
    assert verdict[1:].all() and not verdict[0].all()
    assert not verdict[0].any() or not n  # (with n ≥ 1 every event of the first draw holds one)
