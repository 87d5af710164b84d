"""An element picked by an integer for every axis (``x[1]`` of a vector, ``x[0, 2]`` of a matrix) is
a 0-d view of the tensor, as in PyTorch: an in-place method on it writes into the tensor, and a
later change of the tensor shows in it. (NumPy returns such an element as a scalar, a copy, so
``x[0, 2].add_(5)`` once changed nothing, silently.) The element's gradient is unchanged."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these views are compared with")

import deltaprop as dp  # noqa: E402

# name -> (the change made through the element, the tensor's shape)
CHANGES = {
    "vector add_": (lambda x: x[1].add_(5), (4,)),
    "vector negative index zero_": (lambda x: x[-1].zero_(), (4,)),
    "matrix fill_": (lambda x: x[0, 2].fill_(-3), (2, 3)),
    "matrix by two indexings mul_": (lambda x: x[1][2].mul_(10), (2, 3)),
    "3-d clamp_": (lambda x: x[1, 0, 1].clamp_(max=0.25), (2, 2, 2)),
    "through an ellipsis exp_": (lambda x: x[..., 1, 1].exp_(), (3, 3)),
    "numpy integer index sub_": (lambda x: x[np.int64(2)].sub_(1), (3,)),
}


@pytest.mark.parametrize("name", CHANGES)
def test_an_in_place_change_of_an_element_writes_into_the_tensor_as_in_pytorch(name):
    change, shape = CHANGES[name]
    values = np.random.default_rng(0).uniform(-1, 1, shape)
    ours, theirs = dp.tensor(values.copy(), dtype=dp.float64), torch.tensor(values.copy())
    change(ours)
    change(theirs)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    assert not np.allclose(ours.data, values)  # (the change did land)


def test_a_change_of_the_tensor_shows_in_an_element_taken_before_as_in_pytorch():
    ours, theirs = dp.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    mine, its = ours[0], theirs[0]
    ours[0] = 7
    theirs[0] = 7
    assert mine.item() == its.item() == 7


def test_an_elements_gradient_is_unchanged_by_the_view():
    x = dp.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x[1, 2] * 3).backward()
    expected = np.zeros((2, 3))
    expected[1, 2] = 3
    np.testing.assert_array_equal(x.grad, expected)
