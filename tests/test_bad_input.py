"""Bad input gets one clear sentence: the operation, and the shapes or values that do not fit."""

from __future__ import annotations

import re

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import ops
from deltaprop.errors import DeltapropError, GradError, ShapeError


def shapes_named(*shapes):
    """A regex that finds every shape of ``shapes`` in the message, in order."""
    return ".*".join(re.escape(str(tuple(s))) for s in shapes)


BROADCAST_OPS = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: a**b),
    ("maximum", dp.maximum),
    ("minimum", dp.minimum),
]
MISMATCHED = [((3, 4), (3,)), ((2, 3), (3, 2)), ((2, 1, 3), (4, 2))]


@pytest.mark.parametrize("name, fn", BROADCAST_OPS, ids=[n for n, _ in BROADCAST_OPS])
@pytest.mark.parametrize("sa, sb", MISMATCHED, ids=[f"{a}-{b}" for a, b in MISMATCHED])
def test_broadcast_mismatch(name, fn, sa, sb):
    a = dp.ones(sa, requires_grad=True)
    with pytest.raises(ShapeError, match=f"^{name}: .*{shapes_named(sa, sb)}.*cannot be broadcast"):
        fn(a, dp.ones(sb))
    with pytest.raises(ShapeError, match=f"^{name}: .*{shapes_named(sa, sb)}"):
        fn(a, np.ones(sb))  # an array operand gets the same sentence


@pytest.mark.parametrize(
    "sa, sb, detail",
    [
        ((2, 3), (4, 5), "3 columns against 4 rows"),
        ((3,), (4,), "3 columns against 4 rows"),
        ((2, 3), (2,), "3 columns against 2 rows"),
        ((2, 3, 4), (3, 4, 5), "batch"),
    ],
)
def test_matmul_mismatch(sa, sb, detail):
    with pytest.raises(ShapeError, match=f"^matmul: .*{shapes_named(sa, sb)}.*{detail}"):
        dp.ones(sa) @ dp.ones(sb)


def test_matmul_of_a_0d_operand():
    with pytest.raises(ShapeError, match=r"^matmul: .*at least one dimension.*\(\).*\(3,\)"):
        dp.matmul(dp.tensor(2.0), dp.ones(3))


def test_concatenate_mismatch():
    with pytest.raises(ShapeError, match=r"^concatenate: .*\(2, 3\), \(2, 4\).*axis 0"):
        dp.concatenate([dp.ones(2, 3), dp.ones(2, 4)], axis=0)
    with pytest.raises(ShapeError, match=r"^concatenate: .*\(2, 3\), \(2, 3, 1\)"):
        dp.concatenate([dp.ones(2, 3), dp.ones(2, 3, 1)])


def test_stack_mismatch():
    with pytest.raises(ShapeError, match=r"^stack: .*same shape.*\(2, 3\), \(3, 2\)"):
        dp.stack([dp.ones(2, 3), dp.ones(3, 2)])


@pytest.mark.parametrize("fn", [dp.concatenate, dp.stack], ids=["concatenate", "stack"])
def test_axis_out_of_range(fn):
    with pytest.raises(ShapeError, match=r"axis 5 is out of range.*\d dimensions"):
        fn([dp.ones(2, 3), dp.ones(2, 3)], axis=5)


@pytest.mark.parametrize("fn", [dp.concatenate, dp.stack], ids=["concatenate", "stack"])
def test_nothing_to_join(fn):
    with pytest.raises(ValueError, match="at least one tensor"):
        fn([])


def test_reshape_mismatch():
    with pytest.raises(ShapeError, match=r"^reshape: .*shape \(2, 3\) \(6 elements\) into \(4, 2\)"):
        dp.ones(2, 3).reshape(4, 2)


def test_where_mismatch():
    with pytest.raises(ShapeError, match=r"^where: .*\(2, 2\).*\(3,\)"):
        dp.where(np.ones((2, 2), dtype=bool), dp.ones(2, 2), dp.ones(3))
    with pytest.raises(ShapeError, match=r"^where: condition of shape \(3,\).*\(2, 2\) and \(2, 2\)"):
        dp.where(np.ones(3, dtype=bool), dp.ones(2, 2), dp.ones(2, 2))


@pytest.mark.parametrize(
    "fn, message",
    [
        (lambda x: x.sum(axis=3), r"axis 3 is out of range for a tensor with 2 dimensions"),
        (lambda x: x.mean(axis=-3), r"axis -3 is out of range"),
        (lambda x: x.max(axis=2), r"axis 2 is out of range"),
        (lambda x: x.var(axis=(0, 4)), r"axis 4 is out of range"),
        (lambda x: x.permute(0, 5), r"^permute: \(0, 5\) is not a permutation of the 2 axes of shape \(2, 3\)"),
        (lambda x: x.permute(0), r"^permute: \(0,\) is not a permutation"),
        (lambda x: x.permute(1, 1), r"^permute: \(1, 1\) is not a permutation"),
        (lambda x: x.unsqueeze(4), r"^unsqueeze: axis 4 is out of range for a result with 3 dimensions"),
        (lambda x: x.flatten(1, 0), r"^flatten: start_dim 1 comes after end_dim 0"),
        (lambda x: x.squeeze(3), r"axis 3 is out of range"),
    ],
)
def test_bad_axes(fn, message):
    with pytest.raises(ShapeError, match=message):
        fn(dp.ones(2, 3))


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"^index: .*\(tensor of shape \(2, 3\)\)"):
        dp.ones(2, 3)[5]


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip: give min, max or both"):
        dp.ones(2).clip()


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        ops.gelu(dp.ones(2), approximate="erf")


def test_transpose_needs_both_axes():
    with pytest.raises(TypeError, match="both axes"):
        dp.ones(2, 3).transpose(0)


@pytest.mark.parametrize("shape", [(-1,), (2, -3)])
def test_negative_shapes_are_refused(shape):
    with pytest.raises(ValueError, match="non-negative"):
        dp.zeros(*shape)


# -- misuse of backward ---------------------------------------------------------------------


def test_backward_misuse():
    with pytest.raises(GradError, match="does not require a gradient"):
        dp.tensor([1.0, 2.0]).sum().backward()
    y = dp.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(GradError, match=r"scalar.*\(2,\)"):
        y.backward()
    with pytest.raises(GradError, match=r"gradient has shape \(2, 1\)"):
        y.backward(np.ones((2, 1)))


@pytest.mark.parametrize("data", [[1, 2], [True, False], 3])
def test_integer_tensor_with_requires_grad(data):
    with pytest.raises(GradError, match=r"^requires_grad: only floating-point tensors.*(int64|bool)"):
        dp.tensor(data, requires_grad=True)


def test_errors_are_library_errors_and_builtin_ones():
    with pytest.raises(DeltapropError):
        dp.ones(2) + dp.ones(3)
    with pytest.raises(ValueError):
        dp.ones(2) + dp.ones(3)
    with pytest.raises(RuntimeError):
        dp.tensor([1], dtype=dp.int64).requires_grad_()


def test_messages_are_one_sentence():
    """No traceback noise from NumPy: the chained cause is suppressed and the text is one line."""
    with pytest.raises(ShapeError) as info:
        dp.ones(2, 3) @ dp.ones(4, 5)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "\n" not in str(info.value)
