"""``Tensor.unfold(dimension, size, step)``: the windows along one dimension, their gradient (a
position read by several windows adds their gradients) by finite differences, first and second
order, and the refusals (tests/reference/test_torch_tensor_unfold.py compares with PyTorch)."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, ShapeError


def test_the_windows_of_a_vector():
    x = dp.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_array_equal(x.unfold(0, 2, 2).data, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(x.unfold(0, 3, 1).data, [[1, 2, 3], [2, 3, 4], [3, 4, 5]])
    assert x.unfold(0, 0, 1).shape == (6, 0)


def test_the_dqn_tutorials_moving_average():
    durations = dp.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    means = durations.unfold(0, 3, 1).mean(1).view(-1)
    np.testing.assert_allclose(dp.cat((dp.zeros(2), means)).data, [0, 0, 2, 3, 4, 5])


def test_a_position_in_several_windows_gets_their_gradients_summed():
    x = dp.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    x.unfold(0, 2, 1).sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 2, 2, 1])


@pytest.mark.parametrize("dimension, size, step", [(1, 2, 1), (-1, 3, 2), (0, 1, 1), (2, 4, 3)])
def test_unfold_passes_gradcheck_and_gradgradcheck(dimension, size, step):
    x = dp.tensor(np.random.default_rng(0).normal(size=(2, 3, 5)), dtype=np.float64, requires_grad=True)

    def windows(x):
        return x.unfold(dimension, size, step) ** 2

    assert dp.gradcheck(windows, (x,))
    assert dp.gradgradcheck(windows, (x,))


@pytest.mark.parametrize("args, error, words", [
    ((0, 7, 1), ShapeError, "unfold: windows of size 7 do not fit in dimension 0 of length 6"),
    ((0, 2, 0), ConfigError, "unfold: step must be positive, got 0"),
    ((0, -1, 1), ConfigError, "unfold: size must be non-negative, got -1"),
    ((1, 2, 1), ShapeError, "unfold: axis 1 is out of range"),
    ((0, 2.5, 1), TypeError, "unfold: size must be an integer"),
])
def test_bad_arguments_are_refused_in_one_sentence(args, error, words):
    with pytest.raises(error, match=words):
        dp.arange(6.0).unfold(*args)
