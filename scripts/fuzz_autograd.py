"""Differential fuzzing of autograd programs: random chains of operations, deltaprop against PyTorch.

    python scripts/fuzz_autograd.py --examples 2000 --seed 0

Each program starts from a few float64 leaves of small random shapes and takes 3 to 12 steps drawn
from a table of elementwise, broadcasting, reducing, shape and view, indexing, matrix, gather and
scatter operations, in-place changes (of values outside the graph, of views of them, and now and
then of recorded tensors), detach/clone/contiguous, retain_grad() and scaling hooks. It runs under
both libraries; every value requiring grad is reduced to a scalar by a fixed weighting and goes
through backward(). Values, leaf and retained gradients and refusals must agree (float64: rtol 1e-9,
atol 1e-12; float32: 1e-4, 1e-5). Differences docs/porting.md writes down are counted apart. Each mismatch is shrunk to
a minimal program and printed as a script; the exit status is 1 if there was one. The generator and
the oracle live in tests/reliability/autograd_programs.py and autograd_oracle.py, shared with
tests/test_fuzz_autograd.py.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import autograd_oracle  # noqa: E402
import autograd_programs  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="programs to try (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="first program's seed; the others follow (default 0)")
    parser.add_argument("--show", type=int, default=20, help="distinct mismatches to print in full (default 20)")
    parser.add_argument("--verbose", action="store_true", help="name each program's seed on stderr before it runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import deltaprop

    tally: collections.Counter = collections.Counter()
    kinds: collections.Counter = collections.Counter()
    found: dict = {}
    steps = 0
    started = time.perf_counter()
    for number in range(args.seed, args.seed + args.examples):
        if args.verbose:
            print(f"seed {number}", file=sys.stderr, flush=True)
        program = autograd_programs.draw_program(number)
        steps += len(program.steps)
        verdict, problems = autograd_oracle.compare(program, deltaprop)
        tally[verdict] += 1
        if verdict != "mismatch":
            continue
        kind, detail = problems[0]
        kinds[kind] += 1
        small = autograd_oracle.shrink(program, deltaprop, kind)
        _, problems = autograd_oracle.compare(small, deltaprop)
        key = (kind, tuple(sorted({s.op for s in small.steps})))
        if key not in found:
            found[key] = (number, problems[0][1], small)
    seconds = time.perf_counter() - started
    print(f"{args.examples} programs ({steps} steps) in {seconds:.0f} s ({args.examples / seconds:.0f} a second)")
    for verdict, count in sorted(tally.items()):
        print(f"  {verdict:16s} {count}")
    for kind, count in sorted(kinds.items()):
        print(f"    {kind:36s} {count}")
    print(f"{len(found)} distinct mismatches")
    for shown, ((kind, ops), (number, detail, small)) in enumerate(found.items()):
        if shown >= args.show:
            print(f"  ... {len(found) - shown} more")
            break
        print(f"\n--- {kind} (seed {number}; ops {', '.join(ops)})\n  {detail}")
        print("  " + autograd_oracle.reproducer(small).replace("\n", "\n  "))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
