"""The KL rules for the families added with the transforms against torch.distributions (PyTorch
2.13): values and gradients to both distributions' parameters in float64 and float32, and the pairs
whose divergence is +inf. Monte Carlo checks and refusals are in test_distribution_added_kl.py."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.distributions as dd

torch = pytest.importorskip("torch", reason="PyTorch is the reference for the distributions")
import torch.distributions as td  # noqa: E402

from distribution_checks import compare_with_pytorch as _compare  # noqa: E402
from distribution_cases_kl_added import FINITE, INFINITE, KL_ADDED, THROUGH_DIGAMMA  # noqa: E402

# through digamma's slope, where PyTorch's polygamma(1, ·) is up to ~5e-10 off (see test_torch_distributions.py)
THROUGH_TRIGAMMA = dict(rtol=2e-8, atol=1e-12)
# a continuous Bernoulli's formulas cancel near ½ in float32: PyTorch computes them in float32, this
# library in float64 (continuous_bernoulli.py); its float32 results are compared with PyTorch's float64 ones
_WIDE_IN_PYTORCH = "ContinuousBernoulli"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", FINITE + INFINITE)
def test_kl_divergence_matches_pytorch(case, dtype):
    pair, parameters = KL_ADDED[case]
    theirs_dtype = "float64" if _WIDE_IN_PYTORCH in case else dtype
    ours = {k: dp.tensor(v.astype(dtype), dtype=getattr(np, dtype), requires_grad=True) for k, v in parameters.items()}
    theirs = {k: torch.tensor(v.astype(dtype).astype(theirs_dtype), requires_grad=True) for k, v in parameters.items()}
    result, expected = dd.kl_divergence(*pair(dd, ours)), td.kl_divergence(*pair(td, theirs))
    tolerance = THROUGH_TRIGAMMA if case in THROUGH_DIGAMMA and dtype == "float64" else None
    _compare(result, expected, ours, theirs, dtype, tolerance)
    if case in INFINITE:
        assert np.all(np.isposinf(result.data)) and not result.requires_grad
