"""PyTorch's ``cov`` and ``corrcoef``: the covariance and correlation matrices of variables (the
rows of a matrix) observed together (its columns), composed of mean, sub, mul, matmul and sqrt,
whose rules give their gradients (to the observations, and to ``aweights`` where it requires one)
and second derivatives.

With frequency weights f (integers: how often each observation occurs) and importance weights a,
w = f·a, the weighted mean μ = Σ w·x / Σ w, and

    cov = (X − μ)·diag(w)·(X − μ)ᵀ / (Σ w − correction · Σ w·a / Σ w)

(the last term Σ w − correction without aweights; correction 1 is Bessel's, 0 the plain mean of
products). A divisor that is not positive warns and is taken as 0, giving inf and NaN, as PyTorch's.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import DataError, ShapeError
from ..tensor import get_default_dtype
from ._core import operand
from .arithmetic import div, matmul, mul, sub
from .elementwise import astype, clip, sqrt
from .indexing import diagonal
from .reduction import sum as _sum
from .shape import reshape, unsqueeze
from .layout import swapaxes


def _weights(name: str, weights, n: int, integral: bool):
    """``weights`` checked (a vector of ``n`` non-negative numbers, integers for frequencies,
    floating for importance), as a tensor."""
    w = operand(weights)
    W = np.asarray(w.data)
    if W.ndim > 1:
        raise ShapeError(f"cov: {name} must be a scalar or a vector, got shape {W.shape}")
    if W.ndim == 1 and W.shape[0] != n:
        raise ShapeError(f"cov: {name} has {W.shape[0]} weights, for {n} observations; it needs one per observation")
    if integral and W.dtype.kind not in "iu":
        raise TypeError(f"cov: fweights must be integers (how often each observation occurs), got {W.dtype}")
    if not integral and W.dtype.kind != "f":
        raise TypeError(f"cov: aweights must be floating-point numbers, got {W.dtype}")
    if np.any(W < 0):
        raise DataError(f"cov: {name} cannot be negative, got {W.min().item()!r}")
    return w


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (a matrix; a vector is one
    variable, whose variance is returned as a 0-d tensor), each column an observation: see the
    module's docstring for the weights and ``correction``."""
    x = operand(input)
    X = np.asarray(x.data)
    if X.ndim > 2:
        raise ShapeError(f"cov: expects a vector or a matrix (variables in rows, observations in columns), got shape "
                         f"{X.shape}")
    if isinstance(correction, bool) or not isinstance(correction, (int, float, np.integer, np.floating)):
        raise TypeError(f"cov: correction must be a number, got {correction!r}")
    if X.dtype.kind != "f":
        x = astype(x, get_default_dtype())
    rows = reshape(x, (1, -1)) if X.ndim < 2 else x
    n = rows.data.shape[1]
    w = None
    if fweights is not None:
        w = astype(_weights("fweights", fweights, n, True), rows.data.dtype)
    if aweights is not None:
        a = _weights("aweights", aweights, n, False)
        w = a if w is None else mul(w, a)
    if w is None:
        total = float(n)
        mean = div(_sum(rows, 1, keepdims=True), total) if n else _sum(rows, 1, keepdims=True)
        divisor = total - correction
    else:
        total = _sum(w)
        mean = div(_sum(mul(rows, w), 1, keepdims=True), total)
        divisor = sub(total, correction if aweights is None else mul(div(_sum(mul(w, a)), total), correction))
    if float(np.asarray(getattr(divisor, "data", divisor))) <= 0:
        warnings.warn("cov: the degrees of freedom (the divisor) are not positive; the correction should be below "
                      "the number of observations (the result is inf or NaN)", RuntimeWarning, stacklevel=2)
        divisor = 0.0
    centred = sub(rows, mean)
    weighted = centred if w is None else mul(centred, w)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = div(matmul(weighted, swapaxes(centred, 0, 1)), divisor)
    return reshape(out, ()) if X.ndim < 2 else out


def corrcoef(input):
    """The Pearson correlation coefficients of the variables in the rows of ``input``: cov divided
    by the products of the standard deviations, clipped to [−1, 1] (rounding can step outside), as
    PyTorch's; a variable that does not vary gets NaN."""
    c = cov(input)
    with np.errstate(divide="ignore", invalid="ignore"):
        if np.ndim(c.data) == 0:
            return div(c, c)
        spread = sqrt(diagonal(c))
        return clip(div(div(c, unsqueeze(spread, 1)), unsqueeze(spread, 0)), -1.0, 1.0)
