"""Bugs found by scripts/fuzz_optim.py (random training runs of the optimizers and schedules against
PyTorch), each as the smallest run that showed it, compared with PyTorch 2.13."""

import numpy as np
import pytest
import torch

import deltaprop as dp

# (PyTorch warns of a schedule stepped before its optimizer, which these runs do on purpose)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

P0 = np.array([0.5, -1.0, 2.0])
P1 = np.array([[0.3, -0.7]])


def _params(T, *arrays):
    return [T.tensor(a, dtype=T.float64, requires_grad=True) for a in arrays]


def _plain(value):
    """A state-dict value of either library as NumPy arrays and floats."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        value = value.detach().numpy()
    if isinstance(value, dp.Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        return float(value) if value.ndim == 0 else value
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _assert_same(ours, theirs):
    ours, theirs = _plain(ours), _plain(theirs)
    if isinstance(theirs, dict):
        assert ours.keys() == theirs.keys()
        for key in theirs:
            _assert_same(ours[key], theirs[key])
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    elif isinstance(theirs, (np.ndarray, float)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    else:
        assert ours == theirs


def test_adagrad_has_its_state_from_construction():
    # PyTorch's Adagrad gives every parameter its state (step 0, the accumulator at
    # initial_accumulator_value) when it is made, so a state dict saved before any step holds it;
    # deltaprop's made it at the first step, and its state dict then was empty.
    saved = {}
    for T in (torch, dp):
        p0, p1 = _params(T, P0, P1)
        saved[T.__name__] = T.optim.Adagrad([p0, p1], lr=0.1, initial_accumulator_value=0.25).state_dict()["state"]
    _assert_same(saved["deltaprop"], saved["torch"])


def test_cosine_warm_restarts_counts_no_steps():
    # PyTorch's CosineAnnealingWarmRestarts.step never adds to _step_count (0 in its state dict,
    # whatever the steps); deltaprop's counted them.
    counts = {}
    for T in (torch, dp):
        opt = T.optim.SGD(_params(T, P0), lr=0.1)
        sched = T.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
        sched.step()
        sched.step(2.5)
        counts[T.__name__] = (sched.state_dict()["_step_count"], sched.get_last_lr())
    _assert_same(counts["deltaprop"], counts["torch"])


def _plateau_after_added_group(T, metrics, min_lr):
    p0, p1 = _params(T, P0, P1)
    opt = T.optim.Adam([p0], lr=0.1)
    sched = T.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, min_lr=min_lr)
    opt.add_param_group({"params": [p1], "lr": 0.05})
    seen = []
    for metric in metrics:
        try:
            sched.step(metric)
        except Exception as error:  # noqa: BLE001 - where each library refuses is compared
            seen.append(type(error).__name__)
            break
        seen.append((list(sched.state_dict()["min_lrs"]), sched.get_last_lr()))
    return seen


@pytest.mark.parametrize("min_lr", [0.001, [0.001]])
def test_reduce_on_plateau_takes_up_an_added_group_at_its_reduction(min_lr):
    # PyTorch's ReduceLROnPlateau gives a group added since it was made (add_param_group) its
    # min_lr when it reduces the rates, and refuses (a min_lr per group given) only then; deltaprop
    # did both at the first step after the group came, so its state dict and refusals differed.
    metrics = [1.0, 2.0, 2.0, 2.0]
    theirs = _plateau_after_added_group(torch, metrics, min_lr)
    ours = _plateau_after_added_group(dp, metrics, min_lr)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if isinstance(b, str):
            assert isinstance(a, str)  # refused at the same step (RuntimeError; here a ConfigError)
        else:
            _assert_same(a, b)


def test_a_schedule_state_saved_after_an_added_group_loads():
    # A ReduceLROnPlateau saved after add_param_group and before its next step holds the rates of
    # the groups it was made with: PyTorch loads it into a fresh schedule over all the groups;
    # deltaprop refused it (a _last_lr per group).
    out = {}
    for T in (torch, dp):
        p0, p1 = _params(T, P0, P1)
        opt = T.optim.SGD([p0], lr=0.1)
        sched = T.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
        opt.add_param_group({"params": [p1]})
        saved = sched.state_dict()
        sched = T.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
        sched.load_state_dict(saved)
        sched.step(1.0)
        sched.step(2.0)
        out[T.__name__] = sched.get_last_lr()
    _assert_same(out["deltaprop"], out["torch"])


@pytest.mark.parametrize("kind", ["OneCycleLR", "CyclicLR"])
def test_a_momentum_cycle_state_loads_into_a_schedule_made_without(kind):
    # A OneCycleLR or CyclicLR saved with cycle_momentum=True holds entries (use_beta1, the
    # momentum bounds) that one made with cycle_momentum=False lacks: PyTorch loads it (and cycles
    # the momentum from then on), deltaprop refused it as another scheduler's.
    out = {}
    for T in (torch, dp):
        opt = T.optim.SGD(_params(T, P0), lr=0.1, momentum=0.9)
        make = getattr(T.optim.lr_scheduler, kind)
        options = dict(max_lr=1.0, total_steps=6) if kind == "OneCycleLR" else dict(base_lr=0.01, max_lr=0.1,
                                                                                    step_size_up=2)
        sched = make(opt, **options)
        sched.step()
        saved = sched.state_dict()
        sched = make(opt, cycle_momentum=False, **options)
        sched.load_state_dict(saved)
        sched.step()
        out[T.__name__] = (sched.get_last_lr(), opt.param_groups[0]["momentum"])
    _assert_same(out["deltaprop"], out["torch"])


def test_a_group_added_after_a_load_has_pytorch_options():
    # PyTorch's load_state_dict gives an optimizer's defaults a 'differentiable' (False) where it
    # had none (Adafactor), so a group added afterwards holds it; deltaprop's lacked it.
    groups = {}
    for T in (torch, dp):
        p0, p1 = _params(T, P0, P1)
        opt = T.optim.Adafactor([p0])
        opt.load_state_dict(opt.state_dict())
        opt.add_param_group({"params": [p1], "lr": 0.01})
        groups[T.__name__] = sorted(opt.state_dict()["param_groups"][1])
    assert groups["deltaprop"] == groups["torch"]


def test_a_saved_negative_learning_rate_loads():
    # OneCycleLR's linear anneal ends below zero at its last step (in PyTorch too); the optimizer's
    # state dict then holds a negative lr, which PyTorch loads back and deltaprop refused.
    out = {}
    for T in (torch, dp):
        p0 = _params(T, P0)
        opt = T.optim.Adagrad(p0)
        sched = T.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3, anneal_strategy="linear",
                                                  cycle_momentum=False)
        for _ in range(3):
            sched.step()
        fresh = T.optim.Adagrad(p0)
        fresh.load_state_dict(opt.state_dict())
        out[T.__name__] = [group["lr"] for group in fresh.param_groups]
    assert out["torch"][0] < 0
    _assert_same(out["deltaprop"], out["torch"])


def test_a_loaded_state_still_refuses_a_bad_option():
    # (the other options of a loaded group are still checked, as before)
    p0 = _params(dp, P0)
    opt = dp.optim.Adagrad(p0)
    saved = opt.state_dict()
    saved["param_groups"][0]["lr_decay"] = -1.0
    with pytest.raises(dp.errors.ConfigError, match="lr_decay"):
        dp.optim.Adagrad(p0).load_state_dict(saved)



# PyTorch's running averages are lerp_(start, end, w), which computes from the far end when w ≥ ½:
# end − (end − start)·(1 − w), exactly `end` at w = 1. deltaprop computed start + w·(end − start)
# throughout, which at w near 1 keeps the rounding of a large `start` that the new value cancels:
# in float32 a first moment of 105.9 followed by a gradient of 0.016 (Adam with β₁ = 0) came out
# 0.01613 where PyTorch's is 0.016125 (found on Adam's exp_avg and Adafactor's variance).
LERPED = {
    "Adam": (dict(betas=(0.0, 0.99)), "exp_avg", (3,)),
    "AdamW": (dict(betas=(0.0, 0.99)), "exp_avg", (3,)),
    "NAdam": (dict(betas=(0.0, 0.99)), "exp_avg", (3,)),
    "RAdam": (dict(betas=(0.0, 0.9)), "exp_avg", (3,)),
    "Adamax": (dict(betas=(0.0, 0.99)), "exp_avg", (3,)),
    "Adafactor": (dict(beta2_decay=0.0), "variance", (3,)),
    "Adafactor-matrix": (dict(beta2_decay=0.0), "row_var", (2, 3)),
    "Muon": (dict(momentum=0.0, nesterov=True), "momentum_buffer", (2, 3)),
}


@pytest.mark.parametrize("name", sorted(LERPED))
def test_running_averages_are_rounded_as_pytorchs_lerp(name):
    options, entry, shape = LERPED[name]
    big = np.resize([-105.9, 118.5, 91.3], shape)
    small = np.resize([0.0161, -3.3, 0.0027], shape)
    out = {}
    for T in (torch, dp):
        p = T.tensor(np.resize([1.176, -0.062, -0.657], shape), dtype=T.float32, requires_grad=True)
        opt = getattr(T.optim, name.split("-")[0])([p], lr=0.01, **options)
        for g in (big, small):
            p.grad = torch.tensor(g, dtype=torch.float32) if T is torch else g.astype(np.float32)
            opt.step()
        # (not Muon's parameters: PyTorch's Newton–Schulz iteration runs in bfloat16, porting.md)
        out[T.__name__] = (_plain(opt.state_dict()["state"][0][entry]),) + ((_plain(p),) if name != "Muon" else ())
    for ours, theirs in zip(out["deltaprop"], out["torch"], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=1e-6)
