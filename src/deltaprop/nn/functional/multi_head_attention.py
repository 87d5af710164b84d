"""``multi_head_attention_forward``: PyTorch's functional form of ``nn.MultiheadAttention``, with
the weights passed in. It runs the layer's own forward (:mod:`deltaprop.nn.attention`) on the
arguments dressed as a layer, so that there is one computation of attention, not two.
"""

from __future__ import annotations

import functools

import numpy as np

from ...errors import ConfigError, ShapeError

_NAME = "multi_head_attention_forward"


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """``(output, weights)`` of multi-head attention with the given weights, as
    ``nn.MultiheadAttention`` computes them: query (L, N, E) or unbatched (L, E), key and value
    (S, N, kdim/vdim), sequence first; ``in_proj_weight`` (3E, E), or with
    ``use_separate_proj_weight`` the three ``q/k/v_proj_weight``; ``dropout_p`` applies when
    ``training``. ``static_k`` and ``static_v``, (N·num_heads, S, head_dim), are keys and values
    already projected and split into heads: they take the place of the projected key and value (as
    in PyTorch, which projects those all the same), and then add_zero_attn's zeros are appended; S
    is then the length of the masks' keys. PyTorch's refusals are kept: bias_k and bias_v with
    either, keys and values of different lengths, and an ``attn_mask`` with a ``static_k`` of
    another length than the key (PyTorch checks the mask against the one and applies it to the
    other)."""
    name = _NAME
    E = np.shape(query.data if hasattr(query, "data") else query)[-1]
    if E != embed_dim_to_check:
        raise ShapeError(f"{name}: the query's last dimension, {E}, must equal embed_dim_to_check, "
                         f"{embed_dim_to_check}")
    if E % num_heads:
        raise ConfigError(f"{name}: embed_dim ({E}) must be divisible by num_heads ({num_heads})")
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ConfigError(f"{name}: use_separate_proj_weight=True needs q_proj_weight, k_proj_weight and "
                              "v_proj_weight")
        in_proj_weight = None
    elif in_proj_weight is None:
        raise ConfigError(f"{name}: in_proj_weight is needed unless use_separate_proj_weight=True")
    if (bias_k is None) != (bias_v is None):
        raise ConfigError(f"{name}: bias_k and bias_v must be given together or not at all")
    _check_statics(query, key, value, num_heads, static_k, static_v, bias_k, attn_mask)

    layer = _layer_class()()
    layer.embed_dim, layer.num_heads, layer.head_dim, layer.batch_first = E, num_heads, E // num_heads, False
    layer.in_proj_weight, layer.in_proj_bias = in_proj_weight, in_proj_bias
    layer.q_proj_weight, layer.k_proj_weight, layer.v_proj_weight = q_proj_weight, k_proj_weight, v_proj_weight
    layer._qkv_same_embed_dim = not use_separate_proj_weight
    layer.kdim = E if not use_separate_proj_weight else np.shape(k_proj_weight.data)[-1]
    layer.vdim = E if not use_separate_proj_weight else np.shape(v_proj_weight.data)[-1]
    layer.bias_k, layer.bias_v, layer.add_zero_attn = bias_k, bias_v, bool(add_zero_attn)
    layer.dropout, layer.training = float(dropout_p), bool(training)
    layer.out_proj = _OutProjection(out_proj_weight, out_proj_bias)
    return layer._attend(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights,
                         is_causal, static_k=static_k, static_v=static_v)


def _shape(x) -> tuple:
    return tuple(np.shape(x.data if hasattr(x, "data") else x))


def _check_statics(query, key, value, num_heads, static_k, static_v, bias_k, attn_mask) -> None:
    """static_k and static_v of shape (N·num_heads, S, head_dim), as many keys as values, and none of
    what PyTorch refuses with them."""
    if static_k is None and static_v is None:
        return
    if bias_k is not None:
        raise ConfigError(f"{_NAME}: bias_k and bias_v cannot be appended to static_k or static_v (keys and values "
                          "already projected), as in PyTorch")
    query_shape = _shape(query)
    if len(query_shape) not in (2, 3) or any(len(_shape(x)) != len(query_shape) for x in (key, value)):
        return  # (the layer's forward refuses such inputs, naming their shapes)
    batch = query_shape[1] if len(query_shape) == 3 else 1
    heads, head_dim = batch * num_heads, query_shape[-1] // num_heads
    lengths = {"key": _shape(key)[0], "value": _shape(value)[0]}
    for option, static in (("static_k", static_k), ("static_v", static_v)):
        if static is None:
            continue
        shape = _shape(static)
        if len(shape) != 3 or shape[0] != heads or shape[2] != head_dim:
            raise ShapeError(f"{_NAME}: {option} must have shape (N·num_heads, S, head_dim) = ({heads}, S, "
                             f"{head_dim}), got shape {shape}")
        lengths[option] = shape[1]
    keys, values = ("static_k" if static_k is not None else "key"), ("static_v" if static_v is not None else "value")
    if lengths[keys] != lengths[values]:
        raise ShapeError(f"{_NAME}: the keys and values must be as many, got {lengths[keys]} keys ({keys}) and "
                         f"{lengths[values]} values ({values})")
    if static_k is not None and attn_mask is not None and lengths["static_k"] != lengths["key"]:
        raise ShapeError(f"{_NAME}: an attn_mask with static_k needs the key as long as static_k (PyTorch checks the "
                         f"mask against the one and applies it to the other), got {lengths['key']} and "
                         f"{lengths['static_k']} steps")


class _OutProjection:
    """out_proj_weight and out_proj_bias as the layer's ``out_proj``: F.linear with them."""

    def __init__(self, weight, bias):
        self.weight, self.bias = weight, bias

    def __call__(self, x):
        from . import linear
        return linear(x, self.weight, self.bias)


@functools.cache
def _layer_class() -> type:
    """A class whose instances hold the functional form's arguments in the attributes that
    MultiheadAttention's forward (its ``_attend``) reads, with the layer's own methods."""
    from ..attention import MultiheadAttention

    methods = {name: getattr(MultiheadAttention, name)
               for name in ("_attend", "_inputs", "_project", "_joined_heads", "_appended_keys", "_heads",
                            "_mask_bias", "_bias")}
    return type("MultiheadAttentionArguments", (), {**methods, "describe": lambda self: _NAME})
