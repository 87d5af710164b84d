"""Looking values up, PyTorch's: searchsorted, bucketize and isin. The results are positions
(int64, or int32 on request) or booleans, and carry no gradient."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._core import operand


def _side(op: str, right: bool, side) -> str:
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise ConfigError(f"{op}: side must be 'left' or 'right', got {side!r}")
    if right and side == "left":
        raise ConfigError(f"{op}: side='left' and right=True ask for opposite sides; give one of them")
    return side


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """For each value of ``input``, the position in ``sorted_sequence`` (ascending along its last
    dimension) where it would be inserted to keep the order: before equal values (``side='left'``)
    or after them (``side='right'``, or ``right=True``). An N-d sequence searches each of its rows
    for the values of the matching row of ``input`` (their leading dimensions equal). ``sorter``
    gives the order of an unsorted sequence (as argsort would)."""
    side = _side("searchsorted", right, side)
    sequence = np.asarray(operand(sorted_sequence).data)
    values = np.asarray(operand(input).data)
    if sorter is not None:
        order = np.asarray(operand(sorter).data)
        if order.shape != sequence.shape or order.dtype.kind not in "iu":
            raise ShapeError(f"searchsorted: sorter must be integers of the sequence's shape {sequence.shape}, "
                             f"got {order.dtype} of shape {order.shape}")
        sequence = np.take_along_axis(sequence, order.astype(np.intp), axis=-1)
    if sequence.ndim == 0:
        raise ShapeError("searchsorted: the sorted sequence must have at least one dimension, got a 0-d tensor")
    dtype = np.int32 if out_int32 else np.int64
    if sequence.ndim == 1:
        return Tensor._wrap(np.asarray(np.searchsorted(sequence, values, side=side), dtype=dtype))
    if values.ndim != sequence.ndim or values.shape[:-1] != sequence.shape[:-1]:
        raise ShapeError(f"searchsorted: a sequence of shape {sequence.shape} needs values with the same leading "
                         f"dimensions {sequence.shape[:-1]}, got shape {values.shape}")
    rows, row_values = sequence.reshape(-1, sequence.shape[-1]), values.reshape(-1, values.shape[-1])
    out = np.zeros(row_values.shape, dtype)
    for i, (row, row_value) in enumerate(zip(rows, row_values)):
        out[i] = np.searchsorted(row, row_value, side=side)
    return Tensor._wrap(out.reshape(values.shape))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` among the ascending ``boundaries`` (a vector): i such
    that boundaries[i − 1] < x ≤ boundaries[i] (``right=True``: boundaries[i − 1] ≤ x < boundaries[i])."""
    edges = np.asarray(operand(boundaries).data)
    if edges.ndim != 1:
        raise ShapeError(f"bucketize: boundaries must be a vector, got shape {edges.shape}")
    return searchsorted(edges, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Booleans of ``elements``' shape: whether each element occurs among ``test_elements`` (NaN
    never does); ``invert=True`` asks whether it does not. Either may be a number."""
    x = np.asarray(operand(elements).data)
    test = np.asarray(operand(test_elements).data)
    return Tensor._wrap(np.isin(x, test, assume_unique=assume_unique, invert=invert))
