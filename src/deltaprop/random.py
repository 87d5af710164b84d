"""One source of randomness for the whole library.

Weight initialisation, dropout masks, ``rand``/``randn`` and data shuffling without an explicit
seed all draw from this generator, so ``deltaprop.manual_seed(n)`` makes a whole run repeatable.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the library's generator: every later random draw is repeatable."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))


def default_generator() -> np.random.Generator:
    """The generator behind every random draw that was given no seed of its own."""
    return _generator


def get_rng_state() -> dict:
    """The generator's state as plain data (JSON-serialisable), for checkpoints."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state returned by :func:`get_rng_state`."""
    _generator.bit_generator.state = state
