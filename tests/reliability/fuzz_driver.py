"""The loop the differential fuzzers in scripts/ share: draw cases by seed, compare each under
deltaprop and PyTorch, tally the verdicts, shrink each kind of mismatch once, and print what was found.

Each fuzzer brings its own generator and oracle (``compare``, ``shrink``, ``reproducer``) and says
how a mismatch is told apart from another (``key``) and named in the report (``label``).
"""

from __future__ import annotations

import argparse
import collections
import sys
import warnings
from dataclasses import dataclass, field
from typing import Callable


def parser(doc: str, noun: str, examples: int) -> argparse.ArgumentParser:
    """The options every fuzzer takes; a script adds its own to what this returns."""
    made = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    made.add_argument("--examples", type=int, default=examples, help=f"{noun}s to try (default {examples})")
    made.add_argument("--seed", type=int, default=0, help=f"first {noun}'s seed; the others follow (default 0)")
    made.add_argument("--show", type=int, default=20, help="distinct mismatches to print in full (default 20)")
    made.add_argument("--verbose", action="store_true", help=f"name each {noun}'s seed on stderr before it runs")
    return made


@dataclass
class Hunt:
    """What a run of a fuzzer found: verdict counts, mismatch kinds, and one shrunk case per key
    (``found[key] = (seed, detail, shrunk case)``, in the order first seen)."""

    tally: collections.Counter = field(default_factory=collections.Counter)
    kinds: collections.Counter = field(default_factory=collections.Counter)
    found: dict = field(default_factory=dict)


def hunt(args, draw: Callable, compare: Callable, shrink: Callable | None, key: Callable,
         seen: Callable | None = None, key_of_drawn: bool = False) -> Hunt:
    """Compare the cases ``draw(seed)`` for seeds ``args.seed`` onwards against PyTorch.

    ``seen(case, verdict, problems)``, if given, is told of every case (for a fuzzer's own counts).
    ``key(case, kind)`` tells mismatches apart; it is read off the shrunk case, or with
    ``key_of_drawn`` off the drawn one before shrinking (which then runs once per key). ``shrink``
    None prints mismatching cases whole.
    """
    warnings.simplefilter("ignore")
    import deltaprop

    result = Hunt()
    for number in range(args.seed, args.seed + args.examples):
        if args.verbose:
            print(f"seed {number}", file=sys.stderr, flush=True)
        case = draw(number)
        verdict, problems = compare(case, deltaprop)
        result.tally[verdict] += 1
        if seen is not None:
            seen(case, verdict, problems)
        if verdict != "mismatch":
            continue
        kind, detail = problems[0]
        result.kinds[kind] += 1
        if key_of_drawn and key(case, kind) in result.found:
            continue
        small = case if shrink is None else shrink(case, deltaprop, kind)
        _, problems = compare(small, deltaprop)
        name = key(small, kind)
        if name not in result.found:
            result.found[name] = (number, problems[0][1] if problems else detail, small)
    return result


def report(result: Hunt, show: int, kind_width: int, label: Callable, reproducer: Callable,
           before_kinds: Callable | None = None, after_kinds: Callable | None = None,
           more: Callable | None = None) -> int:
    """Print the verdict counts, the mismatch kinds and up to ``show`` shrunk mismatches (each as
    ``--- kind (seed N; label(key, case))``, its detail, ``more(case)`` if given, and a script);
    1 if any was found, else 0. ``before_kinds()`` and ``after_kinds()`` print a fuzzer's own
    counts around the kinds'."""
    for verdict, count in sorted(result.tally.items()):
        print(f"  {verdict:16s} {count}")
    if before_kinds is not None:
        before_kinds()
    for kind, count in sorted(result.kinds.items()):
        print(f"    {kind:{kind_width}s} {count}")
    if after_kinds is not None:
        after_kinds()
    found = result.found
    print(f"{len(found)} distinct mismatches")
    for shown, (key, (number, detail, small)) in enumerate(found.items()):
        if shown >= show:
            print(f"  ... {len(found) - shown} more")
            break
        print(f"\n--- {key[0]} (seed {number}; {label(key, small)})\n  {detail}")
        if more is not None:
            print(f"  {more(small)}")
        print("  " + reproducer(small).replace("\n", "\n  "))
    return 1 if found else 0
