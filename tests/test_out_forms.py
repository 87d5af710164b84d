"""``out=`` of the arithmetic, product and joining functions (``dp.matmul(a, b, out=y)``): the result
written in place into ``out`` and returned, resized with a warning, refused where PyTorch refuses
(tests/reference/test_torch_out_forms.py compares with PyTorch); and ``Tensor.matmul``."""

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import GradError

A = np.arange(6.0, dtype=np.float32).reshape(2, 3)
B = np.arange(12.0, dtype=np.float32).reshape(3, 4) / 4


@pytest.mark.parametrize("name, args, kwargs, expected", [
    ("matmul", (A, B), {}, A @ B),
    ("mm", (A, B), {}, A @ B),
    ("bmm", (A[None], B[None]), {}, (A @ B)[None]),
    ("mul", (A, A), {}, A * A),
    ("add", (A, A), {"alpha": 2}, A + 2 * A),
    ("sub", (A, A), {"alpha": 0.5}, A - 0.5 * A),
    ("div", (A, A + 1), {"rounding_mode": "floor"}, np.floor(A / (A + 1))),
    ("cat", ([A, A],), {"dim": 1}, np.concatenate([A, A], axis=1)),
    ("stack", ([A, A],), {}, np.stack([A, A])),
])
def test_out_receives_the_result_in_place_and_is_returned(name, args, kwargs, expected):
    function = getattr(dp, name)
    args = [[dp.tensor(a) for a in arg] if isinstance(arg, list) else dp.tensor(arg) for arg in args]
    out = dp.zeros(*expected.shape)
    alias = out.numpy()  # another name for out's memory: it sees the values
    returned = function(*args, **kwargs, out=out)
    assert returned is out
    np.testing.assert_allclose(alias, expected, rtol=1e-6)
    np.testing.assert_allclose(function(*args, **kwargs).data, expected, rtol=1e-6)  # without out=, as before


def test_tensor_matmul_is_the_operator():
    a, b = dp.tensor(A, requires_grad=True), dp.tensor(B)
    a.matmul(b).sum().backward()
    np.testing.assert_allclose(a.grad, np.ones((2, 4)) @ B.T, rtol=1e-6)


def test_an_out_of_another_shape_is_resized_with_a_warning_unless_empty():
    out = dp.zeros(5)
    with pytest.warns(UserWarning, match=r"matmul: out, of shape \[5\], was resized to the result's shape \[2, 4\]"):
        dp.matmul(dp.tensor(A), dp.tensor(B), out=out)
    assert out.shape == (2, 4)
    empty = dp.zeros(0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dp.mul(dp.tensor(A), 2, out=empty)
    np.testing.assert_allclose(empty.data, 2 * A)


def test_a_float64_result_is_rounded_into_a_float32_out_and_ints_widen_into_floats():
    out = dp.zeros(2)
    dp.add(dp.tensor([1.0, 2.0], dtype=np.float64), 1e-9, out=out)
    assert out.dtype == np.float32
    into = dp.zeros(2)
    dp.add(dp.tensor([1, 2]), 1, out=into)
    np.testing.assert_allclose(into.data, [2.0, 3.0])


@pytest.mark.parametrize("call, error, words", [
    (lambda: dp.mul(dp.tensor([1.5]), 2, out=dp.tensor([0])), TypeError,
     "float32 result cannot be written into out, a int64"),
    (lambda: dp.mul(dp.tensor([1.5], requires_grad=True), 2, out=dp.zeros(1)), GradError, "outside the graph, so no argument may require a gradient"),
    (lambda: dp.mul(dp.tensor([1.5]), 2, out=dp.zeros(1, requires_grad=True)), GradError, "outside the graph, so no argument may require a gradient"),
    (lambda: dp.mul(dp.tensor([1.5]), 2, out=np.zeros(1)), TypeError, "argument 'out' must be a tensor, not ndarray"),
])
def test_what_pytorch_refuses_is_refused_in_one_sentence(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_under_no_grad_inputs_that_require_grad_may_write_out():
    out = dp.zeros(1)
    with dp.no_grad():
        dp.mul(dp.tensor([1.5], requires_grad=True), 2, out=out)
    assert out.item() == pytest.approx(3.0) and not out.requires_grad


def test_the_matrix_products_want_out_in_the_results_dtype():
    with pytest.raises(TypeError, match="matmul: expected out to have the result's dtype float32, got float64"):
        dp.matmul(dp.tensor(A), dp.tensor(B), out=dp.zeros(2, 4, dtype=np.float64))
