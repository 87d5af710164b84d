"""Anomaly detection (``autograd.detect_anomaly``, ``set_detect_anomaly``, ``set_anomaly_enabled``),
``Tensor.register_post_accumulate_grad_hook`` and ``autograd.Variable``, on deltaprop alone
(PyTorch's comparisons are in tests/reference/test_torch_anomaly_and_hooks.py)."""

import sys
import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import autograd, engine
from deltaprop.errors import GradError
from deltaprop.tensor import Tensor


def nan_graph():
    """sqrt at 0 times 0: sqrt's rule gets a zero gradient and divides it by zero."""
    x = dp.tensor([0.0, 1.0], requires_grad=True)
    return x, (dp.sqrt(x) * 0).sum()


def recorders() -> set:
    """What every loaded module of deltaprop binds as ``record``."""
    return {module.__dict__["record"] for name, module in list(sys.modules.items())
            if name.startswith("deltaprop.") and "record" in getattr(module, "__dict__", {})}


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy's 0/0 in sqrt's rule)
        yield
    assert not dp.is_anomaly_enabled()  # every test leaves the mode off


def test_a_nan_gradient_names_the_operation_and_the_line_that_made_it():
    with autograd.detect_anomaly():
        x, y = nan_graph()
        with pytest.raises(GradError, match=r"the gradient rule of 'sqrt' returned NaN in the gradient of its input 0 "
                                            r"\(shape \(2,\)\); the operation was made at .*test_anomaly_mode.py:\d+, "
                                            r"in nan_graph") as caught:
            y.backward()
    if sys.version_info >= (3, 11):
        assert "return x, (dp.sqrt(x) * 0).sum()" in "".join(caught.value.__notes__)
    assert x.grad is None  # nothing half-accumulated


def test_without_the_mode_or_without_check_nan_the_nan_goes_through():
    x, y = nan_graph()
    y.backward()
    assert np.isnan(x.grad[0])
    with autograd.detect_anomaly(check_nan=False):
        assert dp.is_anomaly_enabled() and not dp.is_anomaly_check_nan_enabled()
        x, y = nan_graph()
        y.backward()
    assert np.isnan(x.grad[0]) and dp.is_anomaly_check_nan_enabled()


def test_a_graph_without_nan_gives_the_same_gradients_in_the_mode():
    dp.manual_seed(0)
    model = dp.nn.Sequential(dp.nn.Linear(3, 4), dp.nn.Tanh(), dp.nn.Linear(4, 2))
    x, t = dp.randn(5, 3), dp.tensor([0, 1, 1, 0, 1])
    dp.nn.functional.cross_entropy(model(x), t).backward()
    plain = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    with autograd.detect_anomaly():
        dp.nn.functional.cross_entropy(model(x), t).backward()
    for before, p in zip(plain, model.parameters()):
        np.testing.assert_array_equal(before, p.grad)


def test_the_recorder_and_the_sweep_are_swapped_only_while_the_mode_is_on():
    plain, count = recorders(), engine.Hooks.count
    assert plain == {Tensor._from_op}
    with autograd.detect_anomaly():
        assert Tensor._from_op not in recorders()
        assert engine.Hooks.count == count + 1
    assert recorders() == plain and engine.Hooks.count == count


def test_the_mode_is_checked_in_autograd_grad_and_in_the_sweep_that_builds_a_graph():
    for create_graph in (False, True):
        with autograd.detect_anomaly():
            x, y = nan_graph()
            with pytest.raises(GradError, match="'sqrt' returned NaN"):
                autograd.grad(y, x, create_graph=create_graph)


def test_a_node_made_before_the_mode_was_switched_on_is_named_without_a_place():
    x, y = nan_graph()
    with autograd.detect_anomaly(), pytest.raises(GradError, match="made before anomaly detection was switched on"):
        y.backward()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11's")
def test_a_failing_rule_gets_a_note_saying_where_its_operation_was_made():
    class Broken(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("this rule fails")

    with autograd.detect_anomaly():
        x = dp.ones(2, requires_grad=True)
        y = Broken.apply(x).sum()
        with pytest.raises(ValueError, match="this rule fails") as caught:
            y.backward()
    notes = "".join(caught.value.__notes__)
    assert "this happened in the gradient rule of" in notes and "test_anomaly_mode.py" in notes


def test_the_switches_nest_restore_and_decorate():
    assert not dp.is_anomaly_enabled()
    switch = autograd.set_detect_anomaly(True)
    assert dp.is_anomaly_enabled()
    autograd.set_detect_anomaly(False)
    assert not dp.is_anomaly_enabled()
    with autograd.set_detect_anomaly(True, check_nan=False):
        assert dp.is_anomaly_enabled() and not dp.is_anomaly_check_nan_enabled()
        with autograd.detect_anomaly():
            assert dp.is_anomaly_check_nan_enabled()
        assert not dp.is_anomaly_check_nan_enabled()
    assert not dp.is_anomaly_enabled() and switch is not None

    @autograd.detect_anomaly()
    def step():
        assert dp.is_anomaly_enabled()
        _, y = nan_graph()
        y.backward()

    with pytest.raises(GradError, match="'sqrt'"):
        step()
    assert not dp.is_anomaly_enabled()
    dp.set_anomaly_enabled(True)
    assert dp.is_anomaly_enabled()
    dp.set_anomaly_enabled(False)
    with pytest.raises(TypeError, match="set_anomaly_enabled: enabled must be True or False, got 'on'"):
        dp.set_anomaly_enabled("on")
    with pytest.raises(TypeError, match="detect_anomaly: check_nan must be True or False"):
        autograd.detect_anomaly(check_nan=None)


def test_tensor_hooks_still_run_in_the_mode():
    seen = []
    with autograd.detect_anomaly():
        x = dp.ones(2, requires_grad=True)
        y = x * 3
        y.register_hook(lambda g: seen.append(g.data.copy()))
        y.sum().backward()
    np.testing.assert_array_equal(seen[0], [1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_post_accumulate_grad_hooks_see_the_accumulated_grad_and_can_step():
    hooked_before = engine.Hooks.count  # (tensors of earlier tests with hooks may still await the collector)
    w = dp.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def sgd_in_backward(tensor):
        seen.append(tensor.grad.copy())
        with dp.no_grad():
            tensor.data -= 0.5 * tensor.grad
        tensor.grad = None

    handle = w.register_post_accumulate_grad_hook(sgd_in_backward)
    (w * w).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 4.0])
    np.testing.assert_allclose(w.data, [0.0, 0.0])
    assert w.grad is None
    handle.remove()
    (w * 3).sum().backward()
    assert len(seen) == 1 and engine.Hooks.count == hooked_before


def test_post_accumulate_grad_hooks_run_for_backward_into_inputs_and_for_a_leaf_root():
    w = dp.tensor([1.0], requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.copy()))
    autograd.backward((w * 2).sum(), inputs=[w])
    w.sum().backward()
    autograd.grad((w * 2).sum(), w)  # touches no .grad: no hook, as in PyTorch
    assert [c.tolist() for c in calls] == [[2.0], [3.0]]


def test_post_accumulate_grad_hooks_are_refused_where_no_grad_accumulates():
    x = dp.ones(2, requires_grad=True)
    with pytest.raises(GradError, match="computed by 'mul', and only a leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(GradError, match="requires_grad=False"):
        dp.ones(2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match="hook must be a function of the tensor"):
        x.register_post_accumulate_grad_hook(3)
    x.register_post_accumulate_grad_hook(lambda t: 5)
    with pytest.raises(TypeError, match="returned a value"):
        x.sum().backward()


def test_a_hooked_tensor_that_goes_stops_counting():
    count = engine.Hooks.count
    x = dp.ones(2, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: None)
    x.register_hook(lambda g: None)
    assert engine.Hooks.count == count + 2
    del x
    assert engine.Hooks.count == count


def test_variable_is_a_detached_tensor_and_every_tensor_is_a_variable():
    t = dp.ones(2, requires_grad=True) * 2
    v = autograd.Variable(t)
    assert isinstance(v, Tensor) and v is not t and not v.requires_grad and np.shares_memory(v.data, t.data)
    w = autograd.Variable(dp.ones(2), requires_grad=True)
    assert w.requires_grad and w.is_leaf
    assert isinstance(dp.ones(1), autograd.Variable) and issubclass(dp.nn.Parameter, autograd.Variable)
    assert autograd.Variable().shape == (0,)
    with pytest.raises(TypeError, match="Variable: data must be a tensor, got float"):
        autograd.Variable(3.0)
    with pytest.warns(UserWarning, match="volatile does nothing"):
        autograd.Variable(dp.ones(1), volatile=True)
