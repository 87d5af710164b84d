"""The geometric distribution: the number k = 0, 1, 2, ... of failures before the first success of
Bernoulli trials that succeed with probability p (``probs``, in (0, 1]) or σ(``logits``).

P(k) = (1 − p)ᵏ·p, so ln P(k) = k·ln(1 − p) + ln p, the first term by ``xlog1py`` (0 at k = 0 even
when p = 1, where p is taken as 0 in that term so that its slope k/(1 − p) is not 0/0, as PyTorch's).
The mean Σ k (1 − p)ᵏ p = (1 − p)/p = 1/p − 1 and the variance (1 − p)/p²; the entropy
−E[ln P(k)] = −ln p − (1 − p)/p·ln(1 − p) = (−p ln p − (1 − p) ln(1 − p))/p, the Bernoulli
entropy divided by p (written, as there, with the binary cross-entropy of the logits). Draws invert
the distribution function: P(K ≥ k) = (1 − p)ᵏ = P(E ≥ −k·ln(1 − p)) for E ~ Exp(1), so
K = ⌊E / −ln(1 − p)⌋, exact down to p = 0 (+inf, no success ever, as PyTorch's), where NumPy's
geometric sampler refuses p = 0 and stops at the int64 limit below p ≈ 1e-18.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .bernoulli import SuccessProbability, probabilities_or_logits
from .distribution import Distribution, broadcast_all, draw
from ..ops import binary_cross_entropy_with_logits, where
from ..ops.special_functions import xlog1py
from ..ops.stacking import broadcast_tensors
from ..tensor import tensor

_success_probability = constraints.Constraint("in (0, 1]", lambda x: (x > 0) & (x <= 1))


class Geometric(SuccessProbability, Distribution):
    """Failures before the first success, one distribution per element of ``probs`` or ``logits``."""

    arg_constraints = {"probs": _success_probability, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        name, given = probabilities_or_logits("Geometric", probs, logits)
        (self.__dict__[name],) = broadcast_all(given)
        super().__init__(self.__dict__[name].shape, (), validate_args)

    @property
    def mean(self):
        return 1 / self.probs - 1

    @property
    def mode(self):
        # P(k) = (1 − p)ᵏ·p falls with k: 0 is the most probable count (a constant, as PyTorch's zeros_like)
        return tensor(np.zeros(self._batch_shape), dtype=self.dtype)

    @property
    def variance(self):
        return (1 / self.probs - 1) / self.probs

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(np.asarray(self.probs.data, np.float64), shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            failures = np.floor(draw("standard_exponential", shape) / -np.log1p(-p))
        return tensor(np.where(p == 0, np.inf, failures).astype(self.dtype), dtype=self.dtype)

    def log_prob(self, value):
        k, p = broadcast_tensors(self._checked(value), self.probs)
        # k·ln(1 − p) is 0 at k = 0 whatever p, but xlog1py's slope in p there is k/(1 − p) = 0/0 at p = 1
        p = where((k.data == 0) & (p.data == 1), 0.0, p)
        return xlog1py(k, -p) + self.probs.log()

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
