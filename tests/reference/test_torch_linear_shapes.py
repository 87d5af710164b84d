"""F.linear with a bias of another shape than (out_features,) and with a weight vector, against
PyTorch 2.13: values, the gradients of the input, the weight and the bias (each in its own shape),
first gradients taken with create_graph=True and a second derivative built on them, float64.

PyTorch takes any bias that broadcasts to the output ((1,), a 0-d one, (batch, out), (batch, 1)),
and a weight of shape (in_features,), which gives x·w with the output axis dropped. With a weight
vector and a matrix input, or with some biases and a contiguous input of three or more dimensions,
PyTorch's fused path (addmm) refuses what its other path takes; deltaprop takes them all, and those
cases are compared with PyTorch's x @ w + b."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from second_order import derivatives  # noqa: E402
from deltaprop.errors import ShapeError  # noqa: E402

F = dp.nn.functional

# (input, weight, bias) shapes PyTorch's F.linear takes
ACCEPTED = [
    ((2, 3), (4, 3), (1,)),
    ((2, 3), (4, 3), ()),
    ((2, 3), (4, 3), (2, 4)),
    ((2, 3), (4, 3), (2, 1)),
    ((3, 3), (4, 3), (3, 1)),
    ((2, 3), (4, 3), (1, 1)),
    ((5, 2, 3), (4, 3), (2, 4)),
    ((5, 2, 3), (4, 3), (5, 1, 4)),
    ((5, 2, 3), (4, 3), (1,)),
    ((3,), (4, 3), ()),
    ((3,), (4, 3), (1,)),
    ((0, 3), (4, 3), (1,)),
    ((2, 3), (4, 3), (4,)),  # the common bias, for comparison
    ((2, 3), (3,), None),
    ((5, 2, 3), (3,), None),
    ((3,), (3,), None),
    ((3,), (3,), ()),
    ((5, 2, 3), (3,), (5, 2)),
    ((5, 2, 3), (3,), ()),
]

# taken here, refused by PyTorch's F.linear for the input's layout: compared with x @ w + b
BEYOND = [
    ((2, 3), (3,), ()),
    ((2, 3), (3,), (2,)),
    ((5, 2, 3), (3,), (1, 2)),
    ((5, 2, 3), (4, 3), (1, 2, 1)),
]


def _compare(shapes, reference):
    rng = np.random.default_rng(sum(len(s) for s in shapes if s is not None))
    shapes = [s for s in shapes if s is not None]
    values = [rng.standard_normal(s) for s in shapes]
    out_shape = tuple(reference(*[torch.tensor(a) for a in values]).shape)
    g, v = rng.standard_normal(out_shape), [rng.standard_normal(s) for s in shapes]
    ours = derivatives(dp, lambda *ts: F.linear(*ts), values, g, v)  # (y, its gradients, its second derivative)
    theirs = derivatives(torch, reference, values, g, v)
    assert ours[0].shape == out_shape
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-12, err_msg="value")
    names = ["input", "weight", "bias"]
    for kind, mine, reference_grads in (("first", ours[1], theirs[1]), ("second", ours[2], theirs[2])):
        for k, (a, b) in enumerate(zip(mine, reference_grads)):
            assert a.shape == shapes[k], f"{kind} derivative of the {names[k]}: shape {a.shape}, not {shapes[k]}"
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"{kind} derivative of the {names[k]}")


@pytest.mark.parametrize("shapes", ACCEPTED, ids=[" ".join(map(str, s)) for s in ACCEPTED])
def test_linear_equals_pytorchs(shapes):
    _compare(shapes, lambda *ts: torch.nn.functional.linear(*ts))


@pytest.mark.parametrize("shapes", BEYOND, ids=[" ".join(map(str, s)) for s in BEYOND])
def test_linear_beyond_pytorchs_fused_path_equals_its_product_and_sum(shapes):
    with pytest.raises(RuntimeError):
        torch.nn.functional.linear(*[torch.zeros(s, dtype=torch.float64) for s in shapes])
    _compare(shapes, lambda x, w, b: (x @ w.T if w.ndim == 2 else x @ w) + b)


@pytest.mark.parametrize("shapes", [((2, 3), (4, 3), (1,)), ((2, 3), (4, 3), ()), ((2, 3), (4, 3), (2, 4)),
                                    ((5, 2, 3), (4, 3), (1, 2, 1)), ((2, 3), (3,), ())],
                         ids=["(1,)", "0-d", "(2, 4)", "(1, 2, 1) on 3-d", "vector weight, 0-d"])
def test_backward_gives_the_bias_its_shape(shapes):
    """By backward() (the NumPy rules): each gradient in its tensor's shape, PyTorch's values, and an
    optimizer step that takes it (it failed on a (1,) bias given a (4,) gradient)."""
    rng = np.random.default_rng(5)
    values = [rng.standard_normal(s) for s in shapes]
    ours = [dp.tensor(a, dtype=dp.float64, requires_grad=True) for a in values]
    theirs = [torch.tensor(a, requires_grad=True) for a in values]
    x, w, b = theirs
    reference = (x @ w.T if w.ndim == 2 else x @ w) + b
    F.linear(*ours).sum().backward()
    reference.sum().backward()
    for mine, their in zip(ours, theirs):
        assert mine.grad.shape == mine.shape
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=1e-12, atol=1e-12)
    bias = ours[2]
    before = bias.data.copy()
    dp.optim.SGD([bias], lr=0.5).step()
    np.testing.assert_allclose(bias.data, before - 0.5 * theirs[2].grad.numpy(), rtol=1e-12)


def test_a_bias_of_one_summed_over_every_output_by_hand():
    """y = x·Wᵀ + b with W all ones and b of shape (1,) added to all 2·4 outputs: ∂Σy/∂b = 8."""
    x = dp.tensor(np.arange(6.0).reshape(2, 3), dtype=dp.float64)
    b = dp.tensor([0.5], dtype=dp.float64, requires_grad=True)
    y = F.linear(x, dp.ones(4, 3, dtype=dp.float64), b)
    np.testing.assert_allclose(y.data, [[3.5] * 4, [12.5] * 4])
    y.sum().backward()
    np.testing.assert_allclose(b.grad, [8.0])


def test_a_vector_weight_by_hand():
    """linear(x, w) for w of shape (3,) is x @ w: each row's weighted sum, the output axis dropped."""
    x = dp.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=dp.float64, requires_grad=True)
    w = dp.tensor([1.0, 0.0, -1.0], dtype=dp.float64, requires_grad=True)
    y = F.linear(x, w)
    np.testing.assert_allclose(y.data, [-2.0, -2.0])
    y.sum().backward()
    np.testing.assert_allclose(w.grad, [5.0, 7.0, 9.0])
    np.testing.assert_allclose(x.grad, [[1.0, 0.0, -1.0]] * 2)


def test_a_float32_vector_weight_takes_float64_data_in_its_dtype():
    """Data (an input that needs no gradient) takes the weight's dtype, as with a weight matrix."""
    y = F.linear(np.ones((2, 3)), dp.tensor([1.0, 2.0, 3.0], dtype=dp.float32, requires_grad=True))
    assert y.dtype == dp.float32
    np.testing.assert_allclose(y.data, [6.0, 6.0])


@pytest.mark.parametrize("x_shape, w_shape, b_shape, message", [
    ((2, 3), (4, 3), (3,), "the bias of shape (3,) does not broadcast to the output's shape (2, 4)"),
    ((2, 3), (4, 3), (5, 2, 4), "the bias of shape (5, 2, 4) does not broadcast to the output's shape (2, 4)"),
    ((3,), (4, 3), (1, 1), "the bias of shape (1, 1) does not broadcast to the output's shape (4,)"),
    ((2, 4), (3,), None, "input of shape (2, 4) has 4 features, the weight of shape (3,) expects 3"),
    ((2, 3), (), None, "the weight must be a matrix of shape (out_features, in_features) or a vector"),
    ((), (4, 3), None, "input of shape () has no features"),
    ((), (3,), None, "input of shape () has no features"),
])
def test_shapes_pytorch_refuses_are_refused_in_one_sentence(x_shape, w_shape, b_shape, message):
    bias = None if b_shape is None else dp.zeros(*b_shape)
    with pytest.raises(ShapeError) as error:
        F.linear(dp.zeros(*x_shape), dp.zeros(*w_shape), bias)
    assert message in str(error.value)
    with pytest.raises(RuntimeError):
        torch.nn.functional.linear(torch.zeros(x_shape), torch.zeros(w_shape),
                                   None if b_shape is None else torch.zeros(b_shape))
