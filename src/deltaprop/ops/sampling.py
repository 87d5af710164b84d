"""Draws whose parameters are tensors: PyTorch's ``normal``, ``bernoulli``, ``poisson``,
``binomial`` and ``multinomial``, from the library's generator or the ``generator=`` given.

A draw is no smooth function of its parameters. As in PyTorch, ``normal``, ``bernoulli`` and
``poisson`` give their parameters a gradient of zero: their results join the graph, so a loss
built on them still backpropagates to everything else it uses, but nothing flows through the
draw itself. The draw that carries a gradient is the reparameterised one, μ + σ·ε
(``distributions.Normal(mu, sigma).rsample()``). ``binomial``'s result joins the graph too, and, as
PyTorch's, refuses to be differentiated. ``multinomial`` gives integer indices, outside any graph.

Draws are made in float64 and rounded to the result's dtype, as the in-place fills (draws.py) do.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, GradError, ShapeError
from ..random import numpy_generator
from ..tensor import Tensor, get_default_dtype
from ._core import operand, record

# From this rate on a Poisson count is a rounded N(λ, λ) draw: NumPy's sampler spreads its counts
# too widely from about 1e14 and stops near 9.2e18 (see distributions/poisson.py).
_NORMAL_FROM_RATE = 1e12


def _zero_gradient(parents):
    """The rule of a draw: a zero gradient for each parameter, in its own shape."""

    def backward(g):
        return tuple(np.zeros(p.data.shape, g.dtype) if p.requires_grad else None for p in parents)

    return backward


def _floating(op: str, name: str, t: Tensor) -> None:
    if t.data.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor (its draws are floating-point numbers), got "
                        f"{t.data.dtype}; convert it first, e.g. {name}.float()")


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False) -> Tensor:
    """Draws of N(mean, std²), as PyTorch's ``normal``: ``mean`` and ``std`` tensors (broadcast
    together) or one a number, or both numbers with a ``size``. The result has the tensors'
    floating-point dtype (the default one for numbers) and a zero gradient to them."""
    tensors = [(name, v) for name, v in (("mean", mean), ("std", std)) if isinstance(v, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal: give size= (a tuple of ints) when mean and std are both numbers, or pass a tensor")
        from ..creation import checked_size

        dtype = get_default_dtype() if dtype is None else np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"normal: dtype must be a floating-point type, got {dtype}")
        shape = checked_size("normal", tuple(size) if np.ndim(size) else (size,), 8)
        if not std >= 0:
            raise ConfigError(f"normal: std must be at least 0, got {std}")
        values = numpy_generator(generator, "normal").normal(float(mean), float(std), shape).astype(dtype)
        out = Tensor._wrap(values)
        return out.requires_grad_(True) if requires_grad else out
    if size is not None:
        raise TypeError("normal: size= goes only with a mean and a std that are both numbers; a tensor gives the shape")
    if dtype is not None or requires_grad:
        raise TypeError("normal: dtype= and requires_grad= go only with numbers and a size; the tensors give the dtype")
    for name, t in tensors:
        _floating("normal", name, t)
    m, s = operand(mean), operand(std)
    if np.any(np.asarray(s.data) < 0):
        raise ConfigError(f"normal: std must be at least 0 everywhere, got {np.min(s.data)}")
    try:
        shape = np.broadcast_shapes(np.shape(m.data), np.shape(s.data))
    except ValueError:
        raise ShapeError(f"normal: mean of shape {np.shape(m.data)} and std of shape {np.shape(s.data)} do not "
                         "broadcast together") from None
    dtype = np.result_type(*(t.data.dtype for _, t in tensors))
    epsilon = numpy_generator(generator, "normal").standard_normal(shape)
    values = (np.asarray(m.data, np.float64) + np.asarray(s.data, np.float64) * epsilon).astype(dtype)
    parents = tuple(t for _, t in tensors)
    return record(values, parents, _zero_gradient(parents), "normal")


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """1 with probability ``input`` (per element), else 0, in ``input``'s shape and dtype, as
    PyTorch's ``bernoulli``; with ``p`` (a number), each element is 1 with probability ``p``. A zero
    gradient to ``input``."""
    x = operand(input)
    _floating("bernoulli", "input", x)
    if p is None:
        probabilities = np.asarray(x.data, np.float64)
        outside = ~((probabilities >= 0) & (probabilities <= 1))
        if outside.any():
            raise ConfigError(f"bernoulli: each probability must lie in [0, 1], got {probabilities[outside].flat[0]}")
    else:
        if isinstance(p, Tensor) or not 0 <= p <= 1:
            raise ConfigError(f"bernoulli: p must be a number in [0, 1], got {p!r}")
        probabilities = float(p)
    draws = numpy_generator(generator, "bernoulli").random(x.data.shape) < probabilities
    return record(draws.astype(x.data.dtype), (x,), _zero_gradient((x,)), "bernoulli")


def poisson(input, generator=None) -> Tensor:
    """Poisson counts of the rates ``input`` (≥ 0), in its shape and floating-point dtype, as
    PyTorch's ``poisson``; a zero gradient to the rates."""
    x = operand(input)
    _floating("poisson", "input", x)
    rate = np.asarray(x.data, np.float64)
    if not (rate >= 0).all():
        raise ConfigError(f"poisson: rates must be at least 0, got {rate[~(rate >= 0)].flat[0]}")
    counts = poisson_counts(rate, numpy_generator(generator, "poisson"))
    return record(counts.astype(x.data.dtype), (x,), _zero_gradient((x,)), "poisson")


def binomial(count, prob, generator=None) -> Tensor:
    """The number of successes in ``count`` trials (whole numbers ≥ 0) of probability ``prob`` (in
    [0, 1]), the two floating-point tensors of one dtype broadcast together, as PyTorch's
    ``binomial``: counts in that dtype. It has no derivative: a backward pass through it is refused,
    as PyTorch refuses it."""
    op = "binomial"
    if not isinstance(count, Tensor) or not isinstance(prob, Tensor):
        raise TypeError(f"{op}: count and prob must be tensors, got {type(count).__name__} and {type(prob).__name__}")
    _floating(op, "count", count)
    _floating(op, "prob", prob)
    if count.data.dtype != prob.data.dtype:
        raise TypeError(f"{op}: count and prob must have one dtype, got {count.data.dtype} and {prob.data.dtype}")
    try:
        shape = np.broadcast_shapes(count.data.shape, prob.data.shape)
    except ValueError:
        raise ShapeError(f"{op}: count of shape {count.data.shape} and prob of shape {prob.data.shape} do not "
                         "broadcast together") from None
    trials, p = np.asarray(count.data, np.float64), np.asarray(prob.data, np.float64)
    wrong = ~((trials >= 0) & (trials == np.floor(trials)) & np.isfinite(trials))
    if wrong.any():
        raise ConfigError(f"{op}: count must hold whole numbers of trials, at least 0, got {trials[wrong].flat[0]}")
    if not ((p >= 0) & (p <= 1)).all():
        raise ConfigError(f"{op}: prob must lie in [0, 1], got {p[~((p >= 0) & (p <= 1))].flat[0]}")
    draws = numpy_generator(generator, op).binomial(np.broadcast_to(trials, shape).astype(np.int64),
                                                      np.broadcast_to(p, shape))

    def backward(g):
        raise GradError(f"{op}: the draws have no derivative with respect to count or prob (PyTorch refuses it too); "
                        "use the draws as constants: binomial(count, prob).detach()")

    return record(np.asarray(draws, dtype=count.data.dtype), (count, prob), backward, op)


def poisson_counts(rate: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Poisson counts of the float64 rates ``rate`` (≥ 0, +inf allowed): NumPy's sampler below
    1e12, rounded N(λ, λ) draws from there (+inf for λ = +inf), in float64."""
    huge = rate >= _NORMAL_FROM_RATE
    counts = rng.poisson(np.where(huge, 0.0, rate)).astype(np.float64)
    if huge.any():
        with np.errstate(invalid="ignore"):
            approximate = np.round(rate + np.sqrt(rate) * rng.standard_normal(rate.shape))
        counts = np.where(huge, np.where(np.isinf(rate), np.inf, approximate), counts)
    return counts


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """``num_samples`` category indices drawn for each row of ``input`` (non-negative weights of
    shape (C,) or (N, C), not necessarily summing to 1), as PyTorch's ``multinomial``: int64 of
    shape (num_samples,) or (N, num_samples). Without ``replacement`` a category is drawn at most
    once (the largest of E/w for E ~ Exp(1), Efraimidis and Spirakis' order; categories of weight 0
    come last), so ``num_samples`` may not exceed C."""
    op = "multinomial"
    x = operand(input)
    weights = x.data
    if weights.dtype.kind != "f":
        raise TypeError(f"{op}: input must hold floating-point weights, got {weights.dtype}")
    if weights.ndim not in (1, 2):
        raise ShapeError(f"{op}: input must be a vector of weights (C,) or a matrix of rows of weights (N, C), got "
                         f"shape {weights.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ConfigError(f"{op}: num_samples must be a positive integer, got {num_samples!r}")
    rows = np.asarray(weights, np.float64).reshape(-1, weights.shape[-1])
    categories = rows.shape[1]
    if not replacement and num_samples > categories:
        raise ConfigError(f"{op}: cannot draw {num_samples} samples without replacement from {categories} categories")
    if not (np.isfinite(rows) & (rows >= 0)).all():
        raise ConfigError(f"{op}: weights must be finite and non-negative (found inf, NaN or a negative number)")
    totals = rows.sum(axis=1)
    if not (totals > 0).all():
        raise ConfigError(f"{op}: each row of weights must have a positive sum (row {int(np.argmin(totals > 0))} "
                          "sums to 0)")
    rng = numpy_generator(generator, op)
    if replacement:
        cumulative = np.cumsum(rows, axis=1)
        cumulative /= cumulative[:, -1:]
        draws = rng.random((rows.shape[0], num_samples))
        # the first category whose cumulative share exceeds u (a zero-weight one never does first):
        # the number of shares at most u
        picked = np.minimum((cumulative[:, None, :] <= draws[:, :, None]).sum(axis=2), categories - 1)
    else:
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows  # (a weight of 0: +inf, drawn last)
        picked = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    picked = picked.astype(np.int64)
    return Tensor._wrap(picked if weights.ndim == 2 else picked[0])
