"""The public face of the tensor: construction and dtypes, attributes, operators, factories, modes."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import GradError

# -- construction and the dtype policy -------------------------------------------------------------


@pytest.mark.parametrize(
    "data, expected",
    [
        (1.5, np.float32),
        ([1.0, 2.0], np.float32),
        ([[1.0], [2.5]], np.float32),
        (np.array([1.0, 2.0]), np.float32),  # NumPy's float64 becomes float32
        (np.float64(3.0), np.float32),
        (np.array([1.0], dtype=np.float32), np.float32),
        (np.array([1.0], dtype=np.float16), np.float16),
        (3, np.int64),
        ([1, 2, 3], np.int64),
        (np.array([1, 2], dtype=np.int32), np.int32),
        ([True, False], np.bool_),
        ([1, 2.5], np.float32),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, type) else v.__name__,
)
def test_dtype_policy(data, expected):
    t = dp.tensor(data)
    assert t.dtype == expected
    np.testing.assert_allclose(t.data.astype(np.float64), np.asarray(data, dtype=np.float64))


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, dp.float64),
        ([1.0, 2.0], dp.float64),
        (np.array([1.0, 2.0]), "float64"),
        ([1, 2], dp.float32),
        ([1.0, 2.0], dp.int32),
        (np.array([0.5]), np.float16),
    ],
)
def test_explicit_dtype_is_kept(data, dtype):
    t = dp.tensor(data, dtype=dtype)
    assert t.dtype == np.dtype(dtype)
    assert dp.tensor(data, dtype=dtype, requires_grad=np.dtype(dtype).kind == "f").dtype == np.dtype(dtype)


def test_float64_keeps_its_precision():
    t = dp.tensor([1.0 + 1e-12], dtype=dp.float64)
    assert t.data[0] - 1.0 == pytest.approx(1e-12, rel=1e-3)


def test_tensor_copies_as_tensor_shares():
    a = np.ones(3, dtype=np.float32)
    t = dp.tensor(a)
    a[0] = 5.0
    assert t.data[0] == 1.0
    shared = dp.as_tensor(a)
    a[1] = 7.0
    assert shared.data[1] == 7.0
    assert dp.as_tensor(shared) is shared
    assert dp.as_tensor(np.ones(2), dtype=dp.float64).dtype == np.float64


def test_tensor_from_tensor_copies_the_data():
    a = dp.tensor([1.0, 2.0])
    b = dp.tensor(a)
    b.data[0] = 9.0
    assert a.data[0] == 1.0 and not b.requires_grad


@pytest.mark.parametrize("data", ["abc", [1 + 2j], {"a": 1}])
def test_non_numeric_data_is_refused(data):
    with pytest.raises(TypeError, match="tensor"):
        dp.tensor(data)


# -- attributes and methods --------------------------------------------------------------------------


def test_attributes():
    x = dp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert isinstance(x.data, np.ndarray)
    assert x.grad is None and x.requires_grad and x.is_leaf and x.grad_fn is None
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == dp.float32 and x.numel() == 6
    assert len(x) == 2
    y = x * 2
    assert not y.is_leaf and y.grad_fn.name() == "MulBackward0" and y.requires_grad


def test_len_of_0d_raises():
    with pytest.raises(TypeError, match="0-d"):
        len(dp.tensor(1.0))


def test_backward_fills_grad_and_takes_a_gradient():
    x = dp.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])
    x.grad = None
    (x * 3).backward(gradient=np.array([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad, [3.0, 0.0, -3.0])
    x.grad = None
    (x * 3).backward(dp.tensor([2.0, 2.0, 2.0]))
    np.testing.assert_allclose(x.grad, [6.0, 6.0, 6.0])
    assert x.grad.dtype == np.float32


def test_item_and_numpy():
    assert dp.tensor(2.5).item() == 2.5 and isinstance(dp.tensor(2.5).item(), float)
    assert dp.tensor([[7]]).item() == 7 and isinstance(dp.tensor([7]).item(), int)
    with pytest.raises(ValueError, match=r"one-element.*\(2,\)"):
        dp.tensor([1.0, 2.0]).item()
    x = dp.tensor([1.0, 2.0])
    assert x.numpy() is x.data
    assert x.tolist() == [1.0, 2.0]
    np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])
    assert np.asarray(x, dtype=np.float64).dtype == np.float64


def test_float_and_int_of_a_one_element_tensor_as_in_pytorch():
    loss = (dp.tensor([[1.5, 2.0]], requires_grad=True) ** 2).sum()
    assert float(loss) == 6.25 and type(float(loss)) is float
    assert int(dp.tensor([[7.9]])) == 7 and int(dp.tensor(-3)) == -3
    assert f"{float(dp.tensor(0.5)):.2f}" == "0.50"
    with pytest.raises(ValueError, match=r"one-element.*\(2,\)"):
        float(dp.tensor([1.0, 2.0]))


def test_detach_cuts_the_graph_and_shares_data():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.data, y.data)
    (d * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])  # d counted as a constant


def test_retain_grad_keeps_intermediate_gradient():
    x = dp.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    assert h.retain_grad() is h
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)
    np.testing.assert_allclose(x.grad, 18 * x.data)


def test_requires_grad_setter():
    x = dp.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad


def test_repr():
    assert repr(dp.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(dp.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(dp.tensor([1.0], dtype=dp.float64)) == "tensor([1.], dtype=float64)"
    assert repr(dp.tensor([1, 2])) == "tensor([1, 2], dtype=int64)"
    assert repr(dp.tensor([1.0], requires_grad=True) * 2) == "tensor([2.], grad_fn=<MulBackward0>)"
    assert "0.3333" in repr(dp.tensor(1.0) / 3)


def test_bool_of_single_element_and_ambiguous():
    assert bool(dp.tensor([1.0]))
    assert not bool(dp.tensor(0.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(dp.tensor([1.0, 2.0]))


def test_tensors_hash_by_identity():
    a, b = dp.tensor([1.0]), dp.tensor([1.0])
    assert len({a, b, a}) == 2


# -- operators ----------------------------------------------------------------------------------

A = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]], dtype=np.float32)
B = np.array([2.0, -0.5, 1.5], dtype=np.float32)

BINARY_OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv]


@pytest.mark.parametrize("op", BINARY_OPERATORS + [operator.pow], ids=lambda op: op.__name__)
@pytest.mark.parametrize("right", [2.0, 3, np.float64(1.5), np.float32(0.5), np.array([2.0, -0.5, 1.5])],
                         ids=["float", "int", "np.float64", "np.float32", "ndarray"])
def test_operator_with_constant_on_the_right(op, right):
    base = np.abs(A) + 0.5 if op is operator.pow else A
    x = dp.tensor(base, requires_grad=True)
    out = op(x, right)
    assert isinstance(out, dp.Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, op(base.astype(np.float64), np.float64(right)), rtol=1e-6)


@pytest.mark.parametrize("op", BINARY_OPERATORS + [operator.pow], ids=lambda op: op.__name__)
@pytest.mark.parametrize("left", [2.0, 3, np.float64(1.5), np.float32(0.5), np.array([2.0, -0.5, 1.5])],
                         ids=["float", "int", "np.float64", "np.float32", "ndarray"])
def test_reflected_operator_with_constant_on_the_left(op, left):
    """``constant op tensor`` gives a Tensor on the graph, NumPy arrays and scalars included."""
    if op is operator.pow:
        left = np.abs(left)  # a negative base has no real power
    x = dp.tensor(A, requires_grad=True)
    out = op(left, x)
    assert isinstance(out, dp.Tensor) and out.requires_grad
    expected = op(np.asarray(left, dtype=np.float64), A.astype(np.float64))
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)
    out.sum().backward()
    assert x.grad.shape == A.shape and np.all(np.isfinite(x.grad))


@pytest.mark.parametrize("op", BINARY_OPERATORS, ids=lambda op: op.__name__)
def test_python_scalars_keep_float32(op):
    x = dp.tensor(A)
    assert op(x, 2.0).dtype == np.float32
    assert op(2.0, x).dtype == np.float32
    assert op(x, np.float64(2.0)).dtype == np.float32
    assert op(np.float64(2.0), x).dtype == np.float32  # NumPy scalars are scalars, like Python's


def test_tensor_tensor_operators_and_broadcasting():
    x, y = dp.tensor(A), dp.tensor(B)
    np.testing.assert_allclose((x + y).data, A + B)
    np.testing.assert_allclose((x - y).data, A - B)
    np.testing.assert_allclose((x * y).data, A * B)
    np.testing.assert_allclose((x / y).data, A / B)
    np.testing.assert_allclose((abs(x) ** y).data, np.abs(A) ** B, rtol=1e-6)
    np.testing.assert_allclose((-x).data, -A)
    assert +x is x
    np.testing.assert_allclose(abs(x).data, np.abs(A))


def test_matmul_operator_and_reflected():
    w = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    x = dp.tensor(A, requires_grad=True)
    out = x @ w
    np.testing.assert_allclose(out.data, A @ w)
    left = w.T @ dp.tensor(A.T, requires_grad=True)  # ndarray @ Tensor -> Tensor.__rmatmul__
    assert isinstance(left, dp.Tensor) and left.requires_grad
    np.testing.assert_allclose(left.data, w.T @ A.T)
    np.testing.assert_allclose(dp.matmul(dp.tensor(A), dp.tensor(w)).data, A @ w)


COMPARISONS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("op", COMPARISONS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("other", [1.0, np.array([2.0, -0.5, 1.5]), "tensor"], ids=["scalar", "ndarray", "tensor"])
def test_comparisons_give_bool_tensors_without_grad(op, other):
    x = dp.tensor(A, requires_grad=True)
    other_value = B if isinstance(other, str) else other
    other = dp.tensor(B) if isinstance(other, str) else other
    out = op(x, other)
    assert isinstance(out, dp.Tensor) and out.dtype == np.bool_
    assert not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.data, op(A, other_value))
    reflected = op(other, x)  # ndarray or scalar on the left reflects to the tensor
    assert isinstance(reflected, dp.Tensor) and reflected.dtype == np.bool_
    np.testing.assert_array_equal(reflected.data, op(other_value, A))


def test_any_all():
    assert dp.tensor([0.0, 1.0]).any().item() is True and dp.tensor([0.0, 1.0]).all().item() is False


def test_argmax_argmin():
    x = dp.tensor(A)
    np.testing.assert_array_equal(x.argmax(axis=1).data, A.argmax(axis=1))
    assert x.argmin().item() == A.argmin()


def test_methods_match_numpy():
    x = dp.tensor(A)
    np.testing.assert_allclose(x.sum(axis=0).data, A.sum(axis=0))
    np.testing.assert_allclose(x.mean(axis=-1, keepdims=True).data, A.mean(axis=-1, keepdims=True))
    np.testing.assert_allclose(x.var().data, A.var(ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.var(correction=0).data, A.var(), rtol=1e-6)
    np.testing.assert_allclose(x.max(axis=1).data, A.max(axis=1))
    np.testing.assert_allclose(x.min().data, A.min())
    np.testing.assert_allclose(x.clip(-1, 1).data, np.clip(A, -1, 1))
    np.testing.assert_allclose(x.T.data, A.T)
    np.testing.assert_allclose(x.transpose(0, 1).data, A.T)
    np.testing.assert_allclose(x.reshape(3, 2).data, A.reshape(3, 2))
    np.testing.assert_allclose(x.flatten().data, A.ravel())
    assert x.unsqueeze(0).shape == (1, 2, 3) and x.unsqueeze(0).squeeze().shape == (2, 3)
    np.testing.assert_allclose(x[1, ::2].data, A[1, ::2])
    np.testing.assert_allclose(x.relu().data, np.maximum(A, 0))
    np.testing.assert_allclose(x.leaky_relu(0.1).data, np.where(A > 0, A, 0.1 * A), rtol=1e-6)
    np.testing.assert_allclose(x.sigmoid().data, 1 / (1 + np.exp(-A)), rtol=1e-6)
    np.testing.assert_allclose(x.tanh().data, np.tanh(A), rtol=1e-6)
    np.testing.assert_allclose(x.softmax().data.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(x.log_softmax().data, np.log(x.softmax().data), atol=1e-6)
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.to(dp.float64).dtype == np.float64
    assert x.astype(dp.int64).dtype == np.int64 and not x.astype(dp.int64).requires_grad


# -- functions --------------------------------------------------------------------------------


def test_module_functions():
    x, y = dp.tensor(A, requires_grad=True), dp.tensor(B)
    np.testing.assert_allclose(dp.concatenate([x, x], axis=1).data, np.concatenate([A, A], axis=1))
    np.testing.assert_allclose(dp.stack([x, x], axis=1).data, np.stack([A, A], axis=1))
    np.testing.assert_allclose(dp.where(A > 0, x, y).data, np.where(A > 0, A, B))
    np.testing.assert_allclose(dp.where(x > 0, x, 0.0).data, np.where(A > 0, A, 0.0))
    np.testing.assert_allclose(dp.maximum(x, y).data, np.maximum(A, B))
    np.testing.assert_allclose(dp.minimum(x, dp.tensor(0.0)).data, np.minimum(A, 0.0))  # (a number: refused, as in PyTorch)
    np.testing.assert_allclose(dp.matmul(y, x.T).data, B @ A.T)
    np.testing.assert_allclose(dp.exp(y).data, np.exp(B), rtol=1e-6)
    np.testing.assert_allclose(dp.sum(x).data, A.sum())
    for out in (dp.concatenate([x, y[None]]), dp.stack([x, x]), dp.where(A > 0, x, y), dp.maximum(x, y)):
        assert out.requires_grad


@pytest.mark.parametrize(
    "factory, fill",
    [(dp.zeros, 0.0), (dp.ones, 1.0)],
    ids=["zeros", "ones"],
)
def test_zeros_ones(factory, fill):
    for t in (factory(2, 3), factory((2, 3)), factory([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32 and np.all(t.data == fill)
    assert factory(4).shape == (4,) and factory().shape == ()
    assert factory(2, dtype=dp.float64).dtype == np.float64
    assert factory(2, dtype=dp.int64).dtype == np.int64
    t = factory(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    with pytest.raises(ValueError, match="non-negative"):
        factory(-1)


def test_full():
    t = dp.full((2, 2), 7.5)
    assert t.shape == (2, 2) and t.dtype == np.float32 and np.all(t.data == 7.5)
    assert dp.full(3, 1).shape == (3,)
    assert dp.full(3, 1, dtype=dp.int64).dtype == np.int64
    assert dp.full((1,), 2.0, requires_grad=True).requires_grad


def test_arange():
    np.testing.assert_array_equal(dp.arange(4).data, [0, 1, 2, 3])
    assert dp.arange(4).dtype == np.int64
    np.testing.assert_array_equal(dp.arange(2, 8, 2).data, [2, 4, 6])
    t = dp.arange(0, 1, 0.25)
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.data, [0.0, 0.25, 0.5, 0.75])
    assert dp.arange(3.0).dtype == np.float32
    assert dp.arange(3, dtype=dp.float64).dtype == np.float64


def test_like_factories():
    base = dp.tensor(A, dtype=dp.float64)
    for factory, fill in ((dp.zeros_like, 0.0), (dp.ones_like, 1.0)):
        t = factory(base)
        assert t.shape == A.shape and t.dtype == np.float64 and np.all(t.data == fill)
        assert factory(np.ones((2, 2), dtype=np.int32)).dtype == np.int32
        assert factory(base, dtype=dp.float32).dtype == np.float32
        assert factory(base, requires_grad=True).requires_grad


@pytest.mark.parametrize("factory", [dp.rand, dp.randn], ids=["rand", "randn"])
def test_random_factories(factory):
    t = factory(200, 50)
    assert t.shape == (200, 50) and t.dtype == np.float32
    assert factory((3,), dtype=dp.float64).dtype == np.float64
    assert factory(2, requires_grad=True).requires_grad
    if factory is dp.rand:
        assert 0.0 <= t.data.min() and t.data.max() < 1.0 and abs(t.data.mean() - 0.5) < 0.02
    else:
        assert abs(t.data.mean()) < 0.03 and abs(t.data.std() - 1.0) < 0.03


def test_manual_seed_reproducibility():
    dp.manual_seed(1234)
    first = (dp.rand(3, 4).data, dp.randn(5).data)
    dp.manual_seed(1234)
    second = (dp.rand(3, 4).data, dp.randn(5).data)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    dp.manual_seed(4321)
    assert not np.array_equal(dp.rand(3, 4).data, first[0])


@pytest.mark.parametrize("seed", [1.5, "1", True, 2**64, -2**63 - 1])
def test_manual_seed_rejects_bad_seeds(seed):
    # (PyTorch's range is [-2**63, 2**64), a negative seed counting modulo 2**64: see test_generator.py)
    with pytest.raises(ValueError, match="seed"):
        dp.manual_seed(seed)


# -- grad modes ---------------------------------------------------------------------------------


def test_no_grad_context_manager():
    x = dp.tensor([1.0], requires_grad=True)
    assert dp.is_grad_enabled()
    with dp.no_grad():
        assert not dp.is_grad_enabled()
        y = x * 2
    assert dp.is_grad_enabled()
    assert not y.requires_grad and y._parents == ()
    assert (x * 2).requires_grad


def test_no_grad_decorator():
    x = dp.tensor([1.0], requires_grad=True)

    @dp.no_grad()
    def evaluate(t):
        """Docstring kept."""
        return t * 2, dp.is_grad_enabled()

    y, enabled = evaluate(x)
    assert not enabled and not y.requires_grad
    assert dp.is_grad_enabled()
    assert evaluate.__name__ == "evaluate" and evaluate.__doc__ == "Docstring kept."


def test_no_grad_restores_mode_after_an_exception():
    @dp.no_grad()
    def fails():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fails()
    assert dp.is_grad_enabled()
    with pytest.raises(KeyError):
        with dp.no_grad():
            raise KeyError("x")
    assert dp.is_grad_enabled()


def test_nesting_and_enable_grad():
    x = dp.tensor([1.0], requires_grad=True)
    with dp.no_grad():
        with dp.no_grad():
            assert not dp.is_grad_enabled()
        assert not dp.is_grad_enabled()
        with dp.enable_grad():
            assert dp.is_grad_enabled()
            y = x * 2
        assert not dp.is_grad_enabled()
        z = x * 2
    assert dp.is_grad_enabled()
    assert y.requires_grad and not z.requires_grad

    @dp.enable_grad()
    def inside():
        return x * 3

    with dp.no_grad():
        assert inside().requires_grad


def test_backward_works_inside_no_grad():
    """Gradients of a graph built outside no_grad can be taken inside it (as PyTorch allows)."""
    x = dp.tensor([2.0], requires_grad=True)
    y = x * x
    with dp.no_grad():
        y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad, [4.0])


def test_grad_error_is_a_runtime_error():
    with pytest.raises(RuntimeError):
        dp.tensor([1.0]).sum().backward()
    assert issubclass(GradError, dp.DeltapropError)


def test_no_grad_instance_reused_in_nested_blocks_restores_each_level():
    switch = dp.no_grad()
    with switch:
        with switch:
            assert not dp.is_grad_enabled()
        assert not dp.is_grad_enabled()
    assert dp.is_grad_enabled()


def test_no_grad_decorates_without_parentheses():
    @dp.no_grad
    def inside():
        return dp.is_grad_enabled()

    assert inside() is False
    assert inside.__name__ == "inside"
    assert dp.is_grad_enabled()


@pytest.mark.parametrize("decorate", [dp.no_grad(), dp.no_grad], ids=["no_grad()", "no_grad"])
def test_no_grad_decorates_a_generator_function_for_its_whole_run(decorate):
    # PyTorch's decorators switch the mode while the generator's body runs; here the switch was
    # over once the generator object was made, so every batch it yielded recorded a graph.
    x = dp.tensor([1.0], requires_grad=True)

    @decorate
    def batches(n):
        """Docstring kept."""
        for _ in range(n):
            received = yield x * 2, dp.is_grad_enabled()
            assert received is None or received == "more"

    gen = batches(3)
    seen = [next(gen)]
    assert dp.is_grad_enabled()  # the caller's mode between steps
    seen.append(gen.send("more"))
    seen += list(gen)
    assert [(y.requires_grad, enabled) for y, enabled in seen] == [(False, False)] * 3
    assert batches.__name__ == "batches" and batches.__doc__ == "Docstring kept."

    with dp.no_grad():
        @dp.enable_grad()
        def recording():
            yield x * 2
        assert [y.requires_grad for y in recording()] == [True]
        assert not dp.is_grad_enabled()

    gen = batches(2)
    next(gen)
    with pytest.raises(ValueError, match="thrown in"):
        gen.throw(ValueError("thrown in"))
    gen = batches(2)
    next(gen)
    gen.close()
    assert dp.is_grad_enabled()


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "exp"])
def test_a_smooth_function_of_an_integer_tensor_is_computed_in_floating_point(name):
    # sigmoid gave [0, 0, 0] (int64): its values were cast back to the integers' dtype
    values = [-2, 0, 1, 3]
    out = getattr(dp.tensor(values), name)()
    assert out.dtype == np.float32  # PyTorch's default float dtype (NumPy's rule gave float64)
    reference = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh, "exp": np.exp}[name]
    np.testing.assert_allclose(out.data, reference(np.array(values, dtype=np.float64)), rtol=1e-6)
    # booleans too (NumPy's rule gave float16 for exp and tanh)
    booleans = getattr(dp.tensor([True, False]), name)()
    assert booleans.dtype == np.float32
    np.testing.assert_allclose(booleans.data, reference(np.array([1.0, 0.0])), rtol=1e-6)
