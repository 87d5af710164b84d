"""``deltaprop.amp`` (``autocast``, ``GradScaler``), ``compile`` and ``bfloat16``: what they refuse, in
one sentence each, and the scaler's rules worked by hand."""

import warnings

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.errors import ConfigError, GradError


def _scaled_step(scaler, optimizer, model, poison=False):
    optimizer.zero_grad()
    scaler.scale(model(dp.ones(1, 2)).sum()).backward()
    if poison:
        model.weight.grad[0, 0] = np.nan
    result = scaler.step(optimizer)
    scaler.update()
    return result


def test_the_scale_backs_off_after_a_bad_step_and_grows_after_good_ones_by_hand():
    dp.manual_seed(0)
    model = nn.Linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scaler = dp.amp.GradScaler("cpu", init_scale=8.0, growth_factor=4.0, backoff_factor=0.25, growth_interval=3)
    before = model.weight.data.copy()
    assert _scaled_step(scaler, optimizer, model, poison=True) is None  # skipped: the weights stay
    np.testing.assert_array_equal(model.weight.data, before)
    assert scaler.get_scale() == 2.0  # 8 · 0.25
    for expected in (2.0, 2.0, 8.0, 8.0):  # the third good step in a row grows it: 2 · 4
        _scaled_step(scaler, optimizer, model)
        assert scaler.get_scale() == expected
    assert not np.allclose(model.weight.data, before)
    # the unscaled gradient is the true one: d(w·x + b)/dw = x = 1
    optimizer.zero_grad()
    scaler.scale(model(dp.ones(1, 2)).sum()).backward()
    np.testing.assert_array_equal(model.weight.grad, 8.0 * np.ones((1, 2)))
    scaler.unscale_(optimizer)
    np.testing.assert_array_equal(model.weight.grad, np.ones((1, 2)))


def test_the_scaler_refuses_calls_out_of_order_in_one_sentence():
    model = nn.Linear(2, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scaler = dp.amp.GradScaler("cpu")
    with pytest.raises(GradError, match=r"^GradScaler.update: scale\(\) was not called"):
        scaler.update()
    with pytest.raises(GradError, match=r"^GradScaler.step: scale\(\) was not called"):
        scaler.step(optimizer)
    scaler.scale(model(dp.ones(1, 2)).sum()).backward()
    scaler.unscale_(optimizer)
    with pytest.raises(GradError, match=r"^GradScaler.unscale_: unscale_\(\) has already been called"):
        scaler.unscale_(optimizer)
    scaler.step(optimizer)
    with pytest.raises(GradError, match=r"^GradScaler.step: step\(\) has already been called since the last update"):
        scaler.step(optimizer)
    with pytest.raises(GradError, match=r"^GradScaler.unscale_: unscale_\(\) is being called after step\(\)"):
        scaler.unscale_(optimizer)
    with pytest.raises(GradError, match="closure"):
        scaler.step(optimizer, closure=lambda: 0.0)
    scaler.update()
    with pytest.raises(ValueError, match=r"^GradScaler.scale: outputs must be a tensor"):
        scaler.scale("loss")


@pytest.mark.parametrize("options, match", [
    (dict(growth_factor=1.0), r"growth_factor must be a number above 1.0, got 1.0"),
    (dict(backoff_factor=1.5), r"backoff_factor must be a number between 0.0 and 1.0, got 1.5"),
    (dict(init_scale=0), r"init_scale must be a number above 0.0, got 0"),
    (dict(growth_interval=0), r"growth_interval must be a positive integer, got 0"),
    (dict(growth_interval=2.5), r"growth_interval must be a positive integer, got 2.5"),
])
def test_impossible_scaler_options_are_refused_in_one_sentence(options, match):
    with pytest.raises(ConfigError, match="^GradScaler: " + match):
        dp.amp.GradScaler("cpu", **options)
    dp.amp.GradScaler("cpu", enabled=False, **options)  # (disabled, PyTorch checks nothing either)


def test_a_scalers_state_round_trips_and_an_empty_one_is_refused():
    scaler = dp.amp.GradScaler("cpu", init_scale=16.0, growth_interval=5)
    other = dp.amp.GradScaler("cpu")
    other.load_state_dict(scaler.state_dict())
    assert other.state_dict() == scaler.state_dict() and other.get_scale() == 16.0
    with pytest.raises(GradError, match="the state dict is empty"):
        other.load_state_dict({})


def test_autocast_refuses_a_string_that_names_no_device():
    with pytest.raises(ConfigError, match="'banana' is not a device"):
        dp.autocast("banana")


def test_autocast_warns_once_per_entry_and_changes_no_dtype():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with dp.autocast("cpu"):
            y = dp.ones(2, dtype=np.float64) * 2
    assert len(caught) == 1 and "autocast is disabled" in str(caught[0].message)
    assert y.dtype == np.float64


@pytest.mark.parametrize("call", [lambda: dp.zeros(2, dtype=dp.bfloat16), lambda: nn.Linear(2, 2).to(dp.bfloat16),
                                  lambda: dp.tensor([1.0], dtype=dp.bfloat16), lambda: dp.ones(2).to(dp.bfloat16)],
                         ids=["zeros", "module.to", "tensor", "tensor.to"])
def test_bfloat16_can_be_named_and_is_refused_in_one_sentence(call):
    assert repr(dp.bfloat16) == "deltaprop.bfloat16"
    with pytest.raises(ConfigError, match=r"dtype cannot be deltaprop.bfloat16: NumPy, which deltaprop computes "
                                          r"with, has no bfloat16"):
        call()


def test_compile_checks_its_options_in_one_sentence():
    with pytest.raises(ConfigError, match=r"^compile: mode must be one of 'default', .* got 'fast'"):
        dp.compile(nn.Linear(1, 1), mode="fast")
    with pytest.raises(ConfigError, match=r"^compile: give mode or options, not both"):
        dp.compile(nn.Linear(1, 1), mode="default", options={})
    with pytest.raises(TypeError, match=r"^compile: expected a module or a function to compile, got int"):
        dp.compile(3)
    model = nn.Linear(2, 2)
    assert list(dp.compile(model).state_dict()) == ["weight", "bias"]  # no _orig_mod. prefix
