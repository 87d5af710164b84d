"""The regularised incomplete gamma functions, PyTorch's ``igamma`` and ``igammac`` (``special.gammainc``
and ``gammaincc``): P(a, x) = γ(a, x)/Γ(a) = ∫₀ˣ tᵃ⁻¹ e⁻ᵗ dt / Γ(a), the distribution function of
Gamma(a, 1) at x, and Q(a, x) = 1 − P(a, x), computed in float64 by one of two expansions (each also
differentiated term by term in a, for the slope dz/dα of a gamma draw z = x, which
distributions/implicit_gamma.py needs and from which ∂P/∂a = −p(x; a)·dz/dα follows, p the density
p(x; a) = xᵃ⁻¹ e⁻ˣ / Γ(a)):

* x < a + 1: the series P(a, x) = xᵃ e⁻ˣ / Γ(a + 1) · Σₙ cₙ, with c₀ = 1 and
  cₙ = cₙ₋₁ · x / (a + n) (so cₙ = xⁿ Γ(a + 1) / Γ(a + n + 1)). Each term's logarithm has slope
  ln x − ψ(a + n + 1) in a, so ∂P/∂a = xᵃ e⁻ˣ / Γ(a + 1) · Σₙ cₙ (ln x − ψ(a + n + 1)), with
  ψ(a + n + 1) = ψ(a + n) + 1/(a + n). Dividing by −p: dz/dα = −(x/a) Σₙ cₙ (ln x − ψ(a + n + 1)).
  Here the terms are negative (ln x < ψ(a + n + 1) while x < a + ½) or nearly so.
* x ≥ a + 1: the upper tail Q = xᵃ e⁻ˣ / Γ(a) · h, h Legendre's continued fraction
  1/(x + 1 − a − 1·(1 − a)/(x + 3 − a − 2·(2 − a)/(x + 5 − a − …))), evaluated by the modified Lentz
  method while carrying each quantity's slope in a alongside it (forward differentiation). Then
  ∂P/∂a = −∂Q/∂a = −Q·(ln x − ψ(a) + h′/h), and dz/dα = x·(h·(ln x − ψ(a)) + h′): both parts are
  positive there (ln x > ln a > ψ(a), and h′/h is the mean of ln(t/x) over the tail beyond x).

Both stop once every element's next term changes its sums by less than 1e-17 of them (the series
needs about x − a + 10√a terms, the fraction a few tens of steps). Each function is taken from the
expansion where it is not a difference of nearly equal numbers: P from the series, Q from the
fraction, the other as 1 minus it (not below 0.08 there for a ≥ ½). For a < ½ and x < a + 1, where
P nears 1 as a nears 0 (Q(a, x) ≈ a·E₁(x)), Q is computed directly from the series of P written as
xᵃ/Γ(a + 1) + xᵃ/Γ(a) · S, S = Σ_{n≥1} (−x)ⁿ/(n!(a + n)): with t = a ln x − ln Γ(1 + a),
Q = −expm1(t) − a·eᵗ·S, both terms of the order of a (ln Γ(1 + a) by its Taylor series at a itself).

Gradients: ±p(x; a) to x and ∓p(x; a)·dz/dα to a (PyTorch has none to a: its backward reports
that derivative as not implemented). At the edges the limits: to x, p(0; a) (+inf for a < 1, 1 for
a = 1, 0 beyond) and 0 at +inf; to a, 0 at x = 0 and +inf (PyTorch: NaN at x = 0 for a ≥ 1 and at +inf).
"""

from __future__ import annotations

import numpy as np

from ._core import broadcast_error, operand, record, unbroadcast
from .gamma_functions import digamma_values, lgamma1p_values, lgamma_values
from .promotion import promoted, refuse_non_floating, result_type

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


def expansions(alpha, z) -> tuple:
    """Each element (arrays broadcast together, every z positive and finite) by its expansion, in float64:
    whether it took the series (z < α + 1), the series' Σₙ cₙ or the fraction's h, and dz/dα."""
    alpha, z = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(z, np.float64))
    lower = z < alpha + 1
    value, slope = np.zeros(z.shape), np.zeros(z.shape)
    for part, expansion in ((lower, _series), (~lower, _fraction)):
        if part.any():
            value[part], slope[part] = expansion(alpha[part], z[part])
    return lower, value, slope


def _upper_for_small_a(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Q(a, x) for 0 < a < ½ and 0 < x < a + 1 (see the module's docstring): −expm1(t) − a·eᵗ·S."""
    t = a * np.log(x) - lgamma1p_values(a)
    term, total, n = np.ones_like(x), np.zeros_like(x), 0
    while True:  # S = Σ_{n≥1} (−x)ⁿ/(n!(a + n)), x < 1.5: its terms shrink at once, 40 leave below 1e-30
        n += 1
        term = term * -x / n
        total = total + term / (a + n)
        if n >= 40 or not np.any(np.abs(term) > _TOLERANCE * np.abs(total)):
            return -np.expm1(t) - a * np.exp(t) * total


def gamma_density(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """p(x; a) = xᵃ⁻¹ e⁻ˣ / Γ(a) in float64: x⁰ = 1 at x = 0 (so a = 1 gives 1 there), 0 at +inf,
    NaN below 0 (as P there)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.where(a == 1, 0.0, (a - 1) * np.log(x)) - x - lgamma_values(a)
        return np.where(x < 0, np.nan, np.where(np.isinf(x), 0.0, np.exp(log_p)))


def _regularized(name: str, input, other, upper: bool):
    """P(a, x) (Q(a, x) for ``upper``) of the tensors or numbers ``input`` (a) and ``other`` (x),
    broadcast together and promoted to a floating dtype, recorded with the gradients to both."""
    a_, x_ = operand(input), operand(other)
    try:
        shape = np.broadcast_shapes(np.shape(a_.data), np.shape(x_.data))
    except ValueError:
        raise broadcast_error(name, a_, x_) from None
    dtype = result_type(a_.data, x_.data)
    if dtype.kind != "f":
        refuse_non_floating(name, dtype)
    a, x = (np.broadcast_to(np.asarray(v, np.float64), shape) for v in promoted(a_.data, x_.data))
    inside = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
    with np.errstate(invalid="ignore"):
        # the edges: P(0, x > 0) = 1, P(a, 0) = 0, P(a, inf) = 1, P(inf, x) = 0; NaN for a or x
        # below 0, P(0, 0), P(inf, inf) and NaN in
        p = np.where((a == 0) & (x > 0), 1.0, np.where((x == 0) & (a > 0), 0.0, np.nan))
        p = np.where(np.isinf(x) & (a >= 0) & np.isfinite(a), 1.0, p)
        p = np.where(np.isinf(a) & (a > 0) & (x >= 0) & np.isfinite(x), 0.0, p)
    q = 1 - p
    slope = np.zeros(shape)
    if inside.any():
        ai, xi = a[inside], x[inside]
        lower, value, slope[inside] = expansions(ai, xi)
        front = np.exp(ai * np.log(xi) - xi - lgamma_values(np.where(lower, ai + 1, ai)))
        p[inside] = np.where(lower, front * value, 1 - front * value)
        q[inside] = np.where(lower, 1 - front * value, front * value)
        small = inside & (a < 0.5) & (x < a + 1)
        if small.any():
            q[small] = _upper_for_small_a(a[small], x[small])
    sign = -1.0 if upper else 1.0

    def backward(g):
        density = gamma_density(a, x)
        with np.errstate(invalid="ignore"):  # (0·inf at x = 0, outside the inside)
            to_a = np.where(inside, -sign * slope * density, 0.0)
        return (unbroadcast((g * to_a).astype(g.dtype, copy=False), np.shape(a_.data)) if a_.requires_grad else None,
                unbroadcast((g * sign * density).astype(g.dtype, copy=False), np.shape(x_.data))
                if x_.requires_grad else None)

    return record((q if upper else p).astype(dtype), (a_, x_), backward, name)


def igamma(input, other):
    """P(input, other), the regularised lower incomplete gamma function (``special.gammainc``):
    the chance that a Gamma(input, 1) draw is at most ``other``. Floating-point tensors (or numbers)
    that broadcast together; NaN where either is negative."""
    return _regularized("igamma", input, other, upper=False)


def igammac(input, other):
    """Q(input, other) = 1 − P(input, other), the regularised upper incomplete gamma function
    (``special.gammaincc``), computed directly in its tail (no 1 − P there)."""
    return _regularized("igammac", input, other, upper=True)
