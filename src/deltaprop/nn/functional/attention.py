"""Scaled dot-product attention, and the part of it that MultiheadAttention shares."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ... import ops
from ...errors import ConfigError, DataError, ShapeError
from ...ops.activation import real_option
from ...tensor import Tensor
from .dropouts import dropout


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
