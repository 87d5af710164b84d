"""PyTorch's ``nn.utils``: gradient clipping, parameters as one vector, batch-norm fusion, skip_init;
``rnn``, batches of sequences of different lengths; ``parametrize`` and ``parametrizations``, weights
computed from other parameters (weight and spectral normalization, also in their older forms,
``weight_norm`` and ``spectral_norm`` here); ``stateless.functional_call``, a module run with other
weights; the memory-format conversions, which change nothing; ``prune``, weights held at zero by a
mask (imported on first use)."""

from ... import _lazy
from . import parametrizations, parametrize, rnn, stateless
from .clip_grad import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from .init import skip_init
from .weight_norm import remove_weight_norm, weight_norm
from .clip_grad import clip_grad_norm  # deprecated name of clip_grad_norm_
from .memory_format import convert_conv2d_weight_memory_format, convert_conv3d_weight_memory_format
from .spectral_norm import remove_spectral_norm, spectral_norm

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "fuse_conv_bn_eval", "fuse_conv_bn_weights",
    "fuse_linear_bn_eval", "fuse_linear_bn_weights", "get_total_norm", "parameters_to_vector", "parametrizations",
    "parametrize", "remove_weight_norm", "rnn", "skip_init", "vector_to_parameters", "weight_norm",
    "stateless",
    "clip_grad_norm", "convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format",
    "remove_spectral_norm", "spectral_norm",
    "prune",
]

_lazy.provide(globals(), unlisted=(".prune",))  # on first use (``nn.utils.prune.l1_unstructured``): nothing else needs it
