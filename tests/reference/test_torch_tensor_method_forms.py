"""PyTorch's further Tensor methods: ``contiguous``/``is_contiguous``, ``type``, ``half``,
``nelement``, ``element_size``, ``reshape_as``, ``dot``/``mv``, the aliases (``multiply``,
``greater``, ...), and the in-place forms (``abs_``, ``clamp_``, ``masked_fill_``, ``scatter_``,
``index_add_``, ``exp_``, ..., ``detach_``), compared with PyTorch's results; the in-place forms
follow deltaprop's in-place rules (refused on a tensor the graph records; a later backward through
a rule that saved the changed values is refused).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these methods are compared with")

import deltaprop as dp  # noqa: E402
from torch_twins import as_array  # noqa: E402
from deltaprop import nn  # noqa: E402
from deltaprop.errors import GradError, ShapeError  # noqa: E402

DTYPES = [np.float64, np.float32]
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}

A = np.array([[1.0, -5.0, 3.0], [4.0, 2.5, -6.0]])
POSITIVE = np.array([[1.0, 0.5, 3.0], [4.0, 2.5, 0.25]])


def torch_dtype_name(t) -> str:
    return str(t.dtype).removeprefix("torch.")


# -- layout and dtype ------------------------------------------------------------------------------

LAYOUTS = {
    "fresh": lambda lib: lib.zeros(2, 3),
    "transposed": lambda lib: lib.zeros(2, 3).t(),
    "a row of a transposed column": lambda lib: lib.zeros(3, 1).t(),
    "every other column": lambda lib: lib.zeros(2, 4)[:, ::2],
    "a row": lambda lib: lib.zeros(2, 4)[1],
    "a column": lambda lib: lib.zeros(2, 4)[:, 1],
    "expanded": lambda lib: lib.zeros(3).expand(2, 3),
    "0-d": lambda lib: lib.zeros(()),
    "permuted": lambda lib: lib.zeros(2, 3, 4).permute(2, 0, 1),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_is_contiguous_and_contiguous_are_pytorchs(name):
    ours, theirs = LAYOUTS[name](dp), LAYOUTS[name](torch)
    assert ours.is_contiguous() is theirs.is_contiguous()
    made = ours.contiguous()
    assert made.is_contiguous() and made.shape == tuple(theirs.contiguous().shape)
    assert (made is ours) is theirs.is_contiguous()  # itself when contiguous already, as in PyTorch


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
def test_the_transpose_contiguous_view_idiom_gives_pytorchs_values_and_gradient(dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    ours = dp.tensor(x, dtype=dtype, requires_grad=True)
    theirs = torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    y = ours.transpose(1, 2).contiguous().view(2, 12) * dp.arange(12.0).astype(dtype)
    expected = theirs.transpose(1, 2).contiguous().view(2, 12) * torch.arange(12.0, dtype=TORCH_DTYPES[dtype])
    np.testing.assert_allclose(y.data, expected.detach().numpy(), **TOLERANCES[dtype])
    y.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **TOLERANCES[dtype])


def test_contiguous_copies_a_view_so_changing_the_copy_leaves_the_original():
    x = dp.zeros(2, 3)
    y = x.t().contiguous()
    y[0, 0] = 5.0
    assert x.data[0, 0] == 0.0 and y.data.flags.c_contiguous


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                   np.bool_])
def test_type_names_element_size_and_floating_point_are_pytorchs(dtype):
    ours, theirs = dp.zeros(2, 3, dtype=dtype), torch.zeros(2, 3, dtype=getattr(torch, np.dtype(dtype).name))
    assert ours.type() == theirs.type().replace("torch.", "deltaprop.")
    assert ours.element_size() == theirs.element_size()
    assert ours.is_floating_point() is theirs.is_floating_point()
    assert ours.nelement() == theirs.nelement() == 6 and ours.ndimension() == theirs.ndimension() == 2


@pytest.mark.parametrize("target", ["torch.DoubleTensor", "deltaprop.DoubleTensor", "torch.LongTensor", "torch.HalfTensor",
                                    "torch.ByteTensor", "torch.BoolTensor", np.float64, "int32", np.int16])
def test_type_converts_as_pytorchs(target):
    x = np.array([[1.5, 2.0], [0.0, 3.25]])  # (no negatives: PyTorch's uint8 of one is undefined)
    theirs = torch.tensor(x, dtype=torch.float32)
    if isinstance(target, str) and "Tensor" in target:
        expected = theirs.type(target.replace("deltaprop.", "torch."))
    else:
        expected = theirs.type(getattr(torch, np.dtype(target).name))
    ours = dp.tensor(x).type(target)
    assert ours.dtype == np.dtype(torch_dtype_name(expected))
    np.testing.assert_array_equal(ours.data, expected.numpy())


def test_type_to_the_same_dtype_is_the_tensor_itself_and_keeps_the_gradient():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    assert x.type(np.float32) is x and x.type("torch.FloatTensor") is x
    y = x.type(np.float64)
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("target", ["torch.cuda.FloatTensor", "FloatTensor", "banana", np.complex128])
def test_type_refuses_what_it_cannot_make_in_one_sentence(target):
    with pytest.raises(ValueError, match=r"Tensor.type: dtype must be"):
        dp.tensor([1.0]).type(target)


@pytest.mark.parametrize("method", ["half", "byte", "char", "short", "float", "double", "long", "int", "bool"])
def test_the_dtype_methods_are_pytorchs(method):
    x = np.array([[1.5, 2.0], [0.0, 3.75]])
    ours, theirs = getattr(dp.tensor(x), method)(), getattr(torch.tensor(x, dtype=torch.float32), method)()
    assert ours.dtype == np.dtype(torch_dtype_name(theirs))
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_half_keeps_the_gradient_in_the_inputs_dtype():
    x = dp.tensor([1.0, 2.0], requires_grad=True)
    y = x.half()
    assert y.dtype == np.float16
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]


METHOD_CASES = {
    "reshape_as": ((A, np.zeros((3, 2))), lambda a, b: a.reshape_as(b)),
    "dot": ((A[0], A[1]), lambda a, b: a.dot(b)),
    "mv": ((A, A[0]), lambda a, b: a.mv(b)),
    "multiply": ((A, POSITIVE), lambda a, b: a.multiply(b)),
    "true_divide": ((A, POSITIVE), lambda a, b: a.true_divide(b)),
    "divide": ((A, POSITIVE), lambda a, b: a.divide(b)),
    "divide trunc": ((A, POSITIVE), lambda a, b: a.divide(b, rounding_mode="trunc")),
    "subtract": ((A, POSITIVE), lambda a, b: a.subtract(b, alpha=3)),
    "negative": ((A,), lambda a: a.negative()),
    "absolute": ((A,), lambda a: a.absolute()),
    "ravel": ((A,), lambda a: a.t().ravel()),
    "broadcast_to": ((A[0],), lambda a: a.broadcast_to((4, 3))),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(METHOD_CASES))
def test_method_values_and_gradients_are_pytorchs(name, dtype):
    arrays, call = METHOD_CASES[name]
    ours = [dp.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=TORCH_DTYPES[dtype], requires_grad=True) for a in arrays]
    y, expected = call(*ours), call(*theirs)
    assert y.shape == tuple(expected.shape) and y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y.data, expected.detach().numpy(), **TOLERANCES[dtype])
    seed = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(seed.astype(dtype))
    expected.backward(torch.tensor(seed, dtype=TORCH_DTYPES[dtype]))
    for a, t in zip(ours, theirs):
        if t.grad is None:  # reshape_as: the shape's source gets no gradient
            assert a.grad is None
        else:
            np.testing.assert_allclose(a.grad, t.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("name", ["greater", "less", "greater_equal", "less_equal", "not_equal", "isclose", "count_nonzero"])
def test_comparison_methods_are_pytorchs(name):
    other = np.array([[1.0, -4.0, 3.0], [0.0, 2.5, -7.0]])
    args = () if name == "count_nonzero" else (other,)
    ours = getattr(dp.tensor(A), name)(*[dp.tensor(a) for a in args])
    theirs = getattr(torch.tensor(A, dtype=torch.float32), name)(*[torch.tensor(a, dtype=torch.float32) for a in args])
    assert ours.dtype == np.dtype(torch_dtype_name(theirs)) and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


# -- in place --------------------------------------------------------------------------------------

INDEX = np.array([[0, 1, 0], [1, 0, 1]])
ROWS = np.array([1, 0])
MASK = np.array([[True, False, True], [False, False, True]])

IN_PLACE = {
    "abs_": lambda x, lib: x.abs_(),
    "neg_": lambda x, lib: x.neg_(),
    "clamp_": lambda x, lib: x.clamp_(-1.0, 2.0),
    "clamp_ min": lambda x, lib: x.clamp_(min=0.0),
    "clamp_ max tensor": lambda x, lib: x.clamp_(max=lib.tensor([0.0, 1.0, 2.0], dtype=x.dtype)),
    "clip_": lambda x, lib: x.clip_(-2.0, 3.5),
    "clamp_min_": lambda x, lib: x.clamp_min_(0.5),
    "clamp_max_": lambda x, lib: x.clamp_max_(0.5),
    "masked_fill_": lambda x, lib: x.masked_fill_(lib.tensor(MASK), -9.0),
    "masked_fill_ row mask": lambda x, lib: x.masked_fill_(lib.tensor(MASK[0]), 7.0),
    "scatter_ src": lambda x, lib: x.scatter_(0, lib.tensor(INDEX), lib.tensor(POSITIVE, dtype=x.dtype)),
    "scatter_ value": lambda x, lib: x.scatter_(1, lib.tensor(INDEX), value=4.0),
    "scatter_ number": lambda x, lib: x.scatter_(1, lib.tensor(INDEX), 4.0),
    "scatter_add_": lambda x, lib: x.scatter_add_(0, lib.tensor(INDEX), lib.tensor(POSITIVE, dtype=x.dtype)),
    "index_fill_": lambda x, lib: x.index_fill_(1, lib.tensor([0, 2]), 5.0),
    "index_add_": lambda x, lib: x.index_add_(0, lib.tensor(ROWS), lib.tensor(POSITIVE, dtype=x.dtype)),
    "index_add_ alpha": lambda x, lib: x.index_add_(0, lib.tensor(ROWS), lib.tensor(POSITIVE, dtype=x.dtype), alpha=-2),
    "index_copy_": lambda x, lib: x.index_copy_(0, lib.tensor(ROWS), lib.tensor(POSITIVE, dtype=x.dtype)),
    "exp_": lambda x, lib: x.exp_(),
    "pow_": lambda x, lib: x.pow_(2),
    "sigmoid_": lambda x, lib: x.sigmoid_(),
    "tanh_": lambda x, lib: x.tanh_(),
    "relu_": lambda x, lib: x.relu_(),
    "floor_": lambda x, lib: x.floor_(),
    "ceil_": lambda x, lib: x.ceil_(),
    "round_": lambda x, lib: x.round_(),
    "trunc_": lambda x, lib: x.trunc_(),
    "sign_": lambda x, lib: x.sign_(),
    "square_": lambda x, lib: x.square_(),
    "reciprocal_": lambda x, lib: x.reciprocal_(),
}
ON_POSITIVE = {
    "log_": lambda x, lib: x.log_(),
    "sqrt_": lambda x, lib: x.sqrt_(),
    "pow_ tensor": lambda x, lib: x.pow_(lib.tensor([0.5, 2.0, -1.0], dtype=x.dtype)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(IN_PLACE) + list(ON_POSITIVE))
def test_in_place_forms_change_the_tensor_as_pytorchs_do(name, dtype):
    call = IN_PLACE.get(name) or ON_POSITIVE[name]
    values = POSITIVE if name in ON_POSITIVE else A
    x, t = dp.tensor(values, dtype=dtype), torch.tensor(values, dtype=TORCH_DTYPES[dtype])
    view = x.data
    assert call(x, dp) is x
    assert call(t, torch) is t
    assert x.data is view and x.dtype == np.dtype(dtype)
    np.testing.assert_allclose(x.data, t.numpy(), **TOLERANCES[dtype])


def test_in_place_forms_change_every_view_of_the_memory_as_pytorchs_do():
    x, t = dp.tensor(A), torch.tensor(A, dtype=torch.float32)
    x.t().clamp_(max=0.0)
    t.t().clamp_(max=0.0)
    x[1].abs_()
    t[1].abs_()
    np.testing.assert_array_equal(x.data, t.numpy())


def test_integer_tensors_keep_their_dtype_and_refuse_a_floating_result_as_pytorch_does():
    x, t = dp.tensor([[-3, 4], [5, -6]]), torch.tensor([[-3, 4], [5, -6]])
    x.abs_().clamp_(max=5).neg_()
    t.abs_().clamp_(max=5).neg_()
    assert x.dtype == np.int64 and x.data.tolist() == t.tolist()
    with pytest.raises(RuntimeError):
        t.sqrt_()
    with pytest.raises(TypeError, match=r"sqrt_: a int64 tensor cannot take in place its float32 result"):
        x.abs_().sqrt_()
    t.abs_()
    with pytest.raises(TypeError, match=r"clamp_: a int64 tensor cannot take in place its float32 result"):
        x.clamp_(0.5)
    assert x.data.tolist() == t.tolist()  # unchanged by the refusals


def test_an_in_place_form_whose_result_would_grow_the_tensor_is_refused():
    x = dp.zeros(3)
    with pytest.raises(ShapeError, match=r"clamp_: the result has shape \(2, 3\), the tensor \(3,\); "):
        x.clamp_(min=dp.zeros(2, 3))
    with pytest.raises(RuntimeError):
        torch.zeros(3).clamp_(min=torch.zeros(2, 3))


REFUSALS = {
    "abs_": lambda x: x.abs_(), "clamp_": lambda x: x.clamp_(0.0, 1.0), "exp_": lambda x: x.exp_(),
    "masked_fill_": lambda x: x.masked_fill_(dp.tensor(MASK), 0.0),
    "scatter_": lambda x: x.scatter_(1, dp.tensor(INDEX), value=1.0),
    "index_fill_": lambda x: x.index_fill_(1, dp.tensor([0]), 1.0), "detach_": None,
    "relu_": lambda x: x.relu_(), "normal_": lambda x: x.normal_(), "uniform_": lambda x: x.uniform_(),
    "bernoulli_": lambda x: x.bernoulli_(), "exponential_": lambda x: x.exponential_(), "random_": lambda x: x.random_(3),
}
TORCH_ARGUMENTS = {  # PyTorch's side of the calls above that take arguments
    "random_": (3,), "clamp_": (0.0, 1.0), "index_fill_": (1, torch.tensor([0]), 1.0),
    "masked_fill_": (torch.tensor(MASK), 0.0), "scatter_": (1, torch.tensor(INDEX), 1.0),
}


@pytest.mark.parametrize("name", [n for n in REFUSALS if REFUSALS[n] is not None])
def test_in_place_forms_are_refused_on_a_leaf_that_requires_grad_as_pytorch_refuses_them(name):
    leaf = dp.tensor(A, requires_grad=True)
    with pytest.raises(GradError, match=f"{name}: a leaf tensor that requires grad cannot be changed in place"):
        REFUSALS[name](leaf)
    np.testing.assert_array_equal(leaf.data, A.astype(np.float32))  # nothing written
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(torch.tensor(A, requires_grad=True), name)(*TORCH_ARGUMENTS.get(name, ()))


DRAWS = ("normal_", "uniform_", "bernoulli_", "exponential_", "random_")


@pytest.mark.parametrize("name", [n for n in REFUSALS if REFUSALS[n] is not None])
def test_in_place_forms_on_a_tensor_the_graph_records_are_recorded_as_pytorch_records_them(name):
    found = []
    for lib in (dp, torch):
        leaf = lib.tensor(A, requires_grad=True)
        computed = leaf * 2
        memory = computed.data if lib is dp else computed.data_ptr()
        if lib is dp:
            assert REFUSALS[name](computed) is computed and computed.data is memory
        else:
            assert getattr(computed, name)(*TORCH_ARGUMENTS.get(name, ())) is computed
        assert computed.requires_grad and not computed.is_leaf
        (computed * leaf).sum().backward()
        found.append((as_array(leaf.grad), as_array(computed)))
    if name in DRAWS:  # (the values drawn differ: only the old values' gradient, 0, is compared)
        np.testing.assert_allclose(found[0][0], found[0][1], rtol=1e-6)
        np.testing.assert_allclose(found[1][0], found[1][1], rtol=1e-6)
    else:
        np.testing.assert_allclose(found[0][0], found[1][0], rtol=1e-6)
        np.testing.assert_allclose(found[0][1], found[1][1], rtol=1e-6)


@pytest.mark.parametrize("name", ["abs_", "clamp_", "exp_", "masked_fill_", "index_fill_", "relu_", "normal_", "random_"])
def test_in_place_forms_work_on_a_parameter_under_no_grad(name):
    weight = nn.Parameter(dp.tensor(A))
    with dp.no_grad():
        assert REFUSALS[name](weight) is weight
    assert weight.requires_grad and weight.is_leaf and weight.dtype == np.float32


def test_a_value_written_by_a_tensor_that_requires_grad_gets_its_gradient_as_in_pytorch():
    found = []
    for lib in (dp, torch):
        x = lib.tensor(A)
        value = lib.tensor([0.0, 1.0, 2.0], requires_grad=True)
        source = lib.tensor(POSITIVE, requires_grad=True)
        assert x.clamp_(max=value) is x and x.index_add_(0, lib.tensor(ROWS), source) is x
        (x * x).sum().backward()
        found.append((as_array(value.grad), as_array(source.grad), as_array(x)))
    for ours, theirs in zip(*found):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("name", ["abs_", "clamp_", "exp_", "masked_fill_", "scatter_", "index_fill_", "relu_",
                                  "normal_", "uniform_", "bernoulli_", "exponential_", "random_"])
def test_backward_refuses_after_an_in_place_form_changed_a_saved_value(name):
    w = dp.tensor(A, requires_grad=True)
    x = dp.tensor(POSITIVE)
    y = (w * x).sum()  # mul saves x for w's gradient
    REFUSALS[name](x)
    with pytest.raises(GradError, match="changed in place"):
        y.backward()
    t_w, t_x = torch.tensor(A, requires_grad=True), torch.tensor(POSITIVE)
    t_y = (t_w * t_x).sum()
    getattr(t_x, name)(*TORCH_ARGUMENTS.get(name, ()))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        t_y.backward()


def test_detach_in_place_makes_a_leaf_that_requires_no_gradient_as_pytorchs():
    w = dp.tensor(A, requires_grad=True)
    y = w * 2
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.data, 2 * A.astype(np.float32))
    t = torch.tensor(A, requires_grad=True) * 2
    t.detach_()
    assert t.is_leaf and not t.requires_grad and t.grad_fn is None
    leaf = dp.tensor(A, requires_grad=True).detach_()
    assert not leaf.requires_grad and leaf.is_leaf
