"""Cross-entropy of logits made by a linear layer, in one call: PyTorch's ``linear_cross_entropy``.

Here it is exactly the composition ``cross_entropy(linear(x, W, b), target, ...)``: the gradients
are those two ops' own. PyTorch's ``options`` (a chunking strategy that never holds the whole
logits tensor) are accepted and change nothing: the logits are always made in full.
"""

from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...errors import ConfigError, ShapeError
from ...ops._core import operand
from ...tensor import Tensor


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction: str = "mean",
                         ignore_index=None, label_smoothing: float = 0.0, options=None):
    """cross_entropy(input·Wᵀ + b, target) for ``linear_weight`` W of shape (C, in_features), or
    (C, d1, ..., dK, in_features) for a K-dimensional loss (logits of shape (N, C, d1, ..., dK)).

    ``input`` is (in_features,) or (N, in_features); ``linear_bias`` has W's shape without its last
    axis. ``ignore_index=None`` means −100 for class indices, and must stay None for class
    probabilities. ``options`` (PyTorch's memory chunking) is accepted and changes nothing here.
    """
    name = "linear_cross_entropy"
    input = operand(input)
    linear_weight = operand(linear_weight)
    x_shape, w_shape = input.data.shape, linear_weight.data.shape
    if input.ndim not in (1, 2):
        raise ShapeError(f"{name}: input must have shape (in_features,) or (N, in_features), got {x_shape}")
    if linear_weight.ndim < 2 or w_shape[-1] != x_shape[-1]:
        raise ShapeError(f"{name}: linear_weight must have shape (C, ..., {x_shape[-1]}) to match the input's "
                         f"in_features, got {w_shape}")
    if linear_weight.ndim > 2 and input.ndim == 1:
        raise ShapeError(f"{name}: a linear_weight of shape {w_shape} (a K-dimensional loss) needs a batched "
                         f"input (N, {x_shape[-1]}), got shape {x_shape}")
    if linear_bias is not None:
        linear_bias = operand(linear_bias)
        if linear_bias.data.shape != w_shape[:-1]:
            raise ShapeError(f"{name}: linear_bias must have shape {w_shape[:-1]}, got {linear_bias.data.shape}")
        linear_bias = linear_bias.reshape(-1)
    outputs = math.prod(w_shape[:-1])
    logits = ops.linear(input, linear_weight.reshape(outputs, w_shape[-1]), linear_bias)
    if linear_weight.ndim > 2:
        logits = logits.reshape(x_shape[0], *w_shape[:-1])
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if ignore_index is None:
        ignore_index = -100
    elif t.dtype.kind == "f":
        raise ConfigError(f"{name}: ignore_index={ignore_index!r} was given, but the target holds class "
                          f"probabilities, which have no labels to ignore (leave it None)")
    return ops.cross_entropy(logits, target, weight, reduction, label_smoothing, ignore_index)
