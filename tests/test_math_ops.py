"""The math operations added for code ported from PyTorch: their errors, and what their rules
keep (which the in-place change check looks for).

Values and gradients are checked in test_ops_gradcheck.py (finite differences) and against PyTorch
in reference/test_torch_ops.py and reference/test_torch_math_edges.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import deltaprop as dp
from deltaprop.errors import ConfigError, GradError, ShapeError


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.round(decimals=1.5), ConfigError, "round: decimals must be an integer, got 1.5"),
    (lambda x: x.round(True), ConfigError, "decimals must be an integer"),
    (lambda x: x.clamp_min(None), ConfigError, "clamp_min: min must be"),
    (lambda x: dp.clamp_max(x, None), ConfigError, "clamp_max: max must be"),
    (lambda x: x.prod(dim=2), ShapeError, "axis 2 is out of range"),
    (lambda x: x.prod(0, dim=0), TypeError, "prod: give axis"),
    (lambda x: x.logsumexp(dim=-3), ShapeError, "axis -3 is out of range"),
    (lambda x: x.logsumexp(1, dim=1), TypeError, "logsumexp: give axis"),
    (lambda x: x.cumsum(dim=(0, 1)), TypeError, r"cumsum: the axis must be one integer, got \(0, 1\)"),
    (lambda x: x.cumprod(dim=2), ShapeError, "axis 2 is out of range"),
    (lambda x: dp.cumsum(x, axis=0, dim=0), TypeError, "cumsum: give axis"),
    (lambda x: x.cumsum(True), TypeError, "cumsum: the axis must be one integer"),
])
def test_bad_arguments_are_refused_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call(dp.ones((2, 3), requires_grad=True))


def test_the_steps_keep_integers_and_give_zero_gradients_even_where_torch_would_too():
    ints = dp.tensor([-2, 0, 3])
    for name in ("sign", "floor", "ceil", "trunc", "round"):
        result = getattr(ints, name)()
        assert result.dtype == ints.dtype and result.tolist() == [np.sign(v) if name == "sign" else v for v in (-2, 0, 3)]
    assert dp.tensor([1234, 1250, -1350]).round(-2).tolist() == [1200, 1200, -1400]
    x = dp.tensor([0.5, 1.5, -2.5, 0.0], requires_grad=True)
    (x.round() + x.floor() + x.sign()).sum().backward()
    assert x.grad.dtype == np.float32 and not x.grad.any()


@pytest.mark.parametrize("name, keeps", [
    ("sin", {"input"}), ("log1p", {"input"}), ("square", {"input"}), ("expm1", {"output"}), ("rsqrt", {"output"}),
    ("reciprocal", {"output"}), ("exp2", {"output"}), ("floor", set()), ("cumsum", set()),
    ("cumprod", {"input", "output"}), ("prod", {"input", "output"}), ("logsumexp", {"input", "output"}),
])
def test_a_rule_is_refused_only_when_what_it_keeps_changed_in_place(name, keeps):
    def run(change):
        x = dp.tensor([[0.5, 1.5, 2.0], [1.0, 0.25, 3.0]], requires_grad=True, dtype=dp.float64)
        h = x * 1.0
        y = getattr(h, name)(1) if name in ("cumsum", "cumprod", "prod", "logsumexp") else getattr(h, name)()
        with dp.no_grad():
            {"input": h, "output": y}.get(change, dp.zeros(1)).__iadd__(1.0)
        y.sum().backward()
        return x.grad

    unchanged = run(None)
    for change in ("input", "output"):
        if change in keeps:
            with pytest.raises(GradError, match="changed in place"):
                run(change)
        else:
            np.testing.assert_array_equal(run(change), unchanged)


def test_reciprocal_of_integers_and_booleans_is_a_float_division_as_in_pytorch():
    # NumPy's reciprocal divides integers as integers (1 / 2 -> 0, 1 / 0 -> the smallest int64)
    with np.errstate(divide="ignore"):
        for values in ([0, 1, 2, -4], [True, False]):
            out = dp.tensor(np.array(values)).reciprocal()
            assert np.issubdtype(out.dtype, np.floating)
            np.testing.assert_array_equal(out.data, 1.0 / np.array(values, dtype=np.float64))
    assert dp.tensor(np.array([4.0], np.float32)).reciprocal().dtype == np.float32
