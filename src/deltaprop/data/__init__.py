"""Data in, batches out: datasets, the DataLoader, splits, CSV/NPZ loading, preprocessing, digits.

    >>> from deltaprop.data import ArrayDataset, DataLoader, load_digits, train_test_split
    >>> X, y = load_digits()
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, seed=0)
    >>> loader = DataLoader(ArrayDataset(X_train, y_train), batch_size=64, shuffle=True, seed=0)
    >>> xb, yb = next(iter(loader))
    >>> xb.shape, yb.shape
    ((64, 64), (64,))

torch.utils.data's names run unchanged: ``DataLoader(ds, batch_size=64, shuffle=True, num_workers=4,
generator=deltaprop.Generator().manual_seed(0))``, ``batch_sampler=``, ``IterableDataset``,
``BatchSampler``, ``default_collate`` and the rest (see docs/porting.md for where they differ).

Every problem with the data raises :class:`deltaprop.errors.DataError`, one sentence that names the
file, row, column or value at fault.
"""

from .. import _lazy
from .batching import BatchSampler
from .collate import default_collate, default_convert
from .csv import load_csv
from .dataset import ArrayDataset, Dataset, TensorDataset
from .digits import load_digits
from .iterable import ChainDataset, IterableDataset
from .loader import DataLoader
from .npz import load_npz
from .preprocessing import LabelEncoder, StandardScaler, one_hot
from .samplers import RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler
from .split import train_test_split
from .subsets import ConcatDataset, StackDataset, Subset, random_split
from .table import Table
from .workers import get_worker_info

__all__ = [
    "ArrayDataset", "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "LabelEncoder", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "StandardScaler", "Subset",
    "SubsetRandomSampler", "Table", "TensorDataset", "WeightedRandomSampler", "default_collate", "load_csv",
    "load_digits", "load_npz", "one_hot", "random_split", "train_test_split",
    "DistributedSampler", "default_convert", "get_worker_info",
]

# on first use: the sampler of a share of the data per process, for distributed training
_lazy.provide(globals(), {".distributed": "DistributedSampler"}, modules=(".distributed",))
