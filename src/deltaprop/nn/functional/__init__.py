"""The function form of every layer, activation and loss (``deltaprop.nn.functional``, as ``F``).

Each is the primitive from :mod:`deltaprop.ops` under PyTorch's name and argument names, so
``F.cross_entropy(logits, labels)`` reads as it does in PyTorch. Every name is imported here from
the module of its topic:

| module        | functions                                                                        |
|---------------|----------------------------------------------------------------------------------|
| activations   | relu, gelu, softmax, ... ; hardshrink, softshrink, glu; rrelu, gumbel_softmax (seeded draws) |
| in_place      | relu_, elu_, leaky_relu_, hardtanh_, selu_, celu_, threshold_, rrelu_            |
| losses        | mse_loss, cross_entropy, nll_loss, kl_div, ctc_loss, ... and the ranking, embedding and likelihood losses |
| linear_loss   | linear_cross_entropy (cross_entropy of linear's logits, in one call)       |
| convolution   | linear, bilinear, conv1d/2d, conv_transpose1d/2d, unfold, fold, conv_tbc         |
| pooling       | max/avg/adaptive pooling, max_unpool1d/2d/3d, lp_pool1d/2d/3d, the ``*_with_indices`` forms |
| normalization | batch_norm, layer_norm, rms_norm, group_norm, instance_norm, local_response_norm |
| dropouts      | dropout, dropout1d/2d, alpha_dropout, feature_alpha_dropout                      |
| resampling    | pad, interpolate, pixel_shuffle/unshuffle, channel_shuffle, flatten, unflatten, identity |
|               | (and interpolate's deprecated names upsample, upsample_nearest, upsample_bilinear) |
| fractional_pooling | fractional_max_pool2d/3d and their ``_with_indices`` forms                  |
| sampling      | affine_grid, grid_sample (spatial transformers)                                  |
| embeddings    | one_hot, embedding, embedding_bag                                                |
| distances     | normalize, cosine_similarity, pairwise_distance, pdist                           |
| attention     | scaled_dot_product_attention                                                     |

The topics an MLP's training does not call (sampling, embeddings, attention, multi_head_attention,
fractional_pooling, linear_loss: _TOPICS below) are imported on first use, through deltaprop._lazy.
"""

from ... import _lazy

from .activations import (
    celu, elu, gelu, glu, gumbel_softmax, hardshrink, hardsigmoid, hardswish, hardtanh, leaky_relu, log_softmax,
    logsigmoid, mish, prelu, relu, relu6, rrelu, selu, sigmoid, silu, softmax, softmin, softplus, softshrink,
    softsign, tanh, tanhshrink, threshold,
)
from .in_place import celu_, elu_, hardtanh_, leaky_relu_, relu_, rrelu_, selu_, threshold_
from .losses import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss, cross_entropy, ctc_loss,
    gaussian_nll_loss,
    hinge_embedding_loss, huber_loss, kl_div, l1_loss, margin_ranking_loss, mse_loss, multi_margin_loss,
    multilabel_margin_loss, multilabel_soft_margin_loss, nll_loss, poisson_nll_loss, smooth_l1_loss,
    soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss,
)
from .convolution import (
    bilinear, conv1d, conv2d, conv3d, conv_tbc, conv_transpose1d, conv_transpose2d, conv_transpose3d, fold, linear,
    unfold,
)
from .pooling import (
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d, adaptive_max_pool2d_with_indices, adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices, avg_pool1d, avg_pool2d, avg_pool3d, lp_pool1d, lp_pool2d, lp_pool3d, max_pool1d,
    max_pool1d_with_indices, max_pool2d, max_pool2d_with_indices, max_pool3d, max_pool3d_with_indices, max_unpool1d,
    max_unpool2d, max_unpool3d
)
from .normalization import batch_norm, group_norm, instance_norm, layer_norm, local_response_norm, rms_norm
from .dropouts import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from .resampling import channel_shuffle, flatten, identity, interpolate, pad, pixel_shuffle, pixel_unshuffle, unflatten
from .distances import cosine_similarity, normalize, pairwise_distance, pdist
from .resampling import upsample, upsample_bilinear, upsample_nearest

__all__ = [
    "multi_head_attention_forward",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "affine_grid", "alpha_dropout", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "batch_norm", "bilinear", "binary_cross_entropy", "binary_cross_entropy_with_logits", "celu", "celu_",
    "channel_shuffle", "conv1d", "conv2d", "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "cosine_embedding_loss", "cosine_similarity", "cross_entropy", "ctc_loss", "dropout", "dropout1d", "dropout2d",
    "dropout3d", "elu", "elu_", "embedding", "embedding_bag", "feature_alpha_dropout", "flatten", "fold",
    "gaussian_nll_loss", "gelu", "glu", "grid_sample", "group_norm", "gumbel_softmax", "hardshrink", "hardsigmoid", "hardswish",
    "hardtanh", "hardtanh_", "hinge_embedding_loss", "huber_loss", "identity", "instance_norm", "interpolate", "kl_div",
    "l1_loss", "layer_norm", "leaky_relu", "leaky_relu_", "linear", "linear_cross_entropy", "local_response_norm", "log_softmax",
    "logsigmoid",
    "lp_pool1d", "lp_pool2d", "lp_pool3d", "margin_ranking_loss", "max_pool1d", "max_pool1d_with_indices", "max_pool2d",
    "max_pool2d_with_indices", "max_pool3d", "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d",
    "mish", "mse_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss", "nll_loss",
    "normalize", "one_hot", "pad", "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle", "poisson_nll_loss",
    "prelu", "relu", "relu6", "relu_", "rms_norm", "rrelu", "rrelu_", "scaled_dot_product_attention", "selu", "selu_",
    "sigmoid", "silu", "smooth_l1_loss", "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink", "softsign",
    "tanh", "tanhshrink", "threshold", "threshold_", "triplet_margin_loss", "triplet_margin_with_distance_loss",
    "unflatten", "unfold",
    "upsample", "upsample_bilinear", "upsample_nearest", "fractional_max_pool2d", "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d", "fractional_max_pool3d_with_indices",
]

# Imported on first use (``F.one_hot``, ``from deltaprop.nn.functional import grid_sample``): each
# topic module with its functions; each is also this package's attribute, as the others are.
_TOPICS = {
    ".sampling": "affine_grid grid_sample",
    ".embeddings": "embedding embedding_bag one_hot",
    ".attention": "scaled_dot_product_attention",
    ".multi_head_attention": "multi_head_attention_forward",
    ".fractional_pooling": "fractional_max_pool2d fractional_max_pool2d_with_indices fractional_max_pool3d "
                           "fractional_max_pool3d_with_indices",
    ".linear_loss": "linear_cross_entropy",
}
_lazy.provide(globals(), _TOPICS, modules=tuple(_TOPICS))
