"""Losses: regression, classification, divergence, ranking, embedding and likelihood."""

from __future__ import annotations

from ... import ops

mse_loss = ops.mse_loss
l1_loss = ops.l1_loss
binary_cross_entropy = ops.binary_cross_entropy
binary_cross_entropy_with_logits = ops.binary_cross_entropy_with_logits
cross_entropy = ops.cross_entropy
nll_loss = ops.nll_loss
# label sequences read off unaligned frames (blank, reduction and zero_infinity follow the four tensors)
ctc_loss = ops.ctc_loss


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    return ops.huber_loss(input, target, reduction, delta)


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
