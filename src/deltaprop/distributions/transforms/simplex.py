"""Transforms onto the probability simplex (vectors of K non-negative numbers summing to 1).

``SoftmaxTransform`` maps K real numbers to eˣ/Σeˣ: not one-to-one (adding a constant to x changes
nothing), so its inverse ln y is one of many and it has no log-determinant.

``StickBreakingTransform`` maps K − 1 real numbers one-to-one onto the simplex of K: stick i takes
the fraction zᵢ = σ(xᵢ − ln(K − 1 − i)) of what the earlier ones left, yᵢ = zᵢ·Πⱼ<ᵢ (1 − zⱼ), and the
last takes the rest (the shift makes x = 0 the uniform vector). Each yᵢ depends on x₀ … xᵢ only,
so the Jacobian of (y₀ … y_{K−2}) is triangular and its log-determinant the sum of the logarithms of
its diagonal, ∂yᵢ/∂xᵢ = zᵢ(1 − zᵢ)·Πⱼ<ᵢ (1 − zⱼ): Σᵢ ln σ(x'ᵢ) + Σⱼ≤ᵢ ln σ(−x'ⱼ) with x' = x − ln(K − 1 − i),
computed from x by log-sigmoids (finite where a yᵢ underflows). The inverse reads each stick back:
zᵢ = yᵢ / (1 − Σⱼ<ᵢ yⱼ), so xᵢ = ln yᵢ − ln(1 − Σⱼ≤ᵢ yⱼ) + ln(K − 1 − i).
"""

from __future__ import annotations

import numpy as np

from .. import constraints
from .transform import ParameterFree
from ...errors import ShapeError
from ...ops import logsigmoid, pad, softmax
from ...tensor import tensor


def _at_least_a_vector(owner: str, shape) -> tuple:
    shape = tuple(shape)
    if not shape:
        raise ShapeError(f"{owner}: the input needs at least one dimension (the vector), got shape ()")
    return shape


class SoftmaxTransform(ParameterFree):
    """y = eˣ / Σ eˣ along the last dimension (not one-to-one: its inverse gives ln y)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x):
        return softmax(x, -1)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        return _at_least_a_vector("SoftmaxTransform", shape)

    inverse_shape = forward_shape


class StickBreakingTransform(ParameterFree):
    """K − 1 real numbers onto the simplex of K, one-to-one, by breaking a stick (module docstring)."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    @staticmethod
    def _log_offsets(k: int, dtype):
        # ln(K − 1 − i) for i = 0 … K − 2, K − 1 = k
        return tensor(np.log(np.arange(k, 0, -1, dtype=np.float64)), dtype=dtype)

    def _call(self, x):
        shifted = x - self._log_offsets(x.shape[-1], x.dtype)
        left = logsigmoid(-shifted).cumsum(-1)  # ln of what sticks 0 … i leave
        taken = pad(logsigmoid(shifted), (0, 1), value=0.0)  # (the last stick takes all that is left)
        return (taken + pad(left, (1, 0), value=0.0)).exp()

    def _inverse(self, y):
        head = y[..., :-1]
        rest = (1 - head.cumsum(-1)).clamp_min(float(np.finfo(y.dtype).tiny))
        return head.log() - rest.log() + self._log_offsets(head.shape[-1], y.dtype)

    def log_abs_det_jacobian(self, x, y):
        shifted = x - self._log_offsets(x.shape[-1], x.dtype)
        return (logsigmoid(shifted) + logsigmoid(-shifted).cumsum(-1)).sum(-1)

    def forward_shape(self, shape):
        shape = _at_least_a_vector("StickBreakingTransform", shape)
        return shape[:-1] + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        shape = _at_least_a_vector("StickBreakingTransform", shape)
        return shape[:-1] + (shape[-1] - 1,)
