"""PyTorch's top-level forms of its layer functions (``torch.conv2d``, ``torch.dropout(x, p, train)``,
``torch.batch_norm(...)``, ``torch.lstm_cell(...)``, ...), for code ported from it.

Each is a call of the :mod:`deltaprop.nn.functional` function that computes it (or of the
recurrent step of :mod:`deltaprop.nn.recurrent`): the meaning and the gradient are that
function's. Only the arguments differ, where PyTorch's top-level form takes them differently from
its ``nn.functional`` form:

* losses take ``reduction`` as a number: 0 for 'none', 1 for 'mean', 2 for 'sum'; left out, it is 0,
  as PyTorch 2.13 runs them (its schemas say 1, but the calls without it return every element's loss);
* the dropouts take ``train`` positionally, with no default;
* ``batch_norm``, ``instance_norm`` and ``poisson_nll_loss`` take every argument, in their own order;
* ``embedding`` takes the weight first, and a negative ``padding_idx`` for none;
* ``grid_sampler`` takes its modes as numbers (bilinear 0, nearest 1, bicubic 2; zeros 0, border 1,
  reflection 2);
* ``adaptive_max_pool1d`` always returns (values, indices);
* the ``cudnn_enabled`` flags are accepted and ignored (there is no cuDNN here).

The functions whose arguments are the same as ``nn.functional``'s are that function itself.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import ops
from .errors import ConfigError, ShapeError
from . import nn  # (nn.recurrent, for the four cells: imported on first use)
from .nn import functional as F
from .tensor import Tensor

# The same arguments as nn.functional's forms: the function itself.
conv1d, conv2d, conv3d, conv_tbc = F.conv1d, F.conv2d, F.conv3d, F.conv_tbc
conv_transpose1d, conv_transpose2d, conv_transpose3d = F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d
adaptive_avg_pool1d, bilinear, rms_norm = F.adaptive_avg_pool1d, F.bilinear, F.rms_norm
celu, selu, threshold, prelu, hardshrink = F.celu, F.selu, F.threshold, F.prelu, F.hardshrink
pixel_shuffle, pixel_unshuffle, channel_shuffle = F.pixel_shuffle, F.pixel_unshuffle, F.channel_shuffle
native_channel_shuffle = F.channel_shuffle
cosine_similarity, pairwise_distance, pdist = F.cosine_similarity, F.pairwise_distance, F.pdist

_REDUCTIONS = ("none", "mean", "sum")  # PyTorch's numbering of the reductions: 0, 1, 2


def _reduction(op: str, reduction) -> str:
    if isinstance(reduction, bool) or not isinstance(reduction, numbers.Integral) or not 0 <= reduction <= 2:
        raise ConfigError(f"{op}: reduction must be 0 ('none'), 1 ('mean') or 2 ('sum'), got {reduction!r}")
    return _REDUCTIONS[int(reduction)]


def _stride(stride):
    """PyTorch's top-level pools read an empty stride as "the kernel size", as None does."""
    return None if stride is None or (not isinstance(stride, numbers.Integral) and len(stride) == 0) else stride


# -- convolution, pooling, normalization --------------------------------------------------------------


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """A convolution of as many spatial axes as ``weight`` has beyond two, transposed or not."""
    spatial = len(weight.shape) - 2
    if spatial not in (1, 2, 3):
        raise ShapeError(f"convolution: weight must have 3, 4 or 5 axes (1 to 3 spatial), got shape "
                         f"{tuple(weight.shape)}")
    if transposed:
        function = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[spatial - 1]
        return function(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return (F.conv1d, F.conv2d, F.conv3d)[spatial - 1](input, weight, bias, stride, padding, dilation, groups)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """(values, indices) of :func:`max_pool1d`."""
    return F.max_pool1d_with_indices(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True):
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def adaptive_max_pool1d(input, output_size):
    """(values, indices): PyTorch's top-level form returns both, always."""
    return F.adaptive_max_pool1d(input, output_size, True)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """:func:`deltaprop.nn.functional.batch_norm`, its arguments in PyTorch's top-level order."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    """:func:`deltaprop.nn.functional.instance_norm`, its arguments in PyTorch's top-level order."""
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return F.group_norm(input, num_groups, weight, bias, eps)


# -- dropouts: ``train`` given, always ---------------------------------------------------------------


def dropout(input, p, train):
    return F.dropout(input, p, train)


def alpha_dropout(input, p, train):
    return F.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train):
    return F.feature_alpha_dropout(input, p, train)


def feature_dropout(input, p, train):
    """Dropout of whole channels: one draw per (axis 0, axis 1) pair of an input of at least two
    axes, shared by all its other positions (the mask is :func:`dropout` of ones of that shape)."""
    data = input.data if isinstance(input, Tensor) else np.asarray(input)
    if data.ndim < 2:
        raise ShapeError(f"feature_dropout: expected input of shape (N, C, *), at least two axes, got shape "
                         f"{data.shape}")
    if not train or data.size == 0:
        return F.dropout(input, p, False)
    dtype = data.dtype if data.dtype.kind == "f" else np.float32
    mask = F.dropout(np.ones(data.shape[:2] + (1,) * (data.ndim - 2), dtype=dtype), p, True)
    return ops.mul(input, mask)


# -- activations, embeddings, sampling -----------------------------------------------------------------


def rrelu(input, lower=0.125, upper=1.0 / 3, training=False, generator=None):
    """:func:`deltaprop.nn.functional.rrelu`; its slopes come from the library's generator
    (``deltaprop.manual_seed``), so ``generator`` must be None."""
    if generator is not None:
        raise ConfigError("rrelu: generator= is not supported (the slopes are drawn from deltaprop's own generator, "
                          f"seeded by deltaprop.manual_seed), got {generator!r}")
    return F.rrelu(input, lower, upper, training)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """The rows of ``weight`` that ``indices`` pick; a ``padding_idx`` of 0 or more names the row that
    gets no gradient (negative: none)."""
    return F.embedding(indices, weight, None if padding_idx < 0 else padding_idx, None, 2.0, scale_grad_by_freq,
                       sparse)


_INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")


def _numbered(op: str, option: str, value, names: tuple) -> str:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < len(names):
        choices = ", ".join(f"{i} ({name!r})" for i, name in enumerate(names))
        raise ConfigError(f"{op}: {option} must be one of {choices}, got {value!r}")
    return names[int(value)]


def _grid_sampler(op: str, input, grid, interpolation_mode, padding_mode, align_corners, ndims=None):
    if ndims is not None and len(input.shape) != ndims:
        raise ShapeError(f"{op}: expected an input of {ndims} axes, got shape {tuple(input.shape)}")
    return F.grid_sample(input, grid, _numbered(op, "interpolation_mode", interpolation_mode, _INTERPOLATIONS),
                         _numbered(op, "padding_mode", padding_mode, _PADDINGS), align_corners)


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """:func:`deltaprop.nn.functional.grid_sample` with its modes given as numbers."""
    return _grid_sampler("grid_sampler", input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    """:func:`grid_sampler` of an (N, C, H, W) input."""
    return _grid_sampler("grid_sampler_2d", input, grid, interpolation_mode, padding_mode, align_corners, 4)


def affine_grid_generator(theta, size, align_corners):
    return F.affine_grid(theta, size, align_corners)


def constant_pad_nd(input, pad, value=0):
    """``input`` padded with ``value`` (negative amounts crop), as :func:`deltaprop.nn.functional.pad`."""
    return F.pad(input, pad, "constant", value)


# -- losses: ``reduction`` as a number -------------------------------------------------------------


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    op = "binary_cross_entropy_with_logits"
    return F.binary_cross_entropy_with_logits(input, target, weight, _reduction(op, reduction), pos_weight)


def kl_div(input, target, reduction=0, *, log_target=False):
    return F.kl_div(input, target, _reduction("kl_div", reduction), log_target)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    reduction = _reduction("cosine_embedding_loss", reduction)
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=reduction)


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction("hinge_embedding_loss", reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    reduction = _reduction("margin_ranking_loss", reduction)
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=reduction)


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    reduction = _reduction("poisson_nll_loss", reduction)
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False, reduction=0):
    reduction = _reduction("triplet_margin_loss", reduction)
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=reduction)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0, zero_infinity=False):
    reduction = _reduction("ctc_loss", reduction)
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)


# -- one step of a recurrent layer, its weights given ---------------------------------------------------


def _cell_operands(op: str, gates: int, input, hx: tuple, w_ih, w_hh, b_ih, b_hh) -> None:
    """Checks PyTorch's shapes: input (N, I), each state (N, H), w_ih (G·H, I), w_hh (G·H, H), biases (G·H,)."""
    x, w_ih, w_hh = ops._core.operand(input), ops._core.operand(w_ih), ops._core.operand(w_hh)
    if x.ndim != 2:
        raise ShapeError(f"{op}: input must have shape (batch, input_size), got shape {tuple(x.shape)}")
    if w_hh.ndim != 2 or w_hh.shape[0] != gates * w_hh.shape[1]:
        raise ShapeError(f"{op}: w_hh must have shape ({gates}·hidden_size, hidden_size), got shape "
                         f"{tuple(w_hh.shape)}")
    hidden = w_hh.shape[1]
    if w_ih.shape != (gates * hidden, x.shape[1]):
        raise ShapeError(f"{op}: w_ih must have shape {(gates * hidden, x.shape[1])} for input of shape "
                         f"{tuple(x.shape)} and hidden size {hidden}, got shape {tuple(w_ih.shape)}")
    for state in hx:
        if tuple(state.shape) != (x.shape[0], hidden):
            raise ShapeError(f"{op}: a hidden state must have shape {(x.shape[0], hidden)}, got shape "
                             f"{tuple(state.shape)}")
    for name, bias in (("b_ih", b_ih), ("b_hh", b_hh)):
        if bias is not None and tuple(bias.shape) != (gates * hidden,):
            raise ShapeError(f"{op}: {name} must have shape {(gates * hidden,)}, got shape {tuple(bias.shape)}")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """(h', c') of one LSTM step from ``hx`` = (h, c) (see :mod:`deltaprop.nn.recurrent` for the gates)."""
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise ShapeError(f"lstm_cell: hx must be a pair (h, c) of hidden states, got {type(hx).__name__} of "
                         f"{len(hx) if isinstance(hx, (tuple, list)) else 1}")
    _cell_operands("lstm_cell", 4, input, tuple(hx), w_ih, w_hh, b_ih, b_hh)
    return nn.recurrent.lstm_cell_composed(input, tuple(hx), w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' of one GRU step (see :mod:`deltaprop.nn.recurrent` for the gates)."""
    _cell_operands("gru_cell", 3, input, (hx,), w_ih, w_hh, b_ih, b_hh)
    return nn.recurrent.gru_cell_composed(input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(W_ih·x + b_ih + W_hh·h + b_hh), one step of an Elman RNN."""
    _cell_operands("rnn_tanh_cell", 1, input, (hx,), w_ih, w_hh, b_ih, b_hh)
    return nn.recurrent.rnn_tanh_cell_composed(input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(W_ih·x + b_ih + W_hh·h + b_hh), one step of an Elman RNN."""
    _cell_operands("rnn_relu_cell", 1, input, (hx,), w_ih, w_hh, b_ih, b_hh)
    return nn.recurrent.rnn_relu_cell_composed(input, hx, w_ih, w_hh, b_ih, b_hh)


__all__ = [
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "affine_grid_generator", "alpha_dropout", "avg_pool1d",
    "batch_norm", "bilinear", "binary_cross_entropy_with_logits", "celu", "channel_shuffle", "constant_pad_nd",
    "conv1d", "conv2d", "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolution",
    "cosine_embedding_loss", "cosine_similarity", "ctc_loss", "dropout", "embedding", "feature_alpha_dropout",
    "feature_dropout", "grid_sampler", "grid_sampler_2d", "group_norm", "gru_cell", "hardshrink",
    "hinge_embedding_loss", "instance_norm", "kl_div", "layer_norm", "lstm_cell", "margin_ranking_loss",
    "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "max_pool3d", "native_channel_shuffle",
    "pairwise_distance", "pdist", "pixel_shuffle", "pixel_unshuffle", "poisson_nll_loss", "prelu", "rms_norm",
    "rnn_relu_cell", "rnn_tanh_cell", "rrelu", "selu", "threshold", "triplet_margin_loss",
]
