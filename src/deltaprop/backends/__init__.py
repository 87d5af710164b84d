"""``torch.backends``' switches, for scripts that set them: ``dp.backends.cudnn.deterministic =
True`` and ``dp.backends.cudnn.benchmark = False`` are kept and change nothing (there is no cuDNN:
deltaprop computes with NumPy, and the same inputs give the same results run after run), and
``dp.backends.mps.is_available()`` is False, as on a machine without Apple's GPU. So are
``dp.backends.cuda.matmul.allow_tf32`` and the other switches of CUDA's matrix products (nanoGPT
sets them): kept, changing nothing.

Each backend is a module, as PyTorch's are, so a script's ``import torch.backends.cudnn as cudnn``
ports as ``import deltaprop.backends.cudnn as cudnn``.
"""

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
