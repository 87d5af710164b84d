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

import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import fuzz_driver  # noqa: E402
import layer_cases  # noqa: E402
import layer_oracle  # noqa: E402


def main() -> int:
    parser = fuzz_driver.parser(__doc__, "case", 2000)
    parser.add_argument("--family", choices=sorted(layer_cases.FAMILIES), help="draw from one family only")
    args = parser.parse_args()
    families: collections.Counter = collections.Counter()

    def seen(case, verdict, problems):
        families[(case.family, verdict)] += 1

    def family_counts():
        for (family, verdict), count in sorted(families.items()):
            print(f"    {family:12s} {verdict:16s} {count}")

    started = time.perf_counter()
    result = fuzz_driver.hunt(args, lambda number: layer_cases.draw_case(number, args.family), layer_oracle.compare,
                              layer_oracle.shrink, key=lambda small, kind: (kind, small.ctor.split("(")[0]), seen=seen)
    seconds = time.perf_counter() - started
    print(f"{args.examples} cases in {seconds:.0f} s ({args.examples / seconds:.0f} a second)")
    return fuzz_driver.report(result, args.show, 40, lambda key, small: key[1], layer_oracle.reproducer,
                              before_kinds=family_counts, more=lambda small: f"{small.ctor}   spec {small.spec}")


if __name__ == "__main__":
    sys.exit(main())
