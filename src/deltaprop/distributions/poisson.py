"""The Poisson distribution of ``rate`` λ ≥ 0 over the counts 0, 1, 2, ...

P(k) = λᵏ e^(−λ) / k!, so ln P(k) = k·ln λ − λ − ln Γ(k + 1), written with ``xlogy`` (so that λ = 0
scores k = 0 as ln 1 = 0, not NaN) and ``lgamma``; the value gets a gradient too (through the
continuous extension of k!). Mean and variance are both λ (Σ k·P(k) = λ·Σ P(k − 1), and likewise
E[k(k − 1)] = λ²). Draws are NumPy's Poisson sampler on the library's generator, as floating-point
numbers in the rate's dtype (as PyTorch's), below a rate of 1e12. From there on they are N(λ, λ) draws
rounded (+inf for λ = +inf), which lack only the Poisson's skewness 1/√λ ≤ 1e-6: NumPy's sampler (as
PyTorch's) spreads its counts too widely from about 1e14 (the standard deviation 0.3% too large there,
2% at 1e15, 19% at 1e16) and stops at about 9.2e18, int64's limit less ten standard deviations
(PyTorch's draws are −2⁶³ there). PyTorch defines no closed-form entropy; neither does this.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all
from .exp_family import ExponentialFamily
from ..ops import lgamma, xlogy
from ..ops.sampling import poisson_counts
from ..random import numpy_generator
from ..tensor import tensor


class Poisson(ExponentialFamily):
    """Counts k ≥ 0 with probability λᵏ e^(−λ) / k!, one distribution per element of ``rate``."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self):
        return self.rate

    @property
    def variance(self):
        return self.rate

    @property
    def mode(self):
        # P(k)/P(k − 1) = λ/k is at least 1 while k ≤ λ: the peak is at ⌊λ⌋ (and ⌊λ⌋ − 1 too, for a whole λ)
        return self.rate.floor()

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        rate = np.broadcast_to(np.asarray(self.rate.data, np.float64), shape)
        counts = poisson_counts(rate, numpy_generator())
        return tensor(counts.astype(self.dtype), dtype=self.dtype)

    def log_prob(self, value):
        k = self._checked(value)
        return xlogy(k, self.rate) - self.rate - lgamma(k + 1)
