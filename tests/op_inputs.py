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


def with_zeros(rng, shape):
    """About a third of the elements exactly 0, the rest anywhere: the zeros of a product (whose
    gradient there is the product of the others, and 0 past a second zero)."""
    return np.where(rng.random(shape) < 0.35, 0.0, anywhere(rng, shape))


CONST = np.array([0.5, -1.5, 2.0, 3.0])
# index_add, index_copy, index_fill and scatter_reduce (test_ops_gradcheck.py, reference/test_torch_ops.py)
INDEX_REPEATS = np.array([2, 0, 2])  # positions along a dim of length 3, one twice: index_add adds both
INDEX_ONCE = np.array([3, 0])  # each position once, so every index_copy write lands
SCATTER_REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]
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


# einsum equations and operand shapes (tests/test_more_functions.py checks their gradients by finite
# differences, reference/test_torch_more_functions.py values and gradients against PyTorch).
EINSUM_CASES = [
    ("matmul", "ij,jk->ik", [(2, 3), (3, 4)]),
    ("matmul-implicit", "ij,jk", [(2, 3), (3, 4)]),
    ("matmul-transposed-operand", "ij,kj->ik", [(2, 3), (4, 3)]),
    ("batch-matmul", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("attention-scores", "bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("outer", "i,j->ij", [(3,), (4,)]),
    ("outer-of-three", "i,j,k->ijk", [(2,), (3,), (4,)]),
    ("dot", "i,i->", [(5,)] * 2),
    ("dot-implicit", "i,i", [(5,)] * 2),
    ("hadamard", "ij,ij->ij", [(3, 4)] * 2),
    ("transpose", "ij->ji", [(3, 4)]),
    ("permute", "ijk->kij", [(2, 3, 4)]),
    ("trace", "ii->", [(4, 4)]),
    ("trace-implicit", "ii", [(4, 4)]),
    ("diagonal", "ii->i", [(4, 4)]),
    ("diagonal-of-a-stack", "iij->ji", [(3, 3, 2)]),
    ("diagonal-three-times", "iii->i", [(3, 3, 3)]),
    ("repeat-apart", "iji->j", [(3, 2, 3)]),
    ("diagonal-then-contract", "ijj,jk->ik", [(2, 3, 3), (3, 4)]),
    ("sum-all", "ij->", [(3, 4)]),
    ("sum-rows", "ij->i", [(3, 4)]),
    ("sum-columns", "ij->j", [(3, 4)]),
    ("sum-inner-of-three", "ijk->ik", [(2, 3, 4)]),
    ("three-operand-chain", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bilinear-form", "i,ij,j->", [(3,), (3, 4), (4,)]),
    ("bilinear-batch", "bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("ellipsis-batch-broadcast", "...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("ellipsis-transpose", "...ij->...ji", [(2, 3, 4, 5)]),
    ("ellipsis-last", "i...->...", [(3, 2, 4)]),
    ("ellipsis-implicit-dot", "...i,...i", [(2, 3), (4, 1, 3)]),
    ("ellipsis-summed-away", "...ij->ij", [(2, 3, 4, 5)]),
    ("ellipsis-middle", "i...j,j->i...", [(2, 3, 4), (4,)]),
    ("ellipsis-output-only", "ij->...ij", [(3, 4)]),
    ("broadcast-size-1", "i,i->i", [(3,), (1,)]),
    ("broadcast-diagonal", "ii,i->i", [(1, 1), (3,)]),
    ("uppercase-implicit", "Ab,bc", [(2, 3), (3, 4)]),
    ("spaces", " ij , jk -> ik ", [(2, 3), (3, 4)]),
    ("scalar-operand", ",i->i", [(), (3,)]),
    ("empty-dimension", "ij,jk->ik", [(0, 3), (3, 2)]),
    ("contract-over-empty", "ij,jk->ik", [(2, 0), (0, 3)]),
]

# einsum's sublist form, einsum(a, [0, 1], b, [1, 2], [0, 2]): the subscript lists of the operands,
# then (where there is one more list than shapes) the output's; numbers 0-51, Ellipsis for '...'.
EINSUM_SUBLIST_CASES = [
    ("matmul", [[0, 1], [1, 2], [0, 2]], [(2, 3), (3, 4)]),
    ("matmul-implicit", [[0, 1], [1, 2]], [(2, 3), (3, 4)]),
    # implicit output: the labels used once, in increasing order (2, then 30): shape (4, 2)
    ("implicit-output-in-number-order", [[30, 1], [1, 2]], [(2, 3), (3, 4)]),
    ("highest-labels", [[51, 26], [26, 25], [25, 51]], [(2, 3), (3, 4)]),
    ("tuples", [(0, 1), (1, 2), (2, 0)], [(2, 3), (3, 4)]),
    ("trace", [[4, 4]], [(3, 3)]),
    ("diagonal", [[4, 4], [4]], [(3, 3)]),
    ("sum-to-scalar", [[0], [0, 1], [1], []], [(3,), (3, 4), (4,)]),
    ("ellipsis-batch", [[Ellipsis, 0, 1], [Ellipsis, 1, 2], [Ellipsis, 0, 2]], [(2, 2, 3), (3, 4)]),
    ("ellipsis-moved", [[Ellipsis, 1], [1, Ellipsis]], [(2, 3, 4)]),
    ("ellipsis-implicit", [[0, Ellipsis], [0, Ellipsis]], [(3, 2), (3, 2)]),
]
