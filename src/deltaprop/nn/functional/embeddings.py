"""Integer indices to vectors: one-hot codes, embedding lookups and bags of them."""

from __future__ import annotations

import numbers

import numpy as np

from ... import ops
from ...creation import checked_size
from ...errors import ConfigError
from ...tensor import Tensor


def one_hot(tensor, num_classes: int = -1):
    """Each integer class index as a row of zeros with a 1 at its position (int64), as PyTorch's: the
    result has shape ``tensor.shape + (num_classes,)``, and ``num_classes=-1`` takes the largest
    index plus one. It carries no gradient (its input is labels)."""
    labels = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if labels.dtype.kind not in "iu":
        raise ConfigError(f"one_hot: class indices must be integers, got dtype {labels.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < -1:
        raise ConfigError(f"one_hot: num_classes must be a non-negative integer or -1 (take it from the largest "
                          f"index), got {num_classes!r}")
    if num_classes == -1:
        if labels.size == 0:
            raise ConfigError("one_hot: cannot infer the number of classes from an empty tensor; give num_classes")
        num_classes = int(labels.max()) + 1
    if labels.size and labels.min() < 0:
        raise ConfigError(f"one_hot: class indices must be non-negative, got {int(labels.min())}")
    if labels.size and labels.max() >= num_classes:
        raise ConfigError(f"one_hot: class index {int(labels.max())} is not below num_classes={num_classes}")
    out = np.zeros(checked_size("one_hot", labels.shape + (int(num_classes),), 8), dtype=np.int64)
    np.put_along_axis(out, labels[..., None].astype(np.intp), 1, axis=-1)
    return Tensor._wrap(out)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False):
    """Rows of ``weight`` picked by the integer indices in ``input`` (see :func:`deltaprop.ops.embedding`).

    ``sparse=True``: the table's gradient is still a dense array, one that also lists the rows
    picked (a :class:`~deltaprop.row_gradient.RowGradient`), which :class:`~deltaprop.optim.SparseAdam`
    needs. ``max_norm`` (renormalising the rows it reads, in place) is not provided; asking for it
    is a ConfigError rather than a silent difference.
    """
    _refuse_embedding_options("embedding", max_norm, False)
    return ops.embedding(input, weight, padding_idx, scale_grad_by_freq, bool(sparse))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type: float = 2, scale_grad_by_freq: bool = False,
                  mode: str = "mean", sparse: bool = False, per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx=None):
    """The sum, mean or maximum of the rows of ``weight`` that each bag of ``input`` picks, one
    output row a bag (see :func:`deltaprop.ops.embedding_bag`); ``max_norm`` and ``sparse`` are
    refused, as by :func:`embedding`."""
    _refuse_embedding_options("embedding_bag", max_norm, sparse)
    return ops.embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx,
                             scale_grad_by_freq)


def _refuse_embedding_options(owner: str, max_norm, sparse) -> None:
    if max_norm is not None:
        raise ConfigError(f"{owner}: max_norm is not supported by deltaprop (it rescales table rows in place as they "
                          f"are read); got max_norm={max_norm!r}, leave it None")
    if sparse:
        raise ConfigError(f"{owner}: sparse=True is not supported by deltaprop's bags (embedding and Embedding "
                          "take it); leave sparse=False")
