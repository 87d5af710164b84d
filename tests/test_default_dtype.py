"""set_default_dtype and get_default_dtype, PyTorch's: the dtype of floating-point tensors made
without one (from Python floats, by the creation functions, as nn layers' parameters) follows the
default, integers stay int64, and a default other than float32 or float64 is refused. Also vdot.

Every test that changes the default restores it (in deltaprop and in PyTorch) through a fixture,
even when it fails."""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn

torch = pytest.importorskip("torch", reason="PyTorch is the reference these behaviours are compared with")


@pytest.fixture
def float64_default():
    ours, theirs = dp.get_default_dtype(), torch.get_default_dtype()
    dp.set_default_dtype(dp.float64)
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        dp.set_default_dtype(ours)
        torch.set_default_dtype(theirs)


def test_the_default_is_float32():
    assert dp.get_default_dtype() == np.float32
    assert dp.tensor(1.5).dtype == np.float32 and dp.zeros(2).dtype == np.float32


def test_linear_weights_follow_the_default(float64_default):
    assert dp.get_default_dtype() == np.float64
    layer = nn.Linear(3, 2)
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64


LAYERS = [("Conv2d", (1, 2, 3)), ("LayerNorm", (4,)), ("Embedding", (5, 3)), ("LSTM", (3, 4)), ("PReLU", ()),
          ("BatchNorm1d", (3,)), ("ConvTranspose1d", (2, 2, 3)), ("MultiheadAttention", (4, 2)), ("Bilinear", (2, 3, 4))]


@pytest.mark.parametrize("name, args", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_layer_parameters_follow_the_default_as_torch(name, args, float64_default):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert [p.dtype for p in ours.parameters()] == [np.float64] * len(list(theirs.parameters()))
    assert all(p.dtype == torch.float64 for p in theirs.parameters())


MADE = [  # (id, deltaprop's, PyTorch's)
    ("tensor-float", lambda: dp.tensor(1.5), lambda: torch.tensor(1.5)),
    ("tensor-list", lambda: dp.tensor([1.0, 2]), lambda: torch.tensor([1.0, 2])),
    ("tensor-ints", lambda: dp.tensor([1, 2]), lambda: torch.tensor([1, 2])),
    ("zeros", lambda: dp.zeros(2), lambda: torch.zeros(2)),
    ("ones", lambda: dp.ones(2, 2), lambda: torch.ones(2, 2)),
    ("full-float", lambda: dp.full((2,), 1.5), lambda: torch.full((2,), 1.5)),
    ("empty", lambda: dp.empty(2), lambda: torch.empty(2)),
    ("rand", lambda: dp.rand(2), lambda: torch.rand(2)),
    ("randn", lambda: dp.randn(2), lambda: torch.randn(2)),
    ("arange-floats", lambda: dp.arange(0.0, 3.0), lambda: torch.arange(0.0, 3.0)),
    ("arange-ints", lambda: dp.arange(3), lambda: torch.arange(3)),
    ("linspace", lambda: dp.linspace(0, 1, 3), lambda: torch.linspace(0, 1, 3)),
    ("eye", lambda: dp.eye(2), lambda: torch.eye(2)),
    ("int-times-float", lambda: dp.tensor([1, 2]) * 2.5, lambda: torch.tensor([1, 2]) * 2.5),
    ("exp-of-ints", lambda: dp.exp(dp.tensor([1, 2])), lambda: torch.exp(torch.tensor([1, 2]))),
    ("mean-of-ints-given-float", lambda: dp.tensor([1, 2]).float(), lambda: torch.tensor([1, 2]).float()),
    ("asked-float32", lambda: dp.tensor(1.5, dtype=dp.float32), lambda: torch.tensor(1.5, dtype=torch.float32)),
]


@pytest.mark.parametrize("ours, theirs", [pytest.param(*m[1:], id=m[0]) for m in MADE])
def test_made_tensors_follow_the_default_as_torch(ours, theirs, float64_default):
    assert str(ours().dtype) == str(theirs().dtype).removeprefix("torch.")


def test_set_default_dtype_takes_names_and_restores():
    try:
        dp.set_default_dtype("float64")
        assert dp.get_default_dtype() == np.float64 and dp.ones(1).dtype == np.float64
        dp.set_default_dtype(np.float32)
        assert dp.get_default_dtype() == np.float32 and nn.Linear(2, 2).weight.dtype == np.float32
    finally:
        dp.set_default_dtype(dp.float32)


@pytest.mark.parametrize("dtype", [dp.int64, dp.bool_, np.complex64, dp.float16, "banana", None])
def test_set_default_dtype_refuses_all_but_float32_and_float64(dtype):
    with pytest.raises(TypeError, match="set_default_dtype: the default dtype must be float32 or float64, got"):
        dp.set_default_dtype(dtype)
    assert dp.get_default_dtype() == np.float32


@pytest.mark.parametrize("dtype", [torch.int64, torch.complex64, torch.bool])
def test_torch_refuses_integer_boolean_and_complex_defaults_too(dtype):
    with pytest.raises(TypeError, match="only floating-point types"):
        torch.set_default_dtype(dtype)


# -- vdot ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, torch_dtype, tolerance", [(np.float64, torch.float64, 1e-12),
                                                            (np.float32, torch.float32, 1e-5)])
def test_vdot_matches_torch(dtype, torch_dtype, tolerance):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(5).astype(dtype), rng.standard_normal(5).astype(dtype)
    ours = [dp.tensor(v, requires_grad=True, dtype=dtype) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    y, z = dp.vdot(*ours), torch.vdot(*theirs)
    assert y.dtype == dtype and y.shape == ()
    np.testing.assert_allclose(y.data, z.detach().numpy(), rtol=tolerance)
    y.backward()
    z.backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=tolerance)
    assert dp.gradcheck(dp.vdot, [dp.tensor(a, requires_grad=True), dp.tensor(b, requires_grad=True)])


def test_vdot_of_integers_matches_torch():
    assert int(dp.vdot(dp.tensor([1, 2]), dp.tensor([3, 4])).data) == int(torch.vdot(torch.tensor([1, 2]),
                                                                                      torch.tensor([3, 4])))


def test_vdot_refuses_matrices():
    with pytest.raises(Exception, match="vector"):
        dp.vdot(dp.zeros(2, 3), dp.zeros(2, 3))
