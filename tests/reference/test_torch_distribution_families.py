"""deltaprop.distributions' later families, cdf/icdf, expand and the later KL rules against
torch.distributions (PyTorch 2.13): values and gradients (to the parameters and the value) in float64
and float32, sample shapes and dtypes, and the edges (moments that do not exist, infinite KL).

Finite-difference checks, sample statistics and error messages are in test_distribution_families.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the distributions")
import torch.distributions as td  # noqa: E402

from distribution_cases import CASES  # noqa: E402
from distribution_checks import assert_draws_shaped_as_pytorchs, compare_with_pytorch  # noqa: E402
from distribution_cases_more import (KL_CASES, NEW_CASES, NOT_DIFFERENTIATED, PROBABILITIES, QUANTITIES,  # noqa: E402
                                     WITH_CDF)

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}
# through digamma's slope, where PyTorch's polygamma(1, ·) is up to ~5e-10 off (see test_torch_distributions.py)
THROUGH_TRIGAMMA = dict(rtol=2e-8, atol=1e-12)


def _twins(parameters: dict, dtype: str):
    ours = {k: dp.tensor(v.astype(dtype), dtype=getattr(np, dtype), requires_grad=k not in NOT_DIFFERENTIATED)
            for k, v in parameters.items()}
    theirs = {k: torch.tensor(v.astype(dtype), requires_grad=k not in NOT_DIFFERENTIATED) for k, v in parameters.items()}
    return ours, theirs


def _compare(result, expected, ours: dict, theirs: dict, dtype: str, slopes: dict | None = None):
    """Values equal to the dtype's tolerance; then the gradients of Σ g·result for one fixed g, for
    every leaf that has one (to ``slopes``' tolerance where given)."""
    np.testing.assert_allclose(result.data, expected.detach().numpy(), **TOLERANCES[dtype])
    compare_with_pytorch(result, expected, ours, theirs, dtype, slopes)


SCORED = [(case, quantity) for case in NEW_CASES for quantity in QUANTITIES[case]
          if not (case.startswith("Binomial") and quantity == "entropy")]  # (PyTorch's needs one total count)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case, quantity", SCORED)
def test_values_and_gradients_match_pytorch(case, quantity, dtype):
    build, parameters, value, _ = NEW_CASES[case]
    ours, theirs = _twins(parameters, dtype)
    mine, reference = build(dd, ours), build(td, theirs)
    if quantity == "log_prob":
        ours["value"] = dp.tensor(value.astype(dtype), dtype=getattr(np, dtype), requires_grad=True)
        theirs["value"] = torch.tensor(value.astype(dtype), requires_grad=True)
        result, expected = mine.log_prob(ours["value"]), reference.log_prob(theirs["value"])
    elif quantity == "entropy":
        result, expected = mine.entropy(), reference.entropy()
    else:
        result, expected = getattr(mine, quantity), getattr(reference, quantity)
    trigamma = quantity == "entropy" and case == "StudentT" and dtype == "float64"
    _compare(result, expected, ours, theirs, dtype, THROUGH_TRIGAMMA if trigamma else None)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", [c for c in {**CASES, **NEW_CASES} if not c.startswith(("Binomial", "Poisson"))])
def test_perplexity_matches_pytorch(case, dtype):
    """e^entropy, values and gradients (Binomial's PyTorch entropy needs one total count; Poisson has none)."""
    build, parameters, _, _ = {**CASES, **NEW_CASES}[case]
    ours, theirs = _twins(parameters, dtype)
    trigamma = case in ("Gamma", "Beta", "Dirichlet", "StudentT") and dtype == "float64"
    _compare(build(dd, ours).perplexity(), build(td, theirs).perplexity(), ours, theirs, dtype,
             THROUGH_TRIGAMMA if trigamma else None)


def test_perplexity_without_an_entropy_is_refused_as_in_pytorch():
    with pytest.raises(NotImplementedError, match="Poisson does not define entropy"):
        dd.Poisson(dp.tensor([2.0])).perplexity()
    with pytest.raises(NotImplementedError):
        td.Poisson(torch.tensor([2.0])).perplexity()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("method", ["cdf", "icdf"])
@pytest.mark.parametrize("case", list(WITH_CDF))
def test_cdf_and_icdf_match_pytorch(case, method, dtype):
    build, parameters, value, _ = WITH_CDF[case]
    ours, theirs = _twins(parameters, dtype)
    mine, reference = build(dd, ours), build(td, theirs)
    argument = value if method == "cdf" else PROBABILITIES
    ours["value"] = dp.tensor(argument.astype(dtype), dtype=getattr(np, dtype), requires_grad=True)
    theirs["value"] = torch.tensor(argument.astype(dtype), requires_grad=True)
    result, expected = getattr(mine, method)(ours["value"]), getattr(reference, method)(theirs["value"])
    _compare(result, expected, ours, theirs, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", sorted(KL_CASES))
def test_kl_divergence_matches_pytorch(case, dtype):
    pair, parameters = KL_CASES[case]
    ours, theirs = _twins(parameters, dtype)
    result = dd.kl_divergence(*pair(dd, ours))
    expected = td.kl_divergence(*pair(td, theirs))
    _compare(result, expected, ours, theirs, dtype)


def test_binomial_entropy_and_infinite_kl_match_pytorch():
    def make(module, tensor):
        return (module.Binomial(tensor([5.0, 5.0, 5.0]), tensor([0.2, 0.5, 0.9])),
                module.Binomial(tensor([5.0, 3.0, 5.0]), tensor([0.4, 0.5, 0.0])))

    (p, q), (tp, tq) = make(dd, lambda v: dp.tensor(v, dtype=np.float64)), make(td, lambda v: torch.tensor(v, dtype=torch.float64))
    np.testing.assert_allclose(p.entropy().data, tp.entropy().numpy(), rtol=1e-12)
    expected = td.kl_divergence(tp, tq).numpy()
    result = dd.kl_divergence(p, q).data
    assert np.isinf(expected[1])
    np.testing.assert_allclose(result[:2], expected[:2], rtol=1e-12)
    # q's p = 0 draws only 0, p's 0.9 more: +inf, as a Bernoulli's; PyTorch's Binomial rule clamps q's p to
    # the dtype's ε and gives a finite number (docs/porting.md)
    assert np.isfinite(expected[2]) and np.isposinf(result[2])


@pytest.mark.parametrize("family, parameters, value", [
    ("StudentT", dict(df=[0.5, 1.0, 1.5, 2.0, 2.5], loc=[1.0] * 5, scale=[2.0] * 5), None),
    ("Cauchy", dict(loc=[0.0, 1.0], scale=[1.0, 2.0]), None),
    ("Geometric", dict(probs=[1.0, 0.5]), [0.0, 3.0]),
    ("Poisson", dict(rate=[0.0, 2.0]), [0.0, 0.0]),
])
def test_edges_match_pytorch(family, parameters, value):
    """Moments that do not exist (NaN) or are infinite, and the certain outcomes (p = 1, λ = 0)."""
    mine = getattr(dd, family)(**{k: dp.tensor(v, dtype=np.float64) for k, v in parameters.items()})
    reference = getattr(td, family)(**{k: torch.tensor(v, dtype=torch.float64) for k, v in parameters.items()})
    np.testing.assert_allclose(mine.mean.data, reference.mean.numpy(), rtol=1e-15)
    np.testing.assert_allclose(mine.variance.data, reference.variance.numpy(), rtol=1e-15)
    if value is not None:
        np.testing.assert_allclose(mine.log_prob(dp.tensor(value, dtype=np.float64)).data,
                                   reference.log_prob(torch.tensor(value, dtype=torch.float64)).numpy(), rtol=1e-15)
        np.testing.assert_allclose(mine.entropy().data if family != "Poisson" else 0,
                                   reference.entropy().numpy() if family != "Poisson" else 0, atol=1e-15)


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
@pytest.mark.parametrize("case", list(NEW_CASES))
def test_sample_shapes_and_dtypes_match_pytorch(case, sample_shape):
    build, parameters, _, _ = NEW_CASES[case]
    ours, theirs = _twins(parameters, "float32")
    mine, reference = build(dd, ours), build(td, theirs)
    assert_draws_shaped_as_pytorchs(mine, reference, sample_shape)


@pytest.mark.parametrize("case", list({**CASES, **NEW_CASES}))
def test_expand_matches_pytorch(case):
    build, parameters, value, _ = {**CASES, **NEW_CASES}[case]
    ours = {k: dp.tensor(v[:1], dtype=np.float64) for k, v in parameters.items()}
    theirs = {k: torch.tensor(v[:1].copy()) for k, v in parameters.items()}
    mine, reference = build(dd, ours), build(td, theirs)
    target = (4, 2) + tuple(reference.batch_shape[1:])
    wide, wide_reference = mine.expand(target), reference.expand(target)
    assert (wide.batch_shape, wide.event_shape) == (tuple(wide_reference.batch_shape), tuple(wide_reference.event_shape))
    assert wide.sample((3,)).shape == tuple(wide_reference.sample((3,)).shape)
    is_integer = not np.issubdtype(value.dtype, np.floating)
    x = np.ascontiguousarray(np.broadcast_to(value[:1, :1], (4, 2) + value.shape[2:]))  # (row 0's own values)
    score = wide.log_prob(dp.tensor(x, dtype=np.int64 if is_integer else np.float64))
    expected = wide_reference.log_prob(torch.tensor(x))
    np.testing.assert_allclose(score.data, expected.numpy(), rtol=1e-10)
