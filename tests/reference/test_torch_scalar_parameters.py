"""0-d (scalar) parameters against PyTorch 2.13: every optimizer's trajectory, and gradient clipping.

A 0-d float64 parameter p whose gradient arrives by two paths, loss (p − 3)·p, alone and beside
ordinary parameters (a linear model whose output a learnable 0-d temperature scales, plus a 0-d
bias and an L2 term on the temperature): the same start in both frameworks, 10 steps, parameters
equal to 1e-10 after every step and the optimizers' array states equal at the end. NumPy arithmetic
on 0-d arrays gives NumPy scalars, which once made ``.grad`` a scalar after two paths (SGD's momentum
buffer then stopped accumulating, clipping failed) and made eight optimizers fail outright.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

import deltaprop as dp  # noqa: E402
from deltaprop import nn, optim  # noqa: E402

STEPS = 10
TOLERANCE = 1e-10



CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "nesterov": True, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True, "maximize": True, "weight_decay": 0.01}),
    ("AdamW", {"lr": 0.1}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.1}),
    ("NAdam", {"lr": 0.1, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {"lr": 0.1}),
    ("RAdam", {"lr": 0.1, "betas": (0.9, 0.9)}),  # ρ∞ = 19: the rectified step from step 6 on
    ("RAdam", {"lr": 0.1, "betas": (0.9, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.1, "betas": (0.9, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("Adamax", {"lr": 0.1}),
    ("Adamax", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "weight_decay": 0.01, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.1, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.05, "maximize": True, "eps": 1e-6}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 1.0, "rho": 0.8, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 2.0, "maximize": True}),
    ("Rprop", {"lr": 0.01}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.1)}),
    ("Rprop", {"lr": 0.02, "maximize": True}),
    ("ASGD", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "t0": 3, "lambd": 0.01, "alpha": 0.5, "weight_decay": 0.1}),  # averaging from step 4
    ("ASGD", {"lr": 0.02, "maximize": True, "t0": 2}),
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "d": 1.5}),
    ("Adafactor", {"lr": 0.05, "eps": (1e-4, 1e-2), "weight_decay": 0.1}),
    ("Adafactor", {"lr": 0.02, "weight_decay": 0.05, "maximize": True}),
]


def _case_id(case):
    name, options = case
    return name + "(" + ",".join(f"{key}={value}" for key, value in options.items()) + ")"


def test_every_optimizer_has_a_case():
    names = {name for name in optim.__all__ if name not in ("Optimizer", "lr_scheduler", "LBFGS", "Muon", "SparseAdam")}
    # (LBFGS, which takes a closure, has its own test; Muon takes matrices only and SparseAdam a
    # table's rows: tests/reference/test_torch_optim_muon_sparse.py)
    assert names == {name for name, _ in CASES}


# -- the two problems: (parameters, loss of them) in each framework --------------------------------


def _two_paths(p):
    return (p - 3.0) * p  # dL/dp = 2p − 3, from both factors


def _scalar_problem():
    ours = [nn.Parameter(dp.tensor(np.array(1.0), dtype=np.float64))]
    theirs = [torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))]
    return ours, theirs, lambda: _two_paths(ours[0]), lambda: _two_paths(theirs[0])


def _mixed_loss(w, b, t, x, y):
    """A linear model scaled by a temperature t, with a bias b (both 0-d): t's gradient arrives from
    the data term and from its L2 term, b's from every sample."""
    r = (x @ w) * t + b - y
    return (r * r).mean() + t * t * 0.1


def _mixed_problem():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=8)
    start = [rng.normal(size=3), np.array(0.5), np.array(1.5)]  # w, b, t
    ours = [nn.Parameter(dp.tensor(value, dtype=np.float64)) for value in start]
    theirs = [torch.nn.Parameter(torch.tensor(value, dtype=torch.float64)) for value in start]
    data_ours = dp.tensor(x, dtype=np.float64), dp.tensor(y, dtype=np.float64)
    data_theirs = torch.from_numpy(x), torch.from_numpy(y)
    return ours, theirs, lambda: _mixed_loss(*ours, *data_ours), lambda: _mixed_loss(*theirs, *data_theirs)


PROBLEMS = {"scalar": _scalar_problem, "scalar-beside-others": _mixed_problem}


def _assert_same(ours, theirs, where):
    for i, (p_ours, p_theirs) in enumerate(zip(ours, theirs, strict=True)):
        assert type(p_ours.data) is np.ndarray and p_ours.data.shape == tuple(p_theirs.shape)
        np.testing.assert_allclose(p_ours.data, p_theirs.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=f"parameter {i} {where}")


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
def test_trajectory_matches_pytorch(case, problem, torch_float64):
    name, options = case
    ours, theirs, loss_ours, loss_theirs = PROBLEMS[problem]()
    start = [p.data.copy() for p in ours]
    opt_ours, opt_theirs = getattr(optim, name)(ours, **options), getattr(torch.optim, name)(theirs, **options)
    for step in range(STEPS):
        opt_ours.zero_grad()
        opt_theirs.zero_grad()
        value_ours, value_theirs = loss_ours(), loss_theirs()
        value_ours.backward()
        value_theirs.backward()
        for p in ours:
            assert type(p.grad) is np.ndarray and p.grad.shape == p.data.shape
        opt_ours.step()
        opt_theirs.step()
        assert value_ours.item() == pytest.approx(value_theirs.item(), rel=TOLERANCE, abs=TOLERANCE)
        _assert_same(ours, theirs, f"after step {step + 1}")
    for i, (p_ours, p_theirs) in enumerate(zip(ours, theirs, strict=True)):
        compared = 0
        for field, value in opt_ours.state.get(p_ours, {}).items():
            reference = opt_theirs.state[p_theirs].get(field)
            if isinstance(value, np.ndarray) and isinstance(reference, torch.Tensor):
                assert value.shape == tuple(reference.shape)
                np.testing.assert_allclose(value, reference.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                           err_msg=f"state {field!r} of parameter {i}")
                compared += 1
        assert compared or not any(isinstance(value, np.ndarray) for value in opt_ours.state.get(p_ours, {}).values())
    moved = max(float(np.abs(p.data - s).max()) for p, s in zip(ours, start))
    assert moved > 1e-3, "the parameters barely moved, so the comparison proved little"


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("options", [{"lr": 0.5, "max_iter": 5}, {"lr": 1, "max_iter": 5, "line_search_fn": "strong_wolfe"}],
                         ids=["fixed-step", "strong-wolfe"])
def test_lbfgs_matches_pytorch(problem, options):
    ours, theirs, loss_ours, loss_theirs = PROBLEMS[problem]()
    opt_ours, opt_theirs = optim.LBFGS(ours, **options), torch.optim.LBFGS(theirs, **options)

    def closure_ours():
        opt_ours.zero_grad()
        value = loss_ours()
        value.backward()
        return value

    def closure_theirs():
        opt_theirs.zero_grad()
        value = loss_theirs()
        value.backward()
        return value

    for step in range(3):
        value_ours, value_theirs = opt_ours.step(closure_ours), opt_theirs.step(closure_theirs)
        assert value_ours.item() == pytest.approx(value_theirs.item(), rel=1e-9, abs=1e-12)
        _assert_same(ours, theirs, f"after step {step + 1}")
    if problem == "scalar":
        assert ours[0].item() == pytest.approx(1.5, abs=1e-6)  # the minimum of (p − 3)·p


# -- clipping --------------------------------------------------------------------------------------


def _backward_both(problem):
    ours, theirs, loss_ours, loss_theirs = PROBLEMS[problem]()
    loss_ours().backward()
    loss_theirs().backward()
    return ours, theirs


def _assert_same_grads(ours, theirs):
    for i, (p_ours, p_theirs) in enumerate(zip(ours, theirs, strict=True)):
        assert type(p_ours.grad) is np.ndarray and p_ours.grad.shape == tuple(p_theirs.grad.shape)
        np.testing.assert_allclose(p_ours.grad, p_theirs.grad.numpy(), rtol=1e-12, atol=1e-12,
                                   err_msg=f"gradient of parameter {i}")


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0], ids=["clipped", "unchanged"])
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_clip_grad_norm_matches_pytorch(problem, max_norm, norm_type):
    ours, theirs = _backward_both(problem)
    total_ours = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total_ours.item() == pytest.approx(total_theirs.item(), rel=1e-12)
    assert total_ours.item() > 0.5  # so that max_norm 0.5 does clip
    _assert_same_grads(ours, theirs)


@pytest.mark.parametrize("clip_value", [0.3, 100.0], ids=["clipped", "unchanged"])
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_clip_grad_value_matches_pytorch(problem, clip_value):
    ours, theirs = _backward_both(problem)
    nn.utils.clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _assert_same_grads(ours, theirs)
