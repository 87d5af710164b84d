"""Vectors compared: normalisation to unit p-norm, cosine similarity, pairwise and within-set distances."""

from __future__ import annotations

import numbers

import numpy as np

from ... import ops
from ...errors import ConfigError, ShapeError
from ...ops.activation import real_option
from ...tensor import Tensor
from ._options import _dim, _flag


def _norm_order(op: str, p) -> float:
    """The order of a vector norm: any real number or ±inf, as PyTorch's (0 counts the nonzero
    entries, a negative p gives (Σ |x|^p)^(1/p))."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or p != p:
        raise ConfigError(f"{op}: p must be a real number (or inf), got {p!r}")
    return float(p)


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """``input / max(‖input‖_p, eps)`` along ``dim``, as PyTorch's: each slice scaled to unit p-norm,
    a slice of norm below ``eps`` divided by ``eps`` instead (so zeros stay zeros)."""
    if out is not None:
        raise ConfigError("normalize: out= is not supported; use the returned tensor")
    norm = ops.norm(input, _norm_order("normalize", p), _dim("normalize", dim), keepdims=True)
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
    p, eps = _norm_order("pairwise_distance", p), real_option("pairwise_distance", "eps", eps)
    keepdim = _flag("pairwise_distance", "keepdim", keepdim)
    x1, x2 = _broadcast_pair("pairwise_distance", x1, x2)
    difference = ops.add(ops.sub(x1, x2), eps)
    return ops.norm(difference, p, -1, keepdims=keepdim)
