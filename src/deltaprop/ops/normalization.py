"""Batch and layer normalization, each one fused primitive whose backward applies the closed-form
gradient of x̂ = (x − μ)/σ instead of a graph of a dozen small operations."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from ._core import operand, record


def _in_layer_dtype(x, X: np.ndarray, reference) -> np.ndarray:
    """Data (no gradient needed) in the dtype of the layer's weight or statistics, as ``linear``
    computes it: float64 NumPy data must not turn a float32 network into a float64 one from here
    on. Integers become float32 where there is nothing to follow."""
    data = None if reference is None else np.asarray(reference.data if isinstance(reference, Tensor) else reference)
    dtype = data.dtype if data is not None and data.dtype.kind == "f" else None
    if dtype is not None and X.dtype != dtype and not x.requires_grad:
        return X.astype(dtype)
    return X if X.dtype.kind == "f" else X.astype(dtype or np.float32)


def _array(value):
    return None if value is None else (value.data if isinstance(value, Tensor) else np.asarray(value))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalize each channel of an (N, C, ...) input: y = γ·(x − μ)/√(σ² + ε) + β.

    In training (or without running statistics) μ and σ² are the batch's, over every axis but the
    channel axis, and the running statistics are updated in place: r ← (1 − momentum)·r +
    momentum·s, with the unbiased variance as PyTorch does. In evaluation they are the running ones.
    The backward of the batch version is the closed form

        ∂E/∂x = γ/σ · (g − mean(g) − x̂·mean(g·x̂)),

    with the means over the same axes: the batch statistics depend on every x, which adds the two
    mean terms to the plain g·γ/σ.
    """
    x = operand(input)
    X = np.asarray(x.data)
    if X.ndim < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C, ...), got shape {X.shape}")
    C = X.shape[1]
    axes = (0,) + tuple(range(2, X.ndim))
    shape = (1, C) + (1,) * (X.ndim - 2)
    m = X.shape[0] * int(np.prod(X.shape[2:], dtype=np.int64))  # values per channel (not size // C: C may be 0)
    rm, rv = _array(running_mean), _array(running_var)
    gamma, beta = operand(weight) if weight is not None else None, operand(bias) if bias is not None else None
    for name, value in (("running_mean", rm), ("running_var", rv), ("weight", gamma), ("bias", beta)):
        if value is not None and np.shape(value.data if isinstance(value, Tensor) else value) != (C,):
            raise ShapeError(f"batch_norm: {name} must have shape ({C},) for an input with {C} channels, got shape {np.shape(value.data if isinstance(value, Tensor) else value)}")
    X = _in_layer_dtype(x, X, gamma if gamma is not None else rm)
    batch_stats = training or rm is None or rv is None
    if m == 0:
        # an empty batch (no samples, or no positions): an empty output, the running statistics left
        # alone, as in PyTorch (and the closed form below would divide by m)
        batch_stats = False
        mean, var = np.zeros(C, dtype=X.dtype), np.ones(C, dtype=X.dtype)
        xhat = X - mean.reshape(shape)
    elif batch_stats:
        if training and m <= 1:
            raise ShapeError(f"batch_norm: training needs more than one value per channel, got input of shape {X.shape}")
        mean = X.mean(axis=axes)
        xhat = X - mean.reshape(shape)
        var = np.mean(xhat * xhat, axis=axes)  # two passes: no cancellation from E[x²] − E[x]²
        if training and rm is not None:
            rm *= 1 - momentum
            rm += (momentum * mean).astype(rm.dtype, copy=False)
        if training and rv is not None:
            rv *= 1 - momentum
            rv += (momentum * var * (m / max(m - 1, 1))).astype(rv.dtype, copy=False)
    else:
        mean, var = rm.astype(X.dtype, copy=False), rv.astype(X.dtype, copy=False)
        xhat = X - mean.reshape(shape)
    invstd = (1 / np.sqrt(var + eps)).astype(X.dtype, copy=False)
    xhat *= invstd.reshape(shape)
    out = xhat * gamma.data.reshape(shape) if gamma is not None else xhat.copy(order="K")
    if beta is not None:
        out += beta.data.reshape(shape)
    parents = (x,) + tuple(p for p in (gamma, beta) if p is not None)
    G = None if gamma is None else gamma.data  # (kept as the array this pass used)

    def backward(g):
        gsum = g.sum(axis=axes)
        gxhat_sum = np.sum(g * xhat, axis=axes)
        scale = invstd * G if G is not None else invstd
        gx = None
        if x.requires_grad:
            if batch_stats:
                gx = xhat * (-scale * gxhat_sum / m).reshape(shape)
                gx += g * scale.reshape(shape)
                gx += (-scale * gsum / m).reshape(shape)
            else:
                gx = g * scale.reshape(shape)
        grads = [gx]
        if gamma is not None:
            grads.append(gxhat_sum if gamma.requires_grad else None)
        if beta is not None:
            grads.append(gsum if beta.requires_grad else None)
        return tuple(grads)

    backward.eps, backward.mean = eps, mean  # (for the rule's own derivative: autograd/differentiable_layers.py)
    return record(out, parents, backward, "batch_norm")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last axes (``normalized_shape``) of each sample: y = γ·(x − μ)/√(σ² + ε) + β.

    The gradient has the batch-norm form with the means taken over the normalized axes:
    ∂E/∂x = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), with ĝ = g·γ.
    """
    x = operand(input)
    X = np.asarray(x.data)
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(int(n) for n in normalized_shape)
    k = len(shape)
    if k == 0 or X.shape[X.ndim - k:] != shape or X.ndim < k:
        raise ShapeError(f"layer_norm: expected input whose last dimensions are {shape}, got shape {X.shape}")
    gamma, beta = operand(weight) if weight is not None else None, operand(bias) if bias is not None else None
    for name, value in (("weight", gamma), ("bias", beta)):
        if value is not None and np.shape(value.data) != shape:
            raise ShapeError(f"layer_norm: {name} must have shape {shape}, got shape {np.shape(value.data)}")
    X = _in_layer_dtype(x, X, gamma)
    axes = tuple(range(X.ndim - k, X.ndim))
    lead = tuple(range(X.ndim - k))
    xhat = X - X.mean(axis=axes, keepdims=True)
    var = np.mean(xhat * xhat, axis=axes, keepdims=True)
    invstd = (1 / np.sqrt(var + eps)).astype(X.dtype, copy=False)
    xhat *= invstd
    out = xhat * gamma.data if gamma is not None else xhat.copy()
    if beta is not None:
        out += beta.data
    parents = (x,) + tuple(p for p in (gamma, beta) if p is not None)
    G = None if gamma is None else gamma.data  # (kept as the array this pass used)

    def backward(g):
        grads = [None]
        if x.requires_grad:
            ghat = g * G if G is not None else g
            gx = ghat - ghat.mean(axis=axes, keepdims=True)
            gx -= xhat * np.mean(ghat * xhat, axis=axes, keepdims=True)
            gx *= invstd
            grads[0] = gx
        if gamma is not None:
            grads.append(np.sum(g * xhat, axis=lead) if gamma.requires_grad else None)
        if beta is not None:
            grads.append(g.sum(axis=lead) if beta.requires_grad else None)
        return tuple(grads)

    backward.eps = eps  # (for the rule's own derivative: autograd/differentiable_layers.py)
    return record(out, parents, backward, "layer_norm")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each sample of an (N, C, ...) input over groups of channels: the C channels are cut
    into ``num_groups`` groups of C/G consecutive channels, and each group of each sample (its
    channels and all their positions together) gets y = (x − μ)/√(σ² + ε); then γ and β per channel.

    One group is layer normalization over (C, ...); as many groups as channels is instance
    normalization. The batch plays no part, so training and evaluation compute the same. The
    gradient is layer norm's, taken within each group: ∂E/∂x = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),
    with ĝ = g·γ and the means over the group.
    """
    op = "group_norm"
    x = operand(input)
    X = np.asarray(x.data)
    if X.ndim < 2:
        raise ShapeError(f"{op}: expected input of shape (N, C, ...), got shape {X.shape}")
    C = X.shape[1]
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)) or num_groups < 1 or C % num_groups:
        raise ShapeError(f"{op}: num_groups must be a positive integer that divides the {C} channels, got {num_groups!r}")
    gamma, beta = operand(weight) if weight is not None else None, operand(bias) if bias is not None else None
    for name, value in (("weight", gamma), ("bias", beta)):
        if value is not None and np.shape(value.data) != (C,):
            raise ShapeError(f"{op}: {name} must have shape ({C},) for an input with {C} channels, got shape {np.shape(value.data)}")
    if X.shape[0] * C // int(num_groups) * int(np.prod(X.shape[2:], dtype=np.int64)) == 1:
        # PyTorch's batch-size check, on (N·C/G, G, *spatial) with the G left out of the product
        raise ShapeError(f"{op}: expected more than one value per group, got input of shape {X.shape} in "
                         f"{num_groups} groups (PyTorch refuses it)")
    X = _in_layer_dtype(x, X, gamma)
    # each group of a sample as one row (its length given, so that an empty batch reshapes too)
    grouped = (X.shape[0], int(num_groups), C // int(num_groups) * int(np.prod(X.shape[2:], dtype=np.int64)))
    channel = (1, C) + (1,) * (X.ndim - 2)
    others = (0,) + tuple(range(2, X.ndim))  # every axis but the channels: what γ's and β's gradients sum over
    rows = X.reshape(grouped)
    xhat = rows - rows.mean(axis=-1, keepdims=True)
    var = np.mean(xhat * xhat, axis=-1, keepdims=True)
    invstd = (1 / np.sqrt(var + eps)).astype(X.dtype, copy=False)
    xhat *= invstd
    xhat = xhat.reshape(X.shape)
    out = xhat * gamma.data.reshape(channel) if gamma is not None else xhat.copy()
    if beta is not None:
        out += beta.data.reshape(channel)
    parents = (x,) + tuple(p for p in (gamma, beta) if p is not None)
    G = None if gamma is None else gamma.data.reshape(channel)  # (kept as the array this pass used)
    shape = X.shape  # (the rule keeps the shape, not the input's values)

    def backward(g):
        grads = [None]
        if x.requires_grad:
            ghat = (g * G if G is not None else g).reshape(grouped)
            xrows = xhat.reshape(grouped)
            gx = ghat - ghat.mean(axis=-1, keepdims=True)
            gx -= xrows * np.mean(ghat * xrows, axis=-1, keepdims=True)
            gx *= invstd
            grads[0] = gx.reshape(shape)
        if gamma is not None:
            grads.append(np.sum(g * xhat, axis=others) if gamma.requires_grad else None)
        if beta is not None:
            grads.append(g.sum(axis=others) if beta.requires_grad else None)
        return tuple(grads)

    backward.eps = eps  # (for the rule's own derivative: autograd/differentiable_layers.py)
    return record(out, parents, backward, op)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalize each channel of each sample of an (N, C, *spatial) input over its positions:
    y = γ·(x − μ)/√(σ² + ε) + β, μ and σ² that channel's in that sample (style transfer, image
    generators: the statistics of one image are not mixed with the others').

    It is :func:`group_norm` with a group per channel, gradient included. Given running statistics,
    they are updated in place as PyTorch does, with the per-sample statistics averaged over the
    batch: r ← (1 − momentum)·r + momentum·mean over N (σ² unbiased). ``use_input_stats=False``
    normalises with the running statistics instead (an evaluation with ``track_running_stats``).
    """
    op = "instance_norm"
    x = operand(input)
    X = np.asarray(x.data)
    if X.ndim < 3:
        raise ShapeError(f"{op}: expected input of shape (N, C, *spatial), got shape {X.shape}")
    positions = int(np.prod(X.shape[2:]))
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ShapeError(f"{op}: use_input_stats=False needs running_mean and running_var")
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    if positions <= 1:
        raise ShapeError(f"{op}: expected more than one position per channel, got input of shape {X.shape}")
    C = X.shape[1]
    if C == 0:
        raise ShapeError(f"{op}: expected an input with at least one channel, got shape {X.shape}")
    out = group_norm(x, C, weight, bias, eps)
    rm, rv = _array(running_mean), _array(running_var)
    for name, value in (("running_mean", rm), ("running_var", rv)):
        if value is not None and value.shape != (C,):
            raise ShapeError(f"{op}: {name} must have shape ({C},) for an input with {C} channels, got shape {value.shape}")
    if (rm is not None or rv is not None) and X.shape[0]:
        axes = tuple(range(2, X.ndim))
        statistics = _in_layer_dtype(x, X, rm if rm is not None else rv)
        mean = statistics.mean(axis=axes)
        if rm is not None:
            rm *= 1 - momentum
            rm += (momentum * mean.mean(axis=0)).astype(rm.dtype, copy=False)
        if rv is not None:
            var = statistics.var(axis=axes, ddof=1)
            rv *= 1 - momentum
            rv += (momentum * var.mean(axis=0)).astype(rv.dtype, copy=False)
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Scale each sample by the root mean square of its last axes (``normalized_shape``):
    y = γ·x/√(mean(x²) + ε), without centring (LayerNorm's cheaper cousin, in LLaMA-style models).

    ``eps=None`` is the machine epsilon of the computing dtype, as PyTorch's. With r = 1/√(mean(x²) + ε)
    and x̂ = x·r, ∂r/∂x_j = −r³·x_j/n, so the closed-form gradient is

        ∂E/∂x = r·(ĝ − x̂·mean(ĝ·x̂)),   ĝ = g·γ,

    layer norm's without its mean(ĝ) term (there is no mean to subtract).
    """
    op = "rms_norm"
    x = operand(input)
    X = np.asarray(x.data)
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(int(n) for n in normalized_shape)
    k = len(shape)
    if k == 0 or X.ndim < k or X.shape[X.ndim - k:] != shape:
        raise ShapeError(f"{op}: expected input whose last dimensions are {shape}, got shape {X.shape}")
    gamma = operand(weight) if weight is not None else None
    if gamma is not None and np.shape(gamma.data) != shape:
        raise ShapeError(f"{op}: weight must have shape {shape}, got shape {np.shape(gamma.data)}")
    X = _in_layer_dtype(x, X, gamma)
    if eps is None:
        eps = float(np.finfo(X.dtype).eps)
    axes = tuple(range(X.ndim - k, X.ndim))
    lead = tuple(range(X.ndim - k))
    # (mean of squares in the input's dtype: float32 sums of a few thousand values lose nothing visible)
    rstd = (1 / np.sqrt(np.mean(X * X, axis=axes, keepdims=True) + eps)).astype(X.dtype, copy=False)
    xhat = X * rstd
    out = xhat * gamma.data if gamma is not None else xhat
    parents = (x,) if gamma is None else (x, gamma)
    G = None if gamma is None else gamma.data  # (kept as the array this pass used)

    def backward(g):
        grads = [None]
        if x.requires_grad:
            ghat = g * G if G is not None else g
            gx = ghat - xhat * np.mean(ghat * xhat, axis=axes, keepdims=True)
            gx *= rstd
            grads[0] = gx
        if gamma is not None:
            grads.append(np.sum(g * xhat, axis=lead) if gamma.requires_grad else None)
        return tuple(grads)

    backward.eps = eps  # (for the rule's own derivative: autograd/differentiable_layers.py)
    return record(out, parents, backward, op)
