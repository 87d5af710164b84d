"""The function form of every layer, activation and loss (``deltaprop.nn.functional``, as ``F``).

Each is the primitive from :mod:`deltaprop.ops` under PyTorch's name and argument names, so
``F.cross_entropy(logits, labels)`` reads as it does in PyTorch.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import ops
from ..creation import checked_size
from ..errors import ConfigError, DataError, ShapeError
from ..ops._windows import SPATIAL_AXES
from ..ops.activation import real_option
from ..random import default_generator
from ..tensor import Tensor

linear = ops.linear
sigmoid = ops.sigmoid
tanh = ops.tanh
mse_loss = ops.mse_loss
l1_loss = ops.l1_loss
binary_cross_entropy = ops.binary_cross_entropy
binary_cross_entropy_with_logits = ops.binary_cross_entropy_with_logits
cross_entropy = ops.cross_entropy
nll_loss = ops.nll_loss
# Convolution, pooling and normalization: the primitives already take PyTorch's arguments.
conv1d = ops.conv1d
conv2d = ops.conv2d
conv_transpose1d = ops.conv_transpose1d
conv_transpose2d = ops.conv_transpose2d
max_pool1d = ops.max_pool1d
max_pool2d = ops.max_pool2d
avg_pool1d = ops.avg_pool1d
avg_pool2d = ops.avg_pool2d
adaptive_avg_pool2d = ops.adaptive_avg_pool2d
batch_norm = ops.batch_norm
layer_norm = ops.layer_norm
rms_norm = ops.rms_norm  # eps=None: the machine epsilon of the input's dtype, as PyTorch's


def relu(input, inplace: bool = False):
    """max(0, x); ``inplace`` is taken for PyTorch code and changes nothing (see nn/activation.py)."""
    return ops.relu(input)


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    return ops.leaky_relu(input, negative_slope)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    return ops.elu(input, alpha)


def gelu(input, approximate: str = "none"):
    return ops.gelu(input, approximate)


def softmax(input, dim: int = -1):
    return ops.softmax(input, dim)


def log_softmax(input, dim: int = -1):
    return ops.log_softmax(input, dim)


# -- the rest of PyTorch's activations (``inplace``, where PyTorch takes it, changes nothing) ----------


def silu(input, inplace: bool = False):
    return ops.silu(input)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    return ops.softplus(input, beta, threshold)


def mish(input, inplace: bool = False):
    return ops.mish(input)


def selu(input, inplace: bool = False):
    return ops.selu(input)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    return ops.celu(input, alpha)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    return ops.hardtanh(input, min_val, max_val)


def relu6(input, inplace: bool = False):
    return ops.relu6(input)


def prelu(input, weight):
    return ops.prelu(input, weight)


def logsigmoid(input):
    return ops.logsigmoid(input)


def softsign(input):
    return ops.softsign(input)


def hardswish(input, inplace: bool = False):
    return ops.hardswish(input)


def hardsigmoid(input, inplace: bool = False):
    return ops.hardsigmoid(input)


def softmin(input, dim: int = -1):
    """softmax(−input) along ``dim`` (−1 by default, as deltaprop's softmax; PyTorch's None picks an
    axis from the number of dimensions and warns)."""
    return ops.softmin(input, dim)


def tanhshrink(input):
    return ops.tanhshrink(input)


def threshold(input, threshold: float, value: float, inplace: bool = False):
    return ops.threshold(input, threshold, value)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    return ops.huber_loss(input, target, reduction, delta)


def identity(input):
    return input


def flatten(input, start_dim: int = 1, end_dim: int = -1):
    return ops.flatten(input, start_dim, end_dim)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability p and scale the rest by 1/(1 − p) ("inverted" dropout),
    so the expected value is unchanged and evaluation needs no rescaling."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ConfigError(f"dropout: p must be a probability in [0, 1], got {p!r}")
    if not training or p == 0.0:
        return input
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    if p == 1.0:
        return ops.mul(input, np.zeros(data.shape, dtype=dtype))
    keep = default_generator().random(data.shape, dtype=np.float32) >= p
    return ops.mul(input, keep.astype(dtype) * dtype.type(1.0 / (1.0 - p)))


# -- embedding, group norm, padding, channel dropout and two more losses --------------------------------

group_norm = ops.group_norm
adaptive_avg_pool1d = ops.adaptive_avg_pool1d


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False):
    """Rows of ``weight`` picked by the integer indices in ``input`` (see :func:`deltaprop.ops.embedding`).

    ``max_norm`` (renormalising the rows it reads, in place) and ``sparse`` gradients are not
    provided; asking for them is a ConfigError rather than a silent difference.
    """
    _refuse_embedding_options("embedding", max_norm, sparse)
    return ops.embedding(input, weight, padding_idx, scale_grad_by_freq)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type: float = 2, scale_grad_by_freq: bool = False,
                  mode: str = "mean", sparse: bool = False, per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx=None):
    """The sum, mean or maximum of the rows of ``weight`` that each bag of ``input`` picks, one
    output row a bag (see :func:`deltaprop.ops.embedding_bag`); ``max_norm`` and ``sparse`` are
    refused, as by :func:`embedding`."""
    _refuse_embedding_options("embedding_bag", max_norm, sparse)
    return ops.embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx,
                             scale_grad_by_freq)


def _refuse_embedding_options(owner: str, max_norm, sparse) -> None:
    if max_norm is not None:
        raise ConfigError(f"{owner}: max_norm is not supported by deltaprop (it rescales table rows in place as they "
                          f"are read); got max_norm={max_norm!r}, leave it None")
    if sparse:
        raise ConfigError(f"{owner}: sparse=True is not supported by deltaprop (its gradients are dense arrays); "
                          "leave sparse=False")


def pad(input, pad, mode: str = "constant", value=None):
    return ops.pad(input, pad, mode, value)


def smooth_l1_loss(input, target, reduction: str = "mean", beta: float = 1.0):
    return ops.smooth_l1_loss(input, target, reduction, beta)


def kl_div(input, target, reduction: str = "mean", log_target: bool = False):
    return ops.kl_div(input, target, reduction, log_target)


def _channel_dropout(op: str, input, p, training: bool, spatial: int):
    """Zero whole channels: one draw per (sample, channel), the same for all positions of the channel."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ConfigError(f"{op}: p must be a probability in [0, 1], got {p!r}")
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    if data.ndim not in (spatial + 1, spatial + 2):
        layout = SPATIAL_AXES[spatial]
        raise ShapeError(f"{op}: expected input of shape (N, C, {layout}) or (C, {layout}), got shape {data.shape}")
    if not training or p == 0.0:
        return input
    # One mask entry per channel of each sample: the spatial axes are 1 and broadcast. (A 3-d input
    # to dropout2d is taken as (N, C, L), as PyTorch 2.13 takes it, with its warning.)
    channel_axes = 2 if data.ndim == spatial + 2 or (spatial == 2 and data.ndim == 3) else 1
    if spatial == 2 and data.ndim == 3:
        warnings.warn("dropout2d: a 3-d input is taken as (N, C, L), one draw per channel of each sample, as PyTorch "
                      "does; for an unbatched (C, H, W) image add the batch axis, or use dropout1d for (N, C, L)",
                      UserWarning, stacklevel=3)
    mask_shape = data.shape[:channel_axes] + (1,) * (data.ndim - channel_axes)
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    if p == 1.0:
        return ops.mul(input, np.zeros(mask_shape, dtype=dtype))
    keep = default_generator().random(mask_shape, dtype=np.float32) >= p
    return ops.mul(input, keep.astype(dtype) * dtype.type(1.0 / (1.0 - p)))


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Dropout of whole channels of an (N, C, L) or (C, L) input: each channel of each sample is
    zeroed with probability p (all its positions together) or kept and scaled by 1/(1 − p).
    Neighbouring positions of a channel are strongly correlated, so dropping them one by one
    (plain dropout) regularises little; dropping the channel does."""
    return _channel_dropout("dropout1d", input, p, training, 1)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Dropout of whole feature maps of an (N, C, H, W) or (C, H, W) input (see :func:`dropout1d`)."""
    return _channel_dropout("dropout2d", input, p, training, 2)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Dropout of whole volumes of an (N, C, D, H, W) or (C, D, H, W) input (see :func:`dropout1d`).
    (PyTorch takes other ranks too, with a warning that they will be refused; here they are refused.)"""
    return _channel_dropout("dropout3d", input, p, training, 3)


unflatten = ops.unflatten  # axis ``dim`` split into the axes ``sizes`` (one may be −1), as ``torch.unflatten``


# -- spatial layers: resampling, pixel shuffling, instance norm, adaptive max pooling, im2col ------------

interpolate = ops.interpolate
pixel_shuffle = ops.pixel_shuffle
pixel_unshuffle = ops.pixel_unshuffle
instance_norm = ops.instance_norm
adaptive_max_pool1d = ops.adaptive_max_pool1d
adaptive_max_pool2d = ops.adaptive_max_pool2d
unfold = ops.unfold
fold = ops.fold
# max pooling's partial inverse, from the indices of max_pool1d/2d/3d(..., return_indices=True)
max_unpool1d = ops.max_unpool1d
max_unpool2d = ops.max_unpool2d

# -- the 3-d forms: volumetric data (N, C, D, H, W), with the window code of the 1-d and 2-d ones ------------
conv3d = ops.conv3d
conv_transpose3d = ops.conv_transpose3d
max_pool3d = ops.max_pool3d
avg_pool3d = ops.avg_pool3d
adaptive_avg_pool3d = ops.adaptive_avg_pool3d
adaptive_max_pool3d = ops.adaptive_max_pool3d
max_unpool3d = ops.max_unpool3d

# -- ranking, embedding and likelihood losses; shrinkage, gating, alpha dropout, bilinear ---------------
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
hardshrink = ops.hardshrink
softshrink = ops.softshrink
glu = ops.glu
bilinear = ops.bilinear

#: λα of SELU to the digits PyTorch's alpha_dropout uses: the value SELU saturates at, −λα.
_ALPHA_PRIME = 1.7580993408473766


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout for self-normalizing networks (SELU): during training each element is set, with
    probability p, to SELU's saturation value −λα instead of 0, and the result is scaled and shifted
    (o = a·x + b for kept elements, a·(−λα) + b for dropped ones, with a = ((1 − p)(1 + p·λα²))^(−½)
    and b = a·λα·p) so that inputs of mean 0 and variance 1 keep them. The mask is drawn from the
    library's generator as dropout's is. ``training`` is False by default, as in PyTorch's function
    (the layer passes its mode); p = 1 gives zeros, as PyTorch's."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ConfigError(f"alpha_dropout: p must be a probability in [0, 1], got {p!r}")
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    if not training or p == 0.0 or data.size == 0:
        return input
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    if p == 1.0:
        return ops.mul(input, np.zeros(data.shape, dtype=dtype))
    keep = default_generator().random(data.shape, dtype=np.float32) >= p
    a = 1.0 / np.sqrt((_ALPHA_PRIME * _ALPHA_PRIME * p + 1) * (1 - p))
    shift = (keep - 1.0) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p  # b, and −λα·a where dropped
    return ops.add(ops.mul(input, keep.astype(dtype) * dtype.type(a)), shift.astype(dtype))


# -- one-hot codes, normalisation and distances between vectors ------------------------------------------


def one_hot(tensor, num_classes: int = -1):
    """Each integer class index as a row of zeros with a 1 at its position (int64), as PyTorch's: the
    result has shape ``tensor.shape + (num_classes,)``, and ``num_classes=-1`` takes the largest
    index plus one. It carries no gradient (its input is labels)."""
    labels = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if labels.dtype.kind not in "iu":
        raise ConfigError(f"one_hot: class indices must be integers, got dtype {labels.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < -1:
        raise ConfigError(f"one_hot: num_classes must be a non-negative integer or -1 (take it from the largest "
                          f"index), got {num_classes!r}")
    if num_classes == -1:
        if labels.size == 0:
            raise ConfigError("one_hot: cannot infer the number of classes from an empty tensor; give num_classes")
        num_classes = int(labels.max()) + 1
    if labels.size and labels.min() < 0:
        raise ConfigError(f"one_hot: class indices must be non-negative, got {int(labels.min())}")
    if labels.size and labels.max() >= num_classes:
        raise ConfigError(f"one_hot: class index {int(labels.max())} is not below num_classes={num_classes}")
    out = np.zeros(checked_size("one_hot", labels.shape + (int(num_classes),), 8), dtype=np.int64)
    np.put_along_axis(out, labels[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._wrap(out)


def _positive_p(op: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not p > 0:
        raise ConfigError(f"{op}: p must be a positive number (or inf), got {p!r}")
    return float(p)


def _dim(op: str, dim) -> int:
    """An axis: an integer (a float would reach NumPy as an axis and fail there, or be truncated)."""
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, numbers.Integral):
        raise ConfigError(f"{op}: dim must be an integer (an axis), got {dim!r}")
    return int(dim)


def _flag(op: str, name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{op}: {name} must be True or False, got {value!r}")
    return bool(value)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """``input / max(‖input‖_p, eps)`` along ``dim``, as PyTorch's: each slice scaled to unit p-norm,
    a slice of norm below ``eps`` divided by ``eps`` instead (so zeros stay zeros)."""
    if out is not None:
        raise ConfigError("normalize: out= is not supported; use the returned tensor")
    norm = ops.norm(input, _positive_p("normalize", p), _dim("normalize", dim), keepdims=True)
    return ops.div(input, ops.clamp_min(norm, eps))


def _broadcast_pair(op: str, x1, x2) -> tuple:
    x1, x2 = ops._core.operand(x1), ops._core.operand(x2)
    shape1, shape2 = np.shape(x1.data), np.shape(x2.data)
    try:
        shape = np.broadcast_shapes(shape1, shape2)
    except ValueError:
        raise ShapeError(f"{op}: shapes {shape1} and {shape2} cannot be broadcast together") from None
    return tuple(x if np.shape(x.data) == shape else ops.expand(x, shape) for x in (x1, x2))


def _unclamped_gradient(norm: Tensor, eps: float) -> Tensor:
    """``norm`` raised to at least ``eps`` in value, its gradient that of the norm itself: PyTorch
    clamps the norms of cosine_similarity in place under no_grad, so its gradient never sees the
    clamp (and a zero vector gets the gradient x / eps of the other vector's direction, not 0)."""
    return ops.add(norm, Tensor._wrap(np.maximum(norm.data, eps) - norm.data))


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """Σ (x1 / max(‖x1‖, eps)) · (x2 / max(‖x2‖, eps)) along ``dim``, PyTorch 2's formula: each
    vector scaled to unit length first (which keeps the result in [−1, 1]), the two broadcast."""
    dim, eps = _dim("cosine_similarity", dim), real_option("cosine_similarity", "eps", eps)
    x1, x2 = _broadcast_pair("cosine_similarity", x1, x2)
    # PyTorch computes in the two's promoted dtype, which must be a floating one (an integer with a
    # float: that float); an integer or boolean operand needs no gradient and is converted.
    dtype = ops.promotion.result_type(x1, x2)
    if dtype.kind != "f":
        ops.promotion.refuse_non_floating("cosine_similarity", dtype)
    x1, x2 = (x if np.asarray(x.data).dtype.kind == "f" else Tensor._wrap(np.asarray(x.data, dtype=dtype))
              for x in (x1, x2))
    n1, n2 = (_unclamped_gradient(ops.norm(x, 2, dim, keepdims=True), eps) for x in (x1, x2))
    return ops.sum(ops.mul(ops.div(x1, n1), ops.div(x2, n2)), dim)


pdist = ops.pdist  # the distances between the rows of one (N, M) input, i < j


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """‖x1 − x2 + eps‖_p along the last dimension, as PyTorch's (``eps`` keeps the norm away from
    the point where its gradient is undefined)."""
    p, eps = _positive_p("pairwise_distance", p), real_option("pairwise_distance", "eps", eps)
    keepdim = _flag("pairwise_distance", "keepdim", keepdim)
    x1, x2 = _broadcast_pair("pairwise_distance", x1, x2)
    difference = ops.add(ops.sub(x1, x2), eps)
    return ops.norm(difference, p, -1, keepdims=keepdim)


# -- attention -------------------------------------------------------------------------------------------


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False,
                                 scale=None, enable_gqa: bool = False):
    """softmax(Q·Kᵀ·scale + mask)·V, PyTorch's ``scaled_dot_product_attention``.

    ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev); the leading axes broadcast
    and the result is (..., L, Ev). ``scale`` is 1/√E unless given. A boolean ``attn_mask`` says
    which keys each query may attend to (True: it takes part), a floating one is added to the
    scores; either broadcasts to (..., L, S). ``is_causal`` lets query i attend to keys 0..i only.
    ``dropout_p`` drops attention weights (always: the function has no training flag, as in
    PyTorch). ``enable_gqa`` lets H query heads share H/G key and value heads (axis −3). A query that
    may attend to no key gets zeros, as in PyTorch.
    """
    return _attention("scaled_dot_product_attention", query, key, value, attn_mask, dropout_p, is_causal, scale,
                      enable_gqa)[0]


def _attention(op: str, query, key, value, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False, scale=None,
               enable_gqa: bool = False):
    """(the attention output, the attention weights after dropout): what scaled_dot_product_attention
    and MultiheadAttention (which returns the weights too) share."""
    q, k, v = (x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x)) for x in (query, key, value))
    if any(x.data.ndim < 2 for x in (q, k, v)) or q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"{op}: expected query (..., L, E), key (..., S, E) and value (..., S, Ev), got shapes "
                         f"{q.shape}, {k.shape} and {v.shape}")
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, numbers.Real) or not 0.0 <= dropout_p <= 1.0:
        raise ConfigError(f"{op}: dropout_p must be a probability in [0, 1], got {dropout_p!r}")
    if is_causal and attn_mask is not None:
        raise ConfigError(f"{op}: give attn_mask or is_causal=True, not both (PyTorch refuses them together)")
    if enable_gqa:
        k, v = _shared_heads(op, q, k), _shared_heads(op, q, v)
    length, source = q.shape[-2], k.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1]) if q.shape[-1] else 1.0
    else:
        scale = real_option(op, "scale", scale)
    axes = tuple(range(k.data.ndim - 2)) + (k.data.ndim - 1, k.data.ndim - 2)
    try:
        scores = ops.mul(ops.matmul(q, ops.permute(k, axes)), scale)
    except ShapeError:
        raise ShapeError(f"{op}: the batch axes of query {q.shape}, key {k.shape} and value {v.shape} cannot be "
                         "broadcast together") from None
    if is_causal:
        scores = ops.masked_fill(scores, ~np.tril(np.ones((length, source), dtype=bool)), -np.inf)
    elif attn_mask is not None:
        mask = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if mask.dtype.kind not in "bf":
            raise DataError(f"{op}: attn_mask must be boolean (True: take part) or floating point (added to the "
                            f"scores), got dtype {mask.dtype}")
        try:
            fits = np.broadcast_shapes(mask.shape, scores.shape) == scores.shape
        except ValueError:
            fits = False
        if not fits:
            raise ShapeError(f"{op}: attn_mask of shape {mask.shape} does not broadcast to the attention weights' "
                             f"shape {scores.shape} (..., L, S)")
        if mask.dtype == np.bool_:
            scores = ops.masked_fill(scores, ~mask, -np.inf)
        else:
            keep_grad = isinstance(attn_mask, Tensor) and attn_mask.requires_grad
            scores = ops.add(scores, attn_mask if keep_grad else mask.astype(scores.dtype, copy=False))
    weights = ops.safe_softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    try:
        return ops.matmul(weights, v), weights
    except ShapeError:
        raise ShapeError(f"{op}: the batch axes of query {q.shape}, key {k.shape} and value {v.shape} cannot be "
                         "broadcast together") from None


def _shared_heads(op: str, q: Tensor, x: Tensor) -> Tensor:
    """Key or value heads (..., G, S, E) repeated to the query's H heads (..., H, S, E), each H/G times
    in a row (grouped-query attention: query heads g·H/G .. (g + 1)·H/G − 1 read head g)."""
    if q.data.ndim < 3 or x.data.ndim < 3 or q.shape[-3] % max(x.shape[-3], 1) or not x.shape[-3]:
        raise ShapeError(f"{op}: with enable_gqa the query heads (axis -3) must be a multiple of the key and value "
                         f"heads, got query {q.shape} and {x.shape}")
    groups, repeats = x.shape[-3], q.shape[-3] // x.shape[-3]
    lead = x.shape[:-3]
    x = ops.expand(ops.unsqueeze(x, x.data.ndim - 2), (*lead, groups, repeats, *x.shape[-2:]))
    return ops.reshape(x, (*lead, groups * repeats, *x.shape[-2:]))


# -- local response norm, power-average pooling, channel shuffling ----------------------------------------


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
    """x_c / (k + α/n·Σ x_{c'}²)^β over the n = ``size`` channels c' around c (channel axis 1, zero
    beyond the edges: n//2 before c, (n − 1)//2 after), as PyTorch's (AlexNet's "brightness
    normalization"). Composed of primitives: the window sum is n shifted slices of the padded
    squares, n being small."""
    op = "local_response_norm"
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ConfigError(f"{op}: size must be a positive integer, got {size!r}")
    alpha, beta, k = (real_option(op, name, value) for name, value in (("alpha", alpha), ("beta", beta), ("k", k)))
    x = ops._core.operand(input)
    shape = np.shape(x.data)
    if len(shape) < 3:
        raise ShapeError(f"{op}: expected input of shape (N, C, *) with at least one position axis, got shape {shape}")
    if not np.size(x.data):
        return x
    channels = shape[1]
    squares = ops.mul(x, x)
    spread = [(0, 0)] * len(shape)
    spread[1] = (size // 2, (size - 1) // 2)
    padded = ops.pad(squares, [amount for pair in reversed(spread) for amount in pair])
    window = padded[:, 0:channels]
    for shift in range(1, size):
        window = ops.add(window, padded[:, shift:shift + channels])
    return ops.div(x, ops.pow(ops.add(ops.mul(window, alpha / size), k), beta))


def _lp_pool(op: str, n: int, input, norm_type, kernel_size, stride, ceil_mode):
    """(Σ over each window of x^p)^(1/p), PyTorch's composition step by step: the mean of x^p times
    the window's size (so a window that ``ceil_mode`` cuts short is scaled as a full one, as in
    PyTorch), with a negative mean (odd p, negative inputs) clamped to 0; p = inf is max pooling of |x|."""
    p = real_option(op, "norm_type", norm_type, nonzero=True)
    pool = max_pool1d if n == 1 else max_pool2d
    if math.isinf(p):
        out = pool(ops.abs(input), kernel_size, stride, 0, 1, ceil_mode)
        return out if p > 0 else ops.neg(pool(ops.neg(ops.abs(input)), kernel_size, stride, 0, 1, ceil_mode))
    average = (avg_pool1d if n == 1 else avg_pool2d)(ops.pow(input, p), kernel_size, stride, 0, ceil_mode)
    window = kernel_size if isinstance(kernel_size, numbers.Integral) else math.prod(kernel_size)
    if n == 2 and isinstance(kernel_size, numbers.Integral):
        window = kernel_size * kernel_size
    clamped = ops.mul(ops.sign(average), ops.relu(ops.abs(average)))
    return ops.pow(ops.mul(clamped, window), 1.0 / p)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """The p-norm (Σ x^p)^(1/p) of each window of an (N, C, L) or (C, L) input (p = ``norm_type``;
    1: the sum, inf: the largest |x|)."""
    return _lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
    """The p-norm (Σ x^p)^(1/p) of each window of an (N, C, H, W) or (C, H, W) input."""
    return _lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


def channel_shuffle(input, groups: int):
    """The channels (axis 1) of an (N, C, *) input regrouped: viewed as (groups, C/groups), transposed
    and flattened back, so each group of the next grouped convolution sees channels from every group
    of this one (ShuffleNet). A permutation of the input, so its gradient is the inverse permutation."""
    op = "channel_shuffle"
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ConfigError(f"{op}: groups must be a positive integer, got {groups!r}")
    x = ops._core.operand(input)
    shape = np.shape(x.data)
    if len(shape) < 3:
        raise ShapeError(f"{op}: expected input of shape (N, C, *) with at least one position axis, got shape {shape}")
    if shape[1] % groups:
        raise ShapeError(f"{op}: the {shape[1]} channels of an input of shape {shape} do not divide into {groups} groups")
    grouped = ops.reshape(x, (shape[0], int(groups), shape[1] // int(groups)) + shape[2:])
    axes = (0, 2, 1) + tuple(range(3, len(shape) + 1))
    return ops.reshape(ops.permute(grouped, axes), shape)


# -- random activations and dropout, drawn from the library's generator (deltaprop.manual_seed) -------------


def _slope_bounds(op: str, lower, upper) -> tuple:
    lower, upper = real_option(op, "lower", lower, finite=True), real_option(op, "upper", upper, finite=True)
    if lower > upper:
        raise ConfigError(f"{op}: lower must not exceed upper, got lower={lower} and upper={upper}")
    return lower, upper


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, inplace: bool = False):
    """Randomized leaky ReLU: x where x > 0, a·x elsewhere. In training each element draws its own
    slope a from U(lower, upper) (x ≤ 0 draws, as in PyTorch, so x = 0 gets a random gradient too);
    in evaluation a is the mean slope (lower + upper)/2. ``training`` is False by default, as in
    PyTorch's function (the layer passes its mode)."""
    lower, upper = _slope_bounds("rrelu", lower, upper)
    if not training:
        return ops.leaky_relu(input, (lower + upper) / 2)
    x = ops._core.operand(input)
    data = np.asarray(x.data)
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    draws = default_generator().uniform(lower, upper, size=data.shape).astype(dtype)
    return ops.mul(x, np.where(data <= 0, draws, dtype.type(1)))


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """:func:`alpha_dropout` of whole channels: one draw per (axis 0, axis 1) pair of an input of at
    least two axes, shared by all its positions (PyTorch's mask shape, which reads an unbatched input's
    channels as the batch)."""
    op = "feature_alpha_dropout"
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ConfigError(f"{op}: p must be a probability in [0, 1], got {p!r}")
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    if data.ndim < 2:
        raise ShapeError(f"{op}: expected input of shape (N, C, *), at least two axes, got shape {data.shape}")
    if not training or p == 0.0 or data.size == 0:
        return input
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    if p == 1.0:
        return ops.mul(input, np.zeros((), dtype=dtype))
    keep = default_generator().random(data.shape[:2] + (1,) * (data.ndim - 2), dtype=np.float32) >= p
    a = 1.0 / np.sqrt((_ALPHA_PRIME * _ALPHA_PRIME * p + 1) * (1 - p))
    shift = (keep - 1.0) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    return ops.add(ops.mul(input, keep.astype(dtype) * dtype.type(a)), shift.astype(dtype))


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1):
    """softmax((logits + G)/tau) along ``dim``, G standard Gumbel noise (−log of an exponential draw):
    a differentiable sample of a categorical distribution. ``hard=True`` returns the one-hot of its
    largest entry, with the soft sample's gradient (straight-through: y_hard − detach(y) + y).
    ``eps`` is unused, as in PyTorch (where it is deprecated)."""
    op = "gumbel_softmax"
    tau = real_option(op, "tau", tau, nonzero=True)
    hard, dim = _flag(op, "hard", hard), _dim(op, dim)
    x = ops._core.operand(logits)
    data = np.asarray(x.data)
    dtype = np.dtype(data.dtype if data.dtype.kind == "f" else np.float32)
    gumbels = (-np.log(default_generator().standard_exponential(size=data.shape))).astype(dtype)
    soft = ops.softmax(ops.div(ops.add(x, gumbels), tau), dim)
    if not hard:
        return soft
    index = np.expand_dims(np.argmax(soft.data, axis=dim), dim)
    one_hot_sample = np.zeros(data.shape, dtype=dtype)
    np.put_along_axis(one_hot_sample, index, 1, axis=dim)
    return ops.add(one_hot_sample - soft.data, soft)


# -- PyTorch's pooling functions that always return (values, indices) --------------------------------------


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """(values, indices) of :func:`max_pool1d`, whatever ``return_indices`` says (as in PyTorch)."""
    return ops.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """(values, indices) of :func:`max_pool2d`, whatever ``return_indices`` says (as in PyTorch)."""
    return ops.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """(values, indices) of :func:`max_pool3d`, whatever ``return_indices`` says (as in PyTorch)."""
    return ops.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of :func:`adaptive_max_pool1d`."""
    return ops.adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of :func:`adaptive_max_pool2d`."""
    return ops.adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """(values, indices) of :func:`adaptive_max_pool3d`."""
    return ops.adaptive_max_pool3d(input, output_size, True)


# -- in-place forms: the activation written back into its input (a tensor outside any graph) ------------


def _in_place(what: str, input, function, *args):
    if not isinstance(input, Tensor):
        raise TypeError(f"{what}: expects a deltaprop tensor to change in place, got {type(input).__name__}")
    return input._overwritten(what, function, *args)


def relu_(input):
    return _in_place("relu_", input, ops.relu)


def elu_(input, alpha: float = 1.0):
    return _in_place("elu_", input, ops.elu, alpha)


def leaky_relu_(input, negative_slope: float = 0.01):
    return _in_place("leaky_relu_", input, ops.leaky_relu, negative_slope)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0):
    return _in_place("hardtanh_", input, ops.hardtanh, min_val, max_val)


def selu_(input):
    return _in_place("selu_", input, ops.selu)


def celu_(input, alpha: float = 1.0):
    return _in_place("celu_", input, ops.celu, alpha)


def threshold_(input, threshold: float, value: float):
    return _in_place("threshold_", input, ops.threshold, threshold, value)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False):
    return _in_place("rrelu_", input, rrelu, lower, upper, training)
