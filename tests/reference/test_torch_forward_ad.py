"""``deltaprop.autograd.forward_ad`` against PyTorch 2.13's ``torch.autograd.forward_ad``: the
tangents of compositions of elementwise operations, matmul, a small MLP and reductions, with
several dual inputs; which tensors have no tangent. Float64, to 1e-10."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")
import torch.autograd.forward_ad as tfw  # noqa: E402

import deltaprop as dp  # noqa: E402
import deltaprop.autograd.forward_ad as fwAD  # noqa: E402

RNG = np.random.default_rng(5)
TOL = dict(rtol=1e-10, atol=1e-12)

CASES = {
    "elementwise": (lambda m, x: (m.sigmoid(x) * x.cos() + x.abs().sqrt()), [(4, 3)]),
    "matmul": (lambda m, x, y: (x @ y).exp(), [(2, 3), (3, 4)]),
    "mlp": (lambda m, x, w1, b1, w2: m.relu(x @ w1 + b1) @ w2, [(6, 3), (3, 5), (5,), (5, 2)]),
    "reduction": (lambda m, x, y: (x - y).pow(2).mean(dim=1).sum(), [(3, 4), (3, 4)]),
    "softmax": (lambda m, x: m.softmax(x, dim=-1).log(), [(2, 5)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tangents_match_torch(name):
    f, shapes = CASES[name]
    xs = [RNG.normal(size=s) + (0.5 if name == "elementwise" else 0) for s in shapes]
    ts = [RNG.normal(size=s) for s in shapes]
    with fwAD.dual_level():
        duals = [fwAD.make_dual(dp.tensor(x, dtype=dp.float64), dp.tensor(t, dtype=dp.float64))
                 for x, t in zip(xs, ts)]
        ours = fwAD.unpack_dual(f(dp, *duals))
    with tfw.dual_level():
        duals = [tfw.make_dual(torch.tensor(x), torch.tensor(t)) for x, t in zip(xs, ts)]
        theirs = tfw.unpack_dual(f(torch, *duals))
    np.testing.assert_allclose(ours.primal.data, theirs.primal.numpy(), **TOL)
    np.testing.assert_allclose(ours.tangent.data, theirs.tangent.numpy(), **TOL)


def test_only_some_inputs_dual_and_none_tangents_match_torch():
    x, w, t = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2)), RNG.normal(size=(3, 4))
    with fwAD.dual_level():
        d = fwAD.make_dual(dp.tensor(x, dtype=dp.float64), dp.tensor(t, dtype=dp.float64))
        ours = fwAD.unpack_dual((d @ dp.tensor(w, dtype=dp.float64)).tanh()).tangent
        ours_none = fwAD.unpack_dual(dp.tensor(w, dtype=dp.float64) * 2).tangent
    with tfw.dual_level():
        d = tfw.make_dual(torch.tensor(x), torch.tensor(t))
        theirs = tfw.unpack_dual((d @ torch.tensor(w)).tanh()).tangent
        theirs_none = tfw.unpack_dual(torch.tensor(w) * 2).tangent
    np.testing.assert_allclose(ours.data, theirs.numpy(), **TOL)
    assert ours_none is None and theirs_none is None
