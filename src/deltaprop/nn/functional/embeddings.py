"""Integer indices to vectors: one-hot codes, embedding lookups and bags of them."""

from __future__ import annotations

import numbers

import numpy as np

from ... import ops
from ...creation import checked_size
from ...errors import ConfigError
from ...ops.indexing import embedding_norm_options
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

    ``max_norm``, as PyTorch's: before the lookup, every row of ``weight`` that ``input`` names (each
    once) whose ``norm_type``-norm exceeds ``max_norm`` is rescaled in place to max_norm / (norm + 1e-7)
    times itself; the lookup reads the rescaled rows, and no gradient flows through the rescaling. The
    change is visible in ``weight`` afterwards, and a graph recorded earlier that needs the table's old
    values can no longer be differentiated (``backward()`` refuses it, as PyTorch's version counter
    does). ``sparse=True``: the table's gradient is still a dense array, one that also lists the rows
    picked (a :class:`~deltaprop.row_gradient.RowGradient`), which :class:`~deltaprop.optim.SparseAdam`
    needs.
    """
    max_norm, norm_type = _norm_options("embedding", max_norm, norm_type)
    return ops.embedding(input, weight, padding_idx, scale_grad_by_freq, bool(sparse), max_norm, norm_type)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type: float = 2, scale_grad_by_freq: bool = False,
                  mode: str = "mean", sparse: bool = False, per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx=None):
    """The sum, mean or maximum of the rows of ``weight`` that each bag of ``input`` picks, one
    output row a bag (see :func:`deltaprop.ops.embedding_bag`). ``max_norm`` and ``norm_type`` rescale
    the rows the input names first, as :func:`embedding` does (every index of the input, padding
    included). ``sparse=True`` gives the table a gradient listing the rows the bags read, as
    :func:`embedding`'s (mode 'sum' or 'mean'; PyTorch refuses it with 'max', and so does this)."""
    max_norm, norm_type = _norm_options("embedding_bag", max_norm, norm_type)
    return ops.embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx,
                             scale_grad_by_freq, bool(sparse), max_norm, norm_type)


def _norm_options(owner: str, max_norm, norm_type) -> tuple:
    """(max_norm, norm_type) checked; ``norm_type`` only where a ``max_norm`` uses it, as PyTorch's
    functions read it only then."""
    if max_norm is None:
        return None, 2.0
    return embedding_norm_options(owner, max_norm, norm_type)
