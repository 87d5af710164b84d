"""The relaxed Bernoulli (binary Concrete) distribution, a continuous stand-in on (0, 1) for a
Bernoulli draw whose reparametrised samples carry gradients (Maddison et al. and Jang et al., 2017).

``LogitRelaxedBernoulli`` draws its logit: (logits + ln u − ln(1 − u)) / τ for u uniform, the
Bernoulli's logit plus logistic noise, divided by the ``temperature`` τ. Its density follows from
the logistic's: with d = logits − τx, ln p(x) = ln τ + d − 2·softplus(d). ``RelaxedBernoulli`` is its
sigmoid, a TransformedDistribution through SigmoidTransform: as τ → 0 the draws approach 0 and 1
with the Bernoulli's probabilities.
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .bernoulli import SuccessProbability, probabilities_or_logits
from .distribution import Distribution, broadcast_all, draw, validating
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from ..ops import softplus
from ..tensor import Tensor, tensor


def log_of(temperature):
    return temperature.log() if isinstance(temperature, Tensor) else math.log(temperature)


def uniform_draws(shape: tuple, dtype) -> Tensor:
    """Uniform draws kept within [ε, 1 − ε] of ``dtype`` (so that their logarithms and ln(1 − u) are finite)."""
    eps = float(np.finfo(dtype).eps)
    return tensor(np.clip(draw("random", shape), eps, 1 - eps), dtype=dtype)


class LogitRelaxedBernoulli(SuccessProbability, Distribution):
    """The logit of a relaxed Bernoulli draw: (logits + logistic noise) / ``temperature``."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        name, given = probabilities_or_logits(type(self).__name__, probs, logits)
        (self.__dict__[name],) = broadcast_all(given)
        self.temperature = temperature
        super().__init__(self.__dict__[name].shape, (), validate_args)

    def expand(self, batch_shape):
        new = super().expand(batch_shape)
        new.temperature = self.temperature  # (as given: it broadcasts with the batch)
        return new

    def rsample(self, sample_shape=()):
        u = uniform_draws(self._extended_shape(sample_shape), self.dtype)
        return (self.logits + u.log() - (-u).log1p()) / self.temperature

    def log_prob(self, value):
        d = self.logits - self._checked(value) * self.temperature
        return log_of(self.temperature) + d - 2 * softplus(d)


class RelaxedParameters:
    """A relaxed distribution's ``temperature``, ``probs`` and ``logits``: those of its base."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def probs(self):
        return self.base_dist.probs

    @property
    def logits(self):
        return self.base_dist.logits


class RelaxedBernoulli(RelaxedParameters, TransformedDistribution):
    """σ of a :class:`LogitRelaxedBernoulli` draw: values in (0, 1), reparametrised, one per element
    of ``probs`` or ``logits``, at ``temperature`` τ (a positive number or tensor)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        name, given = probabilities_or_logits(type(self).__name__, probs, logits)
        if validating(validate_args):
            self._refuse_unless(self.arg_constraints[name], given, f"{name} must be {self.arg_constraints[name].words}")
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=False)
        super().__init__(base, SigmoidTransform(), validate_args)
