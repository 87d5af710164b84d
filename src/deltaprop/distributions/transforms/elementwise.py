"""The elementwise transforms: each maps every number by itself, so its Jacobian is diagonal and
ln |det ∂y/∂x| is the sum of ln |dy/dx| (here one per element; a distribution sums them over its event).

| transform       | y = f(x)                | x = f⁻¹(y)                 | ln dy/dx                            |
|-----------------|-------------------------|----------------------------|-------------------------------------|
| Exp             | eˣ                      | ln y                       | x                                   |
| Affine          | loc + scale·x           | (y − loc)/scale            | ln |scale|                          |
| Sigmoid         | σ(x) = 1/(1 + e⁻ˣ)      | ln y − ln(1 − y)           | ln σ(x) + ln σ(−x)                  |
| Tanh            | tanh x                  | atanh y                    | 2(ln 2 − x − softplus(−2x))         |
| Softplus        | ln(1 + eˣ)              | y + ln(1 − e⁻ʸ)            | −softplus(−x) (ln σ(x))             |
| Power           | xᵖ (x > 0)              | y^(1/p)                    | ln |p·y/x|                          |
| Abs             | |x| (not one-to-one)    | y (the positive root)      | —                                   |
| CumulativeDist. | F(x) of a distribution  | F⁻¹(y)                     | ln p(x)                             |

ln σ(x) = −softplus(−x) and ln σ(−x) = −softplus(x) keep the sigmoid's slope finite where σ rounds
to 0 or 1. tanh's slope 1 − tanh²x = 4/(eˣ + e⁻ˣ)² = 4e^(−2x)/(1 + e^(−2x))², whose logarithm is
2 ln 2 − 2x − 2 ln(1 + e^(−2x)): no tanh² near 1 to lose digits in.
"""

from __future__ import annotations

import math
from numbers import Number

import numpy as np

from .. import constraints
from .transform import ParameterFree, Transform, as_tensor
from ..independent import sum_rightmost
from ...ops import logsigmoid, sigmoid, softplus
from ...tensor import Tensor, tensor


def _sign_of(value):
    """The sign of a number (a Python int) or of each element of a tensor (a tensor)."""
    if isinstance(value, Tensor):
        return value.sign()
    return (value > 0) - (value < 0)


def _shape_of(value) -> tuple:
    return tuple(value.shape) if isinstance(value, Tensor) else ()


def parameter(value):
    """A transform's parameter: a number stays a Python number, a tensor itself, an array or a list
    becomes a tensor (of the default floating-point dtype)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, Number):
        return value
    if np.ndim(value) == 0:
        return float(np.asarray(value))
    return as_tensor(value)


def _same(a, b) -> bool:
    """Two parameters equal: numbers by value, tensors element by element (and shape)."""
    if isinstance(a, Number) and isinstance(b, Number):
        return a == b
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and bool(np.array_equal(a.data, b.data))
    return False


class ExpTransform(ParameterFree):
    """y = eˣ, from the real line onto the positive numbers."""

    codomain = constraints.positive
    bijective = True
    sign = 1

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class AffineTransform(Transform):
    """y = loc + scale·x, with ``loc`` and ``scale`` numbers or tensors (broadcast with x); over
    events of ``event_dim`` dimensions, the log-determinant sums ln |scale| over each event."""

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0):
        super().__init__(cache_size)
        if isinstance(event_dim, bool) or not isinstance(event_dim, int) or event_dim < 0:
            raise TypeError(f"AffineTransform: event_dim must be a non-negative integer, got {event_dim!r}")
        self.loc, self.scale = parameter(loc), parameter(scale)
        self._event_dim = event_dim

    @property
    def event_dim(self):
        return self._event_dim

    @property
    def domain(self):
        return constraints.independent(constraints.real, self._event_dim) if self._event_dim else constraints.real

    codomain = domain

    @property
    def sign(self):
        return _sign_of(self.scale)

    def _with_cache(self, cache_size):
        return AffineTransform(self.loc, self.scale, self._event_dim, cache_size=cache_size)

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        shape = np.broadcast_shapes(tuple(x.shape), _shape_of(self.scale))
        if isinstance(self.scale, Tensor):
            slope = self.scale.abs().log().expand(*shape)
        else:
            slope = tensor(np.full(shape, math.log(abs(self.scale))), dtype=x.dtype)
        # every element of an event is scaled, broadcast ones included
        return sum_rightmost(slope, self._event_dim)

    def forward_shape(self, shape):
        return np.broadcast_shapes(tuple(shape), _shape_of(self.loc), _shape_of(self.scale))

    inverse_shape = forward_shape

    def __eq__(self, other):
        return (isinstance(other, AffineTransform) and _same(self.loc, other.loc) and _same(self.scale, other.scale)
                and self._event_dim == other._event_dim)

    __hash__ = Transform.__hash__

    def __repr__(self):
        shown = lambda v: f"{v!r}" if isinstance(v, Number) else f"<tensor of shape {tuple(v.shape)}>"  # noqa: E731
        return f"AffineTransform(loc={shown(self.loc)}, scale={shown(self.scale)}, event_dim={self._event_dim})"


class SigmoidTransform(ParameterFree):
    """y = σ(x), from the real line onto (0, 1); y is kept within [tiny, 1 − ε] of its dtype (as
    PyTorch's), so that the inverse of a draw is finite."""

    codomain = constraints.unit_interval
    bijective = True
    sign = 1

    def _call(self, x):
        info = np.finfo(x.dtype)
        return sigmoid(x).clip(float(info.tiny), 1 - float(info.eps))

    def _inverse(self, y):
        info = np.finfo(y.dtype)
        y = y.clip(float(info.tiny), 1 - float(info.eps))
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        # σ'(x) = σ(x)·σ(−x)
        return logsigmoid(x) + logsigmoid(-x)


class TanhTransform(ParameterFree):
    """y = tanh x, from the real line onto (−1, 1). The inverse is atanh, infinite at ±1, where a
    draw can round to in floating point: give ``cache_size=1`` to score a distribution's own draws."""

    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = 1

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return y.atanh()

    def log_abs_det_jacobian(self, x, y):
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class SoftplusTransform(ParameterFree):
    """y = ln(1 + eˣ), from the real line onto the positive numbers."""

    codomain = constraints.positive
    bijective = True
    sign = 1

    def _call(self, x):
        return softplus(x)

    def _inverse(self, y):
        # x = ln(eʸ − 1) = y + ln(1 − e⁻ʸ)
        return y + (-(-y).expm1()).log()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x)


class PowerTransform(Transform):
    """y = xᵖ for ``exponent`` p (a number or a tensor, broadcast), on the positive numbers."""

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size: int = 0):
        super().__init__(cache_size)
        self.exponent = parameter(exponent)

    @property
    def sign(self):
        return _sign_of(self.exponent)

    def _with_cache(self, cache_size):
        return PowerTransform(self.exponent, cache_size=cache_size)

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        # dy/dx = p·x^(p − 1) = p·y/x
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return np.broadcast_shapes(tuple(shape), _shape_of(self.exponent))

    inverse_shape = forward_shape

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and _same(self.exponent, other.exponent)

    __hash__ = Transform.__hash__


class AbsTransform(ParameterFree):
    """y = |x|, onto the non-negative numbers; not one-to-one, so its inverse gives the positive root
    and it has no log-determinant or sign."""

    codomain = constraints.positive

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class CumulativeDistributionTransform(Transform):
    """y = F(x), the distribution function of a one-dimensional ``distribution``: from its support
    onto [0, 1], with inverse F⁻¹ (its ``icdf``) and slope its density."""

    codomain = constraints.unit_interval
    bijective = True
    sign = 1

    def __init__(self, distribution, cache_size: int = 0):
        super().__init__(cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _with_cache(self, cache_size):
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)
