"""deltaprop.optim.lr_scheduler without a reference framework: the recursive schedules against their
closed forms, saving and resuming, and validation. (tests/reference/ compares them with PyTorch.)"""

import json
import math

import numpy as np
import pytest

import deltaprop as dp
from deltaprop import nn, optim
from deltaprop.errors import ConfigError, ModelFileError, ShapeError
from deltaprop.optim import lr_scheduler

BASE_LRS = (0.1, 0.04)


def _optimizer():
    groups = [{"params": [nn.Parameter(np.zeros(1))]}, {"params": [nn.Parameter(np.zeros(1))], "lr": BASE_LRS[1]}]
    return optim.SGD(groups, lr=BASE_LRS[0])


def _rates(scheduler, epochs: int) -> list:
    rates = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.step()
        rates.append(scheduler.get_last_lr())
    return rates


CLOSED_FORMS = {
    "StepLR": (
        lambda opt: lr_scheduler.StepLR(opt, step_size=4, gamma=0.5),
        lambda base, t: base * 0.5 ** (t // 4),
    ),
    "MultiStepLR": (
        lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[9, 3, 9], gamma=0.1),
        lambda base, t: base * 0.1 ** sum(m <= t for m in (3, 9, 9)),
    ),
    "ExponentialLR": (
        lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.8),
        lambda base, t: base * 0.8**t,
    ),
    "CosineAnnealingLR": (
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.01),
        lambda base, t: 0.01 + (base - 0.01) * (1 + math.cos(math.pi * t / 8)) / 2,
    ),
    "LambdaLR": (
        lambda opt: lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (1 + 0.5 * epoch)),
        lambda base, t: base / (1 + 0.5 * t),
    ),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_schedule_follows_its_closed_form(name):
    build, closed_form = CLOSED_FORMS[name]
    epochs = 30  # CosineAnnealingLR goes down and up again almost twice (T_max = 8)
    rates = _rates(build(_optimizer()), epochs)
    expected = [[closed_form(base, t) for base in BASE_LRS] for t in range(epochs + 1)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12, atol=1e-15)


def test_scheduler_sets_the_optimizer_lr_and_records_initial_lr():
    optimizer = _optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.step()
    assert [group["lr"] for group in optimizer.param_groups] == pytest.approx([0.05, 0.02])
    assert [group["initial_lr"] for group in optimizer.param_groups] == list(BASE_LRS)
    assert scheduler.last_epoch == 1


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_resumed_schedule_continues_identically(name):
    build, _ = CLOSED_FORMS[name]
    straight = _rates(build(_optimizer()), 20)

    optimizer = _optimizer()
    scheduler = build(optimizer)
    for _ in range(7):
        scheduler.step()
    saved_optimizer = json.loads(json.dumps(optimizer.state_dict()))  # no arrays: SGD without momentum
    saved_scheduler = json.loads(json.dumps(scheduler.state_dict()))

    optimizer = _optimizer()
    optimizer.load_state_dict(saved_optimizer)
    scheduler = build(optimizer)
    scheduler.load_state_dict(saved_scheduler)
    resumed = _rates(scheduler, 13)
    assert resumed == straight[7:]


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(ConfigError, match=r"last_epoch=5 resumes a schedule, but parameter group 0 has no 'initial_lr'"):
        lr_scheduler.ExponentialLR(_optimizer(), gamma=0.9, last_epoch=5)
    optimizer = _optimizer()
    lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    resumed = lr_scheduler.ExponentialLR(optimizer, gamma=0.9, last_epoch=5)
    assert resumed.last_epoch == 6
    assert resumed.base_lrs == list(BASE_LRS)


def test_reduce_on_plateau_by_hand():
    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1, cooldown=1, min_lr=[0.03, 0.0])
    # epoch 1 sets best = 1.0; epochs 2 and 3 do not improve: 2 bad epochs > patience 1, so halve
    # (group 0 stops at min_lr 0.03); epoch 4 is cooldown; epochs 5 and 6 are bad again.
    expected = [
        [0.1, 0.04],
        [0.1, 0.04],
        [0.05, 0.02],
        [0.05, 0.02],
        [0.05, 0.02],
        [0.03, 0.01],
    ]
    for metric, rates in zip([1.0, 1.0, 0.99995, 2.0, 2.0, dp.tensor(1.5)], expected):
        scheduler.step(metric)
        assert scheduler.get_last_lr() == pytest.approx(rates)
    assert scheduler.best == 1.0
    json.dumps(scheduler.state_dict())  # plain values only (best may be infinite: JSON writes Infinity)


def test_reduce_on_plateau_state_round_trip():
    metrics = [1.0, 0.9, 0.9, 0.95, 0.9, 0.8, 0.85, 0.85, 0.85, 0.85]
    straight = lr_scheduler.ReduceLROnPlateau(_optimizer(), factor=0.5, patience=1)
    straight_rates = []
    for metric in metrics:
        straight.step(metric)
        straight_rates.append(straight.get_last_lr())
    first_optimizer = _optimizer()
    first = lr_scheduler.ReduceLROnPlateau(first_optimizer, factor=0.5, patience=1)
    for metric in metrics[:4]:
        first.step(metric)
    optimizer = _optimizer()
    optimizer.load_state_dict(first_optimizer.state_dict())
    resumed = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    resumed.load_state_dict(json.loads(json.dumps(first.state_dict())))
    resumed_rates = []
    for metric in metrics[4:]:
        resumed.step(metric)
        resumed_rates.append(resumed.get_last_lr())
    assert resumed_rates == straight_rates[4:]
    assert len({tuple(rates) for rates in straight_rates}) > 1


def test_reduce_on_plateau_covers_a_group_added_later():
    # One min_lr for all groups also covers a group added after the scheduler was made (as in
    # PyTorch); a list of min_lrs cannot, and the refused step changes nothing.
    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0, min_lr=0.03)
    scheduler.step(1.0)
    optimizer.add_param_group({"params": [nn.Parameter(np.zeros(1))], "lr": 0.05})
    scheduler.step(2.0)
    assert scheduler.get_last_lr() == pytest.approx([0.05, 0.03, 0.03])
    assert scheduler.min_lrs == [0.03, 0.03, 0.03]

    optimizer = _optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0, min_lr=[0.0, 0.0])
    scheduler.step(1.0)
    optimizer.add_param_group({"params": [nn.Parameter(np.zeros(1))], "lr": 0.05})
    before = scheduler.state_dict()
    with pytest.raises(ConfigError, match="min_lrs holds 2 values but the optimizer now has 3 parameter groups"):
        scheduler.step(2.0)
    assert scheduler.state_dict() == before


def test_load_state_dict_rejects_another_schedulers_state():
    step = lr_scheduler.StepLR(_optimizer(), step_size=3)
    cosine = lr_scheduler.CosineAnnealingLR(_optimizer(), T_max=3)
    with pytest.raises(ModelFileError, match="unexpected entries T_max, eta_min"):
        step.load_state_dict(cosine.state_dict())
    state = step.state_dict()
    state["base_lrs"] = [0.1] * 3
    with pytest.raises(ShapeError, match="base_lrs holds 3 values, the optimizer has 2 parameter groups"):
        step.load_state_dict(state)
    state = step.state_dict()
    state["_last_lr"] = [0.1] * 3  # (fewer are a state saved before a group was added, and load)
    with pytest.raises(ShapeError, match="_last_lr holds 3 values, the optimizer has 2 parameter groups"):
        step.load_state_dict(state)
    # fewer base_lrs than groups is the state of a StepLR that followed a group added after it was
    # made (see the PyTorch reference tests); a schedule that cannot follow one refuses it
    state = cosine.state_dict()
    state["base_lrs"] = [0.1]
    with pytest.raises(ShapeError, match="base_lrs holds 1 values, the optimizer has 2 parameter groups"):
        cosine.load_state_dict(state)


@pytest.mark.parametrize(
    "name, options, match",
    [
        ("StepLR", dict(step_size=0), r"StepLR: step_size must be a positive integer, got 0"),
        ("StepLR", dict(step_size=2.5), r"StepLR: step_size must be a positive integer, got 2.5"),
        ("StepLR", dict(step_size=0.0), r"StepLR: step_size must be a positive integer, got 0"),
        ("StepLR", dict(step_size=float("inf")), r"StepLR: step_size must be a positive integer, got inf"),
        ("StepLR", dict(step_size=2, gamma=-0.5), r"StepLR: gamma must be positive, got -0.5"),
        ("StepLR", dict(step_size=2, last_epoch=-2), r"last_epoch must be an integer of at least -1, got -2"),
        ("MultiStepLR", dict(milestones=[2, -1]), r"each milestone must be a non-negative integer, got -1"),
        ("ExponentialLR", dict(gamma=0), r"ExponentialLR: gamma must be positive, got 0"),
        ("CosineAnnealingLR", dict(T_max=0), r"T_max must be a positive integer, got 0"),
        ("CosineAnnealingLR", dict(T_max=5, eta_min=-1), r"eta_min must be non-negative, got -1"),
        ("LambdaLR", dict(lr_lambda=[lambda epoch: 1.0]), r"expected 2 functions in lr_lambda .* got 1"),
        ("LambdaLR", dict(lr_lambda=0.5), r"lr_lambda must be a function of the epoch, got 0.5"),
        ("ReduceLROnPlateau", dict(factor=1.0), r"factor must be in \[0, 1\), got 1.0"),
        ("ReduceLROnPlateau", dict(mode="avg"), r"mode must be one of 'min', 'max', got 'avg'"),
        ("ReduceLROnPlateau", dict(threshold_mode="x"), r"threshold_mode must be one of 'rel', 'abs'"),
        ("ReduceLROnPlateau", dict(patience=-1), r"patience must be a non-negative integer, got -1"),
        ("ReduceLROnPlateau", dict(min_lr=[0.0]), r"min_lr lists 1 values, the optimizer has 2"),
        ("ReduceLROnPlateau", dict(min_lr=-0.1), r"min_lr must be non-negative, got -0.1"),
        ("MultiplicativeLR", dict(lr_lambda="x"), r"MultiplicativeLR: lr_lambda must be a function of the epoch"),
        ("MultiplicativeLR", dict(lr_lambda=[abs]), r"MultiplicativeLR: expected 2 functions in lr_lambda .* got 1"),
        ("ConstantLR", dict(factor=0), r"ConstantLR: factor must be in \(0, 1\], got 0"),
        ("ConstantLR", dict(total_iters=-1), r"ConstantLR: total_iters must be a non-negative integer, got -1"),
        ("LinearLR", dict(start_factor=0), r"LinearLR: start_factor must be in \(0, 1\], got 0"),
        ("LinearLR", dict(end_factor=1.5), r"LinearLR: end_factor must be in \[0, 1\], got 1.5"),
        ("LinearLR", dict(total_iters=0), r"LinearLR: total_iters must be a positive integer, got 0"),
        ("PolynomialLR", dict(total_iters=2.5), r"PolynomialLR: total_iters must be a positive integer, got 2.5"),
        ("PolynomialLR", dict(power=-1.0), r"PolynomialLR: power must be non-negative, got -1.0"),
        ("CosineAnnealingWarmRestarts", dict(T_0=0), r"CosineAnnealingWarmRestarts: T_0 must be a positive integer, got 0"),
        ("CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=1.5), r"T_mult must be a positive integer, got 1.5"),
        ("CosineAnnealingWarmRestarts", dict(T_0=5, eta_min=-0.1), r"eta_min must be non-negative, got -0.1"),
        ("CyclicLR", dict(base_lr=0.01, max_lr=[0.1]), r"CyclicLR: max_lr lists 1 values, the optimizer has 2 parameter"),
        ("CyclicLR", dict(base_lr=-0.01, max_lr=0.1), r"CyclicLR: base_lr must be non-negative, got -0.01"),
        ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=0), r"CyclicLR: step_size_up must be a positive integer"),
        ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, mode="saw"), r"CyclicLR: mode must be one of 'triangular', "),
        ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, scale_mode="x"), r"CyclicLR: scale_mode must be one of 'cycle'"),
        ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, gamma=0), r"CyclicLR: gamma must be positive, got 0"),
        ("OneCycleLR", dict(max_lr=0.1), r"OneCycleLR: give total_steps, or both epochs and steps_per_epoch"),
        ("OneCycleLR", dict(max_lr=0.1, epochs=3), r"OneCycleLR: give total_steps, or both epochs and steps_per_epoch"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=0), r"OneCycleLR: total_steps must be a positive integer, got 0"),
        ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=-1), r"steps_per_epoch must be a positive integer"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5), r"pct_start must be in \[0, 1\], got 1.5"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="cosine"), r"anneal_strategy must be one of"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=10, div_factor=0), r"OneCycleLR: div_factor must be positive, got 0"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=0.1), r"leaves phase 1 of the schedule without steps"),
        ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.0), r"leaves phase 2 of the schedule without steps"),
    ],
)
def test_impossible_scheduler_options_raise_config_error(name, options, match):
    with pytest.raises(ConfigError, match=match):
        getattr(lr_scheduler, name)(_optimizer(), **options)


def test_a_scheduler_needs_a_deltaprop_optimizer():
    with pytest.raises(TypeError, match="expected an optimizer from deltaprop.optim, got list"):
        lr_scheduler.StepLR([], step_size=2)


def test_momentum_cycles_need_an_optimizer_with_momentum():
    adagrad = optim.Adagrad([nn.Parameter(np.zeros(1))], lr=0.1)
    match = r"cycle_momentum=True needs an optimizer with momentum or betas, and Adagrad has neither"
    with pytest.raises(ConfigError, match="OneCycleLR: " + match):
        lr_scheduler.OneCycleLR(adagrad, max_lr=0.1, total_steps=10)
    with pytest.raises(ConfigError, match="CyclicLR: " + match):
        lr_scheduler.CyclicLR(adagrad, 0.01, 0.1)
    lr_scheduler.CyclicLR(adagrad, 0.01, 0.1, cycle_momentum=False)  # without the cycle it is fine


def test_one_cycle_resumed_with_last_epoch_needs_its_bounds_in_the_groups():
    optimizer = _optimizer()
    optimizer.param_groups[0]["initial_lr"] = optimizer.param_groups[1]["initial_lr"] = 0.1
    with pytest.raises(ConfigError, match=r"OneCycleLR: last_epoch=4 resumes .* parameter group 0 has no 'max_lr'"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=10, last_epoch=4)


def test_warm_restarts_refuse_a_negative_epoch():
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(_optimizer(), T_0=3)
    with pytest.raises(ConfigError, match=r"CosineAnnealingWarmRestarts: epoch must be non-negative, got -1"):
        scheduler.step(-1)


def test_composite_schedules_check_their_parts():
    optimizer, other = _optimizer(), _optimizer()
    step = lr_scheduler.StepLR(optimizer, step_size=2)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    with pytest.raises(ConfigError, match=r"SequentialLR: expected 1 milestones \(one fewer than the 2 schedulers\), got 2"):
        lr_scheduler.SequentialLR(optimizer, [step, cosine], milestones=[2, 3])
    with pytest.raises(ConfigError, match=r"SequentialLR: milestones must be in increasing order, got \[5, 2\]"):
        lr_scheduler.SequentialLR(optimizer, [step, cosine, step], milestones=[5, 2])
    with pytest.raises(ConfigError, match=r"SequentialLR: got an empty list of schedulers"):
        lr_scheduler.SequentialLR(optimizer, [], milestones=[])
    with pytest.raises(ConfigError, match=r"ChainedScheduler: scheduler 1 \(StepLR\) belongs to another optimizer"):
        lr_scheduler.ChainedScheduler([cosine, lr_scheduler.StepLR(other, step_size=2)])
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer)
    with pytest.raises(ConfigError, match=r"ChainedScheduler: scheduler 0 is a ReduceLROnPlateau, which steps with a metric"):
        lr_scheduler.ChainedScheduler([plateau])
    with pytest.raises(ConfigError, match=r"SequentialLR: scheduler 1 is a str, not a deltaprop.optim.lr_scheduler"):
        lr_scheduler.SequentialLR(optimizer, [step, "cosine"], milestones=[3])
    chained = lr_scheduler.ChainedScheduler([step, cosine])
    state = chained.state_dict()
    state["_schedulers"].pop()
    with pytest.raises(ShapeError, match=r"ChainedScheduler.load_state_dict: the saved state holds 1 schedulers, this one has 2"):
        chained.load_state_dict(state)


def test_plateau_min_lr_per_group_is_stored_as_floats():
    scheduler = lr_scheduler.ReduceLROnPlateau(_optimizer(), min_lr=[np.float32(0.5), 1])
    assert scheduler.min_lrs == [0.5, 1.0]
    assert all(type(value) is float for value in scheduler.min_lrs)
    assert scheduler.default_min_lr is None
    assert lr_scheduler.ReduceLROnPlateau(_optimizer(), min_lr=2).min_lrs == [2.0, 2.0]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("build", [
    lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, base_momentum=[0.7, 0.75], max_momentum=[0.9, 0.95]),
    lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10, base_momentum=[0.7, 0.75],
                                      max_momentum=[0.9, 0.95]),
], ids=["CyclicLR", "OneCycleLR"])
def test_momentum_cycles_record_their_bounds_and_start_at_the_top(kind, build):
    params = [{"params": [nn.Parameter(np.zeros(1))]}, {"params": [nn.Parameter(np.zeros(1))]}]
    optimizer = optim.SGD(params, lr=0.1, momentum=0.5) if kind == "sgd" else optim.Adam(params, lr=0.1)
    build(optimizer)
    for group, low, high in zip(optimizer.param_groups, [0.7, 0.75], [0.9, 0.95]):
        assert group["base_momentum"] == low and group["max_momentum"] == high
        momentum = group["momentum"] if kind == "sgd" else group["betas"][0]
        assert momentum == pytest.approx(high)  # step 0: the top of the momentum cycle
        if kind == "adam":
            assert group["betas"][1] == 0.999


@pytest.mark.parametrize("build, factor", [
    (lambda o: lr_scheduler.StepLR(o, step_size=1, gamma=0.5), lambda epoch: 0.5**epoch),
    # NumPy numbers from the schedule still reach the groups as Python floats
    (lambda o: lr_scheduler.LambdaLR(o, lambda epoch: np.float32(0.5) ** epoch), lambda epoch: 0.5**epoch),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=4, eta_min=np.float64(0.0)),
     lambda epoch: (1 + math.cos(math.pi * epoch / 4)) / 2),
], ids=["StepLR", "LambdaLR", "CosineAnnealingWarmRestarts"])
def test_step_and_resume_set_the_rates_they_report_as_python_floats(build, factor):
    optimizer = _optimizer()
    scheduler = build(optimizer)
    for epoch in (1, 2):
        scheduler.step()
        assert scheduler.get_last_lr() == pytest.approx([lr * factor(epoch) for lr in BASE_LRS])
        assert scheduler.get_last_lr() == [group["lr"] for group in optimizer.param_groups]
        assert all(type(group["lr"]) is float for group in optimizer.param_groups)
    scheduler._jump_to(3)  # as SequentialLR restarts a schedule
    assert scheduler.get_last_lr() == [group["lr"] for group in optimizer.param_groups]
    assert all(type(group["lr"]) is float for group in optimizer.param_groups)
