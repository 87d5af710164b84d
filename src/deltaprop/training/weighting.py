"""Keras' ``sample_weight`` and ``class_weight`` for ``fit``: one weight per training sample.

A weighted batch's loss is Σᵢ wᵢ·Eᵢ / N over its N samples, Eᵢ being sample i's loss averaged over
its other axes: Keras' 'sum_over_batch_size', which divides by the number of samples, not by the
sum of their weights, so a batch of weights 1 gives the unweighted loss and a weight of 2 counts a
sample twice. (One exception: a loss with PyTorch's own class weights, ``CrossEntropyLoss(weight=)``,
whose mean divides by the sum of those weights; with sample weights it too divides by the batch
size, so its class weights then act as Keras' ``class_weight`` does.) ``class_weight`` maps a
class index to a weight that every sample of that class gets (a class it leaves out keeps weight 1,
as in Keras); given with ``sample_weight``, the two multiply, as Keras 2 did (Keras 3 refuses the pair).

The weights are checked and combined once, before training, into a vector that travels with the
samples through the split and every shuffle; the loss of each batch then takes that batch's weights.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import numbers
from collections.abc import Mapping

import numpy as np

from .. import random as dp_random
from ..errors import ConfigError, DataError
from ..grad_mode import no_grad
from ..tensor import Tensor


def sample_weights(sample_weight, class_weight, y: np.ndarray, class_indices: bool) -> tuple:
    """(the weight of every sample, the checked ``sample_weight`` alone), float64 vectors or None.

    The first is ``sample_weight`` times the class weights, what training weighs each sample by; the
    second is what a validation split keeps for its rows (Keras applies class weights to the
    training rows only). ``y`` is the target as ``fit`` prepared it; ``class_indices`` says whether
    the loss takes class indices (then a 2-D ``y`` holds one-hot rows)."""
    given = None if sample_weight is None else checked_sample_weight(sample_weight, len(y))
    if class_weight is None:
        return given, given
    weights = np.ones(len(y)) if given is None else given
    return weights * _class_weights(_checked_class_weight(class_weight), _class_labels(y, class_indices)), given


def checked_sample_weight(sample_weight, n_samples: int, caller: str = "fit") -> np.ndarray:
    """``sample_weight`` as a float64 vector of one finite non-negative weight per sample."""
    try:
        w = np.asarray(sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight)
    except ValueError:  # rows of different lengths
        raise DataError(f"{caller}: sample_weight must be a 1-D array of numbers, one weight per sample") from None
    if w.dtype.kind not in "iuf":
        raise DataError(f"{caller}: sample_weight must hold numbers, got an array of dtype {w.dtype}")
    if w.ndim == 2 and w.shape[1] == 1:  # a column, as Keras takes it
        w = w[:, 0]
    if w.ndim != 1:
        raise DataError(f"{caller}: sample_weight must be 1-D, one weight per sample, got shape {w.shape}")
    if len(w) != n_samples:
        raise DataError(f"{caller}: sample_weight has {len(w)} entries, X has {n_samples} samples")
    w = w.astype(np.float64)
    if not np.isfinite(w).all():
        first = int(np.flatnonzero(~np.isfinite(w))[0])
        raise DataError(f"{caller}: sample_weight holds NaN or infinite weights (the first is {w[first]} at sample {first})")
    if (w < 0).any():
        first = int(np.flatnonzero(w < 0)[0])
        raise DataError(f"{caller}: sample_weight holds negative weights (the first is {w[first]} at sample {first})")
    return w


def _checked_class_weight(class_weight) -> dict:
    if not isinstance(class_weight, Mapping):
        raise ConfigError(f"fit: class_weight must be a dict mapping class indices to weights, got {type(class_weight).__name__}")
    checked = {}
    for key, value in class_weight.items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)) or key < 0:
            raise ConfigError(f"fit: class_weight's key {key!r} is not a class index (a non-negative integer)")
        if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
                or not np.isfinite(value) or value < 0):
            raise ConfigError(f"fit: class_weight[{key!r}] = {value!r} is not a finite non-negative number")
        checked[int(key)] = float(value)
    return checked


def _class_labels(y: np.ndarray, class_indices: bool) -> np.ndarray:
    """One class per sample: the label itself, or the column of the 1 in a one-hot row."""
    if y.ndim == 1 and y.dtype.kind in "iu":
        return y
    if y.ndim == 2 and y.shape[1] > 1:
        if not (np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()):
            raise DataError("fit: class_weight needs one class per sample, and some rows of y are not one-hot")
        return y.argmax(axis=1)
    if y.ndim == 2 and not class_indices:  # one column of targets: classes when they are whole numbers
        column = y[:, 0]
        if not (column == np.round(column)).all():
            raise DataError("fit: class_weight needs class labels in y, and y holds fractional values as a "
                            "regression's targets do; weight the samples with sample_weight instead")
        return column.astype(np.int64)
    raise DataError(f"fit: class_weight needs one class label per sample, got targets of shape {y.shape}")


def _class_weights(class_weight: dict, labels: np.ndarray) -> np.ndarray:
    weights = np.ones(len(labels))
    for label, weight in class_weight.items():
        weights[labels == label] = weight
    return weights


def check_some_weight(weights: np.ndarray) -> None:
    """Weights that are all 0 train nothing, silently: refuse them."""
    if not weights.any():
        raise DataError("fit: every training sample has weight 0 (sample_weight times class_weight), so nothing would be learned")


def digest(weights: np.ndarray | None) -> str | None:
    """A fingerprint of the weights, which a checkpoint keeps so that a resume can compare its own."""
    if weights is None:
        return None
    return hashlib.sha256(np.ascontiguousarray(weights, dtype="<f8").tobytes()).hexdigest()


class WeightedLoss:
    """``loss`` per sample, weighted by the current batch's weights: Σᵢ wᵢ·Eᵢ / N.

    A loss module is copied with ``reduction='none'``, which leaves its own class weights
    (PyTorch's ``weight``) in every value once; its 'sum' reduction is kept (Σᵢ wᵢ·Eᵢ, Eᵢ summed over
    the sample's values). A function with a ``reduction`` argument is called with 'none'; any other
    must return one value (or one row of values) per sample.
    """

    def __init__(self, loss):
        self.loss = loss
        self.summed = getattr(loss, "reduction", "mean") == "sum"
        self.weights = None  # the current batch's, set by batches()
        if hasattr(loss, "reduction") and hasattr(loss, "forward"):
            self.per_value = copy.copy(loss)  # (a shallow copy: it shares the original's class weights)
            self.per_value.reduction = "none"
        elif _takes_reduction(loss):
            self.per_value = functools.partial(loss, reduction="none")
        else:
            self.per_value = loss

    def batches(self, loader):
        """The loader's (X, y) batches, each one's weights handed to this loss on the way."""
        for xb, yb, wb in loader:
            self.weights = Tensor(wb, dtype=wb.dtype)  # (the model's dtype, float64 kept)
            yield xb, yb

    def __call__(self, output, target):
        values = self.per_value(output, target)
        n = len(output.data)
        if values.ndim == 0 or values.shape[0] != n:
            raise ConfigError(
                f"sample weights (sample_weight, class_weight) need the loss of each sample, and the loss "
                f"{_name(self.loss)} returned {'one number' if values.ndim == 0 else f'shape {values.shape}'} for "
                f"{n} sample{'s' if n != 1 else ''}; use a loss module or name, or a function returning one value per sample")
        if values.ndim > 1:
            values = values.reshape(n, -1)
            values = values.sum(axis=1) if self.summed else values.mean(axis=1)
        total = (values * self.weights).sum()
        return total if self.summed else total / n

    def check(self, model, X: np.ndarray, y: np.ndarray, dtype) -> None:
        """Refuse, before training, a loss that gives no per-sample values: one forward pass on
        the first two samples, in evaluation mode (no dropout, no statistics updated), which leaves
        the library's generator where it was, so the run draws what it would have drawn."""
        self.weights = Tensor(np.ones(len(X[:2]), dtype=dtype), dtype=dtype)
        was_training, rng = model.training, dp_random.state_dict()
        model.eval()
        try:
            with no_grad():
                output = model(X[:2])
                self(output, target_for(output, y[:2]))
        finally:
            model.train(was_training)
            dp_random.load_state_dict(rng)
            self.weights = None


def target_for(output, target: np.ndarray) -> np.ndarray:
    """``target`` as the loss compares it with ``output``: fit makes 1-D targets a column, as a
    model ending in Linear(..., 1) outputs them; a model whose output is a vector (N,) gets the
    vector back (Keras squeezes the one to the other's rank too), rather than a shape error about
    shapes the user never gave."""
    # (anything but a tensor, a model's tuple of outputs, say, goes on to the loss, which names it)
    if (isinstance(output, Tensor) and output.data.ndim == 1 and getattr(target, "ndim", None) == 2
            and target.shape[1] == 1 and len(target) == len(output.data)):
        return target[:, 0]
    return target


def _takes_reduction(function) -> bool:
    try:
        return "reduction" in inspect.signature(function).parameters
    except (TypeError, ValueError):  # a callable without a signature Python can read
        return False


def _name(loss) -> str:
    return getattr(loss, "__name__", type(loss).__name__)
