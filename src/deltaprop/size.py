"""``Size``: a shape as PyTorch names it, a tuple of ints that prints as ``deltaprop.Size([2, 3])``.

It is a tuple in every other way (it compares equal to one, NumPy takes it as a shape), and its
slices, sums and repeats stay Sizes, as ``torch.Size``'s do. ``x.shape`` and ``x.size()`` stay
plain tuples (see :attr:`deltaprop.Tensor.shape`).
"""

from __future__ import annotations

import math
import operator


class Size(tuple):
    """A tuple of ints naming a shape: ``deltaprop.Size([2, 3])``; ``numel()`` is their product."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        try:
            items = tuple(sizes)
        except TypeError:
            raise TypeError(f"Size: takes a sequence of integers, got {type(sizes).__name__} {sizes!r}") from None
        sizes = []
        for n in items:
            try:  # (an integer of any kind: Python's, NumPy's, a one-element integer tensor)
                sizes.append(operator.index(n))
            except TypeError:
                raise TypeError(f"Size: takes a sequence of integers, got {type(n).__name__} {n!r} among "
                                f"{items!r}") from None
        return super().__new__(cls, sizes)

    def __repr__(self) -> str:
        return f"deltaprop.Size({list(self)})"

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return math.prod(self)

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, other)) if isinstance(other, tuple) else NotImplemented

    def __radd__(self, other):
        return Size(tuple.__add__(other, self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, times):
        return Size(tuple.__mul__(self, times))

    __rmul__ = __mul__
