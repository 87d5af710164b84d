"""``torch.backends``' switches, for scripts that set them: ``dp.backends.cudnn.deterministic =
True`` and ``dp.backends.cudnn.benchmark = False`` are kept and change nothing (there is no cuDNN:
deltaprop computes with NumPy, and the same inputs give the same results run after run), and
``dp.backends.mps.is_available()`` is False, as on a machine without Apple's GPU."""

from __future__ import annotations

__all__ = ["cudnn", "mps"]


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


cudnn = _CuDNN()
mps = _MPS()
