"""The primitives' gradient rules restated in tensor operations, so that gradients have gradients.

Each primitive's own rule (beside it in ``ops/``) maps the gradient ``g`` of its output to its
inputs' gradients with NumPy, fast and outside the graph. For ``create_graph=True`` the sweep of
:mod:`.higher_order` runs the rule below instead: the same formula, written with recorded
operations on the node's tensors (its inputs ``node._parents``, its output ``node`` itself, and
``g``, a tensor too). Differentiating the result differentiates the formula: for tanh, the rule
g·(1 − o²) depends on g and on o = tanh(a), so the second derivative flows through both.

Two kinds of rule:

* **Linear primitives** (reshape, permute, sum, mean, expand, indexing, concatenate, stack, and
  the sum back over broadcast axes) have rules that do not depend on the input's values and are
  linear in ``g``: B(g) = Jᵀg. Such a rule becomes one recorded operation, :func:`linear_map`,
  whose forward is the primitive's own NumPy rule and whose rule is its transpose J, which is the
  primitive itself applied to the incoming gradient. ``linear_map`` has a rule of the same form
  (the transpose of the transpose), so derivatives of any order pass through these.
* **Every other primitive** has its rule written out with ``ops``: products, quotients and powers,
  matrix products and the dense layer, the elementwise functions and activations, softmax and
  log-softmax, the 1- and 2-norm (other orders in :mod:`.differentiable_reductions`) and the losses of training (squared error; cross-entropy on class labels).

A rule reads the options its primitive was called with (an axis, a reduction) from the closure of
the primitive's NumPy rule, by name (:func:`kept`): the values the primitive kept for its own
gradient are the ones needed to restate it. tests/test_higher_order.py checks every rule here
against PyTorch's second derivatives and against finite differences of first derivatives, which
also catches a renamed variable.

A primitive that is not listed is refused by name when a sweep with ``create_graph=True`` reaches
it (:func:`rule_for`).
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..errors import GradError
from ..ops._core import normalize_axes, record, signs, unbroadcast
from ..tensor import Tensor

RULES: dict = {}


def rule(*names):
    """Register the decorated function as the differentiable rule of the primitives ``names``."""

    def register(function):
        for name in names:
            RULES[name] = function
        return function

    return register


def rule_for(node):
    """The differentiable rule of ``node``'s primitive, or a one-sentence refusal naming it."""
    found = RULES.get(node._op)
    if found is None:
        raise GradError(f"grad: create_graph=True needs the gradient of '{node._op}' to be differentiable, which it is "
                        "not in deltaprop (an autograd.Function's backward works on arrays; of the library's own "
                        "operations, docs/porting.md names the few without such a gradient); take this gradient "
                        "without create_graph")
    return found


def closure(function) -> dict:
    """The variables ``function`` keeps in its closure, by name (a cell not yet filled left out):
    what a primitive's NumPy rule, or a function that rule calls, was built with."""
    values = {}
    for name, cell in zip(function.__code__.co_freevars, getattr(function, "__closure__", None) or ()):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # (a cell not yet filled)
            pass
    return values


def kept(node) -> dict:
    """What the NumPy rule of ``node`` keeps in its closure, by name, and the options its primitive
    set on it as attributes (an ε, a δ, a weight: numbers the rule itself does not use)."""
    backward = node._backward
    return {**getattr(backward, "__dict__", {}), **closure(backward)}


def _refuse(node, why: str):
    raise GradError(f"grad: create_graph=True: the gradient of '{node._op}' {why} is not differentiable yet in "
                    f"deltaprop")


# -- linear primitives: the rule is a linear map of g, its transpose the primitive ----------------


class _LinearMap:
    """u ↦ apply(u) as a recorded operation; its rule is v ↦ transpose(v)."""

    __slots__ = ("apply", "transpose")

    def __init__(self, apply, transpose) -> None:
        self.apply, self.transpose = apply, transpose

    def backward(self, v):
        return (np.asarray(self.transpose(v)),)


def linear_map(g: Tensor, apply, transpose) -> Tensor:
    """``apply(g)`` for a linear NumPy map ``apply`` whose transpose is ``transpose``, recorded so
    that its own gradient is ``transpose`` of the incoming one."""
    return record(np.asarray(apply(g.data)), (g,), _LinearMap(apply, transpose).backward, "linear_map")


@rule("linear_map")
def _linear_map(node, g):
    linear = node._backward.__self__
    return (linear_map(g, linear.transpose, linear.apply),)


def _by_own_rule(node, g, i, transpose):
    """The gradient of ``node``'s parent ``i`` by the node's own NumPy rule, as a linear map."""
    own = node._backward
    return linear_map(g, lambda u: own(u)[i], transpose)


def sum_to(t: Tensor, shape: tuple) -> Tensor:
    """``t`` summed back over the axes along which a tensor of ``shape`` was broadcast to its shape."""
    if t.data.shape == tuple(shape):
        return t
    full = t.data.shape
    return linear_map(t, lambda u: unbroadcast(u, shape), lambda v: np.broadcast_to(v, full))


def _reduced_shape(shape: tuple, axis, keepdims: bool) -> tuple:
    """The shape of a reduction over ``axis`` with its reduced axes kept (as size 1), whether the
    reduction kept them (``keepdims``) or not: the shape its gradient broadcasts from."""
    axes = normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


@rule("reshape")
def _reshape(node, g):
    shape = node.data.shape
    return (_by_own_rule(node, g, 0, lambda v: v.reshape(shape)),)


@rule("permute")
def _permute(node, g):
    axes = kept(node)["axes"]
    return (_by_own_rule(node, g, 0, lambda v: np.transpose(v, axes)),)


@rule("sum", "mean")
def _sum(node, g):
    values = kept(node)
    axis, keepdims = values["axis"], values["keepdims"]
    count = values.get("n", 1) or 1

    def transpose(v):
        total = np.asarray(v.sum(axis=axis, keepdims=keepdims))
        return total / count if node._op == "mean" else total

    return (_by_own_rule(node, g, 0, transpose),)


@rule("expand")
def _expand(node, g):
    shape = node.data.shape
    return (_by_own_rule(node, g, 0, lambda v: np.broadcast_to(v, shape)),)


@rule("index")
def _index(node, g):
    values = kept(node)
    index, parts = values["index"], values["parts"]
    return (_by_own_rule(node, g, 0, lambda v: v[index] if parts is None else v[parts[0]][parts[1]]),)


@rule("concatenate", "stack")
def _join(node, g):
    values = kept(node)
    axis, shape = values["axis"] % node.data.ndim, node.data.shape
    grads, start = [], 0
    for i, parent in enumerate(node._parents):
        if node._op == "stack":
            place = (slice(None),) * axis + (i,)
        else:  # a 1-d empty input is left out of the concatenation (see ops.concatenate): no place
            length = 0 if parent.data.shape == (0,) else parent.data.shape[axis]
            place = (slice(None),) * axis + (slice(start, start + length),)
            start += length
        if not parent.requires_grad:
            grads.append(None)
            continue

        def transpose(v, place=place):  # the piece put back in its place, zeros elsewhere
            full = np.zeros(shape, v.dtype)
            if v.size:
                full[place] = v
            return full

        grads.append(_by_own_rule(node, g, i, transpose))
    return tuple(grads)


@rule("split")
def _split(node, g):
    """A piece of split/chunk/unbind: g put back in its place along the axis, zeros elsewhere (the
    pieces of one split hang from one node, the whole, whose rule passes its gradient on)."""
    if "whole" not in kept(node):  # the whole
        return (g,)
    (whole,) = node._parents
    index, shape = node._backward.__defaults__[0], whole.data.shape  # (the piece's place: its rule's default)

    def place(v):
        full = np.zeros(shape, v.dtype)
        full[index] = v
        return full

    return (linear_map(g, place, lambda v: v[index]),)


@rule("neg")
def _neg(node, g):
    return (ops.neg(g),)


@rule("add", "sub")
def _add(node, g):
    a, b = node._parents
    return (
        sum_to(g, a.data.shape) if a.requires_grad else None,
        sum_to(g if node._op == "add" else ops.neg(g), b.data.shape) if b.requires_grad else None,
    )


@rule("clone", "alias")
def _clone(node, g):
    return (g,)


@rule("astype")
def _astype(node, g):
    (a,) = node._parents
    return (ops.astype(g, a.data.dtype),)


# -- products, quotients, powers --------------------------------------------------------------------


@rule("mul")
def _mul(node, g):
    a, b = node._parents
    return (
        sum_to(ops.mul(g, b), a.data.shape) if a.requires_grad else None,
        sum_to(ops.mul(g, a), b.data.shape) if b.requires_grad else None,
    )


@rule("div")
def _div(node, g):
    if node._backward.__qualname__.startswith("_rounded_quotient."):  # div with rounding_mode='trunc': a step
        from .differentiable_elementwise import rounded_quotient  # (that module imports this one)

        return rounded_quotient(node, g)
    a, b = node._parents
    return (
        sum_to(ops.div(g, b), a.data.shape) if a.requires_grad else None,
        # −g·a/b², written as −g·out/b (the same numbers as the primitive's −g·(a/b)/b, out being a/b)
        sum_to(ops.neg(ops.div(ops.mul(g, node), b)), b.data.shape) if b.requires_grad else None,
    )


@rule("square")
def _square(node, g):
    (a,) = node._parents
    return (ops.mul(g, ops.mul(a, 2)),)


@rule("pow")
def _pow(node, g):
    a, b = node._parents
    ga = gb = None
    if a.requires_grad:
        exponent = b.data
        if isinstance(exponent, (int, float)) and exponent == 0:
            ga = ops.mul(g, np.zeros_like(a.data))
        elif isinstance(exponent, (int, float)):  # a number: b − 1 as a number (a tensor of it would be float32)
            ga = ops.mul(ops.mul(g, exponent), ops.pow(a, exponent - 1))
        else:
            # g·b·a^(b−1); where b is 0 the term is 0 (PyTorch's), not 0·a^(−1), which is NaN at a = 0
            ga = ops.mul(ops.mul(g, b), ops.pow(a, ops.sub(b, 1)))
            if not isinstance(exponent, (int, float)) and np.any(exponent == 0):
                ga = ops.where(np.broadcast_to(exponent != 0, ga.data.shape), ga, 0.0)
        ga = sum_to(ga, a.data.shape)
    if b.requires_grad:
        # g·out·log a, 0 where a = 0 and b ≥ 0 (PyTorch's convention for 0^b)
        base = a.data
        safe = ops.where(base == 0, np.ones_like(base), a) if np.any(base == 0) else a
        gb = ops.mul(ops.mul(g, node), ops.log(safe))
        gb = sum_to(gb, b.data.shape)
    return ga, gb


def _swap(t: Tensor) -> Tensor:
    return ops.swapaxes(t, -1, -2)


@rule("matmul")
def _matmul(node, g):
    a, b = node._parents
    u, v = a, b
    if b.data.ndim == 1:
        v, g = ops.reshape(b, (-1, 1)), ops.unsqueeze(g, -1)
    if a.data.ndim == 1:
        u, g = ops.reshape(a, (1, -1)), ops.unsqueeze(g, -2)
    ga = gb = None
    if a.requires_grad:
        ga = ops.reshape(sum_to(ops.matmul(g, _swap(v)), u.data.shape), a.data.shape)
    if b.requires_grad:
        gb = ops.reshape(sum_to(ops.matmul(_swap(u), g), v.data.shape), b.data.shape)
    return ga, gb


@rule("linear")
def _linear(node, g):
    values = kept(node)
    weight, bias, x_is_node = values["weight"], values.get("bias"), values["x_is_node"]
    x = node._parents[0] if x_is_node else Tensor._wrap(values["X"])
    n_out, n_in = weight.data.shape
    g2 = ops.reshape(g, (-1, n_out)) if g.data.ndim != 2 else g
    x2 = ops.reshape(x, (-1, n_in)) if x.data.ndim != 2 else x
    grads = (ops.matmul(_swap(g2), x2) if weight.requires_grad else None,)
    if bias is not None:
        grads += (ops.sum(g2, axis=0) if bias.requires_grad else None,)
    if x_is_node:
        grads = (ops.matmul(g, weight) if x.requires_grad else None,) + grads
    return grads


# -- elementwise functions and activations ---------------------------------------------------------


@rule("exp")
def _exp(node, g):
    return (ops.mul(g, node),)


@rule("log")
def _log(node, g):
    return (ops.div(g, node._parents[0]),)


@rule("sqrt")
def _sqrt(node, g):
    return (ops.div(g, ops.mul(node, 2)),)


@rule("abs")
def _abs(node, g):
    return (ops.mul(g, np.sign(node._parents[0].data)),)


@rule("tanh")
def _tanh(node, g):
    return (ops.mul(g, ops.sub(1, ops.mul(node, node))),)


@rule("sigmoid")
def _sigmoid(node, g):
    return (ops.mul(g, ops.mul(node, ops.sub(1, node))),)


@rule("relu")
def _relu(node, g):
    return (ops.mul(g, (node.data > 0).astype(node.data.dtype)),)


@rule("leaky_relu")
def _leaky_relu(node, g):
    (a,) = node._parents
    slope = kept(node).get("negative_slope", 0.01)
    return (ops.mul(g, np.where(a.data > 0, 1, slope).astype(a.data.dtype)),)


@rule("gelu")
def _gelu(node, g):
    (a,) = node._parents
    if "cdf" not in kept(node):
        from .differentiable_elementwise import tanh_gelu  # (that module imports this one)

        return tanh_gelu(node, g)
    # x·Φ(x): the slope Φ(x) + x·φ(x), both written with recorded operations
    cdf = ops.mul(ops.add(ops.erf(ops.mul(a, 1 / math.sqrt(2))), 1), 0.5)
    pdf = ops.mul(ops.exp(ops.mul(ops.mul(a, a), -0.5)), 1 / math.sqrt(2 * math.pi))
    return (ops.mul(g, ops.add(cdf, ops.mul(a, pdf))),)


@rule("softmax", "safe_softmax")
def _softmax(node, g):
    axis = kept(node)["axis"]
    # o·(g − Σ g·o): the Jacobian of softmax, diag(o) − o·oᵀ, applied to g
    return (ops.mul(node, ops.sub(g, ops.sum(ops.mul(g, node), axis=axis, keepdims=True))),)


@rule("log_softmax")
def _log_softmax(node, g):
    axis = kept(node)["axis"]
    return (ops.sub(g, ops.mul(ops.exp(node), ops.sum(g, axis=axis, keepdims=True))),)


@rule("norm", "linalg.vector_norm")
def _norm(node, g):
    (a,) = node._parents
    values = kept(node)
    p, axis = values["p"], values["axis"]
    keepdims = values.get("keepdims", values.get("keepdim"))
    if p not in (1, 2):
        from .differentiable_reductions import norm_of_any_order  # (that module imports this one)

        return norm_of_any_order(node, g)
    shape = _reduced_shape(a.data.shape, axis, keepdims)
    g = ops.reshape(g, shape)
    if p == 1:
        return (ops.mul(g, signs(a.data)),)
    # g·a/‖a‖, and 0 where the norm is 0 (as the primitive's rule): the quotient is taken of a safe
    # denominator, so that no 0/0 enters the graph even where it is masked
    norm = ops.reshape(node, shape)
    zero = node.data.reshape(shape) == 0
    if np.any(zero):
        norm = ops.where(zero, np.ones_like(norm.data), norm)
        return (ops.where(np.broadcast_to(zero, a.data.shape), 0.0, ops.mul(g, ops.div(a, norm))),)
    return (ops.mul(g, ops.div(a, norm)),)


# -- losses -----------------------------------------------------------------------------------------


def _upstream(g: Tensor, reduction: str, n) -> Tensor:
    """∂E/∂(each value) from the loss's gradient g: g/n for the mean, g for the sum and for 'none'."""
    return ops.div(g, n) if reduction == "mean" else g


@rule("mse_loss")
def _mse_loss(node, g):
    values = kept(node)
    input, target = values["input"], values["target"]
    scale = _upstream(g, values["reduction"], values["n"])
    # ∂/∂x (x − y)² = 2(x − y), of the tensors themselves (so in the graph when they are)
    difference = ops.sub(input, target)
    gx = ops.mul(ops.mul(difference, scale), 2)
    return (gx if input.requires_grad else None, ops.neg(gx) if target.requires_grad else None)


@rule("cross_entropy")
def _cross_entropy(node, g):
    values = kept(node)
    if "e" not in values or "labels" not in values:  # the general path: probabilities, a label column (N, 1), one sample (C,)
        from .differentiable_layers import general_cross_entropy  # (that module imports this one)

        return general_cross_entropy(node, g)
    (z,) = node._parents
    labels, reduction, denominator = values["labels"], values["reduction"], values["denominator"]
    smoothing, ignored, sample_weight, w = values["smoothing"], values["ignored"], values["sample_weight"], values["w"]
    dtype = z.data.dtype
    # Logits (N, C) or (N, C, d1, ...), labels (N,) or (N, d1, ...): every per-sample array below
    # gets the class axis back as an axis of length 1 (labels[:, None]), so that it broadcasts.
    n_classes = z.data.shape[1]
    classes = np.arange(n_classes).reshape((n_classes,) + (1,) * (labels.ndim - 1))
    shape = labels[:, None].shape
    nothing = reduction == "mean" and not denominator  # a mean over nothing: NaN, but 0 in the ignored samples
    if nothing:
        factor = np.full(shape, np.nan, dtype)
        if ignored is not None:
            factor[ignored[:, None]] = 0
        return (ops.mul(ops.softmax(z, axis=1), factor),)
    # δ = (r·softmax(z) − a)·g: a the weighted target, (1 − ε)·w_y at the label and ε/C·w_c at every
    # class c (w = 1 without class weights: a = onehot without smoothing), r = Σ_c a_c; both 0 in the
    # ignored samples
    w_y = np.ones(shape, dtype) if sample_weight is None else sample_weight[:, None]
    target = (labels[:, None] == classes) * (w_y * (1 - smoothing))
    rate = w_y * (1 - smoothing)
    if smoothing:
        target = target + (smoothing / n_classes) * (1.0 if w is None else w.reshape(classes.shape))
        rate = rate + smoothing * (1.0 if w is None else float(np.add.reduce(w)) / n_classes)
    if ignored is not None:
        keep = ~ignored[:, None]
        target, rate = target * keep, rate * keep
    scale = _upstream(g, reduction, denominator)
    if reduction == "none":
        scale = ops.reshape(scale, shape)
    # r·softmax(z) − a: the seeds' (ŷ − y) for plain labels, times the loss's gradient
    return (ops.mul(ops.sub(ops.mul(ops.softmax(z, axis=1), rate), target), scale),)


@rule("checkpoint")
def _checkpoint(node, g):
    # utils.checkpoint's node: its rule reruns the function, and knows how to sweep the new graph in
    # tensor operations too
    return node._backward.differentiable(node, g)
