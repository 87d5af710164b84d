"""Reductions over axes: sum, mean, var, std, var_mean, std_mean, max, min, norm, prod, logsumexp."""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..dtypes import tensor_dtype
from ..errors import ConfigError, ShapeError
from ..tensor import get_default_dtype
from ._core import expand_reduced, normalize_axes, operand, record, reduction_axis, signs, torch_names
from .elementwise import astype
from .promotion import refuse_non_floating


def converted(op: str, a, dtype):
    """``a`` converted to ``dtype`` (PyTorch's ``dtype=`` of the reduction ``op``): the gradient goes
    back converted to ``a``'s dtype."""
    return astype(operand(a), tensor_dtype(op, dtype))


def kept(out, dtype):
    """``out`` in ``dtype`` where one was asked for: NumPy sums and multiplies small integers as
    int64, where PyTorch's ``dtype=`` keeps them (int32 stays int32)."""
    return out if dtype is None else astype(out, dtype)


def integral_as_int64(out):
    """A sum or product of integers or booleans as int64, PyTorch's (NumPy's of uint8 is uint64)."""
    return out.astype(np.int64) if out.dtype.kind in "bu" or out.dtype.kind == "i" and out.dtype.itemsize < 8 else out


def _count(shape: tuple, axis) -> int:
    return math.prod(shape[i] for i in normalize_axes(axis, len(shape)))


def floating_operand(op: str, a):
    """``a`` as a tensor, refused unless floating: ``op`` (var, std, norm, ...) is a reduction PyTorch
    takes of floating-point tensors only."""
    a = operand(a)
    if a.data.dtype.kind != "f":
        refuse_non_floating(op, a.data.dtype)
    return a


def sum(a, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
    """The sum over ``axis`` (all elements by default); ``dtype``, PyTorch's, converts the input first."""
    if dim is not None or keepdim is not None:  # PyTorch's names
        axis, keepdims = torch_names("sum", axis, dim, keepdims, keepdim)
    a = operand(a) if dtype is None else converted("sum", a, dtype)
    axis = reduction_axis(axis, a.data.ndim, "sum")
    out = a.data.sum(axis=axis, keepdims=keepdims)
    if out.dtype.kind != "f":  # (inline: a call here was measurable on a small float32 sum)
        out = integral_as_int64(out)

    def backward(g):
        return (expand_reduced(g, a.data.shape, axis, keepdims),)

    return kept(record(out, (a,), backward, "sum"), dtype)


def _mean(x: np.ndarray, axis, keepdims: bool, n: int) -> np.ndarray:
    """NumPy's mean (its sum divided by the count, as ``np.mean`` computes it); the mean over no
    elements is NaN without NumPy's "Mean of empty slice" warning, as in PyTorch."""
    if n:
        return x.mean(axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore"):
        return np.true_divide(x.sum(axis=axis, keepdims=keepdims), 0)


def mean(a, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
    """The mean over ``axis`` (all elements by default); ``dtype``, PyTorch's, converts the input first."""
    if dim is not None or keepdim is not None:  # PyTorch's names
        axis, keepdims = torch_names("mean", axis, dim, keepdims, keepdim)
    if dtype is not None:  # only a floating one: NumPy would take the mean of the converted integers
        tensor_dtype("mean", dtype, floating=True)
    a = operand(a) if dtype is None else converted("mean", a, dtype)
    if a.data.dtype.kind != "f":  # PyTorch's "could not infer output dtype"
        refuse_non_floating("mean", a.data.dtype, ", or give dtype='float32'")
    axis = reduction_axis(axis, a.data.ndim, "mean")
    n = _count(a.data.shape, axis)
    out = _mean(a.data, axis, keepdims, n)

    def backward(g):
        # Over no elements the gradient has no elements either: nothing to scale.
        return (expand_reduced(g / n if n else g, a.data.shape, axis, keepdims),)

    return record(out, (a,), backward, "mean")


def var(a, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None, unbiased=None):
    """Variance with PyTorch's default ``correction=1`` (the unbiased estimate); 0 gives NumPy's.

    Where there are no more elements than ``correction`` (one element, unbiased), the variance is
    undefined: NaN, or inf where the squares don't sum to 0, and so is its gradient, as in PyTorch.
    """
    if dim is not None or keepdim is not None:  # PyTorch's names
        axis, keepdims = torch_names("var", axis, dim, keepdims, keepdim)
    if unbiased is not None:  # PyTorch's older spelling: unbiased=False is correction=0
        correction = 1 if unbiased else 0
    a = floating_operand("var", a)
    axis = reduction_axis(axis, a.data.ndim, "var")
    n = _count(a.data.shape, axis)
    centred = a.data - _mean(a.data, axis, True, n)
    denominator = builtins.max(n - correction, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (centred * centred).sum(axis=axis, keepdims=keepdims) / denominator

    def backward(g):
        # d var / d x_i = 2 (x_i - mean) / (n - correction); the mean's own dependence on x_i cancels.
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.true_divide(2, denominator, dtype=centred.dtype)  # inf where denominator is 0
            return (expand_reduced(g, a.data.shape, axis, keepdims) * centred * scale,)

    return record(out, (a,), backward, "var")


def std(a, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None, unbiased=None):
    """The standard deviation, √var (the arguments are :func:`var`'s).

    Where it is 0 (a constant slice) its gradient is 0, as in PyTorch: the chain rule through the
    square root would give (1 / 2·0) · 0 = NaN, and one NaN reaches every weight upstream.
    """
    v = var(floating_operand("std", a), axis, keepdims, correction, dim=dim, keepdim=keepdim, unbiased=unbiased)
    with np.errstate(invalid="ignore"):  # an undefined variance (NaN) has an undefined root
        out = np.asarray(np.sqrt(v.data))  # an array for a 0-d result too: the rule keeps the output

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.where(out == 0, 0, g / (2 * out)).astype(out.dtype, copy=False),)

    return record(out, (v,), backward, "std")


def moment_arguments(op: str, dim, unbiased, keepdim, correction, axis=None, keepdims=None):
    """(axis, keepdims, correction) from PyTorch's arguments of var, std, var_mean and std_mean:
    ``(dim, unbiased, keepdim)``, the older ``(unbiased)`` alone, or ``correction=`` (1 by default,
    the unbiased estimate); NumPy's names ``axis``/``keepdims`` work too."""
    if isinstance(dim, (bool, np.bool_)):  # var(False): the legacy form's unbiased flag
        dim, unbiased = None, bool(dim)
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give unbiased (PyTorch's older name) or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axis, keepdims = torch_names(op, axis, dim, bool(keepdim), keepdims)
    return axis, bool(keepdims), correction


def var_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim`` (all dimensions for None), as PyTorch's ``var_mean``; each
    carries its own gradient."""
    axis, keepdims, correction = moment_arguments("var_mean", dim, unbiased, keepdim, correction)
    a = floating_operand("var_mean", a)
    return var(a, axis, keepdims, correction), mean(a, axis, keepdims)


def std_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``, as PyTorch's ``std_mean`` (arguments as :func:`var_mean`)."""
    axis, keepdims, correction = moment_arguments("std_mean", dim, unbiased, keepdim, correction)
    a = floating_operand("std_mean", a)
    return std(a, axis, keepdims, correction), mean(a, axis, keepdims)


def _extremum(a, axis, keepdims, reduce, name, *, whole_as_max=True):
    """``whole_as_max``: over all elements (``axis`` None) take PyTorch's ``max()`` rule (0 off the
    extremum, the gradient to the NaNs of a NaN maximum); False takes its ``amax`` rule, the one
    along an axis (the gradient times each element's share: ∞·0 = NaN off it, 0/0 for a NaN)."""
    a = operand(a)
    axis = reduction_axis(axis, a.data.ndim, name)
    axes = normalize_axes(axis, a.data.ndim)
    if a.data.size == 0 and not _count(a.data.shape, axes):
        over = "its elements" if axis is None else f"axis {axis}"
        raise ShapeError(f"{name}: the input of shape {a.data.shape} is empty, and the {name}imum of no elements (over {over}) is undefined")
    out = reduce(a.data, axis=axis, keepdims=keepdims)

    def backward(g):
        # The gradient goes to the elements that attain the extremum, shared equally among ties.
        # A maximum of all elements that is NaN goes to the NaNs, as PyTorch's max() sends it (==
        # finds no element, and every share was 0/0); along an axis PyTorch's amax gives NaN there,
        # and so does this.
        reached = expand_reduced(out, a.data.shape, axis, keepdims)
        hit = a.data == reached
        whole = axis is None and whole_as_max
        if whole and out.dtype.kind == "f" and np.isnan(out).any():
            hit = np.isnan(a.data)
        with np.errstate(invalid="ignore"):  # that 0/0 along an axis, without NumPy's warning
            share = (hit / hit.sum(axis=axis, keepdims=True)).astype(g.dtype, copy=False)
        g = expand_reduced(g, a.data.shape, axis, keepdims)
        with np.errstate(invalid="ignore"):  # an infinite g's ∞·0, PyTorch's NaN (discarded for max())
            if whole:  # PyTorch's max() gives the other elements 0 even for an infinite g
                return (np.where(hit, g * share, g.dtype.type(0)),)
            return (g * share,)

    return record(out, (a,), backward, name)


def max(a, axis=None, keepdims=False, *, keepdim=None):
    """The largest element (over ``axis``), NumPy's ``max``/PyTorch's ``amax`` (``Tensor.max(dim)``
    gives PyTorch's values and indices)."""
    return _extremum(a, axis, keepdims if keepdim is None else keepdim, np.max, "max")


def min(a, axis=None, keepdims=False, *, keepdim=None):
    return _extremum(a, axis, keepdims if keepdim is None else keepdim, np.min, "min")


def amax(a, axis=None, keepdims=False):
    """PyTorch's ``amax``: ``max`` but for its gradient over all elements (``axis`` None), which
    follows the rule along an axis, as PyTorch's does (NaN off the maximum for an infinite g)."""
    return _extremum(a, axis, keepdims, np.max, "max", whole_as_max=False)


def amin(a, axis=None, keepdims=False):
    """PyTorch's ``amin``: ``min`` with the gradient rule along an axis, of all elements too."""
    return _extremum(a, axis, keepdims, np.min, "min", whole_as_max=False)


def norm(a, p=2, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """The p-norm (Σ|x|^p)^(1/p) over ``axis`` (all elements by default): p = 2 ('fro'), 1, inf or
    any positive number, as PyTorch's ``norm``. Where the norm is 0 the gradient is 0 (the
    subgradient PyTorch takes), not the 0/0 of the formula. For p = 0, −inf and negative p (the
    count of non-zero elements, the smallest magnitude, the formula with p < 0) it is
    ``linalg.vector_norm``, as PyTorch's ``norm`` is."""
    if dim is not None or keepdim is not None:
        axis, keepdims = torch_names("norm", axis, dim, keepdims, keepdim)
    p = 2.0 if p == "fro" else p
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or np.isnan(p):
        raise ConfigError(f"norm: p must be a number, inf, -inf or 'fro', got {p!r}")
    if not p > 0:
        from .matrix_norms import vector_norm  # (that module imports this one)

        return vector_norm(floating_operand("norm", a), p, axis, keepdims)
    a = floating_operand("norm", a)
    X = a.data
    axis = reduction_axis(axis, X.ndim, "norm")
    magnitude = np.abs(X)
    if p == np.inf:
        reduced = range(X.ndim) if axis is None else normalize_axes(axis, X.ndim)
        if any(X.shape[i] == 0 for i in reduced):
            raise ShapeError(f"norm: the inf norm (a maximum) of no elements is undefined, and the reduced axes of "
                             f"shape {X.shape} hold none (PyTorch refuses it too)")
        out = magnitude.max(axis=axis, keepdims=keepdims)
    elif p == 2:
        out = np.sqrt((X * X).sum(axis=axis, keepdims=keepdims))
    elif p == 1:
        out = magnitude.sum(axis=axis, keepdims=keepdims)
    else:
        out = (magnitude ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)

    def backward(g):
        g = expand_reduced(g, X.shape, axis, keepdims)
        n = expand_reduced(out, X.shape, axis, keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == np.inf:  # shared among the elements of largest magnitude (a NaN's, where one is)
                hit = (magnitude == n) | np.isnan(magnitude)
                local = signs(X) * hit / hit.sum(axis=axis, keepdims=True)
            elif p == 1:
                local = signs(X)  # (0 at a NaN, as PyTorch's)
            elif p == 2:
                local = np.where(n != 0, X / n, 0)  # (a NaN norm passes NaN on, as PyTorch's)
            else:
                # (0 where x is 0 too: for p < 1, |x|^(p−1) is infinite there and sign(x) is 0)
                local = np.where((n != 0) & (X != 0), signs(X) * magnitude ** (p - 1) / n ** (p - 1), 0)
        return ((g * local).astype(X.dtype, copy=False),)

    return record(np.asarray(out), (a,), backward, "norm")


def _products_of_the_others(X: np.ndarray, axes: tuple) -> np.ndarray:
    """For each element, the product of the other elements of its slice over ``axes``: the running
    product of those before it times that of those after it (no division, so zeros are exact)."""
    moved = np.moveaxis(X, axes, range(-len(axes), 0))
    flat = moved.reshape(moved.shape[: X.ndim - len(axes)] + (-1,))
    if flat.shape[-1] == 0:
        return np.zeros_like(X)
    ones = np.ones_like(flat[..., :1])
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat[..., 1:], -1)], axis=-1), axis=-1), -1)
    return np.moveaxis((before * after).reshape(moved.shape), range(-len(axes), 0), axes)


def prod(a, axis=None, keepdims=False, *, dim=None, keepdim=None, dtype=None):
    """The product of the elements (over ``axis``, all by default).

    The gradient of an element is the product of the others in its slice: with one zero in a slice
    only the zero gets one, with two or more no element does. As PyTorch's, it is out / x where the
    input holds no zero, the products of the others computed directly where it does (and 0 for a
    product of all elements with two zeros or more), down to the NaN and inf those give.
    ``dtype``, PyTorch's, converts the input first.
    """
    if dim is not None or keepdim is not None:  # PyTorch's names
        axis, keepdims = torch_names("prod", axis, dim, keepdims, keepdim)
    a = operand(a) if dtype is None else converted("prod", a, dtype)
    X = a.data
    axis = reduction_axis(axis, X.ndim, "prod")
    out = integral_as_int64(np.asarray(np.prod(X, axis=axis, keepdims=keepdims)))

    def backward(g):
        g = expand_reduced(g, X.shape, axis, keepdims)
        zeros = np.count_nonzero(X == 0)
        if not zeros:
            with np.errstate(divide="ignore", invalid="ignore"):
                return (g * (expand_reduced(out, X.shape, axis, keepdims) / X),)
        if axis is None and zeros > 1:
            return (np.zeros(X.shape, g.dtype),)
        return (g * _products_of_the_others(X, normalize_axes(axis, X.ndim)),)

    return kept(record(out, (a,), backward, "prod"), dtype)


def logsumexp(a, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """log Σ exp(x) over ``axis`` (all elements when None, as SciPy's; PyTorch asks for a dim),
    computed without overflow by shifting each slice by its maximum.

    A slice of -inf only gives -inf, one holding +inf gives +inf, and NaN gives NaN, as PyTorch's;
    so does the gradient, the softmax of the slice (NaN over a slice whose result is infinite).
    Integers are taken as float32.
    """
    if dim is not None or keepdim is not None:  # PyTorch's names
        axis, keepdims = torch_names("logsumexp", axis, dim, keepdims, keepdim)
    a = operand(a)
    X = a.data if a.data.dtype.kind == "f" else a.data.astype(get_default_dtype())
    axis = reduction_axis(axis, X.ndim, "logsumexp")
    shift = np.max(X, axis=axis, keepdims=True, initial=-np.inf)
    shift = np.where(np.isinf(shift), 0, shift).astype(X.dtype, copy=False)  # -inf − (−inf) would be NaN
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # log 0 = -inf, as it should be
        full = np.log(np.exp(X - shift).sum(axis=axis, keepdims=True)) + shift
    axes = normalize_axes(axis, X.ndim)
    out = full if keepdims else full.reshape([n for i, n in enumerate(X.shape) if i not in axes])

    def backward(g):
        with np.errstate(invalid="ignore"):  # inf − inf: NaN, as PyTorch's
            return (expand_reduced(g, X.shape, axis, keepdims) * np.exp(X - full),)

    return record(out, (a,), backward, "logsumexp")
