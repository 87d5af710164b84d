"""Error functions E, each a primitive with its gradient, one family a file.

| module         | losses                                                                         |
|----------------|--------------------------------------------------------------------------------|
| regression     | mse_loss, l1_loss, huber_loss, smooth_l1_loss                                  |
| classification | cross_entropy, nll_loss, binary_cross_entropy, binary_cross_entropy_with_logits |
| likelihood     | kl_div, gaussian_nll_loss; composed: poisson_nll_loss                          |
| margin         | composed: margin_ranking_loss, hinge_embedding_loss, soft_margin_loss, multilabel_soft_margin_loss, cosine_embedding_loss, triplet_margin_loss, triplet_margin_with_distance_loss |
| class_margin   | composed: multi_margin_loss, multilabel_margin_loss (hinges over class scores)  |
| ctc            | ctc_loss (label sequences read off unaligned frames: the α-β recursion)         |
| _common        | reduction and its gradient, input paired with target, operands of composed losses |

The fused losses are one primitive each: fusing is what keeps them stable, and it makes the output
layer's error term simple, as the seeds derive it: for softmax + cross-entropy, δ = (ŷ − y)/N; for
squared error, δ = (ŷ − y)·2/N. The composed ones are made of primitives, as PyTorch makes them.

Every loss takes ``reduction`` = 'mean' (average over elements, or over the summed class weights
when weights are given, as PyTorch does), 'sum', or 'none' (one value per element); kl_div also
takes 'batchmean'. ``REDUCTIONS`` and ``KL_REDUCTIONS`` name them, for the ``nn`` loss modules.
"""

from ._common import REDUCTIONS
from .class_margin import multi_margin_loss, multilabel_margin_loss
from .ctc import ctc_loss
from .classification import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, nll_loss
from .likelihood import KL_REDUCTIONS, gaussian_nll_loss, kl_div, poisson_nll_loss
from .margin import (
    cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss, multilabel_soft_margin_loss, soft_margin_loss,
    triplet_margin_loss, triplet_margin_with_distance_loss,
)
from .regression import huber_loss, l1_loss, mse_loss, smooth_l1_loss

__all__ = [
    "REDUCTIONS", "KL_REDUCTIONS",
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "kl_div", "gaussian_nll_loss", "poisson_nll_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
    "multi_margin_loss", "multilabel_margin_loss",
    "ctc_loss",
]
