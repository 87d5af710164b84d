"""Inputs shared by the op tests (finite differences in test_ops_gradcheck.py, PyTorch in
reference/test_torch_ops.py): recipes that map (rng, shape) to a float64 array placed where the op
under test is smooth, and the constants those tests index or select with."""

import numpy as np


def anywhere(rng, shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


def away_from_zero(rng, shape):
    """|x| in [0.2, 2]: no element near the kink of relu, abs, leaky_relu or elu."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 2.0, size=shape)


def distinct(rng, shape):
    """Values at least 0.1 apart, so max and min have no ties along any axis."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(-0.02, 0.02, size=n)).reshape(shape)


def low_fraction(rng, shape):
    """An integer plus [0, 0.4]; against ``high_fraction`` (integer plus [0.5, 0.9]) every pair
    differs by at least 0.1, whatever the broadcasting: no ties in maximum or minimum."""
    return rng.integers(-2, 2, size=shape) + rng.uniform(0.0, 0.4, size=shape)


def high_fraction(rng, shape):
    return rng.integers(-2, 2, size=shape) + rng.uniform(0.5, 0.9, size=shape)


CONST = np.array([0.5, -1.5, 2.0, 3.0])
CONDITION = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 4)),
    ((3,), (2, 3, 4)),
    ((2, 4, 3), (3,)),
    # Outer products (inner dimension 1), large enough for ops._core.mm's broadcast path:
    ((20, 1), (1, 16)),
    ((2, 20, 1), (1, 16)),
    ((20, 1), (2, 1, 16)),
]


def away_from(*kinks, low=-2.0, high=2.0, gap=0.1):
    """A recipe: uniform in [low, high], each element within ``gap`` of a kink moved ``gap`` off it
    (to the side it was on), for the piecewise activations (hardtanh at ±1, relu6 at 0 and 6, ...)."""

    def recipe(rng, shape):
        x = rng.uniform(low, high, size=shape)
        for kink in kinks:
            near = np.abs(x - kink) < gap
            x[near] = kink + np.where(x[near] < kink, -gap, gap)
        return x

    return recipe
