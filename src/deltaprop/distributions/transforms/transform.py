"""What every transform shares: a map y = f(x) between two constrained sets, its inverse, and the
logarithm of |det ∂y/∂x| that a change of variables needs (PyTorch's ``Transform``).

A transform acts on the last ``event_dim`` dimensions of its input as one whole (0: elementwise);
``log_abs_det_jacobian(x, y)`` has the shape of the input less those dimensions. With
``cache_size=1`` it remembers the last pair (x, y) it saw: asked for the inverse of that very y
(the same tensor object), it returns that x without computing it, which is how
``TransformedDistribution(Normal(μ, σ), [TanhTransform(cache_size=1)])`` scores its own draws at
±1 (where atanh is infinite in floating point) exactly.

``t.inv`` is the inverse transform, sharing t's cache (``t.inv.inv is t``);
:class:`ComposeTransform` chains transforms, and ``identity_transform`` is the chain of none.
"""

from __future__ import annotations

import weakref

import numpy as np

from .. import constraints
from ..independent import sum_rightmost
from ...errors import ConfigError
from ...tensor import Tensor, get_default_dtype, tensor


def as_tensor(x) -> Tensor:
    """``x`` itself if a tensor, else as a tensor of the default floating-point dtype."""
    if isinstance(x, Tensor):
        return x
    return tensor(np.asarray(x, dtype=get_default_dtype()))


class Transform:
    """The base of every transform: ``t(x)`` the forward map, ``t.inv(y)`` the inverse, ``domain``
    and ``codomain`` the constraints of x and y, ``bijective`` whether the map is one-to-one,
    ``sign`` the sign of the slope of a monotone elementwise one."""

    bijective = False
    domain = constraints.real
    codomain = constraints.real

    def __init__(self, cache_size: int = 0):
        if cache_size not in (0, 1) or isinstance(cache_size, bool):
            raise ConfigError(f"{type(self).__name__}: cache_size must be 0 or 1, got {cache_size!r}")
        self._cache_size = cache_size
        self._cached_x_y = None, None
        self._inverse_ref = None

    @property
    def event_dim(self) -> int:
        """The number of rightmost dimensions the map reads as one event."""
        if self.domain.event_dim != self.codomain.event_dim:
            raise ConfigError(f"{type(self).__name__}: the domain's event_dim ({self.domain.event_dim}) differs from "
                              f"the codomain's ({self.codomain.event_dim}); ask domain.event_dim or "
                              "codomain.event_dim instead")
        return self.domain.event_dim

    @property
    def sign(self):
        """+1 where y grows with x, −1 where it falls (only for monotone elementwise maps)."""
        raise NotImplementedError(f"{type(self).__name__} has no sign: it is not a monotone elementwise map")

    @property
    def inv(self) -> "Transform":
        """The inverse map, one object while it lives (it shares this transform's cache)."""
        inverse = self._inverse_ref() if self._inverse_ref is not None else None
        if inverse is None:
            inverse = self._make_inverse()
            self._inverse_ref = weakref.ref(inverse)
        return inverse

    def _make_inverse(self) -> "Transform":
        return _InverseTransform(self)

    def with_cache(self, cache_size: int = 1) -> "Transform":
        """This transform with the given cache size (itself if it has that size already)."""
        if cache_size == self._cache_size:
            return self
        return self._with_cache(cache_size)

    def _with_cache(self, cache_size: int) -> "Transform":
        if type(self).__init__ is Transform.__init__:  # (no parameters of its own)
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self).__name__}.with_cache is not implemented")

    def __call__(self, x):
        return self._through_cache(as_tensor(x), 0, self._call)

    def _inv_call(self, y):
        return self._through_cache(as_tensor(y), 1, self._inverse)

    def _through_cache(self, given, side: int, compute):
        """compute(given), or, with a cache, the other half of the cached pair when ``given`` is the very
        tensor on ``side`` of it (0: an x, 1: a y); a new pair replaces the cached one."""
        if self._cache_size == 0:
            return compute(given)
        pair = self._cached_x_y
        if given is pair[side]:
            return pair[1 - side]
        found = compute(given)
        self._cached_x_y = (given, found) if side == 0 else (found, given)
        return found

    def _call(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not define its forward map")

    def _inverse(self, y):
        raise NotImplementedError(f"{type(self).__name__} has no inverse")

    def log_abs_det_jacobian(self, x, y):
        """ln |det ∂y/∂x| at the pair (x, y = t(x)), one per element of the batch."""
        raise NotImplementedError(f"{type(self).__name__} does not define log_abs_det_jacobian")

    def forward_shape(self, shape) -> tuple:
        """The shape of t(x) for x of ``shape``."""
        return tuple(shape)

    def inverse_shape(self, shape) -> tuple:
        """The shape of t.inv(y) for y of ``shape``."""
        return tuple(shape)

    def __eq__(self, other) -> bool:
        return self is other

    def __ne__(self, other) -> bool:
        return not self == other

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ParameterFree(Transform):
    """A transform without parameters: equal to every other of its class."""

    def __eq__(self, other) -> bool:
        return type(other) is type(self)

    __hash__ = Transform.__hash__


class _InverseTransform(Transform):
    """The inverse of ``transform``: its forward map is the other's inverse and back, and it uses the
    other's cache, so a pair met going one way is known going the other."""

    def __init__(self, transform: Transform):
        super().__init__(cache_size=transform._cache_size)
        self._inverse_ref = None
        self._transform = transform

    @property
    def inv(self):
        return self._transform

    @property
    def domain(self):
        return self._transform.codomain

    @property
    def codomain(self):
        return self._transform.domain

    @property
    def bijective(self):
        return self._transform.bijective

    @property
    def sign(self):
        return self._transform.sign

    def with_cache(self, cache_size: int = 1):
        return self._transform.with_cache(cache_size).inv

    def __call__(self, x):
        return self._transform._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        # the inverse's slope is 1 over the forward one's at the same pair
        return -self._transform.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._transform.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._transform.forward_shape(shape)

    def __eq__(self, other) -> bool:
        return isinstance(other, _InverseTransform) and self._transform == other._transform

    __hash__ = Transform.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._transform!r})"


class ComposeTransform(Transform):
    """``parts`` applied in order: y = fₙ(… f₂(f₁(x))). Its log-determinant is the sum of the parts'
    at the intermediate values (each part's summed over the event dimensions the chain has gathered
    beyond its own); the event dimensions of domain and codomain are the most any part needs."""

    def __init__(self, parts, cache_size: int = 0):
        parts = list(parts)
        for part in parts:
            if not isinstance(part, Transform):
                raise TypeError(f"ComposeTransform: every part must be a Transform, got {part!r}")
        super().__init__(cache_size)
        if cache_size:
            parts = [part.with_cache(cache_size) for part in parts]
        self.parts = parts

    def _with_cache(self, cache_size):
        return ComposeTransform(self.parts, cache_size=cache_size)

    def _make_inverse(self):
        inverse = ComposeTransform([part.inv for part in reversed(self.parts)])
        inverse._inverse_ref = weakref.ref(self)
        return inverse

    def _event_dims(self, last, own, others, parts) -> int:
        # walking from the far end, each part needs at least its own event dimensions and passes on
        # what it has gathered, changed by its difference
        event_dim = getattr(last, others).event_dim
        for part in parts:
            event_dim += getattr(part, own).event_dim - getattr(part, others).event_dim
            event_dim = max(event_dim, getattr(part, own).event_dim)
        return event_dim

    @property
    def domain(self):
        if not self.parts:
            return constraints.real
        base = self.parts[0].domain
        n = self._event_dims(self.parts[-1], "domain", "codomain", reversed(self.parts))
        return constraints.independent(base, n - base.event_dim) if n > base.event_dim else base

    @property
    def codomain(self):
        if not self.parts:
            return constraints.real
        base = self.parts[-1].codomain
        n = self._event_dims(self.parts[0], "codomain", "domain", self.parts)
        return constraints.independent(base, n - base.event_dim) if n > base.event_dim else base

    @property
    def bijective(self):
        return all(part.bijective for part in self.parts)

    @property
    def sign(self):
        sign = 1
        for part in self.parts:
            sign = sign * part.sign
        return sign

    def _call(self, x):
        for part in self.parts:
            x = part(x)
        return x

    def _inverse(self, y):
        for part in reversed(self.parts):
            y = part.inv(y)
        return y

    def log_abs_det_jacobian(self, x, y):
        x = as_tensor(x)
        if not self.parts:
            return tensor(np.zeros(x.shape), dtype=x.dtype)
        values = [x]
        for part in self.parts[:-1]:
            values.append(part(values[-1]))  # (from the parts' caches, where they have them)
        values.append(as_tensor(y))
        total = None
        event_dim = self.domain.event_dim
        for part, before, after in zip(self.parts, values[:-1], values[1:]):
            term = sum_rightmost(part.log_abs_det_jacobian(before, after), event_dim - part.domain.event_dim)
            total = term if total is None else total + term
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return total

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return tuple(shape)

    def __eq__(self, other) -> bool:
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = Transform.__hash__

    def __repr__(self) -> str:
        return f"ComposeTransform([{', '.join(repr(part) for part in self.parts)}])"


identity_transform = ComposeTransform([])
