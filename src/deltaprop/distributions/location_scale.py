"""What the location-scale families (Normal, Laplace) share: parameters ``loc`` (any real) and
``scale`` (positive), broadcast together; the support is the whole line; the mean and the mode
are ``loc`` (the peak of a symmetric density);
samples are reparametrised as loc + scale·(a standard draw), so ``rsample`` carries gradients."""

from __future__ import annotations

from . import constraints
from .distribution import Distribution, broadcast_all


class CentredOnLoc:
    """The mean and the mode are ``loc`` (the peak of a density symmetric about it)."""

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc


class LocationScale(CentredOnLoc, Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)
