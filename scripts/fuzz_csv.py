"""Fuzz `deltaprop train|predict|evaluate` with thousands of broken copies of valid CSV files.

    python scripts/fuzz_csv.py --examples 5000

Each case is a valid classification or regression file broken by one to three mutations (cells,
rows and columns deleted, duplicated or inserted, quotes, a BOM, other line ends, NUL and
non-UTF-8 bytes, odd spellings of numbers, header names duplicated or empty, a target of one class
or of unique numbers, many columns), then handed to one command, run in process in a fresh
folder. Exit 0 with a complete run folder (or predictions), or exit 1/2 with one line on stderr
naming the file and nothing written, are fine; the script prints the outcomes and every distinct
problem, and exits with 1 if there was one. The strategies and the oracle live in
tests/reliability/csv_corruption.py, shared with the test suite.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import csv_corruption  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="broken files to try (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNGs of each run (about 10x faster)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    folder = Path(tempfile.mkdtemp(prefix="deltaprop-csv-fuzz-"))
    originals = csv_corruption.make_originals(folder)
    tally: collections.Counter = collections.Counter()
    problems: dict = {}
    cases = [0]

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(sorted(originals)), st.sampled_from(csv_corruption.COMMANDS), csv_corruption.mutations)
    def fuzz(name, command, chain):
        cases[0] += 1
        original = originals[name]
        data = csv_corruption.apply_all(chain, original.data)
        for problem in csv_corruption.command_problems(data, command, original, folder, not args.no_plots, tally):
            problems.setdefault(problem[:160], (name, chain, data[:300]))

    started = time.perf_counter()
    try:
        fuzz()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    seconds = time.perf_counter() - started
    print(f"{cases[0]} broken files in {seconds:.0f} s ({cases[0] / seconds:.0f} a second)")
    for outcome, number in sorted(tally.items()):
        print(f"  {outcome:32s} {number}")
    print(f"{len(problems)} distinct problems")
    for problem, (name, chain, data) in problems.items():
        print(f"  {problem}\n      from {name}: {chain}\n      file begins {data!r}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
