"""Random configurations of nn layers agree with PyTorch: a seeded slice of scripts/fuzz_layers.py's
cases (values, gradients of the input and the parameters, the state after the calls, refusals)."""

import sys
from pathlib import Path

import pytest

import deltaprop as dp

sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))

import layer_cases  # noqa: E402
import layer_oracle  # noqa: E402

SEEDS = range(150)


@pytest.mark.filterwarnings("ignore")
def test_seeded_layer_cases_agree_with_pytorch():
    verdicts, mismatches = {}, []
    for seed in SEEDS:
        case = layer_cases.draw_case(seed)
        verdict, problems = layer_oracle.compare(case, dp)
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        if verdict == "mismatch":
            mismatches.append(f"seed {seed}: {problems[0]}\n{layer_oracle.reproducer(case)}")
    assert not mismatches, "\n\n".join(mismatches)
    assert verdicts.get("agree", 0) >= len(SEEDS) * 2 // 3, verdicts  # most cases run to the end in both


@pytest.mark.filterwarnings("ignore")
def test_the_oracle_sees_a_wrong_gradient_and_a_wrong_running_mean(monkeypatch):
    # The check can fail: a batch norm whose running mean moves by the wrong momentum shows as a
    # state mismatch, and a linear layer whose weight gradient is off as a parameter grad mismatch.
    spec = dict(layer_cases.NORM_DEFAULTS, family="norm", kind="batch", d=1, size=[3], channels=2, batch=3,
                train=True, seed=5)
    case = layer_cases.build(spec)
    assert layer_oracle.compare(case, dp) == ("agree", [])
    real_init = dp.nn.BatchNorm1d.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.momentum = 0.2

    monkeypatch.setattr(dp.nn.BatchNorm1d, "__init__", init)
    verdict, problems = layer_oracle.compare(case, dp)
    assert verdict == "mismatch" and problems[0][0] == "state after", problems

    spec = dict(layer_cases.ACT_DEFAULTS, family="activation", layer="nn.Linear({features}, 2, bias=True)",
                shape=[3, 4], dim=0, seed=1)
    case = layer_cases.build(spec)
    assert layer_oracle.compare(case, dp) == ("agree", [])
    real = dp.nn.functional.linear
    monkeypatch.setattr(dp.nn.functional, "linear", lambda x, w, b=None: real(x, w * 1.001, b))
    verdict, problems = layer_oracle.compare(case, dp)
    assert verdict == "mismatch", problems
