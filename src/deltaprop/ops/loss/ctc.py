"""Connectionist temporal classification (CTC, Graves et al. 2006): the error of a label sequence
l = (l_1 .. l_L) read off T frames of class log-probabilities, when the frames are not aligned with
the labels. E = −log p(l | x), where p sums the probability of every path of T classes that becomes
l once repeats are merged and blanks dropped.

The sum runs over the extended sequence l' = (b, l_1, b, l_2, .., l_L, b) of 2L + 1 positions s, b
the blank, by dynamic programming in log space (y_t(c) = exp log_probs[t, c]):

    α_t(s) = y_t(l'_s) · (α_{t−1}(s) + α_{t−1}(s − 1) + [l'_s ≠ b and l'_s ≠ l'_{s−2}] α_{t−1}(s − 2))
    α_0(0) = y_0(b),  α_0(1) = y_0(l_1),  p = α_{T−1}(2L) + α_{T−1}(2L − 1)

α_t(s) is the probability of the paths' first t + 1 frames that end at position s. Its mirror image
β_t(s), here the probability of the frames after t from position s to the end (frame t itself not
included), runs backwards from β_{T−1}(2L) = β_{T−1}(2L − 1) = 1. Then α_t(s)β_t(s) sums the paths
through s at frame t, Σ_s α_t(s)β_t(s) = p at every t, and

    ∂E/∂log_probs[t, c] = exp(log_probs[t, c]) − (1/p) Σ_{s: l'_s = c} α_t(s) β_t(s)

for t < the sequence's input length, 0 after it. This is PyTorch's convention: the exact derivative
of E with respect to log_probs is the second term alone; the first, y_t(c), is what that derivative
becomes after the backward pass of the log_softmax that made log_probs (g − softmax·Σ_c g_c, and
Σ_c of the second term is −1), so it changes nothing there, and the gradient reads as ∂E/∂logits.
Hence log_probs must be log_softmax outputs, as PyTorch asks. A sequence no path can produce (a
target longer than its input, or repeats with too few frames between) has p = 0: E = inf and its
gradient NaN, or both 0 with ``zero_infinity``.

The recursions are vectorised over the batch and the positions s; only the frames t are a Python loop.
"""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError, DataError, ShapeError
from .._core import operand, record
from ._common import _check_reduction

NAME = "ctc_loss"


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """E = −log p(target | log_probs) per sequence, summed over every alignment (see the module).

    ``log_probs`` (T, N, C), the log_softmax of a network's output over C classes, or (T, C) for one
    sequence; ``targets`` padded (N, S), or the N target sequences concatenated (Σ target_lengths,);
    ``input_lengths`` and ``target_lengths`` the length of each input and target (N,). 'mean' divides
    each sequence's loss by its target length (at least 1) and averages over the batch, as PyTorch;
    'sum' adds them; 'none' gives one per sequence. ``zero_infinity`` gives an impossible sequence the
    loss 0 and gradient 0 instead of inf and NaN.
    """
    _check_reduction(NAME, reduction)
    if not isinstance(zero_infinity, (bool, np.bool_)):
        raise ConfigError(f"{NAME}: zero_infinity must be True or False, got {zero_infinity!r}")
    log_probs = operand(log_probs)
    x = log_probs.data
    batched = x.ndim == 3
    if x.ndim not in (2, 3):
        raise ShapeError(f"{NAME}: log_probs must have shape (T, N, C) or (T, C) for one sequence, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise DataError(f"{NAME}: log_probs must be floating point (the output of log_softmax), got dtype {x.dtype}")
    if x.size == 0:
        raise ShapeError(f"{NAME}: log_probs must not be empty, got shape {x.shape}")
    lp = x if batched else x[:, None, :]
    T, N, C = lp.shape
    if isinstance(blank, (bool, np.bool_)) or not isinstance(blank, (int, np.integer)) or not 0 <= blank < C:
        raise ConfigError(f"{NAME}: blank must be a class index in [0, {C}) for {C} classes, got {blank!r}")
    lengths_in = _lengths("input_lengths", input_lengths, N, batched)
    lengths_out = _lengths("target_lengths", target_lengths, N, batched)
    if lengths_in.max() > T:
        raise DataError(f"{NAME}: input length {lengths_in.max()} is longer than log_probs' {T} time steps")
    labels = _labels(targets, lengths_out, N, C, batched)

    alpha, emit, skip = _forward(lp, labels, lengths_out, int(blank))
    last = np.maximum(lengths_in - 1, 0)
    rows = np.arange(N)
    end = alpha[last, rows, 2 * lengths_out]
    before_end = np.where(lengths_out > 0, alpha[last, rows, np.maximum(2 * lengths_out - 1, 0)], -np.inf)
    log_p = np.logaddexp(end, before_end)
    log_p[lengths_in == 0] = np.where(lengths_out[lengths_in == 0] == 0, 0.0, -np.inf)  # no frames: only l = ()
    losses = (-log_p).astype(x.dtype)
    impossible = np.isinf(losses)
    if zero_infinity:
        losses[impossible] = 0
    divisor = np.maximum(lengths_out, 1).astype(x.dtype)
    if reduction == "mean":
        value = (losses / divisor).mean()
    elif reduction == "sum":
        value = losses.sum()
    else:
        value = losses if batched else losses.reshape(())

    def backward(g):
        beta = _backward(emit, skip, lengths_in, lengths_out)
        # (for an impossible sequence α + β − log p is −inf − (−inf): NaN, as PyTorch's gradient there)
        with np.errstate(invalid="ignore"):
            gamma = np.exp(alpha + beta - log_p[None, :, None])
        # Σ_{s: l'_s = c} γ_t(s): the positions of the extended sequence added into their classes
        # (a label repeated in a target takes several), for every frame and sequence at once.
        classes = (np.arange(T * N).reshape(T, N, 1) * C + _extended(labels, lengths_out, int(blank))[None]).ravel()
        occupancy = np.bincount(classes, weights=gamma.ravel(), minlength=T * N * C).reshape(T, N, C)
        grad = np.exp(lp) - occupancy.astype(x.dtype)
        grad[:, impossible, :] = 0 if zero_infinity else np.nan  # (NaN for every class, as PyTorch's)
        grad[np.arange(T)[:, None] >= lengths_in[None, :]] = 0  # the frames after each input's end
        if reduction == "mean":
            scale = g / (N * divisor)
        elif reduction == "sum":
            scale = np.broadcast_to(g, (N,))
        else:
            scale = np.reshape(g, (N,))
        grad *= scale.astype(x.dtype, copy=False)[None, :, None]
        return (grad if batched else grad[:, 0, :],)

    return record(np.asarray(value, dtype=x.dtype), (log_probs,), backward, NAME)


def _lengths(option: str, values, n: int, batched: bool) -> np.ndarray:
    """``input_lengths`` or ``target_lengths`` as N non-negative integers."""
    array = np.asarray(getattr(values, "data", values))
    if array.dtype.kind not in "iu":
        raise DataError(f"{NAME}: {option} must be integers, got dtype {array.dtype}")
    if array.shape != (n,) and (batched or array.shape != ()):
        expected = f"({n},)" if batched else "a single number or (1,)"
        raise ShapeError(f"{NAME}: {option} must hold one length per sequence, {expected}, got shape {array.shape}")
    array = array.reshape(n).astype(np.int64)
    if array.size and array.min() < 0:
        raise DataError(f"{NAME}: {option} must not be negative, got {array.min()}")
    return array


def _labels(targets, lengths: np.ndarray, n: int, n_classes: int, batched: bool) -> np.ndarray:
    """The N target sequences as rows (N, max length), each padded after its length with 0."""
    t = np.asarray(getattr(targets, "data", targets))
    if t.dtype.kind == "f" and np.all(t == np.round(t)):
        t = t.astype(np.int64)  # (PyTorch takes whole numbers in a float tensor too)
    if t.dtype.kind not in "iu":
        raise DataError(f"{NAME}: targets must hold integer class labels, got dtype {t.dtype}")
    width = int(lengths.max()) if n else 0
    if t.ndim == 1 and batched:  # the sequences one after another
        if t.size != lengths.sum():
            raise ShapeError(f"{NAME}: the concatenated targets hold {t.size} labels, but target_lengths add up to "
                             f"{lengths.sum()}")
        rows = np.zeros((n, width), dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        positions = np.arange(width)[None, :]
        inside = positions < lengths[:, None]
        rows[inside] = t[(starts[:, None] + positions)[inside]]
    else:
        if not batched and t.ndim == 1:
            t = t[None, :]
        if t.ndim != 2 or t.shape[0] != n:
            expected = f"padded ({n}, S) or concatenated (Σ target_lengths,)" if batched else "(S,)"
            raise ShapeError(f"{NAME}: targets must be {expected}, got shape {t.shape}")
        if width > t.shape[1]:
            sequence = int(np.argmax(lengths))
            raise DataError(f"{NAME}: target length {width} of sequence {sequence} is longer than the {t.shape[1]} "
                            f"labels a row of the padded targets holds")
        inside = np.arange(width)[None, :] < lengths[:, None]
        rows = np.where(inside, t[:, :width], 0).astype(np.int64)
    used = rows[np.arange(width)[None, :] < lengths[:, None]]
    if used.size and (used.min() < 0 or used.max() >= n_classes):
        bad = used[(used < 0) | (used >= n_classes)][0]
        raise DataError(f"{NAME}: target label {bad} is outside [0, {n_classes}) for {n_classes} classes")
    return rows


def _extended(labels: np.ndarray, lengths: np.ndarray, blank: int) -> np.ndarray:
    """l' = (b, l_1, b, .., l_L, b) of each sequence (N, 2·max L + 1), blanks after its end too."""
    n, width = labels.shape
    extended = np.full((n, 2 * width + 1), blank, dtype=np.int64)
    extended[:, 1::2] = np.where(np.arange(width)[None, :] < lengths[:, None], labels, blank)
    return extended


def _shifted(a: np.ndarray, k: int, fill=-np.inf) -> np.ndarray:
    """``a`` moved k positions along its last axis (forward for k > 0, back for k < 0), ``fill`` let in."""
    out = np.full_like(a, fill)
    width = a.shape[-1] - abs(k)
    if width > 0:
        if k > 0:
            out[..., k:] = a[..., :width]
        else:
            out[..., :width] = a[..., -k:]
    return out


def _log_add3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """log(e^a + e^b + e^c), stable, and −inf where all three are (no NumPy warning)."""
    m = np.maximum(np.maximum(a, b), c)
    shift = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        return shift + np.log(np.exp(a - shift) + np.exp(b - shift) + np.exp(c - shift))


def _forward(lp: np.ndarray, labels: np.ndarray, lengths: np.ndarray, blank: int):
    """(α (T, N, S) in log space, the log-probability of l'_s at each frame (T, N, S), and where the
    jump from s − 2 to s is allowed (N, S)); positions past a sequence's 2L + 1 are −inf."""
    T, N, _ = lp.shape
    extended = _extended(labels, lengths, blank)
    S = extended.shape[1]
    valid = np.arange(S)[None, :] < (2 * lengths + 1)[:, None]
    emit = np.take_along_axis(lp, np.broadcast_to(extended[None], (T, N, S)), axis=2)
    emit = np.where(valid[None], emit, -np.inf)
    skip = np.zeros((N, S), dtype=bool)
    skip[:, 3::2] = extended[:, 3::2] != extended[:, 1:-2:2]  # a label that differs from the one before it
    alpha = np.full((T, N, S), -np.inf, dtype=lp.dtype)
    alpha[0, :, :2] = emit[0, :, :2]
    for t in range(1, T):
        a = alpha[t - 1]
        alpha[t] = emit[t] + _log_add3(a, _shifted(a, 1), np.where(skip, _shifted(a, 2), -np.inf))
    return alpha, emit, skip


def _backward(emit: np.ndarray, skip: np.ndarray, input_lengths: np.ndarray, target_lengths: np.ndarray) -> np.ndarray:
    """β (T, N, S) in log space: the frames after t, from position s to the end; −inf from each
    sequence's input length on."""
    T, N, S = emit.shape
    final = np.full((N, S), -np.inf, dtype=emit.dtype)
    rows = np.arange(N)
    final[rows, 2 * target_lengths] = 0
    has_labels = target_lengths > 0
    final[rows[has_labels], 2 * target_lengths[has_labels] - 1] = 0
    beta = np.full((T, N, S), -np.inf, dtype=emit.dtype)
    skip_ahead = _shifted(skip, -2, False)  # the jump from s to s + 2
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            b = emit[t + 1] + beta[t + 1]
            beta[t] = _log_add3(b, _shifted(b, -1), np.where(skip_ahead, _shifted(b, -2), -np.inf))
        ends = input_lengths - 1 == t
        beta[t, ends] = final[ends]
    return beta
