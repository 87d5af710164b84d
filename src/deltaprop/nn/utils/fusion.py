"""Folding an evaluation-mode batch norm into the convolution or linear layer before it.

In evaluation a batch norm is the affine map y = γ·(x − μ)/√(σ² + ε) + β of its running
statistics μ, σ², so after z = W·x + b it is one more affine map, and the two make one layer::

    s = γ / √(σ² + ε)                 one scale per output channel
    W' = W·s  (each output channel's slice of W scaled by its s)
    b' = (b − μ)·s + β

(With ``transpose=True`` the output channels of a transposed convolution's weight are its second
axis.) The ``*_weights`` forms compute W' and b'; the ``*_eval`` forms return a fused copy of the
layer.
"""

from __future__ import annotations

import copy

import numpy as np

from ...errors import ConfigError
from ...tensor import Tensor
from ..module import Parameter


def _array(value):
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _fused(weight, bias, mean, var, eps, gamma, beta, channel_axis: int):
    w = _array(weight)
    mean, var = _array(mean), _array(var)
    b = _array(bias) if bias is not None else np.zeros_like(mean)
    gamma = _array(gamma) if gamma is not None else np.ones_like(mean)
    beta = _array(beta) if beta is not None else np.zeros_like(mean)
    scale = gamma / np.sqrt(var + eps)  # s = γ / √(σ² + ε)
    shape = [1] * w.ndim
    shape[channel_axis] = -1
    fused_w = (w * scale.reshape(shape)).astype(w.dtype)
    fused_b = ((b - mean) * scale + beta).astype(_array(bias).dtype if bias is not None else w.dtype)
    # Each new Parameter requires a gradient as its source did (an array counts as a new parameter);
    # a bias made from nothing does not, as in PyTorch, where it comes from zeros_like(running_mean).
    return (
        Parameter(fused_w, requires_grad=getattr(weight, "requires_grad", True)),
        Parameter(fused_b, requires_grad=getattr(bias, "requires_grad", True) if bias is not None else False),
    )


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose: bool = False):
    """(W', b') of a convolution (weight ``conv_w``, bias ``conv_b`` or None) followed by a batch
    norm (running mean and variance, eps, weight and bias, each of the last two may be None), as
    new Parameters. ``transpose``: a transposed convolution's weight (output channels second)."""
    return _fused(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, 1 if transpose else 0)


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """(W', b') of a linear layer (weight ``linear_w``, bias ``linear_b`` or None) followed by a
    batch norm over its outputs, as new Parameters."""
    return _fused(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, 0)


def _check_eval(owner: str, layer, bn) -> None:
    for name, module in (("the layer", layer), ("the batch norm", bn)):
        if module.training:
            raise ConfigError(f"{owner}: fusion is for evaluation only, and {name} ({type(module).__name__}) is in "
                              f"training mode; call .eval() on both first")
    if getattr(bn, "running_mean", None) is None or getattr(bn, "running_var", None) is None:
        raise ConfigError(f"{owner}: the batch norm keeps no running statistics (track_running_stats=False), "
                          f"so there is nothing to fold")


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of the evaluation-mode convolution ``conv`` whose output equals ``bn(conv(x))``."""
    _check_eval("fuse_conv_bn_eval", conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias, transpose
    )
    return fused


def fuse_linear_bn_eval(linear, bn):
    """A copy of the evaluation-mode ``linear`` whose output equals ``bn(linear(x))``."""
    _check_eval("fuse_linear_bn_eval", linear, bn)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise ConfigError(
            f"fuse_linear_bn_eval: the batch norm has {bn.num_features} features and the linear layer "
            f"{linear.out_features} outputs; they must be equal (or the batch norm must have 1)"
        )
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused
