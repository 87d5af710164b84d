"""The seeds of deltaprop.data: checked once, and drawn from deltaprop's generator when not given.

Every random thing here (a loader's shuffles, a sampler's draws, a random split) is a function of a
seed; a seed that is not given is drawn from :func:`deltaprop.random.default_generator`, so
``deltaprop.manual_seed(n)`` fixes it too.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..random import default_generator

# Seeds drawn for seed=None lie in [0, 2**63) so they stay exact in JSON and in int64.
_SEED_BOUND = 2**63


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_seed(seed, where: str):
    if seed is not None and (not _is_int(seed) or seed < 0):
        raise ConfigError(f"{where}: seed must be None or a non-negative integer, got {seed!r}")
    return None if seed is None else int(seed)


def draw_seed() -> int:
    """A fresh seed from deltaprop's generator."""
    return int(default_generator().integers(_SEED_BOUND))
