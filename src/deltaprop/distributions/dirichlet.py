"""The Dirichlet distribution over the probability simplex of K classes (the last dimension of
``concentration``), drawn as K gamma draws divided by their sum; ``rsample`` differentiates through
that (each gamma by implicit reparametrisation, implicit_gamma.py), where PyTorch differentiates each
class's share along its beta distribution function: both unbiased, different draw by draw."""

from __future__ import annotations

import numpy as np

from . import constraints
from .distribution import broadcast_all
from .exp_family import ExponentialFamily
from .gamma import kept_within
from .implicit_gamma import standard_gamma
from ..errors import ShapeError
from ..ops import digamma, lgamma, where, xlogy
from ..tensor import tensor


class Dirichlet(ExponentialFamily):
    """Density Γ(α₀) / Π Γ(α_k) · Π x_k^(α_k − 1) on the simplex, α₀ = Σ α_k; the dimensions of
    ``concentration`` before the last are the batch."""

    arg_constraints = {"concentration": constraints.positive_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        (self.concentration,) = broadcast_all(concentration)
        if self.concentration.ndim < 1:
            raise ShapeError(f"Dirichlet: concentration must have at least one dimension (the classes), got shape "
                             f"{tuple(self.concentration.shape)}")
        super().__init__(self.concentration.shape[:-1], self.concentration.shape[-1:], validate_args)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        """The peak of the density, (α − 1)/(α₀ − K) with each α − 1 kept at 0 or above (a class of
        α ≤ 1 gets none: the density does not grow towards it). As PyTorch's: where every α < 1 the
        density is unbounded at each vertex and the first class's vertex is given; where no α exceeds 1
        (but not all are below it) the ratio is 0/0, NaN."""
        above = (self.concentration - 1).clamp_min(0)
        mode = above / above.sum(-1, keepdim=True)
        all_below = np.broadcast_to((self.concentration.data < 1).all(-1, keepdims=True), mode.shape)
        first = np.zeros(mode.shape)
        first[..., 0] = 1
        return where(all_below, tensor(first, dtype=self.dtype), mode)

    @property
    def variance(self):
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total * total * (total + 1))

    def rsample(self, sample_shape=()):
        z = standard_gamma(self.concentration, self._extended_shape(sample_shape))
        # kept within [tiny, 1 − ε], as PyTorch's
        return kept_within(z / z.sum(-1, keepdim=True), np.finfo(self.dtype).tiny, 1 - np.finfo(self.dtype).eps)

    def log_prob(self, value):
        x = self._checked(value)
        alpha = self.concentration
        return xlogy(alpha - 1, x).sum(-1) + lgamma(alpha.sum(-1)) - lgamma(alpha).sum(-1)

    def entropy(self):
        alpha = self.concentration
        total = alpha.sum(-1)
        k = self._event_shape[0]
        return (lgamma(alpha).sum(-1) - lgamma(total) + (total - k) * digamma(total)
                - ((alpha - 1) * digamma(alpha)).sum(-1))
