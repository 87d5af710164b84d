"""Losses of distributions: kl_div (the Kullback-Leibler divergence, fused), gaussian_nll_loss
(fused) and poisson_nll_loss (composed of primitives), the negative log-likelihoods of a target
under a Gaussian and a Poisson distribution.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ConfigError, DataError, ShapeError
from ...tensor import Tensor
from .._core import operand, record, unbroadcast
from ..activation import real_option
from ..arithmetic import add, mul, sub
from ..elementwise import exp, log, where
from ._common import (
    _broadcast_shape, _check_reduction, _float_dtype, _operands, _pointwise, _reduce, _reduced, _upstream,
)


KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(input, target, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of the distribution q (``target``) from p, given log p (``input``,
    a log_softmax): each element adds q·(log q − log p), or 0 where q = 0.

    With ``log_target`` the target is log q too, and each element adds e^(log q)·(log q − log p).
    The gradients are ∂E/∂log p = −q, and ∂E/∂q = log q + 1 − log p for a target that needs one
    (NaN where q = 0, as PyTorch's). ``reduction='batchmean'`` divides the sum by the batch size
    N = input.shape[0]: that is KL(q‖p) averaged over the samples. PyTorch's default, 'mean', which
    deltaprop keeps, divides by the number of elements instead (N times the number of classes).
    """
    name = "kl_div"
    if reduction not in KL_REDUCTIONS:
        raise ConfigError(f"{name}: reduction must be one of {', '.join(map(repr, KL_REDUCTIONS))}, got {reduction!r}")

    def rule(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_target:
                q = np.exp(y)
                values = q * (y - x)
                return values, -q, q * (y - x + 1)
            log_q = np.log(y)
            values = np.where(y == 0, 0, y * (log_q - x))  # 0·log 0 = 0 (NaN for a negative target)
            d_target = log_q + 1 - x
            d_target[y == 0] = np.nan
            return values, -y, d_target

    denominator = None
    if reduction == "batchmean":
        shape = np.shape(input.data if isinstance(input, Tensor) else input)
        denominator = shape[0] if shape else 1  # a single number is one sample
    return _pointwise(name, input, target, reduction, rule, denominator, options={"log_target": log_target})


def poisson_nll_loss(input, target, log_input=True, full=False, *, eps=1e-8, reduction="mean"):
    """Negative log-likelihood of a count y under a Poisson rate λ: E = e^x − y·x for an input
    x = log λ (``log_input``, the default), else λ − y·log(λ + eps).

    ``full`` adds Stirling's approximation of log y!, y·log y − y + ½·log(2πy), where y > 1 (0
    elsewhere), as PyTorch. Input and target broadcast together; a target that needs a gradient
    gets one (0 through the Stirling term where y <= 1; PyTorch's is NaN at y = 0).
    """
    name = "poisson_nll_loss"
    _check_reduction(name, reduction)
    eps = real_option(name, "eps", eps)
    x = operand(input)
    x, y = _operands(_float_dtype(x, target), x, target)
    _broadcast_shape(name, input=x, target=y)
    with np.errstate(divide="ignore", invalid="ignore"):  # log(λ + eps) <= 0 is −inf or NaN, as in PyTorch
        if log_input:
            values = sub(exp(x), mul(y, x))
        else:
            values = sub(x, mul(y, log(add(x, eps))))
    if full:
        above = np.asarray(y.data) > 1
        counts = where(above, y, 1)  # (1 where the term is 0: no log of a count <= 0 is taken)
        stirling = add(sub(mul(counts, log(counts)), counts), mul(log(mul(counts, 2 * math.pi)), 0.5))
        values = add(values, where(above, stirling, 0))
    return _reduced(values, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of a target y under a Gaussian of mean x (``input``) and variance v
    (``var``): E = ½(log v + (x − y)²/v), plus ½·log(2π) with ``full``.

    ``var`` has the input's shape (a variance per element), or that shape with the last axis dropped
    or with one axis of size 1 (variances shared along it), or is a number; as in PyTorch. Variances
    are clamped to at least ``eps`` for stability, and the gradient passes the clamp as if it were
    not there (PyTorch clamps under no_grad): ∂E/∂v = ½(1/v − (x − y)²/v²) at the clamped v,
    ∂E/∂x = (x − y)/v = −∂E/∂y.
    """
    name = "gaussian_nll_loss"
    _check_reduction(name, reduction)
    eps = real_option(name, "eps", eps)
    input = operand(input)
    dtype = _float_dtype(input, target, var)
    input, target = _operands(dtype, input, target)
    x, y = np.asarray(input.data, dtype=dtype), np.asarray(target.data)
    variance = None  # the tensor that gets a gradient, when var is one
    if isinstance(var, (int, float, np.integer, np.floating)) and not isinstance(var, (bool, np.bool_)):
        if var < 0:
            raise DataError(f"{name}: var must not be negative, got {var}")
        v = np.asarray(var, dtype=dtype)
    else:
        (variance,) = _operands(dtype, var)
        v = np.asarray(variance.data)
        if v.shape != x.shape:
            if v.shape == x.shape[:-1]:
                v = v[..., None]  # one variance per sample, shared by its last axis
            elif not (v.ndim == x.ndim and sum(m for n, m in zip(x.shape, v.shape) if n != m) == 1):
                raise ShapeError(f"{name}: var of shape {v.shape} does not fit the input's shape {x.shape}; give it "
                                 f"that shape, with the last axis dropped, or with one axis of size 1")
        if (v < 0).any():
            raise DataError(f"{name}: var has negative entries; variances must be >= 0")
    try:
        diff = x - y
        clamped = np.maximum(v, eps)
        with np.errstate(divide="ignore"):  # a variance of 0 (eps <= 0) gives inf, as in PyTorch
            values = 0.5 * (np.log(clamped) + diff * diff / clamped)
    except ValueError:
        raise ShapeError(f"{name}: the shapes of input {x.shape}, target {y.shape} and var {np.shape(v)} cannot be "
                         f"broadcast together") from None
    if full:
        values += 0.5 * math.log(2 * math.pi)
    n = values.size
    parents = (input, target) if variance is None else (input, target, variance)

    def backward(g):
        scale = _upstream(g, reduction, n)
        slope = scale * diff / clamped  # ∂E/∂x
        grads = (
            unbroadcast(slope, x.shape) if input.requires_grad else None,
            unbroadcast(-slope, y.shape) if target.requires_grad else None,
        )
        if variance is not None:
            d_var = None
            if variance.requires_grad:
                d_var = scale * (0.5 * (1 / clamped - diff * diff / (clamped * clamped)))
                d_var = unbroadcast(np.broadcast_to(d_var, values.shape), v.shape).reshape(np.shape(variance.data))
            grads += (d_var,)
        return grads

    return record(_reduce(values, reduction, n), parents, backward, name)
