"""The backward pass of ``split`` (and ``chunk``): what it allocates and how long it takes.

Splitting a (64, 10, 96) tensor into 3 pieces along the last axis, as attention splits its packed
query/key/value projection, then the backward sweep from the sum of the pieces. Two contestants,
side by side in one process with their repeats alternated:

- ``getitem pieces``: each piece a slice taken by indexing, whose rule scatters the piece's gradient
  into zeros of the input's shape (k arrays of the input's size, summed by the engine);
- ``dp.split``: the pieces as ``split`` makes them.

Printed: the peak of the memory traced during one backward (``tracemalloc``), in units of the
input's size, and the median time of a backward, with the ratio of the two medians. The times
depend on the state of glibc's allocator (arrays of this size are mapped and unmapped, and their
pages fault when first written): run it in a few fresh processes, with and without
``MALLOC_MMAP_THRESHOLD_=1000000000`` (no mapping, so no faults), and compare within each.

    python benchmarks/split_backward.py
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import numpy as np

import deltaprop as dp
from deltaprop import ops

SHAPE, PIECES, REPEATS = (64, 10, 96), 3, 400


def by_getitem(x):
    width = x.shape[-1] // PIECES
    return [ops.getitem(x, (Ellipsis, slice(i * width, (i + 1) * width))) for i in range(PIECES)]


def by_split(x):
    return dp.split(x, x.shape[-1] // PIECES, dim=-1)


def graph(make_pieces, dtype):
    x = dp.tensor(np.random.default_rng(0).standard_normal(SHAPE), dtype=dtype, requires_grad=True)
    loss = None
    for piece in make_pieces(x):
        loss = piece.sum() if loss is None else loss + piece.sum()
    return x, loss


def peak(make_pieces, dtype) -> float:
    """Peak traced memory of one backward, in units of the input's size."""
    x, loss = graph(make_pieces, dtype)
    tracemalloc.start()
    loss.backward()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / x.data.nbytes


def main() -> None:
    contestants = {"getitem pieces": by_getitem, "dp.split": by_split}
    for dtype in (np.float32, np.float64):
        grads = [graph(make, dtype) for make in contestants.values()]
        for x, loss in grads:
            loss.backward()
        np.testing.assert_array_equal(grads[0][0].grad, grads[1][0].grad)  # the same gradient
        peaks = {name: peak(make, dtype) for name, make in contestants.items()}
        times = {name: [] for name in contestants}
        for _ in range(REPEATS):
            for name, make in contestants.items():  # alternated: load on the machine hits both alike
                x, loss = graph(make, dtype)
                started = time.perf_counter()
                loss.backward()
                times[name].append(time.perf_counter() - started)
                del x, loss  # freed here, not while the other contestant builds its graph
        medians = {name: statistics.median(t) for name, t in times.items()}
        print(f"{np.dtype(dtype).name}, input {SHAPE} in {PIECES} pieces ({REPEATS} alternated repeats):")
        for name in contestants:
            print(f"  {name:15s} backward peak {peaks[name]:.2f} x input size, median {medians[name] * 1e6:7.1f} µs")
        ratio = medians["dp.split"] / medians["getitem pieces"]
        print(f"  dp.split / getitem pieces: time {ratio:.2f}, peak "
              f"{peaks['dp.split'] / peaks['getitem pieces']:.2f}")


if __name__ == "__main__":
    main()
