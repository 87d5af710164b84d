"""The continuous Bernoulli distribution on [0, 1] (Loaiza-Ganem and Cunningham, 2019): the density
C(λ)·λˣ(1 − λ)^(1−x), the Bernoulli's mass read as a density and normalised, for ``probs`` λ (kept
within [ε, 1 − ε], as PyTorch's) or ``logits``.

With r = ln(λ/(1 − λ)) the density is proportional to e^(rx), so every quantity is that of an
exponential tilt of the uniform: C(λ) = ln((1 − λ)/λ)/(1 − 2λ), the mean
λ/(2λ − 1) + 1/(ln(1 − λ) − ln λ), the variance λ(λ − 1)/(1 − 2λ)² + 1/(ln(1 − λ) − ln λ)², the
distribution function F(x) = (e^(rx) − 1)/(e^r − 1) = (λˣ(1 − λ)^(1−x) + λ − 1)/(2λ − 1) and its inverse
(ln(1 − λ + p(2λ − 1)) − ln(1 − λ))/(ln λ − ln(1 − λ)). Each is 0/0 at λ = ½ (the uniform), so within
``lims`` (0.499, 0.501 by default, as PyTorch's) they are Taylor series in d = λ − ½ from
ln Z(r) = r/2 + ln(sinh(r/2)/(r/2)) with r = 4d + 16d³/3 + …: ln C ≈ ln 2 + 4d²/3 + 104d⁴/45, the mean
½ + d/3 + 16d³/45, the variance 1/12 − d²/15 − 128d⁴/945, F(x) ≈ x and F⁻¹(p) ≈ p (λ is replaced by
lims[0] there in the exact formulas, whose values are then unused, so that no gradient is NaN). Every
formula is computed in float64 (and the result returned in the parameters' dtype): in float32 the
exact ones cancel near ½ (PyTorch's float32 variance is 80% off at λ = 0.502, 1% at 0.51).
The entropy is −ln C − ln(1 − λ) − mean·r. ``rsample`` is F⁻¹ of a uniform draw.
"""

from __future__ import annotations

import math

import numpy as np

from . import constraints
from .bernoulli import SuccessProbability, clamp_probabilities, probabilities_or_logits
from .distribution import broadcast_all, draw, lazy_property, validating
from .exp_family import ExponentialFamily
from ..ops import binary_cross_entropy_with_logits, sigmoid, where
from ..ops.stacking import broadcast_tensors
from ..tensor import tensor

_LOG_TWO = math.log(2)


class ContinuousBernoulli(SuccessProbability, ExponentialFamily):
    """Density C(λ)·λˣ(1 − λ)^(1−x) on [0, 1], one per element of ``probs`` or ``logits``."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        name, given = probabilities_or_logits("ContinuousBernoulli", probs, logits)
        (given,) = broadcast_all(given)
        if name == "probs" and validating(validate_args):  # (before the clamp, which PyTorch's checks after)
            self._refuse_unless(constraints.unit_interval, given, f"probs must be {constraints.unit_interval.words}")
        self.__dict__[name] = clamp_probabilities(given) if name == "probs" else given
        self._lims = tuple(float(v) for v in lims)
        super().__init__(given.shape, (), validate_args)

    @lazy_property
    def probs(self):
        return clamp_probabilities(sigmoid(self.logits))

    def _outside(self) -> np.ndarray:
        p = self.probs.data
        return (p <= self._lims[0]) | (p > self._lims[1])  # (PyTorch's boundaries: lims[0] itself is outside)

    def _wide(self):
        """λ in float64 (the exact formulas cancel near ½: in float32 they would keep few digits), and
        λ with lims[0] where the Taylor series replace them."""
        p = self.probs.to(np.float64)
        return p, where(self._outside(), p, self._lims[0])

    def _log_normaliser(self):
        p, cut = self._wide()
        exact = ((-cut).log1p() - cut.log()).abs().log() - (1 - 2 * cut).abs().log()
        d2 = (p - 0.5).pow(2)
        return where(self._outside(), exact, _LOG_TWO + (4 / 3 + 104 / 45 * d2) * d2)

    def _mean(self):
        p, cut = self._wide()
        exact = cut / (2 * cut - 1) + 1 / ((-cut).log1p() - cut.log())
        d = p - 0.5
        return where(self._outside(), exact, 0.5 + (1 / 3 + 16 / 45 * d * d) * d)

    @property
    def mean(self):
        return self._mean().to(self.dtype)

    @property
    def variance(self):
        p, cut = self._wide()
        exact = cut * (cut - 1) / (1 - 2 * cut).pow(2) + 1 / ((-cut).log1p() - cut.log()).pow(2)
        d2 = (p - 0.5).pow(2)
        return where(self._outside(), exact, 1 / 12 - (1 / 15 + 128 / 945 * d2) * d2).to(self.dtype)

    def log_prob(self, value):
        logits, x = broadcast_tensors(self.logits, self._checked(value))
        return (-binary_cross_entropy_with_logits(logits, x, reduction="none")
                + self._log_normaliser().to(self.dtype))

    def cdf(self, value):
        x = self._checked(value)
        wide = x.to(np.float64)
        _, cut = self._wide()
        exact = (cut.pow(wide) * (1 - cut).pow(1 - wide) + cut - 1) / (2 * cut - 1)
        inside = where(self._outside(), exact, wide)
        return where(x.data <= 0, 0.0, where(x.data >= 1, 1.0, inside)).to(self.dtype)

    def _quantile(self, u):
        wide = u.to(np.float64)
        _, cut = self._wide()
        exact = ((-cut + wide * (2 * cut - 1)).log1p() - (-cut).log1p()) / (cut.log() - (-cut).log1p())
        return where(self._outside(), exact, wide).to(self.dtype)

    def icdf(self, value):
        return self._quantile(self._checked_probability(value))

    def rsample(self, sample_shape=()):
        return self._quantile(tensor(draw("random", self._extended_shape(sample_shape)), dtype=self.dtype))

    def entropy(self):
        p, _ = self._wide()
        log0, log1 = (-p).log1p(), p.log()
        return (self._mean() * (log0 - log1) - self._log_normaliser() - log0).to(self.dtype)
