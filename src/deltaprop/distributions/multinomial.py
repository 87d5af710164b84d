"""The multinomial distribution: the counts of each of K classes in ``total_count`` n independent
categorical draws with ``probs`` or ``logits`` along the last dimension (as PyTorch's, n is one
whole number for the whole batch).

P(x) = n!/(x₁!⋯x_K!) · Π p_k^(x_k), so ln P(x) = ln Γ(Σx + 1) − Σ ln Γ(x_k + 1) + Σ x_k ln p_k (a class
of probability 0 counted 0 times adds nothing). Each count is Binomial(n, p_k): the mean n·p, the
variance n·p(1 − p). The entropy −E[ln P(x)] = n·H(p) − ln n! + Σ_k E[ln x_k!], the last from each
count's binomial probabilities of 1 … n. Draws are NumPy's multinomial sampler on the library's
generator, as floating-point counts in the probabilities' dtype.
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .binomial import Binomial
from .categorical import OverClasses
from .distribution import draw
from ..errors import ConfigError
from ..ops import lgamma, where
from ..tensor import tensor


class Multinomial(OverClasses):
    """Counts of K classes summing to ``total_count``, one distribution per row of ``probs`` or ``logits``."""

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if isinstance(total_count, bool) or not isinstance(total_count, (int, np.integer)):
            raise NotImplementedError(f"Multinomial: total_count must be one whole number for the whole batch (as in "
                                      f"PyTorch), got {total_count!r}")
        if total_count < 0:
            raise ConfigError(f"Multinomial: total_count must be at least 0, got {total_count}")
        self.total_count = int(total_count)
        super().__init__(probs, logits, validate_args)

    @property
    def support(self):
        n = self.total_count
        support = constraints.EventConstraint(
            f"whole numbers at least 0 summing to total_count ({n}) along the last dimension",
            lambda x: np.all((x % 1 == 0) & (x >= 0), axis=-1) & (x.sum(-1) == n))
        support.is_discrete = True
        return support

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)[:-1]
        p = np.asarray(self.probs.data, np.float64)
        p = np.broadcast_to(p / p.sum(-1, keepdims=True), shape + p.shape[-1:])
        return tensor(draw("multinomial", shape, self.total_count, p).astype(self.dtype), dtype=self.dtype)

    def log_prob(self, value):
        x = self._checked(value)
        logits = self.logits
        # a class of probability 0 (logit −inf) that is not drawn adds 0, not 0·(−inf)
        unused = (x.data == 0) & np.isneginf(logits.data)
        logits = where(unused, 0.0, logits)
        return lgamma(x.sum(-1) + 1) - lgamma(x + 1).sum(-1) + (logits * x).sum(-1)

    def entropy(self):
        n = self.total_count
        counts = np.arange(1, n + 1, dtype=np.float64).reshape((-1,) + (1,) * (len(self._batch_shape) + 1))
        each = Binomial(n, self.probs, validate_args=False)
        weights = tensor(np.asarray([math.lgamma(k + 1) for k in range(1, n + 1)]).reshape(counts.shape),
                         dtype=self.dtype)
        expected = (each.log_prob(tensor(counts, dtype=self.dtype)).exp() * weights).sum(0).sum(-1) if n else 0.0
        return n * self._categorical.entropy() - math.lgamma(n + 1) + expected
