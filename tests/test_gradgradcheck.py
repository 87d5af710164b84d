"""gradcheck's PyTorch keywords and several outputs, and gradgradcheck, which checks second
derivatives: each passes right rules and fails a plausible wrong one, naming where."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import autograd, ops
from deltaprop.autograd.differentiable_rules import RULES
from deltaprop.errors import GradcheckError
from deltaprop.tensor import Tensor


def T(shape, seed=0):
    return dp.tensor(np.random.default_rng(seed).uniform(0.5, 2.0, size=shape), dtype=np.float64, requires_grad=True)


def cube(x):
    """x³ as a primitive of its own ('cube'): a right NumPy rule, and whatever differentiable rule
    the test files under RULES."""
    return Tensor._from_op(x.data ** 3, (x,), lambda g: (g * 3 * x.data ** 2,), "cube")


@pytest.fixture
def cube_rule(monkeypatch):
    """Files the differentiable rule of 'cube' for one test."""
    return lambda rule: monkeypatch.setitem(RULES, "cube", rule)


def test_gradgradcheck_passes_right_second_derivatives():
    x, w = T((3, 4)), T((4, 2), seed=1)
    assert dp.gradgradcheck(lambda x, w: (x @ w).tanh() * x[:, :2], [x, w])
    assert dp.gradgradcheck(lambda x: (dp.linalg.det(x[:, :3] + 3 * dp.eye(3, dtype=dp.float64)), x.sin()), [x])
    assert autograd.gradgradcheck is dp.gradgradcheck


def test_gradgradcheck_fails_a_rule_whose_value_is_right_but_whose_own_gradient_is_not(cube_rule):
    """The rule g·3x² written with x² as a constant array: first derivatives right (gradcheck passes),
    their derivative 0 in x where it is 6x·g."""
    cube_rule(lambda node, g: (ops.mul(g, 3 * node._parents[0].data ** 2),))
    x = T((2, 3))
    assert dp.gradcheck(cube, [x])
    with pytest.raises(GradcheckError, match=r"gradcheck: gradient of input 0 \(shape \(2, 3\)\) is wrong at index"):
        dp.gradgradcheck(cube, [x])
    assert dp.gradgradcheck(cube, [x], raise_exception=False) is False
    cube_rule(lambda node, g: (ops.mul(g, ops.mul(ops.mul(node._parents[0], node._parents[0]), 3.0)),))
    assert dp.gradgradcheck(cube, [x])


def test_gradgradcheck_takes_grad_outputs_and_checks_them_when_they_require_a_gradient():
    x = T((3,))
    v = dp.tensor([0.5, -1.0, 2.0], dtype=np.float64, requires_grad=True)
    assert dp.gradgradcheck(lambda x: x.exp() * x, [x], [v])
    assert dp.gradgradcheck(lambda x: (x.exp(), x.sum()), [x], (np.ones(3), np.array(2.0)))
    with pytest.raises(ValueError, match=r"gradgradcheck: grad_outputs has 1 tensor\(s\) for fn's 2 differentiable"):
        dp.gradgradcheck(lambda x: (x.exp(), x.sum()), [x], [v])


def test_gradcheck_with_several_outputs_names_the_wrong_one():
    def wrong_second(x):
        y = Tensor._from_op(x.data * 2, (x,), lambda g: (g * 2.5,), "double")  # 2.5 where 2 is right
        return x.exp(), y, (x > 1).long()  # (an integer output is not differentiated, as in PyTorch)

    x = T((4,))
    assert dp.gradcheck(lambda x: (x.exp(), x * 2, (x > 1).long()), [x])
    with pytest.raises(GradcheckError, match=r"gradient of output 1 with respect to input 0 \(shape \(4,\)\) is wrong"):
        dp.gradcheck(wrong_second, [x])
    assert dp.gradcheck(wrong_second, [x], raise_exception=False) is False


def test_gradcheck_error_is_a_runtime_error_as_torchs():
    wrong = lambda x: Tensor._from_op(x.data * 2, (x,), lambda g: (g,), "double")  # noqa: E731
    with pytest.raises(RuntimeError):
        dp.gradcheck(wrong, [T((2,))])
    with pytest.raises(AssertionError):
        dp.gradcheck(wrong, [T((2,))], fast_mode=True)


def test_gradcheck_refuses_what_is_not_a_tensor_or_a_tuple_of_them():
    with pytest.raises(TypeError, match=r"gradcheck: fn must return a Tensor or a tuple of Tensors, got list"):
        dp.gradcheck(lambda x: [x, 2.0], [T((2,))])
