"""A mixture of k distributions of one family (PyTorch's ``MixtureSameFamily``): the last batch
dimension of ``component_distribution`` lists the k components, and ``mixture_distribution`` (a
Categorical over k) their weights πⱼ.

p(x) = Σⱼ πⱼ pⱼ(x), so ln p(x) = logsumexp over j of (ln πⱼ + ln pⱼ(x)); F(x) = Σⱼ πⱼ Fⱼ(x). The mean is
Σⱼ πⱼ μⱼ and the variance, by the law of total variance, Σⱼ πⱼ σⱼ² + Σⱼ πⱼ (μⱼ − μ)². A draw picks a
component by the weights and takes that component's draw (no ``rsample``: the pick is discrete).
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .categorical import Categorical
from .distribution import Distribution
from ..errors import ConfigError, ShapeError
from ..ops import log_softmax
from ..tensor import tensor


class _InSomeComponent(constraints.Constraint):
    """A value lies in the mixture's support when it lies in some component's."""

    def __init__(self, base: constraints.Constraint):
        super().__init__(f"{base.words} (of some component)", None)
        self.base = base
        self.event_dim = base.event_dim

    def check(self, x):
        if not isinstance(x, np.ndarray) and hasattr(x, "requires_grad"):
            return super().check(x)
        x = np.asarray(x)
        return np.any(self.base.check(np.expand_dims(x, x.ndim - self.event_dim - 1)), axis=-1)


class MixtureSameFamily(Distribution):
    """A weighted mixture of the components along the last batch dimension of ``component_distribution``."""

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ConfigError(f"MixtureSameFamily: mixture_distribution must be a Categorical, got "
                              f"{mixture_distribution!r}")
        if not isinstance(component_distribution, Distribution):
            raise ConfigError(f"MixtureSameFamily: component_distribution must be a Distribution, got "
                              f"{component_distribution!r}")
        batch = component_distribution.batch_shape
        if not batch:
            raise ShapeError("MixtureSameFamily: component_distribution needs a batch dimension (the last lists the "
                             "components), got batch shape ()")
        mixture_batch, outer = mixture_distribution.batch_shape, batch[:-1]
        if any(a != 1 and b != 1 and a != b for a, b in zip(mixture_batch[::-1], outer[::-1])):
            raise ShapeError(f"MixtureSameFamily: the mixture's batch shape {mixture_batch} does not match the "
                             f"components' {outer} (their batch shape less the last dimension)")
        k = mixture_distribution._num_events
        if k != batch[-1]:
            raise ShapeError(f"MixtureSameFamily: the mixture weighs {k} components but component_distribution has "
                             f"{batch[-1]} (its last batch dimension)")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(outer, component_distribution.event_shape, validate_args)

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    def _dtype(self):
        return self._component_distribution.dtype

    @property
    def support(self):
        return _InSomeComponent(self._component_distribution.support)

    def expand(self, batch_shape):
        new_shape = self._expanded_batch_shape(batch_shape)
        k = self._mixture_distribution._num_events
        return MixtureSameFamily(self._mixture_distribution.expand(new_shape),
                                 self._component_distribution.expand(new_shape + (k,)), self._validate_args)

    def _weights(self):
        """The probabilities πⱼ, with a trailing 1 for each event dimension (to weigh the components')."""
        probs = self._mixture_distribution.probs
        return probs.reshape(*probs.shape, *(1,) * self._event_ndims)

    def _per_component(self, x):
        """x with a dimension for the components before its event dimensions."""
        return x.unsqueeze(-1 - self._event_ndims)

    @property
    def mean(self):
        return (self._weights() * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self):
        weights, axis = self._weights(), -1 - self._event_ndims
        means = self._component_distribution.mean
        within = (weights * self._component_distribution.variance).sum(axis)
        spread = means - self.mean.unsqueeze(axis)
        return within + (weights * spread * spread).sum(axis)

    def cdf(self, value):
        x = self._checked(value)
        return (self._component_distribution.cdf(self._per_component(x)) * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, value):
        x = self._checked(value)
        scores = self._component_distribution.log_prob(self._per_component(x))
        return (scores + log_softmax(self._mixture_distribution.logits, -1)).logsumexp(-1)

    def sample(self, sample_shape=()):
        mixture = self._mixture_distribution
        if mixture.batch_shape != self._batch_shape:  # (a broadcast mixture: one pick per element of the batch)
            mixture = mixture.expand(self._batch_shape)
        picks = mixture.sample(sample_shape).data  # sample_shape + batch
        draws = self._component_distribution.sample(sample_shape)  # sample_shape + batch + (k,) + event
        axis = draws.ndim - self._event_ndims - 1
        index = np.broadcast_to(picks.reshape(picks.shape + (1,) * (self._event_ndims + 1)),
                                draws.shape[:axis] + (1,) + tuple(draws.shape[axis + 1:]))
        chosen = np.take_along_axis(draws.data, index, axis=axis)
        return tensor(np.squeeze(chosen, axis=axis), dtype=draws.dtype)

    def __repr__(self) -> str:
        return f"MixtureSameFamily({self._mixture_distribution!r}, {self._component_distribution!r})"
