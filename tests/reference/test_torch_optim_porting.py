"""What code ported from PyTorch 2.13 writes around its optimizers, against PyTorch itself.

- The implementation options (``foreach``, ``fused``, ``capturable``, ``differentiable``) are taken
  where PyTorch's constructor has them and kept in the parameter groups, so every optimizer's groups
  hold the keys and default values that PyTorch's hold; True for the two that change semantics is
  refused in one sentence.
- ``Adam(decoupled_weight_decay=True)`` follows PyTorch's trajectory (it is AdamW).
- A PyTorch optimizer's state dict, its tensors made NumPy arrays (or its 0-d tensors made Python
  numbers with ``.item()``), loads into the same deltaprop optimizer, and the run goes on as
  PyTorch's does.
"""

import inspect
import json
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import optim  # noqa: E402
from deltaprop.errors import ConfigError  # noqa: E402

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD",
         "Adafactor", "LBFGS"]
HINTS = ("foreach", "fused", "capturable", "differentiable")


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("name", NAMES)
def test_parameter_groups_hold_pytorchs_options_and_defaults(name):
    ours = getattr(optim, name)([dp.tensor(np.zeros(2), requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    group_ours = ours.state_dict()["param_groups"][0]
    group_theirs = theirs.state_dict()["param_groups"][0]
    assert set(group_ours) == set(group_theirs)
    for key, value in group_theirs.items():
        assert _plain(group_ours[key]) == _plain(value), key


@pytest.mark.parametrize("name", NAMES)
def test_implementation_options_are_taken_where_pytorch_takes_them(name):
    taken = [key for key in HINTS if key in inspect.signature(getattr(torch.optim, name)).parameters]
    ours_taken = [key for key in HINTS if key in inspect.signature(getattr(optim, name)).parameters]
    assert ours_taken == taken
    p = dp.tensor(np.zeros(2), requires_grad=True)
    for key in taken:
        for value in ((None, False, True) if key in ("foreach", "fused") else (False,)):
            optimizer = getattr(optim, name)([p], **{key: value})
            assert optimizer.param_groups[0][key] is value
            assert optimizer.state_dict()["param_groups"][0][key] is value
    for key in {"capturable", "differentiable"} & set(taken):
        with pytest.raises(ConfigError, match=rf"^{name}: {key}=True is not supported \(.*\); leave it False$"):
            getattr(optim, name)([p], **{key: True})
        optimizer = getattr(optim, name)([p])
        with pytest.raises(ConfigError, match=rf"{key}=True is not supported .*\(parameter group 1\)$"):
            optimizer.add_param_group({"params": [dp.tensor(np.zeros(1), requires_grad=True)], key: True})
    if {"foreach", "fused"} <= set(taken):
        with pytest.raises(ConfigError, match="foreach=True and fused=True cannot be given together"):
            getattr(optim, name)([p], foreach=True, fused=True)
    if "foreach" in taken:
        with pytest.raises(ConfigError, match="foreach must be True, False or None, got 'yes'"):
            getattr(optim, name)([p], foreach="yes")


def _tensors(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(3, 4)), rng.normal(size=(4,)), rng.normal(size=())]
    ours = [dp.tensor(a.copy(), requires_grad=True, dtype=np.float64) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return ours, theirs


def _closure(optimizer, params):
    def closure():
        optimizer.zero_grad()
        loss = sum(0.1 * (p**4).sum() + (p**2).sum() - p.sum() for p in params)
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("maximize", [False, True])
def test_adam_with_decoupled_weight_decay_follows_pytorchs_and_is_adamw(amsgrad, maximize, torch_float64):
    options = dict(lr=0.01, weight_decay=0.3, amsgrad=amsgrad, maximize=maximize)
    ours, theirs = _tensors()
    twins, _ = _tensors()
    adam = optim.Adam(ours, decoupled_weight_decay=True, **options)
    adamw = optim.AdamW(twins, **options)
    reference = torch.optim.Adam(theirs, decoupled_weight_decay=True, **options)
    for _ in range(15):
        adam.step(_closure(adam, ours))
        adamw.step(_closure(adamw, twins))
        reference.step(_closure(reference, theirs))
    for a, w, t in zip(ours, twins, theirs, strict=True):
        np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(a.data, w.data)
    plain, _ = _tensors()
    coupled = optim.Adam(plain, **options)
    for _ in range(15):
        coupled.step(_closure(coupled, plain))
    assert max(float(np.abs(a.data - b.data).max()) for a, b in zip(ours, plain)) > 1e-4  # the option matters
    assert adam.param_groups[0]["decoupled_weight_decay"] is True
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True
    assert "decoupled_weight_decay" not in inspect.signature(optim.AdamW).parameters  # as in PyTorch


def _numpy(value):
    """A state dict with every tensor made a NumPy array (0-d tensors 0-d arrays)."""
    if torch.is_tensor(value):
        return value.detach().numpy().copy()
    if isinstance(value, dict):
        return {key: _numpy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_numpy(item) for item in value)
    return value


SCALARS = ("step", "mu_product", "eta", "mu", "t", "H_diag", "ro")


def _items(value, key=None):
    """The same with the numbers PyTorch keeps in 0-d tensors (``step``, ``mu_product``, ...) made
    Python numbers with ``.item()``."""
    if torch.is_tensor(value) and value.ndim == 0 and key in SCALARS:
        return value.item()
    if isinstance(value, dict):
        return {name: _items(item, name) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_items(item, key) for item in value)
    return _numpy(value)


STATE_CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adadelta", dict()),
    ("Adamax", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9))),
    ("Rprop", dict(lr=0.01)),
    ("ASGD", dict(lr=0.01, t0=2)),
    ("Adafactor", dict(lr=0.01)),
    ("LBFGS", dict(lr=0.5, max_iter=3, history_size=4)),
]


@pytest.mark.parametrize("convert", [_numpy, _items], ids=["arrays", "items"])
@pytest.mark.parametrize("name, options", STATE_CASES, ids=[case[0] for case in STATE_CASES])
def test_a_pytorch_state_dict_made_numpy_loads_and_the_run_goes_on_as_pytorchs(name, options, convert, torch_float64):
    ours, theirs = _tensors()
    reference = getattr(torch.optim, name)(theirs, **options)
    for _ in range(5):
        reference.step(_closure(reference, theirs))
    saved = convert(reference.state_dict())
    assert np.ndim(saved["state"][0].get("step", saved["state"][0].get("n_iter"))) == 0
    for a, t in zip(ours, theirs, strict=True):
        a.data[...] = t.detach().numpy()
    optimizer = getattr(optim, name)(ours, **options)
    optimizer.load_state_dict(saved)
    for _ in range(5):
        reference.step(_closure(reference, theirs))
        optimizer.step(_closure(optimizer, ours))
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=1e-9, atol=1e-12)
    counts = [entry["step"] for entry in optimizer.state_dict()["state"].values() if "step" in entry]
    assert all(type(count) is int and count == 10 for count in counts)


def test_a_step_count_that_is_no_whole_number_is_still_refused():
    p = dp.tensor(np.zeros(2), requires_grad=True)
    optimizer = optim.Adam([p])
    saved = {"state": {0: {"step": np.array(2.5), "exp_avg": np.zeros(2), "exp_avg_sq": np.zeros(2)}},
             "param_groups": optimizer.state_dict()["param_groups"]}
    with pytest.raises(ValueError, match="no valid step count 'step'"):
        optimizer.load_state_dict(saved)


def _scheduled_pair():
    ours = [dp.tensor(np.zeros(2), requires_grad=True), dp.tensor(np.zeros(3), requires_grad=True)]
    theirs = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    optimizer = optim.SGD([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.05}], lr=0.1, momentum=0.9)
    reference = torch.optim.SGD([{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.05}], lr=0.1, momentum=0.9)
    return optimizer, reference


EPOCH_CASES = {
    "StepLR": dict(step_size=3, gamma=0.5),
    "MultiStepLR": dict(milestones=[2, 5, 5, 9], gamma=0.5),
    "ExponentialLR": dict(gamma=0.9),
    "CosineAnnealingLR": dict(T_max=7, eta_min=0.001),
    "ConstantLR": dict(factor=0.5, total_iters=4),
    "LinearLR": dict(start_factor=0.2, end_factor=0.9, total_iters=6),
    "PolynomialLR": dict(total_iters=8, power=2.0),
    "LambdaLR": dict(lr_lambda=lambda epoch: 0.95**epoch),
    "MultiplicativeLR": dict(lr_lambda=lambda epoch: 0.95),
    "CyclicLR": dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2"),
    "OneCycleLR": dict(max_lr=0.5, total_steps=40, three_phase=True),
}


@pytest.mark.parametrize("name", EPOCH_CASES)
def test_step_with_an_epoch_warns_and_goes_where_pytorchs_goes(name):
    optimizer, reference = _scheduled_pair()
    ours = getattr(dp.optim.lr_scheduler, name)(optimizer, **EPOCH_CASES[name])
    theirs = getattr(torch.optim.lr_scheduler, name)(reference, **EPOCH_CASES[name])
    for i, epoch in enumerate([1, 2, 5, 3, 3, 10, 0, 7, 8, 20, 15, 16, 17, 30]):
        if i % 3 == 0:
            ours.step()
        else:
            with pytest.warns(UserWarning, match=rf"^{name}\.step\(epoch\) is deprecated"):
                ours.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the epoch's deprecation, and the order of steps
            theirs.step() if i % 3 == 0 else theirs.step(epoch)
        assert ours.last_epoch == theirs.last_epoch
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        for group_ours, group_theirs in zip(optimizer.param_groups, reference.param_groups, strict=True):
            assert group_ours["lr"] == pytest.approx(group_theirs["lr"], rel=1e-12)
            assert group_ours["momentum"] == pytest.approx(group_theirs["momentum"], rel=1e-12)


def test_plateau_step_with_an_epoch_sets_last_epoch_as_pytorchs():
    optimizer, reference = _scheduled_pair()
    ours = dp.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=1)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(reference, patience=1)
    for i, metric in enumerate([1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]):
        with pytest.warns(UserWarning, match=r"^ReduceLROnPlateau\.step\(epoch\) is deprecated"):
            ours.step(metric, 2 * i)
        with pytest.warns(UserWarning):
            theirs.step(metric, 2 * i)
        assert ours.last_epoch == theirs.last_epoch == 2 * i
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
    assert ours.get_last_lr()[0] < 0.1  # the rate was reduced on the way


@pytest.mark.parametrize("epoch", [-1, 2.5, "3"])
def test_step_refuses_an_epoch_that_is_no_count_and_changes_nothing(epoch):
    optimizer, _ = _scheduled_pair()
    scheduler = dp.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    scheduler.step()
    with pytest.raises(ConfigError, match=r"StepLR: the epoch given to step\(\) must be a non-negative integer"):
        scheduler.step(epoch)
    assert scheduler.last_epoch == 1 and scheduler.get_last_lr() == [0.1, 0.05]


def test_one_cycle_refuses_an_epoch_past_its_end():
    optimizer, _ = _scheduled_pair()
    scheduler = dp.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=10)
    with pytest.raises(ConfigError, match="OneCycleLR: step 11 is past the end of the schedule"):
        scheduler.step(11)
    assert scheduler.last_epoch == 0


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "NAdam"])
def test_a_learning_rate_given_as_a_0d_tensor_steps_as_pytorchs(name, torch_float64):
    ours, theirs = _tensors()
    optimizer = getattr(optim, name)(ours, lr=dp.tensor(0.02, dtype=np.float64))
    reference = getattr(torch.optim, name)(theirs, lr=torch.tensor(0.02))
    optimizer.add_param_group({"params": [dp.tensor(np.ones(2), requires_grad=True)], "lr": np.array(0.5)})
    assert optimizer.param_groups[0]["lr"] == 0.02 and optimizer.param_groups[1]["lr"] == 0.5
    assert type(optimizer.state_dict()["param_groups"][0]["lr"]) is float
    for _ in range(8):
        optimizer.step(_closure(optimizer, ours))
        reference.step(_closure(reference, theirs))
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)
    saved = _numpy(reference.state_dict())  # its lr a 0-d array now
    fresh = getattr(optim, name)([dp.tensor(a.data.copy(), requires_grad=True) for a in ours], lr=0.1)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == 0.02


def test_named_parameters_are_taken_and_their_names_kept_as_pytorchs():
    ours_model = dp.nn.Sequential(dp.nn.Linear(3, 4), dp.nn.Tanh(), dp.nn.Linear(4, 2))
    theirs_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    ours = optim.AdamW(ours_model.named_parameters(), lr=0.01)
    theirs = torch.optim.AdamW(theirs_model.named_parameters(), lr=0.01)
    assert ours.param_groups[0]["param_names"] == theirs.param_groups[0]["param_names"] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert all(isinstance(p, dp.Tensor) for p in ours.param_groups[0]["params"])
    group_ours, group_theirs = ours.state_dict()["param_groups"][0], theirs.state_dict()["param_groups"][0]
    assert set(group_ours) == set(group_theirs) and group_ours["param_names"] == group_theirs["param_names"]
    fresh = optim.AdamW(ours_model.named_parameters())
    fresh.load_state_dict(_numpy(theirs.state_dict()))
    assert fresh.param_groups[0]["param_names"] == group_theirs["param_names"] and fresh.param_groups[0]["lr"] == 0.01

    grouped = optim.SGD([{"params": ours_model[0].named_parameters(), "lr": 0.5},
                         {"params": ours_model[2].named_parameters()}], lr=0.1)
    assert [group["param_names"] for group in grouped.param_groups] == [["weight", "bias"], ["weight", "bias"]]
    with pytest.raises(ConfigError, match="parameter group 1 has no names and the optimizer's groups have names"):
        ours.add_param_group({"params": [dp.tensor(np.zeros(2), requires_grad=True)]})
    with pytest.raises(ConfigError, match="mixes \\(name, parameter\\) pairs with other entries \\(position 1"):
        optim.SGD([("a", dp.tensor(np.zeros(2), requires_grad=True)), dp.tensor(np.zeros(2), requires_grad=True)])


SCHEDULE_STATE_CASES = [
    ("StepLR", dict(step_size=2)),
    ("MultiStepLR", dict(milestones=[2, 6, 6, 9])),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 0.9**epoch)),
    ("MultiplicativeLR", dict(lr_lambda=lambda epoch: 0.9)),
    ("CosineAnnealingLR", dict(T_max=5)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=20)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.9)),
    ("ReduceLROnPlateau", dict(patience=1)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("ConstantLR", dict()),
    ("LinearLR", dict()),
    ("PolynomialLR", dict()),
]


@pytest.mark.parametrize("through_json", [False, True], ids=["dict", "json"])
@pytest.mark.parametrize("name, options", SCHEDULE_STATE_CASES, ids=[case[0] for case in SCHEDULE_STATE_CASES])
def test_a_pytorch_schedulers_state_dict_loads_and_goes_on_as_pytorchs(name, options, through_json):
    optimizer, reference = _scheduled_pair()
    theirs = getattr(torch.optim.lr_scheduler, name)(reference, **options)
    metric = lambda epoch: 1.0 if epoch < 4 else 2.0  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's about stepping the scheduler before the optimizer
        for epoch in range(5):
            theirs.step(metric(epoch)) if name == "ReduceLROnPlateau" else theirs.step()
    saved_optimizer, saved = _numpy(reference.state_dict()), _numpy(theirs.state_dict())
    if through_json:
        saved = json.loads(json.dumps(saved))
    ours = getattr(dp.optim.lr_scheduler, name)(optimizer, **options)
    optimizer.load_state_dict(saved_optimizer)
    ours.load_state_dict(saved)
    for epoch in range(5, 19):
        if name == "ReduceLROnPlateau":
            ours.step(metric(epoch))
            theirs.step(metric(epoch))
        else:
            ours.step()
            theirs.step()
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        for group_ours, group_theirs in zip(optimizer.param_groups, reference.param_groups, strict=True):
            assert group_ours["lr"] == pytest.approx(group_theirs["lr"], rel=1e-12)
            assert group_ours["momentum"] == pytest.approx(group_theirs["momentum"], rel=1e-12)
