"""Hinge losses over class scores: multi_margin_loss (one true class per sample, a multi-class
SVM) and multilabel_margin_loss (a set of true classes per sample).

Both are composed of primitives. Each compares the score of a true class with the score of every
class that is not true, so the terms form an (N, C) or (N, C, C) array; a hinge term counts, and
passes its gradient, only where it is strictly positive, as in PyTorch's kernels (its subgradient
at the kink is 0).
"""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError, DataError, ShapeError
from ...tensor import Tensor
from .._core import operand
from ..activation import real_option
from ..arithmetic import add, div, mul, sub
from ..elementwise import where
from ..indexing import gather
from ..reduction import sum as total
from ..shape import reshape
from ._common import _check_reduction, _constant_option, _float_dtype, _operands, _reduced


def _scores(name: str, input) -> tuple:
    """The input as (N, C) scores, and whether it was one sample (C,), or a 0-d one (one sample of
    one class, as PyTorch reads it). An empty class axis is refused, as PyTorch refuses it."""
    x = operand(input)
    (x,) = _operands(_float_dtype(x), x)
    shape = np.shape(x.data)
    if len(shape) > 2:
        raise ShapeError(f"{name}: expected input of shape (N, C) or (C,), got shape {shape}")
    if shape and shape[-1] == 0:
        raise ShapeError(f"{name}: expected at least one class, got input of shape {shape} (PyTorch refuses "
                         f"an empty class axis too)")
    return (x if len(shape) == 2 else reshape(x, (1, -1))), len(shape) < 2


def _labels(name: str, target, shape: tuple) -> np.ndarray:
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.dtype.kind not in "iu":
        raise DataError(f"{name}: target must hold integer class indices, got dtype {labels.dtype}")
    if labels.shape != shape:
        raise ShapeError(f"{name}: expected target of shape {shape}, got shape {labels.shape}")
    return labels.astype(np.intp, copy=False)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, *, reduction="mean"):
    """For scores x (N, C) and true classes y (N,): E_n = Σ_{i≠y} w_y·max(0, margin − x_y + x_i)^p / C,
    with p 1 or 2 and ``weight`` w (C,) the class weights (1 without). One sample (C,) takes a 0-d
    target. 'mean' averages over the N samples."""
    name = "multi_margin_loss"
    _check_reduction(name, reduction)
    _constant_option(name, "weight", weight)
    if isinstance(p, bool) or p not in (1, 2):
        raise ConfigError(f"{name}: p must be 1 or 2, got {p!r}")
    margin = real_option(name, "margin", margin)
    x, single = _scores(name, input)
    n, c = np.shape(x.data)
    labels = _labels(name, target, () if single else (n,)).reshape(n)
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        bad = labels[(labels < 0) | (labels >= c)][0]
        raise DataError(f"{name}: target {int(bad)} is not a class index in [0, {c})")
    z = add(sub(margin, gather(x, 1, labels[:, None])), x)  # margin − x_y + x_i
    counts = z.data > 0
    counts[np.arange(n), labels] = False  # the true class is no rival of itself
    h = where(counts, z, 0)
    if p == 2:
        h = mul(h, h)
    if weight is not None:
        w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
        if w.shape != (c,):
            raise ShapeError(f"{name}: weight must have shape ({c},) for {c} classes, got shape {w.shape}")
        h = mul(h, w[labels][:, None].astype(x.data.dtype))
    values = div(total(h, axis=1), c)
    return _reduced(reshape(values, ()) if single else values, reduction)


def multilabel_margin_loss(input, target, *, reduction="mean"):
    """For scores x (N, C) and targets (N, C) listing each sample's true classes, ended by the first
    −1 (or the row's end): E_n = Σ_{j true} Σ_{i not true} max(0, 1 − (x_j − x_i)) / C. A class listed
    twice counts twice, as in PyTorch. One sample (C,) takes a (C,) target."""
    name = "multilabel_margin_loss"
    _check_reduction(name, reduction)
    x, single = _scores(name, input)
    n, c = np.shape(x.data)
    labels = _labels(name, target, np.shape(x.data)[1:] if single and np.ndim(input) else () if single
                     else (n, c)).reshape(n, c)
    listed = np.cumprod(labels >= 0, axis=1).astype(bool)  # the entries before the first negative one
    if (labels[listed] >= c).any():
        raise DataError(f"{name}: target {int(labels[listed][labels[listed] >= c][0])} is not a class index in [0, {c})")
    times = np.zeros((n, c), dtype=np.int64)  # how often each class is listed
    rows = np.broadcast_to(np.arange(n)[:, None], (n, c))
    np.add.at(times, (rows[listed], labels[listed]), 1)
    # pairs[n, j, i] = 1 − x_j + x_i for j true and i not: true classes on axis 1, rivals on axis 2
    pairs = add(sub(1.0, reshape(x, (n, c, 1))), reshape(x, (n, 1, c)))
    counts = (times[:, :, None] > 0) & (times[:, None, :] == 0) & (pairs.data > 0)
    h = mul(where(counts, pairs, 0), times[:, :, None].astype(x.data.dtype))
    values = div(total(h, axis=(1, 2)), c)
    return _reduced(reshape(values, ()) if single else values, reduction)
