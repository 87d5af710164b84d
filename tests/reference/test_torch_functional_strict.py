"""``autograd.functional`` with ``strict=True`` against PyTorch 2.13: the same calls refused (a
GradError, which is a RuntimeError, where PyTorch raises its RuntimeError) and the same results
where neither refuses; and ``v`` given as a one-tensor tuple for a single input, as PyTorch takes it."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import GradError  # noqa: E402

RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal(3), RNG.standard_normal(2)


def F(L):
    return L.autograd.functional


def cubes(a, b):
    return (a ** 3).sum() + (b ** 3).sum()


CALLS = {  # name: (function of (the library, its inputs x and y), whether PyTorch refuses it)
    "jacobian unused input": (lambda L, x, y: F(L).jacobian(lambda a, b: a.exp(), (x, y), strict=True), True),
    "jacobian constant output": (lambda L, x, y: F(L).jacobian(lambda a: a.detach() * 2, x, strict=True), True),
    "jacobian outputs of one input each": (
        lambda L, x, y: F(L).jacobian(lambda a, b: (a * a, b * a[0]), (x, y), strict=True), True),
    "jacobian both inputs": (
        lambda L, x, y: F(L).jacobian(lambda a, b: a.sin() * b[0], (x, y), strict=True), False),
    "jacobian linear create_graph": (
        lambda L, x, y: F(L).jacobian(lambda a: 3 * a, x, strict=True, create_graph=True), True),
    "jacobian sine create_graph": (
        lambda L, x, y: F(L).jacobian(lambda a: a.sin(), x, strict=True, create_graph=True), False),
    "vjp unused input": (lambda L, x, y: F(L).vjp(lambda a, b: a.exp(), (x, y), x, strict=True), True),
    "vjp constant output": (lambda L, x, y: F(L).vjp(lambda a: (a * 2).detach(), x, x, strict=True), True),
    "vjp linear create_graph": (
        lambda L, x, y: F(L).vjp(lambda a: a * 2, x, x, strict=True, create_graph=True), True),
    "vjp linear": (lambda L, x, y: F(L).vjp(lambda a: a * 2, x, x, strict=True), False),
    "jvp unused input": (lambda L, x, y: F(L).jvp(lambda a, b: a.exp(), (x, y), (x, y), strict=True), True),
    "jvp linear create_graph": (
        lambda L, x, y: F(L).jvp(lambda a: 2 * a, x, x, strict=True, create_graph=True), True),
    "jvp square create_graph": (
        lambda L, x, y: F(L).jvp(lambda a: a * a, x, x, strict=True, create_graph=True), False),
    "hessian linear": (lambda L, x, y: F(L).hessian(lambda a: (2 * a).sum(), x, strict=True), True),
    "hessian unused input": (
        lambda L, x, y: F(L).hessian(lambda a, b: (a ** 3).sum(), (x, y), strict=True), True),
    "hessian of a sum of separate terms": (lambda L, x, y: F(L).hessian(cubes, (x, y), strict=True), True),
    "hessian constant output": (lambda L, x, y: F(L).hessian(lambda a: a.sum().detach(), x, strict=True), True),
    "hessian cubic create_graph": (
        lambda L, x, y: F(L).hessian(lambda a: (a ** 3).sum(), x, strict=True, create_graph=True), False),
    "hvp linear": (lambda L, x, y: F(L).hvp(lambda a: (2 * a).sum(), x, x, strict=True), True),
    "hvp unused input": (
        lambda L, x, y: F(L).hvp(lambda a, b: (a ** 3).sum(), (x, y), (x, y), strict=True), True),
    "hvp of a sum of separate terms": (lambda L, x, y: F(L).hvp(cubes, (x, y), (x, y), strict=True), False),
    "vhp linear": (lambda L, x, y: F(L).vhp(lambda a: (2 * a).sum(), x, x, strict=True), True),
    "vhp product": (lambda L, x, y: F(L).vhp(lambda a, b: (a * b[0]).sum(), (x, y), (x, y), strict=True),
                    False),
    "vhp cubic create_graph": (
        lambda L, x, y: F(L).vhp(lambda a: (a ** 3).sum(), x, x, strict=True, create_graph=True), False),
}


def tensors(L):
    if L is dp:
        return dp.tensor(X, dtype=np.float64), dp.tensor(Y, dtype=np.float64)
    return torch.tensor(X), torch.tensor(Y)


def arrays(result):
    if isinstance(result, tuple):
        return [a for item in result for a in arrays(item)]
    return [result.detach().numpy() if isinstance(result, torch.Tensor) else np.asarray(result.data)]


@pytest.mark.parametrize("name", list(CALLS))
def test_strict_refuses_what_torch_refuses_and_computes_the_rest_as_torch(name):
    call, refused = CALLS[name]
    if refused:
        with pytest.raises(RuntimeError):
            call(torch, *tensors(torch))
        with pytest.raises(GradError, match=r"which strict=True refuses"):
            call(dp, *tensors(dp))
        return
    for ours, theirs in zip(arrays(call(dp, *tensors(dp))), arrays(call(torch, *tensors(torch))), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["vjp", "jvp", "hvp", "vhp"])
def test_v_as_a_one_tensor_tuple_for_a_single_input(name):
    def function(a):
        return a.sin().sum() if name in ("hvp", "vhp") else a.sin()

    (x, _), v = tensors(dp), X[::-1].copy()
    ours = getattr(F(dp), name)(function, x, (dp.tensor(v, dtype=np.float64),))
    theirs = getattr(F(torch), name)(function, tensors(torch)[0], (torch.tensor(v),))
    for a, b in zip(arrays(ours), arrays(theirs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
