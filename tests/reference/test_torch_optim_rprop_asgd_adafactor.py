"""Rprop, ASGD and Adafactor against PyTorch 2.13's, step by step.

The harness of test_torch_optim_more.py: the same float64 network (Linear(4, 8) - Tanh -
Linear(8, 3)) from the same weights in both frameworks, 30 steps on the same mean-squared error,
the parameters equal to 1e-10 after every step, for every option (weight decay and maximize where
PyTorch has them) and with two parameter groups set differently; a run saved part-way (through
JSON and a dict of arrays) and resumed in a new optimizer goes on as PyTorch's uninterrupted run;
a float32 run stays close. Adafactor's factored statistics are checked on a stack of matrices too.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the reference these tests compare against")

from deltaprop import nn, optim  # noqa: E402
from test_torch_optim_more import (  # noqa: E402
    STEPS, TOLERANCE, _assert_same, _case_id, _data, _models, _params, _step_ours, _step_theirs, _through_storage,
)



CASES = [
    ("Rprop", {}, None),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.1)}, None),
    ("Rprop", {"lr": 0.02, "maximize": True}, None),
    ("Rprop", {"lr": 0.01}, [{"etas": (0.6, 1.1)}, {"lr": 0.03, "step_sizes": (1e-4, 0.02)}]),
    ("ASGD", {"lr": 0.05}, None),
    ("ASGD", {"lr": 0.05, "t0": 10, "lambd": 0.01, "alpha": 0.5}, None),  # averaging from step 11 on
    ("ASGD", {"lr": 0.05, "weight_decay": 0.1, "t0": 5}, None),
    ("ASGD", {"lr": 0.02, "weight_decay": 0.05, "maximize": True, "t0": 3}, None),
    ("ASGD", {"lr": 0.05}, [{"lambd": 0.1, "t0": 4}, {"lr": 0.1, "weight_decay": 0.2}]),
    ("Adafactor", {}, None),
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "d": 1.5}, None),
    ("Adafactor", {"lr": 0.05, "eps": (1e-4, 1e-2), "weight_decay": 0.1}, None),
    ("Adafactor", {"lr": 0.02, "weight_decay": 0.05, "maximize": True}, None),
    ("Adafactor", {"lr": 0.01}, [{"lr": 0.05, "d": 2.0}, {"eps": (1e-6, 1e-3), "weight_decay": 0.2}]),
]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
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
    if name == "ASGD":  # the running average, the method's point, is PyTorch's too
        for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(opt_ours.state[p_ours]["ax"], opt_theirs.state[p_theirs]["ax"].numpy(),
                                       rtol=TOLERANCE, atol=TOLERANCE)
            assert opt_ours.state[p_ours]["eta"] == pytest.approx(float(opt_theirs.state[p_theirs]["eta"]), rel=1e-12)
    start, _ = _models()
    moved = max(float(np.abs(end.data - begin.data).max()) for begin, end in zip(start.parameters(), ours.parameters()))
    assert moved > 1e-3, "the parameters barely moved, so the comparison proved little"


RESUME_CASES = [case for case in CASES if case[2] is not None] + [
    ("Rprop", {"lr": 0.05, "maximize": True}, None),
    ("ASGD", {"lr": 0.05, "t0": 8, "weight_decay": 0.1}, None),
    ("Adafactor", {"lr": 0.05, "weight_decay": 0.1}, None),
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
    resumed, _ = _models(seed=5)
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
        ("Rprop", {"lr": 0.01, "maximize": True}),
        ("ASGD", {"lr": 0.05, "weight_decay": 0.01, "t0": 5}),
        ("Adafactor", {"lr": 0.05, "weight_decay": 0.01}),
    ],
)
def test_a_float32_run_stays_close_to_pytorchs(name, options):
    ours, theirs = _models(np.float32)
    opt_ours = getattr(optim, name)(ours.parameters(), **options)
    opt_theirs = getattr(torch.optim, name)(theirs.parameters(), **options)
    batch_ours, batch_theirs = _data(np.float32)
    for _ in range(20):
        _step_ours(ours, opt_ours, batch_ours)
        _step_theirs(theirs, opt_theirs, batch_theirs)
    assert all(p.data.dtype == np.float32 for p in ours.parameters())
    assert all(value.dtype == np.float32 for entry in opt_ours.state.values() for value in entry.values()
               if isinstance(value, np.ndarray))
    _assert_same(ours, theirs, "after 20 float32 steps", rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 4, 5), (6,), ()], ids=["stack-of-matrices", "vector", "scalar"])
def test_adafactor_statistics_of_any_shape_match_pytorchs(shape, torch_float64):
    rng = np.random.default_rng(4)
    start = rng.normal(size=shape)
    ours, theirs = nn.Parameter(start.copy()), torch.tensor(start.copy(), requires_grad=True)
    opt_ours = optim.Adafactor([ours], lr=0.05, weight_decay=0.01)
    opt_theirs = torch.optim.Adafactor([theirs], lr=0.05, weight_decay=0.01)
    for _ in range(8):
        g = rng.normal(size=shape)
        ours.grad, theirs.grad = g.copy(), torch.tensor(g)
        opt_ours.step()
        opt_theirs.step()
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE)
    fields = ("row_var", "col_var") if len(shape) > 1 else ("variance",)
    for field in fields:
        np.testing.assert_allclose(opt_ours.state[ours][field], opt_theirs.state[theirs][field].numpy(), rtol=1e-12)
    saved = _through_storage(opt_ours.state_dict())
    fresh = optim.Adafactor([nn.Parameter(start.copy())])
    fresh.load_state_dict(saved)  # reduced shapes are accepted where they belong
    assert {field: fresh.state[fresh.param_groups[0]["params"][0]][field].shape for field in fields} == {
        field: opt_ours.state[ours][field].shape for field in fields}
