"""Optimizer trajectories and learning-rate schedules compared step by step with PyTorch's.

The same float64 network (Linear(4, 8) - Tanh - Linear(8, 3)) starts from the same weights in
both frameworks and takes 20 steps on the same mean-squared error; after every step the parameters
must agree to 1e-10. The schedulers' learning rates must agree over 30 epochs.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn, optim  # noqa: E402
from deltaprop.optim import lr_scheduler  # noqa: E402

STEPS = 20
TOLERANCE = 1e-10


def _models(seed: int = 0):
    """The same network in both frameworks, float64, sharing initial weights."""
    dp.manual_seed(seed)
    ours = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.Tanh(), nn.Linear(8, 3, dtype=np.float64))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for p_theirs, p_ours in zip(theirs.parameters(), ours.parameters(), strict=True):
            p_theirs.copy_(torch.from_numpy(p_ours.data.copy()))
    return ours, theirs


def _params(model, grouped: list | None):
    """Either all parameters, or one group per Linear layer (the same code serves both frameworks)."""
    if grouped is None:
        return list(model.parameters())
    return [{"params": list(model[i].parameters()), **options} for i, options in zip((0, 2), grouped, strict=True)]


OPTIMIZER_CASES = [
    ("SGD", {"lr": 0.1}, None),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}, None),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}, None),
    ("SGD", {"lr": 0.1, "weight_decay": 0.01}, None),
    ("SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05, "maximize": True}, None),
    ("SGD", {"lr": 0.1}, [{"lr": 0.3, "momentum": 0.5}, {"weight_decay": 0.1}]),
    ("Adam", {"lr": 0.01}, None),
    ("Adam", {"lr": 0.01, "amsgrad": True}, None),
    ("Adam", {"lr": 0.02, "weight_decay": 0.1}, None),
    ("Adam", {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-6}, None),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True, "weight_decay": 0.01}, None),
    ("Adam", {"lr": 0.01}, [{"lr": 0.05, "amsgrad": True}, {"betas": (0.8, 0.99)}]),
    ("AdamW", {"lr": 0.01}, None),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.1, "amsgrad": True}, None),
    ("AdamW", {"lr": 0.01, "maximize": True}, None),
    ("AdamW", {"lr": 0.01}, [{"weight_decay": 0.5}, {"lr": 0.001, "weight_decay": 0.0}]),
    ("RMSprop", {"lr": 0.01}, None),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}, None),
    ("RMSprop", {"lr": 0.01, "centered": True}, None),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "weight_decay": 0.01, "alpha": 0.9}, None),
    ("RMSprop", {"lr": 0.01, "maximize": True}, None),
    ("RMSprop", {"lr": 0.01}, [{"centered": True}, {"lr": 0.03, "momentum": 0.7}]),
    ("Adagrad", {"lr": 0.1}, None),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}, None),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1, "weight_decay": 0.01}, None),
    ("Adagrad", {"lr": 0.05, "maximize": True, "eps": 1e-6}, None),
    # PyTorch fills every accumulator from the constructor's initial_accumulator_value (a group's own
    # value is ignored there, honoured here), so the groups differ in other options.
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}, [{"lr": 0.5, "lr_decay": 0.1}, {"weight_decay": 0.1}]),
]


def _case_id(case):
    name, options, grouped = case
    words = [f"{key}={value}" for key, value in options.items()]
    return name + "(" + ",".join(words) + ")" + ("-groups" if grouped else "")


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=[_case_id(case) for case in OPTIMIZER_CASES])
def test_trajectory_matches_pytorch(case):
    name, options, grouped = case
    ours, theirs = _models()
    opt_ours = getattr(optim, name)(_params(ours, grouped), **options)
    opt_theirs = getattr(torch.optim, name)(_params(theirs, grouped), **options)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4))
    y = rng.normal(size=(16, 3))
    x_ours, y_ours = dp.tensor(x, dtype=np.float64), dp.tensor(y, dtype=np.float64)
    x_theirs, y_theirs = torch.from_numpy(x), torch.from_numpy(y)
    loss_ours_fn, loss_theirs_fn = nn.MSELoss(), torch.nn.MSELoss()
    for step in range(STEPS):
        opt_ours.zero_grad()
        loss_ours = loss_ours_fn(ours(x_ours), y_ours)
        loss_ours.backward()
        opt_ours.step()
        opt_theirs.zero_grad()
        loss_theirs = loss_theirs_fn(theirs(x_theirs), y_theirs)
        loss_theirs.backward()
        opt_theirs.step()
        assert loss_ours.item() == pytest.approx(loss_theirs.item(), rel=TOLERANCE)
        for (param_name, p_ours), p_theirs in zip(ours.named_parameters(), theirs.parameters(), strict=True):
            expected = p_theirs.detach().numpy()
            np.testing.assert_allclose(
                p_ours.data, expected, rtol=TOLERANCE, atol=TOLERANCE, err_msg=f"{param_name} after step {step + 1}"
            )
    start, _ = _models()
    moved = max(float(np.abs(end.data - begin.data).max()) for begin, end in zip(start.parameters(), ours.parameters()))
    assert moved > 1e-3, "the parameters barely moved, so the comparison proved little"


# -- learning-rate schedules -------------------------------------------------------------------

EPOCHS = 30


def _plateau_metric(epochs):
    """A metric that improves, stalls, worsens a little and improves again (drives the plateaus)."""
    values = []
    for epoch in range(epochs):
        level = 1.0 / (1 + epoch // 6)
        values.append(level + 0.001 * (epoch % 3))
    return values


SCHEDULER_CASES = {
    "StepLR": lambda module, opt: module.StepLR(opt, step_size=7, gamma=0.5),
    "StepLR-every-epoch": lambda module, opt: module.StepLR(opt, step_size=1, gamma=0.9),
    "StepLR-whole-float": lambda module, opt: module.StepLR(opt, 1.0, gamma=0.95),  # the transformer tutorial's
    "StepLR-whole-float-3": lambda module, opt: module.StepLR(opt, step_size=3.0, gamma=0.5),
    "MultiStepLR": lambda module, opt: module.MultiStepLR(opt, milestones=[20, 5, 12, 12], gamma=0.3),
    "ExponentialLR": lambda module, opt: module.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda module, opt: module.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-odd": lambda module, opt: module.CosineAnnealingLR(opt, T_max=7),
    "LambdaLR": lambda module, opt: module.LambdaLR(opt, lambda epoch: 1.0 / (1 + epoch)),
    "LambdaLR-per-group": lambda module, opt: module.LambdaLR(
        opt, [lambda epoch: 0.95**epoch, lambda epoch: min(1.0, (epoch + 1) / 5)]
    ),
}

PLATEAU_CASES = {
    "min-rel": dict(mode="min", factor=0.5, patience=2),
    "min-abs-cooldown": dict(mode="min", factor=0.5, patience=1, threshold=0.01, threshold_mode="abs", cooldown=2),
    "max-rel-min_lr": dict(mode="max", factor=0.2, patience=0, min_lr=[0.01, 0.0]),
    "max-abs": dict(mode="max", factor=0.1, patience=3, threshold=0.05, threshold_mode="abs", eps=1e-3),
}


def _two_group_optimizers():
    """SGD over two one-element groups (lr 0.1 and 0.05) in both frameworks."""
    ours = optim.SGD([{"params": [nn.Parameter(np.zeros(1))]}, {"params": [nn.Parameter(np.zeros(1))], "lr": 0.05}], lr=0.1)
    theirs = torch.optim.SGD(
        [{"params": [torch.zeros(1, requires_grad=True)]}, {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.05}],
        lr=0.1,
    )
    return ours, theirs


@pytest.mark.parametrize("name", sorted(SCHEDULER_CASES))
def test_schedule_matches_pytorch(name):
    opt_ours, opt_theirs = _two_group_optimizers()
    ours = SCHEDULER_CASES[name](lr_scheduler, opt_ours)
    theirs = SCHEDULER_CASES[name](torch.optim.lr_scheduler, opt_theirs)
    ours_rates, theirs_rates = [ours.get_last_lr()], [theirs.get_last_lr()]
    for _ in range(EPOCHS):
        opt_ours.step()
        opt_theirs.step()
        ours.step()
        theirs.step()
        ours_rates.append(ours.get_last_lr())
        theirs_rates.append(theirs.get_last_lr())
    np.testing.assert_allclose(ours_rates, theirs_rates, rtol=1e-12, atol=1e-15)
    assert [group["lr"] for group in opt_ours.param_groups] == pytest.approx(
        [group["lr"] for group in opt_theirs.param_groups], rel=1e-12
    )
    assert ours.last_epoch == theirs.last_epoch == EPOCHS
    assert len({tuple(rates) for rates in ours_rates}) > 1, "the schedule never changed the rate"


@pytest.mark.parametrize("name", sorted(PLATEAU_CASES))
def test_reduce_on_plateau_matches_pytorch(name):
    options = PLATEAU_CASES[name]
    opt_ours, opt_theirs = _two_group_optimizers()
    ours = lr_scheduler.ReduceLROnPlateau(opt_ours, **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_theirs, **options)
    metrics = _plateau_metric(EPOCHS)
    if options["mode"] == "max":
        metrics = [2.0 - value for value in metrics]
    ours_rates, theirs_rates = [], []
    for metric in metrics:
        ours.step(metric)
        theirs.step(metric)
        ours_rates.append(ours.get_last_lr())
        theirs_rates.append(theirs.get_last_lr())
    np.testing.assert_allclose(ours_rates, theirs_rates, rtol=1e-12, atol=1e-15)
    assert ours.best == pytest.approx(theirs.best, rel=1e-12)
    assert ours.num_bad_epochs == theirs.num_bad_epochs
    assert ours.cooldown_counter == theirs.cooldown_counter
    assert len({tuple(rates) for rates in ours_rates}) > 1, "the metric sequence never triggered a reduction"
