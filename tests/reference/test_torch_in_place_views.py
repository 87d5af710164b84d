"""The in-place view changes ``squeeze_``, ``unsqueeze_``, ``t_``, ``transpose_``, ``swapaxes_`` and
``swapdims_`` against PyTorch: the shape and values they leave, the memory they keep sharing, and
the graph. A tensor computed in the graph passes the gradient of its later uses back through the
operations that made it (float64 and float32 against PyTorch, float64 against finite differences);
a leaf that requires grad is refused, as PyTorch refuses it; a use recorded before the change is
refused at backward() (PyTorch hands it to the old node).
"""

import gc

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these methods are compared with")

import deltaprop as dp  # noqa: E402
from deltaprop.changes import Changes  # noqa: E402
from deltaprop.errors import GradError, ShapeError  # noqa: E402

DTYPES = [np.float64, np.float32]
TORCH_DTYPES = {np.float64: torch.float64, np.float32: torch.float32}
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-5)}

# name -> (the call, the input's shape)
VIEWS = {
    "squeeze_": (lambda x: x.squeeze_(), (3, 1, 2, 1)),
    "squeeze_ dim": (lambda x: x.squeeze_(1), (3, 1, 2, 1)),
    "squeeze_ negative dim": (lambda x: x.squeeze_(-1), (3, 1, 2, 1)),
    "unsqueeze_": (lambda x: x.unsqueeze_(0), (3, 2)),
    "unsqueeze_ last": (lambda x: x.unsqueeze_(-1), (3, 2)),
    "unsqueeze_ middle": (lambda x: x.unsqueeze_(1), (3, 2)),
    "t_": (lambda x: x.t_(), (3, 2)),
    "transpose_": (lambda x: x.transpose_(0, 2), (2, 3, 4)),
    "transpose_ negative": (lambda x: x.transpose_(-1, 1), (2, 3, 4)),
    "swapaxes_": (lambda x: x.swapaxes_(0, 1), (2, 3, 4)),
    "swapdims_": (lambda x: x.swapdims_(2, 1), (2, 3, 4)),
    "t_ then squeeze_": (lambda x: x.t_().squeeze_(0), (3, 1)),
}


def _sample(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(VIEWS))
def test_the_shape_changes_in_place_as_pytorchs_does(name, dtype):
    call, shape = VIEWS[name]
    A = _sample(shape)
    x, t = dp.tensor(A, dtype=dtype), torch.tensor(A, dtype=TORCH_DTYPES[dtype])
    memory = x.data
    assert call(x) is x
    assert call(t) is t
    assert x.shape == tuple(t.shape) and x.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(x.data, t.numpy())
    assert np.shares_memory(x.data, memory)  # a view of the same memory, as PyTorch's is of its storage


def test_the_tensor_keeps_sharing_its_memory_with_its_views_as_pytorchs_does():
    x, t = dp.zeros(2, 3), torch.zeros(2, 3)
    row, t_row = x[0], t[0]
    x.t_()
    t.t_()
    x[1, 0] = 5.0
    t[1, 0] = 5.0
    row.unsqueeze_(0)
    t_row.unsqueeze_(0)
    assert row.shape == tuple(t_row.shape) == (1, 3)
    np.testing.assert_array_equal(row.data, t_row.numpy())
    np.testing.assert_array_equal(x.data, t.numpy())


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", list(VIEWS))
def test_a_later_use_passes_its_gradient_through_the_earlier_graph_as_in_pytorch(name, dtype):
    call, shape = VIEWS[name]
    A = _sample(shape)
    a, ta = dp.tensor(A, dtype=dtype, requires_grad=True), torch.tensor(A, dtype=TORCH_DTYPES[dtype], requires_grad=True)
    x, tx = a.sin() * 3.0, ta.sin() * 3.0  # (mul keeps no output: PyTorch refuses exp's, its version bumped)
    assert call(x) is x
    call(tx)
    assert not x.is_leaf and x.requires_grad and x.grad_fn is not None
    W = _sample(x.shape, seed=1)
    ours, theirs = (x * dp.tensor(W, dtype=dtype)).sum(), (tx * torch.tensor(W, dtype=TORCH_DTYPES[dtype])).sum()
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), **TOLERANCES[dtype])
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("name", list(VIEWS))
def test_the_gradient_through_an_in_place_view_change_matches_finite_differences(name):
    call, shape = VIEWS[name]
    W = None

    def changed(a):
        nonlocal W
        x = a.sin() * 2.0
        call(x)
        if W is None:
            W = dp.tensor(_sample(x.shape, seed=2), dtype=dp.float64)
        return (x * W).cumsum(0)  # (cumsum: the order of the new first dimension matters)

    a = dp.tensor(_sample(shape), dtype=dp.float64, requires_grad=True)
    assert dp.gradcheck(changed, (a,))


def test_a_rule_that_keeps_its_output_still_gets_the_right_gradient():
    # PyTorch refuses here (the change bumps the version of exp's saved output); the values are the
    # same, so deltaprop computes it.
    a = dp.tensor(_sample((3, 1)), dtype=dp.float64, requires_grad=True)
    x = a.exp()
    x.t_()
    (x * dp.tensor([[1.0, 2.0, 3.0]], dtype=dp.float64)).sum().backward()
    np.testing.assert_allclose(a.grad, np.exp(a.data) * [[1.0], [2.0], [3.0]], rtol=1e-12)
    t = torch.tensor(_sample((3, 1)), requires_grad=True).exp()
    t.t_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        t.sum().backward()


def test_a_hand_worked_transpose_sends_each_element_its_own_weight():
    a = dp.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    x = a * 1.0
    x.t_()  # (3, 1): element j of a is row j of x
    (x * dp.tensor([[1.0], [10.0], [100.0]])).sum().backward()
    np.testing.assert_array_equal(a.grad, [[1.0, 10.0, 100.0]])


@pytest.mark.parametrize("name", list(VIEWS))
def test_a_leaf_that_requires_grad_is_refused_as_pytorch_refuses_it(name):
    call, shape = VIEWS[name]
    method = name.split()[0]
    leaf = dp.zeros(*shape, requires_grad=True)
    with pytest.raises(GradError, match=f"{method}: a leaf tensor that requires grad cannot change its shape in place"):
        call(leaf)
    assert leaf.shape == shape
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        call(torch.zeros(*shape, requires_grad=True))


def test_a_parameter_changes_its_shape_under_no_grad_as_in_pytorch():
    weight, t_weight = dp.nn.Parameter(dp.tensor(_sample((3, 1)))), torch.nn.Parameter(torch.tensor(_sample((3, 1))))
    with dp.no_grad():
        assert weight.t_() is weight
    with torch.no_grad():
        t_weight.t_()
    assert weight.shape == tuple(t_weight.shape) == (1, 3) and weight.is_leaf and weight.requires_grad
    (weight * 2.0).sum().backward()  # a use after the change: the gradient has the new shape
    np.testing.assert_array_equal(weight.grad, np.full((1, 3), 2.0))


def test_a_use_recorded_before_the_change_is_refused_at_backward():
    a = dp.tensor(_sample((2, 3)), requires_grad=True)
    x = a * 2.0
    early = (x * dp.tensor([1.0, 2.0, 3.0])).sum()
    x.t_()
    late = (x * dp.tensor([[1.0], [2.0], [3.0]])).sum()
    late.backward()  # the use after the change is fine
    np.testing.assert_allclose(a.grad, np.tile([[2.0, 4.0, 6.0]], (2, 1)))
    with pytest.raises(GradError, match=r"backward: 'mul' used a tensor that t_\(\) reshaped in place afterwards "
                                        r"\(now shape \(3, 2\)\), so its gradient would have the old shape"):
        early.backward()
    with pytest.raises(GradError, match="reshaped in place afterwards"):
        (early + late).backward()


def test_a_leafs_use_recorded_before_a_change_under_no_grad_is_refused_at_backward():
    # (PyTorch gives the leaf a .grad of the old shape there)
    w = dp.tensor(_sample((3, 1)), requires_grad=True)
    y = (w * 2.0).sum()
    with dp.no_grad():
        w.squeeze_()
    with pytest.raises(GradError, match=r"'mul' used a tensor that squeeze_\(\) reshaped in place afterwards"):
        y.backward()
    assert w.grad is None


def test_a_change_that_moves_nothing_leaves_earlier_uses_alone():
    a = dp.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = a * 2.0
    y = (x * x).sum()
    x.t_()  # a vector's transpose is itself
    x.squeeze_()  # no dimension of length 1
    y.backward()
    np.testing.assert_allclose(a.grad, 8.0 * np.array([1.0, 2.0, 3.0]))


def test_a_tensor_that_changed_its_shape_is_forgotten_once_it_is_gone():
    x = dp.tensor(_sample((3, 1)), requires_grad=True) * 1.0
    x.squeeze_()
    key = id(x)
    assert key in Changes.reshaped
    del x
    gc.collect()
    assert key not in Changes.reshaped


REFUSALS = [
    (lambda lib: lib.zeros(2, 3).squeeze_(5), ShapeError, r"squeeze_: axis 5 is out of range for a tensor with 2 dimensions"),
    (lambda lib: lib.zeros(2, 3).unsqueeze_(4), ShapeError, r"unsqueeze_: axis 4 is out of range for a result with 3 dimensions"),
    (lambda lib: lib.zeros(2, 3).transpose_(0, 3), ShapeError, r"transpose_: axis 3 is out of range for a tensor with 2 dimensions"),
    (lambda lib: lib.zeros(2, 3).swapdims_(-3, 0), ShapeError, r"swapdims_: axis -3 is out of range for a tensor with 2 dimensions"),
    (lambda lib: lib.zeros(2, 3, 4).t_(), ValueError, r"t_: expects a tensor of at most 2 dimensions, got shape \(2, 3, 4\)"),
]


@pytest.mark.parametrize("call, error, message", REFUSALS)
def test_a_dimension_out_of_range_is_refused_in_one_sentence_naming_the_method(call, error, message):
    x = dp.zeros(2, 3)
    with pytest.raises(error, match=message):
        call(dp)
    with pytest.raises((IndexError, RuntimeError)):
        call(torch)
    assert x.shape == (2, 3)


def test_a_refusal_leaves_a_computed_tensor_as_it_was():
    a = dp.tensor(_sample((2, 3)), requires_grad=True)
    x = a * 2.0
    with pytest.raises(ShapeError, match="transpose_: axis 2 is out of range"):
        x.transpose_(0, 2)
    assert x.shape == (2, 3) and id(x) not in Changes.reshaped
    x.sum().backward()
    np.testing.assert_allclose(a.grad, np.full((2, 3), 2.0))
