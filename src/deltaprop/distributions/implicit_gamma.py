"""Gamma draws that carry a gradient to their shape α, by implicit reparametrisation (Figurnov,
Mohamed and Mnih, "Implicit Reparameterization Gradients", 2018).

A draw z of Gamma(α, 1) is F⁻¹(u; α) for a uniform u, F(z; α) = P(α, z) the regularised lower
incomplete gamma function. Holding u fixed while α moves, F(z(α); α) = u, so
∂F/∂z · dz/dα + ∂F/∂α = 0 and dz/dα = −(∂P(α, z)/∂α) / p(z; α), with p(z; α) = z^(α−1) e^(−z) / Γ(α)
the density. Only ∂P/∂α needs work; it is computed in float64, by one of two expansions, each
differentiated term by term, so that no difference of nearly equal numbers arises:

* z < α + 1: the series P(α, z) = z^α e^(−z) / Γ(α + 1) · Σₙ cₙ, with c₀ = 1 and
  cₙ = cₙ₋₁ · z / (α + n) (so cₙ = zⁿ Γ(α + 1) / Γ(α + n + 1)). Each term's logarithm has slope
  ln z − ψ(α + n + 1) in α, so ∂P/∂α = z^α e^(−z) / Γ(α + 1) · Σₙ cₙ (ln z − ψ(α + n + 1)), with
  ψ(α + n + 1) = ψ(α + n) + 1/(α + n). Dividing by the density: dz/dα = −(z/α) Σₙ cₙ (ln z − ψ(α + n + 1)).
  Here the terms are negative (ln z < ψ(α + n + 1) while z < α + ½) or nearly so.
* z ≥ α + 1: the upper tail Q = 1 − P = z^α e^(−z) / Γ(α) · h, h Legendre's continued fraction
  1/(z + 1 − α − 1·(1 − α)/(z + 3 − α − 2·(2 − α)/(z + 5 − α − …))), evaluated by the modified Lentz
  method while carrying each quantity's slope in α alongside it (forward differentiation). Then
  ∂P/∂α = −∂Q/∂α = −Q·(ln z − ψ(α) + h′/h), and dz/dα = z·(h·(ln z − ψ(α)) + h′): both parts are
  positive there (ln z > ln α > ψ(α), and h′/h is the mean of ln(t/z) over the tail beyond z).

Both stop once every element's next term changes its sums by less than 1e-17 of them (the series
needs about z − α + 10√α terms, the fraction a few tens of steps). The same sums give P itself
(``regularized_gamma``, behind Gamma's ``cdf``): the series' front factor times Σₙ cₙ below α + 1,
1 − Q above.

``standard_gamma`` draws z (NumPy's gamma sampler, on the library's generator) and records it as a
function of α whose gradient is this slope; Gamma(α, β) is then z/β, Beta and Dirichlet are gammas
divided by their sum, and StudentT's χ² is a gamma.
"""

from __future__ import annotations

import numpy as np

from .distribution import draw
from ..ops._core import record, unbroadcast
from ..ops.gamma_functions import digamma_values, lgamma_values
from ..tensor import Tensor

_TOLERANCE = 1e-17
_MOST_STEPS = 100_000


def _series(alpha: np.ndarray, z: np.ndarray) -> tuple:
    """Σₙ cₙ and dz/dα = −(z/α) Σₙ cₙ (ln z − ψ(α + n + 1)), for 0 < z < α + 1."""
    log_z = np.log(z)
    c = np.ones_like(z)
    psi = digamma_values(alpha + 1)
    total, sloped = np.ones_like(z), log_z - psi
    n = 0
    active = np.ones(z.shape, dtype=bool)
    while active.any() and n < _MOST_STEPS:
        n += 1
        c = c * z / (alpha + n)
        psi = psi + 1 / (alpha + n)
        term = c * (log_z - psi)
        total = total + c  # (past an element's last term, c adds less than 1e-17 of its sum)
        sloped = sloped + np.where(active, term, 0.0)
        active = active & ((np.abs(term) > _TOLERANCE * np.abs(sloped)) | (c > _TOLERANCE * total))
    return total, -z / alpha * sloped


def _fraction(alpha: np.ndarray, z: np.ndarray) -> tuple:
    """h and dz/dα = z·(h·(ln z − ψ(α)) + h′) for z ≥ α + 1, h the continued fraction (Lentz, with slopes)."""
    tiny = 1e-300
    b, db = z + 1 - alpha, -1.0
    c, dc = np.full_like(z, 1 / tiny), np.zeros_like(z)
    d, dd = 1 / b, 1 / (b * b)  # (d = 1/b, so d′ = −b′/b² = 1/b²)
    h, dh = d, dd
    i = 0
    active = np.ones(z.shape, dtype=bool)
    while active.any() and i < _MOST_STEPS:
        i += 1
        a, da = -i * (i - alpha), float(i)
        b = b + 2
        d_next = a * d + b
        dd_next = da * d + a * dd + db
        c_next = b + a / c
        dc_next = db + (da - a * dc / c) / c
        d_next = np.where(np.abs(d_next) < tiny, tiny, d_next)
        c_next = np.where(np.abs(c_next) < tiny, tiny, c_next)
        d, dd = 1 / d_next, -dd_next / (d_next * d_next)
        c, dc = c_next, dc_next
        delta, ddelta = d * c, dd * c + d * dc
        h_next, dh_next = h * delta, dh * delta + h * ddelta
        h, dh = np.where(active, h_next, h), np.where(active, dh_next, dh)
        active = active & ((np.abs(delta - 1) > _TOLERANCE) | (np.abs(ddelta) * np.abs(h) > _TOLERANCE * np.abs(dh)))
    return h, z * (h * (np.log(z) - digamma_values(alpha)) + dh)


def _expanded(alpha, z) -> tuple:
    """Each element (arrays broadcast together, every z positive and finite) by its expansion, in float64:
    whether it took the series (z < α + 1), the series' Σₙ cₙ or the fraction's h, and dz/dα."""
    alpha, z = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(z, np.float64))
    lower = z < alpha + 1
    value, slope = np.zeros(z.shape), np.zeros(z.shape)
    for part, expansion in ((lower, _series), (~lower, _fraction)):
        if part.any():
            value[part], slope[part] = expansion(alpha[part], z[part])
    return lower, value, slope


def regularized_gamma(alpha, z) -> tuple:
    """P(α, z), the distribution function of Gamma(α, 1), and dz/dα, the slope of a draw z (arrays
    broadcast together, every z positive and finite), in float64: P = z^α e^(−z) / Γ(α + 1) · Σₙ cₙ
    below α + 1, and 1 − z^α e^(−z) / Γ(α) · h above."""
    alpha, z = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(z, np.float64))
    lower, value, slope = _expanded(alpha, z)
    front = np.exp(alpha * np.log(z) - z - lgamma_values(np.where(lower, alpha + 1, alpha)))
    return np.where(lower, front * value, 1 - front * value), slope


def standard_gamma_slope(alpha, z) -> np.ndarray:
    """dz/dα for draws z of Gamma(α, 1) (arrays broadcast together), in float64."""
    return _expanded(alpha, z)[2]


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
