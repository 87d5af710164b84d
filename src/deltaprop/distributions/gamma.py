"""The gamma distribution of shape α (``concentration``) and rate β, drawn by NumPy's gamma sampler
through the library's generator.

PyTorch's Gamma, Beta and Dirichlet have ``rsample`` by implicit reparametrisation (the gradient of
a draw from the derivative of the distribution function with respect to α); deltaprop does not yet,
so here ``rsample`` is refused in one sentence and ``sample`` carries no gradient.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import Distribution, broadcast_all, draw
from ..ops import digamma, lgamma, xlogy
from ..tensor import tensor


def refuse_rsample(owner: str):
    raise NotImplementedError(f"{owner} has no rsample in deltaprop (PyTorch reparametrises its draws implicitly); "
                              "use sample(), which carries no gradient")


def gamma_draws(concentration: np.ndarray, shape: tuple) -> np.ndarray:
    """Draws of Gamma(concentration, 1) of ``shape`` (the concentration broadcast to it), in float64."""
    return draw("standard_gamma", shape, np.broadcast_to(np.asarray(concentration, np.float64), shape))


class Gamma(Distribution):
    """Density β^α x^(α−1) e^(−βx) / Γ(α) on x ≥ 0, one per element of the broadcast parameters."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        # the slope of ln p, (α − 1)/x − β, is 0 at (α − 1)/β; for α ≤ 1 the density peaks at 0
        return ((self.concentration - 1) / self.rate).clamp_min(0)

    @property
    def variance(self):
        return self.concentration / (self.rate * self.rate)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = gamma_draws(self.concentration.data, shape) / np.asarray(self.rate.data, np.float64)
        # kept at or above the dtype's smallest normal number, as PyTorch keeps them: a draw of 0
        # would score −inf (+inf for α < 1)
        return tensor(np.maximum(x.astype(self.dtype), np.finfo(self.dtype).tiny), dtype=self.dtype)

    def rsample(self, sample_shape=()):
        refuse_rsample("Gamma")

    def log_prob(self, value):
        x = self._checked(value)
        # (α − 1)·ln x by xlogy, so that α = 1 scores x = 0 as the density β, not NaN
        alpha = self.concentration
        return alpha * self.rate.log() + xlogy(alpha - 1, x) - self.rate * x - lgamma(alpha)

    def entropy(self):
        alpha = self.concentration
        return alpha - self.rate.log() + lgamma(alpha) + (1 - alpha) * digamma(alpha)
