"""Differential fuzzing of the losses and nn.functional: random calls, deltaprop against PyTorch.

    python scripts/fuzz_functional.py --examples 3000 --seed 0

Each case is one call of a loss (``F.cross_entropy`` with class indices or probabilities, weights,
ignore_index, label smoothing and K-dimensional input; ``nll_loss``, the binary cross entropies,
the regression, divergence, likelihood, margin, embedding and CTC losses, now and then through
their layers) or of a function of nn.functional with its options (softmax and its kin with ``dim``
and ``dtype``, the activations with their kinks, distances, ``one_hot``, ``pad``, ``interpolate``,
``grid_sample``/``affine_grid``, ``unfold``/``fold``, pixel shuffles, ``embedding``, ``linear``,
``bilinear``, convolutions and transposed ones with groups and dilation, poolings, normalizations
with running statistics, dropouts with ``training=False``, ``scaled_dot_product_attention``), on
small random inputs: float64 that require grad, now and then float32, integer and boolean ones
where the function takes them, and edge values. It runs under both libraries; the outputs' values,
dtypes and shapes, the inputs' values after the call, the gradients of a fixed random weighting of
the outputs and the refusals must agree (float64: rtol 1e-9, atol 1e-12; float32: 1e-4, 1e-5).
Differences docs/porting.md writes down are counted apart. Each mismatch is shrunk (options
dropped, values rounded) and printed as a script; the exit status is 1 if there was one. The
generator and the oracle live in tests/reliability/functional_cases.py and functional_oracle.py,
shared with tests/test_fuzz_functional.py.
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import functional_cases  # noqa: E402
import functional_oracle  # noqa: E402
import fuzz_driver  # noqa: E402


def main() -> int:
    parser = fuzz_driver.parser(__doc__, "call", 3000)
    parser.add_argument("--only", default=None, help="draw only this table entry (cross_entropy, pool, ...)")
    parser.add_argument("--empty", type=float, default=functional_cases.EMPTY,
                        help=f"share of calls with one axis of length 0 (default {functional_cases.EMPTY})")
    args = parser.parse_args()
    functional_cases.EMPTY = args.empty
    if args.only is not None:
        if args.only not in functional_cases.TABLE:
            parser.error(f"--only: {args.only!r} is none of {', '.join(functional_cases.TABLE)}")
        functional_cases.TABLE = {args.only: functional_cases.TABLE[args.only]}
    documented: collections.Counter = collections.Counter()
    ops: collections.Counter = collections.Counter()

    def seen(case, verdict, problems):
        ops[case.op] += 1
        if verdict == "documented":
            documented[problems[0][0]] += 1

    def documented_counts():
        if documented:
            print("documented differences (docs/porting.md):")
            for reason, count in documented.most_common():
                print(f"    {reason:60s} {count}")

    started = time.perf_counter()
    result = fuzz_driver.hunt(args, functional_cases.draw_case, functional_oracle.compare, functional_oracle.shrink,
                              key=lambda small, kind: (kind, small.op, small.layer, tuple(sorted(small.kwargs))),
                              seen=seen)
    seconds = time.perf_counter() - started
    print(f"{args.examples} calls of {len(ops)} functions in {seconds:.0f} s ({args.examples / seconds:.0f} a second)")
    return fuzz_driver.report(result, args.show, 36, lambda key, small: key[2] or key[1], functional_oracle.reproducer,
                              after_kinds=documented_counts)


if __name__ == "__main__":
    sys.exit(main())
