"""The dense layer's weighted sum as one primitive: a = x·Wᵀ + b.

In the seeds' notation, a_j = Σ_i w_ij o_i + b_j for every node j of a layer, and backpropagation
needs three products of the error terms δ = ∂E/∂a:

* ∂E/∂W = δᵀ·x   (each weight's gradient is its δ times the input it carries),
* ∂E/∂b = Σ δ    (a bias is a weight whose input is always 1),
* ∂E/∂x = δ·W    (the δ of the layer below, before its own g'(a) is applied).

Doing this as one primitive instead of matmul + transpose + add saves three graph nodes and their
temporaries per layer, and skips ∂E/∂x entirely for the first layer, whose input is data.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ._core import operand, record


def linear(x, weight, bias=None):
    """x·Wᵀ + b for x of shape (..., in_features) and W of shape (out_features, in_features)."""
    x, weight = operand(x), operand(weight)
    X, W = x.data, weight.data
    if not getattr(X, "ndim", 0) or X.shape[-1] != W.shape[1]:
        features = X.shape[-1] if np.ndim(X) else "no"
        raise ShapeError(f"linear: input of shape {np.shape(X)} has {features} features, the weight of shape {W.shape} expects {W.shape[1]}")
    if X.dtype != W.dtype and not x.requires_grad:
        X = X.astype(W.dtype)  # data arrives as float64 or integers; compute in the layer's dtype
    out = X @ W.T
    parents = (x, weight)
    if bias is not None:
        bias = operand(bias)
        out += bias.data  # ``out`` is a fresh array: adding in place saves a temporary
        parents = (x, weight, bias)

    def backward(g):
        g2 = g.reshape(-1, g.shape[-1])  # (batch, out): leading axes folded into one batch axis
        gx = (g @ W) if x.requires_grad else None
        gw = (g2.T @ X.reshape(-1, X.shape[-1])) if weight.requires_grad else None
        if bias is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=0) if bias.requires_grad else None)

    return record(out, parents, backward, "linear")
