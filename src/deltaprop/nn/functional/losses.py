"""Losses: regression, classification, divergence, ranking, embedding and likelihood."""

from __future__ import annotations

from ... import ops
from ...errors import ShapeError
from ...ops._core import operand
from ...ops.loss._common import _check_reduction

binary_cross_entropy = ops.binary_cross_entropy
binary_cross_entropy_with_logits = ops.binary_cross_entropy_with_logits
cross_entropy = ops.cross_entropy
nll_loss = ops.nll_loss
# label sequences read off unaligned frames (blank, reduction and zero_infinity follow the four tensors)
ctc_loss = ops.ctc_loss


def mse_loss(input, target, reduction: str = "mean", weight=None):
    """(ŷ − y)² per element; ``weight`` (of the input's shape) scales each, and the mean is then
    Σ w·(ŷ − y)² / Σ w, as in PyTorch."""
    if weight is None:
        return ops.mse_loss(input, target, reduction)
    return _weighted("mse_loss", ops.mse_loss(input, target, "none"), weight, reduction, by_weight_sum=True)


def l1_loss(input, target, reduction: str = "mean", weight=None):
    """|ŷ − y| per element; ``weight`` (of the input's shape) scales each, and the mean is then
    Σ w·|ŷ − y| / Σ w, as in PyTorch."""
    if weight is None:
        return ops.l1_loss(input, target, reduction)
    return _weighted("l1_loss", ops.l1_loss(input, target, "none"), weight, reduction, by_weight_sum=True)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """Huber's loss per element; ``weight`` (of the input's shape) scales each, and the mean is
    then the plain mean of the weighted losses (PyTorch's, which unlike mse_loss's and l1_loss's
    does not divide by Σ w)."""
    if weight is None:
        return ops.huber_loss(input, target, reduction, delta)
    return _weighted("huber_loss", ops.huber_loss(input, target, "none", delta), weight, reduction, by_weight_sum=False)


def _weighted(name: str, losses, weight, reduction: str, by_weight_sum: bool):
    """Elementwise ``losses`` times ``weight``, reduced as PyTorch's weighted regression losses are."""
    _check_reduction(name, reduction)
    weight = operand(weight)
    if weight.shape != losses.shape:
        raise ShapeError(f"{name}: weight of shape {tuple(weight.shape)} must have the input's shape "
                         f"{tuple(losses.shape)}, as in PyTorch")
    weighted = ops.mul(losses, weight)
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return ops.sum(weighted)
    return ops.div(ops.sum(weighted), ops.sum(weight)) if by_weight_sum else ops.mean(weighted)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    return ops.smooth_l1_loss(input, target, reduction, beta)


def kl_div(input, target, reduction: str = "mean", log_target: bool = False):
    return ops.kl_div(input, target, reduction, log_target)


# -- ranking, embedding and likelihood losses ----------------------------------------------------------

# PyTorch's positions up to its deprecated size_average; what follows it (reduction, and
# poisson_nll_loss's eps) is keyword-only here, so a call written for PyTorch never binds wrongly.
margin_ranking_loss = ops.margin_ranking_loss
hinge_embedding_loss = ops.hinge_embedding_loss
soft_margin_loss = ops.soft_margin_loss
multilabel_soft_margin_loss = ops.multilabel_soft_margin_loss
cosine_embedding_loss = ops.cosine_embedding_loss
triplet_margin_loss = ops.triplet_margin_loss
poisson_nll_loss = ops.poisson_nll_loss
multi_margin_loss = ops.multi_margin_loss
multilabel_margin_loss = ops.multilabel_margin_loss
triplet_margin_with_distance_loss = ops.triplet_margin_with_distance_loss
gaussian_nll_loss = ops.gaussian_nll_loss
