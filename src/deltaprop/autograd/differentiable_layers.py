"""Differentiable gradient rules of the activations, normalisation layers, losses and remaining
elementwise operations and reductions, registered in :data:`.differentiable_rules.RULES` (see that
module for what a rule is).

Three kinds of rule here besides the written-out ones:

* **Piecewise-linear operations** (hardtanh, relu6, threshold, the shrinks, hardsigmoid, clamp by
  numbers, the max and min reductions): the gradient is g times a slope that is constant between
  the kinks, so the rule is g·S with S the primitive's own rule applied to ones, a constant of the
  graph. The second derivative through such an operation is zero, as PyTorch's.
* **Smooth elementwise functions** ``f``: g·f'(a), with f' written in recorded operations
  (:data:`SLOPES`), so that it is differentiated in turn.
* **Compositions** (:func:`composed`): the primitive restated as a composition of operations that
  have differentiable rules (a layer normalisation as means, differences, a root and products; a
  loss as its formula), and the rule differentiates that composition, by the same sweep, between
  the node's output and its inputs. The forward is computed once more for it; this is paid only
  with ``create_graph=True``.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ops._core import normalize_axes
from ..ops.activation import SELU_ALPHA, SELU_SCALE
from ..ops.elementwise import share
from .differentiable_rules import _by_own_rule, _reduced_shape, kept, rule, sum_to


def by_composition_of(restate):
    """The rule that differentiates ``restate(node, *parents) -> Tensor``: the primitive's output
    computed again from its inputs with operations that have differentiable rules."""

    def by_composition(node, g):
        from .higher_order import differentiable_gradients  # (that module imports this one)

        parents = node._parents
        wanted, seen = [], set()
        for p in parents:  # an input passed twice gets its gradient once (it is one tensor)
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                wanted.append(p)
        out = restate(node, *parents)
        found = dict(zip(map(id, wanted), differentiable_gradients([out], [g], wanted, within=True)))
        return tuple(found.pop(id(p), None) for p in parents)

    return by_composition


def composed(*names):
    """Register the decorated restatement (see :func:`by_composition_of`) as the rule of ``names``."""

    def register(restate):
        rule(*names)(by_composition_of(restate))
        return restate

    return register


def _own_slope(node, i: int = 0) -> np.ndarray:
    """The primitive's own rule applied to ones: the slope of a piecewise-linear operation."""
    return node._backward(np.ones_like(node.data))[i]


# -- piecewise-linear operations: g times a constant slope ----------------------------------------


@rule("hardtanh", "relu6", "threshold", "hardshrink", "softshrink", "hardsigmoid", "sign")
def _piecewise_linear(node, g):
    return (ops.mul(g, _own_slope(node)),)


@rule("clip")
def _clip(node, g):
    values = kept(node)
    if values["min_learns"] or values["max_learns"] or node.data.shape != node._parents[0].data.shape:
        from .differentiable_elementwise import clip_by_tensors  # (that module imports this one)

        return clip_by_tensors(node, g)
    return (ops.mul(g, _own_slope(node)),)


@rule("max", "min")
def _extreme(node, g):
    # the own rule sends g to the maxima (split between ties): g expanded, times where it goes
    values = kept(node)
    (a,) = node._parents
    shape = _reduced_shape(a.data.shape, values["axis"], values["keepdims"])
    return (ops.mul(ops.reshape(g, shape), _own_slope(node)),)


@rule("maximum", "minimum")
def _select(node, g):
    a, b = node._parents
    values = kept(node)
    x, y, loses, dtype = values["x"], values["y"], values["loses"], node.data.dtype

    def part(mine, other):
        # g·share, and 0 where the operand loses even for an infinite g (not ∞·0), as the own rule
        shared = np.broadcast_to(share(mine, other, loses, dtype), node.data.shape)
        with np.errstate(invalid="ignore"):  # the ∞·0 that where() discards
            return ops.where(shared != 0, ops.mul(g, shared), 0.0)

    return (sum_to(part(x, y), a.data.shape) if a.requires_grad else None,
            sum_to(part(y, x), b.data.shape) if b.requires_grad else None)


@rule("where")
def _where(node, g):
    a, b = node._parents
    condition = np.broadcast_to(kept(node)["condition"], node.data.shape)
    return (sum_to(ops.where(condition, g, 0.0), a.data.shape) if a.requires_grad else None,
            sum_to(ops.where(condition, 0.0, g), b.data.shape) if b.requires_grad else None)


# -- smooth elementwise functions: g·f'(a), f' recorded ------------------------------------------

_TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)

#: f'(a) in recorded operations, from the input ``a`` and the output ``o`` (the node itself)
SLOPES = {
    "sin": lambda a, o: ops.cos(a),
    "cos": lambda a, o: ops.neg(ops.sin(a)),
    "log1p": lambda a, o: ops.div(1.0, ops.add(a, 1.0)),
    "log2": lambda a, o: ops.div(1 / math.log(2), a),
    "log10": lambda a, o: ops.div(1 / math.log(10), a),
    "expm1": lambda a, o: ops.add(o, 1.0),
    "exp2": lambda a, o: ops.mul(o, math.log(2)),
    "reciprocal": lambda a, o: ops.neg(ops.mul(o, o)),
    "rsqrt": lambda a, o: ops.mul(ops.mul(ops.mul(o, o), o), -0.5),
    "erf": lambda a, o: ops.mul(ops.exp(ops.neg(ops.mul(a, a))), _TWO_OVER_ROOT_PI),
    "erfc": lambda a, o: ops.mul(ops.exp(ops.neg(ops.mul(a, a))), -_TWO_OVER_ROOT_PI),
    "logsigmoid": lambda a, o: ops.sigmoid(ops.neg(a)),
    "tanhshrink": lambda a, o: ops.square(ops.tanh(a)),
    "silu": lambda a, o: _silu_slope(a),
}


def _silu_slope(a):
    s = ops.sigmoid(a)
    return ops.mul(s, ops.add(ops.mul(a, ops.sub(1.0, s)), 1.0))


@rule(*SLOPES)
def _smooth(node, g):
    (a,) = node._parents
    return (ops.mul(g, SLOPES[node._op](a, node)),)


def _below_zero(a, positive: np.ndarray):
    """a where it is at most 0, and 0 elsewhere: so that eᵃ is taken only where it is used (an
    overflowing eᵃ in the unused branch would give 0·inf = NaN in the second derivative)."""
    return ops.where(positive, 0.0, a)


@rule("elu", "celu", "selu")
def _elu_family(node, g):
    (a,) = node._parents
    positive = a.data > 0
    if node._op == "selu":
        below = ops.mul(ops.exp(_below_zero(a, positive)), SELU_SCALE * SELU_ALPHA)
        return (ops.mul(g, ops.where(positive, SELU_SCALE, below)),)
    alpha = kept(node)["alpha"]
    inside = _below_zero(a, positive)
    # elu: (α(eᵃ − 1))' = α·eᵃ; celu: (α(e^(a/α) − 1))' = e^(a/α)
    below = ops.mul(ops.exp(inside), alpha) if node._op == "elu" else ops.exp(ops.div(inside, alpha))
    return (ops.mul(g, ops.where(positive, 1.0, below)),)


@rule("softplus")
def _softplus(node, g):
    (a,) = node._parents
    values = kept(node)
    # σ(βa), and 1 past the threshold where the primitive is the line a
    return (ops.where(values["linear"], g, ops.mul(g, ops.sigmoid(ops.mul(a, values["beta"])))),)


@composed("mish")
def _mish(node, a):
    return ops.mul(a, ops.tanh(ops.softplus(a)))


@composed("softsign")
def _softsign(node, a):
    return ops.div(a, ops.add(ops.abs(a), 1.0))


@composed("hardswish")
def _hardswish(node, a):
    return ops.mul(a, ops.hardsigmoid(a))


@composed("softmin")
def _softmin(node, a):
    return ops.softmax(ops.neg(a), axis=kept(node)["axis"])


@composed("prelu")
def _prelu(node, a, w):
    values = kept(node)
    slope = ops.reshape(w, values["slope"].shape)
    return ops.where(values["positive"], a, ops.mul(slope, a))


# -- reductions --------------------------------------------------------------------------------------


@rule("logsumexp")
def _logsumexp(node, g):
    (a,) = node._parents
    values = kept(node)
    shape = _reduced_shape(a.data.shape, values["axis"], values["keepdims"])
    # the softmax of each slice, e^(a − lse), written with the output so that it is differentiated
    return (ops.mul(ops.reshape(g, shape), ops.exp(ops.sub(a, ops.reshape(node, shape)))),)


@rule("var")
def _var(node, g):
    (a,) = node._parents
    values = kept(node)
    axis, keepdims = values["axis"], values["keepdims"]
    shape = _reduced_shape(a.data.shape, axis, keepdims)
    axes = normalize_axes(axis, a.data.ndim)
    centred = ops.sub(a, ops.mean(a, axis=axes, keepdims=True))
    # 2(a − mean)/(n − correction); the mean's own dependence on a cancels in the sum
    return (ops.mul(ops.reshape(g, shape), ops.mul(centred, 2.0 / values["denominator"])),)


@rule("std")
def _std(node, g):
    # g/(2·std), 0 where the deviation is 0 (as the primitive's rule), through a safe denominator
    zero = node.data == 0
    denominator = ops.where(zero, 1.0, node) if np.any(zero) else node
    return (ops.where(zero, 0.0, ops.div(g, ops.mul(denominator, 2.0))),)


# -- normalisation layers: the forward restated -----------------------------------------------------


def _normalized(x, axes, eps):
    """(x − μ)/√(σ² + ε) over ``axes`` (σ² the biased variance, as the layers take it)."""
    centred = ops.sub(x, ops.mean(x, axis=axes, keepdims=True))
    variance = ops.mean(ops.mul(centred, centred), axis=axes, keepdims=True)
    return ops.div(centred, ops.sqrt(ops.add(variance, eps)))


def _affine(xhat, node, parents, shape):
    """x̂·γ + β, with the layer's γ and β (those it has) reshaped to ``shape``."""
    names = [name for name in ("gamma", "beta") if kept(node).get(name) is not None]
    params = dict(zip(names, parents))
    out = xhat
    if "gamma" in params:
        out = ops.mul(out, ops.reshape(params["gamma"], shape))
    if "beta" in params:
        out = ops.add(out, ops.reshape(params["beta"], shape))
    return out


@composed("batch_norm")
def _batch_norm(node, x, *parents):
    values = kept(node)
    shape, axes = values["shape"], values["axes"]
    if values["batch_stats"]:
        xhat = _normalized(x, axes, values["eps"])
    else:  # the running statistics: constants, so the layer is affine in x
        xhat = ops.mul(ops.sub(x, values["mean"].reshape(shape)), values["invstd"].reshape(shape))
    return _affine(xhat, node, parents, shape)


@composed("layer_norm")
def _layer_norm(node, x, *parents):
    values = kept(node)
    axes = values["axes"]
    return _affine(_normalized(x, axes, values["eps"]), node, parents, x.data.shape[axes[0]:])


@composed("rms_norm")
def _rms_norm(node, x, *parents):
    values = kept(node)
    axes = values["axes"]
    mean_square = ops.mean(ops.mul(x, x), axis=axes, keepdims=True)
    return _affine(ops.mul(x, ops.rsqrt(ops.add(mean_square, values["eps"]))), node, parents, x.data.shape[axes[0]:])


@composed("group_norm")
def _group_norm(node, x, *parents):
    values = kept(node)
    xhat = ops.reshape(_normalized(ops.reshape(x, values["grouped"]), -1, values["eps"]), values["shape"])
    channel = (1, values["shape"][1]) + (1,) * (len(values["shape"]) - 2)
    return _affine(xhat, node, parents, channel)


# -- losses: the formula restated, then reduced as the primitive reduces -------------------------


def _reduced(values, node):
    """The per-element loss reduced as ``node``'s primitive did: summed, averaged by its denominator, or not."""
    kept_ = kept(node)
    reduction = kept_["reduction"]
    if reduction == "none":
        return values
    total = ops.sum(values)
    return ops.div(total, kept_["n"]) if reduction == "mean" else total


def _weighted(values, weight):
    return values if weight is None else ops.mul(values, weight)


@composed("l1_loss")
def _l1_loss(node, x, y):
    return _reduced(ops.abs(ops.sub(x, y)), node)


@composed("huber_loss", "smooth_l1_loss")
def _huber(node, x, y):
    values = kept(node)
    width = values["delta"] if node._op == "huber_loss" else values["beta"]
    d = ops.sub(x, y)
    if width == 0:  # smooth_l1 with beta = 0 is |d|
        return _reduced(ops.abs(d), node)
    # ½d² within the width, width·(|d| − ½width) beyond (huber); smooth_l1 is that over beta
    inside = np.abs(d.data) <= width if node._op == "huber_loss" else np.abs(d.data) < width
    near = ops.mul(ops.square(ops.where(inside, d, 0.0)), 0.5)
    far = ops.mul(ops.sub(ops.abs(ops.where(inside, width, d)), 0.5 * width), width)
    per_element = ops.where(inside, near, far)
    if node._op == "smooth_l1_loss":
        per_element = ops.div(per_element, width)
    return _reduced(per_element, node)


@composed("binary_cross_entropy")
def _binary_cross_entropy(node, p, y):
    # −[y·log p + (1 − y)·log(1 − p)], each log clamped at −100 as the primitive's
    log_p = ops.clip(ops.log(p), -100.0, None)
    log_q = ops.clip(ops.log1p(ops.neg(p)), -100.0, None)
    values = ops.neg(ops.add(ops.mul(y, log_p), ops.mul(ops.sub(1.0, y), log_q)))
    return _reduced(_weighted(values, kept(node).get("weight")), node)


@composed("binary_cross_entropy_with_logits")
def _binary_cross_entropy_with_logits(node, z, y):
    # (1 − y)·z + L·softplus(−z), L = 1 + (pos_weight − 1)·y
    options = kept(node)
    pos_weight = options.get("pos_weight")
    scale = 1.0 if pos_weight is None else ops.add(ops.mul(ops.sub(pos_weight, 1.0), y), 1.0)
    values = ops.add(ops.mul(ops.sub(1.0, y), z), ops.mul(ops.softplus(ops.neg(z)), scale))
    return _reduced(_weighted(values, options.get("weight")), node)


@composed("kl_div")
def _kl_div(node, x, y):
    if kept(node)["log_target"]:  # e^(log q)·(log q − log p)
        return _reduced(ops.mul(ops.exp(y), ops.sub(y, x)), node)
    positive = y.data > 0
    # q·(log q − log p), 0 where q = 0: the logarithm taken of a safe q there
    log_q = ops.log(ops.where(positive, y, 1.0))
    return _reduced(ops.where(positive, ops.mul(y, ops.sub(log_q, x)), 0.0), node)


def _class_rows(x, n_classes: int):
    """An (N, C, d1, ...) input as (M, C) rows, classes last (the losses' own layout)."""
    if x.data.ndim == 2:
        return x
    return ops.reshape(ops.moveaxis(x, 1, -1), (-1, n_classes))


def _reduced_by(per_sample, node, values):
    """Class losses' reduction: by the sum of the samples' weights for 'mean' (0 if none counts)."""
    reduction, denominator = values["reduction"], values["denominator"]
    if reduction == "none":
        return ops.reshape(per_sample, node.data.shape)
    total = ops.sum(per_sample)
    if reduction == "sum":
        return total
    return ops.mul(total, 0.0) if values["kept"] is not None and not denominator else ops.div(total, denominator)


@composed("nll_loss")
def _nll_loss(node, x):
    values = kept(node)
    index = values["index"]  # (rows, labels) of (N, C), or flat offsets into (N, C, d1, ...)
    picked = ops.reshape(x, values["x"].shape if isinstance(index, tuple) else (-1,))[index]  # each sample's log p_y
    return _reduced_by(ops.mul(picked, -values["sample_weight"]), node, values)


def _cross_entropy_restated(node, z, *target):
    """−Σ_c a_c·log softmax(z)_c per sample, a the weighted target (see ops.loss.cross_entropy)."""
    values = kept(node)
    n_classes, smoothing, w = values["n_classes"], values["label_smoothing"], values["w"]
    if target:  # probabilities that are themselves computed: a = ((1 − ε)q + ε/C)·w in the graph
        a = _class_rows(target[0], n_classes)
        if smoothing:
            a = ops.add(ops.mul(a, 1 - smoothing), smoothing / n_classes)
        a = a if w is None else ops.mul(a, w)
    else:
        a = values["a"] if values["a"] is not None else weighted_labels(values)
    log_p = ops.log_softmax(_class_rows(z, n_classes), axis=1)
    return _reduced_by(ops.neg(ops.sum(ops.mul(a, log_p), axis=1)), node, values)


general_cross_entropy = by_composition_of(_cross_entropy_restated)


def weighted_labels(values) -> np.ndarray:
    """cross_entropy's weighted target for class labels, from what its rule keeps."""
    from ..ops.loss.classification import label_coefficients

    return label_coefficients(values["logp"], values["rows"], values["labels"], values["label_smoothing"],
                              values["sample_weight"], values["n_classes"], values["w"], values["kept"])


@rule("embedding")
def _embedding(node, g):
    values = kept(node)
    flat, padding, dtype = values["flat"], values["padding"], node.data.dtype
    counts = np.maximum(np.bincount(flat, minlength=values["rows"]), 1) if values["scale_grad_by_freq"] else None

    def transpose(v):  # the rows of v that the lookup reads, as the rule scaled them
        if counts is not None or padding is not None:
            v = v / counts.astype(dtype)[:, None] if counts is not None else v.copy()
            if padding is not None:
                v[padding] = 0
        return v[flat].reshape(node.data.shape)

    return (_by_own_rule(node, g, 0, transpose),)
