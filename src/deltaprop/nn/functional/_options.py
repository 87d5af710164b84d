"""Checks of option values that several topics of :mod:`deltaprop.nn.functional` share (and the layers
built on them)."""

from __future__ import annotations

import numbers

import numpy as np

from ...errors import ConfigError


def _dim(op: str, dim) -> int:
    """An axis: an integer (a float would reach NumPy as an axis and fail there, or be truncated)."""
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, numbers.Integral):
        raise ConfigError(f"{op}: dim must be an integer (an axis), got {dim!r}")
    return int(dim)


def _flag(op: str, name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{op}: {name} must be True or False, got {value!r}")
    return bool(value)
