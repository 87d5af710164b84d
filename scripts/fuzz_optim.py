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

import argparse
import collections
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import optim_oracle  # noqa: E402
import optim_runs  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="runs to try (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="first run's seed; the others follow (default 0)")
    parser.add_argument("--show", type=int, default=20, help="distinct mismatches to print in full (default 20)")
    parser.add_argument("--no-shrink", action="store_true", help="print mismatching runs whole")
    parser.add_argument("--verbose", action="store_true", help="name each run's seed on stderr before it runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import deltaprop

    tally: collections.Counter = collections.Counter()
    kinds: collections.Counter = collections.Counter()
    found: dict = {}
    events = 0
    started = time.perf_counter()
    for number in range(args.seed, args.seed + args.examples):
        if args.verbose:
            print(f"seed {number}", file=sys.stderr, flush=True)
        run = optim_runs.draw_run(number)
        events += len(run.events)
        verdict, problems = optim_oracle.compare(run, deltaprop)
        tally[verdict] += 1
        if verdict != "mismatch":
            continue
        kind, detail = problems[0]
        kinds[kind] += 1
        key = (kind, run.optimizer_name(), run.scheduler_name())
        if key in found:
            continue
        small = run if args.no_shrink else optim_oracle.shrink(run, deltaprop, kind)
        _, problems = optim_oracle.compare(small, deltaprop)
        found[key] = (number, problems[0][1] if problems else detail, small)
    seconds = time.perf_counter() - started
    print(f"{args.examples} runs ({events} events) in {seconds:.0f} s ({args.examples / seconds:.0f} a second)")
    for verdict, count in sorted(tally.items()):
        print(f"  {verdict:16s} {count}")
    for kind, count in sorted(kinds.items()):
        print(f"    {kind:50s} {count}")
    print(f"{len(found)} distinct mismatches")
    for shown, ((kind, optimizer, scheduler), (number, detail, small)) in enumerate(found.items()):
        if shown >= args.show:
            print(f"  ... {len(found) - shown} more")
            break
        print(f"\n--- {kind} (seed {number}; {optimizer}{', ' + scheduler if scheduler else ''})\n  {detail}")
        print("  " + optim_oracle.reproducer(small).replace("\n", "\n  "))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
