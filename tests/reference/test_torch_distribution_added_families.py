"""deltaprop.distributions' families added with the transforms against torch.distributions (PyTorch
2.13): log_prob, entropy, moments, cdf and icdf, their values and gradients (to the parameters and
the value) in float64 and float32; batch and event shapes, sample shapes and dtypes, has_rsample,
support, isinstance (the TransformedDistribution subclasses), expand; and where this library's
numbers are closer to exact than PyTorch's (VonMises's Bessel functions, Multinomial's entropy).

Finite-difference checks, sample statistics and error messages are in test_distribution_added_families.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the distributions")
import torch.distributions as td  # noqa: E402

from distribution_checks import assert_draws_shaped_as_pytorchs  # noqa: E402
from distribution_checks import compare_with_pytorch as _compare  # noqa: E402
from distribution_cases_added import (ADDED_CASES, NOT_DIFFERENTIATED, PROBABILITIES, QUANTITIES,  # noqa: E402
                                      WITH_CDF, WITH_ICDF)

# through digamma's slope, where PyTorch's polygamma(1, ·) is up to ~5e-10 off (see test_torch_distributions.py)
THROUGH_TRIGAMMA = dict(rtol=2e-8, atol=1e-12)
# PyTorch's VonMises computes ln I₀ and ln I₁ by polynomial fits good to ~3e-7 (see test_von_mises_is_exact)
BESSEL_FITS = dict(rtol=2e-6, atol=2e-7)


def _twins(parameters: dict, dtype: str, theirs_dtype: str | None = None, fixed=()):
    """The parameters as tensors of ``dtype`` here and ``theirs_dtype`` (the same by default) in PyTorch,
    the same numbers (rounded to ``dtype``), each differentiated unless a count or in ``fixed``."""
    grad = lambda k: k not in NOT_DIFFERENTIATED and k not in fixed  # noqa: E731
    ours = {k: dp.tensor(v.astype(dtype), dtype=getattr(np, dtype), requires_grad=grad(k)) for k, v in parameters.items()}
    theirs = {k: torch.tensor(v.astype(dtype).astype(theirs_dtype or dtype), requires_grad=grad(k))
              for k, v in parameters.items()}
    return ours, theirs


# PyTorch's GeneralizedPareto.log_prob and cdf fail in float64 ("Double did not match Float"): those are
# compared in float32 here and in float64 with SciPy (test_distribution_added_families.py)
_FLOAT32_ONLY = {("GeneralizedPareto", "log_prob"), ("GeneralizedPareto", "cdf")}
# PyTorch's ContinuousBernoulli computes in the parameters' dtype, whose float32 formulas cancel near ½
# (its variance is 1% off at λ = 0.51); this library's compute in float64: its float32 results are
# compared with PyTorch's float64 ones, to float32's tolerance
_WIDE_IN_PYTORCH = {"ContinuousBernoulli(probs)", "ContinuousBernoulli(logits)"}
# PyTorch cannot differentiate its igamma in the shape: the gamma-based cdfs are compared without that gradient
_NOT_DIFFERENTIATED_BY_PYTORCH = {"Chi2": {"df"}, "InverseGamma": {"concentration"}}


def _tolerance(case: str, quantity: str, dtype: str):
    if case == "VonMises" and dtype == "float64":
        return BESSEL_FITS
    if quantity == "entropy" and dtype == "float64" and case in ("Chi2", "InverseGamma", "Kumaraswamy"):
        return THROUGH_TRIGAMMA
    if case == "Multinomial" and quantity == "entropy":  # (PyTorch's ln n! is computed in float32)
        return dict(rtol=2e-7, atol=0) if dtype == "float64" else None
    return None


SCORED = [(case, quantity, dtype) for case in ADDED_CASES for quantity in QUANTITIES[case]
          for dtype in ["float64", "float32"] if not (dtype == "float64" and (case, quantity) in _FLOAT32_ONLY)]


def _wide(case: str, dtype: str) -> str:
    return "float64" if case in _WIDE_IN_PYTORCH else dtype


@pytest.mark.parametrize("case, quantity, dtype", SCORED)
def test_values_and_gradients_match_pytorch(case, quantity, dtype):
    build, parameters, value, differentiable = ADDED_CASES[case]
    ours, theirs = _twins(parameters, dtype, _wide(case, dtype))
    mine, reference = build(dd, ours), build(td, theirs)
    if quantity == "log_prob":
        ours["value"] = dp.tensor(value.astype(dtype), dtype=getattr(np, dtype), requires_grad=differentiable)
        theirs["value"] = torch.tensor(value.astype(dtype).astype(_wide(case, dtype)), requires_grad=differentiable)
        result, expected = mine.log_prob(ours["value"]), reference.log_prob(theirs["value"])
    elif quantity == "entropy":
        result, expected = mine.entropy(), reference.entropy()
    else:
        result, expected = getattr(mine, quantity), getattr(reference, quantity)
    _compare(result, expected, ours, theirs, dtype, _tolerance(case, quantity, dtype))


@pytest.mark.parametrize("case, method, dtype", [
    (c, m, dtype) for m, cases in [("cdf", WITH_CDF), ("icdf", WITH_ICDF)] for c in cases
    for dtype in ["float64", "float32"] if not (dtype == "float64" and (c, m) in _FLOAT32_ONLY)])
def test_cdf_and_icdf_match_pytorch(case, method, dtype):
    build, parameters, value, _ = ADDED_CASES[case]
    ours, theirs = _twins(parameters, dtype, _wide(case, dtype), _NOT_DIFFERENTIATED_BY_PYTORCH.get(case, ()))
    mine, reference = build(dd, ours), build(td, theirs)
    argument = value if method == "cdf" else PROBABILITIES
    ours["value"] = dp.tensor(argument.astype(dtype), dtype=getattr(np, dtype), requires_grad=True)
    theirs["value"] = torch.tensor(argument.astype(dtype).astype(_wide(case, dtype)), requires_grad=True)
    result, expected = getattr(mine, method)(ours["value"]), getattr(reference, method)(theirs["value"])
    # (the generalized Pareto's quantile differs in its float32 rounding: expm1(ξL)/ξ here, a power there)
    loose = dict(rtol=1e-4, atol=1e-5) if case == "GeneralizedPareto" and dtype == "float32" else None
    _compare(result, expected, ours, theirs, dtype, loose)


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("case", list(ADDED_CASES))
def test_shapes_dtypes_and_kinds_match_pytorch(case, sample_shape):
    build, parameters, _, _ = ADDED_CASES[case]
    ours, theirs = _twins(parameters, "float32")
    mine, reference = build(dd, ours), build(td, theirs)
    drawn, expected = assert_draws_shaped_as_pytorchs(mine, reference, sample_shape)
    assert isinstance(mine, dd.TransformedDistribution) == isinstance(reference, td.TransformedDistribution)
    assert mine.support.event_dim == reference.support.event_dim
    assert mine.support.is_discrete == reference.support.is_discrete
    # PyTorch's draws lie in this library's support, and this library's in PyTorch's
    assert mine.support.check(expected.numpy()).all()
    assert reference.support.check(torch.tensor(mine.sample(sample_shape).data)).all()


@pytest.mark.parametrize("case", list(ADDED_CASES))
def test_expand_matches_pytorch(case):
    build, parameters, value, _ = ADDED_CASES[case]
    dtype = np.float32 if case == "GeneralizedPareto" else np.float64  # (_FLOAT32_ONLY)
    ours = {k: dp.tensor((v[:1] if v.ndim else v).astype(dtype), dtype=dtype) for k, v in parameters.items()}
    theirs = {k: torch.tensor((v[:1] if v.ndim else v).astype(dtype)) for k, v in parameters.items()}
    mine, reference = build(dd, ours), build(td, theirs)
    target = (4, 2) + tuple(reference.batch_shape[1:])
    wide, wide_reference = mine.expand(target), reference.expand(target)
    assert (wide.batch_shape, wide.event_shape) == (tuple(wide_reference.batch_shape), tuple(wide_reference.event_shape))
    assert wide.sample((3,)).shape == tuple(wide_reference.sample((3,)).shape)
    x = np.ascontiguousarray(np.broadcast_to(value[:1, :1], (4, 2) + value.shape[2:]))  # (row 0's own values)
    score, expected = wide.log_prob(dp.tensor(x.astype(dtype), dtype=dtype)), wide_reference.log_prob(torch.tensor(x.astype(dtype)))
    tolerance = BESSEL_FITS if case == "VonMises" else dict(rtol=1e-10 if dtype == np.float64 else 1e-5)
    np.testing.assert_allclose(score.data, expected.numpy(), **tolerance)


def test_von_mises_is_exact_where_pytorch_fits():
    """ln I₀(κ) against SciPy's exponentially scaled i0e, to float64's precision, where PyTorch's is ~1e-7 off."""
    special = pytest.importorskip("scipy.special")
    kappa = np.array([0.01, 0.5, 3.0, 30.0, 300.0, 499.0, 501.0, 800.0, 5000.0])
    x = np.zeros_like(kappa)
    expected = kappa - np.log(2 * np.pi) - (np.log(special.i0e(kappa)) + kappa)
    mine = dd.VonMises(dp.tensor(x, dtype=np.float64), dp.tensor(kappa, dtype=np.float64)).log_prob(0.0).data
    reference = td.VonMises(torch.tensor(x), torch.tensor(kappa)).log_prob(torch.tensor(0.0, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(mine, expected, rtol=1e-14, atol=1e-12)
    assert np.abs(reference - expected).max() > 1e-8
    variance = dd.VonMises(dp.tensor(x, dtype=np.float64), dp.tensor(kappa, dtype=np.float64)).variance.data
    np.testing.assert_allclose(variance, 1 - special.i1e(kappa) / special.i0e(kappa), rtol=1e-12)


@pytest.mark.parametrize("family, parameters, value", [
    ("Pareto", dict(scale=[1.0, 2.0, 1.5], alpha=[0.5, 1.5, 3.0]), [1.0, 2.5, 4.0]),
    ("InverseGamma", dict(concentration=[0.5, 1.5, 3.0], rate=[1.0, 2.0, 0.5]), [0.3, 1.0, 4.0]),
    ("FisherSnedecor", dict(df1=[1.0, 3.0, 5.0], df2=[1.5, 3.5, 6.0]), [0.3, 1.0, 4.0]),
    ("GeneralizedPareto", dict(loc=[0.0, 1.0, 0.0], scale=[1.0, 2.0, 1.0], concentration=[0.0, 0.7, 1.5]), None),
    ("HalfCauchy", dict(scale=[1.0, 2.0, 0.5]), [0.0, 1.0, 3.0]),
    ("NegativeBinomial", dict(total_count=[0.0, 2.0, 0.5], probs=[0.3, 0.0, 0.9]), [0.0, 0.0, 3.0]),
])
def test_edges_match_pytorch(family, parameters, value):
    """Moments that are infinite or undefined (+inf, NaN), a certain outcome (r = 0, p = 0), the edge of a support."""
    mine = getattr(dd, family)(**{k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})
    reference = getattr(td, family)(**{k: torch.tensor(v, dtype=torch.float64) for k, v in parameters.items()})
    for quantity in ["mean", "variance", "mode"]:
        np.testing.assert_allclose(getattr(mine, quantity).data, getattr(reference, quantity).numpy(), rtol=1e-14)
    if value is not None:  # (PyTorch's GeneralizedPareto.log_prob fails in float64)
        np.testing.assert_allclose(mine.log_prob(dp.tensor(value, dtype=np.float64)).data,
                                   reference.log_prob(torch.tensor(value, dtype=torch.float64)).numpy(), rtol=1e-13)


def test_continuous_bernoulli_near_one_half_matches_pytorch_and_the_exact_values():
    """Within the limits around ½ (0.499 excluded, 0.501 included) both use series (at ½ exactly, the
    uniform's values), which are the exact values to float64's precision (against the formula evaluated
    to 40 digits); at the limit 0.499 both evaluate the formula in float64, which cancels there (~1e-8)."""
    mpmath = pytest.importorskip("mpmath")
    probs = np.array([0.4995, 0.5, 0.50099, 0.499, 0.2])
    x = np.array([0.3, 0.7, 0.5, 0.1, 0.9])
    mine = dd.ContinuousBernoulli(dp.tensor(probs, dtype=np.float64))
    reference = td.ContinuousBernoulli(torch.tensor(probs))
    np.testing.assert_allclose(mine.mean.data, reference.mean.numpy(), rtol=1e-10)
    np.testing.assert_allclose(mine.variance.data, reference.variance.numpy(), rtol=1e-10)
    np.testing.assert_allclose(mine.entropy().data, reference.entropy().numpy(), rtol=1e-9, atol=1e-12)
    for method, argument in [("log_prob", x), ("cdf", x), ("icdf", x)]:
        np.testing.assert_allclose(getattr(mine, method)(dp.tensor(argument, dtype=np.float64)).data,
                                   getattr(reference, method)(torch.tensor(argument)).numpy(), rtol=1e-10, atol=1e-12)
    mpmath.mp.dps = 40

    def exact_variance(p):
        if p == 0.5:
            return 1 / 12
        p = mpmath.mpf(p)
        return float(p * (p - 1) / (1 - 2 * p) ** 2 + 1 / (mpmath.log(1 - p) - mpmath.log(p)) ** 2)

    series = [0, 1, 2, 4]  # (and 0.2, far from ½)
    np.testing.assert_allclose(mine.variance.data[series], [exact_variance(p) for p in probs[series]], rtol=1e-14)
    assert abs(mine.variance.data[3] - exact_variance(0.499)) < 2e-8 * exact_variance(0.499)


def test_straight_through_gradients_match_pytorch():
    """The draws are one-hot; the gradient of Σ w·x reaches the logits through p alone, as PyTorch's."""
    logits = np.array([[0.3, -1.0, 2.0], [0.0, 0.5, -0.5]])
    ours, theirs = dp.tensor(logits, dtype=np.float64, requires_grad=True), torch.tensor(logits, requires_grad=True)
    mine, reference = dd.OneHotCategoricalStraightThrough(logits=ours), td.OneHotCategoricalStraightThrough(logits=theirs)
    assert mine.has_rsample and isinstance(mine, dd.OneHotCategorical)
    x, y = mine.rsample((5,)), reference.rsample((5,))
    assert set(np.unique(x.data)) <= {0.0, 1.0} and np.all(x.data.sum(-1) == 1) and x.requires_grad
    weights = np.arange(30.0).reshape(5, 2, 3)
    (x * dp.tensor(weights, dtype=np.float64)).sum().backward()
    (y * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("family, parameters", [("LogNormal", dict(loc=[0.3, -1.0], scale=[1.0, 2.0])),
                                                ("HalfNormal", dict(scale=[1.0, 2.0])),
                                                ("Gumbel", dict(loc=[0.3, -1.0], scale=[1.0, 2.0]))])
def test_the_transformed_families_have_pytorchs_base_and_transforms(family, parameters):
    mine = getattr(dd, family)(**{k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})
    reference = getattr(td, family)(**{k: torch.tensor(v, dtype=torch.float64) for k, v in parameters.items()})
    assert isinstance(mine, dd.TransformedDistribution) and isinstance(reference, td.TransformedDistribution)
    assert type(mine.base_dist).__name__ == type(reference.base_dist).__name__
    assert [type(t).__name__ for t in mine.transforms] == [type(t).__name__ for t in reference.transforms]
    x = reference.sample((3,))
    np.testing.assert_allclose(mine.log_prob(dp.tensor(x.numpy(), dtype=np.float64)).data, reference.log_prob(x).numpy(),
                               rtol=1e-12)
