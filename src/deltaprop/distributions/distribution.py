"""The shape of every distribution: parameters broadcast to a batch, draws from the library's
generator, and the checks PyTorch makes of parameters and values.

A distribution holds a batch of independent distributions of the same family (``batch_shape``),
each over events of ``event_shape``; ``sample(sample_shape)`` has shape
``sample_shape + batch_shape + event_shape`` and ``log_prob(value)`` the batch's shape, broadcast.
Every draw comes from ``deltaprop.default_generator``, so ``manual_seed`` repeats it.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from . import constraints
from ..errors import ConfigError, DataError, ShapeError
from ..grad_mode import enable_grad, no_grad
from ..ops.stacking import broadcast_tensors
from ..random import numpy_generator
from ..tensor import Tensor, get_default_dtype, tensor

_validate_by_default = True  # PyTorch's default is __debug__, True unless Python runs with -O


class lazy_property(cached_property):
    """A parameter derived from the given one (logits from probs, a Cholesky factor from a covariance),
    computed once and kept, always with gradients on: computed first inside ``no_grad`` (as ``sample``
    computes it), a plain cached_property would keep a value cut from the graph for good."""

    def __get__(self, instance, owner=None):
        with enable_grad():
            return super().__get__(instance, owner)


def validating(validate_args) -> bool:
    """Whether a distribution given ``validate_args`` (None: the default) checks its arguments."""
    return _validate_by_default if validate_args is None else bool(validate_args)


def broadcast_all(*values) -> tuple:
    """The parameters as tensors of one shape: numbers (and integer tensors) take the dtype of the
    first floating-point tensor among them, or the default dtype, as PyTorch's ``broadcast_all``."""
    floating = [v for v in values if isinstance(v, Tensor) and v.is_floating_point()]
    dtype = floating[0].dtype if floating else get_default_dtype()
    tensors = []
    for v in values:
        if not (isinstance(v, Tensor) and v.is_floating_point()):
            v = tensor(np.asarray(getattr(v, "data", v), dtype=dtype), dtype=dtype)
        tensors.append(v)
    return broadcast_tensors(*tensors)


def draw(method: str, shape: tuple, *arguments) -> np.ndarray:
    """``shape`` draws of ``numpy_generator().method(*arguments)``, in float64."""
    return getattr(numpy_generator(), method)(*arguments, size=shape)


def enumerated(values: np.ndarray, batch_shape: tuple, expand: bool, dtype) -> Tensor:
    """``values`` (the K points of a finite support, along the first dimension, each of the event's
    shape) laid along a new first dimension in front of the batch: of shape K + batch_shape + event
    when ``expand`` (an expanded view, as PyTorch's), else K + (1, ...) + event, one 1 per batch dimension."""
    values = np.asarray(values)
    event = values.shape[1:]
    result = tensor(values.reshape(values.shape[:1] + (1,) * len(batch_shape) + event).astype(dtype), dtype=dtype)
    return result.expand(values.shape[0], *batch_shape, *event) if expand else result


def as_value(value, dtype) -> Tensor:
    """``value`` as a tensor; numbers and integer tensors in ``dtype`` (a Tensor keeps its graph)."""
    if isinstance(value, Tensor) and value.is_floating_point():
        return value
    return tensor(np.asarray(getattr(value, "data", value)), dtype=dtype)


class Distribution:
    """The base of every distribution (PyTorch's ``torch.distributions.Distribution``)."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict = {}
    support = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Whether distributions made without ``validate_args`` check their parameters and values."""
        global _validate_by_default
        if value not in (True, False):
            raise ConfigError(f"set_default_validate_args: value must be True or False, got {value!r}")
        _validate_by_default = bool(value)

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = validating(validate_args)
        if self._validate_args:
            self._refuse_bad_parameters()

    def _refuse_bad_parameters(self) -> None:
        """Raise ConfigError naming the first parameter that breaks its constraint (a subclass that
        computes from its parameters before this base is set up calls it first)."""
        for name, constraint in self.arg_constraints.items():
            if name in self.__dict__:  # (of probs and logits, the one given)
                self._refuse_unless(constraint, getattr(self, name), f"{name} must be {constraint.words}")

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    @property
    def dtype(self):
        """The floating-point dtype of the parameters (and of the samples of continuous distributions)."""
        return self._dtype()

    def _dtype(self):
        return next(iter(self.__dict__[name] for name in self.arg_constraints if name in self.__dict__)).dtype

    def _extended_shape(self, sample_shape=()) -> tuple:
        if not isinstance(sample_shape, (tuple, list)) or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in sample_shape):
            raise ShapeError(f"{type(self).__name__}.sample: sample_shape must be a tuple of non-negative integers, "
                             f"got {sample_shape!r}")
        return tuple(int(n) for n in sample_shape) + self._batch_shape + self._event_shape

    def sample(self, sample_shape=()) -> Tensor:
        """Draws of shape ``sample_shape + batch_shape + event_shape``, outside the graph."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape=()) -> Tensor:
        """Reparametrised draws: a differentiable function of the parameters and of noise."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample (its draws cannot be reparametrised); "
                                  "use sample(), which carries no gradient")

    def log_prob(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define log_prob")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define entropy")

    def perplexity(self) -> Tensor:
        """e^entropy, one per element of the batch: the number of equally likely outcomes that would be
        as uncertain (for a density, the width of a uniform one), as PyTorch's."""
        return self.entropy().exp()

    def enumerate_support(self, expand=True) -> Tensor:
        """Every value of a finite support, along the first dimension: of shape (K,) + batch_shape +
        event_shape, or with the batch dimensions kept at 1 when ``expand`` is False (PyTorch's)."""
        raise NotImplementedError(f"{type(self).__name__} has no enumerate_support (its support is not a finite set)")

    def cdf(self, value) -> Tensor:
        """P(X ≤ value), one per element of the broadcast batch."""
        raise NotImplementedError(f"{type(self).__name__} does not define cdf")

    def icdf(self, value) -> Tensor:
        """The inverse of :meth:`cdf`: the x with P(X ≤ x) = value, for value in [0, 1]."""
        raise NotImplementedError(f"{type(self).__name__} does not define icdf")

    def expand(self, batch_shape):
        """The same distribution with its parameters broadcast to ``batch_shape`` (a view of each:
        gradients flow back to the originals); the checks of the parameters are not repeated."""
        new_shape = self._expanded_batch_shape(batch_shape)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        kept = len(self._batch_shape)
        for name, value in self.__dict__.items():
            if isinstance(value, Tensor):  # parameters and cached ones alike: batch_shape + their own tail
                new.__dict__[name] = value.expand(*new_shape, *value.shape[kept:])
        new._batch_shape = new_shape
        return new

    def _expanded_batch_shape(self, batch_shape) -> tuple:
        """``batch_shape`` as a tuple, refused unless the batch shape broadcasts to it."""
        name = type(self).__name__
        if not isinstance(batch_shape, (tuple, list)) or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in batch_shape):
            raise ShapeError(f"{name}.expand: batch_shape must be a tuple of non-negative integers, got {batch_shape!r}")
        new_shape = tuple(int(n) for n in batch_shape)
        old = self._batch_shape
        if len(new_shape) < len(old) or any(a != 1 and a != b for a, b in zip(old[::-1], new_shape[::-1])):
            raise ShapeError(f"{name}.expand: the batch shape {old} cannot be expanded to {new_shape} (each of its "
                             "dimensions must equal the new one's or be 1)")
        return new_shape

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define mean")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define variance")

    @property
    def mode(self) -> Tensor:
        """The most probable value (the density's or the mass function's peak), with PyTorch's choice
        where there is none or several (NaN, or one of them)."""
        raise NotImplementedError(f"{type(self).__name__} does not define mode")

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def _refuse_unless(self, constraint, x, what: str, error=ConfigError) -> None:
        """Raise ``error`` naming the first element of ``x`` that breaks ``constraint``."""
        array = np.asarray(getattr(x, "data", x))
        ok = constraint.check(array)  # (broader than x where the constraint's bounds are a batch of them)
        ok = np.broadcast_to(ok, np.broadcast_shapes(ok.shape, array.shape[:array.ndim - constraint.event_dim]))
        array = np.broadcast_to(array, ok.shape + array.shape[array.ndim - constraint.event_dim:])
        if not ok.all():
            first = tuple(int(i) for i in np.argwhere(~ok)[0])
            bad = array[first]
            shown = np.array2string(bad, precision=6) if np.ndim(bad) else f"{bad.item()!r}"
            raise error(f"{type(self).__name__}: {what}, got {shown}" + (f" at index {first}" if first else ""))

    def _checked(self, value) -> Tensor:
        """``value`` as a tensor in the parameters' dtype; when validating, refused unless its
        shape broadcasts with the batch and event shapes and every element lies in the support."""
        value = as_value(value, self.dtype)
        if not self._validate_args:
            return value
        shape, full = value.shape, self._batch_shape + self._event_shape
        n = len(self._event_shape)
        if n and tuple(shape[-n:]) != self._event_shape:
            raise ShapeError(f"{type(self).__name__}: the last dimensions of value {tuple(shape)} must be the event "
                             f"shape {self._event_shape}")
        try:
            np.broadcast_shapes(tuple(shape), full)
        except ValueError:
            raise ShapeError(f"{type(self).__name__}: value of shape {tuple(shape)} does not broadcast with the batch "
                             f"and event shape {full}") from None
        self._refuse_unless(self.support, value, f"value must lie in the support ({self.support.words})", DataError)
        return value

    def _checked_probability(self, value) -> Tensor:
        """``value`` as a tensor in the parameters' dtype; when validating, refused unless every
        element lies in [0, 1] (the argument of ``icdf``)."""
        value = as_value(value, self.dtype)
        if self._validate_args:
            self._refuse_unless(constraints.unit_interval, value, "the argument of icdf must be a probability in [0, 1]",
                                DataError)
        return value

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}: {tuple(self.__dict__[name].shape)}"
                          for name in self.arg_constraints if name in self.__dict__)
        return f"{type(self).__name__}({shown})"
