"""Error functions E, each fused into one primitive with its gradient.

Fusing is what keeps them stable: cross-entropy works on logits through a shifted log-sum-exp and
never takes the log of a softmax computed separately, and binary cross-entropy from logits uses
softplus. Fusing also makes the output layer's error term simple, as the seeds derive it: for
softmax + cross-entropy, δ = (ŷ − y)/N; for squared error, δ = (ŷ − y)·2/N.

Every loss takes ``reduction`` = 'mean' (average over elements, or over the summed class weights
when weights are given, as PyTorch does), 'sum', or 'none' (one value per element).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..tensor import DEFAULT_DTYPE, Tensor
from ._core import operand, record, unbroadcast
from .activation import _against_zero, logistic, logsigmoid, real_option, softplus
from .arithmetic import add, div, mul, neg, sub
from .elementwise import clip, exp, log, minimum, sqrt, where
from .reduction import mean, norm
from .reduction import sum as total

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ConfigError(f"{name}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")


def _values(x, dtype=None) -> np.ndarray:
    """The numbers in a target, class weight or pos_weight (a tensor, array, list or scalar)."""
    return np.asarray(x.data if isinstance(x, Tensor) else x, dtype=dtype)


def _elementwise_weight(name: str, weight, x: np.ndarray, option: str = "weight"):
    """``weight`` as an array that broadcasts to ``x``'s shape without enlarging it, or 1."""
    if weight is None:
        return 1
    w = _values(weight, x.dtype)
    try:
        fits = np.broadcast_shapes(w.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{name}: {option} of shape {w.shape} does not broadcast to the input's shape {x.shape}")
    return w


def _reduce(values: np.ndarray, reduction: str, denominator: float):
    """The per-element ``values`` reduced; 'mean' divides by ``denominator`` (the element count, or
    the sum of the weights). A mean over nothing (no elements, or weights that sum to 0) is NaN, as
    in PyTorch, without NumPy's warning about dividing by zero."""
    if reduction == "none":
        return values
    total = np.add.reduce(values, axis=None)
    if reduction == "sum":
        return total
    return total / denominator if denominator else values.dtype.type(np.nan)


def _upstream(g, reduction: str, denominator: float):
    """∂E/∂(per-element loss) for the given reduction, ready to broadcast against the elements."""
    if reduction == "mean":
        return g / denominator if denominator else g * np.nan  # the mean over nothing: see _reduce
    return g  # 'sum': a scalar; 'none': already one value per element


def _pointwise(name, input, target, reduction, rule, denominator=None):
    """A loss that pairs every element of ``input`` with the same element of ``target``.

    ``rule(x, y)`` returns (values, ∂values/∂x, ∂values/∂y); the last may be None when the target
    gets no gradient from this loss. ``denominator`` (kl_div's 'batchmean') replaces the element count
    of 'mean', and turns the reduction into a mean by it.
    """
    if denominator is None:
        _check_reduction(name, reduction)
    else:
        reduction = "mean"
    input, target = operand(input), operand(target)
    x, y = input.data, np.asarray(target.data)
    if x.shape != y.shape:
        raise ShapeError(
            f"{name}: input of shape {x.shape} and target of shape {y.shape} differ; "
            f"reshape one to match (a column (N, 1) against a vector (N,) is the usual cause)"
        )
    if x.dtype.kind != "f":  # integer predictions: compare in floating point, never truncate the target
        x = x.astype(y.dtype if y.dtype.kind == "f" else np.float32)
    if y.dtype != x.dtype:
        y = y.astype(x.dtype)
    if x.ndim:
        values, d_input, d_target = rule(x, y)
    else:  # the rules work in place, and NumPy makes scalars, not arrays, of 0-d results
        values, d_input, d_target = (
            None if part is None else part.reshape(()) for part in rule(x.reshape(1), y.reshape(1))
        )
    n = values.size if denominator is None else denominator

    def backward(g):
        scale = _upstream(g, reduction, n)
        gx = scale * d_input if input.requires_grad else None
        gy = scale * d_target if target.requires_grad and d_target is not None else None
        return gx, gy

    return record(_reduce(values, reduction, n), (input, target), backward, name)


def mse_loss(input, target, reduction="mean"):
    """E = (ŷ − y)²; ∂E/∂ŷ = 2(ŷ − y)."""

    def rule(x, y):
        diff = x - y
        return diff * diff, 2 * diff, -2 * diff

    return _pointwise("mse_loss", input, target, reduction, rule)


def l1_loss(input, target, reduction="mean"):
    """E = |ŷ − y|; ∂E/∂ŷ = sign(ŷ − y) (0 at 0)."""

    def rule(x, y):
        diff = x - y
        sign = np.sign(diff)
        return np.abs(diff), sign, -sign

    return _pointwise("l1_loss", input, target, reduction, rule)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """½d² where |d| <= delta, delta·(|d| − ½delta) beyond: squared near 0, absolute in the tails."""
    if delta <= 0:
        raise ConfigError(f"huber_loss: delta must be positive, got {delta}")

    def rule(x, y):
        # With c = min(|d|, delta): E = c·(|d| − ½c) and ∂E/∂x = copysign(c, d). Below delta that
        # is |d|·½|d| = ½d² (|d| − ½|d| is exact), beyond it delta·(|d| − ½delta): the same numbers
        # as the selection, in passes that NumPy vectorises (np.where and np.clip do not).
        diff = x - y
        magnitude = np.abs(diff)
        capped = np.minimum(magnitude, delta)
        values = np.multiply(capped, 0.5)
        np.subtract(magnitude, values, out=values)
        values *= capped
        slope = np.copysign(capped, diff, out=capped)
        return values, slope, -slope

    return _pointwise("huber_loss", input, target, reduction, rule)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """½d²/beta where |d| < beta, |d| − ½beta beyond: Huber's loss divided by beta, so the tails
    have slope 1 whatever beta is (``huber_loss`` keeps slope delta there). beta = 0 is |d|."""
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.number)) or not beta >= 0:
        raise ConfigError(f"smooth_l1_loss: beta must be a non-negative number, got {beta!r}")

    def rule(x, y):
        diff = x - y
        if beta == 0:
            sign = np.sign(diff)
            return np.abs(diff), sign, -sign
        # With c = min(|d|, beta): E = c·(|d| − ½c)/beta and ∂E/∂x = copysign(c, d)/beta (huber_loss's form).
        magnitude = np.abs(diff)
        capped = np.minimum(magnitude, beta)
        values = np.multiply(capped, 0.5)
        np.subtract(magnitude, values, out=values)
        values *= capped
        values /= beta
        slope = np.copysign(capped, diff, out=capped)
        slope /= beta
        return values, slope, -slope

    return _pointwise("smooth_l1_loss", input, target, reduction, rule)


KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(input, target, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of the distribution q (``target``) from p, given log p (``input``,
    a log_softmax): each element adds q·(log q − log p), or 0 where q = 0.

    With ``log_target`` the target is log q too, and each element adds e^(log q)·(log q − log p).
    The gradients are ∂E/∂log p = −q, and ∂E/∂q = log q + 1 − log p for a target that needs one
    (NaN where q = 0, as PyTorch's). ``reduction='batchmean'`` divides the sum by the batch size
    N = input.shape[0]: that is KL(q‖p) averaged over the samples. PyTorch's default, 'mean', which
    deltaprop keeps, divides by the number of elements instead (N times the number of classes).
    """
    name = "kl_div"
    if reduction not in KL_REDUCTIONS:
        raise ConfigError(f"{name}: reduction must be one of {', '.join(map(repr, KL_REDUCTIONS))}, got {reduction!r}")

    def rule(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_target:
                q = np.exp(y)
                values = q * (y - x)
                return values, -q, q * (y - x + 1)
            log_q = np.log(y)
            values = np.where(y == 0, 0, y * (log_q - x))  # 0·log 0 = 0 (NaN for a negative target)
            d_target = log_q + 1 - x
            d_target[y == 0] = np.nan
            return values, -y, d_target

    denominator = None
    if reduction == "batchmean":
        shape = np.shape(input.data if isinstance(input, Tensor) else input)
        denominator = shape[0] if shape else 1  # a single number is one sample
    return _pointwise(name, input, target, reduction, rule, denominator)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """E = −[y log p + (1 − y) log(1 − p)] on probabilities p; logs are clamped at −100 as in PyTorch."""

    def rule(p, y):
        if p.size and (p.min() < 0 or p.max() > 1):
            raise DataError("binary_cross_entropy: input must hold probabilities in [0, 1]; for raw scores use binary_cross_entropy_with_logits")
        # Five arrays, updated in place (the plain expressions made some twenty temporaries).
        log_p = np.empty_like(p)
        log_q = np.negative(p, out=np.empty_like(p))
        with np.errstate(divide="ignore"):
            np.log(p, out=log_p)
            np.log1p(log_q, out=log_q)
        np.maximum(log_p, -100, out=log_p)
        np.maximum(log_q, -100, out=log_q)
        values = np.multiply(y, log_p)
        scratch = np.subtract(1, y, out=np.empty_like(p))
        scratch *= log_q
        values += scratch
        np.negative(values, out=values)  # −[y log p + (1 − y) log(1 − p)]
        # ∂E/∂p = (p − y) / (p(1 − p)); the denominator is kept away from 0 as PyTorch does.
        d_input = np.subtract(p, y, out=scratch)
        denominator = np.subtract(1, p, out=np.empty_like(p))
        denominator *= p
        np.maximum(denominator, 1e-12, out=denominator)
        d_input /= denominator
        d_target = np.subtract(log_q, log_p, out=denominator)
        if weight is None:
            return values, d_input, d_target
        w = _elementwise_weight("binary_cross_entropy", weight, p)
        return values * w, d_input * w, d_target * w

    return _pointwise("binary_cross_entropy", input, target, reduction, rule)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """BCE on logits z, stable for any z: E = (1 − y)z + L·softplus(−z), L = 1 + (pos_weight − 1)y.

    softplus(−z) = log(1 + e^(−z)) = max(−z, 0) + log1p(e^(−|z|)) never overflows; ∂E/∂z = σ(z) − y
    without pos_weight (computed as in :func:`_logistic_loss`), and (1 − y) − L·σ(−z) with it.
    """

    def rule(z, y):
        if pos_weight is None:
            values, d_input, d_target = _logistic_loss(z, y)
        else:
            softplus_neg = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
            sigmoid_neg = logistic(-z)  # σ(−z), accurate in both tails
            pw = _elementwise_weight("binary_cross_entropy_with_logits", pos_weight, z, "pos_weight")
            scale = 1 + (pw - 1) * y
            values = (1 - y) * z + scale * softplus_neg
            d_input = (1 - y) - scale * sigmoid_neg
            d_target = -z + (pw - 1) * softplus_neg
        if weight is None:
            return values, d_input, d_target
        w = _elementwise_weight("binary_cross_entropy_with_logits", weight, z)
        return values * w, d_input * w, d_target * w

    return _pointwise("binary_cross_entropy_with_logits", input, target, reduction, rule)


def _logistic_loss(z: np.ndarray, y: np.ndarray) -> tuple:
    """(E, ∂E/∂z, ∂E/∂y) of E = max(z, 0) − y·z + log1p(e^(−|z|)), the cross-entropy of σ(z)
    against y, in four arrays and in place.

    No term can overflow and nothing cancels where E is small (z >> 0 with y = 1, z << 0 with
    y = 0: there E is the log1p term alone). ∂E/∂z = σ(z) − y, with σ(z) = e^min(z, 0) / (1 + e^(−|z|))
    and min(z, 0) = z − max(z, 0) exactly; ∂E/∂y = −z.
    """
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e^(−|z|), in (0, 1]
    positive_part = _against_zero(np.maximum, z, np.empty_like(z))
    values = np.multiply(y, z)
    np.subtract(positive_part, values, out=values)  # first, so that a small log1p term survives
    log_term = np.log1p(e)
    values += log_term
    np.subtract(z, positive_part, out=positive_part)  # now min(z, 0)
    np.exp(positive_part, out=positive_part)
    e += 1
    np.divide(positive_part, e, out=positive_part)  # σ(z)
    positive_part -= y
    np.negative(z, out=log_term)
    return values, positive_part, log_term


def _classes_last(x: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) -> (N·d1·..., C): the class axis last, every other axis one batch axis."""
    if x.ndim <= 2:
        return x.reshape(-1, x.shape[-1])
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _class_indices(name: str, target: np.ndarray, input_shape: tuple, n_classes: int, expected_shape: tuple,
                   ignore_index: int):
    """(the labels as a flat integer array, a mask of the samples that count or None if all do),
    after checking their shape, type and range.

    A label equal to ``ignore_index`` (PyTorch's: −100 by default) marks a sample to leave out; it
    need not be a class, and it is replaced by 0 in the array returned, so that it indexes safely.
    For an input (N, C), a column (N, 1) of labels is taken as the labels (N,), as Keras' sparse
    cross-entropy takes it: it is what ``fit`` gives a loss function of the user's for labels y.
    """
    if len(input_shape) == 2 and target.shape == expected_shape + (1,):
        target = target[:, 0]
    if target.shape != expected_shape:
        raise ShapeError(
            f"{name}: target of shape {target.shape} does not fit input of shape {input_shape}; "
            f"class labels of shape {expected_shape} were expected"
        )
    if target.dtype.kind not in "iu":
        if target.dtype.kind == "f" and np.all(target == np.round(target)):
            target = target.astype(np.int64)
        else:
            raise DataError(f"{name}: class labels must be integers, got dtype {target.dtype}")
    labels = target.reshape(-1)
    ignored = labels == ignore_index
    kept = None
    if ignored.any():
        kept = ~ignored
        labels = np.where(ignored, 0, labels)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)][0]
        raise DataError(f"{name}: class label {bad} is outside [0, {n_classes}) for {n_classes} classes")
    return labels, kept


def _class_layout(name: str, x: np.ndarray) -> tuple[int, tuple]:
    """(number of classes, shape of the class labels) for an input (C,), (N, C) or (N, C, d1, ...)."""
    if x.ndim == 0:
        raise ShapeError(f"{name}: input needs a class axis, got a scalar")
    if x.ndim == 1:
        return x.shape[0], ()
    return x.shape[1], (x.shape[0],) + x.shape[2:]


def _class_weight(name: str, weight, n_classes: int, dtype):
    if weight is None:
        return None
    w = _values(weight, dtype)
    if w.shape != (n_classes,):
        raise ShapeError(f"{name}: weight has shape {w.shape}, expected one weight per class: ({n_classes},)")
    return w


def _log_softmax_rows(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(input, target, weight=None, reduction="mean", label_smoothing=0.0, ignore_index=-100):
    """Softmax + cross-entropy from logits, fused: E = −Σ_c q_c log softmax(z)_c.

    ``target`` holds class indices (shape (N,) for input (N, C), or (N, d1, ...) for (N, C, d1, ...))
    or class probabilities of the input's shape. ``weight`` rescales each class; ``label_smoothing``
    ε mixes the target with the uniform distribution: q = (1 − ε)q + ε/C. The gradient is
    ∂E/∂z = (Σ_c a_c)·softmax(z) − a with a_c = w_c q_c, which for plain indices is softmax(z) − onehot.
    Probabilities that are themselves computed (a tensor that requires a gradient) get one, as in
    PyTorch: ∂E/∂q_c = −(1 − ε)·w_c·log softmax(z)_c. A sample whose label is ``ignore_index``
    counts for nothing (loss 0, gradient 0, left out of the mean), as in PyTorch.
    """
    name = "cross_entropy"
    _check_reduction(name, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ConfigError(f"{name}: label_smoothing must lie in [0, 1], got {label_smoothing}")
    input = input if isinstance(input, Tensor) else operand(input)
    z_full = input.data
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if weight is None and not label_smoothing and z_full.ndim == 2 and t.dtype.kind in "iu" and t.shape == z_full.shape[:1]:
        if not 0 <= ignore_index < z_full.shape[1]:  # a class to ignore needs the general path below
            result = _cross_entropy_labels(input, t, reduction, ignore_index)
            if result is not None:
                return result
    n_classes, out_shape = _class_layout(name, z_full)
    z = _classes_last(z_full)
    logp = _log_softmax_rows(z)
    w = _class_weight(name, weight, n_classes, z.dtype)

    soft_target = None  # the target as a graph node, when it holds probabilities that need a gradient
    kept = None  # the samples that count, when some are ignored
    if t.dtype.kind == "f" and t.shape == z_full.shape:  # class probabilities
        if ignore_index >= 0:
            raise ConfigError(
                f"{name}: ignore_index={ignore_index} names a class, but the target holds class "
                f"probabilities, which have no labels to ignore (as in PyTorch)"
            )
        if isinstance(target, Tensor) and target.requires_grad:
            soft_target = target
        q = _classes_last(t).astype(z.dtype, copy=False)
        if label_smoothing:
            q = q * (1 - label_smoothing) + label_smoothing / n_classes
        a = q if w is None else q * w
        per_sample = -(a * logp).sum(axis=1)
        denominator = per_sample.size
        labels = None
    else:
        labels, kept = _class_indices(name, t, z_full.shape, n_classes, out_shape, ignore_index)
        rows = np.arange(labels.size)
        sample_weight = 1.0 if w is None else w[labels]
        if kept is not None:
            sample_weight = sample_weight * kept.astype(z.dtype)  # 0 for the ignored samples
        per_sample = -logp[rows, labels] * ((1 - label_smoothing) * sample_weight)
        if label_smoothing:
            smooth = logp.sum(axis=1) if w is None else (logp * w).sum(axis=1)
            if kept is not None:
                smooth *= kept
            per_sample -= (label_smoothing / n_classes) * smooth
        denominator = labels.size if w is None and kept is None else float(np.sum(sample_weight))
        a = None

    values = per_sample.reshape(out_shape)
    full_shape = z_full.shape  # (the rule keeps the shape, not the input's values)

    def to_input_layout(grad):  # (M, C) rows back to the input's layout, classes on axis 1
        if len(full_shape) > 2:
            moved = (full_shape[0],) + full_shape[2:] + (n_classes,)
            grad = np.moveaxis(grad.reshape(moved), -1, 1)
        return grad.reshape(full_shape)

    def backward(g):
        # Every sample ignored: the mean is NaN, its gradient 0 (nothing depends on the input), as in PyTorch.
        scale = g * 0 if kept is not None and not denominator else _upstream(g, reduction, denominator)
        if reduction == "none":
            scale = np.reshape(scale, (-1, 1))  # one upstream value per row of the (M, C) layout
        # ∂E/∂q_c = −(1 − ε)·w_c·log softmax(z)_c, for probabilities that are themselves computed
        grad_target = None
        if soft_target is not None:
            grad_target = logp * (-(1 - label_smoothing) * scale)
            if w is not None:
                grad_target *= w
            grad_target = to_input_layout(grad_target)
        p = np.exp(logp)
        if a is None and w is None and not label_smoothing and kept is None:
            grad = p
            grad[rows, labels] -= 1  # softmax − onehot: the seeds' (ŷ − y)
        else:
            coeff = a
            if coeff is None:  # indices with weights, smoothing or ignored samples: build the weighted target
                coeff = np.zeros_like(logp)  # (z.shape and dtype; the rule keeps no view of the input)
                coeff[rows, labels] = (1 - label_smoothing) * sample_weight
                if label_smoothing:
                    smoothing = (label_smoothing / n_classes) * (1.0 if w is None else w)
                    coeff += smoothing if kept is None else kept[:, None] * smoothing
            grad = coeff.sum(axis=1, keepdims=True) * p - coeff
        grad *= scale
        if soft_target is None:
            return (to_input_layout(grad),)
        return to_input_layout(grad), grad_target

    parents = (input,) if soft_target is None else (input, soft_target)
    return record(_reduce(values, reduction, denominator), parents, backward, name)


@functools.lru_cache(maxsize=64)
def _row_indices(n: int) -> np.ndarray:
    """0 .. n−1, made once per batch size (the row half of every "pick each row's label" index)."""
    rows = np.arange(n)
    rows.flags.writeable = False
    return rows


def _cross_entropy_labels(input, labels: np.ndarray, reduction: str, ignore_index: int):
    """The common case of :func:`cross_entropy`: logits (N, C), integer labels (N,), no class
    weights, no smoothing. It keeps e = exp(z − max z) and s = Σ e from the forward pass, so the
    loss is log s − (z_y − max z) and the backward pass is one division: δ = (e/s − onehot)/N.
    Labels outside the classes that include ``ignore_index`` give None: the general path takes them."""
    z = input.data
    n, n_classes = z.shape
    # (ufunc.reduce directly: the ndarray.max/.sum methods add a Python-level wrapper per call)
    shifted = z - np.maximum.reduce(z, axis=1, keepdims=True)
    e = np.exp(shifted)
    s = np.add.reduce(e, axis=1)
    rows = _row_indices(n)
    # Indexing itself rejects a label >= n_classes; a negative one would count from the end, so
    # the smallest label is checked too. Both become the same one-sentence error.
    try:
        picked = shifted[rows, labels]
    except IndexError:
        picked = None
    if picked is None or (n and np.minimum.reduce(labels) < 0):
        outside = (labels < 0) | (labels >= n_classes)
        if (labels[outside] == ignore_index).any():
            return None
        bad = labels[outside][0]
        raise DataError(f"cross_entropy: class label {bad} is outside [0, {n_classes}) for {n_classes} classes")
    per_sample = np.log(s)
    per_sample -= picked

    def backward(g):
        grad = e / s[:, None]
        grad[rows, labels] -= 1  # softmax − onehot: the seeds' (ŷ − y)
        grad *= _upstream(g, reduction, n).reshape(-1, 1) if reduction == "none" else _upstream(g, reduction, n)
        return (grad,)

    return record(_reduce(per_sample, reduction, n), (input,), backward, "cross_entropy")


def nll_loss(input, target, weight=None, reduction="mean", ignore_index=-100):
    """E = −w_y · log p_y on log-probabilities (the output of log_softmax); a sample whose label is
    ``ignore_index`` counts for nothing (loss 0, gradient 0, left out of the mean), as in PyTorch."""
    name = "nll_loss"
    _check_reduction(name, reduction)
    input = operand(input)
    x_full = input.data
    n_classes, expected = _class_layout(name, x_full)
    x = _classes_last(x_full)
    labels, kept = _class_indices(name, _values(target), x_full.shape, n_classes, expected, ignore_index)
    rows = np.arange(labels.size)
    w = _class_weight(name, weight, n_classes, x.dtype)
    sample_weight = np.ones(labels.size, dtype=x.dtype) if w is None else w[labels]
    if kept is not None:
        sample_weight *= kept  # 0 for the ignored samples
    values = (-x[rows, labels] * sample_weight).reshape(expected)
    denominator = labels.size if w is None and kept is None else float(sample_weight.sum())

    def backward(g):
        # Every sample ignored: the mean is NaN, its gradient 0 (nothing depends on the input), as in PyTorch.
        scale = g * 0 if kept is not None and not denominator else _upstream(g, reduction, denominator)
        grad = np.zeros_like(x)
        grad[rows, labels] = -sample_weight * np.reshape(scale, -1)
        if x_full.ndim > 2:
            moved = (x_full.shape[0],) + x_full.shape[2:] + (n_classes,)
            grad = np.moveaxis(grad.reshape(moved), -1, 1)
        return (grad.reshape(x_full.shape),)

    return record(_reduce(values, reduction, denominator), (input,), backward, name)


# -- losses composed of primitives --------------------------------------------------------------------
#
# These follow PyTorch's definitions step by step (most are compositions in PyTorch too), so their
# broadcasting, their subgradients at the kinks (a clamp at 0 passes the gradient, as clamp_min
# does) and which inputs get a gradient come from the rules of the primitives they are made of.


def _float_dtype(x: Tensor) -> np.dtype:
    data = np.asarray(x.data)
    return data.dtype if data.dtype.kind == "f" else np.dtype(DEFAULT_DTYPE)


def _operands(dtype, *values) -> list:
    """Each value as a tensor; one that needs no gradient (a target, data) in ``dtype``, so that a
    float64 target array leaves a float32 loss in float32."""
    tensors = []
    for value in values:
        t = operand(value)
        if not t.requires_grad and np.asarray(t.data).dtype != dtype:
            t = Tensor._wrap(np.asarray(t.data, dtype=dtype))
        tensors.append(t)
    return tensors


def _broadcast_shape(name: str, **tensors) -> tuple:
    """The shape the operands broadcast to, or a ShapeError naming the loss and each operand's shape."""
    try:
        return np.broadcast_shapes(*(np.shape(t.data) for t in tensors.values()))
    except ValueError:
        listed = ", ".join(f"{key} {np.shape(t.data)}" for key, t in tensors.items())
        raise ShapeError(f"{name}: the shapes of {listed} cannot be broadcast together") from None


def _same_ndim(name: str, **tensors) -> None:
    if len({np.ndim(t.data) for t in tensors.values()}) > 1:
        listed = ", ".join(f"{key} {np.shape(t.data)}" for key, t in tensors.items())
        raise ShapeError(f"{name}: {', '.join(tensors)} must have the same number of dimensions (PyTorch asks "
                         f"the same), got shapes {listed}")


def _reduced(values: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return mean(values)
    return total(values) if reduction == "sum" else values


def margin_ranking_loss(input1, input2, target, margin=0.0, *, reduction="mean"):
    """E = max(0, −y·(x1 − x2) + margin): with y = 1, x1 should rank above x2 by at least
    ``margin``; with y = −1, below it. The three broadcast together and must have the same number of
    dimensions; the target gets a gradient too when it needs one, as in PyTorch."""
    name = "margin_ranking_loss"
    _check_reduction(name, reduction)
    margin = real_option(name, "margin", margin)
    x1 = operand(input1)
    x1, x2, y = _operands(_float_dtype(x1), x1, input2, target)
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
    dtype = _float_dtype(x)
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
    x1, x2 = _operands(_float_dtype(x1), x1, input2)
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
    a, pos, negs = _operands(_float_dtype(a), a, positive, negative)
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


def poisson_nll_loss(input, target, log_input=True, full=False, *, eps=1e-8, reduction="mean"):
    """Negative log-likelihood of a count y under a Poisson rate λ: E = e^x − y·x for an input
    x = log λ (``log_input``, the default), else λ − y·log(λ + eps).

    ``full`` adds Stirling's approximation of log y!, y·log y − y + ½·log(2πy), where y > 1 (0
    elsewhere), as PyTorch. Input and target broadcast together; a target that needs a gradient
    gets one (0 through the Stirling term where y <= 1; PyTorch's is NaN at y = 0).
    """
    name = "poisson_nll_loss"
    _check_reduction(name, reduction)
    eps = real_option(name, "eps", eps)
    x = operand(input)
    x, y = _operands(_float_dtype(x), x, target)
    _broadcast_shape(name, input=x, target=y)
    with np.errstate(divide="ignore", invalid="ignore"):  # log(λ + eps) <= 0 is −inf or NaN, as in PyTorch
        if log_input:
            values = sub(exp(x), mul(y, x))
        else:
            values = sub(x, mul(y, log(add(x, eps))))
    if full:
        above = np.asarray(y.data) > 1
        counts = where(above, y, 1)  # (1 where the term is 0: no log of a count <= 0 is taken)
        stirling = add(sub(mul(counts, log(counts)), counts), mul(log(mul(counts, 2 * math.pi)), 0.5))
        values = add(values, where(above, stirling, 0))
    return _reduced(values, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of a target y under a Gaussian of mean x (``input``) and variance v
    (``var``): E = ½(log v + (x − y)²/v), plus ½·log(2π) with ``full``.

    ``var`` has the input's shape (a variance per element), or that shape with the last axis dropped
    or with one axis of size 1 (variances shared along it), or is a number; as in PyTorch. Variances
    are clamped to at least ``eps`` for stability, and the gradient passes the clamp as if it were
    not there (PyTorch clamps under no_grad): ∂E/∂v = ½(1/v − (x − y)²/v²) at the clamped v,
    ∂E/∂x = (x − y)/v = −∂E/∂y.
    """
    name = "gaussian_nll_loss"
    _check_reduction(name, reduction)
    eps = real_option(name, "eps", eps)
    input = operand(input)
    dtype = _float_dtype(input)
    input, target = _operands(dtype, input, target)
    x, y = np.asarray(input.data, dtype=dtype), np.asarray(target.data)
    variance = None  # the tensor that gets a gradient, when var is one
    if isinstance(var, (int, float, np.integer, np.floating)) and not isinstance(var, (bool, np.bool_)):
        if var < 0:
            raise DataError(f"{name}: var must not be negative, got {var}")
        v = np.asarray(var, dtype=dtype)
    else:
        (variance,) = _operands(dtype, var)
        v = np.asarray(variance.data)
        if v.shape != x.shape:
            if v.shape == x.shape[:-1]:
                v = v[..., None]  # one variance per sample, shared by its last axis
            elif not (v.ndim == x.ndim and sum(m for n, m in zip(x.shape, v.shape) if n != m) == 1):
                raise ShapeError(f"{name}: var of shape {v.shape} does not fit the input's shape {x.shape}; give it "
                                 f"that shape, with the last axis dropped, or with one axis of size 1")
        if (v < 0).any():
            raise DataError(f"{name}: var has negative entries; variances must be >= 0")
    try:
        diff = x - y
        clamped = np.maximum(v, eps)
        with np.errstate(divide="ignore"):  # a variance of 0 (eps <= 0) gives inf, as in PyTorch
            values = 0.5 * (np.log(clamped) + diff * diff / clamped)
    except ValueError:
        raise ShapeError(f"{name}: the shapes of input {x.shape}, target {y.shape} and var {np.shape(v)} cannot be "
                         f"broadcast together") from None
    if full:
        values += 0.5 * math.log(2 * math.pi)
    n = values.size
    parents = (input, target) if variance is None else (input, target, variance)

    def backward(g):
        scale = _upstream(g, reduction, n)
        slope = scale * diff / clamped  # ∂E/∂x
        grads = (
            unbroadcast(slope, x.shape) if input.requires_grad else None,
            unbroadcast(-slope, y.shape) if target.requires_grad else None,
        )
        if variance is not None:
            d_var = None
            if variance.requires_grad:
                d_var = scale * (0.5 * (1 / clamped - diff * diff / (clamped * clamped)))
                d_var = unbroadcast(np.broadcast_to(d_var, values.shape), v.shape).reshape(np.shape(variance.data))
            grads += (d_var,)
        return grads

    return record(_reduce(values, reduction, n), parents, backward, name)
