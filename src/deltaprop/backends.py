"""``torch.backends``' switches, for scripts that set them: ``dp.backends.cudnn.deterministic =
True`` and ``dp.backends.cudnn.benchmark = False`` are kept and change nothing (there is no cuDNN:
deltaprop computes with NumPy, and the same inputs give the same results run after run), and
``dp.backends.mps.is_available()`` is False, as on a machine without Apple's GPU. So are
``dp.backends.cuda.matmul.allow_tf32 = True`` and the other matrix-product switches of
``torch.backends.cuda`` (nanoGPT sets them): kept, changing nothing, as PyTorch's without a GPU."""

from __future__ import annotations

__all__ = ["cuda", "cudnn", "mps"]


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
