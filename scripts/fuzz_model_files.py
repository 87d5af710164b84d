"""Fuzz the model-file loader: thousands of broken copies of valid models and checkpoints.

    python scripts/fuzz_model_files.py --examples 20000

Each case is a valid file (a classifier, a regressor, checkpoints at the end of an epoch and in the
middle of one) broken by one mutation (bit flips, truncations, header-length edits, edits of the
safetensors header and of the JSON inside it, random bytes), then loaded every way a user can:
``load``, ``load_checkpoint``, ``TabularModel.load`` with predict/evaluate, and ``deltaprop
predict|evaluate|summary``. Anything but success or a one-line ModelFileError is a problem; the
script prints the outcomes and every distinct problem, and exits with 1 if there was one. The
strategies and the oracle live in tests/reliability/corruption.py, shared with the test suite.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import corruption  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000, help="broken files to try (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # huge finite weights overflow in a forward pass: not the question here

    folder = Path(tempfile.mkdtemp(prefix="deltaprop-fuzz-"))
    originals = corruption.make_originals(folder)
    tally: collections.Counter = collections.Counter()
    problems: dict = {}
    cases = [0]

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(originals), corruption.mutations)
    def fuzz(original, mutation):
        cases[0] += 1
        path = folder / "broken.safetensors"
        path.write_bytes(mutation(original.data))
        for problem in corruption.loading_problems(path, original, tally):
            problems.setdefault(problem[:200], (original.name, repr(mutation)))

    started = time.perf_counter()
    fuzz()
    seconds = time.perf_counter() - started
    print(f"{cases[0]} broken files in {seconds:.0f} s ({cases[0] / seconds:.0f} a second), "
          f"{sum(tally.values())} loads")
    for outcome, number in sorted(tally.items()):
        print(f"  {outcome:40s} {number}")
    print(f"{len(problems)} distinct problems")
    for problem, (name, mutation) in problems.items():
        print(f"  {problem}\n      from {name}: {mutation}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
