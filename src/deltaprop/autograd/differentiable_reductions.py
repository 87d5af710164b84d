"""Differentiable gradient rules (see :mod:`.differentiable_rules`) of products and running
reductions (prod, cumprod, logcumsumexp), of norms of any order (the core rule writes out the 1- and
2-norm and passes the others on to here), of the Gaussian negative log-likelihood, and of cdist.

A product's gradient, the product of the other elements, is out/x where the input holds no zero,
written so with the output, which is differentiated in turn. With zeros that quotient is 0/0, and
the gradient's own derivatives are not 0 where the gradient is (∂²Π/∂x_i∂x_z is the product of the
rest): the product is then restated (:func:`.differentiable_layers.by_composition_of`) as the
product of the nonzero elements, a product without zeros, times the zeros themselves picked out
and multiplied, which every order of derivative differentiates exactly.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ops._core import normalize_axes, signs
from .differentiable_layers import _own_slope, _reduced, by_composition_of, composed
from .differentiable_rules import _reduced_shape, closure, kept, linear_map, rule

# -- products --------------------------------------------------------------------------------------


def _as_rows(t, axes: tuple):
    """``t`` with ``axes`` moved last and flattened into one: (slices, elements of a slice)."""
    moved = ops.movedim(t, axes, tuple(range(-len(axes), 0))) if axes else t
    n = math.prod(t.data.shape[i] for i in axes)
    return ops.reshape(moved, (-1, n))


def _zeros_of_rows(rows) -> list:
    """For each k below the most zeros a row holds: (whether each row has a k-th zero, its place)."""
    zero = rows.data == 0
    count = zero.sum(axis=1)
    order = np.argsort(~zero, axis=1, kind="stable")  # each row's zeros first, in their order
    return [(count > k, order[:, k]) for k in range(int(count.max(initial=0)))]


def _restated_product(rows, running: bool):
    """Π (or the running Π along the rows) as (Π of the nonzero elements) · (the zeros, picked out)."""
    zero = rows.data == 0
    nonzero = ops.where(zero, 1.0, rows)
    out = ops.cumprod(nonzero, axis=1) if running else ops.prod(nonzero, axis=1)
    places = np.arange(rows.data.shape[0])
    for has, place in _zeros_of_rows(rows):
        picked = ops.where(has, rows[places, place], 1.0)  # (1 for a row with fewer zeros)
        if running:  # the zero is a factor from its place on
            reached = has[:, None] & (np.arange(rows.data.shape[1]) >= place[:, None])
            picked = ops.where(reached, ops.reshape(picked, (-1, 1)), 1.0)
        out = ops.mul(out, picked)
    return out


def _restated_prod(node, a):
    values = kept(node)
    axes = normalize_axes(values["axis"], a.data.ndim)
    return ops.reshape(_restated_product(_as_rows(a, axes), running=False), node.data.shape)


@rule("prod")
def _prod(node, g):
    (a,) = node._parents
    values = kept(node)
    if np.any(values["X"] == 0):
        return by_composition_of(_restated_prod)(node, g)
    shape = _reduced_shape(a.data.shape, values["axis"], values["keepdims"])
    return (ops.mul(ops.reshape(g, shape), ops.div(ops.reshape(node, shape), a)),)


def _running_form(node):
    """(the input as the primitive ran along it, the axis, the input's shape): the primitive keeps
    its rule of (X, out, axis), and the shape where it flattened the input (NumPy's form)."""
    values = kept(node)
    if "rule" not in values:  # a 0-d input, its own running total
        return None
    return closure(values["rule"])["axis"], "shape" in values


def _reverse_cumsum(t, axis: int):
    """Σ_{k ≥ i} t_k along ``axis``, a linear map whose transpose is the running sum."""
    return linear_map(t, lambda v: np.flip(np.cumsum(np.flip(v, axis), axis), axis), lambda v: np.cumsum(v, axis))


def _restated_cumprod(node, a):
    axis, flattened = _running_form(node)
    x = ops.reshape(a, (-1,)) if flattened else a
    rows = _as_rows(x, (axis,))
    out = _restated_product(rows, running=True)
    moved = ops.movedim(x, axis, -1)
    return ops.movedim(ops.reshape(out, moved.data.shape), -1, axis)


@rule("cumprod")
def _cumprod(node, g):
    (a,) = node._parents
    form = _running_form(node)
    if form is None:
        return (g,)
    if np.any(a.data == 0):
        return by_composition_of(_restated_cumprod)(node, g)
    axis, flattened = form
    # Σ_{k ≥ i} g_k·y_k / x_i
    x = ops.reshape(a, (-1,)) if flattened else a
    return (ops.reshape(ops.div(_reverse_cumsum(ops.mul(g, node), axis), x), a.data.shape),)


@rule("logcumsumexp")
def _logcumsumexp(node, g):
    # Σ_{k ≥ i} g_k·e^(x_i − out_k), summed in log space with g's positive and negative parts apart,
    # as the primitive's rule (and PyTorch's, whose second derivatives this gives)
    (a,) = node._parents
    values = kept(node)
    if "axis" not in values:  # a 0-d input
        return (g,)
    axis, lowest = values["axis"], np.finfo(node.data.dtype).min

    def part(mask, magnitude):
        log = ops.where(mask, ops.log(ops.where(mask, magnitude, 1.0)), lowest)
        running = ops.flip(ops.logcumsumexp(ops.flip(ops.sub(log, node), (axis,)), axis), (axis,))
        return ops.exp(ops.add(running, a))

    return (ops.sub(part(g.data > 0, g), part(g.data < 0, ops.neg(g))),)


# -- norms of any order ------------------------------------------------------------------------------


def norm_of_any_order(node, g):
    """The rule of ``norm`` and ``linalg.vector_norm`` for p other than 1 and 2 (which
    :func:`.differentiable_rules._norm` writes out): g·sign(x)·|x|^(p−1)·n^(1−p), with 0 where the
    primitive's rule has 0; inf and −inf share g among the extreme elements (a constant slope), and
    0 has none."""
    (a,) = node._parents
    values = kept(node)
    p, axis = float(values["p"]), values["axis"]
    shape = _reduced_shape(a.data.shape, axis, values.get("keepdims", values.get("keepdim")))
    g = ops.reshape(g, shape)
    if np.isinf(p) or p == 0:
        return (ops.mul(g, _own_slope(node)),)
    X = a.data
    n_data = np.broadcast_to(node.data.reshape(shape), X.shape)
    zero_x, zero_n = X == 0, n_data == 0
    magnitude = ops.abs(ops.where(zero_x, 1.0, a) if np.any(zero_x) else a)
    n = ops.reshape(node, shape)
    n = ops.where(node.data.reshape(shape) == 0, 1.0, n) if np.any(zero_n) else n
    local = ops.mul(ops.mul(ops.pow(magnitude, p - 1), signs(X)), ops.pow(n, 1 - p))
    # 0 where the primitive's rule gives 0: at x = 0 (for p < 1, where |x|^(p−1) is infinite) and
    # wherever n = 0; the powers are taken of 1 there, so no inf or NaN enters the graph
    dropped = zero_x | zero_n
    if np.any(dropped):
        local = ops.where(dropped, 0.0, local)
    return (ops.mul(g, local),)


# -- the Gaussian negative log-likelihood ----------------------------------------------------------


@composed("gaussian_nll_loss")
def _gaussian_nll_loss(node, x, y, *var):
    # ½(log v + (x − y)²/v) at the clamped v, the clamp passed as if it were not there (its value
    # added as a constant), as the primitive and PyTorch take it; `full`'s ½ log 2π is a constant
    values = kept(node)
    v, clamped = values["v"], values["clamped"]
    variance = ops.add(ops.reshape(var[0], v.shape), clamped - v) if var else clamped
    d = ops.sub(x, y)
    per_element = ops.mul(ops.add(ops.log(variance), ops.div(ops.mul(d, d), variance)), 0.5)
    return _reduced(per_element, node)


# -- distances ------------------------------------------------------------------------------------------


@composed("cdist")
def _cdist(node, x, y):
    # ‖x_i − y_j‖_p restated as the norm of the differences: the norm's rules (0 where a distance
    # is 0, and for p < 2 where a component is) are the primitive's
    p = kept(node)["p"]
    return ops.norm(ops.sub(ops.unsqueeze(x, -2), ops.unsqueeze(y, -3)), p, axis=-1)
