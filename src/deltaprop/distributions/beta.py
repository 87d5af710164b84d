"""The beta distribution on [0, 1]: a Dirichlet over two classes (x and 1 − x), with
``concentration1`` (α, the weight of x) and ``concentration0`` (β, the weight of 1 − x).

Draws are x = a/(a + b) with a ~ Gamma(α, 1) and b ~ Gamma(β, 1), and ``rsample`` differentiates
through that: each gamma draw by implicit reparametrisation (implicit_gamma.py), the ratio by the
chain rule. PyTorch's differentiates x along the beta distribution function instead; both gradients
are unbiased (their means over draws are the gradient of the expectation), but they differ draw by draw.
"""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all
from .exp_family import ExponentialFamily
from .gamma import kept_within
from .implicit_gamma import standard_gamma
from ..ops import digamma, lgamma, where, xlogy


def log_beta(a, b):
    """ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b)."""
    return lgamma(a) + lgamma(b) - lgamma(a + b)


class Beta(ExponentialFamily):
    """Density x^(α−1) (1 − x)^(β−1) / B(α, β) on [0, 1], one per element of the broadcast parameters."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        """The peak, (α − 1)/(α + β − 2), as the two-class Dirichlet's first element (see
        :attr:`Dirichlet.mode`): 1 where α and β are both below 1, NaN where neither exceeds 1 otherwise."""
        above1, above0 = (self.concentration1 - 1).clamp_min(0), (self.concentration0 - 1).clamp_min(0)
        both_below = (self.concentration1.data < 1) & (self.concentration0.data < 1)
        return where(both_below, 1.0, above1 / (above1 + above0))

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total * total * (total + 1))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        a, b = standard_gamma(self.concentration1, shape), standard_gamma(self.concentration0, shape)
        # kept within [tiny, 1 − ε], as PyTorch's
        return kept_within(a / (a + b), np.finfo(self.dtype).tiny, 1 - np.finfo(self.dtype).eps)

    def log_prob(self, value):
        x = self._checked(value)
        a, b = self.concentration1, self.concentration0
        return xlogy(a - 1, x) + xlogy(b - 1, 1 - x) - log_beta(a, b)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        return log_beta(a, b) - (a - 1) * digamma(a) - (b - 1) * digamma(b) + (a + b - 2) * digamma(a + b)
