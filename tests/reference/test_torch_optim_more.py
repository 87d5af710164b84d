"""NAdam, RAdam, Adamax and Adadelta, and the schedules beyond the first six, against PyTorch 2.13.

The optimizers: the same float64 network (Linear(4, 8) - Tanh - Linear(8, 3)) from the same
weights in both frameworks, 30 steps on the same mean-squared error, the parameters equal to 1e-10
after every step, for every option and with two parameter groups set differently; a run saved
part-way (through JSON and a dict of arrays, as a checkpoint stores it) and resumed in a new
optimizer must go on as PyTorch's uninterrupted run does; a float32 run must stay close. PyTorch
runs with float64 as its default dtype here: NAdam's running product of momenta lives in a 0-d
tensor of that dtype in PyTorch, a Python float in deltaprop (float32 in PyTorch by default moves
the weights apart in the seventh digit).

The schedules: the learning rates (and the momenta or beta1 that OneCycleLR and CyclicLR cycle)
over 60 steps with two parameter groups, past the end of every schedule, equal to PyTorch's; the
same after a resume with ``last_epoch`` and after a resume from ``state_dict()``.
"""

import json
import re
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn, optim  # noqa: E402
from deltaprop.errors import ConfigError  # noqa: E402
from deltaprop.optim import lr_scheduler  # noqa: E402

STEPS = 30
TOLERANCE = 1e-10



def _models(dtype=np.float64, seed: int = 0):
    """The same network in both frameworks, sharing initial weights."""
    dp.manual_seed(seed)
    ours = nn.Sequential(nn.Linear(4, 8, dtype=dtype), nn.Tanh(), nn.Linear(8, 3, dtype=dtype))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    theirs = theirs.double() if dtype == np.float64 else theirs.float()
    with torch.no_grad():
        for p_theirs, p_ours in zip(theirs.parameters(), ours.parameters(), strict=True):
            p_theirs.copy_(torch.from_numpy(p_ours.data.copy()))
    return ours, theirs


def _params(model, grouped):
    if grouped is None:
        return list(model.parameters())
    return [{"params": list(model[i].parameters()), **options} for i, options in zip((0, 2), grouped, strict=True)]


def _data(dtype=np.float64):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 4)).astype(dtype), rng.normal(size=(16, 3)).astype(dtype)
    return (dp.tensor(x, dtype=dtype), dp.tensor(y, dtype=dtype)), (torch.from_numpy(x), torch.from_numpy(y))


def _step_ours(model, optimizer, batch):
    optimizer.zero_grad()
    loss = nn.MSELoss()(model(batch[0]), batch[1])
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_theirs(model, optimizer, batch):
    optimizer.zero_grad()
    loss = torch.nn.MSELoss()(model(batch[0]), batch[1])
    loss.backward()
    optimizer.step()
    return loss.item()


def _assert_same(ours, theirs, where, rtol=TOLERANCE, atol=TOLERANCE):
    for (name, p_ours), p_theirs in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p_ours.data, p_theirs.detach().numpy(), rtol=rtol, atol=atol, err_msg=f"{name} {where}")


OPTIMIZER_CASES = [
    ("NAdam", {"lr": 0.01}, None),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}, None),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, None),
    ("NAdam", {"lr": 0.02, "momentum_decay": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}, None),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True, "maximize": True}, None),
    ("NAdam", {"lr": 0.01}, [{"lr": 0.03, "decoupled_weight_decay": True, "weight_decay": 0.2}, {"momentum_decay": 0.0}]),
    ("RAdam", {"lr": 0.01}, None),
    ("RAdam", {"lr": 0.01, "betas": (0.9, 0.9)}, None),  # ρ∞ = 19: the rectified step from step 3 on
    ("RAdam", {"lr": 0.01, "betas": (0.9, 0.9), "weight_decay": 0.1}, None),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.1, "decoupled_weight_decay": True}, None),
    ("RAdam", {"lr": 0.01, "betas": (0.9, 0.9), "eps": 1e-4, "maximize": True, "weight_decay": 0.01}, None),
    ("RAdam", {"lr": 0.01}, [{"betas": (0.9, 0.8), "decoupled_weight_decay": True, "weight_decay": 0.3}, {"lr": 0.02}]),
    ("Adamax", {"lr": 0.01}, None),
    ("Adamax", {"lr": 0.02, "weight_decay": 0.1}, None),
    ("Adamax", {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-3, "maximize": True}, None),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.05, "maximize": True}, None),
    ("Adamax", {"lr": 0.01}, [{"lr": 0.05, "betas": (0.7, 0.99)}, {"weight_decay": 0.2}]),
    ("Adadelta", {}, None),
    ("Adadelta", {"lr": 0.5, "rho": 0.5}, None),
    ("Adadelta", {"lr": 1.0, "weight_decay": 0.1, "eps": 1e-4}, None),
    ("Adadelta", {"lr": 2.0, "rho": 0.95, "maximize": True, "weight_decay": 0.01}, None),
    ("Adadelta", {"lr": 1.0}, [{"rho": 0.6, "lr": 3.0}, {"weight_decay": 0.1, "maximize": True}]),
]


def _case_id(case):
    name, options, grouped = case
    words = [f"{key}={value}" for key, value in options.items()]
    return name + "(" + ",".join(words) + ")" + ("-groups" if grouped else "")


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=[_case_id(case) for case in OPTIMIZER_CASES])
def test_trajectory_matches_pytorch(case, torch_float64):
    name, options, grouped = case
    ours, theirs = _models()
    opt_ours = getattr(optim, name)(_params(ours, grouped), **options)
    opt_theirs = getattr(torch.optim, name)(_params(theirs, grouped), **options)
    batch_ours, batch_theirs = _data()
    for step in range(STEPS):
        loss_ours = _step_ours(ours, opt_ours, batch_ours)
        loss_theirs = _step_theirs(theirs, opt_theirs, batch_theirs)
        assert loss_ours == pytest.approx(loss_theirs, rel=TOLERANCE)
        _assert_same(ours, theirs, f"after step {step + 1}")
    start, _ = _models()
    moved = max(float(np.abs(end.data - begin.data).max()) for begin, end in zip(start.parameters(), ours.parameters()))
    assert moved > 1e-3, "the parameters barely moved, so the comparison proved little"


def _through_storage(state: dict):
    """A checkpoint's round trip: arrays into one flat dict, everything else through JSON."""
    arrays = {}

    def strip(value):
        if isinstance(value, np.ndarray):
            arrays[f"a{len(arrays)}"] = value.copy()
            return {"__array__": f"a{len(arrays) - 1}"}
        if isinstance(value, dict):
            return {key: strip(item) for key, item in value.items()}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    def restore(value):
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                return arrays[value["__array__"]]
            return {key: restore(item) for key, item in value.items()}
        if isinstance(value, list):
            return [restore(item) for item in value]
        return value

    return restore(json.loads(json.dumps(strip(state))))


RESUME_CASES = [case for case in OPTIMIZER_CASES if case[2] is not None] + [
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}, None),
    ("RAdam", {"lr": 0.01, "betas": (0.9, 0.9), "weight_decay": 0.1}, None),
]


@pytest.mark.parametrize("case", RESUME_CASES, ids=[_case_id(case) for case in RESUME_CASES])
def test_a_run_resumed_from_its_state_dict_goes_on_as_pytorchs(case, torch_float64):
    name, options, grouped = case
    ours, theirs = _models()
    opt_ours = getattr(optim, name)(_params(ours, grouped), **options)
    opt_theirs = getattr(torch.optim, name)(_params(theirs, grouped), **options)
    batch_ours, batch_theirs = _data()
    for _ in range(12):
        _step_ours(ours, opt_ours, batch_ours)
        _step_theirs(theirs, opt_theirs, batch_theirs)
    saved_model, saved_optimizer = ours.state_dict(), _through_storage(opt_ours.state_dict())

    resumed, _ = _models(seed=5)  # other weights, overwritten by the load
    resumed.load_state_dict(saved_model)
    opt_resumed = getattr(optim, name)(_params(resumed, grouped), lr=0.5)  # options come from the state
    opt_resumed.load_state_dict(saved_optimizer)
    assert opt_resumed.state_dict()["param_groups"] == opt_ours.state_dict()["param_groups"]
    for step in range(12, STEPS):
        _step_ours(resumed, opt_resumed, batch_ours)
        _step_theirs(theirs, opt_theirs, batch_theirs)
        _assert_same(resumed, theirs, f"after step {step + 1} (resumed after step 12)")


@pytest.mark.parametrize(
    "name, options",
    [
        ("NAdam", {"lr": 0.01, "weight_decay": 0.01}),
        ("RAdam", {"lr": 0.01, "betas": (0.9, 0.9)}),
        ("Adamax", {"lr": 0.01, "weight_decay": 0.01}),
        ("Adadelta", {"lr": 1.0, "weight_decay": 0.01}),
    ],
)
def test_a_float32_run_stays_close_to_pytorchs(name, options):
    ours, theirs = _models(np.float32)
    opt_ours = getattr(optim, name)(ours.parameters(), **options)
    opt_theirs = getattr(torch.optim, name)(theirs.parameters(), **options)
    batch_ours, batch_theirs = _data(np.float32)
    for step in range(25):
        _step_ours(ours, opt_ours, batch_ours)
        _step_theirs(theirs, opt_theirs, batch_theirs)
    assert all(p.data.dtype == np.float32 for p in ours.parameters())
    assert all(value.dtype == np.float32 for entry in opt_ours.state.values() for value in entry.values()
               if isinstance(value, np.ndarray))
    _assert_same(ours, theirs, "after 25 float32 steps", rtol=1e-4, atol=1e-5)


# -- learning-rate schedules -------------------------------------------------------------------

EPOCHS = 60


def _two_groups(kind: str = "SGD", **options):
    """The same optimizer over two one-element groups (lr 0.1 and 0.05) in both frameworks."""
    ours = getattr(optim, kind)(
        [{"params": [nn.Parameter(np.zeros(1))]}, {"params": [nn.Parameter(np.zeros(1))], "lr": 0.05}], lr=0.1, **options
    )
    theirs = getattr(torch.optim, kind)(
        [{"params": [torch.zeros(1, requires_grad=True)]}, {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.05}],
        lr=0.1, **options,
    )
    return ours, theirs


def _momenta(optimizer):
    return [group["betas"][0] if "betas" in group else group.get("momentum", 0.0) for group in optimizer.param_groups]


# name: (optimizer kind and options, builder(module, optimizer, **extra)); extra is last_epoch.
SCHEDULER_CASES = {
    "MultiplicativeLR": (("SGD", {}), lambda m, o, **k: m.MultiplicativeLR(o, lambda epoch: 0.95, **k)),
    "MultiplicativeLR-per-group": (
        ("SGD", {}),
        lambda m, o, **k: m.MultiplicativeLR(o, [lambda epoch: 0.9, lambda epoch: 1.0 if epoch % 3 else 0.5], **k),
    ),
    "ConstantLR": (("SGD", {}), lambda m, o, **k: m.ConstantLR(o, factor=0.25, total_iters=7, **k)),
    "LinearLR": (("SGD", {}), lambda m, o, **k: m.LinearLR(o, start_factor=0.1, total_iters=9, **k)),
    "LinearLR-decay": (
        ("SGD", {}), lambda m, o, **k: m.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=20, **k)
    ),
    "PolynomialLR": (("SGD", {}), lambda m, o, **k: m.PolynomialLR(o, total_iters=25, power=2.0, **k)),
    "PolynomialLR-sqrt": (("SGD", {}), lambda m, o, **k: m.PolynomialLR(o, total_iters=13, power=0.5, **k)),
    "CosineAnnealingWarmRestarts": (
        ("SGD", {}), lambda m, o, **k: m.CosineAnnealingWarmRestarts(o, T_0=7, eta_min=0.001, **k)
    ),
    "CosineAnnealingWarmRestarts-T_mult": (
        ("SGD", {}), lambda m, o, **k: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, **k)
    ),
    "CyclicLR-triangular-SGD": (
        ("SGD", {"momentum": 0.9}),
        lambda m, o, **k: m.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4, step_size_down=7, **k),
    ),
    "CyclicLR-triangular2-Adam": (
        ("Adam", {}),
        lambda m, o, **k: m.CyclicLR(
            o, base_lr=[0.001, 0.002], max_lr=0.01, step_size_up=5, mode="triangular2",
            base_momentum=[0.8, 0.85], max_momentum=0.95, **k,
        ),
    ),
    "CyclicLR-exp_range": (
        ("SGD", {}),
        lambda m, o, **k: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.97, cycle_momentum=False, **k),
    ),
    "CyclicLR-scale_fn": (
        ("RMSprop", {"momentum": 0.5}),
        lambda m, o, **k: m.CyclicLR(
            o, 0.01, 0.1, step_size_up=6, scale_fn=lambda x: 1 / (1 + 0.1 * x), scale_mode="iterations", **k
        ),
    ),
    "OneCycleLR-SGD": (("SGD", {"momentum": 0.9}), lambda m, o, **k: m.OneCycleLR(o, max_lr=[1.0, 0.3], total_steps=60, **k)),
    "OneCycleLR-Adam-linear": (
        ("Adam", {}),
        lambda m, o, **k: m.OneCycleLR(
            o, max_lr=0.01, epochs=6, steps_per_epoch=10, pct_start=0.4, anneal_strategy="linear",
            div_factor=10.0, final_div_factor=100.0, **k,
        ),
    ),
    "OneCycleLR-three-phase-NAdam": (
        ("NAdam", {}),
        lambda m, o, **k: m.OneCycleLR(o, max_lr=0.02, total_steps=60, three_phase=True, base_momentum=0.8, **k),
    ),
    "OneCycleLR-no-momentum": (
        ("Adagrad", {}), lambda m, o, **k: m.OneCycleLR(o, max_lr=0.5, total_steps=60, cycle_momentum=False, **k)
    ),
    "SequentialLR-warmup-cosine": (
        ("SGD", {}),
        lambda m, o, **k: m.SequentialLR(
            o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20, eta_min=0.001)],
            milestones=[5], **k,
        ),
    ),
    "SequentialLR-three": (
        ("SGD", {}),
        lambda m, o, **k: m.SequentialLR(
            o, [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.9),
                m.MultiStepLR(o, milestones=[3, 8], gamma=0.5)],
            milestones=[6, 20], **k,
        ),
    ),
    "SequentialLR-recursive-after": (
        ("SGD", {}),
        lambda m, o, **k: m.SequentialLR(
            o, [m.StepLR(o, step_size=2, gamma=0.5), m.MultiplicativeLR(o, lambda epoch: 0.9),
                m.CosineAnnealingWarmRestarts(o, T_0=4), m.PolynomialLR(o, total_iters=8)],
            milestones=[7, 15, 30], **k,
        ),
    ),
    "ChainedScheduler": (
        ("SGD", {}),
        lambda m, o, **k: m.ChainedScheduler([m.ConstantLR(o, factor=0.2, total_iters=4), m.ExponentialLR(o, gamma=0.95)]),
    ),
    "ChainedScheduler-three": (
        ("SGD", {}),
        lambda m, o, **k: m.ChainedScheduler(
            [m.LinearLR(o, start_factor=0.5, total_iters=10), m.StepLR(o, step_size=6, gamma=0.7),
             m.CosineAnnealingLR(o, T_max=15)],
            o,
        ),
    ),
}

_TAKES_LAST_EPOCH = [name for name in SCHEDULER_CASES if not name.startswith(("SequentialLR", "ChainedScheduler"))]


def _run(scheduler, optimizer, steps):
    rates, momenta = [scheduler.get_last_lr()], [_momenta(optimizer)]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr())
        momenta.append(_momenta(optimizer))
    return rates, momenta


def _steps(name):
    # OneCycleLR refuses a step past total_steps (60), as PyTorch does.
    return EPOCHS if name.startswith("OneCycleLR") else EPOCHS + 20


@pytest.mark.parametrize("name", sorted(SCHEDULER_CASES))
def test_schedule_matches_pytorch(name):
    (kind, options), build = SCHEDULER_CASES[name]
    opt_ours, opt_theirs = _two_groups(kind, **options)
    ours, theirs = build(lr_scheduler, opt_ours), build(torch.optim.lr_scheduler, opt_theirs)
    ours_rates, ours_momenta = _run(ours, opt_ours, _steps(name))
    theirs_rates, theirs_momenta = _run(theirs, opt_theirs, _steps(name))
    np.testing.assert_allclose(ours_rates, theirs_rates, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours_momenta, theirs_momenta, rtol=1e-12, atol=1e-15)
    assert [group["lr"] for group in opt_ours.param_groups] == pytest.approx(
        [group["lr"] for group in opt_theirs.param_groups], rel=1e-12
    )
    if hasattr(theirs, "last_epoch"):
        assert ours.last_epoch == theirs.last_epoch
    assert len({tuple(rates) for rates in ours_rates}) > 1, "the schedule never changed the rate"
    if name.startswith(("CyclicLR", "OneCycleLR")) and "no-momentum" not in name and "exp_range" not in name:
        assert len({tuple(momenta) for momenta in ours_momenta}) > 3, "the momentum was not cycled"


@pytest.mark.parametrize("name", _TAKES_LAST_EPOCH)
def test_a_schedule_resumed_with_last_epoch_matches_pytorch(name):
    # PyTorch's way: load the optimizer's state (it carries initial_lr, max_lr, ...), then build the
    # scheduler with last_epoch = the epochs done.
    (kind, options), build = SCHEDULER_CASES[name]
    done = 17
    sequences = []
    for which, module in enumerate((lr_scheduler, torch.optim.lr_scheduler)):
        first = _two_groups(kind, **options)[which]
        scheduler = build(module, first)
        for _ in range(done):
            first.step()
            scheduler.step()
        second = _two_groups(kind, **options)[which]
        second.load_state_dict(first.state_dict())
        resumed = build(module, second, last_epoch=done)
        sequences.append(_run(resumed, second, _steps(name) - done - 1))
    (ours_rates, ours_momenta), (theirs_rates, theirs_momenta) = sequences
    np.testing.assert_allclose(ours_rates, theirs_rates, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours_momenta, theirs_momenta, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(SCHEDULER_CASES))
def test_a_schedule_resumed_from_its_state_dict_goes_on_identically(name):
    (kind, options), build = SCHEDULER_CASES[name]
    total = _steps(name)
    opt_theirs = _two_groups(kind, **options)[1]
    theirs_rates, theirs_momenta = _run(build(torch.optim.lr_scheduler, opt_theirs), opt_theirs, total)

    optimizer = _two_groups(kind, **options)[0]
    scheduler = build(lr_scheduler, optimizer)
    for _ in range(23):
        optimizer.step()
        scheduler.step()
    saved_optimizer = _through_storage(optimizer.state_dict())
    saved_scheduler = json.loads(json.dumps(scheduler.state_dict()))

    optimizer = _two_groups(kind, **options)[0]
    scheduler = build(lr_scheduler, optimizer)  # a fresh schedule, as a new process builds it
    optimizer.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved_scheduler)
    rates, momenta = _run(scheduler, optimizer, total - 23)
    np.testing.assert_allclose(rates, theirs_rates[23:], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(momenta, theirs_momenta[23:], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_at_fractional_epochs_match_pytorch(T_mult):
    opt_ours, opt_theirs = _two_groups()
    ours = lr_scheduler.CosineAnnealingWarmRestarts(opt_ours, T_0=4, T_mult=T_mult, eta_min=0.002)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt_theirs, T_0=4, T_mult=T_mult, eta_min=0.002)
    # a per-batch schedule (epoch + batch / batches), a jump back, a jump far ahead, then plain steps
    epochs = [epoch + batch / 5 for epoch in range(30) for batch in range(5)] + [2, 3.5, 100.25, 41]
    ours_rates, theirs_rates = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's deprecation warning for step(epoch)
        for epoch in epochs:
            ours.step(epoch)
            theirs.step(epoch)
            ours_rates.append(ours.get_last_lr())
            theirs_rates.append(theirs.get_last_lr())
            assert ours.last_epoch == theirs.last_epoch
            assert ours.T_i == theirs.T_i
    for _ in range(10):
        ours.step()
        theirs.step()
        ours_rates.append(ours.get_last_lr())
        theirs_rates.append(theirs.get_last_lr())
    np.testing.assert_allclose(ours_rates, theirs_rates, rtol=1e-12, atol=1e-15)
    assert len({tuple(rates) for rates in ours_rates}) > 40


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")  # torch: no optimizer step here
def test_one_cycle_refuses_a_step_past_its_end_and_changes_nothing():
    opt_ours, opt_theirs = _two_groups("SGD", momentum=0.9)
    ours = lr_scheduler.OneCycleLR(opt_ours, max_lr=0.1, total_steps=10)
    theirs = torch.optim.lr_scheduler.OneCycleLR(opt_theirs, max_lr=0.1, total_steps=10)
    for _ in range(10):
        ours.step()
        theirs.step()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        theirs.step()
    before = (ours.state_dict(), [dict(group, params=None) for group in opt_ours.param_groups])
    with pytest.raises(ConfigError, match=r"OneCycleLR: step 11 is past the end of the schedule \(total_steps=10\)"):
        ours.step()
    assert (ours.state_dict(), [dict(group, params=None) for group in opt_ours.param_groups]) == before


def test_new_optimizers_take_the_cycled_beta1():
    # OneCycleLR cycles beta1 of any optimizer with betas; the step uses the new value.
    for kind in ("NAdam", "RAdam", "Adamax"):
        opt_ours, opt_theirs = _two_groups(kind)
        ours = lr_scheduler.OneCycleLR(opt_ours, max_lr=0.05, total_steps=20)
        theirs = torch.optim.lr_scheduler.OneCycleLR(opt_theirs, max_lr=0.05, total_steps=20)
        for _ in range(20):
            for p, q in zip((p for g in opt_ours.param_groups for p in g["params"]),
                            (q for g in opt_theirs.param_groups for q in g["params"])):
                p.grad = np.array([0.3])
                q.grad = torch.tensor([0.3])
            opt_ours.step()
            opt_theirs.step()
            ours.step()
            theirs.step()
        for g_ours, g_theirs in zip(opt_ours.param_groups, opt_theirs.param_groups):
            assert g_ours["betas"][0] == pytest.approx(g_theirs["betas"][0], rel=1e-12)
            np.testing.assert_allclose(g_ours["params"][0].data, g_theirs["params"][0].detach().numpy(), rtol=1e-6)


# -- a parameter group added after the scheduler was made -------------------------------------------------

ADDED_GROUP_CASES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=2, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[1, 4], gamma=0.5),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.8),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.5, total_iters=5),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=8, power=2.0),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=3),
                                                         m.ExponentialLR(o, gamma=0.9)]),
    "ReduceLROnPlateau": lambda m, o: m.ReduceLROnPlateau(o, factor=0.5, patience=0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=4),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 0.9**epoch),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda epoch: 0.9),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3),
    "CyclicLR": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=20),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=2),
                                                    m.ExponentialLR(o, gamma=0.9)], milestones=[4]),
}
# the schedules that only ever scale the current rates, so that an added group is scaled with the others
FOLLOWS_ADDED_GROUPS = {"StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR", "LinearLR", "PolynomialLR",
                        "ChainedScheduler", "ReduceLROnPlateau"}


def _added_group_run(module, optimizer, scheduler, name):
    """Rates over 2 steps, a group added (lr 0.3), then 12 more steps, up to the error that stops it."""
    step = (lambda: scheduler.step(1.0)) if name == "ReduceLROnPlateau" else scheduler.step
    rates = []
    for i in range(14):
        if i == 2:
            parameter = nn.Parameter(np.zeros(1)) if module is lr_scheduler else torch.zeros(1, requires_grad=True)
            optimizer.add_param_group({"params": [parameter], "lr": 0.3})
        optimizer.step()
        try:
            step()
        except Exception as error:  # noqa: BLE001 - PyTorch's own errors here are zip()'s and KeyError
            return rates, error
        rates.append([group["lr"] for group in optimizer.param_groups])
    return rates, None


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's warnings about the order of step() calls
@pytest.mark.parametrize("name", sorted(ADDED_GROUP_CASES))
def test_a_group_added_after_the_scheduler_is_scaled_or_refused_in_one_sentence(name):
    # Where PyTorch carries an added group along (the schedules that only scale the current rates),
    # the rates are PyTorch's; where PyTorch's schedule fails on it (with zip()'s ValueError or a
    # KeyError, some only after several steps), ours refuses the first step that would need the
    # missing group's values, in one sentence, and changes nothing.
    opt_ours, opt_theirs = _two_groups("SGD", momentum=0.9)
    ours = ADDED_GROUP_CASES[name](lr_scheduler, opt_ours)
    theirs = ADDED_GROUP_CASES[name](torch.optim.lr_scheduler, opt_theirs)
    theirs_rates, theirs_error = _added_group_run(torch.optim.lr_scheduler, opt_theirs, theirs, name)
    if name in FOLLOWS_ADDED_GROUPS:
        assert theirs_error is None
        ours_rates, ours_error = _added_group_run(lr_scheduler, opt_ours, ours, name)
        assert ours_error is None
        assert len(ours_rates) == len(theirs_rates)
        for ours_row, theirs_row in zip(ours_rates, theirs_rates):
            np.testing.assert_allclose(ours_row, theirs_row, rtol=1e-12, atol=1e-15)
        assert len({rates[2] for rates in ours_rates[2:]}) > 1, "the added group's rate never changed"
        return
    assert isinstance(theirs_error, (ValueError, KeyError))
    before = {}

    def remember():
        before["groups"] = [dict(group, params=None) for group in opt_ours.param_groups]
        before["epoch"] = getattr(ours, "last_epoch", None)

    original_step = opt_ours.step

    def step_and_remember():  # the state just before each scheduler step
        original_step()
        remember()

    opt_ours.step = step_and_remember
    ours_rates, ours_error = _added_group_run(lr_scheduler, opt_ours, ours, name)
    assert isinstance(ours_error, ConfigError)
    # (SequentialLR's refusal comes from the schedule it restarts at its milestone, and names that one)
    assert re.match(r"\w+: the optimizer has 3 parameter groups but this schedule was made for 2; ", str(ours_error))
    assert len(ours_rates) <= len(theirs_rates)  # refused no later than PyTorch fails
    for ours_row, theirs_row in zip(ours_rates, theirs_rates):
        np.testing.assert_allclose(ours_row, theirs_row, rtol=1e-12, atol=1e-15)
    assert [dict(group, params=None) for group in opt_ours.param_groups] == before["groups"]
    assert getattr(ours, "last_epoch", None) == before["epoch"]


def _three_groups(module):
    """A fresh optimizer over the groups that ``_added_group_run`` ends with (lr 0.1, 0.05, 0.3)."""
    if module is lr_scheduler:
        return optim.SGD([{"params": [nn.Parameter(np.zeros(1))]}, {"params": [nn.Parameter(np.zeros(1))], "lr": 0.05},
                          {"params": [nn.Parameter(np.zeros(1))], "lr": 0.3}], lr=0.1, momentum=0.9)
    return torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]},
                            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.05},
                            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.3}], lr=0.1, momentum=0.9)


@pytest.mark.filterwarnings("ignore::UserWarning")  # PyTorch's warnings about the order of step() calls
@pytest.mark.parametrize("name", sorted(FOLLOWS_ADDED_GROUPS))
def test_a_schedule_that_followed_an_added_group_saves_and_resumes_as_pytorchs(name):
    # Its state dict keeps the base_lrs of the groups it was made with (fewer than the optimizer's
    # groups now), as PyTorch's does; a fresh schedule over all the groups loads it, as PyTorch's
    # does, and goes on with PyTorch's rates.
    step = {"ReduceLROnPlateau": lambda s, i: s.step(1.0 if i % 3 else 0.5)}.get(name, lambda s, i: s.step())
    saved, rates = {}, {}
    for module, optimizer in zip((lr_scheduler, torch.optim.lr_scheduler), _two_groups("SGD", momentum=0.9)):
        scheduler = ADDED_GROUP_CASES[name](module, optimizer)
        assert _added_group_run(module, optimizer, scheduler, name)[1] is None
        state = scheduler.state_dict()
        saved[module] = json.loads(json.dumps(state))
        optimizer_state = optimizer.state_dict()
        fresh_optimizer = _three_groups(module)
        fresh = ADDED_GROUP_CASES[name](module, fresh_optimizer)
        fresh_optimizer.load_state_dict(_through_storage(optimizer_state) if module is lr_scheduler else optimizer_state)
        fresh.load_state_dict(saved[module] if module is lr_scheduler else state)
        rates[module] = []
        for i in range(10):
            fresh_optimizer.step()
            step(fresh, i)
            rates[module].append([group["lr"] for group in fresh_optimizer.param_groups])
    ours, theirs = saved[lr_scheduler], saved[torch.optim.lr_scheduler]
    inner = ours.get("_schedulers", [ours])  # ChainedScheduler: its schedules' own
    inner_theirs = theirs.get("_schedulers", [theirs])
    for state, expected in zip(inner, inner_theirs):
        for key in ("base_lrs", "last_epoch", "_last_lr", "min_lrs"):
            if key in expected:
                np.testing.assert_allclose(state[key], expected[key], rtol=1e-12, atol=1e-15, err_msg=key)
    if "base_lrs" in inner_theirs[0]:
        assert len(inner_theirs[0]["base_lrs"]) == 2  # PyTorch's, which we match
    np.testing.assert_allclose(rates[lr_scheduler], rates[torch.optim.lr_scheduler], rtol=1e-12, atol=1e-15)
    if name in ("StepLR", "ExponentialLR", "ChainedScheduler", "ReduceLROnPlateau"):  # the others have settled
        assert len({row[2] for row in rates[lr_scheduler]}) > 1, "the added group's rate never changed after the resume"
