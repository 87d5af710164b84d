"""Transforms that arrange others or the shape: ``IndependentTransform`` (a transform read over more
event dimensions), ``ReshapeTransform`` (events of one shape laid out in another; its Jacobian is a
permutation, so the log-determinant is 0), ``CatTransform`` (a transform for each stretch of a
dimension) and ``StackTransform`` (one for each slice along a dimension).

A piece's log-determinant covers its own event dimensions: CatTransform sums each over the
dimensions the whole reads as its event and then lays them side by side along the cut dimension
where that is a batch dimension, or adds them where it is inside the event.
"""

from __future__ import annotations

import math

import numpy as np

from .. import constraints
from .transform import Transform
from ..independent import sum_rightmost
from ...errors import ConfigError, ShapeError
from ...ops import concatenate, stack as stack_tensors
from ...tensor import tensor


def _transforms(owner: str, tseq) -> list:
    tseq = list(tseq)
    for t in tseq:
        if not isinstance(t, Transform):
            raise TypeError(f"{owner}: every part must be a Transform, got {t!r}")
    return tseq


def _whole_number(owner: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ConfigError(f"{owner}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


class IndependentTransform(Transform):
    """``base_transform`` with its input's last ``reinterpreted_batch_ndims`` batch dimensions read
    as part of the event: the same map, its log-determinant summed over those dimensions."""

    def __init__(self, base_transform, reinterpreted_batch_ndims, cache_size: int = 0):
        super().__init__(cache_size)
        (self.base_transform,) = _transforms("IndependentTransform", [base_transform.with_cache(cache_size)])
        self.reinterpreted_batch_ndims = _whole_number("IndependentTransform", "reinterpreted_batch_ndims",
                                                       reinterpreted_batch_ndims)

    def _with_cache(self, cache_size):
        return IndependentTransform(self.base_transform, self.reinterpreted_batch_ndims, cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        return self.base_transform(x)

    def _inverse(self, y):
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self):
        return f"IndependentTransform({self.base_transform!r}, {self.reinterpreted_batch_ndims})"


class ReshapeTransform(Transform):
    """Events of shape ``in_shape`` laid out as ``out_shape`` (the same number of elements), in
    row-major order; the batch dimensions in front are kept."""

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0):
        super().__init__(cache_size)
        self.in_shape = tuple(_whole_number("ReshapeTransform", "in_shape", n) for n in in_shape)
        self.out_shape = tuple(_whole_number("ReshapeTransform", "out_shape", n) for n in out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ShapeError(f"ReshapeTransform: in_shape {self.in_shape} and out_shape {self.out_shape} hold "
                             f"different numbers of elements ({math.prod(self.in_shape)} and "
                             f"{math.prod(self.out_shape)})")

    def _with_cache(self, cache_size):
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    @property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def _moved(self, x, old: tuple, new: tuple):
        batch = tuple(x.shape[:x.ndim - len(old)])
        return x.reshape(*batch, *new)

    def _call(self, x):
        return self._moved(x, self.in_shape, self.out_shape)

    def _inverse(self, y):
        return self._moved(y, self.out_shape, self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        batch = tuple(x.shape[:x.ndim - len(self.in_shape)])
        return tensor(np.zeros(batch), dtype=x.dtype)

    def _reshaped(self, shape, old: tuple, new: tuple):
        shape = tuple(shape)
        if len(shape) < len(old) or shape[len(shape) - len(old):] != old:
            raise ShapeError(f"ReshapeTransform: the last dimensions of {shape} must be {old}")
        return shape[:len(shape) - len(old)] + new

    def forward_shape(self, shape):
        return self._reshaped(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._reshaped(shape, self.out_shape, self.in_shape)

    def __repr__(self):
        return f"ReshapeTransform(in_shape={self.in_shape}, out_shape={self.out_shape})"


class CatTransform(Transform):
    """``tseq[i]`` applied to the i-th stretch of ``lengths[i]`` elements along ``dim`` (1 each by
    default), the results concatenated back along it."""

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0):
        super().__init__(cache_size)
        self.transforms = [t.with_cache(cache_size) for t in _transforms("CatTransform", tseq)]
        lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(lengths) != len(self.transforms):
            raise ConfigError(f"CatTransform: lengths must give one length per transform ({len(self.transforms)}), "
                              f"got {len(lengths)}")
        self.lengths = [_whole_number("CatTransform", "each length", n) for n in lengths]
        self.dim = dim

    def _with_cache(self, cache_size):
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size=cache_size)

    @property
    def event_dim(self):
        return max((t.event_dim for t in self.transforms), default=0)

    @property
    def length(self) -> int:
        return sum(self.lengths)

    @property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    def _stretches(self, x):
        if not -x.ndim <= self.dim < x.ndim or x.shape[self.dim] != self.length:
            raise ShapeError(f"CatTransform: the input of shape {tuple(x.shape)} must have {self.length} elements "
                             f"(the sum of lengths) along dimension {self.dim}")
        start = 0
        for length in self.lengths:
            yield x.narrow(self.dim, start, length)
            start += length

    def _call(self, x):
        return concatenate([t(piece) for t, piece in zip(self.transforms, self._stretches(x))], self.dim)

    def _inverse(self, y):
        return concatenate([t.inv(piece) for t, piece in zip(self.transforms, self._stretches(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        event_dim = self.event_dim
        terms = [sum_rightmost(t.log_abs_det_jacobian(a, b), event_dim - t.event_dim)
                 for t, a, b in zip(self.transforms, self._stretches(x), self._stretches(y))]
        axis = (self.dim if self.dim < 0 else self.dim - x.ndim) + event_dim  # (where dim is, in the result)
        if axis < 0:
            return concatenate(terms, axis)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def __repr__(self):
        return f"CatTransform({self.transforms!r}, dim={self.dim}, lengths={self.lengths})"


class StackTransform(Transform):
    """``tseq[i]`` applied to the i-th slice along ``dim``, the results stacked back along it; the
    log-determinants are stacked likewise (one per slice)."""

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0):
        super().__init__(cache_size)
        self.transforms = [t.with_cache(cache_size) for t in _transforms("StackTransform", tseq)]
        self.dim = dim

    def _with_cache(self, cache_size):
        return StackTransform(self.transforms, self.dim, cache_size=cache_size)

    @property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    def _slices(self, x):
        if not -x.ndim <= self.dim < x.ndim or x.shape[self.dim] != len(self.transforms):
            raise ShapeError(f"StackTransform: the input of shape {tuple(x.shape)} must have "
                             f"{len(self.transforms)} elements (one per transform) along dimension {self.dim}")
        return [x.select(self.dim, i) for i in range(len(self.transforms))]

    def _call(self, x):
        return stack_tensors([t(piece) for t, piece in zip(self.transforms, self._slices(x))], self.dim)

    def _inverse(self, y):
        return stack_tensors([t.inv(piece) for t, piece in zip(self.transforms, self._slices(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        return stack_tensors([t.log_abs_det_jacobian(a, b)
                              for t, a, b in zip(self.transforms, self._slices(x), self._slices(y))], self.dim)

    def __repr__(self):
        return f"StackTransform({self.transforms!r}, dim={self.dim})"
