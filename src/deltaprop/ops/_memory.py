"""Large arrays from a per-thread pool of reusable blocks, so that training steps stop page-faulting.

**Why.** glibc hands a large block back to the kernel when it is freed (an mmap of its own, or the
free top of the heap), and the next request for that much memory is then met with fresh pages, each
of which faults on its first write. A training step frees its activations and gradients at its end
and asks for the same sizes again at the start of the next, so on the conv2d benchmark network 1,000
to 2,000 faults per step (about 3.4 µs each on the reference machine, 20-30% of the step) came and
went with the state in which the previous step, or another library in the process, had left glibc's
heap. An allocator setting (``MALLOC_TOP_PAD_``) would stop it too, but for the whole process.

**How.** A primitive that makes a large array (a convolution's output, a ReLU's, a gradient of the
same size) asks :func:`empty_like` or :func:`empty` here. The array it gets is a view of a block,
a flat byte array this module owns; the view, and every view taken of it in turn, keeps a reference
to the block (``ndarray.base``). A block is free again when the pool's own reference is the only
one left, which ``sys.getrefcount`` tells: no finalizer, no explicit release, and a user who keeps
an activation simply keeps its block busy. (CPython counts references exactly; the check runs with
the GIL held, so a view can't be taken of a block while it is found free. At import, a probe
checks that a view shows as one more reference; where it does not, the pool stays off.)

**Bounds.** Arrays below ``MIN_BYTES`` (256 KiB) come from NumPy as before: the heap's free
lists serve most of them without faults, and a pool lookup (about 3 µs) costs more than it saves.
(At 128 KiB the medium dense network's 128 KiB ReLU outputs were pooled and its steps ran 1-3%
slower; at 1 MiB the conv1d benchmark's 400 KB activations faulted, and its steps took 2.4 instead
of 1.6 ms.) A block serves requests of at least half its size. The pool holds at most ``LIMIT``
bytes (256 MiB) per thread, busy and free: when a request finds no block that fits, free blocks
are dropped (largest first) to make room, and a request that still finds none gets its array from
NumPy. So a change of batch size does not keep the old sizes for ever, and what the pool keeps
after training is bounded; :func:`release` drops the free blocks at once. Each thread has its own
pool.
"""

from __future__ import annotations

import sys
import threading

import numpy as np

LIMIT = 256 << 20
_ALIGN = 1 << 12  # block sizes in whole pages


class _Pool(threading.local):
    def __init__(self):
        self.blocks: list[np.ndarray] = []


_pool = _Pool()


def _refcounts(blocks: list) -> list:
    """The reference count of each block, read the one way this module ever reads them."""
    return [sys.getrefcount(block) for block in blocks]


def _calibrate():
    """The count :func:`_refcounts` shows for a block that only its list holds, or None where the
    counts can't tell a free block from a busy one: no ``sys.getrefcount``, a free-threaded build,
    or an interpreter that counts differently (CPython 3.14 skips some increments, for one)."""
    if not hasattr(sys, "getrefcount") or not getattr(sys, "_is_gil_enabled", lambda: True)():
        return None
    probe = [np.empty(16, np.uint8)]
    free = _refcounts(probe)[0]
    view = probe[0][1:]
    busy = _refcounts(probe)[0]
    del view
    return free if busy == free + 1 and _refcounts(probe)[0] == free else None


_FREE = _calibrate()
# Where free blocks can't be told apart, every array comes from NumPy.
MIN_BYTES = 256 << 10 if _FREE is not None else float("inf")


def _block(nbytes: int):
    """A free block of at least ``nbytes`` bytes (and at most twice that), found or made; None
    when the pool is full."""
    blocks = _pool.blocks
    counts = _refcounts(blocks)
    best = None
    for block, count in zip(blocks, counts):
        if count == _FREE and nbytes <= block.size <= 2 * nbytes and (best is None or block.size < best.size):
            best = block
    if best is not None:
        return best
    # None fits. The pool holds at most LIMIT bytes, busy and free: free blocks go, largest first,
    # until the new one fits under it; if it still does not, the array comes from NumPy.
    total = sum(block.size for block in blocks)
    size = -(-nbytes // _ALIGN) * _ALIGN
    if total + size > LIMIT:
        free = [block for block, count in zip(blocks, counts) if count == _FREE]
        free.sort(key=lambda block: block.size, reverse=True)
        dropped = set()
        for block in free:
            if total + size <= LIMIT:
                break
            dropped.add(id(block))
            total -= block.size
        if dropped:
            _pool.blocks = blocks = [block for block in blocks if id(block) not in dropped]
        if total + size > LIMIT:
            return None
    block = np.empty(size, np.uint8)
    blocks.append(block)
    return block


def release() -> None:
    """Drop this thread's free blocks (the memory goes back to the allocator); busy ones stay."""
    blocks = _pool.blocks
    _pool.blocks = [block for block, count in zip(blocks, _refcounts(blocks)) if count != _FREE]


def empty(shape, dtype) -> np.ndarray:
    """An uninitialised C-ordered array of ``shape`` and ``dtype`` (pooled when it is large)."""
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    block = _block(nbytes) if nbytes >= MIN_BYTES else None
    if block is None:
        return np.empty(shape, dtype)
    return block[:nbytes].view(dtype).reshape(shape)


def zeros(shape, dtype) -> np.ndarray:
    """A C-ordered array of zeros (pooled when it is large: a gradient that a selection's rule
    scatters into, where np.zeros's fresh pages would fault as they are written)."""
    out = empty(shape, dtype)
    out.fill(0)
    return out


def empty_like(a: np.ndarray, dtype=None) -> np.ndarray:
    """An uninitialised array of ``a``'s shape in ``a``'s memory order (as ``np.empty_like``)."""
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    if a.size * dtype.itemsize < MIN_BYTES:
        return np.empty_like(a, dtype=dtype)
    if a.flags.c_contiguous:
        return empty(a.shape, dtype)
    # The axes from the largest stride to the smallest (stable: equal strides keep their order)
    # are the memory order; the array is made C-ordered in that order and permuted back.
    order = sorted(range(a.ndim), key=lambda i: -abs(a.strides[i]))
    inverse = [0] * a.ndim
    for position, axis in enumerate(order):
        inverse[axis] = position
    return empty([a.shape[i] for i in order], dtype).transpose(inverse)


def zeros_like(a: np.ndarray, dtype=None) -> np.ndarray:
    out = empty_like(a, dtype)
    out.fill(0)
    return out


def held() -> tuple:
    """(blocks, bytes) that this thread's pool holds, busy or free: for tests and diagnostics."""
    return len(_pool.blocks), sum(block.size for block in _pool.blocks)
