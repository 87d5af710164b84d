"""Random training runs of the optimizers and schedules agree with PyTorch after every event: a
slice of scripts/fuzz_optim.py's runs, drawn from fixed seeds."""

import sys
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp

sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))

import optim_oracle  # noqa: E402
import optim_runs  # noqa: E402

SEEDS = range(150)


@pytest.mark.filterwarnings("ignore")
def test_seeded_runs_agree_with_pytorch():
    verdicts, mismatches = {}, []
    for seed in SEEDS:
        run = optim_runs.draw_run(seed)
        verdict, problems = optim_oracle.compare(run, dp)
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        if verdict == "mismatch":
            mismatches.append(f"seed {seed}: {problems[0]}\n{optim_oracle.reproducer(run)}")
    assert not mismatches, "\n\n".join(mismatches)
    assert verdicts.get("agree", 0) >= len(SEEDS) * 2 // 3, verdicts  # most runs go to the end in both


def _adam_run(extra=""):
    run = optim_runs.Run(params=["p0"])
    run.events += [
        optim_runs.Event("params", "p0 = T.tensor(np.array([0.5, -1.0]), dtype=T.float64, requires_grad=True)"),
        optim_runs.Event("optimizer", f"opt = T.optim.Adam([p0], lr=0.1{extra})"),
        optim_runs.Event("grad", "p0.grad = G([0.3, -0.2])"),
        optim_runs.Event("step", "opt.step()"),
        optim_runs.Event("grad", "p0.grad = G([0.1, 0.4])"),
        optim_runs.Event("step", "opt.step()"),
    ]
    return run


@pytest.mark.filterwarnings("ignore")
def test_the_oracle_sees_a_wrong_update_and_a_missed_refusal(monkeypatch):
    # The checks can fail: an Adam whose step is off by a part in 1e8 shows as a parameter
    # mismatch, and an Adam that takes a negative learning rate as a refusal by PyTorch only.
    assert optim_oracle.compare(_adam_run(), dp) == ("agree", [])
    real = dp.optim.Adam.step

    def off(self, closure=None):
        out = real(self, closure)
        for group in self.param_groups:
            for p in group["params"]:
                p.data *= 1 + 1e-8
        return out

    monkeypatch.setattr(dp.optim.Adam, "step", off)
    verdict, problems = optim_oracle.compare(_adam_run(), dp)
    assert verdict == "mismatch" and problems[0][0] == "parameter", problems
    monkeypatch.setattr(dp.optim.Adam, "step", real)
    monkeypatch.setattr(dp.optim.Adam, "_check_options", lambda self, options, where: None)
    verdict, problems = optim_oracle.compare(_adam_run(", eps=-1.0"), dp)
    assert verdict == "mismatch" and problems[0][0] == "refused by PyTorch only (optimizer)", problems


def test_the_drawn_runs_cover_the_optimizers_and_schedules():
    runs = [optim_runs.draw_run(seed) for seed in SEEDS]
    optimizers = {run.optimizer_name() for run in runs}
    schedules = {run.scheduler_name() for run in runs} - {None}
    assert set(optim_runs.OPTIMIZERS) | {"LBFGS"} <= optimizers, optimizers
    assert len(schedules) >= 12, schedules
    assert np.mean([len(run.events) for run in runs]) > 10
