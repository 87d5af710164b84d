"""Regression losses, each fused into one pointwise primitive: mse_loss, l1_loss, huber_loss,
smooth_l1_loss. For squared error the output layer's error term is the seeds' δ = (ŷ − y)·2/N.
"""

from __future__ import annotations

import numpy as np

from ...errors import ConfigError
from .. import _memory
from ._common import NEGATED, _pointwise


def mse_loss(input, target, reduction="mean"):
    """E = (ŷ − y)²; ∂E/∂ŷ = 2(ŷ − y)."""

    def rule(x, y):
        if x.nbytes < _memory.MIN_BYTES:
            diff = x - y
            return diff * diff, 2 * diff, NEGATED
        # A large output's (a sequence model's): arrays from the pool, see ops/_memory.py
        diff = np.subtract(x, y, out=_memory.empty_like(x, np.result_type(x, y)))
        values = np.multiply(diff, diff, out=_memory.empty_like(diff))
        diff *= 2
        return values, diff, NEGATED

    return _pointwise("mse_loss", input, target, reduction, rule)


def l1_loss(input, target, reduction="mean"):
    """E = |ŷ − y|; ∂E/∂ŷ = sign(ŷ − y) (0 at 0)."""

    def rule(x, y):
        diff = x - y
        sign = np.sign(diff)
        return np.abs(diff), sign, NEGATED

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
        return values, slope, NEGATED

    # in the input's dtype, as PyTorch's huber_loss (its other pointwise losses promote)
    return _pointwise("huber_loss", input, target, reduction, rule, promote=False, options={"delta": delta})


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """½d²/beta where |d| < beta, |d| − ½beta beyond: Huber's loss divided by beta, so the tails
    have slope 1 whatever beta is (``huber_loss`` keeps slope delta there). beta = 0 is |d|."""
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.number)) or not beta >= 0:
        raise ConfigError(f"smooth_l1_loss: beta must be a non-negative number, got {beta!r}")

    def rule(x, y):
        diff = x - y
        if beta == 0:
            sign = np.sign(diff)
            return np.abs(diff), sign, NEGATED
        # With c = min(|d|, beta): E = c·(|d| − ½c)/beta and ∂E/∂x = copysign(c, d)/beta (huber_loss's form).
        magnitude = np.abs(diff)
        capped = np.minimum(magnitude, beta)
        values = np.multiply(capped, 0.5)
        np.subtract(magnitude, values, out=values)
        values *= capped
        values /= beta
        slope = np.copysign(capped, diff, out=capped)
        slope /= beta
        return values, slope, NEGATED

    return _pointwise("smooth_l1_loss", input, target, reduction, rule, options={"beta": beta})
