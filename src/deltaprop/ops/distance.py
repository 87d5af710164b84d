"""``cdist``: the p-norm distance between each row of one set of points and each row of another
(and ``pdist``, between the rows of one set).

For x1 (..., P, M) and x2 (..., R, M), out[..., i, j] = ‖x1[..., i, :] − x2[..., j, :]‖_p, the
leading (batch) dimensions broadcast. The differences d = x1_i − x2_j are formed once, as a
(..., P, R, M) array: simple and exact, where PyTorch's matrix-product route for p = 2 on large
sets trades accuracy for speed.

Gradient of dist = (Σ|d|^p)^(1/p) with respect to d: sign(d)·|d|^(p−1) / dist^(p−1); x1 gets it
summed over j, x2 minus it summed over i. As in PyTorch it is 0 where the distance is 0 (equal
points: the norm has no derivative there) and, for p < 2, where a component of d is 0. p = 1 gives
sign(d), p = ∞ sign(d) at the components where |d| reaches the distance (each one, at ties), and
p = 0 (the count of differing components) 0.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, ShapeError
from ._core import operand, record, unbroadcast
from .promotion import promoted, refuse_non_floating
from .shape import getitem


def cdist(x1, x2, p=2.0, compute_mode=None):
    """The p-norm distances between the rows of ``x1`` (..., P, M) and of ``x2`` (..., R, M), as a
    (..., P, R) tensor; ``p`` ≥ 0, ``inf`` included. ``compute_mode`` is taken for PyTorch's sake and
    changes nothing (every distance is computed directly)."""
    a, b = operand(x1), operand(x2)
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not p >= 0:
        raise ConfigError(f"cdist: p must be a non-negative number (inf included), got {p!r}")
    p = float(p)
    for name, t in (("x1", a), ("x2", b)):
        if np.ndim(t.data) < 2:
            raise ShapeError(f"cdist: {name} must have at least 2 dimensions (points, features), got shape "
                             f"{np.shape(t.data)}")
    x, y = promoted(a.data, b.data)
    if x.dtype.kind != "f":
        refuse_non_floating("cdist", x.dtype)
    if x.shape[-1] != y.shape[-1]:
        raise ShapeError(f"cdist: x1 and x2 must have the same number of columns, got shapes {x.shape} and {y.shape}")
    try:
        d = x[..., :, None, :] - y[..., None, :, :]
    except ValueError:
        raise ShapeError(f"cdist: the batch dimensions of shapes {x.shape} and {y.shape} cannot be broadcast "
                         "together") from None
    magnitude = np.abs(d)
    if p == 2:
        out = np.sqrt(np.einsum("...m,...m->...", d, d))
    elif p == 1:
        out = magnitude.sum(axis=-1)
    elif p == 0:
        out = (d != 0).sum(axis=-1).astype(x.dtype)
    elif math.isinf(p):
        out = magnitude.max(axis=-1, initial=0)
    else:
        out = (magnitude**p).sum(axis=-1) ** (1 / p)

    def backward(g):
        slope = _slope(d, magnitude, out, p)  # ∂dist/∂d, (..., P, R, M)
        gd = g[..., None] * slope
        return (unbroadcast(gd.sum(axis=-2), x.shape) if a.requires_grad else None,
                unbroadcast(-gd.sum(axis=-3), y.shape) if b.requires_grad else None)

    return record(out.astype(x.dtype, copy=False), (a, b), backward, "cdist")


def _slope(d: np.ndarray, magnitude: np.ndarray, dist: np.ndarray, p: float) -> np.ndarray:
    """∂dist/∂d, 0 where the distance is 0 (and, for p < 2, where a component is 0), as PyTorch's."""
    dist = dist[..., None]
    if p == 0:
        return np.zeros_like(d)
    if p == 1:
        return np.sign(d)
    if math.isinf(p):
        return np.sign(d) * (magnitude == dist)
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 2:
            slope = d / dist
        else:
            slope = np.sign(d) * magnitude ** (p - 1) / dist ** (p - 1)
    return np.where((dist == 0) | (d == 0), 0, slope).astype(d.dtype, copy=False)


def pdist(input, p=2.0):
    """The p-norm distances between each pair of rows i < j of an (N, M) input, as a vector of
    N·(N − 1)/2 in row order (PyTorch's ``pdist``: the upper triangle of ``cdist(x, x)``, read row
    by row). Computed as that triangle of :func:`cdist`, whose gradient rule (0 at equal rows) it
    keeps: x gets the gradient of both points of each pair."""
    x = operand(input)
    if np.ndim(x.data) != 2:
        raise ShapeError(f"pdist: expected input of shape (N, M), got shape {np.shape(x.data)}")
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not p >= 0:
        raise ConfigError(f"pdist: p must be a non-negative number (inf included), got {p!r}")
    rows, cols = np.triu_indices(np.shape(x.data)[0], 1)
    return getitem(cdist(x, x, p), (rows, cols))
