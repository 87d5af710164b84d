"""Classification losses, fused for stability: cross_entropy (softmax + cross-entropy on logits),
nll_loss (on log-probabilities), binary_cross_entropy (on probabilities) and
binary_cross_entropy_with_logits.

Cross-entropy works on logits through a shifted log-sum-exp and never takes the log of a softmax
computed separately; binary cross-entropy from logits uses softplus. For softmax + cross-entropy
the output layer's error term is the seeds' δ = (ŷ − y)/N.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ...errors import ConfigError, DataError, ShapeError
from ...tensor import Tensor
from .. import _memory
from .._core import constant, operand, record
from ..activation import _against_zero, _row_max, logistic
from ._common import _check_reduction, _constant_option, _pointwise, _reduce, _upstream


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


_BCE_EPSILON = float(np.float32(1e-12))


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """E = −[y log p + (1 − y) log(1 − p)] on probabilities p; logs are clamped at −100 as in PyTorch."""
    _constant_option("binary_cross_entropy", "weight", weight)

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
        # ∂E/∂p = (p − y) / (p(1 − p)); the denominator is kept away from 0 as PyTorch does, at
        # its float32 constant 1e-12 (9.99999996e-13 in float64 too).
        d_input = np.subtract(p, y, out=scratch)
        denominator = np.subtract(1, p, out=np.empty_like(p))
        denominator *= p
        np.maximum(denominator, _BCE_EPSILON, out=denominator)
        d_input /= denominator
        d_target = np.subtract(log_q, log_p, out=denominator)
        if weight is None:
            return values, d_input, d_target
        w = _elementwise_weight("binary_cross_entropy", weight, p)
        return values * w, d_input * w, d_target * w

    # (the weight kept for the rule's own derivative; none set, the most common call, costs nothing)
    return _pointwise("binary_cross_entropy", input, target, reduction, rule,
                      options=None if weight is None else {"weight": weight})


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """BCE on logits z, stable for any z: E = (1 − y)z + L·softplus(−z), L = 1 + (pos_weight − 1)y.

    softplus(−z) = log(1 + e^(−z)) = max(−z, 0) + log1p(e^(−|z|)) never overflows; ∂E/∂z = σ(z) − y
    without pos_weight (computed as in :func:`_logistic_loss`), and (1 − y) − L·σ(−z) with it.
    """
    _constant_option("binary_cross_entropy_with_logits", "weight", weight)
    _constant_option("binary_cross_entropy_with_logits", "pos_weight", pos_weight)

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

    # (the weights kept for the rule's own derivative; none set, the most common call, costs nothing)
    options = None if weight is None and pos_weight is None else {"weight": weight, "pos_weight": pos_weight}
    return _pointwise("binary_cross_entropy_with_logits", input, target, reduction, rule, options=options)


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
    # (the rows counted, not -1: NumPy cannot infer a -1 beside an axis of 0)
    if x.ndim <= 2:
        return x.reshape(math.prod(x.shape[:-1]), x.shape[-1])
    return np.moveaxis(x, 1, -1).reshape(math.prod(x.shape[:1] + x.shape[2:]), x.shape[1])


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
    n_classes = x.shape[0 if x.ndim == 1 else 1]
    if n_classes == 0:
        _refuse_no_classes(name, x.shape)
    return n_classes, (() if x.ndim == 1 else (x.shape[0],) + x.shape[2:])


def _refuse_no_classes(name: str, shape: tuple):
    raise ShapeError(f"{name}: the input of shape {shape} has no classes (its class axis has length 0)")


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
    if z_full.ndim >= 2 and t.dtype.kind in "iu" and t.shape == z_full.shape[:1] + z_full.shape[2:]:
        _constant_option(name, "weight", weight)
        return _cross_entropy_labels(input, t, reduction, ignore_index, label_smoothing, weight)
    n_classes, out_shape = _class_layout(name, z_full)
    z = _classes_last(z_full)
    wider = t.dtype.kind == "f" and t.dtype.itemsize > z.dtype.itemsize
    if wider and t.shape == z_full.shape and isinstance(target, Tensor):
        z = z.astype(t.dtype)  # probabilities (a tensor) of a wider dtype: computed in it, as PyTorch promotes
    logp = _log_softmax_rows(z)
    w = _class_weight(name, weight, n_classes, z.dtype)

    soft_target = None  # the target as a graph node, when it holds probabilities that need a gradient
    weight_node = None  # the class weights as a graph node, when probabilities are weighted by a weight that needs one
    kept = None  # the samples that count, when some are ignored
    if t.dtype.kind == "f" and t.shape == z_full.shape:  # class probabilities
        if ignore_index >= 0:
            raise ConfigError(
                f"{name}: ignore_index={ignore_index} names a class, but the target holds class "
                f"probabilities, which have no labels to ignore (as in PyTorch)"
            )
        if isinstance(target, Tensor) and target.requires_grad:
            soft_target = target
        if isinstance(weight, Tensor) and weight.requires_grad:
            weight_node = weight  # ∂E/∂w_c = −Σ_rows q_c log softmax(z)_c, as PyTorch's composed loss has it
        q = _classes_last(t).astype(z.dtype, copy=False)
        if label_smoothing:
            q = q * (1 - label_smoothing) + label_smoothing / n_classes
        a = q if w is None else q * w
        per_sample = -(a * logp).sum(axis=1)
        denominator = per_sample.size
        labels = None
    else:
        _constant_option(name, "weight", weight)
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
        if kept is not None:  # an ignored sample is skipped, as in PyTorch: 0 even where its logits are all −inf
            per_sample[~kept] = 0
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
                coeff = label_coefficients(logp, rows, labels, label_smoothing, sample_weight, n_classes, w, kept)
            grad = coeff.sum(axis=1, keepdims=True) * p - coeff
        grad_weight = None
        if weight_node is not None:
            grad_weight = -(q * logp * scale).sum(axis=0).astype(weight_node.data.dtype, copy=False)
        grad *= scale
        grads = (to_input_layout(grad),)
        if soft_target is not None:
            grads += (grad_target,)
        return grads if weight_node is None else grads + (grad_weight,)

    parents = (input,) + ((soft_target,) if soft_target is not None else ()) + \
        ((weight_node,) if weight_node is not None else ())
    return record(_reduce(values, reduction, denominator), parents, backward, name)


def label_coefficients(like, rows, labels, label_smoothing, sample_weight, n_classes, w, kept) -> np.ndarray:
    """The weighted target a of class labels, (M, C) like ``like``: (1 − ε)·w_y at each sample's label,
    plus ε·w_c/C everywhere with label smoothing ε, and rows of 0 for the ignored samples."""
    coeff = np.zeros_like(like)  # (z.shape and dtype; the rule keeps no view of the input)
    coeff[rows, labels] = (1 - label_smoothing) * sample_weight
    if label_smoothing:
        smoothing = (label_smoothing / n_classes) * (1.0 if w is None else w)
        coeff += smoothing if kept is None else kept[:, None] * smoothing
    return coeff


@functools.lru_cache(maxsize=64)
def _row_indices(n: int) -> np.ndarray:
    """0 .. n−1, made once per batch size (the row half of every "pick each row's label" index)."""
    rows = np.arange(n)
    rows.flags.writeable = False
    return rows


def _label_offsets(labels: np.ndarray, shape: tuple) -> np.ndarray:
    """For logits of C-ordered shape (N, C, d1, ...) and labels (N, d1, ...) in [0, C): where each
    place's label lies in the flattened logits, n·C·S + y·S + s for the place s of sample n, with
    S = d1·... the size of one class's plane (in Python's integers, never the labels' own dtype,
    which a uint8 label times S would overflow)."""
    n, n_classes, size = shape[0], shape[1], int(np.prod(shape[2:]))
    index = labels.reshape(n, size).astype(np.intp)
    index *= size
    index += np.arange(size)
    index += (np.arange(n) * (n_classes * size))[:, None]
    return index.reshape(labels.shape)


_SUBTRACT_AT_BELOW = 512  # rows (see _cross_entropy_labels' backward)
# A handful of labels is checked fastest by Python's min over a list (0.12 µs for one label, 0.54
# for 32) rather than NumPy's reduction (0.82 µs at any of these sizes).
_LIST_BELOW = 32


def _cross_entropy_labels(input, labels: np.ndarray, reduction: str, ignore_index: int, smoothing: float = 0.0,
                         weight=None, values_out: list | None = None):
    """The common case of :func:`cross_entropy`: logits (N, C) and integer labels (N,), or logits
    (N, C, d1, ...) and labels (N, d1, ...) (a class per pixel, or per step of a sequence). It keeps
    e = exp(z − max z) and s = Σ e from the forward pass, so the loss is log s − (z_y − max z) and
    the backward pass is one division: δ = (e/s − onehot)/N.

    Label smoothing ε mixes the one-hot target with the uniform one, q = (1 − ε)·onehot + ε/C: the
    loss becomes log s − (1 − ε)(z_y − max z) − ε·mean_c(z_c − max z), and δ = (e/s − q)/N. Class
    weights scale each sample's loss and δ by w_y, and the mean divides by Σ w_y; with smoothing
    too, the target is a = (1 − ε)·w_y·onehot + ε/C·w, and δ = (r·e/s − a)/Σ w_y with r = Σ_c a_c.
    Samples labelled ``ignore_index`` (padding) count for nothing: loss 0, gradient 0, left out of
    the mean.

    Every sum over the classes runs along axis 1 where the logits lie: for (N, C, d1, ...) it adds C
    planes elementwise, where moving the classes last and reducing rows of C numbers (the general
    path) is 5-13 times slower for the usual 2-30 classes.

    ``values_out``, a list, receives the per-sample losses before they are reduced (see
    :func:`cross_entropy_with_values`).
    """
    z = input.data
    n_classes = z.shape[1]
    if not n_classes:
        _refuse_no_classes("cross_entropy", z.shape)
    spatial = z.ndim > 2
    n = labels.size
    # z − max z, and then e in its place: large logits (a language model's) take one array from
    # the pool (ops/_memory.py), where two fresh ones page-faulted at every step; small ones skip
    # the pool's lookup. Integer logits give integer differences, whose exponentials are floating.
    # (ufunc.reduce directly: the ndarray.max/.sum methods add a Python-level wrapper per call)
    pooled = z.nbytes >= _memory.MIN_BYTES and z.dtype.kind == "f"
    row_max = _row_max(z, 1)  # (of a batch of few classes through its transpose: see _row_max)
    if spatial:
        # C-ordered, so that a label's place is a flat offset (_flat never copies these arrays)
        shifted = np.subtract(z, row_max, out=_memory.empty(z.shape, z.dtype))
        # A flat offset outside the classes would still land in the array, so the labels' range is
        # checked first; both ends of it give the same one-sentence error as below.
        outside_classes = n and (np.minimum.reduce(labels, axis=None) < 0 or np.maximum.reduce(labels, axis=None) >= n_classes)
        picked = None
    else:
        shifted = np.subtract(z, row_max, out=_memory.empty_like(z)) if pooled else z - row_max
        rows = _row_indices(n)
        # Indexing itself rejects a label >= n_classes; a negative one would count from the end, so
        # the smallest label is checked too. Both become the same one-sentence error.
        try:
            picked = shifted[rows, labels]
        except IndexError:
            picked = None
        outside_classes = picked is None or (n and (min(labels.tolist()) if n < _LIST_BELOW else np.minimum.reduce(labels)) < 0)
    ignored = None  # the samples labelled ignore_index, when there are any
    if outside_classes:
        # Labels outside the classes: those that are ignore_index (PyTorch's −100, padding) mark rows
        # to leave out, and index class 0 instead; any other is an error.
        ignored = labels == ignore_index
        outside = ((labels < 0) | (labels >= n_classes)) & ~ignored
        if outside.any():
            bad = labels[outside][0]
            raise DataError(f"cross_entropy: class label {bad} is outside [0, {n_classes}) for {n_classes} classes")
        labels = np.where(ignored, 0, labels)
        picked = None
    elif 0 <= ignore_index < n_classes:
        ignored = labels == ignore_index
        if not ignored.any():
            ignored = None
    if spatial:
        index = _label_offsets(labels, z.shape)
        picked = _flat(shifted)[index]
    elif picked is None:
        picked = shifted[rows, labels]
    denominator = n if ignored is None else n - int(np.count_nonzero(ignored))
    w = None if weight is None else _class_weight("cross_entropy", weight, n_classes, z.dtype if z.dtype.kind == "f" else np.float64)
    if smoothing:  # Σ_c (z_c − max z), or Σ_c w_c (z_c − max z) with class weights (before e takes shifted's place)
        if w is None:
            spread = np.add.reduce(shifted, axis=1)
        else:  # (w·(z − max z) of each sample: one matrix product, the classes on axis 1 where they lie)
            spread = np.matmul(w, shifted.reshape(shifted.shape[0], n_classes, -1)).reshape(labels.shape)
    e = np.exp(shifted, out=shifted) if pooled else np.exp(shifted)
    s = np.add.reduce(e, axis=1)
    per_sample = np.log(s)
    sample_weight = None  # w_y per sample, 0 where ignored, when there are class weights
    rate = None  # with class weights and smoothing: r = (1 − ε)·w_y + ε/C·Σ_c w_c, each sample's whole target weight
    if w is not None:
        sample_weight = w[labels]
        if ignored is not None:
            sample_weight[ignored] = 0
        denominator = float(np.add.reduce(sample_weight, axis=None))
    if smoothing and w is not None:
        # E = r·log s − (1 − ε)·w_y·(z_y − max z) − ε/C·Σ_c w_c (z_c − max z)
        rate = sample_weight * (1 - smoothing) + (smoothing / n_classes) * float(np.add.reduce(w))
        per_sample *= rate
        per_sample -= picked * sample_weight * (1 - smoothing) + spread * (smoothing / n_classes)
    else:
        if smoothing:  # E = log s − (1 − ε)·(z_y − max z) − ε/C·Σ_c (z_c − max z)
            picked = picked * (1 - smoothing) + spread * (smoothing / n_classes)
        per_sample -= picked
        if sample_weight is not None:
            per_sample *= sample_weight
    if ignored is not None:
        per_sample[ignored] = 0  # (as PyTorch's nll_loss, which skips them: 0 even for logits that are not finite)

    def backward(g):
        # δ = (e/s − q)·c, the seeds' (ŷ − y) per sample times its factor c: the loss's gradient g
        # (g/N for the mean), times w_y with class weights, and 0 where ignored (0 even where the
        # mean is over nothing and c is NaN elsewhere, as in PyTorch). In this order, dividing
        # first, a batch's step is the hand-written one to the last bit
        # (tests/test_dense_training_step.py). e stays as it is: a second sweep reads it.
        if spatial:  # (C-ordered: see _flat)
            grad = np.divide(e, s[:, None], out=_memory.empty(e.shape, e.dtype))
        else:
            grad = np.divide(e, s[:, None], out=_memory.empty_like(e)) if pooled else e / s[:, None]
        # minus the target q: 1 at each sample's label, or with label smoothing ε, (1 − ε) there and
        # ε/C everywhere (Python numbers: 1 − ε and ε/C are seldom exact in the array's dtype). At
        # the label, one subtraction per sample either way. For small batches ufunc.at is the
        # faster form (float32, 2 classes, a batch of one: 0.9 µs against 2.3 for
        # grad[rows, labels] -= 1; 2.0 against 2.8 for 128 rows), for large ones indexing (8.9
        # against 7.6 µs for 1024 rows); with one flat index ufunc.at is faster at any size (122
        # against 208 µs for 32768). Its operand is a 0-d array of grad's dtype (the value NumPy
        # would round a Python number to): with a Python float, ufunc.at leaves its fast loop
        # (6.1 against 0.09 ms for 32768 float32 places).
        if rate is not None:  # class weights and smoothing: r·e/s − ε/C·w − (1 − ε)·w_y at the label
            grad *= rate[:, None]
            grad -= (smoothing / n_classes) * w.reshape((n_classes,) + (1,) * (grad.ndim - 2))
            one = sample_weight * (1 - smoothing)
        elif smoothing:
            one = np.array(1 - smoothing, grad.dtype)
            grad -= smoothing / n_classes
        else:
            one = constant(1, grad.dtype)
        if spatial:
            np.subtract.at(_flat(grad), index, one)
        elif n < _SUBTRACT_AT_BELOW:
            np.subtract.at(grad, (rows, labels), one)
        else:
            grad[rows, labels] -= one
        count = constant(denominator, g.dtype) if reduction == "mean" and type(g) is np.ndarray and denominator else None
        if count is not None and sample_weight is None and ignored is None:
            # g/N as _upstream computes it, into a 0-d array: NumPy converts a Python number or a
            # NumPy scalar operand anew at every call (0.5 µs of the 1.1 a batch of one paid here).
            grad *= np.divide(g, count, out=np.empty((), g.dtype))
            return (grad,)
        c = _upstream(g, reduction, denominator)  # 0-d for 'mean' and 'sum', per sample for 'none'
        if sample_weight is not None and rate is None:  # (with smoothing the weights are in already)
            c = c * sample_weight
        if ignored is not None:
            c = np.where(ignored, 0, c)
        grad *= c[:, None] if np.ndim(c) else c  # (per sample: the class axis back, of length 1)
        return (grad,)

    if values_out is not None:
        values_out.append(per_sample)
    return record(_reduce(per_sample, reduction, denominator), (input,), backward, "cross_entropy")


def cross_entropy_with_values(input, labels: np.ndarray):
    """(``cross_entropy(input, labels)``, the per-sample losses it averaged): the mean as a graph
    node and the losses it is the mean of as an array, for callers that report a value of their
    own from the same numbers (the scikit-learn estimators' clipped log-loss, sklearn/_network.py).
    One node, where cross_entropy(reduction='none') and a mean would record two (12 µs a step).
    ``labels`` are class indices of shape (N,) for logits (N, C)."""
    values: list = []
    loss = _cross_entropy_labels(operand(input), np.asarray(labels), "mean", -100, values_out=values)
    return loss, values[0]


def logistic_loss_with_values(input, target: np.ndarray, denominator: float):
    """(Σ binary_cross_entropy_with_logits(input, target) / ``denominator``, the per-element losses
    summed): as :func:`cross_entropy_with_values`, for logistic outputs (N, K) averaged over the N
    samples and summed over the K outputs, in one graph node."""
    values: list = []
    loss = _pointwise("binary_cross_entropy_with_logits", input, target, "mean", _logistic_loss,
                      denominator=denominator, values_out=values)
    return loss, values[0]


def _flat(a: np.ndarray) -> np.ndarray:
    """A C-ordered array as one axis (a view: every array flattened here is made C-ordered)."""
    return a.reshape(-1)


def nll_loss(input, target, weight=None, reduction="mean", ignore_index=-100):
    """E = −w_y · log p_y on log-probabilities (the output of log_softmax); a sample whose label is
    ``ignore_index`` counts for nothing (loss 0, gradient 0, left out of the mean), as in PyTorch.

    Input (C,), (N, C) or (N, C, d1, ...): each sample's log p_y is found where it lies (for
    (N, C, d1, ...) by its flat offset, see :func:`_label_offsets`), and the gradient, −w_y at each
    label and 0 elsewhere, is made in the input's own layout: log_softmax's backward gets it in its
    output's order, where the classes moved last had made it a transposed copy (6.2 against 3.4 ms
    for (8, 21, 64, 64))."""
    name = "nll_loss"
    _check_reduction(name, reduction)
    input = operand(input)
    x_full = input.data
    n_classes, expected = _class_layout(name, x_full)
    labels, kept = _class_indices(name, _values(target), x_full.shape, n_classes, expected, ignore_index)
    _constant_option(name, "weight", weight)
    x = x_full if x_full.ndim >= 2 else x_full.reshape(1, n_classes)  # one sample: a batch of one
    if x.ndim == 2:  # (rows, labels): for a batch of a few rows the quicker index (10 µs less for 32)
        index = (np.arange(labels.size), labels)
        picked = x[index]
    else:
        per_place = labels.reshape(x.shape[:1] + x.shape[2:])
        index = _label_offsets(per_place, x.shape).reshape(-1)
        if x.flags.c_contiguous:
            picked = _flat(x)[index]
        else:  # (a view in another memory order: found along the class axis instead)
            picked = np.take_along_axis(x, per_place[:, None], axis=1).reshape(-1)
    w = _class_weight(name, weight, n_classes, x.dtype)
    sample_weight = np.ones(labels.size, dtype=x.dtype) if w is None else w[labels]
    if kept is not None:
        sample_weight *= kept  # 0 for the ignored samples
    values = -picked * sample_weight
    if kept is not None:  # an ignored sample is skipped, as in PyTorch: 0 even where its input is ±inf or NaN
        values[~kept] = 0
    values = values.reshape(expected)
    denominator = labels.size if w is None and kept is None else float(sample_weight.sum())

    def backward(g):
        # −w_y·g/Σw at each counted sample's label (NaN where the weights sum to 0 in a mean, as in
        # PyTorch), 0 for the ignored ones: every sample ignored, the mean is NaN and its gradient 0.
        per_sample = -sample_weight * np.reshape(_upstream(g, reduction, denominator), -1)
        if kept is not None:
            per_sample[~kept] = 0
        grad = np.zeros(x.shape, x.dtype)
        # (one label per sample: no place is set twice)
        (grad if x.ndim == 2 else _flat(grad))[index] = per_sample
        return (grad.reshape(x_full.shape),)

    return record(_reduce(values, reduction, denominator), (input,), backward, name)
