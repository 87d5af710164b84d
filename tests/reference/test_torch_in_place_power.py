"""``x **= y`` changes x in place, as ``+=``, ``-=``, ``*=`` and ``/=`` do (Tensor._augmented), against
PyTorch 2.13: every name for the tensor and a view's base see the change, a parameter raised under
no_grad() stays the same leaf that requires grad, the result keeps the tensor's dtype (refused where
the promoted dtype is of a higher category), and on a recorded graph it follows the rule of the other
operators (docs/porting.md): a new recorded tensor bound to the name, refused on a leaf that requires
grad. (Its version checks: tests/test_in_place_changes.py; its dtypes over every operand kind:
tests/reference/test_torch_type_promotion.py.)"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop.errors import GradError  # noqa: E402


def _both(values, **options):
    values = np.asarray(values, dtype=np.float64)
    return dp.tensor(values, dtype=dp.float64, **options), torch.tensor(values, **options)


def test_every_name_for_the_tensor_sees_the_change():
    x, tx = _both([1.0, 2.0, 3.0])
    alias, talias = x, tx
    x **= 2
    tx **= 2
    assert x is alias and tx is talias
    np.testing.assert_allclose(alias.data, talias.numpy())
    np.testing.assert_allclose(alias.data, [1.0, 4.0, 9.0])


def test_a_view_raised_in_place_writes_through_to_its_base():
    w, tw = _both(np.arange(6.0).reshape(2, 3))
    v, tv = w[0], tw[0]
    v **= 2
    tv **= 2
    v += 1
    tv += 1
    np.testing.assert_allclose(w.data, tw.numpy())
    np.testing.assert_allclose(w.data, [[1.0, 2.0, 5.0], [3.0, 4.0, 5.0]])


def test_a_tensor_exponent_broadcasts_into_the_tensor():
    x, tx = _both([[1.5, 2.0, 0.5], [3.0, 0.25, 1.0]])
    y, ty = _both([2.0, -1.0, 0.5])
    x **= y
    tx **= ty
    np.testing.assert_allclose(x.data, tx.numpy(), rtol=1e-15)


def test_a_parameter_raised_under_no_grad_stays_the_same_leaf():
    """An optimizer-style update: the model's own tensor changes, and stays a leaf that requires grad."""
    p, tp = _both([1.0, 2.0], requires_grad=True)
    p, tp = dp.nn.Parameter(p), torch.nn.Parameter(tp)
    before, tbefore = p, tp
    with dp.no_grad():
        p **= 2
    with torch.no_grad():
        tp **= 2
    assert p is before and tp is tbefore
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    np.testing.assert_allclose(p.data, tp.detach().numpy())
    (p * p).sum().backward()
    (tp * tp).sum().backward()
    np.testing.assert_allclose(p.grad, tp.grad.numpy())


def test_the_result_keeps_the_tensors_dtype():
    x, tx = dp.tensor([2, 3], dtype=dp.int32), torch.tensor([2, 3], dtype=torch.int32)
    x **= 3
    tx **= 3
    assert x.dtype == dp.int32 and x.tolist() == tx.tolist() == [8, 27]
    f, tf = dp.tensor([4.0, 9.0], dtype=dp.float32), torch.tensor([4.0, 9.0], dtype=torch.float32)
    f **= dp.tensor(0.5, dtype=dp.float64)  # a 0-d float64 exponent: float32, as in PyTorch
    tf **= torch.tensor(0.5, dtype=torch.float64)
    assert f.dtype == dp.float32 and f.tolist() == tf.tolist() == [2.0, 3.0]


def test_a_result_of_a_higher_category_or_a_negative_integer_power_is_refused():
    x, tx = dp.tensor([2, 3]), torch.tensor([2, 3])
    with pytest.raises(RuntimeError, match="can't be cast"):
        tx **= 0.5
    with pytest.raises(TypeError, match=r"^\*\*=: a int64 tensor cannot take in place its float32 result"):
        x **= 0.5
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        tx **= -1
    with pytest.raises(ValueError, match=r"^\*\*=: integers to negative integer powers are not allowed"):
        x **= -1
    assert x.tolist() == tx.tolist() == [2, 3]


def test_on_the_graph_the_gradient_is_pytorchs():
    """A computed tensor raised while the graph records: PyTorch changes it in place, deltaprop binds
    the name to a new recorded tensor (as with +=); the values and gradients are the same."""
    w, tw = _both([0.5, -1.5, 2.0], requires_grad=True)
    e, te = _both([3.0, 2.0, 2.0], requires_grad=True)
    y, ty = w * 2, tw * 2
    y **= e
    ty **= te
    np.testing.assert_allclose(y.data, ty.detach().numpy())
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(e.grad, te.grad.numpy(), rtol=1e-12)


def test_a_leaf_that_requires_grad_is_refused_on_the_graph():
    w, tw = _both([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        tw **= 2
    with pytest.raises(GradError, match=r"^\*\*=: a leaf tensor that requires grad cannot be changed in place"):
        w **= 2
    np.testing.assert_allclose(w.data, [1.0, 2.0])
