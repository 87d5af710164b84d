"""``deltaprop.testing``: PyTorch's ``torch.testing``, for the tests of code ported from it.

``assert_close`` compares results with the tolerances PyTorch gives each dtype (and
``assert_allclose``, its deprecated older form); ``make_tensor`` makes a random tensor of a
dtype with PyTorch's default ranges.
"""

from .comparison import assert_allclose, assert_close
from .creation import make_tensor

__all__ = ["assert_allclose", "assert_close", "make_tensor"]
