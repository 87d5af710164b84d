"""Anomaly detection, post-accumulate-grad hooks and ``Variable`` against PyTorch 2.13: the same
graphs raise (or not) in both, the hooks see the same gradients at the same moments, and
``Variable`` gives the same kind of tensor."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import autograd  # noqa: E402


def graphs(lib):
    """(name, function of a leaf x) pairs; sqrt at 0 times 0 and log at 0 times 0 give NaN gradients."""
    return {
        "sqrt at 0 times 0": lambda x: (lib.sqrt(x) * 0).sum(),
        "log at 0 times 0": lambda x: (lib.log(x) * 0).sum(),
        "0/0 in a division's rule": lambda x: (x / x).sum(),
        "a smooth graph": lambda x: (lib.tanh(x) * x).sum(),
        "sqrt away from 0": lambda x: lib.sqrt(x + 1).sum(),
    }


def raises(run) -> bool:
    try:
        run()
    except RuntimeError:
        return True
    return False


@pytest.mark.parametrize("name", list(graphs(dp)))
@pytest.mark.parametrize("check_nan", [True, False])
def test_anomaly_mode_raises_where_pytorch_s_does(name, check_nan):
    values = np.array([0.0, 2.0])

    def ours():
        with autograd.detect_anomaly(check_nan=check_nan):
            graphs(dp)[name](dp.tensor(values, dtype=np.float64, requires_grad=True)).backward()

    def theirs():
        with torch.autograd.detect_anomaly(check_nan=check_nan):
            graphs(torch)[name](torch.tensor(values, requires_grad=True)).backward()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch warns that the mode is on; NumPy of 0/0)
        expected = raises(theirs)
        assert raises(ours) == expected
    assert expected == (check_nan and name in ("sqrt at 0 times 0", "log at 0 times 0", "0/0 in a division's rule"))
    assert dp.is_anomaly_enabled() == torch.is_anomaly_enabled() is False


def test_the_switches_report_as_pytorch_s_do():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib in (dp, torch):
            with lib.autograd.set_detect_anomaly(True, check_nan=False):
                assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
            assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
            lib.set_anomaly_enabled(True)
            assert lib.is_anomaly_enabled()
            lib.set_anomaly_enabled(False)


def test_post_accumulate_grad_hooks_see_what_pytorch_s_see():
    values = np.array([1.0, -2.0, 3.0])
    found = {}
    for name, lib, make in (("ours", dp, lambda: dp.tensor(values, dtype=np.float64, requires_grad=True)),
                            ("theirs", torch, lambda: torch.tensor(values, requires_grad=True))):
        w, seen = make(), []
        w.register_post_accumulate_grad_hook(lambda t: seen.append(
            t.grad.numpy().copy() if isinstance(t.grad, torch.Tensor) else t.grad.copy()))
        other = make()
        (lib.sin(w) * other).sum().backward()
        (w * w).sum().backward()
        if name == "ours":
            autograd.backward((w * 3).sum(), inputs=[w])
        else:
            torch.autograd.backward((w * 3).sum(), inputs=[w])
        found[name] = seen
    assert len(found["ours"]) == len(found["theirs"]) == 3
    for a, b in zip(found["ours"], found["theirs"]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_variable_behaves_as_pytorch_s():
    for lib in (dp, torch):
        base = lib.ones(2, requires_grad=True) * 2
        v = lib.autograd.Variable(base)
        assert not v.requires_grad and v is not base and v.is_leaf
        w = lib.autograd.Variable(lib.ones(2), requires_grad=True)
        assert w.requires_grad and w.is_leaf
        assert isinstance(base, lib.autograd.Variable)
        assert tuple(lib.autograd.Variable().shape) == (0,)
        with pytest.raises(TypeError):
            lib.autograd.Variable(3.0)
