"""The relaxed one-hot categorical (Concrete) distribution, a continuous stand-in on the simplex for
a one-hot categorical draw whose reparametrised samples carry gradients (Maddison et al. and Jang et
al., 2017).

``ExpRelaxedCategorical`` draws the logarithm of the relaxed vector: with Gumbel noise gₖ = −ln(−ln uₖ)
and sₖ = (logitsₖ + gₖ)/τ, x = s − logsumexp(s) (the "Gumbel-softmax" at ``temperature`` τ, in log
space). Its density over the K − 1 free coordinates, with πₖ the class probabilities, is
ln p(x) = ln Γ(K) + (K − 1) ln τ + Σₖ (ln πₖ − τxₖ) − K·logsumexp(ln π − τx).
``RelaxedOneHotCategorical`` is its exponential, a TransformedDistribution through ExpTransform:
as τ → 0 the draws approach one-hot vectors with the categorical's probabilities.
"""

from __future__ import annotations

import math

from . import constraints
from .categorical import OverClasses
from .relaxed_bernoulli import RelaxedParameters, log_of, uniform_draws
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform


class ExpRelaxedCategorical(OverClasses):
    """The logarithm of a relaxed one-hot draw over the K classes of ``probs`` or ``logits`` (last
    dimension), at ``temperature`` τ."""

    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        super().__init__(probs, logits, validate_args)

    def expand(self, batch_shape):
        new = super().expand(batch_shape)
        new.temperature = self.temperature  # (one temperature for all, as given: it scales whole events)
        return new

    def rsample(self, sample_shape=()):
        u = uniform_draws(self._extended_shape(sample_shape), self.dtype)
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value):
        k = self._event_shape[0]
        score = self.logits - self._checked(value) * self.temperature
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + math.lgamma(k) + (k - 1) * log_of(self.temperature)


class RelaxedOneHotCategorical(RelaxedParameters, TransformedDistribution):
    """e^x of an :class:`ExpRelaxedCategorical` draw: points of the simplex, reparametrised."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        # (the categorical inside checks probs or logits, once normalised)
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args)
