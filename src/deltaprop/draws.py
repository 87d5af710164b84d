"""A tensor's values redrawn in place from a generator (the library's, or the ``generator=``
given): the draws behind PyTorch's ``normal_``, ``uniform_``, ``bernoulli_``, ``exponential_``,
``geometric_``, ``cauchy_``, ``log_normal_`` and ``random_``, and behind ``nn.init``'s ``normal_``
and ``uniform_``.

Each function checks its arguments as PyTorch does, draws in float64 (or, for ``random_`` on an
integer tensor, in the tensor's dtype), writes the draws into the tensor's own array in its own
dtype and notes the change, so that ``backward()`` refuses a rule that saved the old values. The
in-place rules (refused on a tensor the graph records) are the Tensor methods' to apply; ``nn.init``
fills parameters as PyTorch's does, without them.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError
from .random import numpy_generator


def values_of(op: str, target) -> np.ndarray:
    """The array ``op`` writes into: a tensor's own, or a NumPy array given itself. ``nn.init`` is
    given one by code ported from PyTorch that initialises through ``.data``
    (``nn.init.normal_(m.weight.data, 0.0, 0.02)``, as the DCGAN tutorial does), where a
    parameter's ``.data`` is its array."""
    if isinstance(target, np.ndarray):
        return target
    values = getattr(target, "data", None)
    if not isinstance(values, np.ndarray):
        raise TypeError(f"{op}: expected a tensor (or a NumPy array) to fill, got {type(target).__name__}")
    return values


def fill(tensor, values, op: str = "fill"):
    """``values`` written into ``tensor``'s array (cast to its dtype), the change noted: a graph
    recorded with the old values can no longer be differentiated. An array given itself is written
    without a note, as PyTorch's writes through ``.data`` go unrecorded."""
    values_of(op, tensor)[...] = values
    if not isinstance(tensor, np.ndarray):
        tensor._mark_changed()
    return tensor


def _continuous(op: str, tensor) -> tuple:
    """The shape to draw for ``op``, whose draws only a floating-point tensor can hold (as in PyTorch)."""
    values = values_of(op, tensor)
    if values.dtype.kind != "f":
        raise TypeError(f"{op}: draws of a continuous distribution need a floating-point tensor; this one is "
                        f"{values.dtype} (convert it first, e.g. x = x.float())")
    return values.shape


def normal(tensor, mean=0.0, std=1.0, op: str = "normal_", generator=None):
    """N(mean, std²)."""
    shape = _continuous(op, tensor)
    if not std >= 0:
        raise ConfigError(f"{op}: std must be at least 0, got {std}")
    return fill(tensor, numpy_generator(generator, op).normal(mean, std, shape))


def uniform(tensor, low=0.0, high=1.0, op: str = "uniform_", generator=None):
    """U[low, high)."""
    shape = _continuous(op, tensor)
    if not low <= high:
        raise ConfigError(f"{op}: from must be at most to (the range is [from, to)), got from={low}, to={high}")
    return fill(tensor, numpy_generator(generator, op).uniform(low, high, shape))


def bernoulli(tensor, p=0.5, generator=None):
    """1 with probability ``p`` (a number, or one per element: anything that broadcasts), else 0."""
    probabilities = p.data if hasattr(p, "data") and not isinstance(p, np.ndarray) else p
    if np.ndim(probabilities) == 0:
        if not 0 <= probabilities <= 1:
            raise ConfigError(f"bernoulli_: p must be a probability in [0, 1], got {p}")
    else:
        probabilities = np.asarray(probabilities)
        outside = probabilities[~((probabilities >= 0) & (probabilities <= 1))]
        if outside.size:
            raise ConfigError(f"bernoulli_: p must hold probabilities in [0, 1], got a value of {outside.flat[0]}")
    return fill(tensor, numpy_generator(generator, "bernoulli_").random(tensor.data.shape) < probabilities)


def exponential(tensor, lambd=1.0, generator=None):
    """Exp(λ): density λ·e^(−λx) on x ≥ 0, mean 1/λ."""
    shape = _continuous("exponential_", tensor)
    if not lambd > 0:
        raise ConfigError(f"exponential_: lambd must be above 0, got {lambd}")
    return fill(tensor, numpy_generator(generator, "exponential_").exponential(1.0 / lambd, shape))


def geometric(tensor, p, generator=None):
    """The number of Bernoulli(p) trials up to and including the first success: 1, 2, ..."""
    if not 0 < p < 1:
        raise ConfigError(f"geometric_: p must be in (0, 1), got {p}")
    return fill(tensor, numpy_generator(generator, "geometric_").geometric(p, tensor.data.shape))


def cauchy(tensor, median=0.0, sigma=1.0, generator=None):
    """Cauchy: density 1 / (πσ(1 + ((x − median)/σ)²))."""
    shape = _continuous("cauchy_", tensor)
    if not sigma > 0:
        raise ConfigError(f"cauchy_: sigma must be above 0, got {sigma}")
    return fill(tensor, median + sigma * numpy_generator(generator, "cauchy_").standard_cauchy(shape))


def log_normal(tensor, mean=1.0, std=2.0, generator=None):
    """exp(N(mean, std²)): ``mean`` and ``std`` are those of the logarithm, as in PyTorch."""
    shape = _continuous("log_normal_", tensor)
    if not std > 0:
        raise ConfigError(f"log_normal_: std must be above 0, got {std}")
    return fill(tensor, numpy_generator(generator, "log_normal_").lognormal(mean, std, shape))


def _integer(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"random_: {name} must be an integer, got {value!r}")
    return int(value)


def _largest(dtype: np.dtype) -> int:
    """The largest integer ``random_()`` draws for ``dtype``: for floating point, the last of the
    run of integers it holds exactly (2^11, 2^24, 2^53), as in PyTorch."""
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1)
    return 1 if dtype.kind == "b" else int(np.iinfo(dtype).max)


def random(tensor, bounds: tuple, to=None, generator=None):
    """Integers drawn uniformly from [from, to): PyTorch's ``random_()`` ([0, largest]),
    ``random_(to)``, ``random_(from, to)`` and ``random_(from, None)`` ([from, largest])."""
    dtype = tensor.data.dtype
    if len(bounds) > 2 or (to is not None and len(bounds) > 1):
        raise TypeError(f"random_: takes (to) or (from, to), got {len(bounds) + (to is not None)} arguments")
    if len(bounds) == 1 and to is None:
        low, high = 0, _integer("to", bounds[0])
    else:
        low = _integer("from", bounds[0]) if bounds else 0
        high = to if len(bounds) < 2 else bounds[1]
        high = _largest(dtype) + 1 if high is None else _integer("to", high)
    rng = numpy_generator(generator, "random_")
    if not low < high:
        raise ConfigError(f"random_: from must be below to (the range is [from, to)), got from={low}, to={high}")
    if dtype.kind != "f":
        least, most = (0, 1) if dtype.kind == "b" else (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        if low < least or high - 1 > most:
            raise ConfigError(f"random_: the range [{low}, {high}) reaches outside what {dtype} holds "
                              f"[{least}, {most}]")
        return fill(tensor, rng.integers(low, high, tensor.data.shape, dtype=dtype))
    return fill(tensor, rng.integers(low, high, tensor.data.shape, dtype=np.int64))
