"""``deltaprop.autograd`` against PyTorch 2.13's ``torch.autograd``, in float32 and float64.

The same expressions in both frameworks, gradients from ``grad`` (several outputs, grad_outputs,
interior inputs, unused inputs), ``backward`` from several outputs, custom ``Function``s, and the
functional ``vjp``/``jacobian``/``jvp``: values equal to 1e-12 in float64, 1e-5 in float32.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402

DTYPES = [(np.float64, torch.float64, 1e-12), (np.float32, torch.float32, 1e-5)]


def pair(array, np_dtype, torch_dtype):
    array = np.asarray(array, dtype=np_dtype)
    return dp.tensor(array, dtype=np_dtype, requires_grad=True), torch.tensor(array, dtype=torch_dtype, requires_grad=True)


def close(ours, theirs, tol):
    np.testing.assert_allclose(np.asarray(ours.data), theirs.detach().numpy(), rtol=tol, atol=tol)


@pytest.fixture
def arrays():
    rng = np.random.default_rng(3)
    return rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((5, 3))


@pytest.mark.parametrize("np_dtype, torch_dtype, tol", DTYPES)
def test_grad_of_two_outputs_with_grad_outputs(arrays, np_dtype, torch_dtype, tol):
    (x, tx), (w, tw) = pair(arrays[0], np_dtype, torch_dtype), pair(arrays[1], np_dtype, torch_dtype)
    v = arrays[2]
    ours = autograd.grad([dp.sigmoid(x @ w), (x ** 2).mean()], [x, w], grad_outputs=[v.astype(np_dtype), None])
    theirs = torch.autograd.grad([torch.sigmoid(tx @ tw), (tx ** 2).mean()], [tx, tw],
                                 grad_outputs=[torch.tensor(v, dtype=torch_dtype), None])
    for a, b in zip(ours, theirs):
        assert a.dtype == np_dtype
        close(a, b, tol)
    assert x.grad is None and tx.grad is None


@pytest.mark.parametrize("np_dtype, torch_dtype, tol", DTYPES)
def test_grad_of_an_interior_tensor_and_unused_inputs(arrays, np_dtype, torch_dtype, tol):
    (x, tx), (w, tw) = pair(arrays[0], np_dtype, torch_dtype), pair(arrays[1], np_dtype, torch_dtype)
    h, th = dp.relu(x @ w), torch.relu(tx @ tw)
    (u, tu) = pair(arrays[2], np_dtype, torch_dtype)
    ours = autograd.grad((h * h).sum(), [h, x, u], materialize_grads=True)
    theirs = torch.autograd.grad((th * th).sum(), [th, tx, tu], materialize_grads=True)
    for a, b in zip(ours, theirs):
        close(a, b, tol)
    ours = autograd.grad((h * h).sum(), [h, u], allow_unused=True)
    theirs = torch.autograd.grad((th * th).sum(), [th, tu], allow_unused=True)
    close(ours[0], theirs[0], tol)
    assert ours[1] is None and theirs[1] is None


@pytest.mark.parametrize("np_dtype, torch_dtype, tol", DTYPES)
def test_backward_from_two_outputs(arrays, np_dtype, torch_dtype, tol):
    (x, tx), (w, tw) = pair(arrays[0], np_dtype, torch_dtype), pair(arrays[1], np_dtype, torch_dtype)
    v = arrays[2]
    autograd.backward([dp.tanh(x @ w), (x * 3).sum()], [v.astype(np_dtype), None])
    torch.autograd.backward([torch.tanh(tx @ tw), (tx * 3).sum()], [torch.tensor(v, dtype=torch_dtype), None])
    close(dp.Tensor._wrap(x.grad), tx.grad, tol)
    close(dp.Tensor._wrap(w.grad), tw.grad, tol)
    autograd.backward((x @ w).sum(), inputs=[w])
    torch.autograd.backward((tx @ tw).sum(), inputs=[tw])
    close(dp.Tensor._wrap(x.grad), tx.grad, tol)
    close(dp.Tensor._wrap(w.grad), tw.grad, tol)


class OurLinear(autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.T + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.T @ x, g.sum(0)


class TheirLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.T + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.T @ x, g.sum(0)


class OurExp(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = dp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


@pytest.mark.parametrize("np_dtype, torch_dtype, tol", DTYPES)
def test_function_linear_and_exp_against_torch(arrays, np_dtype, torch_dtype, tol):
    (x, tx), (w, tw) = pair(arrays[0], np_dtype, torch_dtype), pair(arrays[1].T, np_dtype, torch_dtype)
    (b, tb) = pair(arrays[2][0], np_dtype, torch_dtype)
    y = OurExp.apply(OurLinear.apply(x, w, b) * 0.3)
    ty = torch.exp(TheirLinear.apply(tx, tw, tb) * 0.3)
    close(y, ty, tol)
    v = arrays[2]
    ours = autograd.grad(y, [x, w, b], grad_outputs=v.astype(np_dtype))
    theirs = torch.autograd.grad(ty, [tx, tw, tb], grad_outputs=torch.tensor(v, dtype=torch_dtype))
    for a, t in zip(ours, theirs):
        close(a, t, tol)
    built_in = autograd.grad(dp.exp(dp.nn.functional.linear(x, w, b) * 0.3), [x, w, b], grad_outputs=v.astype(np_dtype))
    for a, e in zip(ours, built_in):
        close(a, torch.tensor(np.asarray(e.data)), tol)


def pair_function(x, w):
    return dp.sigmoid(x @ w), (x * x).sum()


def pair_function_torch(x, w):
    return torch.sigmoid(x @ w), (x * x).sum()


@pytest.mark.parametrize("np_dtype, torch_dtype, tol", DTYPES)
def test_functional_against_torch(arrays, np_dtype, torch_dtype, tol):
    ours_in = tuple(dp.tensor(a, dtype=np_dtype) for a in arrays[:2])
    theirs_in = tuple(torch.tensor(a, dtype=torch_dtype) for a in arrays[:2])
    ours = autograd.functional.jacobian(pair_function, ours_in)
    theirs = torch.autograd.functional.jacobian(pair_function_torch, theirs_in)
    for row, trow in zip(ours, theirs):
        for block, tblock in zip(row, trow):
            close(block, tblock, tol)
    v = (arrays[2].astype(np_dtype), np.array(0.7, dtype=np_dtype))
    _, ours = autograd.functional.vjp(pair_function, ours_in, v)
    _, theirs = torch.autograd.functional.vjp(pair_function_torch, theirs_in, tuple(torch.tensor(a) for a in v))
    for a, t in zip(ours, theirs):
        close(a, t, tol)
    u = tuple(np.ones_like(a, dtype=np_dtype) * 0.5 for a in arrays[:2])
    _, ours = autograd.functional.jvp(pair_function, ours_in, u)
    _, theirs = torch.autograd.functional.jvp(pair_function_torch, theirs_in, tuple(torch.tensor(a) for a in u))
    for a, t in zip(ours, theirs):
        close(a, t, tol)
