"""``Dataset``, the base users subclass, and ``ArrayDataset``: samples are the rows of a few arrays
that share their first dimension.

``dataset[i]`` is the tuple ``(X[i], y[i], ...)``, as in PyTorch's ``TensorDataset``. The arrays are
kept whole so that :class:`~deltaprop.data.DataLoader` can cut a batch out of each with one
fancy index instead of gathering samples one by one.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..tensor import Tensor


class Dataset:
    """A map-style dataset, as PyTorch's: a subclass gives ``__len__`` (the number of samples) and
    ``__getitem__`` (sample ``i``, for ``0 <= i < len``); ``a + b`` is the two one after the other,
    a :class:`~deltaprop.data.ConcatDataset`.

        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i, i * i
        >>> (Squares() + Squares())[5]
        (1, 1)
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__ to be a Dataset")

    def __add__(self, other):
        from .subsets import ConcatDataset  # subsets.py builds on this class

        return ConcatDataset([self, other])


class ArrayDataset(Dataset):
    """Samples along the first axis of one or more arrays (NumPy arrays, tensors or nested lists).

        >>> ds = ArrayDataset([[0, 1], [2, 3], [4, 5]], [7, 8, 9])
        >>> len(ds)
        3
        >>> ds[1]
        (array([2, 3]), np.int64(8))
    """

    def __init__(self, *arrays):
        if not arrays:
            raise DataError(f"{type(self).__name__} needs at least one array, got none")
        # np.asarray reads deltaprop tensors through their __array__ without copying.
        self.arrays = tuple(np.asarray(a) for a in arrays)
        for position, array in enumerate(self.arrays):
            if array.ndim == 0:
                raise DataError(
                    f"{type(self).__name__}: array {position} is a scalar; every array needs a first dimension "
                    "that counts the samples"
                )
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) > 1:
            raise DataError(
                f"{type(self).__name__}: every array must have the same first dimension (one row per sample), "
                f"got lengths {lengths}"
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index) -> tuple:
        return tuple(a[index] for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"ArrayDataset({shapes})"


class TensorDataset(ArrayDataset):
    """PyTorch's ``TensorDataset``: an :class:`ArrayDataset` whose samples, and the batches a
    :class:`~deltaprop.data.DataLoader` cuts from it, are tensors (needing no gradient), so a loop
    ported from PyTorch can call ``xb.to(device)``, ``xb.view(...)`` or ``yb.float()`` on them.
    (An ``ArrayDataset`` serves NumPy arrays, which is what ``fit`` uses.)

        >>> ds = TensorDataset([[0.0, 1.0], [2.0, 3.0]], [7, 8])
        >>> ds[1]
        (tensor([2., 3.], dtype=float64), tensor(8, dtype=int64))
    """

    def __getitem__(self, index) -> tuple:
        return tuple(Tensor._wrap(np.asarray(a[index])) for a in self.arrays)


# PyTorch's ``torch.utils.data.dataset`` holds these too: its path (``deltaprop.utils.data.dataset``)
# reaches them here, imported on first use (their modules import this one).
_ELSEWHERE = {"IterableDataset": "iterable", "ChainDataset": "iterable", "ConcatDataset": "subsets",
              "StackDataset": "subsets", "Subset": "subsets", "random_split": "subsets"}


def __getattr__(name):
    if name not in _ELSEWHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{_ELSEWHERE[name]}", __package__), name)
