"""Layers' constructor options as model files hold them: ``config()`` gives back what the
constructor kept, and a model file stores that as JSON, which has no NumPy types."""

from __future__ import annotations

import numpy as np

from ..ops.activation import real_option


def plain_number(value):
    """A NumPy number as the Python number it equals; anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value


def real_as_given(owner: str, name: str, value, *, finite: bool = False, nonzero: bool = False):
    """A real-number option, checked as :func:`~deltaprop.ops.activation.real_option` checks it (a
    ConfigError naming ``owner`` and ``name``), kept as given: an int stays an int, as PyTorch keeps
    it and its repr echoes it (``ELU(alpha=2)``); a NumPy number becomes Python's."""
    real_option(owner, name, value, finite=finite, nonzero=nonzero)
    return plain_number(value)


def plain_option(value):
    """An option as given, a list as a tuple (so ``config()`` gives back the same), its NumPy
    numbers as Python's."""
    if isinstance(value, (list, tuple)):
        return tuple(plain_number(v) for v in value)
    return plain_number(value)
