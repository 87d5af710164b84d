"""Differential fuzzing of nn layers: random configurations, deltaprop against PyTorch.

    python scripts/fuzz_layers.py --examples 2000 --seed 0

Each case draws a layer (convolutions and their transposes, the poolings, unpooling and fractional
pooling, the normalisations, the recurrent layers and cells on plain or packed sequences, embeddings
and bags, attention, the transformer layers and encoder stacks, resampling and interpolate, folding,
padding and reshaping layers, the activations, linear and bilinear layers, dropout where it draws
nothing) with random options and a small random input, batched or not. PyTorch's layer is built first and its state dict, given fresh values, loaded into both; both
run train() or eval(), one call or two, and backward() of a fixed weighting of the outputs, in
float64 (now and then float32). Outputs, the inputs' and parameters' gradients, the state dict
afterwards and refusals must agree (tolerances in tests/reliability/layer_oracle.py).
Differences docs/porting.md writes down are counted apart. Each mismatch is shrunk to a minimal
configuration and printed as a script that runs both libraries; the exit status is 1 if there was
one. Deliberately not drawn: random layers in training (dropout with 0 < p < 1, RReLU, whose draws
are NumPy's; FractionalMaxPool gets fixed _random_samples), the lazy layers, and softmax without a
dim; a max pool with a window wholly in the padding is not run (PyTorch's backward writes outside
the tensor there).
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import layer_cases  # noqa: E402
import layer_oracle  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="cases to try (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="first case's seed; the others follow (default 0)")
    parser.add_argument("--family", choices=sorted(layer_cases.FAMILIES), help="draw from one family only")
    parser.add_argument("--show", type=int, default=20, help="distinct mismatches to print in full (default 20)")
    parser.add_argument("--verbose", action="store_true", help="name each case's seed on stderr before it runs")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import deltaprop

    tally: collections.Counter = collections.Counter()
    families: collections.Counter = collections.Counter()
    kinds: collections.Counter = collections.Counter()
    found: dict = {}
    started = time.perf_counter()
    for number in range(args.seed, args.seed + args.examples):
        if args.verbose:
            print(f"seed {number}", file=sys.stderr, flush=True)
        case = layer_cases.draw_case(number, args.family)
        verdict, problems = layer_oracle.compare(case, deltaprop)
        tally[verdict] += 1
        families[(case.family, verdict)] += 1
        if verdict != "mismatch":
            continue
        kind, detail = problems[0]
        kinds[kind] += 1
        small = layer_oracle.shrink(case, deltaprop, kind)
        _, problems = layer_oracle.compare(small, deltaprop)
        key = (kind, small.ctor.split("(")[0])
        if key not in found:
            found[key] = (number, problems[0][1] if problems else detail, small)
    seconds = time.perf_counter() - started
    print(f"{args.examples} cases in {seconds:.0f} s ({args.examples / seconds:.0f} a second)")
    for verdict, count in sorted(tally.items()):
        print(f"  {verdict:16s} {count}")
    for (family, verdict), count in sorted(families.items()):
        print(f"    {family:12s} {verdict:16s} {count}")
    for kind, count in sorted(kinds.items()):
        print(f"    {kind:40s} {count}")
    print(f"{len(found)} distinct mismatches")
    for shown, ((kind, layer), (number, detail, small)) in enumerate(found.items()):
        if shown >= args.show:
            print(f"  ... {len(found) - shown} more")
            break
        print(f"\n--- {kind} (seed {number}; {layer})\n  {detail}\n  {small.ctor}   spec {small.spec}")
        print("  " + layer_oracle.reproducer(small).replace("\n", "\n  "))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
