"""The Bernoulli distribution: 1 with probability ``probs`` (or σ(``logits``)), else 0."""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all, draw, enumerated, lazy_property
from .exp_family import ExponentialFamily
from ..errors import ConfigError
from ..ops import binary_cross_entropy_with_logits, sigmoid
from ..ops.stacking import broadcast_tensors
from ..tensor import tensor


def probabilities_or_logits(owner: str, probs, logits):
    """Whichever of the two was given; refused unless exactly one was."""
    if (probs is None) == (logits is None):
        raise ConfigError(f"{owner}: give exactly one of probs and logits, got "
                          f"{'neither' if probs is None else 'both'}")
    return ("probs", probs) if logits is None else ("logits", logits)


def clamp_probabilities(p):
    """p kept within [ε, 1 − ε] (ε the dtype's machine epsilon), so that its logit is finite."""
    eps = float(np.finfo(p.dtype).eps)
    return p.clip(eps, 1 - eps)


class SuccessProbability:
    """``probs`` and ``logits`` (log-odds) of one success probability per element, each derived
    from the other when first asked for (a distribution is given one of them): p = σ(logit),
    logit = ln p − ln(1 − p) with p kept off 0 and 1. Shared by Bernoulli, Geometric and Binomial."""

    @lazy_property
    def probs(self):
        return sigmoid(self.logits)

    @lazy_property
    def logits(self):
        p = clamp_probabilities(self.probs)
        return p.log() - (-p).log1p()


class Bernoulli(SuccessProbability, ExponentialFamily):
    """Values 0 and 1, one distribution per element of ``probs`` or ``logits`` (log-odds)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        name, given = probabilities_or_logits("Bernoulli", probs, logits)
        (self.__dict__[name],) = broadcast_all(given)
        super().__init__(self.__dict__[name].shape, (), validate_args)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        # 1 where p > ½, 0 where p < ½, NaN where both are equally likely (no gradient, as PyTorch's)
        p = np.asarray(self.probs.data)
        return tensor(np.where(p == 0.5, np.nan, p > 0.5), dtype=self.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def enumerate_support(self, expand=True):
        """0 and 1, in the parameters' dtype: shape (2,) + batch_shape (expanded) or (2, 1, ...)."""
        return enumerated(np.arange(2), self._batch_shape, expand, self.dtype)

    def sample(self, sample_shape=()):
        u = draw("random", self._extended_shape(sample_shape))
        return tensor(u < self.probs.data, dtype=self.dtype)

    def log_prob(self, value):
        logits, x = broadcast_tensors(self.logits, self._checked(value))
        return -binary_cross_entropy_with_logits(logits, x, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
