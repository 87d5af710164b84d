"""PyTorch's functions built on the vector p-norm: ``dist`` (the norm of a difference) and
``renorm`` (slices scaled down to a largest norm), composed of :func:`.matrix_norms.vector_norm`,
sub, mul and where, whose rules give their gradients (renorm's through its scale factor too, as
PyTorch's) and second derivatives; and PyTorch's older names of norms, kept for the programs that
call them: ``frobenius_norm`` and ``nuclear_norm`` (deprecated in PyTorch, which warns, as they do
here) and ``native_norm`` (which PyTorch computes for sparse tensors only, over all their elements).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ConfigError, ShapeError
from ._core import broadcast_error, normalize_axes, operand
from .arithmetic import add, div, mul, sub
from .elementwise import where
from .matrix_norms import matrix_norm, vector_norm

_RENORM_EPS = 1e-7  # added to a norm before dividing by it, as PyTorch adds it


def _number(op: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    return float(value)


def dist(input, other, p=2):
    """The ``p``-norm of input − other (the two broadcast together): ‖input − other‖_p, a 0-d tensor
    (p = 0 counts the differing elements, inf takes the largest difference). Floating-point tensors."""
    a, b = operand(input), operand(other)
    try:
        np.broadcast_shapes(np.shape(a.data), np.shape(b.data))
    except ValueError:
        raise broadcast_error("dist", a, b) from None
    return vector_norm(sub(a, b), _number("dist", "p", p))


def renorm(input, p, dim, maxnorm):
    """``input`` with each slice along ``dim`` (input.select(dim, i)) whose ``p``-norm exceeds
    ``maxnorm`` scaled to that norm: multiplied by maxnorm / (norm + 1e-7), as PyTorch's; the others
    kept. ``p`` > 0, ``maxnorm`` ≥ 0, at least 2 dimensions."""
    p, maxnorm = _number("renorm", "p", p), _number("renorm", "maxnorm", maxnorm)
    a = operand(input)
    ndim = np.ndim(a.data)
    if ndim < 2:
        raise ShapeError(f"renorm: input needs at least 2 dimensions (slices along dim), got shape {np.shape(a.data)}")
    if not p > 0:
        raise ConfigError(f"renorm: p must be positive, got {p!r}")
    if not maxnorm >= 0:
        raise ConfigError(f"renorm: maxnorm must be at least 0, got {maxnorm!r}")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"renorm: dim must be an integer, got {dim!r}")
    (axis,) = normalize_axes(dim, ndim)
    norms = vector_norm(a, p, tuple(i for i in range(ndim) if i != axis), keepdim=True)
    over = norms.data > maxnorm
    if not np.any(over):
        return mul(a, 1.0)  # (a new tensor, as PyTorch's)
    return mul(a, where(over, div(maxnorm, add(norms, _RENORM_EPS)), 1.0))


def frobenius_norm(input, dim, keepdim=False):
    """√Σ x² over ``dim`` (one or two dimensions; all for ()): PyTorch's deprecated
    ``frobenius_norm``, which is ``linalg.vector_norm(input, 2, dim, keepdim)``."""
    warnings.warn("frobenius_norm is deprecated (in PyTorch too); use linalg.vector_norm(input, 2, dim, keepdim)",
                  UserWarning, stacklevel=2)
    if isinstance(dim, (tuple, list)) and len(dim) > 2:
        raise ShapeError(f"frobenius_norm: dim must name one or two dimensions, got {len(dim)}")
    return vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input, dim=None, keepdim=False):
    """The sum of the singular values of the matrices on the two dimensions ``dim`` (the last two
    for None): PyTorch's deprecated ``nuclear_norm``, ``linalg.matrix_norm(input, 'nuc', dim,
    keepdim)``. As in PyTorch, a bool in ``dim``'s place is ``keepdim`` (``nuclear_norm(x, True)``)."""
    warnings.warn("nuclear_norm is deprecated (in PyTorch too); use linalg.matrix_norm(input, 'nuc', dim, keepdim)",
                  UserWarning, stacklevel=2)
    if isinstance(dim, (bool, np.bool_)):
        dim, keepdim = None, bool(dim)
    axes = (-2, -1) if dim is None else dim
    if isinstance(axes, (int, np.integer)) or len(tuple(axes)) != 2:
        raise ShapeError(f"nuclear_norm: dim must name two dimensions (the matrices'), got {dim!r}")
    return matrix_norm(input, "nuc", tuple(axes), keepdim)


def native_norm(input, p=2, dim=None, keepdim=False, dtype=None):
    """The ``p``-norm (None: 2) over ``dim`` (all elements for None or ()), after a conversion to
    ``dtype``: PyTorch's ``native_norm``, which it computes for sparse tensors only (a deltaprop
    tensor is dense), as ``linalg.vector_norm``."""
    return vector_norm(input, 2 if p is None else _number("native_norm", "p", p),
                       None if dim is None or (isinstance(dim, (tuple, list)) and not dim) else dim, keepdim,
                       dtype=dtype)
