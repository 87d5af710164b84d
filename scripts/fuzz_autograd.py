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

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import autograd_oracle  # noqa: E402
import autograd_programs  # noqa: E402
import fuzz_driver  # noqa: E402


def main() -> int:
    args = fuzz_driver.parser(__doc__, "program", 2000).parse_args()
    steps = 0

    def seen(program, verdict, problems):
        nonlocal steps
        steps += len(program.steps)

    started = time.perf_counter()
    result = fuzz_driver.hunt(args, autograd_programs.draw_program, autograd_oracle.compare, autograd_oracle.shrink,
                              key=lambda small, kind: (kind, tuple(sorted({s.op for s in small.steps}))), seen=seen)
    seconds = time.perf_counter() - started
    print(f"{args.examples} programs ({steps} steps) in {seconds:.0f} s ({args.examples / seconds:.0f} a second)")
    return fuzz_driver.report(result, args.show, 36, lambda key, small: f"ops {', '.join(key[1])}",
                              autograd_oracle.reproducer)


if __name__ == "__main__":
    sys.exit(main())
