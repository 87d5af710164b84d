"""A distribution of y = f(x), x drawn from a base distribution and f a chain of transforms
(PyTorch's ``TransformedDistribution``): the policy of soft actor-critic is
``TransformedDistribution(Normal(μ, σ), [TanhTransform(cache_size=1)])``.

Draws are the base's draws passed through the transforms (reparametrised when the base's are). The
density follows by the change of variables: for one-to-one f, ln p(y) = ln p_base(f⁻¹(y)) −
ln |det ∂f/∂x| at x = f⁻¹(y), each transform's term summed over the event dimensions it leaves to
the distribution. For monotone elementwise f the distribution function is the base's through f⁻¹,
F(y) = F_base(f⁻¹(y)), or 1 − that where f falls (written sign·(F − ½) + ½ with the chain's sign),
and the quantile function likewise f(F_base⁻¹(p)).

Shapes: the transforms may need more event dimensions than the base has (a StickBreakingTransform
reads vectors): the base's rightmost batch dimensions are then read as its event (``Independent``);
and a transform whose parameters have a larger batch (an AffineTransform with a batch of locs)
expands the base to it.
"""

from __future__ import annotations

from . import constraints
from .distribution import Distribution, as_value
from .independent import Independent, sum_rightmost
from .transforms import ComposeTransform, Transform
from ..errors import ConfigError, ShapeError
from ..grad_mode import no_grad


class TransformedDistribution(Distribution):
    """``base_distribution`` pushed through ``transforms`` (one Transform or a list, applied in order)."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if not isinstance(base_distribution, Distribution):
            raise ConfigError(f"{type(self).__name__}: base_distribution must be a Distribution, got "
                              f"{base_distribution!r}")
        if isinstance(transforms, Transform):
            transforms = [transforms]
        if not isinstance(transforms, (list, tuple)) or not all(isinstance(t, Transform) for t in transforms):
            raise ConfigError(f"{type(self).__name__}: transforms must be a Transform or a list of Transforms, got "
                              f"{transforms!r}")
        self.transforms = list(transforms)
        base_shape = base_distribution.batch_shape + base_distribution.event_shape
        base_event_dim = len(base_distribution.event_shape)
        chain = ComposeTransform(self.transforms)
        if len(base_shape) < chain.domain.event_dim:
            raise ShapeError(f"{type(self).__name__}: the transforms read events of {chain.domain.event_dim} "
                             f"dimensions, but the base distribution's shape {base_shape} has fewer")
        shape = chain.forward_shape(base_shape)
        wanted = chain.inverse_shape(shape)
        if wanted != base_shape:  # (the transforms' parameters widen the batch)
            base_distribution = base_distribution.expand(wanted[:len(wanted) - base_event_dim])
        if chain.domain.event_dim > base_event_dim:
            base_distribution = Independent(base_distribution, chain.domain.event_dim - base_event_dim)
        self.base_dist = base_distribution
        event_dim = chain.codomain.event_dim + max(base_event_dim - chain.domain.event_dim, 0)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args)

    def _dtype(self):
        return self.base_dist.dtype

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def support(self):
        """The last transform's codomain (the base's support where there is none), read over the
        whole event."""
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        extra = len(self._event_shape) - support.event_dim
        return constraints.independent(support, extra) if extra > 0 else support

    def expand(self, batch_shape):
        new = super().expand(batch_shape)
        shape = new._batch_shape + self._event_shape
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        new.base_dist = self.base_dist.expand(shape[:len(shape) - len(self.base_dist.event_shape)])
        return new

    def _through(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def sample(self, sample_shape=()):
        """The base's draws through the transforms, outside the graph (the transforms' caches keep
        these very tensors, so that ``log_prob`` of them is found there)."""
        with no_grad():
            return self._through(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape=()):
        return self._through(self.base_dist.rsample(sample_shape))

    def log_prob(self, value):
        y = self._checked(value)
        event_dim = len(self._event_shape)
        total = 0.0
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            total = total - sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.domain.event_dim)
            y = x
        return total + sum_rightmost(self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape))

    def _monotone(self, p):
        """p, or 1 − p where the chain of transforms falls (sign −1)."""
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return p
        return sign * (p - 0.5) + 0.5

    def cdf(self, value):
        x = as_value(value, self.dtype)
        for t in reversed(self.transforms):
            x = t.inv(x)
        return self._monotone(self.base_dist.cdf(x))

    def icdf(self, value):
        return self._through(self.base_dist.icdf(self._monotone(self._checked_probability(value))))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_dist!r}, {self.transforms!r})"
