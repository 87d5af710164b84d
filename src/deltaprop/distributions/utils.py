"""PyTorch's ``torch.distributions.utils`` path: the helpers distribution code imports from it.

``broadcast_all`` and ``lazy_property`` are the ones every distribution here uses; the rest convert
between probabilities and logits and between a lower-triangular matrix and the vector of its entries.
"""

from __future__ import annotations

import math

import numpy as np

from .bernoulli import clamp_probabilities as clamp_probs
from .distribution import broadcast_all, lazy_property
from .gumbel import EULER_GAMMA as euler_constant
from .independent import sum_rightmost as _sum_rightmost
from ..errors import ShapeError
from ..ops import sigmoid, softmax
from ..tensor import tensor

__all__ = ["broadcast_all", "clamp_probs", "euler_constant", "lazy_property", "logits_to_probs", "probs_to_logits",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def logits_to_probs(logits, is_binary: bool = False):
    """Probabilities from logits: σ(logit) of each element when ``is_binary``, else the softmax
    over the last dimension (the logits of one categorical distribution)."""
    return sigmoid(logits) if is_binary else softmax(logits, -1)


def probs_to_logits(probs, is_binary: bool = False):
    """Logits from probabilities kept off 0 and 1 (``clamp_probs``): ln p − ln(1 − p) when
    ``is_binary``, else ln p (the logits of a categorical distribution, up to a constant)."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def _tril_positions(n: int, diag: int) -> np.ndarray:
    """The flat positions (row·n + column) of the entries on and below diagonal ``diag``, row by row."""
    rows, cols = np.tril_indices(n, diag)
    return rows * n + cols


def tril_matrix_to_vec(mat, diag: int = 0):
    """The entries of the last two dimensions of ``mat`` (n × n) on and below diagonal ``diag``
    (0 the main one, −1 the one below), row by row, as the last dimension."""
    n = mat.shape[-1]
    if mat.ndim < 2 or mat.shape[-2] != n:
        raise ShapeError(f"tril_matrix_to_vec: mat must be a square matrix or a batch of them, got shape "
                         f"{tuple(mat.shape)}")
    return mat.reshape(*mat.shape[:-2], n * n)[..., _tril_positions(n, diag)]


def vec_to_tril_matrix(vec, diag: int = 0):
    """The inverse of ``tril_matrix_to_vec``: the square matrix whose entries on and below diagonal
    ``diag`` are the last dimension of ``vec``, row by row, and zero elsewhere."""
    length = vec.shape[-1]
    n = int(round((math.sqrt(1 + 8 * length) - 1 - 2 * diag) / 2))
    positions = _tril_positions(max(n, 0), diag)
    if n < 1 or len(positions) != length:
        raise ShapeError(f"vec_to_tril_matrix: the last dimension of vec ({length}) is not the number of entries "
                         f"on and below diagonal {diag} of a square matrix")
    placement = np.zeros((length, n * n))
    placement[np.arange(length), positions] = 1
    flat = vec @ tensor(placement, dtype=vec.dtype)
    return flat.reshape(*vec.shape[:-1], n, n)
