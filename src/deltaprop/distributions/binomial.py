"""The binomial distribution: the number k of successes in n (``total_count``) independent trials
that each succeed with probability p (``probs``) or σ(``logits``).

P(k) = C(n, k)·pᵏ(1 − p)ⁿ⁻ᵏ. With ℓ the logit, ln p − ln(1 − p) = ℓ and ln(1 − p) = −softplus(ℓ), so
ln P(k) = ln Γ(n + 1) − ln Γ(k + 1) − ln Γ(n − k + 1) + k·ℓ − n·softplus(ℓ), finite for every ℓ.
The mean is n·p and the variance n·p·(1 − p) (a sum of n independent Bernoulli trials). The entropy
has no closed form: it is the sum −Σ P(k)·ln P(k) over k = 0 … n, computed over 0 … max(n) with the
terms past each element's own n left out (PyTorch refuses a batch of different total counts).
Draws are NumPy's binomial sampler on the library's generator, in the parameters' dtype.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .bernoulli import SuccessProbability, probabilities_or_logits
from .distribution import Distribution, broadcast_all, draw, enumerated
from ..ops import lgamma, softplus, where
from ..tensor import tensor


class Binomial(SuccessProbability, Distribution):
    """Successes in ``total_count`` trials (default 1), each with probability ``probs`` or
    σ(``logits``); the batch is the broadcast of ``total_count`` with the one given."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        name, given = probabilities_or_logits("Binomial", probs, logits)
        given, self.total_count = broadcast_all(given, total_count)  # (the dtype is the probabilities')
        self.__dict__[name] = given
        super().__init__(given.shape, (), validate_args)

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count.data, "a whole number from 0 to total_count")

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @property
    def mode(self):
        # P(k)/P(k − 1) = (n − k + 1)p / (k(1 − p)) is at least 1 while k ≤ (n + 1)p: the peak is at
        # ⌊(n + 1)p⌋, kept at most n (p = 1)
        return ((self.total_count + 1) * self.probs).floor().clip(max=self.total_count)

    def enumerate_support(self, expand=True):
        """The counts 0 … n, in the parameters' dtype: shape (n + 1,) + batch_shape (expanded) or
        (n + 1, 1, ...). As PyTorch's, only for one total_count n across the batch."""
        n = np.asarray(self.total_count.data)
        if n.size and n.min() != n.max():
            raise NotImplementedError(f"Binomial: enumerate_support needs one total_count for the whole batch, as in "
                                      f"PyTorch, got counts from {n.min():g} to {n.max():g}")
        return enumerated(np.arange(int(n.max()) + 1 if n.size else 1), self._batch_shape, expand, self.dtype)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        n = np.broadcast_to(np.asarray(self.total_count.data).astype(np.int64), shape)
        p = np.broadcast_to(np.asarray(self.probs.data, np.float64), shape)
        return tensor(draw("binomial", shape, n, p).astype(self.dtype), dtype=self.dtype)

    def _log_prob(self, k):
        n = self.total_count
        return (lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
                + k * self.logits - n * softplus(self.logits))

    def log_prob(self, value):
        return self._log_prob(self._checked(value))

    def entropy(self):
        n = np.asarray(self.total_count.data)
        top = int(n.max()) if n.size else 0
        k = np.arange(top + 1, dtype=np.float64).reshape((-1,) + (1,) * n.ndim)
        beyond = k > n
        # each k past its n is scored at n (a finite, unused term), so that no gradient meets a pole of lgamma
        log_p = self._log_prob(tensor(np.minimum(k, n), dtype=self.dtype))
        return -where(beyond, 0.0, log_p.exp() * log_p).sum(0)
