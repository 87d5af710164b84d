"""A distribution whose rightmost batch dimensions are read as event dimensions: a batch of
independent Normals over 3 numbers becomes one distribution over 3-vectors, whose log-probability
is the sum of the three (PyTorch's ``Independent``)."""

from __future__ import annotations

from . import constraints
from .distribution import Distribution
from ..errors import ConfigError


def sum_rightmost(x, n: int):
    """x summed over its last ``n`` dimensions (x itself for n = 0)."""
    return x.sum(tuple(range(-n, 0))) if n else x


class Independent(Distribution):
    """``base_distribution`` with its last ``reinterpreted_batch_ndims`` batch dimensions moved into
    the event: draws, mean and variance are the base's; log_prob and entropy are summed over them."""

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        if not isinstance(base_distribution, Distribution):
            raise ConfigError(f"Independent: base_distribution must be a Distribution, got {base_distribution!r}")
        n = reinterpreted_batch_ndims
        batch = base_distribution.batch_shape
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= len(batch):
            raise ConfigError(f"Independent: reinterpreted_batch_ndims must be a whole number from 0 to "
                              f"{len(batch)} (the base's batch dimensions {batch}), got {n!r}")
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        cut = len(batch) - n
        super().__init__(batch[:cut], batch[cut:] + base_distribution.event_shape, validate_args=False)
        self._validate_args = base_distribution._validate_args if validate_args is None else bool(validate_args)

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):
        return self.reinterpreted_batch_ndims == 0 and self.base_dist.has_enumerate_support

    def enumerate_support(self, expand=True):
        """The base's, when no batch dimension is reinterpreted (the product of the supports of several
        is not enumerated, as in PyTorch)."""
        if self.reinterpreted_batch_ndims:
            raise NotImplementedError(f"Independent: enumerate_support over the product of "
                                      f"{self.reinterpreted_batch_ndims} reinterpreted batch dimensions is not "
                                      "implemented, as in PyTorch")
        return self.base_dist.enumerate_support(expand)

    @property
    def support(self):
        return constraints.IndependentConstraint(self.base_dist.support, self.reinterpreted_batch_ndims)

    def _dtype(self):
        return self.base_dist.dtype

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def mode(self):
        return self.base_dist.mode

    @property
    def variance(self):
        return self.base_dist.variance

    @property
    def stddev(self):
        return self.base_dist.stddev

    def expand(self, batch_shape):
        """The base expanded to ``batch_shape`` followed by the reinterpreted dimensions."""
        new_shape = self._expanded_batch_shape(batch_shape)
        reinterpreted = self._event_shape[:len(self._event_shape) - len(self.base_dist.event_shape)]
        new = Independent(self.base_dist.expand(new_shape + reinterpreted), self.reinterpreted_batch_ndims)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
