"""deltaprop.linalg's products (matmul, multi_dot, vecdot): values against NumPy, gradients against
central finite differences in float64, and the refusals; torch.linalg's in reference/test_torch_linalg.py."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import linalg
from deltaprop.errors import ShapeError


def sample(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(array):
    return dp.tensor(array, dtype=np.float64, requires_grad=True)


@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (3, 4), (4, 5)], [(3,), (3, 4), (4, 2), (2,)],
                                    [(2, 3), (3,)]])
def test_multi_dot_values_and_gradients(shapes):
    arrays = [sample(s, seed=i) for i, s in enumerate(shapes)]
    out = linalg.multi_dot([dp.tensor(a, dtype=np.float64) for a in arrays])
    np.testing.assert_allclose(out.data, np.linalg.multi_dot(arrays), rtol=1e-12)
    assert dp.gradcheck(lambda *t: linalg.multi_dot(list(t)), [leaf(a) for a in arrays], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("shapes,dim", [([(2, 3), (3,)], -1), ([(2, 3), (2, 1)], 0), ([(4, 2, 3), (2, 3)], 1)])
def test_vecdot_values_and_gradients(shapes, dim):
    x, y = sample(shapes[0]), sample(shapes[1], seed=1)
    out = linalg.vecdot(dp.tensor(x, dtype=np.float64), dp.tensor(y, dtype=np.float64), dim=dim)
    np.testing.assert_allclose(out.data, (x * y).sum(axis=dim), rtol=1e-12)
    assert dp.gradcheck(lambda a, b: linalg.vecdot(a, b, dim=dim), [leaf(x), leaf(y)], atol=1e-6, rtol=1e-5)


def test_matmul_is_the_matrix_product():
    a, b = sample((2, 3, 4)), sample((4, 5), seed=1)
    np.testing.assert_allclose(linalg.matmul(dp.tensor(a), dp.tensor(b)).data, a @ b, rtol=1e-5)


@pytest.mark.parametrize("call,message", [
    (lambda: linalg.multi_dot([dp.ones(3)]), r"linalg.multi_dot: expects at least 2 tensors, got 1"),
    (lambda: linalg.multi_dot([dp.ones(2, 3, 3), dp.ones(3, 3)]), r"the first tensor must be 1-d or 2-d, got shape"),
    (lambda: linalg.multi_dot([dp.ones(3, 2), dp.ones(3, 3), dp.ones(3)]),
     r"tensors 0 and 1 of shapes \(3, 2\) and \(3, 3\) do not align"),
    (lambda: linalg.multi_dot([dp.ones(3), dp.ones(3), dp.ones(3)]), r"tensor 1 must be 2-d, got shape \(3,\)"),
    (lambda: linalg.vecdot(dp.ones(2, 3), dp.ones(2)), r"linalg.vecdot: shapes \(2, 3\) and \(2,\) cannot be broadcast"),
])
def test_products_refuse_in_one_sentence(call, message):
    with pytest.raises(ShapeError, match=message):
        call()
