"""``deltaprop.autograd.forward_ad``: tangents against central finite differences (float64), the
level's rules (one at a time, tangents forgotten on leaving), error cases, and the module paths
and switches added beside it (``grad_mode``, ``anomaly_mode``, multithreading)."""

import numpy as np
import pytest

import deltaprop as dp
import deltaprop.autograd.forward_ad as fwAD
from deltaprop.errors import GradError, ShapeError

RNG = np.random.default_rng(11)


def f64(array):
    return dp.tensor(np.asarray(array, dtype=np.float64), dtype=dp.float64)


def central(f, xs, ts, eps=1e-6):
    """The directional derivative of f at xs along ts, by central differences."""
    plus = f(*[x + eps * t for x, t in zip(xs, ts)])
    minus = f(*[x - eps * t for x, t in zip(xs, ts)])
    return (plus - minus) / (2 * eps)


def mlp(x, w1, w2):
    return (x @ w1).tanh() @ w2


@pytest.mark.parametrize("f, shapes", [
    (lambda x: (x.sin() * x.exp()) / (1 + x * x), [(3, 4)]),
    (lambda x, y: x @ y, [(3, 4), (4, 2)]),
    (mlp, [(5, 3), (3, 4), (4, 2)]),
    (lambda x, y: (x * y).sum(dim=0).exp().log1p().mean(), [(4, 3), (4, 3)]),
])
def test_tangent_is_the_directional_derivative(f, shapes):
    xs = [RNG.normal(size=s) for s in shapes]
    ts = [RNG.normal(size=s) for s in shapes]
    with fwAD.dual_level():
        duals = [fwAD.make_dual(f64(x), f64(t)) for x, t in zip(xs, ts)]
        primal, tangent = fwAD.unpack_dual(f(*duals))
    expected = central(lambda *a: f(*[f64(v) for v in a]).data, xs, ts)
    np.testing.assert_allclose(tangent.data, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(primal.data, f(*[f64(x) for x in xs]).data, rtol=1e-12)
    assert not primal.requires_grad and tangent.shape == primal.shape


def test_tangents_of_several_duals_add_and_plain_tensors_have_none():
    a, ta, b, tb = (RNG.normal(size=3) for _ in range(4))
    with fwAD.dual_level():
        x, y = fwAD.make_dual(f64(a), f64(ta)), fwAD.make_dual(f64(b), f64(tb))
        plain = f64(a) * 2
        np.testing.assert_allclose(fwAD.unpack_dual(x * y).tangent.data, ta * b + a * tb, rtol=1e-12)
        np.testing.assert_allclose(fwAD.unpack_dual(x * 3).tangent.data, 3 * ta, rtol=1e-12)
        assert fwAD.unpack_dual(plain).tangent is None
        assert fwAD.unpack_dual(x.detach() * 2).tangent is None
        assert fwAD.unpack_dual(x).tangent is not None
    assert fwAD.unpack_dual(x * y).tangent is None  # leaving the level forgets the tangents


def test_reverse_mode_still_reaches_a_primal_that_requires_a_gradient():
    p = f64([1.0, 2.0]).requires_grad_()
    with fwAD.dual_level():
        x = fwAD.make_dual(p, f64([1.0, 1.0]))
        y = (x ** 3).sum()
        primal, tangent = fwAD.unpack_dual(y)
        assert primal.requires_grad
        np.testing.assert_allclose(tangent.data, 3 * 1.0 + 3 * 4.0)
        tangent.backward()  # d/dp Σ 3p²·1 = 6p
    np.testing.assert_allclose(p.grad.data, [6.0, 12.0])


def test_level_rules_and_errors():
    with pytest.raises(GradError, match="no dual level is open"):
        fwAD.make_dual(f64([1.0]), f64([1.0]))
    with fwAD.dual_level() as level:
        assert level == 0
        with pytest.raises(GradError, match="do not nest"):
            fwAD.enter_dual_level()
        with pytest.raises(ShapeError, match="tangent must have the shape"):
            fwAD.make_dual(f64([1.0, 2.0]), f64([1.0]))
        with pytest.raises(TypeError, match="floating-point"):
            fwAD.make_dual(dp.tensor([1, 2]), dp.tensor([1, 2]))
        with pytest.raises(GradError, match="level must be the open level"):
            fwAD.make_dual(f64([1.0]), f64([1.0]), level=3)
        with pytest.raises(TypeError, match="must be tensors"):
            fwAD.make_dual([1.0], f64([1.0]))
    assert fwAD.enter_dual_level() == 0
    fwAD.exit_dual_level(level=0)
    assert isinstance(fwAD.unpack_dual(f64([1.0])), fwAD.UnpackedDualTensor)
    assert fwAD.UnpackedDualTensor._fields == ("primal", "tangent")


def test_module_paths_and_multithreading_switch():
    from deltaprop.autograd.anomaly_mode import detect_anomaly
    from deltaprop.autograd.grad_mode import no_grad

    assert no_grad is dp.no_grad and detect_anomaly is dp.autograd.detect_anomaly
    assert dp.autograd.is_multithreading_enabled() is False
    with dp.autograd.set_multithreading_enabled(False):
        assert dp.autograd._multithreading[0] is False
    assert dp.autograd._multithreading[0] is True
    with pytest.raises(TypeError, match="mode must be True or False"):
        dp.autograd.set_multithreading_enabled("yes")
