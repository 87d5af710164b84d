"""``torch.backends``' switches, for scripts that set them: ``dp.backends.cudnn.deterministic =
True`` and ``dp.backends.cudnn.benchmark = False`` are kept and change nothing (there is no cuDNN:
deltaprop computes with NumPy, and the same inputs give the same results run after run), and
``dp.backends.mps.is_available()`` is False, as on a machine without Apple's GPU. So are
``dp.backends.cuda.matmul.allow_tf32 = True`` and the other matrix-product switches of
``torch.backends.cuda`` (nanoGPT sets them): kept, changing nothing, as PyTorch's without a GPU."""

from __future__ import annotations

import warnings

__all__ = ["cuda", "cudnn", "get_float32_matmul_precision", "mps", "set_float32_matmul_precision"]

_PRECISIONS = ("highest", "high", "medium")  # PyTorch's
_matmul_precision = "highest"


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's switch that lets float32 matrix products use TF32 or bfloat16 inside ('high',
    'medium'); kept and read back, changing nothing: NumPy multiplies float32 matrices in float32
    ('highest'). A name PyTorch does not know is ignored with a warning, as PyTorch ignores it."""
    global _matmul_precision
    if precision not in _PRECISIONS:
        warnings.warn(f"set_float32_matmul_precision: {precision!r} is not one of 'highest', 'high' or 'medium'; "
                      "the call has no effect", UserWarning, stacklevel=2)
        return
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    """The precision last set (PyTorch's default 'highest'), which deltaprop's products always have."""
    return _matmul_precision


class _CuDNN:
    """The cuDNN switches PyTorch scripts set; there is no cuDNN here, so they are kept and read back
    but change nothing."""

    def __init__(self) -> None:
        self.enabled = True  # PyTorch's defaults
        self.benchmark = False
        self.deterministic = False
        self.allow_tf32 = True

    @staticmethod
    def is_available() -> bool:
        """False: there is no cuDNN."""
        return False


class _MPS:
    """Apple's GPU backend: not available, as PyTorch reports on a machine without it."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


class _Matmul:
    """The switches of CUDA's matrix products (TF32, reduced-precision sums), PyTorch's defaults."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


class _CUDA:
    """``torch.backends.cuda``: its matrix-product switches, kept and read back; not built here."""

    def __init__(self) -> None:
        self.matmul = _Matmul()

    @staticmethod
    def is_built() -> bool:
        """False: deltaprop is built for NumPy, not CUDA."""
        return False


cuda = _CUDA()
cudnn = _CuDNN()
mps = _MPS()
