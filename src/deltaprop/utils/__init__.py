"""PyTorch's path to the data tools: ``deltaprop.utils.data`` is :mod:`deltaprop.data` itself, so
that ``from torch.utils.data import DataLoader, Dataset`` ports by changing the package's name alone."""

import sys

from .. import data

sys.modules[__name__ + ".data"] = data

__all__ = ["data"]
