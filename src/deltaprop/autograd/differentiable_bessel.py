"""Differentiable gradient rules (see :mod:`.differentiable_rules`) of the Bessel-family primitives
of :mod:`..ops.bessel`: each slope written in those primitives themselves (J₀′ = −J₁, K₁′ = −K₀ − K₁/x,
…), so that derivatives of every order pass. Where a slope divides by x (J₁, I₁, i1e), the limit ½
stands at 0, as in the primitives' own rules; airy_ai and zeta's slope in s stay refused."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..ops import bessel as B
from .differentiable_elementwise import _nonzero
from .differentiable_layers import SLOPES, _smooth
from .differentiable_rules import _refuse, rule, sum_to


def _over_x(f, a):
    """f/a, and ½ where |a| is below the primitives' threshold."""
    zero = np.abs(a.data) < B.ORDER_ONE_SLOPE_IS_HALF_BELOW
    quotient = ops.div(f, _nonzero(a, zero))
    return ops.where(zero, 0.5, quotient) if np.any(zero) else quotient


BESSEL_SLOPES = {
    "bessel_j0": lambda a, o: ops.neg(B.bessel_j1(a)),
    "bessel_j1": lambda a, o: ops.sub(B.bessel_j0(a), _over_x(o, a)),
    "bessel_y0": lambda a, o: ops.neg(B.bessel_y1(a)),
    "bessel_y1": lambda a, o: ops.sub(B.bessel_y0(a), ops.div(o, a)),
    "modified_bessel_i0": lambda a, o: B.modified_bessel_i1(a),
    "modified_bessel_i1": lambda a, o: ops.sub(B.modified_bessel_i0(a), _over_x(o, a)),
    "modified_bessel_k0": lambda a, o: ops.neg(B.modified_bessel_k1(a)),
    "modified_bessel_k1": lambda a, o: ops.neg(ops.add(B.modified_bessel_k0(a), ops.div(o, a))),
    "i0e": lambda a, o: ops.sub(B.i1e(a), ops.mul(o, np.sign(a.data))),
    "i1e": lambda a, o: ops.sub(ops.sub(B.i0e(a), _over_x(o, a)), ops.mul(o, np.sign(a.data))),
    "scaled_modified_bessel_k0": lambda a, o: ops.sub(o, B.scaled_modified_bessel_k1(a)),
    "scaled_modified_bessel_k1": lambda a, o: ops.sub(ops.sub(o, B.scaled_modified_bessel_k0(a)), ops.div(o, a)),
}
SLOPES.update(BESSEL_SLOPES)
rule(*BESSEL_SLOPES)(_smooth)


@rule("spherical_bessel_j0")
def _spherical_bessel_j0(node, g):
    # (cos x − j₀)/x, and −x/3 + x³/30 near 0 as the primitive's
    (a,) = node._parents
    small = np.abs(a.data) < 1e-4
    near = ops.where(small, 1.0, a) if np.any(small) else a
    slope = ops.div(ops.sub(ops.cos(near), B.spherical_bessel_j0(near)), near)
    if np.any(small):
        series = ops.add(ops.mul(a, -1 / 3), ops.mul(ops.mul(ops.mul(a, a), a), 1 / 30))
        slope = ops.where(small, series, slope)
    return (ops.mul(g, slope),)


@rule("zeta")
def _zeta(node, g):
    s, q = node._parents
    if s.requires_grad:
        _refuse(node, "with respect to s, its first argument (which has no derivative in deltaprop)")
    slope = ops.mul(ops.mul(g, ops.neg(s)), B.zeta(ops.add(s, 1.0), q))
    return None, sum_to(slope, np.shape(q.data))
