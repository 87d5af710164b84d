"""Differentiable gradient rules (see :mod:`.differentiable_rules`) of the remaining elementwise
functions: the trigonometric and hyperbolic ones, the special functions, the binary math functions
and the piecewise-constant ones.

* **Smooth functions of one tensor** join :data:`.differentiable_layers.SLOPES`: f'(a) in recorded
  operations, so that g·f'(a) is differentiated in turn. A slope that needs a function of its own
  uses it as a primitive: lgamma' = digamma, digamma' = polygamma(1, ·), polygamma(n, ·)' =
  polygamma(n + 1, ·), i0' = i1, i1' = i0 − i1/x; each of those has its rule here too, so
  derivatives of every order pass.
* **Functions of two or three tensors** (atan2, hypot, logaddexp, xlogy, lerp, ...): each partial
  derivative written out, summed back over broadcast axes by :func:`.differentiable_rules.sum_to`.
* **Piecewise-constant functions** (floor, ceil, round, trunc, floor_divide and div with a
  rounding mode) and those whose slope
  is a constant between jumps (frac, fmod and remainder in their dividend, copysign): g times that
  constant, as :mod:`.differentiable_layers` does for the piecewise-linear activations.
* **The incomplete gamma functions** (igamma, igammac): ±p(x; a), the gamma density, to x; their
  slope in a, computed on arrays, is refused. **frexp** and **nextafter**: g times their constant
  slopes (2⁻ᵉ; 1 where the result moved, else 0).
* **Options the core and layer rules pass on to here:** gelu's tanh form, and clamps whose bounds
  are tensors that require a gradient or broadcast the input.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ops.special_functions import I1_SLOPE_IS_HALF_BELOW, LOG_NDTR_TAIL_FROM, erfcx, i0, i1, xlog1py
from .differentiable_layers import _TWO_OVER_ROOT_PI, SLOPES, _piecewise_linear, _smooth, kept
from .differentiable_rules import _refuse, rule, sum_to

_LOG_ROOT_TWO_PI = 0.5 * math.log(2 * math.pi)
_ROOT_PI_OVER_TWO = math.sqrt(math.pi) / 2


def _one_minus_square(a):
    return ops.sub(1.0, ops.mul(a, a))


def _normal_log_density(a):
    """ln φ(a) = −a²/2 − ln √(2π)."""
    return ops.sub(ops.mul(ops.mul(a, a), -0.5), _LOG_ROOT_TWO_PI)


def _log_ndtr_slope(a, o):
    """φ(a)/Φ(a) as the primitive's rule computes it: e^(ln φ − ln Φ), and √(2/π)/erfcx(−a/√2) in the
    left tail, where the two logarithms would cancel. Each branch sees harmless stand-ins for the
    other's elements, so that no inf or NaN enters the graph to be multiplied by the where's 0."""
    tail = a.data <= LOG_NDTR_TAIL_FROM
    if not np.any(tail):
        return ops.exp(ops.sub(_normal_log_density(a), o))
    ratio = ops.exp(ops.sub(_normal_log_density(ops.where(tail, 0.0, a)), ops.where(tail, -math.log(2), o)))
    far = ops.reciprocal(erfcx(ops.mul(ops.where(tail, a, 2 * LOG_NDTR_TAIL_FROM), -1 / math.sqrt(2))))
    return ops.where(tail, ops.mul(far, math.sqrt(2 / math.pi)), ratio)


#: f'(a) in recorded operations, from the input ``a`` and the output ``o``
MORE_SLOPES = {
    "tan": lambda a, o: ops.add(ops.mul(o, o), 1.0),
    "asin": lambda a, o: ops.rsqrt(_one_minus_square(a)),
    "acos": lambda a, o: ops.neg(ops.rsqrt(_one_minus_square(a))),
    "atan": lambda a, o: ops.reciprocal(ops.add(ops.mul(a, a), 1.0)),
    "sinh": lambda a, o: ops.cosh(a),
    "cosh": lambda a, o: ops.sinh(a),
    "asinh": lambda a, o: ops.rsqrt(ops.add(ops.mul(a, a), 1.0)),
    # (a − 1)(a + 1), as the primitive's rule: no cancellation just above 1
    "acosh": lambda a, o: ops.rsqrt(ops.mul(ops.sub(a, 1.0), ops.add(a, 1.0))),
    "atanh": lambda a, o: ops.reciprocal(_one_minus_square(a)),
    "erfinv": lambda a, o: ops.mul(ops.exp(ops.mul(o, o)), _ROOT_PI_OVER_TWO),  # 1/erf'(erfinv a)
    "lgamma": lambda a, o: ops.digamma(a),
    "digamma": lambda a, o: ops.polygamma(1, a),
    "ndtr": lambda a, o: ops.exp(_normal_log_density(a)),
    "log_ndtr": lambda a, o: _log_ndtr_slope(a, o),
    "erfcx": lambda a, o: ops.sub(ops.mul(ops.mul(a, o), 2.0), _TWO_OVER_ROOT_PI),  # 2x·erfcx(x) − 2/√π
    "ndtri": lambda a, o: ops.exp(ops.neg(_normal_log_density(o))),  # 1/φ(Φ⁻¹(a))
    "i0": lambda a, o: i1(a),
    "entr": lambda a, o: ops.neg(ops.add(ops.log(a), 1.0)),
}
SLOPES.update(MORE_SLOPES)
rule(*MORE_SLOPES)(_smooth)


def _nonzero(a, zero: np.ndarray):
    """``a`` with 1 where ``zero``: a denominator that puts no 0/0 in the graph, even masked."""
    return ops.where(zero, 1.0, a) if np.any(zero) else a


@rule("polygamma")
def _polygamma(node, g):
    return (ops.mul(g, ops.polygamma(kept(node)["n"] + 1, node._parents[0])),)


@rule("i1")
def _i1(node, g):
    # i1' = i0 − i1/x, and ½ at 0 (its limit; the slope's own slope is 0 there, i1 being odd)
    (a,) = node._parents
    zero = np.abs(a.data) < I1_SLOPE_IS_HALF_BELOW
    slope = ops.sub(i0(a), ops.div(node, _nonzero(a, zero)))
    return (ops.mul(g, ops.where(zero, 0.5, slope) if np.any(zero) else slope),)


@rule("sinc")
def _sinc(node, g):
    # (cos πx − sinc x)/x, and 0 at 0 as the primitive's (and PyTorch's, whose second derivative at
    # 0 is then 0 too, not the limit −π²/3)
    (a,) = node._parents
    zero = a.data == 0
    slope = ops.div(ops.sub(ops.cos(ops.mul(a, math.pi)), node), _nonzero(a, zero))
    return (ops.mul(g, ops.where(zero, 0.0, slope) if np.any(zero) else slope),)


@rule("logit")
def _logit(node, g):
    # 1/(x(1 − x)) of the unclamped x; with eps, 0 outside [eps, 1 − eps] where the clamp holds;
    # without, the primitive's constants: +inf at 0 and 1, NaN outside [0, 1]
    (a,) = node._parents
    eps = kept(node)["eps"]
    x = a.data
    constant = (x < eps) | (x > 1 - eps) if eps is not None else ~((x > 0) & (x < 1)) & ~np.isnan(x)
    inside = ops.where(constant, 0.5, a) if np.any(constant) else a  # (no 1/0 in the graph, even masked)
    slope = ops.reciprocal(ops.mul(inside, ops.sub(1.0, inside)))
    if np.any(constant):
        edge = 0.0 if eps is not None else np.where((x == 0) | (x == 1), np.inf, np.nan).astype(x.dtype)
        slope = ops.where(constant, edge, slope)
    return (ops.mul(g, slope),)


# -- piecewise-constant functions: g times the constant slope ----------------------------------------

rule("floor", "ceil", "round", "trunc", "frac")(_piecewise_linear)


@rule("floor_divide", "normal", "bernoulli", "poisson")
def rounded_quotient(node, g):
    """floor_divide, and div with a rounding mode (recorded as 'div'): a step function of both
    operands, so 0 (g masked out entirely, so that an infinite g gives no NaN); and the draws of
    ops/sampling.py, whose gradient is 0 too."""
    nothing = np.zeros(node.data.shape, bool)
    return tuple(sum_to(ops.where(nothing, g, 0.0), p.data.shape) if p.requires_grad else None
                 for p in node._parents)


def _by_parts(node, ga, gb):
    """The two operands' gradients from the callables ``ga()`` and ``gb()``, each summed back to its
    operand's shape and computed only where it is wanted."""
    a, b = node._parents
    return (sum_to(ga(), a.data.shape) if a.requires_grad else None,
            sum_to(gb(), b.data.shape) if b.requires_grad else None)


@rule("fmod", "remainder")
def _fmod(node, g):
    # 1 for the dividend; −trunc(x/y) (fmod) or −floor(x/y) (remainder) for the divisor, constants
    values = kept(node)
    x, y = values["x"], values["y"]
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.trunc(x / y) if node._op == "fmod" else np.floor_divide(x, y)
    return _by_parts(node, lambda: g, lambda: ops.mul(g, np.asarray(-quotient, node.data.dtype)))


@rule("copysign")
def _copysign(node, g):
    # ±1 for the magnitude (0 where it is 0, as the primitive's), nothing for the sign's source
    values = kept(node)
    x, out = values["x"], node.data
    flip = np.where(x == 0, 0, np.where(np.signbit(x) == np.signbit(out), 1, -1)).astype(out.dtype)
    nothing = np.zeros(out.shape, bool)
    return _by_parts(node, lambda: ops.mul(g, flip), lambda: ops.where(nothing, g, 0.0))


@rule("atan2")
def _atan2(node, g):
    # ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²); 0 at the origin, as the primitive's
    y, x = node._parents
    r2 = ops.add(ops.mul(x, x), ops.mul(y, y))
    origin = r2.data == 0
    scale = ops.div(g, _nonzero(r2, origin))
    if np.any(origin):
        scale = ops.where(origin, 0.0, scale)
    return _by_parts(node, lambda: ops.mul(scale, x), lambda: ops.neg(ops.mul(scale, y)))


@rule("hypot")
def _hypot(node, g):
    x, y = node._parents
    scale = ops.div(g, node)  # (NaN at (0, 0), as the primitive's and PyTorch's)
    return _by_parts(node, lambda: ops.mul(scale, x), lambda: ops.mul(scale, y))


@rule("logaddexp", "logaddexp2")
def _logaddexp(node, g):
    # the softmax weights of the two: 1/(1 + b^(y − x)) = σ((x − y)·ln b)
    x, y = node._parents
    d = ops.sub(x, y)
    if node._op == "logaddexp2":
        d = ops.mul(d, math.log(2))
    return _by_parts(node, lambda: ops.mul(g, ops.sigmoid(d)), lambda: ops.mul(g, ops.sigmoid(ops.neg(d))))


@rule("xlogy", "xlog1py")
def _xlogy(node, g):
    # ∂/∂x: xlogy(g, y) (xlog1py(g, y)), 0 where x is 0 and y ≤ 0 (y ≤ −1), where the result is the
    # constant 0; ∂/∂y: g·x/y (g·x/(1 + y))
    x, y = node._parents
    of_x, edge = (ops.xlogy, 0) if node._op == "xlogy" else (xlog1py, -1)
    data_x, data_y = kept(node)["x"], kept(node)["y"]

    def ga():
        slope = of_x(g, y)
        constant = (data_x == 0) & (data_y <= edge)
        return ops.where(np.broadcast_to(constant, slope.data.shape), 0.0, slope) if np.any(constant) else slope

    def gb():
        return ops.div(ops.mul(g, x), y if node._op == "xlogy" else ops.add(y, 1.0))

    return _by_parts(node, ga, gb)


@rule("lerp")
def _lerp(node, g):
    # input + w·(end − input): 1 − w, w and end − input
    a, b, w = node._parents
    t = w if w.requires_grad else kept(node)["t"]  # (a number weight: in the input's dtype)
    rest = ops.sub(1.0, t) if w.requires_grad else 1 - t
    return (sum_to(ops.mul(g, rest), a.data.shape) if a.requires_grad else None,
            sum_to(ops.mul(g, t), b.data.shape) if b.requires_grad else None,
            sum_to(ops.mul(g, ops.sub(b, a)), w.data.shape) if w.requires_grad else None)


# -- options the core and layer rules pass on to here: gelu's tanh form, clamps by tensors ----------

_ROOT_TWO_OVER_PI = math.sqrt(2 / math.pi)
_CUBIC = 0.044715


def tanh_gelu(node, g):
    """The rule of gelu with approximate='tanh': ½(1 + t) + ½x(1 − t²)·k(1 + 3c x²), t = tanh(k(x + c x³))."""
    (x,) = node._parents
    square = ops.mul(x, x)
    t = ops.tanh(ops.mul(ops.add(x, ops.mul(ops.mul(square, x), _CUBIC)), _ROOT_TWO_OVER_PI))
    inner_slope = ops.mul(ops.add(ops.mul(square, 3 * _CUBIC), 1.0), _ROOT_TWO_OVER_PI)
    slope = ops.add(ops.mul(ops.add(t, 1.0), 0.5),
                    ops.mul(ops.mul(ops.mul(x, ops.sub(1.0, ops.mul(t, t))), inner_slope), 0.5))
    return (ops.mul(g, slope),)


def clip_by_tensors(node, g):
    """The rule of clip where a bound is a tensor that requires a gradient or broadcasts the input:
    g where each operand is the one selected (the primitive's masks, constants), summed back."""
    values = kept(node)
    x, low, high = values["x"], values["low"], values["high"]
    shape = node.data.shape
    inside = np.ones(shape, bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    masks = [inside]
    if values["min_learns"]:
        masks.append((x < low) & (low < high) if high is not None else x < low)
    if values["max_learns"]:
        masks.append((x > high) | (high < low) if low is not None else x > high)
    return tuple(sum_to(ops.where(np.broadcast_to(mask, shape), g, 0.0), p.data.shape) if p.requires_grad else None
                 for p, mask in zip(node._parents, masks))


# -- the regularised incomplete gamma functions, and the functions of a float's representation -----


@rule("igamma", "igammac")
def _incomplete_gamma(node, g):
    # ±p(x; a) = ±exp(xlogy(a − 1, x) − x − ln Γ(a)) to x, in recorded operations of a and x (0 at
    # x = +inf, where the exponent reads inf − inf); the slope in a comes from the expansions'
    # term-by-term derivative, on arrays, and is refused here
    a, x = node._parents
    if a.requires_grad:
        _refuse(node, "with respect to a, its first argument (its slope in a is computed on arrays)")
    far = np.isinf(x.data) & (np.asarray(x.data) > 0)
    near = ops.where(far, 1.0, x) if np.any(far) else x
    density = ops.exp(ops.sub(ops.sub(ops.xlogy(ops.sub(a, 1.0), near), near), ops.lgamma(a)))
    if np.any(far):
        density = ops.where(far, 0.0, density)
    slope = ops.mul(g, density if node._op == "igamma" else ops.neg(density))
    return None, sum_to(slope, np.shape(x.data))


@rule("frexp")
def _frexp(node, g):
    # the mantissa x·2⁻ᵉ: g times the constant 2⁻ᵉ
    return (ops.mul(g, kept(node)["slope"]),)


@rule("nextafter")
def _nextafter(node, g):
    # g to x where the result moved from it (a constant mask), nothing to the target
    a, b = node._parents
    moved = kept(node)["moved"]
    return (sum_to(ops.where(moved, g, 0.0), np.shape(a.data)) if a.requires_grad else None,
            sum_to(ops.where(np.zeros(node.data.shape, bool), g, 0.0), np.shape(b.data)) if b.requires_grad else None)
