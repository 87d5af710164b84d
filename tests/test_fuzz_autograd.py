"""Random autograd programs (chains of operations, views, in-place changes, hooks) agree with
PyTorch: a few dozen of scripts/fuzz_autograd.py's programs, drawn from fixed seeds."""

import sys
from pathlib import Path

import pytest

import deltaprop as dp

sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))

import autograd_oracle  # noqa: E402
import autograd_programs  # noqa: E402

SEEDS = range(100)


@pytest.mark.filterwarnings("ignore")
def test_seeded_programs_agree_with_pytorch():
    verdicts, mismatches = {}, []
    for seed in SEEDS:
        program = autograd_programs.draw_program(seed)
        verdict, problems = autograd_oracle.compare(program, dp)
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        if verdict == "mismatch":
            mismatches.append(f"seed {seed}: {problems[0]}\n{autograd_oracle.reproducer(program)}")
    assert not mismatches, "\n\n".join(mismatches)
    assert verdicts.get("agree", 0) >= len(SEEDS) // 2, verdicts  # most programs run to the end in both


def test_the_oracle_sees_a_wrong_gradient(monkeypatch):
    # The check can fail: a tanh whose gradient rule is off by a factor shows as a leaf grad mismatch.
    program = autograd_programs.Program({"x0": (autograd_programs.np.array([0.3, -1.2]), True)})
    program.steps.append(autograd_programs.Step("unary:tanh", "v0 = T.tanh(x0)", "v0"))
    assert autograd_oracle.compare(program, dp) == ("agree", [])
    real = dp.tanh
    monkeypatch.setattr(dp, "tanh", lambda x: real(x) * 1.0 + (x - x.detach()) * 1e-6)
    verdict, problems = autograd_oracle.compare(program, dp)
    assert verdict == "mismatch" and problems[0][0] == "leaf grad"
