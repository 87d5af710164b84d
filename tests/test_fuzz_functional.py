"""Random calls of the losses and of nn.functional agree with PyTorch: a slice of
scripts/fuzz_functional.py's calls, drawn from fixed seeds."""

import sys
from pathlib import Path

import numpy as np
import pytest

import deltaprop as dp

sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))

import functional_cases  # noqa: E402
import functional_oracle  # noqa: E402

SEEDS = range(300)


@pytest.mark.filterwarnings("ignore")
def test_seeded_calls_agree_with_pytorch():
    verdicts, mismatches = {}, []
    for seed in SEEDS:
        case = functional_cases.draw_case(seed)
        verdict, problems = functional_oracle.compare(case, dp)
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        if verdict == "mismatch":
            mismatches.append(f"seed {seed}: {problems[0]}\n{functional_oracle.reproducer(case)}")
    assert not mismatches, "\n\n".join(mismatches)
    assert verdicts.get("agree", 0) >= len(SEEDS) * 3 // 4, verdicts  # most calls run in both and agree


def test_the_oracle_sees_a_wrong_gradient(monkeypatch):
    # The check can fail: an mse_loss whose gradient is off by a factor shows as a grad mismatch.
    case = functional_cases.Case("mse_loss", {"x0": (np.array([0.3, -1.2]), True), "x1": (np.array([1.0, 0.5]), False)},
                                 ["x0", "x1"], {"reduction": "'sum'"})
    assert functional_oracle.compare(case, dp) == ("agree", [])
    real = dp.nn.functional.mse_loss
    monkeypatch.setattr(dp.nn.functional, "mse_loss", lambda x, y, **k: real(x, y, **k) + 1e-6 * (x - x.detach()).sum())
    verdict, problems = functional_oracle.compare(case, dp)
    assert verdict == "mismatch" and problems[0][0] == "grad"


def test_the_oracle_sees_a_missing_refusal(monkeypatch):
    # ... and a call PyTorch refuses (a class label out of range) that deltaprop would take.
    case = functional_cases.Case("nll_loss", {"x0": (np.array([[0.3, -1.2]]), True), "x1": (np.array([2]), False)},
                                 ["x0", "x1"], {})
    assert functional_oracle.compare(case, dp) == ("both refused", [])
    monkeypatch.setattr(dp.nn.functional, "nll_loss", lambda x, y, **k: x.sum())
    verdict, problems = functional_oracle.compare(case, dp)
    assert verdict == "mismatch" and problems[0][0] == "refused by PyTorch only"
