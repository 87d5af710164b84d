"""Modes that watch the engine (anomaly detection, the profiler): what they swap while they are on.

Off, a mode costs the training loop nothing, not even a test, because it changes no code path:
while it is on it rebinds names instead, and puts them back when it goes off.

- :func:`rebind` replaces objects (the recorder ``Tensor._from_op``, the functions of
  :mod:`deltaprop.ops`) wherever deltaprop's loaded modules hold them under a global name.
- :func:`watch_rules` puts a runner around every gradient rule a backward sweep runs. A runner is
  called as ``runner(node, rule, *args)`` and returns ``rule(*args)``; several compose, the one
  switched on last outermost. While any is on, ``backward()`` takes the sweep that can run hooks
  (each runner counts as one hook, ``engine.Hooks.count``), which sends every rule through
  :func:`run_rule`.
"""

from __future__ import annotations

import functools
import sys


class Watch:
    """The runners that every gradient rule goes through now, innermost first (empty when no mode is on)."""

    runners: tuple = ()


def run_rule(node, rule, *args):
    """``rule(*args)``, the gradients of ``node``'s inputs, through every runner switched on."""
    for runner in Watch.runners:
        rule = functools.partial(runner, node, rule)
    return rule(*args)


def watch_rules(runner, on: bool) -> None:
    """Switch ``runner`` on around every gradient rule (``on=True``), or off again."""
    from . import engine

    if on:
        Watch.runners = Watch.runners + (runner,)
        engine.Hooks.count += 1
    elif runner in Watch.runners:
        Watch.runners = tuple(r for r in Watch.runners if r is not runner)
        engine.Hooks.count -= 1


def rebind(pairs, keep=()) -> None:
    """For each ``(old, new)`` of ``pairs``, make every global name of deltaprop's loaded modules
    that holds ``old`` hold ``new``; the modules named in ``keep`` (the mode's own) are left as they
    are. One pass over the modules, however many pairs. (A module imported later binds what it
    finds where it imports from, which this has swapped too.)"""
    table = {id(old): (old, new) for old, new in pairs}
    for name, module in list(sys.modules.items()):
        if (name == "deltaprop" or name.startswith("deltaprop.")) and name not in keep:
            namespace = getattr(module, "__dict__", {})
            for key, value in list(namespace.items()):
                swap = table.get(id(value))
                if swap is not None and swap[0] is value:
                    namespace[key] = swap[1]
