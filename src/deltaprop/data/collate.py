"""Collation: a batch made from the list of its samples, field by field.

Two forms share the walk over a sample's structure (a dict's keys, a tuple's or a list's fields, at
every level of nesting):

- ``collate_arrays``, the DataLoader's own when it is given no ``collate_fn``: every field stacked
  into a NumPy array (into a tensor where the samples hold a tensor, in any field), the batch a
  tuple of fields (a 1-tuple for samples of one field, as an ``ArrayDataset(X)`` gives) or a dict,
  which is what ``fit`` trains on;
- ``default_collate``, PyTorch's function of that name: numbers, arrays and tensors become tensors,
  strings stay a list, a tuple becomes a list of fields, for a ``collate_fn`` ported from PyTorch
  that calls it (``DataLoader(..., collate_fn=default_collate)`` gives PyTorch's batches).

    >>> default_collate([(1, 0.5, "a"), (2, 1.5, "b")])
    [tensor([1, 2], dtype=int64), tensor([0.5, 1.5], dtype=float64), ('a', 'b')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import DataError, ShapeError
from ..tensor import Tensor


def _transposed(samples, who: str) -> list:
    """The fields of sequence samples, each as the tuple of its values across the samples."""
    widths = {len(sample) for sample in samples}
    if len(widths) > 1:
        raise DataError(f"{who}: the samples of a batch have different numbers of fields ({sorted(widths)})")
    return list(zip(*samples))


def collate_arrays(samples: list):
    """The DataLoader's batch of ``samples``: a tuple (or a dict) of stacked fields.

    Samples that hold a tensor anywhere come from a dataset written for PyTorch, such as
    torchvision's ``(image tensor, int label)``: their number and array fields are batched into
    tensors too, as PyTorch's ``default_collate`` makes them, so a ported loop's ``labels.size(0)``
    and ``labels.to(device)`` work. Samples without one are batched into NumPy arrays.
    """
    batch = _array_field(samples, _holds_tensor(samples[0]))
    return batch if isinstance(batch, (tuple, dict)) else (batch,)


def _holds_tensor(sample) -> bool:
    if isinstance(sample, Tensor):
        return True
    if isinstance(sample, Mapping):
        return any(_holds_tensor(value) for value in sample.values())
    return isinstance(sample, (tuple, list)) and any(_holds_tensor(value) for value in sample)


def _array_field(values: list, as_tensors: bool):
    first = values[0]
    if isinstance(first, Mapping):
        return {key: _array_field([value[key] for value in values], as_tensors) for key in first}
    if isinstance(first, (tuple, list)):
        return tuple(_array_field(field, as_tensors) for field in _transposed(values, "DataLoader"))
    stacked = np.stack([np.asarray(value) for value in values])
    numeric = stacked.dtype.kind in "biuf"  # (strings stay an array)
    return Tensor._wrap(stacked) if isinstance(first, Tensor) or (as_tensors and numeric) else stacked


def default_collate(batch):
    """PyTorch's ``default_collate``: the list of samples ``batch`` as one batch.

    Tensors, NumPy arrays and NumPy numbers are stacked into a tensor (their dtype kept), Python
    floats give a float64 tensor and Python ints (or bools) an int64 (bool) one, strings and bytes
    stay a list; a dict gives a dict of batched fields, a named tuple a named tuple, a tuple a list
    and a list a list of batched fields, at every level of nesting.
    """
    if not isinstance(batch, Sequence) or isinstance(batch, (str, bytes)) or not len(batch):
        what = "an empty list" if isinstance(batch, Sequence) and not len(batch) else type(batch).__name__
        raise DataError(f"default_collate: batch must be a non-empty list of samples, got {what}")
    first = batch[0]
    if isinstance(first, (str, bytes)):  # (NumPy's strings too)
        return batch
    if isinstance(first, Tensor) or isinstance(first, (np.ndarray, np.generic)):
        return _stacked(batch, first)
    if isinstance(first, float):
        return Tensor._wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(first, int):  # (bool too) as torch.tensor reads a list: floats among them give float32
        values = np.asarray(batch)
        return Tensor._wrap(values.astype(np.float32) if values.dtype.kind == "f" else values)
    if isinstance(first, Mapping):
        fields = {key: default_collate([sample[key] for sample in batch]) for key in first}
        try:
            return type(first)(fields)
        except TypeError:  # a mapping that cannot be made from a dict
            return fields
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a named tuple keeps its type
        return type(first)(*(default_collate(field) for field in _transposed(batch, "default_collate")))
    if isinstance(first, Sequence):
        fields = [default_collate(field) for field in _transposed(batch, "default_collate")]
        if isinstance(first, tuple):
            return fields
        try:
            return type(first)(fields)
        except TypeError:  # a sequence that cannot be made from a list
            return fields
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
                    f"{type(first)}")


def _stacked(batch: list, first) -> Tensor:
    arrays = [np.asarray(value.data if isinstance(value, Tensor) else value) for value in batch]
    if arrays[0].dtype.kind in "USO":
        raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
                        f"{arrays[0].dtype}")
    shapes = {array.shape for array in arrays}
    if len(shapes) > 1:
        different = next(i for i, array in enumerate(arrays) if array.shape != arrays[0].shape)
        raise ShapeError(f"default_collate: every {type(first).__name__} of a batch must have the same shape, got "
                         f"{arrays[0].shape} at entry 0 and {arrays[different].shape} at entry {different}")
    return Tensor._wrap(np.stack(arrays))


def default_convert(data):
    """PyTorch's ``default_convert``, the DataLoader's ``collate_fn`` for unbatched loading
    (``batch_size=None``): every NumPy array or NumPy scalar in ``data`` becomes a tensor sharing
    its memory, at any level of a dict, list or tuple (a namedtuple keeps its type, another tuple
    becomes a list, as PyTorch makes them); numbers, strings, arrays of strings and the rest stay
    as they are."""
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        array = np.asarray(data)
        return data if array.dtype.kind in "USO" else Tensor._wrap(array)
    if isinstance(data, Mapping):
        return type(data)({key: default_convert(value) for key, value in data.items()}) \
            if not isinstance(data, dict) or type(data) is dict else {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(value) for value in data))
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(value) for value in data]
    return data
