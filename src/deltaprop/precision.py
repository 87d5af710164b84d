"""PyTorch's ``set_float32_matmul_precision``, for the scripts that set it (``"high"`` lets a GPU
multiply float32 matrices in TF32): kept and read back, changing nothing, since NumPy multiplies
float32 matrices in float32, PyTorch's ``"highest"``."""

from __future__ import annotations

import warnings

__all__ = ["get_float32_matmul_precision", "set_float32_matmul_precision"]

_PRECISIONS = ("highest", "high", "medium")  # PyTorch's
_precision = ["highest"]  # what was set last (a list: set without a global statement)


def set_float32_matmul_precision(precision: str) -> None:
    """Record ``precision`` ('highest', 'high' or 'medium'); a name PyTorch does not know is ignored
    with a warning, as PyTorch ignores it."""
    if precision not in _PRECISIONS:
        warnings.warn(f"set_float32_matmul_precision: {precision!r} is not one of 'highest', 'high' or 'medium'; "
                      "the call has no effect", UserWarning, stacklevel=2)
        return
    _precision[0] = precision


def get_float32_matmul_precision() -> str:
    """The precision last set (PyTorch's default 'highest'); deltaprop's products always have 'highest'."""
    return _precision[0]
