"""The log-normal distribution: e^Y for Y ~ N(``loc``, ``scale``²), reparametrised as
e^(loc + scale·ε): as PyTorch's, a TransformedDistribution of that normal through ExpTransform
(``base_dist``, ``transforms``), with the closed forms below in place of the general ones.

Changing variables x = e^y divides the normal density by dx/dy = x: ln p(x) = ln N(ln x; loc, scale²)
− ln x. The moments are E[xⁿ] = E[e^(nY)] = e^(n·loc + n²scale²/2) (the normal's moment generating
function), so the mean is e^(loc + scale²/2) and the variance E[x²] − E[x]² = (e^(scale²) − 1)·e^(2loc + scale²).
The entropy is the normal's plus E[Y] = loc. The distribution function is Φ((ln x − loc)/scale)
(x ≤ t exactly when ln x ≤ ln t), and its inverse e^(loc + scale·Φ⁻¹(p)).
"""

from __future__ import annotations

from . import constraints
from .distribution import broadcast_all
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform


class LogNormal(TransformedDistribution):
    """Density e^(−(ln x − loc)²/(2·scale²)) / (x·scale·√(2π)) on x > 0, one per element of the
    broadcast parameters (``loc`` and ``scale`` are those of ln x)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(Normal(self.loc, self.scale, validate_args=False), ExpTransform(), validate_args)

    @property
    def _normal(self):
        return self.base_dist

    @property
    def mean(self):
        return (self.loc + 0.5 * self.scale * self.scale).exp()

    @property
    def variance(self):
        s2 = self.scale * self.scale
        return s2.expm1() * (2 * self.loc + s2).exp()

    @property
    def mode(self):
        # ln p(x) = −(ln x − loc)²/(2·scale²) − ln x − ..., whose slope (−(ln x − loc)/scale² − 1)/x is 0
        # at ln x = loc − scale²
        return (self.loc - self.scale * self.scale).exp()

    def rsample(self, sample_shape=()):
        return self._normal.rsample(sample_shape).exp()

    def log_prob(self, value):
        log_x = self._checked(value).log()
        return self._normal.log_prob(log_x) - log_x

    def entropy(self):
        return self._normal.entropy() + self.loc

    def cdf(self, value):
        return self._normal.cdf(self._checked(value).log())

    def icdf(self, value):
        return self._normal.icdf(self._checked_probability(value)).exp()
