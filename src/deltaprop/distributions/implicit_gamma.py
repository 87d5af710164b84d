"""Gamma draws that carry a gradient to their shape α, by implicit reparametrisation (Figurnov,
Mohamed and Mnih, "Implicit Reparameterization Gradients", 2018).

A draw z of Gamma(α, 1) is F⁻¹(u; α) for a uniform u, F(z; α) = P(α, z) the regularised lower
incomplete gamma function. Holding u fixed while α moves, F(z(α); α) = u, so
∂F/∂z · dz/dα + ∂F/∂α = 0 and dz/dα = −(∂P(α, z)/∂α) / p(z; α), with p(z; α) = z^(α−1) e^(−z) / Γ(α)
the density. Only ∂P/∂α needs work: ops/incomplete_gamma.py computes it in float64 beside P, from
the series below α + 1 and the continued fraction above, each differentiated term by term, so that
no difference of nearly equal numbers arises.

``standard_gamma`` draws z (NumPy's gamma sampler, on the library's generator) and records it as a
function of α whose gradient is this slope; Gamma(α, β) is then z/β, Beta and Dirichlet are gammas
divided by their sum, and StudentT's χ² is a gamma.
"""

from __future__ import annotations

import numpy as np

from .distribution import draw
from ..ops._core import record, unbroadcast
from ..ops.incomplete_gamma import expansions
from ..tensor import Tensor


def standard_gamma_slope(alpha, z) -> np.ndarray:
    """dz/dα for draws z of Gamma(α, 1) (arrays broadcast together), in float64."""
    return expansions(alpha, z)[2]


def standard_gamma(concentration: Tensor, shape: tuple) -> Tensor:
    """Draws of Gamma(concentration, 1) of ``shape`` (the concentration broadcast to it), in its dtype
    and kept at or above the dtype's smallest normal number (as PyTorch keeps them), carrying the
    implicit gradient to the concentration."""
    alpha = np.broadcast_to(np.asarray(concentration.data, np.float64), shape)
    dtype = concentration.dtype
    z = np.maximum(draw("standard_gamma", shape, alpha).astype(dtype), np.finfo(dtype).tiny)

    def backward(g):
        slope = standard_gamma_slope(alpha, z.astype(np.float64))
        return (unbroadcast((g * slope).astype(g.dtype, copy=False), tuple(concentration.shape)),)

    return record(z, (concentration,), backward, "standard_gamma")
