"""``embedding_bag``: the sum, mean or maximum of the table rows of each bag of indices, without
forming the (bags, length, width) array of an embedding followed by a reduction when bags have
different lengths.

Composed of primitives: the rows are looked up with :func:`embedding` (its gradient and
``scale_grad_by_freq``), weighted, and combined into their bags by :func:`_bag_sum` (sum, mean) or
``scatter_reduce`` with 'amax' (max, whose gradient goes to the row that reached each maximum).
Entries equal to ``padding_idx`` are left out of their bag altogether, as in PyTorch: they add
nothing, do not count in a mean, and get no gradient. An empty bag gives zeros.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError, ShapeError
from ..tensor import Tensor
from ._core import operand, record
from .arithmetic import div, mul
from .indexing import _row_index, embedding, integer_index, renorm_rows
from .scatter_reduce import scatter_reduce
from .shape import getitem

MODES = ("sum", "mean", "max")


def _bag_sum(values, bag: np.ndarray, count: int, table=None):
    """The (count, D) sums of the rows of ``values`` (n, D) by ``bag``, the bag of each row, which
    never decreases (bags are runs of the input): each run summed by np.add.reduceat. Through
    index_add (np.add.at) a 'sum' EmbeddingBag's forward and backward took 1.8x the time of an
    Embedding and a sum over the bag axis (256 bags of 40 from 10 000 x 64, float32); this way 1.1x.
    The gradient of a row is its bag's.

    ``table``: the lookup table's array, kept by the rule when the per-sample weights need a gradient,
    as PyTorch's rule keeps the table then (it reads the rows again for that gradient): an in-place
    change of the table before ``backward()`` (a later lookup's ``max_norm``) is then refused, as there."""
    V = values.data
    out = np.zeros((count, V.shape[1]), dtype=V.dtype)
    if bag.size:
        starts = np.flatnonzero(np.r_[True, bag[1:] != bag[:-1]])
        out[bag[starts]] = np.add.reduceat(V, starts, axis=0)

    def backward(g):
        _ = table  # (kept for the check of in-place changes alone; the gradient reads no table)
        return (g[bag],)

    return record(out, (values,), backward, "embedding_bag")


def _bags(op: str, index: np.ndarray, offsets, include_last_offset: bool) -> tuple:
    """(the flat indices, the bag of each, the number of bags) from a 2-d input (one bag a row) or a
    1-d input cut at ``offsets`` (each bag's start; with ``include_last_offset``, one more: the end)."""
    if index.ndim == 2:
        if offsets is not None:
            raise ShapeError(f"{op}: a 2-d input holds one bag per row, so offsets must be None, got offsets")
        count, length = index.shape
        return index.reshape(-1), np.repeat(np.arange(count), length), count
    if index.ndim != 1:
        raise ShapeError(f"{op}: expected input of shape (B, L) (a bag per row) or (N,) with offsets, got shape {index.shape}")
    if offsets is None:
        raise ShapeError(f"{op}: a 1-d input needs offsets, the start of each bag in it")
    starts = integer_index(op, offsets, "offsets")
    if starts.ndim != 1 or starts.size < 1 + bool(include_last_offset):
        raise ShapeError(f"{op}: offsets must be 1-d, with at least {1 + bool(include_last_offset)} entries, got shape "
                         f"{starts.shape}")
    if starts[0] != 0:
        raise DataError(f"{op}: offsets[0] must be 0 (the first bag starts the input), got {int(starts[0])}")
    if np.any(np.diff(starts) < 0) or starts[-1] > index.size:
        raise DataError(f"{op}: offsets must be non-decreasing and at most the input's length {index.size}, got "
                        f"{starts.tolist() if starts.size <= 10 else 'offsets outside that'}")
    if include_last_offset and starts[-1] != index.size:
        # (PyTorch's documented contract, CSR's; what it computes otherwise differs between its kernels)
        raise DataError(f"{op}: with include_last_offset the last offset is the end of the input, its length "
                        f"{index.size}, got {int(starts[-1])}")
    ends = np.append(starts[1:], index.size)
    if include_last_offset:
        starts, ends = starts[:-1], starts[1:]
    return index, np.repeat(np.arange(starts.size), ends - starts), starts.size


def embedding_bag(input, weight, offsets=None, mode="mean", per_sample_weights=None, include_last_offset=False,
                  padding_idx=None, scale_grad_by_freq=False, sparse=False, max_norm=None, norm_type=2.0):
    """Each bag's rows of ``weight`` (V, D) combined by ``mode`` ('sum', 'mean' or 'max') into one
    row of the (B, D) output. Bags are the rows of a 2-d input (B, L), or the runs of a 1-d input
    that ``offsets`` (B,) start (B + 1 entries, the last the end, with ``include_last_offset``).
    ``per_sample_weights`` (the input's shape, 'sum' only) scales each row before the sum, and gets
    its gradient, Σ g·row.

    ``sparse=True``: the table's gradient is a :class:`~deltaprop.row_gradient.RowGradient` listing the
    rows the bags read (``padding_idx`` left out), as :func:`embedding`'s; not with mode 'max', which
    PyTorch refuses it. ``max_norm``: every row the input names (padding included, each once) whose
    ``norm_type``-norm exceeds it is first rescaled in place to that norm, as :func:`embedding` does."""
    op = "embedding_bag"
    if mode not in MODES:
        raise ConfigError(f"{op}: mode must be one of 'sum', 'mean' or 'max', got {mode!r}")
    if mode == "max" and sparse:
        raise ConfigError(f"{op}: mode='max' does not support sparse=True (as in PyTorch); use mode 'sum' or "
                          "'mean', or sparse=False")
    if mode == "max" and scale_grad_by_freq:
        raise ConfigError(f"{op}: mode='max' does not support scale_grad_by_freq=True (as in PyTorch); use mode "
                          "'sum' or 'mean', or scale_grad_by_freq=False")
    table = operand(weight)
    if np.ndim(table.data) != 2:
        raise ShapeError(f"{op}: weight must be a table of shape (num_embeddings, embedding_dim), got shape "
                         f"{np.shape(table.data)}")
    rows, width = np.shape(table.data)
    index = integer_index(op, input, "indices")
    shape = index.shape
    flat, bag, count = _bags(op, index, offsets, bool(include_last_offset))
    if flat.size and (flat.min() < 0 or flat.max() >= rows):
        bad = flat[(flat < 0) | (flat >= rows)][0]
        raise DataError(f"{op}: index {bad} is outside [0, {rows}) for a table of {rows} rows")
    weights = None
    if per_sample_weights is not None:
        if mode != "sum":
            raise ConfigError(f"{op}: per_sample_weights is only for mode='sum', got mode={mode!r}")
        weights = operand(per_sample_weights)
        if np.shape(weights.data) != shape:
            raise ShapeError(f"{op}: per_sample_weights must have the input's shape {shape}, got shape "
                             f"{np.shape(weights.data)}")
        weights = weights.reshape(-1)[: flat.size] if weights.requires_grad else Tensor._wrap(
            np.asarray(weights.data, dtype=table.data.dtype).reshape(-1)[: flat.size])
    padding = _row_index(op, padding_idx, rows)
    if max_norm is not None:
        renorm_rows(op, table, flat, max_norm, norm_type)
    if padding is not None:
        kept = flat != padding
        flat, bag = flat[kept], bag[kept]
        if weights is not None:
            weights = getitem(weights, kept)
    picked = embedding(flat, table, None, scale_grad_by_freq, bool(sparse))  # (n, D)
    if mode == "max":
        base = np.zeros((count, width), dtype=table.data.dtype)
        return scatter_reduce(base, 0, np.broadcast_to(bag[:, None], (bag.size, width)), picked, "amax",
                              include_self=False)
    if weights is not None:
        picked = mul(picked, weights.reshape(-1, 1))
    out = _bag_sum(picked, bag, count, table.data if weights is not None and weights.requires_grad else None)
    if mode == "mean":
        sizes = np.bincount(bag, minlength=count).astype(table.data.dtype)
        out = div(out, np.maximum(sizes, 1)[:, None])
    return out
