"""Adding the positions j of an array onto positions index[j] along one axis, index non-decreasing.

This is the gradient of a gather along an axis (interpolation's, see resample.py): position i of
the result receives the sum of all j with index[j] = i. NumPy's ways to do it directly were slow on
feature maps: ``np.add.at`` is unbuffered, and ``np.add.reduceat`` runs its inner loop once per
run and row (1.8 ms along H of a (8, 16, 64, 64) gradient, where a pass of multiplication over it
took 0.1; 0.9 along W of a (8, 16, 32, 64) one), and adding through a fancy index on the last axis
took 1.4 ms.

Because index is non-decreasing, its equal entries form runs. Taking the k-th member of every run
(a "pass") gives distinct targets, so one ordinary in-place add per pass is exact; there are as
many passes as the longest run (2-3 for a factor-2 upsampling). Within a pass, the pairs
(j, index[j]) usually fall into a few arithmetic progressions, each of which is a pair of strided
slices: the add works on views, no index arrays. A pass whose pairs are irregular (a factor such as
200/128) gathers its sources with ``np.take`` into the contiguous range of its targets; a target
without a k-th member reads a column of zeros appended to the source. Runs longer than
``_MOST_PASSES`` (a large upsampling, a size-1 input) are left to ``np.add.reduceat``, whose
per-run cost is small beside a long run.

Sums are taken in a different order than reduceat's, so results differ from it by float rounding
only; every product and sum of the rule is still taken, so an inf or NaN spreads as before.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _memory

_MOST_PASSES = 8
_MOST_PIECES = 3  # arithmetic pieces per pass worth a slice each; beyond, one np.take
# Plans of axes up to this long, in and out, are cached (64 of them: at most about 20 MB); longer
# ones are made afresh each time, which costs little beside the passes over such arrays.
_MOST_CACHED = 4096


def _plan(index: np.ndarray) -> tuple | None:
    """((target slice, source slice or index array), ...) for a non-decreasing index array; None
    when a run is longer than _MOST_PASSES. The same index arrays come back every step, hence the
    cache."""
    key = (index.tobytes(), index.dtype.str)
    if len(index) > _MOST_CACHED or index[-1] >= _MOST_CACHED:
        return _planned(*key)
    return _cached_plan(*key)


def _planned(index_bytes: bytes, dtype: str) -> tuple | None:
    index = np.frombuffer(index_bytes, dtype=dtype)
    n = len(index)
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    lengths = np.diff(np.r_[starts, n])
    if lengths.max() > _MOST_PASSES:
        return None
    targets = index[starts]
    plan = []
    for k in range(int(lengths.max())):
        member = lengths > k
        source, target = starts[member] + k, targets[member]
        pieces = _arithmetic_pieces(source, target)
        if pieces is not None:
            plan.extend(pieces)
        else:
            low, high = int(target[0]), int(target[-1]) + 1
            gather = np.full(high - low, n)  # n: the appended column of zeros
            gather[target - low] = source
            plan.append((slice(low, high), gather))
    return tuple(plan)


_cached_plan = functools.lru_cache(maxsize=64)(_planned)


def _arithmetic_pieces(source: np.ndarray, target: np.ndarray) -> list | None:
    """The pairs split greedily into runs where both step evenly, as (target slice, source slice),
    or None when that takes more than _MOST_PIECES. Both arrays are strictly increasing."""
    m = len(source)
    ds, dt = np.diff(source), np.diff(target)
    # diff position p where the step differs from the step at p - 1
    turns = np.flatnonzero((ds[1:] != ds[:-1]) | (dt[1:] != dt[:-1])) + 1
    pieces, i = [], 0
    while i < m:
        if len(pieces) == _MOST_PIECES:
            return None
        if i == m - 1:
            last = i
        else:  # from i, the steps stay (ds[i], dt[i]) up to the next turn after i
            later = turns[turns > i]
            last = int(later[0]) if len(later) else m - 1
        s_step = int(ds[i]) if last > i else 1
        t_step = int(dt[i]) if last > i else 1
        pieces.append((slice(int(target[i]), int(target[last]) + 1, t_step),
                       slice(int(source[i]), int(source[last]) + 1, s_step)))
        i = last + 1
    return pieces


def add_onto(gx: np.ndarray, g: np.ndarray, w, index: np.ndarray, axis: int) -> None:
    """gx[..., index[j], ...] += (g·w)[..., j, ...] along ``axis``, for a non-decreasing ``index``;
    ``w`` None means the weights are all one (g itself is added, no product taken)."""
    lead = (slice(None),) * axis
    plan = _plan(index)
    if plan is None:
        c = g if w is None else g * w
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        gx[lead + (index[starts],)] += np.add.reduceat(c, starts, axis=axis)  # distinct positions
        return
    if any(not isinstance(source, slice) for _, source in plan):
        # c gets a column of zeros after its last position, for the targets a pass skips
        shape = list(g.shape)
        shape[axis] += 1
        padded = _memory.empty(shape, np.result_type(g, w) if w is not None else g.dtype)
        c = padded[lead + (slice(0, -1),)]
        if w is None:
            np.copyto(c, g)
        else:
            np.multiply(g, w, out=c)
        padded[lead + (-1,)] = 0
    else:
        padded = None
        c = g if w is None else np.multiply(g, w, out=_memory.empty(g.shape, np.result_type(g, w)))
    for target, source in plan:
        view = gx[lead + (target,)]
        part = c[lead + (source,)] if isinstance(source, slice) else np.take(padded, source, axis=axis)
        np.add(view, part, out=view)
