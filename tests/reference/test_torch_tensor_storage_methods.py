"""The tensor methods of PyTorch that call a Python function on each element (``apply_``, ``map_``,
``map2_``), change the storage (``resize_``, ``resize_as_``, ``set_``) or ask where the memory lies
(``share_memory_``, ``is_shared``, ``pin_memory``, ``is_pinned``, ``record_stream``), against PyTorch
2.13, and where deltaprop differs on purpose (zeros where PyTorch's grown storage holds whatever was
there; pin_memory without an accelerator)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these methods are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import GradError, ShapeError  # noqa: E402

A = np.array([[1.0, -5.0, 3.0], [4.0, 2.5, -6.0]])


def _both(values, dtype=np.float64):
    values = np.asarray(values, dtype=dtype)
    return dp.tensor(values, dtype=dtype), torch.tensor(values)


# -- a Python function of each element --------------------------------------------------------------

CALLS = {
    "apply_": lambda x, lib: x.apply_(lambda v: v * v - 1),
    "apply_ integers": lambda x, lib: x.long().apply_(lambda v: v * 2.7),  # (truncated into the int64 tensor)
    "apply_ booleans": lambda x, lib: (x > 0).apply_(lambda v: not v),
    "apply_ row": lambda x, lib: x[1].apply_(lambda v: v + 0.5),
    "apply_ strided view": lambda x, lib: x.t()[::2].apply_(lambda v: -v),
    "map_": lambda x, lib: x.map_(lib.tensor([10.0, 20.0, 30.0], dtype=x.dtype), lambda a, b: a * b + 1),
    "map_ same shape": lambda x, lib: x.map_(x * 2, lambda a, b: max(a, b)),
    "map2_": lambda x, lib: x.map2_(lib.tensor([[1.0], [2.0]], dtype=x.dtype), lib.tensor([3.0, 4.0, 5.0], dtype=x.dtype),
                                    lambda a, b, c: a + b * c),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_function_of_each_element_changes_the_tensor_as_pytorchs_does(name):
    x, t = _both(A)
    ours, theirs = CALLS[name](x, dp), CALLS[name](t, torch)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)
    np.testing.assert_allclose(x.data, t.numpy(), rtol=1e-15)  # a view's base changed with it


def test_apply_on_a_0d_tensor_is_pytorchs():
    x, t = _both(2.5)
    np.testing.assert_array_equal(x.apply_(lambda v: v / 2).data, t.apply_(lambda v: v / 2).numpy())


def test_the_function_is_given_python_numbers_as_pytorchs_is():
    for values, dtype, expected in [(A, np.float64, float), (A, np.int64, int), (A > 0, np.bool_, bool)]:
        ours, theirs = [], []
        dp.tensor(values.astype(dtype)).apply_(lambda v: ours.append(type(v)) or v)
        torch.tensor(values.astype(dtype)).apply_(lambda v: theirs.append(type(v)) or v)
        assert set(ours) == set(theirs) == {expected}


def test_apply_returns_the_tensor_itself_in_its_memory():
    x, t = _both(A)
    memory = x.data
    assert x.apply_(abs) is x and t.apply_(abs) is t
    assert x.data is memory


def test_a_float_tensor_takes_a_number_beyond_its_range_as_infinity_as_pytorchs_does():
    x, t = dp.ones(2), torch.ones(2)
    np.testing.assert_array_equal(x.apply_(lambda v: 10 ** 40).data, t.apply_(lambda v: 10 ** 40).numpy())


@pytest.mark.parametrize("name", ["apply_", "map_"])
def test_a_tensor_that_requires_grad_is_refused_under_no_grad_too_as_in_pytorch(name):
    def call(lib, requires_grad, other_requires_grad=False):
        x = lib.tensor(A, requires_grad=requires_grad)
        if name == "apply_":
            return x.apply_(lambda v: v)
        return x.map_(lib.tensor(A, requires_grad=other_requires_grad, dtype=x.dtype), lambda a, b: a)

    for lib, error in [(dp, GradError), (torch, RuntimeError)]:
        with pytest.raises(error, match=f"{name}"):
            call(lib, True)
        with lib.no_grad(), pytest.raises(error, match=f"{name}"):
            call(lib, True)
    if name == "map_":  # the other tensor too
        with pytest.raises(GradError, match="map_: a Python function of each element passes no gradient"):
            call(dp, False, True)
        with pytest.raises(RuntimeError, match="requires grad"):
            call(torch, False, True)


def test_the_refusals_name_the_method_and_the_bad_value():
    x = dp.tensor(A)
    with pytest.raises(TypeError, match="apply_: the function must return a real number for each element, got None"):
        x.apply_(lambda v: None)
    with pytest.raises(TypeError):
        torch.tensor(A).apply_(lambda v: None)
    with pytest.raises(TypeError, match="apply_: expects a function to call on each element, got 3"):
        x.apply_(3)
    with pytest.raises(TypeError, match=r"map_: the other tensors must have this tensor's dtype float32, got one of int64"):
        x.map_(dp.tensor([1, 2, 3]), lambda a, b: a)
    with pytest.raises(TypeError, match="expected torch.DoubleTensor"):  # PyTorch asks for the same dtype too
        torch.tensor(A).map_(torch.tensor([1, 2, 3]), lambda a, b: a)
    with pytest.raises(ShapeError, match=r"map_: the other tensors must broadcast to this tensor's shape \(2, 3\)"):
        x.map_(dp.ones(2, 2, 3), lambda a, b: a)
    with pytest.raises(RuntimeError):
        torch.tensor(A).map_(torch.ones(2, 2, 3, dtype=torch.float64), lambda a, b: a)
    with pytest.raises(TypeError, match="map_: expects deltaprop tensors beside the function, got list"):
        x.map_([1.0, 2.0, 3.0], lambda a, b: a)
    with pytest.raises(OverflowError, match="apply_: the function returned a number beyond the range of int32"):
        dp.ones(2, dtype=dp.int32).apply_(lambda v: 10 ** 12)
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.ones(2, dtype=torch.int32).apply_(lambda v: 10 ** 12)
    np.testing.assert_array_equal(x.data, A)  # nothing written by the refusals


# -- resize_, resize_as_, set_ ----------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [(2, 3), ((3, 2),), (6,), (4,), (1, 2), (2, 0), ((),), ([],)])
def test_resize_to_as_many_elements_or_fewer_is_pytorchs(sizes):
    x, t = _both(np.arange(6.0))
    assert x.resize_(*sizes) is x and t.resize_(*sizes) is t
    assert x.shape == tuple(t.shape)
    np.testing.assert_array_equal(x.data, t.numpy())


def test_resize_keeps_the_memory_where_the_layout_allows_as_pytorchs():
    base, tbase = _both(np.arange(6.0))
    view, tview = base[:4], tbase[:4]
    view.resize_(2, 2)
    tview.resize_(2, 2)
    view[1, 1] = 40.0
    tview[1, 1] = 40.0
    np.testing.assert_array_equal(base.data, tbase.numpy())


def test_resize_to_more_elements_keeps_the_first_ones_and_adds_zeros():
    """PyTorch's new elements are whatever the memory held; deltaprop's are zeros."""
    x, t = _both(np.arange(6.0))
    x.resize_(2, 4)
    t.resize_(2, 4)
    assert x.shape == tuple(t.shape) == (2, 4)
    np.testing.assert_array_equal(x.data.ravel()[:6], t.numpy().ravel()[:6])
    np.testing.assert_array_equal(x.data.ravel()[6:], [0.0, 0.0])


def test_resize_as_takes_the_templates_shape():
    x, t = _both(np.arange(6.0))
    assert x.resize_as_(dp.ones(3, 2)) is x and t.resize_as_(torch.ones(3, 2)) is t
    np.testing.assert_array_equal(x.data, t.numpy())
    with pytest.raises(TypeError, match="resize_as_: expects a tensor whose shape to take, got list"):
        x.resize_as_([1, 2])
    with pytest.raises(TypeError):
        t.resize_as_([1, 2])


def test_resize_refuses_a_tensor_that_requires_grad_and_bad_sizes_as_pytorch_does():
    for lib, error in [(dp, GradError), (torch, RuntimeError)]:
        with pytest.raises(error, match="resize"):
            lib.ones(2, requires_grad=True).resize_(2)
        with lib.no_grad(), pytest.raises(error, match="resize"):
            lib.ones(2, requires_grad=True).resize_(3)
        with pytest.raises(TypeError):
            lib.ones(2).resize_(2.5)
        with pytest.raises(TypeError):
            lib.ones(2).resize_()
    with pytest.raises(ValueError, match=r"resize_: sizes must be non-negative, got \(-1,\)"):
        dp.ones(2).resize_(-1)
    with pytest.raises(RuntimeError):
        torch.ones(2).resize_(-1)


def test_set_shares_the_sources_memory_as_pytorchs_does():
    x, t = _both(np.arange(6.0))
    source, tsource = _both(np.ones((2, 2)))
    assert x.set_(source) is x and t.set_(tsource) is t
    assert x.shape == tuple(t.shape) == (2, 2)
    source[0, 1] = 7.0
    tsource[0, 1] = 7.0
    np.testing.assert_array_equal(x.data, t.numpy())
    assert x.set_() is x and t.set_() is t
    assert x.shape == tuple(t.shape) == (0,) and x.dtype == np.float64


def test_set_refuses_another_dtype_a_storage_and_a_leaf_that_requires_grad_as_pytorch_does():
    with pytest.raises(TypeError, match="set_: a float64 tensor cannot take the memory of a float32 tensor"):
        dp.tensor(A, dtype=dp.float64).set_(dp.ones(2))
    with pytest.raises(RuntimeError, match="Could not set tensor of type"):
        torch.tensor(A).set_(torch.ones(2))
    with pytest.raises(TypeError, match="set_: takes a tensor whose memory to share, or nothing"):
        dp.ones(2).set_(dp.ones(4), 0, (2,), (1,))
    with pytest.raises(GradError, match="set_: a leaf tensor that requires grad cannot be changed in place"):
        dp.ones(2, requires_grad=True).set_(dp.ones(3))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        torch.ones(2, requires_grad=True).set_(torch.ones(3))


def test_set_on_a_parameter_under_no_grad_refuses_a_backward_recorded_before():
    weight = dp.nn.Parameter(dp.ones(3))
    loss = (weight * 2.0).sum()
    with dp.no_grad():
        weight.set_(dp.ones(2, 2))
    assert weight.requires_grad and weight.shape == (2, 2)
    with pytest.raises(GradError, match="set_"):
        loss.backward()
    (weight * 3.0).sum().backward()  # a use recorded after the change has its gradient
    np.testing.assert_array_equal(weight.grad, np.full((2, 2), 3.0, dtype=np.float32))
    computed = weight * 2.0
    with dp.no_grad(), pytest.raises(GradError, match="set_: a tensor computed in the graph cannot take"):
        computed.set_(dp.ones(3))


# -- where the memory lies --------------------------------------------------------------------------

def test_the_memory_questions_are_answered_for_the_one_device():
    x, t = dp.tensor(A), torch.tensor(A)
    assert x.share_memory_() is x and t.share_memory_() is t
    assert x.is_shared() is False  # (PyTorch's is True: its memory is then mapped for other processes)
    assert x.is_pinned() is False and t.is_pinned() is False
    assert x.pin_memory() is x  # (a CPU-only PyTorch refuses: there is no accelerator to pin memory for)
    with pytest.raises(RuntimeError, match="accelerator"):
        t.pin_memory()
    assert x.record_stream(object()) is None
