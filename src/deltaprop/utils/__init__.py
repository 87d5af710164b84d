"""PyTorch's path to the data tools: ``deltaprop.utils.data`` is :mod:`deltaprop.data` itself, so
that ``from torch.utils.data import DataLoader, Dataset`` ports by changing the package's name alone."""

import sys

from .. import _lazy, data
from ..data import dataloader, dataset, sampler  # PyTorch's module paths inside torch.utils.data

sys.modules[__name__ + ".data"] = data
for _module in (dataloader, dataset, sampler):  # (under their own names, not imported a second time)
    sys.modules[f"{__name__}.data.{_module.__name__.rsplit('.', 1)[1]}"] = _module

__all__ = ["data"]

_lazy.provide(globals(), unlisted=(".benchmark", ".checkpoint", ".hooks"))  # on first use: `import deltaprop` pays nothing
