"""The seeds of deltaprop.data: checked once, and drawn from a generator when not given.

Every random thing here (a loader's shuffles, a sampler's draws, a random split) is a function of a
seed. A seed that is not given is drawn from the ``generator=`` given (a
:class:`deltaprop.Generator`, as PyTorch's functions take one) or else from
``deltaprop.default_generator``, so ``deltaprop.manual_seed(n)`` fixes it too.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..random import Generator, numpy_generator

# Seeds drawn for seed=None lie in [0, 2**63) so they stay exact in JSON and in int64.
_SEED_BOUND = 2**63


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_seed(seed, where: str):
    if seed is not None and (not _is_int(seed) or seed < 0):
        raise ConfigError(f"{where}: seed must be None or a non-negative integer, got {seed!r}")
    return None if seed is None else int(seed)


def check_randomness(seed, generator, where: str) -> tuple:
    """(seed, generator) checked: at most one of them, the seed a non-negative integer, the
    generator a deltaprop Generator."""
    seed = _check_seed(seed, where)
    if generator is not None:
        numpy_generator(generator, where)  # refuses anything but a deltaprop Generator
        if seed is not None:
            raise ConfigError(f"{where}: give seed (deltaprop's form) or generator (PyTorch's), not both")
    return seed, generator


def draw_seed(generator: Generator | None = None) -> int:
    """A fresh seed from ``generator``, or from deltaprop's generator when None."""
    return int(numpy_generator(generator).integers(_SEED_BOUND))
