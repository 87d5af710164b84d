"""deltaprop.distributions' transforms, TransformedDistribution and constraint registry against
PyTorch 2.13's: each transform's forward map, inverse and log-determinant (values and gradients to
the input and the transform's parameters, float64 and float32), shapes and signs; the soft
actor-critic policy (a tanh-squashed normal) on the same noise; transformed distributions' log_prob,
cdf, icdf, support, shapes and expand; biject_to and transform_to onto each common constraint.

Finite-difference checks, inverses, caches, statistics and errors are in test_distribution_transforms.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the transforms")
import torch.distributions as td  # noqa: E402

from distribution_checks import TOLERANCES, compare_with_pytorch as _compare  # noqa: E402
from transform_cases import CASES  # noqa: E402

def _twins(parameters: dict, dtype: str):
    ours = {k: dp.tensor(v.astype(dtype), dtype=getattr(np, dtype), requires_grad=True) for k, v in parameters.items()}
    theirs = {k: torch.tensor(v.astype(dtype), requires_grad=True) for k, v in parameters.items()}
    return ours, theirs


def _pair(case: str, dtype: str):
    build, parameters, x, _ = CASES[case]
    ours, theirs = _twins({**parameters, "x": x}, dtype)
    return build(dd.transforms, ours), build(td.transforms, theirs), ours, theirs


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_forward_maps_match_pytorch(case, dtype):
    mine, reference, ours, theirs = _pair(case, dtype)
    _compare(mine(ours["x"]), reference(theirs["x"]), ours, theirs, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_inverses_match_pytorch(case, dtype):
    """The inverse of the forward map's value, computed anew (no cache), differentiated through both
    (in float32 the two round trips' gradients, near the identity, each stray up to ~5e-5 from the
    float64 one: they are compared to 2e-4)."""
    mine, reference, ours, theirs = _pair(case, dtype)
    _compare(mine.inv(mine(ours["x"])), reference.inv(reference(theirs["x"])), ours, theirs, dtype,
             dict(rtol=2e-4, atol=2e-4) if dtype == "float32" else None)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][3] == "bijective"])
def test_log_abs_det_jacobians_match_pytorch(case, dtype):
    mine, reference, ours, theirs = _pair(case, dtype)
    _compare(mine.log_abs_det_jacobian(ours["x"], mine(ours["x"])),
             reference.log_abs_det_jacobian(theirs["x"], reference(theirs["x"])), ours, theirs, dtype)


@pytest.mark.parametrize("case", list(CASES))
def test_shapes_signs_and_constraints_match_pytorch(case):
    mine, reference, ours, theirs = _pair(case, "float64")
    for shape in [tuple(ours["x"].shape), (5,) + tuple(ours["x"].shape)]:
        assert mine.forward_shape(shape) == tuple(reference.forward_shape(torch.Size(shape)))
        y_shape = tuple(reference.forward_shape(torch.Size(shape)))
        assert mine.inverse_shape(y_shape) == tuple(reference.inverse_shape(torch.Size(y_shape)))
    assert mine.bijective == reference.bijective
    assert mine.domain.event_dim == reference.domain.event_dim
    assert mine.codomain.event_dim == reference.codomain.event_dim
    try:
        expected_sign = reference.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            mine.sign
    else:
        np.testing.assert_array_equal(getattr(mine.sign, "data", mine.sign), np.asarray(torch.as_tensor(expected_sign).detach()))
    # the forward map's values lie in the codomain by both libraries' checks
    y = mine(ours["x"]).detach()
    ok, expected_ok = mine.codomain.check(y.data), reference.codomain.check(torch.tensor(y.data)).numpy()
    if case == "Stack":  # (PyTorch's stack constraint leaves the event dimension it stacks along unreduced)
        expected_ok = expected_ok.all(-1)
    assert ok.all() and ok.shape == expected_ok.shape and expected_ok.all()


def _policies(module, tensor, mu, std):
    T = module.transforms if module is dd else td.transforms
    return module.TransformedDistribution(module.Normal(tensor(mu), tensor(std)), [T.TanhTransform(cache_size=1)])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_soft_actor_critic_policy_matches_pytorch_on_the_same_noise(dtype):
    """a = tanh(μ + σ·ε): the action, its log-probability (from the cached pre-tanh value) and the
    gradients of Σ a + Σ ln π(a) to μ and σ, against PyTorch given the same ε."""
    rng = np.random.default_rng(3)
    mu, std = rng.standard_normal((4, 2)).astype(dtype), rng.uniform(0.3, 3.0, (4, 2)).astype(dtype)
    mu[0, 0] = 9.0  # (tanh rounds to 1 here in float32: only the cache keeps ln π finite)
    m, s = dp.tensor(mu, dtype=dtype, requires_grad=True), dp.tensor(std, dtype=dtype, requires_grad=True)
    policy = _policies(dd, lambda v: v, m, s)
    dp.manual_seed(0)
    action = policy.rsample((6,))
    log_pi = policy.log_prob(action)
    (action.sum() + log_pi.sum()).backward()
    pre_tanh = policy.transforms[0]._cached_x_y[0].data  # (the draw before the squashing)
    noise = torch.tensor((pre_tanh - mu) / std)

    tm, ts = torch.tensor(mu, requires_grad=True), torch.tensor(std, requires_grad=True)
    reference = _policies(td, lambda v: v, tm, ts)
    u = tm + ts * noise
    expected = torch.tanh(u)
    reference.transforms[0]._cached_x_y = (u, expected)  # (what PyTorch's rsample would have cached)
    expected_log_pi = reference.log_prob(expected)
    (expected.sum() + expected_log_pi.sum()).backward()
    assert np.isfinite(log_pi.data).all()
    tolerance = TOLERANCES[dtype]
    np.testing.assert_allclose(action.data, expected.detach().numpy(), **tolerance)
    np.testing.assert_allclose(log_pi.data, expected_log_pi.detach().numpy(), **tolerance)
    np.testing.assert_allclose(m.grad, tm.grad.numpy(), **tolerance)
    np.testing.assert_allclose(s.grad, ts.grad.numpy(), **tolerance)
    # without the cache, an action that rounded to ±1 scores ln π = +inf in both
    plain = dd.TransformedDistribution(dd.Normal(m, s), [dd.TanhTransform()])
    plain_reference = td.TransformedDistribution(td.Normal(tm, ts), [td.TanhTransform()])
    x = np.tanh(np.array([0.1, 0.2, 0.3]))[:, None, None] * np.ones((3, 4, 2))
    np.testing.assert_allclose(plain.log_prob(dp.tensor(x.astype(dtype), dtype=dtype)).data,
                               plain_reference.log_prob(torch.tensor(x.astype(dtype))).detach().numpy(), **tolerance)


def _distributions(module, tensor):
    T = module.transforms if module is dd else td.transforms
    loc, scale = tensor([[0.3, -0.5, 1.0], [0.0, 2.0, -1.0]]), tensor([[1.0, 0.5, 2.0], [1.5, 0.3, 0.8]])
    return {
        "log-normal": module.TransformedDistribution(module.Normal(loc, scale), [T.ExpTransform()]),
        "logit-normal": module.TransformedDistribution(module.Normal(loc, scale), T.SigmoidTransform()),
        "falling affine": module.TransformedDistribution(module.Exponential(scale),
                                                         [T.AffineTransform(loc, tensor([-2.0, 3.0, -0.5]))]),
        "power of a uniform": module.TransformedDistribution(module.Uniform(scale, scale + 1),
                                                             [T.PowerTransform(tensor(-1.5)), T.AffineTransform(1.0, 2.0)]),
        "logistic-normal": module.TransformedDistribution(module.Normal(loc, scale), [T.StickBreakingTransform()]),
        "reshaped": module.TransformedDistribution(module.Normal(loc, scale),
                                                   [T.ReshapeTransform((2, 3), (3, 2)), T.ExpTransform()]),
        "correlation": module.TransformedDistribution(module.Normal(loc, scale), [T.CorrCholeskyTransform()]),
    }


_CASES = ["log-normal", "logit-normal", "falling affine", "power of a uniform", "logistic-normal", "reshaped",
          "correlation"]


def _drawn(reference, dtype):
    """A value of the distribution's own: a draw of PyTorch's (seeded), of its batch and event shape."""
    torch.manual_seed(2)
    return reference.sample().numpy().astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", _CASES)
def test_transformed_distributions_match_pytorch(case, dtype):
    leaves = {}

    def ours(v):
        leaves.setdefault("ours", []).append(dp.tensor(np.asarray(v, dtype), dtype=dtype, requires_grad=True))
        return leaves["ours"][-1]

    def theirs(v):
        leaves.setdefault("theirs", []).append(torch.tensor(np.asarray(v, dtype), requires_grad=True))
        return leaves["theirs"][-1]

    mine, reference = _distributions(dd, ours)[case], _distributions(td, theirs)[case]
    assert (mine.batch_shape, mine.event_shape) == (tuple(reference.batch_shape), tuple(reference.event_shape))
    assert mine.support.event_dim == reference.support.event_dim and mine.has_rsample == reference.has_rsample
    assert mine.sample((5,)).shape == tuple(reference.sample((5,)).shape)
    value = _drawn(reference, dtype)
    result, expected = mine.log_prob(dp.tensor(value, dtype=dtype)), reference.log_prob(torch.tensor(value))
    named = lambda xs: {str(i): x for i, x in enumerate(xs)}  # noqa: E731
    _compare(result, expected, named(leaves["ours"]), named(leaves["theirs"]), dtype)
    wide, wide_reference = mine.expand((4,) + mine.batch_shape), reference.expand((4,) + mine.batch_shape)
    assert (wide.batch_shape, wide.event_shape) == (tuple(wide_reference.batch_shape), tuple(wide_reference.event_shape))
    np.testing.assert_allclose(wide.log_prob(dp.tensor(value, dtype=dtype)).data,
                               wide_reference.log_prob(torch.tensor(value)).detach().numpy(),
                               **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", ["log-normal", "logit-normal", "falling affine", "power of a uniform"])
def test_cdf_and_icdf_of_monotone_transforms_match_pytorch(case, dtype):
    values = _drawn(_distributions(td, torch.tensor)[case], "float64")
    for method, argument in [("cdf", values), ("icdf", np.array([[0.1, 0.5, 0.9], [0.3, 0.6, 0.99]]))]:
        leaves = {"ours": [], "theirs": []}
        mine = _distributions(dd, lambda v: leaves["ours"].append(dp.tensor(np.asarray(v, dtype), dtype=dtype, requires_grad=True))
                              or leaves["ours"][-1])[case]
        reference = _distributions(td, lambda v: leaves["theirs"].append(
            torch.tensor(np.asarray(v, dtype), requires_grad=True)) or leaves["theirs"][-1])[case]
        x, tx = dp.tensor(argument.astype(dtype), dtype=dtype, requires_grad=True), torch.tensor(argument.astype(dtype), requires_grad=True)
        result, expected = getattr(mine, method)(x), getattr(reference, method)(tx)
        named = lambda xs, v: {**{str(i): t for i, t in enumerate(xs)}, "value": v}  # noqa: E731
        _compare(result, expected, named(leaves["ours"], x), named(leaves["theirs"], tx), dtype)


_CONSTRAINTS = [
    ("real", lambda C: C.real, (3, 4)),
    ("real_vector", lambda C: C.real_vector, (3, 4)),
    ("positive", lambda C: C.positive, (3, 4)),
    ("nonnegative", lambda C: C.nonnegative, (3, 4)),
    ("greater_than", lambda C: C.greater_than(2.5), (3, 4)),
    ("greater_than_eq", lambda C: C.greater_than_eq(-1.0), (3, 4)),
    ("less_than", lambda C: C.less_than(-3.0), (3, 4)),
    ("unit_interval", lambda C: C.unit_interval, (3, 4)),
    ("interval", lambda C: C.interval(-2.0, 5.0), (3, 4)),
    ("half_open_interval", lambda C: C.half_open_interval(1.0, 1.5), (3, 4)),
    ("simplex", lambda C: C.simplex, (3, 4)),
    ("corr_cholesky", lambda C: C.corr_cholesky, (3, 6)),
    ("lower_cholesky", lambda C: C.lower_cholesky, (3, 4, 4)),
    ("positive_definite", lambda C: C.positive_definite, (3, 4, 4)),
    ("independent", lambda C: C.independent(C.positive, 1), (3, 4)),
    ("cat", lambda C: C.cat([C.positive, C.unit_interval], dim=-1, lengths=[1, 3]), (3, 4)),
    ("stack", lambda C: C.stack([C.positive, C.real, C.interval(0.0, 2.0), C.less_than(1.0)], dim=-1), (3, 4)),
]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name, constraint, shape", _CONSTRAINTS, ids=[c[0] for c in _CONSTRAINTS])
def test_biject_to_and_transform_to_match_pytorch(registry, name, constraint, shape):
    x = np.random.default_rng(5).standard_normal(shape)
    try:
        reference = getattr(td, registry)(constraint(td.constraints))
    except NotImplementedError:
        with pytest.raises(NotImplementedError, match=registry):
            getattr(dd, registry)(constraint(dd.constraints))
        return
    mine = getattr(dd, registry)(constraint(dd.constraints))
    assert mine.bijective == reference.bijective
    ours, theirs = dp.tensor(x, dtype=np.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = mine(ours)
    _compare(y, reference(theirs), {"x": ours}, {"x": theirs}, "float64")
    assert constraint(dd.constraints).check(y.data).all()
    if mine.bijective:
        np.testing.assert_allclose(mine.inv(dp.tensor(y.data, dtype=np.float64)).data, x, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(mine.log_abs_det_jacobian(dp.tensor(x, dtype=np.float64), y).data,
                                   reference.log_abs_det_jacobian(torch.tensor(x), torch.tensor(y.data)).numpy(),
                                   rtol=1e-10, atol=1e-12)
