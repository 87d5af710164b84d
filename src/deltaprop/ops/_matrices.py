"""What the linear-algebra primitives share: the checks of a (batch of) square floating-point
matrices, the broadcast of two batches, the transpose of the last two axes, and the refusal of a
singular matrix."""

from __future__ import annotations

import numpy as np

from ..errors import LinAlgError, ShapeError
from ._core import operand


def floating_matrices(op: str, A, *, square: bool = False, name: str = "A"):
    """``A`` as a tensor, refused in one sentence (naming it ``name``) unless it is a float32 or
    float64 matrix (or a batch of them, the matrices on the last two axes), square where ``square``.
    NumPy's LAPACK routines take no float16 (neither does PyTorch on the CPU), nor integers (PyTorch
    refuses them)."""
    a = operand(A)
    X = np.asarray(a.data)
    if X.dtype not in (np.float32, np.float64):
        raise TypeError(f"{op}: expects a float32 or float64 tensor, got {X.dtype}; convert it with .float() or "
                        ".double() first")
    if X.ndim < 2:
        raise ShapeError(f"{op}: {name} must be a matrix or a batch of matrices (2 dimensions or more), got shape "
                         f"{X.shape}")
    if square and X.shape[-1] != X.shape[-2]:
        raise ShapeError(f"{op}: {name} must be a square matrix or a batch of them, got shape {X.shape} "
                         f"({X.shape[-2]} by {X.shape[-1]} matrices)")
    return a


def batch_of(op: str, A: np.ndarray, B: np.ndarray, b_shape: tuple) -> tuple:
    """The batch shape of an equation between the matrices ``A`` and ``B`` (their leading axes
    broadcast together, ``b_shape`` being B's matrices' batch as the equation reads them), refused in
    one sentence naming ``op`` where they cannot be."""
    try:
        return np.broadcast_shapes(A.shape[:-2], b_shape)
    except ValueError:
        raise ShapeError(f"{op}: the batch dimensions of A {A.shape} and B {B.shape} cannot be broadcast "
                         "together") from None


def T(X: np.ndarray) -> np.ndarray:
    """The transpose of each matrix of the batch ``X`` (its last two axes swapped)."""
    return np.swapaxes(X, -1, -2)


def singular(op: str, shape: tuple) -> LinAlgError:
    """The error for a singular matrix met by ``op`` (LAPACK found an exact zero pivot)."""
    which = "a matrix of the batch" if len(shape) > 2 else "the matrix"
    return LinAlgError(f"{op}: {which} of shape {shape} is singular (a zero pivot in its LU factorization), "
                       "so it has no inverse and the equations no unique solution.")
