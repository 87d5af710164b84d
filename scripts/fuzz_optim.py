"""Differential fuzzing of optimizers and learning-rate schedules: random training runs, deltaprop against PyTorch.

    python scripts/fuzz_optim.py --examples 2000 --seed 0

Each run makes 1-3 float64 parameters of small shapes in one or two parameter groups, builds one of
the optimizers both libraries offer (SGD, Adam, AdamW, NAdam, RAdam, Adamax, Adagrad, Adadelta,
RMSprop, Rprop, ASGD, Adafactor, Muon with PyTorch's Newton-Schulz iteration run in float64; LBFGS
with a closure on a small quadratic or logistic loss) with options drawn over their legal ranges
and now and then outside them, maybe a schedule (each of torch.optim.lr_scheduler's, and swa_utils.SWALR), and takes
1-12 steps with random gradients set on .grad (zero or None now and then), with zero_grad, a
hand-set lr, a state_dict round trip of the optimizer and the schedule into fresh ones (now and
then deltaprop loading PyTorch's state dicts, made NumPy) and add_param_group mixed in. After every
event the parameters, gradients, the optimizer's state_dict() (state and groups) and defaults,
every group's lr and the schedule's get_last_lr(), last_epoch and counters must agree (float64,
rtol 1e-10, atol 1e-12; LBFGS 1e-7, and an LBFGS run that PyTorch itself does not repeat with its
parameters moved by a part in 1e12 is counted as unstable; a float32 value that differs, but is as
near the run's float64 value as PyTorch's, as float32 rounding), and so must the refusals; differences
docs/porting.md writes down are counted apart. Each mismatch is shrunk to a minimal run and printed
as a script; the exit status is 1 if there was one. The generator and the oracle live in
tests/reliability/optim_runs.py and optim_oracle.py, shared with tests/test_fuzz_optim.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import fuzz_driver  # noqa: E402
import optim_oracle  # noqa: E402
import optim_runs  # noqa: E402


def main() -> int:
    parser = fuzz_driver.parser(__doc__, "run", 2000)
    parser.add_argument("--no-shrink", action="store_true", help="print mismatching runs whole")
    args = parser.parse_args()
    events = 0

    def seen(run, verdict, problems):
        nonlocal events
        events += len(run.events)

    def label(key, small):
        _, optimizer, scheduler = key
        return f"{optimizer}{', ' + scheduler if scheduler else ''}"

    started = time.perf_counter()
    result = fuzz_driver.hunt(args, optim_runs.draw_run, optim_oracle.compare,
                              None if args.no_shrink else optim_oracle.shrink,
                              key=lambda run, kind: (kind, run.optimizer_name(), run.scheduler_name()),
                              seen=seen, key_of_drawn=True)
    seconds = time.perf_counter() - started
    print(f"{args.examples} runs ({events} events) in {seconds:.0f} s ({args.examples / seconds:.0f} a second)")
    return fuzz_driver.report(result, args.show, 50, label, optim_oracle.reproducer)


if __name__ == "__main__":
    sys.exit(main())
