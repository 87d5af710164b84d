"""Batches of sequences of different lengths, as PyTorch's ``nn.utils.rnn`` holds them.

A *padded* batch is one (L, N, *) tensor (N, L, * with ``batch_first``), each sequence followed by
padding up to the longest. A *packed* batch, :class:`PackedSequence`, keeps the real steps only:
the sequences sorted by decreasing length, then their steps position by position, so that
``data`` is (Σ lengths, *) and ``batch_sizes[t]`` says how many sequences have a step t (the first
that many of the sorted ones). ``sorted_indices`` is that order (None when the batch came sorted)
and ``unsorted_indices`` its inverse.

Every conversion here is one row gather (``index_select``), so gradients flow through packing and
padding: a padded position's gradient is dropped, a real step's lands on its row. :class:`~deltaprop.nn.RNN`,
:class:`~deltaprop.nn.LSTM` and :class:`~deltaprop.nn.GRU` take a packed batch and run each
sequence to its own end.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ... import ops
from ...errors import ConfigError, DataError, ShapeError
from ...tensor import Tensor


def _longs(values) -> Tensor:
    return Tensor._wrap(np.asarray(values, dtype=np.int64))


def _array(values) -> np.ndarray:
    return np.asarray(values.data if isinstance(values, Tensor) else values)


def _shape(x) -> tuple:
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of sequences of different lengths with their real steps only (see the module's text).

    Made by :func:`pack_padded_sequence` and :func:`pack_sequence`, read back by
    :func:`pad_packed_sequence` and :func:`unpack_sequence`. ``unsorted_indices`` is worked out from
    ``sorted_indices`` when not given, as PyTorch does.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        if sorted_indices is not None and unsorted_indices is None:
            unsorted_indices = _longs(np.argsort(_array(sorted_indices), kind="stable"))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        """The same batch with ``data.to(...)``: the counts and orders stay integers."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def double(self) -> "PackedSequence":
        return self.to(np.float64)

    def float(self) -> "PackedSequence":
        return self.to(np.float32)

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


# -- index arithmetic: where each step of each sequence is ------------------------------------------


def _counts(batch_sizes) -> np.ndarray:
    """``batch_sizes`` as int64 numbers, checked: a non-empty non-increasing run of positive counts."""
    sizes = _array(batch_sizes).astype(np.int64, copy=False).reshape(-1)
    if sizes.size == 0 or sizes[0] < 1 or sizes[-1] < 1 or np.any(np.diff(sizes) > 0):
        raise ShapeError(f"PackedSequence: batch_sizes must be a non-empty, non-increasing run of positive counts, "
                         f"got {sizes.tolist()}")
    return sizes


def _sorted_lengths(sizes: np.ndarray) -> np.ndarray:
    """The length of each sequence in sorted order: how many positions have a step for it."""
    return (sizes[None, :] > np.arange(sizes[0])[:, None]).sum(axis=1)


def packed_positions(batch_sizes) -> np.ndarray:
    """For each row of a packed ``data``, its place t·N + j in a time-major (L, N) padded batch of
    the sorted sequences (j the sorted position): the gather that packs such a batch."""
    sizes = _counts(batch_sizes)
    batch = int(sizes[0])
    return np.concatenate([t * batch + np.arange(b) for t, b in enumerate(sizes)])


def padded_sorted(sequence: PackedSequence, padding_value: float = 0.0) -> Tensor:
    """The packed steps as a time-major (L, N, *) batch in the sorted order, padding where a
    sequence has no step: the layout the recurrent primitives run over."""
    sizes = _counts(sequence.batch_sizes)
    length, batch = len(sizes), int(sizes[0])
    where = np.full(length * batch, sizes.sum(), dtype=np.int64)  # the padding row, after the data
    where[packed_positions(sizes)] = np.arange(sizes.sum())
    return _gather(sequence.data, where, (length, batch), padding_value)


def _gather(data, where: np.ndarray, leading: tuple, padding_value) -> Tensor:
    """Rows ``where`` of ``data`` followed by one row of ``padding_value``, shaped ``leading + row``."""
    data = _as_tensor(data)
    row = data.shape[1:]
    padding = Tensor._wrap(np.full((1, *row), padding_value, dtype=data.dtype))
    rows = ops.index_select(ops.concatenate([data, padding], axis=0), 0, where)
    return ops.reshape(rows, (*leading, *row))


# -- padding ----------------------------------------------------------------------------------------


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"):
    """One padded tensor from a list of (L_i, *) tensors: (max L_i, N, *), or (N, max L_i, *) with
    ``batch_first``; the padding after each sequence, or before it with ``padding_side='left'``."""
    if padding_side not in ("right", "left"):
        raise ConfigError(f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}")
    if isinstance(sequences, Tensor):
        sequences = [ops.getitem(sequences, i) for i in range(sequences.shape[0])]
    sequences = [_as_tensor(s) for s in sequences]
    if not sequences:
        raise ShapeError("pad_sequence: got no sequences; pass a list of at least one (L, *) tensor")
    row = _shape(sequences[0])[1:]
    for i, s in enumerate(sequences):
        if len(s.shape) == 0 or tuple(s.shape[1:]) != row:
            trailing = "".join(f", {n}" for n in row)
            raise ShapeError(f"pad_sequence: every sequence must have the shape (L{trailing}) of the first, but "
                             f"sequence {i} has shape {tuple(s.shape)}")
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    longest, batch = int(lengths.max()), len(sequences)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    steps = np.arange(longest)[None, :]  # where[i, t]: the row of sequence i's step at padded position t
    if padding_side == "left":
        steps = steps - (longest - lengths)[:, None]
    real = (steps >= 0) & (steps < lengths[:, None])
    where = np.where(real, starts[:, None] + steps, lengths.sum())
    if not batch_first:
        where = where.T
    data = sequences[0] if batch == 1 else ops.concatenate(sequences, axis=0)
    return _gather(data, where.reshape(-1), where.shape, padding_value)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """The list of sequences a padded batch holds, each cut to its length (the inverse of
    :func:`pad_sequence` with right padding)."""
    padded = _as_tensor(padded_sequences)
    lengths = _lengths("unpad_sequence", lengths, padded.shape, batch_first)
    return [ops.getitem(padded, (i, slice(0, n)) if batch_first else (slice(0, n), i))
            for i, n in enumerate(lengths.tolist())]


# -- packing ----------------------------------------------------------------------------------------


def _lengths(op: str, lengths, shape: tuple, batch_first: bool) -> np.ndarray:
    """``lengths`` as int64 numbers, checked against a padded batch of ``shape``."""
    values = _array(lengths)
    if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
        raise DataError(f"{op}: lengths must be a 1-d sequence of integers, got {values.dtype} of shape {values.shape}")
    if len(shape) < 2:
        raise ShapeError(f"{op}: the padded batch must be (L, N, *) or (N, L, *), got shape {shape}")
    batch, longest = (shape[0], shape[1]) if batch_first else (shape[1], shape[0])
    if values.size != batch:
        raise ShapeError(f"{op}: got {values.size} lengths for a batch of {batch} sequences (input of shape {shape})")
    values = values.astype(np.int64)
    if np.any(values <= 0):
        raise DataError(f"{op}: every length must be at least 1, got lengths {values.tolist()}")
    if np.any(values > longest):
        raise ShapeError(f"{op}: a length of {int(values.max())} is longer than the padded sequences ({longest} "
                         f"steps, input of shape {shape})")
    return values


def pack_padded_sequence(input, lengths, batch_first: bool = False, enforce_sorted: bool = True) -> PackedSequence:
    """A :class:`PackedSequence` of the first ``lengths[i]`` steps of each sequence of a padded
    batch. With ``enforce_sorted`` (the default) the lengths must be in decreasing order; else the
    batch is sorted here and the order kept in ``sorted_indices``."""
    x = _as_tensor(input)
    shape = tuple(x.shape)
    lengths = _lengths("pack_padded_sequence", lengths, shape, batch_first)
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise DataError(f"pack_padded_sequence: lengths must be in decreasing order with enforce_sorted=True, got "
                            f"{lengths.tolist()}; pass enforce_sorted=False to have the batch sorted")
        order, sorted_indices = np.arange(len(lengths)), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = _longs(order)
    ordered = lengths[order]
    sizes = (ordered[None, :] > np.arange(ordered[0])[:, None]).sum(axis=1)
    longest, batch = (shape[1], shape[0]) if batch_first else (shape[0], shape[1])
    steps = np.concatenate([np.full(b, t) for t, b in enumerate(sizes)])
    rows = np.concatenate([order[:b] for b in sizes])
    where = rows * longest + steps if batch_first else steps * batch + rows
    data = ops.index_select(ops.reshape(x, (longest * batch, *shape[2:])), 0, where)
    return PackedSequence(data, _longs(sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length=None) -> tuple:
    """``(padded, lengths)`` from a :class:`PackedSequence`: the batch in its original order, padded
    with ``padding_value`` to the longest sequence (or to ``total_length``), and each one's length."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got a {type(sequence).__name__}")
    sizes = _counts(sequence.batch_sizes)
    longest, batch = len(sizes), int(sizes[0])
    if total_length is None:
        total_length = longest
    elif isinstance(total_length, bool) or not isinstance(total_length, (int, np.integer)) or total_length < longest:
        raise ConfigError(f"pad_packed_sequence: total_length must be at least the length of the longest sequence "
                          f"({longest}), got {total_length!r}")
    total_length = int(total_length)
    if sequence.data.shape[0] != sizes.sum():
        raise ShapeError(f"pad_packed_sequence: data has {sequence.data.shape[0]} rows but batch_sizes counts "
                         f"{int(sizes.sum())} steps")
    lengths = _sorted_lengths(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    # place[t, j]: the data row of sorted sequence j's step t, or the padding row past its end
    steps = np.arange(total_length)[:, None]
    place = np.where(steps < lengths[None, :], offsets[np.minimum(steps, longest - 1)] + np.arange(batch), sizes.sum())
    if sequence.unsorted_indices is not None:
        unsorted = _array(sequence.unsorted_indices).astype(np.int64)
        place, lengths = place[:, unsorted], lengths[unsorted]
    if batch_first:
        place = place.T
    padded = _gather(sequence.data, place.reshape(-1), place.shape, padding_value)
    return padded, _longs(lengths)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """A :class:`PackedSequence` of a list of (L_i, *) tensors (longest first with ``enforce_sorted``)."""
    sequences = [_as_tensor(s) for s in sequences]
    lengths = [s.shape[0] if len(s.shape) else 0 for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences a :class:`PackedSequence` holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence", "pad_sequence",
           "unpack_sequence", "unpad_sequence"]
