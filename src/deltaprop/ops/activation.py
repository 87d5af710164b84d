"""Activation functions g and their derivatives g', side by side.

Where the derivative is a function of the output, the rule reuses the saved output instead of
recomputing anything: σ' = σ(1 − σ), tanh' = 1 − tanh², relu' = [o > 0]. These are the g'(a) of
the seeds' δ_j = g'(a_j) Σ_l w_jl δ_l.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from . import _memory
from ._core import constant, operand, record
from .arithmetic import mul
from .promotion import FLOATING, fitted, floating, refuse_booleans, refuse_non_floating
from .shape import narrow
from .special import erf


def relu(a):
    a = a if isinstance(a, Tensor) else operand(a)
    A = a.data
    if A.dtype.kind != "f":
        if A.dtype.kind == "b":
            refuse_booleans("relu")
        zero = 0
        out = np.maximum(A, 0)
    elif A.size < _RECTIFY_MIN:
        zero = constant(0, A.dtype)  # a 0-d zero: NumPy converts a Python 0 at every call (see constant)
        out = np.maximum(A, zero)
    else:
        zero = constant(0, A.dtype)
        # A convolution's activations come from the pool (see ops/_memory.py), others from NumPy.
        out = _memory.empty_like(A) if A.nbytes >= _memory.MIN_BYTES else np.empty_like(A)
        _against_zero(np.maximum, A, out)

    def backward(g):
        # subgradient 0 at 0, as in PyTorch
        if g.nbytes < _memory.MIN_BYTES:
            return (np.multiply(g, np.greater(out, zero)),)
        mask = np.greater(out, 0, out=_memory.empty_like(out, np.bool_))
        return (np.multiply(g, mask, out=_memory.empty_like(g)),)

    return record(out, (a,), backward, "relu")


# NumPy's maximum and minimum have a vectorised loop for two arrays but not for an array and a
# scalar: on the reference machine np.maximum(A, 0) took 12.3 µs for 33,100 float32 numbers and
# 94.7 µs for 262,144, np.maximum(A, zeros) 2.5 and 35.2 µs (NumPy 2.4; float64 alike). So ReLU,
# ELU and sigmoid compare with an array of zeros, one read-only buffer per dtype that
# grows as needed (np.zeros takes large blocks from the kernel already zeroed, and pages that are
# only ever read all map the kernel's one zero page, so even a large buffer costs little memory).
# Below _RECTIFY_MIN numbers the extra calls cost more than the loop saves: relu's forward at
# (32, 64), 2,048 float32 numbers, took 1.67 µs by the scalar loop against 2.32 through the array of
# zeros, even at 4,096 (2.69 against 2.61); from 8,192 the array wins (4.65 against 3.07). Raised
# from 1,024 on 2026-11-24: the small network's whole training step measured 3% faster in an
# in-process A/B (9 alternating rounds, twice), the medium one's unchanged (0.9994).
_RECTIFY_MIN = 4096
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
        # numbers). No mask is kept for the backward: it compares the input, which PyTorch's rule
        # keeps too (so a change of the output through detach() leaves backward() free, and one of
        # the input refuses it, as there).
        out = np.maximum(A, A * negative_slope)
        positive = None
    else:
        if A.dtype.kind != "f":
            refuse_non_floating("leaky_relu", A.dtype)
        positive = A > 0
        out = np.where(positive, A, A * negative_slope)

    def backward(g):
        # np.where, not a product with a 0/1 mask: an infinite g must come out as g or s·g, not NaN
        return (np.where(A > 0 if positive is None else positive, g, g * negative_slope),)

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
    if x.dtype.kind != "f":  # integers and booleans: in the default float dtype, as PyTorch's sigmoid
        return logistic(floating(x))
    denominator = np.abs(x, out=np.empty_like(x))
    np.negative(denominator, out=denominator)
    np.exp(denominator, out=denominator)
    np.add(denominator, 1, out=denominator)
    numerator = _against_zero(np.minimum, x, np.empty_like(x))
    np.exp(numerator, out=numerator)
    return np.divide(numerator, denominator, out=numerator)


def logistic_(x: np.ndarray) -> np.ndarray:
    """σ(x) in place, as 1 / (1 + e^(−x)): four passes over ``x`` and no new array, where
    :func:`logistic` takes seven and two new arrays (a recurrent layer's gates, step after step).

    Its relative accuracy matches logistic's down to σ(x) ≈ 1e−38 (float32; 1e−308 in float64);
    below, where e^(−x) overflows, it gives 0 for a σ(x) that is subnormal, so the caller silences
    NumPy's overflow warning (``np.errstate(over="ignore")``) once around its loop.
    """
    np.negative(x, out=x)
    np.exp(x, out=x)
    x += 1
    return np.reciprocal(x, out=x)


def tanh(a):
    a = operand(a)
    x = a.data
    out = np.tanh(x if getattr(x, "dtype", None) in FLOATING else floating(x))

    def backward(g):
        return (g * (1 - out * out),)  # tanh' = 1 − tanh²

    return record(out, (a,), backward, "tanh")


def _row_max(x: np.ndarray, axis) -> np.ndarray:
    """The maximum along ``axis``, kept as a size-1 axis: what softmax subtracts (it leaves softmax
    unchanged and keeps exp() from overflowing). An empty input gives an empty softmax, as in
    PyTorch, so its maximum may be anything that broadcasts: here −inf, where NumPy's max would fail.

    A batch of short rows (logits of a few classes) is reduced through its transpose: NumPy runs its
    inner loop once per row, a few elements each time, where the rows of the transposed copy are
    compared elementwise, all samples at once. 200 rows of 10 float32 logits: 9.7 against 2.5 µs
    with the copy; 112 rows of 3 in float64: 5.0 against 1.5. The maximum is exact either way.
    """
    if x.size == 0:
        return np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    if x.ndim == 2 and axis in (1, -1) and x.shape[0] >= _NARROW_ROWS_FROM and x.shape[1] <= _NARROW_ROW_WIDTH:
        return np.maximum.reduce(x.T.copy(), axis=0).reshape(-1, 1)
    return np.maximum.reduce(x, axis=axis, keepdims=True)


# The transposed route of _row_max from 64 rows of at most 64 numbers: measured float32 crossovers
# lie between 16 and 64 rows for 10 classes, and between 32 and 64 columns (128 rows: 8.7 against
# 6.6 µs at 64 columns; 32 rows of 64: 3.6 against 4.1).
_NARROW_ROWS_FROM = 64
_NARROW_ROW_WIDTH = 64


def softmax(a, axis=-1, *, dim=None):
    axis = axis if dim is None else dim
    a = operand(a)
    if a.data.dtype.kind != "f":
        refuse_non_floating("softmax", a.data.dtype)
    # e = exp(x − max x), then e/Σe, in one array: from the pool when large (ops/_memory.py), where
    # the three fresh arrays of x's size it took page-faulted at every step
    x = a.data
    out = np.subtract(x, _row_max(x, axis), out=_memory.empty_like(x))
    np.exp(out, out=out)
    out /= np.add.reduce(out, axis=axis, keepdims=True)

    def backward(g):
        # Jacobian-vector product of softmax: s ⊙ (g − Σ g s)
        if g.dtype != out.dtype:
            return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)
        grad = np.multiply(g, out, out=_memory.empty_like(out))
        np.subtract(g, np.add.reduce(grad, axis=axis, keepdims=True), out=grad)
        grad *= out
        return (grad,)

    return record(out, (a,), backward, "softmax")


def safe_softmax(a, axis=-1, *, dim=None):
    """softmax, except that a row which is −inf throughout gives zeros where softmax gives 0/0 = NaN.

    It is the softmax of attention, where −inf marks a key a query may not attend to: a query that
    may attend to none (a fully padded row) gets no weight anywhere and a zero output, as in
    PyTorch's scaled_dot_product_attention (``torch._safe_softmax``). The gradient rule is
    softmax's, which is zero on such a row.
    """
    axis = axis if dim is None else dim
    a = operand(a)
    shift = _row_max(a.data, axis)
    shift[np.isneginf(shift)] = 0  # an all −inf row: exp(−inf − 0) = 0 everywhere, no NaN
    e = np.exp(a.data - shift)
    total = e.sum(axis=axis, keepdims=True)
    total[total == 0] = 1  # only an all −inf row sums to 0 (elsewhere the row's maximum gives e⁰ = 1)
    out = e / total

    def backward(g):
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    return record(out, (a,), backward, "safe_softmax")


def log_softmax(a, axis=-1, *, dim=None):
    axis = axis if dim is None else dim
    a = operand(a)
    if a.data.dtype.kind != "f":
        refuse_non_floating("log_softmax", a.data.dtype)
    # z − max z − log Σ exp(z − max z), in the array of z − max z; exp(z − max z) only lends its
    # array to the sum. Both from the pool when large (ops/_memory.py), as the backward's, where
    # fresh arrays page-faulted at every step.
    x = a.data
    out = np.subtract(x, _row_max(x, axis), out=_memory.empty_like(x))
    if out.size:
        out -= np.log(np.add.reduce(np.exp(out, out=_memory.empty_like(out)), axis=axis, keepdims=True))

    def backward(g):
        # d log s_i / d x_j = [i = j] − s_j  =>  g − softmax · Σ g
        if g.dtype != out.dtype:
            return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)
        grad = np.exp(out, out=_memory.empty_like(out))
        grad *= np.add.reduce(g, axis=axis, keepdims=True)
        np.subtract(g, grad, out=grad)
        return (grad,)

    return record(out, (a,), backward, "log_softmax")


def elu(a, alpha=1.0):
    a = operand(a)
    x = a.data
    if x.dtype.kind != "f":
        refuse_non_floating("elu", x.dtype)
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
    x = _floating_only(a, "gelu")
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


# -- the rest of PyTorch's activations ------------------------------------------------------------
#
# Each rule keeps arrays only (the input's data, or arrays made from it), as the ones above do, so
# the in-place change check of changes.py finds what it needs without a declaration: a rule that
# keeps the input's own data is refused once that input is changed in place; one that keeps a
# derived array computes from the values the forward pass saw.


def _floating(a: Tensor) -> np.ndarray:
    """The data of ``a`` as a floating array (integers and booleans as float32, the default dtype)."""
    x = np.asarray(a.data)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def _floating_only(a: Tensor, op: str) -> np.ndarray:
    """The data of ``a``, refused unless floating: ``op`` is one PyTorch computes for floating-point
    tensors only."""
    x = np.asarray(a.data)
    if x.dtype.kind != "f":
        refuse_non_floating(op, x.dtype)
    return x


def real_option(owner: str, name: str, value, *, finite: bool = False, nonzero: bool = False) -> float:
    """``value`` as a float, refused (ConfigError naming ``owner`` and ``name``) unless it is a real
    number, never NaN, and finite or nonzero where asked."""
    from ..errors import ConfigError

    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))
    if ok:
        value = float(value)
        ok = not math.isnan(value) and (not finite or math.isfinite(value)) and (not nonzero or value != 0)
    if not ok:
        wanted = " ".join(word for word, asked in (("finite", finite), ("nonzero", nonzero)) if asked) or "real"
        raise ConfigError(f"{owner}: {name} must be a {wanted} number, got {value!r}")
    return value


def _softplus_of(z: np.ndarray) -> np.ndarray:
    """log(1 + e^z) as max(z, 0) + log(1 + e^(−|z|)): the exponential never overflows, and for
    z << 0 the result is e^z to full relative accuracy (down to the smallest subnormal)."""
    out = np.abs(z, out=np.empty_like(z))  # (out=: NumPy gives a scalar, not an array, for a 0-d input)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(z, 0)
    return out


def silu(a):
    """SiLU (swish): o = a·σ(a), with slope o' = σ(a)(1 + a(1 − σ(a)))."""
    a = operand(a)
    x = _floating_only(a, "silu")
    s = logistic(x)
    out = x * s

    def backward(g):
        slope = 1 - s
        slope *= x
        slope += 1
        slope *= s
        return (g * slope,)

    return record(out, (a,), backward, "silu")


def softplus(a, beta=1.0, threshold=20.0):
    """o = (1/β)·log(1 + e^(βa)), and a itself where βa > threshold (PyTorch's switch to the line it
    approaches); slope o' = σ(βa), 1 past the threshold."""
    beta = real_option("softplus", "beta", beta, finite=True, nonzero=True)
    threshold = real_option("softplus", "threshold", threshold)
    a = operand(a)
    x = _floating_only(a, "softplus")
    z = x * beta if beta != 1 else x
    out = _softplus_of(z)
    if beta != 1:
        out /= beta
    linear = z > threshold
    out = np.where(linear, x, out)

    def backward(g):
        # σ(βa) from the stable logistic: 1 in the far right tail, never e^(βa)/(e^(βa) + 1) = inf/inf
        return (np.where(linear, g, g * logistic(z)),)

    backward.beta = beta  # (for the rule's own derivative: autograd/differentiable_layers.py)
    return record(out, (a,), backward, "softplus")


def mish(a):
    """o = a·tanh(softplus(a)); with t = tanh(softplus(a)), o' = t + a·σ(a)(1 − t²)."""
    a = operand(a)
    x = _floating_only(a, "mish")
    t = np.tanh(_softplus_of(x))
    out = x * t

    def backward(g):
        slope = np.multiply(t, t, out=np.empty_like(t))
        np.subtract(1, slope, out=slope)
        slope *= logistic(x)
        slope *= x
        slope += t
        return (g * slope,)

    return record(out, (a,), backward, "mish")


#: SELU's constants (Klambauer et al., 2017), to the precision PyTorch states them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(a):
    """o = λ·a for a > 0, λα(e^a − 1) otherwise (λ ≈ 1.0507, α ≈ 1.6733: SELU_SCALE, SELU_ALPHA);
    o' = λ for a > 0, λα·e^a otherwise."""
    a = operand(a)
    x = _floating_only(a, "selu")
    below = np.minimum(x, 0)
    out = np.expm1(below)
    out *= SELU_ALPHA
    out += np.maximum(x, 0)
    out *= SELU_SCALE

    def backward(g):
        # λα·e^a computed afresh (not from the output, which cancels in the tail, see elu); the
        # comparison as PyTorch makes it, so a NaN input passes λ·g on as PyTorch's rule does.
        slope = np.exp(below)
        slope *= SELU_SCALE * SELU_ALPHA
        return (np.where(x <= 0, g * slope, g * SELU_SCALE),)

    return record(out, (a,), backward, "selu")


def celu(a, alpha=1.0):
    """o = max(0, a) + min(0, α(e^(a/α) − 1)); o' = 1 for a > 0, e^(a/α) otherwise."""
    alpha = real_option("celu", "alpha", alpha, finite=True, nonzero=True)
    a = operand(a)
    x = _floating_only(a, "celu")
    scaled = np.minimum(x, 0)
    if alpha != 1:
        scaled /= alpha
    out = np.expm1(scaled)
    if alpha != 1:
        out *= alpha
    out += np.maximum(x, 0)

    def backward(g):
        return (np.where(x <= 0, g * np.exp(scaled), g),)

    backward.alpha = alpha  # (for the rule's own derivative: autograd/differentiable_layers.py)
    return record(out, (a,), backward, "celu")


def _clamped(a, low: float, high: float, name: str):
    """o = min(max(a, low), high), o' = 1 strictly between the bounds and 0 at and beyond them (at
    a bound the slope is a convention; PyTorch's is 0). A NaN input stays NaN and passes g on."""
    a = operand(a)
    x = np.asarray(a.data)
    if x.dtype.kind == "f":
        out = np.clip(x, low, high)
    else:
        low, high = _integer_limits(name, x.dtype, low, high)
        out = np.clip(x, low, high).astype(x.dtype, copy=False)

    def backward(g):
        return (np.where((x <= low) | (x >= high), 0, g),)

    return record(out, (a,), backward, name)


def _integer_limits(name: str, dtype: np.dtype, low: float, high: float) -> tuple:
    """hardtanh's limits for an integer tensor, which keeps its dtype, as in PyTorch: truncated towards
    zero (-1.5 is -1), refused for booleans, for a negative limit of an unsigned dtype, and where the
    dtype cannot hold them."""
    if dtype.kind == "b":
        refuse_booleans(name)
    if dtype.kind == "u" and min(low, high) < 0:
        raise ConfigError(f"{name}: the limits of a {dtype} tensor must not be negative, as in PyTorch, got "
                          f"min_val={low} and max_val={high}")
    info = np.iinfo(dtype)
    for limit in (low, high):
        if not math.isfinite(limit) or not info.min <= math.trunc(limit) <= info.max:
            raise ConfigError(f"{name}: the limit {limit} does not fit the input's dtype {dtype} ({info.min} to "
                              f"{info.max}), as in PyTorch")
    return math.trunc(low), math.trunc(high)


def hardtanh(a, min_val=-1.0, max_val=1.0):
    """o = min_val below it, max_val above it, a in between; o' = 1 strictly inside, else 0."""
    min_val = real_option("hardtanh", "min_val", min_val)
    max_val = real_option("hardtanh", "max_val", max_val)
    if min_val > max_val:
        from ..errors import ConfigError

        raise ConfigError(f"hardtanh: min_val must not exceed max_val, got min_val={min_val} and max_val={max_val}")
    return _clamped(a, min_val, max_val, "hardtanh")


def relu6(a):
    """o = min(max(0, a), 6); o' = 1 for 0 < a < 6, else 0."""
    return _clamped(a, 0.0, 6.0, "relu6")


def prelu(a, weight):
    """o = a for a > 0, w·a otherwise, with one learnable w or one per channel (axis 1 of the input);
    ∂o/∂a = 1 or w, ∂o/∂w = 0 or a, summed over every element that shares w."""
    from ..errors import ShapeError

    a, w = operand(a), operand(weight)
    x = _floating(a)
    W = np.asarray(w.data)
    if W.dtype.kind != "f":
        W = W.astype(x.dtype)
    elif x.dtype != W.dtype and not a.requires_grad:
        x = x.astype(W.dtype)  # data follows the layer's dtype, as linear's does
    if W.size == 1:
        shape, axes = (), None
    elif x.ndim >= 2 and x.shape[1] == W.size and W.ndim == 1:
        shape = (1, W.size) + (1,) * (x.ndim - 2)
        axes = (0,) + tuple(range(2, x.ndim))
    else:
        channels = f"{x.shape[1]} channels (dim 1)" if x.ndim >= 2 else f"no channel axis (shape {x.shape})"
        raise ShapeError(f"prelu: the weight has shape {W.shape}, one value or one per channel, but the input "
                         f"of shape {x.shape} has {channels}")
    slope = W.reshape(shape)
    positive = x > 0
    out = np.where(positive, x, slope * x)
    need_input, need_weight = a.requires_grad, w.requires_grad

    def backward(g):
        grad_input = np.where(positive, g, g * slope).astype(x.dtype, copy=False) if need_input else None
        grad_weight = None
        if need_weight:
            grad_weight = np.sum(np.where(positive, 0, g * x), axis=axes).reshape(W.shape).astype(W.dtype, copy=False)
        return grad_input, grad_weight

    return record(out, (a, w), backward, "prelu")


def logsigmoid(a):
    """o = log σ(a) = min(a, 0) − log(1 + e^(−|a|)), finite for every finite a; o' = 1 − σ(a) = σ(−a)."""
    a = operand(a)
    x = _floating_only(a, "logsigmoid")
    out = np.abs(x, out=np.empty_like(x))
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    np.subtract(np.minimum(x, 0), out, out=out)

    def backward(g):
        return (g * logistic(-x),)

    return record(out, (a,), backward, "logsigmoid")


def softsign(a):
    """o = a / (1 + |a|); o' = 1 / (1 + |a|)²."""
    a = operand(a)
    x = _floating(a)
    denominator = np.abs(x)
    denominator += 1
    out = x / denominator

    def backward(g):
        return (g / (denominator * denominator),)

    return record(out, (a,), backward, "softsign")


def hardswish(a):
    """o = a·min(max(a + 3, 0), 6)/6; o' = 0 for a <= −3, a/3 + ½ for −3 < a < 3, 1 from 3 on
    (PyTorch's choices at the two kinks)."""
    a = operand(a)
    x = _floating_only(a, "hardswish")
    out = np.clip(x + 3, 0, 6)
    out *= x
    out /= 6

    def backward(g):
        return (np.where(x <= -3, 0, np.where(x < 3, g * (x / 3 + 0.5), g)),)

    return record(out, (a,), backward, "hardswish")


def hardsigmoid(a):
    """o = min(max(a + 3, 0), 6)/6, a piecewise-linear σ; o' = 1/6 for −3 < a < 3, else 0."""
    a = operand(a)
    x = _floating_only(a, "hardsigmoid")
    out = np.clip(x + 3, 0, 6)
    out /= 6

    def backward(g):
        return (np.where((x > -3) & (x < 3), g / 6, 0),)

    return record(out, (a,), backward, "hardsigmoid")


def softmin(a, axis=-1, *, dim=None):
    """softmax(−a) along ``axis``: e^(−a_j) / Σ_k e^(−a_k). Its Jacobian is minus softmax's, so the
    rule is −s ⊙ (g − Σ g s)."""
    axis = axis if dim is None else dim
    a = operand(a)
    x = _floating_only(a, "softmin")
    e = np.negative(x, out=np.empty_like(x))
    e -= _row_max(e, axis)
    np.exp(e, out=e)
    out = e / e.sum(axis=axis, keepdims=True)

    def backward(g):
        return (out * ((g * out).sum(axis=axis, keepdims=True) - g),)

    return record(out, (a,), backward, "softmin")


def tanhshrink(a):
    """o = a − tanh(a); o' = 1 − (1 − tanh²(a)) = tanh²(a)."""
    a = operand(a)
    x = _floating(a)
    t = np.tanh(x)
    out = x - t

    def backward(g):
        return (g * (t * t),)

    return record(out, (a,), backward, "tanhshrink")


def threshold(a, threshold, value):
    """o = a where a > threshold, ``value`` elsewhere; o' = 1 where a > threshold, else 0. (The test
    is written as PyTorch writes it, a <= threshold, so a NaN input stays NaN and passes g on.) An
    integer tensor keeps its dtype, both numbers converted for it as PyTorch converts them."""
    given = threshold, value
    threshold = real_option("threshold", "threshold", threshold)
    value = real_option("threshold", "value", value)
    a = operand(a)
    x = np.asarray(a.data)
    if x.dtype.kind == "b":
        refuse_booleans("threshold")
    if x.dtype.kind in "iu":
        threshold, value = (fitted("threshold", number, x.dtype) for number in given)
    replaced = x <= threshold
    out = np.where(replaced, x.dtype.type(value), x)

    def backward(g):
        return (np.where(replaced, 0, g),)

    return record(out, (a,), backward, "threshold")


def hardshrink(a, lambd=0.5):
    """o = a where |a| > λ, 0 for −λ <= a <= λ; o' = 1 outside [−λ, λ], 0 inside (at ±λ too, as
    PyTorch). A NaN input lies in no interval: it stays NaN and passes g on, as PyTorch's."""
    lambd = real_option("hardshrink", "lambd", lambd)
    a = operand(a)
    x = _floating_only(a, "hardshrink")
    inside = (x >= -lambd) & (x <= lambd)
    out = np.where(inside, x.dtype.type(0), x)

    def backward(g):
        return (np.where(inside, 0, g),)

    return record(out, (a,), backward, "hardshrink")


def softshrink(a, lambd=0.5):
    """o = a − λ for a > λ, a + λ for a < −λ, 0 in between: |a| shrunk towards 0 by λ >= 0;
    o' = 1 outside [−λ, λ], 0 inside. A NaN input stays NaN and passes g on, as PyTorch's."""
    lambd = real_option("softshrink", "lambd", lambd)
    if lambd < 0:
        raise ConfigError(f"softshrink: lambd must be a non-negative number, got {lambd!r}")
    a = operand(a)
    x = _floating_only(a, "softshrink")
    inside = (x >= -lambd) & (x <= lambd)
    out = np.where(inside, x.dtype.type(0), x - np.copysign(x.dtype.type(lambd), x))

    def backward(g):
        return (np.where(inside, 0, g),)

    return record(out, (a,), backward, "softshrink")


def glu(a, dim=-1):
    """The gated linear unit: the input split in halves u, v along ``dim``, o = u·σ(v).

    Composed of primitives (two narrows, sigmoid, mul), so its gradients are theirs:
    ∂o/∂u = σ(v), ∂o/∂v = u·σ(v)(1 − σ(v)).
    """
    a = operand(a)
    if np.asarray(a.data).dtype.kind != "f":
        refuse_non_floating("glu", np.asarray(a.data).dtype)
    shape = np.shape(a.data)
    if not shape:
        raise ShapeError("glu: the input must have at least one dimension to halve, got a single number")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not -len(shape) <= dim < len(shape):
        raise ShapeError(f"glu: dim {dim!r} is out of range for input of shape {shape}")
    n = shape[dim]
    if n % 2:
        raise ShapeError(f"glu: dimension {dim} of input of shape {shape} has odd size {n}, which cannot be halved")
    half = n // 2
    return mul(narrow(a, dim, 0, half), sigmoid(narrow(a, dim, half, half)))
