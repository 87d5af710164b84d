"""Ranking and embedding losses, built around a margin: margin_ranking_loss, hinge_embedding_loss,
soft_margin_loss, multilabel_soft_margin_loss, cosine_embedding_loss, triplet_margin_loss,
triplet_margin_with_distance_loss.

They are composed of primitives and follow PyTorch's definitions step by step (most are
compositions in PyTorch too), so their broadcasting, their subgradients at the kinks (a clamp at 0
passes the gradient, as clamp_min does) and which inputs get a gradient come from the rules of
the primitives they are made of.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ConfigError, ShapeError
from ...tensor import Tensor
from .._core import operand
from ..activation import logsigmoid, real_option, softplus
from ..arithmetic import add, div, mul, neg, sub
from ..elementwise import clip, minimum, sqrt, where
from ..reduction import norm
from ..reduction import sum as total
from ._common import _broadcast_shape, _check_reduction, _float_dtype, _operands, _reduced, _same_ndim


def margin_ranking_loss(input1, input2, target, margin=0.0, *, reduction="mean"):
    """E = max(0, −y·(x1 − x2) + margin): with y = 1, x1 should rank above x2 by at least
    ``margin``; with y = −1, below it. The three broadcast together and must have the same number of
    dimensions; the target gets a gradient too when it needs one, as in PyTorch."""
    name = "margin_ranking_loss"
    _check_reduction(name, reduction)
    margin = real_option(name, "margin", margin)
    x1 = operand(input1)
    x1, x2, y = _operands(_float_dtype(x1, input2, target), x1, input2, target)
    _same_ndim(name, input1=x1, input2=x2, target=y)
    _broadcast_shape(name, input1=x1, input2=x2, target=y)
    # −y·(x1 − x2) is y·(x2 − x1) exactly: negation only flips a sign bit
    return _reduced(clip(add(mul(y, sub(x2, x1)), margin), min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, *, reduction="mean"):
    """E = x where y = 1 and max(0, margin − x) where y = −1, for x a distance and y whether the pair
    is alike; a target that is neither adds both terms, as in PyTorch. The target, a label, gets no
    gradient; input and target broadcast together."""
    name = "hinge_embedding_loss"
    _check_reduction(name, reduction)
    margin = real_option(name, "margin", margin)
    x = operand(input)
    (y,) = _operands(_float_dtype(x), np.asarray(target.data if isinstance(target, Tensor) else target))
    _broadcast_shape(name, input=x, target=y)
    labels = y.data
    below_margin = clip(sub(margin, x), min=0)
    return _reduced(add(where(labels != 1, below_margin, 0), where(labels != -1, x, 0)), reduction)


def soft_margin_loss(input, target, *, reduction="mean"):
    """E = log(1 + e^(−y·x)), the logistic loss of a ±1 target. The target broadcasts to the input's
    shape (not the input to the target's) and gets no gradient, as in PyTorch.

    Computed as softplus(−y·x) without a linear threshold: the same numbers where PyTorch's
    log1p(exp(−y·x)) is finite, and finite where that overflows to inf (−y·x > 88 in float32).
    """
    name = "soft_margin_loss"
    _check_reduction(name, reduction)
    x = operand(input)
    (y,) = _operands(_float_dtype(x), np.asarray(target.data if isinstance(target, Tensor) else target))
    if _broadcast_shape(name, input=x, target=y) != np.shape(x.data):
        raise ShapeError(f"{name}: target of shape {np.shape(y.data)} does not broadcast to the input's shape "
                         f"{np.shape(x.data)}")
    return _reduced(softplus(mul(x, -y.data), 1.0, math.inf), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, *, reduction="mean"):
    """For each sample, the mean over its C labels (the last axis) of
    −w·[y·log σ(x) + (1 − y)·log σ(−x)]: binary cross-entropy from logits, label by label, with
    ``weight`` w rescaling the labels. 'none' gives one value per sample. Input, target and weight
    broadcast together, as in PyTorch, which composes it the same way."""
    name = "multilabel_soft_margin_loss"
    _check_reduction(name, reduction)
    x = operand(input)
    if not np.ndim(x.data):
        raise ShapeError(f"{name}: the input needs a label axis (the last), got a single number")
    dtype = _float_dtype(x, target)
    x, y = _operands(dtype, x, target)
    w = None if weight is None else _operands(dtype, weight)[0]
    _broadcast_shape(name, input=x, target=y, **({} if w is None else {"weight": w}))
    values = neg(add(mul(y, logsigmoid(x)), mul(sub(1, y), logsigmoid(neg(x)))))
    if w is not None:
        values = mul(values, w)
    labels = np.ndim(x.data) - 1
    return _reduced(div(total(values, axis=labels), np.shape(x.data)[labels]), reduction)


# Added to each squared norm: PyTorch's EPSILON, a C++ float, so 1e-12 rounded to float32 (9.99999996e-13)
# even in float64, where it sets the gradient at a zero vector (1/√ε) to nine digits.
_COSINE_EPS = float(np.float32(1e-12))


def cosine_embedding_loss(input1, input2, target, margin=0.0, *, reduction="mean"):
    """E = 1 − cos(x1, x2) where y = 1 and max(0, cos(x1, x2) − margin) where y = −1 (0 for any
    other target), with cos = Σ x1·x2 / √((Σ x1² + ε)(Σ x2² + ε)) over the last axis and ε = 1e-12
    as in PyTorch, so a zero vector has cosine 0 and finite gradients.

    Pairs are rows: inputs (N, D) with a target (N,), or one pair (D,) with a 0-d target; the
    inputs broadcast together, and the target, a label, gets no gradient.
    """
    name = "cosine_embedding_loss"
    _check_reduction(name, reduction)
    margin = real_option(name, "margin", margin)
    x1 = operand(input1)
    x1, x2 = _operands(_float_dtype(x1, input2), x1, input2)  # (the label target does not promote, as in PyTorch)
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.ndim > 1:
        raise ShapeError(f"{name}: target must be 0-d (one pair) or 1-d (one label per pair), got shape {labels.shape}")
    wanted = labels.ndim + 1
    if np.ndim(x1.data) != wanted or np.ndim(x2.data) != wanted:
        raise ShapeError(f"{name}: a {labels.ndim}-d target expects {wanted}-d inputs, got input1 {np.shape(x1.data)} "
                         f"and input2 {np.shape(x2.data)}")
    pairs = _broadcast_shape(name, input1=x1, input2=x2)[:-1]
    try:
        np.broadcast_shapes(pairs, labels.shape)
    except ValueError:
        raise ShapeError(f"{name}: {pairs[0]} pairs of inputs but target of shape {labels.shape}") from None
    product = total(mul(x1, x2), axis=-1)
    squares1 = add(total(mul(x1, x1), axis=-1), _COSINE_EPS)
    squares2 = add(total(mul(x2, x2), axis=-1), _COSINE_EPS)
    cos = div(product, sqrt(mul(squares1, squares2)))
    alike = where(labels == 1, sub(1, cos), 0)
    unlike = where(labels == -1, clip(sub(cos, margin), min=0), 0)
    return _reduced(add(alike, unlike), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, *, reduction="mean"):
    """E = max(0, margin + d(a, p) − d(a, n)): the anchor a should lie nearer its positive p than its
    negative n, by ``margin`` at least. d(u, v) = ‖u − v + eps‖_p over the last axis (PyTorch's
    pairwise_distance); with ``swap``, d(a, n) is replaced by min(d(a, n), d(p, n)), the harder
    negative. The three have the same number of dimensions (at least one) and broadcast together.
    ``p`` is any positive number or inf (PyTorch also takes p <= 0, which measures no distance)."""
    name = "triplet_margin_loss"
    _check_reduction(name, reduction)
    margin = real_option(name, "margin", margin)
    if not margin > 0:
        raise ConfigError(f"{name}: margin must be greater than 0, got {margin}")
    p = _norm_order(name, p)
    eps = real_option(name, "eps", eps)
    a = operand(anchor)
    a, pos, negs = _operands(_float_dtype(a, positive, negative), a, positive, negative)
    _same_ndim(name, anchor=a, positive=pos, negative=negs)
    if not np.ndim(a.data):
        raise ShapeError(f"{name}: anchor, positive and negative must be vectors or batches of vectors, got single numbers")
    _broadcast_shape(name, anchor=a, positive=pos, negative=negs)

    def distance(u, v):
        return norm(add(sub(u, v), eps), p, axis=-1)

    d_negative = distance(a, negs)
    if swap:
        d_negative = minimum(d_negative, distance(pos, negs))
    return _reduced(clip(sub(add(distance(a, pos), margin), d_negative), min=0), reduction)


def _norm_order(owner: str, p) -> float:
    p = real_option(owner, "p", p)
    if not p > 0:
        raise ConfigError(f"{owner}: p must be a positive number (inf for the largest difference), got {p}")
    return p


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """E = max(0, margin + d(a, p) − d(a, n)) for any distance d: ``distance_function(u, v)`` returns
    one distance per pair (a tensor), PyTorch's pairwise_distance (‖u − v + 1e-6‖₂ over the last axis)
    when None. ``swap`` replaces d(a, n) by min(d(a, n), d(p, n)). The gradient is that of the
    distance's own operations, so any function of deltaprop tensors works."""
    name = "triplet_margin_with_distance_loss"
    _check_reduction(name, reduction)
    margin = real_option(name, "margin", margin)
    if not margin > 0:
        raise ConfigError(f"{name}: margin must be greater than 0, got {margin}")
    if distance_function is not None and not callable(distance_function):
        raise ConfigError(f"{name}: distance_function must be a callable (u, v) -> distances or None, got "
                          f"{type(distance_function).__name__}")
    a = operand(anchor)
    a, pos, negs = _operands(_float_dtype(a), a, positive, negative)
    _same_ndim(name, anchor=a, positive=pos, negative=negs)
    if distance_function is None:
        _broadcast_shape(name, anchor=a, positive=pos, negative=negs)

        def distance_function(u, v):
            return norm(add(sub(u, v), 1e-6), 2.0, axis=-1)

    d_negative = _distance(name, distance_function, a, negs)
    if swap:
        d_negative = minimum(d_negative, _distance(name, distance_function, pos, negs))
    return _reduced(clip(sub(add(_distance(name, distance_function, a, pos), margin), d_negative), min=0), reduction)


def _distance(name: str, distance_function, u, v) -> Tensor:
    d = distance_function(u, v)
    if not isinstance(d, Tensor):
        raise TypeError(f"{name}: distance_function must return a tensor of distances, got {type(d).__name__}")
    return d
