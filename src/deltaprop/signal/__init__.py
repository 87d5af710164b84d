"""PyTorch's ``torch.signal``: its one module, :mod:`.windows`, the window functions by their
SciPy-style names (``windows.hann(M, sym=True)``)."""

from . import windows

__all__ = ["windows"]
