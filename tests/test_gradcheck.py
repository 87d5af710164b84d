"""The checker itself: it passes a right rule, fails a wrong one loudly, and erf is exact enough.

A gradient checker that never fails proves nothing, so each wrong rule below is one a person could
plausibly write (a dropped factor, a sign, a transposed shape, a NaN), and the error must say which
input and which element are wrong.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import DeltapropError, GradcheckError
from deltaprop.ops.special import erf
from deltaprop.tensor import Tensor


def cube(x, rule):
    """x³ as a custom primitive whose gradient rule is ``rule(g, x)``."""

    def backward(g):
        return (rule(g, x.data),)

    return Tensor._from_op(x.data**3, (x,), backward, "cube")


def scaled_product(x, y, rule_y):
    """x·y (elementwise) with a correct rule for x and ``rule_y`` for y."""

    def backward(g):
        return (g * y.data if x.requires_grad else None, rule_y(g, x.data, y.data) if y.requires_grad else None)

    return Tensor._from_op(x.data * y.data, (x, y), backward, "scaled_product")


def inputs(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [dp.tensor(rng.uniform(0.5, 2.0, size=s), requires_grad=True) for s in shapes]


def test_correct_custom_rule_passes():
    assert dp.gradcheck(lambda x: cube(x, lambda g, x: g * 3 * x**2), inputs((3, 4))) is True


def test_correct_two_input_rule_passes():
    assert dp.gradcheck(lambda x, y: scaled_product(x, y, lambda g, x, y: g * x), inputs((3,), (3,))) is True


WRONG_RULES = [
    ("dropped-factor", lambda g, x: g * x**2),
    ("wrong-sign", lambda g, x: -g * 3 * x**2),
    ("wrong-power", lambda g, x: g * 3 * x),
    ("ignores-upstream", lambda g, x: np.ones_like(g) * 3 * x**2),
    ("nan", lambda g, x: g * np.nan),
    ("zero", lambda g, x: np.zeros_like(g)),
]


@pytest.mark.parametrize("rule", [r for _, r in WRONG_RULES], ids=[n for n, _ in WRONG_RULES])
def test_wrong_rule_raises(rule):
    with pytest.raises(GradcheckError, match=r"gradient of input 0 \(shape \(3, 4\)\) is wrong at index \(\d+, \d+\)"):
        dp.gradcheck(lambda x: cube(x, rule), inputs((3, 4)))


@pytest.mark.parametrize("layout", ["column-major", "batch-last"])
def test_inputs_in_any_memory_order_are_checked_as_they_are(layout):
    """The checker perturbs the input itself, element by element, whatever its memory order (a
    flattened copy of a non-C-ordered input would be perturbed in vain, and every numeric
    gradient would read 0). The wrong rule must still be caught at its element."""
    data = np.random.default_rng(0).uniform(0.5, 2.0, size=(3, 4, 5))
    data = np.asfortranarray(data) if layout == "column-major" else np.ascontiguousarray(data.transpose(1, 2, 0)).transpose(2, 0, 1)
    x = dp.tensor(data, requires_grad=True)
    assert not x.data.flags.c_contiguous
    assert dp.gradcheck(lambda x: cube(x, lambda g, x: g * 3 * x**2), [x]) is True

    def wrong_at_one_element(g, x):
        grad = g * 3 * x**2
        grad[2, 1, 3] += 0.5
        return grad

    with pytest.raises(GradcheckError, match=r"wrong at index \(2, 1, 3\)"):
        dp.gradcheck(lambda x: cube(x, wrong_at_one_element), [x])


def test_error_names_the_wrong_input_and_worst_index():
    """Only input 1's rule is wrong, and only at one element: the message must point there."""
    x, y = inputs((2, 3), (2, 3))

    def wrong_at_one_element(g, x, y):
        grad = g * x
        grad[1, 2] += 0.5
        return grad

    with pytest.raises(GradcheckError) as info:
        dp.gradcheck(lambda x, y: scaled_product(x, y, wrong_at_one_element), [x, y])
    message = str(info.value)
    assert "input 1" in message
    assert "index (1, 2)" in message
    analytic, numeric = map(float, re.search(r"analytic (\S+), numeric (\S+) ", message).groups())
    assert analytic - numeric == pytest.approx(0.5, abs=1e-6)


def test_error_is_catchable_as_library_and_assertion_error():
    with pytest.raises(DeltapropError):
        dp.gradcheck(lambda x: cube(x, lambda g, x: g), inputs((2,)))
    with pytest.raises(AssertionError):
        dp.gradcheck(lambda x: cube(x, lambda g, x: g), inputs((2,)))


def test_wrong_rule_for_0d_input():
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(\)\) is wrong at index \(\)"):
        dp.gradcheck(lambda x: cube(x, lambda g, x: g * x), inputs(()))


def test_only_inputs_requiring_grad_are_checked():
    """A constant input with a wrong rule is not checked; the one requiring a gradient is."""
    x, y = inputs((3,), (3,))
    y.requires_grad = False
    assert dp.gradcheck(lambda x, y: scaled_product(x, y, lambda g, x, y: g * 0), [x, y])


def test_gradcheck_leaves_inputs_untouched():
    (x,) = inputs((2, 3))
    before = x.data.copy()
    dp.gradcheck(lambda x: (x * x).sum(), [x])
    np.testing.assert_array_equal(x.data, before)
    assert x.dtype == np.float32 and x.grad is None


def test_single_tensor_argument_and_non_tensor_arguments():
    (x,) = inputs((4,))
    assert dp.gradcheck(lambda x: x.exp(), x)
    assert dp.gradcheck(lambda x, k: x**k, [x, 3])


def test_output_independent_of_input_passes_with_zero_gradient():
    x, y = inputs((3,), (3,))
    y.requires_grad = False
    assert dp.gradcheck(lambda x, y: y * 2.0, [x, y])


def test_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="no input requires a gradient"):
        dp.gradcheck(lambda x: x * 2, [dp.tensor([1.0, 2.0])])


def test_fn_must_return_a_tensor():
    with pytest.raises(TypeError, match="must return a Tensor"):
        dp.gradcheck(lambda x: x.data.sum(), inputs((3,)))


def test_tolerance_is_honoured():
    """A rule that is 1% off passes with rtol 5% and fails with the default rtol 0.1%."""
    rule = lambda g, x: g * 3 * x**2 * 1.01  # noqa: E731
    assert dp.gradcheck(lambda x: cube(x, rule), inputs((3,)), rtol=0.05)
    with pytest.raises(GradcheckError):
        dp.gradcheck(lambda x: cube(x, rule), inputs((3,)))


# -- erf, which the exact GELU is built on ------------------------------------------------------

GRID = np.concatenate([np.linspace(-7.0, 7.0, 4001), [0.0, 2.5, -2.5, np.nextafter(2.5, 0), 1e-300, -1e-8, 30.0, -30.0]])


def test_erf_float64_matches_math_erf():
    expected = np.array([math.erf(v) for v in GRID])
    got = erf(GRID)
    assert got.dtype == np.float64
    assert np.max(np.abs(got - expected)) < 1e-14


def test_erf_float32_matches_math_erf_within_a_few_ulps():
    x = GRID.astype(np.float32)
    expected = np.array([math.erf(float(v)) for v in x])
    got = erf(x)
    assert got.dtype == np.float32
    assert np.max(np.abs(got.astype(np.float64) - expected)) < 8 * np.finfo(np.float32).eps


def test_erf_is_odd_and_saturates():
    x = np.linspace(0.0, 10.0, 101)
    np.testing.assert_array_equal(erf(-x), -erf(x))
    assert erf(np.array(10.0)) == 1.0 and erf(np.array(-np.inf)) == -1.0
    assert erf(np.array(0.0)) == 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "transposed", "0-d"])
def test_erf_in_every_memory_layout(layout, dtype):
    """erf fills in the elements beyond the series' split by position in memory: every layout
    must put each value back where it came from (values on both sides of the split)."""
    base = np.random.default_rng(3).standard_normal((60, 50)).astype(dtype) * 3
    x = {"C": base, "F": np.asfortranarray(base), "strided": base[::2, ::3], "transposed": base.T,
         "0-d": np.array(base[0, 0] + 3.0, dtype=dtype)}[layout]
    assert layout == "0-d" or np.any(np.abs(x) >= 2.5) and np.any(np.abs(x) < 2.5)
    expected = np.vectorize(math.erf)(x.astype(np.float64))
    got = erf(x)
    assert got.shape == x.shape and got.dtype == dtype
    assert np.max(np.abs(got - expected)) < 8 * np.finfo(dtype).eps
