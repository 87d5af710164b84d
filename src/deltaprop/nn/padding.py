"""Padding layers: widen the last axes of the input with a constant (zeros by default), or with
values of the input itself (its mirror image, its edge repeated, or its other end).

``padding`` is an int (the same amount on every side) or PyTorch's tuple of (before, after) amounts,
last axis first: (left, right) for the 1-d layers, (left, right, top, bottom) for the 2-d ones,
(left, right, top, bottom, front, back) for the 3-d ones. A
negative amount crops, as in PyTorch. Padding has no weights; its gradient is the output's
with the padding cut off, plus, where the padding copied input values, its gradient added back there.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError
from . import functional as F
from ._options import plain_number
from .module import Module


def _amounts(owner: str, padding, dims: int) -> tuple:
    sides = 2 * dims
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        return (int(padding),) * sides
    amounts = tuple(padding) if isinstance(padding, (tuple, list)) else ()
    if len(amounts) != sides or any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in amounts):
        raise ConfigError(f"{owner}: padding must be an integer or a tuple of {sides} integers, got {padding!r}")
    return tuple(int(p) for p in amounts)


def _fill_value(owner: str, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ConfigError(f"{owner}: value must be a number, got {value!r}")
    return plain_number(value)


class _ConstantPadNd(Module):
    _dims: int

    def __init__(self, padding, value):
        super().__init__()
        self.padding = _amounts(type(self).__name__, padding, self._dims)
        self.value = _fill_value(type(self).__name__, value)

    def forward(self, x):
        try:
            return F.pad(x, self.padding, "constant", self.value)
        except (ConfigError, ShapeError) as error:  # an input with fewer axes than the padding names
            raise type(error)(f"{type(self).__name__}({self.padding}): {error}") from None

    def config(self) -> dict:
        return {"padding": list(self.padding), "value": self.value}

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last axis with ``value``: ``padding`` is (left, right) or one int for both."""

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two axes with ``value``: ``padding`` is (left, right, top, bottom) or one int."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three axes with ``value``: ``padding`` is (left, right, top, bottom, front, back)
    or one int."""

    _dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def config(self) -> dict:
        return {"padding": list(self.padding)}

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last axis with zeros: ``padding`` is (left, right) or one int for both."""

    _dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two axes with zeros: ``padding`` is (left, right, top, bottom) or one int."""

    _dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three axes with zeros: ``padding`` is (left, right, top, bottom, front, back) or one int."""

    _dims = 3


class _FillPadNd(Module):
    """Padding filled from the input itself (``F.pad`` with mode ``_mode``); a negative amount crops the
    padded result (which amounts an input allows is checked when it comes, as in PyTorch)."""

    _dims: int
    _mode: str

    def __init__(self, padding):
        super().__init__()
        name = type(self).__name__
        self.padding = _amounts(name, padding, self._dims)

    def forward(self, x):
        try:
            return F.pad(x, self.padding, self._mode)
        except ShapeError as error:
            raise ShapeError(f"{type(self).__name__}({self.padding}): {error}") from None

    def config(self) -> dict:
        return {"padding": list(self.padding)}

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_FillPadNd):
    """Pad the last axis with its mirror image about the edge (the edge not repeated): ``padding`` is
    (left, right) or one int, each less than the axis length. [1, 2, 3] padded by 2: [3, 2, 1, 2, 3, 2, 1];
    by (-1, 2): [2, 3, 2, 1]."""

    _dims, _mode = 1, "reflect"


class ReflectionPad2d(_FillPadNd):
    """Pad the last two axes by reflection: ``padding`` is (left, right, top, bottom) or one int. Image
    models use it before a convolution to avoid the dark border zeros make."""

    _dims, _mode = 2, "reflect"


class ReflectionPad3d(_FillPadNd):
    """Pad the last three axes of an (N, C, D, H, W) or (C, D, H, W) input by reflection: ``padding``
    is (left, right, top, bottom, front, back) or one int, each less than its axis length."""

    _dims, _mode = 3, "reflect"


class ReplicationPad1d(_FillPadNd):
    """Pad the last axis by repeating its edge values: [1, 2, 3] padded by 2: [1, 1, 1, 2, 3, 3, 3]."""

    _dims, _mode = 1, "replicate"


class ReplicationPad2d(_FillPadNd):
    """Pad the last two axes by repeating the edge values: ``padding`` is (left, right, top, bottom) or one int."""

    _dims, _mode = 2, "replicate"


class ReplicationPad3d(_FillPadNd):
    """Pad the last three axes of an (N, C, D, H, W) or (C, D, H, W) input by repeating the edge values:
    ``padding`` is (left, right, top, bottom, front, back) or one int."""

    _dims, _mode = 3, "replicate"


class CircularPad1d(_FillPadNd):
    """Pad the last axis with the values from its other end, as if the axis were a ring:
    [1, 2, 3] padded by 2: [2, 3, 1, 2, 3, 1, 2]. Each amount is at most the axis length."""

    _dims, _mode = 1, "circular"


class CircularPad2d(_FillPadNd):
    """Pad the last two axes circularly (a torus: periodic images, convolutions without edges):
    ``padding`` is (left, right, top, bottom) or one int."""

    _dims, _mode = 2, "circular"


class CircularPad3d(_FillPadNd):
    """Pad the last three axes of an (N, C, D, H, W) or (C, D, H, W) input circularly: ``padding`` is
    (left, right, top, bottom, front, back) or one int, each at most its axis length."""

    _dims, _mode = 3, "circular"
