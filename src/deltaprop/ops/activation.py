"""Activation functions g and their derivatives g', side by side.

Where the derivative is a function of the output, the rule reuses the saved output instead of
recomputing anything: σ' = σ(1 − σ), tanh' = 1 − tanh², relu' = [o > 0]. These are the g'(a) of
the seeds' δ_j = g'(a_j) Σ_l w_jl δ_l.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from . import _memory
from ._core import operand, record
from .special import erf


def relu(a):
    a = a if isinstance(a, Tensor) else operand(a)
    A = a.data
    if A.size < _RECTIFY_MIN or A.dtype.kind != "f":
        out = np.maximum(A, 0)
    else:
        # A convolution's activations come from the pool (see ops/_memory.py), others from NumPy.
        out = _memory.empty_like(A) if A.nbytes >= _memory.MIN_BYTES else np.empty_like(A)
        _against_zero(np.maximum, A, out)

    def backward(g):
        # subgradient 0 at 0, as in PyTorch
        if g.nbytes < _memory.MIN_BYTES:
            return (np.multiply(g, out > 0),)
        mask = np.greater(out, 0, out=_memory.empty_like(out, np.bool_))
        return (np.multiply(g, mask, out=_memory.empty_like(g)),)

    return record(out, (a,), backward, "relu")


# NumPy's maximum and minimum have a vectorised loop for two arrays but not for an array and a
# scalar: on the reference machine np.maximum(A, 0) took 12.3 µs for 33,100 float32 numbers and
# 94.7 µs for 262,144, np.maximum(A, zeros) 2.5 and 35.2 µs (NumPy 2.4; float64 alike). So ReLU,
# ELU and sigmoid compare with an array of zeros, one read-only buffer per dtype that
# grows as needed (np.zeros takes large blocks from the kernel already zeroed, and pages that are
# only ever read all map the kernel's one zero page, so even a large buffer costs little memory).
# Below _RECTIFY_MIN numbers the extra calls cost more than the loop saves.
_RECTIFY_MIN = 1024
_zeros: dict = {}


def _against_zero(ufunc, A: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = ufunc(A, 0) (np.maximum or np.minimum), for ``out`` made by ``empty_like(A)`` (so of
    ``A``'s memory order); returns ``out``."""
    flat = A.ravel("K")  # a view when A is dense in some memory order; then so is out's
    if A.size < _RECTIFY_MIN or flat.base is None or out.strides != A.strides:
        return ufunc(A, 0, out=out)  # small, or a strided view (a slice of a batch): the scalar loop
    zeros = _zeros.get(A.dtype)
    if zeros is None or zeros.size < flat.size:
        zeros = np.zeros(max(flat.size, 2 * (0 if zeros is None else zeros.size)), A.dtype)
        zeros.flags.writeable = False
        _zeros[A.dtype] = zeros
    ufunc(flat, zeros[: flat.size], out=out.ravel("K"))
    return out


def leaky_relu(a, negative_slope=0.01):
    a = operand(a)
    A = a.data
    if 0 < negative_slope <= 1 and A.dtype.kind == "f":
        # max(x, s·x) is x above 0 and s·x below: two full arrays go through NumPy's vector loop
        # for maximum, where np.where took ten times as long (48 against 5 µs for 33,100 float32
        # numbers). And out > 0 exactly where x > 0, so no mask needs keeping for the backward.
        out = np.maximum(A, A * negative_slope)
        positive = None
    else:
        positive = A > 0
        out = np.where(positive, A, A * negative_slope)

    def backward(g):
        # np.where, not a product with a 0/1 mask: an infinite g must come out as g or s·g, not NaN
        return (np.where(out > 0 if positive is None else positive, g, g * negative_slope),)

    return record(out, (a,), backward, "leaky_relu")


def sigmoid(a):
    a = operand(a)
    out = logistic(a.data)

    def backward(g):
        return (g * out * (1 - out),)  # σ' = σ(1 − σ)

    return record(out, (a,), backward, "sigmoid")


def logistic(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(−x)) of an array, in its (floating) dtype, with full relative accuracy in both tails.

    Written as e^min(x, 0) / (1 + e^(−|x|)): neither exponential can overflow, nothing cancels
    (unlike ½(1 + tanh(x/2)) for x << 0), and σ(−100) is 3.7e−44 in float32, not 0. It takes two
    vectorised exponentials where the former exp(−logaddexp(0, −x)) took 35 times as long
    (np.logaddexp has no vector loop: 451 against 37 µs for 32,768 float32 numbers).
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":  # integers and booleans: in float64, as np.exp and np.tanh promote them
        return logistic(x.astype(np.float64))
    denominator = np.abs(x, out=np.empty_like(x))
    np.negative(denominator, out=denominator)
    np.exp(denominator, out=denominator)
    np.add(denominator, 1, out=denominator)
    numerator = _against_zero(np.minimum, x, np.empty_like(x))
    np.exp(numerator, out=numerator)
    return np.divide(numerator, denominator, out=numerator)


def tanh(a):
    a = operand(a)
    out = np.tanh(a.data)

    def backward(g):
        return (g * (1 - out * out),)  # tanh' = 1 − tanh²

    return record(out, (a,), backward, "tanh")


def _row_max(x: np.ndarray, axis) -> np.ndarray:
    """The maximum along ``axis``, kept as a size-1 axis: what softmax subtracts (it leaves softmax
    unchanged and keeps exp() from overflowing). An empty input gives an empty softmax, as in
    PyTorch, so its maximum may be anything that broadcasts: here −inf, where NumPy's max would fail."""
    return np.max(x, axis=axis, keepdims=True, initial=-np.inf) if x.size == 0 else x.max(axis=axis, keepdims=True)


def softmax(a, axis=-1, *, dim=None):
    axis = axis if dim is None else dim
    a = operand(a)
    e = np.exp(a.data - _row_max(a.data, axis))
    out = e / e.sum(axis=axis, keepdims=True)

    def backward(g):
        # Jacobian-vector product of softmax: s ⊙ (g − Σ g s)
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    return record(out, (a,), backward, "softmax")


def log_softmax(a, axis=-1, *, dim=None):
    axis = axis if dim is None else dim
    a = operand(a)
    shifted = a.data - _row_max(a.data, axis)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True)) if shifted.size else shifted

    def backward(g):
        # d log s_i / d x_j = [i = j] − s_j  =>  g − softmax · Σ g
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    return record(out, (a,), backward, "log_softmax")


def elu(a, alpha=1.0):
    a = operand(a)
    x = a.data
    if x.dtype.kind != "f":
        positive = x > 0
        out = np.where(positive, x, alpha * np.expm1(np.minimum(x, 0)))
        return record(out, (a,), lambda g: (np.where(positive, g, g * (out + alpha)),), "elu")
    # out = max(x, 0) + α(e^min(x, 0) − 1): x above 0 (where α·expm1(0) adds exactly 0), α(eˣ − 1)
    # at and below. Arithmetic, not np.where, which took ten times as long (see leaky_relu).
    below = np.expm1(_against_zero(np.minimum, x, np.empty_like(x)))
    below *= alpha
    out = _against_zero(np.maximum, x, np.empty_like(x))
    out += below

    def backward(g):
        # (α(eˣ − 1))' = α·eˣ for x <= 0, 1 above: e^min(x, 0) is both (e^0 = 1 exactly). Computed
        # afresh, not as out + α, which cancels in the tail (relative error 2.6% at x = −15 in
        # float32, and 0 from x = −18 where the slope is 1.5e-8).
        slope = np.exp(_against_zero(np.minimum, x, np.empty_like(x)))
        if alpha == 1:
            slope *= g
            return (slope,)
        return (np.where(x > 0, g, g * (alpha * slope)),)

    return record(out, (a,), backward, "elu")


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(a, approximate="none"):
    """x·Φ(x) with Φ the standard normal CDF; ``approximate='tanh'`` uses PyTorch's tanh formula."""
    a = operand(a)
    x = a.data
    if approximate == "none":
        cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
        out = x * cdf

        def backward(g):
            pdf = np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
            return (g * (cdf + x * pdf),)

    elif approximate == "tanh":
        # x·x·x, not x**3: NumPy's power has no vector loop for a cube (1,693 against 5 µs for
        # 32,768 float32 numbers), and the two differ by a rounding.
        square = x * x
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * (square * x))
        t = np.tanh(inner)
        out = 0.5 * x * (1 + t)

        def backward(g):
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * square)
            return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner),)

    else:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return record(out.astype(x.dtype, copy=False), (a,), backward, "gelu")
