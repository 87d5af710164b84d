"""The negative binomial distribution: the number k of successes before the r-th failure (r =
``total_count``, any number ≥ 0) of trials that succeed with probability p (``probs``, in [0, 1)) or
σ(``logits``).

P(k) = Γ(r + k)/(Γ(r)·k!) · pᵏ(1 − p)ʳ, so ln P(k) = r·ln σ(−logit) + k·ln σ(logit) + ln Γ(r + k) −
ln Γ(k + 1) − ln Γ(r), with the Γ terms taken as 0 where r + k = 0 (r = 0 puts everything on k = 0).
The mean is r·p/(1 − p) = r·e^logit, the variance the mean/(1 − p), the mode ⌊(r − 1)·p/(1 − p)⌋ (0 at
least), as PyTorch's. Draws are Poisson draws of a Gamma(r, (1 − p)/p) rate (the distribution's
definition as a mixture), on the library's generator, in the parameters' dtype.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .bernoulli import SuccessProbability, probabilities_or_logits
from .distribution import Distribution, broadcast_all, draw
from ..ops import lgamma, logsigmoid, where
from ..ops.sampling import poisson_counts
from ..random import numpy_generator
from ..tensor import tensor


class NegativeBinomial(SuccessProbability, Distribution):
    """Successes before ``total_count`` failures, one distribution per element of the broadcast parameters."""

    arg_constraints = {"total_count": constraints.nonnegative, "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        name, given = probabilities_or_logits("NegativeBinomial", probs, logits)
        given, self.total_count = broadcast_all(given, total_count)  # (the dtype is the probabilities')
        self.__dict__[name] = given
        super().__init__(given.shape, (), validate_args)

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp_min(0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()  # (1 − p = σ(−logit))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        r = np.broadcast_to(np.asarray(self.total_count.data, np.float64), shape)
        odds = np.broadcast_to(np.exp(np.asarray(self.logits.data, np.float64)), shape)
        rate = draw("gamma", shape, r, odds)  # (a Gamma(0) draw is 0: r = 0 gives 0 successes)
        return tensor(poisson_counts(rate, numpy_generator()).astype(self.dtype), dtype=self.dtype)

    def log_prob(self, value):
        k = self._checked(value)
        r = self.total_count
        unnormalised = r * logsigmoid(-self.logits) + k * logsigmoid(self.logits)
        empty = (r.data + k.data) == 0
        rk = where(empty, 1.0, r + k)  # (no pole of lgamma in the gradient where the terms are dropped)
        counting = where(empty, 0.0, lgamma(rk) - lgamma(k + 1) - lgamma(where(empty, 1.0, r)))
        return unnormalised + counting

